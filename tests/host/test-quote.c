/* SPDX-License-Identifier: MIT */
/*
 * test-quote.c - cx_quote() (src/common/quote.c): what outside text looks
 * like in a message.  Each class of invisible format character is escaped
 * byte by byte (\xHH, as control bytes are), its neighbours that show stay
 * as they are, and a cut never splits an escape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/quote.h"

static const char *q(const char *s)
{
	static char buf[256];

	return cx_quote(buf, sizeof(buf), s);
}

/* The UTF-8 of code point cp (below U+10000), between "a" and "b". */
static const char *around(uint32_t cp)
{
	static char s[8];

	if (cp < 0x800) {
		s[1] = (char)(0xc0 | cp >> 6);
		s[2] = (char)(0x80 | (cp & 0x3f));
		s[3] = 'b';
		s[4] = '\0';
	} else {
		s[1] = (char)(0xe0 | cp >> 12);
		s[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		s[4] = 'b';
		s[5] = '\0';
	}
	s[0] = 'a';
	return s;
}

/* Every code point of [lo, hi] escaped, each of its bytes \xHH. */
static void assert_escaped(uint32_t lo, uint32_t hi)
{
	for (uint32_t cp = lo; cp <= hi; cp++) {
		const char *s = around(cp);
		char want[32];

		if (cp < 0x800)
			snprintf(want, sizeof(want), "a\\x%02x\\x%02xb", (unsigned char)s[1],
				 (unsigned char)s[2]);
		else
			snprintf(want, sizeof(want), "a\\x%02x\\x%02x\\x%02xb", (unsigned char)s[1],
				 (unsigned char)s[2], (unsigned char)s[3]);
		assert_string_equal(q(s), want);
	}
}

/* Code point cp shown as it is. */
static void assert_shown(uint32_t cp)
{
	const char *s = around(cp);

	assert_string_equal(q(s), s);
}

/* U+202A..U+202E: LRE, RLE, PDF, LRO, RLO ("Trojan Source"). */
static void test_bidi_embeddings_and_overrides_are_escaped(void **state)
{
	(void)state;
	assert_escaped(0x202a, 0x202e);
	assert_string_equal(q("user\xe2\x80\xae" "nimda"), "user\\xe2\\x80\\xaenimda");
	assert_shown(0x202f);      /* NARROW NO-BREAK SPACE: shows as a space */
}

/* U+2066..U+2069: LRI, RLI, FSI, PDI; and the rest of U+2060..U+206F. */
static void test_bidi_isolates_are_escaped(void **state)
{
	(void)state;
	assert_escaped(0x2066, 0x2069);
	assert_escaped(0x2060, 0x206f);
	assert_shown(0x205f);      /* MEDIUM MATHEMATICAL SPACE */
	assert_shown(0x2070);      /* SUPERSCRIPT ZERO */
}

/* U+200B..U+200F: ZERO WIDTH SPACE, ZWNJ, ZWJ, LRM, RLM. */
static void test_zero_width_characters_and_marks_are_escaped(void **state)
{
	(void)state;
	assert_escaped(0x200b, 0x200f);
	assert_shown(0x200a);      /* HAIR SPACE */
	assert_shown(0x2010);      /* HYPHEN */
}

/* U+2028, U+2029: a line break in the middle of a one-line message. */
static void test_line_and_paragraph_separators_are_escaped(void **state)
{
	(void)state;
	assert_escaped(0x2028, 0x2029);
	assert_shown(0x2027);      /* HYPHENATION POINT */
}

/* U+FEFF: ZERO WIDTH NO-BREAK SPACE, the byte order mark. */
static void test_the_byte_order_mark_is_escaped(void **state)
{
	(void)state;
	assert_escaped(0xfeff, 0xfeff);
	assert_string_equal(q("\xef\xbb\xbftag=all"), "\\xef\\xbb\\xbftag=all");
	assert_shown(0xfefe);
	assert_shown(0xff01);      /* FULLWIDTH EXCLAMATION MARK */
}

/* U+061C: ARABIC LETTER MARK, a bidi mark in two bytes. */
static void test_the_arabic_letter_mark_is_escaped(void **state)
{
	(void)state;
	assert_escaped(0x061c, 0x061c);
	assert_shown(0x061b);      /* ARABIC SEMICOLON */
	assert_shown(0x0627);      /* ARABIC LETTER ALEF */
}

/* What was so before: controls, invalid UTF-8, quote and backslash; text that shows. */
static void test_controls_and_printable_text_as_before(void **state)
{
	(void)state;
	assert_string_equal(q("a\x1b[31mb"), "a\\x1b[31mb");
	assert_string_equal(q("\xc2\x85"), "\\xc2\\x85");             /* C1 NEL */
	assert_string_equal(q("\xe2\x80"), "\\xe2\\x80");             /* cut short */
	assert_string_equal(q("\xed\xa0\x80"), "\\xed\\xa0\\x80");    /* a surrogate */
	assert_string_equal(q("it's a\\b"), "it\\'s a\\\\b");
	assert_string_equal(q("gr\xc3\xbcn \xe6\x97\xa5 \xf0\x9f\x98\x80"),
			    "gr\xc3\xbcn \xe6\x97\xa5 \xf0\x9f\x98\x80");
}

/* A cut never leaves part of a character's escapes. */
static void test_a_cut_keeps_a_characters_escapes_whole(void **state)
{
	char buf[16];

	(void)state;
	/* "abc" and 12 bytes of escape do not fit 15 characters and the NUL: "abc" alone */
	assert_string_equal(cx_quote(buf, 15, "abc\xe2\x80\xae"), "abc");
	assert_string_equal(cx_quote(buf, 16, "abc\xe2\x80\xae"), "abc\\xe2\\x80\\xae");
	assert_string_equal(cx_quote(buf, 1, "\xe2\x80\xae"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidi_embeddings_and_overrides_are_escaped),
		cmocka_unit_test(test_bidi_isolates_are_escaped),
		cmocka_unit_test(test_zero_width_characters_and_marks_are_escaped),
		cmocka_unit_test(test_line_and_paragraph_separators_are_escaped),
		cmocka_unit_test(test_the_byte_order_mark_is_escaped),
		cmocka_unit_test(test_the_arabic_letter_mark_is_escaped),
		cmocka_unit_test(test_controls_and_printable_text_as_before),
		cmocka_unit_test(test_a_cut_keeps_a_characters_escapes_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
