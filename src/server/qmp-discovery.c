/* SPDX-License-Identifier: MIT */
/*
 * qmp-discovery.c - device discovery over QMP (docs/qmp.md, "Discovery").
 *
 * qom-list answers as QEMU does for the part of the QOM tree that exists
 * here: "/" holds "machine", "/machine" holds "peripheral", and
 * "/machine/peripheral" holds one child<cxl-type3> per -device, so a QEMU
 * client that lists /machine/peripheral finds the ids to put in
 * "/machine/peripheral/ID" paths.  A device's own path lists the few
 * properties we model, and qom-get reads each property qom-list lists, as
 * QEMU's qom tools (qom-get, qom-tree) expect.  query-cxl-devices is the
 * typed form: every device with its geometry and the sockets that serve it.
 * Nothing here changes state.
 */
#include <errno.h>
#include <stdio.h>
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

const struct qmp_arg qmp_qom_get_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("property", QMP_T_STR),
	QMP_ARG_END
};

/* The objects of our QOM tree. */
enum qom_node {
	QOM_NONE,
	QOM_ROOT,          /* "/" */
	QOM_MACHINE,       /* "/machine" */
	QOM_PERIPHERAL,    /* "/machine/peripheral" */
	QOM_DEVICE,        /* "/machine/peripheral/ID" (or the bare id) */
};

/* Which object @path names (QEMU accepts a trailing '/' on a container); *dv for a device. */
static enum qom_node qom_resolve(struct server_ctx *s, const char *path, struct dcd **dv)
{
	size_t plen = strlen(path);

	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (plen == 1 && path[0] == '/')
		return QOM_ROOT;
	if (plen == strlen("/machine") && !strncmp(path, "/machine", plen))
		return QOM_MACHINE;
	if (plen == strlen(PERIPHERAL) && !strncmp(path, PERIPHERAL, plen))
		return QOM_PERIPHERAL;
	*dv = dcd_find(s, path);
	return *dv ? QOM_DEVICE : QOM_NONE;
}

/* Component i of the containers' path "/machine/peripheral" is the n bytes at name. */
static bool qom_part(size_t i, const char *name, size_t n)
{
	static const char *const part[] = { "machine", "peripheral" };

	return strlen(part[i]) == n && !memcmp(part[i], name, n);
}

/*
 * Whether path names one of the containers of the tree above ("/",
 * "/machine", "/machine/peripheral") as QEMU resolves a path: empty
 * components are skipped, and a relative path is a partial path, the end
 * of a container's absolute path.  The injection commands use it for
 * QEMU's text (qmp-dcd.c, dcd_resolve_inject()); qom-list and qom-get take
 * the absolute forms qom_resolve() reads.
 */
bool qom_is_container(const char *path)
{
	const char *name[2];
	size_t len[2], n = 0;

	for (const char *p = path; *p; p += *p == '/') {
		size_t l = strcspn(p, "/");

		if (l && n == 2)
			return false;
		if (l) {
			name[n] = p;
			len[n++] = l;
		}
		p += l;
	}
	/* the container at depth d is /part[0]/.../part[d-1] */
	for (size_t d = n; d <= 2; d++) {
		bool match = path[0] == '/' ? d == n : n > 0;

		for (size_t i = 0; match && i < n; i++)
			match = qom_part(d - n + i, name[i], len[i]);
		if (match)
			return true;
	}
	return false;
}

static int prop(json_t *a, const char *name, const char *type)
{
	return json_array_append_new(a, json_pack("{s:s, s:s}", "name", name, "type", type));
}

int qmp_qom_list(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	const char *path = qmp_arg_str(args, "path", "");
	struct dcd *dv = NULL;
	enum qom_node node = qom_resolve(s, path, &dv);
	json_t *a;

	if (node == QOM_NONE) {
		qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", path);
		return -ENOENT;
	}
	a = json_array();
	if (!a)
		return -ENOMEM;
	prop(a, "type", "string");
	if (node == QOM_ROOT) {
		prop(a, "machine", "child<container>");
	} else if (node == QOM_MACHINE) {
		prop(a, "peripheral", "child<container>");
	} else if (node == QOM_PERIPHERAL) {
		for (size_t i = 0; i < s->nr_devs; i++)
			prop(a, s->devs[i]->id, "child<cxl-type3>");
	} else {
		prop(a, "num-dc-regions", "uint8");
		prop(a, "num-hosts", "uint16");
		prop(a, "sn", "uint64");
		if (dv->memdev)
			prop(a, "volatile-dc-memdev", "link<memory-backend>");
	}
	*ret = a;
	return 0;
}

