/* SPDX-License-Identifier: MIT */
/*
 * persist.c - --state DIR: the daemon's use of src/store
 * (docs/persistence.md, "How the daemon uses it").
 *
 * The canonical configuration is the JSON of the -object and -device
 * arguments (sockets and tracing may change between runs).  A store made
 * with another configuration is refused; one spelt otherwise (256M for
 * 268435456, properties in another order) is the same configuration.  The journal is replayed through
 * the same faces that wrote it (QMP handlers, the FM CCI, object-add/del,
 * ticks), with QMP events suppressed and no memory attached: memory is bound
 * to the final state afterwards (dcd_attach_memory), so a sanitize in the
 * past cannot zero data written later.
 *
 * Snapshots (restore points): every s->snap_every journal records, at a
 * quiet moment (no More chain staged), the daemon forks; the child writes
 * every device's core_snapshot() and the live object-add backends to
 * DIR/snapshot-SEQ.bin (a temporary name, fsync, rename, fsync of DIR) and
 * exits; the parent goes on serving meanwhile (the child works on its
 * copy-on-write image).  When the child has exited 0, the store records the
 * snapshot and drops the journal up to SEQ.  A clean stop writes one more
 * in the daemon itself (srv_snapshot_final()).  Restart loads the newest
 * snapshot, then replays the journal after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "common/fdio.h"
#include "common/hugemap.h"
#include "common/wire.h"
#include "cci/cci.h"
#include "store/store.h"
#include "cmdline.h"
#include "commands.h"
#include "daemon.h"
#include "loop.h"
#include "qmp-dcd.h"

static const char *obj_type(enum cmdline_obj_type t)
{
	static const char *const n[] = { "", "memory-backend-ram", "memory-backend-memfd",
					 "memory-backend-file", "memory-backend-tagged" };

	return (unsigned)t < 5 ? n[t] : "";
}

static json_t *props_json(const char *k0, const char *v0, const struct cmdline_prop *p, size_t n)
{
	json_t *o = json_object();

	if (o)
		json_object_set_new(o, k0, json_string(v0));
	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, p[i].key, json_string(p[i].value));
	return o;
}

char *srv_config_text(const struct cmdline_cfg *cfg)
{
	json_t *objs = json_array(), *devs = json_array(), *all;
	char *text;

	for (size_t i = 0; objs && i < cfg->nr_objects; i++)
		json_array_append_new(objs, props_json("qom-type", obj_type(cfg->objects[i].type),
						       cfg->objects[i].props, cfg->objects[i].nr_props));
	for (size_t i = 0; devs && i < cfg->nr_devices; i++)
		json_array_append_new(devs, props_json("driver", "cxl-type3", cfg->devices[i].props,
						       cfg->devices[i].nr_props));
	all = json_pack("{s:o, s:o}", "objects", objs, "devices", devs);
	text = all ? json_dumps(all, JSON_COMPACT) : NULL;
	json_decref(all);
	return text;
}

/*
 * Journal marker: the daemon restarted here, and the memory then knew only
 * what was accepted (see replay_checks_restart()).
 */
#define MEMORY_RESTART "x-cxldcd-memory-restart"

struct replay {
	struct server_ctx *s;
	char *err;
	size_t cap;
	uint64_t n;
	char *restart_text;         /* the MEMORY_RESTART record's bytes */
	/*
	 * The discarded response of a CCI record, one for the whole replay:
	 * a malloc() of 4 KiB per record made glibc merge its fast bins
	 * (malloc_consolidate) every time, a quarter of a 4802h's replay.
	 */
	uint8_t *rsp;
	size_t rsp_cap;
};

static bool replay_checks_restart(struct server_ctx *s, bool same);
static bool replay_checks_free(struct server_ctx *s);

static int replay_cci(struct replay *r, const struct store_rec *rec, char *err, size_t cap)
{
	struct server_ctx *s = r->s;
	struct dcd *dv = rec->dev < s->nr_devs ? s->devs[rec->dev] : NULL;
	size_t rsp_len;
	int rc;

	if (!dv || (rec->port != SRV_PORT_FM && rec->port != SRV_PORT_MCTP)) {
		snprintf(err, cap, "cci record for dev=%u port=%u does not match this configuration",
			 rec->dev, rec->port);
		return -EIO;
	}
	srv_request_begin(s);
	rc = cci_handle_msg(rec->port == SRV_PORT_MCTP ? dv->replay_mctp : dv->replay_fm, rec->data,
			    rec->len, r->rsp, r->rsp_cap, &rsp_len);
	if (rc)
		snprintf(err, cap, "cci record not answerable: %s", strerror(-rc));
	return rc ? -EIO : 0;
}

static int replay_hostlink(struct replay *r, const struct store_rec *rec, char *err, size_t cap)
{
	struct server_ctx *s = r->s;
	struct dcd *dv = rec->dev < s->nr_devs ? s->devs[rec->dev] : NULL;
	struct cci_ctx *ctx;
	size_t rsp_len;
	int rc;

	if (!dv || rec->port != SRV_PORT_HOSTLINK || rec->host >= core_dev_cfg(dv->dev)->nr_hosts) {
		snprintf(err, cap, "host-link record for dev=%u port=%u host=%u does not match this configuration",
			 rec->dev, rec->port, rec->host);
		return -EIO;
	}
	srv_request_begin(s);
	if (!rec->len) {        /* the host's connection closed with a chain open */
		dcd_replay_mbox_drop(dv, (uint16_t)rec->host);
		return 0;
	}
	ctx = dcd_replay_mbox(dv, (uint16_t)rec->host);
	if (!ctx)
		return -ENOMEM;
	rc = cci_handle_msg(ctx, rec->data, rec->len, r->rsp, r->rsp_cap, &rsp_len);
	if (rc)
		snprintf(err, cap, "host-link record not answerable: %s", strerror(-rc));
	return rc ? -EIO : 0;
}

