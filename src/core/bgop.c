/* SPDX-License-Identifier: MIT */
/*
 * bgop.c - background operations of a CCI (CXL r3.2 §8.2.10.1: one at a
 * time per CCI; status 0002h, abort 0005h): Scan Media (4304h), whose
 * results (4305h) are the poison the caller can access in the scanned range,
 * Sanitize (4400h) and Media Operations (4402h), which erase at once and then
 * "run".  Each host's mailbox has a slot, and the Type 3 device's MCTP-based
 * CCI (owner CORE_OWNER_FM) one more, after the hosts'.
 *
 * Progress is a function of model time only (core_dev_set_time): an
 * operation started at t0 lasting d is p% done at t0 + d*p/100 and complete
 * at t0 + d.  The results are taken when the scan starts, so nothing needs
 * to happen at completion and a journal replay reaches the same state
 * whatever the daemon's timer did.  Memory sparing (0600h, maint.c) is the
 * one operation that does something at completion: its repair is counted
 * and its Memory Sparing Event Record logged by bgop_settle() wherever
 * model time moves, stamped with the completion time, so a replay logs the
 * same record in the same place among the other records.  An erase whose
 * proof record the daemon could not store runs to its end as any other
 * and then reports Internal Error as its result in 0002h
 * (core_bg_erase_answered(); after a restart, core_bg_result_set() gives
 * it back to the same operation).
 */
#include "core/model.h"


void bgop_fini(struct cxldcd_dev *dev)
{
	for (uint32_t i = 0; dev->bg && i < BG_SLOTS(dev); i++)
		core_free(dev, dev->bg[i]);
	core_free(dev, dev->bg);
	dev->bg = NULL;
}

/* owner: a host or CORE_OWNER_FM. */
static bool owner_ok(const struct cxldcd_dev *dev, uint16_t owner)
{
	return owner == CORE_OWNER_FM || core_host_ok(dev, owner);
}

/* The slot of owner's CCI: the host's index, or the last one for CORE_OWNER_FM. */
static uint32_t slot_of(const struct cxldcd_dev *dev, uint16_t owner)
{
	return owner == CORE_OWNER_FM ? dev->cfg.nr_hosts : owner;
}

static const struct bgop *get(const struct cxldcd_dev *dev, uint16_t owner)
{
	return dev->bg && owner_ok(dev, owner) ? dev->bg[slot_of(dev, owner)] : NULL;
}

static bool running(const struct cxldcd_dev *dev, const struct bgop *b)
{
	return b && b->opcode && !b->aborted && dev->now < b->start_ns + b->dur_ns;
}

uint64_t core_scan_media_estimate_ms(uint64_t len)
{
	return (len + CORE_SCAN_BYTES_PER_MS - 1) / CORE_SCAN_BYTES_PER_MS;
}

void core_bg_status(const struct cxldcd_dev *dev, uint16_t owner, struct core_bg_status *st)
{
	const struct bgop *b = get(dev, owner);
	uint64_t end;

	*st = (struct core_bg_status){ 0 };
	if (!b || !b->opcode)
		return;
	st->opcode = b->opcode;
	end = b->aborted ? b->abort_ns : b->start_ns + b->dur_ns;
	st->running = running(dev, b);
	if (st->running)
		st->percent = (uint8_t)((dev->now - b->start_ns) * 100 / b->dur_ns);
	else
		st->percent = (uint8_t)(b->aborted ? (end - b->start_ns) * 100 / b->dur_ns : 100);
	st->rc = st->running ? CXLDCD_RC_SUCCESS :
				b->aborted ? CXLDCD_RC_ABORTED : (enum cxldcd_rc)b->result;
}

bool core_bg_busy(const struct cxldcd_dev *dev, uint16_t owner)
{
	return running(dev, get(dev, owner));
}

/* owner's bgop, made on first use; NULL: out of memory. */
static struct bgop *slot(struct cxldcd_dev *dev, uint16_t owner)
{
	uint32_t i = slot_of(dev, owner);
	bool fresh = !dev->bg;

	if (fresh)
		dev->bg = core_zalloc(dev, sizeof(*dev->bg) * BG_SLOTS(dev));
	if (dev->bg && !dev->bg[i])
		dev->bg[i] = core_zalloc(dev, sizeof(*dev->bg[i]));
	if (fresh && dev->bg && !dev->bg[i]) {      /* leave no trace (snapshots) */
		core_free(dev, dev->bg);
		dev->bg = NULL;
	}
	return dev->bg ? dev->bg[i] : NULL;
}

struct erase {
	struct cxldcd_dev *dev;
	uint16_t host;              /* whose binding the zeros go through */
	uint64_t bytes;
};