/* A property of a device; NULL (and *missing) when it has none of that name. */
static json_t *device_prop(const struct dcd *dv, const char *name, bool *missing)
{
	const struct cxldcd_dev_cfg *c = core_dev_cfg(dv->dev);
	char link[512];

	*missing = false;
	if (!strcmp(name, "num-dc-regions"))
		return json_integer(c->nr_regions);
	if (!strcmp(name, "num-hosts"))
		return json_integer(c->nr_hosts);
	/* a uint64: above 2^63-1 too, as QEMU writes it (qmp_reply_uint()) */
	if (!strcmp(name, "sn"))
		return qmp_reply_uint(dv->srv->qmp, c->serial);
	if (!strcmp(name, "volatile-dc-memdev") && dv->memdev) {
		/* a link reads as its target's path; QEMU's backends live in /objects */
		snprintf(link, sizeof(link), "/objects/%s", dv->memdev);
		return json_string(link);
	}
	*missing = true;
	return NULL;
}

/* A child of a container: its path; NULL when there is none of that name. */
static json_t *child_prop(struct server_ctx *s, enum qom_node node, const char *name)
{
	if (node == QOM_ROOT && !strcmp(name, "machine"))
		return json_string("/machine");
	if (node == QOM_MACHINE && !strcmp(name, "peripheral"))
		return json_string(PERIPHERAL);
	if (node == QOM_PERIPHERAL)
		for (size_t i = 0; i < s->nr_devs; i++)
			if (!strcmp(s->devs[i]->id, name))
				return json_string(s->devs[i]->path);
	return NULL;
}

/*
 * qom-get reads what qom-list lists: "type" (the object's type name), a
 * child (its path, as QEMU reads a child<> property), a device's numbers and
 * its memdev link ("/objects/ID").  Unknown paths and properties get QEMU's
 * texts.
 */
int qmp_qom_get(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	const char *path = qmp_arg_str(args, "path", "");
	const char *name = qmp_arg_str(args, "property", "");
	struct dcd *dv = NULL;
	enum qom_node node = qom_resolve(s, path, &dv);
	const char *type = node == QOM_DEVICE ? "cxl-type3" : "container";
	bool missing = true;
	json_t *v;

	if (node == QOM_NONE) {
		qmp_error_set(err, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", path);
		return -ENOENT;
	}
	if (!strcmp(name, "type"))
		v = json_string(type);
	else if (node == QOM_DEVICE)
		v = device_prop(dv, name, &missing);
	else
		v = child_prop(s, node, name);
	if (v) {
		*ret = v;
		return 0;
	}
	if (node != QOM_DEVICE || missing)
		qmp_error_set(err, QMP_ERR_GENERIC, "Property '%s.%s' not found", type, name);
	return -EINVAL;
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

/*
 * The static capacity of device @i: its volatile and persistent bytes
 * (always; 0 without), the backends given for them and the LSA, and
 * static-host=N when only that host reaches it.
 */
static void static_fields(json_t *d, const struct cxldcd_dev_cfg *c,
			  const struct cmdline_device *cd)
{
	json_object_set_new(d, "volatile-capacity",
			    json_integer((json_int_t)(c->static_capacity - c->persistent_capacity)));
	json_object_set_new(d, "persistent-capacity", json_integer((json_int_t)c->persistent_capacity));
	if (cd && cd->volatile_memdev)
		json_object_set_new(d, "volatile-memdev", json_string(cd->volatile_memdev));
	if (cd && cd->persistent_memdev)
		json_object_set_new(d, "persistent-memdev", json_string(cd->persistent_memdev));
	if (cd && cd->lsa)
		json_object_set_new(d, "lsa", json_string(cd->lsa));
	if (c->static_host_only)
		json_object_set_new(d, "static-host", json_integer(c->static_host));
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
		d = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:o, s:o}", "id", dv->id,
			      "path", dv->path, "type", "cxl-type3", "num-dc-regions", c->nr_regions,
			      "num-hosts", c->nr_hosts, "dc-regions-total-size", (json_int_t)total,
			      "fm-sockets", sockets_of(s->cfg->fm, s->cfg->nr_fm, i),
			      "host-sockets", sockets_of(s->cfg->host, s->cfg->nr_host, i));
		if (!d)
			continue;
		/* a block size is a DC region's: a device without any has none */
		if (c->nr_regions)
			json_object_set_new(d, "dc-block-size",
					    json_integer((json_int_t)c->regions[0].block_size));
		json_object_set_new(d, "mctp-cci-sockets",
				    sockets_of(s->cfg->mctp_cci, s->cfg->nr_mctp_cci, i));
		if (dv->memdev)
			json_object_set_new(d, "volatile-dc-memdev", json_string(dv->memdev));
		static_fields(d, c, dv->index < s->cfg->nr_devices ? &s->cfg->devices[dv->index] : NULL);
		json_array_append_new(a, d);
	}
	*ret = a;
	return 0;
}
