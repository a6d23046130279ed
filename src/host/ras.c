/* SPDX-License-Identifier: MIT */
/*
 * ras.c - CXL RAS errors on the host side: what Linux's cxl_pci does with
 * the CXL RAS Capability registers (CXL r3.2 §8.2.4.17) of a memory device.
 * At connect it unmasks every error (cxl_pci_ras_unmask()); on RAS_IRQ, the
 * AER message, it reads the registers, reports the error with the fields of
 * the cxl_aer_uncorrectable_error / cxl_aer_correctable_error trace events
 * (status, first error, header log, serial) and writes the status back to
 * clear it.  The register reads and writes are host-link commands
 * (RAS_READ_REQ / RAS_WRITE_REQ) in the same queue as CCI commands.
 * What it is not: a policy (no reset or recovery follows an error).
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlink/proto.h"

/* Linux's words for the status bits (drivers/cxl/core/trace.h), by bit. */
static const char *const unc_name[32] = {
	[0] = "Cache Data Parity Error",
	[1] = "Cache Address Parity Error",
	[2] = "Cache Byte Enable Parity Error",
	[3] = "Cache Data ECC Error",
	[4] = "Memory Data Parity Error",
	[5] = "Memory Address Parity Error",
	[6] = "Memory Byte Enable Parity Error",
	[7] = "Memory Data ECC Error",
	[8] = "REINIT Threshold Hit",
	[9] = "Received Unrecognized Encoding",
	[10] = "Received Poison From Peer",
	[11] = "Receiver Overflow",
	[14] = "Component Specific Error",
	[15] = "IDE Tx Error",
	[16] = "IDE Rx Error",
};

static const char *const cor_name[32] = {
	[0] = "Cache Data ECC Error",
	[1] = "Memory Data ECC Error",
	[2] = "CRC Threshold Hit",
	[3] = "Retry Threshold",
	[4] = "Received Cache Poison From Peer",
	[5] = "Received Memory Poison From Peer",
	[6] = "Received Error From Physical Layer",
};

size_t cxldcd_ras_format(bool uncorrectable, uint32_t status, char *out, size_t size)
{
	const char *const *name = uncorrectable ? unc_name : cor_name;
	size_t len = 0;
	int n;

	if (!size)
		return 0;
	out[0] = '\0';
	for (unsigned b = 0; b < 32; b++) {
		if (!(status & (1u << b)))
			continue;
		if (name[b])
			n = snprintf(out + len, size - len, "%s%s", len ? " | " : "", name[b]);
		else    /* as __print_flags shows bits it has no word for */
			n = snprintf(out + len, size - len, "%s0x%x", len ? " | " : "", 1u << b);
		if (n < 0 || (size_t)n >= size - len) {
			out[len] = '\0';   /* no word cut in half */
			return len;
		}
		len += (size_t)n;
	}
	return len;
}

int ras_submit(struct cxldcd_host *h, enum cmd_kind kind, uint32_t offset, uint32_t value,
	       void *buf, cxldcd_host_io_fn *done, void *opaque)
{
	struct hl_ras_write m = { .offset = offset, .value = value };
	bool write = kind == CMD_RAS_WRITE;
	struct cmd *c;
	struct wwr w;

	if (h->state == CXLDCD_HOST_FAILED)
		return h->fail_err;
	if (h->state == CXLDCD_HOST_CONNECTING)
		return -EAGAIN;
	if (!h->ras_dev)
		return -EOPNOTSUPP;     /* a device from before RAS messages would close the link */
	c = calloc(1, sizeof(*c) + (write ? HL_RAS_WRITE_REQ_SIZE : 0));
	if (!c)
		return -ENOMEM;
	if (write) {
		wwr_init(&w, c->in, HL_RAS_WRITE_REQ_SIZE);
		hl_enc_ras_write(&w, &m);
		c->in_len = HL_RAS_WRITE_REQ_SIZE;
	}
	c->kind = kind;
	c->buf = buf;
	c->io_done = done;
	c->io_opaque = opaque;
	link_enqueue(h, c);
	return 0;
}

