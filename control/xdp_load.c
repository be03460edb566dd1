// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP target's loader: attach, detach and reload of the XDP ingress and TC egress programs,
 * their pins, and the health checks behind `status` and every verb (docs/DESIGN.md, "Pins,
 * namespaces and upgrades"). What is in the maps is target_xdp.c's business, not this file's.
 *
 * Pins: PG_PIN_ROOT/net<COOKIE>-if<IFINDEX>/ per target, keyed by the network namespace's cookie
 * and the interface index, with a symlink IFACE@NETNS beside it for people. A pinned pg_meta map
 * records the layout version, the interface, the mode, the TC filter and whether pawsguard made
 * the clsact qdisc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

/* target.h first: the skeleton's global data are structs of types.h. */
#include "target.h"
#include "pawsguard.skel.h"

#define PG_BPF_FS	"/sys/fs/bpf"
#define PG_BPF_FS_MAGIC 0xcafe4a11
#define PG_ROOT_NAME	"pawsguard"
/*
 * Our TC filter: clsact egress, pref 1 (the lowest a filter can have, so it runs before any
 * filter at another pref), a fixed handle so that detach finds it. Builds before the layout
 * version put it at pref 0x7067; detach still removes such a leftover.
 */
#define PG_TC_HANDLE	 0x7067
#define PG_TC_PRIO	 1
#define PG_TC_PRIO_OLD	 0x7067
#define PG_XDP_PIN	 "pg_xdp_prog"
#define PG_TC_PIN	 "pg_tc_prog"
#define PG_META_PIN	 "pg_meta"
#define PG_XDP_PROG_NAME "pg_xdp_ingress"
#define PG_TC_PROG_NAME	 "pg_tc_egress"
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
/* linux/bpf.h of Debian 12 predates tcx (Linux 6.6); the kernel numbers are fixed. */
#define PG_BPF_TCX_EGRESS 47

/* Recorded with the pins. magic and layout stay the first two fields in every build. */
#define PG_META_MAGIC	0x50474d31 /* "PGM1" */
#define PG_MF_CLSACT	0x1	   /* attach created the clsact qdisc: detach removes it */
#define PG_MF_SKB	0x2	   /* XDP in generic (skb) mode */
#define PG_MF_MULTIPROG 0x4	   /* XDP through libxdp's dispatcher */
struct pg_pin_meta {
	uint32_t magic;
	uint32_t layout; /* PG_MAP_LAYOUT_VERSION of the build that made the maps */
	uint64_t netns_cookie;
	uint64_t netns_ino;
	uint32_t ifindex;
	uint32_t flags; /* PG_MF_* */
	uint32_t tc_handle;
	uint32_t tc_prio;
	uint32_t reloads;
	uint32_t pad;
	uint64_t attached_ns; /* realtime */
	uint64_t reloaded_ns;
	char ifname[16];
	char version[32]; /* the pawsguard that loaded the running programs */
};
_Static_assert(sizeof(struct pg_pin_meta) == 112, "pg_pin_meta");
_Static_assert(offsetof(struct pg_pin_meta, layout) == 4, "pg_pin_meta.layout");

static int pg_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("PAWSGUARD_DEBUG"))
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int pg_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("PAWSGUARD_DEBUG"))
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

/*
 * libbpf and libxdp talk a lot, also about things that are fine (libxdp's dispatcher check
 * where the kernel refuses freplace). The CLI's contract is one line per error;
 * PAWSGUARD_DEBUG=1 shows everything the libraries say.
 */
void pg_lib_logging(void)
{
	libbpf_set_print(pg_libbpf_print);
	libxdp_set_print(pg_libxdp_print);
}

static int pg_need_root(char *err, size_t el)
{
	if (geteuid() == 0)
		return 0;
	snprintf(err, el, "permission denied: run as root (needs CAP_BPF and CAP_NET_ADMIN)");
	return -EPERM;
}

/* ---- bpffs: ours, or the initial mount namespace's under `ip netns exec` ---- */

static struct {
	char base[40]; /* "/sys/fs/bpf", or "/proc/self/fd/N" for another mount namespace's */
	char how[64];  /* "", or where it was found */
	int root_fd;   /* PG_PIN_ROOT, checked; -1 until pg_root_open */
} pg_fs = {.root_fd = -1};

static bool pg_is_bpffs(int fd)
{
	struct statfs st;

	return fstatfs(fd, &st) == 0 && st.f_type == PG_BPF_FS_MAGIC;
}

static pid_t pg_parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* "pid (comm) state ppid": comm may hold spaces and parentheses, so from the last ')'. */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	fclose(f);
	return (pid_t)ppid;
}

/*
 * `ip netns exec` runs its command in a private mount namespace with a fresh /sys, where
 * /sys/fs/bpf is no bpffs: pins made there vanish with the command. The bpffs of the host is
 * reached through a root process of another mount namespace: pid 1, else the nearest
 * ancestor (the shell that ran `ip netns exec`). The directory stays open, so the path
 * /proc/self/fd/N keeps working whatever that process does next.
 */
static int pg_bpffs_outer(pid_t pid, const char *self_mnt, bool *private_ns)
{
	char path[64], mnt[64];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) || st.st_uid != 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	n = readlink(path, mnt, sizeof(mnt) - 1);
	if (n <= 0)
		return -1;
	mnt[n] = 0;
	if (!strcmp(mnt, self_mnt))
		return -1;
	*private_ns = true;
	snprintf(path, sizeof(path), "/proc/%d/root" PG_BPF_FS, (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!pg_is_bpffs(fd)) {
		close(fd);
		return -1;
	}
	snprintf(pg_fs.base, sizeof(pg_fs.base), "/proc/self/fd/%d", fd);
	snprintf(pg_fs.how, sizeof(pg_fs.how), " (host bpffs)");
	return 0;
}

static int pg_bpffs_find(bool may_mount, char *err, size_t el)
{
	char self_mnt[64] = "";
	bool private_ns = false;
	pid_t pid;
	ssize_t n;
	int fd, depth;

	if (pg_fs.base[0])
		return 0;
	fd = open(PG_BPF_FS, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		bool ok = pg_is_bpffs(fd);

		close(fd);
		if (ok) {
			snprintf(pg_fs.base, sizeof(pg_fs.base), "%s", PG_BPF_FS);
			return 0;
		}
	}
	n = readlink("/proc/self/ns/mnt", self_mnt, sizeof(self_mnt) - 1);
	if (n > 0) {
		self_mnt[n] = 0;
		if (!pg_bpffs_outer(1, self_mnt, &private_ns))
			return 0;
		for (depth = 0, pid = getppid(); pid > 1 && depth < 64;
		     depth++, pid = pg_parent_of(pid))
			if (!pg_bpffs_outer(pid, self_mnt, &private_ns))
				return 0;
	}
	if (private_ns) {
		/* ENOMEDIUM: not "nothing attached", a bpffs that cannot be reached. */
		snprintf(err, el,
			 "no bpffs reachable: this runs in a private mount namespace (ip netns "
			 "exec remounts /sys) and the host has no bpffs at %s: mount one there "
			 "(mount -t bpf bpf %s) or run through nsenter --net=/run/netns/NS",
			 PG_BPF_FS, PG_BPF_FS);
		return -ENOMEDIUM;
	}
	if (!may_mount) {
		snprintf(err, el, "no bpffs at %s: pawsguard is not attached anywhere", PG_BPF_FS);
		return -ENOENT;
	}
	/* Mount bpffs where it is missing, as the kernel selftests and xdp-tools do. */
	if (mount("bpf", PG_BPF_FS, "bpf", 0, "mode=0700")) {
		snprintf(err, el, "bpffs is not mounted at %s and mounting it failed: %s",
			 PG_BPF_FS, strerror(errno));
		return -ENOENT;
	}
	snprintf(pg_fs.base, sizeof(pg_fs.base), "%s", PG_BPF_FS);
	return 0;
}

