/* SPDX-License-Identifier: MIT */
/*
 * json.c - JSON texts as QMP reads them: jansson, plus the unsigned
 * integers above INT64_MAX that jansson refuses (see qmp.h, "JSON as QMP
 * reads it").
 *
 * A text jansson parses is taken as it is.  One it refuses for a numeric
 * overflow is read again: its number tokens outside strings are listed in
 * order, each integer literal outside the int64 range is rewritten as a
 * real ("...".0) so jansson takes it, and the tree is walked in document
 * order (objects keep their insertion order; duplicate keys are refused) to
 * find the number nodes the literals became.  Those of (INT64_MAX,
 * UINT64_MAX] are replaced by integers of the same 64 bits and remembered;
 * the others stay reals, as QEMU keeps them as doubles.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

/* A number token of the text that overflows int64: its position among all number tokens. */
struct big_tok {
	size_t ordinal;
	bool fits;              /* <= UINT64_MAX: an unsigned integer, else a real */
	uint64_t u;
};

struct scan {
	struct big_tok *toks;
	size_t nr, cap;
	size_t nr_numbers;      /* number tokens in the text */
};

static bool is_num_byte(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/*
 * An integer literal ("-"? digits) outside int64: true, with *fits and *u
 * set when it is positive and at most UINT64_MAX.
 */
static bool overflows(const char *p, size_t n, bool *fits, uint64_t *u)
{
	bool neg = n && p[0] == '-';
	uint64_t v = 0;
	bool wide = false;

	if (n == (size_t)neg)
		return false;
	for (size_t i = neg; i < n; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return false;   /* a real, or not a number jansson takes */
		d = (unsigned)(p[i] - '0');
		if (!wide && v > (UINT64_MAX - d) / 10)
			wide = true;
		else if (!wide)
			v = v * 10 + d;
	}
	*fits = !neg && !wide;
	*u = v;
	if (neg)
		return wide || v > (uint64_t)INT64_MAX + 1;
	return wide || v > (uint64_t)INT64_MAX;
}

static int tok_add(struct scan *sc, size_t ordinal, bool fits, uint64_t u)
{
	if (sc->nr == sc->cap) {
		size_t ncap = sc->cap ? sc->cap * 2 : 8;
		struct big_tok *n = realloc(sc->toks, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		sc->toks = n;
		sc->cap = ncap;
	}
	sc->toks[sc->nr++] = (struct big_tok){ .ordinal = ordinal, .fits = fits, .u = u };
	return 0;
}

/*
 * List the text's number tokens and write it to @out (len * 2 bytes
 * reserved) with each overflowing integer made a real.  Return: bytes
 * written, or -ENOMEM.
 */
static ssize_t rewrite(const char *text, size_t len, char *out, struct scan *sc)
{
	bool in_str = false, esc = false;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		char c = text[i];
		size_t start = i;
		bool fits;
		uint64_t u;

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			out[o++] = text[i++];
			continue;
		}
		if (c == '"' || !(c == '-' || (c >= '0' && c <= '9'))) {
			in_str = c == '"';
			out[o++] = text[i++];
			continue;
		}
		/* A number token outside strings (jansson refuses it if malformed). */
		while (i < len && is_num_byte(text[i]))
			i++;
		memcpy(out + o, text + start, i - start);
		o += i - start;
		if (overflows(text + start, i - start, &fits, &u)) {
			if (tok_add(sc, sc->nr_numbers, fits, u))
				return -ENOMEM;
			memcpy(out + o, ".0", 2);
			o += 2;
		}
		sc->nr_numbers++;
	}
	return (ssize_t)o;
}

struct walk {
	const struct scan *sc;
	size_t next_number;     /* number nodes met so far */
	size_t next_big;        /* index in sc->toks */
	json_t **big;
	size_t nr_big;
	json_t **anc;           /* containers holding a big node */
	size_t nr_anc, cap_anc;
	bool bad;
};

/* A number node: the replacement for it (new reference), or NULL to keep it. */
static json_t *number(struct walk *w, json_t *v)
{
	size_t k = w->next_number++;
	const struct big_tok *t;
	json_t *n;

	if (w->next_big >= w->sc->nr || w->sc->toks[w->next_big].ordinal != k)
		return NULL;
	t = &w->sc->toks[w->next_big++];
	if (!json_is_real(v)) {
		w->bad = true;  /* the walk lost step with the text: never expected */
		return NULL;
	}
	if (!t->fits)
		return NULL;
	n = json_integer((json_int_t)t->u);
	if (!n) {
		w->bad = true;
		return NULL;
	}
	w->big[w->nr_big++] = n;
	return n;
}

