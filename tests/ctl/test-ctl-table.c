/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-table.c - cxldcd-ctl's column formatter
 * (tools/cxldcd-ctl/table.c): exact output for headers only, widths set by
 * headers or cells, no trailing blanks, incomplete rows, indentation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "table.h"

/* The table as printed, in a static buffer. */
static const char *render(struct table *t, unsigned indent)
{
	static char out[4096];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(table_print(t, f, indent), 0);
	fclose(f);
	assert_true(len < sizeof(out));
	memcpy(out, buf, len + 1);
	free(buf);
	return out;
}

static const char *const hdr[] = { "HOST", "DPA", "TAG" };

static void test_empty_table_prints_its_header(void **state)
{
	struct table *t = table_new(hdr, 3);

	(void)state;
	assert_non_null(t);
	assert_int_equal(table_rows(t), 0);
	assert_string_equal(render(t, 0), "HOST  DPA  TAG\n");
	table_free(t);
}

static void test_columns_take_the_widest_cell(void **state)
{
	struct table *t = table_new(hdr, 3);

	(void)state;
	table_cell(t, "%d", 0);
	table_cell(t, "0x%x", 0x40000000);
	table_cell(t, "%s", "5be13bce-ae34-4a77-b6c3-16df975fcf1a");
	table_cell(t, "%d", 12345);
	table_cell(t, "0x0");
	table_cell(t, "-");
	assert_int_equal(table_rows(t), 2);
	assert_string_equal(render(t, 0),
			    "HOST   DPA         TAG\n"
			    "0      0x40000000  5be13bce-ae34-4a77-b6c3-16df975fcf1a\n"
			    "12345  0x0         -\n");
	table_free(t);
}

static void test_lines_never_end_in_blanks(void **state)
{
	struct table *t = table_new(hdr, 3);
	const char *out;

	(void)state;
	table_cell(t, "1");
	table_cell(t, "a-much-longer-dpa");
	table_cell(t, "%s", "");
	out = render(t, 0);
	assert_string_equal(out, "HOST  DPA                TAG\n"
				 "1     a-much-longer-dpa\n");
	for (const char *p = out; (p = strchr(p, '\n')); p++)
		assert_true(p == out || p[-1] != ' ');
	table_free(t);
}

static void test_incomplete_row_is_padded_and_indent_applies(void **state)
{
	struct table *t = table_new(hdr, 3);

	(void)state;
	table_cell(t, "7");
	assert_int_equal(table_rows(t), 0);
	assert_string_equal(render(t, 2), "  HOST  DPA  TAG\n"
					  "  7\n");
	table_free(t);
}

static void test_free_null_is_a_no_op(void **state)
{
	(void)state;
	table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_table_prints_its_header),
		cmocka_unit_test(test_columns_take_the_widest_cell),
		cmocka_unit_test(test_lines_never_end_in_blanks),
		cmocka_unit_test(test_incomplete_row_is_padded_and_indent_applies),
		cmocka_unit_test(test_free_null_is_a_no_op),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
