/* SPDX-License-Identifier: MIT */
/*
 * fuzz-access-rules.c - libFuzzer target for the host agent's access rules
 * (src/host/access.c): cxldcd-host's --group-access value
 * (cxldcd_host_access_add_rule()) and its --group-access-file, read at
 * start and again at SIGHUP (cxldcd_host_access_load()).  The file is
 * outside input: whoever may write it.
 *
 * Input: byte 0 flags, then the text.
 *   bits 1:0  the rules in force before (0: none; 1: tag=all; 2: untagged
 *             and one tag; 3: the three), added as --group-access values
 *   bit 2     the text up to its first NUL is one --group-access value,
 *             the rest (after the NUL) the file; else all of it the file
 *   bit 3     the file loaded a second time onto the result
 *   bit 4     many rules: the next byte b, and a file of 1008 + (b & 31)
 *             rules made from it (one tag each, owners, groups and modes by
 *             number) loaded after the presets, so the set meets the bound
 *             of 1024 rules: its own line 1025, or the value's or the
 *             file's rule that is one too many, refused (b bits 7:5 pick
 *             the owners, groups and modes).  Made and checked once per
 *             process for each bits 1:0 and b, copied for every input
 *
 * Checked against the grammar of docs/host.md and cxldcd-host.h, read
 * here on its own: a line is a rule after blanks (space, tab; CR at its
 * end too) are taken off, unless empty or starting with '#'; a rule is
 * KEY=VALUE items split at ',', keys tag (a UUID, untagged or all; not the
 * nil UUID), owner and group (a name, or a number up to 4294967294), mode
 * (1 to 4 octal digits, read and write bits only); tag given, no key twice,
 * no second rule for the same tag, under 512 characters, no NUL, at most
 * 1024 rules.  Or the socket line, "socket" and items mode (as above, with
 * 0600 in it) and group, each at most once: the application socket's mode
 * and group, once a set, not counted as a rule (checked with the rest).
 *   - A value or file is accepted exactly when the grammar takes every rule,
 *     with the code and line of the first bad one otherwise (-EINVAL,
 *     -ENOENT for an unknown name, -EEXIST for a tag ruled already), and a
 *     reason; none on success.
 *   - All or nothing: a refused value or file leaves the set as it was (its
 *     number of rules, and the owner, group, mode and rule kind of every
 *     group probed, those the refused text names included).
 *   - An accepted set decides as the text says: for groups of each tag
 *     ruled, an untagged group, a tag no rule names and the nil tag, the
 *     owner, group and mode the first matching rule gives (its tag's, for
 *     an untagged group the untagged rule, else all, else the process's
 *     uid and gid, 0600), and for credentials made from the rules (the
 *     owner, a member by primary or supplementary group, a stranger, root)
 *     the bits of a file of that owner, group and mode (root: read and
 *     write); access_every() as every class of group decides.
 * No crash, sanitizer report or leak.
 */
#include <errno.h>
#include <pwd.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hex.h"
#include "host/access.h"
#include "../fuzz-input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define M_RULE_TEXT_MAX 512u       /* docs: a rule under 512 characters */
#define M_MAX_RULES 1024u
#define M_PROBES 48u
#define M_CRED_RULES 8u

enum m_kind { M_TAG, M_UNTAGGED, M_ALL };

struct m_rule {
	enum m_kind kind;
	uint8_t tag[CXLDCD_HOST_TAG_SIZE];
	uint32_t uid, gid, mode;
};

/* The harness's reading of the set: the rules in order, and tags to probe. */
struct model {
	uint32_t def_uid, def_gid;
	struct m_rule rules[M_MAX_RULES];
	uint32_t n;
	bool sock_given, sock_chgrp;        /* a socket line (the socket's mode and group) */
	uint32_t sock_mode, sock_gid;
	uint8_t probe[M_PROBES][CXLDCD_HOST_TAG_SIZE];
	uint32_t nr_probe;
};

