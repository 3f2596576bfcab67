/* pg_catchup.c - what the other hosts changed while this host's site connection was away
 * (catalog_pg.h).
 *
 * The notifications sent while the connection was lost are lost with it.  Once it is made
 * again and listens anew (site.c), the rows another host may have changed meanwhile are read
 * again and the model made to hold them as pg_follow.c does for one notified row: replica.c
 * announces only what differs from the model, so channels, inotify and poll on this host see
 * those changes, and a row that did not change costs a comparison.
 *
 * Read: every pool (the site's); of the libraries this host does not manage, every library,
 * drive and medium (with its sides), the requests and operator requests open in the model or
 * in the catalog, and those numbered past the newest the model has of those libraries (the
 * others are finished and cannot have changed); and of the libraries it manages, the requests
 * other hosts queued or cancelled meanwhile (its queue).  One query per table, all in one
 * snapshot (REPEATABLE READ), each fetched through a cursor in batches (the pools at once):
 * the engine lock is taken per batch, for the model's update only.  A change committed after the LISTEN is also notified, and followed after the
 * catch-up: read twice, announced once.  Sessions, hosts and managers are read again at every
 * tick of the site thread and need nothing here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_pg.h"
#include "log.h"
#include "replica.h"
#include "requests.h"

/* Rows per FETCH: a batch's model update is short enough not to be noticed under the lock. */
#define BATCH 1000
#define BATCH_TEXT "1000"

static void clear_p(PGresult **res)
{
	PQclear(*res);
}

#define AUTO_RESULT __attribute__((cleanup(clear_p)))

/* Numbers of requests (or operator requests) open in the model, ascending, and how far the
 * rows read have come through them (those passed over are gone from the catalog). */
struct numbers {
	uint64_t *v;
	size_t n, at;
	uint64_t top; /* the newest number the model has of a followed library */
	char *text;   /* v as an SQL array literal */
};

/* A cursor's rows fetched ahead (the sides, read alongside the media). */
struct ahead {
	PGresult *res;
	int row;
	bool done;
};

struct catchup {
	PGconn *conn;
	struct rsm_engine *eng;
	char *managed; /* the libraries this host manages, as an SQL array literal */
	struct numbers requests, opreqs;
	struct ahead sides;
	size_t rows;
	bool failed;	 /* a FETCH of the sides failed */
	const char *why; /* what failed, when not a statement */
};

/* The rows of a statement with text parameters; NULL when it failed (the connection went
 * again, or the server refused it). */
static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	PQclear(res);
	return NULL;
}

/* Appends to a growing string; false without memory. */
static bool append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t want = (*len + n + 1) * 2;
		char *b = realloc(*buf, want);
		if (!b)
			return false;
		*buf = b;
		*cap = want;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return true;
}

/* A number to the model's list of open ones; false without memory. */
static bool number_add(struct numbers *l, size_t *cap, uint64_t n)
{
	if (l->n == *cap) {
		size_t want = *cap ? *cap * 2 : 64;
		uint64_t *v = realloc(l->v, want * sizeof(*v));
		if (!v)
			return false;
		l->v = v;
		*cap = want;
	}
	l->v[l->n++] = n;
	return true;
}

/* The list as an SQL array literal ("{1,2}"), for the query's parameter. */
static bool numbers_text(struct numbers *l)
{
	size_t len = 0, cap = 0;
	char num[24];
	bool ok = append(&l->text, &len, &cap, "{");

	for (size_t i = 0; ok && i < l->n; i++) {
		snprintf(num, sizeof(num), "%s%" PRIu64, i ? "," : "", l->v[i]);
		ok = append(&l->text, &len, &cap, num);
	}
	return ok && append(&l->text, &len, &cap, "}");
}

/* What the queries need of the model, taken under the engine lock: the libraries this host
 * manages (their rows are its own), and the requests and operator requests of the others
 * that are open here, with the newest numbers it has of them.  False without memory. */
