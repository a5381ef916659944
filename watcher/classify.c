/* classify.c -- blocking, cpu or mixed (see classify.h). */
#include "classify.h"

enum ls_class ls_classify(uint64_t wall, uint64_t cpu, uint64_t runq, uint64_t blocked)
{
    uint64_t compute = cpu + runq;
    if (compute * 10 >= wall * 6 && blocked * 10 < wall * 3) return LS_CLASS_CPU;
    if (blocked * 10 >= wall * 6 || compute * 4 <= wall) return LS_CLASS_BLOCKING;
    return LS_CLASS_MIXED;
}

const char *ls_class_name(enum ls_class c)
{
    static const char *const names[] = {"blocking", "cpu", "mixed"};
    return (unsigned)c < 3 ? names[c] : "mixed";
}
