/* SPDX-License-Identifier: MIT */
/*
 * access.h - who may open which group through the application socket
 * (access.c).  Apart from host-int.h: access.c uses <grp.h>, whose struct
 * group is not the library's.
 */
#ifndef CXLDCD_HOST_ACCESS_H
#define CXLDCD_HOST_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "cxldcd/cxldcd-host.h"

#define ACCESS_READ 4u              /* list, open read-only */
#define ACCESS_WRITE 2u             /* with ACCESS_READ: open writable */

/* An application's kernel credentials, as at its connect(). */
struct app_cred {
	int32_t pid;
	uint32_t uid, gid;
	uint32_t *groups;           /* supplementary groups, owned */
	uint32_t nr_groups;
};

/* The owner, group and mode a group has, and the kind of rule that gave them. */
struct access_owner {
	uint32_t uid, gid, mode;
	const char *rule;           /* "tag", "untagged", "all" or "default"; static */
};

/* A copy of acc (NULL: the defaults); NULL when out of memory.  Caller frees. */
struct cxldcd_host_access *access_dup(const struct cxldcd_host_access *acc);
uint32_t access_sock_mode(const struct cxldcd_host_access *acc);
uint32_t access_nr_rules(const struct cxldcd_host_access *acc);
/* Whether the socket goes to another group (*gid). */
bool access_sock_group(const struct cxldcd_host_access *acc, uint32_t *gid);
/* The peer of fd's credentials (SO_PEERCRED, SO_PEERGROUPS).  0 or -errno. */
int access_cred_of(int fd, struct app_cred *cr);
void access_cred_fini(struct app_cred *cr);
void access_owner_of(const struct cxldcd_host_access *acc, const struct cxldcd_host_group_info *g,
		     struct access_owner *out);
/*
 * Whether cr may connect to a socket file of owner uid, group gid and mode
 * (write permission, as Linux checks at connect(); root: yes).
 */
bool access_may_connect(const struct app_cred *cr, uint32_t uid, uint32_t gid, uint32_t mode);
/* ACCESS_READ | ACCESS_WRITE bits cr has on g (root: both). */
unsigned access_perm(const struct cxldcd_host_access *acc, const struct app_cred *cr,
		     const struct cxldcd_host_group_info *g);
/*
 * Whether cr has every bit of need on every group a host may hold, those it
 * holds now and those it may be given later, whatever their tag (root: yes).
 * An fd that reaches more than one group (the host's per-backend file) may
 * go only to such an application.  When not, *weak (NULL: not wanted) is
 * the owner, group and mode of a group it lacks them on.
 */
bool access_every(const struct cxldcd_host_access *acc, const struct app_cred *cr, unsigned need,
		  struct access_owner *weak);

#endif /* CXLDCD_HOST_ACCESS_H */
