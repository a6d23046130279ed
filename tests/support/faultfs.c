/* SPDX-License-Identifier: MIT */
/*
 * faultfs.c - an LD_PRELOAD shim that makes writes and syncs of the state
 * store fail on demand, for the tests of docs/persistence.md ("When the
 * store fails").
 *
 * CXLDCD_FAULTFS=PATH names a control file.  While PATH exists and starts
 * with ENOSPC, EIO or EFBIG, every write(), pwrite(), pwrite64(), fsync(),
 * fdatasync() and ftruncate() on a file whose name contains "cxldcd.db"
 * (the database and its WAL; the -shm index is left alone, as on a real
 * full disk where it is already allocated) fails with that errno.  An
 * absent or empty control file means no fault, so a test turns the fault on
 * and off while the daemon runs.  Other files are never touched.  A number
 * after the errno's name ("EIO 5") delays the fault until that many WAL
 * syncs succeeded in this process: the commit after the Nth fails, the
 * ones before it do not (with CXLDCD_FAULTFS_SYNCS a test reads N).
 * While an ENOSPC fault is in effect, statvfs() and statvfs64() report no
 * free blocks (f_bfree, f_bavail, 0), as on a full disk, whatever path
 * they are given; otherwise they report the real file system.
 *
 * CXLDCD_FAULTFS_SNAP=PATH: the same for the writes and syncs of a snapshot
 * file being written (a name ending in ".bin.tmp"), with PATH as its
 * control file: a snapshot that fails (disk full) while the store works.
 *
 * CXLDCD_FAULTFS_SYNCS=PATH: each successful fsync()/fdatasync() of the WAL
 * appends one byte to PATH, so a test counts the commits that reached the
 * disk (group commit).
 *
 * CXLDCD_FAULTFS_HOLD=PATH: while PATH exists, an fsync()/fdatasync() of
 * the WAL waits (up to 30 s) before it syncs, so a test sees what the
 * daemon sends while its commit is not yet durable (nothing may be).
 *
 * CXLDCD_FAULTFS_WHOLD=PATH: while PATH exists and holds a number N, a
 * write of the WAL waits (up to 30 s) once N of its syncs succeeded in this
 * process: the commit after the Nth is held before its frames reach the
 * file, so a kill then loses it (a kill during its sync would not: the
 * kernel has the frames).  With CXLDCD_FAULTFS_SYNCS a test reads N.
 *
 * CXLDCD_FAULTFS_TRACE=PATH: each successful fsync()/fdatasync() of any
 * file, in the daemon or its snapshot child, appends a line to PATH: the
 * file's name (its last path component), so a test sees the order of the
 * syncs (a backend's before the snapshot that drops what it zeroed).
 *
 * CXLDCD_FAULTFS_SYNCFAIL=PATH: while PATH exists and holds a file name
 * (one line), every fsync()/fdatasync() of a file of that name (its last
 * path component: a backend's file) fails with EIO.
 *
 * CXLDCD_FAULTFS_SNAP_HOLD=PATH: while PATH exists, an fdatasync() of a
 * snapshot file being written (a name ending in ".bin.tmp") waits (up to
 * 30 s) before it syncs: a snapshot child still writing.
 *
 * CXLDCD_FAULTFS_FORK_HOLD=PATH: while PATH exists, the child of a fork()
 * waits (up to 30 s) before fork() returns in it: a child the scheduler has
 * not run yet (a snapshot child between fork() and its first instruction,
 * which holds every descriptor of the daemon meanwhile).
 */
#undef _FILE_OFFSET_BITS   /* define both pwrite and pwrite64, as libc does */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

/* The WAL syncs that succeeded in this process. */
static unsigned long wal_syncs;

