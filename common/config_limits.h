/* config_limits.h -- the ranges both sides accept for the agent's settings (run's options, the
 * agent's variables). */
#ifndef LS_CONFIG_LIMITS_H
#define LS_CONFIG_LIMITS_H

#define LS_THRESHOLD_MIN_MS 0.1       /* below this, the watcher's tick cannot keep up */
#define LS_THRESHOLD_MAX_MS 3600000.0 /* an hour */
#define LS_THREAD_LIMIT_MAX 1000000

#endif
