/* SPDX-License-Identifier: MIT */
/*
 * device.c - memory backends and cxl-type3 devices built from the parsed
 * command line (and object-add), and how the faces find them.
 *
 * Region sizes follow QEMU: with volatile-dc-memdev the backend's size is
 * split evenly over num-dc-regions (so it must be a multiple of N x 256 MiB:
 * regions are 256 MiB aligned and the backend covers them back to back);
 * with dc-regions-total-size the total is split evenly (each region a
 * multiple of the block size) and memory comes later by tag.  Without
 * num-dc-regions (QEMU's default 0) the device has static capacity only.
 *
 * Lifetimes (src/core observers cannot be unregistered): the model is built
 * first, the journal is replayed into it, then the memory and the host link
 * are attached; at the end, every CCI context and host connection goes
 * before the model, the model before the memory and the host link.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cci.h"
#include "cmdline.h"
#include "daemon.h"
#include "loop.h"
#include "store/store.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static const char *obj_type_name(enum cmdline_obj_type t)
{
	switch (t) {
	case CMDLINE_OBJ_MEMFD:
		return MEM_TYPE_MEMFD;
	case CMDLINE_OBJ_FILE:
		return MEM_TYPE_FILE;
	case CMDLINE_OBJ_TAGGED:
		return MEM_TYPE_TAGGED;
	default:
		return MEM_TYPE_RAM;
	}
}

int srv_backend_add(struct server_ctx *s, const struct cmdline_object *o, char *err, size_t cap)
{
	struct mem_backend_props p = {
		.type = obj_type_name(o->type),
		.id = o->id,
		.size = o->size,
		.share = o->share,
		.tag = o->has_tag ? o->tag : NULL,
		.mem_path = o->mem_path,
		.hugetlb = o->hugetlb,
	};
	const char *hs = cmdline_object_prop(o, "hugetlbsize");

	if (hs && cmdline_parse_size(hs, &p.hugetlbsize)) {
		snprintf(err, cap, "invalid hugetlbsize '%s'", hs);
		return -EINVAL;
	}
	return mem_registry_add(s->reg, &p, NULL, err, cap);
}

/* Region sizes, QEMU's way.  Return 0 or -EINVAL with err. */
static int region_len(struct server_ctx *s, const struct cmdline_device *d, uint64_t *len,
		      char *err, size_t cap)
{
	uint64_t n = d->num_dc_regions, total;

	*len = 0;
	if (!n)         /* static capacity only (cmdline checked it) */
		return 0;
	if (d->volatile_dc_memdev) {
		struct mem_backend *b = mem_registry_find(s->reg, d->volatile_dc_memdev);

		if (!b) {
			snprintf(err, cap, "-device %s: volatile-dc-memdev '%s' not found", d->id,
				 d->volatile_dc_memdev);
			return -EINVAL;
		}
		total = mem_backend_size(b);
		if (total % (n * CXLDCD_REGION_ALIGN)) {
			snprintf(err, cap,
				 "-device %s: volatile-dc-memdev %s size=0x%llx is not a multiple of num-dc-regions=%llu x 256 MiB",
				 d->id, d->volatile_dc_memdev, (unsigned long long)total,
				 (unsigned long long)n);
			return -EINVAL;
		}
	} else {
		total = d->dc_regions_total_size;
		if (total % n) {
			snprintf(err, cap,
				 "-device %s: dc-regions-total-size=0x%llx does not split evenly into %llu regions",
				 d->id, (unsigned long long)total, (unsigned long long)n);
			return -EINVAL;
		}
	}
	*len = total / n;
	return 0;
}

/* The size of static memdev @id (property @prop): a multiple of 256 MiB.  0 or -EINVAL. */
static int static_size(struct server_ctx *s, const struct cmdline_device *d, const char *prop,
		       const char *id, uint64_t *size, char *err, size_t cap)
{
	struct mem_backend *b = mem_registry_find(s->reg, id);

	if (!b || mem_backend_size(b) % CXLDCD_REGION_ALIGN) {
		snprintf(err, cap, "-device %s: %s '%s' %s", d->id, prop, id,
			 b ? "size is not a multiple of 256 MiB" : "not found");
		return -EINVAL;
	}
	*size = mem_backend_size(b);
	return 0;
}

/*
 * Static capacity, QEMU's layout: volatile-memdev at DPA 0, persistent-memdev
 * right after it, the DC regions after both.  A backend serves one purpose
 * only (QEMU: "memory backend ID can't be used multiple times.").
 */
