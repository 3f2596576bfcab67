/* pg_read.c - the catalog's rows read from PostgreSQL into the model at start-up
 * (catalog_pg.h).
 *
 * The model is read as from the SQLite file (catalog_sqlite.c): every table in its order, the
 * links by name, the finished requests trimmed to the retention first.  Each object read gets
 * its shadow (pg_write.c), so that only what later changes is written back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pg.h"
#include "requests.h"

static const char *txt(const struct pg_row *r, int col)
{
	return PQgetisnull(r->res, r->row, col) ? "" : PQgetvalue(r->res, r->row, col);
}

static long long num(const struct pg_row *r, int col)
{
	return strtoll(txt(r, col), NULL, 10);
}

static double real(const struct pg_row *r, int col)
{
	return strtod(txt(r, col), NULL);
}

#define COPY(dst, r, col) snprintf((dst), sizeof(dst), "%s", txt((r), (col)))

void pg_library_fill(const struct pg_row *r, struct library *l)
{
	COPY(l->name, r, 0);
	COPY(l->guid, r, 1);
	COPY(l->type, r, 2);
	l->enabled = num(r, 3);
	COPY(l->backend, r, 4);
	COPY(l->changer, r, 5);
	COPY(l->door, r, 6);
	l->nslots = (int)num(r, 7);
	l->nports = (int)num(r, 8);
	l->moves = (uint64_t)num(r, 9);
	l->mounts = (uint64_t)num(r, 10);
	l->failures = (uint64_t)num(r, 11);
	l->mount_secs_total = real(r, 12);
	l->mount_secs_max = real(r, 13);
	l->dismount_delay = real(r, 14);
	library_buckets_parse(l, txt(r, 15));
	l->reachable = num(r, 16);
	l->inventorying = num(r, 17);
	l->config = NO_INDEX;
}

static int library_row(struct rsm_engine *eng, const struct pg_row *r)
{
	struct library *l = array_grow((void **)&eng->libraries, &eng->nlibraries, sizeof(*l));

	if (!l)
		return -1;
	pg_library_fill(r, l);
	l->reachable = l->inventorying = false; /* what the changer says now (startup.c) */
	return 0;
}

void pg_pool_fill(const struct pg_row *r, struct pool *p)
{
	COPY(p->name, r, 0);
	COPY(p->guid, r, 1);
	COPY(p->type, r, 2);
	COPY(p->media_type, r, 3);
	p->draw = num(r, 4);
	p->ret = num(r, 5);
	p->uid = (uid_t)num(r, 6);
	p->gid = (gid_t)num(r, 7);
	p->mode = (mode_t)num(r, 8);
}

static int pool_row(struct rsm_engine *eng, const struct pg_row *r)
{
	struct pool *p = array_grow((void **)&eng->pools, &eng->npools, sizeof(*p));

	if (!p)
		return -1;
	pg_pool_fill(r, p);
	return 0;
}

/* A drive's row into d (its medium and session linked by the caller). */
void pg_drive_fill(struct rsm_engine *eng, const struct pg_row *r, struct drive *d)
{
	COPY(d->name, r, 0);
	COPY(d->guid, r, 1);
	d->library = library_find(eng, txt(r, 2));
	d->number = (int)num(r, 3);
	d->state = (enum drive_state)name_lookup(&drive_states, txt(r, 4));
	d->enabled = num(r, 5);
	d->failed = d->state == DRIVE_FAILED;
	d->medium = NO_INDEX; /* linked once media are read (startup.c) */
	d->session = d->vdrive = NO_INDEX;
	d->last_used = (uint64_t)num(r, 7);
	d->mounts = (uint64_t)num(r, 8);
	d->cleanings = (uint64_t)num(r, 9);
	d->errors = (uint64_t)num(r, 10);
	COPY(d->last_cleaned, r, 11);
	d->bytes_read = (uint64_t)num(r, 12);
	d->bytes_written = (uint64_t)num(r, 13);
}

static int drive_row(struct rsm_engine *eng, const struct pg_row *r)
{
	struct drive *d = array_grow((void **)&eng->drives, &eng->ndrives, sizeof(*d));

	if (!d)
		return -1;
	pg_drive_fill(eng, r, d);
	if (d->last_used > eng->lru_clock)
		eng->lru_clock = d->last_used;
	return 0;
}

