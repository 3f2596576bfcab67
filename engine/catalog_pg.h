/* catalog_pg.h - the PostgreSQL catalog's parts, shared by its files: the connection and its
 * statements (catalog_pg.c), its schema (pg_schema.c), the rows written with what changed only
 * (pg_write.c), and the rows read back into the model (pg_read.c).  Nothing outside these
 * files speaks SQL to PostgreSQL but the site's own connection (site.c).
 *
 * Several hosts write one catalog.  Each row is written with the columns that changed since
 * the catalog last had it from this host (its shadow: the row as last read or written), so
 * that two hosts changing different columns of one row (a cartridge's place and its pool) do
 * not undo each other.  Where a change must not race another host's (a request leaving the
 * queue, a side being allocated), the write says what it expects the row to hold, and a row
 * that holds something else is a conflict: ERROR_BUSY, the row unchanged.
 */
#ifndef RSM_CATALOG_PG_H
#define RSM_CATALOG_PG_H

#include <libpq-fe.h>

#include "catalog.h"

/* The tables whose rows the model holds, as the notifications name them. */
enum pg_table {
	PGT_LIBRARIES,
	PGT_DRIVES,
	PGT_MEDIA,
	PGT_POOLS,
	PGT_REQUESTS,
	PGT_OPREQS,
	PGT_SESSIONS,
	PGT_HOSTS,
	PGT_LEASES,
	PGT_DRIVE_HOSTS,
	PGT_COUNT
};

/* A row as last written or read, by table and key. */
struct shadow {
	char *key;   /* "<table>\x1f<key>" */
	char **vals; /* one value per column */
	int ncols;
	struct shadow *next;
};

struct shadow_map {
	struct shadow **buckets;
	size_t nbuckets, count;
};

/* Shadows written inside the open transaction: they become the rows' shadows at its commit. */
struct pending_shadow {
	struct shadow s;
	struct pending_shadow *next_pending;
};

#define PG_STATEMENTS 64
/* The longest value of a column, as text (an operator request's message). */
#define PG_VALUE_MAX 320
#define PG_COLS_MAX 24

struct pg_catalog {
	struct catalog base;
	PGconn *conn;
	const struct rsm_config *cfg; /* the engine's: what a new connection is set up with */
	double last_attempt;	      /* when the connection was last made again (mono_now) */
	char conninfo[1024];
	char host[RSM_NAME_MAX + 1];
	bool in_txn;
	bool broken;	 /* the connection failed: nothing is sent until it is made again */
	bool lease_lost; /* the last commit was refused by a lease check (a fenced library) */
	char error[512];
	rsm_err last_err; /* of the last statement that failed */
	/* prepared statements of this connection, by their text's address */
	const char *stmt_sql[PG_STATEMENTS];
	char stmt_prepared[PG_STATEMENTS];
	struct shadow_map shadows;
	struct pending_shadow *pending;
	/* the libraries this host manages whose rows the open transaction wrote: the lease of
	 * each is checked before it commits */
	int *fenced;
	int nfenced, fenced_cap;
};

static inline struct pg_catalog *pg_of(struct catalog *c)
{
	return (struct pg_catalog *)c;
}

/* ---- pg_schema.c ---- */

/* Creates the schema, or brings an older one up to this version; -1 with a message (a newer
 * version's schema is refused, and left as it is). */
int pg_prepare_schema(struct pg_catalog *c, char *err, size_t errlen);

/* ---- catalog_pg.c: statements ---- */

/* A new connection to the catalog at uri (PQstatus tells how it went), named "rsmfs <host>
 * <role>" in pg_stat_activity (a PQreset keeps the name). */
PGconn *pg_connect_to(const char *uri, const char *host, const char *role);
/* Connects (again): its settings made, its statements to be prepared anew; -1 with a
 * message. */
int pg_connect(struct pg_catalog *c, const struct rsm_config *cfg, char *err, size_t errlen);

/* Runs sql (a string literal: prepared once per connection) with n text parameters (NULL is
 * SQL NULL); the result on success, NULL with the failure recorded (and logged). */
PGresult *pg_run(struct pg_catalog *c, const char *sql, int n, const char *const *params);
/* The same for a statement that returns nothing worth keeping; with *rows, how many rows it
 * touched. */
rsm_err pg_do(struct pg_catalog *c, const char *sql, int n, const char *const *params, int *rows);
/* The RSM error of a failed statement's result (NULL: the connection failed). */
rsm_err pg_error_of(struct pg_catalog *c, PGresult *res);
/* Marks library li's rows as written by the open transaction (fenced at commit); autocommit
 * writes to such a library get a transaction of their own (pg_write.c). */
void pg_fence_add(struct pg_catalog *c, int li);
/* Whether this host manages library li (its writes are fenced by the lease). */
bool pg_fenced_library(struct rsm_engine *eng, int li);

/* ---- pg_write.c: rows written with what changed ---- */

void shadow_map_free(struct shadow_map *m);
/* Sets the shadow of a row to vals (as read from the catalog, or written and committed). */
void shadow_set(struct shadow_map *m, const char *key, const char *const *vals, int ncols);
/* Forgets a row's shadow (deleted). */
void shadow_drop(struct shadow_map *m, const char *key);
void pending_commit(struct pg_catalog *c);
void pending_discard(struct pg_catalog *c);