/*
 * PG_PIN_ROOT, opened once and checked: a directory owned by root that nobody else may write.
 * bpffs is mode 1777, so any local user may create PG_PIN_ROOT before root does, and the
 * owner of a directory may rename or replace what is in it. Every later path goes through
 * the checked descriptor (/proc/self/fd/N/...), never through the name again.
 */
static int pg_root_open(bool create, char *err, size_t el)
{
	struct stat st;
	int bfd, fd, rc = 0;

	if (pg_fs.root_fd >= 0)
		return 0;
	rc = pg_bpffs_find(create, err, el);
	if (rc)
		return rc;
	bfd = open(pg_fs.base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0 || fstat(bfd, &st)) {
		rc = -errno;
		snprintf(err, el, "cannot open %s%s: %s", PG_BPF_FS, pg_fs.how, strerror(-rc));
		goto out;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(
			err, el,
			"%s%s is writable by everyone without the sticky bit: anyone could replace "
			"pawsguard's pins (chmod +t %s)",
			PG_BPF_FS, pg_fs.how, PG_BPF_FS);
		rc = -EPERM;
		goto out;
	}
	if (create && mkdirat(bfd, PG_ROOT_NAME, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, el, "cannot create %s%s: %s", PG_PIN_ROOT, pg_fs.how, strerror(-rc));
		goto out;
	}
	fd = openat(bfd, PG_ROOT_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			snprintf(err, el, "no %s%s: pawsguard is not attached anywhere",
				 PG_PIN_ROOT, pg_fs.how);
		else
			snprintf(err, el,
				 "%s%s is not a directory pawsguard can use (%s): remove it and "
				 "attach again",
				 PG_PIN_ROOT, pg_fs.how, strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, el,
			 "%s%s is owned by uid %u with mode %04o: pins must be root's and writable "
			 "by nobody else (remove it: rm -r %s)",
			 PG_PIN_ROOT, pg_fs.how, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777), PG_PIN_ROOT);
		close(fd);
		rc = -EPERM;
		goto out;
	}
	pg_fs.root_fd = fd;
	/* libxdp (dispatcher pins, its lock) uses the same bpffs. */
	setenv("LIBXDP_BPFFS", pg_fs.base, 1);
out:
	if (bfd >= 0)
		close(bfd);
	return rc;
}

/* Serialises attach, detach and reload (of any target). */
static void pg_root_lock(void)
{
	flock(pg_fs.root_fd, LOCK_EX);
}

/* The path this process opens a pin by, and the one the operator reads. */
static void pg_open_path(char *buf, size_t len, const char *dname, const char *leaf)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s%s%s", pg_fs.root_fd, dname, leaf ? "/" : "",
		 leaf ? leaf : "");
}

static void pg_shown_path(char *buf, size_t len, const char *dname)
{
	snprintf(buf, len, "%s/%s%s", PG_PIN_ROOT, dname, pg_fs.how);
}

/* ---- network namespace identity ---- */

struct pg_netns {
	uint64_t cookie; /* SO_NETNS_COOKIE (Linux 5.14), never reused; else the nsfs inode */
	uint64_t ino;
	char name[64]; /* its name under /run/netns, or net<COOKIE> */
};

static void pg_netns_get(struct pg_netns *ns)
{
	socklen_t len = sizeof(ns->cookie);
	struct stat self, st;
	struct dirent *d;
	DIR *dir;
	int s;

	memset(ns, 0, sizeof(*ns));
	if (stat("/proc/self/ns/net", &self) == 0)
		ns->ino = (uint64_t)self.st_ino;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &ns->cookie, &len))
		ns->cookie = ns->ino;
	if (s >= 0)
		close(s);
	snprintf(ns->name, sizeof(ns->name), "net%" PRIu64, ns->cookie);
	dir = opendir("/run/netns");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char path[300];

		if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(ns->name))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		if (stat(path, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino) {
			snprintf(ns->name, sizeof(ns->name), "%s", d->d_name);
			break;
		}
	}
	closedir(dir);
}

/*
 * The readable name beside a target: IFACE@NETNS. bpffs refuses dots in names (reserved,
 * kernel/bpf/inode.c), and VLAN interfaces have them: a dot is written ':', which no
 * interface name may hold.
 */
static void pg_link_name(char *buf, size_t len, const char *iface, const char *ns)
{
	char *p;

	snprintf(buf, len, "%s@%s", iface, ns);
	for (p = buf; *p; p++)
		if (*p == '.')
			*p = ':';
}

static void pg_dname(char *buf, size_t len, uint64_t cookie, uint32_t ifindex)
{
	snprintf(buf, len, "net%" PRIu64 "-if%u", cookie, ifindex);
}

/* Target directories of this network namespace: their ifindexes; returns count. */
static int pg_dirs(uint64_t cookie, uint32_t *idx, int max)
{
	char prefix[40], *end;
	struct dirent *d;
	unsigned long v;
	int n = 0, fd;
	DIR *dir;

	snprintf(prefix, sizeof(prefix), "net%" PRIu64 "-if", cookie);
	fd = dup(pg_fs.root_fd);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dir);
	while ((d = readdir(dir)) && n < max) {
		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		errno = 0;
		v = strtoul(d->d_name + strlen(prefix), &end, 10);
		if (errno || *end || !v || v > UINT32_MAX)
			continue; /* "*-new": an attach in progress or interrupted */
		idx[n++] = (uint32_t)v;
	}
	closedir(dir);
	return n;
}

/* ---- pins ---- */

static int pg_meta_read(const char *dname, struct pg_pin_meta *m)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info), zero = 0;
	uint8_t buf[4096];
	char path[PATH_MAX];
	int fd, rc = -ENOENT;

	memset(m, 0, sizeof(*m));
	pg_open_path(path, sizeof(path), dname, PG_META_PIN);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* Another build's meta may be larger: read it whole, keep what this one knows. */
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size <= sizeof(buf) &&
	    info.value_size >= 8 && !bpf_map_lookup_elem(fd, &zero, buf)) {
		memcpy(m, buf, info.value_size < sizeof(*m) ? info.value_size : sizeof(*m));
		rc = m->magic == PG_META_MAGIC ? 0 : -EINVAL;
	}
	close(fd);
	return rc;
}

static int pg_meta_write(const char *dname, const struct pg_pin_meta *m)
{
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, rc = 0;

	pg_open_path(path, sizeof(path), dname, PG_META_PIN);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &zero, m, BPF_ANY))
		rc = -errno;
	close(fd);
	return rc;
}

static uint32_t pg_prog_id(int fd)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static uint32_t pg_pinned_prog(const char *dname, const char *leaf, int *fdp)
{
	char path[PATH_MAX];
	uint32_t id;
	int fd;

	pg_open_path(path, sizeof(path), dname, leaf);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	id = pg_prog_id(fd);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return id;
}

static void pg_prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info = {0};
	uint32_t il = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "?");
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &il))
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

/* Removes a target directory (or a half-made one) and the readable names pointing to it. */
static void pg_unpin_dir(const char *dname)
{
	char link[128];
	struct dirent *d;
	DIR *dir;
	int fd;

	fd = openat(pg_fs.root_fd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (dir) {
		while ((d = readdir(dir)))
			if (d->d_name[0] != '.')
				unlinkat(fd, d->d_name, 0);
		closedir(dir);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(pg_fs.root_fd, dname, AT_REMOVEDIR);
	fd = dup(pg_fs.root_fd);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((d = readdir(dir))) {
		ssize_t n;

		if (d->d_type != DT_LNK && d->d_type != DT_UNKNOWN)
			continue;
		n = readlinkat(pg_fs.root_fd, d->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, dname))
			unlinkat(pg_fs.root_fd, d->d_name, 0);
	}
	closedir(dir);
}

/* ---- what is attached: XDP, TC (netlink dump), tcx ---- */

static uint32_t pg_xdp_holder(uint32_t ifindex, bool skb, uint32_t *other)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query((int)ifindex, 0, &q))
		return 0;
	if (other)
		*other = skb ? q.drv_prog_id ? q.drv_prog_id : q.hw_prog_id : q.skb_prog_id;
	return skb ? q.skb_prog_id : q.drv_prog_id;
}

