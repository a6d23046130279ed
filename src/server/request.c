/* SPDX-License-Identifier: MIT */
/*
 * request.c - the bracket around every request that reaches a device: model
 * time before it runs, the journal record of its input BEFORE it runs (on
 * stable storage before the model applies it, docs/persistence.md), the QMP
 * events of what it did after that.  One commit path: every record joins
 * the loop round's group (srv_group_add()) and srv_group_flush() commits
 * it; srv_journal() is the same group, flushed at once, for a record that
 * cannot wait (the restart marker).
 *
 * Journaling the input first is what makes a failing store harmless: when
 * the commit fails (disk full, EIO, EFBIG) the request is refused before the
 * model, the memory or any host has seen it, the daemon keeps serving reads,
 * and the next mutating request simply tries the store again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cci/cci.h"
#include "cci/msg.h"
#include "store/store.h"
#include "daemon.h"
#include "loop.h"

uint64_t srv_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void srv_request_begin_at(struct server_ctx *s, uint64_t now_ns)
{
	s->now_ns = now_ns;
	s->erased = false;
	s->bg_unproven = false;
	s->nr_erasing = 0;
	for (size_t i = 0; i < s->nr_devs; i++)
		core_dev_set_time(s->devs[i]->dev, s->now_ns);
}

void srv_request_begin(struct server_ctx *s)
{
	if (!s->replaying)
		s->now_ns = srv_wall_ns();
	s->erased = false;
	s->bg_unproven = false;
	s->nr_erasing = 0;
	for (size_t i = 0; i < s->nr_devs; i++)
		core_dev_set_time(s->devs[i]->dev, s->now_ns);
}

/* Journal records owed for host chains dropped while the store was failing. */
static int append_owed_drops(struct server_ctx *s)
{
	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];

		for (uint16_t h = 0; dv->drop_owed && h < core_dev_cfg(dv->dev)->nr_hosts; h++) {
			struct store_rec rec = { .time_ns = s->now_ns, .kind = STORE_REC_HOSTLINK,
						 .dev = dv->index, .port = SRV_PORT_HOSTLINK, .host = h };
			int rc;

			if (!dv->drop_owed[h])
				continue;
			rc = store_journal_append(s->st, &rec);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static void clear_owed_drops(struct server_ctx *s)
{
	for (size_t i = 0; i < s->nr_devs; i++)
		if (s->devs[i]->drop_owed)
			memset(s->devs[i]->drop_owed, 0,
			       core_dev_cfg(s->devs[i]->dev)->nr_hosts * sizeof(bool));
}

/* ---- group commit ------------------------------------------------------- */

struct srv_group_item {
	struct srv_group_item *next;
	struct store_rec rec;
	srv_group_done_fn *done;
	void *opaque;
	bool erases;                /* it may erase a host's capacity: its segment ends here */
	bool accepts;               /* it may accept capacity (4802h): it pays what the replay owes */
	uint8_t data[];
};

/* Whether a record's CCI request is of an opcode @pred names. */
typedef bool opcode_pred(uint16_t opcode);

/*
 * Whether the request of a record is a CCI message (any face) of an
 * opcode @pred names, or a QMP cxl-cci-request of one.  A QMP record is
 * the daemon's compact JSON (srv_qmp_record()): every "opcode": in it is
 * looked at, without a parse, so a string that holds the same text can
 * only make it true more often.
 */
static bool rec_opcode(uint32_t kind, const void *data, size_t len, opcode_pred *pred)
{
	static const char cci_request[] = "\"cxl-cci-request\"", opcode[] = "\"opcode\":";
	const char *p = data, *end;
	struct cci_hdr h;

	if (!data || !len)      /* a tick: no request (and NULL + 0 is undefined) */
		return false;
	if (kind == STORE_REC_CCI || kind == STORE_REC_HOSTLINK)
		return !cci_dec_hdr(data, len, &h) && pred(h.opcode);
	if (kind != STORE_REC_QMP || !memmem(data, len, cci_request, sizeof(cci_request) - 1))
		return false;
	end = p + len;
	while ((p = memmem(p, (size_t)(end - p), opcode, sizeof(opcode) - 1))) {
		uint64_t op = 0;
		bool neg;

		p += sizeof(opcode) - 1;
		neg = p < end && *p == '-';
		for (p += neg; p < end && *p >= '0' && *p <= '9'; p++)
			op = op * 10 + (uint64_t)(*p - '0');
		/* as the handler takes it: the integer's low 16 bits */
		if (pred((uint16_t)(neg ? 0 - op : op)))
			return true;
	}
	return false;
}

/* Only these call media_sanitized (src/core/bgop.c). */
static bool opcode_erases(uint16_t opcode)
{
	return cci_opcode_erases(opcode);
}

/* Only 4802h calls extent_accepted (src/cci/cmd-dcd.c). */
static bool opcode_accepts(uint16_t opcode)
{
	return opcode == CXLDCD_OP_ADD_DC_RESPONSE;
}

bool srv_grouping(const struct server_ctx *s)
{
	return s->st && !s->replaying;
}

int srv_group_add(struct server_ctx *s, uint32_t kind, uint32_t dev, uint32_t port, uint32_t host,
		  const void *data, size_t len, srv_group_done_fn *done, void *opaque)
{
	struct srv_group_item *it = malloc(sizeof(*it) + len);

	if (!it)
		return -ENOMEM;
	if (len)
		memcpy(it->data, data, len);
	it->rec = (struct store_rec){ .time_ns = s->now_ns, .kind = kind, .dev = dev, .port = port,
				      .host = host, .data = len ? it->data : NULL, .len = len };
	it->done = done;
	it->opaque = opaque;
	it->erases = rec_opcode(kind, data, len, opcode_erases);
	it->accepts = rec_opcode(kind, data, len, opcode_accepts);
	it->next = NULL;
	if (!s->group)
		s->group_tail = &s->group;
	*s->group_tail = it;
	s->group_tail = &it->next;
	return 0;
}

/*
 * Journal every queued input in one transaction; 0 or -errno.  A record
 * that tells a replay a zeroing is no longer owed (the proof record, an
 * acceptance: owed.c) is committed only once what was zeroed is on disk
 * (zerosync.c): else a power loss could keep the record and lose the
 * zeroes, and nothing would zero them again.  When a backend file cannot
 * be synced, a group with no acceptance goes in without the proof it
 * would have carried (*proved false): the proof stays owed, and the
 * replay still owes the zeroing, which those records do not pay
 * (docs/persistence.md, "An erase in doubt").
 */
static int group_commit(struct server_ctx *s, struct srv_group_item *batch, bool *proved)
{
	uint64_t now = srv_wall_ns();   /* the group runs now: its model time */
	bool accepts = false;
	int rc;

	*proved = s->ran_unproven;
	for (struct srv_group_item *it = batch; it && !accepts; it = it->next)
		accepts = it->accepts;
	rc = *proved || accepts ? srv_zerosync_all(s) : 0;
	if (rc && accepts)
		return rc;      /* s->store_err says which backend */
	*proved = *proved && !rc;
	rc = store_begin(s->st);
	if (rc)
		return rc;
	for (struct srv_group_item *it = batch; it; it = it->next)
		it->rec.time_ns = now;
	rc = append_owed_drops(s);
	if (!rc && *proved)
		rc = srv_owed_append_proof(s);   /* one the last group could not commit itself */
	for (struct srv_group_item *it = batch; !rc && it; it = it->next)
		rc = store_journal_append(s->st, &it->rec);
	if (!rc)
		return store_commit(s->st);   /* rolls back by itself on failure */
	store_rollback(s->st);
	return rc;
}

/* Commit @seg (after what is owed: chain drops, a proof record); note the outcome. */
static int commit_segment(struct server_ctx *s, struct srv_group_item *seg)
{
	struct srv_group_item *it;
	uint64_t n = 0;
	bool proved;
	int rc;

	s->store_err[0] = 0;
	rc = group_commit(s, seg, &proved);
	for (it = seg; it; it = it->next)
		n++;
	if (rc && s->store_err[0]) {
		/* A backend file that cannot be synced (zerosync.c logs it): the store works. */
	} else if (rc) {
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_last_error(s->st));
		s->store_rc = rc;
		if (!s->store_failing)
			srv_log(s->log, LOG_ERR,
				"state: cannot store %llu request(s): %s; mutating requests are refused until the store accepts writes again",
				(unsigned long long)n, s->store_err);
		s->store_failing = true;
	} else {
		if (s->store_failing)
			srv_log(s->log, LOG_NOTICE, "state: the store accepts writes again");
		s->store_failing = false;
		clear_owed_drops(s);
		s->ran_unproven = s->ran_unproven && !proved;
		s->nr_commits++;
		s->nr_committed += n;
	}
	srv_proof_note(s);
	return rc;
}