static void add_probe(struct model *m, const uint8_t *tag)
{
	for (uint32_t i = 0; i < m->nr_probe; i++)
		if (!memcmp(m->probe[i], tag, CXLDCD_HOST_TAG_SIZE))
			return;
	if (m->nr_probe < M_PROBES)
		memcpy(m->probe[m->nr_probe++], tag, CXLDCD_HOST_TAG_SIZE);
}

/* A UUID: exactly 8-4-4-4-12 hex digits, either case. */
static bool m_uuid(const char *v, size_t len, uint8_t *tag)
{
	size_t k = 0;

	if (len != 36)
		return false;
	for (size_t i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (v[i] != '-')
				return false;
			i++;
			continue;
		}
		hi = cx_hex_digit(v[i]);
		lo = cx_hex_digit(v[i + 1]);
		if (hi < 0 || lo < 0 || i + 1 == 8 || i + 1 == 13 || i + 1 == 18 || i + 1 == 23)
			return false;
		tag[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return k == CXLDCD_HOST_TAG_SIZE;
}

static int m_id(const char *v, size_t len, bool group, uint32_t *out)
{
	char name[M_RULE_TEXT_MAX];
	uint64_t u = 0;
	bool digits = len > 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			digits = false;
	if (digits) {
		for (size_t i = 0; i < len; i++) {
			u = u * 10 + (uint64_t)(v[i] - '0');
			if (u >= 0xffffffffu)
				return -EINVAL;    /* 4294967295 is no id */
		}
		*out = (uint32_t)u;
		return 0;
	}
	memcpy(name, v, len);
	name[len] = '\0';
	/* getgrnam() and getpwnam() size their buffers themselves (one thread here) */
	if (group) {
		const struct group *gr = getgrnam(name);

		if (gr) {
			*out = (uint32_t)gr->gr_gid;
			return 0;
		}
	} else {
		const struct passwd *pw = getpwnam(name);

		if (pw) {
			*out = (uint32_t)pw->pw_uid;
			return 0;
		}
	}
	return -ENOENT;
}

static int m_mode(const char *v, size_t len, uint32_t *out)
{
	uint32_t m = 0;

	if (!len || len > 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '7')
			return -EINVAL;
		m = m * 8 + (uint32_t)(v[i] - '0');
	}
	if (m & ~0666u)
		return -EINVAL;
	*out = m;
	return 0;
}

static bool m_same(const struct m_rule *a, const struct m_rule *b)
{
	return a->kind == b->kind &&
	       (a->kind != M_TAG || !memcmp(a->tag, b->tag, CXLDCD_HOST_TAG_SIZE));
}

/*
 * The socket line's items @s (@len bytes after "socket,"; NULL: none) by
 * the grammar: mode (with the owner's 0600) and group, each once; then one
 * socket line a set.
 */
static int m_socket(struct model *m, const char *s, size_t len)
{
	uint32_t mode = 0600, gid = 0;
	bool seen_mode = false, seen_group = false;
	size_t off = 0;
	int rc;

	while (s) {
		const char *item = s + off, *comma = memchr(item, ',', len - off), *eq, *v;
		size_t ilen = comma ? (size_t)(comma - item) : len - off, klen, vlen;

		eq = memchr(item, '=', ilen);
		if (!eq || eq == item)
			return -EINVAL;
		klen = (size_t)(eq - item);
		v = eq + 1;
		vlen = ilen - klen - 1;
		if (klen == 4 && !memcmp(item, "mode", 4) && !seen_mode) {
			seen_mode = true;
			if ((rc = m_mode(v, vlen, &mode)))
				return rc;
			if ((mode & 0600) != 0600)
				return -EINVAL;
		} else if (klen == 5 && !memcmp(item, "group", 5) && !seen_group) {
			seen_group = true;
			if ((rc = m_id(v, vlen, true, &gid)))
				return rc;
		} else {
			return -EINVAL;    /* another key, or one twice */
		}
		if (!comma)
			break;
		off += ilen + 1;
	}
	if (m->sock_given)
		return -EEXIST;
	m->sock_given = true;
	m->sock_mode = mode;
	m->sock_chgrp = seen_group;
	m->sock_gid = gid;
	return 0;
}

