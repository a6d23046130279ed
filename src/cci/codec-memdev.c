/* SPDX-License-Identifier: MIT */
/*
 * codec-memdev.c - codecs of the memory-device commands in memdev.h.
 * Each payload's spec table precedes its pair of functions.
 */
#include "cci/memdev.h"

/* Bits 5:0 of a DPA field are reserved (64-byte granularity), ignored on input. */
#define DPA_MASK (~(uint64_t)(CCI_POISON_GRAN - 1))
#define SOURCE_MASK 0x7u

/*
 * Get FW Info output (CXL r3.2 §8.2.10.3.1), 0x50 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    FW Slots Supported
 *   0x01   1    FW Slot Info (2:0 active slot, 5:3 staged slot)
 *   0x02   1    FW Activation Capabilities (bit 0 online activation)
 *   0x03   0xD  Reserved
 *   0x10   0x10 Slot 1 FW Revision (ASCII, NUL padded)
 *   0x20   0x10 Slot 2 FW Revision
 *   0x30   0x10 Slot 3 FW Revision
 *   0x40   0x10 Slot 4 FW Revision
 */
int cci_enc_fw_info_out(struct wwr *w, const struct cci_fw_info *fw)
{
	wwr_u8(w, fw->slots_supported);
	wwr_u8(w, fw->slot_info);
	wwr_u8(w, fw->activation_caps);
	wwr_zero(w, 0xd);
	for (unsigned i = 0; i < CCI_FW_SLOTS; i++)
		wwr_bytes(w, fw->rev[i], CCI_FW_REV_SIZE);
	return wwr_result(w);
}

int cci_dec_fw_info_out(const uint8_t *p, size_t len, struct cci_fw_info *fw)
{
	struct wrd r;

	wrd_init(&r, p, len);
	fw->slots_supported = wrd_u8(&r);
	fw->slot_info = wrd_u8(&r);
	fw->activation_caps = wrd_u8(&r);
	wrd_skip(&r, 0xd);
	for (unsigned i = 0; i < CCI_FW_SLOTS; i++)
		wrd_bytes(&r, fw->rev[i], CCI_FW_REV_SIZE);
	return wrd_result(&r);
}

/*
 * Get Timestamp output / Set Timestamp input (§8.2.10.4.1/2), 8 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Timestamp (ns since midnight 1 Jan 1970 UTC)
 */
int cci_enc_timestamp(struct wwr *w, uint64_t ts_ns)
{
	wwr_u64le(w, ts_ns);
	return wwr_result(w);
}

int cci_dec_timestamp(const uint8_t *p, size_t len, uint64_t *ts_ns)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*ts_ns = wrd_u64le(&r);
	return wrd_result(&r);
}

/*
 * Get Partition Info output (§8.2.10.9.2.1), 0x20 bytes, all
 * in multiples of 256 MB:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Active Volatile Capacity
 *   0x08   8    Active Persistent Capacity
 *   0x10   8    Next Volatile Capacity (0: no change pending)
 *   0x18   8    Next Persistent Capacity
 */
int cci_enc_partition_info_out(struct wwr *w, const struct cci_partition_info *pi)
{
	wwr_u64le(w, pi->active_volatile >> CCI_256MB_SHIFT);
	wwr_u64le(w, pi->active_persistent >> CCI_256MB_SHIFT);
	wwr_u64le(w, pi->next_volatile >> CCI_256MB_SHIFT);
	wwr_u64le(w, pi->next_persistent >> CCI_256MB_SHIFT);
	return wwr_result(w);
}

static uint64_t units(struct wrd *r, int *err)
{
	uint64_t u = wrd_u64le(r);

	if (u > (UINT64_MAX >> CCI_256MB_SHIFT))
		*err = -EINVAL;
	return u << CCI_256MB_SHIFT;
}

