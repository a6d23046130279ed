/* SPDX-License-Identifier: MIT */
/* e2e.c - see e2e.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cci/fault.h"
#include "e2e.h"

#define POLL_MS 5

/* The running test's fixture, for the watchdog. */
static struct e2e *volatile current;

uint64_t e2e_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- setup, teardown, watchdog ----------------------------------------- */

static void watchdog(int sig)
{
	static const char msg[] = "e2e: watchdog: the test did not finish in time, killing it\n";
	struct e2e *e = current;

	(void)sig;
	if (e) {
		for (unsigned i = 0; i < E2E_MAX_AGENTS; i++)
			if (e->ag[i].pid > 0)
				kill(e->ag[i].pid, SIGKILL);
		if (e->d.pid > 0)
			kill(e->d.pid, SIGKILL);
	}
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(125);
	_exit(124);
}

int e2e_setup(void **state)
{
	struct sigaction sa = { .sa_handler = watchdog };
	struct e2e *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	current = e;
	alarm(E2E_WATCHDOG_S);
	*state = e;
	return 0;
}

int e2e_teardown(void **state)
{
	struct e2e *e = *state;

	for (unsigned i = 0; i < E2E_MAX_AGENTS; i++)
		if (e->ag[i].pid > 0)
			agent_kill(&e->ag[i], SIGKILL);
	qmp_client_free(e->c);
	dproc_reap_all(NULL);
	alarm(0);
	current = NULL;
	free(e);
	return 0;
}

/* ---- the daemon ---------------------------------------------------------- */

static bool wait_path(const char *path, int timeout_ms)
{
	uint64_t until = e2e_now_ms() + (uint64_t)timeout_ms;
	struct stat sb;

	while (stat(path, &sb)) {
		if (e2e_now_ms() > until)
			return false;
		poll(NULL, 0, POLL_MS);
	}
	return true;
}

static void daemon_spawn(struct e2e *e)
{
	const char *argv[56];
	int n = 0;

	argv[n++] = "-device";
	argv[n++] = e->device;
	for (unsigned i = 0; i < e->nr_more; i++)
		argv[n++] = e->more[i];
	argv[n++] = "--host-socket";
	argv[n++] = e->d.host;
	if (e->with_state) {
		argv[n++] = "--state";
		argv[n++] = e->d.state;
	}
	argv[n] = NULL;
	assert_int_equal(dproc_start(&e->d, argv), 0);
	e->c = dproc_connect(&e->d, E2E_TMO);
	if (!e->c)
		fail_msg("daemon did not come up:\n%s", dproc_log(&e->d));
	/* The host link listens before QMP does; check anyway. */
	assert_true(wait_path(e->d.host, E2E_TMO));
}

void e2e_start_daemon(struct e2e *e, const char *device, const char *const *more)
{
	assert_int_equal(dproc_init(&e->d), 0);
	snprintf(e->device, sizeof(e->device), "%s", device);
	e->nr_more = 0;
	for (; more && *more && e->nr_more < 40; more++)
		snprintf(e->more[e->nr_more++], sizeof(e->more[0]), "%s", *more);
	daemon_spawn(e);
}

void e2e_restart_daemon(struct e2e *e, bool kill9)
{
	qmp_client_free(e->c);
	e->c = NULL;
	if (kill9) {
		dproc_kill9(&e->d);
	} else {
		kill(e->d.pid, SIGTERM);
		if (dproc_wait_exit(&e->d, E2E_TMO) != 0)
			fail_msg("daemon did not stop cleanly:\n%s", dproc_log(&e->d));
	}
	daemon_spawn(e);
}

void e2e_start_default(struct e2e *e, const char *device_extra)
{
	static const char *const objs[] = {
		"-object", "memory-backend-memfd,id=ma,size=64M,share=on,tag=" TAG_A,
		"-object", "memory-backend-memfd,id=mb,size=64M,share=on,tag=" TAG_B,
		"-object", "memory-backend-memfd,id=mc,size=64M,share=on,tag=" TAG_C,
		NULL,
	};
	char dev[256];

	snprintf(dev, sizeof(dev),
		 "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2,"
		 "sharable=on%s%s", device_extra ? "," : "", device_extra ? device_extra : "");
	e2e_start_daemon(e, dev, objs);
}

/* ---- agents -------------------------------------------------------------- */

