/* runtime.h - the engine's ground floor: one lock, the calls deferred until it is released,
 * timers on a worker thread, the clock and GUIDs.  It knows nothing of libraries, media or
 * requests; the floors above hand it callbacks.
 *
 * One mutex guards the whole engine.  Work that must not run under it (a caller's completion,
 * an observer) is queued with defer_call() and run by rt_unlock() once the lock is released,
 * so such a callback may call back into the engine.  Before anything deferred runs, the
 * settle hook brings the engine to rest under the lock (the scheduler, the catalog commit):
 * nobody hears of a change before it is committed.
 */
#ifndef RSM_RUNTIME_H
#define RSM_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rsm.h"

struct rsm_engine;

/* A timed callback, run on the worker thread with the lock held. */
typedef void (*timer_fn)(struct rsm_engine *eng, void *arg);

/* A deferred call: fn(ctx, data) after the lock is released; data is a copy. */
#define DEFER_DATA_MAX 256
typedef void (*defer_fn)(void *ctx, const void *data);

struct timer;
struct deferred;

struct runtime {
	pthread_mutex_t lock;
	pthread_cond_t worker_cond;
	pthread_t worker;
	bool worker_started;
	bool quit;		  /* the worker must exit */
	struct rsm_engine *owner; /* handed to timers and the settle hook */
	/* Brings the owner to rest under the lock before the lock is released (and before a
	 * thread waits on a condition): run until the deferred queue stops growing. */
	void (*settle)(struct rsm_engine *owner);
	struct timer *timers; /* by time due */
	struct deferred *deferred;
	size_t ndeferred, deferred_cap;
};

void rt_init(struct runtime *rt, struct rsm_engine *owner, void (*settle)(struct rsm_engine *));
/* Starts the worker thread that fires the timers; 0 or -1. */
int rt_start_worker(struct runtime *rt);
/* Stops the worker thread, if it runs. */
void rt_stop_worker(struct runtime *rt);
/* Stops the worker and frees the timers and deferred calls left. */
void rt_destroy(struct runtime *rt);

void rt_lock(struct runtime *rt);
/* The runtime whose lock the calling thread holds, or NULL. */
struct runtime *rt_held(void);
/* Settles, releases the lock, then runs what was deferred under it, in order. */
void rt_unlock(struct runtime *rt);
/* What rt_unlock does, keeping the lock at the end: for a thread about to wait on a condition
 * of its own with the lock held. */
void rt_settle(struct runtime *rt);

void defer_call(struct runtime *rt, defer_fn fn, void *ctx, const void *data, size_t len);

void timer_add(struct runtime *rt, double delay, timer_fn fn, void *arg);
/* Removes every pending timer whose argument is arg. */
void timer_cancel_arg(struct runtime *rt, void *arg);
/* Fires every timer due by the clock (tools without a worker thread); returns when the next
 * one is due, negative when none is set. */
double rt_run_timers(struct runtime *rt);

/* Seconds on the engine's clock: CLOCK_MONOTONIC, or the clock given to rsm_set_clock. */
double mono_now(void);
/* The time secs seconds from now on clock, for a pthread_cond_timedwait on a condition of
 * that clock. */
struct timespec clock_after(clockid_t clock, double secs);
int64_t wall_now(void);
/* A random (version 4) GUID, lower-case 8-4-4-4-12. */
void guid_new(char out[RSM_GUID_LEN + 1]);

/* Creates a directory and its parents (mkdir -p); -1 with errno on failure. */
int make_dirs(const char *path);

#endif
