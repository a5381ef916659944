/* modules.h -- the loaded objects, written into the record so that raw addresses become module +
 * offset. */
#ifndef LS_MODULES_H
#define LS_MODULES_H

/* Rewrites the record's module table if the loader loaded or unloaded
 * anything since the last time (one dl_iterate_phdr call to find out). Not in
 * a signal handler: the loader takes its lock. */
void ls_modules_refresh(void);
/* The fork handlers (lifecycle.c registers them): no child inherits the loader's write lock
 * held by one of the refresh's walks on another thread. */
void ls_modules_fork_prepare(void);
void ls_modules_fork_parent(void);
void ls_modules_fork_child(void);
/* Finds the agent's own text range (ls_proc.self_lo/hi). */
void ls_modules_find_self(void);

#endif
