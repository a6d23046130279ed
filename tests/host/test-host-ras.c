/* SPDX-License-Identifier: MIT */
/*
 * test-host-ras.c - CXL RAS errors on the host link (docs/host-link.md,
 * RAS_IRQ / RAS_READ / RAS_WRITE): the wire bytes against a raw host, and
 * libcxldcd-host doing what Linux's cxl_pci does (unmask at connect; on the
 * AER message read status, first error pointer and header log, report, and
 * write the status back).  The errors are injected into the model as the
 * daemon's QMP commands do (core_ras_inject_*).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostlink/proto.h"
#include "../support/hl-raw.h"
#include "hx.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* HELLO for host with flags (accepted): the ACK's flags. */
static uint32_t raw_hello(struct hx *x, int fd, uint16_t host, uint8_t flags)
{
	uint32_t ack_flags;

	assert_int_equal(hx_raw_hello(x, fd, host, flags, &ack_flags), 0);
	return ack_flags;
}

/* RAS_WRITE_REQ (offset, value): the RAS_WRITE_RSP status. */
static uint32_t raw_ras_write(struct hx *x, int fd, uint32_t seq, uint32_t off, uint32_t val)
{
	uint8_t p[64] = { (uint8_t)off, (uint8_t)(off >> 8), (uint8_t)(off >> 16), (uint8_t)(off >> 24),
			  (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24) };
	uint32_t len, rseq;

	hl_raw_send(fd, HL_RAS_WRITE_REQ, seq, p, 8);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, &rseq, 1000), HL_RAS_WRITE_RSP);
	assert_int_equal(len, 8);
	assert_int_equal(rseq, seq);
	assert_int_equal(le32(p + 4), 0);       /* reserved */
	return le32(p);
}

/* RAS_READ_REQ: the 0x58 bytes of the structure into regs. */
static void raw_ras_read(struct hx *x, int fd, uint32_t seq, uint8_t regs[0x58])
{
	uint32_t len, rseq;

	hl_raw_send(fd, HL_RAS_READ_REQ, seq, NULL, 0);
	assert_int_equal(hx_raw_recv(x, fd, regs, 0x58, &len, &rseq, 1000), HL_RAS_READ_RSP);
	assert_int_equal(len, 0x58);
	assert_int_equal(rseq, seq);
}

static struct core_uncor_error uerr(uint8_t bit, uint32_t first, uint32_t n)
{
	struct core_uncor_error e = { .bit = bit };

	for (uint32_t i = 0; i < n; i++)
		e.header[i] = first + i;
	return e;
}

/*
 * The wire: RAS_IRQ carries the AER status bit (uncorrectable internal,
 * bit 22; correctable internal, bit 14) to a host that asked in HELLO; the
 * registers read back at the spec's offsets; status is write-1-to-clear
 * and the next recorded error's header shows.
 */
