#!/bin/sh
# check-walker-imports.sh OBJECT... -- the walker calls nothing but what is safe in a signal
# handler and in any host: no allocation, no stdio, no locks, no libunwind or libgcc (_Unwind_*).
#   _dl_find_object   lock-free object lookup (glibc 2.35+)
#   syscall           process_vm_readv and getpid for fault-safe reads; open/read/close of
#                     /proc/self/maps in ls_stack_bounds_of_self (never in a handler)
#   __errno_location  errno saved and restored
#   dl_iterate_phdr   the list of startup objects (ls_unwind_trust_startup, never in a walk)
#   _r_debug          the loader's list, data not a call: the constructor counts the startup set
#   getrlimit         ls_stack_bounds_of_self (never in a handler)
allowed="_dl_find_object syscall __errno_location dl_iterate_phdr _r_debug getrlimit"
status=0
for obj in "$@"; do
    for sym in $(nm -u "$obj" | awk '{print $2}' | sed 's/@.*//'); do
        case " $allowed " in
        *" $sym "*) ;;
        *) echo "$obj: imports $sym, which the walker must not call (allowed: $allowed)"; status=1 ;;
        esac
    done
done
[ $status = 0 ] && echo "walker imports: $(for o in "$@"; do nm -u "$o" | awk '{print $2}'; done | sort -u | tr '\n' ' ')"
exit $status
