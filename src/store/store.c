/* SPDX-License-Identifier: MIT */
/*
 * store.c - the store's life cycle: opening the directory and the database
 * (lock, WAL, synchronous=FULL), error messages, write transactions and the
 * stored configuration.
 *
 * Not here: the layout (schema.c), the journal (journal.c) and snapshots
 * (checkpoint.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "store/store-int.h"

/* ------------------------------------------------------------------ errors */

int store_fail(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return code;
}

int store_sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

int store_fail_sql(struct store *st, int rc, const char *what)
{
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	/* sqlite3_errmsg() describes the last call on the handle; if that was
	 * a different call (or succeeded), fall back to the code's own text. */
	if (!st->db || sqlite3_errcode(st->db) != rc)
		msg = sqlite3_errstr(rc);
	return store_fail(st, store_sql_errno(rc), "%s: %s (sqlite rc=%d)", what, msg, rc);
}

const char *store_last_error(const struct store *st)
{
	return st->err;
}

const char *store_path(const struct store *st)
{
	return st->path;
}

int store_exec(struct store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, what);
}

int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, "prepare");
}

int store_meta_get(struct store *st, const char *key, uint64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL);

	*out = 0;
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*out = (uint64_t)sqlite3_column_int64(s, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, "meta");
}

/* ---------------------------------------------------------------- opening */

static int errf(char *err, size_t cap, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t cap, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && cap) {
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return code;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/*
 * fsync the directory, so that a newly created database, WAL or lock file
 * survives a power loss (SQLite syncs file contents, not directory entries
 * of the WAL it creates).
 */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

static int make_dir(const char *dir, char *err, size_t cap)
{
	struct stat sb;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return errf(err, cap, -errno, "store dir=%s: mkdir: %s", dir, strerror(errno));
	if (stat(dir, &sb) < 0)
		return errf(err, cap, -errno, "store dir=%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return errf(err, cap, -ENOTDIR, "store dir=%s: not a directory", dir);
	return 0;
}

/* Try the lock every 10 ms until @wait_ms have passed; 0 or -errno (EWOULDBLOCK: still held). */
static int lock_within(int fd, uint32_t wait_ms)
{
	uint64_t end = clock_now_ms() + wait_ms;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e != EWOULDBLOCK || clock_now_ms() >= end)
			return -e;
		usleep(10000);
	}
	return 0;
}

/*
 * One daemon per store: SQLite's own locks let several writers take turns.
 * A daemon killed while its snapshot child was starting leaves the child
 * holding the lock for a moment (it dies with its parent): wait up to
 * @wait_ms before calling the store busy.
 */
static int lock_dir(struct store *st, uint32_t wait_ms, char *err, size_t cap)
{
	char *lock = join(st->dir, "cxldcd.lock");
	int ret = 0;

	if (!lock)
		return errf(err, cap, -ENOMEM, "out of memory");
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		ret = errf(err, cap, -errno, "store lock=%s: %s", lock, strerror(errno));
		goto out;
	}
	ret = lock_within(st->lock_fd, wait_ms);
	if (ret == -EWOULDBLOCK)
		ret = errf(err, cap, -EBUSY, "store dir=%s is in use by another process", st->dir);
	else if (ret)
		ret = errf(err, cap, ret, "store lock=%s: flock: %s", lock, strerror(-ret));
out:
	free(lock);
	return ret;
}

/*
 * Open path (created owner-only whatever the umask and the directory's
 * mode; SQLite gives the -wal and -shm files the database's mode).
 */
static int open_db(struct store *st, const char *path)
{
	mode_t old = umask(077);
	int rc = sqlite3_open_v2(path, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	umask(old);
	if (rc != SQLITE_OK) {
		/* The handle exists even on failure (unless out of memory). */
		store_fail(st, store_sql_errno(rc), "open %s: %s", path,
			   st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		return store_sql_errno(rc);
	}
	sqlite3_extended_result_codes(st->db, 1);
	return 0;
}

/*
 * An existing cxldcd.db must at least look like an SQLite file: a store is
 * only ever made whole (make_db), so an empty, short or headerless file is
 * damage (or someone else's file), never "a new store".  *exists: whether
 * there is a file.
 */
static int check_db_file(struct store *st, bool *exists)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat sb;
	ssize_t n;
	int fd;

	*exists = false;
	if (lstat(st->path, &sb) < 0)
		return errno == ENOENT ? 0 : store_fail(st, -errno, "%s: %s", st->path, strerror(errno));
	*exists = true;
	if (!S_ISREG(sb.st_mode))
		return store_fail(st, -EIO, "%s: not a regular file", st->path);
	if (sb.st_size == 0)
		return store_fail(st, -EIO,
				  "%s is empty (0 bytes): the store was truncated or damaged; restore it, or move it away to start a new device",
				  st->path);
	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return store_fail(st, -errno, "%s: %s", st->path, strerror(errno));
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)))
		return store_fail(st, -EIO,
				  "%s: file is not a database (%lld bytes, no SQLite header): truncated, damaged or not a cxldcd store; restore it, or move it away to start a new device",
				  st->path, (long long)sb.st_size);
	return 0;
}

