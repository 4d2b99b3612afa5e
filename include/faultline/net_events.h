/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-injection events of a network session (<faultline/net.h>): one
 * struct fl_net_event (<faultline/net_abi.h>) per packet the datapath
 * dropped, corrupted or duplicated, and per socket call it failed, read
 * from the programs' ring buffer. A full ring never holds the datapath
 * up: its records are given up and counted per rule (events_lost in
 * struct fl_net_counters), and the injection counters stay exact.
 *
 * As JSON, an event is the line every domain writes (<faultline/event.h>,
 * README "Injection events"), domain "net", with the packet's fields after
 * "seq":
 *
 *   {"ts_ns":..,"time":"..","pid":0,"tid":0,"comm":"","domain":"net","rule":0,
 *    "action":"drop","mechanism":"tc","result":"injected","op":null,"op_nr":-1,
 *    "value":0,"seq":7,"kernel_rule":0,"dir":"egress","proto":"udp",
 *    "src":"10.251.1.1","dst":"10.251.1.2","sport":40000,"dport":5001,
 *    "ifindex":2,"len":74}
 */
#ifndef FAULTLINE_NET_EVENTS_H
#define FAULTLINE_NET_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <faultline/net_abi.h>

struct fl_net_session;
struct fl_net_events;

/* Called for each event; 0 goes on, a negative errno stops the consume and is returned. */
typedef int (*fl_net_event_fn)(void *ctx, const struct fl_net_event *ev);

/* A reader of s's ring (s open, attached or not; it must outlive the reader). */
int fl_net_events_open(struct fl_net_session *s, fl_net_event_fn fn, void *ctx,
		       struct fl_net_events **ret);
/* An fd that polls readable when events wait. */
int fl_net_events_fd(const struct fl_net_events *e);
/* Hand every waiting event to fn, without waiting: how many, or -errno. */
int fl_net_events_consume(struct fl_net_events *e);
/* Records too short to be events (none, unless the ABI is broken). */
uint64_t fl_net_events_malformed(const struct fl_net_events *e);
void fl_net_events_free(struct fl_net_events *e);

/*
 * ev as one JSON line (no newline) into buf, with rule the index of the
 * command-line rule it came from (kernel_rule: ev->rule). clock_offset_ns:
 * fl_event_clock_offset(). The length, or -ENOBUFS (buf untouched).
 */
#define FL_NET_EVENT_JSON_MAX 767
int fl_net_event_to_json(const struct fl_net_event *ev, unsigned rule, int64_t clock_offset_ns,
			 char *buf, size_t len);

#endif /* FAULTLINE_NET_EVENTS_H */
