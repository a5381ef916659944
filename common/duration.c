/* duration.c -- parse durations with units; shared by rules and command options. */
#include "duration.h"

#include <errno.h>
#include <string.h>

#include "config_limits.h"

int ls_parse_duration(const char *s, size_t len, uint64_t *ns)
{
    size_t i = 0;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    int digits = 0;

    while (i < len && s[i] >= '0' && s[i] <= '9') {
        uint64_t digit = (uint64_t)(s[i++] - '0');
        if (whole > (UINT64_MAX - digit) / 10) return -ERANGE;
        whole = whole * 10 + digit;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (frac_scale < 1000000000ULL) { /* deeper than 1e-9 cannot matter */
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                frac_scale *= 10;
            }
            i++;
            digits++;
        }
    }
    if (digits == 0) return -EINVAL;

    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ulen = strlen(units[u].unit);
        if (len - i == ulen && memcmp(s + i, units[u].unit, ulen) == 0) {
            if (whole > UINT64_MAX / units[u].ns) return -ERANGE;
            uint64_t base = whole * units[u].ns;
            uint64_t part = frac * units[u].ns / frac_scale; /* frac < 1e9: no overflow */
            if (base > UINT64_MAX - part) return -ERANGE;
            *ns = base + part;
            return 0;
        }
    }
    return -EINVAL;
}

int ls_parse_ms(const char *s, uint64_t *ns)
{
    char buf[48];
    size_t n = strlen(s);
    if (n == 0 || n + 2 >= sizeof buf) return -EINVAL;
    memcpy(buf, s, n);
    if (s[n - 1] >= '0' && s[n - 1] <= '9') { /* bare digits are milliseconds */
        buf[n++] = 'm';
        buf[n++] = 's';
    }
    return ls_parse_duration(buf, n, ns);
}

int ls_parse_threshold(const char *s, uint64_t *ns)
{
    int rc = ls_parse_ms(s, ns);
    if (rc) return rc;
    if (*ns < (uint64_t)(LS_THRESHOLD_MIN_MS * 1e6) || *ns > (uint64_t)(LS_THRESHOLD_MAX_MS * 1e6))
        return -ERANGE;
    return 0;
}
