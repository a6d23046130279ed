/* SPDX-License-Identifier: MIT */
/*
 * core.h - the Dynamic Capacity Device model: the only header other modules
 * include from src/core.
 *
 * The model is pure C over libc: no sockets, files, clocks or printing.  Time
 * is handed in with core_dev_set_time().  Every mutating operation validates
 * completely before it changes anything and returns the CXL return code the
 * device would send; on any code other than CXLDCD_RC_SUCCESS the model is
 * unchanged (byte for byte: no event logged, no counter moved, no observer
 * called).  A struct cxldcd_diag, when given, receives a human message
 * ("host=1 region=0 dpa=0x10000000 len=0x200000 overlaps accepted extent").
 *
 * DPA space: one device-wide DPA space.  The same DPA means the same memory
 * for every host; a non-sharable block belongs to at most one host at a time
 * (pending or accepted), a sharable block may be accepted by several hosts
 * that all use the same tag.
 *
 * Owners of event logs: host ids 0..nr_hosts-1, and CORE_OWNER_FM for the
 * fabric manager's log (which receives Add Capacity Response 04h and
 * Capacity Released 05h records in its Dynamic Capacity log).
 */
#ifndef CXLDCD_CORE_H
#define CXLDCD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxldcd/spec.h"
#include "cxldcd/types.h"

struct cxldcd_dev;

#define CORE_OWNER_FM 0xffffu
#define CORE_DIAG_TEXT 192

/*
 * Why a request failed, beyond its CXL return code: the one verdict every face
 * reports (QMP maps it to QEMU's texts, cxl-cci-request and --trace name it).
 * Extent lists are checked extent by extent in list order, and for each
 * extent in the order of this enum from CORE_REASON_ZERO_LENGTH to
 * CORE_REASON_NOT_HELD, so QEMU's inputs get QEMU's first error.
 */
enum core_reason {
	CORE_REASON_NONE = 0,           /* success */
	CORE_REASON_OTHER,              /* not classified: the text says */
	CORE_REASON_NO_MEMORY,
	CORE_REASON_INVALID_HOST,
	CORE_REASON_INVALID_REGION,
	CORE_REASON_INVALID_POLICY,
	CORE_REASON_NO_EXTENTS,         /* a list that must not be empty is */
	/* per extent, in this order */
	CORE_REASON_ZERO_LENGTH,
	CORE_REASON_UNALIGNED,          /* dpa or len not a multiple of the region's block size */
	CORE_REASON_BEYOND_REGION,      /* not inside one region (or the region named) */
	CORE_REASON_LIST_OVERLAP,       /* overlaps an earlier extent of the same list */
	CORE_REASON_BAD_SEQUENCE,       /* shared sequence numbers */
	CORE_REASON_TAG_REQUIRED,       /* sharable capacity needs a tag */
	CORE_REASON_ALREADY_ACCESSIBLE, /* add: the host already has (part of) it */
	CORE_REASON_STILL_PENDING,      /* the host has (part of) it offered and not answered */
	CORE_REASON_HELD_ELSEWHERE,     /* add: another host or an FM reference holds it */
	CORE_REASON_NOT_HELD,           /* release/response: (part of) it is not the host's */
	/* whole request */
	CORE_REASON_SHARABLE_PARTIAL,   /* covers part of a sharable tag's capacity on the host */
	CORE_REASON_TAG_NOT_FOUND,      /* no such tag (enable shared access, references) */
	CORE_REASON_TAG_NOT_SHARABLE,
	CORE_REASON_TAG_NOT_ON_HOST,    /* tag-based release of a tag the host does not hold */
	CORE_REASON_TAG_IN_USE,         /* the tag is used elsewhere in a way the request conflicts with */
	CORE_REASON_LENGTH_MISMATCH,    /* tag-based release length is not the tag's bytes */
	CORE_REASON_NO_CAPACITY,        /* free/contiguous: not enough free capacity */
	CORE_REASON_EXTENT_LIMIT,       /* max_extents */
	CORE_REASON_TAG_LIMIT,          /* max_tags */
	CORE_REASON_LOG_FULL,           /* the host's DC event log cannot take the records */
	CORE_REASON_NO_PENDING_ADD,     /* Add DC Response with nothing offered */
	CORE_REASON_GROUP_DEAD,         /* Add DC Response to an offer revoked by a forced release */
	CORE_REASON_CHAIN_CONFLICT,     /* a More chain of another command is open */
	CORE_REASON_VETOED,             /* an observer refused the add (the memory layer) */
	CORE_REASON_COUNT
};

/* Stable kebab-case name ("zero-length", "still-pending"); "unknown" out of range. */
const char *core_reason_str(enum core_reason r);

/* Result detail of an operation: rc, why, the failing list index (-1: none), text. */
struct cxldcd_diag {
	enum cxldcd_rc rc;
	enum core_reason reason;
	int32_t index;
	char text[CORE_DIAG_TEXT];
};

/* Allocation hook (a test seam: fail the Nth allocation).  NULL = libc. */
struct cxldcd_allocator {
	void *(*alloc)(void *opaque, size_t size);
	void *(*realloc)(void *opaque, void *p, size_t size);
	void (*free)(void *opaque, void *p);
	void *opaque;
};

/* ---------------------------------------------------------------- config */

struct core_region_cfg {
	uint64_t base;                 /* bytes; 0 = place after the previous region (256 MiB aligned) */
	uint64_t decode_len;           /* bytes, multiple of 256 MiB; 0 = len rounded up to 256 MiB */
	uint64_t len;                  /* bytes, multiple of block_size, <= decode_len */
	uint64_t block_size;           /* bytes, power of two, >= 64, in supported_block_mask */
	uint64_t supported_block_mask; /* bit n = 2^n; 0 = only block_size; bits 5:0, 63:52 zero */
	uint32_t dsmad_handle;
	bool sanitize_on_release;
	bool sor_configurable;         /* FM may change sanitize_on_release (5600h SoR mask) */
	bool sharable;
	bool read_only;
	bool nonvolatile;
};