static void test_ras_messages_on_the_wire(void **state)
{
	struct hx *x = *state;
	struct core_uncor_error e[2] = { uerr(CXLDCD_RAS_UNC_CACHE_ADDRESS_PARITY, 3, 2),
					 uerr(CXLDCD_RAS_UNC_INTERNAL, 0x100, 16) };
	uint8_t p[0x58], r[0x58];
	uint32_t len;
	int fd = hx_raw_connect(x->sock), fd1 = hx_raw_connect(x->sock);

	assert_int_equal(raw_hello(x, fd, 0, HL_HELLO_F_RAS) & HL_ACK_F_RAS, HL_ACK_F_RAS);
	assert_int_equal(raw_hello(x, fd1, 1, 0) & HL_ACK_F_RAS, 0);
	raw_ras_read(x, fd, 2, r);              /* reset values */
	assert_int_equal(le32(r + 0x00), 0);
	assert_int_equal(le32(r + 0x04), 0x1cfff);
	assert_int_equal(le32(r + 0x08), 0x1cfff);
	assert_int_equal(le32(r + 0x0c), 0);
	assert_int_equal(le32(r + 0x10), 0x7f);
	assert_int_equal(le32(r + 0x14), 0x200);
	/* masked: nothing recorded, no message */
	assert_int_equal(core_ras_inject_uncor(x->dev, 0, e, 2, NULL), CXLDCD_RC_SUCCESS);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 100), 0);
	assert_int_equal(raw_ras_write(x, fd, 3, CXLDCD_RAS_UNC_MASK, 0), HL_S_OK);
	assert_int_equal(raw_ras_write(x, fd, 4, CXLDCD_RAS_COR_MASK, 0), HL_S_OK);
	assert_int_equal(raw_ras_write(x, fd1, 2, CXLDCD_RAS_UNC_MASK, 0), HL_S_OK);
	assert_int_equal(core_ras_inject_uncor(x->dev, CORE_RAS_ALL_HOSTS, e, 2, NULL),
			 CXLDCD_RC_SUCCESS);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 1000), HL_RAS_IRQ);
	assert_int_equal(len, HL_RAS_IRQ_SIZE);
	assert_int_equal(le32(p), 1u << 22);
	assert_int_equal(le32(p + 4), 0);
	assert_int_equal(hx_raw_recv(x, fd1, p, sizeof(p), &len, NULL, 100), 0); /* did not ask */
	raw_ras_read(x, fd, 5, r);
	assert_int_equal(le32(r + 0x00), (1u << 1) | (1u << 14));
	assert_int_equal(le32(r + 0x04), 0);
	assert_int_equal(le32(r + 0x14), 0x200 | 1);     /* First Error Pointer: bit 1 */
	assert_int_equal(le32(r + 0x18), 3);
	assert_int_equal(le32(r + 0x1c), 4);
	assert_int_equal(le32(r + 0x20), 0);
	/* write exactly the FEP's bit: the next error (and its header) shows */
	assert_int_equal(raw_ras_write(x, fd, 6, CXLDCD_RAS_UNC_STATUS, 1u << 1), HL_S_OK);
	raw_ras_read(x, fd, 7, r);
	assert_int_equal(le32(r + 0x00), 1u << 14);
	assert_int_equal(le32(r + 0x14), 0x200 | 14);
	for (int i = 0; i < 16; i++)
		assert_int_equal(le32(r + 0x18 + 4 * i), 0x100u + (uint32_t)i);
	assert_int_equal(raw_ras_write(x, fd, 8, CXLDCD_RAS_UNC_STATUS, 1u << 14), HL_S_OK);
	raw_ras_read(x, fd, 9, r);
	assert_int_equal(le32(r + 0x00), 0);
	assert_int_equal(le32(r + 0x14), 0x200 | 63);
	/* correctable: bit 14 of the AER correctable status */
	assert_int_equal(core_ras_inject_cor(x->dev, 0, CXLDCD_RAS_COR_PHYSICAL, NULL),
			 CXLDCD_RC_SUCCESS);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 1000), HL_RAS_IRQ);
	assert_int_equal(le32(p), 0);
	assert_int_equal(le32(p + 4), 1u << 14);
	raw_ras_read(x, fd, 10, r);
	assert_int_equal(le32(r + 0x0c), 0x40);
	assert_int_equal(raw_ras_write(x, fd, 11, CXLDCD_RAS_COR_STATUS, 0x40), HL_S_OK);
	raw_ras_read(x, fd, 12, r);
	assert_int_equal(le32(r + 0x0c), 0);
	/* a register offset that is not one: INVAL, the link goes on */
	assert_int_equal(raw_ras_write(x, fd, 13, 0x58, 0), HL_S_INVAL);
	assert_int_equal(raw_ras_write(x, fd, 14, 0x02, 0), HL_S_INVAL);
	/* host 1's registers are its own */
	raw_ras_read(x, fd1, 3, r);
	assert_int_equal(le32(r + 0x00), (1u << 1) | (1u << 14));
	/* a RAS_WRITE_REQ of the wrong size, a RAS_READ_REQ with a payload: violations */
	hl_raw_send(fd, HL_RAS_WRITE_REQ, 15, p, 4);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 1000), HL_ERROR);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 1000), -1);
	hl_raw_send(fd1, HL_RAS_READ_REQ, 4, p, 4);
	assert_int_equal(hx_raw_recv(x, fd1, p, sizeof(p), &len, NULL, 1000), HL_ERROR);
	close(fd);
	close(fd1);
}

/* Status still set when the host connects again (a link reset: sticky): RAS_IRQ after the ACK. */
static void test_ras_status_is_told_again_at_connect(void **state)
{
	struct hx *x = *state;
	struct core_uncor_error e = uerr(CXLDCD_RAS_UNC_MEM_DATA_ECC, 9, 1);
	uint8_t p[64];
	uint32_t len;
	int fd;

	assert_int_equal(core_ras_write(x->dev, 0, CXLDCD_RAS_UNC_MASK, 0, NULL), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_ras_inject_uncor(x->dev, 0, &e, 1, NULL), CXLDCD_RC_SUCCESS);
	fd = hx_raw_connect(x->sock);
	raw_hello(x, fd, 0, HL_HELLO_F_RAS);
	assert_int_equal(hx_raw_recv(x, fd, p, sizeof(p), &len, NULL, 1000), HL_RAS_IRQ);
	assert_int_equal(le32(p), 1u << 22);
	close(fd);
}

