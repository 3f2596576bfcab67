/* engine.c - the top of the engine: its life cycle (open, stop, close), the built-in
 * configuration, and the settle that runs before every release of the lock.
 *
 * The floors, from the ground up: runtime.c (lock, deferred calls, timers, clock, GUIDs);
 * model.c and notify.c (the objects and their events); catalog*.c (where they are kept);
 * requests.c (the life cycles of requests and operator requests); inventory.c (what backends
 * report); backend*.c (the libraries' backends); jobs.c and scheduler.c (work in flight and
 * the choice of work); the *_ops.c files, session.c and info.c (the API of rsm.h); and this
 * file with startup.c on top.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "catalog.h"
#include "jobs.h"
#include "log.h"
#include "notify.h"
#include "requests.h"
#include "site.h"
#include "startup.h"

/* Passes of the scheduler in one settle: each runs while the one before changed something (a
 * request that finished at once may free what another waits for); they converge quickly. */
#define SCHEDULE_PASSES 16

void rsm_format_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0) {
		buf[0] = '\0';
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void rsm_config_default(struct rsm_config *cfg)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	memset(cfg, 0, sizeof(*cfg));
	if (geteuid() == 0)
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/rsmfs");
	else if (xdg && *xdg)
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s/rsmfs", xdg);
	else
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s/.local/share/rsmfs",
			 home ? home : "/tmp");
	snprintf(cfg->database, sizeof(cfg->database), "%s/rsm.db", cfg->data_dir);
	cfg->create_data_dir = true;
	snprintf(cfg->admin_group, sizeof(cfg->admin_group), "tape");
	cfg->request_retention_s = 24 * 3600;
	cfg->request_keep_max = 10000;
	cfg->busy_timeout_ms = 5000;
	cfg->max_sessions_per_user = 64;
	cfg->max_channels_per_user = 1024;
	cfg->max_requests_per_user = 1000;
	cfg->max_opreqs_per_user = 100;
	/* a site names its hosts; the host name is the default (rsmfs.conf(5)) */
	if (gethostname(cfg->host, sizeof(cfg->host)) < 0 || !cfg->host[0])
		snprintf(cfg->host, sizeof(cfg->host), "localhost");
	cfg->host[sizeof(cfg->host) - 1] = '\0';
	cfg->lease_time = 5;
	cfg->nlibraries = 1;
	rsm_library_config_default(&cfg->libraries[0], "vtl0");
}

/* A timer that does nothing itself: the worker settles after it. */
static void settle_again(struct rsm_engine *eng, void *arg)
{
	(void)eng, (void)arg;
}

/* The settle (runtime.h): before the lock is released, work that a change made possible is
 * started, the history is trimmed and the burst's transitions are committed, so that nobody
 * hears of a change the catalog does not hold.  The scheduler runs here and nowhere else:
 * every change of state is announced by an event, so a settle that saw no new event has
 * nothing new to schedule. */
static void engine_settle(struct rsm_engine *eng)
{
	bool changed = eng->event_seq != eng->scheduled_seq;

	for (int pass = 0; eng->scheduling && !eng->stopping && pass < SCHEDULE_PASSES &&
			   eng->event_seq != eng->scheduled_seq;
	     pass++) {
		eng->scheduled_seq = eng->event_seq;
		robots_kick(eng);
		schedule(eng);
	}
	if (changed && eng->scheduling && !eng->stopping) {
		dismount_delays_watch(eng);
		put_back_early(eng);
	}
	/* still changing after every pass: the worker settles again at once */
	if (eng->scheduling && !eng->stopping && eng->event_seq != eng->scheduled_seq)
		timer_add(&eng->rt, 0, settle_again, NULL);
	requests_trim(eng);
	catalog_batch_commit(eng);
}

void rsm_set_observer(struct rsm_engine *eng, rsm_observer_fn fn, void *ctx)
{
	engine_lock(eng);
	eng->observer = fn;
	eng->observer_ctx = ctx;
	engine_unlock(eng);
}

double rsm_run_timers(struct rsm_engine *eng)
{
	return rt_run_timers(&eng->rt);
}

/* ---- open / stop / close ---- */

/* A configured catalog location that does not exist: the directory of the database and the
 * data directory must be there already.  true (with a message) when one is missing. */
