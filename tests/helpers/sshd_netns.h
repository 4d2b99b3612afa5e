/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: a real sshd (Debian openssh-server) inside a fresh named
 * netns, joined to the host by a veth (the host end addressed, or put on
 * a bridge the test made), with ed25519 keys made by ssh-keygen in the
 * test's own directory. The test names the netns, the veth ends and the
 * addresses (so that two runs at once do not collide); every packet stays
 * between the host and the netns. Root.
 *
 *   fl_sshd_missing()            skip when it says why
 *   fl_sshd_keys_make(dir, ..)   host key, client key (authorized), maybe another
 *   fl_sshd_node_net(&n, ..)     netns + veth, addresses, links up
 *   fl_sshd_privsep_dir(&made)   /run/sshd, which a fresh host may lack
 *   fl_sshd_node_start(&n, ..)   sshd_config, sshd -D, its banner answers
 *   fl_sshd_stop(&n); fl_sshd_node_del(&n); fl_sshd_privsep_release(made)
 */
#ifndef FL_TEST_SSHD_NETNS_H
#define FL_TEST_SSHD_NETNS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FL_SSHD "/usr/sbin/sshd"

/* Why an sshd test cannot run here (sshd, ssh or ssh-keygen missing), or NULL. */
const char *fl_sshd_missing(void);

struct fl_sshd_keys {
	char host[PATH_MAX];           /* dir/host_key: every node's host key */
	char client[PATH_MAX];         /* dir/client_key, in dir/authorized_keys */
	char other[PATH_MAX];          /* dir/other_key: one no sshd knows; "" unless asked */
	char host_pub[600];            /* "ssh-ed25519 AAAA...", for a known_hosts line */
	char other_pub[600];
};

/* 0 or -1. */
int fl_sshd_keys_make(const char *dir, bool other, struct fl_sshd_keys *ret);

struct fl_sshd_node {
	/* Set by the test before fl_sshd_node_net. */
	char ns[64], hdev[16], ndev[16], ip[16];
	uint16_t port;                 /* 0: fl_sshd_node_start picks a free one */
	/* Set here. */
	bool ns_made;
	pid_t sshd;
};

/*
 * netns n->ns, a veth n->hdev (host) - n->ndev (netns) with n->ip/prefix
 * on the netns end, links up (lo too). The host end goes on bridge br,
 * or (br NULL) gets host_ip/prefix. 0 or -1; n->ns_made says what to delete.
 */
int fl_sshd_node_net(struct fl_sshd_node *n, const char *br, const char *host_ip, int prefix);
/* The netns (and the veth with it). */
void fl_sshd_node_del(struct fl_sshd_node *n);

/* sshd's privilege separation directory; *ret_made when this made it. 0 or -1. */
int fl_sshd_privsep_dir(bool *ret_made);
void fl_sshd_privsep_release(bool made);

/*
 * Write dir/sshd_config<tag> (listening on n->ip:n->port, host key
 * keys->host, dir/authorized_keys, public keys only, then extra_config,
 * may be NULL) and start sshd -D in the netns, logging to
 * dir/sshd<tag>.log; wait up to 10 s for its banner. 0 or -1 (with the
 * log printed when sshd did not answer).
 */
int fl_sshd_node_start(struct fl_sshd_node *n, const char *dir, const char *tag,
		       const struct fl_sshd_keys *keys, const char *extra_config);
/* sshd's banner comes from the host side within timeout_ms (false at once if it died). */
bool fl_sshd_answers(struct fl_sshd_node *n, int timeout_ms);
/* Kill what its sessions still run, then sshd itself. */
void fl_sshd_stop(struct fl_sshd_node *n);

/* A socket created inside netns ns (it stays there): fd or -errno. */
int fl_sshd_ns_socket(const char *ns, int type);

#endif /* FL_TEST_SSHD_NETNS_H */
