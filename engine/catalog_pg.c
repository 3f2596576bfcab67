/* catalog_pg.c - the catalog in PostgreSQL (catalog = postgresql://...), a site's: the
 * connection and its prepared statements, transactions and the lease check at their commit,
 * and the rows that are not the model's objects (catalog_pg.h).
 *
 * Every host of a site opens the same catalog (its schema: pg_schema.c).  A connection that
 * failed is made again between transactions; statements are prepared once per connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pg.h"
#include "log.h"

/* ---- statements ---- */

/* The RSM error of a failed result, by its SQLSTATE; a connection that failed is broken from
 * now on (the site makes it again). */
rsm_err pg_error_of(struct pg_catalog *c, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		c->broken = true;
		return ERROR_DATABASE_FAILURE;
	}
	if (!state)
		return ERROR_DATABASE_FAILURE;
	if (strcmp(state, "23505") == 0)
		return ERROR_ALREADY_EXISTS; /* a unique key: a session name taken by another host
					      */
	if (strcmp(state, "53100") == 0)
		return ERROR_DATABASE_FULL;
	if (strcmp(state, "53200") == 0)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "57014") == 0)
		return ERROR_TIMEOUT; /* a lock held by another host past lock_timeout */
	if (strcmp(state, "RS001") == 0)
		c->lease_lost = true;
	if (strncmp(state, "08", 2) == 0)
		c->broken = true;
	return ERROR_DATABASE_FAILURE;
}

/* Records (and logs, once per failure) why a statement failed. */
static void statement_failed(struct pg_catalog *c, PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : NULL;

	if (!msg || !*msg)
		msg = c->conn ? PQerrorMessage(c->conn) : "no connection";
	snprintf(c->error, sizeof(c->error), "%s", msg);
	c->error[strcspn(c->error, "\n")] = '\0';
	rsm_err e = pg_error_of(c, res);
	c->last_err = e;
	if (e != ERROR_ALREADY_EXISTS)
		engine_log(RSM_LOG_ERROR, "catalog: write failed %s: %s", rsm_error_name(e),
			   c->error);
}

/* The name sql is prepared under on this connection, preparing it the first time; NULL when
 * the cache is full (the statement then runs unprepared) or it cannot be prepared. */