static void agent_spawn(struct e2e *e, struct agent *a)
{
	const char *bin = getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host";
	const char *argv[24];
	char id[8];
	int n = 0;

	snprintf(id, sizeof(id), "%u", a->host);
	argv[n++] = bin;
	argv[n++] = "--connect";
	argv[n++] = e->d.host;
	argv[n++] = "--host-id";
	argv[n++] = id;
	argv[n++] = "--agent-socket";
	argv[n++] = a->sock;
	for (unsigned i = 0; a->opts[i] && n < 23; i++)
		argv[n++] = a->opts[i];
	argv[n] = NULL;
	a->exit_status = -1;
	a->pid = fork();
	assert_true(a->pid >= 0);
	if (a->pid == 0) {
		int out = open(a->out, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int err = open(a->err, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

struct agent *agent_start(struct e2e *e, unsigned i, uint16_t host, const char *const *opts)
{
	struct agent *a = &e->ag[i];
	unsigned n = 0;

	assert_true(i < E2E_MAX_AGENTS);
	memset(a, 0, sizeof(*a));
	a->host = host;
	snprintf(a->sock, sizeof(a->sock), "%s/agent%u.sock", e->d.dir, i);
	snprintf(a->out, sizeof(a->out), "%s/agent%u.out", e->d.dir, i);
	snprintf(a->err, sizeof(a->err), "%s/agent%u.err", e->d.dir, i);
	for (; opts && opts[n] && n < 11; n++)
		a->opts[n] = opts[n];
	a->opts[n] = NULL;
	agent_restart(e, i, true);
	return a;
}

void agent_restart(struct e2e *e, unsigned i, bool wait_ready)
{
	struct agent *a = &e->ag[i];
	unsigned ready = agent_count(a, "ready");

	assert_true(a->pid <= 0);
	agent_spawn(e, a);
	if (wait_ready && !agent_wait(a, "ready", ready, NULL, E2E_TMO))
		fail_msg("agent %u (host %u) not ready:\n%s\ndaemon:\n%s", i, a->host, agent_log(a),
			 dproc_log(&e->d));
}

static int decode_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

bool agent_alive(struct agent *a)
{
	int st;

	if (a->pid <= 0)
		return false;
	if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
		a->exit_status = decode_status(st);
		a->pid = 0;
		return false;
	}
	return true;
}

int agent_wait_exit(struct agent *a, int timeout_ms)
{
	uint64_t until = e2e_now_ms() + (uint64_t)timeout_ms;

	while (agent_alive(a)) {
		if (e2e_now_ms() > until)
			return -1;
		poll(NULL, 0, POLL_MS);
	}
	return a->exit_status;
}

int agent_kill(struct agent *a, int sig)
{
	int st;

	if (a->pid <= 0)
		return a->exit_status;
	kill(a->pid, sig);
	if (sig == SIGKILL) {
		waitpid(a->pid, &st, 0);
		a->exit_status = decode_status(st);
		a->pid = 0;
		return a->exit_status;
	}
	return agent_wait_exit(a, E2E_TMO);
}

/* The agent's stdout (malloc'd, NUL-terminated; "" when absent). */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			assert_non_null(nb);
			buf = nb;
		}
		n = f ? fread(buf + len, 1, cap - len - 1, f) : 0;
		len += n;
	} while (n);
	if (f)
		fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	assert_non_null(buf);
	buf[len] = 0;
	return buf;
}

/* The nth (0-based) line starting with "EVENT ", or NULL; *count = how many there are. */
static const char *nth_line(const char *buf, const char *event, unsigned nth, unsigned *count)
{
	size_t el = strlen(event);
	const char *hit = NULL;

	*count = 0;
	for (const char *l = buf; *l;) {
		const char *nl = strchr(l, '\n');

		if (!nl)
			break;                  /* a line still being written */
		if (!strncmp(l, event, el) && l[el] == ' ') {
			if (*count == nth)
				hit = l;
			(*count)++;
		}
		l = nl + 1;
	}
	return hit;
}

unsigned agent_count(struct agent *a, const char *event)
{
	char *buf = read_file(a->out);
	unsigned n;

	nth_line(buf, event, 0, &n);
	free(buf);
	return n;
}

