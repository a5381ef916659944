/* duration.h -- "150ms"-style durations, as rules and options write them. */
#ifndef LS_DURATION_H
#define LS_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parses len bytes of "NUMBER UNIT" (unit ns, us, ms or s; the number may have a
 * fraction) into nanoseconds. Returns 0, or -EINVAL when the text is not one,
 * or -ERANGE when it does not fit in 64 bits. Allocates nothing. */
int ls_parse_duration(const char *s, size_t len, uint64_t *ns);

/* Parses a time the options give in milliseconds: decimal digits with an optional fraction
 * ("50", "0.5"), or a duration with its unit ("500us"). No sign, space, exponent or hex.
 * 0, -EINVAL when it is not one, -ERANGE when it does not fit. Allocates nothing. */
int ls_parse_ms(const char *s, uint64_t *ns);
/* The same for a stall threshold (-t, LOOPSTALL_THRESHOLD_MS): -ERANGE outside
 * LS_THRESHOLD_MIN_MS..LS_THRESHOLD_MAX_MS. */
int ls_parse_threshold(const char *s, uint64_t *ns);

#endif
