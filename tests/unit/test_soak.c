/* test_soak.c - the engine under 32 concurrent sessions, run in make check and, built with
 * ThreadSanitizer (configure --enable-tsan), by scripts/check.
 *
 * Each session's thread loops over mounts of random media (16 cartridges, 4 drives) and ends
 * each one differently: a deferred or immediate dismount, a cancel of the pending mount, or an
 * abandon (what an interrupted write does).  A watchdog fails the test when no operation has
 * finished for 10 s (a deadlock).  At the end every request must be final and every cartridge
 * in exactly one place that slots, drives and media agree on.
 *
 * SOAK_SECONDS (default 4) bounds the run; make stress sets it higher.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define SESSIONS 32
#define MEDIA 16
#define DRIVES 4

static struct world w;
static atomic_uint_fast64_t progress;
static atomic_bool stop_all;
static atomic_int live_workers; /* the watchdog watches while any is running */
static atomic_int failures;
static char failure[256];

struct worker {
	int id;
	unsigned seed;
	rsm_handle session;
	uint64_t mounts, cancels, abandons, refusals;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail_soak(const char *what, rsm_err e)
{
	if (atomic_fetch_add(&failures, 1) == 0)
		snprintf(failure, sizeof(failure), "%s: %s (%u)", what, rsm_error_name(e), e);
}

/* Errors a busy shared library may legitimately answer; anything else is a failure. */
static bool expected(rsm_err e)
{
	return e == ERROR_SUCCESS || e == ERROR_CANCELLED || e == ERROR_TIMEOUT ||
	       e == ERROR_MEDIA_NOT_AVAILABLE || e == ERROR_BUSY || e == ERROR_INVALID_MEDIA ||
	       e == ERROR_OBJECT_NOT_FOUND || e == ERROR_ACCESS_DENIED ||
	       e == ERROR_DEVICE_NOT_AVAILABLE;
}

/* One mount and its ending. */
static void one_round(struct worker *k)
{
	char medium[16];
	struct waiter wt;
	uint64_t req = 0;
	int how = rand_r(&k->seed) % 4;

	snprintf(medium, sizeof(medium), "T%05dL6", 1 + rand_r(&k->seed) % MEDIA);
	struct rsm_mount_args a = {.medium = medium, .timeout_ms = 3000};
	waiter_init(&wt);
	rsm_err e = rsm_mount(w.eng, k->session, &w.admin, &a, waiter_done, &wt, &req);
	if (e != ERROR_IO_PENDING) {
		if (!expected(e))
			fail_soak("mount refused", e);
		k->refusals++;
		goto done;
	}
	/* a reader looks at the request while the engine works on it (attribute files do) */
	struct rsm_request_info ri;
	if (rsm_request_info(w.eng, req, &ri) != ERROR_SUCCESS || ri.number != req)
		fail_soak("request info", ERROR_OBJECT_NOT_FOUND);
	if (how == 2) {
		e = rsm_request_cancel(w.eng, &w.admin, req);
		if (!expected(e))
			fail_soak("cancel", e);
		k->cancels++;
	} else if (how == 3 && rsm_mount_abandon(w.eng, req)) {
		k->abandons++;
		goto done; /* the completion never runs */
	}
	/* every other way ends with the completion */
	pthread_mutex_lock(&wt.lock);
	while (!wt.done)
		pthread_cond_wait(&wt.cond, &wt.lock);
	e = wt.err;
	pthread_mutex_unlock(&wt.lock);
	if (!expected(e))
		fail_soak("mount completion", e);
	if (e == ERROR_SUCCESS) {
		k->mounts++;
		e = rsm_dismount(w.eng, k->session, &w.admin, medium,
				 how == 0 ? RSM_DISMOUNT_DEFERRED : 0, &req);
		if (!expected(e))
			fail_soak("dismount", e);
	}
done:
	atomic_fetch_add(&progress, 1);
}

static void *worker_main(void *arg)
{
	struct worker *k = arg;
	while (!atomic_load(&stop_all))
		one_round(k);
	atomic_fetch_sub(&live_workers, 1);
	return NULL;
}

/* Fails the run when no round finished for 10 s while a worker still runs (the stop included:
 * a worker stuck in its last round is a deadlock too). */
static void *watchdog_main(void *arg)
{
	uint64_t last = atomic_load(&progress);
	double since = now();
	(void)arg;
	while (atomic_load(&live_workers) > 0) {
		usleep(100000);
		uint64_t p = atomic_load(&progress);
		if (p != last) {
			last = p;
			since = now();
		} else if (now() - since > 10) {
			fprintf(stderr, "watchdog: no progress for 10 s after %llu rounds\n",
				(unsigned long long)p);
			abort();
		}
	}
	return NULL;
}

/* Every cartridge in exactly one place, and slots, drives and media saying the same. */
static void check_places(void)
{
	struct rsm_names media = {0}, drives = {0};
	char *slots = rsm_library_slots_text(w.eng, "vtl0", false);
	int seen_in_slot[MEDIA + 1] = {0}, seen_in_drive[MEDIA + 1] = {0};

	assert_non_null(slots);
	for (char *save, *line = strtok_r(slots, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int addr, m;
		char state[8], name[32];
		assert_int_equal(sscanf(line, "%d %7s %31s", &addr, state, name), 3);
		if (strcmp(name, "-") != 0 && sscanf(name, "T%05dL6", &m) == 1) {
			seen_in_slot[m]++;
			char want[32];
			struct rsm_medium_info mi;
			assert_int_equal(rsm_medium_info(w.eng, name, &mi), ERROR_SUCCESS);
			snprintf(want, sizeof(want), "slot %d", addr);
			assert_string_equal(mi.location, want);
		}
	}
	free(slots);
	assert_int_equal(rsm_list(w.eng, RSM_KIND_DRIVE, NULL, &drives), ERROR_SUCCESS);
	for (size_t i = 0; i < drives.count; i++) {
		struct rsm_drive_info di;
		int m;
		assert_int_equal(rsm_drive_info(w.eng, drives.names[i], &di), ERROR_SUCCESS);
		if (di.medium[0] && sscanf(di.medium, "T%05dL6", &m) == 1) {
			seen_in_drive[m]++;
			struct rsm_medium_info mi;
			char want[64];
			assert_int_equal(rsm_medium_info(w.eng, di.medium, &mi), ERROR_SUCCESS);
			snprintf(want, sizeof(want), "drive %s", di.name);
			assert_string_equal(mi.location, want);
		}
	}
	rsm_names_free(&drives);
	assert_int_equal(rsm_list(w.eng, RSM_KIND_MEDIUM, NULL, &media), ERROR_SUCCESS);
	assert_int_equal(media.count, MEDIA);
	for (int m = 1; m <= MEDIA; m++)
		if (seen_in_slot[m] + seen_in_drive[m] != 1)
			fail_msg("T%05dL6 is in %d slots and %d drives", m, seen_in_slot[m],
				 seen_in_drive[m]);
	rsm_names_free(&media);
}

static void test_soak_32_sessions(void **state)
{
	struct worker k[SESSIONS];
	pthread_t th[SESSIONS], dog;
	const char *env = getenv("SOAK_SECONDS");
	double seconds = env ? atof(env) : 4;
	(void)state;

	world_init(&w);
	w.real_time = true; /* 32 threads against the engine's own worker, on the real clock */
	w.cfg.libraries[0].drives = DRIVES;
	w.cfg.libraries[0].slots = 24;
	w.cfg.libraries[0].media = MEDIA;
	world_open(&w);
	for (int i = 0; i < SESSIONS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "soak%d", i);
		k[i] = (struct worker){.id = i, .seed = 7919u * (unsigned)(i + 1)};
		assert_int_equal(rsm_session_open(w.eng, name, "soak", &w.admin, &k[i].session),
				 ERROR_SUCCESS);
	}
	atomic_store(&live_workers, SESSIONS);
	assert_int_equal(pthread_create(&dog, NULL, watchdog_main, NULL), 0);
	for (int i = 0; i < SESSIONS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &k[i]), 0);
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop_all, true);
	for (int i = 0; i < SESSIONS; i++)
		pthread_join(th[i], NULL);
	pthread_join(dog, NULL);

	uint64_t mounts = 0, cancels = 0, abandons = 0, refusals = 0;
	for (int i = 0; i < SESSIONS; i++) {
		mounts += k[i].mounts, cancels += k[i].cancels;
		abandons += k[i].abandons, refusals += k[i].refusals;
		assert_int_equal(rsm_session_close(w.eng, k[i].session), ERROR_SUCCESS);
	}
	printf("# soak: %.0f s, %llu rounds: %llu mounts, %llu cancels, %llu abandons, "
	       "%llu refused\n",
	       seconds, (unsigned long long)atomic_load(&progress), (unsigned long long)mounts,
	       (unsigned long long)cancels, (unsigned long long)abandons,
	       (unsigned long long)refusals);
	if (atomic_load(&failures))
		fail_msg("%d unexpected outcomes; first: %s", atomic_load(&failures), failure);
	assert_true(mounts > 0);

	/* every request of the run reaches a final state once its sessions are gone */
	struct rsm_names reqs = {0};
	assert_int_equal(rsm_list(w.eng, RSM_KIND_REQUEST, NULL, &reqs), ERROR_SUCCESS);
	for (size_t i = 0; i < reqs.count; i++) {
		char st[32];
		wait_request_final(&w, strtoull(reqs.names[i], NULL, 10), st, sizeof(st));
	}
	rsm_names_free(&reqs);
	check_places();
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_soak_32_sessions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
