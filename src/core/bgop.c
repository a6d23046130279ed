/* SPDX-License-Identifier: MIT */
/*
 * bgop.c - background operations of a host's mailbox (CXL r3.2 §8.2.10.1:
 * one at a time per CCI; status 0002h, abort 0005h): Scan Media (4304h),
 * whose results (4305h) are the poison the host can access in the scanned
 * range, and Sanitize (4400h), which erases at once and then "runs".
 *
 * Progress is a function of model time only (core_dev_set_time): an
 * operation started at t0 lasting d is p% done at t0 + d*p/100 and complete
 * at t0 + d.  The results are taken when the scan starts, so nothing needs
 * to happen at completion and a journal replay reaches the same state
 * whatever the daemon's timer did.
 */
#include "core/model.h"


void bgop_fini(struct cxldcd_dev *dev)
{
	for (uint16_t h = 0; dev->bg && h < dev->cfg.nr_hosts; h++)
		core_free(dev, dev->bg[h]);
	core_free(dev, dev->bg);
	dev->bg = NULL;
}

static const struct bgop *get(const struct cxldcd_dev *dev, uint16_t host)
{
	return dev->bg && core_host_ok(dev, host) ? dev->bg[host] : NULL;
}

static bool running(const struct cxldcd_dev *dev, const struct bgop *b)
{
	return b && b->opcode && !b->aborted && dev->now < b->start_ns + b->dur_ns;
}

uint64_t core_scan_media_estimate_ms(uint64_t len)
{
	return (len + CORE_SCAN_BYTES_PER_MS - 1) / CORE_SCAN_BYTES_PER_MS;
}

void core_bg_status(const struct cxldcd_dev *dev, uint16_t host, struct core_bg_status *st)
{
	const struct bgop *b = get(dev, host);
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
		st->percent = b->aborted ? (uint8_t)((end - b->start_ns) * 100 / b->dur_ns) : 100;
	st->rc = st->running ? CXLDCD_RC_SUCCESS :
				b->aborted ? CXLDCD_RC_ABORTED : CXLDCD_RC_SUCCESS;
}

bool core_bg_busy(const struct cxldcd_dev *dev, uint16_t host)
{
	return running(dev, get(dev, host));
}

/* A host's bgop, made on first use; NULL: out of memory. */
static struct bgop *slot(struct cxldcd_dev *dev, uint16_t host)
{
	bool fresh = !dev->bg;

	if (fresh)
		dev->bg = core_zalloc(dev, sizeof(*dev->bg) * dev->cfg.nr_hosts);
	if (dev->bg && !dev->bg[host])
		dev->bg[host] = core_zalloc(dev, sizeof(*dev->bg[host]));
	if (fresh && dev->bg && !dev->bg[host]) {   /* leave no trace (snapshots) */
		core_free(dev, dev->bg);
		dev->bg = NULL;
	}
	return dev->bg ? dev->bg[host] : NULL;
}

struct erase {
	struct cxldcd_dev *dev;
	uint16_t host;
	uint64_t bytes;
};

static bool erase_piece(void *opaque, uint64_t dpa, uint64_t len)
{
	struct erase *e = opaque;
	struct cxldcd_dev *dev = e->dev;

	core_poison_forget(dev, dpa, len);
	for (uint32_t i = 0; i < dev->nr_obs; i++)
		if (dev->obs[i].ops->media_sanitized)
			dev->obs[i].ops->media_sanitized(dev->obs[i].opaque, e->host, dpa, len);
	e->bytes += len;
	return true;
}

static enum cxldcd_rc erase(struct cxldcd_dev *dev, uint16_t host, bool background,
			    struct cxldcd_diag *diag)
{
	struct erase e = { .dev = dev, .host = host };
	struct bgop *b;

	if (!core_host_ok(dev, host))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", host);
	if (core_bg_busy(dev, host))
		return core_diag(diag, CXLDCD_RC_BUSY, -1, "a background operation is running");
	b = background ? slot(dev, host) : NULL;
	if (background && !b)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	core_host_pieces(dev, host, 0, UINT64_MAX, erase_piece, &e);
	if (b) {
		*b = (struct bgop){ .opcode = CXLDCD_OP_SANITIZE, .start_ns = dev->now };
		b->dur_ns = core_scan_media_estimate_ms(e.bytes) * 1000000u;
		if (!b->dur_ns)
			b->dur_ns = 1000000u;
	}
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_sanitize_start(struct cxldcd_dev *dev, uint16_t host, struct cxldcd_diag *diag)
{
	return erase(dev, host, true, diag);
}

enum cxldcd_rc core_secure_erase(struct cxldcd_dev *dev, uint16_t host, struct cxldcd_diag *diag)
{
	return erase(dev, host, false, diag);
}

enum cxldcd_rc core_scan_media_start(struct cxldcd_dev *dev, uint16_t host, uint64_t dpa,
				     uint64_t len, struct cxldcd_diag *diag)
{
	struct bgop *b;
	uint64_t end;

	if (!core_host_ok(dev, host))
		return core_diag(diag, CXLDCD_RC_INVALID_INPUT, -1, "host=%u unknown", host);
	if (core_bg_busy(dev, host))
		return core_diag(diag, CXLDCD_RC_BUSY, -1, "a background operation is running");
	if (!len || __builtin_add_overflow(dpa, len, &end) ||
	    !core_host_can_access(dev, host, dpa, len))
		return core_diag(diag, CXLDCD_RC_INVALID_PA, -1,
				 "dpa=0x%llx len=0x%llx not accessible to host=%u",
				 (unsigned long long)dpa, (unsigned long long)len, host);
	b = slot(dev, host);
	if (!b)
		return core_diag(diag, CXLDCD_RC_INTERNAL_ERROR, -1, "out of memory");
	b->opcode = CXLDCD_OP_SCAN_MEDIA;
	b->start_ns = dev->now;
	b->dur_ns = core_scan_media_estimate_ms(len) * 1000000u;
	b->aborted = false;
	b->dpa = dpa;
	b->len = len;
	b->n = core_poison_list(dev, host, dpa, len, b->rec, CORE_POISON_MAX, &b->more);
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_bg_abort(struct cxldcd_dev *dev, uint16_t host)
{
	struct bgop *b = dev->bg && core_host_ok(dev, host) ? dev->bg[host] : NULL;

	if (!running(dev, b))
		return CXLDCD_RC_SUCCESS;   /* nothing to abort */
	if (b->opcode == CXLDCD_OP_SANITIZE)
		return CXLDCD_RC_REQUEST_ABORT_NOT_SUPPORTED;
	b->aborted = true;
	b->abort_ns = dev->now;
	return CXLDCD_RC_SUCCESS;
}

enum cxldcd_rc core_scan_media_results(const struct cxldcd_dev *dev, uint16_t host,
				       struct core_scan_results *out)
{
	const struct bgop *b = get(dev, host);
	uint64_t done;

	if (!b || b->opcode != CXLDCD_OP_SCAN_MEDIA)
		return CXLDCD_RC_INVALID_INPUT;     /* no scan ran */
	if (running(dev, b))
		return CXLDCD_RC_BUSY;
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
	return CXLDCD_RC_SUCCESS;
}
