// SPDX-License-Identifier: BSD-3-Clause
#include <stdarg.h>
#include <stdio.h>

#include <json-c/json.h>

#include "print.h"

#define PG_PRINT_DEPTH 8

static bool pg_json;
static struct json_object *pg_stack[PG_PRINT_DEPTH];
static int pg_depth; /* pg_stack[pg_depth - 1] is the open container */

bool pg_print_is_json(void)
{
	return pg_json;
}

void pg_print_begin(bool json, bool root_array)
{
	pg_json = json;
	pg_depth = 0;
	if (json)
		pg_stack[pg_depth++] =
			root_array ? json_object_new_array() : json_object_new_object();
}

void pg_print_end(void)
{
	if (!pg_json || !pg_depth)
		return;
	printf("%s\n",
	       json_object_to_json_string_ext(pg_stack[0], JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(pg_stack[0]);
	pg_depth = 0;
}

/* Puts v under key in the open object, or appends it to the open array. */
static void pg_add(const char *key, struct json_object *v)
{
	struct json_object *top = pg_stack[pg_depth - 1];

	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key, v);
}

static void pg_open(const char *key, struct json_object *v)
{
	if (!pg_json)
		return;
	pg_add(key, v);
	/* Deeper than any listing of ours: a programming error, kept from overflowing. */
	if (pg_depth < PG_PRINT_DEPTH)
		pg_stack[pg_depth++] = v;
}

void pg_print_open_object(const char *key)
{
	if (pg_json)
		pg_open(key, json_object_new_object());
}

void pg_print_open_array(const char *key)
{
	if (pg_json)
		pg_open(key, json_object_new_array());
}

void pg_print_close_object(void)
{
	if (pg_json && pg_depth > 1)
		pg_depth--;
}

void pg_print_close_array(void)
{
	pg_print_close_object();
}

void pg_print_str(const char *key, const char *fmt, const char *v)
{
	if (pg_json)
		pg_add(key, json_object_new_string(v));
	else if (fmt)
		printf(fmt, v);
}

void pg_print_u64(const char *key, const char *fmt, uint64_t v)
{
	if (pg_json)
		pg_add(key, json_object_new_uint64(v));
	else if (fmt)
		printf(fmt, (unsigned long long)v);
}

void pg_print_s64(const char *key, const char *fmt, int64_t v)
{
	if (pg_json)
		pg_add(key, json_object_new_int64(v));
	else if (fmt)
		printf(fmt, (long long)v);
}

void pg_print_bool(const char *key, const char *fmt, bool v)
{
	if (pg_json)
		pg_add(key, json_object_new_boolean(v));
	else if (fmt)
		printf(fmt, v ? "yes" : "no");
}

void pg_print_text(const char *fmt, ...)
{
	va_list ap;

	if (pg_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
