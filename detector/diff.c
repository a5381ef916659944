/* diff.c -- `loopstall diff`: which stall sites a change added, removed or made worse. Exit 1 on
 * new sites. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "format.h"
#include "merge.h"
#include "render.h"
#include "sites.h"

static void print_site(FILE *out, char mark, json_t *s, int md)
{
    char t[32], where[512];
    const char *fn = json_string_value(json_object_get(s, "fn"));
    json_t *f = ls_first_interesting_frame(json_object_get(s, "stack"));
    fprintf(out,
            md ? "| %c | `%s` | %s | %s | %lld | %s | %s |\n"
               : "  %c [%s] %s %s x%lld, total %s%s%s\n",
            mark, json_string_value(json_object_get(s, "id")),
            json_string_value(json_object_get(s, "class")), fn ? fn : "(cpu)",
            (long long)json_integer_value(json_object_get(s, "count")),
            ls_fmt_ns(json_integer_value(json_object_get(s, "total_ns")), t, sizeof t),
            md ? (f ? ls_fmt_frame(f, where, sizeof where) : "-") : (f ? ", in " : ""),
            md ? "" : (f ? ls_fmt_frame(f, where, sizeof where) : ""));
}

int ls_cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"include-startup", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int md = 0, c;
    enum ls_phases phases = LS_SERVING_ONLY; /* startup work is not what a change is judged by */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f' && (!strcmp(optarg, "text") || !strcmp(optarg, "markdown"))) {
            md = !strcmp(optarg, "markdown");
            continue;
        }
        if (c == 's') {
            phases = LS_ALL_PHASES;
            continue;
        }
        fprintf(stderr,
                "loopstall diff: bad option %s: accepted are --format text|markdown, "
                "--include-startup\n",
                argv[optind - 1]);
        return 2;
    }
    if (argc - optind != 2) {
        fprintf(stderr,
                "loopstall diff: expected two reports: loopstall diff BASE.json HEAD.json\n");
        return 2;
    }
    json_t *base = ls_merge_files(&argv[optind], 1);
    json_t *head = base ? ls_merge_files(&argv[optind + 1], 1) : NULL;
    if (!base || !head) {
        json_decref(base);
        json_decref(head);
        return 2;
    }
    ls_finish_report(base);
    ls_finish_report(head);
    json_t *b = ls_sites_by_id(base, phases), *h = ls_sites_by_id(head, phases);
    int added = 0, gone = 0, worse = 0;
    const char *id;
    json_t *s;
    FILE *out = stdout;
    if (md)
        fprintf(out, "## loopstall diff\n\n|  | site | class | call | count | total | where "
                     "|\n|---|---|---|---|---:|---:|---|\n");
    json_object_foreach(h, id, s)
    {
        json_t *old = json_object_get(b, id);
        if (!old) {
            if (!md && !added) fprintf(out, "new stall sites in %s:\n", argv[optind + 1]);
            print_site(out, '+', s, md);
            added++;
        }
    }
    json_object_foreach(b, id, s)
    {
        if (!json_object_get(h, id)) {
            if (!md && !gone) fprintf(out, "stall sites gone:\n");
            print_site(out, '-', s, md);
            gone++;
        }
    }
    json_object_foreach(h, id, s)
    {
        json_t *old = json_object_get(b, id);
        if (old && json_integer_value(json_object_get(s, "total_ns")) >
                       json_integer_value(json_object_get(old, "total_ns"))) {
            if (!md && !worse) fprintf(out, "stall sites that got worse (head shown):\n");
            print_site(out, '~', s, md);
            worse++;
        }
    }
    fprintf(out, "%s%d new, %d gone, %d worse\n", md ? "\n" : "", added, gone, worse);
    json_decref(b);
    json_decref(h);
    json_decref(base);
    json_decref(head);
    return added ? 1 : 0;
}