static int replay_object(struct server_ctx *s, const struct store_rec *rec, char *err, size_t cap)
{
	json_t *o = json_loadb((const char *)rec->data, rec->len, 0, NULL);
	int rc = -EIO;

	if (!json_is_object(o))
		snprintf(err, cap, "object record is not JSON");
	else if (rec->kind == STORE_REC_OBJECT_ADD) {
		const char *id = json_string_value(json_object_get(o, "id"));

		rc = srv_object_add(s, o, err, cap);   /* an unavailable backend fails alone */
		/*
		 * Adds that named it ran while it was there: the memory checks
		 * would refuse them now, and the model must keep them.
		 */
		if (!rc && id && !mem_registry_find(s->reg, id) && replay_checks_free(s))
			srv_log(s->log, LOG_WARNING,
				"state: backend %s is unavailable: the rest of the replay does not check adds against the memory",
				id);
	}
	else if (!json_is_string(json_object_get(o, "id")))
		snprintf(err, cap, "object-del record has no id");
	else    /* journaled before it ran: a refusal then is a refusal now */
		rc = (srv_object_del(s, json_string_value(json_object_get(o, "id")), err, cap), 0);
	json_decref(o);
	return rc ? -EIO : 0;
}

static int replay_one(void *opaque, const struct store_rec *rec)
{
	struct replay *r = opaque;
	struct server_ctx *s = r->s;
	char msg[SRV_ERR_MAX];
	int rc = -EIO;

	msg[0] = 0;
	s->now_ns = rec->time_ns;
	switch (rec->kind) {
	case STORE_REC_QMP:
		if (srv_owed_is_proof(rec)) {   /* what came before it ran (owed.c) */
			srv_owed_proven(s);
			rc = 0;
			break;
		}
		if (r->restart_text && rec->len == strlen(r->restart_text) &&
		    !memcmp(rec->data, r->restart_text, rec->len)) {
			replay_checks_restart(s, false);
			rc = 0;
			break;
		}
		rc = server_replay_qmp(s, (const char *)rec->data, rec->len, msg, sizeof(msg));
		break;
	case STORE_REC_OBJECT_ADD:
	case STORE_REC_OBJECT_DEL:
		rc = replay_object(s, rec, msg, sizeof(msg));
		break;
	case STORE_REC_CCI:
		rc = replay_cci(r, rec, msg, sizeof(msg));
		break;
	case STORE_REC_HOSTLINK:
		rc = replay_hostlink(r, rec, msg, sizeof(msg));
		break;
	case STORE_REC_TICK:
		if (rec->dev < s->nr_devs) {
			srv_request_begin(s);
			core_tick(s->devs[rec->dev]->dev, rec->time_ns);
			rc = 0;
		} else {
			snprintf(msg, sizeof(msg), "tick record for dev=%u", rec->dev);
		}
		break;
	default:
		snprintf(msg, sizeof(msg), "record kind=%u is unknown", rec->kind);
		break;
	}
	srv_request_end(s);
	if (rc) {
		snprintf(r->err, r->cap, "journal record seq=%llu (%s): %s",
			 (unsigned long long)rec->seq, store_rec_kind_str(rec->kind), msg);
		return -EIO;
	}
	r->n++;
	s->replay_seq = rec->seq;
	/* Every 10 ms the loop answers clients "starting" (main-start.c); nothing they send runs. */
	if (s->loop && (r->n & 63) == 0 && loop_now_ms() - s->replay_pump_ms >= 10) {
		loop_run_once(s->loop, 0);
		s->replay_pump_ms = loop_now_ms();
	}
	return 0;
}

/*
 * @text (srv_config_text()) with every value in one spelling - sizes and
 * numbers in decimal bytes ("256M" and "268435456" are one size), booleans
 * on/off, UUIDs in lower case - and keys sorted, so that two spellings of
 * one configuration compare equal.  NULL on a malformed text.
 */
static char *config_canonical(const char *text)
{
	json_t *all = json_loads(text, 0, NULL), *list, *o, *v;
	const char *key, *kind[] = { "objects", "devices" };
	char *out = NULL, num[24];
	size_t i;

	for (int k = 0; all && k < 2; k++) {
		list = json_object_get(all, kind[k]);
		json_array_foreach(list, i, o) {
			json_object_foreach(o, key, v) {
				const char *val = json_string_value(v);
				uint64_t n;
				bool b;
				uuid_t u;
				char uuid[37];

				if (!val)
					continue;
				if (!cmdline_parse_size(val, &n)) {
					snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
					json_string_set(v, num);
				} else if (!cmdline_parse_bool(val, &b)) {
					json_string_set(v, b ? "on" : "off");
				} else if (!uuid_parse(val, u)) {
					uuid_unparse_lower(u, uuid);
					json_string_set(v, uuid);
				}
			}
		}
	}
	if (all)
		out = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(all);
	return out;
}

/* Is the stored configuration the running one, whatever their spelling? */
static bool config_same(const char *stored, const char *mine)
{
	char *a = config_canonical(stored), *b = config_canonical(mine);
	bool same = a && b ? !strcmp(a, b) : !strcmp(stored, mine);

	free(a);
	free(b);
	return same;
}

static int check_config(struct server_ctx *s, const char *dir, char *err, size_t cap)
{
	char *mine = srv_config_text(s->cfg), *stored = NULL;
	int rc;

	if (!mine)
		return -ENOMEM;
	if (store_is_new(s->st)) {
		rc = store_config_set(s->st, mine);
		if (rc)
			snprintf(err, cap, "--state %s: cannot store the configuration: %s", dir,
				 store_last_error(s->st));
		free(mine);
		return rc;
	}
	rc = store_config_get(s->st, &stored);
	if (!rc && !config_same(stored, mine)) {
		snprintf(err, cap,
			 "--state %s holds the state of another configuration; start with the same -object/-device arguments, or use a new directory (stored: %.300s)",
			 dir, stored);
		rc = -EEXIST;
	} else if (rc) {
		snprintf(err, cap, "--state %s: cannot read the configuration: %s", dir,
			 store_last_error(s->st));
	}
	free(stored);
	free(mine);
	return rc;
}

/* ---- snapshot files ------------------------------------------------------ */

#define SNAP_FILE_MAGIC "CXLDDSN1"

