/* SPDX-License-Identifier: MIT */
/*
 * cmd-map.c - a picture of capacity (docs/ctl.md, "map" and "top"): each
 * DC region drawn as a bar of cells, each cell showing who holds that part
 * of the DPA range (a host's symbol, '*' where two hosts share it, '+' for
 * an offer not answered yet, '.' for free), then the hosts and the tags with
 * their ranges.  Colours on a terminal.  --svg FILE writes the same picture
 * for a browser: one rect per extent, exact, with its DPA, length, host and
 * tag in data- attributes and a tooltip.  top redraws it whenever an event
 * arrives (and every second), with the last events below, until q, SIGINT
 * or SIGTERM.
 *
 * Everything comes from query-cxl-dynamic-capacity; nothing here changes
 * the device.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "qmp-conn.h"

#define MAP_WIDTH_DEFAULT 64
#define MAP_WIDTH_MAX 1024
#define MAX_HOSTS 256
#define TOP_EVENTS 10
#define SVG_W 960
#define SVG_BAR_X 170
#define SVG_BAR_W (SVG_W - SVG_BAR_X - 20)

enum span_kind { SPAN_ACCEPTED, SPAN_RELEASE_PENDING, SPAN_PENDING };

/* One extent of one host, as the query reports it. */
struct span {
	uint64_t dpa, len;
	unsigned host;
	enum span_kind kind;
	const char *tag;         /* borrowed from the reply; NULL: untagged */
};

struct spans {
	struct span *s;
	size_t n, cap;
};

static int spans_add(struct spans *v, json_t *e, unsigned host, enum span_kind kind)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct span *n = realloc(v->s, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		v->s = n;
		v->cap = cap;
	}
	v->s[v->n++] = (struct span){ .dpa = ctl_u64(e, "dpa"), .len = ctl_u64(e, "len"), .host = host,
				      .kind = kind, .tag = json_string_value(json_object_get(e, "tag")) };
	return 0;
}

/* Every extent of host entry @h: its own (accepted or release-pending), then its pending groups'. */
static int collect_host(json_t *h, struct spans *v)
{
	unsigned host = (unsigned)ctl_u64(h, "host-id");
	size_t j, k;
	json_t *e, *g;

	json_array_foreach(json_object_get(h, "extents"), j, e)
		if (spans_add(v, e, host,
			      json_is_true(json_object_get(e, "release-pending"))
				      ? SPAN_RELEASE_PENDING : SPAN_ACCEPTED))
			return -ENOMEM;
	json_array_foreach(json_object_get(h, "pending"), j, g)
		json_array_foreach(json_object_get(g, "extents"), k, e)
			if (spans_add(v, e, host, SPAN_PENDING))
				return -ENOMEM;
	return 0;
}

/* Every extent of every host of the reply @q. */
static int collect(json_t *q, struct spans *v)
{
	size_t i;
	json_t *h;

	json_array_foreach(json_object_get(q, "hosts"), i, h)
		if (collect_host(h, v))
			return -ENOMEM;
	return 0;
}

/* The symbol of a host: 0-9, a-z, A-Z, then '#'. */
static char host_sym(unsigned host)
{
	static const char syms[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	return host < sizeof(syms) - 1 ? syms[host] : '#';
}

/* ANSI background colour of a host (six, repeating). */
static int host_colour(unsigned host)
{
	return 41 + (int)(host % 6);
}

static const char *svg_colour(unsigned host)
{
	static const char *const c[] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
					 "#b07aa1", "#edc948", "#9c755f" };

	return c[host % 8];
}

static bool overlaps(const struct span *a, const struct span *b)
{
	return a->dpa < b->dpa + b->len && b->dpa < a->dpa + a->len;
}

/* Is @s accepted by its host (and so may be shared with another host's)? */
static bool held(const struct span *s)
{
	return s->kind != SPAN_PENDING;
}

/*
 * The cells of one region: for each, the host holding most of it, whether
 * two hosts hold one of its bytes (shared), and whether an offer covers it.
 */
struct cell {
	uint64_t best_bytes;
	int best_host;           /* -1: none */
	bool shared, pending;
};

