/* catalog.c - the SQLite catalog: schema, loading at start-up, and write-through saves.
 *
 * The in-memory model is the truth for reads; every change is written here, inside a
 * transaction, before anyone can see it.  SQLite is never queried on the hot path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SCHEMA_VERSION 1

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS libraries(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL, enabled INTEGER NOT NULL, backend TEXT NOT NULL, changer TEXT,"
	" door TEXT NOT NULL, nslots INTEGER NOT NULL, nports INTEGER NOT NULL,"
	" moves INTEGER NOT NULL, mounts INTEGER NOT NULL, failures INTEGER NOT NULL,"
	" mount_secs REAL NOT NULL, mount_secs_max REAL NOT NULL, position INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pools(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL, media_type TEXT NOT NULL, draw INTEGER NOT NULL,"
	" ret INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, mode INTEGER NOT NULL,"
	" position INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS drives(name TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE,"
	" library TEXT NOT NULL REFERENCES libraries(name), number INTEGER NOT NULL,"
	" state TEXT NOT NULL, enabled INTEGER NOT NULL, medium TEXT, last_used INTEGER NOT NULL,"
	" mounts INTEGER NOT NULL, cleanings INTEGER NOT NULL, errors INTEGER NOT NULL,"
	" last_cleaned TEXT NOT NULL, position INTEGER NOT NULL);"
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

/* The prepared statement for sql, from the engine's cache: every statement the catalog runs
 * is a string literal, so its address names it, and preparing (parsing and planning) cost
 * more than running most of them.  *cached says whether it stays in the cache (else the
 * caller finalizes it: the cache is full).  NULL with *rc set when it cannot be prepared. */
static sqlite3_stmt *statement_for(struct rsm_engine *eng, const char *sql, int *rc, bool *cached)
{
	int free_slot = -1;

	for (int i = 0; i < STATEMENT_CACHE; i++) {
		if (eng->stmt_sql[i] == sql) {
			*cached = true;
			return eng->stmt[i];
		}
		if (!eng->stmt_sql[i] && free_slot < 0)
			free_slot = i;
	}
	sqlite3_stmt *st = NULL;
	*cached = free_slot >= 0;
	*rc = sqlite3_prepare_v3(eng->db, sql, -1, *cached ? SQLITE_PREPARE_PERSISTENT : 0, &st,
				 NULL);
	if (*rc != SQLITE_OK)
		return NULL;
	if (*cached) {
		eng->stmt_sql[free_slot] = sql;
		eng->stmt[free_slot] = st;
	}
	return st;
}

/* Finalizes every cached statement (before the catalog is closed). */
static void statements_free(struct rsm_engine *eng)
{
	for (int i = 0; i < STATEMENT_CACHE; i++) {
		if (eng->stmt[i])
			sqlite3_finalize(eng->stmt[i]);
		eng->stmt[i] = NULL;
		eng->stmt_sql[i] = NULL;
	}
}

/* Runs one statement; types names each argument: 's' text, 'i' int64, 'd' double. */
static rsm_err exec_args(struct rsm_engine *eng, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc = SQLITE_OK;
	bool cached;

	if (!eng->db)
		return ERROR_DATABASE_FAILURE;
	if (!(st = statement_for(eng, sql, &rc, &cached)))
		return sql_error(rc);
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 's') {
			const char *v = va_arg(ap, const char *);
			sqlite3_bind_text(st, i + 1, v, -1, SQLITE_STATIC); /* stepped before return */
		} else if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!cached)
		sqlite3_finalize(st);
	return sql_error(rc);
}

/* PRAGMA quick_check before anything is read: a damaged page that the start-up queries do not
 * touch would otherwise surface later as a wrong answer.  true (with the message and the way
 * out, which rsmfs(8) describes in full) when the catalog is damaged. */