/* Zero a piece of e->host's capacity through its binding (media_sanitized). */
static bool zero_piece(void *opaque, uint64_t dpa, uint64_t len)
{
	struct erase *e = opaque;
	struct cxldcd_dev *dev = e->dev;

	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->media_sanitized)
			dev->obs[i].ops->media_sanitized(dev->obs[i].opaque, e->host, dpa, len);
	e->bytes += len;
	return true;
}

static bool erase_piece(void *opaque, uint64_t dpa, uint64_t len)
{
	struct erase *e = opaque;

	core_poison_forget(e->dev, dpa, len);
	return zero_piece(opaque, dpa, len);
}

/*
 * Erase what owner reaches of [dpa, dpa+len): its poison is dropped and its
 * data zeroed through the holder's binding.  A host erases its own pieces;
 * CORE_OWNER_FM (the device's MCTP-based CCI: the whole device) drops all
 * poison in the range and zeroes every host's pieces.  Return: bytes zeroed.
 */
static uint64_t erase_range(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa, uint64_t len)
{
	struct erase e = { .dev = dev, .host = owner };

	if (owner != CORE_OWNER_FM) {
		core_host_pieces(dev, owner, dpa, len, erase_piece, &e);
		return e.bytes;
	}
	core_poison_forget(dev, dpa, len);
	for (e.host = 0; e.host < dev->cfg.nr_hosts; e.host++)
		core_host_pieces(dev, e.host, dpa, len, zero_piece, &e);
	return e.bytes;
}

static void scan_results(const struct bgop *b, struct core_scan_results *out);

/*
 * b runs opcode (not a Scan Media) from now for dur_ns.  The results of the
 * scan it ran last, or kept, stay (only a new Scan Media discards them,
 * CXL r3.2 §8.2.10.9.4.5), as 4305h reported them when it ended.
 */
static void start_other(const struct cxldcd_dev *dev, struct bgop *b, uint16_t opcode,
			uint64_t dur_ns)
{
	struct core_scan_results r;

	if (b->opcode == CXLDCD_OP_SCAN_MEDIA) {
		scan_results(b, &r);
		b->n = r.nr;
		b->scan_stopped = r.stopped;
		b->restart_dpa = r.restart_dpa;
		b->restart_len = r.restart_len;
		b->scan_kept = true;
	}
	b->opcode = opcode;
	b->start_ns = dev->now;
	b->dur_ns = dur_ns;
	b->aborted = false;
	b->abort_ns = 0;
	b->result = CXLDCD_RC_SUCCESS;
	b->owed = false;
	b->repair = 0;
	b->has_ev = false;
	memset(&b->ev, 0, sizeof(b->ev));
}

/* b reports opcode as running from now for the time bytes take (at least 1 ms). */
static void run_for(const struct cxldcd_dev *dev, struct bgop *b, uint16_t opcode, uint64_t bytes)
{
	uint64_t dur_ns = core_scan_media_estimate_ms(bytes) * 1000000u;

	start_other(dev, b, opcode, dur_ns ? dur_ns : 1000000u);
}

static enum cxldcd_rc erase(struct cxldcd_dev *dev, uint16_t owner, bool background,
			    struct cxldcd_diag *diag)
{
	struct bgop *b;
	uint64_t bytes;