static void paint(struct cell *cells, unsigned width, uint64_t base, uint64_t len,
		  const struct spans *v, uint64_t *per_host)
{
	uint64_t per = (len + width - 1) / width;

	for (unsigned w = 0; w < width; w++)
		cells[w] = (struct cell){ .best_host = -1 };
	if (!per)
		return;
	for (unsigned w = 0; w < width; w++) {
		uint64_t lo = base + (uint64_t)w * per, hi = lo + per;

		memset(per_host, 0, MAX_HOSTS * sizeof(*per_host));
		for (size_t i = 0; i < v->n; i++) {
			const struct span *s = &v->s[i];
			uint64_t a = s->dpa > lo ? s->dpa : lo;
			uint64_t b = s->dpa + s->len < hi ? s->dpa + s->len : hi;

			if (a >= b)
				continue;
			if (!held(s)) {
				cells[w].pending = true;
				continue;
			}
			per_host[s->host % MAX_HOSTS] += b - a;
			if (per_host[s->host % MAX_HOSTS] > cells[w].best_bytes) {
				cells[w].best_bytes = per_host[s->host % MAX_HOSTS];
				cells[w].best_host = (int)s->host;
			}
			for (size_t j = 0; j < i && !cells[w].shared; j++) {
				const struct span *t = &v->s[j];

				if (held(t) && t->host != s->host && overlaps(s, t) &&
				    (t->dpa > a ? t->dpa : a) < (t->dpa + t->len < b ? t->dpa + t->len : b))
					cells[w].shared = true;
			}
		}
	}
}

static void print_bar(const struct cell *cells, unsigned width, bool colour)
{
	fputs("  |", stdout);
	for (unsigned w = 0; w < width; w++) {
		const struct cell *c = &cells[w];
		char ch = c->shared ? '*' : c->best_host >= 0 ? host_sym((unsigned)c->best_host)
							       : c->pending ? '+' : '.';

		if (!colour || ch == '.')
			putchar(ch);
		else if (c->shared)
			printf("\033[1;7m%c\033[0m", ch);
		else if (c->best_host >= 0)
			printf("\033[%d;97m%c\033[0m", host_colour((unsigned)c->best_host), ch);
		else
			printf("\033[33m%c\033[0m", ch);
	}
	fputs("|\n", stdout);
}

/* "  0x0  ...  0x100000000": the region's first and last addresses under the bar. */
static void print_scale(uint64_t base, uint64_t len, unsigned width)
{
	char lo[24], hi[24];
	int pad;

	snprintf(lo, sizeof(lo), "0x%" PRIx64, base);
	snprintf(hi, sizeof(hi), "0x%" PRIx64, base + len);
	pad = (int)width + 2 - (int)strlen(lo) - (int)strlen(hi);
	printf("  %s%*s%s\n", lo, pad > 1 ? pad : 1, "", hi);
}

static int map_text(json_t *q, unsigned width, bool colour)
{
	struct spans v = { 0 };
	struct cell *cells = calloc(width, sizeof(*cells));
	uint64_t *per_host = calloc(MAX_HOSTS, sizeof(*per_host));
	size_t i, j;
	json_t *r, *h, *t;
	char b1[24], b2[24], b3[24];

	if (!cells || !per_host || collect(q, &v)) {
		free(cells);
		free(per_host);
		free(v.s);
		return -ENOMEM;
	}
	printf("device %s  %zu region(s)  %" PRIu64 " host(s)   0-9a-z host holding it, * shared, "
	       "+ offered, . free\n",
	       ctl_str(q, "id", "?"), json_array_size(json_object_get(q, "regions")),
	       ctl_u64(q, "num-hosts"));
	json_array_foreach(json_object_get(q, "regions"), i, r) {
		uint64_t base = ctl_u64(r, "base"), len = ctl_u64(r, "len");

		printf("\nregion %" PRIu64 "  %s at 0x%" PRIx64 ", block %s, %s allocated%s\n",
		       ctl_u64(r, "region"), ctl_sz(len, b1), base, ctl_sz(ctl_u64(r, "block-size"), b2),
		       ctl_sz(ctl_u64(r, "allocated"), b3),
		       json_is_true(json_object_get(r, "sharable")) ? ", sharable" : "");
		paint(cells, width, base, len, &v, per_host);
		print_bar(cells, width, colour);
		print_scale(base, len, width);
	}
	printf("\nhosts\n");
	json_array_foreach(json_object_get(q, "hosts"), i, h) {
		uint64_t acc = 0, pend = 0, host = ctl_u64(h, "host-id");

		for (size_t k = 0; k < v.n; k++)
			if (v.s[k].host == host)
				*(v.s[k].kind == SPAN_PENDING ? &pend : &acc) += v.s[k].len;
		if (colour)
			printf("  \033[%d;97m%c\033[0m", host_colour((unsigned)host), host_sym((unsigned)host));
		else
			printf("  %c", host_sym((unsigned)host));
		printf("  host %" PRIu64 "  %s  holds %s, offered %s\n", host,
		       json_is_true(json_object_get(h, "connected")) || ctl_u64(h, "connected")
			       ? "connected   " : "disconnected",
		       ctl_sz(acc, b1), ctl_sz(pend, b2));
	}
	printf("\ntags\n");
	if (!json_array_size(json_object_get(q, "tags")))
		printf("  (none)\n");
	json_array_foreach(json_object_get(q, "tags"), i, t) {
		const char *tag = ctl_str(t, "tag", "?");

		printf("  %s  %s  %s\n", tag, ctl_str(t, "memdev", "-"), ctl_sz(ctl_u64(t, "bytes"), b1));
		for (j = 0; j < v.n; j++) {
			const struct span *s = &v.s[j];

			if (!s->tag || strcmp(s->tag, tag))
				continue;
			printf("      host %u  0x%" PRIx64 "+%s  %s\n", s->host, s->dpa,
			       ctl_sz(s->len, b2),
			       s->kind == SPAN_PENDING ? "offered"
			       : s->kind == SPAN_RELEASE_PENDING ? "release-pending" : "accepted");
		}
	}
	free(cells);
	free(per_host);
	free(v.s);
	return 0;
}

