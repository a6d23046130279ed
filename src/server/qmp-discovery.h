/* SPDX-License-Identifier: MIT */
/*
 * qmp-discovery.h - how a client attaching to a running daemon finds its
 * devices (docs/qmp.md, "Discovery"): QEMU's qom-list on
 * /machine/peripheral and qom-get of what it lists, and query-cxl-devices
 * (ours, typed).
 */
#ifndef CXLDCD_SERVER_QMP_DISCOVERY_H
#define CXLDCD_SERVER_QMP_DISCOVERY_H

#include "qmp/qmp.h"

extern const struct qmp_arg qmp_qom_list_args[];
int qmp_qom_list(void *opaque, json_t *args, json_t **ret, struct qmp_error *err);
extern const struct qmp_arg qmp_qom_get_args[];
int qmp_qom_get(void *opaque, json_t *args, json_t **ret, struct qmp_error *err);
int qmp_query_cxl_devices(void *opaque, json_t *args, json_t **ret, struct qmp_error *err);
/* query-cxl-durability (qmp-durability.c): the store's health, erases in doubt. */
int qmp_query_durability(void *opaque, json_t *args, json_t **ret, struct qmp_error *err);
/* Whether @path names a QOM container ("/", "/machine", "/machine/peripheral"), as QEMU resolves paths. */
bool qom_is_container(const char *path);

#endif
