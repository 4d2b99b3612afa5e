/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Injection events (struct fl_event, abi.h) as JSON lines, the event log
 * that writes them, per-rule counters, and a consumer for the `events`
 * ring buffer that every BPF domain exposes.
 *
 * One event renders as one JSON object on one line:
 *
 *   {"ts_ns":..,"time":"2026-11-25T17:02:08.123456Z","pid":..,"tid":..,
 *    "comm":"..","domain":"syscall","rule":0,"action":"signal",
 *    "mechanism":"send-signal","result":"injected","op":"fsync","op_nr":74,
 *    "value":9,"value_name":"SIGKILL","seq":3}
 *
 * "op" is null when the op has no known name; "value_name" is present only
 * when the value has one (errno, signal, duration).
 */
#ifndef FAULTLINE_EVENT_H
#define FAULTLINE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <faultline/abi.h>

/* Longest line fl_event_to_json can produce, without the NUL. */
#define FL_EVENT_JSON_MAX 511

/*
 * Nanoseconds to add to a CLOCK_MONOTONIC timestamp to get CLOCK_REALTIME.
 * Sampled once per process (the first call), so all events of a run share
 * one offset and their order in "time" matches "ts_ns" even if the wall
 * clock is stepped later.
 */
int64_t fl_event_clock_offset(void);

/*
 * Render ev as one JSON object (no trailing newline) into buf. Returns the
 * length written (without the NUL) or -ENOBUFS when buf is too small, in
 * which case buf is untouched. fl_event_to_json uses fl_event_clock_offset();
 * the _offset variant takes it explicitly (deterministic output in tests).
 */
int fl_event_to_json(const struct fl_event *ev, char *buf, size_t len);
int fl_event_to_json_offset(const struct fl_event *ev, int64_t clock_offset_ns,
			    char *buf, size_t len);

/* "injected", "failed", "skipped", or NULL. */
const char *fl_result_name(enum fl_result result);

/*
 * Event log: JSON lines appended to a file ("-" = stdout). Each event is
 * one write(2) of one complete line on an O_APPEND fd, so several writers
 * (BPF consumers, seccomp supervisor, faultfs) never interleave lines.
 */
struct fl_event_log;

int fl_event_log_open(const char *path, struct fl_event_log **ret);
int fl_event_log_write(struct fl_event_log *log, const struct fl_event *ev);
void fl_event_log_close(struct fl_event_log *log);

/* Per-rule counters, indexed by fl_event.rule_id. */
struct fl_rule_stats {
	uint64_t matched;   /* every event of the rule */
	uint64_t injected;  /* result == FL_RESULT_INJECTED */
	uint64_t failed;    /* result == FL_RESULT_FAILED */
};

/* Count ev into stats[ev->rule_id]; -ERANGE if rule_id >= n_rules. */
int fl_rule_stats_add(struct fl_rule_stats *stats, size_t n_rules,
		      const struct fl_event *ev);

/*
 * Consumer of a BPF ring buffer map of struct fl_event (the map every
 * domain names `events`). cb returns 0 to go on, or a negative errno that
 * stops the current poll and is returned by it. Records shorter than
 * struct fl_event are skipped and counted.
 */
typedef int (*fl_event_cb)(void *ctx, const struct fl_event *ev);
struct fl_event_ring;

int fl_event_ring_open(int map_fd, fl_event_cb cb, void *ctx,
		       struct fl_event_ring **ret);
/* Wait up to timeout_ms (-1 = forever); returns events handled or -errno. */
int fl_event_ring_poll(struct fl_event_ring *ring, int timeout_ms);
/* Handle what is ready without waiting; returns events handled or -errno. */
int fl_event_ring_consume(struct fl_event_ring *ring);
/* An epoll fd that becomes readable when events arrive (for event loops). */
int fl_event_ring_fd(const struct fl_event_ring *ring);
/* Records skipped because they were too short. */
uint64_t fl_event_ring_malformed(const struct fl_event_ring *ring);
void fl_event_ring_free(struct fl_event_ring *ring);

#endif /* FAULTLINE_EVENT_H */