void ras_connect(struct cxldcd_host *h)
{
	if (h->cfg.no_ras || !h->ras_on)
		return;
	ras_submit(h, CMD_RAS_WRITE, CXLDCD_RAS_UNC_MASK, 0, NULL, NULL, NULL);
	ras_submit(h, CMD_RAS_WRITE, CXLDCD_RAS_COR_MASK, 0, NULL, NULL, NULL);
}

/* Identify (0001h): the serial number at offset 8 (CXL r3.2 §8.2.10.1.1). */
static void identify_done(struct cxldcd_host *h, struct cmd *c, int err, uint16_t rc,
			  const uint8_t *out, size_t len)
{
	(void)c;
	if (err || rc || len < 16)
		return;
	h->serial = 0;
	for (int i = 7; i >= 0; i--)
		h->serial = h->serial << 8 | out[8 + i];
	h->serial_known = true;
}

static void report(struct cxldcd_host *h, bool uncorrectable, const struct cxldcd_host_ras_error *e)
{
	struct cxldcd_host_event ev = {
		.type = uncorrectable ? CXLDCD_HOST_EV_RAS_UNCORRECTABLE
				      : CXLDCD_HOST_EV_RAS_CORRECTABLE,
		.ras = e,
	};
	char st[512], fe[128], text[700];

	cxldcd_ras_format(uncorrectable, e->status, st, sizeof(st));
	if (uncorrectable) {
		cxldcd_ras_format(true, e->first_error, fe, sizeof(fe));
		snprintf(text, sizeof(text), "status: '%s' first_error: '%s'", st, fe);
	} else {
		snprintf(text, sizeof(text), "status: '%s'", st);
	}
	ev.text = text;
	host_log_event(h, LOG_WARNING, ev.type, NULL, text);
	if (h->cfg.event_fn)
		h->cfg.event_fn(h->cfg.event_opaque, &ev);
}

/*
 * The registers are in h->ras_buf.  As Linux's cxl_handle_ras(): nothing set,
 * nothing to do; with several bits set the first error is the First Error
 * Pointer's bit, else the one bit; the status read is written back.
 */
static void handle(struct cxldcd_host *h, int err, bool uncorrectable)
{
	struct cxldcd_host_ras_error e = { .serial = h->serial };
	struct hl_ras_regs r;
	uint32_t fep;

	if (err || hl_dec_ras_regs(h->ras_buf, sizeof(h->ras_buf), &r)) {
		host_log(h, LOG_WARNING, "ras: cannot read the RAS registers: %s",
			 strerror(err ? -err : EPROTO));
		return;
	}
	e.status = uncorrectable ? r.unc_status & CXLDCD_RAS_UNC_BITS
				 : r.cor_status & CXLDCD_RAS_COR_BITS;
	if (!e.status)
		return;
	if (uncorrectable) {
		fep = r.cap_ctrl & CXLDCD_RAS_FEP_MASK;
		e.first_error = __builtin_popcount(e.status) > 1 ? (fep < 32 ? 1u << fep : 0)
								 : e.status;
		memcpy(e.header_log, r.header_log, sizeof(e.header_log));
	}
	report(h, uncorrectable, &e);
	ras_submit(h, CMD_RAS_WRITE, uncorrectable ? CXLDCD_RAS_UNC_STATUS : CXLDCD_RAS_COR_STATUS,
		   e.status, NULL, NULL, NULL);
}

static void unc_read_done(void *opaque, int err)
{
	handle(opaque, err, true);
}

static void cor_read_done(void *opaque, int err)
{
	handle(opaque, err, false);
}

void ras_irq(struct cxldcd_host *h, bool uncorrectable)
{
	if (!h->serial_known)
		host_cmd(h, CXLDCD_OP_IDENTIFY, NULL, 0, identify_done, (struct cont){ 0 });
	ras_submit(h, CMD_RAS_READ, 0, 0, h->ras_buf,
		   uncorrectable ? unc_read_done : cor_read_done, h);
}