/*
 * A snapshot file being written: its bytes gather in buf (SNAP_WBUF), which
 * goes to the file whenever it is full, and the CRC32C of every byte is
 * kept as they go (of a device's bytes apart, snap_build_dev()); each
 * device's bytes are built in that buffer too (core_snapshot_write()), so
 * the whole file is never in memory: it was built in one buffer, copied
 * into another and written, 23 MB of fresh memory for a file of 11.5 MB at
 * 110,000 items, where a first touch is dear (docs/performance.md,
 * "Session 11: the clean stop").  64 KiB, not 1 MiB: the bytes just built
 * are still in the cache when the CRC reads them and write() copies them,
 * and the buffer comes from the heap, not from a fresh mapping faulted in
 * page by page and unmapped again (a stop at 100,000 items: 7-8 ms of CPU
 * instead of 12-13; "Session 13: the stop's snapshot").  The first error
 * (an errno) ends the writing.
 */
#define SNAP_WBUF (64u << 10)

struct fwr {
	int fd;
	uint8_t *buf;
	size_t len;
	uint32_t crc;
	uint64_t off;               /* bytes written */
	int err;
};

static void fw_write(struct fwr *f, const uint8_t *p, size_t n)
{
	if (f->err)
		return;
	f->crc = store_crc32(f->crc, p, n);
	if (fd_write_all(f->fd, p, n)) {
		f->err = errno ? errno : EIO;
		return;
	}
	f->off += n;
}

static void fw_flush(struct fwr *f)
{
	fw_write(f, f->buf, f->len);
	f->len = 0;
}

/* core_snapshot_write()'s sink: its pieces are built in f->buf. */
static int fw_sink(void *opaque, const uint8_t *p, size_t n)
{
	struct fwr *f = opaque;

	fw_write(f, p, n);
	return -f->err;
}

static void out(struct fwr *f, const void *src, size_t n)
{
	if (f->len + n > SNAP_WBUF) {
		fw_flush(f);
		if (n > SNAP_WBUF) {
			fw_write(f, src, n);
			return;
		}
	}
	memcpy(f->buf + f->len, src, n);
	f->len += n;
}

static void out_u(struct fwr *f, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	put_le64(b, v);         /* little-endian: its first @bytes bytes are v's low bytes */
	out(f, b, bytes);
}

static void snap_name(char *buf, size_t cap, uint64_t seq)
{
	snprintf(buf, cap, "snapshot-%020llu.bin", (unsigned long long)seq);
}

/*
 * The tag claims (written only when there are some, so a file without any
 * is as before): count, then per claim the device's position in s->devs
 * and the backend's id.  A tag-backed backend is a device's from the first
 * bind of its tag until the daemon stops, also once that capacity was let
 * go; the model does not hold that, and the replay after this snapshot must
 * refuse what the daemon refused (the checker, srv_state_open()).
 */
static void snap_build_claims(struct server_ctx *s, struct fwr *o)
{
	uint32_t n = 0;
	struct mem_backend *b;

	for (size_t d = 0; d < s->nr_devs; d++)
		for (b = NULL; s->devs[d]->md && (b = mem_dev_tag_backend_next(s->devs[d]->md, b));)
			n++;
	if (!n)
		return;
	out_u(o, n, 4);
	for (size_t d = 0; d < s->nr_devs; d++) {
		for (b = NULL; s->devs[d]->md && (b = mem_dev_tag_backend_next(s->devs[d]->md, b));) {
			out_u(o, d, 4);
			out_u(o, strlen(mem_backend_id(b)), 4);
			out(o, mem_backend_id(b), strlen(mem_backend_id(b)));
		}
	}
}

/*
 * One device's part of the file: its index, the length of its core
 * snapshot, then those bytes.  The length is known only once the bytes are
 * written (counting them first was a second walk of the model, ~3 ms of
 * a stop's 18 ms of CPU at 100,000 items): 8 zero bytes hold its place,
 * the bytes are built in the whole buffer and written, their CRC32C kept
 * apart, then the length goes in with pwrite() and the file's CRC is made
 * what it would have been had the length been written in order
 * (store_crc32_combine()).  The file is the same, byte for byte.  Return 0
 * or an errno.
 */
static int snap_build_dev(struct fwr *o, const struct dcd *dv)
{
	static const uint8_t none[8];
	uint8_t len_le[8];
	uint64_t at, n;
	uint32_t head;
	ssize_t wr;
	int rc;

	out_u(o, dv->index, 4);
	fw_flush(o);                    /* the device's bytes are built in the whole buffer */
	head = o->crc;
	at = o->off;
	fw_write(o, none, sizeof(none));
	if (o->err)
		return o->err;
	o->crc = 0;
	rc = core_snapshot_write(dv->dev, o->buf, SNAP_WBUF, fw_sink, o, &n);
	if (rc)
		return o->err ? o->err : -rc;
	put_le64(len_le, n);
	wr = pwrite(o->fd, len_le, sizeof(len_le), (off_t)at);
	if (wr != (ssize_t)sizeof(len_le))
		return wr < 0 ? errno : EIO;
	o->crc = store_crc32_combine(store_crc32(head, len_le, sizeof(len_le)), o->crc, n);
	return 0;
}

/*
 * The bytes of a snapshot file: magic, seq, the object-add backends (JSON),
 * each device's core snapshot, the tag claims (snap_build_claims()), CRC32C
 * of all that.  Return 0 or an errno.
 */
static int snap_build(struct server_ctx *s, uint64_t seq, struct fwr *o)
{
	size_t i;
	json_t *a;

	out(o, SNAP_FILE_MAGIC, 8);
	out_u(o, seq, 8);
	out_u(o, json_array_size(s->objects), 4);
	json_array_foreach(s->objects, i, a) {
		char *t = json_dumps(a, JSON_COMPACT);

		if (!t)
			return ENOMEM;
		out_u(o, strlen(t), 4);
		out(o, t, strlen(t));
		free(t);
	}
	out_u(o, s->nr_devs, 4);
	for (size_t d = 0; d < s->nr_devs; d++) {
		int rc = snap_build_dev(o, s->devs[d]);

		if (rc)
			return rc;
	}
	snap_build_claims(s, o);
	fw_flush(o);
	out_u(o, o->crc, 4);
	fw_flush(o);
	return o->err;
}

/*
 * Write DIR/NAME, the snapshot of @seq, whole or not at all: its .tmp,
 * fdatasync, rename, fsync of DIR.  *bytes: its length.  Return 0 or an
 * errno.
 */
