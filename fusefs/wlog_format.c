// SPDX-License-Identifier: GPL-2.0-only
/*
 * Formatting of write-log lines. Written by hand rather than with jansson:
 * paths are arbitrary bytes, and the log must keep them exactly (jansson
 * refuses strings that are not UTF-8).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <faultline/rule.h>

#include "wlog_priv.h"

static const char *const kind_names[] = {
	[FFS_WLOG_WRITE] = "write", [FFS_WLOG_TRUNCATE] = "truncate",
	[FFS_WLOG_FALLOCATE] = "fallocate", [FFS_WLOG_FSYNC] = "fsync",
	[FFS_WLOG_FDATASYNC] = "fdatasync", [FFS_WLOG_SYNCFS] = "syncfs",
	[FFS_WLOG_FSYNCDIR] = "fsyncdir", [FFS_WLOG_CREATE] = "create",
	[FFS_WLOG_MKDIR] = "mkdir", [FFS_WLOG_MKNOD] = "mknod",
	[FFS_WLOG_SYMLINK] = "symlink", [FFS_WLOG_LINK] = "link",
	[FFS_WLOG_UNLINK] = "unlink", [FFS_WLOG_RMDIR] = "rmdir",
	[FFS_WLOG_RENAME] = "rename", [FFS_WLOG_FAULT] = "fault",
	[FFS_WLOG_POWERCUT] = "powercut", [FFS_WLOG_LIMIT] = "limit",
	[FFS_WLOG_SNAPSHOT] = "snapshot",
};

const char *ffs_wlog_kind_name(enum ffs_wlog_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]) || !kind_names[kind])
		return "unknown";
	return kind_names[kind];
}

static bool sbuf_reserve(struct ffs_sbuf *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	s = b->borrowed ? malloc(cap) : realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	if (b->borrowed && b->len)
		memcpy(s, b->s, b->len);
	b->borrowed = false;
	b->s = s;
	b->cap = cap;
	return true;
}

void ffs_sbuf_add(struct ffs_sbuf *b, const char *s, size_t n)
{
	if (!sbuf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void ffs_sbuf_printf(struct ffs_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ffs_sbuf_free(struct ffs_sbuf *b)
{
	if (!b->borrowed)
		free(b->s);
	memset(b, 0, sizeof(*b));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool ffs_json_string(struct ffs_sbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	bool exact = true;
	size_t i = 0, run;

	ffs_sbuf_add(b, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];

		/* Plain ASCII in one copy: most paths are nothing else. */
		for (run = 0; i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x7f &&
			      s[i + run] != '"' && s[i + run] != '\\'; run++)
			;
		if (run) {
			ffs_sbuf_add(b, (const char *)s + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			ffs_sbuf_add(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			ffs_sbuf_printf(b, "\\u%04x", c);
			i++;
		} else if ((run = utf8_len(s + i, n - i))) {
			ffs_sbuf_add(b, (const char *)s + i, run);
			i += run;
		} else {
			ffs_sbuf_add(b, "\\ufffd", 6);
			exact = false;
			i++;
		}
	}
	ffs_sbuf_add(b, "\"", 1);
	return exact;
}

void ffs_base64(struct ffs_sbuf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4];

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		out[0] = tab[(v >> 18) & 63];
		out[1] = tab[(v >> 12) & 63];
		out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[3] = i + 2 < n ? tab[v & 63] : '=';
		ffs_sbuf_add(b, out, 4);
	}
}

/* Decimal digits of v at the end of buf[20]; returns where they start. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/*
 * Integers by hand: the log formats a line per operation, and printf's
 * format parsing was most of its formatting cost (two lines per create +
 * unlink cycle).
 */
static void add_u64(struct ffs_sbuf *b, uint64_t v)
{
	char buf[20], *end = buf + sizeof(buf), *p = u64_digits(end, v);

	ffs_sbuf_add(b, p, (size_t)(end - p));
}

