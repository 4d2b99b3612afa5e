// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline completion bash: print a bash completion script made from the
 * tables the parsers use: the command table (main.c), each command's
 * struct option array and verbs, the syscall and errno name tables, the
 * signal names, the mechanisms, the rpo fault kinds and the rule grammar
 * (actions and selectors, filtered by what each domain accepts). Nothing
 * in the script is kept by hand apart from the shell logic itself.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <faultline/cluster.h>
#include <faultline/net.h>
#include <faultline/probe.h>
#include <faultline/rpo_session.h>
#include <faultline/rule.h>

#include "cli/cli.h"

#define SYSCALL_NR_MAX 1024
#define ERRNO_MAX      4095
#define SIGNAL_MAX     31     /* the classic signals; no SIGRTMIN+N */

const struct option fl_completion_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const char *const shells[] = { "bash" };

const char *fl_completion_verb(size_t i, const struct option **opts)
{
	if (i >= sizeof(shells) / sizeof(shells[0]))
		return NULL;
	*opts = fl_completion_options;
	return shells[i];
}

/*
 * What an option's value is, by option name. This says how to complete a
 * value, not which options exist: an option missing here gets no value
 * completion, a name here that no table has is never used.
 */
static const struct {
	const char *name;
	const char *kind;   /* the _faultline_value case in the script */
} value_kinds[] = {
	{ "log", "file" }, { "output", "file" }, { "service-log", "file" },
	{ "run-dir", "dir" }, { "data-dir", "dir" }, { "cgroup", "cgroup" },
	{ "mechanism", "mechanism" }, { "fault", "fault" }, { "term-signal", "signal" },
	{ "start", "command" }, { "restart", "command" }, { "health", "command" },
	{ "pid", "pid" }, { "comm", "comm" }, { "netns", "netns" }, { "dev", "dev" },
};

/*
 * Op names faultfs may know besides syscall names (FUSE's operations).
 * Only candidates: each is kept only if fl_rule_check_domain() accepts it.
 */
static const char *const fuse_op_candidates[] = {
	"getattr", "readlink", "mknod", "symlink", "link", "chmod", "chown", "create",
	"flush", "release", "fsyncdir", "opendir", "readdir", "releasedir", "statfs",
	"getxattr", "listxattr", "removexattr", "access", "lock", "utimens", "bmap",
	"ioctl", "poll", "write_buf", "read_buf", "flock", "copy_file_range", "lseek",
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline completion bash\n"
		"\n"
		"Print a bash completion script for faultline on stdout. It is generated\n"
		"from faultline's own tables: commands, their options and verbs, syscall\n"
		"names, errno and signal names, mechanisms, fault kinds, rule actions and\n"
		"selectors. 'make install' installs it as\n"
		"  PREFIX/share/bash-completion/completions/faultline\n"
		"To try it in the current shell:  source <(faultline completion bash)\n"
		"\n"
		"  -h, --help     this help\n"
		"\n"
		"Exit status: 0 printed, 2 bad usage.\n");
}

static const char *value_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(value_kinds) / sizeof(value_kinds[0]); i++)
		if (!strcmp(value_kinds[i].name, name))
			return value_kinds[i].kind;
	return NULL;
}

/* One op, one action, optionally one selector: does the domain take it? */
static bool domain_accepts(enum fl_domain dom, const char *op, enum fl_action action,
			   unsigned key)
{
	struct fl_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.ops[0], sizeof(r.ops[0]), "%s", op);
	r.n_ops = 1;
	r.action = action;
	r.keys = key;
	if (action != FL_ACTION_CORRUPT)
		return fl_rule_check_domain(&r, dom, NULL) == 0;
	/* corrupt's modes differ by domain: does it take any of them? */
	for (int m = FL_CORRUPT_DEFAULT; m <= FL_CORRUPT_PAYLOAD; m++) {
		r.arg.corrupt = m;
		if (fl_rule_check_domain(&r, dom, NULL) == 0)
			return true;
	}
	return false;
}

/* Does "HEAD:NAME" parse, i.e. is NAME a flag after HEAD? */
static bool parses(const char *head, const char *name)
{
	char text[128];
	struct fl_rule r;

	snprintf(text, sizeof(text), "%s:%s", head, name);
	return fl_rule_parse(text, &r, NULL) == 0;
}

/*
 * Is action NAME complete without a value in the domain? A bare 'corrupt'
 * parses (the net domain's default mode) but the fs domain wants one.
 */