static const char *prepared_name(struct pg_catalog *c, const char *sql, int n, char *name,
				 size_t len, PGresult **failure)
{
	int slot = -1;

	for (int i = 0; i < PG_STATEMENTS; i++) {
		if (c->stmt_sql[i] == sql) {
			slot = i;
			break;
		}
		if (!c->stmt_sql[i] && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return NULL;
	snprintf(name, len, "s%d", slot);
	if (c->stmt_sql[slot] == sql && c->stmt_prepared[slot])
		return name;
	PGresult *res = PQprepare(c->conn, name, sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*failure = res;
		return NULL;
	}
	PQclear(res);
	c->stmt_sql[slot] = sql;
	c->stmt_prepared[slot] = 1;
	return name;
}

/* Whether the connection is up: one that failed is made again between transactions, at most
 * once a second (what a transaction wrote before the failure went with it). */
static bool pg_reachable(struct pg_catalog *c)
{
	char err[512];

	/* between transactions, a server that went away (and told the connection so, or closed
	 * it) is found before a statement is sent rather than by its failure */
	if (c->conn && !c->in_txn && !c->broken)
		PQconsumeInput(c->conn);
	if (c->conn && !c->broken && PQstatus(c->conn) == CONNECTION_OK)
		return true;
	if (c->in_txn || mono_now() - c->last_attempt < 1.0)
		return false;
	c->last_attempt = mono_now();
	if (pg_connect(c, c->cfg, err, sizeof(err)) < 0) {
		snprintf(c->error, sizeof(c->error), "%s", err);
		c->broken = true;
		return false;
	}
	engine_log(RSM_LOG_NOTICE, "catalog: connected again");
	return true;
}

static PGresult *run_once(struct pg_catalog *c, const char *sql, int n, const char *const *params)
{
	char name[16];
	PGresult *res = NULL;

	if (!pg_reachable(c)) {
		snprintf(c->error, sizeof(c->error), "the catalog cannot be reached");
		c->last_err = ERROR_DATABASE_FAILURE;
		return NULL;
	}
	const char *stmt = prepared_name(c, sql, n, name, sizeof(name), &res);
	if (res) {
		statement_failed(c, res);
		PQclear(res);
		return NULL;
	}
	res = stmt ? PQexecPrepared(c->conn, stmt, n, params, NULL, NULL, 0)
		   : PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	statement_failed(c, res);
	PQclear(res);
	return NULL;
}

PGresult *pg_run(struct pg_catalog *c, const char *sql, int n, const char *const *params)
{
	PGresult *res = run_once(c, sql, n, params);

	/* a server that restarted is found gone by the first statement sent after: a transaction
	 * about to begin lost nothing, and begins on a new connection at once */
	if (!res && c->broken && strcmp(sql, "BEGIN") == 0) {
		c->last_attempt = 0;
		res = run_once(c, sql, n, params);
	}
	return res;
}

rsm_err pg_do(struct pg_catalog *c, const char *sql, int n, const char *const *params, int *rows)
{
	PGresult *res = pg_run(c, sql, n, params);

	if (!res)
		return c->broken ? ERROR_DATABASE_FAILURE : c->last_err;
	if (rows)
		*rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return ERROR_SUCCESS;
}

/* ---- transactions, and the lease check of the libraries they wrote ---- */

bool pg_fenced_library(struct rsm_engine *eng, int li)
{
	return eng->site && li >= 0 && li < eng->nlibraries && eng->libraries[li].managed;
}

void pg_fence_add(struct pg_catalog *c, int li)
{
	for (int i = 0; i < c->nfenced; i++)
		if (c->fenced[i] == li)
			return;
	if (c->nfenced == c->fenced_cap) {
		int cap = c->fenced_cap ? c->fenced_cap * 2 : 8;
		int *n = realloc(c->fenced, sizeof(int) * (size_t)cap);
		if (!n)
			abort(); /* a commit that skipped a lease check could move a robot twice */
		c->fenced = n;
		c->fenced_cap = cap;
	}
	c->fenced[c->nfenced++] = li;
}

/* The lease check of every library the transaction wrote rows of, just before its commit:
 * a host that lost a lease writes nothing more of that library (fencing). */
static rsm_err fence_check(struct pg_catalog *c, struct rsm_engine *eng)
{
	rsm_err e = ERROR_SUCCESS;

	for (int i = 0; e == ERROR_SUCCESS && i < c->nfenced; i++) {
		const struct library *l = &eng->libraries[c->fenced[i]];
		char epoch[24];
		snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)l->lease_epoch);
		const char *p[] = {l->name, c->host, epoch};
		e = pg_do(c, "SELECT rsmfs_fence($1, $2, $3)", 3, p, NULL);
	}
	return e;
}

static bool pg_in_transaction(struct catalog *base)
{
	return pg_of(base)->in_txn;
}

static rsm_err pg_begin(struct catalog *base)
{
	struct pg_catalog *c = pg_of(base);
	rsm_err e = pg_do(c, "BEGIN", 0, NULL, NULL);

	c->in_txn = e == ERROR_SUCCESS;
	c->nfenced = 0;
	return e;
}

static void pg_rollback(struct catalog *base)
{
	struct pg_catalog *c = pg_of(base);

	if (c->conn && !c->broken)
		PQclear(PQexec(c->conn, "ROLLBACK"));
	c->in_txn = false;
	c->nfenced = 0;
	pending_discard(c);
}

static rsm_err pg_commit(struct catalog *base)
{
	struct pg_catalog *c = pg_of(base);
	rsm_err e = base->eng ? fence_check(c, base->eng) : ERROR_SUCCESS;

	if (e == ERROR_SUCCESS)
		e = pg_do(c, "COMMIT", 0, NULL, NULL);
	if (e != ERROR_SUCCESS) {
		pg_rollback(base);
		return e;
	}
	c->in_txn = false;
	c->nfenced = 0;
	pending_commit(c);
	return ERROR_SUCCESS;
}

/* A commit is durable when the server says so (synchronous_commit); nothing to push. */
static void pg_flush(struct catalog *base)
{
	(void)base;
}

