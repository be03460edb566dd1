/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter names and help, generated from the one list in types.h (userspace only). */
#ifndef PAWSGUARD_STATS_H
#define PAWSGUARD_STATS_H

#include "types.h"

struct pg_stat_desc {
	const char *name;
	const char *help;
};

#define PG_STAT_DESC(id, name, help) {name, help},
static const struct pg_stat_desc pg_stat_descs[PG_STAT_MAX] = {PG_STATS_LIST(PG_STAT_DESC)};
#undef PG_STAT_DESC

/* Packets passed untouched because they were not understood, all reasons. */
static inline uint64_t pg_stats_not_understood(const uint64_t c[PG_STAT_MAX])
{
	uint64_t n = 0;
	int i;

	for (i = PG_STAT_REASON_FIRST; i <= PG_STAT_REASON_LAST; i++)
		n += c[i];
	return n;
}

static inline const char *pg_action_name(uint32_t a)
{
	return a == PG_ACT_REWRITE ? "rewrite" : a == PG_ACT_STRIP ? "strip" : "none";
}

/* Flow states by name, for listings (text, JSON, telemetry) and for reading them back. */
static inline const char *pg_flow_state_name(uint8_t s)
{
	switch (s) {
	case PG_FS_SYN:
		return "syn";
	case PG_FS_EST:
		return "established";
	case PG_FS_CLOSING:
		return "closing";
	case PG_FS_ORPHAN:
		return "orphan";
	default:
		return "retired";
	}
}

static inline uint8_t pg_flow_state_parse(const char *name)
{
	uint8_t s;

	for (s = PG_FS_SYN; s <= PG_FS_ORPHAN; s++)
		if (name && !__builtin_strcmp(name, pg_flow_state_name(s)))
			return s;
	return PG_FS_DEAD;
}

#endif /* PAWSGUARD_STATS_H */
