// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Every record a store holds, each judged intact or not by its payload's checksum and id. */
#include <errno.h>
#include <stdlib.h>

#include <faultline/rpo_load.h>
#include <faultline/workload.h>

struct readback {
	struct fl_readback *v;
	size_t n, cap;
};

static int on_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct readback *r = ctx;
	uint64_t embedded;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4096;
		struct fl_readback *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].id = id;
	r->v[r->n].intact = id && fl_payload_check(payload, len, &embedded) == 0 && embedded == id;
	r->n++;
	return 0;
}

int fl_rpo_read_back(struct fl_workload *w, struct fl_readback **ret, size_t *ret_n,
		     char *errbuf, size_t errlen)
{
	struct readback r = { 0 };
	int err = fl_workload_read_all(w, on_record, &r, errbuf, errlen);

	if (err) {
		free(r.v);
		return err;
	}
	*ret = r.v;
	*ret_n = r.n;
	return 0;
}