static const char *pg_last_error(struct catalog *base)
{
	return pg_of(base)->error;
}

/* ---- opening ---- */

/* This connection's settings: the host its changes are notified as, how long a write waits
 * for another host's lock (busy_timeout), and durability (synchronous). */
static int configure_session(struct pg_catalog *c, const struct rsm_config *cfg, char *err,
			     size_t errlen)
{
	char timeout[32];

	snprintf(timeout, sizeof(timeout), "%d", cfg->busy_timeout_ms);
	const char *p[] = {c->host, timeout, cfg->synchronous_normal ? "off" : "on"};
	PGresult *res =
	    PQexecParams(c->conn,
			 "SELECT set_config('rsmfs.host', $1, false),"
			 " set_config('lock_timeout', $2, false),"
			 " set_config('synchronous_commit', $3, false),"
			 " set_config('client_min_messages', 'warning', false),"
			 " pg_is_in_recovery() OR current_setting('transaction_read_only')"
			 " = 'on'",
			 3, NULL, p, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "cannot set up the catalog connection: %s",
			 PQresultErrorMessage(res));
	else
		c->base.readonly = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	PQclear(res);
	return ok ? 0 : -1;
}

PGconn *pg_connect_to(const char *uri, const char *host, const char *role)
{
	/* a server that does not answer fails a connection in seconds, not never (libpq's
	 * default), since the engine waits for it; the URI's own connect_timeout (and
	 * application_name) wins */
	char name[RSM_NAME_MAX + 32];
	const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const vals[] = {"3", name, uri, NULL};

	snprintf(name, sizeof(name), "rsmfs %s %s", host, role);
	return PQconnectdbParams(keys, vals, 1);
}

/* Connects (again, after a failure): the statements are prepared anew. */
int pg_connect(struct pg_catalog *c, const struct rsm_config *cfg, char *err, size_t errlen)
{
	if (c->conn)
		PQfinish(c->conn);
	memset(c->stmt_sql, 0, sizeof(c->stmt_sql));
	memset(c->stmt_prepared, 0, sizeof(c->stmt_prepared));
	c->in_txn = false;
	c->conn = pg_connect_to(c->conninfo, cfg->host, "catalog");
	if (PQstatus(c->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the catalog: %s", PQerrorMessage(c->conn));
		err[strcspn(err, "\n")] = '\0';
		return -1;
	}
	if (configure_session(c, cfg, err, errlen) < 0)
		return -1;
	c->broken = false;
	c->lease_lost = false;
	return 0;
}

static void pg_close(struct catalog *base)
{
	struct pg_catalog *c = pg_of(base);

	if (c->conn)
		PQfinish(c->conn);
	shadow_map_free(&c->shadows);
	pending_discard(c);
	free(c->fenced);
	free(c);
}

static struct catalog *pg_open(const struct rsm_config *cfg, char *err, size_t errlen)
{
	struct pg_catalog *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base.ops = &catalog_pg_ops;
	c->cfg = cfg;
	snprintf(c->conninfo, sizeof(c->conninfo), "%s", cfg->catalog);
	snprintf(c->host, sizeof(c->host), "%s", cfg->host);
	if (pg_connect(c, cfg, err, errlen) < 0 ||
	    (!c->base.readonly && pg_prepare_schema(c, err, errlen) < 0)) {
		pg_close(&c->base);
		return NULL;
	}
	return &c->base;
}

/* ---- rows that are not objects of the model ---- */

static rsm_err pg_load(struct catalog *base, struct rsm_engine *eng)
{
	return pg_read_all(pg_of(base), eng);
}

/* Sessions do not outlive their daemon: this host's from its last run go (their channels with
 * them); the other hosts' stay. */
static rsm_err pg_clear_sessions(struct catalog *base)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {c->host};

	return pg_do(c, "DELETE FROM sessions WHERE host = $1", 1, p, NULL);
}

static rsm_err pg_save_session(struct catalog *base, const struct session *s)
{
	char uid[24], created[24];

	snprintf(uid, sizeof(uid), "%lld", (long long)s->uid);
	snprintf(created, sizeof(created), "%lld", (long long)s->created);
	const char *p[] = {s->name, s->guid, s->application, uid, created, s->host};
	return pg_do(pg_of(base), "INSERT INTO sessions VALUES($1, $2, $3, $4, $5, $6)", 6, p,
		     NULL);
}