static int snap_write(struct server_ctx *s, uint64_t seq, const char *name, uint64_t *bytes)
{
	const char *dir = s->cfg->state_dir;
	char tmp[4096], fin[4096];
	struct fwr f = { .fd = -1 };
	int dfd, e = 0;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(fin, sizeof(fin), "%s/%s", dir, name);
	f.buf = malloc(SNAP_WBUF);
	if (!f.buf)
		return ENOMEM;
	f.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f.fd < 0) {
		e = errno;
		free(f.buf);
		return e;
	}
	e = snap_build(s, seq, &f);
	free(f.buf);
	if (!e && fdatasync(f.fd))
		e = errno ? errno : EIO;
	if (close(f.fd) && !e)
		e = errno;
	if (!e && rename(tmp, fin))
		e = errno;
	if (e) {
		unlink(tmp);
		return e;
	}
	if (bytes)
		*bytes = f.off;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd))
			e = errno;
		close(dfd);
	}
	return e;
}

/*
 * In the child: fsync every file backend, so that what the daemon zeroed
 * or wrote there for the records this snapshot drops (a sanitizing
 * release, an erase, a Set LSA, the replay's settling) is on disk before
 * the store forgets them: the replay after the snapshot no longer owes
 * them, and a power loss must not bring the old bytes back.  The page
 * cache is the daemon's: its writes before the fork are what is synced.
 * Return 0 or an errno.
 */
static int snap_sync_backends(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fsync(fds[i]))
			return errno ? errno : EIO;
	return 0;
}

/*
 * The descriptors the child keeps: its pipe's end, then, when @sync, the
 * fds of the file backends a restart finds again (*nr_sync of them).
 * NULL: out of memory.
 */
static int *snap_keep(struct server_ctx *s, int pipe_fd, bool sync, size_t *nr_sync)
{
	int *fds = malloc((1 + (sync ? mem_registry_count(s->reg) + s->nr_gone : 0)) * sizeof(*fds));
	size_t n = 0;

	if (!fds)
		return NULL;
	fds[0] = pipe_fd;
	for (struct mem_backend *b = sync ? mem_registry_first(s->reg) : NULL; b;
	     b = mem_registry_next(s->reg, b)) {
		struct mem_backend_info bi;
		struct stat sb;

		mem_backend_get_info(b, &bi);
		/* a file (not a memfd), and one a restart opens again (not an O_TMPFILE) */
		if (bi.mem_path && bi.fd >= 0 && !fstat(bi.fd, &sb) && sb.st_nlink)
			fds[1 + n++] = bi.fd;
	}
	n += srv_zerosync_fork(s, fds + 1 + n, sync);   /* backends object-del removed since */
	*nr_sync = n;
	return fds;
}

void srv_journal_trim_some(struct server_ctx *s)
{
	bool done = false;

	/*
	 * A bounded slice per loop round: requests never wait for the whole
	 * DELETE.  Not while the journal replays: its pumps run loop rounds
	 * every 10 ms, and a slice there (a write transaction and its fsync)
	 * made the start slower for rows nothing reads again.
	 */
	if (!s->st || !s->trimming || s->replaying || s->store_failing || s->group)
		return;
	if (!store_journal_trim(s->st, 2000, &done))
		s->trimming = !done;
}

void srv_snapshot_maybe(struct server_ctx *s)
{
	size_t nr_sync = 0;
	int *keep;
	uint64_t seq;
	int pfd[2];
	pid_t pid, parent = getpid();

	if (!s->st || s->replaying || !s->snap_every || s->snap_pid || s->store_failing || s->group)
		return;
	seq = store_journal_count(s->st);
	if (seq - s->snap_seq < s->snap_every)
		return;
	for (size_t i = 0; i < s->nr_devs; i++) {
		if (!core_staging_idle(s->devs[i]->dev))
			return;    /* a More chain is open: try again next round */
	}
	if (pipe2(pfd, O_CLOEXEC))
		return;
	/* Zeroed since the snapshot the store records: synced by the child first. */
	keep = snap_keep(s, pfd[1], s->nr_zeroed != s->zeroed_synced, &nr_sync);
	pid = keep ? fork() : -1;
	if (pid < 0) {
		srv_log(s->log, LOG_WARNING, "state: cannot fork a snapshot: %s",
			keep ? strerror(errno) : "out of memory");
		free(keep);
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		char name[64];
		int e;

		/*
		 * First, whatever became of the daemon: hold nothing of its
		 * (no listening or client socket, no epoll) and the store's
		 * lock last.  A restart opens the store before its sockets,
		 * so it claims them only once this child let them go; were
		 * the daemon gone and this child to _exit() now instead, the
		 * kernel would close the lock first (the lowest descriptor).
		 */
		store_forked(s->st, keep, 1 + nr_sync);
		/* Dies with the daemon: its .tmp is removed by the next start (snap_tidy()). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGTERM, SIG_DFL);
		snap_name(name, sizeof(name), seq);
		e = snap_sync_backends(keep + 1, nr_sync);
		if (!e)
			e = snap_write(s, seq, name, NULL);
		if (e) {
			uint8_t b = (uint8_t)e;

			(void)!write(pfd[1], &b, 1);
		}
		_exit(e ? 1 : 0);
	}
	free(keep);
	close(pfd[1]);
	s->snap_pid = pid;
	s->snap_fd = pfd[0];
	s->snap_pending_seq = seq;
	s->snap_zeroed = s->nr_zeroed;
	loop_add_fd(s->loop, pfd[0], LOOP_IN, srv_snapshot_done_fd, s);
}

/*
 * The snapshot file of @seq is whole on disk: record it in the store (the
 * journal up to @seq is then dropped) and remove the file recorded before
 * it.  @zeroed: s->nr_zeroed when it was taken (what it synced).  Return 0,
 * or -EIO when the store did not take it (logged; its file is removed).
 */
static int snap_record(struct server_ctx *s, uint64_t seq, uint64_t zeroed)
{
	char name[64], old[64], path[4096];

	snap_name(name, sizeof(name), seq);
	if (store_snapshot_commit(s->st, seq, name)) {
		srv_log(s->log, LOG_WARNING, "state: cannot record snapshot %s: %s", name,
			store_last_error(s->st));
		snprintf(path, sizeof(path), "%s/%s", s->cfg->state_dir, name);
		unlink(path);
		return -EIO;
	}
	/* The file recorded until now, not the last attempt's (it may have failed). */
	if (s->snap_kept_seq && s->snap_kept_seq != seq) {
		snap_name(old, sizeof(old), s->snap_kept_seq);
		snprintf(path, sizeof(path), "%s/%s", s->cfg->state_dir, old);
		unlink(path);
	}
	s->snap_seq = s->snap_kept_seq = seq;
	s->zeroed_synced = zeroed;
	srv_zerosync_done(s);
	s->trimming = true;
	srv_proof_store_worked(s);      /* the store works: the proof owed goes in now */
	return 0;
}

void srv_snapshot_done_fd(struct loop *l, int fd, unsigned events, void *opaque)
{
	struct server_ctx *s = opaque;
	uint8_t b = 0;
	int status = 0;

	(void)events;
	if (read(fd, &b, 1) > 0 && b)
		srv_log(s->log, LOG_WARNING, "state: snapshot at seq=%llu failed: %s",
			(unsigned long long)s->snap_pending_seq, strerror(b));
	loop_del_fd(l, fd);
	close(fd);
	s->snap_fd = -1;
	waitpid(s->snap_pid, &status, 0);
	s->snap_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!b)
			srv_log(s->log, LOG_WARNING, "state: snapshot at seq=%llu failed",
				(unsigned long long)s->snap_pending_seq);
		s->snap_seq = s->snap_pending_seq;   /* try again after snap_every more */
		return;
	}
	if (snap_record(s, s->snap_pending_seq, s->snap_zeroed)) {
		s->snap_seq = s->snap_pending_seq;
		return;
	}
	srv_log(s->log, LOG_INFO, "state: snapshot snapshot-%020llu.bin written; journal up to seq=%llu dropped",
		(unsigned long long)s->snap_seq, (unsigned long long)s->snap_seq);
}

