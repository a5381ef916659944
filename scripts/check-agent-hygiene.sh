#!/usr/bin/env bash
# check-agent-hygiene.sh BUILD_DIR -- the agent's hot path takes no lock, allocates nothing, uses no
# stdio; and the agent exports exactly the functions of common/calls.def, nothing else (curl's
# list of banned functions, checked mechanically with nm).
set -euo pipefail
build=${1:?usage: check-agent-hygiene.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
objdir="$build/preload/CMakeFiles/loopstall.dir"
lib="$build/lib/libloopstall.so"
fail=0

# The objects every intercepted call on a loop thread runs through: the generated and
# hand-written wrappers' tails, call timing, iterations, the descriptor cache, injection's
# matcher, the remaining-time arithmetic. (wrap_thread, wrap_exec and the lifecycle hooks
# are not on the path of a loop's calls.)
hot="wrap_gen call iteration wrap_wait wrap_sleep wrap_fd wrap_mutex remaining fdstate inject"
banned='^(malloc|calloc|realloc|free|strdup|strndup|.*printf|puts|fputs|fputc|putc|putchar|fputs_unlocked|fwrite_unlocked|fopen|fdopen|fclose|fwrite|fread|fflush|pthread_mutex_(lock|unlock|timedlock)|pthread_rwlock_(rd|wr|un)lock|pthread_cond_.*|pthread_spin_.*|pthread_once|sem_(wait|timedwait|post)|dlsym|dlopen|dl_iterate_phdr)$'
for o in $hot; do
    f="$objdir/$o.c.o"
    if [ ! -f "$f" ]; then
        echo "check-agent-hygiene: $f is missing (was $o.c renamed? update this list)"
        fail=1
        continue
    fi
    bad=$(nm -u "$f" | awk '{print $NF}' | sed 's/@.*//' | grep -E "$banned" || true)
    if [ -n "$bad" ]; then
        echo "check-agent-hygiene: $o.c (hot path) imports: $(echo $bad | tr '\n' ' ')"
        fail=1
    fi
done

# Exports: the names of calls.def, every one of them, and nothing more.
expected=$(grep -oE '^LS_CALL\((GEN|HAND|HOOK), *[A-Za-z0-9_]+' "$src/common/calls.def" | sed 's/.*, *//' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -v '^$' | sort -u)
extra=$(comm -13 <(echo "$expected") <(echo "$exported"))
missing=$(comm -23 <(echo "$expected") <(echo "$exported"))
if [ -n "$extra" ]; then
    echo "check-agent-hygiene: exported but not in calls.def: $(echo $extra | tr '\n' ' ')"
    fail=1
fi
if [ -n "$missing" ]; then
    echo "check-agent-hygiene: in calls.def but not exported: $(echo $missing | tr '\n' ' ')"
    fail=1
fi
if [ "$fail" = 0 ]; then
    echo "check-agent-hygiene: $(echo $hot | wc -w) hot-path objects clean; $(echo "$exported" | wc -l) exports, all from calls.def"
fi
exit $fail
