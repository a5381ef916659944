/* lab-server.c -- the lab HTTP server on its own: prints its port, serves until killed. */
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"
#include "server.h"

static void usage(FILE *f)
{
    fprintf(
        f, "usage: lab-server [--port P] [--delay-ms D] [--cap K] [--body BYTES]\n"
           "  Answers GET after D ms (default 25) from a timer; with --cap at most K requests\n"
           "  are in service and the rest wait in arrival order. GET /bytes/N asks for N bytes.\n");
}

int main(int argc, char **argv)
{
    struct lab_server_opts o = {.delay_ms = 25, .body_bytes = 2};
    unsigned body = (unsigned)o.body_bytes;
    const struct lab_opt opts[] = {{"port", LAB_UINT, &o.port, 0, 65535, NULL},
                                   {"delay-ms", LAB_UINT, &o.delay_ms, 0, 60000, NULL},
                                   {"cap", LAB_UINT, &o.cap, 0, 1000000, NULL},
                                   {"body", LAB_UINT, &body, 0, LAB_SERVER_MAX_BODY, NULL},
                                   {NULL, 0, NULL, 0, 0, NULL}};
    int status;
    if (lab_options(argc, argv, 1, opts, usage, &status) < 0) return status;
    o.body_bytes = body;
    uv_loop_t *loop = uv_default_loop();
    struct lab_server *s;
    unsigned port;
    int rc = lab_server_listen(loop, &o, &s, &port);
    if (rc < 0) {
        fprintf(stderr, "lab-server: cannot listen: %s\n", uv_strerror(rc));
        return 1;
    }
    printf("lab-server listening on 127.0.0.1:%u (delay %ums, cap %u)\n", port, o.delay_ms, o.cap);
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
