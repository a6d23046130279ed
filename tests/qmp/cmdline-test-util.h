/* SPDX-License-Identifier: MIT */
/*
 * cmdline-test-util.h - what the command-line parser's tests share
 * (test-cmdline.c, test-cmdline-listen.c): parse() a NULL-ended argument
 * list, EXPECT_ERR() a refusal whose message holds every needle,
 * expect_ignored() an option noted as ignored, and the backend and device
 * most lines use.
 */
#ifndef CXLDCD_TESTS_CMDLINE_TEST_UTIL_H
#define CXLDCD_TESTS_CMDLINE_TEST_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "server/cmdline.h"

static int parse(struct cmdline_cfg *cfg, char *err, const char *first, ...)
{
	char *argv[32] = { "cxldcd" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return cmdline_parse(argc, argv, "/run/user/1000/cxldcd", cfg, err, CMDLINE_ERR_MAX);
}

/* Parsing must fail and the message must contain every @needle. */
#define EXPECT_ERR(needles, ...) do { \
	struct cmdline_cfg cfg_; \
	char err_[CMDLINE_ERR_MAX]; \
	const char *n_[] = needles; \
	assert_int_equal(parse(&cfg_, err_, __VA_ARGS__, NULL), -EINVAL); \
	for (size_t i_ = 0; i_ < sizeof(n_) / sizeof(n_[0]); i_++) { \
		if (!strstr(err_, n_[i_])) \
			fail_msg("error '%s' lacks '%s'", err_, n_[i_]); \
	} \
	cmdline_fini(&cfg_); \
} while (0)
#define L(...) { __VA_ARGS__ }

#define OBJ "memory-backend-ram,id=m0,size=1G"
#define DEV "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0"

/* The ignored note of the parse: ignored[i] is @text and its why holds @why. */
static inline void expect_ignored(const struct cmdline_cfg *cfg, size_t i, const char *text,
				  const char *why)
{
	assert_true(i < cfg->nr_ignored);
	assert_string_equal(cfg->ignored[i], text);
	if (!strstr(cfg->ignored_why[i], why))
		fail_msg("why '%s' lacks '%s'", cfg->ignored_why[i], why);
}

#endif
