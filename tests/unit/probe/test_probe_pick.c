// SPDX-License-Identifier: GPL-2.0-only
/* The ladders: given what works, which mechanism serves each fault type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include <faultline/probe.h>

static void set_works(struct fl_probe_report *rep, enum fl_mechanism m)
{
	rep->mech[m].status = FL_PROBE_WORKS;
}

static void test_nothing_works_means_no_pick_and_a_hint(void **state)
{
	struct fl_probe_report rep = { 0 };

	fl_probe_pick_all(&rep);
	for (unsigned k = 0; k < FL_FAULT__COUNT; k++) {
		assert_false(rep.pick[k].found);
		assert_true(strlen(rep.pick[k].why) > 0);
	}
	/* The refusal names what would work instead. */
	assert_non_null(strstr(rep.pick[FL_FAULT_ERRNO_RUNNING].why, "launch the command"));
}

static void test_errno_on_running_target_prefers_fmod_ret_over_lsm(void **state)
{
	struct fl_probe_report rep = { 0 };

	set_works(&rep, FL_MECH_BPF_LSM);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_ERRNO_RUNNING].mech, FL_MECH_BPF_LSM);

	set_works(&rep, FL_MECH_FMOD_RET_SYSCALL);
	fl_probe_pick_all(&rep);
	assert_true(rep.pick[FL_FAULT_ERRNO_RUNNING].found);
	assert_int_equal(rep.pick[FL_FAULT_ERRNO_RUNNING].mech, FL_MECH_FMOD_RET_SYSCALL);
}

static void test_socket_errno_falls_back_to_cgroup_hooks(void **state)
{
	struct fl_probe_report rep = { 0 };

	set_works(&rep, FL_MECH_CGROUP_SOCK);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_SOCKET_ERRNO].mech, FL_MECH_CGROUP_SOCK);
	assert_false(rep.pick[FL_FAULT_ERRNO_RUNNING].found);
}

static void test_packet_delay_uses_nfqueue_without_netem(void **state)
{
	struct fl_probe_report rep = { 0 };

	set_works(&rep, FL_MECH_NFQUEUE);
	set_works(&rep, FL_MECH_HTB);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_DELAY].mech, FL_MECH_NFQUEUE);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_RATE].mech, FL_MECH_HTB);

	/* nft's native queue before the xtables target, when both work */
	set_works(&rep, FL_MECH_NFT_QUEUE);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_DELAY].mech, FL_MECH_NFT_QUEUE);

	set_works(&rep, FL_MECH_NETEM);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_DELAY].mech, FL_MECH_NETEM);
	/* faultline net limits the rate with HTB, never netem's rate */
	assert_int_equal(rep.pick[FL_FAULT_PACKET_RATE].mech, FL_MECH_HTB);
}

/* The packet rows name what faultline net uses, for devices and for cgroups. */
static void test_packet_drop_names_tc_and_the_cgroup_mechanism(void **state)
{
	struct fl_probe_report rep = { 0 };

	/* XDP alone serves nothing: net never attaches it */
	set_works(&rep, FL_MECH_XDP);
	set_works(&rep, FL_MECH_TBF);
	fl_probe_pick_all(&rep);
	assert_false(rep.pick[FL_FAULT_PACKET_DROP].found);
	/* tbf alone serves nothing either: rate= is HTB's */
	assert_false(rep.pick[FL_FAULT_PACKET_RATE].found);

	set_works(&rep, FL_MECH_TC);
	rep.mech[FL_MECH_CGROUP_SKB].status = FL_PROBE_REFUSED;
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_DROP].mech, FL_MECH_TC);
	assert_non_null(strstr(rep.pick[FL_FAULT_PACKET_DROP].why,
			       "--cgroup/--pid/-- CMD cannot be served (cgroup-skb refused)"));

	set_works(&rep, FL_MECH_CGROUP_SKB);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_DROP].mech, FL_MECH_TC);
	assert_non_null(strstr(rep.pick[FL_FAULT_PACKET_DROP].why, "tc BPF on --dev/--netns"));
	assert_non_null(strstr(rep.pick[FL_FAULT_PACKET_DROP].why,
			       "; cgroup_skb on --cgroup/--pid/-- CMD"));

	rep.mech[FL_MECH_TC].status = FL_PROBE_MISSING;
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_PACKET_DROP].mech, FL_MECH_CGROUP_SKB);
	assert_non_null(strstr(rep.pick[FL_FAULT_PACKET_DROP].why, "--dev/--netns cannot be served"));
}