extern const struct catalog_ops catalog_pg_ops;
/* The row functions of catalog_pg_ops (pg_write.c). */
rsm_err pg_save_library(struct catalog *c, struct rsm_engine *eng, const struct library *l);
rsm_err pg_save_drive(struct catalog *c, struct rsm_engine *eng, const struct drive *d);
rsm_err pg_save_medium(struct catalog *c, struct rsm_engine *eng, const struct medium *m);
rsm_err pg_save_pool(struct catalog *c, struct rsm_engine *eng, const struct pool *p);
rsm_err pg_save_request(struct catalog *c, struct rsm_engine *eng, const struct request *r);
rsm_err pg_save_opreq(struct catalog *c, struct rsm_engine *eng, const struct opreq *o);
/* The values a row is written with, as text, and its shadow key: what pg_read.c sets the
 * shadows of rows it reads with, so that a row read and written alike compares equal. */
int pg_library_values(struct rsm_engine *eng, const struct library *l, char v[][PG_VALUE_MAX]);
int pg_drive_values(struct rsm_engine *eng, const struct drive *d, char v[][PG_VALUE_MAX]);
int pg_medium_values(struct rsm_engine *eng, const struct medium *m, char v[][PG_VALUE_MAX]);
int pg_side_values(const struct medium *m, int side, char v[][PG_VALUE_MAX]);
int pg_pool_values(struct rsm_engine *eng, const struct pool *p, char v[][PG_VALUE_MAX]);
int pg_request_values(struct rsm_engine *eng, const struct request *r, char v[][PG_VALUE_MAX]);
int pg_opreq_values(struct rsm_engine *eng, const struct opreq *o, char v[][PG_VALUE_MAX]);
void pg_shadow_key(char *buf, size_t len, const char *table, const char *key);
/* Sets a model object's shadow from the model itself (after it was read from the catalog). */
void pg_shadow_object(struct pg_catalog *c, struct rsm_engine *eng, enum pg_table t, int index,
		      const void *obj);

/* ---- pg_read.c: rows read into the model ---- */

/* Reads every row of every table into the model, at start-up.  ERROR_SUCCESS or why not. */
rsm_err pg_read_all(struct pg_catalog *c, struct rsm_engine *eng);

/* One row of a result, as the row functions read it. */
struct pg_row {
	PGresult *res;
	int row;
};
/* A row of a table (SELECT * order; sides: guid, medium, side, state, owner) into a model
 * object, its links by name resolved in eng; a drive's medium and session are left to the
 * caller. */
void pg_library_fill(const struct pg_row *r, struct library *l);
void pg_pool_fill(const struct pg_row *r, struct pool *p);
void pg_drive_fill(struct rsm_engine *eng, const struct pg_row *r, struct drive *d);
void pg_medium_fill(struct rsm_engine *eng, const struct pg_row *r, struct medium *m);
void pg_side_fill(const struct pg_row *r, struct medium *m);
void pg_request_fill(struct rsm_engine *eng, const struct pg_row *row, struct request *r);
void pg_opreq_fill(struct rsm_engine *eng, const struct pg_row *r, struct opreq *o);

/* ---- pg_follow.c: another host's changes ---- */

/* The row of table `table` named key (a notification's) changed on another host: read again
 * on conn, and the model made to hold it, announced, when it is of a library this host does
 * not manage (what it manages, it wrote).  Takes the engine lock. */
void pg_follow(PGconn *conn, struct rsm_engine *eng, const char *table, const char *key);

/* Whether library li is another host's to change, so that this host takes its rows. */
bool pg_followed(const struct rsm_engine *eng, int li);
/* One row another host changed, made the model's (replica.c announces what differs), under
 * the engine lock: a library's, a medium's (row: its sides filled by the caller), a drive's,
 * an operator request's, of a library this host does not manage; a request's of such a
 * library, or one another host queued or cancelled in a library this host manages (its
 * session read on conn when this host has no replica of it yet). */
void pg_take_library(struct rsm_engine *eng, const struct pg_row *r);
void pg_take_pool(struct rsm_engine *eng, const struct pg_row *r); /* any pool: the site's */
void pg_take_medium(struct rsm_engine *eng, const struct pg_row *r, struct medium *row);
void pg_take_drive(struct rsm_engine *eng, const struct pg_row *r);
void pg_take_request(PGconn *conn, struct rsm_engine *eng, const struct pg_row *r);
void pg_take_opreq(struct rsm_engine *eng, const struct pg_row *r);
/* A request or operator request of a library this host does not manage, gone from the
 * catalog (purged there once finished). */
void pg_request_gone(struct rsm_engine *eng, uint64_t number);
void pg_opreq_gone(struct rsm_engine *eng, uint64_t number);

/* ---- pg_catchup.c: what changed while the site connection was away ---- */

/* The notifications of the time conn was lost are lost with it: once it is made again and
 * listens anew, every row another host may have changed meanwhile is read again on it (in
 * batches, one query per table) and the model made to hold it as pg_follow does, announced
 * where it differs.  0, or -1 when it could not (logged; the next changes are followed). */
int pg_catch_up(PGconn *conn, struct rsm_engine *eng);

#endif