/*
 * Rule @s (@len bytes, no NUL) by the grammar, onto the end of m's rules
 * (a socket line: m's socket); 0 or the code the library must give.  A tag
 * it reads is probed, taken or not.
 */
static int m_rule(struct model *m, const char *s, size_t len)
{
	static const char *const keys[] = { "tag", "owner", "group", "mode" };
	struct m_rule r = { .kind = M_ALL, .uid = m->def_uid, .gid = m->def_gid, .mode = 0600 };
	bool seen[4] = { false };
	size_t off = 0;
	int rc;

	if (len >= M_RULE_TEXT_MAX)
		return -EINVAL;
	if (len >= 6 && !memcmp(s, "socket", 6) && (len == 6 || s[6] == ','))
		return m_socket(m, len == 6 ? NULL : s + 7, len == 6 ? 0 : len - 7);
	if (m->n == M_MAX_RULES)
		return -EINVAL;       /* at most 1024 rules (a socket line is none) */
	for (;;) {
		const char *item = s + off, *comma = memchr(item, ',', len - off), *eq, *v;
		size_t ilen = comma ? (size_t)(comma - item) : len - off, klen, vlen;
		unsigned k;

		eq = memchr(item, '=', ilen);
		if (!eq || eq == item)
			return -EINVAL;
		klen = (size_t)(eq - item);
		v = eq + 1;
		vlen = ilen - klen - 1;
		for (k = 0; k < 4; k++)
			if (strlen(keys[k]) == klen && !memcmp(keys[k], item, klen))
				break;
		if (k == 4 || seen[k])
			return -EINVAL;
		seen[k] = true;
		if (k == 0) {
			static const uint8_t nil[CXLDCD_HOST_TAG_SIZE];

			if (vlen == 8 && !memcmp(v, "untagged", 8)) {
				r.kind = M_UNTAGGED;
			} else if (vlen == 3 && !memcmp(v, "all", 3)) {
				r.kind = M_ALL;
			} else if (!m_uuid(v, vlen, r.tag) || !memcmp(r.tag, nil, sizeof(nil))) {
				return -EINVAL;
			} else {
				r.kind = M_TAG;
				add_probe(m, r.tag);
			}
		} else if (k == 3) {
			if ((rc = m_mode(v, vlen, &r.mode)))
				return rc;
		} else if ((rc = m_id(v, vlen, k == 2, k == 1 ? &r.uid : &r.gid))) {
			return rc;
		}
		if (!comma)
			break;
		off += ilen + 1;
	}
	if (!seen[0])
		return -EINVAL;
	for (uint32_t i = 0; i < m->n; i++)
		if (m_same(&m->rules[i], &r))
			return -EEXIST;
	m->rules[m->n++] = r;
	return 0;
}

/* A file by the grammar onto m; 0, or the code and (*line) the line of the first bad rule. */
static int m_load(struct model *m, const char *t, size_t len, uint32_t *line)
{
	size_t off = 0;

	*line = 0;
	while (off < len) {
		const char *p = t + off, *nl = memchr(p, '\n', len - off);
		size_t n = nl ? (size_t)(nl - p) : len - off, b = 0, e = n;
		int rc;

		off += n + (nl ? 1 : 0);
		++*line;
		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r'))
			e--;
		if (b == e || p[b] == '#')
			continue;
		if (e - b >= M_RULE_TEXT_MAX || memchr(p + b, '\0', e - b))
			return -EINVAL;
		if ((rc = m_rule(m, p + b, e - b)))
			return rc;
	}
	return 0;
}