int cci_dec_partition_info_out(const uint8_t *p, size_t len, struct cci_partition_info *pi)
{
	struct wrd r;
	int err = 0;

	wrd_init(&r, p, len);
	pi->active_volatile = units(&r, &err);
	pi->active_persistent = units(&r, &err);
	pi->next_volatile = units(&r, &err);
	pi->next_persistent = units(&r, &err);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return err;
}

/*
 * Get LSA input (§8.2.10.9.2.3), 8 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Offset
 *   0x04   4    Length
 *
 * Set LSA input (§8.2.10.9.2.4), 8 + N bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Offset
 *   0x04   4    Reserved
 *   0x08   N    Data
 */
int cci_enc_get_lsa_in(struct wwr *w, const struct cci_lsa_range *in)
{
	wwr_u32le(w, in->offset);
	wwr_u32le(w, in->length);
	return wwr_result(w);
}

int cci_dec_get_lsa_in(const uint8_t *p, size_t len, struct cci_lsa_range *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->offset = wrd_u32le(&r);
	in->length = wrd_u32le(&r);
	return wrd_result(&r);
}

int cci_enc_set_lsa_in(struct wwr *w, uint32_t offset, const uint8_t *data, uint32_t n)
{
	wwr_u32le(w, offset);
	wwr_zero(w, 4);
	wwr_bytes(w, data, n);
	return wwr_result(w);
}

int cci_dec_set_lsa_in(const uint8_t *p, size_t len, struct cci_lsa_range *in,
		       const uint8_t **data)
{
	struct wrd r;

	if (len < CCI_SET_LSA_HDR || len - CCI_SET_LSA_HDR > UINT32_MAX)
		return -EMSGSIZE;
	wrd_init(&r, p, len);
	in->offset = wrd_u32le(&r);
	wrd_skip(&r, 4);
	in->length = (uint32_t)wrd_left(&r);
	*data = wrd_ptr(&r, in->length);
	return wrd_result(&r);
}

/*
 * Get Health Info output (§8.2.10.9.3.1), 0x12 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Health Status
 *   0x01   1    Media Status
 *   0x02   1    Additional Status
 *   0x03   1    Life Used (percent; FFh = not implemented)
 *   0x04   2    Device Temperature (C, two's complement; 7FFFh = not implemented)
 *   0x06   4    Dirty Shutdown Count
 *   0x0A   4    Corrected Volatile Error Count
 *   0x0E   4    Corrected Persistent Error Count
 */
int cci_enc_health_info_out(struct wwr *w, const struct cci_health_info *h)
{
	wwr_u8(w, h->health_status);
	wwr_u8(w, h->media_status);
	wwr_u8(w, h->additional_status);
	wwr_u8(w, h->life_used);
	wwr_u16le(w, h->temperature);
	wwr_u32le(w, h->dirty_shutdowns);
	wwr_u32le(w, h->corrected_volatile);
	wwr_u32le(w, h->corrected_persistent);
	return wwr_result(w);
}

int cci_dec_health_info_out(const uint8_t *p, size_t len, struct cci_health_info *h)
{
	struct wrd r;

	wrd_init(&r, p, len);
	h->health_status = wrd_u8(&r);
	h->media_status = wrd_u8(&r);
	h->additional_status = wrd_u8(&r);
	h->life_used = wrd_u8(&r);
	h->temperature = wrd_u16le(&r);
	h->dirty_shutdowns = wrd_u32le(&r);
	h->corrected_volatile = wrd_u32le(&r);
	h->corrected_persistent = wrd_u32le(&r);
	return wrd_result(&r);
}

/*
 * Get Alert Configuration output (§8.2.10.9.3.2), 0x10 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Valid Alerts
 *   0x01   1    Programmable Alerts
 *   0x02   1    Life Used Critical Alert Threshold
 *   0x03   1    Life Used Programmable Warning Threshold
 *   0x04   2    Device Over-Temperature Critical Alert Threshold
 *   0x06   2    Device Under-Temperature Critical Alert Threshold
 *   0x08   2    Device Over-Temperature Programmable Warning Threshold
 *   0x0A   2    Device Under-Temperature Programmable Warning Threshold
 *   0x0C   2    Corrected Volatile Memory Error Programmable Warning Threshold
 *   0x0E   2    Corrected Persistent Memory Error Programmable Warning Threshold
 */
