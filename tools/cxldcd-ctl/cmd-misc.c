/* SPDX-License-Identifier: MIT */
/*
 * cmd-misc.c - the commands of cxldcd-ctl that are not about capacity:
 * memory backends (query-memdev, object-add, object-del), the state
 * store's durability (query-cxl-durability), watching QMP events, sending
 * raw QMP, and CCI commands over cxl-cci-request.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "table.h"

static int no_args(struct ctl *c, int argc, char **argv, const struct ctl_cmd *cmd)
{
	int opt = ctl_getopt(c, argc, argv, "", NULL);

	if (opt == -3)
		return ctl_cmd_help(cmd);
	if (opt != -1)
		return CTL_EXIT_USAGE;
	return -1;
}

/* ---- backends --------------------------------------------------------------- */

static int run_backends(struct ctl *c, int argc, char **argv)
{
	static const char *const h[] = { "ID", "TYPE", "SIZE", "SHARE", "TAG", "BOUND-EXTENTS",
					 "IN-USE", "MEM-PATH" };
	AUTO_JSON *ret = NULL;
	struct table *t;
	size_t i;
	json_t *b;
	int rc = no_args(c, argc, argv, &ctl_cmd_backends);

	if (rc >= 0)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "query-memdev", NULL, &ret)))
		return rc;
	if (c->json) {
		ctl_print_json(ret);
		return 0;
	}
	t = table_new(h, 8);
	json_array_foreach(ret, i, b) {
		const char *type = json_string_value(json_object_get(b, "qom-type"));
		char sz[24];

		if (!t)
			break;
		if (type && !strncmp(type, "memory-backend-", 15))
			type += 15;
		table_cell(t, "%s", json_string_value(json_object_get(b, "id")) ?: "?");
		table_cell(t, "%s", type ? type : "?");
		table_cell(t, "%s", ctl_fmt_size((uint64_t)json_integer_value(json_object_get(b, "size")),
						 sz, sizeof(sz)));
		table_cell(t, "%s", json_is_true(json_object_get(b, "share")) ? "yes" : "no");
		table_cell(t, "%s", json_string_value(json_object_get(b, "tag")) ?: "-");
		table_cell(t, "%lld", (long long)json_integer_value(json_object_get(b, "bound-extents")));
		table_cell(t, "%s", json_is_true(json_object_get(b, "in-use")) ? "yes" : "no");
		table_cell(t, "%s", json_string_value(json_object_get(b, "mem-path")) ?: "");
	}
	rc = !t || table_print(t, stdout, 0) ? CTL_EXIT_FAIL : 0;
	table_free(t);
	return rc;
}

const struct ctl_cmd ctl_cmd_backends = {
	.name = "backends",
	.run = run_backends,
	.synopsis = "backends",
	.help = "List the memory backends (query-memdev): id, type, size, tag, how many\n"
		"accepted extents each is bound to, and whether it is in use.\n",
};

/* ---- durability ---------------------------------------------------------------- */

