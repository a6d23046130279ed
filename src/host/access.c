/* SPDX-License-Identifier: MIT */
/*
 * access.c - who may open which group through the application socket
 * (docs/host.md, "Who may open which group").
 *
 * Linux gives each dax device (a tag group) its own device file, with an
 * owner, a group and a mode that udev rules set; whoever may read it may
 * map it, whoever may also write it may map it writable.  Here the agent
 * plays the file system: a rule per tag (or for every untagged group, or
 * for all the rest) names an owner, a group and a mode, and an
 * application's kernel credentials at connect() (SO_PEERCRED, its
 * supplementary groups from SO_PEERGROUPS) pick the owner's, the group's
 * or the others' bits, as for a file.  Read (4): LIST shows the group and
 * it opens read-only; read and write (6): it opens writable; write alone
 * gives nothing (a mapping always reads).  Root may do everything.
 *
 * Also the application socket's own mode and group (who may connect at
 * all).  Not the enforcement itself: apps.c asks access_perm() at LIST and
 * OPEN and hands a read-only grant O_RDONLY fds.
 */
#include "host/access.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/quote.h"

/* A rule's text, and the rules of one set: bounds on untrusted input. */
#define RULE_TEXT_MAX 512u
#define ACCESS_MAX_RULES 1024u
/* Supplementary groups of a peer: NGROUPS_MAX of Linux. */
#define PEER_GROUPS_MAX 65536u

enum rule_kind { RULE_TAG, RULE_UNTAGGED, RULE_ALL };

struct access_rule {
	enum rule_kind kind;
	uint8_t tag[CXLDCD_HOST_TAG_SIZE];   /* RULE_TAG */
	uint32_t uid, gid, mode;
};

struct cxldcd_host_access {
	uint32_t def_uid, def_gid;      /* the process's, at new(): owner and group by default */
	uint32_t sock_mode;
	bool sock_chgrp;
	uint32_t sock_gid;
	bool sock_given;                /* by set_socket() or a socket rule: not twice */
	struct access_rule *rules;
	uint32_t nr_rules, cap_rules;   /* cap doubles: a file of 1024 rules is 11 reallocs */
};

/* Why a rule or setting was refused, into err (NULL: nowhere). */
__attribute__((format(printf, 3, 4)))
static void fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

/* Outside text (a rule, a user or group name) for quoting in a message (cx_quote()). */
#define QUOTE_MAX (4u * RULE_TEXT_MAX + 1u)
static const char *quote(char buf[QUOTE_MAX], const char *s)
{
	return cx_quote(buf, QUOTE_MAX, s);
}