/* ---- libcxldcd-host ----------------------------------------------------- */

struct ras_seen {
	unsigned nr_unc, nr_cor;
	struct cxldcd_host_ras_error last_unc, last_cor;
	char text[512];
};

static struct ras_seen seen;
static cxldcd_host_event_fn *hx_fn;     /* the fixture's recorder, called first */

static void on_ras_event(void *opaque, const struct cxldcd_host_event *ev)
{
	hx_fn(opaque, ev);
	if (ev->type == CXLDCD_HOST_EV_RAS_UNCORRECTABLE) {
		assert_non_null(ev->ras);
		seen.nr_unc++;
		seen.last_unc = *ev->ras;
		snprintf(seen.text, sizeof(seen.text), "%s", ev->text);
	} else if (ev->type == CXLDCD_HOST_EV_RAS_CORRECTABLE) {
		assert_non_null(ev->ras);
		seen.nr_cor++;
		seen.last_cor = *ev->ras;
		snprintf(seen.text, sizeof(seen.text), "%s", ev->text);
	} else {
		assert_null(ev->ras);
	}
}

struct wait {
	bool done;
	int err;
};

static void wait_cb(void *opaque, int err)
{
	struct wait *w = opaque;

	w->done = true;
	w->err = err;
}

/* The async register API, pumping both sides until answered. */
static int ras_read(struct hx *x, struct cxldcd_host_ras_regs *r)
{
	struct wait w = { 0 };

	assert_int_equal(cxldcd_host_ras_read_async(x->h, r, wait_cb, &w), 0);
	for (int i = 0; i < 400 && !w.done; i++)
		hx_pump(x, 5);
	assert_true(w.done);
	return w.err;
}

static int ras_write(struct hx *x, uint32_t off, uint32_t val)
{
	struct wait w = { 0 };

	assert_int_equal(cxldcd_host_ras_write_async(x->h, off, val, wait_cb, &w), 0);
	for (int i = 0; i < 400 && !w.done; i++)
		hx_pump(x, 5);
	assert_true(w.done);
	return w.err;
}

static void pump_until(struct hx *x, const unsigned *counter, unsigned want)
{
	for (int i = 0; i < 400 && *counter < want; i++)
		hx_pump(x, 5);
	assert_int_equal(*counter, want);
	hx_pump(x, 50);     /* the clearing write */
}

/*
 * As cxl_pci: unmask at connect; on the AER message read the status, the
 * first error (the FEP's bit when several are set) and the header log,
 * report them, write the status back.  QEMU's documented example: three
 * errors, headers [3, 4], 0..31 and [1, 2, 4].
 */
static void test_library_reads_reports_and_clears(void **state)
{
	struct hx *x = *state;
	struct core_uncor_error e[3] = { uerr(CXLDCD_RAS_UNC_CACHE_ADDRESS_PARITY, 3, 2),
					 uerr(CXLDCD_RAS_UNC_CACHE_DATA_PARITY, 0, 16),
					 { .bit = CXLDCD_RAS_UNC_INTERNAL, .header = { 1, 2, 4 } } };
	struct cxldcd_host_ras_regs r;
	struct core_ras_regs cr;

	memset(&seen, 0, sizeof(seen));
	hx_host_cfg(x, &x->hcfg);
	hx_fn = x->hcfg.event_fn;
	x->hcfg.event_fn = on_ras_event;
	hx_host_start(x);
	core_ras_get(x->dev, 0, &cr);
	assert_int_equal(cr.unc_mask, 0);       /* unmasked at connect */
	assert_int_equal(cr.cor_mask, 0);
	core_ras_get(x->dev, 1, &cr);
	assert_int_equal(cr.unc_mask, 0x1cfff); /* not another host's */
	assert_int_equal(core_ras_inject_uncor(x->dev, CORE_RAS_ALL_HOSTS, e, 3, NULL),
			 CXLDCD_RC_SUCCESS);
	pump_until(x, &seen.nr_unc, 1);
	assert_int_equal(seen.last_unc.status, 0x4003);
	assert_int_equal(seen.last_unc.first_error, 1u << 1);
	assert_int_equal(seen.last_unc.header_log[0], 3);
	assert_int_equal(seen.last_unc.header_log[1], 4);
	assert_int_equal(seen.last_unc.header_log[2], 0);
	assert_int_equal(seen.last_unc.serial, core_dev_cfg(x->dev)->serial);
	assert_string_equal(seen.text, "status: 'Cache Data Parity Error | Cache Address Parity Error | "
				       "Component Specific Error' first_error: 'Cache Address Parity Error'");
	/* Linux writes every bit it read: all three records go, FEP points at no bit */
	core_ras_get(x->dev, 0, &cr);
	assert_int_equal(cr.unc_status, 0);
	assert_int_equal(cr.cap_ctrl, 0x200 | 63);
	assert_int_equal(ras_read(x, &r), 0);
	assert_int_equal(r.unc_status, 0);
	assert_int_equal(r.header_log[1], 4);
	/* one error: the first error is its bit */
	assert_int_equal(core_ras_inject_uncor(x->dev, 0, &e[2], 1, NULL), CXLDCD_RC_SUCCESS);
	pump_until(x, &seen.nr_unc, 2);
	assert_int_equal(seen.last_unc.status, 1u << 14);
	assert_int_equal(seen.last_unc.first_error, 1u << 14);
	assert_int_equal(seen.last_unc.header_log[2], 4);
	/* correctable */
	assert_int_equal(core_ras_inject_cor(x->dev, 0, CXLDCD_RAS_COR_MEM_DATA_ECC, NULL),
			 CXLDCD_RC_SUCCESS);
	pump_until(x, &seen.nr_cor, 1);
	assert_int_equal(seen.last_cor.status, 1u << 1);
	assert_string_equal(seen.text, "status: 'Memory Data ECC Error'");
	core_ras_get(x->dev, 0, &cr);
	assert_int_equal(cr.cor_status, 0);
	/* the register API: mask one, it is no longer reported */
	assert_int_equal(ras_write(x, CXLDCD_RAS_COR_MASK, 1u << 6), 0);
	assert_int_equal(ras_read(x, &r), 0);
	assert_int_equal(r.cor_mask, 1u << 6);
	assert_int_equal(core_ras_inject_cor(x->dev, 0, CXLDCD_RAS_COR_PHYSICAL, NULL),
			 CXLDCD_RC_SUCCESS);
	hx_pump(x, 100);
	assert_int_equal(seen.nr_cor, 1);
	assert_int_equal(ras_write(x, 0x5c, 0), -EINVAL);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	hx_host_stop(x);
}