static bool data_dirs_missing(const struct rsm_config *cfg, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;
	const char *slash = strrchr(cfg->database, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - cfg->database) : 1,
		 slash ? cfg->database : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	const char *check[] = {dir, cfg->data_dir};
	for (int i = 0; i < 2; i++) {
		if (stat(check[i], &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		snprintf(err, errlen,
			 "the catalog directory %s does not exist (create it, or leave database "
			 "and data_dir out of the configuration to use the default)",
			 check[i]);
		return true;
	}
	return false;
}

/* The data directory, where the catalog (by default) and the backends' files live. */
static int prepare_data_dir(const struct rsm_config *cfg, char *err, size_t errlen)
{
	if (!cfg->create_data_dir && data_dirs_missing(cfg, err, errlen))
		return -1;
	if (make_dirs(cfg->data_dir) < 0) {
		snprintf(err, errlen, "cannot create data directory %s: %s", cfg->data_dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Starts the libraries' threads, and the worker that fires the timers.  A catalog that can
 * only be read is a daemon that changes nothing: its backends touch no device. */
static int start_threads(struct rsm_engine *eng, char *err, size_t errlen)
{
	if (!eng->cfg.manual_timers && rt_start_worker(&eng->rt) < 0) {
		snprintf(err, errlen, "cannot start the engine thread");
		return -1;
	}
	/* in a site, only the libraries this host manages (one taken over starts then) */
	for (int i = 0; i < eng->nlibraries && !catalog_readonly(eng); i++)
		if (eng->libraries[i].ops && eng->libraries[i].ops->start &&
		    eng->libraries[i].managed) {
			eng->libraries[i].threads_started = true;
			eng->libraries[i].ops->start(eng, i);
		}
	return 0;
}

static void purge_timer(struct rsm_engine *eng, void *arg)
{
	(void)arg;
	requests_purge(eng);
	if (!eng->stopping)
		timer_add(&eng->rt, 60, purge_timer, NULL);
}

struct rsm_engine *rsm_engine_open(const struct rsm_config *cfg, char *err, size_t errlen)
{
	struct rsm_engine *eng = calloc(1, sizeof(*eng));

	if (!eng) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	eng->cfg = *cfg;
	rt_init(&eng->rt, eng, engine_settle);
	eng->next_request = 1;
	eng->next_opreq = 1;
	if (prepare_data_dir(cfg, err, errlen) < 0 ||
	    catalog_open(eng, err, errlen) != ERROR_SUCCESS || site_open(eng, err, errlen) < 0)
		goto fail;
	if (catalog_readonly(eng)) /* a catalog fault from the start (rsmfs(8), CATALOG FAULTS) */
		engine_log(RSM_LOG_ERROR,
			   "catalog: read-only %s: %s cannot be written, every change fails",
			   rsm_error_name(ERROR_DATABASE_FAILURE), cfg->database);
	engine_lock(eng);
	int rc = engine_start(eng, err, errlen);
	engine_unlock(eng);
	if (rc < 0 || start_threads(eng, err, errlen) < 0 || site_start(eng, err, errlen) < 0)
		goto fail;
	engine_lock(eng);
	if (!catalog_readonly(eng))
		requests_purge(eng); /* history that expired while the daemon was down */
	timer_add(&eng->rt, 60, purge_timer, NULL);
	eng->scheduling = true;
	eng->scheduled_seq = eng->event_seq - 1; /* the first settle looks at the queue */
	engine_unlock(eng);
	return eng;
fail:
	rsm_engine_close(eng);
	return NULL;
}

/* The byte counters of the drives whose tape was used since their row was last written
 * (tape_ops.c counts them without a catalog write per record): kept at the close, once no
 * thread is left to count more. */
static void save_byte_counters(struct rsm_engine *eng)
{
	rsm_err e = ERROR_SUCCESS;
	bool any = false;

	for (int i = 0; i < eng->ndrives; i++)
		any = any || eng->drives[i].bytes_unsaved;
	if (!any || catalog_begin(eng) != ERROR_SUCCESS)
		return;
	for (int i = 0; e == ERROR_SUCCESS && i < eng->ndrives; i++)
		if (eng->drives[i].bytes_unsaved) {
			e = catalog_save_drive(eng, &eng->drives[i]);
			eng->drives[i].bytes_unsaved = false;
		}
	catalog_end(eng, e);
}

void rsm_engine_stop(struct rsm_engine *eng)
{
	engine_lock(eng);
	if (!eng->stopping) {
		eng->stopping = true;
		requests_answer_all(eng); /* every blocked mount: the service is going away */
		channels_stop_all(eng);
	}
	engine_unlock(eng);
}

void rsm_engine_close(struct rsm_engine *eng)
{
	if (!eng)
		return;
	if (eng->rt.worker_started)
		rsm_engine_stop(eng);
	rt_stop_worker(&eng->rt);
	for (int i = 0; i < eng->nlibraries; i++)
		if (eng->libraries[i].ops && eng->libraries[i].ops->stop)
			eng->libraries[i].ops->stop(eng, i);
	save_byte_counters(eng);
	catalog_close(eng);
	site_close(eng); /* after the last commit: its leases fenced it */
	for (int i = 0; i < eng->nlibraries; i++) {
		free(eng->libraries[i].slot_medium);
		free(eng->libraries[i].slot_home);
		free(eng->libraries[i].port_medium);
		free(eng->libraries[i].drive_index);
	}
	jobs_free(eng);
	requests_free(eng);
	channels_free(eng);
	free(eng->libraries);
	free(eng->drives);
	free(eng->media);
	name_index_free(&eng->drive_names);
	name_index_free(&eng->media_names);
	name_index_free(&eng->media_barcodes);
	free(eng->pools);
	free(eng->sessions);
	rt_destroy(&eng->rt);
	free(eng);
}
