/* hello.h -- how an agent hands its record to the watcher outside (`loopstall run`).
 *
 * The watcher listens on an abstract unix socket (no file, so a process that
 * drops its privileges or changes its root can still reach it). The agent
 * connects once per image, sends this hello with the record's memfd, and
 * closes its end: the mapping outlives both descriptors, so a host that
 * closes every descriptor it did not open takes nothing from either side.
 */
#ifndef LS_HELLO_H
#define LS_HELLO_H

#include <stdint.h>

#define LS_HELLO_MAGIC 0x4f4c4548u /* "HELO" */

struct ls_hello {
    uint32_t magic;
    uint32_t version; /* LS_RECORD_VERSION */
    int32_t pid;
    uint32_t image;
    uint64_t size; /* bytes of the record behind the descriptor */
    int32_t error; /* nonzero: no record could be made (an errno); no descriptor follows */
    int32_t pad;
};

#endif
