/* SPDX-License-Identifier: MIT */
/*
 * usock.c - a listening Unix stream socket that only its owner can use
 * (the host link, QMP and FM sockets, the host agent's application socket).
 *
 * The socket is bound and listening under a temporary name in the same
 * directory before it is linked to its path, so a client that sees the
 * path can connect at once.  Bound at the path itself, it was there before
 * listen(): a client that came in between was refused (ECONNREFUSED), and
 * another process's sockpolicy_claim() took it for stale and removed it.
 *
 * A daemon killed between bind() and unlink() leaves its temporary name
 * behind.  Each listen removes such leftovers from the directory first
 * (sweep_stale()), so they do not pile up.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "usock.h"

#define USOCK_TEMP_TRIES 8
#define USOCK_TEMP_PREFIX ".usock-"
/*
 * A temporary name that nobody listens on is a leftover once it is this
 * old.  Its owner, alive, listens on it from just after bind() (one
 * chmod() later) until it removes it: a refusing name younger than this
 * may be a live daemon between the two.
 */
#define USOCK_TEMP_STALE_SEC 30

/* A new socket bound at sa (mode 0600) and listening.  Return the fd, or -errno (nothing left). */
static int bound_socket(const struct sockaddr_un *sa, int backlog)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	/* Linux takes the socket inode's mode at bind(): no window with wider access. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (chmod(sa->sun_path, 0600) < 0 || listen(fd, backlog) < 0) {
		rc = -errno;
		unlink(sa->sun_path);   /* bound just now: ours */
		close(fd);
		return rc;
	}
	return fd;
}

/* The length of path's directory part, with its slash ("DIR/"), 0 when path has none. */
static int dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? (int)(slash - path) + 1 : 0;
}

/* A temporary name beside path, "DIR/.usock-PID-N"; false when it does not fit. */
static bool temp_name(const char *path, char *out, size_t cap)
{
	static unsigned counter;
	int n = snprintf(out, cap, "%.*s" USOCK_TEMP_PREFIX "%ld-%u", dir_len(path), path,
			 (long)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));

	return n > 0 && (size_t)n < cap;
}

/* A decimal number as temp_name() writes one (no sign, no leading zero); the text after it. */
static const char *skip_number(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s || p - s > 10 || (*s == '0' && p - s > 1))
		return NULL;
	return p;
}

/* name is exactly ".usock-PID-N", as temp_name() makes them. */
static bool is_temp_name(const char *name)
{
	const char *p;

	if (strncmp(name, USOCK_TEMP_PREFIX, strlen(USOCK_TEMP_PREFIX)))
		return false;
	p = skip_number(name + strlen(USOCK_TEMP_PREFIX));
	if (!p || *p != '-')
		return false;
	p = skip_number(p + 1);
	return p && *p == '\0';
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * The temporary name at sa is a leftover: a socket of ours (not a symlink,
 * not another user's) made USOCK_TEMP_STALE_SEC or more ago, that nobody
 * listens on (connect() refused), and still the same file after the probe.
 *
 * The PID in the name is not asked.  A live owner listens on its name, so
 * the socket itself says whether someone is there; the PID would not: a
 * dead daemon's PID is reused, a daemon in another PID namespace sharing
 * the directory has a PID that means nothing here (or the same as a live
 * one here), and one in a container is often 1.
 */
static bool temp_is_stale(const struct sockaddr_un *sa, time_t now)
{
	struct stat st, again;
	int fd, rc, err;

	if (lstat(sa->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != geteuid() ||
	    now - st.st_mtim.tv_sec < USOCK_TEMP_STALE_SEC)
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	err = errno;
	close(fd);
	/*
	 * EAGAIN: listening, backlog full; the probe never blocks.  A live
	 * owner sees the probe as a client that leaves at once, as with
	 * sockpolicy_claim().
	 */
	if (rc == 0 || err != ECONNREFUSED)
		return false;
	return lstat(sa->sun_path, &again) == 0 && same_file(&st, &again);
}

/*
 * Remove the leftover temporary names beside path (temp_is_stale()).
 * Best effort: a directory that cannot be read is left as it is.
 */
static void sweep_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dir = dir_len(path), n;
	time_t now = time(NULL);
	struct dirent *e;
	DIR *d;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s", dir, path);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return;
	d = opendir(dir ? sa.sun_path : ".");
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!is_temp_name(e->d_name))
			continue;
		n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s%s", dir, path, e->d_name);
		if (n > 0 && (size_t)n < sizeof(sa.sun_path) && temp_is_stale(&sa, now))
			unlink(sa.sun_path);
	}
	closedir(d);
}

/*
 * Listening at a temporary name, then linked to path.  Return the fd,
 * -errno, or -ENOTSUP when that cannot be done here (no room for the
 * name, or no hard links in this file system): bind in place then.
 */
static int listen_then_link(const char *path, int backlog)
{
	struct sockaddr_un tmp = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err = 0;

	sweep_stale(path);
	/*
	 * The name can be taken: another daemon of the same pid (in another pid
	 * namespace) at the same time, or one killed before it removed it
	 * (less than USOCK_TEMP_STALE_SEC ago, else swept).  Our name can go
	 * before we link it (ENOENT): another daemon's sweep took it for a
	 * leftover while we were stopped between bind() and listen().
	 * Another name either way, then in place as before.
	 */
	for (int tries = 0;; tries++) {
		if (tries == USOCK_TEMP_TRIES || !temp_name(path, tmp.sun_path, sizeof(tmp.sun_path)))
			return -ENOTSUP;
		fd = bound_socket(&tmp, backlog);
		if (fd == -EADDRINUSE)
			continue;
		if (fd < 0)
			return fd;
		/* link(), not rename(): a socket that appeared at path since the claim is kept */
		err = link(tmp.sun_path, path) < 0 ? errno : 0;
		if (err == ENOENT) {    /* our name is gone: nothing of ours to remove */
			close(fd);
			continue;
		}
		unlink(tmp.sun_path);
		if (!err)
			return fd;
		close(fd);
		break;
	}
	if (err != EEXIST)
		return err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EXDEV
			       ? -ENOTSUP : -err;
	return lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode) ? -EEXIST : -EADDRINUSE;
}

int usock_listen_own(const char *path, int backlog, struct sockpolicy_owned *own)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (own)
		own->valid = false;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = sockpolicy_claim(path);
	if (rc)
		return rc;
	fd = listen_then_link(path, backlog);
	if (fd == -ENOTSUP)
		fd = bound_socket(&sa, backlog);
	if (fd < 0)
		return fd;
	if (own && (rc = sockpolicy_own(path, own)) < 0) {
		unlink(path);   /* linked or bound just now: ours */
		close(fd);
		return rc;
	}
	return fd;
}
