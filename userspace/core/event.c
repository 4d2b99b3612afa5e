// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON rendering of injection events. Hand-written rather than built with
 * jansson: it runs in the ring buffer callback for every event, must not
 * allocate, and must keep a stable key order so that logs diff cleanly.
 *
 * Wall-clock time: events carry CLOCK_MONOTONIC (bpf_ktime_get_ns). The
 * offset to CLOCK_REALTIME is sampled once per process, between two
 * monotonic reads, keeping the tightest of a few samples. A later step of
 * the wall clock (NTP, date -s) thus never reorders the "time" field.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <faultline/event.h>
#include <faultline/mechanism.h>
#include <faultline/rule.h>

#include "core/strbuf.h"

static int64_t sampled_offset_ns;
static pthread_once_t clock_offset_once = PTHREAD_ONCE_INIT;

static int64_t ts_to_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void sample_clock_offset(void)
{
	int64_t best_width = INT64_MAX;

	for (int i = 0; i < 5; i++) {
		struct timespec m1, r, m2;
		int64_t width;

		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		width = ts_to_ns(&m2) - ts_to_ns(&m1);
		if (width < best_width) {
			best_width = width;
			sampled_offset_ns = ts_to_ns(&r) -
				(ts_to_ns(&m1) + width / 2);
		}
	}
}

int64_t fl_event_clock_offset(void)
{
	pthread_once(&clock_offset_once, sample_clock_offset);
	return sampled_offset_ns;
}

const char *fl_result_name(enum fl_result result)
{
	switch (result) {
	case FL_RESULT_INJECTED:
		return "injected";
	case FL_RESULT_FAILED:
		return "failed";
	case FL_RESULT_SKIPPED:
		return "skipped";
	}
	return NULL;
}

/* A JSON string from at most max bytes of s; anything not printable ASCII is \u-escaped. */
static void put_str(struct fl_strbuf *o, const char *s, size_t max)
{
	fl_strbuf_put(o, "\"");
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fl_strbuf_put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fl_strbuf_put(o, "\\u%04x", c);
		else
			fl_strbuf_put(o, "%c", c);
	}
	fl_strbuf_put(o, "\"");
}

static void put_name(struct fl_strbuf *o, const char *key, const char *name)
{
	fl_strbuf_put(o, ",\"%s\":", key);
	if (name)
		put_str(o, name, SIZE_MAX);
	else
		fl_strbuf_put(o, "null");
}

static void put_time(struct fl_strbuf *o, int64_t realtime_ns)
{
	time_t sec = realtime_ns / 1000000000LL;
	long usec = (realtime_ns % 1000000000LL) / 1000;
	struct tm tm;
	char date[32];

	if (realtime_ns < 0 || !gmtime_r(&sec, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		fl_strbuf_put(o, ",\"time\":null");
		return;
	}
	fl_strbuf_put(o, ",\"time\":\"%s.%06ldZ\"", date, usec);
}

/* "20ms", "1.5s", "250us", "7ns": the shortest exact-ish unit. */
static void format_duration(int64_t ns, char *buf, size_t len)
{
	static const struct { const char *unit; int64_t ns; } units[] = {
		{ "s", 1000000000LL }, { "ms", 1000000LL }, { "us", 1000LL },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns >= units[i].ns) {
			double v = (double)ns / units[i].ns;

			snprintf(buf, len, "%.*g%s", ns % units[i].ns ? 4 : 19,
				 v, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ns", ns);
}

static const char *value_name(const struct fl_event *ev, char *buf, size_t len)
{
	if (ev->result == FL_RESULT_FAILED)
		return ev->value < 0 ? fl_errno_name((int)-ev->value) : NULL;

	switch (ev->action) {
	case FL_ACTION_ERROR:
		/* BPF programs may store the errno either way round. */
		return fl_errno_name((int)(ev->value < 0 ? -ev->value : ev->value));
	case FL_ACTION_SIGNAL:
		return fl_signal_name((int)ev->value);
	case FL_ACTION_DELAY:
	case FL_ACTION_PAUSE:
		if (ev->value < 0)
			return NULL;
		format_duration(ev->value, buf, len);
		return buf;
	default:
		return NULL;
	}
}

int fl_event_to_json_offset(const struct fl_event *ev, int64_t clock_offset_ns,
			    char *buf, size_t len)
{
	char line[FL_EVENT_JSON_MAX + 1], vbuf[32];
	struct fl_strbuf o = { .buf = line, .len = sizeof(line) };
	const char *op = NULL, *vname;

	if (ev->domain == FL_DOMAIN_SYSCALL && ev->op >= 0)
		op = fl_syscall_name(ev->op);
	vname = value_name(ev, vbuf, sizeof(vbuf));

	fl_strbuf_put(&o, "{\"ts_ns\":%" PRIu64, (uint64_t)ev->ts_ns);
	put_time(&o, (int64_t)ev->ts_ns + clock_offset_ns);
	fl_strbuf_put(&o, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"comm\":",
	    (uint32_t)ev->pid, (uint32_t)ev->tid);
	put_str(&o, ev->comm, FL_COMM_LEN);
	put_name(&o, "domain", fl_domain_name(ev->domain));
	fl_strbuf_put(&o, ",\"rule\":%u", (unsigned)ev->rule_id);
	put_name(&o, "action", fl_action_name(ev->action));
	put_name(&o, "mechanism", fl_mechanism_name(ev->mechanism));
	put_name(&o, "result", fl_result_name(ev->result));
	put_name(&o, "op", op);
	fl_strbuf_put(&o, ",\"op_nr\":%" PRId32 ",\"value\":%" PRId64,
	    (int32_t)ev->op, (int64_t)ev->value);
	if (vname)
		put_name(&o, "value_name", vname);
	fl_strbuf_put(&o, ",\"seq\":%" PRIu64 "}", (uint64_t)ev->seq);

	if (o.overflow || o.pos + 1 > len)
		return -ENOBUFS;
	memcpy(buf, line, o.pos + 1);
	return (int)o.pos;
}

int fl_event_to_json(const struct fl_event *ev, char *buf, size_t len)
{
	return fl_event_to_json_offset(ev, fl_event_clock_offset(), buf, len);
}

int fl_rule_stats_add(struct fl_rule_stats *stats, size_t n_rules,
		      const struct fl_event *ev)
{
	struct fl_rule_stats *s;

	if (ev->rule_id >= n_rules)
		return -ERANGE;
	s = &stats[ev->rule_id];
	s->matched++;
	if (ev->result == FL_RESULT_INJECTED)
		s->injected++;
	else if (ev->result == FL_RESULT_FAILED)
		s->failed++;
	return 0;
}
