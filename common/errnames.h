/* errnames.h -- errno and EAI_* names to values and back, for rules and reports. */
#ifndef LS_ERRNAMES_H
#define LS_ERRNAMES_H

#include <stddef.h>

/* Stores the value of the error called name (EAGAIN, EAI_NONAME, ...); 0 or -ENOENT. */
int ls_errno_by_name(const char *name, size_t len, int *value);
/* The name of an errno value (EAGAIN for EAGAIN and EWOULDBLOCK), or NULL. */
const char *ls_errno_name(int value);

#endif
