/* SPDX-License-Identifier: MIT */
/*
 * table.h - plain-text tables for cxldcd-ctl's human output: a header row,
 * then rows of cells, printed in left-aligned columns two blanks apart,
 * with no trailing blanks.  Cells are copied; the table owns them.  An
 * empty table prints its header alone.
 */
#ifndef CXLDCD_CTL_TABLE_H
#define CXLDCD_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

/* A table with the @nr_cols headers (borrowed, copied).  NULL on ENOMEM. */
struct table *table_new(const char *const *headers, size_t nr_cols);
/* table_free(NULL) is a no-op. */
void table_free(struct table *t);

/*
 * Append one cell to the current row, printf-style; the row is complete
 * after nr_cols cells and the next call starts a new one.  Return 0 or
 * -ENOMEM (the table is then marked bad and prints nothing).
 */
int table_cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Complete rows so far. */
size_t table_rows(const struct table *t);

/*
 * Print the table to @f, each line prefixed with @indent blanks.  A row
 * left incomplete is padded with empty cells.  Return 0 or -EIO / -ENOMEM.
 */
int table_print(const struct table *t, FILE *f, unsigned indent);

#endif