static void test_launched_delay_prefers_seccomp_sleep_over_spin(void **state)
{
	struct fl_probe_report rep = { 0 };

	set_works(&rep, FL_MECH_BPF_LOOP_DELAY);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_DELAY_LAUNCHED].mech, FL_MECH_BPF_LOOP_DELAY);

	set_works(&rep, FL_MECH_SECCOMP_NOTIFY);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_DELAY_LAUNCHED].mech, FL_MECH_SECCOMP_NOTIFY);
	assert_int_equal(rep.pick[FL_FAULT_ERRNO_LAUNCHED].mech, FL_MECH_SECCOMP_NOTIFY);
}

static void test_refused_is_never_picked(void **state)
{
	struct fl_probe_report rep = { 0 };

	rep.mech[FL_MECH_SEND_SIGNAL].status = FL_PROBE_REFUSED;
	rep.mech[FL_MECH_FUSE].status = FL_PROBE_MISSING;
	fl_probe_pick_all(&rep);
	assert_false(rep.pick[FL_FAULT_CRASH_POINT].found);
	assert_false(rep.pick[FL_FAULT_STORAGE].found);
}

/* reset: the iterator where it works (6.5+), else sock_diag, else partition is the hint. */
static void test_tcp_reset_prefers_the_iterator_then_sock_diag(void **state)
{
	struct fl_probe_report rep = { 0 };

	fl_probe_pick_all(&rep);
	assert_false(rep.pick[FL_FAULT_TCP_RESET].found);
	assert_non_null(strstr(rep.pick[FL_FAULT_TCP_RESET].why, "partition"));
	set_works(&rep, FL_MECH_SOCK_DIAG_DESTROY);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_TCP_RESET].mech, FL_MECH_SOCK_DIAG_DESTROY);
	set_works(&rep, FL_MECH_BPF_SOCK_DESTROY);
	fl_probe_pick_all(&rep);
	assert_int_equal(rep.pick[FL_FAULT_TCP_RESET].mech, FL_MECH_BPF_SOCK_DESTROY);
	assert_string_equal(fl_fault_kind_name(FL_FAULT_TCP_RESET), "tcp-reset");
}

static void test_every_mechanism_name_round_trips(void **state)
{
	enum fl_mechanism m;

	for (unsigned i = 0; i < FL_MECH__COUNT; i++) {
		assert_int_equal(fl_mechanism_from_name(fl_mechanism_name(i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_int_equal(fl_mechanism_from_name("kprobe", &m), -ENOENT);
	assert_string_equal(fl_mechanism_name(FL_MECH__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_works_means_no_pick_and_a_hint),
		cmocka_unit_test(test_errno_on_running_target_prefers_fmod_ret_over_lsm),
		cmocka_unit_test(test_socket_errno_falls_back_to_cgroup_hooks),
		cmocka_unit_test(test_packet_delay_uses_nfqueue_without_netem),
		cmocka_unit_test(test_packet_drop_names_tc_and_the_cgroup_mechanism),
		cmocka_unit_test(test_launched_delay_prefers_seccomp_sleep_over_spin),
		cmocka_unit_test(test_refused_is_never_picked),
		cmocka_unit_test(test_tcp_reset_prefers_the_iterator_then_sock_diag),
		cmocka_unit_test(test_every_mechanism_name_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
