/* SPDX-License-Identifier: MIT */
/*
 * types.h - plain native value types shared by the device model, the CCI
 * codecs and the host library.  No wire layout: codecs in src/cci translate
 * these to and from little-endian bytes.
 */
#ifndef CXLDCD_TYPES_H
#define CXLDCD_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

/* A Dynamic Capacity Extent (CXL r3.2 Table 8-63), native form. */
struct cxldcd_extent {
	uint64_t dpa;               /* absolute device physical address, bytes */
	uint64_t len;               /* bytes */
	uint8_t tag[CXLDCD_TAG_SIZE]; /* all zero = no tag */
	uint16_t shared_seq;
};

/* A DPA range as carried by Updated Extent (Table 8-184): no tag. */
struct cxldcd_range {
	uint64_t dpa;
	uint64_t len;
};

/*
 * A native event record.  DC records (uuid == CXLDCD_DC_EVENT_UUID) use the
 * dc_* fields; other records carry their event-specific bytes in data[].
 */
struct cxldcd_event {
	uint8_t uuid[16];
	uint8_t length;             /* Event Record Length, 0x80 */
	uint32_t flags;             /* common header flags, 24 bits (CXLDCD_EVF_*) */
	uint16_t handle;            /* non-zero, unique in its log */
	uint16_t related_handle;
	uint64_t timestamp_ns;
	uint8_t maint_class;
	uint8_t maint_subclass;
	uint16_t ld_id;
	uint8_t head_id;
	/* Dynamic Capacity Event Record, Table 8-62 */
	uint8_t dc_type;            /* enum cxldcd_dc_event_type */
	uint8_t dc_validity;        /* bit0: avail_extents/avail_tags valid */
	uint16_t dc_host_id;        /* valid for 04h/05h */
	uint8_t dc_region_index;    /* valid for 03h */
	uint8_t dc_flags;           /* bit0 More */
	struct cxldcd_extent dc_extent;
	uint32_t dc_avail_extents;
	uint32_t dc_avail_tags;
	/* any other record: the 0x50 event-specific bytes at offset 0x30 */
	uint8_t data[0x50];
};

#define CXLDCD_DC_EVF_MORE 0x01u

#endif /* CXLDCD_TYPES_H */