static bool take_model(struct catchup *c)
{
	struct rsm_engine *eng = c->eng;
	size_t len = 0, cap = 0, rcap = 0, ocap = 0;
	bool ok = append(&c->managed, &len, &cap, "{");

	engine_lock(eng);
	for (int i = 0, first = 1; ok && i < eng->nlibraries; i++) {
		if (!eng->libraries[i].managed)
			continue;
		/* names are letters, digits, '.', '_' and '-' (valid_name): quoted, never escaped
		 */
		ok = append(&c->managed, &len, &cap, first ? "\"" : ",\"") &&
		     append(&c->managed, &len, &cap, eng->libraries[i].name) &&
		     append(&c->managed, &len, &cap, "\"");
		first = 0;
	}
	for (size_t i = 0; ok && i < eng->nrequests; i++) {
		const struct request *r = eng->requests[i];
		if (!pg_followed(eng, r->library)) {
			/* of this host's queue, one another host may have cancelled meanwhile */
			if (request_pending(r))
				ok = number_add(&c->requests, &rcap, r->number);
			continue;
		}
		if (r->number > c->requests.top)
			c->requests.top = r->number;
		if (!request_finished(r))
			ok = number_add(&c->requests, &rcap, r->number);
	}
	for (size_t i = 0; ok && i < eng->nopreqs; i++) {
		const struct opreq *o = eng->opreqs[i];
		if (!pg_followed(eng, o->library))
			continue;
		if (o->number > c->opreqs.top)
			c->opreqs.top = o->number;
		if (opreq_open(o))
			ok = number_add(&c->opreqs, &ocap, o->number);
	}
	engine_unlock(eng);
	return ok && append(&c->managed, &len, &cap, "}") && numbers_text(&c->requests) &&
	       numbers_text(&c->opreqs);
}

/* Runs sql as cursor `name` of the open transaction and hands its rows to apply, a batch at a
 * time, until they are all read; false when a statement failed. */
static bool each_batch(struct catchup *c, const char *name, const char *sql, int n,
		       const char *const *params, bool (*apply)(struct catchup *c, PGresult *res))
{
	char decl[1024], fetch[96], close[64];

	snprintf(decl, sizeof(decl), "DECLARE %s NO SCROLL CURSOR FOR %s", name, sql);
	snprintf(fetch, sizeof(fetch), "FETCH " BATCH_TEXT " FROM %s", name);
	snprintf(close, sizeof(close), "CLOSE %s", name);
	AUTO_RESULT PGresult *d = run(c->conn, decl, n, params);
	if (!d)
		return false;
	for (;;) {
		AUTO_RESULT PGresult *res = run(c->conn, fetch, 0, NULL);
		if (!res || !apply(c, res) || c->failed)
			return false;
		c->rows += (size_t)PQntuples(res);
		if (PQntuples(res) < BATCH)
			break;
	}
	AUTO_RESULT PGresult *done = run(c->conn, close, 0, NULL);
	return done != NULL;
}

/* ---- each table's rows into the model, as a notification's (pg_follow.c) ---- */

static bool apply_libraries(struct catchup *c, PGresult *res)
{
	engine_lock(c->eng);
	for (int i = 0; i < PQntuples(res); i++)
		pg_take_library(c->eng, &(struct pg_row){res, i});
	engine_unlock(c->eng);
	return true;
}

/* Every pool (pools are the site's), and those gone from the catalog removed here. */
static bool apply_pools(struct catchup *c, PGresult *res)
{
	struct rsm_engine *eng = c->eng;

	engine_lock(eng);
	for (int i = 0; i < PQntuples(res); i++)
		pg_take_pool(eng, &(struct pg_row){res, i});
	for (int p = eng->npools - 1; p >= 0; p--) {
		bool listed = false;
		for (int i = 0; !listed && i < PQntuples(res); i++)
			listed = strcmp(PQgetvalue(res, i, 0), eng->pools[p].name) == 0;
		if (!listed) {
			char name[RSM_NAME_MAX + 1];
			snprintf(name, sizeof(name), "%s", eng->pools[p].name);
			replica_pool_gone(eng, name);
		}
	}
	engine_unlock(eng);
	c->rows += (size_t)PQntuples(res);
	return true;
}

static bool apply_drives(struct catchup *c, PGresult *res)
{
	engine_lock(c->eng);
	for (int i = 0; i < PQntuples(res); i++)
		pg_take_drive(c->eng, &(struct pg_row){res, i});
	engine_unlock(c->eng);
	return true;
}

