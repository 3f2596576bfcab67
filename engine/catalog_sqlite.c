/* catalog_sqlite.c - the catalog in an SQLite file (the default): schema, the statements
 * that write each row, and the reads at start-up (catalog.h).
 *
 * WAL journal, one writer (the engine lock), prepared statements kept for the life of the
 * catalog.  Every statement is a string literal, so its address names it in the cache.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "catalog.h"
#include "log.h"

#define SCHEMA_VERSION 3

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS libraries(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, enabled INTEGER NOT NULL, backend TEXT NOT NULL, changer TEXT,"
    " door TEXT NOT NULL, nslots INTEGER NOT NULL, nports INTEGER NOT NULL,"
    " moves INTEGER NOT NULL, mounts INTEGER NOT NULL, failures INTEGER NOT NULL,"
    " mount_secs REAL NOT NULL, mount_secs_max REAL NOT NULL, position INTEGER NOT NULL,"
    " dismount_delay REAL NOT NULL DEFAULT 300, mount_buckets TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS pools(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, media_type TEXT NOT NULL, draw INTEGER NOT NULL,"
    " ret INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, mode INTEGER NOT NULL,"
    " position INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS drives(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " library TEXT NOT NULL REFERENCES libraries(name), number INTEGER NOT NULL,"
    " state TEXT NOT NULL, enabled INTEGER NOT NULL, medium TEXT, last_used INTEGER NOT NULL,"
    " mounts INTEGER NOT NULL, cleanings INTEGER NOT NULL, errors INTEGER NOT NULL,"
    " last_cleaned TEXT NOT NULL, position INTEGER NOT NULL,"
    " bytes_read INTEGER NOT NULL DEFAULT 0, bytes_written INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS media(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " barcode TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, enabled INTEGER NOT NULL,"
    " library TEXT NOT NULL REFERENCES libraries(name), pool TEXT NOT NULL REFERENCES"
    " pools(name), loc TEXT NOT NULL, loc_addr INTEGER NOT NULL, home_slot INTEGER NOT NULL,"
    " position INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sides(guid TEXT PRIMARY KEY, medium TEXT NOT NULL REFERENCES"
    " media(name) ON DELETE CASCADE, side INTEGER NOT NULL, state TEXT NOT NULL,"
    " owner TEXT NOT NULL, UNIQUE(medium, side));"
    "CREATE TABLE IF NOT EXISTS requests(number INTEGER PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " operation TEXT NOT NULL, state TEXT NOT NULL, session TEXT NOT NULL, medium TEXT,"
    " drive TEXT, library TEXT, priority INTEGER NOT NULL, options INTEGER NOT NULL,"
    " submitted INTEGER NOT NULL, started INTEGER NOT NULL, finished INTEGER NOT NULL,"
    " error INTEGER NOT NULL, error_detail TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " application TEXT NOT NULL, uid INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS channels(id INTEGER PRIMARY KEY, session TEXT NOT NULL"
    " REFERENCES sessions(name) ON DELETE CASCADE, type TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS opreqs(number INTEGER PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, request INTEGER NOT NULL,"
    " library TEXT NOT NULL, drive TEXT NOT NULL, submitted INTEGER NOT NULL,"
    " finished INTEGER NOT NULL);"
    /* a robot move of a real changer, written before the move is sent and removed once
     * its outcome is recorded: one left behind means the daemon died during that move */
    "CREATE TABLE IF NOT EXISTS intents(library TEXT PRIMARY KEY, medium TEXT NOT NULL,"
    " source INTEGER NOT NULL, destination INTEGER NOT NULL, request INTEGER NOT NULL);";

/* Maps an SQLite result code to the RSM error a caller sees. */
static rsm_err sql_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return ERROR_SUCCESS;
	case SQLITE_FULL:
		return ERROR_DATABASE_FULL;
	case SQLITE_NOMEM:
		return ERROR_NOT_ENOUGH_MEMORY;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		/* another process held the catalog past the busy time-out */
		return ERROR_TIMEOUT;
	default:
		return ERROR_DATABASE_FAILURE;
	}
}

#define STATEMENT_CACHE 32

struct sqlite_catalog {
	struct catalog base;
	sqlite3 *db;
	char path[4096];
	const char *stmt_sql[STATEMENT_CACHE]; /* the prepared statements, by text */
	sqlite3_stmt *stmt[STATEMENT_CACHE];
};

