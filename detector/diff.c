/* diff.c -- `loopstall diff`: which stall sites a change added, removed or made worse. Exit 1 on
 * new sites. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "format.h"
#include "merge.h"
#include "output.h"
#include "review.h"
#include "review_args.h"
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
    struct ls_review_args a;
    int at = ls_review_args_parse("diff", argc, argv, 2, "loopstall diff BASE.json HEAD.json", &a);
    if (at < 0) return 2;
    json_t *base = ls_merge_files(&argv[at], 1);
    json_t *head = base ? ls_merge_files(&argv[at + 1], 1) : NULL;
    if (!base || !head) {
        json_decref(base);
        json_decref(head);
        return 2;
    }
    ls_finish_report(base);
    ls_finish_report(head);
    json_t *review = ls_diff_review(base, head, argv[at], argv[at + 1], a.phases, a.source_root);
    int rc = ls_write_rendered(review, a.format->review, a.out_path ? a.out_path : "-");
    json_int_t added =
        json_integer_value(json_object_get(json_object_get(review, "counts"), "new"));
    json_decref(review);
    json_decref(base);
    json_decref(head);
    return rc ? 2 : added ? 1 : 0;
}
