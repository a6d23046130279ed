/* SPDX-License-Identifier: MIT */
/*
 * qmp-discovery.c - device discovery over QMP (docs/qmp.md, "Discovery").
 *
 * qom-list answers as QEMU does for the part of the QOM tree that exists
 * here: "/" holds "machine", "/machine" holds "peripheral", and
 * "/machine/peripheral" holds one child<cxl-type3> per -device, so a QEMU
 * client that lists /machine/peripheral finds the ids to put in
 * "/machine/peripheral/ID" paths.  A device's own path lists the few
 * properties we model.  query-cxl-devices is the typed form: every device
 * with its geometry and the sockets that serve it.  Nothing here changes
 * state.
 */
#include <errno.h>
#include <string.h>

#include "core/core.h"
#include "cmdline.h"
#include "daemon.h"
#include "qmp-discovery.h"

#define PERIPHERAL "/machine/peripheral"

const struct qmp_arg qmp_qom_list_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG_END
};

static int prop(json_t *a, const char *name, const char *type)
{
	return json_array_append_new(a, json_pack("{s:s, s:s}", "name", name, "type", type));
}

int qmp_qom_list(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	const char *path = qmp_arg_str(args, "path", "");
	size_t plen = strlen(path);
	json_t *a = json_array();
	struct dcd *dv;

	if (!a)
		return -ENOMEM;
	/* QEMU accepts a trailing '/' on a container path. */
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	prop(a, "type", "string");
	if (plen == 1 && path[0] == '/') {
		prop(a, "machine", "child<container>");
	} else if (plen == strlen("/machine") && !strncmp(path, "/machine", plen)) {
		prop(a, "peripheral", "child<container>");
	} else if (plen == strlen(PERIPHERAL) && !strncmp(path, PERIPHERAL, plen)) {
		for (size_t i = 0; i < s->nr_devs; i++)
			prop(a, s->devs[i]->id, "child<cxl-type3>");
	} else if ((dv = dcd_find(s, path))) {
		prop(a, "num-dc-regions", "uint8");
		prop(a, "num-hosts", "uint16");
		prop(a, "sn", "uint64");
		if (dv->memdev)
			prop(a, "volatile-dc-memdev", "link<memory-backend>");
	} else {
		json_decref(a);
		qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", path);
		return -ENOENT;
	}
	*ret = a;
	return 0;
}

/* The addresses of the --fm, --host-socket or --mctp-cci listeners serving device @index. */
static json_t *sockets_of(const struct cmdline_listener *ls, size_t nr, size_t index)
{
	json_t *a = json_array();
	char addr[SOCK_PATH_MAX + 16];

	for (size_t i = 0; a && i < nr; i++) {
		if (ls[i].dev != index)
			continue;
		sock_addr_str(&ls[i].addr, addr, sizeof(addr));
		json_array_append_new(a, json_string(addr));
	}
	return a;
}

int qmp_query_cxl_devices(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	json_t *a = json_array();

	(void)args;
	(void)err;
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_devs; i++) {
		const struct dcd *dv = s->devs[i];
		const struct cxldcd_dev_cfg *c = core_dev_cfg(dv->dev);
		uint64_t total = 0;
		json_t *d;

		for (unsigned r = 0; r < c->nr_regions; r++)
			total += c->regions[r].len;
		d = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:o, s:o}", "id", dv->id,
			      "path", dv->path, "type", "cxl-type3", "num-dc-regions", c->nr_regions,
			      "num-hosts", c->nr_hosts, "dc-regions-total-size", (json_int_t)total,
			      "dc-block-size", (json_int_t)c->regions[0].block_size,
			      "fm-sockets", sockets_of(s->cfg->fm, s->cfg->nr_fm, i),
			      "host-sockets", sockets_of(s->cfg->host, s->cfg->nr_host, i));
		if (d)
			json_object_set_new(d, "mctp-cci-sockets",
					    sockets_of(s->cfg->mctp_cci, s->cfg->nr_mctp_cci, i));
		if (d && dv->memdev)
			json_object_set_new(d, "volatile-dc-memdev", json_string(dv->memdev));
		json_array_append_new(a, d);
	}
	*ret = a;
	return 0;
}
