/* SPDX-License-Identifier: MIT */
/*
 * schema.c - generic argument validation for QMP commands.
 *
 * A command declares its arguments as a static table (struct qmp_arg); the
 * server checks every request against it before the handler runs, so
 * handlers read arguments without re-checking types.  The texts are QEMU's
 * (its QAPI input visitor), since scripts match on them:
 *   "Parameter 'x' is missing"
 *   "Parameter 'x' is unexpected"
 *   "Invalid parameter type for 'x', expected: integer"
 *   "Parameter 'x' expects uint64" (an unsigned one given no integer)
 *   "Parameter 'x' expects uint8_t" (out of range: the bare name, "null"
 *   for a list element)
 *   "Parameter 'x' does not accept value 'y'"
 * Nested members are named "extents[0].len" as QEMU does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qmp.h"

/* Longest member path reported; deeper names are truncated, not refused. */
#define PATH_MAX_LEN 256

/* What a check reads besides the value: the request's integers above INT64_MAX. */
struct ctx {
	const struct qmp_json *doc;
	struct qmp_error *err;
};

static int check_value(const struct ctx *c, const struct qmp_arg *a, enum qmp_type type,
		       json_t *v, const char *path);

static int type_error(struct qmp_error *err, const char *path, const char *expected)
{
	qmp_error_set(err, QMP_ERR_GENERIC, "Invalid parameter type for '%s', expected: %s",
		      path, expected);
	return -EINVAL;
}

static int range_error(struct qmp_error *err, const char *path, const char *ctype)
{
	qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' expects %s", path, ctype);
	return -EINVAL;
}

/*
 * An unsigned argument, as QEMU's visitor reads one: first as a uint64
 * (anything but an integer: "Parameter 'a.b[0].c' expects uint64", the
 * whole path), then its range for a narrower type, named by the member's
 * own name only, "null" for a list element ("Parameter 'c' expects
 * uint8_t"; visit_type_uintN() gets the bare name).
 */
static int check_uint(const struct ctx *c, json_t *v, const char *path, uint64_t max,
		      const char *ctype)
{
	const char *name;
	json_int_t x;

	if (!json_is_integer(v))
		return range_error(c->err, path, "uint64");
	x = json_integer_value(v);
	/*
	 * Any integer is a uint64: one above INT64_MAX is held as the same 64
	 * bits (struct qmp_json), and a negative one wraps, as QEMU's visitor
	 * takes it "for backward compatibility" (-1 is 2^64-1); a narrower
	 * type then checks the wrapped value's range.
	 */
	if (max == UINT64_MAX || (x >= 0 && (uint64_t)x <= max))
		return 0;
	name = strrchr(path, '.');
	name = name ? name + 1 : path;
	return range_error(c->err, name[strlen(name) - 1] == ']' ? "null" : name, ctype);
}

static int check_enum(const struct ctx *c, const struct qmp_arg *a, json_t *v,
		      const char *path)
{
	struct qmp_error *err = c->err;
	const char *s;

	if (!json_is_string(v))
		return type_error(err, path, "string");
	s = json_string_value(v);
	for (const char *const *e = a->values; e && *e; e++)
		if (strcmp(*e, s) == 0)
			return 0;
	qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' does not accept value '%s'", path, s);
	return -EINVAL;
}

