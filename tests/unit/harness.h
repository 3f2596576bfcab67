/* harness.h - helpers for the engine unit tests: a fresh catalog in a temporary directory,
 * sessions, waits for completions, and ways to make the catalog fail for real.
 *
 * Time: a world runs on a virtual clock (rsm_set_clock, manual_timers) unless it asks for real
 * time.  Nothing fires the engine's timers (robot moves, loads, time-outs) but the test's own
 * thread, as it lets virtual time pass (world_run_for, world_run_until, and every wait below),
 * so a test never sleeps and never depends on how fast the machine is.  A world with real_time
 * set (the soak, whose 32 threads need the engine's worker) keeps CLOCK_MONOTONIC.
 *
 * Catalog: the SQLite file, or with RSMFS_TEST_CATALOG set to a PostgreSQL URI (the server of
 * tests/tools/pg.sh), a schema of its own in that database for each world, dropped with it. */
#ifndef RSM_TEST_HARNESS_H
#define RSM_TEST_HARNESS_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rsm.h"

struct world {
	char dir[256];
	struct rsm_config cfg;
	struct rsm_engine *eng;
	struct rsm_cred admin, user;
	bool real_time;	 /* set before world_open: the engine's worker and CLOCK_MONOTONIC */
	char schema[64]; /* its PostgreSQL schema, "" on SQLite */
};

/* A fresh temporary catalog with one sim library "vtl0" (2 drives, 8 slots, 1 port, 6 media,
 * zero robot time). */
void world_init(struct world *w);
/* Adds a second library "vtl1" to the configuration (before world_open). */
void world_add_library(struct world *w, const char *name, int drives, int media);
void world_open(struct world *w);
void world_reopen(struct world *w);
void world_free(struct world *w);

/* The virtual clock, in seconds (0 at world_init). */
double world_now(void);
/* Lets ms of virtual time pass, firing the engine's timers as they fall due. */
void world_run_for(struct world *w, int ms);
/* Lets virtual time pass, up to ms, until done(arg) holds (checked after every timer that
 * fires); whether it holds.  The clock stops where done() became true, or at the limit.  In a
 * real-time world it polls for up to ms of real time. */
bool world_run_until(struct world *w, bool (*done)(void *arg), void *arg, int ms);

/* Opens a session as c; fails the test if it cannot. */
rsm_handle open_session(struct world *w, const char *name, const struct rsm_cred *c);

/* Waits for a mount's completion; returns the RSM error it finished with.  In a virtual-time
 * world, waiter_wait lets up to ms of virtual time pass (the world last opened); otherwise it
 * waits up to ms of real time. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	rsm_err err;
	uint64_t request;
	char drive[RSM_NAME_MAX + 1];
};
void waiter_init(struct waiter *w);
void waiter_done(void *ctx, rsm_err err, uint64_t request, const char *drive);
rsm_err waiter_wait(struct waiter *w, int ms);

/* Mounts and waits; returns the outcome. */
rsm_err mount_wait(struct world *w, rsm_handle s, const char *medium, const char *drive,
		   unsigned options);

/* Waits (virtual time passing, in a virtual-time world) until a request reaches a final state;
 * returns its state name in buf. */
void wait_request_final(struct world *w, uint64_t request, char *state, size_t len);
/* Waits until a drive's state is `want` (or fails the test after 5 s). */
void wait_drive_state(struct world *w, const char *drive, const char *want);
void wait_medium_state(struct world *w, const char *medium, const char *want);

/* Makes the next catalog write fail with an I/O error: a file-size limit on this process
 * at the current size of the write-ahead log.  catalog_unblock lifts it. */
void catalog_block_writes(struct world *w);
void catalog_unblock(void);
/* Reopens the engine with its catalog capped (database_max_size) at the size it has now: a
 * change that needs a new page fails with ERROR_DATABASE_FULL, one made in place does not. */
void catalog_cap_at_current_size(struct world *w);
/* The number a query of one value answers, read from the world's catalog (either kind). */
long long catalog_number(struct world *w, const char *sql);
/* Skips the test on PostgreSQL: it makes the SQLite file itself fail, or reads it. */
void sqlite_only(void);

#endif
