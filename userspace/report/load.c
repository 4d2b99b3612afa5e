// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which result is this: a JSON document names its schema ("schema" for
 * rpo and scenario, "format" for backup); a file of JSON lines with
 * "ts_ns" is an event log. Anything else is refused, naming the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "report_priv.h"

/* Results with every operation are large; a report reads at most this much. */
#define RP_MAX_FILE (1ull << 30)

static bool looks_like_event_log(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	json_t *first;
	bool yes;

	first = json_loadb(text, nl ? (size_t)(nl - text) : len, 0, NULL);
	yes = json_is_object(first) && json_object_get(first, "ts_ns") &&
	      json_object_get(first, "action");
	json_decref(first);
	return yes;
}

/*
 * "mechanisms": [{"for":"fault kill","mechanism":"kill(2) SIGKILL"}, ...],
 * as the runner recorded them, on one row. Results written before
 * faultline recorded them say so rather than leave the row out.
 */
static int mechanisms(const struct rp_ctx *c, json_t *env, struct fl_report_result *r)
{
	char text[480] = "";
	size_t len = 0, i;
	json_t *list, *e;
	int err;

	if ((err = rp_arr(c, env, "environment", "mechanisms", false, &list)))
		return err;
	if (!list)
		return rp_env(r, "mechanisms used", "not recorded in this result");
	json_array_foreach(list, i, e) {
		const char *what = NULL, *mech = NULL;

		if ((err = rp_str(c, e, "environment.mechanisms[]", "for", true, &what)) ||
		    (err = rp_str(c, e, "environment.mechanisms[]", "mechanism", true, &mech)))
			return err;
		if (len < sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s: %s",
						i ? "; " : "", what, mech);
	}
	return rp_env(r, "mechanisms used", "%s", i ? text : "none");
}

/* Where it ran, when the result says (results of faultline 0.1 on carry "environment"). */
static int environment(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r)
{
	const char *kernel = NULL, *version = NULL, *machine = NULL, *fl = NULL;
	json_t *env;
	int err;

	if ((err = rp_objv(c, doc, "", "environment", false, &env)) || !env)
		return err;
	if ((err = rp_str(c, env, "environment", "kernel", false, &kernel)) ||
	    (err = rp_str(c, env, "environment", "kernel_version", false, &version)) ||
	    (err = rp_str(c, env, "environment", "machine", false, &machine)) ||
	    (err = rp_str(c, env, "environment", "faultline", false, &fl)))
		return err;
	if (kernel && (err = rp_env(r, "kernel", "Linux %s %s%s%s", kernel, machine ? machine : "",
				    version ? ", " : "", version ? version : "")))
		return err;
	if (fl && (err = rp_env(r, "faultline", "%s", fl)))
		return err;
	return mechanisms(c, env, r);
}

static int load_doc(const struct rp_ctx *c, json_t *doc, struct fl_report_result **ret)
{
	const char *schema = NULL, *format = NULL;
	struct fl_report_result *r;
	enum fl_rep_kind kind;
	int err;

	if (!json_is_object(doc))
		return rp_bad(c, "", "(top)", "expected a JSON object");
	if ((err = rp_str(c, doc, "", "schema", false, &schema)) ||
	    (err = rp_str(c, doc, "", "format", false, &format)))
		return err;
	if (!schema)
		schema = format;
	if (!schema)
		return rp_bad(c, "", "schema", "missing: not a faultline result "
			      "(rpo, scenario and backup results name their schema)");
	/* /1 and /2 differ in one key, objectives, which the loaders read either way. */
	if (!strcmp(schema, "faultline-rpo/1") || !strcmp(schema, "faultline-rpo/2"))
		kind = FL_REP_RPO;
	else if (!strcmp(schema, "faultline-scenario/1") || !strcmp(schema, "faultline-scenario/2"))
		kind = FL_REP_SCENARIO;
	else if (!strcmp(schema, "faultline-backup/1"))
		kind = FL_REP_BACKUP;
	else {
		fl_errf(c->err, c->errlen, "%s: field %s: unknown schema '%s' (known: "
			"faultline-rpo/1 and /2, faultline-scenario/1 and /2, faultline-backup/1)", c->name,
			format && schema == format ? "format" : "schema", schema);
		return -EINVAL;
	}
	r = rp_new(c->name, kind);
	if (!r)
		return -ENOMEM;
	snprintf(r->schema, sizeof(r->schema), "%s", schema);
	err = kind == FL_REP_RPO ? rp_load_rpo(c, doc, r) :
	      kind == FL_REP_SCENARIO ? rp_load_scenario(c, doc, r) : rp_load_backup(c, doc, r);
	if (!err)
		err = environment(c, doc, r);
	if (err) {
		fl_report_free(r);
		return err;
	}
	*ret = r;
	return 0;
}

int fl_report_parse(const char *name, const char *text, size_t len,
		    struct fl_report_result **ret, char *errbuf, size_t errlen)
{
	struct rp_ctx c = { .name = name, .err = errbuf, .errlen = errlen };
	struct fl_report_result *r;
	json_error_t jerr;
	json_t *doc;
	int err;

	while (len && (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r'))
		text++, len--;
	if (!len) {
		fl_errf(errbuf, errlen, "%s: empty file: not a faultline result", name);
		return -EINVAL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	/* An event log of one line is a JSON object too: it names no schema but has "ts_ns". */
	if (doc && json_is_object(doc) && !json_object_get(doc, "schema") &&
	    !json_object_get(doc, "format") && looks_like_event_log(text, len)) {
		json_decref(doc);
		doc = NULL;
	}
	if (doc) {
		err = load_doc(&c, doc, ret);
		json_decref(doc);
		return err;
	}
	if (!looks_like_event_log(text, len)) {
		fl_errf(errbuf, errlen, "%s: line %d, column %d: not valid JSON: %s", name,
			jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	r = rp_new(name, FL_REP_EVENTS);
	if (!r)
		return -ENOMEM;
	snprintf(r->schema, sizeof(r->schema), "event log (JSON lines)");
	err = rp_load_events(&c, text, len, r);
	if (!err)
		rp_judge(r, NAN, NAN, NAN);
	if (err) {
		fl_report_free(r);
		return err;
	}
	*ret = r;
	return 0;
}

int fl_report_load(const char *path, struct fl_report_result **ret, char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f) {
		err = -errno;
		fl_errf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return err;
	}
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			char *p;

			if (cap >= RP_MAX_FILE) {
				fl_errf(errbuf, errlen, "%s: larger than 1 GiB: not read", path);
				err = -EFBIG;
				goto out;
			}
			p = realloc(text, cap ? cap * 2 : 1 << 20);
			if (!p) {
				err = -ENOMEM;
				fl_errf(errbuf, errlen, "%s: out of memory", path);
				goto out;
			}
			text = p;
			cap = cap ? cap * 2 : 1 << 20;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				err = -EIO;
				fl_errf(errbuf, errlen, "%s: read error", path);
				goto out;
			}
			break;
		}
	}
	err = fl_report_parse(path, text ? text : "", len, ret, errbuf, errlen);
out:
	free(text);
	fclose(f);
	return err;
}
