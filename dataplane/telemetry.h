/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry: the /pawsguard/ commands (telemetry.c; names and shapes in lib/pgtel.h). */
#ifndef PG_TELEMETRY_H
#define PG_TELEMETRY_H

/* Registers the commands with DPDK's telemetry library and makes its socket root's alone. */
int pg_telemetry_register(void);

#endif /* PG_TELEMETRY_H */
