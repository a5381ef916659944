// cxx-thrower.cc -- C++ code (g++, libstdc++) that a C host loads with dlopen: it throws and
// catches exceptions for a given time of its thread's CPU (so that a busy machine's preemptions
// do not count) and says how many it caught.
//
// libstdc++'s _Unwind_RaiseException binds to the first _Unwind_* in the host's symbol scope: an
// agent that exports an unwinder of its own takes every exception this code throws.
#include <stdexcept>
#include <time.h>

static unsigned long long cpu_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) static void deep(int n)
{
    if (n == 0) throw std::runtime_error("thrown");
    deep(n - 1);
}

extern "C" long cxx_throw_for(int ms)
{
    long caught = 0;
    unsigned long long end = cpu_ns() + (unsigned long long)ms * 1000000ULL;
    while (cpu_ns() < end) {
        try {
            deep(4);
        } catch (const std::exception &) {
            caught++;
        }
    }
    return caught;
}