/*
 * A new store is made complete under a temporary name and renamed into
 * place, so that a crash while making it leaves no half-made cxldcd.db.
 */
static int make_db(struct store *st)
{
	char *tmp = join(st->dir, STORE_DB_NAME ".new");
	int ret;

	if (!tmp)
		return store_fail(st, -ENOMEM, "out of memory");
	unlink(tmp);
	ret = open_db(st, tmp);
	if (!ret)
		ret = store_schema_init(st);
	sqlite3_close_v2(st->db);   /* the last connection: the WAL is folded in */
	st->db = NULL;
	if (!ret && rename(tmp, st->path) < 0)
		ret = store_fail(st, -errno, "rename %s: %s", tmp, strerror(errno));
	if (ret)
		unlink(tmp);
	else
		ret = sync_dir(st->dir);
	free(tmp);
	return ret;
}

/* Files of a store made by an older version may be world-readable: not any more. */
static void restrict_modes(struct store *st)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char path[4096];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", st->path, sfx[i]);
		chmod(path, 0600);
	}
}

static int prepare_all(struct store *st)
{
	int ret;

	if ((ret = store_prepare(st, "BEGIN IMMEDIATE", &st->st_begin)) ||
	    (ret = store_prepare(st, "COMMIT", &st->st_commit)) ||
	    (ret = store_prepare(st, "ROLLBACK", &st->st_rollback)) ||
	    (ret = store_prepare(st,
				 "INSERT INTO journal(seq, time_ns, kind, dev, port, host, data, crc)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
				 &st->st_append)))
		return ret;
	return 0;
}

static int load_config_flag(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM config", -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		st->has_config = sqlite3_column_int64(s, 0) > 0;
		st->has_config_disk = st->has_config;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, "read config");
}

int store_open(const char *dir, struct store **out, char *err, size_t cap)
{
	return store_open_with(dir, NULL, out, err, cap);
}

int store_open_with(const char *dir, const struct store_open_opts *o, struct store **out, char *err,
		    size_t cap)
{
	uint32_t wait_ms = o && o->lock_wait_ms ? o->lock_wait_ms : STORE_DEFAULT_LOCK_WAIT_MS;
	struct store *st;
	int ret;

	*out = NULL;
	if (!dir || !*dir)
		return errf(err, cap, -EINVAL, "store dir is empty");
	ret = make_dir(dir, err, cap);
	if (ret)
		return ret;
	st = calloc(1, sizeof(*st));
	if (!st)
		return errf(err, cap, -ENOMEM, "out of memory");
	st->lock_fd = -1;
	st->dir = strdup(dir);
	st->path = join(dir, STORE_DB_NAME);
	if (!st->dir || !st->path) {
		ret = errf(err, cap, -ENOMEM, "out of memory");
		goto err;
	}
	ret = lock_dir(st, wait_ms, err, cap);
	if (ret)
		goto err;
	bool exists;

	if ((ret = check_db_file(st, &exists)) || (!exists && (ret = make_db(st))))
		goto err_msg;
	restrict_modes(st);
	if ((ret = open_db(st, st->path)) || (ret = store_schema_init(st)) || (ret = prepare_all(st)) ||
	    (ret = store_journal_load(st)) || (ret = load_config_flag(st)))
		goto err_msg;
	ret = sync_dir(dir);
	if (ret) {
		errf(err, cap, ret, "store dir=%s: fsync: %s", dir, strerror(-ret));
		goto err;
	}
	st->err[0] = '\0';
	*out = st;
	return 0;
err_msg:
	errf(err, cap, ret, "%s", st->err);
err:
	store_close(st);
	return ret;
}

