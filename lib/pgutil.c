// SPDX-License-Identifier: BSD-3-Clause
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pgutil.h"

static uint64_t pg_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * PG_SEC_NS + (uint64_t)ts.tv_nsec;
}

uint64_t pg_realtime_ns(void)
{
	return pg_clock_ns(CLOCK_REALTIME);
}

uint64_t pg_realtime_offset_ns(void)
{
	uint64_t b = pg_clock_ns(CLOCK_BOOTTIME);

	return pg_realtime_ns() - b;
}

void pg_addr_format(const struct pg_addr *a, char *buf, size_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (!memcmp(a->b, mapped, sizeof(mapped)))
		inet_ntop(AF_INET, &a->b[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
}

void pg_endpoint_format(const struct pg_addr *a, uint16_t port_be, char *buf, size_t len)
{
	char s[PG_ADDR_STRLEN];

	pg_addr_format(a, s, sizeof(s));
	snprintf(buf, len, strchr(s, ':') ? "[%s]:%u" : "%s:%u", s, ntohs(port_be));
}