/*
 * Commit the proof record alone (no segment is left, or the retry timer:
 * owed-proof.c); note the outcome as commit_segment() does.  A failure is
 * logged once, by srv_proof_note() (the proof is owed from then on).
 */
static void prove(struct server_ctx *s)
{
	int rc = srv_owed_prove(s);     /* on failure it set s->store_err */

	if (rc && !s->sync_failing) {   /* the store's failure, not a backend file's sync */
		s->store_failing = true;
		s->store_rc = rc;
	} else if (!rc && s->store_failing) {
		srv_log(s->log, LOG_NOTICE, "state: the store accepts writes again");
		s->store_failing = false;
	}
	srv_proof_note(s);
}

void srv_prove_now(struct server_ctx *s)
{
	if (srv_grouping(s) && !s->flushing && s->ran_unproven)
		prove(s);
}

/* Detach the first segment of @batch: up to and including its first request that may erase. */
static struct srv_group_item *segment(struct srv_group_item *batch, struct srv_group_item **rest)
{
	struct srv_group_item *it = batch;

	while (it->next && !it->erases)
		it = it->next;
	*rest = it->next;
	it->next = NULL;
	return batch;
}

/*
 * Commit the next segment of the group being flushed, with the proof
 * record first when an erase or a Set LSA ran (a proof alone when no
 * segment is left).  The proof says that every record before it ran: it
 * is committed only once the segment before it ran whole.
 */
