/* test_engine.c - engine unit tests: every return value of the five seed pages
 * (CloseNtmsNotification, OpenNtmsNotification, CloseNtmsSession, CancelNtmsLibraryRequest,
 * DismountNtmsMedia), each reached for real, and the mount behaviour they rest on. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "runtime.h" /* rt_held: the log hook checks it runs with no engine lock held */

#define FORGED ((rsm_handle)0x0000dead0000beefULL)

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	world_init(w);
	world_open(w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	free(*state);
	return 0;
}

/* Holds the catalog's write lock from a second connection, as another process would. */
static sqlite3 *lock_catalog(struct world *w)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(w->cfg.database, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void unlock_catalog(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

static void slow_library(struct world *w, double move)
{
	rsm_engine_close(w->eng);
	w->cfg.libraries[0].move_time = move;
	w->cfg.libraries[0].load_time = 0;
	world_open(w);
}

/* ---- error table ---- */

static void test_error_table(void **state)
{
	rsm_err e;
	(void)state;
	assert_string_equal(rsm_error_name(ERROR_INVALID_MEDIA), "ERROR_INVALID_MEDIA");
	assert_int_equal(ERROR_INVALID_MEDIA, 4300);
	assert_int_equal(ERROR_OBJECT_NOT_FOUND, 4312);
	assert_int_equal(ERROR_INVALID_STATE, 5023);
	assert_int_equal(ERROR_CANCELLED, 1223);
	assert_int_equal(rsm_error_errno(ERROR_MEDIA_OFFLINE), ENOMEDIUM);
	assert_int_equal(rsm_error_errno(ERROR_LIBRARY_OFFLINE), ENXIO);
	assert_int_equal(rsm_error_errno(ERROR_REQUEST_REFUSED), EPERM);
	/* names and numbers are one table: ERROR_TIMEOUT is 1460 both ways */
	e = 1460;
	assert_string_equal(rsm_error_name(e), "ERROR_TIMEOUT");
	assert_int_equal(ERROR_TIMEOUT, 1460);
	assert_string_equal(rsm_error_name(99999), "ERROR_UNKNOWN");
}

/* ---- CloseNtmsSession ---- */

static void test_close_session_success_and_invalid_handle(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);

	assert_int_equal(rsm_session_close(w->eng, 0), ERROR_INVALID_HANDLE);
	assert_int_equal(rsm_session_close(w->eng, FORGED), ERROR_INVALID_HANDLE);
	assert_int_equal(rsm_session_close(w->eng, s), ERROR_SUCCESS);
	/* a closed handle stays invalid, even once its slot is reused */
	assert_int_equal(rsm_session_close(w->eng, s), ERROR_INVALID_HANDLE);
	rsm_handle s2 = open_session(w, "a", &w->admin);
	assert_true(s2 != s);
	assert_int_equal(rsm_session_close(w->eng, s), ERROR_INVALID_HANDLE);
	assert_int_equal(rsm_session_close(w->eng, s2), ERROR_SUCCESS);
}

static void test_close_session_connection_unavail(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);

	rsm_engine_stop(w->eng);
	assert_int_equal(rsm_session_close(w->eng, s), ERROR_CONNECTION_UNAVAIL);
}

static void test_close_session_unwinds_blocked_mount(void **state)
{
	struct world *w = *state;
	rsm_handle a = open_session(w, "a", &w->admin), b = open_session(w, "b", &w->admin);
	struct waiter wt;
	struct rsm_mount_args args = {.medium = "T00001L6", .timeout_ms = RSM_WAIT_INFINITE};
	struct rsm_request_info ri;
	uint64_t req;

	assert_int_equal(mount_wait(w, a, "T00001L6", NULL, 0), ERROR_SUCCESS);
	waiter_init(&wt);
	assert_int_equal(rsm_mount(w->eng, b, &w->admin, &args, waiter_done, &wt, &req),
			 ERROR_IO_PENDING);
	assert_int_equal(rsm_session_close(w->eng, b), ERROR_SUCCESS);
	assert_int_equal(waiter_wait(&wt, 2000), ERROR_CANCELLED);
	assert_int_equal(rsm_request_info(w->eng, req, &ri), ERROR_SUCCESS);
	assert_string_equal(ri.state, "cancelled");
	/* media left mounted are released as by a deferred dismount */
	assert_int_equal(rsm_session_close(w->eng, a), ERROR_SUCCESS);
	wait_drive_state(w, "d0", "dismountable");
}

/* ---- OpenNtmsNotification / WaitFor / CloseNtmsNotification ---- */

static void test_open_notification_errors(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin), ch = 0;

	assert_int_equal(rsm_notify_open(w->eng, 0, &w->admin, RSM_OBJ_DRIVE, &ch),
			 ERROR_INVALID_HANDLE);
	assert_int_equal(rsm_notify_open(w->eng, FORGED, &w->admin, RSM_OBJ_DRIVE, &ch),
			 ERROR_INVALID_HANDLE);
	/* NTMS_USE_ACCESS: another user may not listen on this session */
	assert_int_equal(rsm_notify_open(w->eng, s, &w->user, RSM_OBJ_DRIVE, &ch),
			 ERROR_ACCESS_DENIED);
	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_DRIVE, &ch), ERROR_SUCCESS);
	assert_int_equal(rsm_notify_close(w->eng, ch), ERROR_SUCCESS);
	catalog_block_writes(w);
	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_DRIVE, &ch),
			 ERROR_DATABASE_FAILURE);
	catalog_unblock();
	rsm_engine_stop(w->eng);
	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_DRIVE, &ch),
			 ERROR_NOT_CONNECTED);
}

static void test_close_notification_errors(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin), ch = 0, ch2 = 0;

	assert_int_equal(rsm_notify_close(w->eng, 0), ERROR_INVALID_PARAMETER);
	assert_int_equal(rsm_notify_close(w->eng, FORGED), ERROR_INVALID_HANDLE);
	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_ALL, &ch), ERROR_SUCCESS);
	assert_int_equal(rsm_notify_close(w->eng, ch), ERROR_SUCCESS);
	assert_int_equal(rsm_notify_close(w->eng, ch), ERROR_INVALID_HANDLE);
	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_ALL, &ch), ERROR_SUCCESS);
	catalog_block_writes(w);
	assert_int_equal(rsm_notify_close(w->eng, ch), ERROR_DATABASE_FAILURE);
	catalog_unblock();
	assert_int_equal(rsm_notify_close(w->eng, ch), ERROR_SUCCESS);
	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_ALL, &ch2), ERROR_SUCCESS);
	rsm_engine_stop(w->eng);
	assert_int_equal(rsm_notify_close(w->eng, ch2), ERROR_NOT_CONNECTED);
}