static bool walk(struct walk *w, json_t *v, json_t **repl);

static bool remember_container(struct walk *w, json_t *v)
{
	if (w->nr_anc == w->cap_anc) {
		size_t ncap = w->cap_anc ? w->cap_anc * 2 : 8;
		json_t **n = realloc(w->anc, ncap * sizeof(*n));

		if (!n) {
			w->bad = true;
			return false;
		}
		w->anc = n;
		w->cap_anc = ncap;
	}
	w->anc[w->nr_anc++] = v;
	return true;
}

/*
 * Walk @v in document order.  *@repl: a new node to put in @v's place.
 * Return: whether @v is or holds a big node.
 */
static bool walk(struct walk *w, json_t *v, json_t **repl)
{
	bool has = false;

	*repl = NULL;
	if (w->bad)
		return false;
	if (json_is_number(v)) {
		*repl = number(w, v);
		return *repl != NULL;
	}
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *r;

			if (walk(w, json_array_get(v, i), &r))
				has = true;
			if (r && json_array_set_new(v, i, r))
				w->bad = true;
		}
	} else if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			json_t *r;

			if (walk(w, json_object_iter_value(it), &r))
				has = true;
			if (r && json_object_iter_set_new(v, it, r))
				w->bad = true;
		}
	}
	if (has)
		remember_container(w, v);
	return has;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(json_t *const *)a, y = (uintptr_t)*(json_t *const *)b;

	return x < y ? -1 : x > y;
}

static bool in_set(json_t *const *set, size_t n, const json_t *v)
{
	return n && bsearch(&v, set, n, sizeof(*set), cmp_ptr) != NULL;
}

/* The second reading of a text jansson refused for an overflow. */
static int load_wide(struct qmp_json *j, const char *text, size_t len, size_t flags,
		     json_error_t *err)
{
	struct scan sc = { 0 };
	struct walk w = { .sc = &sc };
	char *buf = len <= SIZE_MAX / 2 - 2 ? malloc(len * 2 + 2) : NULL;
	ssize_t n = buf ? rewrite(text, len, buf, &sc) : -ENOMEM;
	json_t *root = NULL, *r;
	int rc = -ENOMEM;

	if (n < 0)
		goto out;
	root = json_loadb(buf, (size_t)n, flags, err);
	if (!root) {
		rc = -EINVAL;
		goto out;
	}
	w.big = sc.nr ? calloc(sc.nr, sizeof(*w.big)) : NULL;
	if (sc.nr && !w.big)
		goto out;
	walk(&w, root, &r);
	if (r) {
		json_decref(root);
		root = r;
	}
	if (w.bad || w.next_number != sc.nr_numbers || w.next_big != sc.nr) {
		snprintf(err->text, sizeof(err->text), "%s", "out of memory reading a large integer");
		goto out;
	}
	/* none: the literals were all past UINT64_MAX (reals), and the arrays NULL */
	if (w.nr_big)
		qsort(w.big, w.nr_big, sizeof(*w.big), cmp_ptr);
	if (w.nr_anc)
		qsort(w.anc, w.nr_anc, sizeof(*w.anc), cmp_ptr);
	j->root = root;
	j->big = w.big;
	j->nr_big = w.nr_big;
	j->anc = w.anc;
	j->nr_anc = w.nr_anc;
	root = NULL;
	w.big = w.anc = NULL;
	rc = 0;
out:
	if (rc == -ENOMEM && err->text[0] == 0)
		snprintf(err->text, sizeof(err->text), "%s", "out of memory");
	json_decref(root);
	free(w.big);
	free(w.anc);
	free(sc.toks);
	free(buf);
	return rc;
}

int qmp_json_load(struct qmp_json *j, const char *text, size_t len, size_t flags,
		  json_error_t *err)
{
	json_error_t scratch;

	if (!err)
		err = &scratch;
	memset(j, 0, sizeof(*j));
	j->root = json_loadb(text, len, flags, err);
	if (j->root)
		return 0;
	if (json_error_code(err) != json_error_numeric_overflow)
		return -EINVAL;
	err->text[0] = 0;
	return load_wide(j, text, len, flags, err);
}

void qmp_json_fini(struct qmp_json *j)
{
	if (!j)
		return;
	json_decref(j->root);
	free(j->big);
	free(j->anc);
	memset(j, 0, sizeof(*j));
}

