/* SPDX-License-Identifier: MIT */
/*
 * hostlink-moves.c - moving the sharers of a shared grant off it after
 * another sharer let it go (mem_dev_move_*()): PAUSE, switch, REMAP,
 * MOVE_END, with retries (struct move in hostlink-int.h).  The messages
 * come in through hostlink-msg.c; the clock through hostlink.c.
 */
#include "hostlink/hostlink-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* ------------------------------------------------------------ moves */

static void move_advance(struct hostlink *hl, struct move *m);
static void move_end(struct hostlink *hl, struct move *m);

static int enc_pause_cb(struct wwr *w, const void *arg)
{
	return hl_enc_pause(w, arg);
}

static int enc_remap_cb(struct wwr *w, const void *arg)
{
	return hl_enc_remap(w, arg);
}

static int enc_move_end_cb(struct wwr *w, const void *arg)
{
	return hl_enc_move_end(w, arg);
}

/* The test seam: the -errno a step of a move is to fail with, or 0. */
static int move_fault(const struct hostlink *hl, enum hostlink_move_step step, uint16_t host)
{
	return hl->cfg.move_fault ? hl->cfg.move_fault(hl->cfg.move_fault_opaque, step, host) : 0;
}

/* The connection a move sent to, if it is still the host's: else NULL. */
static struct conn *conn_of_serial(const struct hostlink *hl, uint16_t host, uint64_t serial)
{
	struct conn *c = hostlink_conn_of_host(hl, host);

	return c && serial && c->serial == serial ? c : NULL;
}

/*
 * The sharers of move m's grant now, into m->p (answers none yet).  Return 0
 * or -errno; m->p is as it was then.
 */
static int move_load(struct hostlink *hl, struct move *m)
{
	uint32_t n = 0, got;
	int rc = mem_dev_move_sharers(hl->cfg.md, m->id, NULL, 0, &n);
	struct mem_move_sharer *s;

	if (rc)
		return rc;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = mem_dev_move_sharers(hl->cfg.md, m->id, s, n, &got);
	if (!rc) {
		struct move_peer *p = calloc(n ? n : 1, sizeof(*p));

		if (!p) {
			rc = -ENOMEM;
		} else {
			free(m->p);
			m->p = p;
			m->nr = got < n ? got : n;
			for (uint32_t i = 0; i < m->nr; i++)
				p[i] = (struct move_peer){ .host = s[i].host, .dpa = s[i].dpa,
							   .len = s[i].len };
		}
	}
	free(s);
	return rc;
}

static bool move_answered(const struct hostlink *hl, const struct move *m)
{
	for (uint32_t i = 0; i < m->nr; i++)
		if (m->p[i].waiting && conn_of_serial(hl, m->p[i].host, m->p[i].conn))
			return false;
	return true;
}

void hostlink_move_free(struct move *m)
{
	free(m->p);
	free(m->pz);
	free(m);
}

/*
 * PAUSE peer i of m on c, and note it: move_end() ends every PAUSE noted,
 * whichever way the move ends.  One that cannot be noted is not sent (the
 * peer then moves unpaused, as one that does not answer).
 */
static void send_pause(struct hostlink *hl, struct move *m, uint32_t i, struct conn *c)
{
	struct move_pause *z;

	if (m->nr_pz == m->cap_pz) {
		uint32_t ncap = m->cap_pz ? m->cap_pz * 2 : 4;

		z = realloc(m->pz, ncap * sizeof(*z));
		if (!z) {
			hostlink_logf(hl, LOG_WARNING,
				      "move %llu: out of memory: host=%u moves unpaused",
				      (unsigned long long)m->id, c->host);
			return;
		}
		m->pz = z;
		m->cap_pz = ncap;
	}
	z = &m->pz[m->nr_pz++];
	*z = (struct move_pause){ .host = c->host, .conn = c->serial,
				  .pm = { .dpa = m->p[i].dpa, .len = m->p[i].len, .id = m->id } };
	m->p[i].conn = c->serial;
	m->p[i].waiting = 1;
	hostlink_conn_send(c, HL_PAUSE, hostlink_conn_next_seq(c), HL_PAUSE_SIZE, enc_pause_cb,
			   &z->pm, NULL);
}

