/* SPDX-License-Identifier: MIT */
/*
 * codec-events.c - codecs of the Events command set and of event records.
 */
#include "cci/events.h"

#include <string.h>

#include "cci/dcd.h"

static const uint8_t dc_uuid[16] = CXLDCD_DC_EVENT_UUID;

bool cci_event_is_dc(const uint8_t uuid[16])
{
	return memcmp(uuid, dc_uuid, 16) == 0;
}

/*
 * Event record, CXL r3.2 §8.2.10.2.1, Table 8-55 (common header), followed
 * for Dynamic Capacity records by §8.2.10.2.1.6, Table 8-62:
 *
 *   OFFSET SIZE FIELD
 *   0x00   16   Event Record Identifier (UUID)
 *   0x10   1    Event Record Length
 *   0x11   3    Event Record Flags (severity 1:0, permanent 2, ..., LD-ID valid 7, Head-ID valid 8)
 *   0x14   2    Event Record Handle
 *   0x16   2    Related Event Record Handle
 *   0x18   8    Event Record Timestamp
 *   0x20   1    Maintenance Operation Class
 *   0x21   1    Maintenance Operation Subclass
 *   0x22   2    LD-ID
 *   0x24   1    Head ID
 *   0x25   0x0B Reserved
 *   0x30   0x50 Event-specific data; for DC records:
 *   0x30   1      Dynamic Capacity Event Type
 *   0x31   1      Validity Flags (bit 0: available extents/tags valid)
 *   0x32   2      Host ID
 *   0x34   1      Updated Region Index
 *   0x35   1      Flags (bit 0: More)
 *   0x36   2      Reserved
 *   0x38   0x28   Dynamic Capacity Extent (Table 8-63)
 *   0x60   0x18   Reserved
 *   0x78   4      Number of Available Extents
 *   0x7C   4      Number of Available Tags
 */
_Static_assert(CXLDCD_EVENT_HDR_SIZE + 0x50 == CXLDCD_EVENT_RECORD_SIZE, "event record size");

static void enc_event_hdr(struct wwr *w, const struct cxldcd_event *ev)
{
	wwr_bytes(w, ev->uuid, 16);
	wwr_u8(w, ev->length);
	wwr_u24le(w, ev->flags & 0xffffffu);
	wwr_u16le(w, ev->handle);
	wwr_u16le(w, ev->related_handle);
	wwr_u64le(w, ev->timestamp_ns);
	wwr_u8(w, ev->maint_class);
	wwr_u8(w, ev->maint_subclass);
	wwr_u16le(w, ev->ld_id);
	wwr_u8(w, ev->head_id);
	wwr_zero(w, 0x0b);
}

int cci_enc_event(struct wwr *w, const struct cxldcd_event *ev)
{
	enc_event_hdr(w, ev);
	if (!cci_event_is_dc(ev->uuid)) {
		wwr_bytes(w, ev->data, sizeof(ev->data));
		return wwr_result(w);
	}
	wwr_u8(w, ev->dc_type);
	wwr_u8(w, ev->dc_validity);
	wwr_u16le(w, ev->dc_host_id);
	wwr_u8(w, ev->dc_region_index);
	wwr_u8(w, ev->dc_flags);
	wwr_zero(w, 2);
	cci_enc_extent(w, &ev->dc_extent);
	wwr_zero(w, 0x18);
	wwr_u32le(w, ev->dc_avail_extents);
	wwr_u32le(w, ev->dc_avail_tags);
	return wwr_result(w);
}

void cci_dec_event(struct wrd *r, struct cxldcd_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	wrd_bytes(r, ev->uuid, 16);
	ev->length = wrd_u8(r);
	ev->flags = wrd_u24le(r);
	ev->handle = wrd_u16le(r);
	ev->related_handle = wrd_u16le(r);
	ev->timestamp_ns = wrd_u64le(r);
	ev->maint_class = wrd_u8(r);
	ev->maint_subclass = wrd_u8(r);
	ev->ld_id = wrd_u16le(r);
	ev->head_id = wrd_u8(r);
	wrd_skip(r, 0x0b);
	if (!cci_event_is_dc(ev->uuid)) {
		wrd_bytes(r, ev->data, sizeof(ev->data));
		return;
	}
	ev->dc_type = wrd_u8(r);
	ev->dc_validity = wrd_u8(r);
	ev->dc_host_id = wrd_u16le(r);
	ev->dc_region_index = wrd_u8(r);
	ev->dc_flags = wrd_u8(r);
	wrd_skip(r, 2);
	cci_dec_extent(r, &ev->dc_extent);
	wrd_skip(r, 0x18);
	ev->dc_avail_extents = wrd_u32le(r);
	ev->dc_avail_tags = wrd_u32le(r);
}

/*
 * Get Event Records (0100h) input, CXL r3.2 §8.2.10.2.2, Table 8-64:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Event Log (00h Info, 01h Warn, 02h Failure, 03h Fatal, 04h DC)
 */
int cci_enc_get_events_in(struct wwr *w, uint8_t log)
{
	wwr_u8(w, log);
	return wwr_result(w);
}

