/* SPDX-License-Identifier: MIT */
/*
 * owed-proof.c - a proof record the store could not take (docs/persistence.md,
 * "An erase in doubt"): the daemon commits it by itself once the store
 * works again, and says meanwhile that it owes one.
 *
 * Once an erase (Sanitize, Secure Erase, a Media Operations erase) or a
 * Set LSA ran, a proof record tells a replay that it ran (owed.c).  When
 * the commit that carries it fails (the store's I/O, a backend file that
 * cannot be synced), the erase is answered Internal Error (request.c) and
 * stays in doubt: its record is durable, no proof follows it, so a
 * restart erases that capacity again, and with it what was written since.
 * Before, only the next mutating request of some client tried the store
 * again; a device nobody sent anything to stayed in doubt until it
 * stopped, and its next start erased again what its hosts had written.
 *
 * Here: a loop timer tries the proof again (the waits: next_wait()), and
 * so does any other transaction of the store that succeeds meanwhile
 * (srv_proof_store_worked(): a snapshot's record), right after it, and,
 * when the store failed with a full disk, the first free space that
 * appears on its file system (watch_space(): the one sign that the store
 * may work again the daemon can read without writing to it); a
 * WARNING when a proof becomes owed and a NOTICE when it is committed,
 * the hosts whose capacity the erases answered Internal Error zeroed
 * meanwhile (by device and host: srv_proof_doubt(), which also makes the
 * background operation such an erase started end with Internal Error),
 * each reported by a
 * CXL_ERASE_DURABLE event once the proof is committed, and the state for
 * query-cxl-durability (srv_proof_query()).  That result of a background
 * operation is stored with the proof (meta 'bg_results',
 * srv_proof_results_append()) and given back to the same operation by the
 * next start (srv_proof_results_load()), so 0002h says after a restart
 * what it said before.  What is not here: the commit itself (request.c,
 * prove()) and what a proof makes a replay forget (owed.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "qmp/qmp.h"
#include "store/store.h"
#include "daemon.h"
#include "loop.h"

#define PROOF_RETRY_FIRST_MS 100u
#define PROOF_RETRY_MAX_MS 1000u
#define PROOF_RETRY_ENV_MAX_MS 3600000u /* $CXLDCD_PROOF_RETRY_MS at most (1 h) */
#define PROOF_SPACE_MS 10u              /* how often a full disk's free space is read */

/*
 * One host's capacity on one device that erases answered Internal Error
 * zeroed (a host's own erase zeroes its capacity, one of the device's
 * MCTP CCI every host's): what a restart now erases again.
 */
struct srv_doubt {
	uint32_t dev;
	uint16_t host;
	uint32_t count;             /* how many such erases */
	uint64_t since_ns;          /* wall clock of the first */
};

/*
 * A background operation an erase in doubt started, and the return code
 * it was answered (and ends with): kept in the store with the proof.
 */
struct srv_bg_answered {
	uint32_t dev;
	struct core_bg_id id;
	uint16_t rc;
};

/*
 * The first wait: PROOF_RETRY_FIRST_MS, or $CXLDCD_PROOF_RETRY_MS (tests:
 * a number of ms, 1 to PROOF_RETRY_ENV_MAX_MS; more is that much, anything
 * else the default).  Before, a value past what a timer can add to the
 * clock wrapped the deadline into the past: the retry ran every round.
 */
static uint64_t first_delay_ms(void)
{
	const char *e = getenv("CXLDCD_PROOF_RETRY_MS");      /* tests */
	char *end;
	unsigned long long v;

	if (!e || *e < '0' || *e > '9')
		return PROOF_RETRY_FIRST_MS;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (*end || !v)
		return PROOF_RETRY_FIRST_MS;
	return errno == ERANGE || v > PROOF_RETRY_ENV_MAX_MS ? PROOF_RETRY_ENV_MAX_MS : v;
}

/*
 * The wait after one of @prev ms, the first having been @first: twice as
 * long, up to PROOF_RETRY_MAX_MS, or up to @first when that is longer (a
 * test's way to keep the timer out of its way).  So the waits are @first,
 * 2 @first, 4 @first, ... and never longer than the longer of @first and
 * 1 s (the default: 100, 200, 400, 800, 1000, 1000 ms, ...).
 */
static uint64_t next_wait(uint64_t prev, uint64_t first)
{
	uint64_t cap = first > PROOF_RETRY_MAX_MS ? first : PROOF_RETRY_MAX_MS;

	return prev >= cap / 2 ? cap : prev * 2;
}

static void on_retry(struct loop *l, void *opaque);

static void arm(struct server_ctx *s)
{
	if (s->proof_timer_set || !s->loop)
		return;
	s->proof_timer_set = !loop_add_timer(s->loop, s->proof_delay_ms, on_retry, s, &s->proof_timer);
	s->proof_next_ms = loop_now_ms() + s->proof_delay_ms;
}

