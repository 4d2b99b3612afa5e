// SPDX-License-Identifier: GPL-2.0-only
/*
 * `make deb`, then the package as a user gets it (root): its control file
 * (Version from VERSION, Depends covering every library the programs link),
 * `dpkg -i`, the installed `faultline probe`, pkg-config and a program
 * built against the installed library, the man pages and the completion,
 * and `dpkg -P` leaving nothing behind. Skipped when a faultline package is
 * already installed: that one is not ours to remove.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static char deb[PATH_MAX];
static char version[64];
static char *contents;      /* dpkg-deb -c */
static bool installed_by_us;

/* sh -c CMD; returns the exit code, output in *out (NULL: freed). */
static int run_sh(const char *cmd, char **out, int timeout_ms, bool quiet)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	struct fl_cli_result r;
	int code;

	if (fl_cli_run(argv, timeout_ms, &r))
		return -1;
	code = r.code;
	if (code && !quiet)
		print_message("  $ %s\n  -> %d: %s%s", cmd, code, r.out, r.err);
	if (out) {
		*out = r.out;
		r.out = NULL;
	}
	fl_cli_result_free(&r);
	return code;
}

static int sh(const char *cmd, char **out, int timeout_ms)
{
	return run_sh(cmd, out, timeout_ms, false);
}

static bool package_installed(void)
{
	char *out = NULL;
	bool yes = run_sh("dpkg-query -W -f='${Status}' faultline 2>/dev/null", &out, 10000, true) == 0 &&
		   strstr(out, "install ok installed");

	free(out);
	return yes;
}

static void purge(void)
{
	if (installed_by_us) {
		run_sh("dpkg -P faultline >/dev/null 2>&1", NULL, 120000, true);
		installed_by_us = false;
	}
}

/* Every installed path (not directories) of the package, one per line. */
static char *paths(void)
{
	char *list = calloc(1, strlen(contents) + 1), *copy = strdup(contents), *save, *l;

	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(l, " ./"), *arrow;

		if (l[0] == 'd' || !p)
			continue;
		arrow = strstr(p, " -> ");
		if (arrow)
			*arrow = 0;
		strcat(list, p + 2);
		strcat(list, "\n");
	}
	free(copy);
	return list;
}