static const struct m_rule *m_rule_of(const struct model *m, const struct cxldcd_host_group_info *g)
{
	const struct m_rule *untagged = NULL, *all = NULL;

	for (uint32_t i = 0; i < m->n; i++) {
		const struct m_rule *r = &m->rules[i];

		if (r->kind == M_TAG && g->tagged && !memcmp(r->tag, g->tag, CXLDCD_HOST_TAG_SIZE))
			return r;
		if (r->kind == M_UNTAGGED && !untagged)
			untagged = r;
		if (r->kind == M_ALL && !all)
			all = r;
	}
	return !g->tagged && untagged ? untagged : all;
}

static void m_owner(const struct model *m, const struct cxldcd_host_group_info *g, uint32_t *uid,
		    uint32_t *gid, uint32_t *mode, const char **kind)
{
	const struct m_rule *r = m_rule_of(m, g);

	*uid = r ? r->uid : m->def_uid;
	*gid = r ? r->gid : m->def_gid;
	*mode = r ? r->mode : 0600;
	*kind = !r ? "default" : r->kind == M_TAG ? "tag" : r->kind == M_ALL ? "all" : "untagged";
}

/* The bits a file of owner uid, group gid and mode gives cr (root: read and write). */
static unsigned m_bits(const struct app_cred *cr, uint32_t uid, uint32_t gid, uint32_t mode)
{
	bool member;

	if (cr->uid == 0)
		return 6;
	if (cr->uid == uid)
		return (mode >> 6) & 7;
	member = cr->gid == gid;
	for (uint32_t i = 0; i < cr->nr_groups; i++)
		member |= cr->groups[i] == gid;
	return member ? (mode >> 3) & 7 : mode & 7;
}

static unsigned m_perm(const struct model *m, const struct app_cred *cr,
		       const struct cxldcd_host_group_info *g)
{
	uint32_t uid, gid, mode;
	const char *kind;

	m_owner(m, g, &uid, &gid, &mode, &kind);
	return m_bits(cr, uid, gid, mode);
}

/* The groups probed: each tag probed, untagged, a tag no rule names, the nil tag. */
static uint32_t groups_of(const struct model *m, struct cxldcd_host_group_info *gs)
{
	uint32_t n = 0;
	uint8_t other[CXLDCD_HOST_TAG_SIZE];
	bool named;

	for (uint32_t i = 0; i < m->nr_probe; i++) {
		gs[n] = (struct cxldcd_host_group_info){ .tagged = true };
		memcpy(gs[n++].tag, m->probe[i], CXLDCD_HOST_TAG_SIZE);
	}
	gs[n++] = (struct cxldcd_host_group_info){ .tagged = false };
	gs[n++] = (struct cxldcd_host_group_info){ .tagged = true };   /* nil tag */
	memset(other, 0x5a, sizeof(other));
	do {
		named = false;
		for (uint32_t i = 0; i < m->n; i++)
			if (m->rules[i].kind == M_TAG &&
			    !memcmp(m->rules[i].tag, other, CXLDCD_HOST_TAG_SIZE))
				named = true;
		other[15]++;
	} while (named);
	gs[n] = (struct cxldcd_host_group_info){ .tagged = true };
	memcpy(gs[n++].tag, other, sizeof(other));
	return n;
}

struct snap {
	uint32_t nr, sock_mode, sock_gid;
	bool sock_chgrp;
	struct access_owner o[M_PROBES + 3];
};

static void take(const struct cxldcd_host_access *acc, const struct model *m, struct snap *s)
{
	struct cxldcd_host_group_info gs[M_PROBES + 3];
	uint32_t n = groups_of(m, gs);

	s->nr = access_nr_rules(acc);
	s->sock_mode = access_sock_mode(acc);
	s->sock_chgrp = access_sock_group(acc, &s->sock_gid);
	for (uint32_t i = 0; i < n; i++)
		access_owner_of(acc, &gs[i], &s->o[i]);
}