/* Deletes the row of table t named key, and forgets its shadow. */
static rsm_err delete_row(struct catalog *base, const char *sql, const char *table, const char *key)
{
	struct pg_catalog *c = pg_of(base);
	char sk[160];
	const char *p[] = {key};
	rsm_err e = pg_do(c, sql, 1, p, NULL);

	pg_shadow_key(sk, sizeof(sk), table, key);
	if (e == ERROR_SUCCESS)
		shadow_drop(&c->shadows, sk);
	return e;
}

static rsm_err pg_delete_pool(struct catalog *base, const char *name)
{
	return delete_row(base, "DELETE FROM pools WHERE name = $1", "pools", name);
}

static rsm_err pg_delete_request(struct catalog *base, uint64_t number)
{
	char n[24];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)number);
	return delete_row(base, "DELETE FROM requests WHERE number = $1", "requests", n);
}

static rsm_err pg_delete_opreq(struct catalog *base, uint64_t number)
{
	char n[24];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)number);
	return delete_row(base, "DELETE FROM opreqs WHERE number = $1", "opreqs", n);
}

static rsm_err pg_delete_session(struct catalog *base, const char *name)
{
	return delete_row(base, "DELETE FROM sessions WHERE name = $1", "sessions", name);
}

static rsm_err pg_add_channel(struct catalog *base, const char *session, const char *type,
			      int64_t *row)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {session, type, c->host};
	PGresult *res = pg_run(
	    c, "INSERT INTO channels(session, type, host) VALUES($1, $2, $3) RETURNING id", 3, p);

	if (!res)
		return c->last_err;
	*row = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return ERROR_SUCCESS;
}

static rsm_err pg_delete_channel(struct catalog *base, int64_t row)
{
	char n[24];
	const char *p[] = {n};

	snprintf(n, sizeof(n), "%lld", (long long)row);
	return pg_do(pg_of(base), "DELETE FROM channels WHERE id = $1", 1, p, NULL);
}

/* Counters never go back, whichever host writes last. */
static rsm_err pg_set_meta(struct catalog *base, const char *key, uint64_t value)
{
	char v[24];
	const char *p[] = {key, v};

	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	return pg_do(pg_of(base),
		     "INSERT INTO meta VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value ="
		     " GREATEST(meta.value, excluded.value)",
		     2, p, NULL);
}

static rsm_err pg_take_number(struct catalog *base, const char *counter, uint64_t *out)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {counter};
	PGresult *res = pg_run(c, "SELECT nextval($1::regclass)", 1, p);

	if (!res)
		return c->last_err;
	*out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return ERROR_SUCCESS;
}

/* The row is held until the batch commits: a cancel from another host waits for it, then
 * finds the request no longer queued. */
static int pg_claim_request(struct catalog *base, struct rsm_engine *eng, struct request *r)
{
	struct pg_catalog *c = pg_of(base);
	char n[24];
	const char *p[] = {n};

	(void)eng;
	snprintf(n, sizeof(n), "%llu", (unsigned long long)r->number);
	PGresult *res = pg_run(c, "SELECT state FROM requests WHERE number = $1 FOR UPDATE", 1, p);
	if (!res)
		return -1;
	int pending = PQntuples(res) == 1 && (strcmp(PQgetvalue(res, 0, 0), "queued") == 0 ||
					      strcmp(PQgetvalue(res, 0, 0), "waiting") == 0);
	PQclear(res);
	return pending;
}

/* ---- the physical side of a library ---- */

/* The library index of a name, for the lease check of a write about it. */
static void fence_library_named(struct pg_catalog *c, const char *library)
{
	struct rsm_engine *eng = c->base.eng;
	int li = eng ? library_find(eng, library) : NO_INDEX;

	if (pg_fenced_library(eng, li))
		pg_fence_add(c, li);
}

/* The intent of a robot move: written (catalog.c gives it a transaction of its own) with the
 * library's lease checked at its commit, so no host sends a move it no longer may. */
