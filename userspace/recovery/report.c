// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_generate_report: results read back from their documents by the
 * report room's own reader (as `faultline report` reads files), then
 * written by its writers to the files the options name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/recovery.h>

static int __attribute__((format(printf, 3, 4)))
why(const struct fl_report_opts *o, int err, const char *fmt, ...)
{
	va_list ap;

	if (o && o->errbuf && o->errlen) {
		va_start(ap, fmt);
		vsnprintf(o->errbuf, o->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

typedef int (*writer_fn)(FILE *, const struct fl_report_result *const *, size_t);

static int write_to(const char *path, const char *what, writer_fn fn,
		    const struct fl_report_result *const *r, size_t n,
		    const struct fl_report_opts *o)
{
	bool out = strcmp(path, "-") == 0;
	FILE *f = out ? stdout : fopen(path, "we");
	int err;

	if (!f)
		return why(o, -errno, "%s%s: %s", what, path, strerror(errno));
	err = fn(f, r, n);
	if (out ? fflush(f) : fclose(f))
		err = err ? err : -EIO;
	if (err)
		return why(o, err < 0 ? err : -EIO, "%s%s: could not be written", what,
			   out ? "stdout" : path);
	return 0;
}

static int write_html(const struct fl_report_result *const *r, size_t n,
		      const struct fl_report_opts *o)
{
	char reason[512] = "";
	FILE *f = fopen(o->html, "we");
	int err;

	if (!f)
		return why(o, -errno, "%s: %s", o->html, strerror(errno));
	err = fl_report_html(f, r, n, &o->html_opts, o->plot_errors, reason, sizeof(reason));
	if (fclose(f))
		err = err ? err : -EIO;
	if (err)
		return why(o, err < 0 ? err : -EIO, "%s: %s", o->html,
			   reason[0] ? reason : "could not be written");
	return 0;
}

int fl_report_write(const struct fl_report_result *const *r, size_t n,
		    const struct fl_report_opts *o)
{
	int err;

	if (!o)
		return -EINVAL;
	if (!r || !n)
		return why(o, -EINVAL, "no results to report");
	for (size_t i = 0; i < n; i++)
		if (!r[i])
			return why(o, -EINVAL, "result %zu is NULL", i + 1);
	if (!o->html && !o->junit && !o->markdown)
		return why(o, -EINVAL, "no output named (html, junit or markdown)");
	if (o->plot_errors)
		*o->plot_errors = 0;
	if (o->html) {
		err = write_html(r, n, o);
		if (err)
			return err;
	}
	if (o->junit) {
		err = write_to(o->junit, "--junit ", fl_report_junit, r, n, o);
		if (err)
			return err;
	}
	if (o->markdown)
		return write_to(o->markdown, "", fl_report_markdown, r, n, o);
	return 0;
}

int fl_generate_report(const struct fl_recovery_result *const *r, size_t n, const struct fl_report_opts *o)
{
	struct fl_report_result **rr = NULL;
	size_t got = 0;
	int err;

	if (!o)
		return -EINVAL;
	if (!r || !n)
		return why(o, -EINVAL, "no results to report");
	if (!o->html && !o->junit && !o->markdown)
		return why(o, -EINVAL, "no output named (html, junit or markdown)");
	for (size_t i = 0; i < n; i++)
		if (!r[i] || !r[i]->json)
			return why(o, -EINVAL, "result %zu has no document", i + 1);
	rr = calloc(n, sizeof(*rr));
	if (!rr)
		return -ENOMEM;
	for (; got < n; got++) {
		char name[64], reason[512] = "";
		char *text = json_dumps(r[got]->json, JSON_COMPACT);

		if (!text) {
			err = -ENOMEM;
			goto out;
		}
		snprintf(name, sizeof(name), "%s result %zu",
			 fl_recovery_kind_name(r[got]->kind) ?: "unknown", got + 1);
		err = fl_report_parse(name, text, strlen(text), &rr[got], reason, sizeof(reason));
		free(text);
		if (err) {
			why(o, err, "%s", reason);
			goto out;
		}
	}
	err = fl_report_write((const struct fl_report_result *const *)rr, n, o);
out:
	for (size_t i = 0; i < got; i++)
		fl_report_free(rr[i]);
	free(rr);
	return err;
}
