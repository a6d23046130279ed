/* SPDX-License-Identifier: MIT */
/*
 * tmpdir.h - temporary store directories for the store tests: made under
 * $TMPDIR (or /tmp) and removed with everything in them.
 */
#ifndef CXLDCD_TEST_STORE_TMPDIR_H
#define CXLDCD_TEST_STORE_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new empty directory; caller frees with tmpdir_free(). */
static inline char *tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&p, "%s/cxldcd-store-XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static inline int tmpdir_rm1(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the directory and its contents, then free the name. */
static inline void tmpdir_free(char *p)
{
	if (!p)
		return;
	nftw(p, tmpdir_rm1, 16, FTW_DEPTH | FTW_PHYS);
	free(p);
}

/* dir/name in a static-free buffer; caller frees with free(). */
static inline char *tmpdir_join(const char *dir, const char *name)
{
	char *p;

	if (!dir || !name || asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

#endif
