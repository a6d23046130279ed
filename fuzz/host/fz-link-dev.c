/* SPDX-License-Identifier: MIT */
/* fz-link-dev.c - the live device of the host-side targets (fz-link-dev.h). */
#include "fz-link-dev.h"

#include <stdio.h>
#include <unistd.h>

#include "../cci/steps.h"
#include "../fuzz-input.h"

#define MIB (1ull << 20)
#define BLOCK (2 * MIB)

void fz_link_dev_new(struct fz_link_dev *d, const struct cxldcd_dev_cfg *cfg, uint64_t (*clock)(void *),
		     void *opaque, const char *path)
{
	struct mem_backend_props bp = { .type = MEM_TYPE_MEMFD, .id = "mem0", .size = 512 * MIB };
	struct mem_dev_cfg mc = { .mode = MEM_DEV_SINGLE, .memdev = "mem0", .direct_map = true };
	struct hostlink_cfg hc = { .clock = clock, .clock_opaque = opaque };
	struct core_region_info r0, r1;
	struct cxldcd_diag diag = { 0 };
	char err[256] = "";

	if (core_dev_new(cfg, &d->dev, &diag) || core_region_get(d->dev, 0, &r0) ||
	    core_region_get(d->dev, 1, &r1))
		fz_die("core_dev_new", diag.text);
	if (clock)
		core_dev_set_time(d->dev, clock(opaque) * 1000000);
	if (mem_registry_new(&d->reg) || mem_registry_add(d->reg, &bp, NULL, err, sizeof(err)) ||
	    mem_dev_new(d->dev, d->reg, &mc, &d->md, err, sizeof(err)))
		fz_die("memory", err);
	hc.dev = d->dev;
	hc.md = d->md;
	if (hostlink_new(&hc, &d->hl))
		fz_die("hostlink_new", NULL);
	unlink(path);
	if (hostlink_listen_unix(d->hl, path, NULL))
		fz_die("hostlink_listen_unix", path);
	d->ext[0] = (struct fz_ext){ r1.base, BLOCK, 1, 0 };
	d->ext[1] = (struct fz_ext){ r1.base + 4 * MIB, BLOCK, 1, 1 };
	d->ext[2] = (struct fz_ext){ r0.base, 2 * BLOCK, 0, 0 };
	d->ext[3] = (struct fz_ext){ r1.base + 8 * MIB, BLOCK, 2, 0 };
}

void fz_link_dev_free(struct fz_link_dev *d)
{
	hostlink_disconnect(d->hl, 0);
	hostlink_disconnect(d->hl, 1);
	core_dev_free(d->dev);
	mem_dev_free(d->md);
	hostlink_free(d->hl);
	mem_registry_free(d->reg);
}

void fz_host_log(void *opaque, int level, const char *text)
{
	(void)opaque;
	fprintf(stderr, "host <%d>: %s\n", level, text);
}