static int static_cfg(struct server_ctx *s, const struct cmdline_device *d,
		      struct cxldcd_dev_cfg *cfg, char *err, size_t cap)
{
	const char *use[] = { d->volatile_memdev, d->persistent_memdev, d->volatile_dc_memdev,
			      d->lsa };
	uint64_t v = 0, p = 0;
	int rc = 0;

	for (size_t i = 0; i < 4; i++)
		for (size_t j = i + 1; j < 4; j++)
			if (use[i] && use[j] && !strcmp(use[i], use[j])) {
				snprintf(err, cap, "-device %s: memory backend %s can't be used multiple times.",
					 d->id, use[i]);
				return -EINVAL;
			}
	if (d->volatile_memdev)
		rc = static_size(s, d, "volatile-memdev", d->volatile_memdev, &v, err, cap);
	if (!rc && d->persistent_memdev)
		rc = static_size(s, d, "persistent-memdev", d->persistent_memdev, &p, err, cap);
	if (rc)
		return rc;
	if (v + p < v) {
		snprintf(err, cap, "-device %s: static capacity overflows the DPA space", d->id);
		return -EINVAL;
	}
	cfg->static_capacity = v + p;
	cfg->persistent_capacity = p;
	cfg->static_host_only = d->set & CMDLINE_DEV_STATIC_HOST;
	cfg->static_host = (uint16_t)d->static_host;
	return 0;
}

static int device_cfg(struct server_ctx *s, const struct cmdline_device *d,
		      struct cxldcd_dev_cfg *cfg, char *err, size_t cap)
{
	uint64_t len, bs = (d->set & CMDLINE_DEV_DC_BLOCK_SIZE) ? d->dc_block_size : 2 * MIB;
	int rc = region_len(s, d, &len, err, cap);

	if (rc)
		return rc;
	core_cfg_default(cfg);
	if (d->lsa) {   /* COMPAT: the label bytes live in the model (and --state), not in the backend */
		struct mem_backend *b = mem_registry_find(s->reg, d->lsa);

		if (!b || mem_backend_size(b) > UINT32_MAX) {
			snprintf(err, cap, "-device %s: lsa '%s' %s", d->id, d->lsa,
				 b ? "is larger than 4 GiB" : "not found");
			return -EINVAL;
		}
		cfg->lsa_size = (uint32_t)mem_backend_size(b);
	}
	rc = static_cfg(s, d, cfg, err, cap);
	if (rc)
		return rc;
	cfg->nr_regions = (uint8_t)d->num_dc_regions;
	for (unsigned i = 0; i < cfg->nr_regions; i++) {
		struct core_region_cfg *r = &cfg->regions[i];

		memset(r, 0, sizeof(*r));
		r->len = len;
		r->block_size = bs;
		r->supported_block_mask = 2 * MIB | GIB | bs;
		r->dsmad_handle = i;
		r->sor_configurable = true;
		r->sanitize_on_release = d->sanitize_on_release;
		r->sharable = d->sharable;
	}
	/* COMPAT: QEMU's cxl-type3 serves one host; num-hosts is ours. */
	cfg->nr_hosts = 1;
	if (d->set & CMDLINE_DEV_NUM_HOSTS) {
		if (d->num_hosts > CXLDCD_MAX_HOSTS) {
			snprintf(err, cap, "-device %s: num-hosts=%u exceeds %u", d->id, d->num_hosts,
				 CXLDCD_MAX_HOSTS);
			return -EINVAL;
		}
		cfg->nr_hosts = (uint16_t)d->num_hosts;
	}
	if (d->set & CMDLINE_DEV_MAX_EXTENTS)
		cfg->max_extents = d->max_extents;
	if (d->set & CMDLINE_DEV_MAX_TAGS)
		cfg->max_tags = d->max_tags;
	if (d->set & CMDLINE_DEV_EVENT_LOG_DEPTH)
		cfg->evlog_depth = d->event_log_depth;
	if (d->set & CMDLINE_DEV_MBOX_PAYLOAD_SIZE)
		cfg->mbox_payload_size = d->mbox_payload_size;
	cfg->seq_one_based = d->seq_one_based;
	cfg->maint_at_once = d->maint_at_once;
	cfg->pending_timeout_ms = d->pending_timeout_ms;
	cfg->serial = d->sn;
	return 0;
}

