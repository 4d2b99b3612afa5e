// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultfs's write log, line by line: accessors, a u64 set, and which
 * writes a power cut undid (see wlog_lines.h).
 *
 * Why files are followed by life: SQLite in WAL mode creates x.db-shm,
 * writes it, unlinks it and creates it again many times a second; once a
 * directory fsync has made the unlink durable the backing filesystem
 * frees the inode and hands its number to the next file. Judged by inode
 * number, the dead file's unsynced writes looked volatile at the cut
 * although the cut had nothing of them left to undo.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wlog_lines.h"

/* --- a set of u64 ------------------------------------------------------------ */

static size_t slot(uint64_t x, size_t cap)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

bool fl_u64set_has(const struct fl_u64set *s, uint64_t x)
{
	if (!s->cap || !x)
		return false;
	for (size_t i = slot(x, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == x)
			return true;
		if (!s->v[i])
			return false;
	}
}

static int grow(struct fl_u64set *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64;
	uint64_t *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->v[i])
			continue;
		for (j = slot(s->v[i], cap); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

int fl_u64set_add(struct fl_u64set *s, uint64_t x)
{
	size_t i;
	int err;

	if (!x || fl_u64set_has(s, x))
		return 0;
	if (2 * (s->n + 1) > s->cap && (err = grow(s)))
		return err;
	for (i = slot(x, s->cap); s->v[i]; i = (i + 1) & (s->cap - 1))
		;
	s->v[i] = x;
	s->n++;
	return 0;
}

void fl_u64set_free(struct fl_u64set *s)
{
	free(s->v);
	*s = (struct fl_u64set){ 0 };
}

/* --- lines --------------------------------------------------------------------- */

const char *fl_wlog_str(json_t *l, const char *key)
{
	const char *s = json_string_value(json_object_get(l, key));

	return s ? s : "";
}

uint64_t fl_wlog_u64(json_t *l, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(l, key));

	return v > 0 ? (uint64_t)v : 0;
}

bool fl_wlog_ok(json_t *l)
{
	json_t *r = json_object_get(l, "result");

	return json_is_integer(r) && json_integer_value(r) == 0;
}

bool fl_wlog_is_barrier(json_t *l)
{
	const char *op = fl_wlog_str(l, "op");

	return (!strcmp(op, "fsync") || !strcmp(op, "fdatasync")) && fl_wlog_ok(l);
}

bool fl_wlog_is_write(json_t *l)
{
	return !strcmp(fl_wlog_str(l, "op"), "write") && fl_wlog_ok(l);
}

/* --- which writes the cut undid ------------------------------------------------ */

#define NO_LIFE SIZE_MAX

struct life {
	unsigned names;          /* names it has, as far as the window shows */
	size_t removal;          /* the event that took its last name, or NO_LIFE */
};

/* One unlink, or one rename onto a name, in log order per name. */
struct event {
	char *key;               /* "unlink\t/path" or "rename\t/path" */
	size_t life;             /* the life whose last name went, or NO_LIFE */
	bool undone;
};

struct walk {
	struct life *lives;
	size_t n_lives, cap_lives;
	struct event *events;
	size_t n_events, cap_events;
	json_t *by_path;         /* name -> life */
	json_t *by_ino;          /* inode number -> its current life */
};

