/* SPDX-License-Identifier: MIT */
/*
 * codec-features.c - Supported Feature Entries (0500h output) and the Feature
 * data of patrol scrub control and DDR5 ECS control, as Get Feature returns
 * and Set Feature takes them.  Little-endian; reserved bytes written as zero,
 * ignored when read.
 */
#include <string.h>

#include "cci/feat.h"

/*
 * Supported Feature Entry (CXL r3.2 §8.2.10.6.1, Table 8-109), 0x30 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   0x10 Feature Identifier (UUID)
 *   0x10   2    Feature Index
 *   0x12   2    Get Feature Size
 *   0x14   2    Set Feature Size
 *   0x16   4    Attribute Flags (bit 0 changeable, 3:1 deepest reset persistence:
 *               000b none, 001b CXL reset, 010b hot, 011b warm, 100b cold reset;
 *               4 persists across FW update, 5 default selection, 6 saved selection)
 *   0x1A   1    Get Feature Version
 *   0x1B   1    Set Feature Version
 *   0x1C   2    Set Feature Effects (CEL Command Effect bits)
 *   0x1E   0x12 Reserved
 */
int cci_enc_feat_entry(struct wwr *w, const struct cci_feat_entry *e)
{
	wwr_bytes(w, e->uuid, 16);
	wwr_u16le(w, e->index);
	wwr_u16le(w, e->get_size);
	wwr_u16le(w, e->set_size);
	wwr_u32le(w, e->attr_flags);
	wwr_u8(w, e->get_version);
	wwr_u8(w, e->set_version);
	wwr_u16le(w, e->effects);
	wwr_zero(w, 0x12);
	return wwr_result(w);
}

int cci_dec_feat_entry(const uint8_t *p, size_t len, struct cci_feat_entry *e)
{
	struct wrd r;

	wrd_init(&r, p, len);
	wrd_bytes(&r, e->uuid, 16);
	e->index = wrd_u16le(&r);
	e->get_size = wrd_u16le(&r);
	e->set_size = wrd_u16le(&r);
	e->attr_flags = wrd_u32le(&r);
	e->get_version = wrd_u8(&r);
	e->set_version = wrd_u8(&r);
	e->effects = wrd_u16le(&r);
	wrd_skip(&r, 0x12);
	return wrd_result(&r);
}

/*
 * Device Patrol Scrub Control Feature Readable Attributes (CXL r3.2
 * §8.2.10.9.11.1, Table 8-222), 4 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Scrub Cycle Capabilities (bit 0 cycle changeable, bit 1 realtime report)
 *   0x01   2    Scrub Cycle (bits 7:0 current cycle, 15:8 minimum cycle; hours)
 *   0x03   1    Scrub Flags (bit 0 enabled)
 *
 * Writable Attributes (Table 8-223), 2 bytes:
 *
 *   0x00   1    Scrub Cycle (hours)
 *   0x01   1    Scrub Flags (bit 0 enable)
 */
int cci_enc_scrub_rd(struct wwr *w, const struct cci_scrub_rd *a)
{
	wwr_u8(w, a->caps);
	wwr_u16le(w, (uint16_t)(a->cycle_h | (a->min_cycle_h << 8)));
	wwr_u8(w, a->flags);
	return wwr_result(w);
}

int cci_dec_scrub_rd(const uint8_t *p, size_t len, struct cci_scrub_rd *a)
{
	struct wrd r;
	uint16_t cycle;

	wrd_init(&r, p, len);
	a->caps = wrd_u8(&r);
	cycle = wrd_u16le(&r);
	a->cycle_h = (uint8_t)cycle;
	a->min_cycle_h = (uint8_t)(cycle >> 8);
	a->flags = wrd_u8(&r);
	return wrd_result(&r);
}

int cci_enc_scrub_wr(struct wwr *w, const struct cci_scrub_wr *a)
{
	wwr_u8(w, a->cycle_h);
	wwr_u8(w, a->flags);
	return wwr_result(w);
}

int cci_dec_scrub_wr(const uint8_t *p, size_t len, struct cci_scrub_wr *a)
{
	struct wrd r;

	wrd_init(&r, p, len);
	a->cycle_h = wrd_u8(&r);
	a->flags = wrd_u8(&r);
	return wrd_result(&r);
}

/*
 * DDR5 ECS Control Feature Readable Attributes (CXL r3.2 §8.2.10.9.11.2,
 * Table 8-225), 1 + 4N bytes for N media FRUs:
 *
 *   OFFSET    SIZE FIELD
 *   0x00      1    ECS Log Capabilities (bits 1:0 log entry type: 00b per DRAM,
 *                  01b per memory media FRU)
 *   1 + 4i    1    FRU i: ECS Capabilities (bit 0 realtime report)
 *   2 + 4i    2    FRU i: ECS Configuration (bits 2:0 threshold count 3/4/5 =
 *                  256/1024/4096, bit 3 mode: 0 rows, 1 codewords, bit 4 reset counter)
 *   4 + 4i    1    FRU i: ECS Flags
 *
 * Writable Attributes (Table 8-226), 1 + 2N bytes:
 *
 *   0x00      1    ECS Log Capabilities
 *   1 + 2i    2    FRU i: ECS Configuration
 */
