// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP target of a CLI built without the BPF toolchain (meson -Dbpf=disabled): a host
 * that runs only the DPDK appliance still gets `pawsguard ... --dpdk`. Every XDP verb says
 * in one line why it cannot run.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "target.h"

#define PG_NO_XDP "this pawsguard was built without BPF support (meson -Dbpf=disabled): only --dpdk"

void pg_lib_logging(void)
{
}

int pg_xdp_open(struct pg_target *t, const char *iface, char *err, size_t el)
{
	(void)t;
	(void)iface;
	snprintf(err, el, "%s", PG_NO_XDP);
	return -ENOTSUP;
}

int pg_xdp_attach(const struct pg_attach_opts *o, struct pg_xdp_result *r, char *err, size_t el)
{
	(void)o;
	(void)r;
	snprintf(err, el, "%s", PG_NO_XDP);
	return -ENOTSUP;
}

int pg_xdp_detach(const char *iface, struct pg_xdp_result *r, char *err, size_t el)
{
	(void)iface;
	(void)r;
	snprintf(err, el, "%s", PG_NO_XDP);
	return -ENOTSUP;
}

int pg_xdp_reload(const char *iface, struct pg_xdp_result *r, char *err, size_t el)
{
	return pg_xdp_detach(iface, r, err, el);
}

int pg_xdp_status(const char *iface, struct pg_xdp_health **out, size_t *n, char *err, size_t el)
{
	*out = NULL;
	*n = 0;
	return pg_xdp_detach(iface, NULL, err, el);
}

int pg_xdp_multiprog(void)
{
	return 0;
}

void pg_xdp_bpffs(char *buf, size_t len)
{
	snprintf(buf, len, "none");
}

int pg_xdp_fill(const struct pg_xdp_health *h, struct pg_xdp_fill *out, size_t max, char *err,
		size_t el)
{
	(void)h;
	(void)out;
	(void)max;
	snprintf(err, el, "%s", PG_NO_XDP);
	return -ENOTSUP;
}

int pg_xdp_list(char names[][64], int max)
{
	(void)names;
	(void)max;
	return 0;
}
