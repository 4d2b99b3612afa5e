/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CRC-32 of the write log (zlib's crc32, the IEEE polynomial),
 * folded with carry-less multiplication where the CPU has it: zlib's
 * table method does about 1.5 GB/s here, which is a sixth of a core
 * at a few hundred MB/s of writes.
 */
#ifndef FAULTFS_CRC_H
#define FAULTFS_CRC_H

#include <stddef.h>
#include <stdint.h>

/* zlib's crc32(crc, buf, len): start from 0, chain by passing the last value. */
uint32_t ffs_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* FAULTFS_CRC_H */
