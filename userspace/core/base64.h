/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Standard base64 (RFC 4648, with padding), as JSON gateways carry bytes (etcd's). */
#ifndef FL_CORE_BASE64_H
#define FL_CORE_BASE64_H

#include <stddef.h>

/* Characters fl_base64_encode writes for len bytes (no NUL). */
#define FL_BASE64_LEN(len) (((len) + 2) / 3 * 4)

/* Encodes len bytes into out (FL_BASE64_LEN(len) chars, then a NUL). */
void fl_base64_encode(char *out, const void *buf, size_t len);
/* Decodes n chars into out (room for n / 4 * 3 bytes): 0 and *ret_len, or -EINVAL. */
int fl_base64_decode(void *out, const char *s, size_t n, size_t *ret_len);

#endif /* FL_CORE_BASE64_H */