void srv_snapshot_stop(struct server_ctx *s)
{
	if (!s->snap_pid)
		return;
	/* Let it finish: the journal is whole until it is recorded, so this is only tidy. */
	srv_snapshot_done_fd(s->loop, s->snap_fd, 0, s);
}

/*
 * The snapshot at a clean stop (main.c, like a database's shutdown
 * checkpoint): whether one is worth writing.  Only once the daemon served
 * (never after a start that failed halfway through its replay), with the
 * store accepting writes, records after the recorded snapshot, no snapshot
 * child running (srv_snapshot_stop() waited for it) and no More chain
 * staged; snapshots not turned off ($CXLDCD_SNAPSHOT_EVERY=0).
 */
bool srv_snapshot_final_due(struct server_ctx *s)
{
	if (!s->st || s->replaying || s->store_failing || s->group || !s->snap_every ||
	    s->snap_pid || store_journal_count(s->st) == s->snap_kept_seq)
		return false;
	for (size_t i = 0; i < s->nr_devs; i++) {
		if (!core_staging_idle(s->devs[i]->dev)) {
			srv_log(s->log, LOG_NOTICE,
				"state: no snapshot at stop: device %s has a More chain staged (the next start replays the journal)",
				s->devs[i]->id);
			return false;
		}
	}
	return true;
}

/*
 * Write it in this process (it is stopping: nothing runs meanwhile), as the
 * periodic child does: the file backends synced when something was zeroed
 * since the recorded snapshot, DIR/snapshot-SEQ.bin through its .tmp, then
 * recorded in the store, so the next start loads it and replays nothing.
 * A failure is logged and changes nothing: the journal stays the truth.  A
 * kill meanwhile leaves a .tmp or an unrecorded file that the next start
 * removes.  Return 0 when it is recorded, else -errno.
 */
int srv_snapshot_final(struct server_ctx *s)
{
	uint64_t t0 = loop_now_ms(), seq = store_journal_count(s->st), zeroed = s->nr_zeroed, bytes = 0;
	bool sync = s->nr_zeroed != s->zeroed_synced;
	size_t nr_sync = 0;
	int *keep = snap_keep(s, -1, sync, &nr_sync);
	char name[64];
	int e = keep ? snap_sync_backends(keep + 1, nr_sync) : ENOMEM;

	free(keep);
	snap_name(name, sizeof(name), seq);
	if (!e)
		e = snap_write(s, seq, name, &bytes);
	if (e) {
		srv_log(s->log, LOG_WARNING,
			"state: cannot write the snapshot at stop (journal seq=%llu): %s; the next start replays the journal since the last snapshot",
			(unsigned long long)seq, strerror(e));
		return -e;
	}
	if (snap_record(s, seq, zeroed))
		return -EIO;
	srv_log(s->log, LOG_NOTICE, "state: snapshot %s written at stop (journal seq=%llu, %llu bytes) in %llu ms; the next start replays nothing",
		name, (unsigned long long)seq, (unsigned long long)bytes,
		(unsigned long long)(loop_now_ms() - t0));
	return 0;
}

/* ---- loading ------------------------------------------------------------- */

/*
 * The daemon's CPU time in ms: beside the wall time of a load and a
 * replay in the log, what they cost the machine (on a loaded one, wall
 * time is mostly waiting for a CPU).
 */
static uint64_t cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * At the load's progress points (each 8 MiB read, each backend, each
 * device restored): let the loop run one round, at most every 10 ms, as
 * the replay does.  Its timers send WATCHDOG=1 and the start's progress
 * (EXTEND_TIMEOUT_USEC): once the service manager has had one ping, a
 * load longer than WatchdogSec= without one is a hung start to it.
 * Clients are answered "starting" meanwhile; nothing they send runs.
 */
static void load_pump(struct server_ctx *s, bool force)
{
	if (s->loop && (force || loop_now_ms() - s->replay_pump_ms >= 10)) {
		loop_run_once(s->loop, 0);
		s->replay_pump_ms = loop_now_ms();
	}
}

/* core_restore_paced()'s progress: a pump (at most every 10 ms). */
static void restore_pace(void *opaque)
{
	load_pump(opaque, false);
}

/* A phase of the load begins or ends: the service manager hears it at once. */
static void load_phase(struct server_ctx *s, const char *restoring)
{
	s->snap_restoring = restoring;
	if (s->progress_now)
		s->progress_now(s->progress_opaque);
}