struct pg_tc_filt {
	uint32_t prio, handle, chain, prog_id;
	uint16_t proto;
	bool da;
	char kind[16];
	char name[64];
};

static void pg_tc_parse(struct nlmsghdr *h, struct pg_tc_filt *f)
{
	struct tcmsg *t = NLMSG_DATA(h);
	struct rtattr *a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*t));

	memset(f, 0, sizeof(*f));
	f->handle = t->tcm_handle;
	f->prio = TC_H_MAJ(t->tcm_info) >> 16;
	f->proto = ntohs((uint16_t)TC_H_MIN(t->tcm_info));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			snprintf(f->kind, sizeof(f->kind), "%.*s", (int)RTA_PAYLOAD(a),
				 (char *)RTA_DATA(a));
		else if (a->rta_type == TCA_CHAIN && RTA_PAYLOAD(a) >= 4)
			memcpy(&f->chain, RTA_DATA(a), 4);
		else if (a->rta_type == TCA_OPTIONS && !strcmp(f->kind, "bpf")) {
			struct rtattr *o = RTA_DATA(a);
			int ol = (int)RTA_PAYLOAD(a);
			uint32_t v;

			for (; RTA_OK(o, ol); o = RTA_NEXT(o, ol)) {
				if (o->rta_type == TCA_BPF_ID && RTA_PAYLOAD(o) >= 4)
					memcpy(&f->prog_id, RTA_DATA(o), 4);
				else if (o->rta_type == TCA_BPF_FLAGS && RTA_PAYLOAD(o) >= 4) {
					memcpy(&v, RTA_DATA(o), 4);
					f->da = v & TCA_BPF_FLAG_ACT_DIRECT;
				} else if (o->rta_type == TCA_BPF_NAME)
					snprintf(f->name, sizeof(f->name), "%.*s",
						 (int)RTA_PAYLOAD(o), (char *)RTA_DATA(o));
			}
		}
	}
}

/*
 * The filters of a clsact hook in the order the kernel runs them: the dump lists them by
 * pref, and within one pref in list order, which for cls_bpf is newest first. Returns the
 * count, or -errno (-EINVAL: no clsact qdisc).
 */
static int pg_tc_dump(uint32_t ifindex, bool egress, struct pg_tc_filt *out, int max)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
		.n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		      .nlmsg_type = RTM_GETTFILTER,
		      .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		      .nlmsg_seq = 1},
		.t = {.tcm_family = AF_UNSPEC,
		      .tcm_ifindex = (int)ifindex,
		      .tcm_parent =
			      TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS)},
	};
	struct timeval tv = {.tv_sec = 2};
	static char buf[65536];
	int s, n = 0, rc = 0, round;
	bool done = false;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, &req, req.n.nlmsg_len, 0) < 0) {
		rc = -errno;
		goto out;
	}
	for (round = 0; !done && round < 10000; round++) {
		ssize_t len = recv(s, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0) {
			rc = -errno;
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				rc = e->error ? e->error : -EIO;
				goto out;
			}
			if (h->nlmsg_type != RTM_NEWTFILTER || n >= max)
				continue;
			pg_tc_parse(h, &out[n]);
			/* Handle 0 is the pref's own entry, not a filter. */
			if (out[n].handle)
				n++;
		}
	}
	rc = n;
out:
	close(s);
	return rc;
}

/* tcx programs (Linux 6.6) run before every clsact filter; a verdict other than next ends it. */
static uint32_t pg_tcx_first(uint32_t ifindex, uint32_t *cnt)
{
	uint32_t ids[16], n = 16;

	*cnt = 0;
	if (bpf_prog_query((int)ifindex, (enum bpf_attach_type)PG_BPF_TCX_EGRESS, 0, NULL, ids, &n))
		return 0;
	*cnt = n;
	return n ? ids[0] : 0;
}

static void pg_tc_describe(const struct pg_tc_filt *f, char *buf, size_t len)
{
	char name[32];

	if (!strcmp(f->kind, "bpf")) {
		pg_prog_name(f->prog_id, name, sizeof(name));
		snprintf(buf, len, "bpf filter (pref %u handle 0x%x, program id %u '%s'%s)",
			 f->prio, f->handle, f->prog_id, name, f->da ? ", direct-action" : "");
		return;
	}
	snprintf(buf, len, "%s filter (pref %u handle 0x%x)", f->kind, f->prio, f->handle);
}

/*
 * Whether our filter (prio/handle) is on egress and runs first. Returns 0 (first, *id set),
 * -ENOENT (not there), or -EBUSY with *what describing what runs before it.
 */
static int pg_tc_order(uint32_t ifindex, uint32_t prio, uint32_t handle, uint32_t *id, char *what,
		       size_t wl)
{
	struct pg_tc_filt f[64];
	uint32_t tcx, tcx_n;
	int n, i, first = -1;

	*id = 0;
	n = pg_tc_dump(ifindex, true, f, 64);
	if (n < 0)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		if (f[i].chain)
			continue; /* other chains run only when a filter jumps there */
		if (first < 0)
			first = i;
		if (f[i].prio == prio && f[i].handle == handle && !strcmp(f[i].kind, "bpf")) {
			*id = f[i].prog_id;
			break;
		}
	}
	if (i == n)
		return -ENOENT;
	if (first != i) {
		pg_tc_describe(&f[first], what, wl);
		return -EBUSY;
	}
	tcx = pg_tcx_first(ifindex, &tcx_n);
	if (tcx_n) {
		char name[32];

		pg_prog_name(tcx, name, sizeof(name));
		snprintf(what, wl, "%u tcx program(s) (first: id %u '%s')", tcx_n, tcx, name);
		return -EBUSY;
	}
	return 0;
}

/* ---- multi-program XDP ---- */

/*
 * libxdp's dispatcher runs each program as a BPF extension (freplace), which needs BPF
 * trampolines. Some kernels refuse them outright (this project's 6.18 test machine: every
 * freplace or fentry load is EPERM before the verifier). An extension load against no
 * target tells: EPERM when extensions are forbidden, EINVAL (the missing target) otherwise.
 * Where it is refused libxdp would try, fail and fall back on every call; tell it at once.
 */
int pg_xdp_multiprog(void)
{
	static int cached = -1;
	struct bpf_insn insns[2] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .attach_btf_id = 1);
	int fd;

	if (cached >= 0)
		return cached;
	fd = bpf_prog_load(BPF_PROG_TYPE_EXT, "pg_probe", "GPL", insns, 2, &o);
	if (fd >= 0)
		close(fd);
	cached = fd >= 0 || errno != EPERM;
	if (!cached)
		setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	return cached;
}

/* Under the dispatcher: the id of our program among its components, or 0. */
static uint32_t pg_multiprog_member(uint32_t ifindex, uint32_t want)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	struct xdp_program *p;
	uint32_t id = 0;

	if (libxdp_get_error(mp))
		return 0;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == want ||
		    (!want && !strcmp(xdp_program__name(p), PG_XDP_PROG_NAME)))
			id = xdp_program__id(p);
	xdp_multiprog__close(mp);
	return id;
}

/* ---- health ---- */

static void pg_problem(struct pg_xdp_health *h, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (h->nproblems >= PG_XDP_PROBLEMS)
		return;
	h->problems[h->nproblems].code = code;
	va_start(ap, fmt);
	vsnprintf(h->problems[h->nproblems].msg, sizeof(h->problems[0].msg), fmt, ap);
	va_end(ap);
	h->nproblems++;
}