static void same_snap(const struct snap *a, const struct snap *b, uint32_t n)
{
	if (a->nr != b->nr)
		fz_die("a refused text changed the number of rules", NULL);
	if (a->sock_mode != b->sock_mode || a->sock_chgrp != b->sock_chgrp ||
	    (a->sock_chgrp && a->sock_gid != b->sock_gid))
		fz_die("a refused text changed the socket's mode or group", NULL);
	for (uint32_t i = 0; i < n; i++)
		if (a->o[i].uid != b->o[i].uid || a->o[i].gid != b->o[i].gid ||
		    a->o[i].mode != b->o[i].mode || strcmp(a->o[i].rule, b->o[i].rule))
			fz_die("a refused text changed a group's owner, group or mode", NULL);
}

/* Every decision of acc against the model's. */
static void check_decisions(const struct cxldcd_host_access *acc, const struct model *m)
{
	struct cxldcd_host_group_info gs[M_PROBES + 3];
	uint32_t ng = groups_of(m, gs), stranger = 4000000000u, ncr = 0;
	struct app_cred crs[4 * M_CRED_RULES + 4];
	uint32_t sup[M_CRED_RULES + 1][2];

	uint32_t sgid;

	if (access_nr_rules(acc) != m->n)
		fz_die("number of rules differs from the text's", NULL);
	if (access_sock_mode(acc) != (m->sock_given ? m->sock_mode : 0600) ||
	    access_sock_group(acc, &sgid) != (m->sock_given && m->sock_chgrp) ||
	    (m->sock_given && m->sock_chgrp && sgid != m->sock_gid))
		fz_die("the socket's mode or group is not the text's", NULL);
	for (bool again = true; again;) {
		again = stranger == m->def_uid;
		for (uint32_t i = 0; i < m->n; i++)
			again |= m->rules[i].uid == stranger;
		if (again)
			stranger--;
	}
	crs[ncr++] = (struct app_cred){ .uid = 0, .gid = 0 };
	crs[ncr++] = (struct app_cred){ .uid = stranger, .gid = 77777 };
	crs[ncr++] = (struct app_cred){ .uid = m->def_uid, .gid = 77777 };
	crs[ncr++] = (struct app_cred){ .uid = stranger, .gid = m->def_gid };
	for (uint32_t k = 0; k < m->n && k <= M_CRED_RULES; k++) {
		/* the first rules, and the last */
		const struct m_rule *r = &m->rules[k < M_CRED_RULES ? k : m->n - 1];

		sup[k][0] = 1;
		sup[k][1] = r->gid;
		crs[ncr++] = (struct app_cred){ .uid = r->uid, .gid = 77777 };
		crs[ncr++] = (struct app_cred){ .uid = stranger, .gid = r->gid };
		crs[ncr++] = (struct app_cred){ .uid = stranger, .gid = 77777, .groups = sup[k],
						.nr_groups = 2 };
		if (ncr >= sizeof(crs) / sizeof(crs[0]))
			break;
	}
	for (uint32_t i = 0; i < ng; i++) {
		struct access_owner o;
		uint32_t uid, gid, mode;
		const char *kind;

		access_owner_of(acc, &gs[i], &o);
		m_owner(m, &gs[i], &uid, &gid, &mode, &kind);
		if (o.uid != uid || o.gid != gid || o.mode != mode || strcmp(o.rule, kind))
			fz_die("a group's owner, group, mode or rule is not the text's", NULL);
		for (uint32_t c = 0; c < ncr; c++)
			if (access_perm(acc, &crs[c], &gs[i]) != m_bits(&crs[c], uid, gid, mode))
				fz_die("access_perm() is not the mode's bits for the credentials", NULL);
	}
	for (uint32_t c = 0; c < ncr; c++) {
		for (unsigned need = 4; need <= 6; need += 2) {
			/* every class: each tag ruled, untagged, any other tag */
			struct cxldcd_host_group_info g = { .tagged = false };
			struct access_owner weak;
			bool every = (m_perm(m, &crs[c], &g) & need) == need;

			g = gs[ng - 1];        /* a tag no rule names */
			every &= (m_perm(m, &crs[c], &g) & need) == need;
			/*
			 * a tag's group: its rule (m_rule() refuses a second for a
			 * tag), so m_rule_of() need not search the rules again:
			 * O(rules) per credential, not O(rules^2), or an input of
			 * 1024 rules took 10 to 35 s under ASan
			 */
			for (uint32_t i = 0; i < m->n; i++) {
				const struct m_rule *r = &m->rules[i];

				if (r->kind != M_TAG)
					continue;
				every &= (m_bits(&crs[c], r->uid, r->gid, r->mode) & need) == need;
			}
			if (access_every(acc, &crs[c], need, &weak) != every)
				fz_die("access_every() is not every class's decision", NULL);
		}
	}
}

