/* diff.c -- `loopstall diff`: which stall sites a change added, removed or made worse. Exit 1 on
 * new sites. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "format.h"
#include "merge.h"
#include "review.h"
#include "sites.h"

json_t *ls_diff_review(json_t *base, json_t *head, const char *base_name, const char *head_name,
                       enum ls_phases phases, const char *source_root)
{
    json_t *review = ls_review_new("diff", head_name, head, source_root);
    json_object_set_new(review, "base", json_string(base_name));
    json_object_set_new(review, "include_startup", json_boolean(phases == LS_ALL_PHASES));
    json_t *b = ls_sites_by_id(base, phases), *h = ls_sites_by_id(head, phases), *s;
    const char *id;
    char text[600], was[32], now[32];
    json_object_foreach(h, id, s)
    {
        json_t *old = json_object_get(b, id);
        json_int_t total = json_integer_value(json_object_get(s, "total_ns"));
        json_int_t before = json_integer_value(json_object_get(old, "total_ns"));
        if (!old) {
            snprintf(text, sizeof text, "not in %s", base_name);
            ls_review_add(review, "new", 1, s, NULL, json_pack("[s]", text));
        } else if (total > before) {
            snprintf(text, sizeof text, "%s in all, up from %s", ls_fmt_ns(total, now, sizeof now),
                     ls_fmt_ns(before, was, sizeof was));
            ls_review_add(review, "worse", 0, s, old, json_pack("[s]", text));
        } else {
            ls_review_add(review, "unchanged", 0, s, old, NULL);
        }
    }
    json_object_foreach(b, id, s)
    {
        if (json_object_get(h, id)) continue;
        snprintf(text, sizeof text, "not in %s", head_name);
        ls_review_add(review, "gone", 0, s, NULL, json_pack("[s]", text));
    }
    json_decref(b);
    json_decref(h);
    ls_review_close(review);
    return review;
}

int ls_cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"include-startup", no_argument, NULL, 's'},
                                         {"source-root", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    const char *format = NULL, *out_path = NULL, *root_arg = NULL;
    enum ls_phases phases = LS_SERVING_ONLY;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 's':
            phases = LS_ALL_PHASES;
            break;
        case 'r':
            root_arg = optarg;
            break;
        case ':':
            fprintf(stderr, "loopstall diff: option %s needs a value (see loopstall --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr,
                    "loopstall diff: bad option %s: accepted are --format %s, -o FILE, "
                    "--include-startup, --source-root DIR\n",
                    argv[optind - 1], ls_review_renderer_names());
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr,
                "loopstall diff: expected two reports: loopstall diff BASE.json HEAD.json\n");
        return 2;
    }
    const struct ls_renderer *r;
    char root[PATH_MAX];
    if (ls_review_format("diff", format, out_path, &r) != 0) return 2;
    if (ls_source_root(root_arg, root, sizeof root) != 0) return 2;
    json_t *base = ls_merge_files(&argv[optind], 1);
    json_t *head = base ? ls_merge_files(&argv[optind + 1], 1) : NULL;
    if (!base || !head) {
        json_decref(base);
        json_decref(head);
        return 2;
    }
    ls_finish_report(base);
    ls_finish_report(head);
    json_t *review = ls_diff_review(base, head, argv[optind], argv[optind + 1], phases, root);
    int rc = ls_review_write(review, r, out_path);
    json_int_t added =
        json_integer_value(json_object_get(json_object_get(review, "counts"), "new"));
    json_decref(review);
    json_decref(base);
    json_decref(head);
    return rc ? 2 : added ? 1 : 0;
}
