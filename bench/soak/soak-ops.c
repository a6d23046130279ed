/* SPDX-License-Identifier: MIT */
/*
 * soak-ops.c - bench-soak's operations: each kind of the random mix (FM
 * and QMP adds and releases, sharing, queries, applications, host
 * releases, reconnects, object-add/del, a second QMP client, a restart),
 * their latencies, and the pick of the next one.
 */
#include "soak.h"

const char *const op_name[NR_OPS] = {
	"fm-add", "fm-add-free", "fm-release", "fm-forced", "qmp-add", "qmp-share", "qmp-release",
	"qmp-query", "app-open-io", "host-release", "reconnect", "object-add-del", "qmp-client",
	"restart",
};

/* Weights of the random mix (restart is by time). */
static const uint32_t op_weight[NR_OPS] = { 14, 6, 10, 3, 8, 6, 6, 8, 20, 5, 1, 3, 3, 0 };

struct lat lat_min[MAX_MIN][NR_OPS], lat_all[NR_OPS];
uint32_t minute;

void lat_add(enum op o, double t, bool refused)
{
	struct lat *ls[2] = { &lat_min[minute < MAX_MIN ? minute : MAX_MIN - 1][o], &lat_all[o] };

	for (int i = 0; i < 2; i++) {
		ls[i]->n++;
		ls[i]->refused += refused;
		ls[i]->sum += t;
		if (t > ls[i]->max)
			ls[i]->max = t;
	}
}
static uint64_t sh_tag[MAX_SH];
static uint32_t nr_sh;

static bool op_fm_add(bool free_policy)
{
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	uint64_t tagn = rnd(2) ? next_tag++ : 0;
	uint32_t nblk = 1 + rnd(3);

	if (free_policy)
		return fm_add(0, h, CXLDCD_ADD_FREE, 0, nblk, tagn) == 0;
	return fm_add(0, h, CXLDCD_ADD_PRESCRIPTIVE, rnd(D0_BLOCKS - nblk), nblk, tagn) == 0;
}

struct cxldcd_extent lst[4096];

static bool op_fm_release(int dv, bool forced)
{
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	uint32_t n = fm_list(dv, h, lst, 4096);
	const struct cxldcd_extent *e;
	bool tagged;

	if (!n)
		return false;
	e = &lst[rnd(n)];
	tagged = tag_num(e->tag) != 0;
	return fm_release(dv, h, e, dv == 1 || (tagged && rnd(2)), forced) == 0;
}

static bool op_qmp_add(void)
{
	char cmd[512], t[37];
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	uint32_t nblk = 1 + rnd(2);
	uint64_t tagn = next_tag++;
	int r;

	tag_str(t, tagn);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
		 "\"host-id\":%u,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
		 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}\n", h, t,
		 (unsigned long long)rnd(D1_BLOCKS - nblk) * BLK, (unsigned long long)nblk * BLK);
	r = qmp_call_on(qmp, cmd);
	if (!r) {
		if (nr_sh == MAX_SH)
			memmove(sh_tag, sh_tag + 1, --nr_sh * sizeof(sh_tag[0]));
		sh_tag[nr_sh++] = tagn;
	}
	return !r;
}

static bool op_qmp_share(void)
{
	char cmd[512], t[37];

	if (!nr_sh)
		return false;
	tag_str(t, sh_tag[rnd(nr_sh)]);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
		 "\"host-id\":%u,\"selection-policy\":\"enable-shared-access\",\"region\":0,"
		 "\"tag\":\"%s\"}}\n", rnd(d.nr_hosts), t);
	return !qmp_call_on(qmp, cmd);
}

static bool op_qmp_release(void)
{
	char cmd[512], t[37];
	bool dev0 = rnd(2);
	uint16_t h = (uint16_t)rnd(d.nr_hosts);
	int r;

	if (dev0) {
		/* a prescriptive release of one of host h's extents on d0 */
		uint32_t n = fm_list(0, h, lst, 4096);
		const struct cxldcd_extent *e;

		if (!n)
			return false;
		e = &lst[rnd(n)];
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			 "\"host-id\":%u,\"removal-policy\":\"prescriptive\",\"region\":0,"
			 "\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}\n", h,
			 (unsigned long long)(e->dpa - base[0]), (unsigned long long)e->len);
		return !qmp_call_on(qmp, cmd);
	}
	if (!nr_sh)
		return false;
	tag_str(t, sh_tag[rnd(nr_sh)]);
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
		 "\"host-id\":%u,\"removal-policy\":\"tag-based\",\"region\":0,\"tag\":\"%s\"}}\n", h, t);
	r = qmp_call_on(qmp, cmd);
	return !r;
}

