/* harness.c - see harness.h. */
#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* The virtual clock: written by the test's thread as it lets time pass, read by the engine
 * (mono_now) on whatever thread holds the engine lock. */
static _Atomic double virtual_now;
/* The virtual-time world last opened: what waiter_wait lets time pass in. */
static struct world *virtual_world;

static double virtual_clock(void)
{
	return virtual_now;
}

double world_now(void)
{
	return virtual_now;
}

static void quiet(void *arg, const char *message)
{
	(void)arg, (void)message;
}

/* Runs one statement on the test's PostgreSQL server; fails the test if it fails. */
static void pg_exec(const char *uri, const char *sql)
{
	PGconn *conn = PQconnectdb(uri);
	PQsetNoticeProcessor(conn, quiet, NULL); /* DROP ... CASCADE lists what it drops */
	PGresult *res = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql) : NULL;
	bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	assert_true(ok);
}

/* A world on PostgreSQL: a new schema, first in the catalog connection's search path. */
static void world_pg_schema(struct world *w, const char *uri)
{
	static int worlds;
	char sql[128];

	snprintf(w->schema, sizeof(w->schema), "w%d_%d", (int)getpid(), ++worlds);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", w->schema);
	pg_exec(uri, sql);
	int n = snprintf(w->cfg.catalog, sizeof(w->cfg.catalog), "%s%coptions=-csearch_path%%3D%s",
			 uri, strchr(uri, '?') ? '&' : '?', w->schema);
	assert_true(n > 0 && (size_t)n < sizeof(w->cfg.catalog));
}

/* One value from the SQLite file. */
static long long sqlite_number(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* One value from PostgreSQL. */
static long long pg_number(const char *uri, const char *sql)
{
	PGconn *conn = PQconnectdb(uri);
	PGresult *res = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, sql) : NULL;
	bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	long long v = ok ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;

	if (!ok)
		fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	assert_true(ok);
	return v;
}

long long catalog_number(struct world *w, const char *sql)
{
	return w->cfg.catalog[0] ? pg_number(w->cfg.catalog, sql)
				 : sqlite_number(w->cfg.database, sql);
}

void sqlite_only(void)
{
	const char *uri = getenv("RSMFS_TEST_CATALOG");

	if (uri && *uri)
		skip();
}