int cci_enc_alert_cfg_out(struct wwr *w, const struct cci_alert_cfg *a)
{
	wwr_u8(w, a->valid_alerts);
	wwr_u8(w, a->programmable_alerts);
	wwr_u8(w, a->life_used_crit);
	wwr_u8(w, a->life_used_warn);
	wwr_u16le(w, a->over_temp_crit);
	wwr_u16le(w, a->under_temp_crit);
	wwr_u16le(w, a->over_temp_warn);
	wwr_u16le(w, a->under_temp_warn);
	wwr_u16le(w, a->corr_volatile_warn);
	wwr_u16le(w, a->corr_persistent_warn);
	return wwr_result(w);
}

int cci_dec_alert_cfg_out(const uint8_t *p, size_t len, struct cci_alert_cfg *a)
{
	struct wrd r;

	wrd_init(&r, p, len);
	a->valid_alerts = wrd_u8(&r);
	a->programmable_alerts = wrd_u8(&r);
	a->life_used_crit = wrd_u8(&r);
	a->life_used_warn = wrd_u8(&r);
	a->over_temp_crit = wrd_u16le(&r);
	a->under_temp_crit = wrd_u16le(&r);
	a->over_temp_warn = wrd_u16le(&r);
	a->under_temp_warn = wrd_u16le(&r);
	a->corr_volatile_warn = wrd_u16le(&r);
	a->corr_persistent_warn = wrd_u16le(&r);
	return wrd_result(&r);
}

/*
 * Set Alert Configuration input (§8.2.10.9.3.3), 0x0C bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Valid Alert Actions
 *   0x01   1    Enable Alert Actions
 *   0x02   1    Life Used Programmable Warning Threshold
 *   0x03   1    Reserved
 *   0x04   2    Device Over-Temperature Programmable Warning Threshold
 *   0x06   2    Device Under-Temperature Programmable Warning Threshold
 *   0x08   2    Corrected Volatile Memory Error Programmable Warning Threshold
 *   0x0A   2    Corrected Persistent Memory Error Programmable Warning Threshold
 */
int cci_enc_set_alert_cfg_in(struct wwr *w, const struct cci_set_alert_cfg *a)
{
	wwr_u8(w, a->valid_actions);
	wwr_u8(w, a->enable_actions);
	wwr_u8(w, a->life_used_warn);
	wwr_zero(w, 1);
	wwr_u16le(w, a->over_temp_warn);
	wwr_u16le(w, a->under_temp_warn);
	wwr_u16le(w, a->corr_volatile_warn);
	wwr_u16le(w, a->corr_persistent_warn);
	return wwr_result(w);
}

int cci_dec_set_alert_cfg_in(const uint8_t *p, size_t len, struct cci_set_alert_cfg *a)
{
	struct wrd r;

	wrd_init(&r, p, len);
	a->valid_actions = wrd_u8(&r);
	a->enable_actions = wrd_u8(&r);
	a->life_used_warn = wrd_u8(&r);
	wrd_skip(&r, 1);
	a->over_temp_warn = wrd_u16le(&r);
	a->under_temp_warn = wrd_u16le(&r);
	a->corr_volatile_warn = wrd_u16le(&r);
	a->corr_persistent_warn = wrd_u16le(&r);
	return wrd_result(&r);
}

/*
 * Get Poison List input (§8.2.10.9.4.1), 0x10 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Get Poison List Physical Address (bits 5:0 reserved)
 *   0x08   8    Get Poison List Physical Address Length (64-byte units)
 */
int cci_enc_poison_list_in(struct wwr *w, const struct cci_poison_range *in)
{
	wwr_u64le(w, in->dpa & DPA_MASK);
	wwr_u64le(w, in->len / CCI_POISON_GRAN);
	return wwr_result(w);
}

