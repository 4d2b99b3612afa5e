// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>

#include "core/base64.h"

static const char enc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void fl_base64_encode(char *out, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*out++ = enc[v >> 18];
		*out++ = enc[(v >> 12) & 63];
		*out++ = enc[(v >> 6) & 63];
		*out++ = enc[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

		*out++ = enc[v >> 18];
		*out++ = enc[(v >> 12) & 63];
		*out++ = i + 1 < len ? enc[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

static int dec(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int fl_base64_decode(void *out, const char *s, size_t n, size_t *ret_len)
{
	unsigned char *o = out;
	size_t pad = 0;

	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad = n >= 2 && s[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d = dec(s[i + j]);

			if (d < 0) {
				if (i + 4 != n || j < 4 - pad)
					return -EINVAL;
				d = 0;
			}
			v = v << 6 | (uint32_t)d;
		}
		*o++ = (unsigned char)(v >> 16);
		if (i + 4 != n || pad < 2)
			*o++ = (unsigned char)(v >> 8);
		if (i + 4 != n || pad < 1)
			*o++ = (unsigned char)v;
	}
	*ret_len = (size_t)(o - (unsigned char *)out);
	return 0;
}
