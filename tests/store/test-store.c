/* SPDX-License-Identifier: MIT */
/*
 * test-store.c - the store's life cycle, configuration, journal and the
 * refusal of files it must not touch (newer schema, foreign database,
 * garbage, truncated or damaged files: a clean error, never a crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store/store.h"
#include "tmpdir.h"

struct fx {
	char *dir;
	struct store *st;
	char err[256];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_new();
	assert_non_null(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	tmpdir_free(f->dir);
	free(f);
	return 0;
}

static void open_ok(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), 0);
	assert_non_null(f->st);
}

/* Run SQL on the store's file with a connection of our own (store closed). */
static void sql_poke(struct fx *f, const char *sql)
{
	char *path = tmpdir_join(f->dir, STORE_DB_NAME);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* ------------------------------------------------------------- life cycle */

static void test_open_creates_private_dir_and_db(void **state)
{
	struct fx *f = *state;
	char *sub = tmpdir_join(f->dir, "state");
	struct stat sb;

	assert_int_equal(store_open(sub, &f->st, f->err, sizeof(f->err)), 0);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(store_path(f->st), &sb), 0);
	assert_true(store_is_new(f->st));
	assert_int_equal(store_journal_count(f->st), 0);
	assert_string_equal(store_last_error(f->st), "");
	store_close(f->st);
	f->st = NULL;
	/* Reopen: same, still new. */
	assert_int_equal(store_open(sub, &f->st, f->err, sizeof(f->err)), 0);
	assert_true(store_is_new(f->st));
	free(sub);
}

/* store_open_with()'s lock wait in these tests (the daemon's is STORE_DEFAULT_LOCK_WAIT_MS). */
#define LOCK_WAIT_MS 200u

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A second opener waits LOCK_WAIT_MS for the lock, then calls the store busy. */
static void test_open_refuses_second_user_of_dir(void **state)
{
	const struct store_open_opts o = { .lock_wait_ms = LOCK_WAIT_MS };
	struct fx *f = *state;
	struct store *other = NULL;
	uint64_t t;

	open_ok(f);
	t = mono_ms();
	assert_int_equal(store_open_with(f->dir, &o, &other, f->err, sizeof(f->err)), -EBUSY);
	t = mono_ms() - t;
	assert_true(t >= LOCK_WAIT_MS);             /* it waited first */
	assert_true(t < STORE_DEFAULT_LOCK_WAIT_MS); /* for the wait asked, not the default */
	assert_null(other);
	assert_non_null(strstr(f->err, "in use"));
}

/*
 * A lock held by another process that lets go within the wait (a dying
 * snapshot child) does not make the store busy: the open waits and succeeds.
 */