static int setup(void **state)
{
	char cmd[PATH_MAX + 128], *out = NULL, *arch = NULL;
	FILE *f;

	if (fl_setup_tmpdir(state))
		return -1;
	f = fopen("VERSION", "re");
	if (!f || !fgets(version, sizeof(version), f)) {
		printf("skip: no VERSION file in the current directory (run from the repository)\n");
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	version[strcspn(version, "\n")] = 0;
	if (sh("command -v dpkg-deb && command -v dpkg-shlibdeps && command -v make", NULL, 10000)) {
		printf("skip: dpkg-deb, dpkg-shlibdeps (dpkg-dev) or make is missing\n");
		return 0;
	}
	if (sh("dpkg --print-architecture", &arch, 10000))
		return -1;
	arch[strcspn(arch, "\n")] = 0;
	snprintf(deb, sizeof(deb), "%s/faultline_%s_%s.deb", fl_test_build_dir(), version, arch);
	free(arch);
	/* Up to date when the build is: only the packing runs again. */
	snprintf(cmd, sizeof(cmd),
		 "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory deb BUILD=%s",
		 fl_test_build_dir());
	if (sh(cmd, &out, 600000)) {
		free(out);
		return -1;
	}
	print_message("  %s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "dpkg-deb -c %s", deb);
	if (sh(cmd, &contents, 30000))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	purge();
	free(contents);
	contents = NULL;
	return fl_teardown_tmpdir(state);
}

#define NEED_DEB() do { if (!contents) skip(); } while (0)

static void test_control(void **state)
{
	char cmd[PATH_MAX + 256], *out = NULL, *depends = NULL, *needed = NULL, *save, *lib;
	struct stat st;

	NEED_DEB();
	assert_int_equal(stat(deb, &st), 0);
	print_message("  %s: %lld bytes\n", deb, (long long)st.st_size);
	snprintf(cmd, sizeof(cmd), "dpkg-deb -f %s Package Version Architecture", deb);
	assert_int_equal(sh(cmd, &out, 10000), 0);
	assert_non_null(strstr(out, "Package: faultline\n"));
	snprintf(cmd, sizeof(cmd), "Version: %s\n", version);
	assert_non_null(strstr(out, cmd));
	free(out);

	snprintf(cmd, sizeof(cmd), "dpkg-deb -f %s Depends", deb);
	assert_int_equal(sh(cmd, &depends, 10000), 0);
	print_message("  Depends: %s", depends);
	assert_non_null(strstr(depends, "fuse3"));

	/*
	 * Every library a program or libfaultline needs directly (DT_NEEDED)
	 * belongs to a package that Depends names.
	 */
	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d) && dpkg-deb -x %s $d && "
		 "for f in $d/usr/bin/faultline $d/usr/bin/faultfs $d/usr/lib/*/libfaultline.so.0; do "
		 "readelf -d $f | sed -n 's/.*Shared library: \\[\\(.*\\)\\]/\\1/p'; done | sort -u; rm -rf $d",
		 deb);
	assert_int_equal(sh(cmd, &needed, 30000), 0);
	for (lib = strtok_r(needed, "\n", &save); lib; lib = strtok_r(NULL, "\n", &save)) {
		char *owner = NULL, pkg[128];

		/* The native copy: libc6-i386 holds a /lib32/libm.so.6 too, not ours. */
		snprintf(cmd, sizeof(cmd), "dpkg -S '*/%s' | grep -v -e /lib32/ -e /libx32/ "
			 "-e '^[^:]*:i386:' | head -n1 | cut -d: -f1", lib);
		assert_int_equal(sh(cmd, &owner, 10000), 0);
		owner[strcspn(owner, "\n")] = 0;
		if (!owner[0])
			fail_msg("no installed package holds %s", lib);
		snprintf(pkg, sizeof(pkg), "%s (", owner);
		if (!strstr(depends, pkg) && !strstr(depends, owner))
			fail_msg("%s needs %s from %s, which Depends lacks", "the package", lib, owner);
		free(owner);
	}
	free(needed);
	free(depends);
}

static void test_contents(void **state)
{
	static const char *const want[] = {
		"./usr/bin/faultline", "./usr/bin/faultfs", "./usr/sbin/mount.fuse.faultfs",
		"/libfaultline.so.0", "/libfaultline.so ", "/libfaultline.a",
		"/pkgconfig/faultline.pc", "./usr/include/faultline/rule.h",
		"./usr/share/man/man8/faultline.8.gz", "./usr/share/man/man8/faultfs.8.gz",
		"./usr/share/bash-completion/completions/faultline",
		"./usr/share/doc/faultline/copyright",
	};

	NEED_DEB();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(contents, want[i]))
			fail_msg("the package lacks %s:\n%s", want[i], contents);
}