	if (!owner_ok(dev, owner))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", owner);
	if (core_bg_busy(dev, owner))
		return core_diag(diag, CXLDCD_RC_BUSY, -1, "a background operation is running");
	b = background ? slot(dev, owner) : NULL;
	if (background && !b)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	bytes = erase_range(dev, owner, 0, UINT64_MAX);
	evlog_discard(dev, owner);
	if (b)
		run_for(dev, b, CXLDCD_OP_SANITIZE, bytes);
	dev->bg_erase = b ? slot_of(dev, owner) + 1 : 0;
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_sanitize_start(struct cxldcd_dev *dev, uint16_t owner, struct cxldcd_diag *diag)
{
	return erase(dev, owner, true, diag);
}

enum cxldcd_rc core_secure_erase(struct cxldcd_dev *dev, uint16_t owner, struct cxldcd_diag *diag)
{
	return erase(dev, owner, false, diag);
}

enum cxldcd_rc core_media_op(struct cxldcd_dev *dev, uint16_t owner, const struct cxldcd_range *rg,
			     uint32_t n, bool *started, struct cxldcd_diag *diag)
{
	struct bgop *b;
	uint64_t bytes = 0, end;

	*started = false;
	if (!owner_ok(dev, owner))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", owner);
	for (uint32_t i = 0; i < n; i++) {
		if (!rg[i].len || rg[i].dpa % CORE_MEDIA_OP_GRAN || rg[i].len % CORE_MEDIA_OP_GRAN)
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, (int32_t)i,
					 "range %u dpa=0x%llx len=0x%llx not a multiple of %u bytes",
					 i, (unsigned long long)rg[i].dpa,
					 (unsigned long long)rg[i].len, CORE_MEDIA_OP_GRAN);
		if (__builtin_add_overflow(rg[i].dpa, rg[i].len, &end) ||
		    !core_host_can_access(dev, owner, rg[i].dpa, rg[i].len))
			return core_diag(diag, CXLDCD_RC_INVALID_INPUT, (int32_t)i,
					 "range %u dpa=0x%llx len=0x%llx not accessible to the caller",
					 i, (unsigned long long)rg[i].dpa,
					 (unsigned long long)rg[i].len);
	}
	if (!n)
		return CXLDCD_RC_SUCCESS;
	if (core_bg_busy(dev, owner))
		return core_diag(diag, CXLDCD_RC_BUSY, -1, "a background operation is running");
	b = slot(dev, owner);
	if (!b)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		bytes += erase_range(dev, owner, rg[i].dpa, rg[i].len);
	evlog_discard(dev, owner);
	run_for(dev, b, CXLDCD_OP_MEDIA_OPERATIONS, bytes);
	dev->bg_erase = slot_of(dev, owner) + 1;
	*started = true;
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_scan_media_start(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
				     uint64_t len, struct cxldcd_diag *diag)
{
	struct bgop *b;
	uint64_t end;

	if (!owner_ok(dev, owner))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", owner);
	if (core_bg_busy(dev, owner))
		return core_diag(diag, CXLDCD_RC_BUSY, -1, "a background operation is running");
	if (!len || __builtin_add_overflow(dpa, len, &end) ||
	    !core_host_can_access(dev, owner, dpa, len))
		return core_diag(diag, CXLDCD_RC_INVALID_PA, -1,
				 "dpa=0x%llx len=0x%llx not accessible to the caller",
				 (unsigned long long)dpa, (unsigned long long)len);
	b = slot(dev, owner);
	if (!b)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	b->opcode = CXLDCD_OP_SCAN_MEDIA;
	b->start_ns = dev->now;
	b->dur_ns = core_scan_media_estimate_ms(len) * 1000000u;
	b->aborted = false;
	b->abort_ns = 0;
	b->result = CXLDCD_RC_SUCCESS;
	b->owed = b->has_ev = false;
	b->scan_kept = b->scan_stopped = false;
	b->restart_dpa = b->restart_len = 0;
	b->dpa = dpa;
	b->len = len;
	b->n = core_poison_list(dev, owner, dpa, len, b->rec, CORE_POISON_MAX, &b->more);
	return CXLDCD_RC_SUCCESS;
}

int bgop_start_sparing(struct cxldcd_dev *dev, uint16_t owner, uint8_t repair,
		       const struct cxldcd_event *ev)
{
	struct bgop *b = owner_ok(dev, owner) ? slot(dev, owner) : NULL;

	if (!b)
		return -ENOMEM;
	start_other(dev, b, CXLDCD_OP_PERFORM_MAINTENANCE, CORE_SPARING_MS * 1000000ull);
	b->owed = true;
	b->repair = repair;
	if (ev) {
		b->has_ev = true;
		b->ev = *ev;
	}
	return 0;
}

/*
 * A record an operation owes is logged when model time first reaches its
 * end, with that time as its timestamp (not the time of the request that
 * moved the clock), so the log's bytes depend only on the operation.
 */
void bgop_settle(struct cxldcd_dev *dev)
{
	uint64_t now = dev->now;

	for (uint32_t i = 0; dev->bg && i < BG_SLOTS(dev); i++) {
		struct bgop *b = dev->bg[i];
		uint16_t owner = i < dev->cfg.nr_hosts ? (uint16_t)i : CORE_OWNER_FM;

		if (!b || !b->owed || now < b->start_ns + b->dur_ns)
			continue;
		b->owed = false;
		if (b->repair < CORE_NR_REPAIRS && dev->feat.repairs[b->repair] < UINT32_MAX)
			dev->feat.repairs[b->repair]++;
		if (!b->has_ev)
			continue;
		dev->now = b->start_ns + b->dur_ns;
		evlog_append(dev, owner, CXLDCD_LOG_INFO, &b->ev);
		dev->now = now;
	}
}

/*
 * Sanitize and Media Operations do not list Abort in their Command Effects.
 * Memory sparing does (CXL r3.2 §8.2.10.7.1.4: "capable of being aborted by
 * the Request Abort Background Operation command"): an aborted one owes
 * nothing, no repair and no record.
 */
enum cxldcd_rc core_bg_abort(struct cxldcd_dev *dev, uint16_t owner)
{
	struct bgop *b = dev->bg && owner_ok(dev, owner) ? dev->bg[slot_of(dev, owner)] : NULL;