static void check_err(int rc, const char *err, uint32_t line)
{
	char want[32];

	if (!rc) {
		if (err[0])
			fz_die("a reason given for an accepted text", err);
		return;
	}
	if (!err[0])
		fz_die("a refusal without a reason", NULL);
	if (line) {
		snprintf(want, sizeof(want), "line %u: ", line);
		if (strncmp(err, want, strlen(want)))
			fz_die("a refusal names another line", err);
	}
}

/*
 * The text's verdict @want (model @m read it, from @before) against the
 * library's @rc; refused: acc as it was (@s0, taken before with every tag
 * the text names probed), m back to @before with those probes.
 */
static void verdict(struct cxldcd_host_access *acc, struct model *m, struct model *before,
		    const struct snap *s0, int want, int rc, const char *err, uint32_t line)
{
	struct snap *s1 = malloc(sizeof(*s1));
	struct cxldcd_host_group_info gs[M_PROBES + 3];

	if (!s1)
		fz_die("out of memory", NULL);
	if (rc != want) {
		char d[64];

		snprintf(d, sizeof(d), "returned %d, the grammar says %d (line %u)", rc, want, line);
		fz_die("the library and the grammar differ", d);
	}
	check_err(rc, err, line);
	if (rc) {
		take(acc, before, s1);
		same_snap(s0, s1, groups_of(before, gs));
		*m = *before;
	}
	check_decisions(acc, m);
	free(s1);
}

/* @m read (a copy of) @before's text: @before probes its tags too. */
static void probe_text(struct model *before, const struct model *m)
{
	for (uint32_t i = 0; i < m->nr_probe; i++)
		add_probe(before, m->probe[i]);
}

/* The file @t onto acc and m (cxldcd_host_access_load()), checked. */
static void load(struct cxldcd_host_access *acc, struct model *m, const char *t, size_t len)
{
	struct model *before = malloc(sizeof(*before));
	struct snap *s0 = malloc(sizeof(*s0));
	char err[512];
	uint32_t line;
	int want;

	if (!before || !s0)
		fz_die("out of memory", NULL);
	*before = *m;
	want = m_load(m, t, len, &line);
	probe_text(before, m);
	take(acc, before, s0);
	memset(err, 'x', sizeof(err));
	verdict(acc, m, before, s0, want, cxldcd_host_access_load(acc, t, len, err, sizeof(err)),
		err, want ? line : 0);
	free(before);
	free(s0);
}

/* One --group-access value @v onto acc and m (cxldcd_host_access_add_rule()), checked. */
static void add_value(struct cxldcd_host_access *acc, struct model *m, const char *v)
{
	struct model *before = malloc(sizeof(*before));
	struct snap *s0 = malloc(sizeof(*s0));
	char err[512];
	int want;

	if (!before || !s0)
		fz_die("out of memory", NULL);
	*before = *m;
	want = m_rule(m, v, strlen(v));
	probe_text(before, m);
	take(acc, before, s0);
	memset(err, 'x', sizeof(err));
	verdict(acc, m, before, s0, want, cxldcd_host_access_add_rule(acc, v, err, sizeof(err)),
		err, 0);
	free(before);
	free(s0);
}

static const char *const presets[] = {
	"tag=all,owner=1000,group=100,mode=0640",
	"tag=untagged,owner=1001,mode=0604",
	"tag=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,group=2000,mode=0066",
};

