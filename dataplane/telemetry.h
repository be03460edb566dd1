/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry: the /pawsguard/ commands (telemetry.c) and the socket front (telfront.c). */
#ifndef PG_TELEMETRY_H
#define PG_TELEMETRY_H

#include <stddef.h>

#define PG_TEL_MAX_OUTPUT 16384 /* a reply, as DPDK's telemetry announces (max_output_len) */
#define PG_TEL_MAX_INPUT  1024	/* a request, as DPDK's telemetry reads it */
#define PG_TEL_CMD_MAX	  64
#define PG_TEL_TAIL	  8 /* room kept for the closing brackets of a list reply */

/* The reply to a /pawsguard/ request "cmd[,params]": {"cmd": value}, or null if unknown. */
size_t pg_tel_reply(const char *req, char *out, size_t outlen);
/* Registers the commands with DPDK's telemetry library ("/" and "/help" list them). */
int pg_telemetry_register(void);

/* Serve the telemetry socket path; DPDK's own socket is moved aside and relayed to. */
int pg_front_start(void);
void pg_front_stop(void);

#endif /* PG_TELEMETRY_H */