static void commit_next(struct server_ctx *s)
{
	struct srv_group_item *rest = NULL;

	s->next_seg = s->flush_rest ? segment(s->flush_rest, &rest) : NULL;
	s->flush_rest = rest;
	s->next_done = true;
	s->next_rc = 0;
	if (s->next_seg)
		s->next_rc = commit_segment(s, s->next_seg);
	else if (s->ran_unproven)
		prove(s);
}

/*
 * Commit @batch and run (or refuse) each of it in order.  One transaction
 * and one commit, unless a request that may erase (Sanitize, Secure
 * Erase, Media Operations) is followed by others: the group is then cut
 * after it, and once it ran, the proof record that it did is committed
 * with the next segment before its answer leaves (srv_request_end()).  A
 * host that writes its capacity after the answer of its erase thus
 * writes after a proof the replay will see: a kill then does not make the
 * next start zero those bytes again.
 */
static void flush_batch(struct server_ctx *s, struct srv_group_item *batch)
{
	/* A flush from a callback (srv_journal()) leaves the outer one's segments as they were. */
	struct srv_group_item *rest0 = s->flush_rest, *next0 = s->next_seg, *seg, *it;
	bool flushing0 = s->flushing, done0 = s->next_done;
	uint32_t unrun0 = s->flush_unrun;
	int rc0 = s->next_rc;

	s->flush_rest = batch;
	commit_next(s);
	while ((seg = s->next_seg)) {
		int rc = s->next_rc;
		uint32_t n = 0;

		s->next_seg = NULL;
		s->next_done = false;
		for (it = seg; it; it = it->next)
			n++;
		s->flushing = true;
		/* In journal order: each runs at its record's model time. */
		while (seg) {
			it = seg;
			seg = it->next;
			s->flush_unrun = --n;
			if (!rc)
				srv_request_begin_at(s, it->rec.time_ns);
			it->done(it->opaque, rc);
			free(it);
		}
		s->flushing = false;
		/*
		 * Unless srv_request_end() did: the next segment, and first the
		 * proof record when an erase or a Set LSA ran, so that a replay
		 * does not do it again over what is written from now on
		 * (owed.c).  When this commit fails the next one carries it.
		 */
		if (!s->next_done)
			commit_next(s);
	}
	s->flush_rest = rest0;
	s->next_seg = next0;
	s->flushing = flushing0;
	s->next_done = done0;
	s->flush_unrun = unrun0;
	s->next_rc = rc0;
}

void srv_group_flush(struct server_ctx *s)
{
	/*
	 * One commit: what callbacks queue goes to the next loop round, after
	 * every ready socket was read again (fair to other clients, and more
	 * requests share that commit).
	 */
	struct srv_group_item *batch = s->group, *it;

	s->group = NULL;
	s->group_tail = &s->group;
	if (!s->group_one_by_one) {
		if (batch)
			flush_batch(s, batch);
		return;
	}
	/* The benchmark knob ($CXLDCD_GROUP_COMMIT=off): one commit per request. */
	while (batch) {
		it = batch;
		batch = it->next;
		it->next = NULL;
		flush_batch(s, it);
	}
}

