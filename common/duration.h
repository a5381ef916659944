/* duration.h -- "150ms"-style durations, as rules and options write them. */
#ifndef LS_DURATION_H
#define LS_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parses len bytes of "NUMBER UNIT" (unit ns, us, ms or s; the number may have a
 * fraction) into nanoseconds. Returns 0, or -EINVAL when the text is not one,
 * or -ERANGE when it does not fit in 64 bits. Allocates nothing. */
int ls_parse_duration(const char *s, size_t len, uint64_t *ns);

#endif