struct cxldcd_dev_cfg {
	uint64_t static_capacity;      /* bytes of static (non-DC) capacity before region 0 */
	/*
	 * Bytes of static_capacity that are persistent: its end, DPA
	 * static_capacity - persistent_capacity up to static_capacity (QEMU's
	 * layout: volatile-memdev at DPA 0, persistent-memdev after it).
	 */
	uint64_t persistent_capacity;
	/*
	 * Who reaches the static capacity: every host (false, the default), or
	 * only static_host (true; the others see a device without any).
	 */
	bool static_host_only;
	uint16_t static_host;
	uint8_t nr_regions;            /* 0..8; 0 only with static capacity */
	struct core_region_cfg regions[CXLDCD_MAX_REGIONS];
	uint16_t nr_hosts;             /* LD-IDs, 1..256 */
	uint32_t max_extents;          /* device-wide: pending + accepted + FM-referenced */
	uint32_t max_tags;             /* device-wide: distinct live tags */
	uint32_t evlog_depth;          /* records per event log, >= 1 */
	uint32_t mbox_payload_size;    /* bytes, power of two, 256 .. 1 MiB (used by src/cci) */
	bool seq_one_based;            /* shared sequence 1..n (Linux v10) instead of 0..n-1 */
	uint64_t pending_timeout_ms;   /* core_tick() expires pending groups older; 0 = never */
	uint64_t serial;               /* device serial number, reported by Identify (0001h) */
	uint32_t lsa_size;             /* Label Storage Area bytes (4102h/4103h); 0 = none */
	/*
	 * COMPAT (Linux): Perform Maintenance (0600h) completes before its
	 * response, memory sparing too (core_maint_perform()); false, the
	 * default, is the spec's background memory sparing.
	 */
	bool maint_at_once;
	const struct cxldcd_allocator *alloc; /* borrowed; must outlive the device */
};

/* Fill with defaults: 2 regions of 4 GiB, 2 MiB blocks, 2 hosts, spec 0..n-1. */
void core_cfg_default(struct cxldcd_dev_cfg *cfg);

/*
 * core_cfg_validate() - check a configuration.  Return: 0 if valid, else
 * -EINVAL with diag->text naming the field ("regions[1].block_size=0x1000
 * not in supported_block_mask=0x200000").  Region bases left 0 are computed
 * into *resolved when it is non-NULL (resolved may equal cfg).
 */
int core_cfg_validate(const struct cxldcd_dev_cfg *cfg, struct cxldcd_dev_cfg *resolved,
		      struct cxldcd_diag *diag);

/* Create a device.  Return 0, -EINVAL (diag says why) or -ENOMEM.  Caller frees with core_dev_free(). */
int core_dev_new(const struct cxldcd_dev_cfg *cfg, struct cxldcd_dev **out, struct cxldcd_diag *diag);
void core_dev_free(struct cxldcd_dev *dev);

/* The resolved configuration (bases filled in); owned by dev. */
const struct cxldcd_dev_cfg *core_dev_cfg(const struct cxldcd_dev *dev);

/*
 * Wall time used for event timestamps, pending-group ages and background
 * operations.  A memory sparing operation that has ended by now_ns logs its
 * Memory Sparing Event Record here (observers called), as in core_tick().
 */
void core_dev_set_time(struct cxldcd_dev *dev, uint64_t now_ns);

/* -------------------------------------------------------------- observers */

/* An extent with its device-level context, as passed to observers and queries. */
struct core_extent_info {
	uint16_t host;
	uint8_t region;
	struct cxldcd_extent ext;
	uint64_t tag_offset;      /* byte offset of ext.dpa within its tag's capacity (0 when untagged) */
	bool sharable;
	bool release_pending;     /* a Release Capacity record was sent, no Release DC yet */
	bool sanitize;            /* sanitize when this capacity is finally freed */
	/*
	 * The allocation ext is part of, as it stands when the call is made
	 * (equal to ext unless a release cuts a piece out of an extent: then
	 * the whole extent, before this request's cuts).  0 length when the
	 * info describes no allocation (an offer's veto).
	 */
	uint64_t whole_dpa, whole_len;
};

/*
 * Observers.  Every member may be NULL.  Called synchronously, after the
 * model's state is updated (except check_add, called before any change), in
 * the order the effects happen.  Observers must not call mutating core
 * functions re-entrantly.
 *
 * tag_offset: the extents of one tag are laid out back to back in the tag's
 * capacity, in shared-sequence order within an add and in add order across
 * adds; a sub-range keeps its parent's offset plus its distance from the
 * parent's start.  A backend bound to the tag maps ext.dpa at tag_offset.
 */
struct core_observer {
	/* Veto an add after validation, before any change: the offered extents. */
	enum cxldcd_rc (*check_add)(void *opaque, const struct core_extent_info *x, uint32_t n,
				    struct cxldcd_diag *diag);
	/* A host accepted this (sub-)range with Add DC Response. */
	void (*extent_accepted)(void *opaque, const struct core_extent_info *x);
	/* A host gave this range back with Release DC (or it was dropped at its timeout). */
	void (*extent_released)(void *opaque, const struct core_extent_info *x);
	/* Forced release: access revoked.  Called before the 02h record is logged. */
	void (*extent_revoked)(void *opaque, const struct core_extent_info *x);
	/*
	 * Device capacity returned to the free pool (no host and no FM reference
	 * holds it any more), after the extent_released/extent_revoked calls for
	 * it.  x->host is CORE_OWNER_FM; x->ext.tag and x->tag_offset say where
	 * the range sat in its tag's capacity; x->sanitize: zero it before reuse.
	 * Also called for offered capacity that was never accepted.
	 */
	void (*capacity_freed)(void *opaque, const struct core_extent_info *x);
	/* A pending group was answered: nr_accepted of nr_offered extents kept (0: rejected). */
	void (*group_answered)(void *opaque, uint16_t host, uint64_t group_id, uint32_t nr_offered,
			       uint32_t nr_accepted);
	/* A pending group timed out in core_tick() and was dropped. */
	void (*group_timeout)(void *opaque, uint16_t host, uint64_t group_id);
	/* A record was appended to a log (owner: host or CORE_OWNER_FM). */
	void (*event_logged)(void *opaque, uint16_t owner, uint8_t log, const struct cxldcd_event *ev);
	/* A log went from empty to non-empty (raise the interrupt). */
	void (*log_nonempty)(void *opaque, uint16_t owner, uint8_t log);
	/* Region block size / sanitize flag changed. */
	void (*region_configured)(void *opaque, uint8_t region);
	/* Sanitize, Secure Erase, Media Operations (4400h-4402h): zero this range of host's capacity. */
	void (*media_sanitized)(void *opaque, uint16_t host, uint64_t dpa, uint64_t len);
	/*
	 * The host's RAS registers report an error (ras.c): the PCIe AER
	 * message, uncorrectable internal (uncorrectable) or correctable
	 * internal.  The host reads and clears the registers.
	 */
	void (*ras_error)(void *opaque, uint16_t host, bool uncorrectable);
	/* Set LSA (4103h) wrote len bytes at offset of the Label Storage Area (data borrowed). */
	void (*lsa_written)(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data);
};

/* Register an observer (up to 8).  ops and opaque are borrowed for the device's life. Return 0 or -ENOSPC. */
int core_observer_add(struct cxldcd_dev *dev, const struct core_observer *ops, void *opaque);

/* ------------------------------------------------------------- operations */