static void pg_inspect(const struct pg_netns *ns, uint32_t ifindex, struct pg_xdp_health *h)
{
	static const char *const progs[2] = {PG_XDP_PIN, PG_TC_PIN};
	char dname[64], path[PATH_MAX], what[160], name[32];
	struct pg_pin_meta m;
	struct stat st;
	uint32_t other = 0;
	int i, rc;

	memset(h, 0, sizeof(*h));
	h->ifindex = ifindex;
	h->netns_cookie = ns->cookie;
	pg_dname(dname, sizeof(dname), ns->cookie, ifindex);
	pg_shown_path(h->pin_dir, sizeof(h->pin_dir), dname);
	pg_open_path(h->open_dir, sizeof(h->open_dir), dname, NULL);
	snprintf(h->iface, sizeof(h->iface), "if%u", ifindex);
	if (pg_meta_read(dname, &m)) {
		pg_problem(h, "pins_incomplete",
			   "no readable %s in %s (an interrupted attach, or pins of an older "
			   "pawsguard): detach it",
			   PG_META_PIN, h->pin_dir);
		m.tc_prio = PG_TC_PRIO;
		m.tc_handle = PG_TC_HANDLE;
	} else {
		snprintf(h->iface, sizeof(h->iface), "%s", m.ifname);
		snprintf(h->version, sizeof(h->version), "%s", m.version);
		h->layout = m.layout;
		h->multiprog = !!(m.flags & PG_MF_MULTIPROG);
		h->clsact_created = !!(m.flags & PG_MF_CLSACT);
		h->reloads = m.reloads;
		h->attached_ns = m.attached_ns;
		h->reloaded_ns = m.reloaded_ns;
		if (m.layout != PG_MAP_LAYOUT_VERSION)
			pg_problem(
				h, "layout",
				"the maps have layout %u, this pawsguard (%s) knows layout %u: use "
				"the build that attached, or detach and attach (flows are lost)",
				m.layout, PG_VERSION, PG_MAP_LAYOUT_VERSION);
	}
	snprintf(h->mode, sizeof(h->mode), "%s", m.flags & PG_MF_SKB ? "skb" : "native");
	h->tc_prio = m.tc_prio;
	h->tc_handle = m.tc_handle;
	for (i = 0; i < PG_XM_NR + 2; i++) {
		const char *leaf = i < PG_XM_NR ? pg_xdp_map_names[i] : progs[i - PG_XM_NR];

		pg_open_path(path, sizeof(path), dname, leaf);
		if (stat(path, &st)) {
			pg_problem(h, "pins_incomplete", "%s is missing from %s: detach %s", leaf,
				   h->pin_dir, h->iface);
			break;
		}
	}
	h->xdp_pinned = pg_pinned_prog(dname, PG_XDP_PIN, NULL);
	h->tc_pinned = pg_pinned_prog(dname, PG_TC_PIN, NULL);
	if (!if_indextoname(ifindex, h->cur_name)) {
		h->cur_name[0] = 0;
		pg_problem(h, "iface_gone",
			   "interface %s (ifindex %u) is gone, its pins are stale: run pawsguard "
			   "detach %s",
			   h->iface, ifindex, h->iface);
		return;
	}
	if (strcmp(h->cur_name, h->iface))
		pg_problem(h, "iface_renamed",
			   "ifindex %u is now named %s, attached as %s: detach %s and attach it",
			   ifindex, h->cur_name, h->iface, h->cur_name);
	if (h->multiprog)
		h->xdp_attached = pg_multiprog_member(ifindex, h->xdp_pinned);
	else
		h->xdp_attached = pg_xdp_holder(ifindex, m.flags & PG_MF_SKB, &other);
	if (!h->xdp_attached && other)
		h->xdp_attached = other;
	if (!h->xdp_attached) {
		pg_problem(h, "xdp_missing",
			   "no XDP program on %s in %s mode: pawsguard's was removed (pawsguard "
			   "detach %s, then attach)",
			   h->cur_name, h->mode, h->cur_name);
	} else if (h->xdp_attached != h->xdp_pinned) {
		pg_prog_name(h->xdp_attached, name, sizeof(name));
		pg_problem(
			h, "xdp_replaced",
			"another XDP program (id %u '%s') holds %s instead of pawsguard's (id %u): "
			"pawsguard detach %s, then attach",
			h->xdp_attached, name, h->cur_name, h->xdp_pinned, h->cur_name);
	}
	rc = pg_tc_order(ifindex, h->tc_prio, h->tc_handle, &h->tc_attached, what, sizeof(what));
	if (rc == -ENOENT)
		pg_problem(h, "tc_missing",
			   "pawsguard's TC egress filter (pref %u handle 0x%x) is gone from %s: "
			   "pawsguard detach %s, then attach",
			   h->tc_prio, h->tc_handle, h->cur_name, h->cur_name);
	else if (h->tc_attached != h->tc_pinned)
		pg_problem(
			h, "tc_replaced",
			"the TC egress filter at pref %u handle 0x%x of %s runs program id %u, not "
			"pawsguard's (id %u): pawsguard detach %s, then attach",
			h->tc_prio, h->tc_handle, h->cur_name, h->tc_attached, h->tc_pinned,
			h->cur_name);
	if (rc == -EBUSY)
		pg_problem(h, "tc_order",
			   "a %s runs before pawsguard's TC filter on egress of %s and can end "
			   "classification before TSecrs are translated: remove it or move it to "
			   "pref 2 or higher",
			   what, h->cur_name);
}

/* Stale targets of this namespace recorded under NAME whose interface is gone or renamed. */
static int pg_find_stale(const struct pg_netns *ns, const char *name, uint32_t *idx, int max)
{
	uint32_t all[256];
	char dname[64], cur[IF_NAMESIZE];
	struct pg_pin_meta m;
	int i, n, k = 0;

	n = pg_dirs(ns->cookie, all, 256);
	for (i = 0; i < n && k < max; i++) {
		pg_dname(dname, sizeof(dname), ns->cookie, all[i]);
		if (pg_meta_read(dname, &m) || strcmp(m.ifname, name))
			continue;
		if (!if_indextoname(all[i], cur) || strcmp(cur, name))
			idx[k++] = all[i];
	}
	return k;
}

