/* SPDX-License-Identifier: MIT */
/*
 * devmem.h - private: the layout of struct mem_dev, shared by devmem.c (the
 * bind/unbind/sanitize logic), slowpath.c and devmem-core.c (the observer).
 */
#ifndef CXLDCD_MEM_DEVMEM_H
#define CXLDCD_MEM_DEVMEM_H

#include "mem/backend.h"
#include "mem/bind.h"
#include "mem/store.h"
#include "mem/window.h"

/* One static backend (docs/memory.md "Static capacity"): DPA [dpa, dpa+len) is its [0, len). */
struct mem_static {
	struct mem_backend *be;        /* pinned (users++) */
	uint64_t dpa, len;
	struct mem_store *st;          /* the live pages, shared by every host; NULL when trusted */
};

/* A host's switch to or from group files under way (mem_dev_host_group_files_step()). */
struct mem_regroup {
	bool busy;                     /* walking the host's extents */
	bool on;                       /* to group files (else to a view per backend) */
	bool dirty;                    /* a release shifted the list: walk it again at the end */
	uint32_t next;                 /* the next extent (index in the model's list) */
	int rc;                        /* the first error, kept with its message */
	char msg[256];
};

struct mem_dev {
	struct mem_layout layout;
	enum mem_dev_mode mode;
	bool direct_map;
	bool trusted;                  /* bindings use the backend fd itself: no views, no grants */
	struct mem_registry *reg;      /* borrowed */
	struct mem_backend *backing;   /* MEM_DEV_SINGLE; pinned (users++) */
	uint64_t span_base, span_size; /* the DC decode span */
	struct bind_tree *trees;       /* [nr_hosts] */
	struct mem_window *wins;       /* [nr_hosts], reserved lazily */
	struct mem_store **views;      /* [nr_hosts]: each host's views, one per backend it holds */
	/*
	 * Group files (mem_dev_host_group_files()): per host, whether its
	 * views are per (host, backend, group), and its views that are: a
	 * list per host, and the tagged ones hashed by (host, backend, tag).
	 */
	bool *group_files;             /* [nr_hosts] */
	bool *group_partial;           /* [nr_hosts]: the last switch stopped half way */
	/*
	 * [nr_hosts]: at most this many group views (mem_dev_host_group_max(),
	 * UINT32_MAX: no cap), and how many the host has.  A group that finds
	 * no room goes into the host's per-backend view (spilled).
	 */
	uint32_t *group_max;
	uint32_t *nr_gviews;
	struct mem_regroup *regroup;   /* [nr_hosts] */
	struct mem_store **gviews;     /* [nr_hosts] */
	struct mem_store **gtab;       /* [gtab_size], chained through hnext */
	uint32_t gtab_size, gtab_nr;
	struct mem_store *grants;      /* shared grants, one per live sharable allocation */
	struct mem_store *retired;     /* grants whose sharers moved to a fresh one, until
				      * mem_dev_move_finish() punches them */
	uint64_t next_move_id;
	struct mem_dev_stats stats;
	char last_err[256];
	struct mem_static statics[2];  /* volatile, persistent: those present, in DPA order */
	uint8_t nr_statics;
	uint64_t static_end;           /* DPA where static capacity ends (0: none) */
	struct mem_window *swins;      /* [nr_hosts]: static windows (direct_map) */
	struct mem_backend *lsa;       /* the Label Storage Area's backend, pinned; NULL: none */
	/* Media poison (set by mem_dev_new from the model; NULL = none): slow-path reads fail. */
	bool (*poisoned)(const void *model, uint64_t dpa, uint64_t len);
	const void *model;
	/* The model's accepted extents of a host, start on, up to max (mem_dev_host_group_files()). */
	int (*list)(const void *model, uint16_t host, uint32_t start, uint32_t max,
		    struct core_extent_info *out, uint32_t *n);
	uint64_t pass;                 /* the bind pass under way (mem_pass_new()); 0: none */
};

/* The fd and offset where the live bytes of b's first byte are. */
static inline int mem_bind_fd(const struct mem_bind *b)
{
	return b->st ? b->st->fd : b->be->fd;
}

static inline uint64_t mem_bind_off(const struct mem_bind *b)
{
	return b->st ? b->off - b->st->base : b->off;
}

/*
 * A new bind pass id, never 0, never one used before in this process: the
 * scans (store.h) kept in backends and stores are trusted only within the
 * pass that made them, whichever device made them.
 */
uint64_t mem_pass_new(void);
/*
 * Bind host h's accepted extents in the model dev (mem_dev_sync()'s part
 * for one host, within its pass): each run of core_extent_runs() that its
 * extents would bind as one range is bound at once (100,000 extents back
 * to back: one binding, one store copy), and what is bound, counted and
 * said is what mem_dev_bind_many() of every extent gives: a run that
 * cannot be bound whole is bound extent by extent.  Return 0, or the first
 * error other than -EEXIST, else -EEXIST; its message in err.
 */
int mem_dev_bind_host(struct mem_dev *md, const struct cxldcd_dev *dev, uint16_t h, char *err,
		      size_t cap);

/* static.c: bind every host to the static capacity; write it back and let go. */
int mem_static_attach(struct mem_dev *md, const struct mem_dev_cfg *cfg, char *err, size_t cap);
void mem_static_detach(struct mem_dev *md);

#endif /* CXLDCD_MEM_DEVMEM_H */