int cxldcd_host_access_new(struct cxldcd_host_access **out)
{
	struct cxldcd_host_access *acc;

	if (!out)
		return -EINVAL;
	acc = calloc(1, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	acc->def_uid = (uint32_t)geteuid();
	acc->def_gid = (uint32_t)getegid();
	acc->sock_mode = 0600;
	*out = acc;
	return 0;
}

void cxldcd_host_access_free(struct cxldcd_host_access *acc)
{
	if (!acc)
		return;
	free(acc->rules);
	free(acc);
}

struct cxldcd_host_access *access_dup(const struct cxldcd_host_access *acc)
{
	struct cxldcd_host_access *d;

	if (!acc) {
		if (cxldcd_host_access_new(&d))
			return NULL;
		return d;
	}
	d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	*d = *acc;
	d->rules = NULL;
	d->cap_rules = 0;
	if (acc->nr_rules) {
		d->rules = malloc(acc->nr_rules * sizeof(*d->rules));
		d->cap_rules = acc->nr_rules;
		if (!d->rules) {
			free(d);
			return NULL;
		}
		memcpy(d->rules, acc->rules, acc->nr_rules * sizeof(*d->rules));
	}
	return d;
}

/*
 * The user database's entry for a name, in a buffer grown while it is too
 * small (ERANGE: a group's entry holds its members, so a large group's is
 * tens of kilobytes), up to ID_BUF_MAX.  0 (*found: whether there is one)
 * or the positive errno of the lookup.
 */
#define ID_BUF_MAX (16u << 20)

static int lookup_id(const char *name, bool group, uint32_t *out, bool *found)
{
	size_t size = 4096;
	int rc;

	*found = false;
	for (;;) {
		char *buf = malloc(size);

		if (!buf)
			return ENOMEM;
		if (group) {
			struct group gr, *res = NULL;

			rc = getgrnam_r(name, &gr, buf, size, &res);
			if (res) {
				*out = (uint32_t)res->gr_gid;
				*found = true;
			}
		} else {
			struct passwd pw, *res = NULL;

			rc = getpwnam_r(name, &pw, buf, size, &res);
			if (res) {
				*out = (uint32_t)res->pw_uid;
				*found = true;
			}
		}
		free(buf);
		if (*found || rc != ERANGE || size >= ID_BUF_MAX)
			return *found ? 0 : rc;
		size *= 2;
	}
}

/*
 * A user or group by name, or by number when all digits (an id need not
 * have a name, as with chown).  (uid_t)-1 is no id.  Return 0, -EINVAL
 * (empty, out of range), -ENOENT, -ENOMEM.
 */
static int parse_id(const char *v, bool group, uint32_t *out, char *err, size_t esz)
{
	const char *what = group ? "group" : "user";
	char q[QUOTE_MAX];
	bool found;
	int rc;

	if (!*v) {
		fail(err, esz, "empty %s", what);
		return -EINVAL;
	}
	if (strspn(v, "0123456789") == strlen(v)) {
		unsigned long long u = 0;

		for (const char *p = v; *p; p++)
			if (u < UINT32_MAX) /* past it: out of range below, whatever follows */
				u = u * 10 + (unsigned)(*p - '0');
		if (u >= UINT32_MAX) {
			fail(err, esz, "%s id '%s' out of range (0..4294967294)", what, quote(q, v));
			return -EINVAL;
		}
		*out = (uint32_t)u;
		return 0;
	}
	rc = lookup_id(v, group, out, &found);
	if (found)
		return 0;
	if (rc == ENOMEM) {
		fail(err, esz, "%s '%s': out of memory", what, quote(q, v));
		return -ENOMEM;
	}
	fail(err, esz, "unknown %s '%s'%s%s", what, quote(q, v), rc ? ": " : "", rc ? strerror(rc) : "");
	return -ENOENT;
}

/* mode=OCTAL: 1 to 4 octal digits, read and write bits only. */
static int parse_mode(const char *v, uint32_t *out, char *err, size_t esz)
{
	uint32_t m = 0;
	size_t n = strlen(v);
	char q[QUOTE_MAX];

	if (!n || n > 4) {
		fail(err, esz, "mode '%s': expected 1 to 4 octal digits, e.g. 0640", quote(q, v));
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '7') {
			fail(err, esz, "mode '%s': expected octal digits, e.g. 0640", quote(q, v));
			return -EINVAL;
		}
		m = m * 8 + (uint32_t)(v[i] - '0');
	}
	if (m & ~0666u) {
		fail(err, esz, "mode '%s': only read (4) and write (2) bits mean something here "
			       "(at most 0666; no execute, setuid, setgid or sticky bit)", quote(q, v));
		return -EINVAL;
	}
	*out = m;
	return 0;
}

static bool same_rule(const struct access_rule *a, const struct access_rule *b)
{
	return a->kind == b->kind &&
	       (a->kind != RULE_TAG || !memcmp(a->tag, b->tag, CXLDCD_HOST_TAG_SIZE));
}

/*
 * The next item of a rule's KEY=VALUE list at *cur, split at ',' by hand
 * (strtok_r() would take ",," and a trailing ',' silently); *cur moves past
 * it (NULL: it was the last).  Which of keys[nk] it names (seen[] marks
 * them: one given twice is an error), its value in *val.  Errors list the
 * keys (list) of the kind of rule (of: "" or " for the socket").  Return
 * the key's index, or -EINVAL.
 */