int cci_enc_ecs_rd(struct wwr *w, const struct cci_ecs_rd *a)
{
	if (a->nr_frus > CCI_ECS_FRUS_MAX)
		return -EINVAL;
	wwr_u8(w, a->log_caps);
	for (uint32_t i = 0; i < a->nr_frus; i++) {
		wwr_u8(w, a->fru[i].caps);
		wwr_u16le(w, a->fru[i].config);
		wwr_u8(w, a->fru[i].flags);
	}
	return wwr_result(w);
}

int cci_dec_ecs_rd(const uint8_t *p, size_t len, uint8_t nr_frus, struct cci_ecs_rd *a)
{
	struct wrd r;

	if (nr_frus > CCI_ECS_FRUS_MAX)
		return -EINVAL;
	wrd_init(&r, p, len);
	a->log_caps = wrd_u8(&r);
	a->nr_frus = nr_frus;
	for (uint32_t i = 0; i < nr_frus; i++) {
		a->fru[i].caps = wrd_u8(&r);
		a->fru[i].config = wrd_u16le(&r);
		a->fru[i].flags = wrd_u8(&r);
	}
	return wrd_result(&r);
}

int cci_enc_ecs_wr(struct wwr *w, const struct cci_ecs_wr *a)
{
	if (a->nr_frus > CCI_ECS_FRUS_MAX)
		return -EINVAL;
	wwr_u8(w, a->log_caps);
	for (uint32_t i = 0; i < a->nr_frus; i++)
		wwr_u16le(w, a->config[i]);
	return wwr_result(w);
}

int cci_dec_ecs_wr(const uint8_t *p, size_t len, uint8_t nr_frus, struct cci_ecs_wr *a)
{
	struct wrd r;

	if (nr_frus > CCI_ECS_FRUS_MAX)
		return -EINVAL;
	wrd_init(&r, p, len);
	a->log_caps = wrd_u8(&r);
	a->nr_frus = nr_frus;
	for (uint32_t i = 0; i < nr_frus; i++)
		a->config[i] = wrd_u16le(&r);
	return wrd_result(&r);
}

/*
 * sPPR / hPPR Feature Readable Attributes (CXL r3.2 §8.2.10.7.2.1-2, Tables
 * 8-128 and 8-131), 0x14 bytes, and Memory Sparing Feature Readable
 * Attributes (§8.2.10.7.2.3, Table 8-134), 0x13 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Maximum Maintenance Operation Latency
 *   0x01   2    Operation Capabilities (bit 0 device-initiated supported)
 *   0x03   2    Operation Mode (bit 0 device-initiated enabled)
 *   0x05   1    Maintenance Operation Class
 *   0x06   1    Maintenance Operation Subclass
 *   0x07   9    Reserved
 *   0x10   1    PPR: PPR Flags (bit 0 DPA, 1 nibble mask, 2 Memory Sparing Event
 *               Record, 3 device-initiated at boot); sparing: Reserved
 *   0x11   2    Restriction Flags (bit 0 media not accessible during the operation;
 *               PPR: bit 2 data not retained; sparing: bit 1 hard, bit 2 soft
 *               sparing supported)
 *   0x13   1    PPR only: PPR Operation Mode (bit 0 Memory Sparing Event Record
 *               enabled, bit 1 device-initiated at boot enabled)
 *
 * Writable Attributes (Tables 8-129, 8-132, 8-135): 0x00 2 Operation Mode;
 * PPR only: 0x02 1 PPR Operation Mode.
 */
int cci_enc_repair_rd(struct wwr *w, const struct cci_repair_rd *a)
{
	wwr_u8(w, a->max_latency);
	wwr_u16le(w, a->op_caps);
	wwr_u16le(w, a->op_mode);
	wwr_u8(w, a->op_class);
	wwr_u8(w, a->op_subclass);
	wwr_zero(w, 9);
	wwr_u8(w, a->ppr ? a->ppr_flags : 0);
	wwr_u16le(w, a->restriction);
	if (a->ppr)
		wwr_u8(w, a->ppr_op_mode);
	return wwr_result(w);
}

int cci_dec_repair_rd(const uint8_t *p, size_t len, struct cci_repair_rd *a)
{
	struct wrd r;

	wrd_init(&r, p, len);
	a->max_latency = wrd_u8(&r);
	a->op_caps = wrd_u16le(&r);
	a->op_mode = wrd_u16le(&r);
	a->op_class = wrd_u8(&r);
	a->op_subclass = wrd_u8(&r);
	wrd_skip(&r, 9);
	a->ppr_flags = wrd_u8(&r);
	a->restriction = wrd_u16le(&r);
	a->ppr_op_mode = a->ppr ? wrd_u8(&r) : 0;
	if (!a->ppr)
		a->ppr_flags = 0;
	return wrd_result(&r);
}

int cci_enc_repair_wr(struct wwr *w, const struct cci_repair_wr *a)
{
	wwr_u16le(w, a->op_mode);
	if (a->ppr)
		wwr_u8(w, a->ppr_op_mode);
	return wwr_result(w);
}

int cci_dec_repair_wr(const uint8_t *p, size_t len, struct cci_repair_wr *a)
{
	struct wrd r;

	wrd_init(&r, p, len);
	a->op_mode = wrd_u16le(&r);
	a->ppr_op_mode = a->ppr ? wrd_u8(&r) : 0;
	return wrd_result(&r);
}
