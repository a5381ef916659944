/* lab-server.c -- the lab HTTP server on its own: prints its port, serves until killed. */
#include <getopt.h>
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
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'}, {"delay-ms", required_argument, NULL, 'd'},
        {"cap", required_argument, NULL, 'k'},  {"body", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "p:d:k:b:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            o.port = lab_parse_uint("--port", optarg, 0, 65535);
            break;
        case 'd':
            o.delay_ms = lab_parse_uint("--delay-ms", optarg, 0, 60000);
            break;
        case 'k':
            o.cap = lab_parse_uint("--cap", optarg, 0, 1000000);
            break;
        case 'b':
            o.body_bytes = lab_parse_uint("--body", optarg, 0, LAB_SERVER_MAX_BODY);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
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
