/* test_history.c - the history of finished requests stays within its bounds (at most
 * request_keep_max kept, the newest), in memory and in the catalog, while requests that have
 * not finished are never dropped; and a catalog that grew past the bound is trimmed when the
 * engine starts; and the trim makes no commit of its own.  Also: lookups by name in a library
 * of several hundred cartridges, and an administrator's change recorded with its request or not
 * at all. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	world_init(w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	free(*state);
	return 0;
}

/* One mount and immediate dismount of medium, waited for: two finished requests; returns
 * the dismount's number. */
static uint64_t cycle(struct world *w, rsm_handle s, const char *medium)
{
	uint64_t r;
	char st[32];

	assert_int_equal(mount_wait(w, s, medium, NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, medium, RSM_DISMOUNT_IMMEDIATE, &r),
			 ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	return r;
}

/* The request numbers the engine lists, and the catalog's count of request rows. */
static void listed(struct world *w, struct rsm_names *names, int *rows)
{
	assert_int_equal(rsm_list(w->eng, RSM_KIND_REQUEST, NULL, names), ERROR_SUCCESS);
	*rows = (int)catalog_number(w, "SELECT count(*) FROM requests");
}

/* Past request_keep_max the oldest finished requests go, from the list and the catalog, as
 * newer ones finish; a mount still waiting for its medium stays however old it is. */
static void test_history_keeps_newest_and_unfinished(void **state)
{
	struct world *w = *state;
	struct rsm_mount_args a = {.medium = "T00001L6", .timeout_ms = RSM_WAIT_INFINITE};
	struct rsm_names names;
	struct waiter wt;
	uint64_t waiting, last = 0;
	int rows;
	char st[32];

	w->cfg.request_keep_max = 4;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin), other = open_session(w, "b", &w->admin);
	assert_int_equal(mount_wait(w, s, "T00001L6", NULL, 0), ERROR_SUCCESS);
	waiter_init(&wt);
	assert_int_equal(rsm_mount(w->eng, other, &w->admin, &a, waiter_done, &wt, &waiting),
			 ERROR_IO_PENDING);
	for (int i = 0; i < 6; i++)
		last = cycle(w, s, i % 2 ? "T00002L6" : "T00003L6");
	listed(w, &names, &rows);
	/* 4 finished (the newest: the last two cycles) + the waiting mount */
	assert_int_equal(names.count, 5);
	assert_int_equal(rows, 5);
	char want[32];
	snprintf(want, sizeof(want), "%llu", (unsigned long long)waiting);
	assert_string_equal(names.names[0], want);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)last);
	assert_string_equal(names.names[4], want);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)(last - 3));
	assert_string_equal(names.names[1], want);
	rsm_names_free(&names);
	/* the waiting mount was not forgotten: it goes ahead when the medium comes free */
	assert_int_equal(
	    rsm_dismount(w->eng, s, &w->admin, "T00001L6", RSM_DISMOUNT_IMMEDIATE, NULL),
	    ERROR_SUCCESS);
	assert_int_equal(waiter_wait(&wt, 5000), ERROR_SUCCESS);
	wait_request_final(w, waiting, st, sizeof(st));
	assert_string_equal(st, "passed");
}

/* The catalog commits a disable or an enable of drive d1 makes (a change in a transaction of
 * its own, with its request). */
static uint64_t commits_of_switch(struct world *w, bool enable)
{
	struct rsm_metrics m;
	uint64_t number;

	assert_int_equal(rsm_metrics_snapshot(w->eng, &m), ERROR_SUCCESS);
	uint64_t before = m.commits.count;
	rsm_metrics_free(&m);
	assert_int_equal(rsm_drive_enable(w->eng, &w->admin, "d1", enable, &number), ERROR_SUCCESS);
	assert_int_equal(rsm_metrics_snapshot(w->eng, &m), ERROR_SUCCESS);
	uint64_t n = m.commits.count - before;
	rsm_metrics_free(&m);
	return n;
}

/* Once the history is full, trimming it makes no commit of its own (a second disk write
 * before every event is heard of): the trimmed rows go with the next commit, a second later
 * when none comes, or with the engine's close. */
static void test_history_trim_rides_the_next_commit(void **state)
{
	struct world *w = *state;
	struct rsm_names names;
	int rows;

	w->cfg.request_keep_max = 4;
	world_open(w);
	uint64_t below = commits_of_switch(w, false);
	for (int i = 1; i < 4; i++)
		assert_int_equal(commits_of_switch(w, i % 2 == 0), below); /* 4 finished */
	for (int i = 0; i < 3; i++)
		assert_int_equal(commits_of_switch(w, i % 2 == 0), below); /* each trims one */
	listed(w, &names, &rows);
	assert_int_equal(names.count, 4);
	assert_true(rows == 4 || rows == 5); /* the last one's row goes with the next commit */
	rsm_names_free(&names);
	world_run_for(w, 1500);
	listed(w, &names, &rows);
	assert_int_equal(names.count, 4);
	assert_int_equal(rows, 4);
	rsm_names_free(&names);
	/* a trim the close finds due */
	commits_of_switch(w, false);
	rsm_engine_close(w->eng);
	assert_int_equal(catalog_number(w, "SELECT count(*) FROM requests"), 4);
	world_open(w);
}

/* A catalog holding more history than request_keep_max (written by a run with a larger
 * bound) is trimmed to the newest when the engine starts, and numbering goes on. */
