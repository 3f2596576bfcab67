/* catalog.c - the catalog's implementation-independent half: choosing the implementation,
 * transactions of the callers' own and the batch of the burst under way (catalog.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"

#define CAT(eng) ((eng)->catalog)
#define OPS(eng) ((eng)->catalog->ops)

/* A site's catalog is PostgreSQL (catalog = postgresql://...), else the SQLite file. */
rsm_err catalog_open(struct rsm_engine *eng, char *err, size_t errlen)
{
	const struct catalog_ops *ops = eng->cfg.catalog[0] ? &catalog_pg_ops : &catalog_sqlite_ops;

	eng->catalog = ops->open(&eng->cfg, err, errlen);
	if (eng->catalog)
		eng->catalog->eng = eng;
	return eng->catalog ? ERROR_SUCCESS : ERROR_DATABASE_FAILURE;
}

/* A PostgreSQL catalog of one host behaves as the SQLite file; the site's own rules (numbers
 * taken from the catalog, fenced intents) apply once several hosts share it. */
bool catalog_shared(const struct rsm_engine *eng)
{
	return eng->site && eng->catalog && eng->catalog->ops->take_number;
}

void catalog_close(struct rsm_engine *eng)
{
	if (!eng->catalog)
		return;
	timer_cancel_arg(&eng->rt, eng->catalog);
	timer_cancel_arg(&eng->rt, &eng->catalog->trimmed);
	if (eng->catalog->ntrimmed)
		catalog_batch_begin(eng); /* the trimmed rows go with it */
	catalog_batch_commit(eng);
	free(eng->catalog->trimmed);
	OPS(eng)->close(CAT(eng));
	eng->catalog = NULL;
}

bool catalog_readonly(const struct rsm_engine *eng)
{
	return !eng->catalog || eng->catalog->readonly;
}

const char *catalog_error(struct rsm_engine *eng)
{
	return eng->catalog ? OPS(eng)->last_error(CAT(eng)) : "no catalog";
}

rsm_err catalog_load(struct rsm_engine *eng)
{
	return OPS(eng)->load(CAT(eng), eng);
}

rsm_err catalog_clear_sessions(struct rsm_engine *eng)
{
	return OPS(eng)->clear_sessions(CAT(eng));
}

rsm_err catalog_begin(struct rsm_engine *eng)
{
	if (catalog_readonly(eng))
		return ERROR_DATABASE_FAILURE;
	catalog_batch_commit(eng);
	return OPS(eng)->begin(CAT(eng));
}

/* How long a commit may wait to reach the disk with synchronous = normal (rsmfs.conf(5)). */
#define FLUSH_DELAY 1.0

/* The timer a second after a commit: the batch under way and everything before it go to
 * the disk. */
static void flush_due(struct rsm_engine *eng, void *arg)
{
	(void)arg;
	if (!eng->catalog)
		return;
	eng->catalog->flush_pending = false;
	if (catalog_batch_commit(eng) == ERROR_SUCCESS)
		OPS(eng)->flush(CAT(eng));
}

const double rsm_commit_bucket_bounds[RSM_COMMIT_BUCKETS] = {
    0.00001, 0.00002, 0.00003, 0.00004, 0.00005, 0.00006, 0.00008, 0.0001,
    0.00015, 0.0002,  0.0003,  0.0005,	0.001,	 0.002,	  0.005,   0.01};

/* Counts a commit of secs seconds (the engine lock held): what every change waits for before
 * anyone hears of it, so the benchmark can tell it from the rest of an event's latency. */
static void commit_count(struct rsm_engine *eng, double secs)
{
	struct rsm_commit_metrics *m = &eng->commits;
	int b = 0;

	while (b < RSM_COMMIT_BUCKETS && secs > rsm_commit_bucket_bounds[b])
		b++;
	if (b < RSM_COMMIT_BUCKETS)
		m->buckets[b]++;
	m->count++;
	m->secs_sum += secs;
}

/* Seconds on CLOCK_MONOTONIC: a commit's real time, whatever clock the engine runs on. */
static double real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How long a trimmed request's row waits for another commit to take it along. */
#define TRIM_DELAY 1.0

/* Deletes the rows of the requests trimmed since the last commit, in the transaction about to
 * commit.  A row a failed statement leaves is never listed again: the load keeps no more than
 * request_keep_max (catalog_sqlite.c, pg_read.c). */
static void delete_trimmed(struct rsm_engine *eng)
{
	struct catalog *c = CAT(eng);

	for (size_t i = 0; i < c->ntrimmed; i++)
		catalog_delete_request(eng, c->trimmed[i]);
	c->ntrimmed = 0;
}

/* The timer a second after a trim: no commit took its rows along, so one of their own does. */
static void trimmed_due(struct rsm_engine *eng, void *arg)
{
	(void)arg;
	if (!eng->catalog)
		return;
	eng->catalog->trim_due = false;
	if (eng->catalog->ntrimmed && catalog_batch_begin(eng) == ERROR_SUCCESS)
		catalog_batch_commit(eng);
}

