/* server.h -- the lab HTTP server: answers GET after a delay from a timer, with an optional cap. */
#ifndef LAB_SERVER_H
#define LAB_SERVER_H

#include <stddef.h>
#include <uv.h>

struct lab_server_opts {
    const char *host;  /* address to bind, "127.0.0.1" when NULL */
    unsigned port;     /* 0 picks an ephemeral port */
    unsigned delay_ms; /* time in service per request (a timer, never a block) */
    unsigned cap;      /* at most cap requests in service, the rest wait FIFO; 0: no cap */
    size_t body_bytes; /* default body size; GET /bytes/N asks for N */
};

#define LAB_SERVER_MAX_BODY (1u << 20)

struct lab_server;

/* Binds and serves on loop, which the caller runs. *port receives the bound port. */
int lab_server_listen(uv_loop_t *loop, const struct lab_server_opts *o, struct lab_server **out,
                      unsigned *port);

/* Starts a server on its own thread ("lab-server") with its own loop; returns once it listens.
 * Under loopstall that thread is a second event loop, and it must show no stall. */
int lab_server_start(const struct lab_server_opts *o, struct lab_server **out, unsigned *port);
/* Stops a server started by lab_server_start and joins its thread. */
void lab_server_stop(struct lab_server *s);

/* Requests answered so far and the most ever waiting for a slot under the cap. */
size_t lab_server_served(const struct lab_server *s);

#endif