static int next_item(char **cur, const char *const *keys, unsigned nk, bool *seen,
		     const char *list, const char *of, char **val, char *err, size_t esz)
{
	char *item = *cur, *eq, q[QUOTE_MAX];
	unsigned k;

	*cur = strchr(item, ',');
	if (*cur)
		*(*cur)++ = '\0';
	eq = strchr(item, '=');
	if (!eq || eq == item) {
		fail(err, esz, "%s%s%s: expected KEY=VALUE (%s)", *item ? "'" : "an empty item",
		     quote(q, item), *item ? "'" : "", list);
		return -EINVAL;
	}
	*eq = '\0';
	for (k = 0; k < nk && strcmp(item, keys[k]); k++)
		;
	if (k == nk) {
		fail(err, esz, "unknown key '%s'%s (%s)", quote(q, item), of, list);
		return -EINVAL;
	}
	if (seen[k]) {
		fail(err, esz, "key '%s' given twice", item);
		return -EINVAL;
	}
	seen[k] = true;
	*val = eq + 1;
	return (int)k;
}

/*
 * "socket[,mode=MODE][,group=GROUP]" (text: its items after "socket", or
 * NULL): the application socket's mode and group, as
 * cxldcd_host_access_set_socket() gives them, so a rules file read again
 * at SIGHUP carries them too.  Once per set, from either.
 */
static int socket_rule(struct cxldcd_host_access *acc, char *text, char *err, size_t esz)
{
	static const char *const keys[] = { "mode", "group" };
	uint32_t mode = 0600, gid = 0;
	bool seen[2] = { false };
	char q[QUOTE_MAX], *v;
	int rc;

	for (char *cur = text; cur;) {
		int k = next_item(&cur, keys, 2, seen, "mode, group", " for the socket", &v, err, esz);

		if (k < 0)
			return k;
		if (k == 0) {
			rc = parse_mode(v, &mode, err, esz);
			if (!rc && (mode & 0600) != 0600) {
				fail(err, esz, "mode '%s': the owner (the agent's user) keeps read and "
					       "write (0600)", quote(q, v));
				rc = -EINVAL;
			}
		} else {
			rc = parse_id(v, true, &gid, err, esz);
		}
		if (rc)
			return rc;
	}
	if (acc->sock_given) {
		fail(err, esz, "the socket's mode and group are given already (once: on the command "
			       "line, --agent-socket-mode/--agent-socket-group, or by one socket line)");
		return -EEXIST;
	}
	acc->sock_mode = mode;
	acc->sock_chgrp = seen[1];
	acc->sock_gid = gid;
	acc->sock_given = true;
	return 0;
}