static bool pg_dir_exists(const char *dname)
{
	struct stat st;

	return fstatat(pg_fs.root_fd, dname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int pg_iface_index(const char *iface, char *err, size_t el)
{
	if (!*iface || strlen(iface) >= IF_NAMESIZE || strchr(iface, '/')) {
		snprintf(err, el, "bad interface name '%s'", iface);
		return -EINVAL;
	}
	return (int)if_nametoindex(iface);
}

/* What every verb on one interface checks first: root, then IFACE's index (0: no such one). */
static int pg_root_iface(const char *iface, char *err, size_t el)
{
	int rc = pg_need_root(err, el);

	return rc ? rc : pg_iface_index(iface, err, el);
}

/* No pins for IFACE here: the interface does not exist (idx 0), or nothing is attached. */
static int pg_not_attached(const char *iface, int idx, char *err, size_t el)
{
	if (!idx) {
		snprintf(err, el, "no such interface '%s'", iface);
		return -ENODEV;
	}
	snprintf(err, el, "pawsguard is not attached to %s (run: pawsguard attach %s)", iface,
		 iface);
	return -ENOENT;
}

int pg_xdp_locate(const char *iface, char *dir, size_t len, char *err, size_t el)
{
	struct pg_xdp_health h;
	struct pg_netns ns;
	char dname[64], rerr[PG_ERRLEN];
	uint32_t stale;
	int idx, rc;

	idx = pg_root_iface(iface, err, el);
	if (idx < 0)
		return idx;
	rc = pg_root_open(false, rerr, sizeof(rerr));
	if (rc == -ENOENT)
		return pg_not_attached(iface, idx, err, el);
	if (rc) {
		snprintf(err, el, "%s", rerr);
		return rc;
	}
	pg_netns_get(&ns);
	if (!idx ||
	    !pg_dir_exists((pg_dname(dname, sizeof(dname), ns.cookie, (uint32_t)idx), dname))) {
		if (pg_find_stale(&ns, iface, &stale, 1)) {
			snprintf(err, el,
				 "pawsguard's pins for %s are stale (ifindex %u %s): run pawsguard "
				 "detach %s",
				 iface, stale, idx ? "was another interface" : "is gone", iface);
			return -ESTALE;
		}
		return pg_not_attached(iface, idx, err, el);
	}
	pg_inspect(&ns, (uint32_t)idx, &h);
	if (h.nproblems) {
		snprintf(err, el, "pawsguard on %s is not healthy: %s", iface, h.problems[0].msg);
		return -ESTALE;
	}
	snprintf(dir, len, "%s", h.open_dir);
	return 0;
}

int pg_xdp_list(char names[][64], int max)
{
	uint32_t idx[256];
	struct pg_pin_meta m;
	struct pg_netns ns;
	char dname[64], err[PG_ERRLEN];
	int i, n, k = 0;

	if (geteuid() != 0 || pg_root_open(false, err, sizeof(err)))
		return 0;
	pg_netns_get(&ns);
	n = pg_dirs(ns.cookie, idx, 256);
	for (i = 0; i < n && k < max; i++) {
		pg_dname(dname, sizeof(dname), ns.cookie, idx[i]);
		if (pg_meta_read(dname, &m))
			snprintf(names[k++], 64, "if%u", idx[i]);
		else
			snprintf(names[k++], 64, "%s", m.ifname);
	}
	return k;
}

int pg_xdp_status(const char *iface, struct pg_xdp_health **out, size_t *nout, char *err, size_t el)
{
	struct pg_xdp_health *v = NULL;
	uint32_t idx[256];
	struct pg_pin_meta m;
	struct pg_netns ns;
	char dname[64];
	int i, n, want = 0, rc;
	size_t k = 0;

	*out = NULL;
	*nout = 0;
	rc = pg_need_root(err, el);
	if (rc)
		return rc;
	if (iface) {
		want = pg_iface_index(iface, err, el);
		if (want < 0)
			return want;
	}
	rc = pg_root_open(false, err, el);
	if (rc == -ENOENT && !iface)
		return 0;
	if (rc == -ENOENT) {
		snprintf(err, el, "pawsguard is not attached to %s", iface);
		return rc;
	}
	if (rc)
		return rc;
	pg_netns_get(&ns);
	pg_xdp_multiprog();
	n = pg_dirs(ns.cookie, idx, 256);
	v = calloc((size_t)(n ? n : 1), sizeof(*v));
	if (!v) {
		snprintf(err, el, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		pg_dname(dname, sizeof(dname), ns.cookie, idx[i]);
		if (iface && idx[i] != (uint32_t)want &&
		    (pg_meta_read(dname, &m) || strcmp(m.ifname, iface)))
			continue;
		pg_inspect(&ns, idx[i], &v[k++]);
	}
	if (iface && !k) {
		free(v);
		snprintf(err, el, "pawsguard is not attached to %s", iface);
		return -ENOENT;
	}
	*out = v;
	*nout = k;
	return 0;
}

void pg_xdp_bpffs(char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", PG_BPF_FS, pg_fs.base[0] ? pg_fs.how : "");
}

/* ---- attach ---- */

/*
 * The object's map for pin i. The configuration is the programs' global data section
 * (".data.pg_config", xdp/pawsguard.bpf.c), pinned as pg_config like the maps by name.
 */
static struct bpf_map *pg_skel_map(struct pawsguard_bpf *skel, int i)
{
	if (i == PG_XM_CONFIG)
		return skel->maps.data_pg_config;
	return bpf_object__find_map_by_name(skel->obj, pg_xdp_map_names[i]);
}

static int pg_pin_all(struct pawsguard_bpf *skel, const char *dname, int *fds, char *err, size_t el)
{
	struct pg_pin_meta zero_meta = {0};
	char path[PATH_MAX];
	uint32_t zero = 0;
	int i, fd;

	for (i = 0; i < PG_XM_NR; i++) {
		struct bpf_map *m = pg_skel_map(skel, i);

		fds[i] = m ? bpf_map__fd(m) : -1;
		pg_open_path(path, sizeof(path), dname, pg_xdp_map_names[i]);
		if (fds[i] < 0 || bpf_obj_pin(fds[i], path))
			goto fail;
	}
	pg_open_path(path, sizeof(path), dname, PG_XDP_PIN);
	if (bpf_obj_pin(bpf_program__fd(skel->progs.pg_xdp_ingress), path))
		goto fail;
	pg_open_path(path, sizeof(path), dname, PG_TC_PIN);
	if (bpf_obj_pin(bpf_program__fd(skel->progs.pg_tc_egress), path))
		goto fail;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, PG_META_PIN, sizeof(uint32_t),
			    sizeof(struct pg_pin_meta), 1, NULL);
	if (fd < 0)
		goto fail;
	pg_open_path(path, sizeof(path), dname, PG_META_PIN);
	if (bpf_map_update_elem(fd, &zero, &zero_meta, BPF_ANY) || bpf_obj_pin(fd, path)) {
		close(fd);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	snprintf(err, el, "cannot pin under %s%s: %s", PG_PIN_ROOT, pg_fs.how, strerror(errno));
	return -errno;
}

/*
 * TC egress before XDP ingress: a SYN rewritten on the way in must find its SYN-ACK
 * translated. Our filter goes to pref 1; it must then be the first that runs (a foreign
 * filter at pref 1 added after us would run before it: status sees that).
 */
static int pg_tc_install(uint32_t ifindex, const char *iface, int prog_fd, bool *created, char *err,
			 size_t el)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = PG_TC_HANDLE, .priority = PG_TC_PRIO,
			    .prog_fd = prog_fd);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, del, .handle = PG_TC_HANDLE, .priority = PG_TC_PRIO);
	struct pg_tc_filt f[64];
	char what[160];
	uint32_t id;
	int rc, n, i;

	*created = false;
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		snprintf(err, el, "cannot create the clsact qdisc on %s: %s", iface, strerror(-rc));
		return rc;
	}
	*created = rc == 0;
	n = pg_tc_dump(ifindex, true, f, 64);
	for (i = 0; i < n; i++) {
		if (f[i].chain || f[i].prio != PG_TC_PRIO)
			continue;
		if (f[i].handle == PG_TC_HANDLE) {
			snprintf(
				err, el,
				"a TC filter with pawsguard's handle 0x%x is already at pref %u on "
				"egress of %s, without pins (run: pawsguard detach %s)",
				PG_TC_HANDLE, PG_TC_PRIO, iface, iface);
			return -EEXIST;
		}
		if (strcmp(f[i].kind, "bpf") || f[i].proto != ETH_P_ALL) {
			pg_tc_describe(&f[i], what, sizeof(what));
			snprintf(
				err, el,
				"a %s holds pref %u on egress of %s, where pawsguard's filter must "
				"run first: move it to pref 2 or higher and attach again",
				what, PG_TC_PRIO, iface);
			return -EBUSY;
		}
	}
	rc = bpf_tc_attach(&hook, &tco);
	if (rc) {
		snprintf(err, el, "cannot attach the TC egress program to %s: %s", iface,
			 strerror(-rc));
		return rc;
	}
	rc = pg_tc_order(ifindex, PG_TC_PRIO, PG_TC_HANDLE, &id, what, sizeof(what));
	if (rc) {
		bpf_tc_detach(&hook, &del);
		if (rc == -EBUSY)
			snprintf(err, el,
				 "a %s would run before pawsguard's TC filter on egress of %s and "
				 "could end classification before TSecrs are translated: remove "
				 "it or move it to pref 2 or higher",
				 what, iface);
		else
			snprintf(err, el, "pawsguard's TC filter did not show up on egress of %s",
				 iface);
		return rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

/* No filter left on either side of clsact: it can go (detach, or an attach undone). */
static bool pg_clsact_remove_if_empty(uint32_t ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct pg_tc_filt f[4];

	if (pg_tc_dump(ifindex, true, f, 4) != 0 || pg_tc_dump(ifindex, false, f, 4) != 0)
		return false;
	return bpf_tc_hook_destroy(&hook) == 0;
}

static int pg_xdp_install(uint32_t ifindex, const char *iface, struct pawsguard_bpf *skel, bool skb,
			  bool multi, char *err, size_t el)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = skel->obj, .prog_name = PG_XDP_PROG_NAME);
	const char *mode = skb ? "skb" : "native";
	struct xdp_program *xp;
	uint32_t other = 0, held;
	char name[32], xerr[128];
	int rc;

	held = pg_xdp_holder(ifindex, skb, &other);
	if (!held)
		held = other;
	if (held)
		pg_prog_name(held, name, sizeof(name));
	if (held && !strcmp(name, PG_XDP_PROG_NAME)) {
		/* Ours by name, but no pins here: an older build's, or pins lost. */
		snprintf(err, el,
			 "pawsguard's XDP program (id %u) is on %s without pins (an older build, "
			 "or pins lost): run pawsguard detach %s first",
			 held, iface, iface);
		return -EBUSY;
	}
	if (held && !multi) {
		snprintf(err, el,
			 "another XDP program (id %u '%s') holds %s, and this kernel cannot share "
			 "the hook (no BPF trampolines for libxdp's dispatcher): remove it first "
			 "(ip link set dev %s xdp off)",
			 held, name, iface, iface);
		return -EBUSY;
	}
	if (!multi) {
		rc = bpf_xdp_attach((int)ifindex, bpf_program__fd(skel->progs.pg_xdp_ingress),
				    XDP_FLAGS_UPDATE_IF_NOEXIST |
					    (skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE),
				    NULL);
		if (rc == -EOPNOTSUPP && !skb)
			snprintf(err, el, "the driver of %s has no native XDP: use --skb", iface);
		else if (rc)
			snprintf(err, el, "cannot attach XDP to %s in %s mode: %s", iface, mode,
				 strerror(-rc));
		return rc;
	}
	xp = xdp_program__create(&xo);
	rc = (int)libxdp_get_error(xp);
	if (rc) {
		snprintf(err, el, "cannot prepare the XDP program: %s", strerror(-rc));
		return rc;
	}
	rc = xdp_program__attach(xp, (int)ifindex, skb ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
	if (rc) {
		libxdp_strerror(rc, xerr, sizeof(xerr));
		if (held) {
			snprintf(err, el,
				 "another XDP program (id %u '%s') holds %s and libxdp cannot add "
				 "pawsguard beside it: %s",
				 held, name, iface, xerr);
		} else {
			snprintf(err, el, "cannot attach XDP to %s in %s mode: %s", iface, mode,
				 xerr);
		}
	}
	xdp_program__close(xp);
	return rc;
}