int cci_dec_get_events_in(const uint8_t *p, size_t len, uint8_t *log)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*log = wrd_u8(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return *log >= CXLDCD_NR_LOGS ? -EINVAL : 0;
}

/*
 * Get Event Records (0100h) output, CXL r3.2 §8.2.10.2.2, Table 8-65:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   1        Flags (bit 0 Overflow, bit 1 More Event Records)
 *   0x01   1        Reserved
 *   0x02   2        Overflow Error Count
 *   0x04   8        First Overflow Event Timestamp
 *   0x0C   8        Last Overflow Event Timestamp
 *   0x14   2        Event Record Count
 *   0x16   0x0A     Reserved
 *   0x20   0x80 x N Event Records
 */
int cci_enc_get_events_out_hdr(struct wwr *w, const struct cci_get_events_out *h)
{
	wwr_u8(w, h->flags);
	wwr_zero(w, 1);
	wwr_u16le(w, h->overflow_count);
	wwr_u64le(w, h->first_overflow_ns);
	wwr_u64le(w, h->last_overflow_ns);
	wwr_u16le(w, h->nr_records);
	wwr_zero(w, 0x0a);
	return wwr_result(w);
}

int cci_dec_get_events_out(const uint8_t *p, size_t len, struct cci_get_events_out *h,
			   struct cxldcd_event *ev, uint16_t cap)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	h->flags = wrd_u8(&r);
	wrd_skip(&r, 1);
	h->overflow_count = wrd_u16le(&r);
	h->first_overflow_ns = wrd_u64le(&r);
	h->last_overflow_ns = wrd_u64le(&r);
	h->nr_records = wrd_u16le(&r);
	wrd_skip(&r, 0x0a);
	if (r.bad ||
	    size_muladd_overflow(CCI_GET_EVENTS_HDR, h->nr_records, CXLDCD_EVENT_RECORD_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	if (h->nr_records > cap)
		return -ENOBUFS;
	for (uint16_t i = 0; i < h->nr_records; i++)
		cci_dec_event(&r, &ev[i]);
	return wrd_result(&r);
}

/*
 * Clear Event Records (0101h) input, CXL r3.2 §8.2.10.2.3, Table 8-66:
 *
 *   OFFSET SIZE  FIELD
 *   0x00   1     Event Log
 *   0x01   1     Clear Event Flags (bit 0 Clear All Events)
 *   0x02   1     Number of Event Record Handles (0 with Clear All)
 *   0x03   3     Reserved
 *   0x06   2 x N Event Record Handles
 */
int cci_enc_clear_events_in(struct wwr *w, const struct cci_clear_events_in *in)
{
	wwr_u8(w, in->log);
	wwr_u8(w, in->clear_all ? CCI_CLEAR_ALL : 0);
	wwr_u8(w, in->nr_handles);
	wwr_zero(w, 3);
	for (unsigned i = 0; i < in->nr_handles; i++)
		wwr_u16le(w, in->handles[i]);
	return wwr_result(w);
}

int cci_dec_clear_events_in(const uint8_t *p, size_t len, struct cci_clear_events_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->log = wrd_u8(&r);
	in->clear_all = (wrd_u8(&r) & CCI_CLEAR_ALL) != 0;
	in->nr_handles = wrd_u8(&r);
	wrd_skip(&r, 3);
	if (r.bad || wrd_left(&r) != 2u * in->nr_handles)
		return -EMSGSIZE;
	for (unsigned i = 0; i < in->nr_handles; i++)
		in->handles[i] = wrd_u16le(&r);
	if (in->log >= CXLDCD_NR_LOGS || (in->clear_all && in->nr_handles))
		return -EINVAL;
	return wrd_result(&r);
}

/*
 * Get Event Interrupt Policy (0102h) output / Set Event Interrupt Policy
 * (0103h) input, CXL r3.2 §8.2.10.2.4/5, Table 8-67:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Informational Event Log Interrupt Settings
 *   0x01   1    Warning Event Log Interrupt Settings
 *   0x02   1    Failure Event Log Interrupt Settings
 *   0x03   1    Fatal Event Log Interrupt Settings
 *   0x04   1    Dynamic Capacity Event Log Interrupt Settings (optional in Set)
 *
 * Each byte: bits 1:0 mode (00 none, 01 MSI/MSI-X, 10 FW interrupt; 10b is
 * reserved for the DC log), bits 3:2 reserved, bits 7:4 interrupt message
 * number.  In the Set input (r3.1 Table 8-56) the DC byte has bits 7:2
 * reserved (cci_cmd_set_irq_policy() clears the reserved bits).
 */
int cci_enc_irq_policy(struct wwr *w, const struct cci_irq_policy *pol)
{
	wwr_bytes(w, pol->mode, pol->n);
	return wwr_result(w);
}

int cci_dec_irq_policy(const uint8_t *p, size_t len, struct cci_irq_policy *pol)
{
	struct wrd r;

	memset(pol, 0, sizeof(*pol));
	if (len != CCI_IRQ_POLICY_MIN && len != CCI_IRQ_POLICY_SIZE)
		return -EMSGSIZE;
	wrd_init(&r, p, len);
	pol->n = (uint8_t)len;
	wrd_bytes(&r, pol->mode, len);
	return wrd_result(&r);
}
