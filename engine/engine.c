/* engine.c - engine life cycle, the big lock, deferred callbacks and the timer thread.
 *
 * All robot and drive timings of the sim backend, mount time-outs and request purges are
 * timers run by one worker thread, so no caller ever sleeps inside the engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static double (*clock_source)(void); /* rsm_set_clock; NULL: CLOCK_MONOTONIC */

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

/* A random (version 4) GUID in lower-case 8-4-4-4-12 form. */
void guid_new(char out[RSM_GUID_LEN + 1])
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, b, sizeof(b)) : -1;

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof(b)) {
		/* urandom cannot fail on Linux short of fd exhaustion; fall back to the clock */
		uint64_t x = (uint64_t)(mono_now() * 1e9) ^ (uint64_t)getpid() << 32;
		for (size_t i = 0; i < sizeof(b); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (unsigned char)(x >> 56);
		}
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, RSM_GUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

/* DESIGN §1 names: letters, digits, '.', '_', '-'; 1-64 characters; not starting with '.'. */
bool valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > RSM_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void rsm_config_default(struct rsm_config *cfg)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	struct rsm_library_config *l = &cfg->libraries[0];

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
	cfg->nlibraries = 1;
	snprintf(l->name, sizeof(l->name), "vtl0");
	snprintf(l->backend, sizeof(l->backend), "sim");
	snprintf(l->media_type, sizeof(l->media_type), "LTO-6");
	l->drives = 2;
	l->slots = 16;
	l->ports = 1;
	l->media = 12;
	l->move_time = 1.0;
	l->load_time = 2.0;
	l->unload_time = 2.0;
}

/* ---- the lock and the calls deferred until it is released ---- */

void engine_lock(struct rsm_engine *eng)
{
	pthread_mutex_lock(&eng->lock);
}

static int deferred_push(struct rsm_engine *eng, struct deferred *d)
{
	if (eng->ndeferred == eng->deferred_cap) {
		size_t cap = eng->deferred_cap ? eng->deferred_cap * 2 : 64;
		struct deferred *n = realloc(eng->deferred, cap * sizeof(*n));
		if (!n)
			return -1;
		eng->deferred = n;
		eng->deferred_cap = cap;
	}
	eng->deferred[eng->ndeferred++] = *d;
	return 0;
}

void defer_done(struct rsm_engine *eng, rsm_done_fn done, void *ctx, rsm_err err,
		uint64_t request, const char *drive)
{
	struct deferred d = {.kind = 0, .done = done, .a = ctx, .err = err, .request = request};

	if (drive)
		snprintf(d.drive, sizeof(d.drive), "%s", drive);
	deferred_push(eng, &d);
}

void defer_ready(struct rsm_engine *eng, rsm_ready_fn ready, void *ctx)
{
	struct deferred d = {.kind = 1, .a = (void *)ready, .b = ctx};
	deferred_push(eng, &d);
}

void defer_observe(struct rsm_engine *eng, const struct rsm_event *ev)
{
	struct deferred d = {.kind = 2, .ev = *ev};
	if (eng->observer)
		deferred_push(eng, &d);
}

/* Releases the lock, then runs what was deferred under it, in order. */
void engine_unlock(struct rsm_engine *eng)
{
	requests_trim(eng);
	catalog_batch_commit(eng); /* nobody hears of a change before the catalog holds it */
	while (eng->ndeferred) {
		size_t n = eng->ndeferred;
		struct deferred *list = malloc(n * sizeof(*list));
		rsm_observer_fn observer = eng->observer;
		void *observer_ctx = eng->observer_ctx;

		if (!list)
			break; /* they stay queued and run at the next unlock */
		memcpy(list, eng->deferred, n * sizeof(*list));
		eng->ndeferred = 0;
		pthread_mutex_unlock(&eng->lock);
		for (size_t i = 0; i < n; i++) {
			struct deferred *d = &list[i];
			if (d->kind == 0)
				d->done(d->a, d->err, d->request, d->drive[0] ? d->drive : NULL);
			else if (d->kind == 1)
				((rsm_ready_fn)d->a)(d->b);
			else if (observer)
				observer(observer_ctx, &d->ev);
		}
		free(list);
		pthread_mutex_lock(&eng->lock);
		catalog_batch_commit(eng);
	}
	pthread_mutex_unlock(&eng->lock);
}