static bool catalog_damaged(struct rsm_engine *eng, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char first[200] = "";
	int rc = sqlite3_prepare_v2(eng->db, "PRAGMA quick_check(1)", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(first, sizeof(first), "%s", (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_ROW)
		snprintf(first, sizeof(first), "%s", sqlite3_errmsg(eng->db));
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
		 eng->cfg.database, first, eng->cfg.database);
	return true;
}

rsm_err catalog_open(struct rsm_engine *eng, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(eng->cfg.database, &eng->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sqlite3_stmt *st = NULL;
	char *msg = NULL;
	int version = -1;

	if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY || rc == SQLITE_PERM) {
		/* an unwritable catalog still serves reads; every change is refused */
		sqlite3_close(eng->db);
		eng->db = NULL;
		rc = sqlite3_open_v2(eng->cfg.database, &eng->db, SQLITE_OPEN_READONLY, NULL);
		eng->db_readonly = true;
	}
	/* SQLite opens a file it may not write (read-only, immutable, on a read-only file
	 * system) read-only without saying so: ask */
	if (rc == SQLITE_OK && sqlite3_db_readonly(eng->db, "main") == 1)
		eng->db_readonly = true;
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open catalog %s: %s", eng->cfg.database,
			 eng->db ? sqlite3_errmsg(eng->db) : "out of memory");
		return ERROR_DATABASE_FAILURE;
	}
	sqlite3_busy_timeout(eng->db, eng->cfg.busy_timeout_ms);
	sqlite3_exec(eng->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	if (!eng->db_readonly) {
		if (sqlite3_exec(eng->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
				 NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "catalog %s is not usable: %s", eng->cfg.database,
				 msg ? msg : "?");
			sqlite3_free(msg);
			return ERROR_DATABASE_FAILURE;
		}
		if (eng->cfg.database_max_size > 0) {
			char pragma[96];
			long long pages = eng->cfg.database_max_size / 4096;
			snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count=%lld",
				 pages > 1 ? pages : 1);
			sqlite3_exec(eng->db, pragma, NULL, NULL, NULL);
		}
		if (sqlite3_exec(eng->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "cannot create the catalog schema in %s: %s",
				 eng->cfg.database, msg ? msg : "?");
			sqlite3_free(msg);
			return ERROR_DATABASE_FAILURE;
		}
	}
	if (catalog_damaged(eng, err, errlen))
		return ERROR_DATABASE_FAILURE;
	if (sqlite3_prepare_v2(eng->db, "SELECT version FROM schema_version", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	} else {
		snprintf(err, errlen, "catalog %s is damaged or not an rsmfs catalog: %s",
			 eng->cfg.database, sqlite3_errmsg(eng->db));
		return ERROR_DATABASE_FAILURE;
	}
	if (version < 0 && !eng->db_readonly) {
		if (exec_args(eng, "INSERT INTO schema_version(version) VALUES(?)", "i",
			      (int64_t)SCHEMA_VERSION) != ERROR_SUCCESS) {
			snprintf(err, errlen, "cannot write catalog %s: %s", eng->cfg.database,
				 sqlite3_errmsg(eng->db));
			return ERROR_DATABASE_FAILURE;
		}
	} else if (version != SCHEMA_VERSION && version >= 0) {
		snprintf(err, errlen, "catalog %s has schema version %d; this rsmfs reads %d",
			 eng->cfg.database, version, SCHEMA_VERSION);
		return ERROR_DATABASE_FAILURE;
	}
	return ERROR_SUCCESS;
}

void catalog_close(struct rsm_engine *eng)
{
	catalog_batch_commit(eng);
	statements_free(eng);
	if (eng->db)
		sqlite3_close(eng->db);
	eng->db = NULL;
}

/* Begins a transaction of the caller's own, whose failure the caller reports: the state
 * transitions gathered so far are committed first, apart from it. */
rsm_err catalog_begin(struct rsm_engine *eng)
{
	if (eng->db_readonly)
		return ERROR_DATABASE_FAILURE;
	catalog_batch_commit(eng);
	return exec_args(eng, "BEGIN IMMEDIATE", "");
}

rsm_err catalog_commit(struct rsm_engine *eng)
{
	rsm_err e = exec_args(eng, "COMMIT", "");
	if (e != ERROR_SUCCESS)
		catalog_rollback(eng);
	return e;
}

void catalog_rollback(struct rsm_engine *eng)
{
	if (eng->db && !sqlite3_get_autocommit(eng->db))
		sqlite3_exec(eng->db, "ROLLBACK", NULL, NULL, NULL);
}

rsm_err catalog_save_library(struct rsm_engine *eng, const struct library *l)
{
	return exec_args(eng,
			 "INSERT OR REPLACE INTO libraries VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			 "sssisssiiiiiddi", l->name, l->guid, l->type, (int64_t)l->enabled,
			 l->backend, l->changer, l->door, (int64_t)l->nslots, (int64_t)l->nports,
			 (int64_t)l->moves, (int64_t)l->mounts, (int64_t)l->failures,
			 l->mount_secs_total, l->mount_secs_max, (int64_t)(l - eng->libraries));
}

rsm_err catalog_save_drive(struct rsm_engine *eng, const struct drive *d)
{
	const char *medium = d->medium >= 0 ? eng->media[d->medium].name : "";
	return exec_args(eng, "INSERT INTO drives VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
			 " ON CONFLICT(name) DO UPDATE SET state=excluded.state"
			 ",enabled=excluded.enabled,medium=excluded.medium"
			 ",last_used=excluded.last_used,mounts=excluded.mounts"
			 ",cleanings=excluded.cleanings,errors=excluded.errors"
			 ",last_cleaned=excluded.last_cleaned",
			 "sssisisiiiisi", d->name, d->guid, eng->libraries[d->library].name,
			 (int64_t)d->number, drive_state_names[d->state], (int64_t)d->enabled,
			 medium, (int64_t)d->last_used, (int64_t)d->mounts,
			 (int64_t)d->cleanings, (int64_t)d->errors, d->last_cleaned,
			 (int64_t)(d - eng->drives));
}

