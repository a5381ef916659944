/* fatal.h -- used directly (no watcher outside), a fatal signal the host does not handle still
 * leaves a report.
 *
 * For each signal whose default action ends the process and that the host
 * left at its default when the agent loaded, a handler writes the final
 * report and then lets the default action happen, as if it had never been
 * there. The host never sees it: asking for the disposition answers SIG_DFL,
 * and the host setting one of its own replaces ours for good. Under `loopstall
 * run` none is installed: the watcher outside reads the record after death.
 */
#ifndef LS_FATAL_H
#define LS_FATAL_H

#include <signal.h>

/* Installs the handlers; ends(sig) is what ends the image first (lifecycle.c's). */
void ls_fatal_install(void (*ends)(int sig));
/* Is the disposition of sig our fatal-signal handler (sa_sigaction value h)? */
int ls_fatal_is_ours(int sig, void (*h)(int, siginfo_t *, void *));
/* The host sets a disposition of its own for sig. */
void ls_fatal_host_claims(int sig);

#endif