static void add_i64(struct ffs_sbuf *b, int64_t v)
{
	char buf[21], *end = buf + sizeof(buf), *p;

	p = u64_digits(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	ffs_sbuf_add(b, p, (size_t)(end - p));
}

#define ADD_LIT(b, lit) ffs_sbuf_add((b), (lit), sizeof(lit) - 1)

static void add_str(struct ffs_sbuf *b, const char *s)
{
	ffs_sbuf_add(b, s, strlen(s));
}

static void path_field(struct ffs_sbuf *b, const char *key, const char *path)
{
	size_t n = strlen(path);

	ADD_LIT(b, ",\"");
	add_str(b, key);
	ADD_LIT(b, "\":");
	if (ffs_json_string(b, path, n))
		return;
	ADD_LIT(b, ",\"");
	add_str(b, key);
	ADD_LIT(b, "_b64\":\"");
	ffs_base64(b, (const unsigned char *)path, n);
	ffs_sbuf_add(b, "\"", 1);
}

/* A detail that is a JSON object is embedded as one; anything else is a string. */
static void detail_field(struct ffs_sbuf *b, const char *detail)
{
	json_t *obj = NULL;
	char *dump = NULL;

	ffs_sbuf_add(b, ",\"detail\":", 10);
	if (detail[0] == '{')
		obj = json_loads(detail, JSON_REJECT_DUPLICATES, NULL);
	if (obj && json_is_object(obj))
		dump = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (dump)
		ffs_sbuf_add(b, dump, strlen(dump));
	else
		ffs_json_string(b, detail, strlen(detail));
	free(dump);
	json_decref(obj);
}

int ffs_wlog_format_body(const struct ffs_wlog_entry *e, struct ffs_sbuf *b)
{
	static const char hex[] = "0123456789abcdef";
	const char *ename;

	ADD_LIT(b, ",\"op\":\"");
	add_str(b, ffs_wlog_kind_name(e->kind));
	ADD_LIT(b, "\"");
	path_field(b, "path", e->path ? e->path : "");
	if (e->path2)
		path_field(b, "path2", e->path2);
	ADD_LIT(b, ",\"ino\":");
	add_u64(b, e->ino);
	ADD_LIT(b, ",\"off\":");
	add_i64(b, e->off);
	ADD_LIT(b, ",\"len\":");
	add_u64(b, e->len);
	if (e->kind == FFS_WLOG_WRITE) {
		char crc[8];

		for (int i = 0; i < 8; i++)
			crc[i] = hex[(e->crc32 >> (28 - 4 * i)) & 0xf];
		ADD_LIT(b, ",\"crc32\":\"");
		ffs_sbuf_add(b, crc, sizeof(crc));
		ADD_LIT(b, "\"");
	}
	if (!e->result) {
		ADD_LIT(b, ",\"result\":0");
	} else {
		ename = fl_errno_name(e->result < 0 ? -e->result : e->result);
		ADD_LIT(b, ",\"result\":");
		if (ename) {
			ADD_LIT(b, "\"");
			add_str(b, ename);
			ADD_LIT(b, "\"");
		} else {
			add_i64(b, e->result);
		}
	}
	if (e->detail)
		detail_field(b, e->detail);
	ADD_LIT(b, "}\n");
	return b->oom ? -ENOMEM : 0;
}

size_t ffs_wlog_format_prefix(char *buf, struct ffs_wlog_clock *c, uint64_t seq, uint64_t ts_ns,
			      const struct timespec *rt)
{
	char digits[20], *end = digits + sizeof(digits), *p;
	long us = rt->tv_nsec / 1000;
	size_t n = 0;

	/* The calendar part changes once a second: gmtime and strftime only then. */
	if (!c->valid || c->sec != rt->tv_sec) {
		struct tm tm;

		gmtime_r(&rt->tv_sec, &tm);
		c->len = strftime(c->when, sizeof(c->when), "%Y-%m-%dT%H:%M:%S", &tm);
		c->sec = rt->tv_sec;
		c->valid = true;
	}
#define PUT(s, l) (memcpy(buf + n, (s), (l)), n += (l))
	PUT("{\"seq\":", 7);
	p = u64_digits(end, seq);
	PUT(p, (size_t)(end - p));
	PUT(",\"ts_ns\":", 9);
	p = u64_digits(end, ts_ns);
	PUT(p, (size_t)(end - p));
	PUT(",\"time\":\"", 9);
	PUT(c->when, c->len);
	buf[n++] = '.';
	for (int i = 5; i >= 0; i--, us /= 10)
		buf[n + (size_t)i] = (char)('0' + us % 10);
	n += 6;
	PUT("Z\"", 2);
#undef PUT
	return n;
}