int cci_dec_poison_list_in(const uint8_t *p, size_t len, struct cci_poison_range *in)
{
	struct wrd r;
	uint64_t n;

	wrd_init(&r, p, len);
	in->dpa = wrd_u64le(&r) & DPA_MASK;
	n = wrd_u64le(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	if (n > UINT64_MAX / CCI_POISON_GRAN || in->dpa > UINT64_MAX - n * CCI_POISON_GRAN)
		return -EINVAL;
	in->len = n * CCI_POISON_GRAN;
	return 0;
}

/*
 * Get Poison List output (same section), 0x20 + 0x10 * count bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Poison List Flags (0 more records, 1 overflow, 2 scan in progress)
 *   0x01   1    Reserved
 *   0x02   8    Overflow Timestamp
 *   0x0A   2    Media Error Record Count
 *   0x0C   0x14 Reserved
 *   0x20   ...  Media Error Records:
 *   +0x0   8      Media Error Address (2:0 error source, 5:3 reserved, 63:6 DPA)
 *   +0x8   4      Media Error Length (64-byte units)
 *   +0xC   4      Reserved
 */
int cci_enc_poison_list_hdr(struct wwr *w, const struct cci_poison_list_hdr *h)
{
	wwr_u8(w, h->flags);
	wwr_zero(w, 1);
	wwr_u64le(w, h->overflow_ts);
	wwr_u16le(w, h->count);
	wwr_zero(w, 0x14);
	return wwr_result(w);
}

int cci_enc_media_error(struct wwr *w, const struct cci_media_error *e)
{
	wwr_u64le(w, (e->dpa & DPA_MASK) | (e->source & SOURCE_MASK));
	wwr_u32le(w, (uint32_t)(e->len / CCI_POISON_GRAN));
	wwr_zero(w, 4);
	return wwr_result(w);
}

int cci_dec_poison_list_out(const uint8_t *p, size_t len, struct cci_poison_list_hdr *h,
			    struct cci_media_error *e, uint16_t cap)
{
	struct wrd r;

	wrd_init(&r, p, len);
	h->flags = wrd_u8(&r);
	wrd_skip(&r, 1);
	h->overflow_ts = wrd_u64le(&r);
	h->count = wrd_u16le(&r);
	wrd_skip(&r, 0x14);
	if (r.bad || wrd_left(&r) != (size_t)h->count * CCI_MEDIA_ERROR_SIZE)
		return -EMSGSIZE;
	if (h->count > cap)
		return -ENOBUFS;
	for (uint16_t i = 0; i < h->count; i++) {
		uint64_t a = wrd_u64le(&r);

		e[i].dpa = a & DPA_MASK;
		e[i].source = (uint8_t)(a & SOURCE_MASK);
		e[i].len = (uint64_t)wrd_u32le(&r) * CCI_POISON_GRAN;
		wrd_skip(&r, 4);
	}
	return wrd_result(&r);
}

/*
 * Inject Poison input (§8.2.10.9.4.2), 8 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Inject Poison Physical Address (bits 5:0 reserved)
 */
int cci_enc_inject_poison_in(struct wwr *w, uint64_t dpa)
{
	wwr_u64le(w, dpa & DPA_MASK);
	return wwr_result(w);
}

int cci_dec_inject_poison_in(const uint8_t *p, size_t len, uint64_t *dpa)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*dpa = wrd_u64le(&r) & DPA_MASK;
	return wrd_result(&r);
}

/*
 * Clear Poison input (§8.2.10.9.4.3), 0x48 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Clear Poison Physical Address (bits 5:0 reserved)
 *   0x08   0x40 Clear Poison Write Data
 */
int cci_enc_clear_poison_in(struct wwr *w, const struct cci_clear_poison *in)
{
	wwr_u64le(w, in->dpa & DPA_MASK);
	wwr_bytes(w, in->data, sizeof(in->data));
	return wwr_result(w);
}