struct core_add_req {
	uint16_t host;
	enum cxldcd_add_policy policy;
	uint8_t region;             /* free, contiguous; prescriptive when in_region */
	bool in_region;             /* prescriptive: every extent must lie inside region (QMP) */
	uint64_t length;            /* free, contiguous: bytes, > 0, block multiple */
	uint8_t tag[CXLDCD_TAG_SIZE]; /* free, contiguous, enable-shared: tag for all extents */
	uint32_t nr_extents;        /* prescriptive */
	const struct cxldcd_extent *extents; /* prescriptive: absolute DPA, per-extent tag and seq; borrowed */
};

/*
 * core_add() - Initiate Dynamic Capacity Add (5604h semantics, CXL r3.2
 * §7.6.7.6.5).  On success one pending group is queued on the host and its
 * Add Capacity records (one per extent, More on all but the last) are in the
 * host's DC log.  Retry Required when the log cannot hold the whole chain.
 * *group_id (optional) receives the new group's id (unique, increasing).
 */
enum cxldcd_rc core_add(struct cxldcd_dev *dev, const struct core_add_req *req,
			uint64_t *group_id, struct cxldcd_diag *diag);

/*
 * core_add_response() - Add Dynamic Capacity Response (4802h, §8.2.10.9.9.3)
 * from host: answers the host's oldest pending group.  more=true stages the
 * ranges and returns Success; the response is applied when a call with
 * more=false arrives.  n == 0 with more=false rejects the whole group.
 */
enum cxldcd_rc core_add_response(struct cxldcd_dev *dev, uint16_t host, const struct cxldcd_range *r,
				 uint32_t n, bool more, struct cxldcd_diag *diag);

struct core_release_req {
	uint16_t host;
	enum cxldcd_release_policy policy;
	bool forced;
	bool sanitize;
	uint8_t region;             /* prescriptive when in_region */
	bool in_region;             /* prescriptive: every extent must lie inside region (QMP) */
	uint64_t length;            /* tag-based: 0 = all of the tag, else must equal the tag's bytes on the host */
	uint8_t tag[CXLDCD_TAG_SIZE]; /* tag-based */
	uint32_t nr_extents;        /* prescriptive */
	const struct cxldcd_extent *extents; /* prescriptive: absolute DPA; borrowed */
};

/*
 * core_release() - Initiate Dynamic Capacity Release (5605h, §7.6.7.6.6).
 * Not forced: Release Capacity (01h) records (carrying the tag) are logged and
 * the ranges become release-pending.  Forced: access is revoked now
 * (extent_revoked), Forced Capacity Release (02h) records are logged, pending
 * targets make their group Dead.
 */
enum cxldcd_rc core_release(struct cxldcd_dev *dev, const struct core_release_req *req,
			    struct cxldcd_diag *diag);

/*
 * core_release_dc() - Release Dynamic Capacity (4803h, §8.2.10.9.9.4) from
 * host: partial and superset ranges, splitting, unsolicited release.  more as
 * for core_add_response().  n must be > 0.
 */
enum cxldcd_rc core_release_dc(struct cxldcd_dev *dev, uint16_t host, const struct cxldcd_range *r,
			       uint32_t n, bool more, struct cxldcd_diag *diag);

/* Drop a host's half-received More chain (4802h or 4803h), if any. */
void core_staging_discard(struct cxldcd_dev *dev, uint16_t host);

/* DC Add Reference / Remove Reference (5606h/5607h). */
enum cxldcd_rc core_tag_add_ref(struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE],
				struct cxldcd_diag *diag);
enum cxldcd_rc core_tag_remove_ref(struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE],
				   struct cxldcd_diag *diag);

/*
 * core_region_set_config() - Set DC Region Configuration (5602h): only when no
 * capacity (pending, accepted or referenced) is in the region on any host.
 * Logs Region Configuration Updated (03h) to every host's DC log on a change.
 */
enum cxldcd_rc core_region_set_config(struct cxldcd_dev *dev, uint8_t region, uint64_t block_size,
				      bool sanitize_on_release, struct cxldcd_diag *diag);

/*
 * Expire pending groups older than cfg.pending_timeout_ms at now_ns (and log
 * what ended background operations owe, as core_dev_set_time()).  Return:
 * groups expired.
 */
uint32_t core_tick(struct cxldcd_dev *dev, uint64_t now_ns);

/* ---------------------------------------------------------------- queries */

struct core_region_info {
	uint64_t base, decode_len, len, block_size, supported_block_mask;
	uint32_t dsmad_handle;
	bool sanitize_on_release, sor_configurable, sharable, read_only, nonvolatile;
	uint64_t allocated_bytes;   /* pending + accepted + referenced, device-wide */
};

uint8_t core_region_count(const struct cxldcd_dev *dev);
/* Return 0, or -EINVAL if idx is out of range. */
int core_region_get(const struct cxldcd_dev *dev, uint8_t idx, struct core_region_info *out);
/* Region holding [dpa, dpa+len) entirely, or -1. */
int core_region_of(const struct cxldcd_dev *dev, uint64_t dpa, uint64_t len);

struct core_counts {
	uint32_t total_extents, avail_extents;
	uint32_t total_tags, avail_tags;
};
void core_counts_get(const struct cxldcd_dev *dev, struct core_counts *out);

/* Accepted extents of a host, in DPA order (pending-add excluded, release-pending included). */
uint32_t core_extent_count(const struct cxldcd_dev *dev, uint16_t host);
uint32_t core_extent_generation(const struct cxldcd_dev *dev, uint16_t host);
/*
 * Copy up to max accepted extents from index start.  start > count: Invalid
 * Input.  Same generation => same list, so paging is stable.  Index lookup is
 * O(log n).
 */
enum cxldcd_rc core_extent_list(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				uint32_t max, struct cxldcd_extent *out, uint32_t *nr_out);
enum cxldcd_rc core_extent_list_info(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				     uint32_t max, struct core_extent_info *out, uint32_t *nr_out);
/*
 * A run of a host's accepted extents (core_extent_runs()): x is the info of
 * its first extent, as core_extent_list_info() gives it, but x.ext.len is
 * the run's length; nr is how many extents it stands for (each, as every
 * extent, a multiple of its region's block size long).
 */
struct core_extent_run {
	struct core_extent_info x;
	uint32_t nr;
};
/*
 * The host's accepted extents from index start on (the order of
 * core_extent_list_info()), joined into up to max runs: an extent joins
 * the run before it when it starts where the run ends, in the same region,
 * the region is not sharable, and, with by_tag, when it has the run's tag
 * (an untagged extent joins nothing) at the tag offset where the run ends.
 * The next page starts at start + the runs' nr.  start > count: Invalid
 * Input.  Same generation => same runs.
 */
enum cxldcd_rc core_extent_runs(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				bool by_tag, uint32_t max, struct core_extent_run *out,
				uint32_t *nr_out);

