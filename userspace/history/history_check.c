// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Both checkers over one history, and their JSON. */
#include <errno.h>
#include <string.h>

#include "history_priv.h"

int fl_history_check(const struct fl_history *h, const struct fl_bank_model *bank,
		     struct fl_hist_check *ret)
{
	struct fl_hist_check c = { 0 };
	size_t cap = 0;
	int err;

	if (!h || !ret)
		return -EINVAL;
	err = fl_hist_check_register(h, &c, &cap);
	if (!err && bank && bank->enabled)
		err = fl_hist_check_bank(h, bank, &c, &cap);
	if (err) {
		fl_hist_check_free(&c);
		return err;
	}
	c.valid = c.n_anomalies == 0;
	*ret = c;
	return 0;
}

static json_t *idx_json(size_t i)
{
	return i == FL_HIST_NONE ? json_null() : json_integer((json_int_t)i);
}

static json_t *anomaly_json(const struct fl_anomaly *a)
{
	bool stale = a->kind == FL_ANOM_STALE_READ;

	return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:{s:I, s:I, s:o, s:o, s:o}}",
		"kind", fl_anomaly_kind_name(a->kind),
		"key", (json_int_t)a->key,
		"op", idx_json(a->op),
		"writer", idx_json(a->writer),
		"by", idx_json(a->by),
		"value", a->nil ? json_null() : json_integer(a->value),
		"nil", a->nil,
		"by_value", stale ? json_integer(a->by_value) : json_null(),
		"expected", a->kind == FL_ANOM_BANK_TOTAL ? json_integer(a->expected) : json_null(),
		"diff", a->kind == FL_ANOM_BANK_TOTAL ? json_integer(a->diff) : json_null(),
		"times_ns",
		"read_invoke", (json_int_t)a->read_invoke_ns,
		"read_complete", (json_int_t)a->read_complete_ns,
		"writer_complete", stale && a->writer != FL_HIST_NONE ?
			json_integer((json_int_t)a->writer_complete_ns) : json_null(),
		"by_invoke", stale ? json_integer((json_int_t)a->by_invoke_ns) : json_null(),
		"by_complete", stale ? json_integer((json_int_t)a->by_complete_ns) : json_null());
}

int fl_hist_check_json(const struct fl_hist_check *c, size_t max_anomalies, json_t **ret)
{
	json_t *o, *counts, *list;
	size_t n;

	if (!c || !ret)
		return -EINVAL;
	o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
		      "valid", c->valid, "keys", (json_int_t)c->keys,
		      "reads_checked", (json_int_t)c->reads_checked,
		      "writes_ok", (json_int_t)c->writes_ok,
		      "writes_info", (json_int_t)c->writes_info,
		      "bank_reads_checked", (json_int_t)c->bank_reads_checked,
		      "anomalies_total", (json_int_t)c->n_anomalies,
		      "counts", json_object(), "anomalies", json_array());
	if (!o)
		return -ENOMEM;
	counts = json_object_get(o, "counts");
	list = json_object_get(o, "anomalies");
	for (int k = 0; k < FL_ANOM__COUNT; k++)
		if (json_object_set_new(counts, fl_anomaly_kind_name(k),
					json_integer((json_int_t)c->counts[k])))
			goto nomem;
	n = max_anomalies && max_anomalies < c->n_anomalies ? max_anomalies : c->n_anomalies;
	for (size_t i = 0; i < n; i++) {
		json_t *a = anomaly_json(&c->anomalies[i]);

		if (!a || json_array_append_new(list, a))
			goto nomem;
	}
	*ret = o;
	return 0;
nomem:
	json_decref(o);
	return -ENOMEM;
}
