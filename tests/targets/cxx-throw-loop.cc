// cxx-throw-loop.cc -- a clang++ host whose loop throws and catches C++ exceptions for tens of
// milliseconds at a time, so that stack samples land inside LLVM's libunwind (which takes the
// loader's lock in dl_iterate_phdr on every throw).
//
// Built with clang++ and linked with LLVM's libunwind.so.1 first, so that the C++ runtime's
// _Unwind_RaiseException is LLVM's. A sampler that takes the loader's lock in its signal handler
// hangs this host on itself. Prints how many exceptions it caught and "throws ok".
#include <cstdio>
#include <stdexcept>

extern "C" {
#include "host-loop.h"
}

// Throws from a few frames down, as real code does.
__attribute__((noinline)) static void deep(int n)
{
    if (n == 0) throw std::runtime_error("from the loop");
    deep(n - 1);
}

__attribute__((noinline)) static long throw_for(int ms)
{
    long caught = 0;
    uint64_t end = host_now_ns() + (uint64_t)ms * 1000000ULL;
    while (host_now_ns() < end) {
        try {
            deep(4);
        } catch (const std::exception &) {
            caught++;
        }
    }
    return caught;
}

int main()
{
    struct host_loop l;
    if (host_loop_open(&l, 5) != 0) return 1;
    long caught = 0;
    for (int tick = 0; tick < 30; tick++) {
        if (host_loop_tick(&l) != 0) return 1;
        if (tick % 3 == 1) caught += throw_for(60);
    }
    std::printf("caught %ld\nthrows ok\n", caught);
    return caught > 0 ? 0 : 1;
}