int cxldcd_host_access_add_rule(struct cxldcd_host_access *acc, const char *rule, char *err,
				size_t err_size)
{
	static const char *const keys[] = { "tag", "owner", "group", "mode" };
	struct access_rule r, *nr;
	bool seen[4] = { false };
	char text[RULE_TEXT_MAX], *v;
	char q[QUOTE_MAX];
	int rc;

	if (err && err_size)
		err[0] = '\0';
	if (!acc || !rule) {
		fail(err, err_size, "no rule");
		return -EINVAL;
	}
	if (strlen(rule) >= sizeof(text)) {
		fail(err, err_size, "rule longer than %u characters", RULE_TEXT_MAX - 1);
		return -EINVAL;
	}
	strcpy(text, rule);
	if (!strncmp(text, "socket", 6) && (!text[6] || text[6] == ','))
		return socket_rule(acc, text[6] ? text + 7 : NULL, err, err_size);
	if (acc->nr_rules == ACCESS_MAX_RULES) {
		fail(err, err_size, "too many rules (at most %u)", ACCESS_MAX_RULES);
		return -EINVAL;
	}
	r = (struct access_rule){ .uid = acc->def_uid, .gid = acc->def_gid, .mode = 0600 };
	for (char *cur = text; cur;) {
		int k = next_item(&cur, keys, 4, seen, "tag, owner, group, mode", "", &v, err,
				  err_size);

		if (k < 0)
			return k;
		if (k == 0) {
			static const uint8_t nil[CXLDCD_HOST_TAG_SIZE];

			if (!strcmp(v, "untagged")) {
				r.kind = RULE_UNTAGGED;
			} else if (!strcmp(v, "all")) {
				r.kind = RULE_ALL;
			} else if (cxldcd_tag_parse(v, r.tag)) {
				fail(err, err_size, "tag '%s': expected a UUID, 'untagged' or 'all'", quote(q, v));
				return -EINVAL;
			} else if (!memcmp(r.tag, nil, sizeof(nil))) {
				fail(err, err_size, "tag '%s': the nil UUID is no tag (tag=untagged)", quote(q, v));
				return -EINVAL;
			} else {
				r.kind = RULE_TAG;
			}
		} else if (k == 3) {
			rc = parse_mode(v, &r.mode, err, err_size);
			if (rc)
				return rc;
		} else {
			rc = parse_id(v, k == 2, k == 1 ? &r.uid : &r.gid, err, err_size);
			if (rc)
				return rc;
		}
	}
	if (!seen[0]) {
		fail(err, err_size, "no tag= (a UUID, untagged or all)");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < acc->nr_rules; i++) {
		if (same_rule(&acc->rules[i], &r)) {
			char t[37];

			cxldcd_tag_format(r.tag, t);
			fail(err, err_size, "a rule for tag=%s is given already",
			     r.kind == RULE_ALL ? "all" : r.kind == RULE_UNTAGGED ? "untagged" : t);
			return -EEXIST;
		}
	}
	if (acc->nr_rules == acc->cap_rules) {
		uint32_t cap = acc->cap_rules ? 2 * acc->cap_rules : 8;

		if (cap > ACCESS_MAX_RULES)
			cap = ACCESS_MAX_RULES;
		nr = realloc(acc->rules, cap * sizeof(*nr));
		if (!nr) {
			fail(err, err_size, "out of memory");
			return -ENOMEM;
		}
		acc->rules = nr;
		acc->cap_rules = cap;
	}
	acc->rules[acc->nr_rules++] = r;
	return 0;
}

int cxldcd_host_access_set_socket(struct cxldcd_host_access *acc, uint32_t mode, const char *group,
				  char *err, size_t err_size)
{
	uint32_t gid = 0;
	int rc;

	if (err && err_size)
		err[0] = '\0';
	if (!acc)
		return -EINVAL;
	if (mode & ~0666u) {
		fail(err, err_size, "mode %04o: only read and write bits (at most 0666); "
			       "connecting takes write permission", mode);
		return -EINVAL;
	}
	if ((mode & 0600) != 0600) {
		fail(err, err_size, "mode %04o: the owner (the agent's user) keeps read and write (0600)",
		     mode);
		return -EINVAL;
	}
	if (group && (rc = parse_id(group, true, &gid, err, err_size)))
		return rc;
	acc->sock_mode = mode;
	acc->sock_chgrp = group != NULL;
	acc->sock_gid = gid;
	acc->sock_given = true;
	return 0;
}

uint32_t access_sock_mode(const struct cxldcd_host_access *acc)
{
	return acc->sock_mode;
}

bool access_sock_group(const struct cxldcd_host_access *acc, uint32_t *gid)
{
	*gid = acc->sock_gid;
	return acc->sock_chgrp;
}

/* ------------------------------------------------------------ checks */

/*
 * Without SO_PEERGROUPS (a kernel before 4.13): the groups the user
 * database gives the uid now (getgrouplist()); none when the uid has no
 * name.  Return 0 or -ENOMEM.
 */
