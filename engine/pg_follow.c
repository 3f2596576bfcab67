/* pg_follow.c - another host's changes, as its notifications name them (catalog_pg.h): the
 * row read again and the model made to hold it (replica.c), which announces it, so that
 * channels, inotify and poll on this host see the change.
 *
 * Only rows of libraries this host does not manage are taken: what it manages, it wrote
 * itself, except the requests other hosts queue in its libraries (and cancel there), which
 * it takes into its queue, and their sessions.  Pools are the site's: every host takes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pg.h"
#include "replica.h"
#include "requests.h"
#include "site.h"

static void clear_p(PGresult **res)
{
	PQclear(*res);
}

#define AUTO_RESULT __attribute__((cleanup(clear_p)))

/* The rows a query with one parameter answers; NULL when it failed (the next change, or the
 * catch-up after a reconnection, brings the row). */
static PGresult *query(PGconn *conn, const char *sql, const char *key)
{
	const char *p[] = {key};
	PGresult *res = PQexecParams(conn, sql, 1, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	PQclear(res);
	return NULL;
}

bool pg_followed(const struct rsm_engine *eng, int li)
{
	return li >= 0 && li < eng->nlibraries && !eng->libraries[li].managed;
}

/* ---- one row each, as a notification or a catch-up (pg_catchup.c) brings it ---- */

void pg_take_library(struct rsm_engine *eng, const struct pg_row *r)
{
	struct library row = {0};

	pg_library_fill(r, &row);
	int li = library_find(eng, row.name);
	if (li >= 0 && !pg_followed(eng, li))
		return;
	li = replica_library(eng, &row);
	if (li >= 0 && !eng->libraries[li].managed)
		eng->libraries[li].lease_deadline = -1; /* never moved from here */
}

void pg_take_medium(struct rsm_engine *eng, const struct pg_row *r, struct medium *row)
{
	pg_medium_fill(eng, r, row);
	if (!pg_followed(eng, row->library) || row->pool < 0)
		return;
	int mi = replica_medium(eng, row);
	if (mi >= 0)
		pg_shadow_object(pg_of(eng->catalog), eng, PGT_MEDIA, mi, NULL);
}

void pg_take_drive(struct rsm_engine *eng, const struct pg_row *r)
{
	struct drive row = {0};

	pg_drive_fill(eng, r, &row);
	row.medium = medium_find(eng, PQgetvalue(r->res, r->row, 6));
	row.vdrive = atoi(PQgetvalue(r->res, r->row, 15));
	if (!pg_followed(eng, row.library))
		return;
	int di = replica_drive(eng, &row, PQgetvalue(r->res, r->row, 14));
	if (di >= 0)
		pg_shadow_object(pg_of(eng->catalog), eng, PGT_DRIVES, di, NULL);
}

/* The session named name as the model has it: another host's is read from its row and made
 * a replica (its requests are queued here, its drives held here); NO_INDEX when there is none
 * (closed meanwhile). */
static int session_known(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	for (int i = 0; i < eng->nsessions; i++)
		if (eng->sessions[i].used && strcmp(eng->sessions[i].name, name) == 0)
			return i;
	AUTO_RESULT PGresult *q = query(
	    conn,
	    "SELECT name, guid, application, uid, created, host FROM sessions WHERE name = $1",
	    name);
	struct session row = {0};

	if (!q || PQntuples(q) != 1)
		return NO_INDEX;
	snprintf(row.name, sizeof(row.name), "%s", PQgetvalue(q, 0, 0));
	snprintf(row.guid, sizeof(row.guid), "%s", PQgetvalue(q, 0, 1));
	snprintf(row.application, sizeof(row.application), "%s", PQgetvalue(q, 0, 2));
	row.uid = (uid_t)strtoul(PQgetvalue(q, 0, 3), NULL, 10);
	row.created = strtoll(PQgetvalue(q, 0, 4), NULL, 10);
	snprintf(row.host, sizeof(row.host), "%s", PQgetvalue(q, 0, 5));
	return replica_session(eng, &row);
}

/* Whether a request's row is this host's to take: one of a library another host manages
 * (listed here), or one another host queued (or cancelled) in a library this host manages
 * (its queue). */
static bool request_taken(struct rsm_engine *eng, const struct request *row)
{
	if (pg_followed(eng, row->library))
		return true;
	if (row->library < 0 || row->library >= eng->nlibraries)
		return false;
	/* of this host's own queue, only a cancel another host made: what this host started,
	 * it wrote, and a row read before its last commit would take the request back */
	const struct request *r = request_find(eng, row->number);
	return r ? request_pending(r) && request_finished(row) : request_pending(row);
}

void pg_take_request(PGconn *conn, struct rsm_engine *eng, const struct pg_row *r)
{
	struct request row = {0};

	pg_request_fill(eng, r, &row);
	row.session = NO_INDEX;
	if (!pg_followed(eng, row.library)) {
		/* queued here by another host: its session and virtual drive are needed to run it
		 */
		session_known(conn, eng, row.session_name);
		row.vdrive = row.op == OP_MOUNT ? atoi(PQgetvalue(r->res, r->row, 16)) : NO_INDEX;
	}
	if (!request_taken(eng, &row))
		return;
	struct request *q = replica_request(eng, &row);
	if (q)
		pg_shadow_object(pg_of(eng->catalog), eng, PGT_REQUESTS, 0, q);
}

void pg_take_opreq(struct rsm_engine *eng, const struct pg_row *r)
{
	struct opreq row = {0};

	pg_opreq_fill(eng, r, &row);
	if (!pg_followed(eng, row.library))
		return;
	struct opreq *o = replica_opreq(eng, &row);
	if (o)
		pg_shadow_object(pg_of(eng->catalog), eng, PGT_OPREQS, 0, o);
}

void pg_request_gone(struct rsm_engine *eng, uint64_t number)
{
	struct request *r = request_find(eng, number);

	if (r && pg_followed(eng, r->library))
		replica_request_gone(eng, r->number);
}

void pg_opreq_gone(struct rsm_engine *eng, uint64_t number)
{
	struct opreq *o = opreq_find(eng, number);

	if (o && pg_followed(eng, o->library))
		replica_opreq_gone(eng, o->number);
}

/* ---- a notification: the row read again ---- */

static void follow_library(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *q = query(conn, "SELECT * FROM libraries WHERE name = $1", name);

	if (!q || PQntuples(q) != 1)
		return;
	engine_lock(eng);
	pg_take_library(eng, &(struct pg_row){q, 0});
	engine_unlock(eng);
}

/* A medium and its sides. */
static void follow_medium(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *m = query(conn, "SELECT * FROM media WHERE name = $1", name);
	AUTO_RESULT PGresult *s = query(
	    conn, "SELECT guid, medium, side, state, owner FROM sides WHERE medium = $1", name);
	struct medium row = {0};

	if (!m || !s || PQntuples(m) != 1)
		return;
	for (int i = 0; i < PQntuples(s); i++)
		pg_side_fill(&(struct pg_row){s, i}, &row);
	engine_lock(eng);
	pg_take_medium(eng, &(struct pg_row){m, 0}, &row);
	engine_unlock(eng);
}

static void follow_drive(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *d = query(conn, "SELECT * FROM drives WHERE name = $1", name);

	if (!d || PQntuples(d) != 1)
		return;
	engine_lock(eng);
	pg_take_drive(eng, &(struct pg_row){d, 0});
	engine_unlock(eng);
}

void pg_take_pool(struct rsm_engine *eng, const struct pg_row *r)
{
	struct pool row = {0};

	pg_pool_fill(r, &row);
	int pi = replica_pool(eng, &row);
	if (pi >= 0)
		pg_shadow_object(pg_of(eng->catalog), eng, PGT_POOLS, pi, NULL);
}

/* A pool made, changed (chmod, chown, its options) or removed on another host: pools are the
 * site's, whichever host's libraries their media are in. */
static void follow_pool(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *q = query(conn, "SELECT * FROM pools WHERE name = $1", name);

	if (!q)
		return;
	engine_lock(eng);
	if (PQntuples(q) != 1)
		replica_pool_gone(eng, name);
	else
		pg_take_pool(eng, &(struct pg_row){q, 0});
	engine_unlock(eng);
}

/* Another host's session, opened or closed there: a replica here (its requests may be queued
 * in a library this host manages), or gone, with what it held released (session_unwind). */
static void follow_session(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *q = query(conn, "SELECT host FROM sessions WHERE name = $1", name);

	if (!q)
		return;
	engine_lock(eng);
	if (PQntuples(q) == 1)
		session_known(conn, eng, name);
	else
		replica_session_gone(eng, name);
	engine_unlock(eng);
}

/* Whether a request row's state is one before its end. */
static bool request_row_pending(const char *state)
{
	return strcmp(state, "queued") == 0 || strcmp(state, "waiting") == 0 ||
	       strcmp(state, "inprocess") == 0;
}

/* Whether request row q ends, for this host, work its manager did for it: its caller will be
 * answered, and must find the medium and drive as that work left them. */
static bool ends_here(struct rsm_engine *eng, PGresult *q)
{
	engine_lock(eng);
	const struct request *r = request_find(eng, strtoull(PQgetvalue(q, 0, 0), NULL, 10));
	bool ends = r && !request_finished(r) && pg_followed(eng, r->library) &&
		    !request_row_pending(PQgetvalue(q, 0, 3));
	engine_unlock(eng);
	return ends;
}

static void follow_request(PGconn *conn, struct rsm_engine *eng, const char *number)
{
	AUTO_RESULT PGresult *q = query(conn, "SELECT * FROM requests WHERE number = $1", number);

	if (!q)
		return;
	/* an end read here can be newer than this host's last read of the request's drive and
	 * medium (read for earlier notifications, before the manager's later commits): they are
	 * read again after it, the drive first as the manager writes them, so that the caller
	 * answered below finds them as that end left them */
	if (PQntuples(q) == 1 && ends_here(eng, q)) {
		if (*PQgetvalue(q, 0, 6))
			follow_drive(conn, eng, PQgetvalue(q, 0, 6));
		if (*PQgetvalue(q, 0, 5))
			follow_medium(conn, eng, PQgetvalue(q, 0, 5));
	}
	engine_lock(eng);
	if (PQntuples(q) != 1)
		pg_request_gone(eng, strtoull(number, NULL, 10));
	else
		pg_take_request(conn, eng, &(struct pg_row){q, 0});
	engine_unlock(eng);
}

static void follow_opreq(PGconn *conn, struct rsm_engine *eng, const char *number)
{
	AUTO_RESULT PGresult *q =
	    query(conn,
		  "SELECT number, guid, type, state, message, request, library, drive, submitted,"
		  " finished FROM opreqs WHERE number = $1",
		  number);

	if (!q)
		return;
	engine_lock(eng);
	if (PQntuples(q) != 1)
		pg_opreq_gone(eng, strtoull(number, NULL, 10));
	else
		pg_take_opreq(eng, &(struct pg_row){q, 0});
	engine_unlock(eng);
}

/* Which hosts have a device for a drive (a host registers its drives when it starts). */
static void follow_drive_hosts(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *q =
	    query(conn,
		  "SELECT coalesce(string_agg(host, E'\\n' ORDER BY host), '') FROM drive_hosts"
		  " WHERE drive = $1",
		  name);

	if (!q || PQntuples(q) != 1)
		return;
	engine_lock(eng);
	int di = drive_find(eng, name);
	if (di >= 0)
		drive_hosts_set(eng, &eng->drives[di], PQgetvalue(q, 0, 0));
	engine_unlock(eng);
}

/* The tables followed, by the name a notification gives (a side's key is its medium). */
static const struct {
	const char *table;
	void (*follow)(PGconn *conn, struct rsm_engine *eng, const char *key);
} followers[] = {
    {"libraries", follow_library}, {"media", follow_medium},
    {"sides", follow_medium},	   {"drives", follow_drive},
    {"requests", follow_request},  {"opreqs", follow_opreq},
    {"sessions", follow_session},  {"drive_hosts", follow_drive_hosts},
    {"pools", follow_pool},
};

void pg_follow(PGconn *conn, struct rsm_engine *eng, const char *table, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(followers); i++)
		if (strcmp(followers[i].table, table) == 0)
			followers[i].follow(conn, eng, key);
}
