/* runtime.c - the lock, deferred calls, timers and the worker thread, the clock and GUIDs.
 *
 * Robot and drive timings of a simulated library, mount time-outs and history purges are
 * timers fired by one worker thread, so no caller ever sleeps inside the engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "runtime.h"

struct timer {
	double when;
	timer_fn fn;
	void *arg;
	struct timer *next;
};

struct deferred {
	defer_fn fn;
	void *ctx;
	size_t len;
	unsigned char data[DEFER_DATA_MAX];
};

/* Due timers fired in one hold of the lock (and so one catalog commit): enough to carry a
 * zero-time mount through all its phases at once, few enough that nobody waits long. */
#define TIMER_BURST 8

static double (*clock_source)(void); /* rsm_set_clock; NULL: CLOCK_MONOTONIC */

/* The runtime whose lock this thread holds, NULL when none: a log line written under the lock
 * is deferred to its release (log.c), one written without it goes out at once. */
static _Thread_local struct runtime *held;

void rsm_set_clock(double (*now)(void))
{
	clock_source = now;
}

double mono_now(void)
{
	struct timespec ts;

	if (clock_source)
		return clock_source();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

void guid_new(char out[RSM_GUID_LEN + 1])
{
	uuid_t u;

	/* from the kernel's random source (getrandom), never from the clock */
	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

/* mkdir -p: every directory of path; 0, or -1 with errno. */
int make_dirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

void rt_init(struct runtime *rt, struct rsm_engine *owner, void (*settle)(struct rsm_engine *))
{
	pthread_condattr_t ca;

	memset(rt, 0, sizeof(*rt));
	rt->owner = owner;
	rt->settle = settle;
	pthread_mutex_init(&rt->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rt->worker_cond, &ca);
	pthread_condattr_destroy(&ca);
}

void rt_lock(struct runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	held = rt;
}

struct runtime *rt_held(void)
{
	return held;
}

void defer_call(struct runtime *rt, defer_fn fn, void *ctx, const void *data, size_t len)
{
	if (len > DEFER_DATA_MAX)
		abort(); /* a caller's struct outgrew the slot: a build-time mistake */
	if (rt->ndeferred == rt->deferred_cap) {
		size_t cap = rt->deferred_cap ? rt->deferred_cap * 2 : 64;
		struct deferred *n = realloc(rt->deferred, cap * sizeof(*n));
		if (!n)
			return; /* a lost completion: the caller's wait ends at shutdown */
		rt->deferred = n;
		rt->deferred_cap = cap;
	}
	struct deferred *d = &rt->deferred[rt->ndeferred++];
	d->fn = fn;
	d->ctx = ctx;
	d->len = len;
	if (len)
		memcpy(d->data, data, len);
}

/* Runs the settle hook, then the deferred calls outside the lock, until none is left; returns
 * with the lock held. */
void rt_settle(struct runtime *rt)
{
	for (;;) {
		if (rt->settle)
			rt->settle(rt->owner);
		size_t n = rt->ndeferred;
		if (!n)
			return;
		struct deferred *list = malloc(n * sizeof(*list));
		if (!list)
			return; /* they stay queued and run at the next unlock */
		memcpy(list, rt->deferred, n * sizeof(*list));
		rt->ndeferred = 0;
		held = NULL;
		pthread_mutex_unlock(&rt->lock);
		for (size_t i = 0; i < n; i++)
			list[i].fn(list[i].ctx, list[i].data);
		free(list);
		pthread_mutex_lock(&rt->lock);
		held = rt;
	}
}

void rt_unlock(struct runtime *rt)
{
	rt_settle(rt);
	held = NULL;
	pthread_mutex_unlock(&rt->lock);
}

/* ---- timers ---- */

void timer_add(struct runtime *rt, double delay, timer_fn fn, void *arg)
{
	struct timer *t = calloc(1, sizeof(*t)), **pp;

	if (!t)
		abort(); /* a lost timer would strand a cartridge mid-move */
	t->when = mono_now() + (delay > 0 ? delay : 0);
	t->fn = fn;
	t->arg = arg;
	for (pp = &rt->timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	pthread_cond_signal(&rt->worker_cond);
}

void timer_cancel_arg(struct runtime *rt, void *arg)
{
	struct timer **pp = &rt->timers;

	while (*pp) {
		if ((*pp)->arg == arg) {
			struct timer *t = *pp;
			*pp = t->next;
			free(t);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Takes the first timer off the list and runs it (under the lock). */
static void timer_fire_first(struct runtime *rt)
{
	struct timer *t = rt->timers;

	rt->timers = t->next;
	t->fn(rt->owner, t->arg);
	free(t);
}

struct timespec clock_after(clockid_t clock, double secs)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Sleeps on the worker's condition until the first timer is due (or forever), lock held. */
static void worker_wait(struct runtime *rt, double now)
{
	struct timespec ts;

	if (!rt->timers) {
		pthread_cond_wait(&rt->worker_cond, &rt->lock);
		return;
	}
	ts = clock_after(CLOCK_MONOTONIC, rt->timers->when - now);
	pthread_cond_timedwait(&rt->worker_cond, &rt->lock, &ts);
}

/* The worker: fires due timers under the lock, sleeping on the condition variable between. */
static void *worker_main(void *arg)
{
	struct runtime *rt = arg;
	int burst = 0;

	rt_lock(rt);
	while (!rt->quit) {
		double now = mono_now();
		if (rt->timers && rt->timers->when <= now && burst < TIMER_BURST) {
			timer_fire_first(rt);
			burst++;
			continue;
		}
		/* the burst's changes are committed in one transaction, then the replies and
		 * events it collected go out, outside the lock */
		rt_settle(rt);
		if (burst) {
			burst = 0;
			continue;
		}
		/* the settle may have run deferred calls for a while: the clock moved on */
		worker_wait(rt, mono_now());
	}
	rt_unlock(rt);
	return NULL;
}

int rt_start_worker(struct runtime *rt)
{
	if (pthread_create(&rt->worker, NULL, worker_main, rt) != 0)
		return -1;
	rt->worker_started = true;
	return 0;
}

double rt_run_timers(struct runtime *rt)
{
	double next = -1;

	rt_lock(rt);
	while (rt->timers && rt->timers->when <= mono_now()) {
		timer_fire_first(rt);
		rt_settle(rt); /* the replies and events of each timer, in order */
	}
	if (rt->timers)
		next = rt->timers->when;
	rt_unlock(rt);
	return next;
}

void rt_stop_worker(struct runtime *rt)
{
	if (!rt->worker_started)
		return;
	rt_lock(rt);
	rt->quit = true;
	pthread_cond_signal(&rt->worker_cond);
	rt_unlock(rt);
	pthread_join(rt->worker, NULL);
	rt->worker_started = false;
}

void rt_destroy(struct runtime *rt)
{
	rt_stop_worker(rt);
	while (rt->timers) {
		struct timer *t = rt->timers;
		rt->timers = t->next;
		free(t);
	}
	free(rt->deferred);
	rt->deferred = NULL;
	rt->ndeferred = rt->deferred_cap = 0;
	pthread_mutex_destroy(&rt->lock);
	pthread_cond_destroy(&rt->worker_cond);
}