static void on_retry(struct loop *l, void *opaque)
{
	struct server_ctx *s = opaque;

	(void)l;
	s->proof_timer_set = false;
	if (!s->proof_owed)
		return;
	if (s->group || s->flushing) {  /* this round's commit carries it (request.c) */
		arm(s);
		return;
	}
	s->proof_attempts++;
	s->proof_delay_ms = next_wait(s->proof_delay_ms, first_delay_ms());  /* should this fail */
	srv_prove_now(s);               /* srv_proof_note() re-arms when it failed */
}

/*
 * The free space of the store's file system for its writer (bytes: root
 * may also use the blocks reserved for it); UINT64_MAX: unknown.
 */
static uint64_t space_free(const struct server_ctx *s)
{
	struct statvfs v;

	if (!s->st || statvfs(store_path(s->st), &v))
		return UINT64_MAX;      /* no sign either way: the timer's retries only */
	return (uint64_t)(geteuid() == 0 ? v.f_bfree : v.f_bavail) * v.f_frsize;
}

/* A proof owed, and the store's last failure a full disk (SQLite's SQLITE_FULL). */
static bool disk_full(const struct server_ctx *s)
{
	return s->proof_owed && s->store_failing && s->store_rc == -ENOSPC;
}

static void on_space(struct loop *l, void *opaque);

/* While disk_full(): read the free space every PROOF_SPACE_MS (on_space()). */
static void watch_space(struct server_ctx *s)
{
	if (s->proof_space_set || !s->loop || !disk_full(s))
		return;
	s->proof_space_set = !loop_add_timer(s->loop, PROOF_SPACE_MS, on_space, s,
					     &s->proof_space_timer);
}

/*
 * Space was freed on the store's file system since its last failure:
 * try the proof now, not at the retry timer, up to 1 s away.  A disk that
 * is still full fails the attempt at its first write, with no sync, so
 * trying at each such sign costs little; an I/O error gives no such sign,
 * and its attempts, which may each wait for the device, keep the timer's.
 */
static void on_space(struct loop *l, void *opaque)
{
	struct server_ctx *s = opaque;
	uint64_t now_free;

	(void)l;
	s->proof_space_set = false;
	if (!disk_full(s))
		return;
	now_free = space_free(s);
	if (!s->group && !s->flushing && now_free != UINT64_MAX && now_free > s->proof_space_free) {
		s->proof_attempts++;
		srv_prove_now(s);       /* srv_proof_note(): settled, or the space of this failure */
	}
	watch_space(s);
}

static json_t *doubt_json(const struct server_ctx *s, const struct srv_doubt *d)
{
	const struct dcd *dv = d->dev < s->nr_devs ? s->devs[d->dev] : NULL;

	if (!dv)
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:I}", "device", dv->id, "path", dv->path, "host-id",
			 d->host, "erases", (json_int_t)d->count);
}

static json_t *time_json(uint64_t ns)
{
	return json_pack("{s:I, s:I}", "seconds", (json_int_t)(ns / 1000000000u), "microseconds",
			 (json_int_t)(ns % 1000000000u / 1000u));
}

/* The proof is committed: say so, once, and report each host's capacity it made durable. */
static void settled(struct server_ctx *s)
{
	if (s->proof_timer_set)
		loop_del_timer(s->loop, s->proof_timer);
	if (s->proof_space_set)
		loop_del_timer(s->loop, s->proof_space_timer);
	s->proof_timer_set = s->proof_space_set = false;
	for (size_t i = 0; i < s->nr_doubt; i++) {
		json_t *d = doubt_json(s, &s->doubt[i]);

		if (d && s->qmp)
			qmp_server_emit_event(s->qmp, "CXL_ERASE_DURABLE", d);
		json_decref(d);
	}
	srv_log(s->log, LOG_NOTICE,
		"state: the proof record owed for %.3f s is committed (retried %u time(s)): the erases answered Internal Error meanwhile (%zu host(s)' capacity) are durable now, and a restart no longer erases again what is written from now on",
		(double)(srv_wall_ns() - s->proof_owed_ns) / 1e9, s->proof_attempts, s->nr_doubt);
	s->nr_doubt = 0;
	s->bg_answered_dirty = false;   /* stored with the proof (srv_proof_results_append()) */
	s->proof_owed = false;
	s->proof_attempts = 0;
}