/* ---- timers ---- */

void timer_add(struct rsm_engine *eng, double delay, void (*fn)(struct rsm_engine *, void *),
	       void *arg)
{
	struct timer *t = calloc(1, sizeof(*t)), **pp;

	if (!t)
		abort(); /* a lost timer would strand a cartridge mid-move */
	t->when = mono_now() + (delay > 0 ? delay : 0);
	t->fn = fn;
	t->arg = arg;
	for (pp = &eng->timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	pthread_cond_signal(&eng->worker_cond);
}

/* Removes every pending timer whose argument is arg. */
void timer_cancel_arg(struct rsm_engine *eng, void *arg)
{
	struct timer **pp = &eng->timers;

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

static void purge_timer(struct rsm_engine *eng, void *arg)
{
	(void)arg;
	requests_purge(eng);
	if (!eng->stopping)
		timer_add(eng, 60, purge_timer, NULL);
}

/* Takes the first timer off the list and runs it (under the lock). */
static void timer_fire_first(struct rsm_engine *eng)
{
	struct timer *t = eng->timers;

	eng->timers = t->next;
	t->fn(eng, t->arg);
	free(t);
}

/* Due timers fired in one hold of the lock (and so one catalog commit): enough to carry a
 * zero-time mount through all its phases at once, few enough that nobody waits long. */
#define TIMER_BURST 8

/* The worker: fires due timers under the lock, sleeping on the condition variable between. */
static void *worker_main(void *arg)
{
	struct rsm_engine *eng = arg;
	int burst = 0;

	engine_lock(eng);
	while (!eng->quit) {
		struct timer *t = eng->timers;
		double now = mono_now();

		if (t && t->when <= now && burst < TIMER_BURST) {
			timer_fire_first(eng);
			burst++;
			continue;
		}
		if (burst) {
			/* the burst's changes are committed in one transaction, then the replies
			 * and events it collected go out, outside the lock */
			burst = 0;
			engine_unlock(eng);
			engine_lock(eng);
			continue;
		}
		if (t) {
			struct timespec ts;
			double when = t->when;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			double wait = when - now;
			ts.tv_sec += (time_t)wait;
			ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&eng->worker_cond, &eng->lock, &ts);
		} else {
			pthread_cond_wait(&eng->worker_cond, &eng->lock);
		}
	}
	engine_unlock(eng);
	return NULL;
}

double rsm_run_timers(struct rsm_engine *eng)
{
	double next = -1;

	engine_lock(eng);
	while (eng->timers && eng->timers->when <= mono_now()) {
		timer_fire_first(eng);
		engine_unlock(eng); /* the replies and events of each timer, in order */
		engine_lock(eng);
	}
	if (eng->timers)
		next = eng->timers->when;
	engine_unlock(eng);
	return next;
}

/* ---- open / stop / close ---- */


static int make_dirs(const char *path)
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

struct rsm_engine *rsm_engine_open(const struct rsm_config *cfg, char *err, size_t errlen)
{
	struct rsm_engine *eng = calloc(1, sizeof(*eng));
	pthread_condattr_t ca;
	char images[4200], sim[4200];

	if (!eng) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	eng->cfg = *cfg;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&eng->worker_cond, &ca);
	pthread_cond_init(&eng->notify_cond, &ca);
	pthread_condattr_destroy(&ca);
	eng->next_request = 1;
	eng->next_opreq = 1;

	if (!cfg->create_data_dir && data_dirs_missing(cfg, err, errlen))
		goto fail;
	snprintf(images, sizeof(images), "%s/images", cfg->data_dir);
	snprintf(sim, sizeof(sim), "%s/sim", cfg->data_dir);
	if (make_dirs(cfg->data_dir) < 0 || make_dirs(images) < 0 || make_dirs(sim) < 0) {
		snprintf(err, errlen, "cannot create data directory %s: %s", cfg->data_dir,
			 strerror(errno));
		goto fail;
	}
	if (catalog_open(eng, err, errlen) != ERROR_SUCCESS)
		goto fail;
	if (catalog_load(eng) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot read catalog %s: %s", cfg->database,
			 sqlite3_errmsg(eng->db));
		goto fail;
	}
	if (engine_create_libraries(eng, err, errlen) < 0)
		goto fail;
	if (!eng->db_readonly)
		load_settle(eng);
	if (!cfg->manual_timers) {
		if (pthread_create(&eng->worker, NULL, worker_main, eng) != 0) {
			snprintf(err, errlen, "cannot start the engine thread");
			goto fail;
		}
		eng->worker_started = true;
	}
	for (int i = 0; i < eng->nlibraries; i++)
		scsi_library_start(eng, i);
	engine_lock(eng);
	if (!eng->db_readonly)
		requests_purge(eng); /* history that expired while the daemon was down */
	timer_add(eng, 60, purge_timer, NULL);
	schedule(eng);
	engine_unlock(eng);
	return eng;