bool agent_wait(struct agent *a, const char *event, unsigned have, const char *text,
		int timeout_ms)
{
	uint64_t until = e2e_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		bool alive = agent_alive(a);
		char *buf = read_file(a->out);
		unsigned n;
		const char *l = nth_line(buf, event, have, &n);

		if (l) {
			size_t len = (size_t)(strchr(l, '\n') - l);
			char line[512];

			snprintf(line, sizeof(line), "%.*s", (int)(len < 511 ? len : 511), l);
			free(buf);
			if (text && !strstr(line, text))
				fail_msg("agent host %u: '%s' line is '%s', expected it to contain '%s'",
					 a->host, event, line, text);
			return true;
		}
		free(buf);
		if (!alive || e2e_now_ms() > until)
			return false;
		poll(NULL, 0, POLL_MS);
	}
}

const char *agent_log(struct agent *a)
{
	static char out[16384];
	char *o = read_file(a->out), *er = read_file(a->err);

	snprintf(out, sizeof(out), "--- stdout\n%.8000s--- stderr\n%.7000s", o, er);
	free(o);
	free(er);
	return out;
}

void wait_connected(struct e2e *e, uint16_t host, bool want)
{
	uint64_t until = e2e_now_ms() + E2E_TMO;

	while ((dc_host(e, host).connected != 0) != want) {
		if (e2e_now_ms() > until)
			fail_msg("host %u: connected never became %d", host, want);
		poll(NULL, 0, POLL_MS);
	}
}

/* ---- QMP ----------------------------------------------------------------- */

__attribute__((format(printf, 2, 0)))
static json_t *qmp_vcmd(struct e2e *e, const char *fmt, va_list ap, char *text, size_t cap)
{
	json_t *r;

	vsnprintf(text, cap, fmt, ap);
	r = qmp_client_cmd(e->c, text, E2E_TMO);
	if (!r)
		fail_msg("no reply to %s\ndaemon:\n%s", text, dproc_log(&e->d));
	return r;
}

json_t *qmp_ok(struct e2e *e, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = qmp_vcmd(e, fmt, ap, text, sizeof(text));
	va_end(ap);
	if (!json_object_get(r, "return"))
		fail_msg("%s failed: %s", text, qmp_client_err_desc(r));
	return r;
}

const char *qmp_err(struct e2e *e, const char *fmt, ...)
{
	static char desc[1024];
	char text[4096];
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = qmp_vcmd(e, fmt, ap, text, sizeof(text));
	va_end(ap);
	if (!qmp_client_err_desc(r))
		fail_msg("%s succeeded, expected an error", text);
	snprintf(desc, sizeof(desc), "%s", qmp_client_err_desc(r));
	json_decref(r);
	return desc;
}

void dc_add(struct e2e *e, uint16_t host, const char *policy, const char *tag, const char *extents)
{
	char tagarg[64] = "", extarg[1024] = "";

	if (tag)
		snprintf(tagarg, sizeof(tagarg), ",\"tag\":\"%s\"", tag);
	if (extents)
		snprintf(extarg, sizeof(extarg), ",\"extents\":%s", extents);
	json_decref(qmp_ok(e,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_PATH "\","
		"\"host-id\":%u,\"selection-policy\":\"%s\",\"region\":0%s%s}}",
		host, policy, tagarg, extarg));
}

void dc_release_tag(struct e2e *e, uint16_t host, const char *tag, bool forced)
{
	json_decref(qmp_ok(e,
		"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_PATH "\","
		"\"host-id\":%u,\"removal-policy\":\"tag-based\",\"forced-removal\":%s,\"region\":0,"
		"\"tag\":\"%s\"}}", host, forced ? "true" : "false", tag));
}

const char *dc_status(struct e2e *e, uint16_t host, const char *tag)
{
	static char st[64];
	json_t *r = qmp_ok(e,
		"{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\""
		DEV_PATH "\",\"host-id\":%u,\"tag\":\"%s\"}}", host, tag);

	snprintf(st, sizeof(st), "%s",
		 json_string_value(json_object_get(json_object_get(r, "return"), "status")));
	json_decref(r);
	return st;
}

void dc_wait_status(struct e2e *e, uint16_t host, const char *tag, const char *want)
{
	uint64_t until = e2e_now_ms() + E2E_TMO;
	const char *st;

	while (strcmp(st = dc_status(e, host, tag), want)) {
		if (e2e_now_ms() > until)
			fail_msg("host %u tag %.8s: status '%s', expected '%s'", host, tag, st, want);
		poll(NULL, 0, POLL_MS);
	}
}