int cci_dec_clear_poison_in(const uint8_t *p, size_t len, struct cci_clear_poison *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->dpa = wrd_u64le(&r) & DPA_MASK;
	wrd_bytes(&r, in->data, sizeof(in->data));
	return wrd_result(&r);
}

/* 0x30-0x3E of General Media and DRAM Event Records (tables below): 0x0F bytes. */
static void enc_media_event_head(struct wwr *w, const struct cci_media_event_head *h)
{
	wwr_u64le(w, h->dpa);
	wwr_u8(w, h->descriptor);
	wwr_u8(w, h->type);
	wwr_u8(w, h->transaction_type);
	wwr_u16le(w, h->validity);
	wwr_u8(w, h->channel);
	wwr_u8(w, h->rank);
}

/*
 * General Media Event Record (§8.2.10.2.1.1), UUID
 * fbcd0a77-c260-417f-85a9-088b1621eba6, event-specific part at 0x30:
 *
 *   OFFSET SIZE FIELD
 *   0x30   8    Physical Address (DPA; low bits: flags)
 *   0x38   1    Memory Event Descriptor
 *   0x39   1    Memory Event Type
 *   0x3A   1    Transaction Type
 *   0x3B   2    Validity Flags
 *   0x3D   1    Channel
 *   0x3E   1    Rank
 *   0x3F   3    Device
 *   0x42   0x10 Component Identifier
 *   0x52   1    Advanced Programmable CME Threshold Event Flags (r3.2)
 *   0x53   3    Corrected Memory Error Count at Event (r3.2)
 *   0x56   1    Memory Event Sub-Type (r3.2)
 *   0x57   0x29 Reserved
 */
int cci_enc_gm_event(struct wwr *w, const struct cci_gm_event *e)
{
	enc_media_event_head(w, &e->head);
	wwr_u24le(w, e->device);
	wwr_bytes(w, e->component_id, CCI_COMPONENT_ID_SIZE);
	wwr_u8(w, e->cme_ev_flags);
	wwr_u24le(w, e->cme_count);
	wwr_u8(w, e->sub_type);
	wwr_zero(w, 0x29);
	return wwr_result(w);
}

/*
 * DRAM Event Record (§8.2.10.2.1.2), UUID
 * 601dcbb3-9c06-4eab-b8af-4e9bfb5c9624, event-specific part at 0x30:
 *
 *   OFFSET SIZE FIELD
 *   0x30   8    Physical Address
 *   0x38   1    Memory Event Descriptor
 *   0x39   1    Memory Event Type
 *   0x3A   1    Transaction Type
 *   0x3B   2    Validity Flags
 *   0x3D   1    Channel
 *   0x3E   1    Rank
 *   0x3F   3    Nibble Mask
 *   0x42   1    Bank Group
 *   0x43   1    Bank
 *   0x44   3    Row
 *   0x47   2    Column
 *   0x49   0x20 Correction Mask (4 x 8 bytes)
 *   0x69   0x10 Component Identifier (r3.2)
 *   0x79   1    Sub-Channel (r3.2)
 *   0x7A   1    Advanced Programmable CME Threshold Event Flags (r3.2)
 *   0x7B   3    Corrected Volatile Memory Error Count at Event (r3.2)
 *   0x7E   1    Memory Event Sub-Type (r3.2)
 *   0x7F   1    Reserved
 */
int cci_enc_dram_event(struct wwr *w, const struct cci_dram_event *e)
{
	enc_media_event_head(w, &e->head);
	wwr_u24le(w, e->nibble_mask);
	wwr_u8(w, e->bank_group);
	wwr_u8(w, e->bank);
	wwr_u24le(w, e->row);
	wwr_u16le(w, e->column);
	for (unsigned i = 0; i < CCI_CORRECTION_MASKS; i++)
		wwr_u64le(w, e->correction_mask[i]);
	wwr_bytes(w, e->component_id, CCI_COMPONENT_ID_SIZE);
	wwr_u8(w, e->sub_channel);
	wwr_u8(w, e->cme_ev_flags);
	wwr_u24le(w, e->cvme_count);
	wwr_u8(w, e->sub_type);
	wwr_zero(w, 1);
	return wwr_result(w);
}