rsm_err catalog_delete_request_later(struct rsm_engine *eng, uint64_t number)
{
	struct catalog *c = CAT(eng);

	if (!c)
		return ERROR_DATABASE_FAILURE;
	if (c->ntrimmed == c->trimmed_cap) {
		size_t cap = c->trimmed_cap ? c->trimmed_cap * 2 : 16;
		uint64_t *v = realloc(c->trimmed, cap * sizeof(*v));
		if (!v)
			return ERROR_NOT_ENOUGH_MEMORY;
		c->trimmed = v;
		c->trimmed_cap = cap;
	}
	c->trimmed[c->ntrimmed++] = number;
	if (!c->trim_due) {
		c->trim_due = true;
		timer_add(&eng->rt, TRIM_DELAY, trimmed_due, &c->trimmed);
	}
	return ERROR_SUCCESS;
}

rsm_err catalog_commit(struct rsm_engine *eng)
{
	if (CAT(eng)->ntrimmed)
		delete_trimmed(eng);
	double t0 = real_now();
	rsm_err e = OPS(eng)->commit(CAT(eng));

	commit_count(eng, real_now() - t0);

	if (e != ERROR_SUCCESS) {
		catalog_rollback(eng);
		return e;
	}
	/* synchronous = normal: the commit is in the log, not on the disk; it gets there within a
	 * second, so that a power loss takes back no more than that */
	if (eng->cfg.synchronous_normal && !CAT(eng)->flush_pending) {
		CAT(eng)->flush_pending = true;
		timer_add(&eng->rt, FLUSH_DELAY, flush_due, CAT(eng));
	}
	return e;
}

void catalog_rollback(struct rsm_engine *eng)
{
	if (eng->catalog && OPS(eng)->in_transaction(CAT(eng)))
		OPS(eng)->rollback(CAT(eng));
}

rsm_err catalog_end(struct rsm_engine *eng, rsm_err e)
{
	if (e == ERROR_SUCCESS)
		return catalog_commit(eng);
	catalog_rollback(eng);
	return e;
}

/* ---- rows ---- */

rsm_err catalog_save_library(struct rsm_engine *eng, const struct library *l)
{
	return OPS(eng)->save_library(CAT(eng), eng, l);
}

rsm_err catalog_save_drive(struct rsm_engine *eng, const struct drive *d)
{
	return OPS(eng)->save_drive(CAT(eng), eng, d);
}

rsm_err catalog_save_medium(struct rsm_engine *eng, const struct medium *m)
{
	return OPS(eng)->save_medium(CAT(eng), eng, m);
}

rsm_err catalog_save_pool(struct rsm_engine *eng, const struct pool *p)
{
	return OPS(eng)->save_pool(CAT(eng), eng, p);
}

rsm_err catalog_save_request(struct rsm_engine *eng, const struct request *r)
{
	return OPS(eng)->save_request(CAT(eng), eng, r);
}

rsm_err catalog_save_opreq(struct rsm_engine *eng, const struct opreq *o)
{
	return OPS(eng)->save_opreq(CAT(eng), eng, o);
}

rsm_err catalog_save_session(struct rsm_engine *eng, const struct session *s)
{
	return OPS(eng)->save_session(CAT(eng), s);
}

rsm_err catalog_delete_pool(struct rsm_engine *eng, const char *name)
{
	return OPS(eng)->delete_pool(CAT(eng), name);
}

rsm_err catalog_delete_request(struct rsm_engine *eng, uint64_t number)
{
	return OPS(eng)->delete_request(CAT(eng), number);
}

rsm_err catalog_delete_opreq(struct rsm_engine *eng, uint64_t number)
{
	return OPS(eng)->delete_opreq(CAT(eng), number);
}

rsm_err catalog_delete_session(struct rsm_engine *eng, const char *name)
{
	return OPS(eng)->delete_session(CAT(eng), name);
}

rsm_err catalog_add_channel(struct rsm_engine *eng, const char *session, int type, int64_t *row)
{
	return OPS(eng)->add_channel(CAT(eng), session, rsm_object_type_name(type), row);
}

rsm_err catalog_delete_channel(struct rsm_engine *eng, int64_t row)
{
	return OPS(eng)->delete_channel(CAT(eng), row);
}

rsm_err catalog_set_meta(struct rsm_engine *eng, const char *key, uint64_t value)
{
	return OPS(eng)->set_meta(CAT(eng), key, value);
}

rsm_err catalog_save_intent(struct rsm_engine *eng, const char *library, const char *medium,
			    int source, int destination, uint64_t request)
{
	if (!catalog_shared(eng))
		return OPS(eng)->save_intent(CAT(eng), library, medium, source, destination,
					     request);
	/* a site's: committed, with the library's lease checked in the same transaction, before
	 * the move is sent (fencing: a host whose lease has passed sends nothing) */
	rsm_err e = catalog_begin(eng);
	if (e == ERROR_SUCCESS)
		e = OPS(eng)->save_intent(CAT(eng), library, medium, source, destination, request);
	return catalog_end(eng, e);
}