static int groups_of_uid(struct app_cred *cr)
{
	char buf[4096];
	struct passwd pw, *res = NULL;
	int n = 64;

	if (getpwuid_r((uid_t)cr->uid, &pw, buf, sizeof(buf), &res) || !res)
		return 0;
	for (int tries = 0; tries < 2; tries++) {
		gid_t *g = malloc((size_t)n * sizeof(*g));
		int had = n;

		if (!g)
			return -ENOMEM;
		if (getgrouplist(res->pw_name, (gid_t)cr->gid, g, &n) >= 0) {
			cr->groups = (uint32_t *)g;
			cr->nr_groups = (uint32_t)n;
			return 0;
		}
		free(g);
		if (n <= had || (unsigned)n > PEER_GROUPS_MAX)
			break;
	}
	return 0;
}

int access_cred_of(int fd, struct app_cred *cr)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	memset(cr, 0, sizeof(*cr));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EPROTO;
	cr->pid = (int32_t)uc.pid;
	cr->uid = (uint32_t)uc.uid;
	cr->gid = (uint32_t)uc.gid;
#ifdef SO_PEERGROUPS
	/*
	 * The supplementary groups the kernel recorded at connect() (Linux
	 * 4.13): the peer's own, not those its uid has in /etc/group now.
	 */
	for (socklen_t want = 64 * sizeof(gid_t);;) {
		gid_t *g = malloc(want);
		socklen_t got = want;

		if (!g)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &got) == 0) {
			cr->groups = (uint32_t *)g;
			cr->nr_groups = (uint32_t)(got / sizeof(gid_t));
			return 0;
		}
		free(g);
		if (errno == ERANGE && got > want && got <= PEER_GROUPS_MAX * sizeof(gid_t)) {
			want = got;
			continue;
		}
		if (errno != ENOPROTOOPT)
			return -errno;
		break;
	}
#endif
	return groups_of_uid(cr);
}

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits on Linux");

void access_cred_fini(struct app_cred *cr)
{
	free(cr->groups);
	cr->groups = NULL;
	cr->nr_groups = 0;
}

static const struct access_rule *rule_of(const struct cxldcd_host_access *acc,
					 const struct cxldcd_host_group_info *g)
{
	const struct access_rule *untagged = NULL, *all = NULL;

	for (uint32_t i = 0; i < acc->nr_rules; i++) {
		const struct access_rule *r = &acc->rules[i];

		if (r->kind == RULE_TAG && g->tagged && !memcmp(r->tag, g->tag, CXLDCD_HOST_TAG_SIZE))
			return r;
		if (r->kind == RULE_UNTAGGED)
			untagged = r;
		else if (r->kind == RULE_ALL)
			all = r;
	}
	if (!g->tagged && untagged)
		return untagged;
	return all;
}

static bool in_group(const struct app_cred *cr, uint32_t gid)
{
	if (cr->gid == gid)
		return true;
	for (uint32_t i = 0; i < cr->nr_groups; i++)
		if (cr->groups[i] == gid)
			return true;
	return false;
}

/* The owner, group and mode rule r gives (NULL: the default). */
static void owner_by(const struct cxldcd_host_access *acc, const struct access_rule *r,
		     struct access_owner *out)
{
	if (!r) {
		*out = (struct access_owner){ acc->def_uid, acc->def_gid, 0600, "default" };
		return;
	}
	*out = (struct access_owner){ r->uid, r->gid, r->mode,
				      r->kind == RULE_TAG ? "tag" : r->kind == RULE_ALL ? "all"
											: "untagged" };
}

void access_owner_of(const struct cxldcd_host_access *acc, const struct cxldcd_host_group_info *g,
		     struct access_owner *out)
{
	owner_by(acc, rule_of(acc, g), out);
}

/*
 * The bits o gives cr, as for a file: the owner's alone for the owner, else
 * the group's, else others'.
 */
static unsigned perm_of(const struct app_cred *cr, const struct access_owner *o)
{
	if (cr->uid == 0)
		return ACCESS_READ | ACCESS_WRITE;  /* as root is for device files */
	if (cr->uid == o->uid)
		return (o->mode >> 6) & 7;
	if (in_group(cr, o->gid))
		return (o->mode >> 3) & 7;
	return o->mode & 7;
}

