/* advice.h -- the chapter's decision rules applied to a stall site. */
#ifndef LS_ADVICE_H
#define LS_ADVICE_H

/* One sentence of advice for a site of class cls ("blocking", "cpu", "mixed")
 * whose culprit call is fn (NULL for CPU). Never NULL. */
const char *ls_advice(const char *cls, const char *fn);

#endif