static void move_unlink(struct hostlink *hl, struct move *m)
{
	for (struct move **pp = &hl->moves; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
}

/*
 * The attempt of m failed before its sharers could move (m->failed says
 * why): they go on with the old grant, which the host that let go may
 * still reach through an fd it kept.  So the move is made again after a
 * wait that doubles with each failed attempt; m keeps the grant's id
 * meanwhile (a release by another sharer then is covered by the next
 * attempt).  No PAUSE of m is open any more.
 */
static void move_wait(struct hostlink *hl, struct move *m)
{
	m->phase = MOVE_WAITING;
	free(m->p);
	m->p = NULL;
	m->nr = 0;
	free(m->pz);
	m->pz = NULL;
	m->nr_pz = m->cap_pz = 0;
	m->wait_ms = m->wait_ms ? m->wait_ms * 2 : HOSTLINK_MOVE_RETRY_MIN_MS;
	if (m->wait_ms > HOSTLINK_MOVE_RETRY_MAX_MS)
		m->wait_ms = HOSTLINK_MOVE_RETRY_MAX_MS;
	m->due_ms = hostlink_now_ms(hl) + m->wait_ms;
	hl->st.moves_waiting++;
	hostlink_logf(hl, LOG_WARNING,
		      "move %llu: %s: the sharers stay on the old grant, which the host that let "
		      "it go may still reach: moving them again in %u ms (attempt %u)",
		      (unsigned long long)m->id, m->failed, m->wait_ms, m->attempt + 1);
	m->failed[0] = '\0';
	hostlink_wake_at(hl, m->due_ms);
}

/*
 * Attempt m->attempt of a move (m is on hl->moves): PAUSE every sharer of
 * its grant that has mapping.  The phase ends when all have answered or
 * its time runs out (move_advance()).
 */
static void move_start(struct hostlink *hl, struct move *m)
{
	int rc = move_fault(hl, HOSTLINK_MOVE_LIST, 0);

	if (!rc)
		rc = move_load(hl, m);

	if (rc == -ENOENT) {
		move_end(hl, m); /* the last sharer left: the grant was punched */
		return;
	}
	if (rc) {
		snprintf(m->failed, sizeof(m->failed), "cannot list the sharers: %s", strerror(-rc));
		move_wait(hl, m);
		return;
	}
	m->phase = HL_MOVE_PAUSED;
	m->due_ms = hostlink_now_ms(hl) + hl->cfg.move_timeout_ms;
	for (uint32_t i = 0; i < m->nr; i++) {
		struct conn *c = hostlink_conn_of_host(hl, m->p[i].host);

		if (c && c->mapping) /* else nothing mapped: the slow path switches with the grant */
			send_pause(hl, m, i, c);
	}
	if (m->attempt > 1)
		hostlink_logf(hl, LOG_INFO,
			      "move %llu: attempt %u of move %llu: %u binding(s) share the grant: "
			      "pausing them",
			      (unsigned long long)m->id, m->attempt,
			      (unsigned long long)m->first_id, m->nr);
	else
		hostlink_logf(
		    hl, LOG_INFO,
		    "move %llu: a sharer let a shared grant go, %u binding(s) remain: pausing them",
		    (unsigned long long)m->id, m->nr);
	if (move_answered(hl, m))
		move_advance(hl, m);
	else
		hostlink_wake_at(hl, m->due_ms);
}

/* Start moves for every grant a release or forced release left shared. */
void hostlink_moves_take(struct hostlink *hl)
{
	while (hl->cfg.md) {
		struct move *m = calloc(1, sizeof(*m));

		if (!m) {
			/* the grants stay marked: taken again later (hostlink_moves_tick()) */
			hostlink_logf(hl, LOG_WARNING,
				      "moves: out of memory: looking for shared grants to move "
				      "again in %u ms",
				      HOSTLINK_MOVE_RETRY_MAX_MS);
			hl->take_due_ms = hostlink_now_ms(hl) + HOSTLINK_MOVE_RETRY_MAX_MS;
			hostlink_wake_at(hl, hl->take_due_ms);
			return;
		}
		m->id = mem_dev_move_take(hl->cfg.md);
		if (!m->id) {
			free(m);
			return;
		}
		m->attempt = 1;
		m->first_id = m->id;
		m->next = hl->moves;
		hl->moves = m;
		move_start(hl, m);
	}
}

/* The peer of m for sharer binding s (appended when new): its index, or -1 (no memory). */
static int move_peer_of(struct move *m, const struct mem_move_sharer *s)
{
	struct move_peer *p;

	for (uint32_t i = 0; i < m->nr; i++)
		if (m->p[i].host == s->host && m->p[i].dpa == s->dpa)
			return (int)i;
	p = realloc(m->p, (m->nr + 1) * sizeof(*p));
	if (!p)
		return -1;
	m->p = p;
	p[m->nr] = (struct move_peer){ .host = s->host, .dpa = s->dpa, .len = s->len };
	return (int)m->nr++;
}

/* Whether m has paused the binding at dpa on the connection of that serial. */
static bool paused_on(const struct move *m, uint64_t serial, uint64_t dpa)
{
	for (uint32_t i = 0; i < m->nr_pz; i++)
		if (m->pz[i].conn == serial && m->pz[i].pm.dpa == dpa)
			return true;
	return false;
}

/*
 * c's host was just sent the MAPs of [dpa, end) (it connected: its replay;
 * or it accepted an extent).  Those of a grant a move has paused are of the
 * grant being retired: the host is paused as well, on c, so that nothing it
 * writes misses the copy.  The phase keeps its deadline.
 */
void hostlink_moves_join(struct conn *c, uint64_t dpa, uint64_t end)
{
	struct hostlink *hl = c->hl;

	for (struct move *m = hl->moves; m; m = m->next) {
		struct mem_move_sharer *s;
		uint32_t n = 0, got = 0;

		if (m->phase != HL_MOVE_PAUSED || mem_dev_move_sharers(hl->cfg.md, m->id, NULL, 0, &n) ||
		    !n)
			continue;
		s = calloc(n, sizeof(*s));
		if (!s || mem_dev_move_sharers(hl->cfg.md, m->id, s, n, &got)) {
			free(s);
			continue;
		}
		for (uint32_t j = 0; j < n && j < got; j++) {
			int i;

			if (s[j].host != c->host || s[j].dpa >= end || s[j].dpa + s[j].len <= dpa ||
			    paused_on(m, c->serial, s[j].dpa))
				continue;
			i = move_peer_of(m, &s[j]);
			if (i >= 0)
				send_pause(hl, m, (uint32_t)i, c);
		}
		free(s);
	}
}

/*
 * Every PAUSE m sent ends: its host, if it asked and is still on the
 * connection paused, gets a MOVE_END of the same range after m's REMAPs.
 * Whatever of it no REMAP replaced has no grant to go to.
 */
static void end_pauses(struct hostlink *hl, const struct move *m)
{
	for (uint32_t i = 0; i < m->nr_pz; i++) {
		const struct move_pause *z = &m->pz[i];
		const struct hl_move_end e = { .dpa = z->pm.dpa, .len = z->pm.len, .id = z->pm.id };
		struct conn *c = conn_of_serial(hl, z->host, z->conn);

		if (!c || !c->move_end)
			continue;
		hostlink_conn_send(c, HL_MOVE_END, hostlink_conn_next_seq(c), HL_MOVE_END_SIZE,
				   enc_move_end_cb, &e, NULL);
		hl->st.move_ends++;
	}
}

/*
 * Every path of an attempt ends here (hostlink_free() aside: it closes every
 * connection): its PAUSEs end, and then the move does, or, when the attempt
 * could not switch, it waits for its next attempt.
 */
static void move_end(struct hostlink *hl, struct move *m)
{
	end_pauses(hl, m);
	if (m->failed[0]) {
		move_wait(hl, m);
	} else {
		move_unlink(hl, m);
		mem_dev_move_finish(hl->cfg.md, m->id);
		hostlink_move_free(m);
	}
	hostlink_moves_take(hl); /* a release during the move may have marked the fresh grant */
}

/* The wait of m is over: its next attempt, under a new id, unless the grant is gone. */
static void move_again(struct hostlink *hl, struct move *m)
{
	uint64_t id = mem_dev_move_again(hl->cfg.md, m->id);

	hl->st.moves_waiting--;
	if (!id) {
		hostlink_logf(
		    hl, LOG_INFO,
		    "move %llu: the grant is gone (its last sharer left): nothing to move",
		    (unsigned long long)m->id);
		move_unlink(hl, m);
		mem_dev_move_finish(hl->cfg.md, m->id);
		hostlink_move_free(m);
		return;
	}
	hl->st.move_retries++;
	m->id = id;
	m->attempt++;
	move_start(hl, m);
}

/* The segments of peer p's range now, into *segs (one, or allocated); 0 or -errno (err). */
static int remap_segments(struct hostlink *hl, const struct move_peer *p, struct mem_segment *one,
			  struct mem_segment **segs, uint32_t *n, char *err, size_t cap)
{
	int rc = move_fault(hl, HOSTLINK_MOVE_REMAP, p->host);

	*segs = one;
	if (rc) {
		snprintf(err, cap, "%s", strerror(-rc));
		return rc;
	}
	rc = mem_dev_segments(hl->cfg.md, p->host, p->dpa, p->len, one, 8, n, err, cap);
	if (rc == -ENOSPC && *n > 8) {
		*segs = calloc(*n, sizeof(**segs));
		if (!*segs) {
			*segs = one;
			snprintf(err, cap, "out of memory");
			return -ENOMEM;
		}
		rc = mem_dev_segments(hl->cfg.md, p->host, p->dpa, p->len, *segs, *n, n, err, cap);
	}
	return rc;
}

/* Send REMAPs of peer p's range (its segments now) on c; return how many. */
static uint32_t send_remaps(struct hostlink *hl, struct conn *c, const struct move_peer *p,
			    uint64_t id)
{
	struct mem_segment one[8], *segs;
	uint32_t n = 0, sent = 0;
	char err[160];

	if (remap_segments(hl, p, one, &segs, &n, err, sizeof(err))) {
		hl->st.map_errors++;
		hostlink_logf(
		    hl, LOG_WARNING,
		    "move %llu: host=%u dpa=0x%llx not remappable: %s (its MOVE_END ends it)",
		    (unsigned long long)id, p->host, (unsigned long long)p->dpa, err);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct hl_remap rm = { .map = { .dpa = segs[i].dpa, .len = segs[i].len,
						.offset = segs[i].offset,
						.flags = segs[i].writable ? HL_MAP_F_WRITABLE : 0 },
				       .id = id };
		struct qfd *qf;

		if (hostlink_qfd_get(c, &segs[i], &qf))
			break;
		if (hostlink_conn_send(c, HL_REMAP, hostlink_conn_next_seq(c), HL_REMAP_SIZE,
				       enc_remap_cb, &rm, qf) == 0)
			sent++;
	}
out:
	if (segs != one)
		free(segs);
	return sent;
}

/* The phase of m is over (every sharer answered, or its time ran out). */
static void move_advance(struct hostlink *hl, struct move *m)
{
	bool seam;
	int rc;

	if (m->phase == HL_MOVE_REMAPPED) {
		move_end(hl, m);
		return;
	}
	rc = move_fault(hl, HOSTLINK_MOVE_SWITCH, 0);
	seam = rc != 0;
	if (!rc)
		rc = mem_dev_move_switch(hl->cfg.md, m->id);
	if (rc == -ENOENT) {
		move_end(hl, m); /* the last sharer left: the grant was punched */
		return;
	}
	if (rc) {
		/* the sharers resume on the old grant (their REMAP carries it); then m waits */
		snprintf(m->failed, sizeof(m->failed), "cannot make a fresh grant: %s",
			 rc == -EALREADY ? "switched before" :
			 seam ? strerror(-rc) : mem_dev_last_error(hl->cfg.md));
	} else {
		hl->st.moves++;
		if (m->attempt > 1)
			hostlink_logf(hl, LOG_INFO,
				      "move %llu: attempt %u of move %llu made a fresh grant: the "
				      "old one is punched when the sharers have remapped",
				      (unsigned long long)m->id, m->attempt,
				      (unsigned long long)m->first_id);
	}
	rc = move_fault(hl, HOSTLINK_MOVE_LOAD, 0);
	if (!rc)
		rc = move_load(hl, m);
	if (rc) /* m->p still lists the sharers paused: remap those, onto what holds them now */
		hostlink_logf(
		    hl, LOG_WARNING,
		    "move %llu: cannot read the sharers again: %s: remapping the %u paused",
		    (unsigned long long)m->id, strerror(-rc), m->nr);
	m->phase = HL_MOVE_REMAPPED;
	m->due_ms = hostlink_now_ms(hl) + hl->cfg.move_timeout_ms;
	for (uint32_t i = 0; i < m->nr; i++) {
		struct conn *c = hostlink_conn_of_host(hl, m->p[i].host);

		m->p[i].conn = 0;
		m->p[i].waiting = 0;
		if (!c || !c->mapping)
			continue;
		m->p[i].conn = c->serial;
		m->p[i].waiting = send_remaps(hl, c, &m->p[i], m->id);
	}
	if (move_answered(hl, m))
		move_end(hl, m);
	else
		hostlink_wake_at(hl, m->due_ms);
}

void hostlink_move_ack(struct conn *c, const struct hl_hdr *h, const uint8_t *p)
{
	struct hostlink *hl = c->hl;
	struct hl_move_ack a;
	struct move *m;

	if (hl_dec_move_ack(p, h->len, &a)) {
		hostlink_conn_violation(c, "malformed move-ack");
		return;
	}
	for (m = hl->moves; m && m->id != a.id; m = m->next)
		;
	if (!m || m->phase != a.phase)
		return; /* late: that phase ended without it */
	for (uint32_t i = 0; i < m->nr; i++) {
		if (m->p[i].conn == c->serial && m->p[i].waiting) {
			m->p[i].waiting--;
			break;
		}
	}
	if (move_answered(hl, m))
		move_advance(hl, m);
}

/*
 * Phases whose time ran out end now, and waits that are over start their
 * next attempt; return the next due time (0: none).
 */
uint64_t hostlink_moves_tick(struct hostlink *hl, uint64_t now)
{
	uint64_t next = 0;
	bool again = true;

	if (hl->take_due_ms && hl->take_due_ms <= now) {
		hl->take_due_ms = 0;
		hostlink_moves_take(hl);
	}
	while (again) {
		again = false;
		next = hl->take_due_ms;
		for (struct move *m = hl->moves; m; m = m->next) {
			if (m->due_ms > now) {
				if (!next || m->due_ms < next)
					next = m->due_ms;
				continue;
			}
			if (m->phase == MOVE_WAITING) {
				move_again(hl, m); /* may free m and start others: look again */
				again = true;
				break;
			}
			for (uint32_t i = 0; i < m->nr; i++) {
				if (m->p[i].waiting && conn_of_serial(hl, m->p[i].host, m->p[i].conn)) {
					hl->st.move_timeouts++;
					hostlink_logf(hl, LOG_WARNING,
						      "move %llu: host=%u did not answer %s in %u "
						      "ms: going on without it",
						      (unsigned long long)m->id, m->p[i].host,
						      m->phase == HL_MOVE_PAUSED ? "pause"
										 : "remap",
						      hl->cfg.move_timeout_ms);
				}
			}
			move_advance(hl, m); /* may free m and start others: look again */
			again = true;
			break;
		}
	}
	return next;
}