/* A waiter's view of a channel, as the front end reads one (WaitForNtmsNotification): arm a
 * readiness callback, sleep until it runs or the time-out passes, then read one line. */
struct readiness {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
};

static void channel_ready(void *ctx)
{
	struct readiness *r = ctx;

	pthread_mutex_lock(&r->lock);
	r->ready = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static bool is_ready(void *arg)
{
	struct readiness *r = arg;

	pthread_mutex_lock(&r->lock);
	bool ready = r->ready;
	pthread_mutex_unlock(&r->lock);
	return ready;
}

/* Waits until r is ready or timeout_ms pass; whether it is ready.  On the test's thread (w
 * given) the engine's timers fire as virtual time passes; another thread (w NULL) waits in real
 * time for what the test's thread does. */
static bool readiness_wait(struct world *w, struct readiness *r, int timeout_ms)
{
	struct timespec ts;

	if (w)
		return world_run_until(w, is_ready, r, timeout_ms);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->ready && pthread_cond_timedwait(&r->cond, &r->lock, &ts) == 0)
		;
	bool ready = r->ready;
	pthread_mutex_unlock(&r->lock);
	return ready;
}

/* The next event of channel ch into ev, waiting up to timeout_ms: ERROR_SUCCESS, ERROR_TIMEOUT,
 * ERROR_NO_DATA once the channel ended, or the engine's error for a dead handle.  armed: the
 * wait runs on a thread of its own, and says so through armed once its callback is armed. */
static rsm_err channel_wait_armed(struct world *w, rsm_handle ch, struct rsm_event *ev,
				  int timeout_ms, struct readiness *armed)
{
	struct readiness r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	struct world *pump = armed ? NULL : w;
	char line[256], op[16], type[16];
	size_t len = 0, used;
	bool now, ended;
	rsm_err e = rsm_notify_arm(w->eng, ch, channel_ready, &r, &now);

	if (armed)
		channel_ready(armed);
	if (e != ERROR_SUCCESS)
		return e;
	if (!now && !readiness_wait(pump, &r, timeout_ms)) {
		if (rsm_notify_disarm(w->eng, ch))
			return ERROR_TIMEOUT;
		readiness_wait(pump, &r, 60000); /* the callback is on its way */
	}
	/* one line, byte by byte: a short buffer gets the rest of the line next time */
	while ((e = rsm_notify_read(w->eng, ch, line + len, 1, &used, &ended)) == ERROR_SUCCESS &&
	       used && line[len] != '\n' && len < sizeof(line) - 2)
		len++;
	if (e != ERROR_SUCCESS)
		return e;
	if (!used)
		return ended ? ERROR_NO_DATA : ERROR_TIMEOUT;
	line[len + 1] = '\0';
	memset(ev, 0, sizeof(*ev));
	assert_int_equal(
	    sscanf(line, "%lu %15s %15s %159s %36s", &ev->seq, op, type, ev->path, ev->guid), 5);
	static const char *const ops[] = {"", "update", "insert", "delete", "signal", "complete"};
	for (int i = 1; i < 6; i++)
		if (strcmp(op, ops[i]) == 0)
			ev->op = (enum rsm_event_op)i;
	ev->type = (enum rsm_object_type)rsm_object_type_from_name(type);
	return ERROR_SUCCESS;
}

static rsm_err channel_wait(struct world *w, rsm_handle ch, struct rsm_event *ev, int timeout_ms)
{
	return channel_wait_armed(w, ch, ev, timeout_ms, NULL);
}

struct wait_arg {
	struct world *w;
	rsm_handle ch;
	rsm_err result;
	struct readiness armed; /* the wait is outstanding */
};

static void *wait_thread(void *p)
{
	struct wait_arg *a = p;
	struct rsm_event ev;
	a->result = channel_wait_armed(a->w, a->ch, &ev, 5000, &a->armed);
	return NULL;
}

static void test_close_notification_with_outstanding_wait(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	struct wait_arg a = {.w = w,
			     .armed = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false}};
	pthread_t t;

	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_OPREQ, &a.ch),
			 ERROR_SUCCESS);
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &a), 0);
	/* the close comes once the wait is armed, however slowly the thread starts */
	assert_true(readiness_wait(NULL, &a.armed, 60000));
	/* Close succeeds; the outstanding wait returns an error (rsm-reference §7 #17) */
	assert_int_equal(rsm_notify_close(w->eng, a.ch), ERROR_SUCCESS);
	pthread_join(t, NULL);
	assert_int_equal(a.result, ERROR_INVALID_HANDLE);
}