/* A medium's row into m (its sides are rows of their own). */
void pg_medium_fill(struct rsm_engine *eng, const struct pg_row *r, struct medium *m)
{
	COPY(m->name, r, 0);
	COPY(m->guid, r, 1);
	COPY(m->barcode, r, 2);
	COPY(m->type, r, 3);
	m->state = (enum media_state)name_lookup(&media_states, txt(r, 4));
	m->enabled = num(r, 5);
	m->library = library_find(eng, txt(r, 6));
	m->pool = pool_find(eng, txt(r, 7));
	m->loc = (enum loc_kind)name_lookup(&loc_kinds, txt(r, 8));
	m->loc_addr = (int)num(r, 9);
	m->home_slot = (int)num(r, 10);
}

static int medium_row(struct rsm_engine *eng, const struct pg_row *r)
{
	struct medium *m = array_grow((void **)&eng->media, &eng->nmedia, sizeof(*m));

	if (!m)
		return -1;
	pg_medium_fill(eng, r, m);
	return 0;
}

/* A side's row into its medium m. */
void pg_side_fill(const struct pg_row *r, struct medium *m)
{
	int side = (int)num(r, 2);

	if (side < 0 || side >= 2)
		return;
	struct side *s = &m->sides[side];
	COPY(s->guid, r, 0);
	s->state = (enum side_state)name_lookup(&side_states, txt(r, 3));
	COPY(s->owner, r, 4);
	if (m->nsides < side + 1)
		m->nsides = side + 1;
}

static int side_row(struct rsm_engine *eng, const struct pg_row *r)
{
	int mi = medium_find(eng, txt(r, 1));

	if (mi >= 0)
		pg_side_fill(r, &eng->media[mi]);
	return 0;
}

/* A request's row into r. */
void pg_request_fill(struct rsm_engine *eng, const struct pg_row *row, struct request *r)
{
	r->number = (uint64_t)num(row, 0);
	COPY(r->guid, row, 1);
	r->op = (enum req_op)name_lookup(&req_ops, txt(row, 2));
	r->state = (enum req_state)name_lookup(&req_states, txt(row, 3));
	COPY(r->session_name, row, 4);
	r->session = NO_INDEX;
	r->medium = medium_find(eng, txt(row, 5));
	r->drive = drive_find(eng, txt(row, 6));
	r->library = library_find(eng, txt(row, 7));
	r->priority = (int)num(row, 8);
	r->options = (unsigned)num(row, 9);
	r->submitted = num(row, 10);
	r->started = num(row, 11);
	r->finished = num(row, 12);
	r->error = (rsm_err)num(row, 13);
	COPY(r->error_detail, row, 14);
	r->port = (int)num(row, 15);
	r->vdrive = NO_INDEX; /* a session's virtual drive: sessions do not outlive the run */
	r->specific_drive = num(row, 17);
	r->pool = pool_find(eng, txt(row, 18));
	r->opreq = (uint64_t)num(row, 19);
	r->opreq_satisfied = num(row, 20);
	COPY(r->result, row, 21);
}

static int request_row(struct rsm_engine *eng, const struct pg_row *row)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r || request_array_reserve(eng) < 0) {
		free(r);
		return -1;
	}
	pg_request_fill(eng, row, r);
	eng->requests[eng->nrequests++] = r;
	if (r->number >= eng->next_request)
		eng->next_request = r->number + 1;
	return 0;
}

/* An operator request's row into o. */
void pg_opreq_fill(struct rsm_engine *eng, const struct pg_row *r, struct opreq *o)
{
	o->number = (uint64_t)num(r, 0);
	COPY(o->guid, r, 1);
	o->type = (enum opreq_type)name_lookup(&opreq_types, txt(r, 2));
	o->state = (enum opreq_state)name_lookup(&opreq_states, txt(r, 3));
	COPY(o->message, r, 4);
	o->request = (uint64_t)num(r, 5);
	o->library = library_find(eng, txt(r, 6));
	o->drive = drive_find(eng, txt(r, 7));
	o->submitted = num(r, 8);
	o->finished = num(r, 9);
}

static int opreq_row(struct rsm_engine *eng, const struct pg_row *r)
{
	struct opreq *o = calloc(1, sizeof(*o));

	if (!o || opreq_array_reserve(eng) < 0) {
		free(o);
		return -1;
	}
	pg_opreq_fill(eng, r, o);
	eng->opreqs[eng->nopreqs++] = o;
	if (o->number >= eng->next_opreq)
		eng->next_opreq = o->number + 1;
	return 0;
}

/* Counters that never go back (every finished request may have been purged). */
static int meta_row(struct rsm_engine *eng, const struct pg_row *r)
{
	catalog_meta_raise(eng, txt(r, 0), (uint64_t)num(r, 1));
	return 0;
}

