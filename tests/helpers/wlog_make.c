// SPDX-License-Identifier: GPL-2.0-only
/* A write log in faultfs's format, made by hand: see wlog_make.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "wlog_make.h"

/* One log per test (cmocka runs them one at a time), as faultfs keeps one per mount. */
static json_t *lines;
static json_int_t seq;

int fl_wlm_setup(void **state)
{
	(void)state;
	json_decref(lines);
	lines = json_array();
	seq = 0;
	return lines ? 0 : -1;
}

int fl_wlm_teardown(void **state)
{
	(void)state;
	json_decref(lines);
	lines = NULL;
	return 0;
}

json_t *fl_wlm_lines(void)
{
	return lines;
}

size_t fl_wlm_add(json_t *l)
{
	assert_non_null(l);
	json_object_set_new(l, "seq", json_integer(++seq));
	json_object_set_new(l, "result", json_integer(0));
	json_array_append_new(lines, l);
	return json_array_size(lines) - 1;
}

size_t fl_wlm_op(const char *what, const char *path, json_int_t ino)
{
	return fl_wlm_add(json_pack("{s:s, s:s, s:I}", "op", what, "path", path, "ino", ino));
}

size_t fl_wlm_op2(const char *what, const char *path, const char *path2, json_int_t ino)
{
	return fl_wlm_add(json_pack("{s:s, s:s, s:s, s:I}", "op", what, "path", path,
				    "path2", path2, "ino", ino));
}

size_t fl_wlm_write(const char *path, json_int_t ino, json_int_t len)
{
	return fl_wlm_add(json_pack("{s:s, s:s, s:I, s:I, s:I}", "op", "write", "path", path,
				    "ino", ino, "off", (json_int_t)0, "len", len));
}

size_t fl_wlm_cut(json_t *names, json_int_t unlisted)
{
	return fl_wlm_add(json_pack("{s:s, s:s, s:{s:o, s:I}}", "op", "powercut", "path", "/",
				    "detail", "names", names, "names_unlisted", unlisted));
}

json_t *fl_wlm_name(const char *what, const char *path, bool dir, json_int_t count,
		    const char *from)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:I}", "op", what, "path", path, "dir", dir,
			      "unsynced_dir", "/", "count", count);

	assert_non_null(o);
	if (from)
		json_object_set_new(o, "from", json_string(from));
	return o;
}