static void test_notification_events_and_end(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin), ch;
	struct rsm_event ev;
	char buf[512];
	size_t used;
	bool ended;

	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_DRIVE, &ch), ERROR_SUCCESS);
	assert_int_equal(channel_wait(w, ch, &ev, 50), ERROR_TIMEOUT);
	assert_int_equal(mount_wait(w, s, "T00002L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(channel_wait(w, ch, &ev, 1000), ERROR_SUCCESS);
	assert_int_equal(ev.type, RSM_OBJ_DRIVE);
	assert_int_equal(ev.op, RSM_EV_UPDATE);
	assert_string_equal(ev.path, "drives/d0");
	/* partial-line reads lose nothing */
	assert_int_equal(rsm_notify_read(w->eng, ch, buf, 3, &used, &ended), ERROR_SUCCESS);
	assert_int_equal(used, 3);
	size_t got = used;
	assert_int_equal(
	    rsm_notify_read(w->eng, ch, buf + got, sizeof(buf) - got - 1, &used, &ended),
	    ERROR_SUCCESS);
	got += used;
	buf[got] = '\0';
	assert_non_null(strstr(buf, " update drive drives/d0 "));
	assert_int_equal(buf[got - 1], '\n');
	/* the session closes: what is queued is delivered, then the channel ends */
	assert_int_equal(rsm_session_close(w->eng, s), ERROR_SUCCESS);
	while (channel_wait(w, ch, &ev, 100) == ERROR_SUCCESS)
		;
	assert_int_equal(channel_wait(w, ch, &ev, 100), ERROR_NO_DATA);
	assert_int_equal(rsm_notify_read(w->eng, ch, buf, sizeof(buf), &used, &ended),
			 ERROR_SUCCESS);
	assert_int_equal(used, 0);
	assert_true(ended);
	assert_int_equal(rsm_notify_close(w->eng, ch), ERROR_SUCCESS);
}

static void test_notification_overflow(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin), ch;
	char line[128];
	size_t used;
	bool ended;

	assert_int_equal(rsm_notify_open(w->eng, s, &w->admin, RSM_OBJ_DRIVE, &ch), ERROR_SUCCESS);
	/* each deferred dismount and remount changes the drive: far more than 4096 events */
	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	for (int i = 0; i < 2100; i++) {
		assert_int_equal(
		    rsm_dismount(w->eng, s, &w->admin, "T00001L6", RSM_DISMOUNT_DEFERRED, NULL),
		    ERROR_SUCCESS);
		assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	}
	/* byte by byte: the first line is the overflow record, then the newest 4096 events */
	size_t count = 0, len = 0;
	while (rsm_notify_read(w->eng, ch, line + len, 1, &used, &ended) == ERROR_SUCCESS && used) {
		if (line[len] != '\n' && len < sizeof(line) - 2) {
			len++;
			continue;
		}
		line[len + 1] = '\0';
		if (count++ == 0)
			assert_non_null(strstr(line, " overflow - - -\n"));
		else
			assert_null(strstr(line, "overflow"));
		len = 0;
	}
	assert_int_equal(count, RSM_MAX_PENDING_EVENTS + 1);
}

/* ---- CancelNtmsLibraryRequest ---- */

static void test_cancel_queued_while_busy_and_in_process(void **state)
{
	struct world *w = *state;
	struct rsm_mount_args a1 = {.medium = "T00001L6",
				    .drive = "d0",
				    .options = RSM_MOUNT_NOWAIT | RSM_MOUNT_SPECIFIC_DRIVE};
	struct rsm_mount_args a2 = a1;
	struct rsm_request_info ri;
	uint64_t r1, r2;
	char st[32];

	slow_library(w, 1.0);
	rsm_handle s = open_session(w, "a", &w->admin);
	a2.medium = "T00002L6";
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &a1, NULL, NULL, &r1), ERROR_SUCCESS);
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &a2, NULL, NULL, &r2), ERROR_SUCCESS);
	assert_int_equal(rsm_request_info(w->eng, r1, &ri), ERROR_SUCCESS);
	assert_string_equal(ri.state, "inprocess");
	/* the library is busy: the queued one is cancelled at once */
	assert_int_equal(rsm_request_cancel(w->eng, &w->admin, r2), ERROR_SUCCESS);
	assert_int_equal(rsm_request_info(w->eng, r2, &ri), ERROR_SUCCESS);
	assert_string_equal(ri.state, "cancelled");
	assert_int_equal(ri.error, ERROR_CANCELLED);
	/* the cartridge on its way cannot be taken back */
	assert_int_equal(rsm_request_cancel(w->eng, &w->admin, r1), ERROR_ACCESS_DENIED);
	wait_request_final(w, r1, st, sizeof(st));
	assert_string_equal(st, "passed");
	/* finished and unknown requests are not found */
	assert_int_equal(rsm_request_cancel(w->eng, &w->admin, r1), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(rsm_request_cancel(w->eng, &w->admin, r2), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(rsm_request_cancel(w->eng, &w->admin, 999999), ERROR_OBJECT_NOT_FOUND);
}

static void test_cancel_access_and_handles(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	rsm_handle u = open_session(w, "u", &w->user);
	struct rsm_mount_args a = {.medium = "T00001L6", .options = RSM_MOUNT_NOWAIT};
	uint64_t r;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	/* a mount of a medium another session holds waits: it stays queued */
	assert_int_equal(rsm_mount(w->eng, u, &w->user, &a, NULL, NULL, &r), ERROR_SUCCESS);
	assert_int_equal(rsm_request_cancel(w->eng, &w->user, r), ERROR_ACCESS_DENIED);
	assert_int_equal(rsm_request_cancel(w->eng, &w->admin, r), ERROR_SUCCESS);
}

static void test_cancel_not_enough_memory(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_mount_args a = {.medium = "T00001L6", .options = RSM_MOUNT_NOWAIT};
	struct rsm_request_info ri;
	uint64_t r;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	rsm_handle u = open_session(w, "u", &w->admin);
	assert_int_equal(rsm_mount(w->eng, u, &w->admin, &a, NULL, NULL, &r), ERROR_SUCCESS);
	/* the catalog may not allocate one more byte */
	sqlite3_int64 old = sqlite3_hard_heap_limit64(sqlite3_memory_used());
	rsm_err e = rsm_request_cancel(w->eng, &w->admin, r);
	sqlite3_hard_heap_limit64(old);
	assert_int_equal(e, ERROR_NOT_ENOUGH_MEMORY);
	assert_int_equal(rsm_request_info(w->eng, r, &ri), ERROR_SUCCESS);
	assert_true(strcmp(ri.state, "waiting") == 0 || strcmp(ri.state, "queued") == 0);
}

/* ---- DismountNtmsMedia ---- */

static void test_dismount_success_immediate_and_deferred(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_library_info before, after;
	struct rsm_medium_info mi;
	uint64_t r;
	char st[32];

	assert_int_equal(mount_wait(w, s, "T00003L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00003L6", RSM_DISMOUNT_DEFERRED, &r),
			 ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	wait_drive_state(w, "d0", "dismountable");
	/* a later mount takes the dismountable medium with no robot move */
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &before), ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00003L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &after), ERROR_SUCCESS);
	assert_int_equal(after.moves, before.moves);
	assert_int_equal(after.mounts, before.mounts + 1);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00003L6", 0, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_equal(rsm_medium_info(w->eng, "T00003L6", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.state, "idle");
	assert_string_equal(mi.location, "slot 2");
}