/* The next row of the sides' cursor (ordered by medium as the media are), fetching the next
 * batch when this one is used up; NULL at its end, or with c->failed set. */
static const struct pg_row *side_peek(struct catchup *c, struct pg_row *out)
{
	struct ahead *a = &c->sides;

	if (!a->res || a->row >= PQntuples(a->res)) {
		if (a->done)
			return NULL;
		PQclear(a->res);
		a->row = 0;
		if (!(a->res =
			  run(c->conn, "FETCH " BATCH_TEXT " FROM rsmfs_catchup_sides", 0, NULL))) {
			c->failed = true;
			return NULL;
		}
		a->done = PQntuples(a->res) < BATCH;
		c->rows += (size_t)PQntuples(a->res);
		if (PQntuples(a->res) == 0)
			return NULL;
	}
	*out = (struct pg_row){a->res, a->row};
	return out;
}

/* A batch of media, with their sides merged in from the sides' cursor outside the lock (both
 * are ordered by name in bytes, as strcmp compares). */
static bool apply_media(struct catchup *c, PGresult *res)
{
	struct rsm_engine *eng = c->eng;
	int n = PQntuples(res);
	struct medium *rows = calloc((size_t)(n ? n : 1), sizeof(*rows));
	struct pg_row side;

	if (!rows) {
		c->why = "out of memory";
		return false;
	}
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(res, i, 0);
		for (const struct pg_row *s; (s = side_peek(c, &side));) {
			int cmp = strcmp(PQgetvalue(s->res, s->row, 1), name);
			if (cmp > 0)
				break;
			if (cmp == 0)
				pg_side_fill(s, &rows[i]);
			c->sides.row++; /* cmp < 0: none in one snapshot; passed over */
		}
	}
	if (c->failed) {
		free(rows);
		return false;
	}
	engine_lock(eng);
	for (int i = 0; i < n; i++)
		pg_take_medium(eng, &(struct pg_row){res, i}, &rows[i]);
	engine_unlock(eng);
	free(rows);
	return true;
}

static bool apply_requests(struct catchup *c, PGresult *res)
{
	struct rsm_engine *eng = c->eng;
	struct numbers *open = &c->requests;

	engine_lock(eng);
	for (int i = 0; i < PQntuples(res); i++) {
		uint64_t number = strtoull(PQgetvalue(res, i, 0), NULL, 10);
		for (; open->at < open->n && open->v[open->at] <= number; open->at++)
			if (open->v[open->at] < number)
				pg_request_gone(eng, open->v[open->at]);
		pg_take_request(c->conn, eng, &(struct pg_row){res, i});
	}
	engine_unlock(eng);
	return true;
}

static bool apply_opreqs(struct catchup *c, PGresult *res)
{
	struct rsm_engine *eng = c->eng;
	struct numbers *open = &c->opreqs;

	engine_lock(eng);
	for (int i = 0; i < PQntuples(res); i++) {
		uint64_t number = strtoull(PQgetvalue(res, i, 0), NULL, 10);
		for (; open->at < open->n && open->v[open->at] <= number; open->at++)
			if (open->v[open->at] < number)
				pg_opreq_gone(eng, open->v[open->at]);
		pg_take_opreq(eng, &(struct pg_row){res, i});
	}
	engine_unlock(eng);
	return true;
}

/* The open ones the rows did not come to: gone from the catalog. */
static void rest_gone(struct catchup *c)
{
	engine_lock(c->eng);
	for (; c->requests.at < c->requests.n; c->requests.at++)
		pg_request_gone(c->eng, c->requests.v[c->requests.at]);
	for (; c->opreqs.at < c->opreqs.n; c->opreqs.at++)
		pg_opreq_gone(c->eng, c->opreqs.v[c->opreqs.at]);
	engine_unlock(c->eng);
}

/* ---- the tables, in the order their links need ---- */

/* Rows of a library this host does not manage ($1: the ones it manages). */
#define OTHERS "library <> ALL($1::text[])"