/*
 * Memory Module Event Record (§8.2.10.2.1.3), UUID
 * fe927475-dd59-4339-a586-79bab113b774, event-specific part at 0x30:
 *
 *   OFFSET SIZE FIELD
 *   0x30   1    Device Event Type
 *   0x31   0x12 Device Health Information (the Get Health Info output)
 *   0x43   2    Validity Flags (r3.2)
 *   0x45   0x10 Component Identifier (r3.2)
 *   0x55   1    Device Event Sub-Type (r3.2)
 *   0x56   0x2A Reserved
 */
int cci_enc_mm_event(struct wwr *w, const struct cci_mm_event *e)
{
	wwr_u8(w, e->type);
	cci_enc_health_info_out(w, &e->health);
	wwr_u16le(w, e->validity);
	wwr_bytes(w, e->component_id, CCI_COMPONENT_ID_SIZE);
	wwr_u8(w, e->sub_type);
	wwr_zero(w, 0x2a);
	return wwr_result(w);
}

/*
 * Background Operation Status output (§8.2.10.1.x), 8 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Background Operation Status (bit 0 in progress, 7:1 percent complete)
 *   0x01   1    Reserved
 *   0x02   2    Command Opcode
 *   0x04   2    Return Code
 *   0x06   2    Vendor Specific Extended Status
 */
int cci_enc_bg_status(struct wwr *w, const struct cci_bg_status *st)
{
	wwr_u8(w, (uint8_t)((st->running ? 1u : 0u) | (uint8_t)(st->percent << 1)));
	wwr_zero(w, 1);
	wwr_u16le(w, st->opcode);
	wwr_u16le(w, st->rc);
	wwr_u16le(w, st->vendor_status);
	return wwr_result(w);
}

