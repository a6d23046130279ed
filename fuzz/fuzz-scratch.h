/* SPDX-License-Identifier: MIT */
/*
 * A fuzz target's scratch directory: made on tmpfs where it can be (a
 * store's fsync()s cost nothing there), emptied between runs so that what
 * a store or a backend left there does not reach the next input, removed
 * at the end; the paths of the sockets in it; a tool's stdin and stdout
 * away on /dev/null.  Not what goes in the directory (each target's own).
 */
#ifndef CXLDCD_FUZZ_SCRATCH_H
#define CXLDCD_FUZZ_SCRATCH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Remove every entry of @dir (a file, or an empty directory such as an O_TMPFILE backend's path). */
static inline void fz_empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path))
			rmdir(path);
	}
	if (d)
		closedir(d);
}

/* A new directory cxldcd-fuzz-@name-XXXXXX in /dev/shm, else in /tmp, into @dir; aborts if neither. */
static inline void fz_make_scratch(char *dir, size_t cap, const char *name)
{
	static const char *const bases[] = { "/dev/shm", "/tmp" };

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if ((size_t)snprintf(dir, cap, "%s/cxldcd-fuzz-%s-XXXXXX", bases[i], name) < cap &&
		    mkdtemp(dir))
			return;
	}
	fprintf(stderr, "fuzz-%s: cannot make a scratch directory: %s\n", name, strerror(errno));
	abort();
}

/* Empty @dir and remove it (the end of a run). */
static inline void fz_remove_scratch(const char *dir)
{
	fz_empty_dir(dir);
	rmdir(dir);
}

#define FZ_SCRATCH_MAX 4

/* The directories fz_scratch_at_exit() made (NULL past the last). */
static inline const char **fz_scratch_dirs(void)
{
	static const char *dirs[FZ_SCRATCH_MAX];

	return dirs;
}

static inline void fz_remove_scratch_dirs(void)
{
	const char **dirs = fz_scratch_dirs();

	for (unsigned i = 0; i < FZ_SCRATCH_MAX && dirs[i]; i++)
		fz_remove_scratch(dirs[i]);
}

/*
 * fz_make_scratch() into @dir unless @dir holds a path already (a target's
 * set-up on its first input), the directory removed with what is in it at
 * exit; whether this call made it.
 */
static inline bool fz_scratch_at_exit(char *dir, size_t cap, const char *name)
{
	const char **dirs = fz_scratch_dirs();
	unsigned i = 0;

	if (dir[0])
		return false;
	while (i < FZ_SCRATCH_MAX && dirs[i])
		i++;
	if (i == FZ_SCRATCH_MAX)
		abort();
	fz_make_scratch(dir, cap, name);
	if (!i)
		atexit(fz_remove_scratch_dirs);
	dirs[i] = dir;
	return true;
}

/* @dir/@file into @path (@cap bytes: a socket's path fits sun_path); aborts if it does not fit. */
static inline void fz_path(char *path, size_t cap, const char *dir, const char *file)
{
	if ((size_t)snprintf(path, cap, "%s/%s", dir, file) >= cap) {
		fprintf(stderr, "fuzz: %s/%s: path too long\n", dir, file);
		abort();
	}
}

/* stdin and stdout on /dev/null (a tool's usage and output are not wanted). */
static inline void fz_quiet_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		abort();
	close(null);
}

#endif
