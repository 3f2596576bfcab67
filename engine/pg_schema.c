/* pg_schema.c - the catalog's schema in PostgreSQL (catalog_pg.h): its tables, the
 * notification triggers and the lease check, created by the first host to start or brought up
 * to this version from an older one, under an advisory lock so that hosts starting together
 * do it once.  The schema version table is the one of the SQLite catalog.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pg.h"

#define SCHEMA_VERSION 1

/* The advisory lock held while the schema is created or upgraded ("rsmfs" in ASCII). */
#define SCHEMA_LOCK "1920166502"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta(key text PRIMARY KEY, value bigint NOT NULL);"
    "CREATE SEQUENCE IF NOT EXISTS next_request;"
    "CREATE SEQUENCE IF NOT EXISTS next_opreq;"
    "CREATE SEQUENCE IF NOT EXISTS next_unlabeled;"
    "CREATE TABLE IF NOT EXISTS libraries(name text PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " type text NOT NULL, enabled integer NOT NULL, backend text NOT NULL, changer text NOT NULL,"
    " door text NOT NULL, nslots integer NOT NULL, nports integer NOT NULL, moves bigint NOT NULL,"
    " mounts bigint NOT NULL, failures bigint NOT NULL, mount_secs text NOT NULL,"
    " mount_secs_max text NOT NULL, dismount_delay text NOT NULL, mount_buckets text NOT NULL,"
    " online integer NOT NULL, inventorying integer NOT NULL, position integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pools(name text PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " type text NOT NULL, media_type text NOT NULL, draw integer NOT NULL, ret integer NOT NULL,"
    " uid bigint NOT NULL, gid bigint NOT NULL, mode integer NOT NULL,"
    " position integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS drives(name text PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " library text NOT NULL REFERENCES libraries(name), number integer NOT NULL,"
    " state text NOT NULL, enabled integer NOT NULL, medium text NOT NULL,"
    " last_used bigint NOT NULL, mounts bigint NOT NULL, cleanings bigint NOT NULL,"
    " errors bigint NOT NULL, last_cleaned text NOT NULL, bytes_read bigint NOT NULL,"
    " bytes_written bigint NOT NULL, session text NOT NULL, vdrive integer NOT NULL,"
    " position integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS media(name text PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " barcode text NOT NULL, type text NOT NULL, state text NOT NULL, enabled integer NOT NULL,"
    " library text NOT NULL REFERENCES libraries(name), pool text NOT NULL, loc text NOT NULL,"
    " loc_addr integer NOT NULL, home_slot integer NOT NULL, position integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sides(guid text PRIMARY KEY, medium text NOT NULL"
    " REFERENCES media(name) ON DELETE CASCADE, side integer NOT NULL, state text NOT NULL,"
    " owner text NOT NULL, UNIQUE(medium, side));"
    "CREATE TABLE IF NOT EXISTS requests(number bigint PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " operation text NOT NULL, state text NOT NULL, session text NOT NULL, medium text NOT NULL,"
    " drive text NOT NULL, library text NOT NULL, priority integer NOT NULL,"
    " options bigint NOT NULL, submitted bigint NOT NULL, started bigint NOT NULL,"
    " finished bigint NOT NULL, error bigint NOT NULL, error_detail text NOT NULL,"
    " port integer NOT NULL, vdrive integer NOT NULL, specific integer NOT NULL,"
    " pool text NOT NULL, opreq bigint NOT NULL, opreq_satisfied integer NOT NULL,"
    " result text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(name text PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " application text NOT NULL, uid bigint NOT NULL, created bigint NOT NULL,"
    " host text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS channels(id bigserial PRIMARY KEY, session text NOT NULL"
    " REFERENCES sessions(name) ON DELETE CASCADE, type text NOT NULL, host text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS opreqs(number bigint PRIMARY KEY, guid text NOT NULL UNIQUE,"
    " type text NOT NULL, state text NOT NULL, message text NOT NULL, request bigint NOT NULL,"
    " library text NOT NULL, drive text NOT NULL, submitted bigint NOT NULL,"
    " finished bigint NOT NULL);"
    "CREATE TABLE IF NOT EXISTS intents(library text PRIMARY KEY, medium text NOT NULL,"
    " source integer NOT NULL, destination integer NOT NULL, request bigint NOT NULL,"
    " host text NOT NULL);"
    /* a site's own: its hosts, the managers' leases, which host reaches which drive, and the
     * physical record of its simulated libraries */
    "CREATE TABLE IF NOT EXISTS hosts(name text PRIMARY KEY, state text NOT NULL,"
    " since timestamptz NOT NULL, heartbeat timestamptz NOT NULL, pid integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS leases(library text PRIMARY KEY, holder text NOT NULL,"
    " epoch bigint NOT NULL, expires timestamptz NOT NULL);"
    "CREATE TABLE IF NOT EXISTS drive_hosts(drive text NOT NULL, host text NOT NULL,"
    " device text NOT NULL, PRIMARY KEY(drive, host));"
    "CREATE TABLE IF NOT EXISTS sim_records(library text PRIMARY KEY, record text NOT NULL);"
    /* the notification of a change: "<table> <host that made it> <key>", after its commit */
    "CREATE OR REPLACE FUNCTION rsmfs_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE r record; BEGIN"
    " IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;"
    " PERFORM pg_notify('rsmfs', TG_TABLE_NAME || ' ' ||"
    " coalesce(current_setting('rsmfs.host', true), '-') || ' ' || (to_jsonb(r) ->> TG_ARGV[0]));"
    " RETURN NULL; END $$;"
    /* the lease check of a fenced commit: the lease row is held (FOR SHARE) until the commit,
     * so a host taking it over waits for that commit, and sees it */
    "CREATE OR REPLACE FUNCTION rsmfs_fence(lib text, who text, ep bigint) RETURNS void"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " PERFORM 1 FROM leases WHERE library = lib AND holder = who AND epoch = ep"
    " AND expires > clock_timestamp() FOR SHARE;"
    " IF NOT FOUND THEN RAISE EXCEPTION 'host % does not hold the lease of library %', who, lib"
    " USING ERRCODE = 'RS001'; END IF; END $$;";

