// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libnftables in a netns. The context (and its netlink socket) is made
 * after the thread entered the netns and freed before it leaves, so the
 * commands act there; the library has process-wide state of its own, so
 * callers run one command at a time (the main loop, or the watchdog).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "core/netns.h"
#include "core/nft.h"

/* nft's error text: "Error: Could not process rule: ...\n<the command>\n  ^^^" */
static void first_line(const char *s, char *buf, size_t len)
{
	size_t n;

	if (!buf || !len)
		return;
	if (!s)
		s = "";
	if (!strncmp(s, "Error: ", 7))
		s += 7;
	n = strcspn(s, "\n");
	snprintf(buf, len, "%.*s", (int)n, s);
}

int fl_nft_run(const char *netns, const char *cmds, char *out, size_t out_len,
	       char *msg, size_t msg_len)
{
	struct nft_ctx *nft;
	int saved, err, rc;

	if (msg && msg_len)
		msg[0] = '\0';
	if (out && out_len)
		out[0] = '\0';
	if (!cmds)
		return -EINVAL;
	err = fl_netns_enter(netns, &saved);
	if (err) {
		if (msg && msg_len)
			snprintf(msg, msg_len, "cannot enter netns %s: %s", netns, strerror(-err));
		return err;
	}
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		err = -ENOMEM;
		goto leave;
	}
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		err = -ENOMEM;
		goto free;
	}
	rc = nft_run_cmd_from_buffer(nft, cmds);
	if (rc) {
		first_line(nft_ctx_get_error_buffer(nft), msg, msg_len);
		err = -EPROTO;
	} else if (out && out_len) {
		const char *o = nft_ctx_get_output_buffer(nft);

		snprintf(out, out_len, "%s", o ? o : "");
	}
free:
	nft_ctx_free(nft);
leave:
	rc = fl_netns_leave(saved);
	if (rc) {
		/* The thread is stranded in the other netns: the caller must not go on. */
		if (msg && msg_len)
			snprintf(msg, msg_len, "cannot return from netns %s: %s", netns,
				 strerror(-rc));
		return rc;
	}
	return err;
}
