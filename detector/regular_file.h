/* regular_file.h -- open a path named by a report only when it is a regular file, never blocking;
 * read JSON from it. */
#ifndef LS_REGULAR_FILE_H
#define LS_REGULAR_FILE_H

#include <jansson.h>
#include <stddef.h>

/* Opens path read-only and returns the descriptor (O_CLOEXEC), or -1 with why
 * filled ("it is a FIFO", "No such file or directory"). A FIFO, a device, a
 * socket or a directory is refused without ever waiting: the open does not
 * block (O_NONBLOCK) and fstat decides before anything is read. */
int ls_open_regular(const char *path, char *why, size_t len);

/* Loads the JSON document in path, opened as above (duplicate keys refused).
 * NULL on failure, with why saying what went wrong and *unreadable set when
 * the file could not be read at all (else it was read but is not JSON:
 * why is jansson's reason and the line). */
json_t *ls_json_load_regular(const char *path, int *unreadable, char *why, size_t len);

#endif
