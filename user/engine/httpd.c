#include "engine/httpd.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define MAX_CLIENTS 64
#define MAX_HEAD 8192
#define LANDING "<html><body><a href=\"/metrics\">numalens metrics</a></body></html>\n"
#define CLIENT_TIMEOUT_NS (10ULL * 1000000000ULL)

struct client {
	int fd;                /* -1: free slot */
	char in[MAX_HEAD];
	size_t in_len;
	char *out;             /* the whole response, once the request is read */
	size_t out_len, out_off;
	uint64_t deadline;     /* CLOCK_MONOTONIC */
};

struct nl_httpd {
	int listen_fd;
	int wake[2];           /* a byte here stops the thread */
	char address[96];
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;  /* guards body, body_len and the counts */
	char *body;
	size_t body_len;
	unsigned long ok, errors;
	struct client clients[MAX_CLIENTS];
};

/* "HOST:PORT", ":PORT", "[V6]:PORT" into host (NULL: any) and port. */
static int split_listen(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -1;
		snprintf(host, hlen, "%.*s", (int)(end - s - 1), s + 1);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(colon - s), s);
	}
	int p;
	if (nl_parse_int(colon + 1, 1, 65535, &p))
		return -1;
	snprintf(port, plen, "%d", p);
	return 0;
}

int nl_httpd_listen_syntax(const char *s)
{
	char host[64], port[8];

	return split_listen(s, host, sizeof(host), port, sizeof(port));
}

static int bind_listen(struct nl_httpd *h, const char *listen_on, char *err, size_t errlen)
{
	char host[64], port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res, *ai;
	int rc, last = 0;

	if (split_listen(listen_on, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT (e.g. :9747, 127.0.0.1:9747, [::1]:9747)",
			 listen_on);
		return -1;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s: %s", listen_on, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
			char hb[64] = "", pb[8] = "";
			getnameinfo(ai->ai_addr, ai->ai_addrlen, hb, sizeof(hb), pb, sizeof(pb),
				    NI_NUMERICHOST | NI_NUMERICSERV);
			snprintf(h->address, sizeof(h->address), ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
				 hb, pb);
			h->listen_fd = fd;
			freeaddrinfo(res);
			return 0;
		}
		last = errno;
		close(fd);
	}
	freeaddrinfo(res);
	snprintf(err, errlen, "cannot listen on %s: %s", listen_on, strerror(last ? last : EINVAL));
	return -1;
}

int nl_httpd_open(const char *listen_on, struct nl_httpd **out, char *err, size_t errlen)
{
	struct nl_httpd *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->listen_fd = -1;
	h->wake[0] = h->wake[1] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		h->clients[i].fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	if (bind_listen(h, listen_on, err, errlen))
		goto fail;
	if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	*out = h;
	return 0;
fail:
	nl_httpd_close(h);
	return -1;
}

const char *nl_httpd_address(const struct nl_httpd *h)
{
	return h->address;
}

int nl_httpd_publish(struct nl_httpd *h, const char *body, size_t len)
{
	char *copy = malloc(len + 1), *old;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->lock);
	old = h->body;
	h->body = copy;
	h->body_len = len;
	pthread_mutex_unlock(&h->lock);
	free(old);
	return 0;
}

void nl_httpd_counts(struct nl_httpd *h, unsigned long *ok, unsigned long *errors)
{
	pthread_mutex_lock(&h->lock);
	*ok = h->ok;
	*errors = h->errors;
	pthread_mutex_unlock(&h->lock);
}

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