static void test_dismount_access_denied(void **state)
{
	struct world *w = *state;
	rsm_handle a = open_session(w, "a", &w->admin), b = open_session(w, "b", &w->admin);
	rsm_handle u = open_session(w, "u", &w->user);

	assert_int_equal(mount_wait(w, a, "T00001L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, b, &w->admin, "T00001L6", 0, NULL),
			 ERROR_ACCESS_DENIED);
	/* a user may not act through someone else's session */
	assert_int_equal(rsm_dismount(w->eng, a, &w->user, "T00001L6", 0, NULL),
			 ERROR_ACCESS_DENIED);
	(void)u;
}

static void test_dismount_database_failure(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_drive_info di;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	catalog_block_writes(w);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, NULL),
			 ERROR_DATABASE_FAILURE);
	catalog_unblock();
	assert_int_equal(rsm_drive_info(w->eng, "d0", &di), ERROR_SUCCESS);
	assert_string_equal(di.state, "mounted");
}

static void test_dismount_database_full(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_err e = ERROR_SUCCESS;

	catalog_cap_at_current_size(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	for (int i = 0; i < 2000 && e == ERROR_SUCCESS; i++)
		e = rsm_dismount(w->eng, s, &w->admin, "T00001L6", RSM_DISMOUNT_DEFERRED, NULL);
	assert_int_equal(e, ERROR_DATABASE_FULL);
}

static void test_dismount_device_not_available(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);

	assert_int_equal(mount_wait(w, s, "T00001L6", "d1", 0), ERROR_SUCCESS);
	assert_int_equal(rsm_drive_enable(w->eng, &w->user, "d1", false, NULL),
			 ERROR_ACCESS_DENIED);
	assert_int_equal(rsm_drive_enable(w->eng, &w->admin, "d1", false, NULL), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, NULL),
			 ERROR_DEVICE_NOT_AVAILABLE);
	assert_int_equal(rsm_drive_enable(w->eng, &w->admin, "d1", true, NULL), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, NULL), ERROR_SUCCESS);
}

static void test_dismount_invalid_library(void **state)
{
	struct world *w = *state;
	uint64_t r;
	char st[32];

	rsm_engine_close(w->eng);
	world_add_library(w, "vtl1", 1, 2);
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	/* vtl1's media are numbered after vtl0's six */
	assert_int_equal(mount_wait(w, s, "T00007L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00007L6", RSM_DISMOUNT_DEFERRED, &r),
			 ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	/* vtl1 leaves the configuration; its cartridge is still in its drive */
	w->cfg.nlibraries = 1;
	world_reopen(w);
	s = open_session(w, "a", &w->admin);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00007L6", 0, NULL),
			 ERROR_INVALID_LIBRARY);
}

static void test_dismount_invalid_media_and_state(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);

	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "NOSUCH", 0, NULL),
			 ERROR_INVALID_MEDIA);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, NULL, 0, NULL),
			 ERROR_INVALID_PARAMETER);
	/* in its slot: nothing to dismount */
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00004L6", 0, NULL),
			 ERROR_INVALID_STATE);
	assert_int_equal(rsm_dismount(w->eng, FORGED, &w->admin, "T00004L6", 0, NULL),
			 ERROR_INVALID_HANDLE);
}

static void test_dismount_media_offline(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	uint64_t r;
	char st[32];
	struct rsm_medium_info mi;

	assert_int_equal(rsm_eject(w->eng, s, &w->admin, "T00005L6", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	wait_medium_state(w, "T00005L6", "in-port");
	assert_int_equal(rsm_sim_remove(w->eng, &w->admin, "vtl0", 0), ERROR_SUCCESS);
	assert_int_equal(rsm_medium_info(w->eng, "T00005L6", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.state, "offline");
	assert_string_equal(mi.location, "offline");
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00005L6", 0, NULL),
			 ERROR_MEDIA_OFFLINE);
	/* back in through the port and inject */
	assert_int_equal(rsm_sim_insert(w->eng, &w->admin, "vtl0", "T00005L6", -1), ERROR_SUCCESS);
	assert_int_equal(rsm_inject(w->eng, s, &w->admin, "vtl0", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	wait_medium_state(w, "T00005L6", "idle");
}

static void test_dismount_media_not_available(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_media_enable(w->eng, &w->admin, "T00001L6", false, NULL),
			 ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, NULL),
			 ERROR_MEDIA_NOT_AVAILABLE);
}

static void test_dismount_not_enough_memory(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin);

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	sqlite3_int64 old = sqlite3_hard_heap_limit64(sqlite3_memory_used());
	rsm_err e = rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, NULL);
	sqlite3_hard_heap_limit64(old);
	assert_int_equal(e, ERROR_NOT_ENOUGH_MEMORY);
}

static void test_dismount_timeout(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_drive_info di;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	sqlite3 *other = lock_catalog(w);
	rsm_err e = rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, NULL);
	unlock_catalog(other);
	assert_int_equal(e, ERROR_TIMEOUT);
	assert_int_equal(rsm_drive_info(w->eng, "d0", &di), ERROR_SUCCESS);
	assert_string_equal(di.state, "mounted");
}

/* ---- MountNtmsMedia ---- */

static void test_mount_errors(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin), b = open_session(w, "b", &w->admin);

	assert_int_equal(mount_wait(w, s, "NOSUCH", NULL, 0), ERROR_INVALID_MEDIA);
	assert_int_equal(mount_wait(w, s, "T00001L6", "d9", 0), ERROR_INVALID_DRIVE);
	assert_int_equal(rsm_drive_enable(w->eng, &w->admin, "d1", false, NULL), ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00001L6", "d1", 0), ERROR_DEVICE_NOT_AVAILABLE);
	assert_int_equal(rsm_media_enable(w->eng, &w->admin, "T00002L6", false, NULL),
			 ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00002L6", NULL, 0), ERROR_RESOURCE_DISABLED);
	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, b, "T00001L6", NULL, RSM_MOUNT_ERROR_NOT_AVAILABLE),
			 ERROR_BUSY);
	struct rsm_mount_args bad = {.medium = "T00001L6", .priority = 99, .timeout_ms = -1};
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &bad, waiter_done, NULL, NULL),
			 ERROR_INVALID_PARAMETER);
}

