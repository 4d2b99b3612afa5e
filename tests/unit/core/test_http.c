// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/http.c against a server in this process (a thread on a loopback
 * port): POST and GET, answers whole or in pieces, bounded as a whole (a server that
 * dribbles a byte at a time cannot stretch the deadline), refused before
 * anything was sent, cut off mid-answer; and core/base64.c's RFC 4648
 * vectors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/http.h"

enum mode { WHOLE, PIECES, DRIBBLE, SILENT, CUT, NOT_HTTP };

struct server {
	int lfd, port;
	enum mode mode;
	pthread_t t;
	char got[4096];
};

static void *serve(void *arg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: 11\r\n\r\n{\"a\":\"b c\"}";
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	size_t n = 0;

	if (fd < 0)
		return NULL;
	/* The request: headers and a body of Content-Length; enough to read up to the body here. */
	while (n < sizeof(s->got) - 1) {
		ssize_t r = recv(fd, s->got + n, sizeof(s->got) - 1 - n, 0);

		if (r <= 0)
			break;
		n += (size_t)r;
		s->got[n] = '\0';
		if (strstr(s->got, "\r\n\r\n") &&
		    (strstr(s->got, "}") || !strncmp(s->got, "GET ", 4)))
			break;
	}
	switch (s->mode) {
	case WHOLE:
		send(fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL);
		break;
	case PIECES:
		for (size_t i = 0; i < sizeof(ok) - 1; i += 7) {
			send(fd, ok + i, sizeof(ok) - 1 - i < 7 ? sizeof(ok) - 1 - i : 7, MSG_NOSIGNAL);
			usleep(2000);
		}
		sleep(2); /* the length says when it is whole: no need to wait for the close */
		break;
	case DRIBBLE:
		for (size_t i = 0; i < sizeof(ok) - 1 && i < 30; i++) {
			send(fd, ok + i, 1, MSG_NOSIGNAL);
			usleep(50000);
		}
		break;
	case SILENT:
		sleep(2);
		break;
	case CUT:
		send(fd, ok, sizeof(ok) - 5, MSG_NOSIGNAL);
		break;
	case NOT_HTTP:
		send(fd, "SSH-2.0-x\r\n", 11, MSG_NOSIGNAL);
		break;
	}
	close(fd);
	return NULL;
}

static void start(struct server *s, enum mode m)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->mode = m;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->t, NULL, serve, s), 0);
}

static void finish(struct server *s)
{
	pthread_join(s->t, NULL);
	close(s->lfd);
}

static double secs(uint64_t t0)
{
	return (double)(fl_now_ns() - t0) / 1e9;
}

