/* The exporter's HTTP server: a small HTTP/1.0 server on its own thread, one poll()
 * loop over non-blocking sockets, that serves the last published body at /metrics.
 * The collector never waits for it: publishing swaps a buffer under a mutex, and a
 * slow or stuck client costs the server thread a socket slot until its deadline, not
 * the collector a tick. Every scraper is served the same complete interval's text.
 *
 * GET and HEAD only (405 otherwise); /metrics, and / with a pointer to it; 404 for
 * any other path; 400 for what is not an HTTP request; a request head over 8 KiB is
 * 431; a client that has not sent its request within 10 s is dropped. At most 64
 * connections at once: more wait in the listen backlog. */
#ifndef NL_ENGINE_HTTPD_H
#define NL_ENGINE_HTTPD_H

#include <stddef.h>

struct nl_httpd;

/* Whether s has the form --listen takes (no lookup, no bind): 0 or -1. */
int nl_httpd_listen_syntax(const char *s);
/* Binds and listens on "HOST:PORT", ":PORT" (every address) or "[V6]:PORT". The
 * thread does not run yet. 0, or -1 with the reason in err. */
int nl_httpd_open(const char *listen, struct nl_httpd **out, char *err, size_t errlen);
/* The address actually bound ("0.0.0.0:9747"), for messages. */
const char *nl_httpd_address(const struct nl_httpd *h);
/* Starts serving (signals stay with the caller's thread). 0, or -errno. */
int nl_httpd_start(struct nl_httpd *h);
/* Replaces what /metrics serves (copied). 0 or -ENOMEM (the old body stays). */
int nl_httpd_publish(struct nl_httpd *h, const char *body, size_t len);
/* Requests served so far, by status class, for the summary. */
void nl_httpd_counts(struct nl_httpd *h, unsigned long *ok, unsigned long *errors);
/* Stops the thread, closes every socket, frees h; safe on NULL. */
void nl_httpd_close(struct nl_httpd *h);

#endif