/* Read whole chunks of this size between two pumps. */
#define LOAD_CHUNK (8u << 20)

/*
 * The file whole, read into a buffer of whole 2 MiB units (hugemap_new(),
 * populated at once) for the load: *len bytes at *out (NULL when the file
 * is empty); free with hugemap_free(*out, *size).  Not mapped from the page
 * cache: on this VM a process's first access to each 4 KiB page it maps
 * costs a shadow-page fault (~3 us of CPU, more in wall time) even once
 * populated, 1,311 of them for the 5.4 MB at 110,000 items, and unmapping
 * them more; a huge page is one fault, and read() copies at memory speed
 * (docs/performance.md, "Session 13: loading and binding at a start").
 * The buffer lives until the load's end (the file's size more memory for
 * that time).  A file cut while read is read as far as it goes: its length
 * or checksum refuses it.  Each 8 MiB is read between two pumps.
 */
static int read_file(struct server_ctx *s, const char *path, uint8_t **out, size_t *len,
		     size_t *size)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	size_t got = 0;
	uint8_t *p;

	*out = NULL;
	*len = *size = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		rc = -errno;
		goto out;
	}
	if (sb.st_size <= 0)
		goto out;
	if ((uint64_t)sb.st_size > SIZE_MAX / 2 || !(p = hugemap_new((size_t)sb.st_size))) {
		rc = -ENOMEM;
		goto out;
	}
	*out = p;
	*size = (size_t)sb.st_size;
#ifdef MADV_POPULATE_WRITE
	madvise(p, hugemap_span(*size), MADV_POPULATE_WRITE);   /* advice: one fault per unit */
#endif
	while (got < *size) {
		size_t want = *size - got < LOAD_CHUNK ? *size - got : LOAD_CHUNK;
		ssize_t n = pread(fd, p + got, want, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (!n)
			break;  /* cut short since the fstat(): checked as it is */
		got += (size_t)n;
		load_pump(s, false);
	}
	*len = got;
out:
	close(fd);
	return rc;
}