void world_init(struct world *w)
{
	const char *uri = getenv("RSMFS_TEST_CATALOG");

	memset(w, 0, sizeof(*w));
	virtual_now = 0;
	snprintf(w->dir, sizeof(w->dir), "/tmp/rsm-unit-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	rsm_config_default(&w->cfg);
	snprintf(w->cfg.data_dir, sizeof(w->cfg.data_dir), "%s", w->dir);
	snprintf(w->cfg.database, sizeof(w->cfg.database), "%s/rsm.db", w->dir);
	w->cfg.busy_timeout_ms = 100;
	struct rsm_library_config *l = &w->cfg.libraries[0];
	l->drives = 2;
	l->slots = 8;
	l->ports = 1;
	l->media = 6;
	l->move_time = l->load_time = l->unload_time = 0;
	w->admin = (struct rsm_cred){.uid = 0, .gid = 0, .admin = true};
	w->user = (struct rsm_cred){.uid = 1000, .gid = 1000, .admin = false};
	if (uri && *uri)
		world_pg_schema(w, uri);
}

void world_add_library(struct world *w, const char *name, int drives, int media)
{
	struct rsm_library_config *l = &w->cfg.libraries[w->cfg.nlibraries++];
	*l = w->cfg.libraries[0];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->drives = drives;
	l->media = media;
}

void world_open(struct world *w)
{
	char err[512] = "";
	w->cfg.manual_timers = !w->real_time;
	rsm_set_clock(w->real_time ? NULL : virtual_clock);
	virtual_world = w->real_time ? NULL : w;
	w->eng = rsm_engine_open(&w->cfg, err, sizeof(err));
	if (!w->eng)
		fail_msg("engine did not open: %s", err);
}

void world_reopen(struct world *w)
{
	rsm_engine_close(w->eng);
	world_open(w);
}

void world_free(struct world *w)
{
	char cmd[300];
	catalog_unblock();
	rsm_engine_close(w->eng);
	w->eng = NULL;
	if (virtual_world == w)
		virtual_world = NULL;
	if (w->schema[0]) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", w->schema);
		pg_exec(getenv("RSMFS_TEST_CATALOG"), sql);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", w->dir);
}

/* Fires every timer due, then moves the clock to the next one (at most to `until`), until
 * done() holds or the clock reaches `until`. */
bool world_run_until(struct world *w, bool (*done)(void *arg), void *arg, int ms)
{
	if (w->real_time) {
		for (int waited = 0;; waited += 10) {
			if (done(arg))
				return true;
			if (waited >= ms)
				return false;
			usleep(10000);
		}
	}
	double until = virtual_now + ms / 1000.0;
	/* a bound on the timers fired at one instant: a timer that re-arms itself at once forever
	 * is a bug, not a wait */
	for (int fired = 0; fired < 1000000; fired++) {
		double next = rsm_run_timers(w->eng);
		if (done(arg))
			return true;
		if (virtual_now >= until)
			return false;
		virtual_now =
		    next >= 0 && next < until ? (next > virtual_now ? next : virtual_now) : until;
	}
	fail_msg("the engine's timers keep firing at %.3f s", (double)virtual_now);
	return false;
}

static bool never(void *arg)
{
	(void)arg;
	return false;
}

void world_run_for(struct world *w, int ms)
{
	world_run_until(w, never, NULL, ms);
}

rsm_handle open_session(struct world *w, const char *name, const struct rsm_cred *c)
{
	rsm_handle h = 0;
	assert_int_equal(rsm_session_open(w->eng, name, "unit", c, &h), ERROR_SUCCESS);
	assert_true(h != 0);
	return h;
}

void waiter_init(struct waiter *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
}

void waiter_done(void *ctx, rsm_err err, uint64_t request, const char *drive)
{
	struct waiter *w = ctx;
	pthread_mutex_lock(&w->lock);
	w->done = true;
	w->err = err;
	w->request = request;
	snprintf(w->drive, sizeof(w->drive), "%s", drive ? drive : "");
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static bool waiter_is_done(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->lock);
	bool done = w->done;
	pthread_mutex_unlock(&w->lock);
	return done;
}

rsm_err waiter_wait(struct waiter *w, int ms)
{
	struct timespec ts;
	if (virtual_world) {
		if (!world_run_until(virtual_world, waiter_is_done, w, ms))
			fail_msg("completion did not come within %d ms", ms);
		return w->err;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
			break;
	bool done = w->done;
	rsm_err err = w->err;
	pthread_mutex_unlock(&w->lock);
	if (!done)
		fail_msg("completion did not come within %d ms", ms);
	return err;
}

rsm_err mount_wait(struct world *w, rsm_handle s, const char *medium, const char *drive,
		   unsigned options)
{
	struct waiter wt;
	struct rsm_mount_args a = {.medium = medium,
				   .drive = drive,
				   .options = options | (drive ? RSM_MOUNT_SPECIFIC_DRIVE : 0),
				   .timeout_ms = RSM_WAIT_INFINITE};
	uint64_t req = 0;
	waiter_init(&wt);
	rsm_err e = rsm_mount(w->eng, s, &w->admin, &a, waiter_done, &wt, &req);
	if (e != ERROR_IO_PENDING)
		return e;
	return waiter_wait(&wt, 5000);
}

struct poll {
	bool (*done)(struct world *, const char *, const char *, char *, size_t);
	struct world *w;
	const char *a, *b;
	char *out;
	size_t len;
};

static bool poll_done(void *arg)
{
	struct poll *p = arg;
	return p->done(p->w, p->a, p->b, p->out, p->len);
}

static void poll_until(bool (*done)(struct world *, const char *, const char *, char *, size_t),
		       struct world *w, const char *a, const char *b, char *out, size_t len)
{
	struct poll p = {done, w, a, b, out, len};
	if (!world_run_until(w, poll_done, &p, 5000))
		fail_msg("waited 5 s for %s to become %s (it is %s)", a, b ? b : "final", out);
}

static bool request_is_final(struct world *w, const char *num, const char *unused, char *out,
			     size_t len)
{
	struct rsm_request_info ri;
	(void)unused;
	if (rsm_request_info(w->eng, strtoull(num, NULL, 10), &ri) != ERROR_SUCCESS)
		return false;
	snprintf(out, len, "%s", ri.state);
	return strcmp(ri.state, "queued") && strcmp(ri.state, "waiting") &&
	       strcmp(ri.state, "inprocess");
}

void wait_request_final(struct world *w, uint64_t request, char *state, size_t len)
{
	char num[32];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)request);
	poll_until(request_is_final, w, num, NULL, state, len);
}

static bool drive_is(struct world *w, const char *d, const char *want, char *out, size_t len)
{
	struct rsm_drive_info di;
	assert_int_equal(rsm_drive_info(w->eng, d, &di), ERROR_SUCCESS);
	snprintf(out, len, "%s", di.state);
	return strcmp(di.state, want) == 0;
}

void wait_drive_state(struct world *w, const char *drive, const char *want)
{
	char got[32];
	poll_until(drive_is, w, drive, want, got, sizeof(got));
}

static bool medium_is(struct world *w, const char *m, const char *want, char *out, size_t len)
{
	struct rsm_medium_info mi;
	assert_int_equal(rsm_medium_info(w->eng, m, &mi), ERROR_SUCCESS);
	snprintf(out, len, "%s", mi.state);
	return strcmp(mi.state, want) == 0;
}

void wait_medium_state(struct world *w, const char *medium, const char *want)
{
	char got[32];
	poll_until(medium_is, w, medium, want, got, sizeof(got));
}

void catalog_block_writes(struct world *w)
{
	char wal[300];
	struct stat st;
	struct rlimit rl;

	snprintf(wal, sizeof(wal), "%s-wal", w->cfg.database);
	assert_int_equal(stat(wal, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = (rlim_t)st.st_size;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

void catalog_cap_at_current_size(struct world *w)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(w->cfg.database, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	w->cfg.database_max_size = sqlite3_column_int64(st, 0) * 4096;
	sqlite3_finalize(st);
	sqlite3_close(db);
	world_reopen(w);
}

void catalog_unblock(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_FSIZE, &rl);
}