static int check_array(const struct ctx *c, const struct qmp_arg *a, json_t *v,
		       const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return type_error(c->err, path, "array");
	json_array_foreach(v, i, e) {
		int rc;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		rc = check_value(c, a, a->elem, e, sub);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_struct(const struct ctx *c, const struct qmp_arg *fields, json_t *obj,
			bool allow_extra, const char *prefix);

static int check_value(const struct ctx *c, const struct qmp_arg *a, enum qmp_type type,
		       json_t *v, const char *path)
{
	struct qmp_error *err = c->err;

	switch (type) {
	case QMP_T_STR:
		return json_is_string(v) ? 0 : type_error(err, path, "string");
	case QMP_T_INT:
		/* an integer above INT64_MAX is no int64 (QEMU: the same text) */
		return json_is_integer(v) && !qmp_json_is_big(c->doc, v) ? 0 :
		       type_error(err, path, "integer");
	case QMP_T_UINT8:
		return check_uint(c, v, path, UINT8_MAX, "uint8_t");
	case QMP_T_UINT16:
		return check_uint(c, v, path, UINT16_MAX, "uint16_t");
	case QMP_T_UINT32:
		return check_uint(c, v, path, UINT32_MAX, "uint32_t");
	case QMP_T_UINT64:
		return check_uint(c, v, path, UINT64_MAX, "uint64");
	case QMP_T_BOOL:
		return json_is_boolean(v) ? 0 : type_error(err, path, "boolean");
	case QMP_T_NUMBER:
		return json_is_number(v) ? 0 : type_error(err, path, "number");
	case QMP_T_ENUM:
		return check_enum(c, a, v, path);
	case QMP_T_ARRAY:
		return check_array(c, a, v, path);
	case QMP_T_STRUCT:
		if (!json_is_object(v))
			return type_error(err, path, "object");
		return check_struct(c, a->fields, v, false, path);
	case QMP_T_OBJECT:
		return json_is_object(v) ? 0 : type_error(err, path, "object");
	case QMP_T_ANY:
		return 0;
	}
	qmp_error_set(err, QMP_ERR_GENERIC, "internal error: bad schema for '%s'", path);
	return -EINVAL;
}

static void member_path(char *buf, size_t len, const char *prefix, const char *name)
{
	if (prefix && *prefix)
		snprintf(buf, len, "%s.%s", prefix, name);
	else
		snprintf(buf, len, "%s", name);
}

static bool declared(const struct qmp_arg *fields, const char *key)
{
	for (const struct qmp_arg *a = fields; a && a->name; a++)
		if (strcmp(a->name, key) == 0)
			return true;
	return false;
}

static int check_struct(const struct ctx *c, const struct qmp_arg *fields, json_t *obj,
			bool allow_extra, const char *prefix)
{
	struct qmp_error *err = c->err;
	char path[PATH_MAX_LEN];
	const char *key;
	json_t *v;

	for (const struct qmp_arg *a = fields; a && a->name; a++) {
		int rc;

		member_path(path, sizeof(path), prefix, a->name);
		v = json_object_get(obj, a->name);
		if (!v) {
			if (a->optional)
				continue;
			qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' is missing", path);
			return -EINVAL;
		}
		rc = check_value(c, a, a->type, v, path);
		if (rc)
			return rc;
	}
	if (allow_extra)
		return 0;
	json_object_foreach(obj, key, v) {
		if (declared(fields, key))
			continue;
		member_path(path, sizeof(path), prefix, key);
		qmp_error_set(err, QMP_ERR_GENERIC, "Parameter '%s' is unexpected", path);
		return -EINVAL;
	}
	return 0;
}

int qmp_schema_check_json(const struct qmp_arg *schema, const struct qmp_json *j, json_t *obj,
			  bool allow_extra, struct qmp_error *err)
{
	struct qmp_error scratch;
	struct ctx c = { .doc = j, .err = err ? err : &scratch };

	if (!json_is_object(obj)) {
		qmp_error_set(err, QMP_ERR_GENERIC, "QMP input member 'arguments' must be an object");
		return -EINVAL;
	}
	return check_struct(&c, schema, obj, allow_extra, "");
}

int qmp_schema_check(const struct qmp_arg *schema, json_t *obj, bool allow_extra,
		     struct qmp_error *err)
{
	return qmp_schema_check_json(schema, NULL, obj, allow_extra, err);
}

/* ---- argument accessors for handlers -------------------------------- */

const char *qmp_arg_str(json_t *args, const char *name, const char *def)
{
	json_t *v = json_object_get(args, name);

	return json_is_string(v) ? json_string_value(v) : def;
}

int64_t qmp_arg_int(json_t *args, const char *name, int64_t def)
{
	json_t *v = json_object_get(args, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

/* Validated: a negative integer here is one above INT64_MAX (struct qmp_json) or a wrapped one. */
uint64_t qmp_arg_uint(json_t *args, const char *name, uint64_t def)
{
	json_t *v = json_object_get(args, name);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : def;
}

bool qmp_arg_bool(json_t *args, const char *name, bool def)
{
	json_t *v = json_object_get(args, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

int qmp_arg_enum(json_t *args, const char *name, const char *const *values, int def)
{
	const char *s = qmp_arg_str(args, name, NULL);

	if (!s)
		return def;
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], s) == 0)
			return i;
	return def;
}