/* Close [lo, hi] except skip (-1: none). */
static int cmp_fd(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void store_forked(struct store *st, const int *keep, size_t nr_keep)
{
	int one[1], *fds = malloc((nr_keep + 1) * sizeof(*fds)), lo = 3;
	size_t n = 0;

	if (!fds) {             /* keep the lock alone: whoever needed the rest fails (EBADF) */
		fds = one;
		nr_keep = 0;
	}
	for (size_t i = 0; i < nr_keep; i++)
		if (keep[i] >= 3)
			fds[n++] = keep[i];
	if (st->lock_fd >= 3)
		fds[n++] = st->lock_fd;
	qsort(fds, n, sizeof(fds[0]), cmp_fd);
	/* Everything but those, then the lock (its open file description stays locked by the parent). */
	for (size_t i = 0; i < n; i++) {
		if (fds[i] > lo)
			close_range((unsigned)lo, (unsigned)fds[i] - 1, 0);
		if (fds[i] + 1 > lo)
			lo = fds[i] + 1;
	}
	close_range((unsigned)lo, ~0u, 0);
	if (fds != one)
		free(fds);
	for (size_t i = 0; i < nr_keep; i++)
		if (keep[i] == st->lock_fd)
			return;
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_txn)
		store_rollback(st);
	sqlite3_finalize(st->st_begin);
	sqlite3_finalize(st->st_commit);
	sqlite3_finalize(st->st_rollback);
	sqlite3_finalize(st->st_append);
	/* close_v2: never leaves the handle behind even if a statement leaked. */
	sqlite3_close_v2(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->dir);
	free(st->path);
	free(st);
}

/* ----------------------------------------------------------- transactions */

static int step_once(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_fail_sql(st, rc, what);
}

int store_begin(struct store *st)
{
	int ret;

	if (st->in_txn)
		return store_fail(st, -EALREADY, "begin: a transaction is already open");
	ret = step_once(st, st->st_begin, "begin");
	if (ret)
		return ret;
	st->in_txn = true;
	return 0;
}

/* Back to the state on disk, whatever SQLite did with the transaction. */
static void abandon(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db)) {
		sqlite3_step(st->st_rollback);
		sqlite3_reset(st->st_rollback);
	}
	st->in_txn = false;
	st->nr_journal = st->nr_committed;
	st->has_config = st->has_config_disk;
}

int store_commit(struct store *st)
{
	int ret;

	if (!st->in_txn)
		return store_fail(st, -EINVAL, "commit: no transaction open");
	ret = step_once(st, st->st_commit, "commit");
	if (ret) {
		abandon(st);
		return ret;
	}
	st->in_txn = false;
	st->nr_committed = st->nr_journal;
	st->has_config_disk = st->has_config;
	return 0;
}

int store_rollback(struct store *st)
{
	int ret;

	if (!st->in_txn)
		return store_fail(st, -EINVAL, "rollback: no transaction open");
	ret = step_once(st, st->st_rollback, "rollback");
	abandon(st);
	return ret;
}

/* ---------------------------------------------------------- configuration */

int store_config_get(struct store *st, char **text_out)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = 0;

	*text_out = NULL;
	rc = sqlite3_prepare_v2(st->db, "SELECT text FROM config WHERE id = 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "config get");
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = store_fail(st, -ENOENT, "config get: no configuration stored");
	} else if (rc != SQLITE_ROW) {
		ret = store_fail_sql(st, rc, "config get");
	} else {
		const unsigned char *t = sqlite3_column_text(s, 0);

		*text_out = strdup(t ? (const char *)t : "");
		if (!*text_out)
			ret = store_fail(st, -ENOMEM, "config get: out of memory");
	}
	sqlite3_finalize(s);
	return ret;
}

static int config_insert(struct store *st, const char *text)
{
	struct timespec ts;
	sqlite3_stmt *s = NULL;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO config(id, text, set_ns) VALUES (1, ?1, ?2)",
				-1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)ts.tv_sec * 1000000000 + ts.tv_nsec);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_fail_sql(st, rc, "config set");
}

int store_config_set(struct store *st, const char *text)
{
	char *old = NULL;
	bool own_txn = !st->in_txn;
	int ret;

	if (!text)
		return store_fail(st, -EINVAL, "config set: text is NULL");
	ret = store_config_get(st, &old);
	if (ret == 0) {
		ret = strcmp(old, text) == 0 ? 0
		      : store_fail(st, -EEXIST, "config set: the store holds a different "
						"configuration (restart with the same arguments, "
						"or use a new store directory)");
		free(old);
		return ret;
	}
	if (ret != -ENOENT)
		return ret;
	if (own_txn && (ret = store_begin(st)))
		return ret;
	ret = config_insert(st, text);
	if (ret == 0)
		st->has_config = true;
	if (!own_txn)
		return ret;
	if (ret) {
		store_rollback(st);
		return ret;
	}
	return store_commit(st);
}

bool store_is_new(const struct store *st)
{
	return !st->has_config;
}
