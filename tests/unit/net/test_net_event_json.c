// SPDX-License-Identifier: GPL-2.0-only
/* The net event line: the common event keys, then the packet's own, exactly. */
#include <errno.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <faultline/net_delay.h>
#include <faultline/net_events.h>

static void test_a_dropped_packet(void **state)
{
	struct fl_net_event ev = {
		.ts_ns = 1500000000, .seq = 7, .rule = 1, .action = FL_NET_ACT_DROP,
		.dir = FL_NET_ABI_EGRESS, .family = FL_NET_ABI_FAMILY_IP4, .l4 = 17,
		.hook = FL_NET_HOOK_TC, .ifindex = 2, .len = 74, .sport = 41234, .dport = 5131,
	};
	char buf[FL_NET_EVENT_JSON_MAX + 1];

	inet_pton(AF_INET, "10.251.3.1", ev.src);
	inet_pton(AF_INET, "10.251.3.2", ev.dst);
	assert_true(fl_net_event_to_json(&ev, 0, 0, buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
		"{\"ts_ns\":1500000000,\"time\":\"1970-01-01T00:00:01.500000Z\",\"pid\":0,\"tid\":0,"
		"\"comm\":\"\",\"domain\":\"net\",\"rule\":0,\"action\":\"drop\",\"mechanism\":\"tc\","
		"\"result\":\"injected\",\"op\":null,\"op_nr\":-1,\"value\":0,\"seq\":7,"
		"\"kernel_rule\":1,\"dir\":\"egress\",\"proto\":\"udp\",\"src\":\"10.251.3.1\","
		"\"dst\":\"10.251.3.2\",\"sport\":41234,\"dport\":5131,\"ifindex\":2,\"len\":74}");
}

static void test_a_corrupted_ipv6_packet_on_a_cgroup(void **state)
{
	struct fl_net_event ev = {
		.ts_ns = 1, .seq = 1, .action = FL_NET_ACT_CORRUPT_PAYLOAD,
		.dir = FL_NET_ABI_INGRESS, .family = FL_NET_ABI_FAMILY_IP6, .l4 = 6,
		.hook = FL_NET_HOOK_CGROUP_SKB,
	};
	char buf[FL_NET_EVENT_JSON_MAX + 1];

	inet_pton(AF_INET6, "fd00:fa17:1::1", ev.src);
	inet_pton(AF_INET6, "fd00:fa17:1::2", ev.dst);
	assert_true(fl_net_event_to_json(&ev, 3, 0, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"rule\":3,\"action\":\"corrupt\",\"mechanism\":\"cgroup-skb\""));
	assert_non_null(strstr(buf, "\"corrupt\":\"payload\",\"dir\":\"ingress\",\"proto\":\"tcp\","
				    "\"src\":\"fd00:fa17:1::1\",\"dst\":\"fd00:fa17:1::2\""));
}

static void test_a_refused_connect(void **state)
{
	struct fl_net_event ev = {
		.ts_ns = 1, .seq = 2, .pid = 4242, .action = FL_NET_ACT_ERROR,
		.dir = FL_NET_ABI_EGRESS, .family = FL_NET_ABI_FAMILY_IP4,
		.hook = FL_NET_HOOK_CGROUP_SOCK, .call = FL_NET_ABI_CONNECT, .error = ECONNREFUSED,
		.dport = 5432, .comm = "client",
	};
	char buf[FL_NET_EVENT_JSON_MAX + 1], small[64];

	inet_pton(AF_INET, "10.0.0.2", ev.dst);
	assert_true(fl_net_event_to_json(&ev, 0, 0, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"pid\":4242,\"tid\":4242,\"comm\":\"client\""));
	assert_non_null(strstr(buf, "\"action\":\"error\",\"mechanism\":\"cgroup-sock\""));
	assert_non_null(strstr(buf, "\"value\":111,\"value_name\":\"ECONNREFUSED\",\"seq\":2"));
	assert_non_null(strstr(buf, "\"dir\":null,\"proto\":\"connect\",\"src\":null,"
				    "\"dst\":\"10.0.0.2\",\"sport\":0,\"dport\":5432"));
	/* too small: refused whole, buf untouched */
	memset(small, 'x', sizeof(small));
	assert_int_equal(fl_net_event_to_json(&ev, 0, 0, small, sizeof(small)), -ENOBUFS);
	assert_int_equal(small[0], 'x');
}

/* The delay line's events: the same line, the hold in value and delay_ns. */
static void test_a_delayed_and_a_reordered_packet(void **state)
{
	struct fl_net_delay_event ev = {
		.pkt = { .ts_ns = 2000000000, .seq = 3, .rule = 1, .action = FL_NET_ACT_DELAY,
			 .dir = FL_NET_ABI_EGRESS, .family = FL_NET_ABI_FAMILY_IP4, .l4 = 17,
			 .hook = FL_NET_HOOK_NFQUEUE, .ifindex = 5, .len = 36, .sport = 40000,
			 .dport = 5111 },
		.delay_ns = 30000000,
	};
	char buf[FL_NET_EVENT_JSON_MAX + 1];

	inet_pton(AF_INET, "10.251.3.1", ev.pkt.src);
	inet_pton(AF_INET, "10.251.3.2", ev.pkt.dst);
	assert_true(fl_net_delay_event_to_json(&ev, 1, 0, buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
		"{\"ts_ns\":2000000000,\"time\":\"1970-01-01T00:00:02.000000Z\",\"pid\":0,\"tid\":0,"
		"\"comm\":\"\",\"domain\":\"net\",\"rule\":1,\"action\":\"delay\","
		"\"mechanism\":\"nfqueue\",\"result\":\"injected\",\"op\":null,\"op_nr\":-1,"
		"\"value\":30000000,\"value_name\":\"30ms\",\"seq\":3,\"kernel_rule\":1,\"dir\":\"egress\",\"proto\":\"udp\","
		"\"src\":\"10.251.3.1\",\"dst\":\"10.251.3.2\",\"sport\":40000,\"dport\":5111,"
		"\"ifindex\":5,\"len\":36,\"delay_ns\":30000000}");
	ev.pkt.hook = FL_NET_HOOK_NFT_QUEUE;
	ev.delay_ns = 0;
	ev.reordered = 1;
	assert_true(fl_net_delay_event_to_json(&ev, 1, 0, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"action\":\"delay\",\"mechanism\":\"nft-queue\""));
	assert_non_null(strstr(buf, "\"value\":0,"));
	assert_non_null(strstr(buf, "\"len\":36,\"delay_ns\":0,\"reordered\":true}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_dropped_packet),
		cmocka_unit_test(test_a_corrupted_ipv6_packet_on_a_cgroup),
		cmocka_unit_test(test_a_refused_connect),
		cmocka_unit_test(test_a_delayed_and_a_reordered_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