static void test_open_waits_for_a_lock_released_in_time(void **state)
{
	const struct store_open_opts o = { .lock_wait_ms = 5000 };
	struct fx *f = *state;
	char *lock = NULL, c = 0;
	int held[2], go[2], fd;
	pid_t pid;

	assert_true(asprintf(&lock, "%s/cxldcd.lock", f->dir) > 0);
	assert_int_equal(pipe(held), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (lfd < 0 || flock(lfd, LOCK_EX) < 0 || write(held[1], "h", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		usleep(200 * 1000);
		_exit(0); /* the lock goes with the process */
	}
	assert_int_equal(read(held[0], &c, 1), 1);
	fd = open(lock, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1); /* held by the child now */
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(store_open_with(f->dir, &o, &f->st, f->err, sizeof(f->err)), 0);
	assert_non_null(f->st);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	for (int i = 0; i < 2; i++) {
		close(held[i]);
		close(go[i]);
	}
	free(lock);
}

static void test_open_refuses_file_in_place_of_dir(void **state)
{
	struct fx *f = *state;
	char *p = tmpdir_join(f->dir, "plain");

	write_file(p, "x", 1);
	assert_int_equal(store_open(p, &f->st, f->err, sizeof(f->err)), -ENOTDIR);
	assert_int_equal(store_open("", &f->st, f->err, sizeof(f->err)), -EINVAL);
	free(p);
}

/* ---------------------------------------------------------- configuration */

static void test_config_set_get_and_compare(void **state)
{
	struct fx *f = *state;
	char *t = NULL;

	open_ok(f);
	assert_int_equal(store_config_get(f->st, &t), -ENOENT);
	assert_null(t);
	assert_int_equal(store_config_set(f->st, "{\"device\":\"a\"}"), 0);
	assert_false(store_is_new(f->st));
	assert_int_equal(store_config_set(f->st, "{\"device\":\"a\"}"), 0);
	assert_int_equal(store_config_set(f->st, "{\"device\":\"b\"}"), -EEXIST);
	assert_non_null(strstr(store_last_error(f->st), "different configuration"));
	open_ok(f);
	assert_false(store_is_new(f->st));
	assert_int_equal(store_config_get(f->st, &t), 0);
	assert_string_equal(t, "{\"device\":\"a\"}");
	free(t);
	assert_int_equal(store_config_set(f->st, "{\"device\":\"b\"}"), -EEXIST);
	assert_int_equal(store_config_set(f->st, NULL), -EINVAL);
}

static void test_config_set_in_rolled_back_txn_is_not_stored(void **state)
{
	struct fx *f = *state;
	char *t = NULL;

	open_ok(f);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_config_set(f->st, "cfg"), 0);
	assert_false(store_is_new(f->st));
	assert_int_equal(store_rollback(f->st), 0);
	assert_true(store_is_new(f->st));
	assert_int_equal(store_config_get(f->st, &t), -ENOENT);
	open_ok(f);
	assert_true(store_is_new(f->st));
}

/*
 * The return codes of background erases (meta 'bg_results'): none at
 * first; set in a transaction, they go with it (rolled back: not there;
 * committed: there after a reopen); set alone, in a commit of their own;
 * NULL or "" removes them.  The owed places' row is another and stays.
 */
static void test_bg_results_go_with_their_transaction(void **state)
{
	struct fx *f = *state;
	char *t = NULL;

	open_ok(f);
	assert_int_equal(store_bg_results_get(f->st, &t), 0);
	assert_null(t);
	assert_int_equal(store_owed_set(f->st, "[[\"owed\",0,1]]"), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_bg_results_set(f->st, "[[0,0,17408,5,4]]"), 0);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_bg_results_get(f->st, &t), 0);
	assert_null(t);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_bg_results_set(f->st, "[[0,0,17408,5,4]]"), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_ok(f);
	assert_int_equal(store_bg_results_get(f->st, &t), 0);
	assert_non_null(t);
	assert_string_equal(t, "[[0,0,17408,5,4]]");
	free(t);
	assert_int_equal(store_bg_results_set(f->st, "[[1,65535,17410,9,4]]"), 0);
	open_ok(f);
	assert_int_equal(store_bg_results_get(f->st, &t), 0);
	assert_string_equal(t, "[[1,65535,17410,9,4]]");
	free(t);
	assert_int_equal(store_bg_results_set(f->st, ""), 0);
	assert_int_equal(store_bg_results_get(f->st, &t), 0);
	assert_null(t);
	assert_int_equal(store_bg_results_set(f->st, "x"), 0);
	assert_int_equal(store_bg_results_set(f->st, NULL), 0);
	assert_int_equal(store_bg_results_get(f->st, &t), 0);
	assert_null(t);
	assert_int_equal(store_owed_get(f->st, &t), 0);
	assert_string_equal(t, "[[\"owed\",0,1]]");
	free(t);
}

/* ---------------------------------------------------------------- journal */

#define NR_RECS 300