static int pg_xdp_uninstall(uint32_t ifindex, bool skb, bool multi, int pinned_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_xdp_attach_opts, xo, .old_prog_fd = pinned_fd);
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int rc = -ENOENT;

	if (!multi) {
		/* Only if it is still ours: a program that replaced it stays. */
		return bpf_xdp_detach((int)ifindex, skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
				      &xo);
	}
	mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	if (libxdp_get_error(mp))
		return -ENOENT;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
		if (strcmp(xdp_program__name(p), PG_XDP_PROG_NAME))
			continue;
		rc = xdp_program__detach(p, (int)ifindex, xdp_multiprog__attach_mode(mp), 0);
		break;
	}
	xdp_multiprog__close(mp);
	return rc;
}

int pg_xdp_attach(const struct pg_attach_opts *o, struct pg_xdp_result *r, char *err, size_t el)
{
	struct pg_file_config fc = {0};
	struct pawsguard_bpf *skel = NULL;
	struct pg_pin_meta meta = {0};
	struct pg_xdp_health h;
	struct pg_netns ns;
	char dname[64], tmp[72], link[IF_NAMESIZE + 72], cerr[PG_ERRLEN];
	int fds[PG_XM_NR], ifindex, rc;
	uint32_t flows, sources;
	bool tc_done = false, created = false, xdp_done = false, multi;

	memset(r, 0, sizeof(*r));
	ifindex = pg_root_iface(o->iface, err, el);
	if (ifindex <= 0)
		return ifindex ? ifindex : pg_not_attached(o->iface, 0, err, el);
	rc = pg_root_open(true, err, el);
	if (rc)
		return rc;
	pg_root_lock();
	pg_netns_get(&ns);
	pg_dname(dname, sizeof(dname), ns.cookie, (uint32_t)ifindex);
	snprintf(tmp, sizeof(tmp), "%s-new", dname);
	if (pg_dir_exists(dname)) {
		pg_inspect(&ns, (uint32_t)ifindex, &h);
		if (h.nproblems)
			snprintf(err, el, "pawsguard's pins for %s are stale (%s)", o->iface,
				 h.problems[0].msg);
		else
			snprintf(
				err, el,
				"pawsguard is already attached to %s (pawsguard reload %s upgrades "
				"it, detach removes it)",
				o->iface, o->iface);
		return -EEXIST;
	}
	if (o->config && pg_config_load(o->config, &fc, cerr, sizeof(cerr))) {
		snprintf(err, el, "%s", cerr);
		return -EINVAL;
	}
	flows = o->max_flows ? o->max_flows : fc.max_flows ? fc.max_flows : 262144;
	sources = o->max_sources ? o->max_sources : fc.max_sources ? fc.max_sources : 65536;
	multi = pg_xdp_multiprog();

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	skel = pawsguard_bpf__open();
	if (!skel) {
		rc = -errno;
		snprintf(err, el, "cannot open the BPF object: %s", strerror(errno));
		goto out;
	}
	/* Each class gets the full size: a flood of one never crowds the other out. */
	bpf_map__set_max_entries(skel->maps.pg_flows4, flows);
	bpf_map__set_max_entries(skel->maps.pg_flows6, flows);
	bpf_map__set_max_entries(skel->maps.pg_uflows4, flows);
	bpf_map__set_max_entries(skel->maps.pg_uflows6, flows);
	bpf_map__set_max_entries(skel->maps.pg_sources, sources);
	rc = pawsguard_bpf__load(skel);
	if (rc) {
		snprintf(err, el, "cannot load the BPF programs: %s", strerror(-rc));
		goto out;
	}
	/* Pinned in DIR-new and renamed into place when both programs run: never half made. */
	pg_unpin_dir(tmp);
	if (mkdirat(pg_fs.root_fd, tmp, 0700)) {
		rc = -errno;
		snprintf(err, el, "cannot create %s/%s%s: %s", PG_PIN_ROOT, tmp, pg_fs.how,
			 strerror(errno));
		goto out;
	}
	rc = pg_pin_all(skel, tmp, fds, err, el);
	if (rc)
		goto undo;
	/* Configure and fill pools before any program sees a packet. */
	rc = pg_xdp_seed(fds, &fc, err, el);
	if (rc)
		goto undo;
	rc = pg_tc_install((uint32_t)ifindex, o->iface, bpf_program__fd(skel->progs.pg_tc_egress),
			   &created, err, el);
	if (rc)
		goto undo;
	tc_done = true;
	rc = pg_xdp_install((uint32_t)ifindex, o->iface, skel, o->skb_mode, multi, err, el);
	if (rc)
		goto undo;
	xdp_done = true;
	meta.magic = PG_META_MAGIC;
	meta.layout = PG_MAP_LAYOUT_VERSION;
	meta.netns_cookie = ns.cookie;
	meta.netns_ino = ns.ino;
	meta.ifindex = (uint32_t)ifindex;
	meta.flags = (created ? PG_MF_CLSACT : 0) | (o->skb_mode ? PG_MF_SKB : 0) |
		     (multi ? PG_MF_MULTIPROG : 0);
	meta.tc_handle = PG_TC_HANDLE;
	meta.tc_prio = PG_TC_PRIO;
	meta.attached_ns = pg_realtime_ns();
	snprintf(meta.ifname, sizeof(meta.ifname), "%s", o->iface);
	snprintf(meta.version, sizeof(meta.version), "%s", PG_VERSION);
	rc = pg_meta_write(tmp, &meta);
	if (!rc && renameat(pg_fs.root_fd, tmp, pg_fs.root_fd, dname))
		rc = -errno;
	if (rc) {
		snprintf(err, el, "cannot publish the pins under %s%s: %s", PG_PIN_ROOT, pg_fs.how,
			 strerror(-rc));
		goto undo;
	}
	/* The readable name; a stale one of a vanished interface of that name is replaced. */
	pg_link_name(link, sizeof(link), o->iface, ns.name);
	unlinkat(pg_fs.root_fd, link, 0);
	if (symlinkat(dname, pg_fs.root_fd, link))
		snprintf(r->note, sizeof(r->note), "no readable name %s: %s", link,
			 strerror(errno));
	pg_shown_path(r->pin_dir, sizeof(r->pin_dir), dname);
	snprintf(r->mode, sizeof(r->mode), "%s", o->skb_mode ? "skb" : "native");
	r->xdp_id = pg_prog_id(bpf_program__fd(skel->progs.pg_xdp_ingress));
	r->tc_id = pg_prog_id(bpf_program__fd(skel->progs.pg_tc_egress));
	r->multiprog = multi;
	r->clsact_created = created;
	rc = 0;
	goto out;

undo:
	if (xdp_done)
		pg_xdp_uninstall((uint32_t)ifindex, o->skb_mode, multi,
				 bpf_program__fd(skel->progs.pg_xdp_ingress));
	if (tc_done) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = BPF_TC_EGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, del, .handle = PG_TC_HANDLE,
				    .priority = PG_TC_PRIO);

		bpf_tc_detach(&hook, &del);
	}
	if (created)
		pg_clsact_remove_if_empty((uint32_t)ifindex);
	pg_unpin_dir(tmp);