/* A QMP timestamp ({"seconds", "microseconds"}) as UTC text into @buf. */
static const char *fmt_when(json_t *ts, char *buf, size_t cap)
{
	time_t sec = (time_t)json_integer_value(json_object_get(ts, "seconds"));
	struct tm tm;

	if (!ts || !gmtime_r(&sec, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "?");
	return buf;
}

static void print_durability(json_t *ret)
{
	static const char *const h[] = { "DEVICE", "HOST", "ERASES", "SINCE" };
	json_t *doubt = json_object_get(ret, "erases-in-doubt"), *e;
	struct table *t;
	char when[40];
	size_t i;

	if (!json_is_true(json_object_get(ret, "state-store"))) {
		printf("state store: none (no --state): nothing is journaled\n");
		return;
	}
	if (json_is_true(json_object_get(ret, "accepts-writes")))
		printf("state store: accepts writes\n");
	else
		printf("state store: failing: %s\n",
		       json_string_value(json_object_get(ret, "error")) ?: "?");
	if (!json_is_true(json_object_get(ret, "proof-owed"))) {
		printf("proof owed: no\n");
		return;
	}
	printf("proof owed: since %s, %lld attempt(s)", fmt_when(json_object_get(ret, "owed-since"),
								 when, sizeof(when)),
	       (long long)json_integer_value(json_object_get(ret, "attempts")));
	if (json_object_get(ret, "next-attempt-ms"))
		printf(", next in %lld ms",
		       (long long)json_integer_value(json_object_get(ret, "next-attempt-ms")));
	printf("\n");
	if (!json_array_size(doubt)) {
		printf("erases in doubt: none (a Set LSA's proof)\n");
		return;
	}
	printf("erases in doubt (proof not committed; a restart now erases again):\n");
	t = table_new(h, 4);
	json_array_foreach(doubt, i, e) {
		if (!t)
			break;
		table_cell(t, "%s", json_string_value(json_object_get(e, "device")) ?: "?");
		table_cell(t, "%lld", (long long)json_integer_value(json_object_get(e, "host-id")));
		table_cell(t, "%lld", (long long)json_integer_value(json_object_get(e, "erases")));
		table_cell(t, "%s", fmt_when(json_object_get(e, "since"), when, sizeof(when)));
	}
	if (t)
		table_print(t, stdout, 2);
	table_free(t);
}

static int run_durability(struct ctl *c, int argc, char **argv)
{
	AUTO_JSON *ret = NULL;
	int rc = no_args(c, argc, argv, &ctl_cmd_durability);

	if (rc >= 0)
		return rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "query-cxl-durability", NULL, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		print_durability(ret);
	return 0;
}

const struct ctl_cmd ctl_cmd_durability = {
	.name = "durability",
	.run = run_durability,
	.synopsis = "durability",
	.help = "Show whether the state store accepts writes and whether an erase answered\n"
		"Internal Error is still in doubt (query-cxl-durability): until the daemon\n"
		"commits its proof record, a restart erases that capacity again.\n",
};

/* ---- backend-add / backend-del ------------------------------------------------ */

static const char *backend_type(const char *t)
{
	static const char *const types[] = { "memory-backend-ram", "memory-backend-memfd",
					     "memory-backend-file", "memory-backend-tagged", NULL };

	for (size_t i = 0; types[i]; i++)
		if (!strcmp(t, types[i]) || !strcmp(t, types[i] + 15))
			return types[i];
	return NULL;
}

/* --prop KEY=VALUE: a backend property passed as a string, as -object takes it. */
static int add_prop(struct ctl *c, json_t *args, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		return ctl_usage_error(c, "--prop '%s': expected KEY=VALUE", kv);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	if (json_object_get(args, key))
		return ctl_usage_error(c, "--prop '%s': property '%s' is already given", kv, key);
	json_object_set_new(args, key, json_string(eq + 1));
	return 0;
}

static int run_backend_add(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "mem-path", required_argument, NULL, 'm' },
		{ "share", no_argument, NULL, 's' },
		{ "prop", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	AUTO_JSON *args = json_object(), *props = json_object(), *ret = NULL;
	const char *type, *key;
	char tag[37];
	uint64_t size;
	json_t *v;
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_backend_add, NULL, &rc)) > 0) {
		if (opt == 't') {
			if (ctl_parse_uuid(optarg, tag))
				return ctl_usage_error(c,
					"--tag '%s': not a UUID (expected 8-4-4-4-12 hex digits)", optarg);
			json_object_set_new(props, "tag", json_string(tag));
		} else if (opt == 'm') {
			json_object_set_new(props, "mem-path", json_string(optarg));
		} else if (opt == 's') {
			json_object_set_new(props, "share", json_true());
		} else if (opt == 'p' && (rc = add_prop(c, props, optarg))) {
			return rc;
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc;
	if (argc - optind != 3)
		return ctl_usage_error(c, argc - optind < 3 ? "expected TYPE ID SIZE"
							    : "unexpected argument '%s'",
				       argv[optind + 3 < argc ? optind + 3 : 0]);
	type = backend_type(argv[optind]);
	if (!type)
		return ctl_usage_error(c, "TYPE '%s': expected ram, memfd, file or tagged",
				       argv[optind]);
	if (ctl_parse_size(argv[optind + 2], &size) || !size)
		return ctl_usage_error(c, "SIZE '%s': expected a size above 0, e.g. 1G",
				       argv[optind + 2]);
	json_object_set_new(args, "qom-type", json_string(type));
	json_object_set_new(args, "id", json_string(argv[optind + 1]));
	json_object_set_new(args, "size", json_integer((json_int_t)size));
	json_object_foreach(props, key, v) {
		if (json_object_get(args, key))
			return ctl_usage_error(c, "--prop %s: give it as TYPE ID SIZE", key);
		json_object_set(args, key, v);
	}
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "object-add", args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("added %s %s size=%s%s%s\n", type, argv[optind + 1], argv[optind + 2],
		       json_object_get(props, "tag") ? " tag=" : "",
		       json_string_value(json_object_get(props, "tag")) ?: "");
	return 0;
}

const struct ctl_cmd ctl_cmd_backend_add = {
	.name = "backend-add",
	.run = run_backend_add,
	.synopsis = "backend-add TYPE ID SIZE [--tag UUID] [--mem-path PATH] [--share]\n"
		    "      [--prop KEY=VALUE ...]",
	.help =
"Create a memory backend (object-add).  TYPE is ram, memfd, file or tagged\n"
"(memory-backend-* may be written out); file needs --mem-path, tagged needs\n"
"--tag.  --prop passes any other -object property (hugetlb=on, ...).\n",
};

static int run_backend_del(struct ctl *c, int argc, char **argv)
{
	AUTO_JSON *args = NULL, *ret = NULL;
	int rc = no_args(c, argc, argv, &ctl_cmd_backend_del);

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return ctl_usage_error(c, argc - optind < 1 ? "expected ID" : "unexpected argument '%s'",
				       argv[optind + 1 < argc ? optind + 1 : 0]);
	args = json_pack("{s:s}", "id", argv[optind]);
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "object-del", args, &ret)))
		return rc;
	if (c->json)
		ctl_print_json(ret);
	else
		printf("deleted %s\n", argv[optind]);
	return 0;
}