static bool bare_action(enum fl_domain dom, const char *op, const char *name)
{
	char text[128];
	struct fl_rule r;

	snprintf(text, sizeof(text), "%s:%s", op, name);
	return fl_rule_parse(text, &r, NULL) == 0 &&
	       fl_rule_check_domain(&r, dom, NULL) == 0;
}

/* The value of KEY in a formatted rule: "write:corrupt=zero" -> "zero". */
static void put_formatted_value(FILE *out, const struct fl_rule *r, const char *key, bool *first)
{
	char text[256], *p, *end;
	size_t n = strlen(key);

	if (fl_rule_format(r, text, sizeof(text)) < 0)
		return;
	for (p = text; (p = strchr(p, ':')); p++) {
		if (strncmp(p + 1, key, n) || p[1 + n] != '=')
			continue;
		p += 2 + n;
		end = strchr(p, ':');
		fprintf(out, "%s%.*s", *first ? "" : " ", end ? (int)(end - p) : (int)strlen(p), p);
		*first = false;
		return;
	}
}

static void put_words_begin(FILE *out, const char *var)
{
	fprintf(out, "_faultline_%s='", var);
}

/* The op names a domain accepts, '*' first. */
static void put_ops(FILE *out, enum fl_domain dom)
{
	put_words_begin(out, dom == FL_DOMAIN_SYSCALL ? "sc_ops" : "fs_ops");
	fputc('*', out);
	for (int nr = 0; nr < SYSCALL_NR_MAX; nr++) {
		const char *name = fl_syscall_name(nr);

		if (name && domain_accepts(dom, name, FL_ACTION_ERROR, 0))
			fprintf(out, " %s", name);
	}
	for (size_t i = 0; dom != FL_DOMAIN_SYSCALL &&
	     i < sizeof(fuse_op_candidates) / sizeof(fuse_op_candidates[0]); i++)
		if (fl_syscall_nr(fuse_op_candidates[i]) < 0 &&
		    domain_accepts(dom, fuse_op_candidates[i], FL_ACTION_ERROR, 0))
			fprintf(out, " %s", fuse_op_candidates[i]);
	fputs("'\n", out);
}

/* Actions and selectors of a domain; "NAME=" when it takes a value. */
static void put_grammar(FILE *out, enum fl_domain dom, const char *prefix)
{
	/* fsync is an op of both the syscall and the faultfs domain. */
	const char *op = "fsync";

	fprintf(out, "_faultline_%s_actions='", prefix);
	for (unsigned a = FL_ACTION_NONE + 1, first = 1; a < FL_ACTION__COUNT; a++) {
		const char *name = fl_action_name(a);

		if (!name || !domain_accepts(dom, op, a, 0))
			continue;
		fprintf(out, "%s%s%s", first ? "" : " ", name, bare_action(dom, op, name) ? "" : "=");
		first = 0;
	}
	fprintf(out, "'\n_faultline_%s_keys='", prefix);
	for (unsigned i = 0, first = 1; i < FL_RULE_N_KEYS; i++) {
		const char *name = fl_rule_key_name(1u << i);
		bool flag;

		if (!name || !domain_accepts(dom, op, FL_ACTION_ERROR, 1u << i))
			continue;
		flag = parses("write:corrupt=bitflip", name) || parses("write:error=EIO", name);
		fprintf(out, "%s%s%s", first ? "" : " ", name, flag ? "" : "=");
		first = 0;
	}
	fputs("'\n", out);
}

/*
 * The net domain as 'faultline net' takes it: the packet protocols, and
 * only the actions and selectors fl_net_compile accepts (the grammar
 * parses more than the datapath does yet).
 */
static bool net_builds_on(const char *op, enum fl_action action, unsigned key);

/* udp shows what the packet rules take; reset takes tcp alone, and is offered too. */
static bool net_builds(enum fl_action action, unsigned key)
{
	return net_builds_on("udp", action, key) ||
	       (action == FL_ACTION_RESET && net_builds_on("tcp", action, key));
}

