// SPDX-License-Identifier: GPL-2.0-only
/*
 * The EDN history reader on arbitrary bytes: it must never crash, leak or
 * read out of bounds; what it accepts must check, and write out and read
 * back to the same number of ops.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <faultline/history.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_bank_model m = { .enabled = true, .total = 100, .accounts = 3 };
	struct fl_history *h = NULL, *back = NULL;
	struct fl_hist_check c;
	char errbuf[128], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (fl_history_read_edn(f, &h, errbuf, sizeof(errbuf))) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if (!fl_history_check(h, &m, &c))
		fl_hist_check_free(&c);
	f = open_memstream(&buf, &len);
	if (f && !fl_history_write_edn(h, f)) {
		fclose(f);
		f = fmemopen(buf, len ? len : 1, "r");
		if (f && (fl_history_read_edn(f, &back, errbuf, sizeof(errbuf)) ||
			  fl_history_len(back) != fl_history_len(h)))
			abort();
	}
	if (f)
		fclose(f);
	free(buf);
	fl_history_free(back);
	fl_history_free(h);
	return 0;
}