static int new_life(struct walk *w, size_t *ret)
{
	if (w->n_lives == w->cap_lives) {
		size_t cap = w->cap_lives ? 2 * w->cap_lives : 64;
		struct life *v = realloc(w->lives, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->lives = v;
		w->cap_lives = cap;
	}
	w->lives[w->n_lives] = (struct life){ .names = 1, .removal = NO_LIFE };
	*ret = w->n_lives++;
	return 0;
}

static size_t life_at(json_t *map, const char *key)
{
	json_t *v = json_object_get(map, key);

	return v ? (size_t)json_integer_value(v) : NO_LIFE;
}

static int set_life(json_t *map, const char *key, size_t life)
{
	return json_object_set_new(map, key, json_integer((json_int_t)life)) ? -ENOMEM : 0;
}

static int add_event(struct walk *w, const char *op, const char *path, size_t life)
{
	struct event *e;

	if (w->n_events == w->cap_events) {
		size_t cap = w->cap_events ? 2 * w->cap_events : 64;
		struct event *v = realloc(w->events, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->events = v;
		w->cap_events = cap;
	}
	e = &w->events[w->n_events];
	if (asprintf(&e->key, "%s\t%s", op, path) < 0)
		return -ENOMEM;
	e->life = life;
	e->undone = false;
	if (life != NO_LIFE)
		w->lives[life].removal = w->n_events;
	w->n_events++;
	return 0;
}

/* The name at path goes (unlink, or replaced by a rename): an event either way. */
static int drop_name(struct walk *w, const char *op, const char *path)
{
	size_t life = life_at(w->by_path, path);

	if (life != NO_LIFE) {
		json_object_del(w->by_path, path);
		if (w->lives[life].names && --w->lives[life].names)
			life = NO_LIFE; /* another name keeps it */
	}
	return add_event(w, op, path, life);
}

/* The life of the file a line is about (a new one for a file made here). */
static int line_life(struct walk *w, json_t *l, size_t *ret)
{
	const char *op = fl_wlog_str(l, "op"), *path = fl_wlog_str(l, "path");
	uint64_t ino = fl_wlog_u64(l, "ino");
	bool made = fl_wlog_ok(l) && (!strcmp(op, "create") || !strcmp(op, "mknod"));
	char key[24];
	size_t life;
	int err;

	*ret = NO_LIFE;
	if (!ino)
		return 0;
	snprintf(key, sizeof(key), "%" PRIu64, ino);
	life = made ? NO_LIFE : life_at(w->by_ino, key);
	if (life == NO_LIFE) {
		/* Made here, or there before the window: one name, the one the line uses. */
		if ((err = new_life(w, &life)) || (err = set_life(w->by_ino, key, life)))
			return err;
		if (path[0] && strncmp(path, "/.faultfs/", 10) &&
		    (err = set_life(w->by_path, path, life)))
			return err;
	}
	*ret = life;
	return 0;
}

/* Names change: unlink, rename (path -> path2), link (path2 is the new name). */
static int follow_names(struct walk *w, json_t *l, size_t life)
{
	const char *op = fl_wlog_str(l, "op"), *path = fl_wlog_str(l, "path");
	const char *path2 = fl_wlog_str(l, "path2");
	size_t moved;
	int err;

	if (!fl_wlog_ok(l))
		return 0;
	if (!strcmp(op, "unlink"))
		return drop_name(w, "unlink", path);
	if (!strcmp(op, "rename")) {
		moved = life_at(w->by_path, path);
		if ((err = drop_name(w, "rename", path2)))
			return err;
		if (moved == NO_LIFE)
			return 0;
		json_object_del(w->by_path, path);
		return set_life(w->by_path, path2, moved);
	}
	if (!strcmp(op, "link") && life != NO_LIFE) {
		w->lives[life].names++;
		return set_life(w->by_path, path2, life);
	}
	return 0;
}

/*
 * The cut lists the names it undid with a count per (op, path): the newest
 * that many events of that name are the undone ones (older ones were made
 * durable by a directory fsync before them). ret_sure: every undone name
 * was listed.
 */
static void match_cut(struct walk *w, json_t *detail, bool *ret_sure)
{
	json_t *names = json_object_get(detail, "names"), *e;
	bool sure = fl_wlog_u64(detail, "names_unlisted") == 0;
	char key[8 + 4096];
	size_t i;

	json_array_foreach(names, i, e) {
		uint64_t left = fl_wlog_u64(e, "count");

		snprintf(key, sizeof(key), "%s\t%s", fl_wlog_str(e, "op"), fl_wlog_str(e, "path"));
		for (size_t k = w->n_events; left && k-- > 0;)
			if (!strcmp(w->events[k].key, key)) {
				w->events[k].undone = true;
				left--;
			}
	}
	/* Some undone names went unlisted: no removal can be called durable. */
	for (size_t k = 0; !sure && k < w->n_events; k++)
		w->events[k].undone = true;
	*ret_sure = sure;
}

static bool gone(const struct walk *w, size_t life)
{
	size_t r = life == NO_LIFE ? NO_LIFE : w->lives[life].removal;

	return r != NO_LIFE && !w->events[r].undone;
}

int fl_wlog_undone(json_t *lines, size_t from, size_t cut, bool **ret_marks, bool *ret_sure)
{
	struct walk w = { .by_path = json_object(), .by_ino = json_object() };
	struct fl_u64set synced = { 0 };
	size_t n = cut > from ? cut - from : 0, *lives = calloc(n ? n : 1, sizeof(*lives));
	bool *marks = calloc(n ? n : 1, sizeof(*marks)), sure = true;
	int err = 0;

	if (!w.by_path || !w.by_ino || !lives || !marks) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = from; !err && i < cut; i++) {
		json_t *l = json_array_get(lines, i);

		err = line_life(&w, l, &lives[i - from]);
		if (!err)
			err = follow_names(&w, l, lives[i - from]);
	}
	if (err)
		goto out;
	match_cut(&w, json_object_get(json_array_get(lines, cut), "detail"), &sure);
	/* Backwards: a barrier covers the writes of its file's life before it. */
	for (size_t i = cut; !err && i-- > from;) {
		json_t *l = json_array_get(lines, i);
		size_t life = lives[i - from];

		if (life == NO_LIFE)
			continue;
		if (fl_wlog_is_barrier(l))
			err = fl_u64set_add(&synced, (uint64_t)life + 1);
		else if (fl_wlog_is_write(l))
			marks[i - from] = !fl_u64set_has(&synced, (uint64_t)life + 1) &&
					  !gone(&w, life);
	}
out:
	json_decref(w.by_path);
	json_decref(w.by_ino);
	free(w.lives);
	for (size_t k = 0; k < w.n_events; k++)
		free(w.events[k].key);
	free(w.events);
	free(lives);
	fl_u64set_free(&synced);
	if (err) {
		free(marks);
		return err;
	}
	*ret_marks = marks;
	*ret_sure = sure;
	return 0;
}