const struct ctl_cmd ctl_cmd_backend_del = {
	.name = "backend-del",
	.run = run_backend_del,
	.synopsis = "backend-del ID",
	.help = "Delete a memory backend (object-del).  Refused while the backend is bound\n"
		"to accepted extents or its tag has capacity pending.\n",
};

/* ---- events ----------------------------------------------------------------- */

static volatile sig_atomic_t stop_events;

static void on_stop(int sig)
{
	(void)sig;
	stop_events = 1;
}

struct events_opt {
	bool follow;
	int window_ms;           /* without --follow */
	bool has_timeout;
	uint64_t count;          /* 0: no limit */
	const char *names[16];
	size_t nr_names;
};

/* QMP event names are upper case; --name matches in any case (cxl_dc_... too). */
static bool wanted(const struct events_opt *o, const char *name)
{
	for (size_t i = 0; i < o->nr_names; i++)
		if (!strcasecmp(o->names[i], name))
			return true;
	return !o->nr_names;
}

static void print_event(struct ctl *c, json_t *e)
{
	json_t *ts = json_object_get(e, "timestamp");
	time_t sec = (time_t)json_integer_value(json_object_get(ts, "seconds"));
	long usec = (long)json_integer_value(json_object_get(ts, "microseconds"));
	char when[40] = "?";
	char *data;
	struct tm tm;

	if (c->json) {
		ctl_print_json(e);
	} else {
		if (gmtime_r(&sec, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		data = json_dumps(json_object_get(e, "data") ?: json_object(),
				  JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s.%06ldZ %s %s\n", when, usec,
		       json_string_value(json_object_get(e, "event")) ?: "?", data ? data : "{}");
		free(data);
	}
	fflush(stdout);
}

static int parse_events(struct ctl *c, int argc, char **argv, struct events_opt *eo)
{
	static const struct option o[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "name", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_events, NULL, &rc)) > 0) {
		if (opt == 'f') {
			eo->follow = true;
		} else if (opt == 'n') {
			if (ctl_parse_uint(optarg, UINT32_MAX, &eo->count) || !eo->count)
				return ctl_usage_error(c, "--count '%s': expected a number above 0", optarg);
		} else if (opt == 'T') {
			if (ctl_parse_seconds(optarg, &eo->window_ms))
				return ctl_usage_error(c,
					"--timeout '%s': expected seconds (e.g. 5 or 0.5, at most 86400)", optarg);
			eo->has_timeout = true;
		} else if (opt == 'N') {
			if (eo->nr_names == sizeof(eo->names) / sizeof(eo->names[0]))
				return ctl_usage_error(c, "--name: at most 16");
			eo->names[eo->nr_names++] = optarg;
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc == CTL_EXIT_OK ? -1 : rc;   /* -1: stop, exit 0 */
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (eo->follow && eo->has_timeout)
		return ctl_usage_error(c, "--follow and --timeout cannot be combined");
	return 0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_events(struct ctl *c, int argc, char **argv)
{
	struct events_opt eo = { .window_ms = 1000 };
	struct sigaction sa = { .sa_handler = on_stop };
	bool shutdown = false;
	long long end;
	uint64_t seen = 0;
	int rc = parse_events(c, argc, argv, &eo);

	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	/* No SA_RESTART: a signal interrupts the wait. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((rc = ctl_connect(c)))
		return rc;
	end = mono_ms() + eo.window_ms;
	while (!stop_events && (!eo.count || seen < eo.count)) {
		long long left = eo.follow ? 200 : end - mono_ms();
		json_t *e;

		if (left <= 0)
			break;
		/* Short waits in --follow, so a signal just before poll() is seen in time. */
		rc = ctl_qmp_next_event(c->q, (int)(left > 200 ? 200 : left), &e);
		if (rc == -ETIMEDOUT || rc == -EINTR)
			continue;
		if (rc == -ECONNRESET) {
			if (shutdown)
				return 0;
			return ctl_fail(c, "%s: connection closed by the daemon", ctl_qmp_name(c->q));
		}
		if (rc)
			return ctl_fail(c, "%s: %s", ctl_qmp_name(c->q), strerror(-rc));
		shutdown = !strcmp(json_string_value(json_object_get(e, "event")) ?: "", "SHUTDOWN");
		if (wanted(&eo, json_string_value(json_object_get(e, "event")) ?: "")) {
			print_event(c, e);
			seen++;
		}
		json_decref(e);
	}
	if (eo.count && seen < eo.count && !stop_events)
		return ctl_fail(c, "events: %" PRIu64 " of %" PRIu64 " event(s) within %d.%03d s", seen,
				eo.count, eo.window_ms / 1000, eo.window_ms % 1000);
	return 0;
}

const struct ctl_cmd ctl_cmd_events = {
	.name = "events",
	.run = run_events,
	.synopsis = "events [--follow | --timeout SECS] [--count N] [--name EVENT ...]",
	.help =
"Print QMP events, one a line: TIMESTAMP (UTC) NAME DATA-JSON; with --json\n"
"the event object as the daemon sent it.\n"
"\n"
"  --timeout SECS   how long to listen (default 1; decimals allowed)\n"
"  --follow         listen until SIGINT/SIGTERM (exit 0) or the daemon quits\n"
"  --count N        stop after N events; exit 1 if the time ran out first\n"
"  --name EVENT     only events with this name, in any case (repeatable)\n"
"\n"
"Only events emitted after cxldcd-ctl connected are seen.\n",
};

/* ---- raw ------------------------------------------------------------------- */

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t k = fread(buf + n, 1, cap - n, f);

		n += k;
		if (k == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Split @text into JSON values; *@starts/@ends index into it.  Checked before anything is sent. */
static int split_json(struct ctl *c, const char *what, const char *text, size_t len, size_t *starts,
		      size_t *ends, size_t cap, size_t *nr)
{
	size_t pos = 0;

	*nr = 0;
	for (;;) {
		json_error_t jerr;
		json_t *v;

		while (pos < len && strchr(" \t\r\n", text[pos]))
			pos++;
		if (pos == len)
			break;
		if (*nr == cap)
			return ctl_usage_error(c, "%s: more than %zu commands", what, cap);
		v = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);
		if (!v)
			return ctl_usage_error(c, "%s: invalid JSON at byte %zu: %s", what,
					       pos + (size_t)jerr.position, jerr.text);
		json_decref(v);
		starts[*nr] = pos;
		ends[(*nr)++] = pos + (size_t)jerr.position;
		pos += (size_t)jerr.position;
	}
	if (!*nr)
		return ctl_usage_error(c, "%s: no JSON command given", what);
	return 0;
}

#define RAW_MAX 4096

static int run_raw(struct ctl *c, int argc, char **argv)
{
	AUTO_FREE size_t *starts = calloc(RAW_MAX, sizeof(size_t));
	AUTO_FREE size_t *ends = calloc(RAW_MAX, sizeof(size_t));
	AUTO_FREE char *input = NULL;
	const char *text;
	size_t len = 0, nr;
	int opt = ctl_getopt(c, argc, argv, "", NULL), rc, status = 0;

	if (opt == -3)
		return ctl_cmd_help(&ctl_cmd_raw);
	if (opt != -1)
		return CTL_EXIT_USAGE;
	if (argc - optind != 1)
		return ctl_usage_error(c, argc - optind < 1 ? "expected a JSON command or '-'"
							    : "unexpected argument '%s'",
				       argv[optind + 1 < argc ? optind + 1 : 0]);
	if (!starts || !ends)
		return ctl_fail(c, "out of memory");
	text = argv[optind];
	len = strlen(text);
	if (!strcmp(text, "-")) {
		input = read_all(stdin, &len);
		if (!input)
			return ctl_fail(c, "reading stdin: %s", strerror(errno));
		text = input;
	}
	if ((rc = split_json(c, input ? "stdin" : "JSON", text, len, starts, ends, RAW_MAX, &nr)))
		return rc;
	if ((rc = ctl_connect(c)))
		return rc;
	for (size_t i = 0; i < nr; i++) {
		AUTO_JSON *reply = NULL;
		json_t *err;

		rc = ctl_qmp_send_cmd(c->q, text + starts[i], ends[i] - starts[i]);
		if (!rc)
			rc = ctl_qmp_reply(c->q, CTL_REPLY_TIMEOUT_MS, &reply);
		if (rc == -ECONNRESET)
			return ctl_fail(c, "%s: connection closed by the daemon", ctl_qmp_name(c->q));
		if (rc)
			return ctl_fail(c, "%s: %s", ctl_qmp_name(c->q),
					rc == -ETIMEDOUT ? "no reply" : strerror(-rc));
		ctl_print_json(reply);
		err = json_object_get(reply, "error");
		if (err) {
			fprintf(stderr, "error: %s\n",
				json_string_value(json_object_get(err, "desc")) ?: "(no description)");
			status = CTL_EXIT_FAIL;
		}
	}
	return status;
}

const struct ctl_cmd ctl_cmd_raw = {
	.name = "raw",
	.run = run_raw,
	.synopsis = "raw JSON | raw -",
	.help =
"Send QMP commands as they are and print each reply as one line of JSON\n"
"(--json is implied).  '-' reads the commands from stdin; several commands\n"
"may follow each other, one a line or not.  All of the input is checked to\n"
"be JSON before the first command is sent.  Exit 1 if any reply is an error.\n"
"Capabilities are already negotiated.\n",
};

/* ---- cci ------------------------------------------------------------------- */

static void print_hex(const char *hex)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			printf("%s%04zx ", i ? "\n" : "", i);
		printf(" %.2s", hex + 2 * i);
	}
	if (n)
		printf("\n");
}