/* ---- SVG ------------------------------------------------------------------ */

static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static double svg_x(uint64_t dpa, uint64_t base, uint64_t len)
{
	return SVG_BAR_X + (double)(dpa - base) * SVG_BAR_W / (double)len;
}

/* Extent @s as a rect of the region bar [@base, @base+@len) at y = @y, if it falls in it. */
static void svg_extent(FILE *f, const struct span *s, uint64_t base, uint64_t len, int y)
{
	double x0, x1;
	char b1[24];

	if (s->dpa >= base + len || s->dpa + s->len <= base)
		return;
	x0 = svg_x(s->dpa < base ? base : s->dpa, base, len);
	x1 = svg_x(s->dpa + s->len > base + len ? base + len : s->dpa + s->len, base, len);
	fprintf(f, "<rect class=\"extent %s\" data-host=\"%u\" data-dpa=\"%" PRIu64
		   "\" data-len=\"%" PRIu64 "\" data-tag=\"%s\" x=\"%.3f\" y=\"%d\" "
		   "width=\"%.3f\" height=\"%d\" fill=\"%s\"%s>",
		s->kind == SPAN_PENDING ? "offered"
		: s->kind == SPAN_RELEASE_PENDING ? "release-pending" : "accepted",
		s->host, s->dpa, s->len, s->tag ? s->tag : "", x0,
		y + 4 + (int)(s->host % 3) * 2, x1 - x0 < 0.5 ? 0.5 : x1 - x0,
		30 - (int)(s->host % 3) * 4,
		s->kind == SPAN_PENDING ? "none" : svg_colour(s->host),
		s->kind == SPAN_PENDING
			? " stroke-dasharray=\"4 2\" stroke-width=\"2\" stroke=\"#555555\""
			: s->kind == SPAN_RELEASE_PENDING ? " opacity=\"0.5\"" : "");
	fprintf(f, "<title>host %u %s 0x%" PRIx64 "+%s%s%s</title></rect>\n", s->host,
		s->kind == SPAN_PENDING ? "offered" : "holds", s->dpa,
		ctl_sz(s->len, b1), s->tag ? " tag " : "", s->tag ? s->tag : "");
}

