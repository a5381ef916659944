/* html_escape.c -- everything a report says reaches the HTML page through here: a report is
 * untrusted input (names, paths and argv come from the observed program). */
#include <stdlib.h>
#include <string.h>

#include "html.h"

void ls_html_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

int ls_html_json(FILE *out, json_t *v)
{
    /* ASCII only, so U+2028 and U+2029 arrive escaped; '<', '>' and '&' only
     * occur inside JSON strings, where \u escapes mean the same to JSON.parse
     * and "</script>" or "<!--" can no longer end or hide the element. */
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!s) return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '<')
            fputs("\\u003c", out);
        else if (*p == '>')
            fputs("\\u003e", out);
        else if (*p == '&')
            fputs("\\u0026", out);
        else
            fputc(*p, out);
    }
    free(s);
    return 0;
}

const char *ls_html_class(const char *cls)
{
    static const char *const known[] = {"blocking", "cpu", "mixed", "strict"};
    for (size_t i = 0; cls && i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(cls, known[i])) return known[i];
    return "other";
}
