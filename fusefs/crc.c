// SPDX-License-Identifier: GPL-2.0-only
/*
 * CRC-32 by folding 64 bytes at a time with PCLMULQDQ, then a Barrett
 * reduction (Gopal et al., "Fast CRC Computation for Generic Polynomials
 * Using PCLMULQDQ", Intel 2009; the constants are those of the bit-
 * reflected IEEE polynomial 0x04C11DB7). The fold works on the raw
 * register, zlib's value is its complement; the tail (< 16 bytes) and
 * short buffers go to zlib. The unit test compares it with zlib.
 */
#include <zlib.h>

#include "crc.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("pclmul,sse4.1")))
static uint32_t fold(uint32_t reg, const unsigned char *p, size_t len)  /* len >= 64, % 16 == 0 */
{
	const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
	const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124LL);
	const __m128i poly = _mm_set_epi64x(0x1f7011641LL, 0x1db710641LL);  /* u', P' */
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x1, x2, x3, x4, t;

	x1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)reg));
	x2 = _mm_loadu_si128((const __m128i *)(p + 16));
	x3 = _mm_loadu_si128((const __m128i *)(p + 32));
	x4 = _mm_loadu_si128((const __m128i *)(p + 48));
	p += 64;
	len -= 64;
#define FOLD(x, k, next)                                                        \
	do {                                                                    \
		t = _mm_clmulepi64_si128(x, k, 0x11);                           \
		x = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), t), next); \
	} while (0)
	while (len >= 64) {
		FOLD(x1, k1k2, _mm_loadu_si128((const __m128i *)p));
		FOLD(x2, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
		FOLD(x3, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
		FOLD(x4, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		len -= 64;
	}
	/* Four lanes into one, then the 16-byte blocks left. */
	FOLD(x1, k3k4, x2);
	FOLD(x1, k3k4, x3);
	FOLD(x1, k3k4, x4);
	while (len >= 16) {
		FOLD(x1, k3k4, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
#undef FOLD
	/* 128 -> 64 bits (32 zero bits appended), then 64 -> 32. */
	t = _mm_clmulepi64_si128(k3k4, x1, 0x01);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
	x2 = _mm_srli_si128(x1, 4);
	x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k5, 0x00), x2);
	/* Barrett reduction. */
	x2 = x1;
	x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10);
	x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x00);
	x1 = _mm_xor_si128(x1, x2);
	return (uint32_t)_mm_extract_epi32(x1, 1);
}

static int have_clmul(void)
{
	static int known;  /* 0 unknown, 1 yes, -1 no; racing first calls agree */

	if (!__atomic_load_n(&known, __ATOMIC_RELAXED)) {
		__builtin_cpu_init();
		__atomic_store_n(&known, __builtin_cpu_supports("pclmul") &&
				 __builtin_cpu_supports("sse4.1") ? 1 : -1, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&known, __ATOMIC_RELAXED) > 0;
}
#endif

uint32_t ffs_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

#if defined(__x86_64__)
	if (len >= 64 && have_clmul()) {
		size_t n = len & ~(size_t)15;

		crc = ~fold(~crc, p, n);
		p += n;
		len -= n;
	}
#endif
	return (uint32_t)crc32_z(crc, p, len);
}
