/* svgplot.c -- writes the stress lab's p99-versus-load plot as SVG, by hand. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "svgplot.h"

#define W  640
#define H  420
#define ML 70 /* margins: room for tick labels and axis titles */
#define MR 20
#define MT 40
#define MB 60

struct frame {
    double x0, x1, ly0, ly1; /* x range and log10 y range */
};

static double px(const struct frame *f, double x)
{
    return ML + (x - f->x0) / (f->x1 - f->x0) * (W - ML - MR);
}

static double py(const struct frame *f, double y)
{
    double ly = log10(y > 0 ? y : 1e-9);
    if (ly < f->ly0) ly = f->ly0;
    return H - MB - (ly - f->ly0) / (f->ly1 - f->ly0) * (H - MT - MB);
}

int lab_svg_plot(const char *path, const char *title, const char *xlabel, const char *ylabel,
                 const struct lab_series *s, size_t nseries, double hline_y,
                 const char *hline_label)
{
    struct frame f = {1e30, -1e30, 1e30, -1e30};
    for (size_t i = 0; i < nseries; i++) {
        for (size_t k = 0; k < s[i].n; k++) {
            f.x0 = fmin(f.x0, s[i].x[k]);
            f.x1 = fmax(f.x1, s[i].x[k]);
            if (s[i].y[k] > 0) {
                f.ly0 = fmin(f.ly0, floor(log10(s[i].y[k])));
                f.ly1 = fmax(f.ly1, ceil(log10(s[i].y[k])));
            }
        }
    }
    if (f.x0 > f.x1) f.x0 = 0, f.x1 = 1;
    if (f.x0 == f.x1) f.x1 = f.x0 + 1;
    if (f.ly0 > f.ly1) f.ly0 = 0, f.ly1 = 1;
    if (hline_y > 0) f.ly0 = fmin(f.ly0, floor(log10(hline_y)));
    if (f.ly0 == f.ly1) f.ly1 = f.ly0 + 1;

    FILE *o = fopen(path, "we");
    if (!o) return -errno;
    fprintf(o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
            W, H, W / 2, title);
    /* Decades on y with light grid lines; ticks on x at every data point of the first series. */
    for (double d = f.ly0; d <= f.ly1 + 1e-9; d += 1) {
        double y = py(&f, pow(10, d));
        fprintf(o,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                ML, y, W - MR, y, ML - 6, y + 4, pow(10, d));
    }
    for (size_t k = 0; nseries && k < s[0].n; k++) {
        double x = px(&f, s[0].x[k]);
        fprintf(o,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\"/>\n"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%gx</text>\n",
                x, H - MB, x, H - MB + 5, x, H - MB + 18, s[0].x[k]);
    }
    fprintf(o,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n"
            "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s"
            "</text>\n",
            ML, H - MB, W - MR, H - MB, ML, MT, ML, H - MB, (ML + W - MR) / 2, H - 16, xlabel,
            (MT + H - MB) / 2, (MT + H - MB) / 2, ylabel);
    if (hline_y > 0) {
        double y = py(&f, hline_y);
        fprintf(o,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#888\" "
                "stroke-dasharray=\"5,4\"/>\n"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%s</text>\n",
                ML, y, W - MR, y, W - MR - 4, y - 5, hline_label);
    }
    for (size_t i = 0; i < nseries; i++) {
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                s[i].color, s[i].dashed ? " stroke-dasharray=\"6,3\"" : "");
        for (size_t k = 0; k < s[i].n; k++)
            fprintf(o, "%s%.1f,%.1f", k ? " " : "", px(&f, s[i].x[k]), py(&f, s[i].y[k]));
        fprintf(o, "\"/>\n");
        for (size_t k = 0; k < s[i].n; k++)
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(&f, s[i].x[k]),
                    py(&f, s[i].y[k]), s[i].color);
        fprintf(o,
                "<line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" stroke=\"%s\" "
                "stroke-width=\"3\"%s/>\n"
                "<text x=\"%d\" y=\"%zu\">%s</text>\n",
                ML + 12, MT + 9 + 18 * i, ML + 26, MT + 9 + 18 * i, s[i].color,
                s[i].dashed ? " stroke-dasharray=\"4,2\"" : "", ML + 32, MT + 13 + 18 * i,
                s[i].name);
    }
    fprintf(o, "</svg>\n");
    return fclose(o) ? -errno : 0;
}
