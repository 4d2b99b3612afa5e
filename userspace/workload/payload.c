// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Self-checking payloads. Layout, little-endian:
 *
 *   0  u32 magic "FLR1"    4  u32 total length    8  u64 record id
 *   16 u32 CRC-32C of every byte except these four  20  body from (seed, id)
 *
 * A CRC detects every single-bit error at any length, and the length and id
 * are inside what it covers, so a record read back is judged on its own:
 * no seed is needed to check it.
 */
#include <errno.h>
#include <string.h>

#include <faultline/workload.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define MAGIC   0x31524c46u /* "FLR1" */
#define OFF_LEN 4
#define OFF_ID  8
#define OFF_CRC 16
#define HDR     20

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1; /* Castagnoli, reflected */
		crc_table[i] = c;
	}
}

static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t n)
{
	uint64_t c = crc;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
	}
	crc = (uint32_t)c;
	while (n--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

static uint32_t (*crc_fn)(uint32_t, const unsigned char *, size_t);

__attribute__((constructor)) static void payload_init(void)
{
	crc_init();
	crc_fn = crc32c_sw;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_fn = crc32c_hw;
#endif
}

/* CRC-32C of buf without the CRC field. */
static uint32_t payload_crc(const unsigned char *buf, size_t len)
{
	uint32_t c = ~0u;

	c = crc_fn(c, buf, OFF_CRC);
	c = crc_fn(c, buf + HDR, len - HDR);
	return ~c;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* splitmix64: cheap, and different (seed, id) pairs give unrelated bodies. */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int fl_payload_make(uint64_t id, uint64_t seed, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t s = seed ^ (id * 0xd6e8feb86659fd93ull);
	size_t off;

	if (len < FL_PAYLOAD_MIN || len > FL_PAYLOAD_MAX)
		return -EINVAL;
	put32(p, MAGIC);
	put32(p + OFF_LEN, (uint32_t)len);
	put64(p + OFF_ID, id);
	for (off = HDR; off + 8 <= len; off += 8) {
		uint64_t v = mix(&s);

		memcpy(p + off, &v, 8);
	}
	if (off < len) {
		uint64_t v = mix(&s);

		memcpy(p + off, &v, len - off);
	}
	put32(p + OFF_CRC, payload_crc(p, len));
	return 0;
}

int fl_payload_check(const void *buf, size_t len, uint64_t *ret_id)
{
	const unsigned char *p = buf;

	if (!buf || len < FL_PAYLOAD_MIN || len > FL_PAYLOAD_MAX)
		return -EBADMSG;
	if (get32(p) != MAGIC || get32(p + OFF_LEN) != len)
		return -EBADMSG;
	if (get32(p + OFF_CRC) != payload_crc(p, len))
		return -EBADMSG;
	if (ret_id)
		*ret_id = get64(p + OFF_ID);
	return 0;
}