/* Ranges two hosts hold in [@base, @base+@len): hatched on top of the bar at y = @y. */
static void svg_shared(FILE *f, const struct spans *v, uint64_t base, uint64_t len, int y)
{
	for (size_t a = 0; a < v->n; a++)
		for (size_t b = a + 1; b < v->n; b++) {
			const struct span *s = &v->s[a], *t = &v->s[b];
			uint64_t lo, hi;

			if (!held(s) || !held(t) || s->host == t->host || !overlaps(s, t))
				continue;
			lo = s->dpa > t->dpa ? s->dpa : t->dpa;
			hi = s->dpa + s->len < t->dpa + t->len ? s->dpa + s->len : t->dpa + t->len;
			if (lo >= base + len || hi <= base)
				continue;
			fprintf(f, "<rect class=\"shared\" data-hosts=\"%u,%u\" data-dpa=\"%" PRIu64
				   "\" data-len=\"%" PRIu64 "\" x=\"%.3f\" y=\"%d\" width=\"%.3f\" "
				   "height=\"8\" fill=\"#000000\"><title>shared by hosts %u and %u"
				   "</title></rect>\n", s->host, t->host, lo, hi - lo,
				svg_x(lo, base, len), y + 30, svg_x(hi, base, len) - svg_x(lo, base, len),
				s->host, t->host);
		}
}

/* One device's picture from y = @y on; returns the next free y. */
static int svg_device(FILE *f, json_t *q, int y)
{
	struct spans v = { 0 };
	size_t i;
	json_t *r;
	char b1[24];

	if (collect(q, &v)) {
		free(v.s);
		return -1;
	}
	fprintf(f, "<g class=\"device\" data-id=\"");
	svg_text(f, ctl_str(q, "id", "?"));
	fprintf(f, "\">\n<text x=\"10\" y=\"%d\" font-weight=\"bold\">device ", y + 14);
	svg_text(f, ctl_str(q, "id", "?"));
	fprintf(f, "</text>\n");
	y += 24;
	json_array_foreach(json_object_get(q, "regions"), i, r) {
		uint64_t base = ctl_u64(r, "base"), len = ctl_u64(r, "len");

		if (!len)
			continue;
		fprintf(f, "<g class=\"region\" data-region=\"%" PRIu64 "\" data-base=\"%" PRIu64
			   "\" data-len=\"%" PRIu64 "\">\n", ctl_u64(r, "region"), base, len);
		fprintf(f, "<text x=\"10\" y=\"%d\">region %" PRIu64 " (%s)</text>\n", y + 20,
			ctl_u64(r, "region"), ctl_sz(len, b1));
		fprintf(f, "<rect class=\"free\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"30\" "
			   "fill=\"#eeeeee\" stroke=\"#999999\"/>\n", SVG_BAR_X, y + 4, SVG_BAR_W);
		for (size_t k = 0; k < v.n; k++)
			svg_extent(f, &v.s[k], base, len, y);
		svg_shared(f, &v, base, len, y);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">0x%" PRIx64 "</text>\n",
			SVG_BAR_X, y + 48, base);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">0x%" PRIx64
			   "</text>\n</g>\n", SVG_BAR_X + SVG_BAR_W, y + 48, base + len);
		y += 56;
	}
	fprintf(f, "</g>\n");
	free(v.s);
	return y;
}

static int write_svg(struct ctl *c, const char *path, json_t *replies)
{
	FILE *f = fopen(path, "w");
	size_t i;
	json_t *q;
	int y = 10, hosts = 0;

	if (!f)
		return ctl_fail(c, "--svg %s: %s", path, strerror(errno));
	json_array_foreach(replies, i, q) {
		int n = (int)json_array_size(json_object_get(q, "regions"));

		y += 24 + 56 * n;
		if ((int)ctl_u64(q, "num-hosts") > hosts)
			hosts = (int)ctl_u64(q, "num-hosts");
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"monospace\" font-size=\"13\">\n"
		   "<title>cxldcd capacity map</title>\n", SVG_W, y + 40);
	y = 10;
	json_array_foreach(replies, i, q)
		if ((y = svg_device(f, q, y)) < 0)
			break;
	if (y >= 0) {
		fprintf(f, "<g class=\"legend\">\n");
		for (int h = 0; h < hosts && h < 16; h++)
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
				   "<text x=\"%d\" y=\"%d\">host %d</text>\n", 10 + h * 90, y + 10,
				svg_colour((unsigned)h), 26 + h * 90, y + 21, h);
		fprintf(f, "<text x=\"10\" y=\"%d\" font-size=\"11\">dashed: offered, not answered; "
			   "faded: release pending; black strip: shared by two hosts</text>\n</g>\n",
			y + 38);
	}
	fprintf(f, "</svg>\n");
	if (fclose(f) || y < 0)
		return ctl_fail(c, "--svg %s: %s", path, y < 0 ? "out of memory" : strerror(errno));
	return 0;
}

/* ---- map ------------------------------------------------------------------ */

