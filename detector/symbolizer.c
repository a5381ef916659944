/* symbolizer.c -- `loopstall-symbolizer`: names native frames for the command, with libdw.
 *
 * The command is linked statically where it can be (a `loopstall run` of a
 * short command pays no dynamic loader then), and a static program cannot
 * load libdw. So the command starts this helper when, and only when, a
 * report has native frames to name (symbolizer_client.c): it reads one JSON
 * array of questions on stdin, [{"module": "/path", "offset": "0x1a2b",
 * "build_id": "..." or null}, ...], and writes one array of answers, in the
 * same order, on stdout: {"symbol", "file", "line"} where known, {} where not.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native_names.h"

static int bad_input(const char *why)
{
    fprintf(stderr,
            "loopstall-symbolizer: %s: expected on stdin one JSON array of "
            "{\"module\": PATH, \"offset\": \"0xHEX\", \"build_id\": HEX or null}\n",
            why);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "--help")) {
            puts("usage: loopstall-symbolizer < QUESTIONS.json > ANSWERS.json\n"
                 "Names native frames for loopstall (started by it; not meant to be run by hand).");
            return 0;
        }
        fprintf(stderr, "loopstall-symbolizer: unexpected argument \"%s\": it takes none\n",
                argv[1]);
        return 2;
    }
    json_error_t e;
    json_t *questions = json_loadf(stdin, 0, &e);
    if (!questions) return bad_input(e.text);
    if (!json_is_array(questions)) {
        json_decref(questions);
        return bad_input("not an array");
    }
    struct ls_native_names *names = ls_native_names_new();
    json_t *answers = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(questions, i, q)
    {
        const char *module = json_string_value(json_object_get(q, "module"));
        const char *offset = json_string_value(json_object_get(q, "offset"));
        const char *build_id = json_string_value(json_object_get(q, "build_id"));
        if (!module || !offset) {
            json_array_append_new(answers, json_object()); /* nothing to look up: no name */
            continue;
        }
        unsigned long off = strtoul(offset, NULL, 16);
        json_array_append_new(answers, ls_native_names_look_up(names, module, off, build_id));
    }
    int rc = json_dumpf(answers, stdout, JSON_COMPACT);
    rc |= fputc('\n', stdout) == EOF;
    rc |= fflush(stdout);
    ls_native_names_free(names);
    json_decref(answers);
    json_decref(questions);
    if (rc) {
        fprintf(stderr, "loopstall-symbolizer: writing the answers failed\n");
        return 1;
    }
    return 0;
}