static bool net_builds_on(const char *op, enum fl_action action, unsigned key)
{
	/* --netns: the target that takes every action 'faultline net' builds (delay=, rate= too). */
	struct fl_net_compile_opts co = { .kind = FL_NET_TARGET_NETNS, .start_ns = 1,
					  .delay_line = true, .shape = true };
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule r;
	size_t n;

	memset(&r, 0, sizeof(r));
	snprintf(r.ops[0], sizeof(r.ops[0]), "%s", op);
	r.n_ops = 1;
	r.action = action;
	r.keys = key;
	r.prob_ppm = 1000000;
	r.when = (struct fl_when){ 1, FL_WHEN_INF, 1 };
	return fl_rule_check_domain(&r, FL_DOMAIN_NET, NULL) == 0 &&
	       fl_net_compile(&r, 1, &co, k, NULL, FL_NET_MAX_RULES, &n, NULL, NULL) == 0;
}

/* A socket call with error= and key, as 'faultline net' takes it on a cgroup. */
static bool net_sock_builds(const char *op, unsigned key)
{
	struct fl_net_compile_opts co = { .kind = FL_NET_TARGET_CGROUP, .start_ns = 1 };
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule r;
	size_t n;

	memset(&r, 0, sizeof(r));
	snprintf(r.ops[0], sizeof(r.ops[0]), "%s", op);
	r.n_ops = 1;
	r.action = FL_ACTION_ERROR;
	r.arg.error = 1;
	r.keys = key;
	r.prob_ppm = 1000000;
	r.when = (struct fl_when){ 1, FL_WHEN_INF, 1 };
	/* the address keys need an address of a family */
	r.net.src.family = r.net.dst.family = (key & (FL_KEY_SRC | FL_KEY_DST)) ? FL_NET_IPV4 : 0;
	r.net.src.prefix_len = r.net.dst.prefix_len = (key & (FL_KEY_SRC | FL_KEY_DST)) ? 32 : 0;
	r.net.sport = r.net.dport = (struct fl_port_range){ 1, 1 };
	return fl_rule_check_domain(&r, FL_DOMAIN_NET, NULL) == 0 &&
	       fl_net_compile(&r, 1, &co, k, NULL, FL_NET_MAX_RULES, &n, NULL, NULL) == 0;
}

/*
 * connect, sendmsg and bind: their own action (error=) and keys, per call
 * (bind takes src/sport, the others dst/dport), for the ops that compile.
 */
static void put_net_sock_grammar(FILE *out, const char *const *calls, size_t n)
{
	bool first = true;

	fputs("_faultline_net_sock_ops='", out);
	for (size_t i = 0; i < n; i++) {
		if (!net_sock_builds(calls[i], 0))
			continue;
		fprintf(out, "%s%s", first ? "" : " ", calls[i]);
		first = false;
	}
	fputs("'\n_faultline_net_sock_actions='error='\n", out);
	for (size_t i = 0; i < n; i++) {
		first = true;
		fprintf(out, "_faultline_net_%s_keys='", calls[i]);
		for (unsigned b = 0; b < FL_RULE_N_KEYS; b++) {
			const char *name = fl_rule_key_name(1u << b);

			if (!name || !net_sock_builds(calls[i], 1u << b))
				continue;
			fprintf(out, "%s%s=", first ? "" : " ", name);
			first = false;
		}
		fputs("'\n", out);
	}
}

static void put_net_grammar(FILE *out)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", "ip", "ip6", "any" };
	static const char *const calls[] = { "connect", "sendmsg", "bind" };
	struct fl_rule r;
	bool first = true;

	put_net_sock_grammar(out, calls, sizeof(calls) / sizeof(calls[0]));
	put_words_begin(out, "net_ops");
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (fl_net_proto_bit(protos[i]) & FL_NET_PROTO_PACKET)
			fprintf(out, "%s%s", i ? " " : "", protos[i]);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (net_sock_builds(calls[i], 0))
			fprintf(out, " %s", calls[i]);
	fputs("'\n_faultline_net_actions='", out);
	for (unsigned a = FL_ACTION_NONE + 1; a < FL_ACTION__COUNT; a++) {
		const char *name = fl_action_name(a);

		if (!name || !net_builds(a, 0))
			continue;
		fprintf(out, "%s%s%s", first ? "" : " ", name,
			bare_action(FL_DOMAIN_NET, a == FL_ACTION_RESET ? "tcp" : "udp", name) ?
			"" : "=");
		first = false;
	}
	fputs("'\n_faultline_net_keys='", out);
	first = true;
	for (unsigned i = 0; i < FL_RULE_N_KEYS; i++) {
		const char *name = fl_rule_key_name(1u << i);

		if (!name || !net_builds(FL_ACTION_DROP, 1u << i))
			continue;
		fprintf(out, "%s%s%s", first ? "" : " ", name, parses("udp:drop", name) ? "" : "=");
		first = false;
	}
	fputs("'\n_faultline_net_corrupt='", out);
	first = true;
	memset(&r, 0, sizeof(r));
	snprintf(r.ops[0], sizeof(r.ops[0]), "udp");
	r.n_ops = 1;
	r.when = (struct fl_when){ 1, FL_WHEN_INF, 1 };
	r.prob_ppm = 1000000;
	r.action = FL_ACTION_CORRUPT;
	for (int m = FL_CORRUPT_WIRE; m <= FL_CORRUPT_PAYLOAD; m++) {
		r.arg.corrupt = m;
		put_formatted_value(out, &r, "corrupt", &first);
	}
	fputs("'\n", out);
}

