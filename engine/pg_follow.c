/* pg_follow.c - another host's changes, as its notifications name them (catalog_pg.h): the
 * row read again and the model made to hold it (replica.c), which announces it, so that
 * channels, inotify and poll on this host see the change.
 *
 * Only rows of libraries this host does not manage are taken: what it manages, it wrote
 * itself.  A request of another host's is listed here but never queued here.
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

/* Whether library li is another host's to change (and so this host follows it). */
static bool followed(struct rsm_engine *eng, int li)
{
	return li >= 0 && li < eng->nlibraries && !eng->libraries[li].managed;
}

/* A library another host manages (one new to this host: its tables, empty, for its media). */
static void follow_library(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *q = query(conn, "SELECT * FROM libraries WHERE name = $1", name);
	struct library row = {0};

	if (!q || PQntuples(q) != 1)
		return;
	engine_lock(eng);
	pg_library_fill(&(struct pg_row){q, 0}, &row);
	int li = library_find(eng, name);
	if (li < 0 || followed(eng, li)) {
		li = replica_library(eng, &row);
		if (li >= 0 && !eng->libraries[li].managed)
			eng->libraries[li].lease_deadline = -1; /* never moved from here */
	}
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
	engine_lock(eng);
	pg_medium_fill(eng, &(struct pg_row){m, 0}, &row);
	for (int i = 0; i < PQntuples(s); i++)
		pg_side_fill(&(struct pg_row){s, i}, &row);
	if (followed(eng, row.library) && row.pool >= 0) {
		int mi = replica_medium(eng, &row);
		if (mi >= 0)
			pg_shadow_object(pg_of(eng->catalog), eng, PGT_MEDIA, mi, NULL);
	}
	engine_unlock(eng);
}

static void follow_drive(PGconn *conn, struct rsm_engine *eng, const char *name)
{
	AUTO_RESULT PGresult *d = query(conn, "SELECT * FROM drives WHERE name = $1", name);
	struct drive row = {0};

	if (!d || PQntuples(d) != 1)
		return;
	engine_lock(eng);
	pg_drive_fill(eng, &(struct pg_row){d, 0}, &row);
	row.medium = medium_find(eng, PQgetvalue(d, 0, 6));
	row.vdrive = atoi(PQgetvalue(d, 0, 15));
	if (followed(eng, row.library)) {
		int di = replica_drive(eng, &row, PQgetvalue(d, 0, 14));
		if (di >= 0)
			pg_shadow_object(pg_of(eng->catalog), eng, PGT_DRIVES, di, NULL);
	}
	engine_unlock(eng);
}

static void follow_request(PGconn *conn, struct rsm_engine *eng, const char *number)
{
	AUTO_RESULT PGresult *q = query(conn, "SELECT * FROM requests WHERE number = $1", number);
	struct request row = {0};

	if (!q)
		return;
	engine_lock(eng);
	if (PQntuples(q) != 1) {
		struct request *r = request_find(eng, strtoull(number, NULL, 10));
		if (r && followed(eng, r->library))
			replica_request_gone(eng, r->number);
	} else {
		pg_request_fill(eng, &(struct pg_row){q, 0}, &row);
		row.session = NO_INDEX;
		if (followed(eng, row.library)) {
			struct request *r = replica_request(eng, &row);
			if (r)
				pg_shadow_object(pg_of(eng->catalog), eng, PGT_REQUESTS, 0, r);
		}
	}
	engine_unlock(eng);
}

static void follow_opreq(PGconn *conn, struct rsm_engine *eng, const char *number)
{
	AUTO_RESULT PGresult *q =
	    query(conn,
		  "SELECT number, guid, type, state, message, request, library, drive, submitted,"
		  " finished FROM opreqs WHERE number = $1",
		  number);
	struct opreq row = {0};

	if (!q)
		return;
	engine_lock(eng);
	if (PQntuples(q) != 1) {
		struct opreq *o = opreq_find(eng, strtoull(number, NULL, 10));
		if (o && followed(eng, o->library))
			replica_opreq_gone(eng, o->number);
	} else {
		pg_opreq_fill(eng, &(struct pg_row){q, 0}, &row);
		if (followed(eng, row.library)) {
			struct opreq *o = replica_opreq(eng, &row);
			if (o)
				pg_shadow_object(pg_of(eng->catalog), eng, PGT_OPREQS, 0, o);
		}
	}
	engine_unlock(eng);
}

/* The tables followed, by the name a notification gives (a side's key is its medium). */
static const struct {
	const char *table;
	void (*follow)(PGconn *conn, struct rsm_engine *eng, const char *key);
} followers[] = {
    {"libraries", follow_library}, {"media", follow_medium},	 {"sides", follow_medium},
    {"drives", follow_drive},	   {"requests", follow_request}, {"opreqs", follow_opreq},
};

void pg_follow(PGconn *conn, struct rsm_engine *eng, const char *table, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(followers); i++)
		if (strcmp(followers[i].table, table) == 0)
			followers[i].follow(conn, eng, key);
}