struct map_opt {
	const char *device;
	const char *svg;
	unsigned width;
	int colour;              /* -1 auto, 0 never, 1 always */
};

static int parse_map(struct ctl *c, int argc, char **argv, const struct ctl_cmd *cmd,
		     struct map_opt *mo)
{
	static const struct option o[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "width", required_argument, NULL, 'w' },
		{ "svg", required_argument, NULL, 's' },
		{ "color", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt, rc;

	mo->width = MAP_WIDTH_DEFAULT;
	mo->colour = -1;
	while ((opt = ctl_cmd_getopt(c, argc, argv, o, cmd, NULL, &rc)) > 0) {
		if (opt == 'd') {
			mo->device = optarg;
		} else if (opt == 'w') {
			if (ctl_parse_uint(optarg, MAP_WIDTH_MAX, &v) || v < 8)
				return ctl_usage_error(c, "--width '%s': expected 8..%d cells", optarg,
						       MAP_WIDTH_MAX);
			mo->width = (unsigned)v;
		} else if (opt == 's' && cmd == &ctl_cmd_map) {
			mo->svg = optarg;
		} else if (opt == 'C') {
			if (!strcmp(optarg, "auto"))
				mo->colour = -1;
			else if (!strcmp(optarg, "always"))
				mo->colour = 1;
			else if (!strcmp(optarg, "never"))
				mo->colour = 0;
			else
				return ctl_usage_error(c, "--color '%s': expected auto, always or never",
						       optarg);
		} else {
			return ctl_usage_error(c, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (opt == CTL_OPT_STOP)
		return rc == CTL_EXIT_OK ? -1 : rc;
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The replies of --device, or of every device, into a new array. */
static int query_all(struct ctl *c, const char *device, json_t **out)
{
	AUTO_JSON *ids = NULL;
	size_t i;
	json_t *id, *q;
	int rc;

	*out = json_array();
	if (!*out)
		return ctl_fail(c, "out of memory");
	if (device) {
		if ((rc = ctl_query_dev(c, device, &q)))
			return rc;
		json_array_append_new(*out, q);
		return 0;
	}
	if ((rc = ctl_all_devices(c, &ids)))
		return rc;
	json_array_foreach(ids, i, id) {
		if ((rc = ctl_query_dev(c, json_string_value(id), &q)))
			return rc;
		json_array_append_new(*out, q);
	}
	return 0;
}

static int draw(struct ctl *c, json_t *replies, unsigned width, bool colour)
{
	size_t i;
	json_t *q;

	if (!json_array_size(replies))
		printf("(no devices)\n");
	json_array_foreach(replies, i, q) {
		if (i)
			printf("\n");
		if (map_text(q, width, colour))
			return ctl_fail(c, "out of memory");
	}
	return 0;
}

static int run_map(struct ctl *c, int argc, char **argv)
{
	struct map_opt mo = { 0 };
	AUTO_JSON *replies = NULL;
	int rc = parse_map(c, argc, argv, &ctl_cmd_map, &mo);

	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	if ((rc = ctl_connect(c)) || (rc = query_all(c, mo.device, &replies)))
		return rc;
	if (c->json) {
		ctl_print_json(replies);
	} else if (mo.svg) {
		if ((rc = write_svg(c, mo.svg, replies)))
			return rc;
		printf("wrote %s\n", mo.svg);
	} else {
		rc = draw(c, replies, mo.width, mo.colour < 0 ? isatty(STDOUT_FILENO) : mo.colour);
	}
	return rc;
}

const struct ctl_cmd ctl_cmd_map = {
	.name = "map",
	.run = run_map,
	.synopsis = "map [--device ID] [--width N] [--color auto|always|never] [--svg FILE]",
	.help =
"Draw each DC region as a bar (query-cxl-dynamic-capacity): each cell shows\n"
"who holds that part of the DPA range - a host's symbol (0-9, a-z), '*'\n"
"where two hosts share it, '+' for an offer not answered yet, '.' for\n"
"free - then the hosts and every tag's ranges.  Colours on a terminal.\n"
"\n"
"  --device ID     one device (default: every device)\n"
"  --width N       cells per bar, 8..1024 (default 64)\n"
"  --color WHEN    auto (a terminal), always or never\n"
"  --svg FILE      write the picture as SVG for a browser instead (one\n"
"                  rect per extent, exact, with a tooltip)\n",
};

/* ---- top ------------------------------------------------------------------ */

static volatile sig_atomic_t stop_top;

static void on_stop_top(int sig)
{
	(void)sig;
	stop_top = 1;
}

struct top_log {
	char lines[TOP_EVENTS][256];    /* the last TOP_EVENTS events, a ring */
	unsigned nr;
};

/* Note event @e (borrowed) in @log: its time, name and data on one line. */
static void top_note(struct top_log *log, json_t *e)
{
	char *data = json_dumps(json_object_get(e, "data") ? json_object_get(e, "data")
							   : json_object(),
				JSON_COMPACT);
	time_t sec = (time_t)json_integer_value(
		json_object_get(json_object_get(e, "timestamp"), "seconds"));
	char t[16];

	strftime(t, sizeof(t), "%H:%M:%S", localtime(&sec));
	snprintf(log->lines[log->nr % TOP_EVENTS], sizeof(log->lines[0]), "%s %s %.200s", t,
		 ctl_str(e, "event", "?"), data ? data : "");
	log->nr++;
	free(data);
}

/* One screen: the map of --device (or every device), then the last events. */
static int top_draw(struct ctl *c, const struct map_opt *mo, bool colour,
		    const struct top_log *log)
{
	AUTO_JSON *replies = NULL;
	time_t now = time(NULL);
	char when[16];
	int rc;

	if ((rc = query_all(c, mo->device, &replies)))
		return rc;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	printf("\033[H\033[2J");
	printf("cxldcd-ctl top  %s  %s  (q quits)\n\n", ctl_qmp_name(c->q), when);
	if ((rc = draw(c, replies, mo->width, colour)))
		return rc;
	printf("\nevents\n");
	if (!log->nr)
		printf("  (none yet)\n");
	for (unsigned i = log->nr > TOP_EVENTS ? log->nr - TOP_EVENTS : 0; i < log->nr; i++)
		printf("  %s\n", log->lines[i % TOP_EVENTS]);
	fflush(stdout);
	return 0;
}

/*
 * Wait up to a second for an event (noted in @log) or a key (@tty).  q,
 * SIGINT/SIGTERM or a failed connection set stop_top; return 0 or the
 * failure.
 */
static int top_wait(struct ctl *c, bool tty, struct top_log *log)
{
	struct timespec ts;
	long long until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	until = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1000;
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		long long left;
		json_t *e = NULL;
		char key;

		if (stop_top)
			break;
		if (tty && poll(&p, 1, 0) > 0 && read(STDIN_FILENO, &key, 1) == 1 &&
		    (key == 'q' || key == 'Q')) {
			stop_top = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		left = until - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left <= 0)
			break;
		rc = ctl_qmp_next_event(c->q, (int)(left > 100 ? 100 : left), &e);
		if (rc == -ETIMEDOUT || rc == -EINTR) {
			rc = 0;
			continue;
		}
		if (rc) {
			stop_top = 1;
			if (rc == -ECONNRESET)
				rc = ctl_fail(c, "%s: the daemon closed the connection",
					      ctl_qmp_name(c->q));
			else    /* an exit status of 1, not the -errno */
				rc = ctl_fail(c, "%s: %s", ctl_qmp_name(c->q),
					      rc == -EPROTO ? "the daemon sent invalid JSON"
							    : strerror(-rc));
			break;
		}
		top_note(log, e);
		json_decref(e);
		break;      /* redraw at once */
	}
	return rc;
}

static int run_top(struct ctl *c, int argc, char **argv)
{
	struct map_opt mo = { 0 };
	struct sigaction sa = { .sa_handler = on_stop_top };
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO), colour;
	struct top_log log = { 0 };
	int rc = parse_map(c, argc, argv, &ctl_cmd_top, &mo);

	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	colour = mo.colour < 0 ? isatty(STDOUT_FILENO) : mo.colour;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((rc = ctl_connect(c)))
		return rc;
	if (tty && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	while (!stop_top) {
		if ((rc = top_draw(c, &mo, colour, &log)))
			break;
		rc = top_wait(c, tty, &log);
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}

const struct ctl_cmd ctl_cmd_top = {
	.name = "top",
	.run = run_top,
	.synopsis = "top [--device ID] [--width N] [--color auto|always|never]",
	.help =
"The map, redrawn live: at once after each QMP event and every second, with\n"
"the last 10 events below it, until q, SIGINT or SIGTERM (exit 0).  Options\n"
"as for map.\n",
};