static void put_option_names(FILE *out, const struct option *opts, bool with_value)
{
	bool first = true;

	for (const struct option *o = opts; o && o->name; o++) {
		if (with_value && o->has_arg != required_argument)
			continue;
		fprintf(out, "%s--%s", first ? "" : " ", o->name);
		if (with_value && o->val > ' ' && o->val < 127)
			fprintf(out, " -%c", o->val);
		first = false;
	}
}

/* "probe) echo '--json --mechanism --help' ;;" for options and for valued options. */
static void put_option_cases(FILE *out, bool with_value)
{
	const struct option *vopts;
	const char *verb;

	fprintf(out, "_faultline_%s()\n{\n\tcase $1 in\n", with_value ? "argopts" : "opts");
	fputs("\t'') echo '", out);
	put_option_names(out, fl_cli_global_options, with_value);
	fputs("' ;;\n", out);
	for (size_t i = 0; i < fl_cli_n_commands; i++) {
		const struct fl_cli_command *c = &fl_cli_commands[i];

		if (c->opts) {
			fprintf(out, "\t%s) echo '", c->name);
			put_option_names(out, c->opts, with_value);
			fputs("' ;;\n", out);
		}
		for (size_t v = 0; c->verb && (verb = c->verb(v, &vopts)); v++) {
			fprintf(out, "\t'%s %s') echo '", c->name, verb);
			put_option_names(out, vopts, with_value);
			fputs("' ;;\n", out);
		}
	}
	fputs("\tesac\n}\n\n", out);
}

/* "probe:--mechanism|syscall:--mechanism|syscall:-m) kind=mechanism ;;" */
static void put_value_case(FILE *out, const char *cmd, const struct option *o, bool *any)
{
	const char *kind;

	if (o->has_arg != required_argument || !(kind = value_kind(o->name)))
		return;
	fprintf(out, "\t'%s:--%s'", cmd, o->name);
	if (o->val > ' ' && o->val < 127)
		fprintf(out, "|'%s:-%c'", cmd, o->val);
	fprintf(out, ") echo %s ;;\n", kind);
	*any = true;
}

static void put_value_kinds(FILE *out)
{
	const struct option *vopts;
	const char *verb;
	bool any = false;

	fputs("# The kind of value an option takes: $1 = command[ verb], $2 = option.\n"
	      "_faultline_kind()\n{\n\tcase $1:$2 in\n", out);
	for (const struct option *o = fl_cli_global_options; o->name; o++)
		put_value_case(out, "", o, &any);
	for (size_t i = 0; i < fl_cli_n_commands; i++) {
		const struct fl_cli_command *c = &fl_cli_commands[i];
		char name[64];

		for (const struct option *o = c->opts; o && o->name; o++)
			put_value_case(out, c->name, o, &any);
		for (size_t v = 0; c->verb && (verb = c->verb(v, &vopts)); v++) {
			snprintf(name, sizeof(name), "%s %s", c->name, verb);
			for (const struct option *o = vopts; o->name; o++)
				put_value_case(out, name, o, &any);
		}
	}
	fputs("\tesac\n}\n\n", out);
}