/* Record i (1-based) of a deterministic sequence with varied fields. */
static void make_rec(uint64_t i, struct store_rec *r, uint8_t *buf, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->time_ns = 1700000000000000000ull + i * 1000;
	r->kind = (uint32_t)(i % 6) + 1;
	r->dev = (uint32_t)(i % 3);
	r->port = (uint32_t)(i % 2);
	r->host = (uint32_t)(i % 5);
	r->len = r->kind == STORE_REC_TICK ? 0 : (size_t)(i * 7 % cap);
	for (size_t k = 0; k < r->len; k++)
		buf[k] = (uint8_t)(i * 31 + k);
	r->data = r->len ? buf : NULL;
}

struct seen {
	uint64_t n;
	uint64_t stop_at;   /* 0: never */
	int stop_ret;
	int bad;
};

static int check_cb(void *opaque, const struct store_rec *rec)
{
	struct seen *s = opaque;
	uint8_t buf[4096];
	struct store_rec want;

	s->n++;
	make_rec(s->n, &want, buf, sizeof(buf));
	if (rec->seq != s->n || rec->time_ns != want.time_ns || rec->kind != want.kind ||
	    rec->dev != want.dev || rec->port != want.port || rec->host != want.host ||
	    rec->len != want.len || (want.len && memcmp(rec->data, want.data, want.len)))
		s->bad++;
	if (s->stop_at && s->n == s->stop_at)
		return s->stop_ret;
	return 0;
}

static void append_n(struct store *st, uint64_t from, uint64_t n, uint64_t per_txn)
{
	uint8_t buf[4096];
	struct store_rec r;

	for (uint64_t i = from; i < from + n; i++) {
		if ((i - from) % per_txn == 0)
			assert_int_equal(store_begin(st), 0);
		make_rec(i, &r, buf, sizeof(buf));
		assert_int_equal(store_journal_append(st, &r), 0);
		assert_int_equal(r.seq, i);
		if ((i - from) % per_txn == per_txn - 1 || i == from + n - 1)
			assert_int_equal(store_commit(st), 0);
	}
}

static void test_journal_replays_in_order_with_content(void **state)
{
	struct fx *f = *state;
	struct seen s = { 0 };

	open_ok(f);
	append_n(f->st, 1, 100, 1);
	append_n(f->st, 101, NR_RECS - 100, 7);
	assert_int_equal(store_journal_count(f->st), NR_RECS);
	assert_int_equal(store_journal_replay(f->st, check_cb, &s), 0);
	assert_int_equal(s.n, NR_RECS);
	assert_int_equal(s.bad, 0);
	open_ok(f);
	assert_int_equal(store_journal_count(f->st), NR_RECS);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_journal_replay(f->st, check_cb, &s), 0);
	assert_int_equal(s.n, NR_RECS);
	assert_int_equal(s.bad, 0);
	/* Appending continues the sequence after a reopen. */
	append_n(f->st, NR_RECS + 1, 5, 5);
	assert_int_equal(store_journal_count(f->st), NR_RECS + 5);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct seen s = { 0 };
	uint8_t buf[64];
	struct store_rec r;

	open_ok(f);
	append_n(f->st, 1, 3, 3);
	assert_int_equal(store_begin(f->st), 0);
	for (uint64_t i = 4; i < 10; i++) {
		make_rec(i, &r, buf, sizeof(buf));
		assert_int_equal(store_journal_append(f->st, &r), 0);
	}
	assert_int_equal(store_journal_count(f->st), 9);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_journal_count(f->st), 3);
	assert_int_equal(store_journal_replay(f->st, check_cb, &s), 0);
	assert_int_equal(s.n, 3);
	/* The numbers are given back: the next append is seq 4 again. */
	append_n(f->st, 4, 1, 1);
	/* Closing with an open transaction rolls it back too. */
	assert_int_equal(store_begin(f->st), 0);
	make_rec(5, &r, buf, sizeof(buf));
	assert_int_equal(store_journal_append(f->st, &r), 0);
	open_ok(f);
	assert_int_equal(store_journal_count(f->st), 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_journal_replay(f->st, check_cb, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.bad, 0);
}