bool qmp_json_is_big(const struct qmp_json *j, const json_t *v)
{
	return j && v && in_set(j->big, j->nr_big, v);
}

/* ---- writing -------------------------------------------------------- */

void qmp_text_put(struct qmp_text *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t ncap = o->cap ? o->cap : 256;
		char *nb;

		if (n > SIZE_MAX / 4 - o->len) {
			o->oom = true;
			return;
		}
		while (ncap < o->len + n + 1)
			ncap *= 2;
		nb = realloc(o->buf, ncap);
		if (!nb) {
			o->oom = true;
			return;
		}
		o->buf = nb;
		o->cap = ncap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

void qmp_text_reset(struct qmp_text *t)
{
	if (t->cap > QMP_TEXT_KEEP) {
		free(t->buf);
		t->buf = NULL;
		t->cap = 0;
	}
	t->len = 0;
	t->oom = false;
	if (t->buf)
		t->buf[0] = 0;
}

void qmp_text_fini(struct qmp_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

static int put_cb(const char *buf, size_t size, void *data)
{
	struct qmp_text *o = data;

	qmp_text_put(o, buf, size);
	return o->oom ? -1 : 0;
}

/* jansson's own text of @v (a scalar, or a container holding no big node). */
static void put_jansson(struct qmp_text *o, const json_t *v, size_t flags)
{
	if (!o->oom && json_dump_callback(v, put_cb, o, flags | JSON_ENCODE_ANY))
		o->oom = true;
}

/* A key as jansson writes it (it may hold NUL: JSON_ALLOW_NUL). */
static void put_key(struct qmp_text *o, const char *key, size_t len, size_t flags)
{
	json_t *k = json_stringn(key, len);

	if (!k) {
		o->oom = true;
		return;
	}
	put_jansson(o, k, flags);
	json_decref(k);
}

/*
 * @v is or holds a big node.  A node of the tree is in j->big or j->anc
 * when it does; a container made around them (a journal record wrapping
 * the arguments) is not, so it is searched.
 */
static bool holds(const struct qmp_json *j, const json_t *v)
{
	if (in_set(j->big, j->nr_big, v) || in_set(j->anc, j->nr_anc, v))
		return true;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (holds(j, json_array_get(v, i)))
				return true;
	} else if (json_is_object(v)) {
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it))
			if (holds(j, json_object_iter_value(it)))
				return true;
	}
	return false;
}

/* @v as jansson writes it with @flags (no indentation), big nodes unsigned. */
static void put_value(struct qmp_text *o, const struct qmp_json *j, const json_t *v, size_t flags)
{
	const char *comma = flags & JSON_COMPACT ? "," : ", ";
	const char *colon = flags & JSON_COMPACT ? ":" : ": ";
	bool first = true;

	if (in_set(j->big, j->nr_big, v)) {
		char num[24];

		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)(uint64_t)json_integer_value(v));
		qmp_text_put(o, num, strlen(num));
		return;
	}
	if (!holds(j, v)) {
		put_jansson(o, v, flags);
		return;
	}
	if (json_is_array(v)) {
		qmp_text_put(o, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (!first)
				qmp_text_put(o, comma, strlen(comma));
			first = false;
			put_value(o, j, json_array_get(v, i), flags);
		}
		qmp_text_put(o, "]", 1);
		return;
	}
	qmp_text_put(o, "{", 1);
	for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
		if (!first)
			qmp_text_put(o, comma, strlen(comma));
		first = false;
		put_key(o, json_object_iter_key(it), json_object_iter_key_len(it), flags);
		qmp_text_put(o, colon, strlen(colon));
		put_value(o, j, json_object_iter_value(it), flags);
	}
	qmp_text_put(o, "}", 1);
}

int qmp_json_dump_to(struct qmp_text *t, const struct qmp_json *j, const json_t *v, size_t flags)
{
	if (!v)
		t->oom = true;
	else if (!j || !j->nr_big)
		put_jansson(t, v, flags);
	else    /* no indentation here: QMP writes one line */
		put_value(t, j, v, flags & ~(size_t)JSON_MAX_INDENT);
	return t->oom ? -ENOMEM : 0;
}

char *qmp_json_dumps(const struct qmp_json *j, const json_t *v, size_t flags)
{
	struct qmp_text t = { 0 };

	if (!v)
		return NULL;
	if (!j || !j->nr_big)
		return json_dumps(v, flags | JSON_ENCODE_ANY);
	if (qmp_json_dump_to(&t, j, v, flags)) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}
