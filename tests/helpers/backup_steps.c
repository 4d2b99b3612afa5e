// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "backup_steps.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool bk_step_ready(const char *strategy)
{
	const struct fl_backup_strategy *s = fl_backup_strategy_find(strategy);
	struct fl_bk_store st = { .kind = "file" };
	char errbuf[512] = "";
	struct fl_bk_ctx c = { .store = &st, .errbuf = errbuf, .errlen = sizeof(errbuf) };

	if (!s || (s->available && s->available(&c))) {
		print_message("skip: %s\n", s ? errbuf : "no such strategy");
		return false;
	}
	return true;
}

int bk_step_begin(struct bk_test *t, const struct fl_backup_strategy *s)
{
	int err = s->configure ? s->configure(&t->ctx) : 0;

	if (!err)
		err = bk_test_start(t);
	if (!err && s->prepare)
		err = s->prepare(&t->ctx);
	return err;
}

int bk_step_backup(struct bk_test *t, const struct fl_backup_strategy *s,
		   enum fl_backup_kind kind, struct fl_bk_taken *ret, uint64_t *ret_ns)
{
	struct fl_bk_taken taken = { 0 };
	uint64_t t0 = mono_ns();
	int err = s->backup(&t->ctx, kind, &taken);

	if (err)
		return err;
	*ret = taken;
	if (ret_ns)
		*ret_ns = mono_ns() - t0;
	return 0;
}

int bk_step_restore(struct bk_test *t, const struct fl_backup_strategy *s,
		    struct fl_bk_phases *ph, uint64_t *ret_ns)
{
	struct fl_bk_target target = { .pitr = false };
	struct fl_bk_phases p = { 0 };
	uint64_t t0 = mono_ns();
	int err = bk_test_lose_disk(t);

	if (!err)
		err = s->restore(&t->ctx, &target, &p);
	if (!err)
		err = bk_test_start(t);
	if (err)
		return err;
	*ph = p;
	if (ret_ns)
		*ret_ns = mono_ns() - t0;
	return 0;
}

/* The test's store, closed by the teardown even when an assertion failed mid-test. */
static struct bk_test *tracked;

int bk_step_open(struct bk_test *t, const char *spec, bool faultfs)
{
	tracked = t;
	return bk_test_open(t, spec, faultfs);
}

int bk_step_teardown(void **state)
{
	(void)state;
	if (tracked)
		bk_test_close(tracked);
	tracked = NULL;
	return 0;
}

void bk_step_write(struct bk_test *t, uint64_t *next, unsigned n)
{
	assert_int_equal(bk_test_write(t, *next, n), n);
	*next += n;
}

double bk_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}