static void test_replay_stops_on_callback_error(void **state)
{
	struct fx *f = *state;
	struct seen s = { .stop_at = 5, .stop_ret = 42 };

	open_ok(f);
	append_n(f->st, 1, 20, 20);
	assert_int_equal(store_journal_replay(f->st, check_cb, &s), 42);
	assert_int_equal(s.n, 5);
	assert_non_null(strstr(store_last_error(f->st), "seq=5"));
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	s.stop_ret = -EPROTO;
	assert_int_equal(store_journal_replay(f->st, check_cb, &s), -EPROTO);
	assert_int_equal(s.n, 1);
	/* The store is still usable afterwards. */
	append_n(f->st, 21, 1, 1);
}

static void test_misuse_is_refused(void **state)
{
	struct fx *f = *state;
	struct store_rec r = { .kind = STORE_REC_QMP, .data = (const uint8_t *)"{}", .len = 2 };

	open_ok(f);
	assert_int_equal(store_journal_append(f->st, &r), -EINVAL);
	assert_non_null(strstr(store_last_error(f->st), "no transaction"));
	assert_int_equal(store_commit(f->st), -EINVAL);
	assert_int_equal(store_rollback(f->st), -EINVAL);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_begin(f->st), -EALREADY);
	r.kind = 0;
	assert_int_equal(store_journal_append(f->st, &r), -EINVAL);
	r.kind = STORE_REC_CCI;
	r.data = NULL;
	assert_int_equal(store_journal_append(f->st, &r), -EINVAL);
	assert_int_equal(store_journal_count(f->st), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_journal_count(f->st), 0);
}

static void test_rec_kind_names(void **state)
{
	(void)state;
	assert_string_equal(store_rec_kind_str(STORE_REC_CCI), "cci");
	assert_string_equal(store_rec_kind_str(STORE_REC_OBJECT_DEL), "object-del");
	assert_string_equal(store_rec_kind_str(99), "unknown");
}

/* ------------------------------------------------------- files to refuse */

static void test_newer_schema_is_refused(void **state)
{
	struct fx *f = *state;

	open_ok(f);
	assert_int_equal(store_config_set(f->st, "cfg"), 0);
	store_close(f->st);
	f->st = NULL;
	sql_poke(f, "UPDATE meta SET value = 3 WHERE key = 'schema_version'");
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EPROTO);
	assert_null(f->st);
	assert_non_null(strstr(f->err, "schema_version=3 is newer"));
	sql_poke(f, "UPDATE meta SET value = 0 WHERE key = 'schema_version'");
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EPROTO);
	assert_non_null(strstr(f->err, "unknown schema_version=0"));
	sql_poke(f, "DELETE FROM meta WHERE key = 'schema_version'");
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EPROTO);
	/* Back to 2: accepted again, contents intact. */
	sql_poke(f, "INSERT INTO meta VALUES ('schema_version', 2)");
	open_ok(f);
	assert_false(store_is_new(f->st));
}

static void test_foreign_database_is_refused_untouched(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_join(f->dir, STORE_DB_NAME);
	struct stat before, after;

	sql_poke(f, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EPROTO);
	assert_non_null(strstr(f->err, "not a cxldcd store"));
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtime, after.st_mtime);
	free(path);
}

static void test_garbage_file_gives_clean_error(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_join(f->dir, STORE_DB_NAME);
	uint8_t junk[8192];

	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	write_file(path, junk, sizeof(junk));
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EIO);
	assert_null(f->st);
	assert_non_null(strstr(f->err, "not a database"));
	/* A valid SQLite magic followed by junk. */
	memcpy(junk, "SQLite format 3", 16);
	write_file(path, junk, sizeof(junk));
	assert_int_not_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), 0);
	assert_null(f->st);
	assert_true(strlen(f->err) > 0);
	free(path);
}