static int dcd_new(struct server_ctx *s, const struct cmdline_device *d, uint32_t index,
		   struct dcd **out, char *err, size_t cap)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag = { 0 };
	struct dcd *dv;
	int rc = device_cfg(s, d, &cfg, err, cap);

	if (rc)
		return rc;
	dv = calloc(1, sizeof(*dv));
	if (!dv)
		return -ENOMEM;
	dv->srv = s;
	dv->index = index;
	dv->mode = d->volatile_dc_memdev ? MEM_DEV_SINGLE : MEM_DEV_TAGGED;
	dv->id = strdup(d->id);
	dv->memdev = d->volatile_dc_memdev ? strdup(d->volatile_dc_memdev) : NULL;
	dv->trusted_hosts = d->trusted_hosts;
	dv->path = malloc(strlen(DCD_PATH_PREFIX) + strlen(d->id) + 1);
	dv->qmp_mbox = calloc(cfg.nr_hosts, sizeof(*dv->qmp_mbox));
	dv->replay_mbox = calloc(cfg.nr_hosts, sizeof(*dv->replay_mbox));
	dv->drop_owed = calloc(cfg.nr_hosts, sizeof(*dv->drop_owed));
	*out = dv;      /* freed by dcd_free_all() even when half built */
	if (!dv->id || (d->volatile_dc_memdev && !dv->memdev) || !dv->path || !dv->qmp_mbox ||
	    !dv->replay_mbox || !dv->drop_owed)
		return -ENOMEM;
	sprintf(dv->path, "%s%s", DCD_PATH_PREFIX, d->id);
	rc = core_dev_new(&cfg, &dv->dev, &diag);
	if (rc) {
		snprintf(err, cap, "-device %s: %s", d->id, rc == -ENOMEM ? "out of memory" : diag.text);
		return rc;
	}
	if ((rc = cci_ctx_new(dv->dev, CCI_FM, 0, &dv->qmp_fm)) ||
	    (rc = cci_ctx_new(dv->dev, CCI_FM, 0, &dv->replay_fm)) ||
	    (rc = cci_ctx_new(dv->dev, CCI_MCTP, 0, &dv->replay_mctp)) ||
	    (rc = dcd_events_attach(dv))) {
		snprintf(err, cap, "-device %s: %s", d->id, strerror(-rc));
		return rc;
	}
	return 0;
}

int dcd_create_all(struct server_ctx *s, char *err, size_t cap)
{
	const struct cmdline_cfg *cfg = s->cfg;

	s->devs = calloc(cfg->nr_devices ? cfg->nr_devices : 1, sizeof(*s->devs));
	if (!s->devs)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nr_devices; i++) {
		int rc = dcd_new(s, &cfg->devices[i], (uint32_t)i, &s->devs[i], err, cap);

		if (s->devs[i])
			s->nr_devs = i + 1;
		if (rc) {
			if (rc == -ENOMEM && !*err)
				snprintf(err, cap, "out of memory");
			return rc;
		}
	}
	return 0;
}

void dcd_mem_cfg(const struct server_ctx *s, const struct dcd *dv, struct mem_dev_cfg *mc)
{
	const struct cmdline_device *cd = dv->index < s->cfg->nr_devices ?
					  &s->cfg->devices[dv->index] : NULL;

	*mc = (struct mem_dev_cfg){ .mode = dv->mode, .memdev = dv->memdev, .direct_map = false,
				    .trusted = dv->trusted_hosts,
				    .volatile_memdev = cd ? cd->volatile_memdev : NULL,
				    .persistent_memdev = cd ? cd->persistent_memdev : NULL,
				    .lsa = cd ? cd->lsa : NULL,
				    .static_host_only = core_dev_cfg(dv->dev)->static_host_only,
				    .static_host = core_dev_cfg(dv->dev)->static_host };
}

int dcd_attach_memory(struct server_ctx *s, char *err, size_t cap)
{
	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];
		struct mem_dev_cfg mc;
		char msg[SRV_ERR_MAX];
		struct mem_dev_stats st;
		uint64_t t0;
		int rc;

		dcd_mem_cfg(s, dv, &mc);
		rc = mem_dev_new(dv->dev, s->reg, &mc, &dv->md, msg, sizeof(msg));

		if (rc) {
			snprintf(err, cap, "-device %s: %s", dv->id, msg);
			return rc;
		}
		t0 = loop_now_ms();
		rc = mem_dev_sync(dv->md, dv->dev, msg, sizeof(msg));
		if (rc)
			srv_log(s->log, LOG_WARNING, "device %s: restoring memory bindings: %s", dv->id,
				msg);
		mem_dev_stats_get(dv->md, &st);
		if (st.nr_bound)
			srv_log(s->log, LOG_NOTICE, "device %s: %u accepted extent(s) bound to memory in %llu ms",
				dv->id, st.nr_bound, (unsigned long long)(loop_now_ms() - t0));
	}
	return 0;
}