struct core_group_info {
	uint64_t id;
	uint32_t nr_extents;
	bool dead;
	uint64_t offered_ns;
};
/*
 * Pending groups of a host, oldest first.  Indexed: the idx-th group is O(1),
 * a group by id O(log n), a page of its extents O(page), the group of the
 * host's n-th pending extent O(log n).
 */
uint32_t core_pending_count(const struct cxldcd_dev *dev, uint16_t host);
int core_pending_get(const struct cxldcd_dev *dev, uint16_t host, uint32_t idx,
		     struct core_group_info *out);
/* Index of the host's pending group group_id in *idx.  0 or -ENOENT. */
int core_pending_find(const struct cxldcd_dev *dev, uint16_t host, uint64_t group_id,
		      uint32_t *idx);
enum cxldcd_rc core_pending_extents(const struct cxldcd_dev *dev, uint16_t host, uint32_t idx,
				    uint32_t start, uint32_t max, struct cxldcd_extent *out,
				    uint32_t *nr_out);
/*
 * The host's pending extents, numbered across its groups (oldest group first,
 * each group's in offer order): their number, O(1), and where the pos-th one
 * is: its group's index in *idx and its place in that group in *off,
 * O(log n) in the number of groups.  0 or -ENOENT (pos >= total).
 */
uint64_t core_pending_extent_total(const struct cxldcd_dev *dev, uint16_t host);
int core_pending_locate(const struct cxldcd_dev *dev, uint16_t host, uint64_t pos,
			uint32_t *idx, uint32_t *off);

struct core_tag_info {
	uint8_t tag[CXLDCD_TAG_SIZE];
	bool fm_ref;
	bool sharable;
	uint8_t accepted_map[32];   /* bit per LD: has accepted extents with the tag */
	uint8_t pending_map[32];    /* bit per LD: offered, not answered */
	uint32_t nr_extents;        /* device-level extents (allocations) with the tag */
	uint64_t bytes;             /* capacity carrying the tag */
};
/* Live tags (pending, accepted or FM-referenced), in a stable order for a given generation. */
uint32_t core_tag_count(const struct cxldcd_dev *dev);
uint32_t core_tag_generation(const struct cxldcd_dev *dev);
enum cxldcd_rc core_tag_list(const struct cxldcd_dev *dev, uint32_t start, uint32_t max,
			     struct core_tag_info *out, uint32_t *nr_out);
int core_tag_get(const struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE],
		 struct core_tag_info *out); /* 0 or -ENOENT */
/*
 * The tag's position in the core_tag_list() order in *idx (a page can start
 * there).  0 or -ENOENT.  O(log n); core_tag_list() from any start is
 * O(log n + page).
 */
int core_tag_index(const struct cxldcd_dev *dev, const uint8_t tag[CXLDCD_TAG_SIZE], uint32_t *idx);
/**
 * core_tag_list_host() - a page of the live tags @host holds (pending or
 * accepted), in the core_tag_list() order: entries [@start, @start + @max)
 * of that list into @out (caller's, @max entries), their number in *@nr_out.
 * core_tag_count_host() is the length of the list (0 for an invalid host).
 * Return: CXLDCD_RC_SUCCESS, or CXLDCD_RC_INVALID_INPUT for an invalid host
 * or @start beyond the list.  O(log n + page), whatever other hosts hold.
 */
uint32_t core_tag_count_host(const struct cxldcd_dev *dev, uint16_t host);
enum cxldcd_rc core_tag_list_host(const struct cxldcd_dev *dev, uint16_t host, uint32_t start,
				  uint32_t max, struct core_tag_info *out, uint32_t *nr_out);

enum core_tag_state {
	CORE_TAG_NOT_FOUND = 0,     /* the host never had the tag (or it was never seen) */
	CORE_TAG_PENDING,           /* offered to the host, not answered */
	CORE_TAG_COMMITTED,         /* accepted, no release requested */
	CORE_TAG_RELEASE_PENDING,   /* release requested, host has not released all of it */
	CORE_TAG_RELEASED,          /* the host had it and holds none of it now */
};
const char *core_tag_state_str(enum core_tag_state s); /* "pending", "committed", ... "not-found" */
/* The tag's state on host.  region < 0: any region. */
enum core_tag_state core_tag_status(const struct cxldcd_dev *dev, uint16_t host, int region,
				    const uint8_t tag[CXLDCD_TAG_SIZE]);

/* ------------------------------------------------------------- event logs */

struct core_evlog_status {
	bool overflow;
	uint16_t overflow_count;    /* saturating */
	uint64_t first_overflow_ns, last_overflow_ns;
	bool more;                  /* records remain beyond those returned */
};

/* Oldest-first copy of up to max records; nothing is removed.  Invalid log: Invalid Input. */
enum cxldcd_rc core_evlog_get(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log, uint32_t max,
			      struct cxldcd_event *out, uint32_t *nr_out, struct core_evlog_status *st);
/*
 * Clear Event Records (0101h): handles must be the oldest records in
 * temporal order, else Invalid Handle and nothing is cleared.  clear_all is
 * allowed only while the log has overflowed (else Invalid Input).
 */
enum cxldcd_rc core_evlog_clear(struct cxldcd_dev *dev, uint16_t owner, uint8_t log, bool clear_all,
				const uint16_t *handles, uint32_t n, struct cxldcd_diag *diag);
uint32_t core_evlog_count(const struct cxldcd_dev *dev, uint16_t owner, uint8_t log);
/* Event Status: bit n set = log n non-empty. */
uint32_t core_evlog_status_bits(const struct cxldcd_dev *dev, uint16_t owner);
/*
 * Append a non-DC record (fault injection, tests).  ev->handle and timestamp
 * are assigned.  Overflow is counted when the log is full.
 */
enum cxldcd_rc core_evlog_inject(struct cxldcd_dev *dev, uint16_t owner, uint8_t log,
				 const struct cxldcd_event *ev);

/* Event interrupt policy (0102h/0103h), 5 bytes: Info, Warn, Failure, Fatal, DC. */
void core_irq_policy_get(const struct cxldcd_dev *dev, uint16_t owner, uint8_t out[CXLDCD_NR_LOGS]);
/* n is 4 or 5 (4: DC byte unchanged).  Mode 10b on the DC byte is reserved: Invalid Input. */
enum cxldcd_rc core_irq_policy_set(struct cxldcd_dev *dev, uint16_t owner, const uint8_t *in, size_t n,
				   struct cxldcd_diag *diag);

/* ------------------------------------------------------------- snapshots */