struct host_state dc_host(struct e2e *e, uint16_t host)
{
	json_t *r = qmp_ok(e, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\""
			      DEV_PATH "\"}}");
	json_t *h = json_array_get(json_object_get(json_object_get(r, "return"), "hosts"), host);
	json_t *ext = json_object_get(h, "extents"), *x;
	struct host_state s = { 0 };
	size_t i;

	assert_non_null(h);
	s.generation = (uint64_t)json_integer_value(json_object_get(h, "generation"));
	s.connected = json_is_true(json_object_get(h, "connected"));
	s.nr_extents = json_array_size(ext);
	s.nr_pending = json_array_size(json_object_get(h, "pending"));
	json_array_foreach(ext, i, x)
		s.bytes += (uint64_t)json_integer_value(json_object_get(x, "len"));
	json_decref(r);
	return s;
}

json_t *dc_event(struct e2e *e, const char *name, uint16_t host, int timeout_ms)
{
	uint64_t until = e2e_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = e2e_now_ms();
		json_t *ev = qmp_client_event(e->c, name, now < until ? (int)(until - now) : 0);
		json_t *h = json_object_get(json_object_get(ev, "data"), "host-id");

		if (!ev || json_integer_value(h) == host)
			return ev;
		json_decref(ev);
	}
}

json_int_t dc_expect_event(struct e2e *e, const char *name, uint16_t host, const char *key)
{
	json_t *ev = dc_event(e, name, host, E2E_TMO);
	json_t *v;
	json_int_t r;

	if (!ev)
		fail_msg("no %s event for host %u\ndaemon:\n%s", name, host, dproc_log(&e->d));
	v = json_object_get(json_object_get(ev, "data"), key ? key : "");
	r = v ? json_integer_value(v) : -1;
	json_decref(ev);
	return r;
}

void inject_fault(struct e2e *e, uint16_t host, const char *fault, uint32_t count)
{
	json_decref(qmp_ok(e,
		"{\"execute\":\"cxl-inject-fault\",\"arguments\":{\"path\":\"" DEV_PATH "\","
		"\"host-id\":%u,\"fault\":\"%s\",\"count\":%u}}", host, fault, count));
}

uint32_t faults_of(struct e2e *e, uint16_t host)
{
	json_t *r = qmp_ok(e, "{\"execute\":\"query-cxl-faults\",\"arguments\":{\"path\":\""
			      DEV_PATH "\"}}");
	json_t *h, *f;
	uint32_t mask = 0;
	size_t i, j;

	json_array_foreach(json_object_get(r, "return"), i, h) {
		if (json_integer_value(json_object_get(h, "host-id")) != host)
			continue;
		json_array_foreach(json_object_get(h, "faults"), j, f) {
			enum cci_fault which;

			assert_int_equal(cci_fault_parse(json_string_value(json_object_get(f, "fault")),
							 &which), 0);
			mask |= CCI_FAULT_BIT(which);
		}
	}
	json_decref(r);
	return mask;
}

/* ---- applications ------------------------------------------------------ */

struct cxldcd_app *app_connect(struct agent *a)
{
	struct cxldcd_app *app = NULL;
	int rc = cxldcd_app_connect(a->sock, &app);

	if (rc)
		fail_msg("app connect %s: %s\n%s", a->sock, strerror(-rc), agent_log(a));
	return app;
}

int app_groups(struct cxldcd_app *app, const char *tag, struct cxldcd_host_group_info *g)
{
	struct cxldcd_host_group_info l[16];
	uint8_t t[16] = { 0 };
	int n = cxldcd_app_list(app, l, 16);

	assert_true(n >= 0);
	if (tag)
		assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	if (g) {
		memset(g, 0, sizeof(*g));
		for (int i = 0; i < n && i < 16; i++)
			if (tag && l[i].tagged && !memcmp(l[i].tag, t, 16))
				*g = l[i];
	}
	return n;
}

int app_open(struct cxldcd_app *app, const char *tag, struct cxldcd_app_map *m)
{
	uint8_t t[16];

	assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	memset(m, 0, sizeof(*m));
	return cxldcd_app_open(app, t, 0, m);
}
