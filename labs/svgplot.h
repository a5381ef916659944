/* svgplot.h -- a hand-written SVG line plot: linear x, logarithmic y, one polyline per series. */
#ifndef LAB_SVGPLOT_H
#define LAB_SVGPLOT_H

#include <stddef.h>

struct lab_series {
    const char *name;
    const char *color;
    const double *x, *y;
    size_t n;
    int dashed; /* a derived series drawn dashed next to the one it comes from */
};

/* Writes the plot to path; hline_y (> 0) draws a dashed reference line labelled hline_label.
 * Returns 0 or a negative errno. */
int lab_svg_plot(const char *path, const char *title, const char *xlabel, const char *ylabel,
                 const struct lab_series *s, size_t nseries, double hline_y,
                 const char *hline_label);

#endif