/*
 * core_snapshot() - the device's whole logical state as bytes (snapshot.c):
 * everything replaying its inputs would rebuild (regions' settings, tags,
 * extents and holders, pending groups and More-chain staging, generation
 * numbers, next group id, remembered releases, event logs with handles,
 * timestamps, overflow and interrupt policy).  The same state gives the
 * same bytes.  *out is malloc()ed; the caller frees it.
 * Return: 0 or -ENOMEM.
 */
int core_snapshot(const struct cxldcd_dev *dev, uint8_t **out, size_t *len);

/* Takes @n bytes at @p (borrowed until it returns).  Return: 0 or -errno. */
typedef int core_snapshot_sink(void *opaque, const uint8_t *p, size_t n);

/*
 * core_snapshot_write() - the bytes of core_snapshot(), built in the
 * caller's @buf of @cap bytes and handed to @sink each time it is full (and
 * at the end), instead of in one allocation of the whole: a large device
 * goes to a file with no copy of its state in memory.  *len: how many bytes
 * @sink was given, once it returns 0 (the model is walked once; a file
 * stating the length before the bytes patches it in afterwards).
 * Return: 0; -ENOMEM; the first error of @sink (it is not called again).
 */
int core_snapshot_write(const struct cxldcd_dev *dev, uint8_t *buf, size_t cap,
			core_snapshot_sink *sink, void *opaque, uint64_t *len);

/*
 * core_restore() - load a snapshot into a device just made by
 * core_dev_new() with the configuration the snapshot was taken with.
 * Observers are not called.  Return: 0; -EBUSY (the device is not new);
 * -EINVAL (not a snapshot, another configuration, or damaged: diag says
 * what); -ENOMEM.  On failure the device is unusable: free it.
 */
int core_restore(struct cxldcd_dev *dev, const uint8_t *p, size_t len, struct cxldcd_diag *diag);

/* Called by core_restore_paced(); @dev is half-built meanwhile: do not touch it. */
typedef void core_progress_fn(void *opaque);

/* core_restore_paced() calls its progress function after every this many items read. */
#define CORE_RESTORE_PACE 16384u

/*
 * core_restore_paced() - core_restore(), calling @progress(@opaque) after
 * every CORE_RESTORE_PACE items read (tags, pending groups, allocations,
 * event records) and after each index built, so that a caller with a
 * service manager to ping keeps pinging through a restore of a million
 * items (the core has no clock: the caller decides what to do when).
 * @progress may be NULL (exactly core_restore()).
 */
int core_restore_paced(struct cxldcd_dev *dev, const uint8_t *p, size_t len,
		       core_progress_fn *progress, void *opaque, struct cxldcd_diag *diag);

/*
 * core_footprint() - the bytes the model's structures hold, by kind, as
 * allocated (a mapping counts its whole 2 MiB units; a heap block its own
 * size): what a restore touches (docs/performance.md, "Session 11:
 * restart footprint").  restore_scratch is the peak scratch of the last
 * core_restore() (given back at its end).
 */
struct core_footprint {
	size_t allocs, holds, tags;     /* the slabs: their pages and chunks */
	size_t tag_hash, tag_arrays;    /* the tag hash table(s); creation-order slots and counts */
	size_t node_chunks;             /* index nodes carved from bulk memory (region trees, tag-host) */
	size_t tag_host_nodes;          /* of the index nodes, the tag-host index's (wherever they are) */
	size_t groups, group_rings;     /* pending groups; each host's ring of them (on the heap: a restore
					 * puts them in the node chunks, counted there) */
	size_t event_rings;             /* every event log's ring */
	size_t restore_scratch;
};
void core_footprint(const struct cxldcd_dev *dev, struct core_footprint *f);

/* No host has a 4802h/4803h More chain staged (a quiet moment for a snapshot). */
bool core_staging_idle(const struct cxldcd_dev *dev);

/* ------------------------------------------------------ memory-device state */

/*
 * Poison (CXL r3.2 §8.2.10.9.4), device-wide and per DPA, at most
 * CORE_POISON_MAX disjoint ranges of 64-byte multiples.  owner: a host may
 * touch only the DPA it can access (static capacity and its accepted
 * extents); CORE_OWNER_FM reaches every DPA the device decodes.  Errors:
 * Invalid Input (unaligned or empty), Invalid Physical Address (not
 * accessible), Inject Poison Limit (list full), Resources Exhausted (a clear
 * that would split a range when the list is full).
 */
#define CORE_POISON_MAX 64u
#define CORE_POISON_SRC_UNKNOWN 0u
#define CORE_POISON_SRC_EXTERNAL 1u
#define CORE_POISON_SRC_INTERNAL 2u
#define CORE_POISON_SRC_INJECTED 3u
#define CORE_POISON_SRC_VENDOR 7u

struct core_poison {
	uint64_t dpa, len;          /* bytes, 64-byte multiples */
	uint8_t source;             /* CORE_POISON_SRC_* (Error Source of a Media Error Record) */
};

enum cxldcd_rc core_poison_inject(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
				  uint64_t len, uint8_t source, struct cxldcd_diag *diag);
/*
 * core_poison_inject_logged() - core_poison_inject(), and when the range was
 * not all poisoned before (new poison), ev (borrowed; handle and timestamp
 * assigned) appended to the Informational Event Log of every host that can
 * access [dpa, dpa+len): Inject Poison's poison creation event (CXL r3.2
 * §8.2.10.9.4.2).  ev NULL: no record.  A log that cannot grow: Internal
 * Error, nothing changed.
 */
enum cxldcd_rc core_poison_inject_logged(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
					 uint64_t len, uint8_t source, const struct cxldcd_event *ev,
					 struct cxldcd_diag *diag);
enum cxldcd_rc core_poison_clear(struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa,
				 uint64_t len, struct cxldcd_diag *diag);
/*
 * The pieces of poison inside [dpa, dpa+len) that owner can access, in DPA
 * order, up to max; *more when some were left out.  Return: pieces written.
 */
uint32_t core_poison_list(const struct cxldcd_dev *dev, uint16_t owner, uint64_t dpa, uint64_t len,
			  struct core_poison *out, uint32_t max, bool *more);
/* Some poison overlaps [dpa, dpa+len) (slow-path reads). */
bool core_poison_test(const struct cxldcd_dev *dev, uint64_t dpa, uint64_t len);
uint32_t core_poison_count(const struct cxldcd_dev *dev);
/* Bytes of static capacity owner reaches: all of it, or 0 (static_host_only, another host). */
uint64_t core_static_capacity_of(const struct cxldcd_dev *dev, uint16_t owner);
/*
 * host can access every byte of [dpa, dpa+len): static capacity or its
 * accepted extents; CORE_OWNER_FM: DPA the device decodes.  False when len is 0.
 */
bool core_host_can_access(const struct cxldcd_dev *dev, uint16_t host, uint64_t dpa, uint64_t len);
/* Drop poison in [dpa, dpa+len): the range was sanitized. */
void core_poison_forget(struct cxldcd_dev *dev, uint64_t dpa, uint64_t len);