/* The response, headers and (unless HEAD) body, into c->out. */
static void respond(struct nl_httpd *h, struct client *c, int status, const char *reason,
		    const char *type, const char *body, size_t len, bool head, const char *extra)
{
	char hdr[320];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n",
			 status, reason, type, len, extra ? extra : "");
	size_t blen = head ? 0 : len;

	c->out = malloc((size_t)n + blen);
	if (!c->out) {
		drop(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (blen)
		memcpy(c->out + n, body, blen);
	c->out_len = (size_t)n + blen;
	c->out_off = 0;
	if (status == 200)
		h->ok++;
	else
		h->errors++;
}

static void respond_text(struct nl_httpd *h, struct client *c, int status, const char *reason,
			 const char *text, bool head, const char *extra)
{
	respond(h, c, status, reason, "text/plain; charset=utf-8", text, strlen(text), head, extra);
}

/* A complete request head in c->in: answer it. */
static void handle(struct nl_httpd *h, struct client *c)
{
	char method[16], target[1024], version[16];
	bool head;

	c->in[c->in_len] = '\0';
	if (sscanf(c->in, "%15s %1023s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/", 5)) {
		pthread_mutex_lock(&h->lock);
		respond_text(h, c, 400, "Bad Request", "bad request\n", false, NULL);
		pthread_mutex_unlock(&h->lock);
		return;
	}
	head = !strcmp(method, "HEAD");
	target[strcspn(target, "?#")] = '\0';
	pthread_mutex_lock(&h->lock);
	if (!head && strcmp(method, "GET"))
		respond_text(h, c, 405, "Method Not Allowed", "only GET and HEAD\n", false,
			     "Allow: GET, HEAD\r\n");
	else if (!strcmp(target, "/metrics") && h->body)
		respond(h, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", h->body,
			h->body_len, head, NULL);
	else if (!strcmp(target, "/metrics"))
		respond_text(h, c, 503, "Service Unavailable", "no interval collected yet\n", head, NULL);
	else if (!strcmp(target, "/"))
		respond(h, c, 200, "OK", "text/html; charset=utf-8", LANDING, strlen(LANDING), head, NULL);
	else
		respond_text(h, c, 404, "Not Found", "not found: the metrics are at /metrics\n", head, NULL);
	pthread_mutex_unlock(&h->lock);
}

static bool head_complete(const struct client *c)
{
	return memmem(c->in, c->in_len, "\r\n\r\n", 4) || memmem(c->in, c->in_len, "\n\n", 2);
}

static void on_readable(struct nl_httpd *h, struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c); /* closed or reset before a whole request */
		return;
	}
	c->in_len += (size_t)n;
	if (head_complete(c))
		handle(h, c);
	else if (c->in_len >= sizeof(c->in) - 1) {
		pthread_mutex_lock(&h->lock);
		respond_text(h, c, 431, "Request Header Fields Too Large", "request head too large\n",
			     false, NULL);
		pthread_mutex_unlock(&h->lock);
	}
}

static void on_writable(struct client *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		drop(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		shutdown(c->fd, SHUT_WR);
		drop(c);
	}
}

/* 0, or -1 when accepting failed for another reason than an empty backlog (EMFILE):
 * then the listening socket is left out of poll for a while, not polled in a spin. */
static int accept_clients(struct nl_httpd *h)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &h->clients[i];
		if (c->fd >= 0)
			continue;
		int fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -1;
		*c = (struct client){ .fd = fd,
				      .deadline = nl_now_ns(CLOCK_MONOTONIC) + CLIENT_TIMEOUT_NS };
	}
	return 0;
}

static void *serve(void *arg)
{
	struct nl_httpd *h = arg;
	struct pollfd pfd[MAX_CLIENTS + 2];
	int idx[MAX_CLIENTS + 2];
	uint64_t accept_after = 0; /* CLOCK_MONOTONIC; after an accept error */

	for (;;) {
		int n = 0, free_slots = 0;
		uint64_t now = nl_now_ns(CLOCK_MONOTONIC);

		pfd[n++] = (struct pollfd){ .fd = h->wake[0], .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &h->clients[i];
			if (c->fd < 0) {
				free_slots++;
				continue;
			}
			if (now > c->deadline) {
				drop(c);
				free_slots++;
				continue;
			}
			idx[n] = i;
			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
		}
		/* a full table leaves new connections in the backlog */
		int lpos = -1;
		if (free_slots && now >= accept_after) {
			lpos = n;
			pfd[n++] = (struct pollfd){ .fd = h->listen_fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, now < accept_after ? 100 : 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (int k = 1; k < n; k++) {
			if (k == lpos || !pfd[k].revents)
				continue;
			struct client *c = &h->clients[idx[k]];
			if (c->out)
				on_writable(c);
			else
				on_readable(h, c);
		}
		if (lpos >= 0 && pfd[lpos].revents && accept_clients(h))
			accept_after = nl_now_ns(CLOCK_MONOTONIC) + 100000000ULL;
	}
	return NULL;
}

int nl_httpd_start(struct nl_httpd *h)
{
	sigset_t all, old;
	int rc;

	/* the thread takes no signal: they stay with the session's ppoll() */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	h->running = true;
	return 0;
}

void nl_httpd_close(struct nl_httpd *h)
{
	if (!h)
		return;
	if (h->running) {
		char b = 1;
		if (write(h->wake[1], &b, 1) < 0) {
			/* the pipe is empty and ours: this cannot fail short of EBADF */
		}
		pthread_join(h->thread, NULL);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		drop(&h->clients[i]);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->wake[0] >= 0)
		close(h->wake[0]);
	if (h->wake[1] >= 0)
		close(h->wake[1]);
	pthread_mutex_destroy(&h->lock);
	free(h->body);
	free(h);
}