static void put_tables(FILE *out)
{
	const struct option *vopts;
	const char *name, *verb;
	struct fl_rule r;
	bool first;

	fputs("_faultline_commands='", out);
	for (size_t i = 0; i < fl_cli_n_commands; i++)
		fprintf(out, "%s%s", i ? " " : "", fl_cli_commands[i].name);
	fputs("'\n\n# Verbs: 'faultline fs status', 'faultline completion bash'.\n"
	      "_faultline_verbs()\n{\n\tcase $1 in\n", out);
	for (size_t i = 0; i < fl_cli_n_commands; i++) {
		const struct fl_cli_command *c = &fl_cli_commands[i];

		if (!c->verb)
			continue;
		fprintf(out, "\t%s) echo '", c->name);
		for (size_t v = 0; (verb = c->verb(v, &vopts)); v++)
			fprintf(out, "%s%s", v ? " " : "", verb);
		fputs("' ;;\n", out);
	}
	fputs("\tesac\n}\n\n", out);

	put_option_cases(out, false);
	put_option_cases(out, true);
	put_value_kinds(out);

	put_ops(out, FL_DOMAIN_SYSCALL);
	put_grammar(out, FL_DOMAIN_SYSCALL, "sc");
	put_ops(out, FL_DOMAIN_FS);
	put_grammar(out, FL_DOMAIN_FS, "fs");
	put_net_grammar(out);

	fputs("_faultline_errnos='", out);
	first = true;
	for (int e = 1; e <= ERRNO_MAX; e++)
		if ((name = fl_errno_name(e))) {
			fprintf(out, "%s%s", first ? "" : " ", name);
			first = false;
		}
	fputs("'\n_faultline_signals='", out);
	first = true;
	for (int s = 1; s <= SIGNAL_MAX; s++)
		if ((name = fl_signal_name(s))) {
			fprintf(out, "%s%s", first ? "" : " ", name);
			first = false;
		}
	fputs("'\n_faultline_corrupt='", out);
	first = true;
	memset(&r, 0, sizeof(r));
	snprintf(r.ops[0], sizeof(r.ops[0]), "write");
	r.n_ops = 1;
	r.when = (struct fl_when){ 1, FL_WHEN_INF, 1 };
	r.prob_ppm = 1000000;
	r.action = FL_ACTION_CORRUPT;
	for (int m = FL_CORRUPT_BITFLIP; m <= FL_CORRUPT_RANDOM; m++) {
		r.arg.corrupt = m;
		put_formatted_value(out, &r, "corrupt", &first);
	}
	fputs("'\n_faultline_powercut='", out);
	first = true;
	r.action = FL_ACTION_POWERCUT;
	for (int m = FL_POWERCUT_BEFORE; m <= FL_POWERCUT_AFTER; m++) {
		r.arg.powercut = m;
		put_formatted_value(out, &r, "powercut", &first);
	}
	fputs("'\n_faultline_mechanisms='", out);
	for (unsigned m = 0; m < FL_MECH__COUNT; m++)
		fprintf(out, "%s%s", m ? " " : "", fl_mechanism_name(m));
	/* crashpoint takes a syscall rule, net a net rule: "crashpoint=" and then the rule. */
	fputs("'\n_faultline_faults='", out);
	for (unsigned f = 0; f < FL_RPO_FAULT__COUNT; f++)
		fprintf(out, "%s%s%s", f ? " " : "", fl_rpo_fault_name(f),
			f == FL_RPO_FAULT_CRASHPOINT || f == FL_RPO_FAULT_NET ? "=" : "");
	/* cluster up KIND: the built-in kinds, and exec (the user's commands). */
	fputs("'\n_faultline_cluster_kinds='", out);
	for (size_t k = 0; fl_cluster_kind_at(k); k++)
		fprintf(out, "%s ", fl_cluster_kind_at(k)->name);
	fputs("exec'\n\n", out);
}

