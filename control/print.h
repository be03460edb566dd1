/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every field of a listing printed once, for text and JSON alike, in the way of iproute2's
 * print_*(PRINT_ANY, key, fmt, value): in JSON mode the key and value go into the document
 * (json-c), in text mode the value is printed with fmt (a NULL fmt: JSON only).
 * pg_print_text() writes what only the text has (headers, notes).
 */
#ifndef PAWSGUARD_PRINT_H
#define PAWSGUARD_PRINT_H

#include <stdbool.h>
#include <stdint.h>

/* Starts a document: JSON or text; in JSON its root is an object or an array. */
void pg_print_begin(bool json, bool root_array);
/* Ends it: JSON prints the document. */
void pg_print_end(void);
bool pg_print_is_json(void);

/* Nested objects and arrays (JSON only; key NULL inside an array). */
void pg_print_open_object(const char *key);
void pg_print_close_object(void);
void pg_print_open_array(const char *key);
void pg_print_close_array(void);

void pg_print_str(const char *key, const char *fmt, const char *v);
void pg_print_u64(const char *key, const char *fmt, uint64_t v);
void pg_print_s64(const char *key, const char *fmt, int64_t v);
/* JSON true/false; text: fmt with "yes" or "no". */
void pg_print_bool(const char *key, const char *fmt, bool v);
void pg_print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* PAWSGUARD_PRINT_H */