/* SQL's side of request_finished(): queued, waiting and in process are not finished */
#define UNFINISHED "state IN ('queued','waiting','inprocess')"
/* the request_keep_max finished requests that finished last ($1) */
#define KEPT_FINISHED                                                                              \
	"number IN (SELECT number FROM requests WHERE NOT " UNFINISHED                             \
	" ORDER BY finished DESC, number DESC LIMIT $1)"

/* What is read, in order: an object's links name objects read before it. */
static const struct {
	const char *sql;
	int (*row)(struct rsm_engine *eng, const struct pg_row *r);
	bool keep; /* takes request_keep_max as $1 */
} reads[] = {
    {"SELECT * FROM libraries ORDER BY position", library_row, false},
    {"SELECT * FROM pools ORDER BY position", pool_row, false},
    {"SELECT * FROM drives ORDER BY position", drive_row, false},
    {"SELECT * FROM media ORDER BY position", medium_row, false},
    {"SELECT guid, medium, side, state, owner FROM sides", side_row, false},
    {"SELECT * FROM requests WHERE " UNFINISHED " OR " KEPT_FINISHED " ORDER BY number",
     request_row, true},
    {"SELECT number, guid, type, state, message, request, library, drive, submitted, finished"
     " FROM opreqs ORDER BY number",
     opreq_row, false},
    {"SELECT key, value FROM meta", meta_row, false},
};

/* Runs one query of reads[] and hands each row to its function (which fails only without
 * memory). */
static rsm_err read_table(struct pg_catalog *c, struct rsm_engine *eng, size_t i)
{
	char keep[16];
	const char *p[] = {keep};
	int rc = 0;

	snprintf(keep, sizeof(keep), "%d", eng->cfg.request_keep_max);
	PGresult *res = pg_run(c, reads[i].sql, reads[i].keep ? 1 : 0, p);
	if (!res)
		return c->last_err;
	for (int row = 0; rc == 0 && row < PQntuples(res); row++)
		rc = reads[i].row(eng, &(struct pg_row){res, row});
	PQclear(res);
	return rc ? ERROR_NOT_ENOUGH_MEMORY : ERROR_SUCCESS;
}

/* Deletes the finished requests past the request_keep_max that finished last, which the purge
 * would drop at once: start-up time and memory follow the retention, not the history. */
static rsm_err drop_excess_history(struct pg_catalog *c, int keep_max)
{
	char keep[16];
	const char *p[] = {keep};

	if (c->base.readonly)
		return ERROR_SUCCESS;
	snprintf(keep, sizeof(keep), "%d", keep_max);
	return pg_do(c, "DELETE FROM requests WHERE NOT " UNFINISHED " AND NOT " KEPT_FINISHED, 1,
		     p, NULL);
}

/* Every object read gets its shadow: what a save of it would write now. */
static void shadow_all(struct pg_catalog *c, struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nlibraries; i++)
		pg_shadow_object(c, eng, PGT_LIBRARIES, i, NULL);
	for (int i = 0; i < eng->npools; i++)
		pg_shadow_object(c, eng, PGT_POOLS, i, NULL);
	for (int i = 0; i < eng->ndrives; i++)
		pg_shadow_object(c, eng, PGT_DRIVES, i, NULL);
	for (int i = 0; i < eng->nmedia; i++)
		pg_shadow_object(c, eng, PGT_MEDIA, i, NULL);
	for (size_t i = 0; i < eng->nrequests; i++)
		pg_shadow_object(c, eng, PGT_REQUESTS, 0, eng->requests[i]);
	for (size_t i = 0; i < eng->nopreqs; i++)
		pg_shadow_object(c, eng, PGT_OPREQS, 0, eng->opreqs[i]);
}

rsm_err pg_read_all(struct pg_catalog *c, struct rsm_engine *eng)
{
	rsm_err e = drop_excess_history(c, eng->cfg.request_keep_max);

	if (e != ERROR_SUCCESS)
		return e;
	/* one snapshot: a host that writes meanwhile is seen whole or not at all */
	if ((e = pg_do(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL)))
		return e;
	for (size_t i = 0; e == ERROR_SUCCESS && i < ARRAY_SIZE(reads); i++)
		e = read_table(c, eng, i);
	if (e != ERROR_SUCCESS) {
		PQclear(PQexec(c->conn, "ROLLBACK"));
		return e;
	}
	if ((e = pg_do(c, "COMMIT", 0, NULL, NULL)))
		return e;
	shadow_all(c, eng);
	return ERROR_SUCCESS;
}
