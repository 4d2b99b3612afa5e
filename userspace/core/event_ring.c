// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A thin wrapper over libbpf's ring_buffer for the `events` map of any
 * domain: records are copied out of the ring (they are only 8-byte
 * aligned and live only during the callback) and handed over typed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <faultline/event.h>

struct fl_event_ring {
	struct ring_buffer *rb;
	fl_event_cb cb;
	void *ctx;
	uint64_t malformed;
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct fl_event_ring *ring = ctx;
	struct fl_event ev;

	if (size < sizeof(ev)) {
		ring->malformed++;
		return 0;
	}
	memcpy(&ev, data, sizeof(ev));
	return ring->cb(ring->ctx, &ev);
}

int fl_event_ring_open(int map_fd, fl_event_cb cb, void *ctx,
		       struct fl_event_ring **ret)
{
	struct fl_event_ring *ring;
	int err;

	if (map_fd < 0 || !cb)
		return -EINVAL;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ring->cb = cb;
	ring->ctx = ctx;
	ring->rb = ring_buffer__new(map_fd, on_sample, ring, NULL);
	if (!ring->rb) {
		err = -errno;
		free(ring);
		return err ? err : -EINVAL;
	}
	*ret = ring;
	return 0;
}

int fl_event_ring_poll(struct fl_event_ring *ring, int timeout_ms)
{
	int n = ring_buffer__poll(ring->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

int fl_event_ring_consume(struct fl_event_ring *ring)
{
	return ring_buffer__consume(ring->rb);
}

int fl_event_ring_fd(const struct fl_event_ring *ring)
{
	return ring_buffer__epoll_fd(ring->rb);
}

uint64_t fl_event_ring_malformed(const struct fl_event_ring *ring)
{
	return ring->malformed;
}

void fl_event_ring_free(struct fl_event_ring *ring)
{
	if (!ring)
		return;
	ring_buffer__free(ring->rb);
	free(ring);
}