int cci_dec_bg_status(const uint8_t *p, size_t len, struct cci_bg_status *st)
{
	struct wrd r;
	uint8_t b;

	wrd_init(&r, p, len);
	b = wrd_u8(&r);
	st->running = b & 1u;
	st->percent = b >> 1;
	wrd_skip(&r, 1);
	st->opcode = wrd_u16le(&r);
	st->rc = wrd_u16le(&r);
	st->vendor_status = wrd_u16le(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return st->percent > 100 ? -EINVAL : 0;
}

/*
 * Get Scan Media Capabilities (§8.2.10.9.4.4): input as Get Poison List
 * (DPA, length in 64-byte units); output 4 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Estimated Scan Media Time (ms)
 */
int cci_enc_scan_caps_out(struct wwr *w, uint32_t estimate_ms)
{
	wwr_u32le(w, estimate_ms);
	return wwr_result(w);
}

/*
 * Scan Media input (§8.2.10.9.4.5), 0x11 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Scan Media Physical Address (bits 5:0 reserved)
 *   0x08   8    Scan Media Physical Address Length (64-byte units)
 *   0x10   1    Scan Media Flags (bit 0: no event log)
 */
int cci_enc_scan_media_in(struct wwr *w, const struct cci_scan_media_in *in)
{
	cci_enc_poison_list_in(w, &in->range);
	wwr_u8(w, in->flags);
	return wwr_result(w);
}

int cci_dec_scan_media_in(const uint8_t *p, size_t len, struct cci_scan_media_in *in)
{
	int err;

	if (len != CCI_SCAN_MEDIA_IN_SIZE)
		return -EMSGSIZE;
	err = cci_dec_poison_list_in(p, CCI_POISON_LIST_IN_SIZE, &in->range);
	in->flags = p[CCI_POISON_LIST_IN_SIZE];
	return err;
}

/*
 * Get Scan Media Results output (§8.2.10.9.4.6), 0x20 + 0x10 * count:
 *
 *   OFFSET SIZE FIELD
 *   0x00   8    Scan Media Restart Physical Address
 *   0x08   8    Scan Media Restart Physical Address Length (64-byte units)
 *   0x10   1    Scan Media Flags (bit 0 more records, bit 1 scan stopped prematurely)
 *   0x11   1    Reserved
 *   0x12   2    Media Error Record Count
 *   0x14   0xC  Reserved
 *   0x20   ...  Media Error Records, as Get Poison List's
 */
int cci_enc_scan_results_hdr(struct wwr *w, const struct cci_scan_results_hdr *h)
{
	wwr_u64le(w, h->restart_dpa & DPA_MASK);
	wwr_u64le(w, h->restart_len / CCI_POISON_GRAN);
	wwr_u8(w, h->flags);
	wwr_zero(w, 1);
	wwr_u16le(w, h->count);
	wwr_zero(w, 0xc);
	return wwr_result(w);
}

/*
 * Get Supported Features input (§8.2.10.6.1), 8 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Count (bytes of output the caller takes)
 *   0x04   2    Starting Feature Index
 *   0x06   2    Reserved
 *
 * Output header, 8 bytes, then 0x30-byte Supported Feature Entries:
 *
 *   0x00   2    Number of Supported Feature Entries (in this output)
 *   0x02   2    Device Supported Features (total)
 *   0x04   4    Reserved
 */
int cci_dec_get_supp_features_in(const uint8_t *p, size_t len, struct cci_get_supp_features_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->count = wrd_u32le(&r);
	in->start_index = wrd_u16le(&r);
	wrd_skip(&r, 2);
	return wrd_result(&r);
}

int cci_enc_supp_features_hdr(struct wwr *w, uint16_t nr_entries, uint16_t nr_supported)
{
	wwr_u16le(w, nr_entries);
	wwr_u16le(w, nr_supported);
	wwr_zero(w, 4);
	return wwr_result(w);
}

/*
 * Get Feature input (§8.2.10.6.2), 0x15 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   0x10 Feature Identifier (UUID)
 *   0x10   2    Offset
 *   0x12   2    Count
 *   0x14   1    Selection (current, default, saved)
 */
int cci_dec_get_feature_in(const uint8_t *p, size_t len, struct cci_get_feature_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	wrd_bytes(&r, in->uuid, 16);
	in->offset = wrd_u16le(&r);
	in->count = wrd_u16le(&r);
	in->selection = wrd_u8(&r);
	return wrd_result(&r);
}

/*
 * Set Feature input (§8.2.10.6.3), 0x20 + N bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   0x10 Feature Identifier (UUID)
 *   0x10   4    Set Feature Flags (data transfer action, saved across reset)
 *   0x14   2    Offset
 *   0x16   1    Version
 *   0x17   9    Reserved
 *   0x20   N    Feature Data
 */
int cci_dec_set_feature_in(const uint8_t *p, size_t len, struct cci_set_feature_in *in)
{
	struct wrd r;

	if (len < CCI_SET_FEATURE_HDR || len - CCI_SET_FEATURE_HDR > UINT32_MAX)
		return -EMSGSIZE;
	wrd_init(&r, p, len);
	wrd_bytes(&r, in->uuid, 16);
	in->flags = wrd_u32le(&r);
	in->offset = wrd_u16le(&r);
	in->version = wrd_u8(&r);
	wrd_skip(&r, 9);
	in->data_len = (uint32_t)wrd_left(&r);
	in->data = wrd_ptr(&r, in->data_len);
	return wrd_result(&r);
}

/*
 * Media Operations input (CXL r3.2 §8.2.10.9.5.3; r3.1 Tables 8-147/8-148):
 *
 *   OFFSET SIZE     FIELD
 *   0x00   1        Media Operation Class
 *   0x01   1        Media Operation Subclass
 *   0x02   2        Reserved
 *   0x04   4        DPA Range Count (0: no list)
 *   0x08   0x10 x N DPA Range List:
 *                     0x00 8  Starting DPA (bits 5:0 reserved)
 *                     0x08 8  Length (bytes)
 *   ...    varies   Operation-specific arguments
 */
int cci_enc_media_op_in(struct wwr *w, uint8_t op_class, uint8_t subclass,
			const struct cxldcd_range *rg, uint32_t n)
{
	wwr_u8(w, op_class);
	wwr_u8(w, subclass);
	wwr_zero(w, 2);
	wwr_u32le(w, n);
	for (uint32_t i = 0; i < n; i++) {
		wwr_u64le(w, rg[i].dpa);
		wwr_u64le(w, rg[i].len);
	}
	return wwr_result(w);
}

int cci_dec_media_op_in(const uint8_t *p, size_t len, struct cci_media_op_in *in)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	in->op_class = wrd_u8(&r);
	in->subclass = wrd_u8(&r);
	wrd_skip(&r, 2);
	in->nr_ranges = wrd_u32le(&r);
	if (r.bad ||
	    size_muladd_overflow(CCI_MEDIA_OP_HDR, in->nr_ranges, CCI_MEDIA_OP_RANGE_SIZE, &need) ||
	    need > len)
		return -EMSGSIZE;
	in->ranges = wrd_ptr(&r, need - CCI_MEDIA_OP_HDR);
	in->args_len = len - need;
	in->args = wrd_ptr(&r, in->args_len);
	return r.bad ? -EMSGSIZE : 0;
}