out:
	pawsguard_bpf__destroy(skel);
	pg_config_free(&fc);
	return rc;
}

/* ---- detach ---- */

static void pg_note(struct pg_xdp_result *r, const char *fmt, ...)
{
	size_t len = strlen(r->note);
	va_list ap;

	if (len && len + 2 < sizeof(r->note)) {
		strcat(r->note, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + len, sizeof(r->note) - len, fmt, ap);
	va_end(ap);
}

static void pg_detach_one(const struct pg_netns *ns, uint32_t ifindex, struct pg_xdp_result *r)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
			    .attach_point = BPF_TC_EGRESS);
	char dname[64], cur[IF_NAMESIZE];
	struct pg_pin_meta m;
	uint32_t tc_id = 0, other = 0, held;
	int xfd = -1, rc;

	pg_dname(dname, sizeof(dname), ns->cookie, ifindex);
	if (pg_meta_read(dname, &m)) {
		memset(&m, 0, sizeof(m));
		m.tc_prio = PG_TC_PRIO;
		m.tc_handle = PG_TC_HANDLE;
	}
	pg_shown_path(r->pin_dir, sizeof(r->pin_dir), dname);
	snprintf(r->mode, sizeof(r->mode), "%s", m.flags & PG_MF_SKB ? "skb" : "native");
	if (!if_indextoname(ifindex, cur)) {
		pg_note(r, "interface ifindex %u was gone: stale pins removed", ifindex);
		pg_unpin_dir(dname);
		return;
	}
	r->xdp_id = pg_pinned_prog(dname, PG_XDP_PIN, &xfd);
	r->tc_id = pg_pinned_prog(dname, PG_TC_PIN, NULL);
	held = pg_xdp_holder(ifindex, m.flags & PG_MF_SKB, &other);
	if (m.flags & PG_MF_MULTIPROG) {
		if (pg_xdp_uninstall(ifindex, false, true, -1))
			pg_note(r, "pawsguard was not in the XDP dispatcher of %s any more", cur);
	} else if (xfd >= 0 && held == r->xdp_id) {
		rc = pg_xdp_uninstall(ifindex, m.flags & PG_MF_SKB, false, xfd);
		if (rc)
			pg_note(r, "cannot remove the XDP program: %s", strerror(-rc));
	} else if (held || other) {
		pg_note(r, "the XDP program on %s (id %u) is not pawsguard's: left in place", cur,
			held ? held : other);
	}
	if (xfd >= 0)
		close(xfd);
	{
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = m.tc_handle, .priority = m.tc_prio);

		if (bpf_tc_query(&hook, &q) == 0)
			tc_id = q.prog_id;
	}
	if (tc_id && tc_id == r->tc_id) {
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, del, .handle = m.tc_handle, .priority = m.tc_prio);

		bpf_tc_detach(&hook, &del);
	} else if (tc_id) {
		pg_note(r,
			"the TC filter at pawsguard's pref %u handle 0x%x runs another program "
			"(id %u): left in place",
			m.tc_prio, m.tc_handle, tc_id);
	}
	if (m.flags & PG_MF_CLSACT) {
		r->clsact_created = pg_clsact_remove_if_empty(ifindex);
		if (!r->clsact_created)
			pg_note(r, "the clsact qdisc pawsguard made stays: other filters use it");
	}
	pg_unpin_dir(dname);
}

/* No pins, but programs of ours by name (pins lost, or a build from before them). */
static bool pg_detach_leftovers(uint32_t ifindex, struct pg_xdp_result *r)
{
	static const uint32_t prios[2] = {PG_TC_PRIO, PG_TC_PRIO_OLD};
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
			    .attach_point = BPF_TC_EGRESS);
	uint32_t other = 0, held;
	char name[32];
	bool any = false;
	int i;

	held = pg_xdp_holder(ifindex, false, &other);
	if (!held)
		held = other;
	if (held) {
		pg_prog_name(held, name, sizeof(name));
		if (!strcmp(name, PG_XDP_PROG_NAME)) {
			int fd = bpf_prog_get_fd_by_id(held);

			if (fd >= 0 && (!pg_xdp_uninstall(ifindex, false, false, fd) ||
					!pg_xdp_uninstall(ifindex, true, false, fd)))
				any = true;
			if (fd >= 0)
				close(fd);
		}
	}
	if (!any && !pg_xdp_uninstall(ifindex, false, true, -1))
		any = true;
	for (i = 0; i < 2; i++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = PG_TC_HANDLE, .priority = prios[i]);

		if (bpf_tc_query(&hook, &q))
			continue;
		pg_prog_name(q.prog_id, name, sizeof(name));
		if (strcmp(name, PG_TC_PROG_NAME))
			continue;
		q.prog_id = 0;
		q.flags = 0;
		if (!bpf_tc_detach(&hook, &q))
			any = true;
	}
	if (any)
		pg_note(r, "pawsguard's programs were attached without pins: removed");
	return any;
}

/* 0 when DNAME looks like the pins of a build before pg_meta (pg_config, no pg_meta). */
static int pg_old_pins(const char *dname)
{
	char path[PATH_MAX];
	struct stat st;

	pg_open_path(path, sizeof(path), dname, "pg_config");
	if (stat(path, &st))
		return -ENOENT;
	pg_open_path(path, sizeof(path), dname, PG_META_PIN);
	return stat(path, &st) ? 0 : -EEXIST;
}

int pg_xdp_detach(const char *iface, struct pg_xdp_result *r, char *err, size_t el)
{
	struct pg_netns ns;
	uint32_t stale[16];
	char dname[64];
	int idx, rc, i, n;
	bool done = false, old = false;

	memset(r, 0, sizeof(*r));
	idx = pg_root_iface(iface, err, el);
	if (idx < 0)
		return idx;
	rc = pg_root_open(false, err, el);
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc) {
		pg_root_lock();
		pg_netns_get(&ns);
		if (idx && pg_dir_exists((pg_dname(dname, sizeof(dname), ns.cookie, (uint32_t)idx),
					  dname))) {
			pg_detach_one(&ns, (uint32_t)idx, r);
			done = true;
		}
		/* Pins of a vanished (or renamed-away) interface of that name: clean them too. */
		n = pg_find_stale(&ns, iface, stale, 16);
		for (i = 0; i < n; i++) {
			pg_detach_one(&ns, stale[i], r);
			done = true;
		}
		/* Pins of a build before the layout version: PG_PIN_ROOT/IFACE, no pg_meta. */
		if (pg_dir_exists(iface) && !pg_old_pins(iface)) {
			pg_unpin_dir(iface);
			pg_note(r, "pins of an older pawsguard under %s/%s removed", PG_PIN_ROOT,
				iface);
			old = done = true;
		}
	}
	/* Programs of ours by name without pins (and always with an older build's pins). */
	if (idx > 0 && (!done || old) && pg_detach_leftovers((uint32_t)idx, r))
		done = true;
	if (!done) {
		if (!idx)
			snprintf(err, el, "no such interface '%s'", iface);
		else
			snprintf(err, el, "pawsguard is not attached to %s", iface);
		return idx ? -ENOENT : -ENODEV;
	}
	return 0;
}