fail:
	rsm_engine_close(eng);
	return NULL;
}

void rsm_set_observer(struct rsm_engine *eng, rsm_observer_fn fn, void *ctx)
{
	engine_lock(eng);
	eng->observer = fn;
	eng->observer_ctx = ctx;
	engine_unlock(eng);
}

void rsm_engine_stop(struct rsm_engine *eng)
{
	engine_lock(eng);
	if (eng->stopping) {
		engine_unlock(eng);
		return;
	}
	eng->stopping = true;
	/* answer every blocked mount: the service is going away */
	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (r->done) {
			defer_done(eng, r->done, r->done_ctx, ERROR_NOT_CONNECTED, r->number, NULL);
			r->done = NULL;
		}
	}
	channels_stop_all(eng);
	pthread_cond_broadcast(&eng->notify_cond);
	engine_unlock(eng);
}

void rsm_engine_close(struct rsm_engine *eng)
{
	if (!eng)
		return;
	if (eng->worker_started) {
		rsm_engine_stop(eng);
		engine_lock(eng);
		eng->quit = true;
		pthread_cond_signal(&eng->worker_cond);
		engine_unlock(eng);
		pthread_join(eng->worker, NULL);
	}
	for (int i = 0; i < eng->nlibraries; i++)
		scsi_library_stop(eng, i);
	while (eng->timers) {
		struct timer *t = eng->timers;
		eng->timers = t->next;
		free(t);
	}
	catalog_close(eng);
	for (int i = 0; i < eng->nlibraries; i++) {
		free(eng->libraries[i].slot_medium);
		free(eng->libraries[i].port_medium);
		free(eng->libraries[i].drive_index);
		free(eng->libraries[i].sim_written);
	}
	while (eng->jobs)
		job_free(eng, eng->jobs);
	for (size_t i = 0; i < eng->nrequests; i++)
		free(eng->requests[i]);
	for (size_t i = 0; i < eng->nopreqs; i++)
		free(eng->opreqs[i]);
	free(eng->opreqs);
	for (int i = 0; i < eng->nchannels; i++)
		channel_free_ring(&eng->channels[i]);
	free(eng->libraries);
	free(eng->drives);
	free(eng->media);
	name_index_free(&eng->drive_names);
	name_index_free(&eng->media_names);
	name_index_free(&eng->media_barcodes);
	free(eng->pools);
	free(eng->requests);
	free(eng->sessions);
	free(eng->channels);
	free(eng->deferred);
	pthread_mutex_destroy(&eng->lock);
	pthread_cond_destroy(&eng->worker_cond);
	pthread_cond_destroy(&eng->notify_cond);
	free(eng);
}