static void test_install_use_remove(void **state)
{
	struct fl_fixture *fx = *state;
	char cmd[2 * PATH_MAX + 256], *out = NULL, *files, *save, *p;

	NEED_DEB();
	if (!fl_test_require_root())
		skip();
	if (package_installed()) {
		printf("skip: a faultline package is already installed on this machine; not ours to replace or remove\n");
		skip();
	}
	snprintf(cmd, sizeof(cmd), "dpkg -i %s", deb);
	installed_by_us = true;
	assert_int_equal(sh(cmd, NULL, 120000), 0);
	assert_true(package_installed());

	/* The installed program runs and probes. */
	assert_int_equal(sh("/usr/bin/faultline --version", &out, 10000), 0);
	assert_non_null(strstr(out, version));
	free(out);
	assert_int_equal(sh("/usr/bin/faultline probe", &out, 120000), 0);
	assert_non_null(strstr(out, "MECHANISM"));
	assert_non_null(strstr(out, "FAULT TYPE"));
	assert_non_null(strstr(out, "seccomp-notify"));
	free(out);
	assert_int_equal(sh("/usr/bin/faultfs --help >/dev/null", NULL, 10000), 0);

	/* pkg-config, and a program built against the installed library. */
	assert_int_equal(sh("pkg-config --modversion faultline", &out, 10000), 0);
	assert_non_null(strstr(out, version));
	free(out);
	assert_int_equal(sh("pkg-config --cflags --libs faultline", &out, 10000), 0);
	assert_non_null(strstr(out, "-lfaultline"));
	free(out);
	snprintf(cmd, sizeof(cmd), "%s/use.c", fx->path);
	{
		FILE *f = fopen(cmd, "w");

		assert_non_null(f);
		fputs("#include <stdio.h>\n#include <faultline/faultline.h>\n"
		      "int main(void)\n{\n\tstruct fl_rule r;\n\tchar buf[256];\n"
		      "\tif (fl_rule_parse(\"fsync:error=EIO:when=3+2\", &r, NULL))\n\t\treturn 1;\n"
		      "\tfl_rule_format(&r, buf, sizeof(buf));\n\tputs(buf);\n\treturn 0;\n}\n", f);
		assert_int_equal(fclose(f), 0);
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cc -Wall -Werror -o use use.c $(pkg-config --cflags --libs faultline) && "
		 "ldd ./use | grep -Eq 'libfaultline.so.0 => (/usr)?/lib/' && ./use", fx->path);
	assert_int_equal(sh(cmd, &out, 60000), 0);
	assert_non_null(strstr(out, "fsync:error=EIO"));
	free(out);

	/*
	 * The documented mounts through the installed mount.fuse.faultfs: the
	 * README's options, and the man page's fstab ones (mount(8)'s nofail
	 * must not reach faultfs).
	 */
	{
		static const char *const opts[] = { "durability=strict,size=10G,allow_other",
						    "nofail,allow_other" };

		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			snprintf(cmd, sizeof(cmd),
				 "cd %s && mkdir -p b m && mount -t fuse.faultfs $PWD/b $PWD/m -o %s && "
				 "grep -q \" $PWD/m fuse.faultfs \" /proc/mounts && echo x > m/x && "
				 "umount $PWD/m && test -f b/x && rm -f b/x",
				 fx->path, opts[i]);
			assert_int_equal(sh(cmd, NULL, 30000), 0);
		}
	}

	/* Man pages and the completion, as the installed faultline makes it. */
	assert_int_equal(sh("gzip -t /usr/share/man/man8/faultline.8.gz /usr/share/man/man8/faultfs.8.gz",
			    NULL, 10000), 0);
	assert_int_equal(sh("bash -n /usr/share/bash-completion/completions/faultline && "
			    "/usr/bin/faultline completion bash | cmp - /usr/share/bash-completion/completions/faultline",
			    NULL, 10000), 0);
	assert_int_equal(sh("bash --norc -c 'source /usr/share/bash-completion/completions/faultline && "
			    "COMP_LINE=\"faultline sy\" COMP_POINT=12 && _faultline && echo \"${COMPREPLY[*]}\"'",
			    &out, 10000), 0);
	assert_string_equal(out, "syscall\n");
	free(out);

	/* Every file is there now, and gone after the purge. */
	files = paths();
	for (p = strtok_r(files, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		struct stat st;

		if (lstat(p, &st))
			fail_msg("%s is not installed", p);
	}
	free(files);

	assert_int_equal(sh("dpkg -r faultline", NULL, 120000), 0);
	assert_int_equal(sh("dpkg -P faultline", NULL, 120000), 0);
	installed_by_us = false;
	assert_false(package_installed());
	files = paths();
	for (p = strtok_r(files, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		struct stat st;

		if (!lstat(p, &st))
			fail_msg("%s is left after dpkg -P", p);
	}
	free(files);
	assert_int_not_equal(access("/usr/include/faultline", F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_contents),
		cmocka_unit_test(test_install_use_remove),
	};

	atexit(purge);
	return cmocka_run_group_tests(tests, setup, teardown);
}