/* no_ras: RAS_IRQ ignored, the masks stay as the device has them; the register API works. */
static void test_library_without_ras_leaves_the_masks(void **state)
{
	struct hx *x = *state;
	struct core_uncor_error e = uerr(CXLDCD_RAS_UNC_INTERNAL, 1, 1);
	struct cxldcd_host_ras_regs r;

	memset(&seen, 0, sizeof(seen));
	hx_host_cfg(x, &x->hcfg);
	hx_fn = x->hcfg.event_fn;
	x->hcfg.event_fn = on_ras_event;
	x->hcfg.no_ras = true;
	hx_host_start(x);
	assert_int_equal(ras_read(x, &r), 0);
	assert_int_equal(r.unc_mask, 0x1cfff);
	assert_int_equal(ras_write(x, CXLDCD_RAS_UNC_MASK, 0), 0);
	assert_int_equal(core_ras_inject_uncor(x->dev, 0, &e, 1, NULL), CXLDCD_RC_SUCCESS);
	hx_pump(x, 100);
	assert_int_equal(seen.nr_unc, 0);
	assert_int_equal(ras_read(x, &r), 0);
	assert_int_equal(r.unc_status, 1u << 14);
	assert_int_equal(ras_write(x, CXLDCD_RAS_UNC_STATUS, 1u << 14), 0);
	assert_int_equal(ras_read(x, &r), 0);
	assert_int_equal(r.unc_status, 0);
	hx_host_stop(x);
}

static void test_format_uses_linux_words(void **state)
{
	char s[256];

	(void)state;
	assert_int_equal(cxldcd_ras_format(true, 0, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	cxldcd_ras_format(true, (1u << 16) | (1u << 12) | 1u, s, sizeof(s));
	assert_string_equal(s, "Cache Data Parity Error | 0x1000 | IDE Rx Error");
	cxldcd_ras_format(false, 0x7f, s, sizeof(s));
	assert_string_equal(s, "Cache Data ECC Error | Memory Data ECC Error | CRC Threshold Hit | "
			       "Retry Threshold | Received Cache Poison From Peer | "
			       "Received Memory Poison From Peer | Received Error From Physical Layer");
	cxldcd_ras_format(false, 0x7f, s, 10);
	assert_int_equal(strlen(s), 0);         /* nothing fits whole: cut before the word */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ras_messages_on_the_wire, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_ras_status_is_told_again_at_connect, hx_setup,
						hx_teardown),
		cmocka_unit_test_setup_teardown(test_library_reads_reports_and_clears, hx_setup,
						hx_teardown),
		cmocka_unit_test_setup_teardown(test_library_without_ras_leaves_the_masks, hx_setup,
						hx_teardown),
		cmocka_unit_test(test_format_uses_linux_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