	if (!running(dev, b))
		return CXLDCD_RC_SUCCESS;   /* nothing to abort */
	if (b->opcode == CXLDCD_OP_SANITIZE || b->opcode == CXLDCD_OP_MEDIA_OPERATIONS)
		return CXLDCD_RC_REQUEST_ABORT_NOT_SUPPORTED;
	b->owed = false;
	b->aborted = true;
	b->abort_ns = dev->now;
	return CXLDCD_RC_SUCCESS;
}

/*
 * The erase that ran last started dev->bg_erase's operation: only it
 * erases (Sanitize, Media Operations), and one request runs one erase, so
 * the daemon calls this before another request can start one.
 */
void core_bg_erase_answered(struct cxldcd_dev *dev, enum cxldcd_rc rc)
{
	struct bgop *b = dev->bg && dev->bg_erase ? dev->bg[dev->bg_erase - 1] : NULL;

	dev->bg_erase = 0;
	if (b && (b->opcode == CXLDCD_OP_SANITIZE || b->opcode == CXLDCD_OP_MEDIA_OPERATIONS))
		b->result = (uint16_t)rc;
}

bool core_bg_erase_started(const struct cxldcd_dev *dev, struct core_bg_id *id)
{
	uint32_t slot = dev->bg_erase;      /* 1 + its slot; 0: none */
	const struct bgop *b = dev->bg && slot ? dev->bg[slot - 1] : NULL;

	if (!b)
		return false;
	id->owner = slot - 1 < dev->cfg.nr_hosts ? (uint16_t)(slot - 1) : CORE_OWNER_FM;
	id->opcode = b->opcode;
	id->start_ns = b->start_ns;
	return true;
}

bool core_bg_result_set(struct cxldcd_dev *dev, const struct core_bg_id *id, enum cxldcd_rc rc)
{
	struct bgop *b = dev->bg && owner_ok(dev, id->owner) ? dev->bg[slot_of(dev, id->owner)] : NULL;

	if (!b || b->opcode != id->opcode || b->start_ns != id->start_ns || b->aborted ||
	    (b->opcode != CXLDCD_OP_SANITIZE && b->opcode != CXLDCD_OP_MEDIA_OPERATIONS))
		return false;
	b->result = (uint16_t)rc;
	return true;
}

/* The results of b, a Scan Media that is not running. */
static void scan_results(const struct bgop *b, struct core_scan_results *out)
{
	uint64_t done;

	*out = (struct core_scan_results){ .more = b->more, .nr = b->n, .rec = b->rec };
	if (b->aborted) {   /* the part not scanned is where to restart */
		uint64_t pct = (b->abort_ns - b->start_ns) * 100 / b->dur_ns;   /* no overflow */

		done = b->len / 100 * pct + b->len % 100 * pct / 100;
		done &= ~63ull;
		out->stopped = true;
		out->restart_dpa = b->dpa + done;
		out->restart_len = b->len - done;
		while (out->nr && out->rec[out->nr - 1].dpa >= out->restart_dpa)
			out->nr--;
	}
}

/*
 * No scan ran since the device was made: Unsupported (CXL r3.2
 * §8.2.10.9.4.6).  Busy while an operation runs on the CCI.  A scan's
 * results stay until the next Scan Media, whatever ran in between.
 */
enum cxldcd_rc core_scan_media_results(const struct cxldcd_dev *dev, uint16_t owner,
				       struct core_scan_results *out)
{
	const struct bgop *b = get(dev, owner);

	if (!b || (b->opcode != CXLDCD_OP_SCAN_MEDIA && !b->scan_kept))
		return CXLDCD_RC_UNSUPPORTED;
	if (running(dev, b))
		return CXLDCD_RC_BUSY;
	if (b->opcode == CXLDCD_OP_SCAN_MEDIA) {
		scan_results(b, out);
		return CXLDCD_RC_SUCCESS;
	}
	*out = (struct core_scan_results){ .more = b->more, .nr = b->n, .rec = b->rec,
					   .stopped = b->scan_stopped,
					   .restart_dpa = b->restart_dpa,
					   .restart_len = b->restart_len };
	return CXLDCD_RC_SUCCESS;
}