struct dcd *dcd_find(struct server_ctx *s, const char *path)
{
	size_t n = strlen(DCD_PATH_PREFIX);

	if (!path)
		return NULL;
	if (!strncmp(path, DCD_PATH_PREFIX, n))
		path += n;
	for (size_t i = 0; i < s->nr_devs; i++)
		if (!strcmp(s->devs[i]->id, path))
			return s->devs[i];
	return NULL;
}

struct cci_ctx *dcd_qmp_mbox(struct dcd *dv, uint16_t host)
{
	if (host >= core_dev_cfg(dv->dev)->nr_hosts)
		return NULL;
	if (!dv->qmp_mbox[host] && cci_ctx_new(dv->dev, CCI_MAILBOX, host, &dv->qmp_mbox[host]))
		return NULL;
	return dv->qmp_mbox[host];
}

struct cci_ctx *dcd_replay_mbox(struct dcd *dv, uint16_t host)
{
	if (host >= core_dev_cfg(dv->dev)->nr_hosts)
		return NULL;
	if (!dv->replay_mbox[host] && cci_ctx_new(dv->dev, CCI_MAILBOX, host, &dv->replay_mbox[host]))
		return NULL;
	return dv->replay_mbox[host];
}

void dcd_replay_mbox_drop(struct dcd *dv, uint16_t host)
{
	if (host >= core_dev_cfg(dv->dev)->nr_hosts)
		return;
	cci_ctx_free(dv->replay_mbox[host]);   /* discards the host's staging */
	dv->replay_mbox[host] = NULL;
}

/*
 * After a restart no connection survives: More chains left open by journaled
 * QMP (cxl-cci-request) or host-link messages are discarded.  Return how many
 * were open (the caller journals the discard when non-zero).
 */
unsigned dcd_discard_qmp_chains(struct server_ctx *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];

		for (uint16_t h = 0; h < core_dev_cfg(dv->dev)->nr_hosts; h++) {
			if (cci_ctx_chain_open(dv->replay_mbox[h]))
				n++;
			dcd_replay_mbox_drop(dv, h);
			if (!cci_ctx_chain_open(dv->qmp_mbox[h]))
				continue;
			cci_ctx_free(dv->qmp_mbox[h]);   /* discards the host's staging */
			dv->qmp_mbox[h] = NULL;
			n++;
		}
	}
	return n;
}

static void dcd_free(struct dcd *dv)
{
	uint16_t nr_hosts = dv->dev ? core_dev_cfg(dv->dev)->nr_hosts : 0;

	if (dv->hl)
		for (uint16_t h = 0; h < nr_hosts; h++)
			hostlink_disconnect(dv->hl, h);
	for (uint16_t h = 0; dv->qmp_mbox && h < nr_hosts; h++)
		cci_ctx_free(dv->qmp_mbox[h]);
	for (uint16_t h = 0; dv->replay_mbox && h < nr_hosts; h++)
		cci_ctx_free(dv->replay_mbox[h]);
	cci_ctx_free(dv->qmp_fm);
	cci_ctx_free(dv->replay_fm);
	cci_ctx_free(dv->replay_mctp);
	if (!dv->srv->exit_keeps_models)
		core_dev_free(dv->dev);  /* observers point at md and hl: free them after */
	mem_dev_free(dv->md);
	if (dv->hl_timer_set)
		loop_del_timer(dv->srv->loop, dv->hl_timer);
	hostlink_free(dv->hl);              /* sends what is queued */
	loop_defer_cancel(&dv->hl_flush);   /* after: a goodbye queued by the free asks for it */
	json_decref(dv->acc);
	json_decref(dv->rel);
	json_decref(dv->rev);
	free(dv->qmp_mbox);
	free(dv->replay_mbox);
	free(dv->drop_owed);
	free(dv->id);
	free(dv->path);
	free(dv->memdev);
	free(dv);
}

void dcd_free_all(struct server_ctx *s)
{
	for (size_t i = 0; i < s->nr_devs; i++)
		dcd_free(s->devs[i]);
	free(s->devs);
	s->devs = NULL;
	s->nr_devs = 0;
}

void srv_ctx_fini(struct server_ctx *s)
{
	dcd_free_all(s);                /* before the registry: bindings pin backends */
	mem_registry_free(s->reg);
	s->reg = NULL;
	store_close(s->st);
	s->st = NULL;
	json_decref(s->events);
	s->events = NULL;
	json_decref(s->objects);
	s->objects = NULL;
	json_decref(s->owed_carry);
	s->owed_carry = NULL;
	srv_zerosync_fini(s);
	srv_proof_fini(s);
}