/* The errno the control file @ctl says to inject now, or 0 (errno kept). */
static int ctl_code(const char *ctl)
{
	static ssize_t (*real_read)(int, void *, size_t);
	char buf[16] = { 0 };
	ssize_t n;
	int cfd, saved = errno, code = 0;

	cfd = ctl ? open(ctl, O_RDONLY | O_CLOEXEC) : -1;
	if (cfd < 0)
		goto out;
	if (!real_read)
		real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	n = real_read(cfd, buf, sizeof(buf) - 1);
	close(cfd);
	if (n > 0 && !strncmp(buf, "ENOSPC", 6))
		code = ENOSPC;
	else if (n > 0 && !strncmp(buf, "EIO", 3))
		code = EIO;
	else if (n > 0 && !strncmp(buf, "EFBIG", 5))
		code = EFBIG;
	if (code && strchr(buf, ' ') && wal_syncs < strtoul(strchr(buf, ' ') + 1, NULL, 10))
		code = 0;       /* "EIO N": not before the Nth WAL sync */
out:
	errno = saved;
	return code;
}

/* The errno to inject for fd now, or 0. */
static int fault_for(int fd)
{
	const char *ctl = getenv("CXLDCD_FAULTFS"), *snap = getenv("CXLDCD_FAULTFS_SNAP");
	char link[64], path[512];
	ssize_t n;
	int saved = errno;

	if ((!ctl && !snap) || fd < 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	errno = saved;
	if (n <= 0)
		return 0;
	path[n] = 0;
	if (snap && n > 8 && !strcmp(path + n - 8, ".bin.tmp"))
		ctl = snap;     /* a snapshot file being written */
	else if (!ctl || !strstr(path, "cxldcd.db") || strstr(path, "-shm"))
		return 0;
	return ctl_code(ctl);
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

/* Whether fd is the store's WAL. */
static bool is_wal(int fd)
{
	char link[64], path[512];
	ssize_t n;
	int saved = errno;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	errno = saved;
	if (n <= 0)
		return false;
	path[n] = 0;
	return strstr(path, "cxldcd.db-wal") != NULL;
}

/* Wait while $CXLDCD_FAULTFS_WHOLD exists and names a number of syncs reached, when fd is the WAL. */
static void hold_write(int fd)
{
	const char *hold = getenv("CXLDCD_FAULTFS_WHOLD");
	char buf[32] = { 0 };
	int saved = errno, cfd;
	ssize_t n;

	if (!hold || !is_wal(fd))
		return;
	for (int i = 0; i < 30000; i++) {
		cfd = open(hold, O_RDONLY | O_CLOEXEC);
		if (cfd < 0)
			break;
		n = REAL("read", ssize_t (*)(int, void *, size_t))(cfd, buf, sizeof(buf) - 1);
		close(cfd);
		if (n <= 0 || wal_syncs < strtoul(buf, NULL, 10))
			break;
		usleep(1000);
	}
	errno = saved;
}

/* The name of the file fd syncs, a line to $CXLDCD_FAULTFS_TRACE. */
static void trace_sync(int fd)
{
	const char *out = getenv("CXLDCD_FAULTFS_TRACE");
	char link[64], path[512], *name;
	ssize_t n;
	int cfd, saved = errno;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = out ? readlink(link, path, sizeof(path) - 2) : -1;
	if (n > 0) {
		path[n] = '\n';
		path[n + 1] = 0;
		name = strrchr(path, '/');
		name = name ? name + 1 : path;
		cfd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (cfd >= 0) {
			REAL("write", ssize_t (*)(int, const void *, size_t))(cfd, name, strlen(name));
			close(cfd);
		}
	}
	errno = saved;
}

/* One byte to $CXLDCD_FAULTFS_SYNCS for a synced WAL. */
static void count_sync(int fd)
{
	const char *out = getenv("CXLDCD_FAULTFS_SYNCS");
	int cfd, saved = errno;

	if (!is_wal(fd))
		goto out;
	wal_syncs++;
	if (!out)
		goto out;
	cfd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (cfd >= 0) {
		REAL("write", ssize_t (*)(int, const void *, size_t))(cfd, "s", 1);
		close(cfd);
	}
out:
	errno = saved;
}

/* Whether $CXLDCD_FAULTFS_SYNCFAIL names fd's file now. */
static bool sync_fails(int fd)
{
	const char *ctl = getenv("CXLDCD_FAULTFS_SYNCFAIL");
	char link[64], path[512], want[256] = { 0 }, *name, *nl;
	ssize_t n;
	int cfd, saved = errno;
	bool fails = false;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = ctl ? readlink(link, path, sizeof(path) - 1) : -1;
	if (n > 0 && (cfd = open(ctl, O_RDONLY | O_CLOEXEC)) >= 0) {
		path[n] = 0;
		name = strrchr(path, '/');
		name = name ? name + 1 : path;
		n = REAL("read", ssize_t (*)(int, void *, size_t))(cfd, want, sizeof(want) - 1);
		close(cfd);
		if (n > 0 && (nl = strchr(want, '\n')))
			*nl = 0;
		fails = n > 0 && want[0] && !strcmp(name, want);
	}
	errno = saved;
	return fails;
}

/* Wait while $CXLDCD_FAULTFS_HOLD exists, when fd is the WAL. */
static void hold_sync(int fd)
{
	const char *hold = getenv("CXLDCD_FAULTFS_HOLD");
	char link[64], path[512];
	ssize_t n;
	int saved = errno;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (!hold || n <= 0)
		goto out;
	path[n] = 0;
	for (int i = 0; strstr(path, "cxldcd.db-wal") && access(hold, F_OK) == 0 && i < 30000; i++)
		usleep(1000);
out:
	errno = saved;
}

pid_t fork(void)
{
	pid_t pid = REAL("fork", pid_t (*)(void))();
	const char *hold = getenv("CXLDCD_FAULTFS_FORK_HOLD");

	for (int i = 0; pid == 0 && hold && access(hold, F_OK) == 0 && i < 30000; i++)
		usleep(1000);
	return pid;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	int e = fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	hold_write(fd);
	return REAL("write", ssize_t (*)(int, const void *, size_t))(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	int e = fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	hold_write(fd);
	return REAL("pwrite", ssize_t (*)(int, const void *, size_t, off_t))(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	int e = fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	hold_write(fd);
	return REAL("pwrite64", ssize_t (*)(int, const void *, size_t, off64_t))(fd, buf, len, off);
}

int fsync(int fd)
{
	int e = sync_fails(fd) ? EIO : fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	hold_sync(fd);
	e = REAL("fsync", int (*)(int))(fd);
	if (!e) {
		count_sync(fd);
		trace_sync(fd);
	}
	return e;
}

/* Wait while $CXLDCD_FAULTFS_SNAP_HOLD exists, when fd is a snapshot being written. */
static void hold_snapshot(int fd)
{
	const char *hold = getenv("CXLDCD_FAULTFS_SNAP_HOLD");
	char link[64], path[512];
	ssize_t n;
	int saved = errno;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (hold && n > 8) {
		path[n] = 0;
		for (int i = 0; !strcmp(path + n - 8, ".bin.tmp") && access(hold, F_OK) == 0 &&
				i < 30000; i++)
			usleep(1000);
	}
	errno = saved;
}

int fdatasync(int fd)
{
	int e = sync_fails(fd) ? EIO : fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	hold_sync(fd);
	hold_snapshot(fd);
	e = REAL("fdatasync", int (*)(int))(fd);
	if (!e) {
		count_sync(fd);
		trace_sync(fd);
	}
	return e;
}

int ftruncate(int fd, off_t len)
{
	int e = fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	return REAL("ftruncate", int (*)(int, off_t))(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
	int e = fault_for(fd);

	if (e) {
		errno = e;
		return -1;
	}
	return REAL("ftruncate64", int (*)(int, off64_t))(fd, len);
}

/* A full disk while the store's ENOSPC fault is in effect: no free blocks. */
int statvfs(const char *path, struct statvfs *v)
{
	int rc = REAL("statvfs", int (*)(const char *, struct statvfs *))(path, v);

	if (!rc && ctl_code(getenv("CXLDCD_FAULTFS")) == ENOSPC)
		v->f_bfree = v->f_bavail = 0;
	return rc;
}

int statvfs64(const char *path, struct statvfs64 *v)
{
	int rc = REAL("statvfs64", int (*)(const char *, struct statvfs64 *))(path, v);

	if (!rc && ctl_code(getenv("CXLDCD_FAULTFS")) == ENOSPC)
		v->f_bfree = v->f_bavail = 0;
	return rc;
}
