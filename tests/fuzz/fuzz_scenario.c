// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for scenario files: any input is either a scenario
 * with no error, or refused with at least one error, each of the form
 * "fuzz.yaml:LINE:COL: MESSAGE" with LINE inside the input; nothing leaks
 * (ASan) and nothing reads past the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/scenario.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;
	char prefix[64];
	unsigned lines = 1;
	int r;

	/* an upper bound of YAML's line breaks: \n, \r, NEL (c2 85), LS/PS (e2 80 a8/a9) */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 ||
			 data[i] == 0xa9;
	r = fl_scenario_parse((const char *)data, size, "fuzz.yaml", &s, &errs);
	if (r == 0) {
		if (!s || errs.total)
			abort();
		fl_scenario_free(s);
		return 0;
	}
	if (s || (r != -EINVAL && r != -ENOMEM && r != -EFBIG))
		abort();
	if (r == -ENOMEM)
		return 0;
	if (!errs.n || errs.n > FL_SCENARIO_MAX_ERRORS || errs.total < errs.n)
		abort();
	for (unsigned i = 0; i < errs.n; i++) {
		const struct fl_scenario_diag *d = &errs.e[i];

		snprintf(prefix, sizeof(prefix), "fuzz.yaml:%u:%u: ", d->line, d->column);
		if (d->line < 1 || d->line > lines || d->column < 1 ||
		    strncmp(d->text, prefix, strlen(prefix)) || d->msg_off != strlen(prefix) ||
		    !d->text[d->msg_off]) {
			fprintf(stderr, "bad error (%u lines): '%s'\n", lines, d->text);
			abort();
		}
	}
	return 0;
}