static bool op_qmp_query(void)
{
	char cmd[256], t[37];

	switch (rnd(3)) {
	case 0:
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d%u\","
			 "\"host-id\":%u,\"start-index\":%u,\"max-count\":16}}\n", rnd(2),
			 rnd(d.nr_hosts), rnd(8));
		break;
	case 1:
		tag_str(t, nr_sh ? sh_tag[rnd(nr_sh)] : 1);
		snprintf(cmd, sizeof(cmd),
			 "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":"
			 "\"d1\",\"host-id\":%u,\"region\":0,\"tag\":\"%s\"}}\n", rnd(d.nr_hosts), t);
		break;
	default:
		snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-devices\"}\n");
	}
	return !qmp_call_on(qmp, cmd);
}

struct cxldcd_host_group_info grp[1024];

/* An application of a random agent: close what is due, open one group, verify/write, maybe keep it. */
static bool op_app(void)
{
	int hi = (int)rnd(d.nr_hosts), dv = (int)rnd(NDEV);
	struct agent *a = &ag[hi][dv];
	uint32_t n;
	void *addr;
	uint64_t size;
	const struct cxldcd_host_group_info *g;

	for (uint32_t i = 0; i < a->nr_open;) {
		if (bench_now_s() >= a->open[i].until) {
			cxldcd_host_group_close(a->h, a->open[i].id);
			a->open[i] = a->open[--a->nr_open];
		} else {
			i++;
		}
	}
	n = cxldcd_host_list_groups(a->h, grp, 1024);
	if (!n)
		return false;
	g = &grp[rnd(n < 1024 ? n : 1024)];
	if (g->release_pending || g->revoked)
		return false;
	if (cxldcd_host_group_open(a->h, NULL, g->id, &addr, &size))
		return false;
	if (!still_whole(a->h, g->id)) {
		cxldcd_host_group_close(a->h, g->id);
		return false;
	}
	touch(hi, dv, g, addr, size);
	if (a->nr_open < MAX_OPEN && rnd(4) == 0) {
		a->open[a->nr_open].id = g->id;
		a->open[a->nr_open++].until = bench_now_s() + 0.5 + rnd(3000) / 1000.0;
	} else {
		cxldcd_host_group_close(a->h, g->id);
	}
	return true;
}

static bool op_host_release(void)
{
	int hi = (int)rnd(d.nr_hosts), dv = (int)rnd(NDEV);
	uint32_t n = cxldcd_host_list_groups(ag[hi][dv].h, grp, 1024);
	const struct cxldcd_host_group_info *g;

	if (!n)
		return false;
	g = &grp[rnd(n < 1024 ? n : 1024)];
	return cxldcd_host_group_release(ag[hi][dv].h, NULL, g->id) == 0;
}

static bool op_reconnect(void)
{
	int hi = (int)rnd(d.nr_hosts);

	for (int dv = 0; dv < NDEV; dv++) {
		agent_down(hi, dv);
		agent_up(hi, dv);
	}
	return true;
}

static uint64_t obj_seq;

static bool op_object(void)
{
	char cmd[256];
	uint64_t n = obj_seq++;
	int r;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-%s\","
		 "\"id\":\"sb%llu\",\"size\":%llu}}\n", rnd(2) ? "ram" : "memfd",
		 (unsigned long long)n, (unsigned long long)BLK * (1 + rnd(4)));
	r = qmp_call_on(qmp, cmd);
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"sb%llu\"}}\n",
		 (unsigned long long)n);
	return !r && !qmp_call_on(qmp, cmd);
}

static bool op_qmp_client(void)
{
	int fd = qmp_open();
	bool ok = !qmp_call_on(fd, "{\"execute\":\"query-cxl-devices\"}\n");

	if (rnd(2))
		qmp_send(fd, "{\"execute\":\"query-status\"}\n"); /* left unread: a client that leaves mid-answer */
	close(fd);
	return ok;
}

/*
 * The device's state as query-cxl-dynamic-capacity tells it, without what
 * a restart changes by design (whether a host is connected, the time an
 * offer was made, the age of a pending group); caller frees.
 */
