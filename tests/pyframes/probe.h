/* probe.h -- libpyprobe.so's entry points, called from Python through ctypes (see probe.c). */
#ifndef PYPROBE_H
#define PYPROBE_H

#include <stddef.h>

#define PROBE_EXPORT __attribute__((visibility("default")))

/* Each writes its answer as text into buf (see probe.c for the records). */
PROBE_EXPORT int pyprobe_stack(char *buf, size_t len);
PROBE_EXPORT int pyprobe_merged(char *buf, size_t len);
PROBE_EXPORT int pyprobe_stack_broken(const char *field, int delta, char *buf, size_t len);
PROBE_EXPORT int pyprobe_sample_start(int period_us);
PROBE_EXPORT int pyprobe_sample_stop(char *buf, size_t len);
PROBE_EXPORT int pyprobe_bench(int rounds, char *buf, size_t len);
PROBE_EXPORT void pyprobe_lines(const unsigned char *table, size_t len, int firstlineno, int units,
                                int *lines);

#endif
