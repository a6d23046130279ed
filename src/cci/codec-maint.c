/* SPDX-License-Identifier: MIT */
/*
 * codec-maint.c - the Perform Maintenance input (0600h).  Little-endian;
 * reserved flag bits are kept as received (the handler ignores them).
 */
#include "cci/maint.h"

/*
 * Perform Maintenance Input Payload (CXL r3.2 §8.2.10.7.1, Table 8-117):
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Maintenance Operation Class
 *   0x01   1    Maintenance Operation Subclass
 *   0x02   var  Maintenance Operation Input Payload, per class:
 *
 * sPPR / hPPR (Tables 8-118 and 8-119), 12 bytes:
 *
 *   0x00   1    Flags (bit 0 Query Resources)
 *   0x01   8    DPA
 *   0x09   3    Nibble Mask
 *
 * Memory Sparing (Table 8-120), 14 bytes:
 *
 *   0x00   1    Flags (bit 0 Query Resources, bit 1 Hard Sparing, bit 2
 *               Sub-channel valid, bit 3 Nibble Mask valid)
 *   0x01   1    Channel
 *   0x02   1    Rank
 *   0x03   3    Nibble Mask
 *   0x06   1    Bank Group
 *   0x07   1    Bank
 *   0x08   3    Row
 *   0x0B   2    Column
 *   0x0D   1    Sub-channel
 */
int cci_dec_maint_in(const uint8_t *p, size_t len, struct cci_maint_in *in)
{
	struct wrd r;

	*in = (struct cci_maint_in){ 0 };
	wrd_init(&r, p, len);
	in->op_class = wrd_u8(&r);
	in->op_subclass = wrd_u8(&r);
	if (in->op_class == CCI_MAINT_CLASS_PPR) {
		in->flags = wrd_u8(&r);
		in->dpa = wrd_u64le(&r);
		in->nibble_mask = wrd_u24le(&r);
	} else if (in->op_class == CCI_MAINT_CLASS_SPARING) {
		in->flags = wrd_u8(&r);
		in->channel = wrd_u8(&r);
		in->rank = wrd_u8(&r);
		in->nibble_mask = wrd_u24le(&r);
		in->bank_group = wrd_u8(&r);
		in->bank = wrd_u8(&r);
		in->row = wrd_u24le(&r);
		in->column = wrd_u16le(&r);
		in->sub_channel = wrd_u8(&r);
	} else {
		return r.bad ? -EMSGSIZE : 0;
	}
	return wrd_result(&r);
}

int cci_enc_maint_in(struct wwr *w, const struct cci_maint_in *in)
{
	wwr_u8(w, in->op_class);
	wwr_u8(w, in->op_subclass);
	if (in->op_class == CCI_MAINT_CLASS_PPR) {
		wwr_u8(w, in->flags);
		wwr_u64le(w, in->dpa);
		wwr_u24le(w, in->nibble_mask);
	} else if (in->op_class == CCI_MAINT_CLASS_SPARING) {
		wwr_u8(w, in->flags);
		wwr_u8(w, in->channel);
		wwr_u8(w, in->rank);
		wwr_u24le(w, in->nibble_mask);
		wwr_u8(w, in->bank_group);
		wwr_u8(w, in->bank);
		wwr_u24le(w, in->row);
		wwr_u16le(w, in->column);
		wwr_u8(w, in->sub_channel);
	}
	return wwr_result(w);
}

/*
 * Memory Sparing Event Record (CXL r3.2 §8.2.10.2.1.4, Table 8-60), UUID
 * e71f3a40-2d29-4092-8a39-4d1c966c7c65, event-specific part at 0x30:
 *
 *   OFFSET SIZE FIELD
 *   0x30   1    Maintenance Operation Class
 *   0x31   1    Maintenance Operation Subclass
 *   0x32   1    Flags (bit 0 Query Resources, bit 1 Hard Sparing, bit 2
 *               Device Initiated)
 *   0x33   1    Result (00h success, 01h resources exhausted, FFh failure)
 *   0x34   2    Validity Flags (bit 0 Channel, 1 Rank, 2 Nibble Mask, 3 Bank
 *               Group, 4 Bank, 5 Row, 6 Column, 7 Component Identifier,
 *               8 its format (PLDM), 9 Sub-channel)
 *   0x36   6    Reserved
 *   0x3C   2    Spare Resource Availability (03h: three or more)
 *   0x3E   1    Channel
 *   0x3F   1    Rank
 *   0x40   3    Nibble Mask
 *   0x43   1    Bank Group
 *   0x44   1    Bank
 *   0x45   3    Row
 *   0x48   2    Column
 *   0x4A   0x10 Component Identifier
 *   0x5A   1    Sub-channel
 *   0x5B   0x25 Reserved
 */
int cci_enc_sparing_event(struct wwr *w, const struct cci_sparing_event *e)
{
	wwr_u8(w, e->op_class);
	wwr_u8(w, e->op_subclass);
	wwr_u8(w, e->flags);
	wwr_u8(w, e->result);
	wwr_u16le(w, e->validity);
	wwr_zero(w, 6);
	wwr_u16le(w, e->res_avail);
	wwr_u8(w, e->channel);
	wwr_u8(w, e->rank);
	wwr_u24le(w, e->nibble_mask);
	wwr_u8(w, e->bank_group);
	wwr_u8(w, e->bank);
	wwr_u24le(w, e->row);
	wwr_u16le(w, e->column);
	wwr_bytes(w, e->component_id, sizeof(e->component_id));
	wwr_u8(w, e->sub_channel);
	wwr_zero(w, 0x25);
	return wwr_result(w);
}