static void test_mount_drive_media_mismatch(void **state)
{
	struct world *w = *state;

	rsm_engine_close(w->eng);
	world_add_library(w, "vtl1", 1, 2);
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	/* d2 belongs to vtl1, T00001L6 to vtl0 */
	assert_int_equal(mount_wait(w, s, "T00001L6", "d2", 0), ERROR_DRIVE_MEDIA_MISMATCH);
}

static void test_mount_offline_error_and_timeout(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin), b = open_session(w, "b", &w->admin);
	uint64_t r;
	char st[32];
	struct waiter wt;
	struct rsm_mount_args a = {.medium = "T00001L6", .timeout_ms = 200};

	assert_int_equal(rsm_eject(w->eng, s, &w->admin, "T00006L6", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_int_equal(rsm_sim_remove(w->eng, &w->admin, "vtl0", -1), ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00006L6", NULL, RSM_MOUNT_ERROR_OFFLINE),
			 ERROR_MEDIA_OFFLINE);
	/* a medium held by another session is waited for, up to the time-out */
	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	waiter_init(&wt);
	assert_int_equal(rsm_mount(w->eng, b, &w->admin, &a, waiter_done, &wt, &r),
			 ERROR_IO_PENDING);
	assert_int_equal(waiter_wait(&wt, 3000), ERROR_TIMEOUT);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "cancelled");
}

static void test_mount_waits_for_other_session(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin), b = open_session(w, "b", &w->admin);
	struct waiter wt;
	struct rsm_mount_args a = {.medium = "T00001L6", .timeout_ms = RSM_WAIT_INFINITE};
	uint64_t r;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	waiter_init(&wt);
	assert_int_equal(rsm_mount(w->eng, b, &w->admin, &a, waiter_done, &wt, &r),
			 ERROR_IO_PENDING);
	world_run_for(w, 100);
	assert_false(wt.done);
	assert_int_equal(
	    rsm_dismount(w->eng, s, &w->admin, "T00001L6", RSM_DISMOUNT_DEFERRED, NULL),
	    ERROR_SUCCESS);
	assert_int_equal(waiter_wait(&wt, 3000), ERROR_SUCCESS);
	struct rsm_drive_info di;
	assert_int_equal(rsm_drive_info(w->eng, wt.drive, &di), ERROR_SUCCESS);
	assert_string_equal(di.session, "b");
	assert_string_equal(di.medium, "T00001L6");
}

static void test_mount_evicts_least_recently_used(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_drive_info d0, d1;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00002L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(
	    rsm_dismount(w->eng, s, &w->admin, "T00002L6", RSM_DISMOUNT_DEFERRED, NULL),
	    ERROR_SUCCESS);
	assert_int_equal(
	    rsm_dismount(w->eng, s, &w->admin, "T00001L6", RSM_DISMOUNT_DEFERRED, NULL),
	    ERROR_SUCCESS);
	wait_drive_state(w, "d0", "dismountable");
	wait_drive_state(w, "d1", "dismountable");
	/* no empty drive: T00003L6 evicts T00002L6, dismounted first */
	assert_int_equal(mount_wait(w, s, "T00003L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_drive_info(w->eng, "d0", &d0), ERROR_SUCCESS);
	assert_int_equal(rsm_drive_info(w->eng, "d1", &d1), ERROR_SUCCESS);
	assert_string_equal(d0.medium, "T00001L6");
	assert_string_equal(d1.medium, "T00003L6");
}

static void test_catalog_survives_restart(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_medium_info mi;
	struct rsm_request_info ri;
	uint64_t r;
	struct rsm_library_info li;
	char guid[64];

	assert_int_equal(mount_wait(w, s, "T00004L6", "d1", 0), ERROR_SUCCESS);
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	snprintf(guid, sizeof(guid), "%s", li.guid);
	struct rsm_mount_args a = {.medium = "T00004L6", .options = RSM_MOUNT_NOWAIT};
	rsm_handle b = open_session(w, "b", &w->admin);
	assert_int_equal(rsm_mount(w->eng, b, &w->admin, &a, NULL, NULL, &r), ERROR_SUCCESS);
	world_reopen(w);
	/* the medium stays in its drive, released; the dead session's request is cancelled */
	assert_int_equal(rsm_medium_info(w->eng, "T00004L6", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.location, "drive d1");
	assert_string_equal(mi.state, "dismountable");
	assert_int_equal(rsm_request_info(w->eng, r, &ri), ERROR_SUCCESS);
	assert_string_equal(ri.state, "cancelled");
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	assert_string_equal(li.guid, guid);
	/* request numbers go on from where they were */
	s = open_session(w, "a", &w->admin);
	uint64_t r2;
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00004L6", 0, &r2), ERROR_SUCCESS);
	assert_true(r2 > r);
}

static void test_request_numbers_never_reused_after_purge(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_names names;
	uint64_t r1, r2;
	char st[32];

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, &r1), ERROR_SUCCESS);
	wait_request_final(w, r1, st, sizeof(st));
	/* no retention: every finished request is purged at the next start */
	w->cfg.request_retention_s = -1;
	world_reopen(w);
	assert_int_equal(rsm_list(w->eng, RSM_KIND_REQUEST, NULL, &names), ERROR_SUCCESS);
	assert_int_equal(names.count, 0);
	rsm_names_free(&names);
	s = open_session(w, "a", &w->admin);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00002L6", 0, &r2),
			 ERROR_INVALID_STATE);
	assert_int_equal(mount_wait(w, s, "T00002L6", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00002L6", 0, &r2), ERROR_SUCCESS);
	assert_true(r2 > r1 + 1);
}

/* Robot moves of one library run one at a time; drive loads overlap. */
static void test_robot_serialised_loads_overlap(void **state)
{
	struct world *w = *state;
	struct rsm_mount_args a = {.medium = "T00001L6", .options = RSM_MOUNT_NOWAIT};
	struct rsm_mount_args b = {.medium = "T00002L6", .options = RSM_MOUNT_NOWAIT};
	struct rsm_library_info li;
	uint64_t r1, r2;
	char st[32];

	rsm_engine_close(w->eng);
	w->cfg.libraries[0].move_time = 0.2;
	w->cfg.libraries[0].load_time = 2.0;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	double t0 = world_now(), t1;
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &a, NULL, NULL, &r1), ERROR_SUCCESS);
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &b, NULL, NULL, &r2), ERROR_SUCCESS);
	wait_request_final(w, r1, st, sizeof(st));
	assert_string_equal(st, "passed");
	wait_request_final(w, r2, st, sizeof(st));
	assert_string_equal(st, "passed");
	t1 = world_now();
	double took = t1 - t0; /* on the virtual clock: the engine's timings, not the machine's */
	/* serial robot (2 x 0.2 s) then overlapping loads: 2.4 s; 4.4 s if nothing overlapped */
	assert_true(took >= 2.35);
	assert_true(took < 3.8);
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	assert_int_equal(li.moves, 2);
	assert_int_equal(li.mounts, 2);
	assert_true(li.mount_secs_max >= 2.35);
}