/* One trigger per table whose rows the model holds: its name and the key its payload names;
 * hosts and leases only when what the tree shows changes (not at every heartbeat). */
static const struct {
	const char *table, *key, *when;
} notified[] = {
    {"libraries", "name", ""},
    {"drives", "name", ""},
    {"media", "name", ""},
    {"sides", "medium", ""},
    {"pools", "name", ""},
    {"requests", "number", ""},
    {"opreqs", "number", ""},
    {"sessions", "name", ""},
    {"hosts", "name", "OLD.state IS DISTINCT FROM NEW.state"},
    {"leases", "library", "OLD.holder IS DISTINCT FROM NEW.holder OR OLD.epoch <> NEW.epoch"},
    {"drive_hosts", "drive", ""},
};

/* ---- creating and upgrading ---- */

/* Runs a script of several statements (no parameters); -1 with the message in err. */
static int run_script(struct pg_catalog *c, const char *sql, const char *what, char *err,
		      size_t errlen)
{
	PGresult *res = PQexec(c->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	if (!ok)
		err[strcspn(err, "\n")] = '\0';
	return ok ? 0 : -1;
}

/* The notification triggers, made again (a schema of an older version may lack one). */
static int create_triggers(struct pg_catalog *c, char *err, size_t errlen)
{
	char sql[768];

	for (size_t i = 0; i < sizeof(notified) / sizeof(notified[0]); i++) {
		const char *t = notified[i].table;
		bool when = notified[i].when[0];
		snprintf(sql, sizeof(sql),
			 "DROP TRIGGER IF EXISTS rsmfs_%s_changed ON %s;"
			 "CREATE TRIGGER rsmfs_%s_changed AFTER INSERT OR DELETE ON %s FOR EACH ROW"
			 " EXECUTE FUNCTION rsmfs_notify('%s');"
			 "DROP TRIGGER IF EXISTS rsmfs_%s_updated ON %s;"
			 "CREATE TRIGGER rsmfs_%s_updated AFTER UPDATE ON %s FOR EACH ROW%s%s%s"
			 " EXECUTE FUNCTION rsmfs_notify('%s');",
			 t, t, t, t, notified[i].key, t, t, t, t, when ? " WHEN (" : "",
			 notified[i].when, when ? ")" : "", notified[i].key);
		if (run_script(c, sql, "cannot create the catalog's triggers", err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* What each version of the schema adds to the one before (index: the version it makes). */
static const char *const upgrades[SCHEMA_VERSION + 1] = {
    [0] = NULL,
};

/* Records the version in a new catalog, brings an older one up to this one; -1 with a
 * message for a newer one. */
static int check_version(struct pg_catalog *c, char *err, size_t errlen)
{
	PGresult *res = PQexec(c->conn, "SELECT version FROM schema_version");
	int version = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0
			  ? atoi(PQgetvalue(res, 0, 0))
			  : -1;
	char sql[96];

	PQclear(res);
	if (version > SCHEMA_VERSION || version == 0) {
		snprintf(err, errlen, "the catalog has schema version %d; this rsmfs reads %d",
			 version, SCHEMA_VERSION);
		return -1;
	}
	for (int v = version + 1; version > 0 && v <= SCHEMA_VERSION; v++)
		if (upgrades[v] &&
		    run_script(c, upgrades[v], "cannot upgrade the catalog", err, errlen) < 0)
			return -1;
	if (version == SCHEMA_VERSION)
		return 0;
	if (version < 0)
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES(%d)",
			 SCHEMA_VERSION);
	else
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version=%d", SCHEMA_VERSION);
	return run_script(c, sql, "cannot write the catalog", err, errlen);
}

/* The schema, created or upgraded by one host at a time. */
int pg_prepare_schema(struct pg_catalog *c, char *err, size_t errlen)
{
	if (run_script(c, "BEGIN; SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")",
		       "cannot lock the catalog", err, errlen) < 0)
		return -1;
	if (run_script(c, schema_sql, "cannot create the catalog schema", err, errlen) < 0 ||
	    create_triggers(c, err, errlen) < 0 || check_version(c, err, errlen) < 0 ||
	    run_script(c, "COMMIT", "cannot commit the catalog schema", err, errlen) < 0) {
		PQclear(PQexec(c->conn, "ROLLBACK"));
		return -1;
	}
	return 0;
}
