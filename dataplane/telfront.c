// SPDX-License-Identifier: BSD-3-Clause
/*
 * The telemetry front. The /pawsguard/ commands need arrays of dicts, which DPDK 22.11's
 * telemetry library cannot produce (telemetry.c). So the appliance serves the telemetry
 * socket path itself: right after EAL init it moves DPDK's own socket aside (renamed, it
 * stays bound and reachable under the new name) and listens at the standard path
 * (<runtime dir>/dpdk_telemetry.v2), speaking the same protocol: DPDK's greeting, then one
 * reply per request. /pawsguard/ requests are answered here; every other request (/,
 * /help, /ethdev/..., /eal/...) is relayed to DPDK's socket and its reply passed back as
 * it is. dpdk-telemetry.py -f PREFIX and the pawsguard CLI see one ordinary v2 socket.
 * Without DPDK's socket (--no-telemetry) the front answers the /pawsguard/ commands alone.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "pg_dpdk.h"
#include "telemetry.h"

#define PG_TEL_SOCK	 "dpdk_telemetry.v2"
#define PG_TEL_LIB	 ".dpdk" /* suffix of DPDK's own socket, moved aside */
#define PG_FRONT_CLIENTS 16
#define PG_FRONT_POLL_MS 200

static struct {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lib[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool have_lib;
	bool started;
	int fd;
	pthread_t thr;
	int stop;    /* atomic */
	int clients; /* atomic */
} pg_front = {.fd = -1};

static bool pg_front_stopping(void)
{
	return __atomic_load_n(&pg_front.stop, __ATOMIC_RELAXED);
}

static int pg_unix_socket(const char *path, bool listen_on)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, rc;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (listen_on)
		rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, PG_FRONT_CLIENTS);
	else
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* One client: greet, then answer or relay each request. */
static void *pg_front_client(void *arg)
{
	int cfd = (int)(intptr_t)arg, lfd = -1;
	struct timeval tv = {.tv_sec = 0, .tv_usec = PG_FRONT_POLL_MS * 1000};
	char req[PG_TEL_MAX_INPUT + 1], *out = malloc(PG_TEL_MAX_OUTPUT + 1);
	ssize_t n = -1, m;
	size_t len;

	if (!out)
		goto done;
	/* DPDK's greeting (version, pid, max_output_len) when its socket is there. */
	if (pg_front.have_lib) {
		lfd = pg_unix_socket(pg_front.lib, false);
		if (lfd >= 0)
			n = recv(lfd, out, PG_TEL_MAX_OUTPUT, 0);
	}
	if (n <= 0) {
		if (lfd >= 0)
			close(lfd);
		lfd = -1;
		n = snprintf(out, PG_TEL_MAX_OUTPUT,
			     "{\"version\": \"%s\", \"pid\": %d, \"max_output_len\": %d}",
			     rte_version(), getpid(), PG_TEL_MAX_OUTPUT);
	}
	if (send(cfd, out, (size_t)n, MSG_NOSIGNAL) < 0)
		goto done;
	/* Wake up now and then to notice a shutdown. */
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!pg_front_stopping()) {
		n = recv(cfd, req, PG_TEL_MAX_INPUT, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		req[n] = '\0';
		if (lfd >= 0 && strncmp(req, "/pawsguard/", strlen("/pawsguard/"))) {
			m = -1;
			if (send(lfd, req, (size_t)n, MSG_NOSIGNAL) >= 0)
				m = recv(lfd, out, PG_TEL_MAX_OUTPUT, 0);
			if (m > 0) {
				len = (size_t)m;
			} else {
				close(lfd);
				lfd = -1;
				len = pg_tel_reply(req, out, PG_TEL_MAX_OUTPUT + 1);
			}
		} else {
			len = pg_tel_reply(req, out, PG_TEL_MAX_OUTPUT + 1);
		}
		if (send(cfd, out, len, MSG_NOSIGNAL) < 0)
			break;
	}
done:
	if (lfd >= 0)
		close(lfd);
	close(cfd);
	free(out);
	__atomic_sub_fetch(&pg_front.clients, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *pg_front_main(void *arg)
{
	struct pollfd pfd = {.fd = pg_front.fd, .events = POLLIN};
	pthread_attr_t attr;
	pthread_t t;
	int cfd;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!pg_front_stopping()) {
		if (poll(&pfd, 1, PG_FRONT_POLL_MS) <= 0)
			continue;
		cfd = accept4(pg_front.fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		if (__atomic_load_n(&pg_front.clients, __ATOMIC_ACQUIRE) >= PG_FRONT_CLIENTS) {
			close(cfd);
			continue;
		}
		__atomic_add_fetch(&pg_front.clients, 1, __ATOMIC_ACQUIRE);
		if (pthread_create(&t, &attr, pg_front_client, (void *)(intptr_t)cfd)) {
			close(cfd);
			__atomic_sub_fetch(&pg_front.clients, 1, __ATOMIC_RELEASE);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int pg_front_start(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	int rc;

	if (snprintf(pg_front.path, sizeof(pg_front.path), "%s/%s", dir, PG_TEL_SOCK) >=
		    (int)sizeof(pg_front.path) ||
	    snprintf(pg_front.lib, sizeof(pg_front.lib), "%s%s", pg_front.path, PG_TEL_LIB) >=
		    (int)sizeof(pg_front.lib))
		return -ENAMETOOLONG;
	if (rename(pg_front.path, pg_front.lib) == 0)
		pg_front.have_lib = true;
	else if (errno != ENOENT)
		return -errno;
	pg_front.fd = pg_unix_socket(pg_front.path, true);
	if (pg_front.fd < 0)
		return pg_front.fd;
	rc = rte_ctrl_thread_create(&pg_front.thr, "pg-telemetry", NULL, pg_front_main, NULL);
	if (rc) {
		close(pg_front.fd);
		unlink(pg_front.path);
		return -rc;
	}
	pg_front.started = true;
	return 0;
}

/* Stop serving; waits (bounded) for client threads, which may be reading worker state. */
void pg_front_stop(void)
{
	int i;

	if (!pg_front.started)
		return;
	__atomic_store_n(&pg_front.stop, 1, __ATOMIC_RELAXED);
	pthread_join(pg_front.thr, NULL);
	close(pg_front.fd);
	unlink(pg_front.path);
	if (pg_front.have_lib)
		unlink(pg_front.lib);
	for (i = 0; i < 50 && __atomic_load_n(&pg_front.clients, __ATOMIC_ACQUIRE); i++)
		usleep(100000);
	pg_front.started = false;
}