static struct sqlite_catalog *sq(struct catalog *c)
{
	return (struct sqlite_catalog *)c;
}

/* The prepared statement for sql, from the cache: preparing (parsing and planning) costs more
 * than running most of them.  *cached says whether it stays in the cache (else the caller
 * finalizes it: the cache is full).  NULL with *rc set when it cannot be prepared. */
static sqlite3_stmt *statement_for(struct sqlite_catalog *c, const char *sql, int *rc, bool *cached)
{
	int free_slot = -1;

	for (int i = 0; i < STATEMENT_CACHE; i++) {
		if (c->stmt_sql[i] == sql) {
			*cached = true;
			return c->stmt[i];
		}
		if (!c->stmt_sql[i] && free_slot < 0)
			free_slot = i;
	}
	sqlite3_stmt *st = NULL;
	*cached = free_slot >= 0;
	*rc =
	    sqlite3_prepare_v3(c->db, sql, -1, *cached ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
	if (*rc != SQLITE_OK)
		return NULL;
	if (*cached) {
		c->stmt_sql[free_slot] = sql;
		c->stmt[free_slot] = st;
	}
	return st;
}

/* A statement that failed is a catalog fault (rsmfs(8), CATALOG FAULTS): its caller rolls the
 * change back and fails it; the log says why, once, here where SQLite's message is at hand. */
static rsm_err statement_fault(struct sqlite_catalog *c, int rc)
{
	rsm_err e = sql_error(rc);

	if (e != ERROR_SUCCESS)
		engine_log(RSM_LOG_ERROR, "catalog: write failed %s: %s", rsm_error_name(e),
			   sqlite3_errmsg(c->db));
	return e;
}

/* Runs one statement; types names each argument: 's' text, 'i' int64, 'd' double. */
static rsm_err exec_args(struct sqlite_catalog *c, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc = SQLITE_OK;
	bool cached;

	if (!c->db)
		return ERROR_DATABASE_FAILURE;
	if (!(st = statement_for(c, sql, &rc, &cached)))
		return statement_fault(c, rc);
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 's') {
			const char *v = va_arg(ap, const char *);
			sqlite3_bind_text(st, i + 1, v, -1,
					  SQLITE_STATIC); /* stepped before return */
		} else if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	rsm_err e = statement_fault(c, rc); /* before the reset, while the message is its own */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!cached)
		sqlite3_finalize(st);
	return e;
}

/* ---- opening ---- */

/* PRAGMA quick_check before anything is read: a damaged page that the start-up queries do not
 * touch would otherwise surface later as a wrong answer.  true (with the message and the way
 * out, which rsmfs(8) describes in full) when the catalog is damaged. */
static bool catalog_damaged(struct sqlite_catalog *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char first[200] = "";
	int rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(1)", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(first, sizeof(first), "%s", (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_ROW)
		snprintf(first, sizeof(first), "%s", sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	if (strcmp(first, "ok") == 0)
		return false;
	for (char *p = first; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(err, errlen,
		 "catalog %s is damaged (%s); rsmfs will not start on it.  Recovery: keep a copy, "
		 "then either rebuild it (sqlite3 %s .recover | sqlite3 new.db; database = "
		 "new.db) or move it aside to start a new catalog, whose libraries are then "
		 "inventoried (see rsmfs(8), CATALOG RECOVERY)",
		 c->path, first, c->path);
	return true;
}

/* Opens the file, read-write if it can be written; returns the SQLite result. */
static int open_file(struct sqlite_catalog *c)
{
	int rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY || rc == SQLITE_PERM) {
		/* an unwritable catalog still serves reads; every change is refused */
		sqlite3_close(c->db);
		c->db = NULL;
		rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READONLY, NULL);
		c->base.readonly = true;
	}
	/* SQLite opens a file it may not write (read-only, immutable, on a read-only file
	 * system) read-only without saying so: ask */
	if (rc == SQLITE_OK && sqlite3_db_readonly(c->db, "main") == 1)
		c->base.readonly = true;
	return rc;
}

/* WAL, the durability asked for, the size limit and the schema, on a catalog that can be
 * written.  In WAL mode synchronous=FULL syncs the log at every commit, so a change is on the
 * disk before the caller is told it is done; NORMAL syncs it only at checkpoints (catalog.c
 * asks for one a second after a commit), so a power loss may take back the changes since the
 * last one (a crash of the daemon does not: they are in the log, in the kernel's hands). */