static int count_cb(void *opaque, const struct store_rec *rec)
{
	(void)rec;
	(*(uint64_t *)opaque)++;
	return 0;
}

/* Open and replay a damaged copy: either works consistently or fails cleanly. */
static int try_damaged(const char *dir, uint64_t *nr_out)
{
	struct store *st = NULL;
	char err[256];
	int ret;

	*nr_out = 0;
	ret = store_open(dir, &st, err, sizeof(err));
	if (ret) {
		assert_true(ret < 0);
		assert_true(strlen(err) > 0);
		return ret;
	}
	ret = store_journal_replay(st, count_cb, nr_out);
	if (ret)
		assert_true(strlen(store_last_error(st)) > 0);
	store_close(st);
	return ret;
}

static uint8_t *read_all(const char *path, size_t *n)
{
	struct stat sb;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	p = malloc((size_t)sb.st_size);
	assert_non_null(p);
	assert_int_equal(read(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*n = (size_t)sb.st_size;
	return p;
}

static void test_truncated_or_damaged_db_gives_clean_error(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_join(f->dir, STORE_DB_NAME);
	char *dir2 = tmpdir_join(f->dir, "copy"), *path2 = tmpdir_join(dir2, STORE_DB_NAME);
	uint64_t nr;
	size_t n;
	uint8_t *img;
	int failures = 0;

	open_ok(f);
	append_n(f->st, 1, 2000, 500);
	store_close(f->st); /* last connection: WAL folded into the file */
	f->st = NULL;
	img = read_all(path, &n);
	assert_true(n > 64 * 1024);
	assert_int_equal(mkdir(dir2, 0700), 0);
	const size_t cuts[] = { 0, 50, 100, 4096, 4096 + 17, n / 4, n / 2, n - 4096, n - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		write_file(path2, img, cuts[i]);
		if (try_damaged(dir2, &nr) != 0 || nr != 2000)
			failures++;
		assert_true(nr <= 2000);
	}
	/* Every cut that drops data pages must be noticed. */
	assert_true(failures >= 5);
	/* Overwrite pages in the middle with junk. */
	for (size_t off = 8192; off + 4096 < n; off += n / 5) {
		uint8_t *bad = malloc(n);

		memcpy(bad, img, n);
		for (size_t k = 0; k < 4096; k++)
			bad[off + k] = (uint8_t)(k * 131 + off);
		write_file(path2, bad, n);
		try_damaged(dir2, &nr);
		assert_true(nr <= 2000);
		free(bad);
	}
	free(img);
	free(path);
	free(path2);
	free(dir2);
}

/* A store truncated to 0 or 1 byte is refused, naming the file: never a silent new device. */
static void test_empty_or_one_byte_store_is_refused(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_join(f->dir, STORE_DB_NAME);

	open_ok(f);
	assert_int_equal(store_config_set(f->st, "cfg"), 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EIO);
	assert_null(f->st);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "is empty (0 bytes)"));
	write_file(path, "S", 1);
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EIO);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "not a database (1 bytes"));
	/* Still refused: nothing was written over it. */
	assert_int_equal(store_open(f->dir, &f->st, f->err, sizeof(f->err)), -EIO);
	free(path);
}