static int run_cci(struct ctl *c, int argc, char **argv)
{
	static const struct option o[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ "cci", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_devopt d = { 0 };
	AUTO_JSON *args = NULL, *ret = NULL;
	AUTO_FREE char *path = NULL, *hex = NULL;
	const char *kind = NULL;
	uint16_t op;
	int opt, rc;

	while ((opt = ctl_cmd_getopt(c, argc, argv, o, &ctl_cmd_cci, &d, &rc)) > 0) {
		if (opt == 'c') {
			if (strcmp(optarg, "mailbox") && strcmp(optarg, "fm"))
				return ctl_usage_error(c, "--cci '%s': expected mailbox or fm", optarg);
			kind = optarg;
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc;
	if (!d.device)
		return ctl_usage_error(c, "--device is required");
	if (!kind)
		return ctl_usage_error(c, "--cci is required (mailbox or fm)");
	if (!strcmp(kind, "mailbox") && !d.has_host)
		return ctl_usage_error(c, "--host is required with --cci mailbox");
	if (optind >= argc || argc - optind > 2)
		return ctl_usage_error(c, optind >= argc ? "expected OPCODE [HEXPAYLOAD]"
							 : "unexpected argument '%s'",
				       argv[optind + 2 < argc ? optind + 2 : 0]);
	if (ctl_parse_opcode(argv[optind], &op))
		return ctl_usage_error(c, "OPCODE '%s': expected hex (4800, 0x4800, 4800h) or a name "
					  "such as get-dc-config", argv[optind]);
	if (ctl_parse_hex(optind + 1 < argc ? argv[optind + 1] : "", &hex))
		return ctl_usage_error(c, "HEXPAYLOAD '%s': expected pairs of hex digits",
				       argv[optind + 1]);
	path = ctl_dev_path(d.device);
	args = path ? json_pack("{s:s, s:s, s:i, s:s}", "path", path, "cci", kind, "opcode", op,
				"payload", hex) : NULL;
	if (!args)
		return ctl_fail(c, "out of memory");
	if (d.has_host)
		json_object_set_new(args, "host-id", json_integer((json_int_t)d.host));
	if ((rc = ctl_connect(c)) || (rc = ctl_call(c, "cxl-cci-request", args, &ret)))
		return rc;
	if (c->json) {
		ctl_print_json(ret);
	} else {
		printf("%s\n", json_string_value(json_object_get(ret, "return-code-name")) ?: "?");
		print_hex(json_string_value(json_object_get(ret, "payload")) ?: "");
	}
	return json_integer_value(json_object_get(ret, "return-code")) ? CTL_EXIT_FAIL : 0;
}

const struct ctl_cmd ctl_cmd_cci = {
	.name = "cci",
	.run = run_cci,
	.synopsis = "cci --device ID --cci mailbox|fm [--host N] OPCODE [HEXPAYLOAD]",
	.help =
"Run one CCI command on the device (cxl-cci-request): on a host's mailbox\n"
"(--cci mailbox, --host required) or on the fabric manager's CCI (--cci fm).\n"
"OPCODE is hexadecimal as the spec writes it (4800, 0x4800, 4800h) or a\n"
"name (get-dc-config, get-dcd-info, ...).  HEXPAYLOAD is the input payload,\n"
"little-endian as on the wire; blanks, ':' and '_' between bytes are\n"
"ignored.  Prints the return code's name, then the output payload in hex,\n"
"16 bytes a line.  Exit 1 when the return code is not Success.\n",
};
