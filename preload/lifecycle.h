/* lifecycle.h -- the agent's life in the host: load, fork, the end of an image.
 *
 * lifecycle.c alone knows every stage: it runs the constructor and the
 * destructor, the fork handlers, and what happens when an image ends.
 */
#ifndef LS_LIFECYCLE_H
#define LS_LIFECYCLE_H

#include "write.h"

/* The image ends now (exit, exec, a fatal signal): iterations in progress
 * end with it, the record says so, and (used directly) the report file is
 * written. The first call counts; code is the exit status, or -1. */
void ls_image_end(enum ls_image_end how, int code);
/* An exec failed: the image goes on. */
void ls_image_resume(void);

#endif