void cci_dec_media_op_range(const uint8_t *list, uint32_t i, struct cxldcd_range *r)
{
	const uint8_t *e = list + (size_t)i * CCI_MEDIA_OP_RANGE_SIZE;

	r->dpa = get_le64(e) & DPA_MASK;
	r->len = get_le64(e + 8);
}

/*
 * Discovery operation-specific arguments (r3.1 Table 8-150), 4 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   2    Start Index
 *   0x02   2    Number of Supported Operations (most to return)
 */
int cci_enc_media_op_discovery_args(struct wwr *w, const struct cci_media_op_discovery *a)
{
	wwr_u16le(w, a->start_index);
	wwr_u16le(w, a->nr_ops);
	return wwr_result(w);
}

int cci_dec_media_op_discovery_args(const uint8_t *p, size_t len, struct cci_media_op_discovery *a)
{
	struct wrd r;

	wrd_init(&r, p, len);
	a->start_index = wrd_u16le(&r);
	a->nr_ops = wrd_u16le(&r);
	return wrd_result(&r);
}

/*
 * Discovery output (r3.1 Tables 8-151/8-152):
 *
 *   OFFSET SIZE    FIELD
 *   0x00   8       DPA Range Granularity (bytes, power of 2, multiple of 40h)
 *   0x08   2       Total Number of Supported Operations
 *   0x0A   2       Number of Supported Operations (entries that follow)
 *   0x0C   2 x N   Supported Operations List: { Class, Subclass }
 */
int cci_enc_media_op_discovery_hdr(struct wwr *w, uint64_t granularity, uint16_t total,
				   uint16_t n)
{
	wwr_u64le(w, granularity);
	wwr_u16le(w, total);
	wwr_u16le(w, n);
	return wwr_result(w);
}

int cci_enc_media_op_entry(struct wwr *w, const struct cci_media_op_entry *e)
{
	wwr_u8(w, e->op_class);
	wwr_u8(w, e->subclass);
	return wwr_result(w);
}

/*
 * Get Security State output (CXL r3.2 §8.2.10.9.6.1), 4 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   4    Security State: bit 0 User Passphrase Set, 1 Master Passphrase
 *               Set, 2 Locked, 3 Frozen, 4 User Passphrase Attempt Count
 *               Reached, 5 Master Passphrase Attempt Count Reached; 31:6
 *               reserved
 */
int cci_enc_security_state_out(struct wwr *w, uint32_t state)
{
	wwr_u32le(w, state);
	return wwr_result(w);
}

int cci_dec_security_state_out(const uint8_t *p, size_t len, uint32_t *state)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*state = wrd_u32le(&r);
	return wrd_result(&r);
}