/* Remove snapshot files other than @keep (older ones, a child's .tmp killed with the daemon). */
static void snap_tidy(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "snapshot-", 9) || (keep && !strcmp(e->d_name, keep)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

/*
 * What a start refused for a recorded snapshot that is missing or damaged
 * says: the journal up to it was dropped, so nothing else can rebuild it.
 */
#define SNAP_LOST \
	": the journal before it is gone: restore the file from a backup, or start with a new --state directory"

/* What a start refused for a journal that does not replay says. */
#define STORE_BROKEN \
	"; the store is left as it is: restore it from a backup, or start with a new --state directory"

/*
 * The tag claims of a snapshot (snap_build_claims()) into *claims, a JSON
 * array of [device position, backend id], for the checkers made after the
 * load (replay_checks_note()); -EIO when they do not name a device and a
 * tagged backend made by now.
 */
static int snap_load_claims(struct server_ctx *s, struct wrd *b, bool unavailable,
			    json_t **claims)
{
	uint32_t n = wrd_u32le(b);

	*claims = json_array();
	for (uint32_t i = 0; *claims && !b->bad && i < n; i++) {
		uint32_t d = wrd_u32le(b), k = wrd_u32le(b);
		const char *id = (const char *)wrd_ptr(b, k);
		json_t *c = id && !memchr(id, 0, k) ? json_pack("[i, s#]", (json_int_t)d, id, (int)k)
						    : NULL;
		struct mem_backend *be = c ? mem_registry_find(s->reg, json_string_value(json_array_get(c, 1)))
					   : NULL;
		struct mem_backend_info bi = { 0 };

		if (c && !be && unavailable) {  /* its file vanished: the checkers are off */
			json_decref(c);
			continue;
		}
		if (be)
			mem_backend_get_info(be, &bi);
		if (d >= s->nr_devs || !bi.has_tag) {
			json_decref(c);
			return -EIO;
		}
		if (json_array_append_new(*claims, c))  /* it took c, also on failure */
			return -ENOMEM;
	}
	return *claims && !b->bad && n ? 0 : -EIO;
}

/*
 * Load the newest snapshot into the fresh devices; 0, or -errno with err
 * set.  *loaded: the file's name (caller frees), NULL when none is recorded.
 */
static int snap_load(struct server_ctx *s, const char *dir, char *err, size_t cap,
		     bool *unavailable, json_t **claims, char **loaded)
{
	uint64_t t0 = loop_now_ms(), c0 = cpu_ms(), t_read, t_dev = 0;
	char *name = NULL, path[4096];
	uint64_t seq;
	uint8_t *p = NULL;
	size_t len = 0, size;
	struct wrd b;
	int rc = store_snapshot_get(s->st, &seq, &name);

	if (rc) {
		snprintf(err, cap, "--state %s: %s", dir, store_last_error(s->st));
		return rc;
	}
	/*
	 * store_snapshot_commit() records the file and drops the journal up to
	 * its seq at once: other meta rows (the file's rows gone, another seq,
	 * a path) are damage, which would replay from the wrong record.  Other
	 * snapshot files are removed only once the start succeeded
	 * (srv_state_open()): with damaged rows they may be what a repair needs.
	 */
	if ((name ? seq : 0) != store_journal_base(s->st) || (name && strchr(name, '/'))) {
		if (name)
			snprintf(err, cap, "--state %s: damaged: the journal was dropped up to seq=%llu, but the snapshot recorded is %s (seq=%llu)%s",
				 dir, (unsigned long long)store_journal_base(s->st), name,
				 (unsigned long long)seq, STORE_BROKEN);
		else
			snprintf(err, cap, "--state %s: damaged: the journal was dropped up to seq=%llu, but no snapshot is recorded%s",
				 dir, (unsigned long long)store_journal_base(s->st), STORE_BROKEN);
		free(name);
		return -EIO;
	}
	if (!name)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	s->snap_loading = true;
	load_pump(s, true);
	rc = read_file(s, path, &p, &len, &size);
	t_read = loop_now_ms();
	if (rc) {
		s->snap_loading = false;
		hugemap_free(p, size);
		free(name);
		snprintf(err, cap, "snapshot %s: %s%s", path, strerror(-rc), SNAP_LOST);
		return -EIO;
	}
	rc = -EIO;
	if (len < 24 || memcmp(p, SNAP_FILE_MAGIC, 8) ||
	    store_crc32(0, p, len - 4) != get_le32(p + len - 4)) {
		snprintf(err, cap, "snapshot %s: damaged (%zu bytes; bad magic or checksum)%s", path,
			 len, SNAP_LOST);
		goto out;
	}
	wrd_init(&b, p, len - 4);
	wrd_skip(&b, 8);        /* the magic */
	if (wrd_u64le(&b) != seq) {
		snprintf(err, cap, "snapshot %s: it does not hold journal seq=%llu%s", path,
			 (unsigned long long)seq, SNAP_LOST);
		goto out;
	}
	for (uint32_t i = 0, n = wrd_u32le(&b); !b.bad && i < n; i++) {
		uint32_t k = wrd_u32le(&b);
		const uint8_t *t = wrd_ptr(&b, k);
		json_t *o = t ? json_loadb((const char *)t, k, 0, NULL) : NULL;
		bool is_obj = json_is_object(o);
		char msg[SRV_ERR_MAX];
		const char *id;

		if (!is_obj || srv_object_add(s, o, msg, sizeof(msg))) {
			json_decref(o);
			snprintf(err, cap, "snapshot %s: backend %u: %s", path, i,
				 is_obj ? msg : "not JSON");
			goto out;
		}
		/* made, or unavailable (it failed alone: see replay_object()) */
		id = json_string_value(json_object_get(o, "id"));
		if (!id || !mem_registry_find(s->reg, id))
			*unavailable = true;
		json_decref(o);
		load_pump(s, false);
	}
	if (wrd_u32le(&b) != s->nr_devs) {
		snprintf(err, cap, "snapshot %s: device count does not match%s", path, SNAP_LOST);
		goto out;
	}
	for (size_t d = 0; d < s->nr_devs; d++) {
		uint32_t idx = wrd_u32le(&b);
		uint64_t n = wrd_u64le(&b);
		const uint8_t *q = wrd_ptr(&b, (size_t)n);
		struct cxldcd_diag diag = { 0 };
		uint64_t t1 = loop_now_ms();

		/*
		 * One device of a million items restores for a second or more
		 * (much more on a loaded machine): its progress points keep the
		 * watchdog pinged and clients answered meanwhile.
		 */
		load_phase(s, s->devs[d]->id);
		if (!q || idx != s->devs[d]->index ||
		    core_restore_paced(s->devs[d]->dev, q, (size_t)n, restore_pace, s, &diag)) {
			load_phase(s, NULL);
			snprintf(err, cap, "snapshot %s: device %s: %s%s", path, s->devs[d]->id,
				 diag.text[0] ? diag.text : "truncated", SNAP_LOST);
			goto out;
		}
		load_phase(s, NULL);
		t_dev += loop_now_ms() - t1;
		load_pump(s, false);
	}
	if (!wrd_done(&b) && snap_load_claims(s, &b, *unavailable, claims)) {
		snprintf(err, cap, "snapshot %s: damaged (tag claims)%s", path, SNAP_LOST);
		goto out;
	}
	if (!wrd_done(&b)) {
		snprintf(err, cap, "snapshot %s: damaged (bad length)%s", path, SNAP_LOST);
		goto out;
	}
	s->snap_seq = s->snap_kept_seq = seq;
	s->trimming = true;         /* whatever a previous run left behind */
	*loaded = name;
	name = NULL;
	rc = 0;
	srv_log(s->log, LOG_NOTICE, "state: snapshot %s loaded (journal seq=%llu) in %llu ms "
		"(%zu bytes read in %llu ms, devices restored in %llu ms; CPU %llu ms)", path,
		(unsigned long long)seq, (unsigned long long)(loop_now_ms() - t0), len,
		(unsigned long long)(t_read - t0), (unsigned long long)t_dev,
		(unsigned long long)(cpu_ms() - c0));
out:
	s->snap_loading = false;
	hugemap_free(p, size);
	free(name);
	return rc;
}

/* ---- the memory's veto during replay -------------------------------------- */

/*
 * An add the memory layer refused when it ran (its tag names no backend,
 * it runs past its backend's end, the backend is another device's) was
 * journaled before it ran.  Replay has no memory attached, so the same
 * refusal comes from a checker that claims what the device's memory will
 * claim, notes what the binds of the accepted extents would (a tag's
 * backend is this device's), and binds nothing.  Without it the refused
 * offer was replayed into the state, and an add acknowledged after it at
 * the same DPA was not.
 */
static enum cxldcd_rc replay_check_add(void *opaque, const struct core_extent_info *x, uint32_t n,
				       struct cxldcd_diag *diag)
{
	struct dcd *dv = opaque;

	return dv->replay_check ? mem_dev_check_add(dv->replay_check, x, n, diag)
				: CXLDCD_RC_SUCCESS;
}

/* A replayed acceptance: what its bind would have noted (another device's tag). */
static void replay_accepted(void *opaque, const struct core_extent_info *x)
{
	struct dcd *dv = opaque;

	if (dv->replay_check)
		mem_dev_checker_accepted(dv->replay_check, x);
}

static const struct core_observer replay_observer = { .check_add = replay_check_add,
						      .extent_accepted = replay_accepted };

static int replay_checks_new(struct server_ctx *s, char *err, size_t cap)
{
	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];
		struct mem_dev_cfg mc;
		char msg[SRV_ERR_MAX];
		int rc = core_observer_add(dv->dev, &replay_observer, dv);

		dcd_mem_cfg(s, dv, &mc);
		if (!rc)
			rc = mem_dev_new_checker(dv->dev, s->reg, &mc, &dv->replay_check, msg,
						 sizeof(msg));
		if (rc) {
			snprintf(err, cap, "-device %s: %s", dv->id,
				 rc == -ENOSPC ? "no observer slot left" : msg);
			return rc;
		}
	}
	return 0;
}

/* The tag claims of the snapshot (snap_load_claims()): what the binds before it noted. */
static int replay_checks_note(struct server_ctx *s, json_t *claims, char *err, size_t cap)
{
	size_t i;
	json_t *c;

	json_array_foreach(claims, i, c) {
		struct dcd *dv = s->devs[json_integer_value(json_array_get(c, 0))];
		const char *id = json_string_value(json_array_get(c, 1));

		if (mem_dev_checker_note(dv->replay_check, mem_registry_find(s->reg, id))) {
			snprintf(err, cap,
				 "the snapshot notes backend %s as device %s's, which the configuration does not allow%s",
				 id, dv->id, SNAP_LOST);
			return -EIO;
		}
	}
	return 0;
}