/* A request's options, priority and session are in its catalog row. */
static void test_request_committed_with_its_options(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	rsm_handle s = open_session(w, "a", &w->admin), b = open_session(w, "b", &w->admin);
	struct rsm_mount_args a = {
	    .medium = "T00001L6", .priority = 5, .options = RSM_MOUNT_NOWAIT | RSM_MOUNT_READ};
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t r;

	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	/* held by session a: b's request stays waiting, its row untouched by later changes */
	assert_int_equal(rsm_mount(w->eng, b, &w->admin, &a, NULL, NULL, &r), ERROR_SUCCESS);
	assert_int_equal(sqlite3_open(w->cfg.database, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT options, priority, session FROM requests "
					    "WHERE number = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), RSM_MOUNT_NOWAIT | RSM_MOUNT_READ);
	assert_int_equal(sqlite3_column_int(st, 1), 5);
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "b");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- a cartridge's way home: the slot it goes to is its own ---- */

/* Puts cartridge barcode into the port and injects it; returns the slot it went to. */
static int inject_one(struct world *w, const char *barcode)
{
	struct rsm_medium_info mi;
	uint64_t r;
	char st[32];
	int slot = -1;

	assert_int_equal(rsm_sim_insert(w->eng, &w->admin, "vtl0", barcode, -1), ERROR_SUCCESS);
	assert_int_equal(rsm_inject(w->eng, 0, &w->admin, "vtl0", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_equal(rsm_medium_info(w->eng, barcode, &mi), ERROR_SUCCESS);
	assert_int_equal(sscanf(mi.location, "slot %d", &slot), 1);
	return slot;
}

static int slot_of(struct world *w, const char *medium)
{
	struct rsm_medium_info mi;
	int slot = -1;

	assert_int_equal(rsm_medium_info(w->eng, medium, &mi), ERROR_SUCCESS);
	assert_int_equal(sscanf(mi.location, "slot %d", &slot), 1);
	return slot;
}

/* Ejects a medium and takes it out of the port: the slot it leaves is empty, and its home
 * still (it may come back). */
static void eject_out(struct world *w, const char *medium)
{
	uint64_t r;
	char st[32];

	assert_int_equal(rsm_eject(w->eng, 0, &w->admin, medium, -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_equal(rsm_sim_remove(w->eng, &w->admin, "vtl0", -1), ERROR_SUCCESS);
}

/* The library's free slots 6 and 7 taken by cartridges that then leave it, and the homes of the
 * two mounted cartridges (slots 0 and 1) taken by two more: what is left for the mounted ones
 * is slots 6 and 7, which are no one's own. */
static void homes_taken(struct world *w)
{
	assert_int_equal(inject_one(w, "X00001L6"), 6); /* free slots first */
	assert_int_equal(inject_one(w, "X00002L6"), 7);
	assert_int_equal(inject_one(w, "X00003L6"), 0); /* then a home waiting for its medium */
	assert_int_equal(inject_one(w, "X00004L6"), 1);
	eject_out(w, "X00001L6");
	eject_out(w, "X00002L6");
}

/* Two cartridges going home at once, their home slots taken: each gets a free slot of its own
 * (the second move is planned once the first one's slot is filled). */
static void test_two_dismounts_get_two_slots(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	uint64_t r1, r2;
	char st[32];

	assert_int_equal(mount_wait(w, s, "T00001L6", "d0", RSM_MOUNT_SPECIFIC_DRIVE),
			 ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00002L6", "d1", RSM_MOUNT_SPECIFIC_DRIVE),
			 ERROR_SUCCESS);
	homes_taken(w);
	assert_int_equal(rsm_sim_timing(w->eng, &w->admin, "vtl0", 1.0, -1, -1), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, &r1), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00002L6", 0, &r2), ERROR_SUCCESS);
	wait_request_final(w, r1, st, sizeof(st));
	assert_string_equal(st, "passed");
	wait_request_final(w, r2, st, sizeof(st));
	assert_string_equal(st, "passed");
	int a = slot_of(w, "T00001L6"), b = slot_of(w, "T00002L6");
	assert_true(a >= 6 && b >= 6 && a != b);
}

/* An inject while a cartridge travels to a free slot: the slot promised to it is not the
 * inject's. */
static void test_inject_while_moving_home(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	struct rsm_request_info ri;
	uint64_t r1, r2;
	char st[32];

	assert_int_equal(mount_wait(w, s, "T00001L6", "d0", RSM_MOUNT_SPECIFIC_DRIVE),
			 ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00002L6", "d1", RSM_MOUNT_SPECIFIC_DRIVE),
			 ERROR_SUCCESS);
	homes_taken(w);
	assert_int_equal(rsm_sim_timing(w->eng, &w->admin, "vtl0", 1.0, -1, -1), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, &r1), ERROR_SUCCESS);
	/* once its move is under way, another cartridge comes in */
	do {
		world_run_for(w, 100);
		assert_int_equal(rsm_request_info(w->eng, r1, &ri), ERROR_SUCCESS);
	} while (strcmp(ri.state, "inprocess") != 0 && world_now() < 100);
	assert_int_equal(rsm_sim_insert(w->eng, &w->admin, "vtl0", "X00005L6", -1), ERROR_SUCCESS);
	assert_int_equal(rsm_inject(w->eng, 0, &w->admin, "vtl0", -1, &r2), ERROR_SUCCESS);
	wait_request_final(w, r1, st, sizeof(st));
	assert_string_equal(st, "passed");
	wait_request_final(w, r2, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_not_equal(slot_of(w, "T00001L6"), slot_of(w, "X00005L6"));
}

/* A library the configuration no longer names is listed offline with its door as it was;
 * the operator closing that door changes the catalog and reaches no backend (it has none). */
static void test_door_of_unconfigured_library(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	struct rsm_library_info li;
	uint64_t r;
	char st[32];

	rsm_engine_close(w->eng);
	world_add_library(w, "vtl1", 1, 2);
	world_open(w);
	assert_int_equal(rsm_library_door_open(w->eng, &w->admin, "vtl1", &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	w->cfg.nlibraries = 1;
	world_reopen(w);
	assert_int_equal(rsm_library_info(w->eng, "vtl1", &li), ERROR_SUCCESS);
	assert_string_equal(li.state, "offline");
	assert_string_equal(li.door, "open");
	assert_int_equal(rsm_library_door_close(w->eng, &w->admin, "vtl1"), ERROR_SUCCESS);
	assert_int_equal(rsm_library_info(w->eng, "vtl1", &li), ERROR_SUCCESS);
	assert_string_equal(li.door, "closed");
}

/* The version a catalog file says it has. */
static int schema_version_of(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A catalog of schema 1 (before libraries had a dismount delay) is upgraded at start, its
 * libraries getting RSM's default delay; what it held is kept. */
static void test_catalog_schema_upgrade(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	struct rsm_library_info li;
	struct rsm_medium_info mi;
	sqlite3 *db;

	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "T00002L6", NULL, 0), ERROR_SUCCESS);
	rsm_engine_close(w->eng);
	w->eng = NULL;
	assert_int_equal(sqlite3_open(w->cfg.database, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "ALTER TABLE libraries DROP COLUMN dismount_delay;"
				      "ALTER TABLE libraries DROP COLUMN mount_buckets;"
				      "ALTER TABLE drives DROP COLUMN bytes_read;"
				      "ALTER TABLE drives DROP COLUMN bytes_written;"
				      "UPDATE schema_version SET version=1",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	world_open(w);
	assert_int_equal(schema_version_of(w->cfg.database), 3);
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	assert_true(li.dismount_delay == 300);
	/* the mount counted before the histogram existed is in its +Inf bucket only */
	assert_int_equal(li.mounts, 1);
	for (int b = 0; b < RSM_MOUNT_BUCKETS; b++)
		assert_int_equal(li.mount_buckets[b], 0);
	assert_int_equal(rsm_medium_info(w->eng, "T00002L6", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.state, "dismountable");
	assert_int_equal(rsm_library_set_dismount_delay(w->eng, &w->admin, "vtl0", 7),
			 ERROR_SUCCESS);
	world_reopen(w);
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	assert_true(li.dismount_delay == 7);
}

/* The bucket of the mount-time histogram a mount of secs seconds is counted in. */
static int bucket_of(double secs)
{
	int b = 0;

	while (b < RSM_MOUNT_BUCKETS && secs > rsm_mount_bucket_bounds[b])
		b++;
	return b;
}

/* Writes n bytes as one record through drive's tape. */
static void tape_put(struct world *w, const char *drive, size_t n)
{
	static char buf[4096];
	uint64_t token;

	assert_true(n <= sizeof(buf));
	assert_int_equal(rsm_tape_open(w->eng, drive, RSM_TAPE_WRITE, &token), ERROR_SUCCESS);
	assert_int_equal(rsm_tape_write(w->eng, drive, token, buf, n), ERROR_SUCCESS);
	assert_int_equal(rsm_tape_flush(w->eng, drive, token), ERROR_SUCCESS);
}

/* rsmfs(5), metrics: a mount's seconds go to its bucket (one served in its drive to the first),
 * bytes through a tape file to its drive; the snapshot holds them with the drives and requests
 * by state, and all of it outlives a restart, bytes of a cartridge still mounted included. */
static void test_metrics_histogram_and_bytes(void **state)
{
	struct world *w = *state;
	struct rsm_metrics m;
	struct rsm_library_info li;
	struct rsm_drive_info di;
	rsm_handle s = open_session(w, "a", &w->admin);
	uint64_t r;
	char st[32];

	assert_int_equal(rsm_sim_timing(w->eng, &w->admin, "vtl0", 1.0, 2.0, -1), ERROR_SUCCESS);
	assert_int_equal(mount_wait(w, s, "T00001L6", "d0", 0), ERROR_SUCCESS);
	tape_put(w, "d0", 1000);
	tape_put(w, "d0", 24);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", RSM_DISMOUNT_DEFERRED, &r),
			 ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS); /* in place */
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	assert_int_equal(li.mounts, 2);
	assert_true(li.mount_secs_max >= 3.0 && li.mount_secs_max < 5.0);
	assert_int_equal(li.mount_buckets[0], 1);
	assert_int_equal(li.mount_buckets[bucket_of(li.mount_secs_max)], 1);
	assert_true(li.mount_secs_sum == li.mount_secs_max);

	assert_int_equal(rsm_metrics_snapshot(w->eng, &m), ERROR_SUCCESS);
	assert_int_equal(m.nlibraries, 1);
	assert_int_equal(m.ndrives, 2);
	assert_string_equal(m.drives[0].name, "d0");
	assert_string_equal(m.drives[0].library, "vtl0");
	assert_string_equal(rsm_drive_state_names[m.drives[0].state], "mounted");
	assert_int_equal(m.drives[0].bytes_written, 1024);
	assert_int_equal(m.drives[0].mounts, 2);
	assert_int_equal(m.libraries[0].drives[2], 1); /* mounted */
	assert_int_equal(m.libraries[0].drives[0], 1); /* empty */
	assert_string_equal(rsm_request_state_names[3], "passed");
	assert_int_equal(m.libraries[0].requests[3], 3);
	assert_int_equal(
	    memcmp(m.libraries[0].info.mount_buckets, li.mount_buckets, sizeof(li.mount_buckets)),
	    0);
	rsm_metrics_free(&m);

	/* a restart: the cartridge is still in d0, its last bytes in no state change's row */
	tape_put(w, "d0", 3000);
	world_reopen(w);
	assert_int_equal(rsm_library_info(w->eng, "vtl0", &li), ERROR_SUCCESS);
	assert_int_equal(li.mounts, 2);
	assert_int_equal(li.mount_buckets[0], 1);
	assert_int_equal(li.mount_buckets[bucket_of(li.mount_secs_max)], 1);
	assert_int_equal(rsm_drive_info(w->eng, "d0", &di), ERROR_SUCCESS);
	assert_int_equal(di.bytes_written, 4024);
	assert_int_equal(di.bytes_read, 0);
}

/* rsmfs(5), libraries/lib/map: the snapshot of a library's places: the drive holding a
 * cartridge with its session, the empty slot that is its home, the other slots and ports. */
static void test_library_map_snapshot(void **state)
{
	struct world *w = *state;
	struct rsm_library_map m;
	rsm_handle s = open_session(w, "nightly", &w->admin);

	assert_int_equal(mount_wait(w, s, "T00002L6", "d1", 0), ERROR_SUCCESS);
	assert_int_equal(rsm_library_map(w->eng, "vtl0", &m), ERROR_SUCCESS);
	assert_int_equal(m.nslots, 8);
	assert_int_equal(m.nports, 1);
	assert_int_equal(m.ndrives, 2);
	assert_string_equal(m.drives[1].drive, "d1");
	assert_string_equal(m.drives[1].state, "mounted");
	assert_string_equal(m.drives[1].barcode, "T00002L6");
	assert_string_equal(m.drives[1].session, "nightly");
	assert_string_equal(m.drives[0].state, "empty");
	assert_string_equal(m.drives[0].medium, "");
	assert_string_equal(m.slots[1].medium, "");
	assert_string_equal(m.slots[1].home, "T00002L6");
	assert_string_equal(m.slots[0].medium, "T00001L6");
	assert_string_equal(m.slots[0].state, "idle");
	assert_int_equal(m.slots[7].address, 7);
	assert_string_equal(m.slots[7].medium, "");
	assert_string_equal(m.slots[7].home, "");
	assert_string_equal(m.ports[0].medium, "");
	assert_string_equal(m.info.name, "vtl0");
	rsm_library_map_free(&m);
	assert_int_equal(rsm_library_map(w->eng, "nope", &m), ERROR_INVALID_LIBRARY);
}

/* ---- the log (rsmfs(8), LOGGING) ---- */

/* The lines the log hook got, "<level> <line>", and whether one came with the lock held. */
static struct {
	char lines[32][300];
	int n;
	bool under_lock;
} captured;

static void capture_line(void *ctx, enum rsm_log_level level, const char *line)
{
	(void)ctx;
	captured.under_lock |= rt_held() != NULL;
	if (captured.n < 32)
		snprintf(captured.lines[captured.n++], sizeof(captured.lines[0]), "%d %s",
			 (int)level, line);
}

/* How many captured lines are line, or end with suffix (when line is NULL). */
static int captured_count(const char *line, const char *suffix)
{
	int count = 0;

	for (int i = 0; i < captured.n; i++) {
		size_t len = strlen(captured.lines[i]);
		if (line ? strcmp(captured.lines[i], line) == 0
			 : len >= strlen(suffix) &&
			       strcmp(captured.lines[i] + len - strlen(suffix), suffix) == 0)
			count++;
	}
	return count;
}

/* One line per finished request and per device fault, at its level, none below the level
 * asked for, and never while the engine lock is held. */
static void test_log_lines_outside_the_lock(void **state)
{
	struct world *w = *state;
	rsm_handle s = open_session(w, "a", &w->admin);
	uint64_t r;
	char st[32];

	memset(&captured, 0, sizeof(captured));
	rsm_set_log(capture_line, NULL, RSM_LOG_NOTICE);
	assert_int_equal(mount_wait(w, s, "T00001L6", "d0", RSM_MOUNT_SPECIFIC_DRIVE),
			 ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "T00001L6", 0, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_int_equal(rsm_sim_drive_fault(w->eng, &w->admin, "vtl0", "d1", true), ERROR_SUCCESS);
	rsm_set_log(NULL, NULL, RSM_LOG_WARNING);
	for (int i = 0; i < captured.n; i++)
		print_message("%s\n", captured.lines[i]);
	assert_false(captured.under_lock);
	assert_int_equal(
	    captured_count("2 request 1 mount T00001L6 drive=d0 library=vtl0 session=a: passed",
			   NULL),
	    1);
	assert_int_equal(
	    captured_count("2 request 2 dismount T00001L6 drive=d0 library=vtl0 session=a: passed",
			   NULL),
	    1);
	assert_int_equal(
	    captured_count(
		"0 drive d1 of library vtl0: failed ERROR_DEVICE_NOT_AVAILABLE: needs service",
		NULL),
	    1);
	assert_int_equal(captured_count(NULL, ": queued"), 0);
	assert_int_equal(captured_count(NULL, ": inprocess"), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_table),
	    T(test_close_session_success_and_invalid_handle),
	    T(test_close_session_connection_unavail),
	    T(test_close_session_unwinds_blocked_mount),
	    T(test_open_notification_errors),
	    T(test_close_notification_errors),
	    T(test_close_notification_with_outstanding_wait),
	    T(test_notification_events_and_end),
	    T(test_notification_overflow),
	    T(test_cancel_queued_while_busy_and_in_process),
	    T(test_cancel_access_and_handles),
	    T(test_cancel_not_enough_memory),
	    T(test_dismount_success_immediate_and_deferred),
	    T(test_dismount_access_denied),
	    T(test_dismount_database_failure),
	    T(test_dismount_database_full),
	    T(test_dismount_device_not_available),
	    T(test_dismount_invalid_library),
	    T(test_dismount_invalid_media_and_state),
	    T(test_dismount_media_offline),
	    T(test_dismount_media_not_available),
	    T(test_dismount_not_enough_memory),
	    T(test_dismount_timeout),
	    T(test_mount_errors),
	    T(test_mount_drive_media_mismatch),
	    T(test_mount_offline_error_and_timeout),
	    T(test_mount_waits_for_other_session),
	    T(test_mount_evicts_least_recently_used),
	    T(test_catalog_survives_restart),
	    T(test_request_numbers_never_reused_after_purge),
	    T(test_robot_serialised_loads_overlap),
	    T(test_request_committed_with_its_options),
	    T(test_two_dismounts_get_two_slots),
	    T(test_inject_while_moving_home),
	    T(test_door_of_unconfigured_library),
	    T(test_catalog_schema_upgrade),
	    T(test_metrics_histogram_and_bytes),
	    T(test_library_map_snapshot),
	    T(test_log_lines_outside_the_lock),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
