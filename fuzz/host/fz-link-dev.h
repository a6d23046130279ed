/* SPDX-License-Identifier: MIT */
/*
 * fz-link-dev.h - the live device that app-socket and host-agent run a real
 * agent against: the small fuzz device (fz_dev_cfg()), its memory (a 512 MiB
 * memfd, mapped directly), its host link listening on a Unix socket, and
 * the extents of the three groups both targets have the FM add.
 */
#ifndef CXLDCD_FUZZ_LINK_DEV_H
#define CXLDCD_FUZZ_LINK_DEV_H

#include <stdint.h>

#include "core/core.h"
#include "hostlink/hostlink.h"
#include "mem/mem.h"

/* One group's extent as the FM adds it (for forced release and re-adding). */
struct fz_ext {
	uint64_t dpa, len;
	uint16_t tag;               /* 0: untagged */
	uint16_t seq;
};

struct fz_link_dev {
	struct cxldcd_dev *dev;
	struct mem_registry *reg;
	struct mem_dev *md;
	struct hostlink *hl;
	/* A (tag 1, two extents: shared sequence 0, 1) in region 1, B untagged in region 0, C (tag 2) in region 1 */
	struct fz_ext ext[4];       /* A0, A1, B, C */
};

/*
 * Make @d from @cfg (fz_dev_cfg()'s, as the target changed it), its host
 * link listening at @path.  @clock (NULL: none): the link's clock in ms,
 * which also sets the device's time first.
 */
void fz_link_dev_new(struct fz_link_dev *d, const struct cxldcd_dev_cfg *cfg, uint64_t (*clock)(void *),
		     void *opaque, const char *path);
/* Hosts 0 and 1 disconnected, everything freed (the agents freed first). */
void fz_link_dev_free(struct fz_link_dev *d);
/* An agent's log (cxldcd_host_cfg.log_fn) on stderr: CXLDCD_FUZZ_VERBOSE. */
void fz_host_log(void *opaque, int level, const char *text);

#endif