/*
 * Byte 0 bit 4: a file of 1008 + (b & 31) rules, each its own tag (rule k:
 * 0000000k-...), owner, group and mode numbers (b bits 7:5 vary them),
 * loaded onto acc and m and checked as any file: the set meets the bound
 * of 1024 rules (or its line 1025 is refused).
 */
static void many_rules(struct cxldcd_host_access *acc, struct model *m, uint8_t b)
{
	static const uint32_t modes[8] = { 0600, 0640, 0660, 0604, 0644, 0666, 0400, 0 };
	uint32_t n = 1008 + (b & 31u), vary = b >> 5;
	const size_t line = 96;
	char *t = malloc(n * line), *p = t;

	if (!t)
		fz_die("out of memory", NULL);
	for (uint32_t k = 0; k < n; k++)
		p += snprintf(p, line, "tag=%08x-0000-4000-8000-%012x,owner=%u,group=%u,mode=0%o\n",
			      k + 1, vary, 1000 + (k + vary) % 5, 2000 + (k * (vary + 1)) % 7,
			      modes[(k + vary) & 7]);
	load(acc, m, t, (size_t)(p - t));
	free(t);
}

/* The rules in force before the input's: the presets flags bits 1:0 pick (checked). */
static void before(unsigned presets_of, struct cxldcd_host_access **acc, struct model *m)
{
	*m = (struct model){ .def_uid = (uint32_t)geteuid(), .def_gid = (uint32_t)getegid() };
	if (cxldcd_host_access_new(acc))
		fz_die("out of memory", NULL);
	for (unsigned i = 0; i < 3; i++)
		if ((0x07060100u >> (8 * presets_of)) & (1u << i)) /* none; all; the others; three */
			add_value(*acc, m, presets[i]);
}

/*
 * Byte 0 bit 4: the presets, then many_rules(b), the same for every input
 * of those bits and that b: made (and checked) once, at the first such
 * input, and copied for each (access_dup(), the model as it is).  Parsing
 * 1000 rules again at every input took 70 ms of ASan's time (their
 * duplicate checks are 500,000 tag comparisons in the library and as many
 * in the model), and libFuzzer, mutating byte 0, sets the bit in half of
 * its inputs: the grammar's inputs ran at 11 a second.
 */
static void before_many(unsigned presets_of, uint8_t b, struct cxldcd_host_access **acc,
			struct model *m)
{
	static struct {
		struct cxldcd_host_access *acc;
		struct model *m;
	} made[4][256];
	__typeof__(made[0][0]) *c = &made[presets_of][b];

	if (!c->acc) {
		c->m = malloc(sizeof(*c->m));
		if (!c->m)
			fz_die("out of memory", NULL);
		before(presets_of, &c->acc, c->m);
		many_rules(c->acc, c->m, b);
	}
	*acc = access_dup(c->acc);
	if (!*acc)
		fz_die("out of memory", NULL);
	*m = *c->m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cxldcd_host_access *acc;
	struct model *m;
	const char *t;
	size_t len;
	uint8_t flags;

	if (!size)
		return 0;
	flags = data[0];
	t = (const char *)data + 1;
	len = size - 1;
	m = malloc(sizeof(*m));
	if (!m)
		fz_die("out of memory", NULL);
	if (flags & 16 && len) {
		before_many(flags & 3, (uint8_t)t[0], &acc, m);
		t++;
		len--;
	} else {
		before(flags & 3, &acc, m);
	}
	if (flags & 4) {
		const char *nul = memchr(t, '\0', len);
		char *v = malloc((nul ? (size_t)(nul - t) : len) + 1);
		size_t vlen = nul ? (size_t)(nul - t) : len;

		if (!v)
			fz_die("out of memory", NULL);
		memcpy(v, t, vlen);
		v[vlen] = '\0';
		add_value(acc, m, v);
		free(v);
		t += nul ? vlen + 1 : vlen;
		len -= nul ? vlen + 1 : vlen;
	}
	load(acc, m, t, len);
	if (flags & 8)
		load(acc, m, t, len);
	cxldcd_host_access_free(acc);
	free(m);
	return 0;
}