/* New files are 0600 even under umask 0 and in a 0755 directory; a stray half-made file is ignored. */
static void test_files_are_owner_only_whatever_the_umask(void **state)
{
	struct fx *f = *state;
	char *sub = tmpdir_join(f->dir, "open"), *db = tmpdir_join(sub, STORE_DB_NAME);
	char wal[300];
	mode_t old = umask(0);
	struct stat sb;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(store_open(sub, &f->st, f->err, sizeof(f->err)), 0);
	append_n(f->st, 1, 3, 1);
	umask(old);
	assert_int_equal(stat(db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-shm", db);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(sub);
	free(db);
}

static int nop_cb(void *opaque, const struct store_rec *rec)
{
	(void)opaque, (void)rec;
	return 0;
}

/*
 * One bit flipped inside a journaled message (the file stays a valid SQLite
 * database) is found by the record's checksum: replay stops with -EIO and
 * names the record.
 */
static void test_flipped_bit_in_a_record_fails_its_checksum(void **state)
{
	struct fx *f = *state;
	char *path = tmpdir_join(f->dir, STORE_DB_NAME);
	static const char msg[] = "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"host-id\":1}}";
	struct store_rec r = { .time_ns = 5, .kind = STORE_REC_QMP, .data = (const uint8_t *)msg,
			       .len = sizeof(msg) - 1 };
	uint8_t *img, *hit;
	size_t n;
	int fd;

	open_ok(f);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_journal_append(f->st, &r), 0);
	assert_int_equal(store_commit(f->st), 0);
	store_close(f->st);   /* WAL folded into the file */
	f->st = NULL;
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	n = (size_t)lseek(fd, 0, SEEK_END);
	img = malloc(n);
	assert_int_equal(pread(fd, img, n, 0), (ssize_t)n);
	hit = memmem(img, n, "host-id\":1", 9);
	assert_non_null(hit);
	hit[9] ^= 0x02;       /* '1' -> '3': still valid JSON, another host */
	assert_int_equal(pwrite(fd, img, n, 0), (ssize_t)n);
	close(fd);
	open_ok(f);
	assert_int_equal(store_journal_replay(f->st, nop_cb, NULL), -EIO);
	assert_non_null(strstr(store_last_error(f->st), "seq=1 (qmp"));
	assert_non_null(strstr(store_last_error(f->st), "fails its checksum"));
	free(img);
	free(path);
}

/* A version-1 store (no checksums) is upgraded: its records replay, new ones are checked. */
static void test_version1_store_is_upgraded(void **state)
{
	struct fx *f = *state;
	uint64_t nr = 0;

	open_ok(f);
	append_n(f->st, 1, 5, 1);
	store_close(f->st);
	f->st = NULL;
	sql_poke(f, "ALTER TABLE journal DROP COLUMN crc; UPDATE meta SET value = 1 WHERE key = 'schema_version'");
	open_ok(f);
	append_n(f->st, 6, 5, 1);
	assert_int_equal(store_journal_replay(f->st, count_cb, &nr), 0);
	assert_int_equal(nr, 10);
	store_close(f->st);
	f->st = NULL;
	/* A record after the upgrade that lost its checksum is damage. */
	sql_poke(f, "UPDATE journal SET crc = NULL WHERE seq = 8");
	open_ok(f);
	assert_int_equal(store_journal_replay(f->st, nop_cb, NULL), -EIO);
	assert_non_null(strstr(store_last_error(f->st), "seq=8 has no checksum"));
}

struct first_last {
	uint64_t first, last, n;
};

static int range_cb(void *opaque, const struct store_rec *rec)
{
	struct first_last *fl = opaque;

	if (!fl->n++)
		fl->first = rec->seq;
	fl->last = rec->seq;
	return 0;
}

/* After a snapshot at seq 60: replay runs 61..100, the rows before go a slice at a time, seq goes on. */
static void test_snapshot_drops_the_journal_before_it(void **state)
{
	struct fx *f = *state;
	struct first_last fl = { 0 };
	uint64_t seq;
	char *name;
	bool done = false;
	int slices = 0;

	open_ok(f);
	append_n(f->st, 1, 100, 10);
	assert_int_equal(store_snapshot_commit(f->st, 101, "x"), -EINVAL);
	assert_int_equal(store_snapshot_commit(f->st, 60, "snapshot-60.bin"), 0);
	assert_int_equal(store_journal_base(f->st), 60);
	assert_int_equal(store_journal_replay(f->st, range_cb, &fl), 0);
	assert_int_equal(fl.first, 61);
	assert_int_equal(fl.last, 100);
	assert_int_equal(fl.n, 40);
	store_close(f->st);
	f->st = NULL;
	open_ok(f);                           /* the rows before the base are still there: fine */
	assert_int_equal(store_journal_count(f->st), 100);
	assert_int_equal(store_snapshot_get(f->st, &seq, &name), 0);
	assert_int_equal(seq, 60);
	assert_string_equal(name, "snapshot-60.bin");
	free(name);
	while (!done) {
		assert_int_equal(store_journal_trim(f->st, 25, &done), 0);
		slices++;
	}
	assert_int_equal(slices, 3);          /* 25 + 25 + 10 */
	append_n(f->st, 101, 5, 5);
	memset(&fl, 0, sizeof(fl));
	assert_int_equal(store_journal_replay(f->st, range_cb, &fl), 0);
	assert_int_equal(fl.first, 61);
	assert_int_equal(fl.n, 45);
	store_close(f->st);
	f->st = NULL;
	open_ok(f);
	assert_int_equal(store_journal_count(f->st), 105);
	assert_int_equal(store_journal_base(f->st), 60);
}

/*
 * A row missing from the journal (seq 3 of 6, or the first after the base)
 * is damage: the replay stops with -EIO where the gap is, naming it, and
 * none of the records after it reach the callback.  store_open() no longer
 * counts the rows to find a gap (a pass over the whole journal before the
 * replay's own): the replay checks each seq as it reads it.
 */
static void test_a_gap_in_the_journal_stops_the_replay(void **state)
{
	struct fx *f = *state;
	struct first_last fl = { 0 };

	open_ok(f);
	append_n(f->st, 1, 6, 6);
	store_close(f->st);
	f->st = NULL;
	sql_poke(f, "DELETE FROM journal WHERE seq = 3");
	open_ok(f);
	assert_int_equal(store_journal_count(f->st), 6);
	assert_int_equal(store_journal_replay(f->st, range_cb, &fl), -EIO);
	assert_int_equal(fl.n, 2);
	assert_int_equal(fl.last, 2);
	assert_non_null(strstr(store_last_error(f->st), "seq=4 found where seq=3 was expected"));
	/* the first record after a snapshot's base */
	assert_int_equal(store_snapshot_commit(f->st, 1, "snapshot-1.bin"), 0);
	store_close(f->st);
	f->st = NULL;
	sql_poke(f, "DELETE FROM journal WHERE seq <= 2");
	open_ok(f);
	memset(&fl, 0, sizeof(fl));
	assert_int_equal(store_journal_replay(f->st, range_cb, &fl), -EIO);
	assert_int_equal(fl.n, 0);
	assert_non_null(strstr(store_last_error(f->st), "seq=4 found where seq=2 was expected"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_open_creates_private_dir_and_db),
		T(test_open_refuses_second_user_of_dir),
		T(test_open_waits_for_a_lock_released_in_time),
		T(test_open_refuses_file_in_place_of_dir),
		T(test_config_set_get_and_compare),
		T(test_config_set_in_rolled_back_txn_is_not_stored),
		T(test_bg_results_go_with_their_transaction),
		T(test_journal_replays_in_order_with_content),
		T(test_rollback_leaves_nothing),
		T(test_replay_stops_on_callback_error),
		T(test_misuse_is_refused),
		T(test_rec_kind_names),
		T(test_newer_schema_is_refused),
		T(test_foreign_database_is_refused_untouched),
		T(test_garbage_file_gives_clean_error),
		T(test_truncated_or_damaged_db_gives_clean_error),
		T(test_empty_or_one_byte_store_is_refused),
		T(test_files_are_owner_only_whatever_the_umask),
		T(test_flipped_bit_in_a_record_fails_its_checksum),
		T(test_version1_store_is_upgraded),
		T(test_snapshot_drops_the_journal_before_it),
		T(test_a_gap_in_the_journal_stops_the_replay),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