static rsm_err pg_save_intent(struct catalog *base, const char *library, const char *medium,
			      int source, int destination, uint64_t request)
{
	struct pg_catalog *c = pg_of(base);
	char src[16], dst[16], req[24];
	const char *p[] = {library, medium, src, dst, req, c->host};

	snprintf(src, sizeof(src), "%d", source);
	snprintf(dst, sizeof(dst), "%d", destination);
	snprintf(req, sizeof(req), "%llu", (unsigned long long)request);
	fence_library_named(c, library);
	return pg_do(c,
		     "INSERT INTO intents VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(library) DO"
		     " UPDATE SET medium = excluded.medium, source = excluded.source,"
		     " destination = excluded.destination, request = excluded.request,"
		     " host = excluded.host",
		     6, p, NULL);
}

static rsm_err pg_clear_intent(struct catalog *base, const char *library)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {library};

	fence_library_named(c, library);
	return pg_do(c, "DELETE FROM intents WHERE library = $1", 1, p, NULL);
}

static int pg_load_intent(struct catalog *base, const char *library, char *medium, size_t len,
			  int *source, int *destination)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {library};
	PGresult *res =
	    pg_run(c, "SELECT medium, source, destination FROM intents WHERE library = $1", 1, p);
	int found;

	if (!res)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		snprintf(medium, len, "%s", PQgetvalue(res, 0, 0));
		*source = atoi(PQgetvalue(res, 0, 1));
		*destination = atoi(PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return found;
}

/* A sim's record: its robot's moves are this row's changes, so a host whose lease has passed
 * cannot make one (the commit's lease check refuses it). */
static rsm_err pg_save_sim_record(struct catalog *base, struct rsm_engine *eng, int li,
				  const char *text)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {eng->libraries[li].name, text};

	if (pg_fenced_library(eng, li))
		pg_fence_add(c, li);
	return pg_do(c,
		     "INSERT INTO sim_records VALUES($1, $2) ON CONFLICT(library) DO UPDATE SET"
		     " record = excluded.record",
		     2, p, NULL);
}

static rsm_err pg_load_sim_record(struct catalog *base, const char *library, char **text)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {library};
	PGresult *res = pg_run(c, "SELECT record FROM sim_records WHERE library = $1", 1, p);

	*text = NULL;
	if (!res)
		return c->last_err;
	if (PQntuples(res) > 0 && !(*text = strdup(PQgetvalue(res, 0, 0)))) {
		PQclear(res);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	PQclear(res);
	return ERROR_SUCCESS;
}

static rsm_err pg_save_drive_host(struct catalog *base, const char *drive, const char *device)
{
	struct pg_catalog *c = pg_of(base);
	const char *p[] = {drive, c->host, device};

	if (!device[0])
		return pg_do(c, "DELETE FROM drive_hosts WHERE drive = $1 AND host = $2", 2, p,
			     NULL);
	return pg_do(c,
		     "INSERT INTO drive_hosts VALUES($1, $2, $3) ON CONFLICT(drive, host) DO"
		     " UPDATE SET device = excluded.device WHERE drive_hosts.device <>"
		     " excluded.device",
		     3, p, NULL);
}

const struct catalog_ops catalog_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .last_error = pg_last_error,
    .in_transaction = pg_in_transaction,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .flush = pg_flush,
    .load = pg_load,
    .clear_sessions = pg_clear_sessions,
    .save_library = pg_save_library,
    .save_drive = pg_save_drive,
    .save_medium = pg_save_medium,
    .save_pool = pg_save_pool,
    .save_request = pg_save_request,
    .save_opreq = pg_save_opreq,
    .save_session = pg_save_session,
    .delete_pool = pg_delete_pool,
    .delete_request = pg_delete_request,
    .delete_opreq = pg_delete_opreq,
    .delete_session = pg_delete_session,
    .add_channel = pg_add_channel,
    .delete_channel = pg_delete_channel,
    .set_meta = pg_set_meta,
    .save_intent = pg_save_intent,
    .clear_intent = pg_clear_intent,
    .load_intent = pg_load_intent,
    .take_number = pg_take_number,
    .claim_request = pg_claim_request,
    .save_sim_record = pg_save_sim_record,
    .load_sim_record = pg_load_sim_record,
    .save_drive_host = pg_save_drive_host,
};