rsm_err catalog_clear_intent(struct rsm_engine *eng, const char *library)
{
	return OPS(eng)->clear_intent(CAT(eng), library);
}

int catalog_load_intent(struct rsm_engine *eng, const char *library, char *medium, size_t len,
			int *source, int *destination)
{
	return OPS(eng)->load_intent(CAT(eng), library, medium, len, source, destination);
}

/* ---- state transitions and the batch ---- */

rsm_err catalog_save_state_in(struct rsm_engine *eng, struct drive *d, struct medium *m,
			      struct request *r)
{
	rsm_err e = ERROR_SUCCESS;

	if (d)
		e = catalog_save_drive(eng, d);
	if (e == ERROR_SUCCESS && m)
		e = catalog_save_medium(eng, m);
	if (e == ERROR_SUCCESS && r)
		e = catalog_save_request(eng, r);
	return e;
}

rsm_err catalog_batch_begin(struct rsm_engine *eng)
{
	rsm_err e = ERROR_SUCCESS;
	struct catalog *c = CAT(eng);

	if (!c)
		return ERROR_DATABASE_FAILURE;
	/* inside a caller's own transaction (catalog_begin), that one */
	if (!c->batch_open && !c->ops->in_transaction(c)) {
		e = catalog_begin(eng);
		c->batch_open = e == ERROR_SUCCESS;
	}
	return e;
}

rsm_err catalog_save_state(struct rsm_engine *eng, struct drive *d, struct medium *m,
			   struct request *r)
{
	rsm_err e = catalog_batch_begin(eng);

	/* a failure was logged by the statement that failed (catalog_sqlite.c) */
	if (e == ERROR_SUCCESS)
		e = catalog_save_state_in(eng, d, m, r);
	return e;
}

rsm_err catalog_save_counters(struct rsm_engine *eng, const struct library *l)
{
	rsm_err e = catalog_batch_begin(eng);

	/* a failure was logged by the statement that failed (catalog_sqlite.c) */
	if (e == ERROR_SUCCESS)
		e = catalog_save_library(eng, l);
	return e;
}

rsm_err catalog_save_checked(struct rsm_engine *eng, struct drive *d, struct medium *m,
			     struct request *r)
{
	rsm_err e = catalog_begin(eng);

	if (e == ERROR_SUCCESS)
		e = catalog_save_state_in(eng, d, m, r);
	return catalog_end(eng, e);
}

rsm_err catalog_batch_commit(struct rsm_engine *eng)
{
	if (!eng->catalog || !eng->catalog->batch_open)
		return ERROR_SUCCESS;
	eng->catalog->batch_open = false;
	return catalog_commit(eng); /* a failure logs itself (catalog_sqlite.c) */
}

/* ---- a site's ---- */

rsm_err catalog_take_number(struct rsm_engine *eng, const char *counter, uint64_t *local,
			    uint64_t *out)
{
	if (!catalog_shared(eng)) {
		*out = *local;
		return ERROR_SUCCESS;
	}
	rsm_err e = OPS(eng)->take_number(CAT(eng), counter, out);
	if (e == ERROR_SUCCESS && *out >= *local)
		*local = *out; /* what the model lists next, for tools reading the counter */
	return e;
}

int catalog_claim_request(struct rsm_engine *eng, struct request *r)
{
	if (!catalog_shared(eng))
		return 1;
	if (catalog_batch_begin(eng) != ERROR_SUCCESS)
		return -1;
	return OPS(eng)->claim_request(CAT(eng), eng, r);
}

rsm_err catalog_save_sim_record(struct rsm_engine *eng, int li, const char *text)
{
	rsm_err e = catalog_batch_begin(eng);

	return e == ERROR_SUCCESS ? OPS(eng)->save_sim_record(CAT(eng), eng, li, text) : e;
}

rsm_err catalog_load_sim_record(struct rsm_engine *eng, const char *library, char **text)
{
	return OPS(eng)->load_sim_record(CAT(eng), library, text);
}

rsm_err catalog_save_drive_host(struct rsm_engine *eng, const char *drive, const char *device)
{
	return OPS(eng)->save_drive_host(CAT(eng), drive, device);
}

void catalog_meta_raise(struct rsm_engine *eng, const char *key, uint64_t value)
{
	static const struct {
		const char *key;
		size_t offset;
	} counters[] = {
	    {"next_request", offsetof(struct rsm_engine, next_request)},
	    {"next_opreq", offsetof(struct rsm_engine, next_opreq)},
	    {"next_unlabeled", offsetof(struct rsm_engine, next_unlabeled)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
		uint64_t *field = (uint64_t *)((char *)eng + counters[i].offset);
		if (strcmp(key, counters[i].key) == 0 && value > *field)
			*field = value;
	}
}
