/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the scenario room's files: the YAML document with positions
 * (scenario_yaml.c), the walk into the typed struct (scenario_parse.c,
 * scenario_steps.c) and the cross-checks (scenario_check.c).
 */
#ifndef FL_SCENARIO_INTERNAL_H
#define FL_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include <faultline/scenario.h>

struct sc_ctx {
	yaml_document_t doc;
	bool loaded;
	const char *file;
	const char *text;  /* the input, for positions past its end */
	size_t len;
	struct fl_scenario_errors *errs;
};

/* Parse the text into c->doc; a syntax error or an alias is recorded. 0 or -EINVAL/-ENOMEM. */
int sc_yaml_load(struct sc_ctx *c, const char *text, size_t len);
void sc_yaml_free(struct sc_ctx *c);
yaml_node_t *sc_root(struct sc_ctx *c);

/* Record "FILE:LINE:COL: MESSAGE" at a node, at a 1-based position, or at a node's column + off. */
void sc_err(struct sc_ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sc_err_pos(struct sc_ctx *c, struct fl_scenario_pos p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct fl_scenario_pos sc_pos(const yaml_node_t *n);
/*
 * Does each byte of a scalar's value sit at its own column, on one line
 * (no escapes, folding, block style or multibyte characters)? Only then
 * may a column inside the value be added to the scalar's column.
 */
bool sc_exact_columns(const yaml_node_t *n);
/* The column where a scalar's text starts (after an opening quote). */
unsigned sc_text_column(const yaml_node_t *n);

/* Short, printable form of a node for "got ...": "\"5 seconds\"", "a mapping". */
const char *sc_got(const yaml_node_t *n, char *buf, size_t len);

/* Type checks that record "PATH: expected WHAT, got ..." and return false. */
bool sc_want_map(struct sc_ctx *c, const yaml_node_t *n, const char *path);
bool sc_want_seq(struct sc_ctx *c, const yaml_node_t *n, const char *path);
bool sc_want_scalar(struct sc_ctx *c, const yaml_node_t *n, const char *path, const char *what);
const char *sc_str(const yaml_node_t *n); /* a scalar's text */

/*
 * Report the keys of map that are not in known (NULL-terminated), with the
 * closest known one as "did you mean", not scalars, and duplicates.
 */
void sc_check_keys(struct sc_ctx *c, const yaml_node_t *map, const char *path,
		   const char *const *known);
/*
 * Is an unknown key of map (one not in known) a typo of key? Then "missing
 * key" would only repeat the "did you mean" already reported.
 */
bool sc_typo_of(struct sc_ctx *c, const yaml_node_t *map, const char *key,
		const char *const *known);
/* The value of key in map, or NULL. *key_node (may be NULL) gets the key. */
yaml_node_t *sc_get(struct sc_ctx *c, const yaml_node_t *map, const char *key);
yaml_node_t *sc_get_key(struct sc_ctx *c, const yaml_node_t *map, const char *key,
			yaml_node_t **key_node);
/* The i-th item of a sequence. */
yaml_node_t *sc_item(struct sc_ctx *c, const yaml_node_t *seq, size_t i);
size_t sc_len(const yaml_node_t *n); /* items of a sequence, pairs of a mapping */
/* The closest name of known (edit distance), or NULL. */
const char *sc_nearest(const char *s, const char *const *known);

/* Typed scalars: false (and an error recorded) when n is not one. */
bool sc_duration(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint64_t *ret);
bool sc_u64(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint64_t min,
	    uint64_t max, uint64_t *ret);
bool sc_size(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint64_t *ret);
bool sc_percent(struct sc_ctx *c, const yaml_node_t *n, const char *path, uint32_t *ret);
/* A heap copy of a non-empty scalar. -ENOMEM is recorded as an error. */
bool sc_strdup(struct sc_ctx *c, const yaml_node_t *n, const char *path, const char *what,
	       char **ret);
bool sc_name(struct sc_ctx *c, const yaml_node_t *n, const char *path, fl_scenario_name ret);

/* scenario_steps.c: a fault or action value ("powercut", "disk=RULE"), and steps:, nemesis:. */
bool sc_fault(struct sc_ctx *c, const yaml_node_t *n, const char *path, bool action,
	      struct fl_scenario_fault *ret);
void sc_parse_steps(struct sc_ctx *c, const yaml_node_t *seq, struct fl_scenario *s);
void sc_parse_nemesis(struct sc_ctx *c, const yaml_node_t *map, struct fl_scenario *s);

/* scenario_check.c: node names (after cluster:/nodes: are read), time order. */
bool sc_node_alias(const char *name);  /* a role name of some kind, or "all" */
bool sc_node_ref(struct sc_ctx *c, const struct fl_scenario *s, const yaml_node_t *n,
		 const char *path, fl_scenario_name ret);
void sc_check(struct sc_ctx *c, const struct fl_scenario *s);

#endif