/*
 * Background operations (0002h/0005h) and Scan Media (4303h-4305h) of a CCI:
 * host (its mailbox) or CORE_OWNER_FM (the Type 3 device's MCTP-based CCI,
 * which reaches the whole device).  One at a time per CCI.  Progress follows
 * model time; Scan Media runs at CORE_SCAN_BYTES_PER_MS and its results are
 * the caller's poison in the range.
 */
#define CORE_SCAN_BYTES_PER_MS (64ull << 20)

struct core_bg_status {
	uint16_t opcode;            /* last background command; 0 = none */
	bool running;
	uint8_t percent;            /* 0..100 */
	enum cxldcd_rc rc;          /* of the finished operation: Aborted when aborted,
				       core_bg_erase_answered()'s */
};
void core_bg_status(const struct cxldcd_dev *dev, uint16_t host, struct core_bg_status *st);
bool core_bg_busy(const struct cxldcd_dev *dev, uint16_t host);
/*
 * Abort the running operation (Success also when none runs; Sanitize and
 * Media Operations: Request Abort Not Supported).
 */
enum cxldcd_rc core_bg_abort(struct cxldcd_dev *dev, uint16_t host);
/*
 * The last erase that ran on dev (Sanitize, Secure Erase, Media Operations)
 * did not end as it ran: rc (the daemon: its proof record could not be
 * stored, docs/persistence.md "An erase in doubt").  The background
 * operation it started, if any, still runs to its end (Busy to another
 * meanwhile); Background Operation Status then reports rc as its return
 * code.  An erase that started none: nothing to do.
 */
void core_bg_erase_answered(struct cxldcd_dev *dev, enum cxldcd_rc rc);
/*
 * Which background operation: its CCI (a host or CORE_OWNER_FM), opcode
 * and start (model time).  What the daemon stores of an erase's answered
 * return code, to give it back to the same operation after a restart.
 */
struct core_bg_id {
	uint16_t owner;
	uint16_t opcode;
	uint64_t start_ns;
};
/* The operation the last erase started, before core_bg_erase_answered(); false: none. */
bool core_bg_erase_started(const struct cxldcd_dev *dev, struct core_bg_id *id);
/*
 * @id's operation ends with @rc (Background Operation Status), when it is
 * still the last one of its CCI and an erase (Sanitize, Media Operations);
 * false (nothing changed) otherwise.
 */
bool core_bg_result_set(struct cxldcd_dev *dev, const struct core_bg_id *id, enum cxldcd_rc rc);

/*
 * Sanitize (4400h, background) and Secure Erase (4401h, immediate) from
 * host: all capacity the host can access loses its data (media_sanitized
 * per piece) and its poison, at once; Sanitize then runs for a time
 * proportional to that capacity and cannot be aborted.  From CORE_OWNER_FM
 * (the MCTP CCI): the whole device, every host's capacity zeroed through
 * its binding and all poison dropped.  Busy while a background operation
 * runs on that CCI.
 */
enum cxldcd_rc core_sanitize_start(struct cxldcd_dev *dev, uint16_t host, struct cxldcd_diag *diag);
enum cxldcd_rc core_secure_erase(struct cxldcd_dev *dev, uint16_t host, struct cxldcd_diag *diag);

/*
 * Media Operations (4402h) Sanitize and Zero on n DPA ranges.  Each range
 * must be non-empty, a multiple of CORE_MEDIA_OP_GRAN in start and length,
 * and inside what owner can access (core_host_can_access()); else Invalid
 * Input (diag index = the range), nothing done.  n == 0: Success, nothing
 * runs.  Otherwise Busy while a background operation runs on owner's CCI;
 * else the ranges lose their data (media_sanitized) and poison at once and
 * a background operation (opcode 4402h, not abortable) reports progress for
 * a time proportional to their bytes: *started.
 */
#define CORE_MEDIA_OP_GRAN 64u
enum cxldcd_rc core_media_op(struct cxldcd_dev *dev, uint16_t owner, const struct cxldcd_range *rg,
			     uint32_t n, bool *started, struct cxldcd_diag *diag);

uint64_t core_scan_media_estimate_ms(uint64_t len);
/* Busy while an operation runs; Invalid Physical Address outside the host's capacity. */
enum cxldcd_rc core_scan_media_start(struct cxldcd_dev *dev, uint16_t host, uint64_t dpa,
				     uint64_t len, struct cxldcd_diag *diag);
struct core_scan_results {
	bool more, stopped;
	uint64_t restart_dpa, restart_len;
	uint32_t nr;
	const struct core_poison *rec; /* owned by dev; valid until the next scan */
};
/* Unsupported when no scan ran (CXL r3.1 §8.2.9.9.4.6), Busy while it runs. */
enum cxldcd_rc core_scan_media_results(const struct cxldcd_dev *dev, uint16_t host,
				       struct core_scan_results *out);

/*
 * Timestamp (0300h/0301h) of owner's LD (a host, or CORE_OWNER_FM: the
 * Type 3 MCTP CCI): 0 until set, then advances with core_dev_set_time().
 * Each LD has its own (CXL r3.2 §2.4, §2.5): a host's Set Timestamp changes
 * what no other host reads.
 */
uint64_t core_timestamp_get(const struct cxldcd_dev *dev, uint16_t owner);
enum cxldcd_rc core_timestamp_set(struct cxldcd_dev *dev, uint16_t owner, uint64_t ts_ns);

/*
 * Label Storage Area of cfg.lsa_size bytes (zeros until written), as owner
 * sees it: it labels the static capacity, so with static-host=N the other
 * hosts have none (core_lsa_size_of() 0, as core_static_capacity_of()).
 * Out of range for owner: Invalid Input.
 */
uint32_t core_lsa_size_of(const struct cxldcd_dev *dev, uint16_t owner);
enum cxldcd_rc core_lsa_read(const struct cxldcd_dev *dev, uint16_t owner, uint32_t offset,
			     uint32_t len, uint8_t *out, struct cxldcd_diag *diag);
enum cxldcd_rc core_lsa_write(struct cxldcd_dev *dev, uint16_t owner, uint32_t offset,
			      uint32_t len, const uint8_t *data, struct cxldcd_diag *diag);

/* Alerts (4201h/4202h alert bits). */
#define CORE_ALERT_LIFE_USED (1u << 0)
#define CORE_ALERT_OVER_TEMP (1u << 1)
#define CORE_ALERT_UNDER_TEMP (1u << 2)
#define CORE_ALERT_CORR_VOLATILE (1u << 3)
#define CORE_ALERT_CORR_PERSISTENT (1u << 4)
#define CORE_ALERT_ALL 0x1fu