/* Every table read in one snapshot: a medium and the drive it is in agree. */
static bool read_all(struct catchup *c)
{
	char rtop[24], otop[24];
	const char *managed[] = {c->managed};
	const char *rq[] = {c->managed, rtop, c->requests.text};
	const char *oq[] = {c->managed, otop, c->opreqs.text};

	snprintf(rtop, sizeof(rtop), "%" PRIu64, c->requests.top);
	snprintf(otop, sizeof(otop), "%" PRIu64, c->opreqs.top);
	AUTO_RESULT PGresult *begin =
	    run(c->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	if (!begin)
		return false;
	/* the libraries first: a library new here gets its tables before its media fill them */
	if (!each_batch(c, "rsmfs_catchup", "SELECT * FROM libraries ORDER BY position", 0, NULL,
			apply_libraries))
		return false;
	/* then the pools, which the media name (a few: read at once) */
	AUTO_RESULT PGresult *pools =
	    run(c->conn, "SELECT * FROM pools ORDER BY position", 0, NULL);
	if (!pools || !apply_pools(c, pools))
		return false;
	/* the media before the drives: a drive's row names its medium */
	AUTO_RESULT PGresult *sides =
	    run(c->conn,
		"DECLARE rsmfs_catchup_sides NO SCROLL CURSOR FOR"
		" SELECT s.guid, s.medium, s.side, s.state, s.owner FROM sides s"
		" JOIN media m ON m.name = s.medium WHERE m." OTHERS
		" ORDER BY s.medium COLLATE \"C\", s.side",
		1, managed);
	if (!sides ||
	    !each_batch(c, "rsmfs_catchup",
			"SELECT * FROM media WHERE " OTHERS " ORDER BY name COLLATE \"C\"", 1,
			managed, apply_media))
		return false;
	if (!each_batch(c, "rsmfs_catchup",
			"SELECT * FROM drives WHERE " OTHERS " ORDER BY position", 1, managed,
			apply_drives))
		return false;
	/* the requests that can have changed: open here or there, or new; and what other hosts
	 * queued in this host's libraries, or cancelled there */
	if (!each_batch(c, "rsmfs_catchup",
			"SELECT * FROM requests WHERE (" OTHERS " AND (number > $2"
			" OR state = 'inprocess')) OR number = ANY($3::bigint[])"
			" OR state IN ('queued','waiting') ORDER BY number",
			3, rq, apply_requests))
		return false;
	if (!each_batch(c, "rsmfs_catchup",
			"SELECT number, guid, type, state, message, request, library, drive,"
			" submitted, finished FROM opreqs WHERE " OTHERS " AND (number > $2"
			" OR number = ANY($3::bigint[]) OR state NOT IN ('complete','refused'))"
			" ORDER BY number",
			3, oq, apply_opreqs))
		return false;
	rest_gone(c);
	AUTO_RESULT PGresult *commit = run(c->conn, "COMMIT", 0, NULL);
	return commit != NULL;
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int pg_catch_up(PGconn *conn, struct rsm_engine *eng)
{
	struct catchup c = {.conn = conn, .eng = eng};
	double start = seconds();
	bool ok = take_model(&c);
	char why[256];

	if (!ok)
		c.why = "out of memory";
	else
		ok = read_all(&c) && !c.failed;
	if (!ok) {
		snprintf(why, sizeof(why), "%s", c.why ? c.why : PQerrorMessage(conn));
		why[strcspn(why, "\n")] = '\0';
		engine_log(
		    RSM_LOG_ERROR,
		    "site: cannot catch up with what the other hosts changed: %s; their next "
		    "changes are followed",
		    why);
	} else
		engine_log(RSM_LOG_NOTICE,
			   "site: caught up with the other hosts' changes: %zu rows read in %.3f s",
			   c.rows, seconds() - start);
	if (PQtransactionStatus(conn) == PQTRANS_INTRANS ||
	    PQtransactionStatus(conn) == PQTRANS_INERROR)
		PQclear(PQexec(conn, "ROLLBACK"));
	PQclear(c.sides.res);
	free(c.managed);
	free(c.requests.v);
	free(c.requests.text);
	free(c.opreqs.v);
	free(c.opreqs.text);
	return ok ? 0 : -1;
}
