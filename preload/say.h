/* say.h -- the agent's one-line messages on the host's stderr.
 *
 * Without stdio (the host's buffers are not ours to touch), through the raw
 * system call (never our own wrapper), and only while descriptor 2 is still
 * the file it was at load: a host that put a data file on fd 2 must not find
 * our lines in it.
 */
#ifndef LS_SAY_H
#define LS_SAY_H

/* Notes what fd 2 is now (at load). */
void ls_say_init(void);
/* Writes "loopstall: " a b c "\n" (NULL parts skipped). Keeps errno. */
void ls_say(const char *a, const char *b, const char *c);
/* Writes a whole line as given. Keeps errno. */
void ls_say_line(const char *line);

#endif