void srv_proof_note(struct server_ctx *s)
{
	if (!s->st || s->replaying)
		return;
	if (s->proof_owed && !s->ran_unproven) {
		settled(s);
		return;
	}
	/* ran_unproven after a commit attempt: the proof was not committed with it */
	if (!s->ran_unproven || (!s->store_failing && !s->sync_failing))
		return;
	if (!s->proof_owed) {
		s->proof_owed = true;
		s->proof_owed_ns = srv_wall_ns();
		s->proof_attempts = 0;
		s->proof_delay_ms = first_delay_ms();
		srv_log(s->log, LOG_WARNING,
			"state: a proof record is owed: an erase or Set LSA ran, but the store cannot record that it ran (%s); until it does, a restart does it again (an erase: zeroes that capacity again, with what is written there meanwhile); retrying in %llu ms, then up to every %llu ms",
			s->store_err, (unsigned long long)s->proof_delay_ms,
			(unsigned long long)next_wait(PROOF_RETRY_MAX_MS, s->proof_delay_ms));
	}
	if (s->store_failing && s->store_rc == -ENOSPC)
		s->proof_space_free = space_free(s);    /* at this failure: more is a sign */
	arm(s);
	watch_space(s);
}

/* The entry of (@dev, @host) in @*v (@*nr of them), added (count 0) if missing; NULL: no memory. */
static struct srv_doubt *entry(struct srv_doubt **v, size_t *nr, uint32_t dev, uint16_t host)
{
	struct srv_doubt *d;

	for (size_t i = *nr; i-- > 0;)      /* the last first: an erase zeroes piece after piece */
		if ((*v)[i].dev == dev && (*v)[i].host == host)
			return &(*v)[i];
	d = realloc(*v, (*nr + 1) * sizeof(*d));
	if (!d)
		return NULL;    /* only the report loses it: the proof covers it all the same */
	*v = d;
	d[*nr] = (struct srv_doubt){ .dev = dev, .host = host, .since_ns = srv_wall_ns() };
	return &d[(*nr)++];
}

void srv_proof_erasing(struct server_ctx *s, uint32_t dev, uint16_t host)
{
	entry(&s->erasing, &s->nr_erasing, dev, host);
}

/* Note that @id's operation on device @dev ends with @rc (one per device and CCI: the last). */
static void answered(struct server_ctx *s, uint32_t dev, const struct core_bg_id *id, uint16_t rc)
{
	struct srv_bg_answered *v;
	size_t i;

	for (i = 0; i < s->nr_bg_answered; i++)
		if (s->bg_answered[i].dev == dev && s->bg_answered[i].id.owner == id->owner)
			break;
	if (i == s->nr_bg_answered) {
		v = realloc(s->bg_answered, (i + 1) * sizeof(*v));
		if (!v)
			return;     /* only a restart loses it: 0002h then says Success */
		s->bg_answered = v;
		s->nr_bg_answered++;
	}
	s->bg_answered[i] = (struct srv_bg_answered){ .dev = dev, .id = *id, .rc = rc };
}

bool srv_proof_doubt(struct server_ctx *s)
{
	bool bg = false;

	for (size_t i = 0; i < s->nr_erasing; i++) {
		struct srv_doubt *d = entry(&s->doubt, &s->nr_doubt, s->erasing[i].dev,
					    s->erasing[i].host);
		struct cxldcd_dev *dev;
		struct core_bg_id id;

		if (d)
			d->count++;
		if (s->erasing[i].dev >= s->nr_devs)
			continue;
		/*
		 * A Sanitize or Media Operations: 0002h reports it as answered,
		 * once it ends, also after a restart (stored with the proof).
		 */
		dev = s->devs[s->erasing[i].dev]->dev;
		if (core_bg_erase_started(dev, &id)) {
			answered(s, s->erasing[i].dev, &id, SRV_RC_UNPROVEN);
			s->bg_answered_dirty = true;
			bg = true;
		}
		core_bg_erase_answered(dev, SRV_RC_UNPROVEN);
	}
	s->nr_erasing = 0;
	return bg;
}

/* The stored form: [[dev, owner, opcode, start_ns, rc], ...]; NULL when none (or no memory). */
static char *results_text(const struct server_ctx *s)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; a && i < s->nr_bg_answered; i++) {
		const struct srv_bg_answered *r = &s->bg_answered[i];

		json_array_append_new(a, json_pack("[I, i, i, I, i]", (json_int_t)r->dev, r->id.owner,
						   r->id.opcode, (json_int_t)r->id.start_ns, r->rc));
	}
	text = a && json_array_size(a) ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}

int srv_proof_results_append(struct server_ctx *s)
{
	char *text;
	int rc;

	if (!s->bg_answered_dirty)
		return 0;
	text = results_text(s);
	if (!text && s->nr_bg_answered)
		return -ENOMEM;
	rc = store_bg_results_set(s->st, text);
	free(text);
	return rc;
}

