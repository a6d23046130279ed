/* SPDX-License-Identifier: MIT */
/*
 * table.c - the column formatter behind cxldcd-ctl's human output (see
 * table.h).  Cells are kept as one flat array of strings, row-major; the
 * column widths are computed when printing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct table {
	size_t nr_cols;
	char **cells;          /* headers first, then rows */
	size_t nr_cells, cap;
	bool bad;
};

static int push(struct table *t, char *s)
{
	if (!s) {
		t->bad = true;
		return -ENOMEM;
	}
	if (t->nr_cells == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **c = realloc(t->cells, cap * sizeof(*c));

		if (!c) {
			free(s);
			t->bad = true;
			return -ENOMEM;
		}
		t->cells = c;
		t->cap = cap;
	}
	t->cells[t->nr_cells++] = s;
	return 0;
}

struct table *table_new(const char *const *headers, size_t nr_cols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nr_cols = nr_cols ? nr_cols : 1;
	for (size_t i = 0; i < nr_cols; i++) {
		if (push(t, strdup(headers[i]))) {
			table_free(t);
			return NULL;
		}
	}
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nr_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int table_cell(struct table *t, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return push(t, n < 0 ? NULL : s);
}

size_t table_rows(const struct table *t)
{
	return t->nr_cells / t->nr_cols - 1;
}

static const char *cell(const struct table *t, size_t row, size_t col)
{
	size_t i = row * t->nr_cols + col;

	return i < t->nr_cells ? t->cells[i] : "";
}

int table_print(const struct table *t, FILE *f, unsigned indent)
{
	size_t rows = (t->nr_cells + t->nr_cols - 1) / t->nr_cols;
	size_t *w;

	if (t->bad)
		return -ENOMEM;
	w = calloc(t->nr_cols, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_cells; i++) {
		size_t len = strlen(t->cells[i]);

		if (len > w[i % t->nr_cols])
			w[i % t->nr_cols] = len;
	}
	for (size_t r = 0; r < rows; r++) {
		size_t last = t->nr_cols;

		/* Trailing empty cells print nothing, so lines end without blanks. */
		while (last > 1 && !cell(t, r, last - 1)[0])
			last--;
		fprintf(f, "%*s", (int)indent, "");
		for (size_t c = 0; c < last; c++) {
			if (c + 1 < last)
				fprintf(f, "%-*s  ", (int)w[c], cell(t, r, c));
			else
				fprintf(f, "%s\n", cell(t, r, c));
		}
	}
	free(w);
	return ferror(f) ? -EIO : 0;
}
