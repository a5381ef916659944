/* ctor-tsd-lib.c -- a host library whose constructor (which runs before the agent's: the
 * loader initializes the program's own libraries first) creates a thread-specific key with a
 * destructor that frees, and a thread that stores a value under it.
 *
 * An agent that keeps state under a key it has not created yet (key 0 is this library's) makes
 * the destructor free the agent's memory: "free(): invalid pointer" at the thread's exit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_key_t key;
static int ctor_ok;

static void free_value(void *v)
{
    if (v && memcmp(v, "host", 5) != 0) {
        fprintf(stderr, "ctor-tsd-lib: the key holds a pointer that is not ours\n");
        abort();
    }
    free(v);
}

static void *keeper(void *arg)
{
    (void)arg;
    char *v = malloc(5);
    memcpy(v, "host", 5);
    pthread_setspecific(key, v);
    return NULL;
}

__attribute__((constructor)) static void ctor_tsd_init(void)
{
    if (pthread_key_create(&key, free_value) != 0) return;
    pthread_t th;
    if (pthread_create(&th, NULL, keeper, NULL) != 0) return;
    pthread_join(th, NULL);
    ctor_ok = 1;
}

/* The host asks: did the constructor make its key and thread? */
int ctor_tsd_ready(void);
int ctor_tsd_ready(void)
{
    return ctor_ok;
}

/* A thread of the host's that uses the key too, after the agent is loaded. */
int ctor_tsd_thread(void);
int ctor_tsd_thread(void)
{
    pthread_t th;
    return pthread_create(&th, NULL, keeper, NULL) || pthread_join(th, NULL);
}
