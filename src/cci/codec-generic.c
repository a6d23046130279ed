/* SPDX-License-Identifier: MIT */
/*
 * codec-generic.c - codecs of the generic component commands (Identify,
 * Response Message Limit, Get Supported Logs, Get Log, CEL entries).
 */
#include "cci/generic.h"

#include <string.h>

const uint8_t cci_cel_uuid[16] = { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
				   0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17 };

/*
 * Identify (0001h) output, CXL r3.2 §8.2.10.1.1 (r3.1 §8.2.9.1.1, 0x12 bytes):
 *
 *   OFFSET SIZE FIELD
 *   0x00   2    PCIe Vendor ID
 *   0x02   2    PCIe Device ID
 *   0x04   2    PCIe Subsystem Vendor ID
 *   0x06   2    PCIe Subsystem ID
 *   0x08   8    Device Serial Number
 *   0x10   1    Maximum Supported Message Size (2^n bytes, n = 8..20)
 *   0x11   1    Component Type (03h = Type 3 device)
 */
int cci_enc_identify_out(struct wwr *w, const struct cci_identify *id)
{
	wwr_u16le(w, id->vendor_id);
	wwr_u16le(w, id->device_id);
	wwr_u16le(w, id->subsys_vendor_id);
	wwr_u16le(w, id->subsys_id);
	wwr_u64le(w, id->serial);
	wwr_u8(w, id->max_msg_size_log2);
	wwr_u8(w, id->component_type);
	return wwr_result(w);
}

int cci_dec_identify_out(const uint8_t *p, size_t len, struct cci_identify *id)
{
	struct wrd r;

	wrd_init(&r, p, len);
	id->vendor_id = wrd_u16le(&r);
	id->device_id = wrd_u16le(&r);
	id->subsys_vendor_id = wrd_u16le(&r);
	id->subsys_id = wrd_u16le(&r);
	id->serial = wrd_u64le(&r);
	id->max_msg_size_log2 = wrd_u8(&r);
	id->component_type = wrd_u8(&r);
	return wrd_result(&r);
}

/*
 * Get Response Message Limit (0003h) output / Set Response Message Limit
 * (0004h) input and output, CXL r3.2 §8.2.10.1.3/4:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Response Message Limit (2^n bytes, n = 8..20)
 */
int cci_enc_rsp_limit(struct wwr *w, uint8_t limit_log2)
{
	wwr_u8(w, limit_log2);
	return wwr_result(w);
}

int cci_dec_rsp_limit(const uint8_t *p, size_t len, uint8_t *limit_log2)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*limit_log2 = wrd_u8(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	return *limit_log2 < CCI_RSP_LIMIT_MIN || *limit_log2 > CCI_RSP_LIMIT_MAX ? -EINVAL : 0;
}

/*
 * Get Supported Logs (0400h) output, CXL r3.2 §8.2.10.5.1, Tables 8-82/8-83:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   2        Number of Supported Log Entries
 *   0x02   6        Reserved
 *   0x08   0x14 x N Supported Log Entry:
 *                     0x00 16 Log Identifier (UUID)
 *                     0x10 4  Log Size (bytes)
 */
int cci_enc_supported_logs_out(struct wwr *w, const struct cci_log_entry *e, uint16_t n)
{
	wwr_u16le(w, n);
	wwr_zero(w, 6);
	for (uint16_t i = 0; i < n; i++) {
		wwr_bytes(w, e[i].uuid, 16);
		wwr_u32le(w, e[i].size);
	}
	return wwr_result(w);
}

int cci_dec_supported_logs_out(const uint8_t *p, size_t len, struct cci_log_entry *e, uint16_t cap,
			       uint16_t *n)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	*n = wrd_u16le(&r);
	wrd_skip(&r, 6);
	if (r.bad || size_muladd_overflow(CCI_SUPPORTED_LOGS_HDR, *n, CCI_LOG_ENTRY_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	if (*n > cap)
		return -ENOBUFS;
	for (uint16_t i = 0; i < *n; i++) {
		wrd_bytes(&r, e[i].uuid, 16);
		e[i].size = wrd_u32le(&r);
	}
	return wrd_result(&r);
}

/*
 * Get Supported Logs Sub-List (0405h), CXL r3.2 §8.2.10.5.6 (r3.1 Tables
 * 8-93/8-94).  Input, 2 bytes:
 *
 *   OFFSET SIZE FIELD
 *   0x00   1    Maximum Number of Supported Log Entries
 *   0x01   1    Start Log Entry Index
 *
 * Output:
 *
 *   OFFSET SIZE     FIELD
 *   0x00   1        Number of Supported Log Entries (returned)
 *   0x01   1        Reserved
 *   0x02   2        Total Number of Supported Log Entries
 *   0x04   1        Start Log Entry Index
 *   0x05   3        Reserved
 *   0x08   0x14 x N Supported Log Entry (as 0400h)
 */
int cci_enc_logs_sub_list_in(struct wwr *w, const struct cci_logs_sub_list_in *in)
{
	wwr_u8(w, in->max_entries);
	wwr_u8(w, in->start_index);
	return wwr_result(w);
}

int cci_dec_logs_sub_list_in(const uint8_t *p, size_t len, struct cci_logs_sub_list_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	in->max_entries = wrd_u8(&r);
	in->start_index = wrd_u8(&r);
	return wrd_result(&r);
}

int cci_enc_logs_sub_list_out(struct wwr *w, const struct cci_log_entry *e, uint8_t n,
			      uint16_t total, uint8_t start)
{
	wwr_u8(w, n);
	wwr_zero(w, 1);
	wwr_u16le(w, total);
	wwr_u8(w, start);
	wwr_zero(w, 3);
	for (uint8_t i = 0; i < n; i++) {
		wwr_bytes(w, e[i].uuid, 16);
		wwr_u32le(w, e[i].size);
	}
	return wwr_result(w);
}

/*
 * Get Log (0401h) input, CXL r3.2 §8.2.10.5.2, Table 8-84:
 *
 *   OFFSET SIZE FIELD
 *   0x00   16   Log Identifier (UUID)
 *   0x10   4    Offset (bytes into the log)
 *   0x14   4    Length (bytes to return)
 *
 * Output (Table 8-85): the Length bytes of log data.
 */
int cci_enc_get_log_in(struct wwr *w, const struct cci_get_log_in *in)
{
	wwr_bytes(w, in->uuid, 16);
	wwr_u32le(w, in->offset);
	wwr_u32le(w, in->length);
	return wwr_result(w);
}

int cci_dec_get_log_in(const uint8_t *p, size_t len, struct cci_get_log_in *in)
{
	struct wrd r;

	wrd_init(&r, p, len);
	wrd_bytes(&r, in->uuid, 16);
	in->offset = wrd_u32le(&r);
	in->length = wrd_u32le(&r);
	return wrd_result(&r);
}

/*
 * CEL entry, CXL r3.2 §8.2.10.5.2.1, Tables 8-86/8-87:
 *
 *   OFFSET SIZE FIELD
 *   0x00   2    Opcode
 *   0x02   2    Command Effect (CCI_EFF_* bits; 15:12 reserved)
 */
int cci_enc_cel_entry(struct wwr *w, const struct cci_cel_entry *e)
{
	wwr_u16le(w, e->opcode);
	wwr_u16le(w, e->effects);
	return wwr_result(w);
}

void cci_dec_cel_entry(struct wrd *r, struct cci_cel_entry *e)
{
	e->opcode = wrd_u16le(r);
	e->effects = wrd_u16le(r);
}