struct core_alert_cfg {
	uint8_t enabled;            /* CORE_ALERT_* programmable warnings enabled */
	uint8_t life_used_crit, life_used_warn;     /* percent */
	uint16_t over_temp_crit, under_temp_crit;   /* degrees C, two's complement */
	uint16_t over_temp_warn, under_temp_warn;
	uint16_t corr_volatile_warn, corr_persistent_warn;
};
/* Alert configuration (4201h/4202h) of owner's LD, each its own as the timestamp. */
void core_alert_get(const struct cxldcd_dev *dev, uint16_t owner, struct core_alert_cfg *out);
enum cxldcd_rc core_alert_set(struct cxldcd_dev *dev, uint16_t owner, uint8_t valid,
			      uint8_t enable, const struct core_alert_cfg *thr,
			      struct cxldcd_diag *diag);

/* ------------------------------------------------------------- features.c */

/*
 * The memory-device features served by Get/Set Feature (0500h-0502h): patrol
 * scrub control and DDR5 ECS control (CXL r3.2 §8.2.10.9.11.1-2), and the
 * features of the repairs Perform Maintenance (0600h) runs: soft and hard
 * PPR and the four memory sparing granularities (§8.2.10.7.2).  One
 * device-wide setting each, with a current, a default and a saved value;
 * src/cci lays them out as Feature data.
 */
enum core_feature {
	CORE_FEAT_PATROL_SCRUB,
	CORE_FEAT_ECS,
	CORE_FEAT_SPPR,                 /* the repair features, in enum core_repair order */
	CORE_FEAT_HPPR,
	CORE_FEAT_SPARE_CACHELINE,
	CORE_FEAT_SPARE_ROW,
	CORE_FEAT_SPARE_BANK,
	CORE_FEAT_SPARE_RANK,
	CORE_NR_FEATURES,
};

/* Maintenance operations (class/subclass of CXL r3.2 Table 8-125) cxldcd performs. */
enum core_repair {
	CORE_REPAIR_SPPR,               /* class 01h PPR: subclass 00h soft, 01h hard */
	CORE_REPAIR_HPPR,
	CORE_REPAIR_CACHELINE,          /* class 02h memory sparing: subclasses 00h-03h */
	CORE_REPAIR_ROW,
	CORE_REPAIR_BANK,
	CORE_REPAIR_RANK,
	CORE_NR_REPAIRS,
};
#define CORE_FEAT_REPAIR(r) ((enum core_feature)(CORE_FEAT_SPPR + (r)))

enum core_feat_sel {            /* Get Feature Selection */
	CORE_FEAT_CURRENT = 0,
	CORE_FEAT_DEFAULT = 1,
	CORE_FEAT_SAVED = 2,
};

#define CORE_SCRUB_MIN_CYCLE_H 1u       /* shortest scrub cycle the device supports */
#define CORE_SCRUB_DEFAULT_CYCLE_H 12u
#define CORE_ECS_FRUS 3u                /* media FRUs with ECS settings */
#define CORE_ECS_LOG_PER_DRAM 0u        /* ECS log entry types */
#define CORE_ECS_LOG_PER_FRU 1u
#define CORE_ECS_THRESHOLD_256 3u       /* ECS threshold count codes (256, 1024, 4096 errors) */
#define CORE_ECS_THRESHOLD_1024 4u
#define CORE_ECS_THRESHOLD_4096 5u

struct core_scrub {
	uint8_t cycle_h;            /* hours, CORE_SCRUB_MIN_CYCLE_H..255 */
	bool enabled;
};

struct core_ecs {
	uint8_t log_entry_type;     /* CORE_ECS_LOG_* */
	uint8_t threshold[CORE_ECS_FRUS];       /* CORE_ECS_THRESHOLD_* */
	bool count_codewords[CORE_ECS_FRUS];    /* ECS mode: false counts rows */
};

/*
 * The writable settings of a repair feature (Operation Mode bit 0; PPR
 * Operation Mode bits 0-1).  The device advertises none of the capabilities
 * they enable (no device-initiated repair, no Memory Sparing Event Records,
 * no repair at boot), so a value with any of them set is out of range.
 */
struct core_repair_mode {
	bool dev_initiated;         /* device-initiated maintenance */
	bool sparing_events;        /* PPR: log a Memory Sparing Event Record per repair */
	bool at_boot;               /* PPR: device-initiated repair at boot */
};

struct core_features {
	struct core_scrub scrub;
	struct core_ecs ecs;
	struct core_repair_mode repair[CORE_NR_REPAIRS];
};

void core_features_get(const struct cxldcd_dev *dev, enum core_feat_sel sel,
		       struct core_features *out);
/*
 * Set feature f to its part of v (the other features' parts are ignored);
 * save: the saved value too.  A value out of range: Invalid Input, nothing
 * changes.
 */
enum cxldcd_rc core_features_set(struct cxldcd_dev *dev, enum core_feature f,
				 const struct core_features *v, bool save, struct cxldcd_diag *diag);

/*
 * Set Feature data transfer (CXL r3.2 §8.2.10.6.3): Feature data arrives
 * whole (Full) or in parts (Initiate, Continue..., Finish; Abort drops it),
 * one transfer at a time per LD: each host's mailbox and the Type 3 MCTP CCI
 * have their own (CXL r3.2 §2.5), so one host's open transfer never blocks or
 * changes another's.
 */
enum core_feat_action {
	CORE_FEAT_FULL = 0,
	CORE_FEAT_INITIATE = 1,
	CORE_FEAT_CONTINUE = 2,
	CORE_FEAT_FINISH = 3,
	CORE_FEAT_ABORT = 4,
};
#define CORE_FEAT_DATA_MAX 32u          /* the largest Set Feature Size of any feature */

struct core_feat_part {
	uint16_t owner;
	enum core_feature feature;
	enum core_feat_action action;
	uint16_t offset;            /* of data within the Feature data */
	const uint8_t *data;        /* borrowed */
	uint32_t len;
	uint16_t size;              /* the feature's Set Feature Size, <= CORE_FEAT_DATA_MAX */
	uint16_t min_size;          /* its Minimum Feature Data Size, <= size; 0: size */
	bool save;                  /* its Saved Across Reset flag */
};

/*
 * Check one part against the transfer in progress on p->owner's LD, changing
 * nothing.  When
 * it completes the data (Full, Finish), the whole Feature data (size bytes)
 * is copied to whole, *complete is set and *save says whether the data is
 * saved across reset: the flag of the Full, or of the Initiate that began
 * the transfer (CXL r3.2 §8.2.10.6.3: valid only with those actions).  Data
 * that ends short of the size but at least min_size bytes long has its
 * unsent part treated as 0 (§8.2.10.6.3), zeros in whole.
 * Errors: a Full or Initiate, or a part of another feature, while the LD's
 * transfer is open (Feature Transfer in Progress); a part with no transfer
 * begun or not following the bytes received (Feature Transfer Out of
 * Order); an Initiate offset other than 0, an Abort with nothing open, or
 * data beyond the size (Invalid Input); a completed transfer short of the
 * minimum (Invalid Payload Length).
 */