/* One stored entry: 0, or -EINVAL when it is not [dev, owner, opcode, start_ns, rc] in range. */
static int result_of(const json_t *e, struct srv_bg_answered *r)
{
	json_int_t v[5];

	if (!json_is_array(e) || json_array_size(e) != 5)
		return -EINVAL;
	for (size_t i = 0; i < 5; i++) {
		if (!json_is_integer(json_array_get(e, i)))
			return -EINVAL;
		v[i] = json_integer_value(json_array_get(e, i));
		if (v[i] < 0 || (i != 0 && i != 3 && v[i] > 0xffff) || (i == 0 && v[i] > UINT32_MAX))
			return -EINVAL;
	}
	*r = (struct srv_bg_answered){ .dev = (uint32_t)v[0], .id = { .owner = (uint16_t)v[1],
			.opcode = (uint16_t)v[2], .start_ns = (uint64_t)v[3] }, .rc = (uint16_t)v[4] };
	return 0;
}

void srv_proof_results_load(struct server_ctx *s)
{
	char *text = NULL;
	json_t *a, *e;
	size_t i, n = 0;

	if (!s->st)
		return;
	if (store_bg_results_get(s->st, &text)) {
		srv_log(s->log, LOG_WARNING,
			"state: cannot read the return codes of background erases answered Internal Error: %s",
			store_last_error(s->st));
		return;
	}
	if (!text)
		return;
	a = json_loads(text, 0, NULL);
	if (!json_is_array(a))
		srv_log(s->log, LOG_WARNING,
			"state: the stored return codes of background erases are not readable: ignored");
	json_array_foreach(a, i, e) {
		struct srv_bg_answered r;

		if (result_of(e, &r) || r.dev >= s->nr_devs) {
			srv_log(s->log, LOG_WARNING,
				"state: stored return code %zu of a background erase is not readable: ignored", i);
			continue;
		}
		/* Still the last operation of its CCI: it ends as it was answered. */
		if (core_bg_result_set(s->devs[r.dev]->dev, &r.id, (enum cxldcd_rc)r.rc)) {
			answered(s, r.dev, &r.id, r.rc);
			n++;
		}
	}
	/* Those left out (another operation since) go at the next store of them. */
	s->bg_answered_dirty = false;
	if (n)
		srv_log(s->log, LOG_INFO,
			"state: %zu background erase(s) answered Internal Error end with it again (Background Operation Status)",
			n);
	json_decref(a);
	free(text);
}

void srv_proof_store_worked(struct server_ctx *s)
{
	/*
	 * Only a failing store: a backend file that cannot be synced (the
	 * store works) is what keeps the proof owed then, and a store's
	 * success says nothing of it.  A group being flushed carries it.
	 */
	if (!s->st || !s->proof_owed || !s->store_failing || s->group || s->flushing)
		return;
	s->proof_attempts++;
	srv_prove_now(s);
}

void srv_proof_stop(struct server_ctx *s)
{
	if (!s->st || !s->proof_owed)
		return;
	s->proof_attempts++;
	srv_prove_now(s);
	if (s->proof_owed)
		srv_log(s->log, LOG_WARNING,
			"state: stopping with a proof record owed (%s): the next start erases again the capacity of the %zu host(s) an erase answered Internal Error zeroed, and what was written there since",
			s->store_err, s->nr_doubt);
}

json_t *srv_proof_query(const struct server_ctx *s)
{
	json_t *o = json_pack("{s:b}", "state-store", s->st != NULL), *a;

	if (!o || !s->st)
		return o;
	json_object_set_new(o, "accepts-writes", json_boolean(!s->store_failing));
	if ((s->store_failing || (s->proof_owed && s->sync_failing)) && s->store_err[0])
		json_object_set_new(o, "error", json_string(s->store_err));
	json_object_set_new(o, "proof-owed", json_boolean(s->proof_owed));
	if (!s->proof_owed)
		return o;
	json_object_set_new(o, "owed-since", time_json(s->proof_owed_ns));
	json_object_set_new(o, "attempts", json_integer(s->proof_attempts));
	if (s->proof_timer_set) {
		uint64_t now = loop_now_ms();

		json_object_set_new(o, "next-attempt-ms",
				    json_integer((json_int_t)(s->proof_next_ms > now ?
								      s->proof_next_ms - now : 0)));
	}
	a = json_array();
	for (size_t i = 0; a && i < s->nr_doubt; i++) {
		json_t *d = doubt_json(s, &s->doubt[i]);

		if (d)
			json_object_set_new(d, "since", time_json(s->doubt[i].since_ns));
		json_array_append_new(a, d);
	}
	json_object_set_new(o, "erases-in-doubt", a);
	return o;
}

void srv_proof_fini(struct server_ctx *s)
{
	free(s->doubt);
	free(s->erasing);
	free(s->bg_answered);
	s->bg_answered = NULL;
	s->nr_bg_answered = 0;
	s->doubt = s->erasing = NULL;
	s->nr_doubt = s->nr_erasing = 0;
}