/* ---- reload ---- */

/* Every map of the pins against this build's definition: same type, key and value sizes. */
static int pg_reuse_maps(struct pawsguard_bpf *skel, const char *dname, const char *iface,
			 char *err, size_t el)
{
	char path[PATH_MAX];
	int i, fd, rc;

	for (i = 0; i < PG_XM_NR; i++) {
		struct bpf_map *m = pg_skel_map(skel, i);
		struct bpf_map_info info = {0};
		uint32_t len = sizeof(info);

		pg_open_path(path, sizeof(path), dname, pg_xdp_map_names[i]);
		fd = bpf_obj_get(path);
		if (!m || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			rc = -errno;
			snprintf(err, el, "cannot open map %s of pawsguard on %s: %s",
				 pg_xdp_map_names[i], iface, strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc ? rc : -ENOENT;
		}
		if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
		    info.value_size != bpf_map__value_size(m)) {
			snprintf(
				err, el,
				"map %s on %s is type %u, key %u, value %u bytes; this build's is "
				"type %u, key %u, value %u: its layout differs (detach and attach)",
				pg_xdp_map_names[i], iface, info.type, info.key_size,
				info.value_size, bpf_map__type(m), bpf_map__key_size(m),
				bpf_map__value_size(m));
			close(fd);
			return -EINVAL;
		}
		rc = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (rc) {
			snprintf(err, el, "cannot reuse map %s: %s", pg_xdp_map_names[i],
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int pg_xdp_reload(const char *iface, struct pg_xdp_result *r, char *err, size_t el)
{
	struct pawsguard_bpf *skel = NULL;
	struct pg_xdp_health h;
	struct pg_pin_meta m;
	struct pg_netns ns;
	char dname[64], path[PATH_MAX], npath[PATH_MAX];
	int idx, rc, i, old_xdp = -1, old_tc = -1, nx, nt;
	bool tc_swapped = false;

	memset(r, 0, sizeof(*r));
	idx = pg_root_iface(iface, err, el);
	if (idx < 0)
		return idx;
	if (!idx)
		return pg_not_attached(iface, idx, err, el);
	rc = pg_root_open(false, err, el);
	if (rc == -ENOENT) {
		snprintf(err, el, "pawsguard is not attached to %s", iface);
		return rc;
	}
	if (rc)
		return rc;
	pg_root_lock();
	pg_netns_get(&ns);
	pg_dname(dname, sizeof(dname), ns.cookie, (uint32_t)idx);
	if (!pg_dir_exists(dname)) {
		snprintf(err, el, "pawsguard is not attached to %s (run: pawsguard attach %s)",
			 iface, iface);
		return -ENOENT;
	}
	pg_xdp_multiprog();
	pg_inspect(&ns, (uint32_t)idx, &h);
	/* A filter that runs first stays first after a replace in place: reload, report it. */
	for (i = 0; i < h.nproblems; i++)
		if (strcmp(h.problems[i].code, "tc_order")) {
			snprintf(err, el, "cannot reload pawsguard on %s: %s", iface,
				 h.problems[i].msg);
			return strcmp(h.problems[i].code, "layout") ? -ESTALE : -EINVAL;
		}
	if (h.multiprog) {
		snprintf(
			err, el,
			"pawsguard on %s runs under libxdp's dispatcher, where a program cannot be "
			"replaced atomically: detach and attach",
			iface);
		return -EOPNOTSUPP;
	}
	if (pg_meta_read(dname, &m)) {
		snprintf(err, el, "cannot read %s of pawsguard on %s", PG_META_PIN, iface);
		return -EIO;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	skel = pawsguard_bpf__open();
	if (!skel) {
		rc = -errno;
		snprintf(err, el, "cannot open the BPF object: %s", strerror(errno));
		return rc;
	}
	rc = pg_reuse_maps(skel, dname, iface, err, el);
	if (rc)
		goto out;
	rc = pawsguard_bpf__load(skel);
	if (rc) {
		snprintf(err, el, "cannot load the BPF programs: %s", strerror(-rc));
		goto out;
	}
	nx = bpf_program__fd(skel->progs.pg_xdp_ingress);
	nt = bpf_program__fd(skel->progs.pg_tc_egress);
	r->old_xdp_id = pg_pinned_prog(dname, PG_XDP_PIN, &old_xdp);
	r->old_tc_id = pg_pinned_prog(dname, PG_TC_PIN, &old_tc);
	if (old_xdp < 0 || old_tc < 0) {
		rc = -ENOENT;
		snprintf(err, el, "cannot open the pinned programs of pawsguard on %s", iface);
		goto out;
	}
	/* The TC filter replaced in place (same pref and handle), then XDP against the old one. */
	{
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = idx,
				    .attach_point = BPF_TC_EGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = m.tc_handle, .priority = m.tc_prio,
				    .prog_fd = nt, .flags = BPF_TC_F_REPLACE);
		DECLARE_LIBBPF_OPTS(bpf_xdp_attach_opts, xo, .old_prog_fd = old_xdp);

		rc = bpf_tc_attach(&hook, &tco);
		if (rc) {
			snprintf(err, el, "cannot replace the TC egress program on %s: %s", iface,
				 strerror(-rc));
			goto out;
		}
		tc_swapped = true;
		rc = bpf_xdp_attach(idx, nx,
				    m.flags & PG_MF_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
				    &xo);
		if (rc) {
			snprintf(err, el,
				 "cannot replace the XDP program on %s (%s): the old programs stay",
				 iface, strerror(-rc));
			tco.prog_fd = old_tc;
			tco.prog_id = 0;
			if (!bpf_tc_attach(&hook, &tco))
				tc_swapped = false;
			goto out;
		}
	}
	/* New pins beside the old, renamed over them: the pins always name the running ones. */
	pg_open_path(npath, sizeof(npath), dname, PG_XDP_PIN "_new");
	pg_open_path(path, sizeof(path), dname, PG_XDP_PIN);
	unlink(npath);
	if (bpf_obj_pin(nx, npath) || rename(npath, path))
		pg_note(r, "cannot re-pin the XDP program: %s", strerror(errno));
	pg_open_path(npath, sizeof(npath), dname, PG_TC_PIN "_new");
	pg_open_path(path, sizeof(path), dname, PG_TC_PIN);
	unlink(npath);
	if (bpf_obj_pin(nt, npath) || rename(npath, path))
		pg_note(r, "cannot re-pin the TC program: %s", strerror(errno));
	m.reloads++;
	m.reloaded_ns = pg_realtime_ns();
	snprintf(m.version, sizeof(m.version), "%s", PG_VERSION);
	if (pg_meta_write(dname, &m))
		pg_note(r, "cannot update %s", PG_META_PIN);
	pg_shown_path(r->pin_dir, sizeof(r->pin_dir), dname);
	snprintf(r->mode, sizeof(r->mode), "%s", m.flags & PG_MF_SKB ? "skb" : "native");
	r->xdp_id = pg_prog_id(nx);
	r->tc_id = pg_prog_id(nt);
	for (i = 0; i < h.nproblems; i++)
		pg_note(r, "%s", h.problems[i].msg);
	rc = 0;
out:
	if (rc && tc_swapped)
		pg_note(r, "the TC egress program is the new one, XDP the old one");
	if (old_xdp >= 0)
		close(old_xdp);
	if (old_tc >= 0)
		close(old_tc);
	pawsguard_bpf__destroy(skel);
	return rc;
}