enum cxldcd_rc core_feat_xfer_check(const struct cxldcd_dev *dev, const struct core_feat_part *p,
				    uint8_t whole[CORE_FEAT_DATA_MAX], bool *complete, bool *save,
				    struct cxldcd_diag *diag);
/* Record a part core_feat_xfer_check() accepted (its data applied when complete).  Cannot fail. */
void core_feat_xfer_commit(struct cxldcd_dev *dev, const struct core_feat_part *p);
/* Whether owner's LD has a transfer in progress, and its feature. */
bool core_feat_xfer_active(const struct cxldcd_dev *dev, uint16_t owner, enum core_feature *f);

/* ------------------------------------------------------------------- RAS */

/*
 * The CXL RAS Capability Structure (CXL r3.2 §8.2.4.17) of each host's
 * device (ras.c): every host sees its own LD, so each host has its own
 * registers.  Masks and severity start all set (the spec's and QEMU's
 * default: nothing is reported until the host unmasks), Error Capability
 * and Control reads Multiple Header Recording Capability with the First
 * Error Pointer 0.
 *
 * Uncorrectable errors are recorded in order, each with its header log
 * (QEMU's multiple header recording): the status is the OR of the recorded
 * errors, the First Error Pointer and the Header Log show the oldest.  An
 * error masked when it is injected is not recorded (QEMU).  Not in
 * snapshots: the registers are volatile across a daemon restart (a power
 * cycle) and kept across a host's disconnects (a link reset: sticky).
 */
#define CORE_RAS_QUEUE_MAX 32u      /* uncorrectable errors recorded per host */
#define CORE_RAS_ALL_HOSTS 0xffffu

struct core_ras_regs {
	uint32_t unc_status, unc_mask, unc_severity;
	uint32_t cor_status, cor_mask;
	uint32_t cap_ctrl;
	uint32_t header_log[CXLDCD_RAS_HEADER_DWORDS];
};

struct core_uncor_error {
	uint8_t bit;                /* enum cxldcd_ras_unc */
	uint32_t header[CXLDCD_RAS_HEADER_DWORDS];
};

/* The host's registers (an invalid host: all zero). */
void core_ras_get(const struct cxldcd_dev *dev, uint16_t host, struct core_ras_regs *out);
/*
 * Record n uncorrectable errors on host (CORE_RAS_ALL_HOSTS: on every host),
 * in order; masked ones are skipped.  The ras_error observer runs for each
 * host whose status is then non-zero (QEMU raises AER whenever it is).
 * Invalid Input: a bit that is not an uncorrectable status bit, an invalid
 * host; Resources Exhausted: more than CORE_RAS_QUEUE_MAX recorded.
 */
enum cxldcd_rc core_ras_inject_uncor(struct cxldcd_dev *dev, uint16_t host,
				     const struct core_uncor_error *e, uint32_t n,
				     struct cxldcd_diag *diag);
/* Set a correctable status bit (enum cxldcd_ras_cor) unless masked; ras_error when set. */
enum cxldcd_rc core_ras_inject_cor(struct cxldcd_dev *dev, uint16_t host, uint8_t bit,
				   struct cxldcd_diag *diag);
/*
 * A 32-bit register write by the host at offset (CXLDCD_RAS_*): status
 * registers are write-1-to-clear (Uncorrectable: writing exactly the First
 * Error Pointer's bit drops the oldest record and shows the next one; any
 * other value drops every record whose bit is written, QEMU's choice),
 * masks and severity take the defined bits, the rest is read-only (the
 * write is ignored).  Invalid Input: offset not 4-aligned or past the
 * structure, invalid host.
 */
enum cxldcd_rc core_ras_write(struct cxldcd_dev *dev, uint16_t host, uint32_t offset,
			      uint32_t value, struct cxldcd_diag *diag);

/* ------------------------------------------------------------- maint.c */

/*
 * Perform Maintenance (0600h, CXL r3.2 §8.2.10.7.1) from host: a repair of
 * the media, counted per kind.  PPR names a DPA the host can access (static
 * capacity, its accepted extents); memory sparing names DRAM coordinates
 * (channel, rank, bank, row, ...), which cxldcd has no geometry to check.
 * A query (Query Resources) checks the request and repairs nothing.  The
 * data is kept and stays accessible (the features' Restriction Flags are
 * 0), poison included: a repair fixes the media, not the data.
 *
 * PPR completes at once (Success) and is counted.  Memory sparing (a query
 * too) runs as a background operation of the caller's CCI for
 * CORE_SPARING_MS of model time (opcode 0600h in 0002h; 0005h aborts it:
 * CXL r3.2 §8.2.10.7.1.4) and returns Background Command Started; when it
 * completes (the first core_dev_set_time() or core_tick() at or after its
 * end) the repair is counted and op->done, if any, is appended to the
 * caller's Informational Event Log with the completion time as its
 * timestamp: the Memory Sparing Event Record.  An aborted one does neither.
 *
 * With cfg.maint_at_once (COMPAT: Linux's EDAC driver sends 0600h without
 * waiting for a background operation) memory sparing completes at once as
 * a PPR does: Success, no background operation, the repair counted (not a
 * query) and op->done logged now, with the request's time.
 *
 * Errors: Busy while a background operation runs on the caller's CCI,
 * Invalid Physical Address for a PPR DPA the host cannot access.
 */
#define CORE_SPARING_MS 100u    /* the features' Maximum Maintenance Operation Latency, 05h */

struct core_maint_op {
	enum core_repair what;
	bool query;                 /* Query Resources */
	bool hard;                  /* memory sparing: Hard Sparing (else soft) */
	uint64_t dpa;               /* PPR */
	const struct cxldcd_event *done; /* memory sparing: logged at completion (borrowed, copied) */
};
enum cxldcd_rc core_maint_perform(struct cxldcd_dev *dev, uint16_t host,
				  const struct core_maint_op *op, struct cxldcd_diag *diag);
/* Repairs of kind r performed since the device was made (saturates at UINT32_MAX). */
uint32_t core_maint_count(const struct cxldcd_dev *dev, enum core_repair r);

/* ------------------------------------------------------------- debugging */

/*
 * Check every internal invariant (no overlap between hosts unless shared,
 * counts add up, indexes agree with each other).  Return 0, or -1 with a
 * description in msg.  O(n); for tests and fuzzers.
 */
int core_check_invariants(const struct cxldcd_dev *dev, char *msg, size_t cap);

#endif /* CXLDCD_CORE_H */
