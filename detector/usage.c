/* usage.c -- the help text of `loopstall`: every subcommand and option in one block. */
#include "usage.h"

void ls_print_help(FILE *out)
{
    fputs("loopstall " LOOPSTALL_VERSION " -- find what blocks an event loop\n"
          "\n"
          "loopstall run [OPTIONS] -- COMMAND [ARG...]\n"
          "  -t, --threshold MS     stall threshold in milliseconds (default 20)\n"
          "  --json FILE            write the merged report (schema loopstall/1) to FILE\n"
          "  -o, --output FILE      write a rendered report; --format or the extension picks it\n"
          "                         (.txt .md .html .json .trace.json .folded; - for stdout)\n"
          "  --format FMT           text | markdown | html | json | chrome | folded\n"
          "  --inject RULE          fault-injection rule, repeatable:\n"
          "                         "
          "FUNCS:delay=DUR|errno=NAME|short=BYTES[,p=PROB][,after=N][,count=N]\n"
          "                         "
          "[,jitter=DUR][,thread=loop|other|any][,path=GLOB][,peer=HOST[:PORT]]\n"
          "                         [,host=GLOB][,seed=N]   e.g. getaddrinfo:delay=100ms\n"
          "  --strict               also flag blocking-category calls on a loop thread, however "
          "short\n"
          "  -q, --quiet            no summary on stderr\n"
          "loopstall report FILE.json|DIR... [--format FMT] [-o FILE]\n"
          "loopstall diff BASE.json HEAD.json [--format text|markdown] [--include-startup]\n"
          "loopstall --list-calls   the intercepted functions and the errors each can be made to "
          "fail with\n"
          "loopstall --help | --version\n"
          "\n"
          "Direct use: LD_PRELOAD=/path/libloopstall.so LOOPSTALL_OUT=DIR service, then\n"
          "loopstall report DIR. Variables: LOOPSTALL_OUT, LOOPSTALL_THRESHOLD_MS,\n"
          "LOOPSTALL_INJECT (rules separated by ';'), LOOPSTALL_STRICT, LOOPSTALL_LOOP "
          "(auto|epoll|poll).\n",
          out);
}