static char *model_text(int dv)
{
	static const char *const drop[] = { "\"connected\": ", "\"offered-ns\": ", NULL };
	char cmd[160], *t, *o;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
		 "{\"path\":\"d%d\"}}\n", dv);
	if (qmp_call_on(qmp, cmd))
		die("query-cxl-dynamic-capacity d%d refused", dv);
	t = strdup(qbuf);
	if (!t)
		die("out of memory");
	for (int i = 0; drop[i]; i++)
		for (char *p = t; (p = strstr(p, drop[i]));) {
			char *v = p + strlen(drop[i]);

			while (*v && *v != ',' && *v != '}')
				v++;
			memmove(p, v, strlen(v) + 1);
		}
	/* and each host's DC event log (the first page of it): Get Event Records on its mailbox */
	for (uint32_t h = 0; h < d.nr_hosts; h++) {
		size_t n = strlen(t);

		snprintf(cmd, sizeof(cmd), "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":"
			 "\"d%d\",\"cci\":\"mailbox\",\"host-id\":%u,\"opcode\":256,\"payload\":\"04\"}}\n",
			 dv, h);
		if (qmp_call_on(qmp, cmd))
			die("cxl-cci-request d%d refused", dv);
		o = realloc(t, n + strlen(qbuf) + 32);
		if (!o)
			die("out of memory");
		t = o;
		snprintf(t + n, strlen(qbuf) + 32, "\nhost %u log: %s", h, qbuf);
	}
	return t;
}

uint32_t restart_diffs;
bool settle_first;  /* -g: the hosts answer everything before a restart */

/* Restart; the device model after it must be the one before it (journal and snapshot). */
void restart(void)
{
	char *before[NDEV], *after;

	/* the hosts go first, wherever they are (-g: once idle): the model is then still until the stop */
	if (settle_first)
		settle();
	disconnect_agents();
	usleep(20000);
	for (int dv = 0; dv < NDEV; dv++)
		before[dv] = model_text(dv);
	if (!getenv("SOAK_NOTERM")) {
		disconnect_clients();
		daemon_term();
		daemon_exec();
		connect_clients();
	}
	for (int dv = 0; dv < NDEV; dv++) {
		after = model_text(dv);
		if (strcmp(before[dv], after)) {
			size_t i = 0;

			while (before[dv][i] == after[i])
				i++;
			restart_diffs++;
			fprintf(stderr, "bench-soak: d%d differs after restart %u at byte %zu:\n  before: "
				"...%.300s\n  after:  ...%.300s\n", dv, d.starts - 1, i,
				before[dv] + (i > 200 ? i - 200 : 0), after + (i > 200 ? i - 200 : 0));
		}
		free(after);
		free(before[dv]);
	}
	connect_agents();
}

bool run_op(enum op o)
{
	switch (o) {
	case OP_FM_ADD: return op_fm_add(false);
	case OP_FM_ADD_FREE: return op_fm_add(true);
	case OP_FM_REL: return op_fm_release(0, rnd(8) == 0);
	case OP_FM_FORCED: return op_fm_release(1, true);
	case OP_QMP_ADD: return op_qmp_add();
	case OP_QMP_SHARE: return op_qmp_share();
	case OP_QMP_REL: return op_qmp_release();
	case OP_QMP_QUERY: return op_qmp_query();
	case OP_APP: return op_app();
	case OP_HOST_REL: return op_host_release();
	case OP_RECONNECT: return op_reconnect();
	case OP_OBJECT: return op_object();
	case OP_QMP_CLIENT: return op_qmp_client();
	default: restart(); return true;
	}
}

enum op pick(void)
{
	uint32_t total = 0, r;

	for (int o = 0; o < NR_OPS; o++)
		total += op_weight[o];
	r = rnd(total);
	for (int o = 0; o < NR_OPS; o++) {
		if (r < op_weight[o])
			return (enum op)o;
		r -= op_weight[o];
	}
	return OP_APP;
}

/* ------------------------------------------------------------ samples and checks */

/*
 * Whether the daemon is an ASan build: its executable names __asan_init
 * (gcc's -fsanitize=address imports it from libasan.so; checked with gcc).  Its
 * VmRSS is then mostly ASan's shadow and quarantine, which grow with every
 * allocation freed, so the RSS check says nothing about a leak
 * (LeakSanitizer at each stop does).  The file, not /proc/PID/maps: the
 * daemon is not dumpable, so only root may read its maps.
 */
bool daemon_sanitized(void)
{
	static const char needle[] = "__asan_init";
	const char *bin = getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH;
	char buf[65536 + sizeof(needle)];
	size_t keep = 0;
	bool found = false;
	ssize_t k;
	int fd = open(bin, O_RDONLY);

	if (fd < 0)
		return false;
	while (!found && (k = read(fd, buf + keep, sizeof(buf) - keep)) > 0) {
		size_t len = keep + (size_t)k;

		found = memmem(buf, len, needle, sizeof(needle) - 1) != NULL;
		keep = len < sizeof(needle) ? len : sizeof(needle) - 1;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}