static void test_whole_and_pieces(void **state)
{
	struct server s;
	json_t *j = NULL;
	uint64_t t0;

	(void)state;
	start(&s, WHOLE);
	assert_int_equal(fl_http_post_json("127.0.0.1", s.port, "/v3/kv/range", "{\"k\":1}", 2000,
					   &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "b c");
	json_decref(j);
	finish(&s);
	assert_non_null(strstr(s.got, "POST /v3/kv/range HTTP/1.0\r\n"));
	assert_non_null(strstr(s.got, "Content-Length: 7\r\n"));

	start(&s, PIECES);
	t0 = fl_now_ns();
	assert_int_equal(fl_http_post_json("localhost", s.port, "/x", "{}", 2000, &j), 0);
	assert_true(secs(t0) < 1.0);
	json_decref(j);
	finish(&s);
}

/* A server that answers a byte every 50 ms never resets the clock: the whole exchange is 300 ms. */
static void test_bounded_as_a_whole(void **state)
{
	struct fl_http_reply r;
	struct server s;
	bool sent = false;
	uint64_t t0;
	double took;

	(void)state;
	start(&s, DRIBBLE);
	t0 = fl_now_ns();
	assert_int_equal(fl_http_post("127.0.0.1", s.port, "/x", "{}", 2, 300, &r, &sent),
			 -ETIMEDOUT);
	took = secs(t0);
	assert_true(sent);
	assert_true(took >= 0.29 && took < 0.6);
	finish(&s);

	start(&s, SILENT);
	t0 = fl_now_ns();
	assert_int_equal(fl_http_post("127.0.0.1", s.port, "/x", "{}", 2, 300, &r, &sent),
			 -ETIMEDOUT);
	assert_true(sent);
	assert_true(secs(t0) < 0.6);
	finish(&s);
}

static void test_refused_cut_not_http(void **state)
{
	struct fl_http_reply r;
	struct server s;
	bool sent = true;
	json_t *j = NULL;
	int port;

	(void)state;
	start(&s, CUT);
	port = s.port;
	assert_int_equal(fl_http_post("127.0.0.1", port, "/x", "{}", 2, 2000, &r, &sent), -EPROTO);
	finish(&s);
	/* Nobody listens there now: refused, and nothing left. */
	assert_int_equal(fl_http_post("127.0.0.1", port, "/x", "{}", 2, 2000, &r, &sent),
			 -ECONNREFUSED);
	assert_false(sent);
	assert_int_equal(fl_http_reachable("127.0.0.1", port, 500), -ECONNREFUSED);

	start(&s, NOT_HTTP);
	assert_int_equal(fl_http_post_json("127.0.0.1", s.port, "/x", "{}", 2000, &j), -EPROTO);
	finish(&s);

	assert_int_equal(fl_http_check_host("::1"), 0);
	assert_int_equal(fl_http_check_host("localhost"), 0);
	assert_int_equal(fl_http_check_host("etcd.example"), -EINVAL);
}

/* GET: a head only; the reply whatever its status; bounded; refused. */
static void test_get(void **state)
{
	struct fl_http_reply r;
	struct server s;
	uint64_t t0;
	int port;

	(void)state;
	start(&s, PIECES);
	assert_int_equal(fl_http_get("127.0.0.1", s.port, "/leader", 2000, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"a\":\"b c\"}");
	assert_int_equal(r.len, 11);
	free(r.body);
	finish(&s);
	assert_non_null(strstr(s.got, "GET /leader HTTP/1.0\r\n"));
	assert_null(strstr(s.got, "Content-Length"));

	start(&s, DRIBBLE);
	t0 = fl_now_ns();
	assert_int_equal(fl_http_get("127.0.0.1", s.port, "/x", 300, &r), -ETIMEDOUT);
	assert_true(secs(t0) < 0.6);
	finish(&s);

	start(&s, CUT);
	port = s.port;
	assert_int_equal(fl_http_get("127.0.0.1", port, "/x", 2000, &r), -EPROTO);
	finish(&s);
	assert_int_equal(fl_http_get("127.0.0.1", port, "/x", 2000, &r), -ECONNREFUSED);
}

static void test_base64(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char bin[256], back[256];
	char out[512];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		fl_base64_encode(out, vec[i][0], strlen(vec[i][0]));
		assert_string_equal(out, vec[i][1]);
		assert_int_equal(strlen(out), FL_BASE64_LEN(strlen(vec[i][0])));
		assert_int_equal(fl_base64_decode(back, out, strlen(out), &n), 0);
		assert_int_equal(n, strlen(vec[i][0]));
		assert_memory_equal(back, vec[i][0], n);
	}
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(255 - i);
	fl_base64_encode(out, bin, sizeof(bin));
	assert_int_equal(fl_base64_decode(back, out, strlen(out), &n), 0);
	assert_int_equal(n, sizeof(bin));
	assert_memory_equal(back, bin, n);
	assert_int_equal(fl_base64_decode(back, "Zm9", 3, &n), -EINVAL);
	assert_int_equal(fl_base64_decode(back, "Zm=v", 4, &n), -EINVAL);
	assert_int_equal(fl_base64_decode(back, "Z!9v", 4, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_pieces),
		cmocka_unit_test(test_bounded_as_a_whole),
		cmocka_unit_test(test_refused_cut_not_http),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests_name("core http and base64", tests, NULL, NULL);
}
