// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "core/child.h"
#include "backup_store.h"
#include "faultfs_mount.h"

bool bk_test_ready(const char *const *programs)
{
	char path[4096];

	char ff[4096], search[8192];
	const char *old = getenv("PATH");

	if (geteuid() != 0) {
		print_message("skip: needs root (services run as their own users, faultfs mounts)\n");
		return false;
	}
	/* faultfs from this build, before any installed one. */
	if (!fl_test_binary("faultfs", ff, sizeof(ff)))
		return false;
	dirname(ff);
	if (!strstr(old ? old : "", ff)) {
		snprintf(search, sizeof(search), "%s:%s", ff, old ? old : "/usr/bin:/bin");
		setenv("PATH", search, 1);
	}
	for (size_t i = 0; programs && programs[i]; i++)
		if (fl_child_which(programs[i], path, sizeof(path))) {
			print_message("skip: %s is not installed (tools/install-deps.sh installs it)\n",
				      programs[i]);
			return false;
		}
	return true;
}

int bk_test_open(struct bk_test *t, const char *spec, bool faultfs)
{
	int err;

	memset(t, 0, sizeof(*t));
	mkdir("/var/tmp/faultline", 0755);
	snprintf(t->run_dir, sizeof(t->run_dir), "/var/tmp/faultline/test-backup-XXXXXX");
	if (!mkdtemp(t->run_dir))
		return -errno;
	chmod(t->run_dir, 0755);
	snprintf(t->repo, sizeof(t->repo), "%s/repo", t->run_dir);
	snprintf(t->work, sizeof(t->work), "%s/work", t->run_dir);
	if (mkdir(t->repo, 0755) < 0 || mkdir(t->work, 0755) < 0)
		return -errno;
	err = fl_bk_service_create(spec, t->run_dir, faultfs, &t->svc, t->errbuf,
				   sizeof(t->errbuf));
	if (err)
		return err;
	t->ctx.store = fl_bk_service_store(t->svc);
	t->ctx.repo = t->repo;
	t->ctx.work = t->work;
	t->ctx.errbuf = t->errbuf;
	t->ctx.errlen = sizeof(t->errbuf);
	return 0;
}

int bk_test_start(struct bk_test *t)
{
	return fl_bk_service_start(t->svc, 60ull * 1000000000ull, NULL, t->errbuf,
				   sizeof(t->errbuf));
}

unsigned bk_test_write(struct bk_test *t, uint64_t first, unsigned n)
{
	struct fl_wl_conn *c;
	char payload[100];
	unsigned ok = 0;

	if (fl_workload_connect(fl_bk_service_workload(t->svc), &c, t->errbuf, sizeof(t->errbuf)))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		fl_payload_make(first + i, 0, payload, sizeof(payload));
		ok += fl_workload_write(c, first + i, payload, sizeof(payload), 5000, NULL) == FL_OP_OK;
	}
	fl_workload_disconnect(c);
	return ok;
}

unsigned bk_test_present(struct bk_test *t, uint64_t first, unsigned n)
{
	struct fl_readback *back = NULL;
	size_t n_back = 0;
	unsigned found = 0;

	if (fl_bk_service_read_back(t->svc, &back, &n_back, t->errbuf, sizeof(t->errbuf)))
		return 0;
	for (size_t i = 0; i < n_back; i++)
		found += back[i].intact && back[i].id >= first && back[i].id < first + n;
	free(back);
	return found;
}

int bk_test_lose_disk(struct bk_test *t)
{
	int err = fl_bk_service_kill(t->svc);

	return err ? err : fl_bk_service_wipe(t->svc, t->errbuf, sizeof(t->errbuf));
}

void bk_test_close(struct bk_test *t)
{
	char cmd[PATH_MAX + 32];

	fl_bk_service_free(t->svc);
	t->svc = NULL;
	if (t->run_dir[0] && strstr(t->run_dir, "/test-backup-")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->run_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", t->run_dir);
	}
}