static const char *const loc_names[] = {"slot", "drive", "port", "offline"};

rsm_err catalog_save_medium(struct rsm_engine *eng, const struct medium *m)
{
	rsm_err e = exec_args(eng,
			      "INSERT INTO media VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"
			 " ON CONFLICT(name) DO UPDATE SET type=excluded.type,state=excluded.state"
			 ",enabled=excluded.enabled,library=excluded.library,pool=excluded.pool"
			 ",loc=excluded.loc,loc_addr=excluded.loc_addr"
			 ",home_slot=excluded.home_slot",
			      "sssssisssiii", m->name, m->guid, m->barcode, m->type,
			      media_state_names[m->state], (int64_t)m->enabled,
			      eng->libraries[m->library].name, eng->pools[m->pool].name,
			      loc_names[m->loc], (int64_t)m->loc_addr, (int64_t)m->home_slot,
			      (int64_t)(m - eng->media));
	for (int i = 0; e == ERROR_SUCCESS && i < m->nsides; i++)
		e = exec_args(eng, "INSERT INTO sides VALUES(?,?,?,?,?)"
			 " ON CONFLICT(guid) DO UPDATE SET state=excluded.state,owner=excluded.owner",
			      "ssiss",
			      m->sides[i].guid, m->name, (int64_t)i,
			      side_state_names[m->sides[i].state], m->sides[i].owner);
	return e;
}

rsm_err catalog_save_pool(struct rsm_engine *eng, const struct pool *p)
{
	return exec_args(eng, "INSERT OR REPLACE INTO pools VALUES(?,?,?,?,?,?,?,?,?,?)",
			 "ssssiiiiii", p->name, p->guid, p->type, p->media_type, (int64_t)p->draw,
			 (int64_t)p->ret, (int64_t)p->uid, (int64_t)p->gid, (int64_t)p->mode,
			 (int64_t)(p - eng->pools));
}

rsm_err catalog_save_request(struct rsm_engine *eng, const struct request *r)
{
	return exec_args(
		eng, "INSERT INTO requests VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
			 " ON CONFLICT(number) DO UPDATE SET state=excluded.state"
			 ",medium=excluded.medium,drive=excluded.drive"
			 ",library=excluded.library,priority=excluded.priority"
			 ",options=excluded.options,started=excluded.started,finished=excluded.finished"
			 ",error=excluded.error,error_detail=excluded.error_detail",
		"isssssssiiiiiis", (int64_t)r->number, r->guid, req_op_names[r->op],
		req_state_names[r->state], r->session_name,
		r->medium >= 0 ? eng->media[r->medium].name : "",
		r->drive >= 0 ? eng->drives[r->drive].name : "",
		r->library >= 0 ? eng->libraries[r->library].name : "", (int64_t)r->priority,
		(int64_t)r->options, r->submitted, r->started, r->finished, (int64_t)r->error,
		r->error_detail);
}

rsm_err catalog_save_opreq(struct rsm_engine *eng, const struct opreq *o)
{
	return exec_args(eng, "INSERT OR REPLACE INTO opreqs VALUES(?,?,?,?,?,?,?,?,?,?)",
			 "issssissii", (int64_t)o->number, o->guid, opreq_type_names[o->type],
			 opreq_state_names[o->state], o->message, (int64_t)o->request,
			 o->library >= 0 ? eng->libraries[o->library].name : "",
			 o->drive >= 0 ? eng->drives[o->drive].name : "", o->submitted,
			 o->finished);
}

rsm_err catalog_delete_opreq(struct rsm_engine *eng, uint64_t number)
{
	return exec_args(eng, "DELETE FROM opreqs WHERE number=?", "i", (int64_t)number);
}

rsm_err catalog_delete_pool(struct rsm_engine *eng, const char *name)
{
	return exec_args(eng, "DELETE FROM pools WHERE name=?", "s", name);
}

rsm_err catalog_delete_request(struct rsm_engine *eng, uint64_t number)
{
	return exec_args(eng, "DELETE FROM requests WHERE number=?", "i", (int64_t)number);
}

rsm_err catalog_save_session(struct rsm_engine *eng, const struct session *s)
{
	return exec_args(eng, "INSERT INTO sessions VALUES(?,?,?,?,?)", "sssii", s->name, s->guid,
			 s->application, (int64_t)s->uid, s->created);
}