/* srv_journal(): the outcome of its one record. */
struct sync_rec {
	int rc;
};

static void sync_done(void *opaque, int rc)
{
	((struct sync_rec *)opaque)->rc = rc;
}

int srv_journal(struct server_ctx *s, uint32_t kind, uint32_t dev, uint32_t port, uint32_t host,
		const void *data, size_t len)
{
	struct sync_rec r = { 0 };
	int rc;

	if (!srv_grouping(s))
		return 0;
	rc = srv_group_add(s, kind, dev, port, host, data, len, sync_done, &r);
	if (rc) {
		snprintf(s->store_err, sizeof(s->store_err), "out of memory");
		return rc;
	}
	srv_group_flush(s);     /* what the round queued so far shares this commit */
	return r.rc;
}

bool srv_opcode_journaled(uint16_t opcode, bool chain_open)
{
	return chain_open || !cci_opcode_is_read(opcode);
}

bool srv_cci_journaled(const uint8_t *msg, size_t len, bool chain_open)
{
	struct cci_hdr h;

	if (cci_dec_hdr(msg, len, &h))
		return false;       /* not answerable: the face closes the connection */
	if (chain_open)
		return true;        /* even a refused message discards the staging */
	/* A message whose length disagrees with its header is refused, unrun. */
	return len == CXLDCD_CCI_HDR_SIZE + (size_t)h.payload_len && !cci_opcode_is_read(h.opcode);
}

const char *srv_store_error_text(struct server_ctx *s, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "the request was not applied: the state store cannot commit it (%s); reads keep working, retry when the store accepts writes again",
		 s->store_err[0] ? s->store_err : "unknown error");
	return buf;
}

int srv_cci_unproven(const uint8_t *req, size_t req_len, uint8_t *rsp, size_t cap,
		     size_t *rsp_len)
{
	struct cci_hdr rq;

	if (cci_dec_hdr(req, req_len, &rq) || cci_enc_refusal(&rq, SRV_RC_UNPROVEN, rsp, cap))
		return -EINVAL;
	*rsp_len = CXLDCD_CCI_HDR_SIZE;
	return 0;
}

const char *srv_unproven_text(struct server_ctx *s, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "the erase ran, but the state store cannot record that it ran (%s): until the store accepts writes again, a restart erases again what is written meanwhile; retry the erase then%s",
		 s->store_err, s->bg_unproven ?
			 " (its background operation ends with Internal Error: Background Operation Status)" : "");
	return buf;
}

int srv_request_end(struct server_ctx *s)
{
	bool erased = s->erased;

	/* The last of its segment ran an erase: its proof is durable before its answer leaves. */
	if (s->flushing && !s->flush_unrun && !s->next_done && s->ran_unproven)
		commit_next(s);
	s->erased = false;
	srv_events_flush(s);
	/*
	 * Its record is durable, so a replay owes its zeroing and the erase
	 * is not lost; but with no proof after it, a restart (even after a
	 * clean stop) zeroes again what the host writes from now on.  So it
	 * must not be answered as done: Internal Error, in doubt as any
	 * request of a failing store, until a commit carries the proof.
	 */
	if (!erased || !s->ran_unproven || !srv_grouping(s))
		return 0;
	/*
	 * A background erase runs on (Busy to another, 0002h "in progress"):
	 * it started, as the spec's 01h and Background Operation bit say, and
	 * its result, what 0002h reports once it ends, is Internal Error.  An
	 * error answer would tell the host that nothing started
	 * (docs/persistence.md, "An erase in doubt").
	 */
	s->bg_unproven = srv_proof_doubt(s);
	srv_log(s->log, LOG_ERR,
		"state: an erase ran but its proof record cannot be stored (%s): %s; until the store accepts writes again, a restart erases that capacity again",
		s->store_err, s->bg_unproven ?
			"its background operation ends with Internal Error (Background Operation Status), which a host that reads only its percentage, as Linux does for a Sanitize, never sees" :
			"answered Internal Error");
	return s->bg_unproven ? 0 : -EIO;
}

bool srv_request_bg_unproven(const struct server_ctx *s)
{
	return s->bg_unproven;
}