static int prepare_schema(struct sqlite_catalog *c, const struct rsm_config *cfg, char *err,
			  size_t errlen)
{
	char *msg = NULL;
	const char *setup = cfg->synchronous_normal
				? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				: "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";

	if (sqlite3_exec(c->db, setup, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "catalog %s is not usable: %s", c->path, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	if (cfg->database_max_size > 0) {
		char pragma[96];
		long long pages = cfg->database_max_size / 4096;
		snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count=%lld",
			 pages > 1 ? pages : 1);
		sqlite3_exec(c->db, pragma, NULL, NULL, NULL);
	}
	if (sqlite3_exec(c->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot create the catalog schema in %s: %s", c->path,
			 msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* What each version of the schema adds to the one before (index: the version it makes). */
static const char *const upgrades[SCHEMA_VERSION + 1] = {
    [2] = "ALTER TABLE libraries ADD COLUMN dismount_delay REAL NOT NULL DEFAULT 300;",
    [3] = "ALTER TABLE libraries ADD COLUMN mount_buckets TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE drives ADD COLUMN bytes_read INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE drives ADD COLUMN bytes_written INTEGER NOT NULL DEFAULT 0;",
};

/* Brings a catalog of an older version up to this one, in one transaction. */
static int upgrade(struct sqlite_catalog *c, int version, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);

	for (int v = version + 1; rc == SQLITE_OK && v <= SCHEMA_VERSION; v++)
		rc = sqlite3_exec(c->db, upgrades[v], NULL, NULL, &msg);
	if (rc == SQLITE_OK && exec_args(c, "UPDATE schema_version SET version=?", "i",
					 (int64_t)SCHEMA_VERSION) != ERROR_SUCCESS)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot upgrade catalog %s from schema version %d: %s",
			 c->path, version, msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* The schema version: recorded in a new catalog, and an older one's upgraded (a catalog that
 * can only be read is read as it is). */
static int check_version(struct sqlite_catalog *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(c->db, "SELECT version FROM schema_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "catalog %s is damaged or not an rsmfs catalog: %s", c->path,
			 sqlite3_errmsg(c->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 0 && !c->base.readonly) {
		if (exec_args(c, "INSERT INTO schema_version(version) VALUES(?)", "i",
			      (int64_t)SCHEMA_VERSION) != ERROR_SUCCESS) {
			snprintf(err, errlen, "cannot write catalog %s: %s", c->path,
				 sqlite3_errmsg(c->db));
			return -1;
		}
	} else if (version >= 1 && version < SCHEMA_VERSION && !c->base.readonly) {
		return upgrade(c, version, err, errlen);
	} else if (version > SCHEMA_VERSION || version == 0) {
		snprintf(err, errlen, "catalog %s has schema version %d; this rsmfs reads %d",
			 c->path, version, SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static void sqlite_close(struct catalog *base)
{
	struct sqlite_catalog *c = sq(base);

	for (int i = 0; i < STATEMENT_CACHE; i++)
		if (c->stmt[i])
			sqlite3_finalize(c->stmt[i]);
	if (c->db)
		sqlite3_close(c->db);
	free(c);
}

static struct catalog *sqlite_open(const struct rsm_config *cfg, char *err, size_t errlen)
{
	struct sqlite_catalog *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base.ops = &catalog_sqlite_ops;
	snprintf(c->path, sizeof(c->path), "%s", cfg->database);
	rc = open_file(c);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open catalog %s: %s", c->path,
			 c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(c->db, cfg->busy_timeout_ms);
	sqlite3_exec(c->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	if ((!c->base.readonly && prepare_schema(c, cfg, err, errlen) < 0) ||
	    catalog_damaged(c, err, errlen) || check_version(c, err, errlen) < 0)
		goto fail;
	return &c->base;
fail:
	sqlite_close(&c->base);
	return NULL;
}

static const char *sqlite_last_error(struct catalog *c)
{
	return sq(c)->db ? sqlite3_errmsg(sq(c)->db) : "no catalog";
}

static bool sqlite_in_transaction(struct catalog *c)
{
	return sq(c)->db && !sqlite3_get_autocommit(sq(c)->db);
}

static rsm_err sqlite_begin(struct catalog *c)
{
	return exec_args(sq(c), "BEGIN IMMEDIATE", "");
}

static rsm_err sqlite_commit(struct catalog *c)
{
	return exec_args(sq(c), "COMMIT", "");
}

static void sqlite_rollback(struct catalog *c)
{
	sqlite3_exec(sq(c)->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A passive checkpoint syncs the log before it copies it into the database (and the database
 * after), which is all synchronous = NORMAL leaves undone at a commit. */
static void sqlite_flush(struct catalog *c)
{
	sqlite3_wal_checkpoint_v2(sq(c)->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

/* ---- rows ---- */

static rsm_err save_library(struct catalog *c, struct rsm_engine *eng, const struct library *l)
{
	char buckets[RSM_MOUNT_BUCKETS * 32];

	library_buckets_text(l, buckets, sizeof(buckets));
	return exec_args(
	    sq(c), "INSERT OR REPLACE INTO libraries VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "sssisssiiiiiddids", l->name, l->guid, l->type, (int64_t)l->enabled, l->backend,
	    l->changer, l->door, (int64_t)l->nslots, (int64_t)l->nports, (int64_t)l->moves,
	    (int64_t)l->mounts, (int64_t)l->failures, l->mount_secs_total, l->mount_secs_max,
	    (int64_t)(l - eng->libraries), l->dismount_delay, buckets);
}

static rsm_err save_drive(struct catalog *c, struct rsm_engine *eng, const struct drive *d)
{
	const char *medium = d->medium >= 0 ? eng->media[d->medium].name : "";

	return exec_args(sq(c),
			 "INSERT INTO drives VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
			 " ON CONFLICT(name) DO UPDATE SET state=excluded.state"
			 ",enabled=excluded.enabled,medium=excluded.medium"
			 ",last_used=excluded.last_used,mounts=excluded.mounts"
			 ",cleanings=excluded.cleanings,errors=excluded.errors"
			 ",last_cleaned=excluded.last_cleaned,bytes_read=excluded.bytes_read"
			 ",bytes_written=excluded.bytes_written",
			 "sssisisiiiisiii", d->name, d->guid, eng->libraries[d->library].name,
			 (int64_t)d->number, name_of(&drive_states, d->state), (int64_t)d->enabled,
			 medium, (int64_t)d->last_used, (int64_t)d->mounts, (int64_t)d->cleanings,
			 (int64_t)d->errors, d->last_cleaned, (int64_t)(d - eng->drives),
			 (int64_t)d->bytes_read, (int64_t)d->bytes_written);
}

static rsm_err save_medium(struct catalog *c, struct rsm_engine *eng, const struct medium *m)
{
	rsm_err e = exec_args(sq(c),
			      "INSERT INTO media VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"
			      " ON CONFLICT(name) DO UPDATE SET type=excluded.type"
			      ",state=excluded.state,enabled=excluded.enabled"
			      ",library=excluded.library,pool=excluded.pool,loc=excluded.loc"
			      ",loc_addr=excluded.loc_addr,home_slot=excluded.home_slot",
			      "sssssisssiii", m->name, m->guid, m->barcode, m->type,
			      name_of(&media_states, m->state), (int64_t)m->enabled,
			      eng->libraries[m->library].name, eng->pools[m->pool].name,
			      name_of(&loc_kinds, m->loc), (int64_t)m->loc_addr,
			      (int64_t)m->home_slot, (int64_t)(m - eng->media));

	for (int i = 0; e == ERROR_SUCCESS && i < m->nsides; i++)
		e = exec_args(sq(c),
			      "INSERT INTO sides VALUES(?,?,?,?,?) ON CONFLICT(guid) DO UPDATE"
			      " SET state=excluded.state,owner=excluded.owner",
			      "ssiss", m->sides[i].guid, m->name, (int64_t)i,
			      name_of(&side_states, m->sides[i].state), m->sides[i].owner);
	return e;
}

static rsm_err save_pool(struct catalog *c, struct rsm_engine *eng, const struct pool *p)
{
	return exec_args(sq(c), "INSERT OR REPLACE INTO pools VALUES(?,?,?,?,?,?,?,?,?,?)",
			 "ssssiiiiii", p->name, p->guid, p->type, p->media_type, (int64_t)p->draw,
			 (int64_t)p->ret, (int64_t)p->uid, (int64_t)p->gid, (int64_t)p->mode,
			 (int64_t)(p - eng->pools));
}

static rsm_err save_request(struct catalog *c, struct rsm_engine *eng, const struct request *r)
{
	return exec_args(
	    sq(c),
	    "INSERT INTO requests VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT(number) DO UPDATE SET state=excluded.state"
	    ",medium=excluded.medium,drive=excluded.drive"
	    ",library=excluded.library,priority=excluded.priority"
	    ",options=excluded.options,started=excluded.started,finished=excluded.finished"
	    ",error=excluded.error,error_detail=excluded.error_detail",
	    "isssssssiiiiiis", (int64_t)r->number, r->guid, name_of(&req_ops, r->op),
	    name_of(&req_states, r->state), r->session_name,
	    r->medium >= 0 ? eng->media[r->medium].name : "",
	    r->drive >= 0 ? eng->drives[r->drive].name : "",
	    r->library >= 0 ? eng->libraries[r->library].name : "", (int64_t)r->priority,
	    (int64_t)r->options, r->submitted, r->started, r->finished, (int64_t)r->error,
	    r->error_detail);
}

static rsm_err save_opreq(struct catalog *c, struct rsm_engine *eng, const struct opreq *o)
{
	return exec_args(sq(c), "INSERT OR REPLACE INTO opreqs VALUES(?,?,?,?,?,?,?,?,?,?)",
			 "issssissii", (int64_t)o->number, o->guid, name_of(&opreq_types, o->type),
			 name_of(&opreq_states, o->state), o->message, (int64_t)o->request,
			 o->library >= 0 ? eng->libraries[o->library].name : "",
			 o->drive >= 0 ? eng->drives[o->drive].name : "", o->submitted,
			 o->finished);
}

static rsm_err save_session(struct catalog *c, const struct session *s)
{
	return exec_args(sq(c), "INSERT INTO sessions VALUES(?,?,?,?,?)", "sssii", s->name, s->guid,
			 s->application, (int64_t)s->uid, s->created);
}

static rsm_err delete_pool(struct catalog *c, const char *name)
{
	return exec_args(sq(c), "DELETE FROM pools WHERE name=?", "s", name);
}

static rsm_err delete_request(struct catalog *c, uint64_t number)
{
	return exec_args(sq(c), "DELETE FROM requests WHERE number=?", "i", (int64_t)number);
}

static rsm_err delete_opreq(struct catalog *c, uint64_t number)
{
	return exec_args(sq(c), "DELETE FROM opreqs WHERE number=?", "i", (int64_t)number);
}

static rsm_err delete_session(struct catalog *c, const char *name)
{
	return exec_args(sq(c), "DELETE FROM sessions WHERE name=?", "s", name);
}

static rsm_err add_channel(struct catalog *c, const char *session, const char *type, int64_t *row)
{
	rsm_err e = exec_args(sq(c), "INSERT INTO channels(session, type) VALUES(?,?)", "ss",
			      session, type);

	if (e == ERROR_SUCCESS)
		*row = sqlite3_last_insert_rowid(sq(c)->db);
	return e;
}

static rsm_err delete_channel(struct catalog *c, int64_t row)
{
	return exec_args(sq(c), "DELETE FROM channels WHERE id=?", "i", row);
}

static rsm_err clear_sessions(struct catalog *c)
{
	rsm_err e = exec_args(sq(c), "DELETE FROM channels", "");

	return e == ERROR_SUCCESS ? exec_args(sq(c), "DELETE FROM sessions", "") : e;
}

static rsm_err set_meta(struct catalog *c, const char *key, uint64_t value)
{
	return exec_args(sq(c), "INSERT OR REPLACE INTO meta VALUES(?,?)", "si", key,
			 (int64_t)value);
}

static rsm_err save_intent(struct catalog *c, const char *library, const char *medium, int source,
			   int destination, uint64_t request)
{
	return exec_args(sq(c), "INSERT OR REPLACE INTO intents VALUES(?,?,?,?,?)", "ssiii",
			 library, medium, (int64_t)source, (int64_t)destination, (int64_t)request);
}

static rsm_err clear_intent(struct catalog *c, const char *library)
{
	return exec_args(sq(c), "DELETE FROM intents WHERE library=?", "s", library);
}

static int load_intent(struct catalog *c, const char *library, char *medium, size_t len,
		       int *source, int *destination)
{
	sqlite3_stmt *st;
	int found = 0;

	if (!sq(c)->db ||
	    sqlite3_prepare_v2(sq(c)->db,
			       "SELECT medium, source, destination FROM intents WHERE library=?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, library, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(st, 0);
		snprintf(medium, len, "%s", m ? (const char *)m : "");
		*source = sqlite3_column_int(st, 1);
		*destination = sqlite3_column_int(st, 2);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* ---- start-up ---- */

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* Runs a query and hands each row to fn; -1 when the query or a row fails. */
static int each_row(struct sqlite_catalog *c, const char *sql, int bind,
		    int (*fn)(struct rsm_engine *eng, sqlite3_stmt *st), struct rsm_engine *eng)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (bind >= 0)
		sqlite3_bind_int(st, 1, bind);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(eng, st);
	return sqlite3_finalize(st) == SQLITE_OK ? rc : -1;
}

static int library_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	struct library *l = array_grow((void **)&eng->libraries, &eng->nlibraries, sizeof(*l));

	if (!l)
		return -1;
	snprintf(l->name, sizeof(l->name), "%s", col(st, 0));
	snprintf(l->guid, sizeof(l->guid), "%s", col(st, 1));
	snprintf(l->type, sizeof(l->type), "%s", col(st, 2));
	l->enabled = sqlite3_column_int(st, 3);
	snprintf(l->backend, sizeof(l->backend), "%s", col(st, 4));
	snprintf(l->changer, sizeof(l->changer), "%s", col(st, 5));
	snprintf(l->door, sizeof(l->door), "%s", col(st, 6));
	l->nslots = sqlite3_column_int(st, 7);
	l->nports = sqlite3_column_int(st, 8);
	l->moves = (uint64_t)sqlite3_column_int64(st, 9);
	l->mounts = (uint64_t)sqlite3_column_int64(st, 10);
	l->failures = (uint64_t)sqlite3_column_int64(st, 11);
	l->mount_secs_total = sqlite3_column_double(st, 12);
	l->mount_secs_max = sqlite3_column_double(st, 13);
	/* a catalog of schema 1 read as it is (it could not be upgraded): RSM's default */
	l->dismount_delay = sqlite3_column_count(st) > 15 ? sqlite3_column_double(st, 15) : 300;
	/* before schema 3, no histogram: the mounts counted then are in its +Inf bucket only */
	if (sqlite3_column_count(st) > 16)
		library_buckets_parse(l, col(st, 16));
	return 0;
}

static int pool_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	struct pool *p = array_grow((void **)&eng->pools, &eng->npools, sizeof(*p));

	if (!p)
		return -1;
	snprintf(p->name, sizeof(p->name), "%s", col(st, 0));
	snprintf(p->guid, sizeof(p->guid), "%s", col(st, 1));
	snprintf(p->type, sizeof(p->type), "%s", col(st, 2));
	snprintf(p->media_type, sizeof(p->media_type), "%s", col(st, 3));
	p->draw = sqlite3_column_int(st, 4);
	p->ret = sqlite3_column_int(st, 5);
	p->uid = (uid_t)sqlite3_column_int64(st, 6);
	p->gid = (gid_t)sqlite3_column_int64(st, 7);
	p->mode = (mode_t)sqlite3_column_int(st, 8);
	return 0;
}

static int drive_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	struct drive *d = array_grow((void **)&eng->drives, &eng->ndrives, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->name, sizeof(d->name), "%s", col(st, 0));
	snprintf(d->guid, sizeof(d->guid), "%s", col(st, 1));
	d->library = library_find(eng, col(st, 2));
	d->number = sqlite3_column_int(st, 3);
	d->state = (enum drive_state)name_lookup(&drive_states, col(st, 4));
	d->enabled = sqlite3_column_int(st, 5);
	d->failed = d->state == DRIVE_FAILED;
	d->medium = NO_INDEX; /* linked once media are loaded */
	d->session = d->vdrive = NO_INDEX;
	d->last_used = (uint64_t)sqlite3_column_int64(st, 7);
	d->mounts = (uint64_t)sqlite3_column_int64(st, 8);
	d->cleanings = (uint64_t)sqlite3_column_int64(st, 9);
	d->errors = (uint64_t)sqlite3_column_int64(st, 10);
	snprintf(d->last_cleaned, sizeof(d->last_cleaned), "%s", col(st, 11));
	if (sqlite3_column_count(st) > 14) { /* schema 3 */
		d->bytes_read = (uint64_t)sqlite3_column_int64(st, 13);
		d->bytes_written = (uint64_t)sqlite3_column_int64(st, 14);
	}
	if (d->last_used > eng->lru_clock)
		eng->lru_clock = d->last_used;
	return 0;
}

static int medium_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	struct medium *m = array_grow((void **)&eng->media, &eng->nmedia, sizeof(*m));

	if (!m)
		return -1;
	snprintf(m->name, sizeof(m->name), "%s", col(st, 0));
	snprintf(m->guid, sizeof(m->guid), "%s", col(st, 1));
	snprintf(m->barcode, sizeof(m->barcode), "%s", col(st, 2));
	snprintf(m->type, sizeof(m->type), "%s", col(st, 3));
	m->state = (enum media_state)name_lookup(&media_states, col(st, 4));
	m->enabled = sqlite3_column_int(st, 5);
	m->library = library_find(eng, col(st, 6));
	m->pool = pool_find(eng, col(st, 7));
	m->loc = (enum loc_kind)name_lookup(&loc_kinds, col(st, 8));
	m->loc_addr = sqlite3_column_int(st, 9);
	m->home_slot = sqlite3_column_int(st, 10);
	return 0;
}

static int side_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	int mi = medium_find(eng, col(st, 0));
	int side = sqlite3_column_int(st, 1);

	if (mi < 0 || side < 0 || side >= 2)
		return 0;
	struct side *s = &eng->media[mi].sides[side];
	snprintf(s->guid, sizeof(s->guid), "%s", col(st, 2));
	s->state = (enum side_state)name_lookup(&side_states, col(st, 3));
	snprintf(s->owner, sizeof(s->owner), "%s", col(st, 4));
	if (eng->media[mi].nsides < side + 1)
		eng->media[mi].nsides = side + 1;
	return 0;
}

static int request_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r || request_array_reserve(eng) < 0) {
		free(r);
		return -1;
	}
	r->number = (uint64_t)sqlite3_column_int64(st, 0);
	snprintf(r->guid, sizeof(r->guid), "%s", col(st, 1));
	r->op = (enum req_op)name_lookup(&req_ops, col(st, 2));
	r->state = (enum req_state)name_lookup(&req_states, col(st, 3));
	snprintf(r->session_name, sizeof(r->session_name), "%s", col(st, 4));
	r->session = NO_INDEX;
	r->medium = medium_find(eng, col(st, 5));
	r->drive = drive_find(eng, col(st, 6));
	r->library = library_find(eng, col(st, 7));
	r->priority = sqlite3_column_int(st, 8);
	r->options = (unsigned)sqlite3_column_int(st, 9);
	r->submitted = sqlite3_column_int64(st, 10);
	r->started = sqlite3_column_int64(st, 11);
	r->finished = sqlite3_column_int64(st, 12);
	r->error = (rsm_err)sqlite3_column_int64(st, 13);
	snprintf(r->error_detail, sizeof(r->error_detail), "%s", col(st, 14));
	r->pool = r->vdrive = NO_INDEX;
	eng->requests[eng->nrequests++] = r;
	if (r->number >= eng->next_request)
		eng->next_request = r->number + 1;
	return 0;
}

static int opreq_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	struct opreq *o = calloc(1, sizeof(*o));

	if (!o || opreq_array_reserve(eng) < 0) {
		free(o);
		return -1;
	}
	o->number = (uint64_t)sqlite3_column_int64(st, 0);
	snprintf(o->guid, sizeof(o->guid), "%s", col(st, 1));
	o->type = (enum opreq_type)name_lookup(&opreq_types, col(st, 2));
	o->state = (enum opreq_state)name_lookup(&opreq_states, col(st, 3));
	snprintf(o->message, sizeof(o->message), "%s", col(st, 4));
	o->request = (uint64_t)sqlite3_column_int64(st, 5);
	o->library = library_find(eng, col(st, 6));
	o->drive = drive_find(eng, col(st, 7));
	o->submitted = sqlite3_column_int64(st, 8);
	o->finished = sqlite3_column_int64(st, 9);
	eng->opreqs[eng->nopreqs++] = o;
	if (o->number >= eng->next_opreq)
		eng->next_opreq = o->number + 1;
	return 0;
}

/* Counters: request numbers are never reused, so the next one is kept here (every finished
 * request may have been purged); likewise operator requests and unlabeled media. */
static int meta_row(struct rsm_engine *eng, sqlite3_stmt *st)
{
	catalog_meta_raise(eng, col(st, 0), (uint64_t)sqlite3_column_int64(st, 1));
	return 0;
}

/* SQL's side of request_finished(): queued, waiting and in process are not finished */
#define UNFINISHED "state IN ('queued','waiting','inprocess')"
/* the request_keep_max finished requests that finished last (bound to parameter 1) */
#define KEPT_FINISHED                                                                              \
	"number IN (SELECT number FROM requests WHERE NOT " UNFINISHED                             \
	" ORDER BY finished DESC, number DESC LIMIT ?)"

/* Deletes the finished requests past the request_keep_max that finished last, which the purge
 * would drop at once: a catalog that grew while nothing purged it (an old version, a long
 * stop) is trimmed before it is read, so start-up time and memory follow the retention, not
 * the history. */
static int drop_excess_history(struct sqlite_catalog *c, int keep_max)
{
	sqlite3_stmt *st;
	int rc;

	if (c->base.readonly)
		return 0; /* the excess stays in the file but not in memory */
	if (sqlite3_prepare_v2(
		c->db, "DELETE FROM requests WHERE NOT " UNFINISHED " AND NOT " KEPT_FINISHED, -1,
		&st, NULL))
		return -1;
	sqlite3_bind_int(st, 1, keep_max);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* A large purge leaves the file mostly free pages, which every later commit would pick
	 * through (the first run after one was 18 % slower), and its pages in the log: the file
	 * is rebuilt from what is left, now, at start. */
	if (rc == SQLITE_DONE && sqlite3_changes(c->db) > 10000) {
		sqlite3_exec(c->db, "VACUUM", NULL, NULL, NULL);
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

static rsm_err sqlite_load(struct catalog *base, struct rsm_engine *eng)
{
	struct sqlite_catalog *c = sq(base);
	int keep = eng->cfg.request_keep_max;

	if (each_row(c, "SELECT * FROM libraries ORDER BY position", -1, library_row, eng) ||
	    each_row(c, "SELECT * FROM pools ORDER BY position", -1, pool_row, eng) ||
	    each_row(c, "SELECT * FROM drives ORDER BY position", -1, drive_row, eng) ||
	    each_row(c, "SELECT * FROM media ORDER BY position", -1, medium_row, eng) ||
	    each_row(c, "SELECT medium, side, guid, state, owner FROM sides", -1, side_row, eng) ||
	    drop_excess_history(c, keep) ||
	    each_row(c,
		     "SELECT * FROM requests WHERE " UNFINISHED " OR " KEPT_FINISHED
		     " ORDER BY number",
		     keep, request_row, eng) ||
	    each_row(c,
		     "SELECT number, guid, type, state, message, request, library, drive,"
		     " submitted, finished FROM opreqs ORDER BY number",
		     -1, opreq_row, eng) ||
	    each_row(c, "SELECT key, value FROM meta", -1, meta_row, eng))
		return ERROR_DATABASE_FAILURE;
	return ERROR_SUCCESS;
}

const struct catalog_ops catalog_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .last_error = sqlite_last_error,
    .in_transaction = sqlite_in_transaction,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .flush = sqlite_flush,
    .rollback = sqlite_rollback,
    .load = sqlite_load,
    .clear_sessions = clear_sessions,
    .save_library = save_library,
    .save_drive = save_drive,
    .save_medium = save_medium,
    .save_pool = save_pool,
    .save_request = save_request,
    .save_opreq = save_opreq,
    .save_session = save_session,
    .delete_pool = delete_pool,
    .delete_request = delete_request,
    .delete_opreq = delete_opreq,
    .delete_session = delete_session,
    .add_channel = add_channel,
    .delete_channel = delete_channel,
    .set_meta = set_meta,
    .save_intent = save_intent,
    .clear_intent = clear_intent,
    .load_intent = load_intent,
};
