/* service.c - telling the service manager how the daemon is (sd_notify(3), rsmfs(8) SERVICE).
 *
 * With NOTIFY_SOCKET set (systemd's Type=notify), the daemon sends READY=1 once the tree is
 * mounted and consistent, where --ready-fd gets its byte; then one thread wakes once a second
 * (or at half the watchdog period, when that is shorter), takes a summary of the engine and
 * sends STATUS= only when the line has changed, so a flood of requests costs nothing more
 * than a tick; WATCHDOG=1 goes out at half of WATCHDOG_USEC when the manager asked for it.
 * Both come from this thread, never from a FUSE request handler.  The summary takes the
 * engine lock: an engine that has stopped answering stops the watchdog pings too, and the
 * manager restarts the daemon.  STOPPING=1 goes out as soon as the session loop has ended.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "service.h"

#define STATUS_PERIOD_USEC 1000000ULL

static struct {
	struct rsm_engine *eng;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running;
	uint64_t period_usec;	/* between two ticks */
	uint64_t watchdog_usec; /* 0: no watchdog */
	char status[256];	/* the line last sent */
} svc = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The one-line summary of the engine: what `systemctl status rsmfs` shows. */
static void status_line(char *buf, size_t len)
{
	struct rsm_summary s;

	rsm_summary(svc.eng, &s);
	snprintf(buf, len,
		 "libraries online %d/%d, drives mounted %d/%d, requests pending %zu, "
		 "operator requests %zu, sessions %d",
		 s.libraries_online, s.libraries, s.drives_mounted, s.drives, s.requests_pending,
		 s.opreqs_pending, s.sessions);
}

/* Adds usec microseconds to a CLOCK_MONOTONIC time. */
static void timespec_add(struct timespec *t, uint64_t usec)
{
	t->tv_sec += (time_t)(usec / 1000000);
	t->tv_nsec += (long)(usec % 1000000) * 1000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* The thread: one tick per period until service_stopping. */
static void *service_main(void *arg)
{
	struct timespec next, now;
	char line[sizeof(svc.status)];

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&svc.lock);
	while (svc.running) {
		/* the next tick a period after this one; after a stall, a period from now */
		timespec_add(&next, svc.period_usec);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec)) {
			next = now;
			timespec_add(&next, svc.period_usec);
		}
		while (svc.running &&
		       pthread_cond_timedwait(&svc.wake, &svc.lock, &next) != ETIMEDOUT)
			;
		if (!svc.running)
			break;
		pthread_mutex_unlock(&svc.lock);
		status_line(line, sizeof(line));
		if (svc.watchdog_usec)
			sd_notify(0, "WATCHDOG=1");
		if (strcmp(line, svc.status) != 0) {
			sd_notifyf(0, "STATUS=%s", line);
			memcpy(svc.status, line, sizeof(line));
		}
		pthread_mutex_lock(&svc.lock);
	}
	pthread_mutex_unlock(&svc.lock);
	return NULL;
}

/* READY=1 and the first STATUS=, then the thread (service.h). */
void service_ready(struct rsm_engine *eng)
{
	pthread_condattr_t attr;
	uint64_t usec = 0;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	svc.eng = eng;
	status_line(svc.status, sizeof(svc.status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", svc.status);
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		svc.watchdog_usec = usec;
	svc.period_usec = STATUS_PERIOD_USEC;
	if (svc.watchdog_usec && svc.watchdog_usec / 2 < svc.period_usec)
		svc.period_usec = svc.watchdog_usec / 2 ? svc.watchdog_usec / 2 : 1;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&svc.wake, &attr);
	pthread_condattr_destroy(&attr);
	svc.running = true;
	if (pthread_create(&svc.thread, NULL, service_main, NULL) != 0) {
		svc.running = false;
		fprintf(stderr, "rsmfs: no service status or watchdog: cannot start its thread\n");
	}
}

/* Ends the thread, then STOPPING=1 (service.h). */
void service_stopping(void)
{
	bool running;

	pthread_mutex_lock(&svc.lock);
	running = svc.running;
	svc.running = false;
	if (running)
		pthread_cond_signal(&svc.wake);
	pthread_mutex_unlock(&svc.lock);
	if (running)
		pthread_join(svc.thread, NULL);
	if (svc.eng)
		sd_notify(0, "STOPPING=1\nSTATUS=Stopping: answering parked requests, unmounting");
}