static void test_history_trimmed_at_start(void **state)
{
	struct world *w = *state;
	struct rsm_names names;
	uint64_t last = 0, next;
	int rows;

	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	for (int i = 0; i < 5; i++)
		last = cycle(w, s, "T00002L6");
	rsm_engine_close(w->eng);
	w->cfg.request_keep_max = 3;
	world_open(w);
	listed(w, &names, &rows);
	assert_int_equal(names.count, 3);
	assert_int_equal(rows, 3);
	char want[32];
	snprintf(want, sizeof(want), "%llu", (unsigned long long)(last - 2));
	assert_string_equal(names.names[0], want);
	rsm_names_free(&names);
	s = open_session(w, "a", &w->admin);
	next = cycle(w, s, "T00002L6");
	assert_true(next == last + 2);
}

/* Every one of 300 cartridges is found by name (and a name that is not there is not), and so
 * is one added later. */
static void test_lookup_among_many_media(void **state)
{
	struct world *w = *state;
	struct rsm_medium_info mi;
	char name[32];

	w->cfg.libraries[0].slots = 320;
	w->cfg.libraries[0].media = 300;
	world_open(w);
	for (int i = 1; i <= 300; i++) {
		snprintf(name, sizeof(name), "T%05dL6", i);
		assert_int_equal(rsm_medium_info(w->eng, name, &mi), ERROR_SUCCESS);
		assert_string_equal(mi.name, name);
		assert_string_equal(mi.barcode, name);
	}
	assert_int_equal(rsm_medium_info(w->eng, "T00301L6", &mi), ERROR_INVALID_MEDIA);
	assert_int_equal(rsm_medium_info(w->eng, "", &mi), ERROR_INVALID_MEDIA);
	rsm_handle s = open_session(w, "a", &w->admin);
	cycle(w, s, "T00300L6");
	/* a cartridge new to the catalog, put in the port: found by name, and by its barcode
	 * when it comes back after being taken out (not discovered a second time) */
	assert_int_equal(rsm_sim_insert(w->eng, &w->admin, "vtl0", "NEW001", -1), ERROR_SUCCESS);
	assert_int_equal(rsm_medium_info(w->eng, "NEW001", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.location, "port 0");
	assert_int_equal(rsm_sim_remove(w->eng, &w->admin, "vtl0", 0), ERROR_SUCCESS);
	assert_int_equal(rsm_sim_insert(w->eng, &w->admin, "vtl0", "NEW001", -1), ERROR_SUCCESS);
	struct rsm_names names;
	int count = 0;
	assert_int_equal(rsm_list(w->eng, RSM_KIND_MEDIUM, NULL, &names), ERROR_SUCCESS);
	for (size_t i = 0; i < names.count; i++)
		count += strcmp(names.names[i], "NEW001") == 0;
	assert_int_equal(names.count, 301);
	assert_int_equal(count, 1);
	rsm_names_free(&names);
}

/* The drives row's enabled column and the number of request rows, read from the catalog. */
static void catalog_drive_and_requests(struct world *w, const char *drive, int *enabled,
				       int *requests)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(w->cfg.database, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT enabled, (SELECT count(*) FROM requests) "
					    "FROM drives WHERE name = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, drive, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*enabled = sqlite3_column_int(st, 0);
	*requests = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A catalog that cannot grow takes a drive's new state in place but has no room for the
 * disable's request: the command fails with ERROR_DATABASE_FULL and changes nothing, neither
 * the drive (in the engine or the catalog) nor the request history; with room again, the
 * next disable takes the next number. */
static void test_refused_disable_changes_nothing(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	struct rsm_drive_info di;
	struct rsm_names names;
	rsm_err e = ERROR_SUCCESS;
	uint64_t number = 0, last = 0;
	int enabled, rows, rows_before = 0, i;
	bool disable = true;

	world_open(w);
	catalog_cap_at_current_size(w);
	for (i = 0; i < 5000; i++) {
		disable = i % 2 == 0;
		catalog_drive_and_requests(w, "d1", &enabled, &rows_before);
		e = rsm_drive_enable(w->eng, &w->admin, "d1", !disable, &number);
		if (e != ERROR_SUCCESS)
			break;
		last = number;
	}
	assert_int_equal(e, ERROR_DATABASE_FULL);
	assert_true(i > 0);
	assert_int_equal(rsm_drive_info(w->eng, "d1", &di), ERROR_SUCCESS);
	assert_string_equal(di.state, disable ? "empty" : "disabled");
	catalog_drive_and_requests(w, "d1", &enabled, &rows);
	assert_int_equal(enabled, disable);
	assert_int_equal(rows, rows_before);
	assert_int_equal(rsm_list(w->eng, RSM_KIND_REQUEST, NULL, &names), ERROR_SUCCESS);
	assert_int_equal(names.count, (size_t)rows);
	rsm_names_free(&names);
	w->cfg.database_max_size = 0;
	world_reopen(w);
	assert_int_equal(rsm_drive_enable(w->eng, &w->admin, "d1", !disable, &number),
			 ERROR_SUCCESS);
	assert_int_equal(number, last + 1);
	assert_int_equal(rsm_drive_info(w->eng, "d1", &di), ERROR_SUCCESS);
	assert_string_equal(di.state, disable ? "disabled" : "empty");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_history_keeps_newest_and_unfinished),
	    T(test_history_trim_rides_the_next_commit),
	    T(test_history_trimmed_at_start),
	    T(test_lookup_among_many_media),
	    T(test_refused_disable_changes_nothing),
	};
	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
