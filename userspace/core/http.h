/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Just enough HTTP/1.0 to ask a server a JSON question (etcd's v3
 * gateway): one connection per request, closed by the server after its
 * answer. Bounded in time as a whole: a server that is paused or cut off
 * makes the caller wait timeout_ms at most, never a TCP retransmission
 * series. The host is a numeric IPv4 or IPv6 address, or "localhost"
 * (no name lookup: it could block past any deadline).
 */
#ifndef FL_CORE_HTTP_H
#define FL_CORE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* A reply's body is refused (-EFBIG) past this many bytes. */
#define FL_HTTP_MAX_REPLY (256u << 20)

struct fl_http_reply {
	int status;                  /* 200, 404, 503, ... */
	char *body;                  /* malloc'd, NUL-terminated */
	size_t len;
};

/*
 * POST body (len bytes, Content-Type: application/json) to
 * http://host:port/path and read the whole reply into *ret (free its
 * body). 0 whatever the status, or -errno: -ECONNREFUSED, -ETIMEDOUT,
 * -EPROTO (not HTTP), ... ret_sent (may be NULL) says, also on failure,
 * whether any byte of the request left: if none did, the server cannot
 * have acted on it.
 */
int fl_http_post(const char *host, int port, const char *path, const char *body, size_t len,
		 int timeout_ms, struct fl_http_reply *ret, bool *ret_sent);

/* The same for a JSON question whose answer must be 200 and JSON: *ret (json_decref it). */
int fl_http_post_json(const char *host, int port, const char *path, const char *body,
		      int timeout_ms, json_t **ret);

/*
 * GET http://host:port/path and read the whole reply into *ret (free its
 * body), bounded as POST is. 0 whatever the status, or -errno. Patroni's
 * REST API answers its questions (who leads) by the status of a GET.
 */
int fl_http_get(const char *host, int port, const char *path, int timeout_ms,
		struct fl_http_reply *ret);

/* Is host one this client takes (an address, localhost)? 0 or -EINVAL; no I/O. */
int fl_http_check_host(const char *host);

/* Can a TCP connection to host:port be opened within timeout_ms? 0 or -errno. */
int fl_http_reachable(const char *host, int port, int timeout_ms);

#endif /* FL_CORE_HTTP_H */
