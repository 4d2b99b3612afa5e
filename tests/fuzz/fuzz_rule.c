// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the rule grammar: any input either fails to parse
 * with a message and a column inside the text, or parses into a rule whose
 * canonical text parses back into the very same rule.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/rule.h>

static void check_error(const struct fl_rule_error *err, size_t len)
{
	if (err->message[0] == '\0' || !strstr(err->message, "column") ||
	    err->column < 1 || err->column > len + 1) {
		fprintf(stderr, "bad error: column %u, message '%s'\n",
			err->column, err->message);
		abort();
	}
}

/* Columns depend on the text; everything else must survive formatting. */
static void same_rule(const struct fl_rule *a, const struct fl_rule *b)
{
	struct fl_rule x = *a, y = *b;

	memset(&x.col, 0, sizeof(x.col));
	memset(&y.col, 0, sizeof(y.col));
	if (!fl_rule_equal(a, b) || memcmp(&x, &y, sizeof(x)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum fl_domain domains[] = {
		FL_DOMAIN_SYSCALL, FL_DOMAIN_NET, FL_DOMAIN_FS, FL_DOMAIN_PROC,
	};
	struct fl_rule rule, again;
	struct fl_rule_error err = { 0 };
	char *text, buf[2 * FL_RULE_MAX_LEN + 64];
	size_t i;
	int n;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (fl_rule_parse(text, &rule, &err)) {
		check_error(&err, strlen(text) > FL_RULE_MAX_LEN ?
					  FL_RULE_MAX_LEN : strlen(text));
		goto out;
	}
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (fl_rule_check_domain(&rule, domains[i], &err))
			check_error(&err, strlen(text));
	}

	n = fl_rule_format(&rule, buf, sizeof(buf));
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    fl_rule_format(&rule, NULL, 0) != n || strlen(buf) != (size_t)n)
		abort();
	memset(&err, 0, sizeof(err));
	if (fl_rule_parse(buf, &again, &err)) {
		fprintf(stderr, "'%s' -> '%s' does not parse: %s\n", text, buf,
			err.message);
		abort();
	}
	same_rule(&rule, &again);
out:
	free(text);
	return 0;
}