bool access_may_connect(const struct app_cred *cr, uint32_t uid, uint32_t gid, uint32_t mode)
{
	const struct access_owner o = { uid, gid, mode, "socket" };

	return perm_of(cr, &o) & ACCESS_WRITE;
}

unsigned access_perm(const struct cxldcd_host_access *acc, const struct app_cred *cr,
		     const struct cxldcd_host_group_info *g)
{
	struct access_owner o;

	access_owner_of(acc, g, &o);
	return perm_of(cr, &o);
}

bool access_every(const struct cxldcd_host_access *acc, const struct app_cred *cr, unsigned need,
		  struct access_owner *weak)
{
	/*
	 * Every group the host holds or may be given falls in one of these
	 * classes: a tag a rule names (that rule); an untagged group (the
	 * untagged rule, else as the next); a tag no rule names, now or in a
	 * group added later (the all rule, else the default).  The nil UUID is
	 * never a rule's tag, so it stands for the last.  A tag's rule is the
	 * one rule naming it (add_rule() refuses a second), so that class needs
	 * no search: O(rules) a call, not O(rules^2).
	 */
	struct cxldcd_host_group_info g = { .tagged = false };
	struct access_owner o;

	for (uint32_t i = 0; i <= acc->nr_rules + 1; i++) {
		if (i < acc->nr_rules) {
			if (acc->rules[i].kind != RULE_TAG)
				continue;
			owner_by(acc, &acc->rules[i], &o);
		} else {
			g.tagged = i == acc->nr_rules + 1;
			access_owner_of(acc, &g, &o);
		}
		if ((perm_of(cr, &o) & need) != need) {
			if (weak)
				*weak = o;
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------ a set from text */

/* A rules text (cxldcd_host_access_load()): bounds on untrusted input. */
#define RULES_TEXT_MAX (1u << 20)

int cxldcd_host_access_load(struct cxldcd_host_access *acc, const char *text, size_t len,
			    char *err, size_t err_size)
{
	struct cxldcd_host_access *d;
	char rule[RULE_TEXT_MAX], why[256], q[QUOTE_MAX];
	uint32_t line = 0;
	size_t off = 0;
	int rc = 0;

	if (err && err_size)
		err[0] = '\0';
	if (!acc || (!text && len)) {
		fail(err, err_size, "no rules");
		return -EINVAL;
	}
	if (len > RULES_TEXT_MAX) {
		fail(err, err_size, "rules longer than %u bytes", RULES_TEXT_MAX);
		return -EINVAL;
	}
	/* every rule into a copy: the set changes only when all of them are good */
	d = access_dup(acc);
	if (!d) {
		fail(err, err_size, "out of memory");
		return -ENOMEM;
	}
	while (off < len && !rc) {
		const char *p = text + off, *nl = memchr(p, '\n', len - off);
		size_t n = nl ? (size_t)(nl - p) : len - off, b = 0, e = n;

		off += n + (nl != NULL);
		line++;
		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r'))
			e--;
		if (b == e || p[b] == '#')
			continue;       /* blank, or a comment */
		if (e - b >= sizeof(rule)) {
			fail(err, err_size, "line %u: rule longer than %u characters", line,
			     RULE_TEXT_MAX - 1);
			rc = -EINVAL;
		} else if (memchr(p + b, '\0', e - b)) {
			fail(err, err_size, "line %u: a NUL byte", line);
			rc = -EINVAL;
		} else {
			memcpy(rule, p + b, e - b);
			rule[e - b] = '\0';
			rc = cxldcd_host_access_add_rule(d, rule, why, sizeof(why));
			if (rc)
				fail(err, err_size, "line %u: '%s': %s", line, quote(q, rule), why);
		}
	}
	if (rc) {
		cxldcd_host_access_free(d);
		return rc;
	}
	free(acc->rules);
	*acc = *d;
	free(d);
	return 0;
}

uint32_t access_nr_rules(const struct cxldcd_host_access *acc)
{
	return acc->nr_rules;
}