/*
 * A restart: a new memory notes only what is accepted now.  True when that
 * changed what the checkers refuse: then the start is journaled
 * (MEMORY_RESTART), so that a later replay forgets at the same point.
 * same: nothing ran since the checkers were made (no record replayed), so
 * what is accepted now is what their walk noted then: not walked again.
 */
static bool replay_checks_restart(struct server_ctx *s, bool same)
{
	bool changed = false;

	for (size_t i = 0; i < s->nr_devs; i++) {
		struct mem_dev *c = s->devs[i]->replay_check;

		if (c)
			changed |= same ? mem_dev_checker_restart_same(c)
					: mem_dev_checker_restart(c, s->devs[i]->dev);
	}
	return changed;
}

/* Free the checkers (adds are no longer checked); true when there were some. */
static bool replay_checks_free(struct server_ctx *s)
{
	bool had = false;

	for (size_t i = 0; i < s->nr_devs; i++) {
		had |= s->devs[i]->replay_check != NULL;
		mem_dev_free(s->devs[i]->replay_check);    /* before dcd_attach_memory() claims */
		s->devs[i]->replay_check = NULL;
	}
	return had;
}

int srv_state_lock(struct server_ctx *s, const char *dir, char *err, size_t cap)
{
	return s->st ? 0 : store_open(dir, &s->st, err, cap);
}

int srv_state_open(struct server_ctx *s, const char *dir, char *err, size_t cap)
{
	struct replay r = { .s = s, .err = err, .cap = cap };
	bool restarted, unavailable = false;
	json_t *claims = NULL;
	char *loaded = NULL;
	uint64_t t0, c0;
	size_t owed, carried;
	int rc = srv_state_lock(s, dir, err, cap);

	if (rc)
		return rc;
	err[0] = 0;
	rc = check_config(s, dir, err, cap);
	if (rc)
		return rc;
	s->replaying = true;
	rc = snap_load(s, dir, err, cap, &unavailable, &claims, &loaded);
	if (rc) {
		json_decref(claims);
		s->replaying = false;
		return rc;
	}
	s->replay_last = store_journal_count(s->st);
	s->replay_pump_ms = t0 = loop_now_ms();
	c0 = cpu_ms();
	for (size_t i = 0; !rc && i < s->nr_devs; i++) {  /* the zeroing the tail owes (owed.c) */
		rc = srv_owed_watch(s->devs[i]);
		if (rc)
			snprintf(err, cap, "-device %s: no observer slot left", s->devs[i]->id);
	}
	/* a snapshot's backend unavailable: adds that named it ran, see replay_object() */
	if (!rc)
		rc = unavailable ? 0 : replay_checks_new(s, err, cap);
	if (!rc && !unavailable)
		rc = replay_checks_note(s, claims, err, cap);
	json_decref(claims);
	if (unavailable)
		srv_log(s->log, LOG_WARNING,
			"state: a backend of the snapshot is unavailable: the replay does not check adds against the memory");
	r.restart_text = rc ? NULL : srv_qmp_record(s, MEMORY_RESTART, NULL);
	for (size_t i = 0; i < s->nr_devs; i++)
		if (core_dev_cfg(s->devs[i]->dev)->mbox_payload_size > r.rsp_cap)
			r.rsp_cap = core_dev_cfg(s->devs[i]->dev)->mbox_payload_size;
	r.rsp_cap += CXLDCD_CCI_HDR_SIZE;
	r.rsp = rc ? NULL : malloc(r.rsp_cap);
	if (!rc && (!r.restart_text || !r.rsp))
		rc = -ENOMEM;
	if (!rc) {
		rc = store_journal_replay(s->st, replay_one, &r);
		if (rc && !err[0])
			snprintf(err, cap, "--state %s: journal damaged: %s", dir,
				 store_last_error(s->st));
		if (rc)     /* a record that fails again, a checksum, a gap: say what to do */
			snprintf(err + strlen(err), cap - strlen(err), "%s", STORE_BROKEN);
	}
	restarted = !rc && replay_checks_restart(s, r.n == 0);
	if (!rc)        /* 0002h of the background erases answered Internal Error (owed-proof.c) */
		srv_proof_results_load(s);
	owed = srv_owed_settle(s, !rc);
	if (owed)
		srv_log(s->log, LOG_NOTICE, "state: %zu range(s) freed with sanitize or erased by the replay and not proven done since: zeroed (a kill may have come before the request ran)",
			owed);
	/* What an unavailable backend is owed is kept before the proof forgets it. */
	if (!rc && srv_owed_carry_save(s, &carried)) {
		snprintf(err, cap, "--state %s: cannot store the places owed on unavailable backends: %s",
			 dir, s->store_err);
		rc = -EIO;
	}
	replay_checks_free(s);
	free(r.restart_text);
	free(r.rsp);
	if (rc && rc != -EIO)
		rc = -EIO;
	if (!rc && dcd_discard_qmp_chains(s)) {
		s->replaying = false;
		rc = server_journal_discard_chains(s);
	}
	if (!rc && srv_owed_prove(s)) {
		snprintf(err, cap, "--state %s: cannot journal the zeroing: %s", dir, s->store_err);
		rc = -EIO;
	}
	if (!rc && restarted) {
		s->replaying = false;
		rc = srv_journal_qmp(s, MEMORY_RESTART, NULL);
		if (rc)
			snprintf(err, cap, "--state %s: cannot journal the restart: %s", dir,
				 store_last_error(s->st));
	}
	s->replaying = false;
	if (!rc) {
		srv_log(s->log, LOG_NOTICE, "state: %s: %llu journal record(s) replayed in %llu ms (CPU %llu ms)",
			store_path(s->st), (unsigned long long)r.n,
			(unsigned long long)(loop_now_ms() - t0), (unsigned long long)(cpu_ms() - c0));
		snap_tidy(dir, loaded);     /* a refused start leaves the store as it is */
	}
	free(loaded);
	return rc;
}