/* The shell logic: how words are read and which table answers. */
static const char script_logic[] =
"# Candidates for the whole current word are made first; bash replaces only\n"
"# the part after the last COMP_WORDBREAKS character (':' and '=' are in it),\n"
"# so that part is what stays in COMPREPLY.\n"
"_faultline_trim()\n"
"{\n"
"\tlocal cur=$1 wb=${COMP_WORDBREAKS-} i pre=\n"
"\tfor ((i = ${#cur} - 1; i >= 0; i--)); do\n"
"\t\tif [[ $wb == *\"${cur:i:1}\"* ]]; then\n"
"\t\t\tpre=${cur:0:i+1}\n"
"\t\t\tbreak\n"
"\t\tfi\n"
"\tdone\n"
"\tif [[ -n $pre ]]; then\n"
"\t\tfor i in \"${!COMPREPLY[@]}\"; do\n"
"\t\t\tCOMPREPLY[i]=${COMPREPLY[i]#\"$pre\"}\n"
"\t\tdone\n"
"\tfi\n"
"}\n"
"\n"
"# $1 = words, $2 = typed, $3 = prefix put before each candidate.\n"
"_faultline_words()\n"
"{\n"
"\tlocal w list\n"
"\tread -ra list <<< \"$1\"\n"
"\tfor w in \"${list[@]}\"; do\n"
"\t\t[[ $w == \"$2\"* ]] && COMPREPLY+=(\"$3$w\")\n"
"\tdone\n"
"}\n"
"\n"
"# A rule: OPS[:ACTION][:SELECTOR]... $1 = sc or fs, $2 = typed, $3 = prefix.\n"
"_faultline_rule()\n"
"{\n"
"\tlocal dom=$1 cur=$2 pre=$3 ops actions keys head tok key w list\n"
"\teval \"ops=\\$_faultline_${dom}_ops actions=\\$_faultline_${dom}_actions\"\n"
"\teval \"keys=\\$_faultline_${dom}_keys\"\n"
"\t# a socket call of 'faultline net': error= and its own keys\n"
"\tw=${cur%%[,:]*}\n"
"\tif [[ $dom == net && $cur == *:* && \" $_faultline_net_sock_ops \" == *\" $w \"* ]]; then\n"
"\t\tactions=$_faultline_net_sock_actions\n"
"\t\teval \"keys=\\$_faultline_net_${w}_keys\"\n"
"\tfi\n"
"\tif [[ $cur != *:* ]]; then\n"
"\t\t# a comma-separated set of ops: complete the last one\n"
"\t\thead=\n"
"\t\t[[ $cur == *,* ]] && head=${cur%,*},\n"
"\t\tread -ra list <<< \"$ops\"\n"
"\t\tfor w in \"${list[@]}\"; do\n"
"\t\t\t[[ $w == \"${cur##*,}\"* ]] && COMPREPLY+=(\"$pre$head$w:\")\n"
"\t\tdone\n"
"\t\treturn\n"
"\tfi\n"
"\thead=${cur%:*}:\n"
"\ttok=${cur##*:}\n"
"\tif [[ $tok == *=* ]]; then\n"
"\t\tkey=${tok%%=*}\n"
"\t\tcase $key in\n"
"\t\terror) w=$_faultline_errnos ;;\n"
"\t\tsignal) w=$_faultline_signals ;;\n"
"\t\tcorrupt) [[ $dom == net ]] && w=$_faultline_net_corrupt || w=$_faultline_corrupt ;;\n"
"\t\tpowercut) w=$_faultline_powercut ;;\n"
"\t\t*) return ;;\n"
"\t\tesac\n"
"\t\t_faultline_words \"$w\" \"${tok#*=}\" \"$pre$head$key=\"\n"
"\t\treturn\n"
"\tfi\n"
"\t# one action per rule, then selectors\n"
"\tread -ra list <<< \"$actions\"\n"
"\tfor w in \"${list[@]}\"; do\n"
"\t\tif [[ :$head == *:\"${w%=}\"[:=]* ]]; then\n"
"\t\t\tactions=\n"
"\t\t\tbreak\n"
"\t\tfi\n"
"\tdone\n"
"\t_faultline_words \"$actions $keys\" \"$tok\" \"$pre$head\"\n"
"}\n"
"\n"
"# The value of an option. $1 = command[ verb], $2 = option, $3 = typed, $4 = prefix.\n"
"_faultline_value()\n"
"{\n"
"\tlocal cur=$3 pre=$4 w\n"
"\tcase $(_faultline_kind \"$1\" \"$2\") in\n"
"\tfile)\n"
"\t\tcompopt -o filenames 2>/dev/null\n"
"\t\twhile IFS= read -r w; do COMPREPLY+=(\"$pre$w\"); done < <(compgen -f -- \"$cur\") ;;\n"
"\tdir | cgroup)\n"
"\t\tcompopt -o filenames 2>/dev/null\n"
"\t\twhile IFS= read -r w; do COMPREPLY+=(\"$pre$w\"); done < <(compgen -d -- \"$cur\") ;;\n"
"\tcommand)\n"
"\t\twhile IFS= read -r w; do COMPREPLY+=(\"$pre$w\"); done < <(compgen -c -- \"$cur\") ;;\n"
"\tmechanism) _faultline_words \"$_faultline_mechanisms\" \"$cur\" \"$pre\" ;;\n"
"\tsignal) _faultline_words \"$_faultline_signals\" \"$cur\" \"$pre\" ;;\n"
"\tfault)\n"
"\t\tif [[ $cur == crashpoint=* ]]; then\n"
"\t\t\t_faultline_rule sc \"${cur#crashpoint=}\" \"${pre}crashpoint=\"\n"
"\t\telif [[ $cur == net=* ]]; then\n"
"\t\t\t_faultline_rule net \"${cur#net=}\" \"${pre}net=\"\n"
"\t\telse\n"
"\t\t\t_faultline_words \"$_faultline_faults\" \"$cur\" \"$pre\"\n"
"\t\tfi ;;\n"
"\tpid)\n"
"\t\tlocal p\n"
"\t\tfor p in /proc/[0-9]*; do\n"
"\t\t\t[[ ${p#/proc/} == \"$cur\"* ]] && COMPREPLY+=(\"$pre${p#/proc/}\")\n"
"\t\tdone ;;\n"
"\tnetns)\n"
"\t\t_faultline_words \"$(ls /run/netns 2>/dev/null)\" \"$cur\" \"$pre\" ;;\n"
"\tdev)\n"
"\t\t_faultline_words \"$(ls /sys/class/net 2>/dev/null)\" \"$cur\" \"$pre\" ;;\n"
"\tcomm)\n"
"\t\t_faultline_words \"$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)\" \"$cur\" \"$pre\" ;;\n"
"\tesac\n"
"}\n"
"\n"
"# faultfs mount points first, directories when there is none.\n"
"_faultline_mounts()\n"
"{\n"
"\tlocal cur=$1 dev mnt type rest\n"
"\twhile read -r dev mnt type rest; do\n"
"\t\t[[ $type == fuse.faultfs && $mnt == \"$cur\"* ]] && COMPREPLY+=(\"$mnt\")\n"
"\tdone < /proc/self/mounts\n"
"\tif ((${#COMPREPLY[@]} == 0)); then\n"
"\t\tcompopt -o filenames 2>/dev/null\n"
"\t\twhile IFS= read -r mnt; do COMPREPLY+=(\"$mnt\"); done < <(compgen -d -- \"$cur\")\n"
"\tfi\n"
"}\n"
"\n"
"_faultline()\n"
"{\n"
"\tlocal words cword cur prev i cmd= verb= ctx pos=0 dashdash= w\n"
"\tCOMPREPLY=()\n"
"\t# Whole words, as the user sees them: bash splits COMP_WORDS at ':' and '='.\n"
"\tif [[ -n ${COMP_LINE+set} ]]; then\n"
"\t\tlocal line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}\n"
"\t\tread -ra words <<< \"$line\"\n"
"\t\t[[ -z $line || $line == *[[:space:]] ]] && words+=('')\n"
"\telse\n"
"\t\twords=(\"${COMP_WORDS[@]:0:COMP_CWORD+1}\")\n"
"\tfi\n"
"\tcword=$((${#words[@]} - 1))\n"
"\tcur=${words[cword]}\n"
"\tcur=${cur#[\\\"\\']}\n"
"\tprev=\n"
"\t((cword > 0)) && prev=${words[cword - 1]}\n"
"\n"
"\t# Global options, then the command, its verb, its options and arguments.\n"
"\tfor ((i = 1; i < cword; i++)); do\n"
"\t\tw=${words[i]}\n"
"\t\tctx=$cmd${verb:+ $verb}\n"
"\t\tif [[ -n $dashdash ]]; then\n"
"\t\t\tpos=$((pos + 1))\n"
"\t\telif [[ $w == -- && ($cmd == syscall || $cmd == net) ]]; then\n"
"\t\t\tdashdash=$i\n"
"\t\telif [[ $w == -* ]]; then\n"
"\t\t\t[[ $w != *=* && \" $(_faultline_argopts \"$ctx\") \" == *\" $w \"* ]] && i=$((i + 1))\n"
"\t\telif [[ -z $cmd ]]; then\n"
"\t\t\tcmd=$w\n"
"\t\telif [[ -z $verb && -n $(_faultline_verbs \"$cmd\") ]]; then\n"
"\t\t\tverb=$w\n"
"\t\telse\n"
"\t\t\tpos=$((pos + 1))\n"
"\t\tfi\n"
"\tdone\n"
"\tctx=$cmd${verb:+ $verb}\n"
"\n"
"\tif [[ -n $dashdash ]]; then\n"
"\t\t# syscall ... -- CMD ARGS: a command, then files\n"
"\t\tif ((pos == 0)); then\n"
"\t\t\twhile IFS= read -r w; do COMPREPLY+=(\"$w\"); done < <(compgen -c -- \"$cur\")\n"
"\t\telse\n"
"\t\t\tcompopt -o default 2>/dev/null\n"
"\t\t\twhile IFS= read -r w; do COMPREPLY+=(\"$w\"); done < <(compgen -f -- \"$cur\")\n"
"\t\tfi\n"
"\telif [[ $prev == -* && $prev != *=* && \" $(_faultline_argopts \"$ctx\") \" == *\" $prev \"* ]]; then\n"
"\t\t_faultline_value \"$ctx\" \"$prev\" \"$cur\" ''\n"
"\telif [[ $cur == --*=* ]]; then\n"
"\t\t_faultline_value \"$ctx\" \"${cur%%=*}\" \"${cur#*=}\" \"${cur%%=*}=\"\n"
"\telif [[ $cur == -* ]]; then\n"
"\t\t_faultline_words \"$(_faultline_opts \"$ctx\")\" \"$cur\" ''\n"
"\t\t[[ $cmd == syscall || $cmd == net ]] && _faultline_words '--' \"$cur\" ''\n"
"\telif [[ -z $cmd ]]; then\n"
"\t\t_faultline_words \"$_faultline_commands\" \"$cur\" ''\n"
"\telif [[ -z $verb && -n $(_faultline_verbs \"$cmd\") ]]; then\n"
"\t\t_faultline_words \"$(_faultline_verbs \"$cmd\")\" \"$cur\" ''\n"
"\telif [[ $cmd == syscall ]]; then\n"
"\t\t_faultline_rule sc \"$cur\" ''\n"
"\telif [[ $cmd == net ]]; then\n"
"\t\t_faultline_rule net \"$cur\" ''\n"
"\telif [[ $cmd == fs ]]; then\n"
"\t\tif ((pos == 0)); then\n"
"\t\t\t_faultline_mounts \"$cur\"\n"
"\t\telif [[ $verb == fault ]]; then\n"
"\t\t\t_faultline_rule fs \"$cur\" ''\n"
"\t\tfi\n"
"\telif [[ $cmd == cluster && $verb == up ]] && ((pos == 0)); then\n"
"\t\t_faultline_words \"$_faultline_cluster_kinds\" \"$cur\" ''\n"
"\telif [[ $cmd == scenario ]] && ((pos == 0)); then\n"
"\t\t# scenario check FILE: YAML files and directories\n"
"\t\tcompopt -o filenames 2>/dev/null\n"
"\t\twhile IFS= read -r w; do COMPREPLY+=(\"$w\"); done < <(compgen -d -- \"$cur\"; compgen -f -X '!*.y*ml' -- \"$cur\")\n"
"\tfi\n"
"\n"
"\t# 'fsync:' and 'error=' go on in the same word.\n"
"\tfor w in \"${COMPREPLY[@]}\"; do\n"
"\t\tif [[ $w == *[:=,] ]]; then\n"
"\t\t\tcompopt -o nospace 2>/dev/null\n"
"\t\t\tbreak\n"
"\t\tfi\n"
"\tdone\n"
"\t_faultline_trim \"$cur\"\n"
"}\n"
"\n"
"complete -F _faultline faultline\n";

static int print_bash(FILE *out)
{
	fprintf(out,
		"# bash completion for faultline(8)                       -*- shell-script -*-\n"
		"# Generated by 'faultline completion bash' (faultline %s) from faultline's\n"
		"# command, option, syscall, errno, signal, mechanism and fault tables.\n"
		"# Do not edit: regenerate.\n\n", FL_VERSION);
	put_tables(out);
	fputs(script_logic, out);
	return fflush(out) == 0 && !ferror(out) ? 0 : 1;
}

int cmd_completion(int argc, char **argv, const struct fl_cli *cli)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", fl_completion_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			fl_cli_error("completion: unknown option '%s' (see 'faultline completion --help')",
				     argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "bash") != 0) {
		fl_cli_error("completion: no completion for '%s' (only bash)", argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		fl_cli_error("completion: unexpected argument '%s'", argv[optind + 1]);
		return 2;
	}
	if (print_bash(stdout)) {
		fl_cli_error("completion: cannot write the script");
		return 1;
	}
	return 0;
}