rsm_err catalog_delete_session(struct rsm_engine *eng, const char *name)
{
	return exec_args(eng, "DELETE FROM sessions WHERE name=?", "s", name);
}

rsm_err catalog_add_channel(struct rsm_engine *eng, const char *session, int type, int64_t *row)
{
	rsm_err e = exec_args(eng, "INSERT INTO channels(session, type) VALUES(?,?)", "ss",
			      session, rsm_object_type_name(type));
	if (e == ERROR_SUCCESS)
		*row = sqlite3_last_insert_rowid(eng->db);
	return e;
}

rsm_err catalog_delete_channel(struct rsm_engine *eng, int64_t row)
{
	return exec_args(eng, "DELETE FROM channels WHERE id=?", "i", row);
}

rsm_err catalog_set_meta(struct rsm_engine *eng, const char *key, uint64_t value)
{
	return exec_args(eng, "INSERT OR REPLACE INTO meta VALUES(?,?)", "si", key,
			 (int64_t)value);
}

/* Saves whichever of a drive, a medium and a request are given, inside the caller's
 * transaction. */
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

/* Joins the transaction of the burst of work under way (see catalog_save_state), opening it
 * if need be; inside a caller's own transaction (catalog_begin), that one. */
rsm_err catalog_batch_begin(struct rsm_engine *eng)
{
	rsm_err e = ERROR_SUCCESS;
	bool in_callers = eng->db && !sqlite3_get_autocommit(eng->db); /* inside catalog_begin */

	if (!eng->batch_open && !in_callers) {
		e = catalog_begin(eng);
		eng->batch_open = e == ERROR_SUCCESS;
	}
	return e;
}

/* Saves a drive, a medium and a request together: one state transition of a job.  The
 * transitions made while the engine lock is held go into one transaction, which
 * catalog_batch_commit ends before the lock is released and before anyone is told of them
 * (engine_unlock runs the replies and events after it): one commit per burst of work instead
 * of one per transition, and still nothing is seen that is not in the catalog.  A failure
 * here cannot be undone (the cartridge has physically moved), so it is reported, not
 * returned to anyone. */
rsm_err catalog_save_state(struct rsm_engine *eng, struct drive *d, struct medium *m,
			   struct request *r)
{
	rsm_err e = catalog_batch_begin(eng);

	if (e == ERROR_SUCCESS)
		e = catalog_save_state_in(eng, d, m, r);
	if (e != ERROR_SUCCESS)
		fprintf(stderr, "rsmfs: catalog write failed: %s (%s)\n", rsm_error_name(e),
			eng->db ? sqlite3_errmsg(eng->db) : "no catalog");
	return e;
}

/* Saves a drive, a medium and a request in a transaction of their own, committed before it
 * returns: for a change a caller undoes in memory when the catalog refuses it (an operator's
 * enable or disable, a pool move). */
rsm_err catalog_save_checked(struct rsm_engine *eng, struct drive *d, struct medium *m,
			     struct request *r)
{
	rsm_err e = catalog_begin(eng);

	if (e == ERROR_SUCCESS)
		e = catalog_save_state_in(eng, d, m, r);
	if (e == ERROR_SUCCESS)
		e = catalog_commit(eng);
	else
		catalog_rollback(eng);
	return e;
}

/* Commits the transitions catalog_save_state gathered, if any. */
rsm_err catalog_batch_commit(struct rsm_engine *eng)
{
	if (!eng->batch_open)
		return ERROR_SUCCESS;
	eng->batch_open = false;
	rsm_err e = catalog_commit(eng);
	if (e != ERROR_SUCCESS)
		fprintf(stderr, "rsmfs: catalog write failed: %s (%s)\n", rsm_error_name(e),
			eng->db ? sqlite3_errmsg(eng->db) : "no catalog");
	return e;
}

rsm_err catalog_save_intent(struct rsm_engine *eng, const char *library, const char *medium,
			    int source, int destination, uint64_t request)
{
	return exec_args(eng, "INSERT OR REPLACE INTO intents VALUES(?,?,?,?,?)", "ssiii", library,
			 medium, (int64_t)source, (int64_t)destination, (int64_t)request);
}

rsm_err catalog_clear_intent(struct rsm_engine *eng, const char *library)
{
	return exec_args(eng, "DELETE FROM intents WHERE library=?", "s", library);
}

int catalog_load_intent(struct rsm_engine *eng, const char *library, char *medium, size_t len,
			int *source, int *destination)
{
	sqlite3_stmt *st;
	int found = 0;

	if (!eng->db || sqlite3_prepare_v2(eng->db,
					   "SELECT medium, source, destination FROM intents "
					   "WHERE library=?",
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
