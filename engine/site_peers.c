/* site_peers.c - what this host knows of the other hosts of its site (site_impl.h): hosts/,
 * the manager of each library, which hosts reach each drive, and the other hosts' sessions,
 * listed here and made replicas in the model (their queued requests and the drives they hold
 * live on a library's manager), closed 30 s after their host went down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replica.h"
#include "site.h"
#include "site_impl.h"

/* The hosts and who manages what, as the catalog has them now: the hosts' rows (a host is up
 * while its heartbeat is within lease_time), and the holder of each lease not passed. */
void site_read_hosts(struct rsm_engine *eng)
{
	char interval[32], err[256];
	const char *p[] = {interval};

	site_lease_interval(eng, interval, sizeof(interval));
	AUTO_RESULT PGresult *res = site_sql(
	    eng->site,
	    "SELECT h.name, CASE WHEN h.state = 'up' AND h.heartbeat > now() - $1::interval"
	    " THEN 'up' ELSE 'down' END,"
	    " to_char(h.since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " coalesce(string_agg(l.library, E'\\n' ORDER BY l.library), '')"
	    " FROM hosts h LEFT JOIN leases l ON l.holder = h.name AND l.expires > "
	    "clock_timestamp()"
	    " GROUP BY h.name ORDER BY h.name",
	    1, p, err, sizeof(err));
	int n = res ? PQntuples(res) : 0;
	struct rsm_host_info *h = res ? calloc((size_t)n + 1, sizeof(*h)) : NULL;

	for (int i = 0; h && i < n; i++) {
		snprintf(h[i].name, sizeof(h[i].name), "%s", PQgetvalue(res, i, 0));
		snprintf(h[i].state, sizeof(h[i].state), "%s", PQgetvalue(res, i, 1));
		snprintf(h[i].since, sizeof(h[i].since), "%s", PQgetvalue(res, i, 2));
		snprintf(h[i].manages, sizeof(h[i].manages), "%s", PQgetvalue(res, i, 3));
	}
	if (!h)
		return; /* the last reading stays */
	engine_lock(eng);
	free(eng->site->hosts);
	eng->site->hosts = h;
	eng->site->nhosts = n;
	engine_unlock(eng);
}

/* The manager of each library this host does not manage, from the leases not passed. */
void site_read_managers(struct rsm_engine *eng)
{
	char err[256];
	AUTO_RESULT PGresult *res = site_sql(
	    eng->site, "SELECT library, holder FROM leases WHERE expires > clock_timestamp()", 0,
	    NULL, err, sizeof(err));

	if (!res)
		return;
	engine_lock(eng);
	for (int i = 0; i < eng->nlibraries; i++) {
		struct library *l = &eng->libraries[i];
		if (l->managed)
			continue;
		l->manager[0] = '\0';
		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), l->name) == 0)
				snprintf(l->manager, sizeof(l->manager), "%s",
					 PQgetvalue(res, r, 1));
	}
	engine_unlock(eng);
}

/* The sessions of a host down for 30 s are closed: their names are free in the site again.
 * Their work went with the host, whose libraries' next manager released their media as after
 * a restart. */
void site_close_down_sessions(struct rsm_engine *eng)
{
	char interval[32], err[256];
	const char *p[] = {eng->cfg.host, interval};

	site_lease_interval(eng, interval, sizeof(interval));
	PQclear(site_sql(eng->site,
			 "DELETE FROM sessions WHERE host <> $1 AND host IN (SELECT name FROM hosts"
			 " WHERE (state = 'down' AND since < now() - interval '30 seconds')"
			 " OR heartbeat < now() - $2::interval - interval '30 seconds')",
			 2, p, err, sizeof(err)));
}

/* The sessions of the other hosts, listed and read here (sessions/, rsmfs(5)). */
/* The other hosts' sessions (name, guid, uid, created, host, application), or NULL with the
 * reason in err. */
static PGresult *remote_sessions(struct rsm_engine *eng, char *err, size_t errlen)
{
	const char *p[] = {eng->cfg.host};

	return site_sql(eng->site,
			"SELECT name, guid, uid, created, host, application FROM sessions"
			" WHERE host <> $1 ORDER BY name",
			1, p, err, errlen);
}

/* The model's replicas of the other hosts' sessions made to match the rows of res
 * (remote_sessions): new ones made, closed ones unwound (what they held released where this
 * host manages it). */
static void sync_replicas(struct rsm_engine *eng, PGresult *res)
{
	int n = PQntuples(res);

	for (int i = 0; i < n; i++) {
		struct session row = {0};
		snprintf(row.name, sizeof(row.name), "%s", PQgetvalue(res, i, 0));
		snprintf(row.guid, sizeof(row.guid), "%s", PQgetvalue(res, i, 1));
		row.uid = (uid_t)strtoul(PQgetvalue(res, i, 2), NULL, 10);
		row.created = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		snprintf(row.host, sizeof(row.host), "%s", PQgetvalue(res, i, 4));
		snprintf(row.application, sizeof(row.application), "%s", PQgetvalue(res, i, 5));
		replica_session(eng, &row);
	}
	for (int j = 0; j < eng->nsessions; j++) {
		const struct session *s = &eng->sessions[j];
		bool listed = false;
		for (int i = 0; s->used && s->remote && !listed && i < n; i++)
			listed = strcmp(PQgetvalue(res, i, 0), s->name) == 0;
		if (s->used && s->remote && !listed)
			replica_session_gone(eng, eng->sessions[j].name);
	}
}

void site_read_remote_sessions(struct rsm_engine *eng)
{
	char err[256];
	AUTO_RESULT PGresult *res = remote_sessions(eng, err, sizeof(err));
	int n = res ? PQntuples(res) : 0;
	struct rsm_session_info *v = res ? calloc((size_t)n + 1, sizeof(*v)) : NULL;

	for (int i = 0; v && i < n; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", PQgetvalue(res, i, 0));
		snprintf(v[i].guid, sizeof(v[i].guid), "%s", PQgetvalue(res, i, 1));
		v[i].uid = (uid_t)strtoul(PQgetvalue(res, i, 2), NULL, 10);
		rsm_format_time(strtoll(PQgetvalue(res, i, 3), NULL, 10), v[i].created,
				sizeof(v[i].created));
		snprintf(v[i].host, sizeof(v[i].host), "%s", PQgetvalue(res, i, 4));
		snprintf(v[i].application, sizeof(v[i].application), "%s", PQgetvalue(res, i, 5));
		v[i].remote = true;
	}
	if (!v)
		return; /* the last reading stays */
	engine_lock(eng);
	free(eng->site->remote);
	eng->site->remote = v;
	eng->site->nremote = n;
	sync_replicas(eng, res);
	engine_unlock(eng);
}

int site_link_sessions(struct rsm_engine *eng, char *err, size_t errlen)
{
	if (!eng->site)
		return 0;
	AUTO_RESULT PGresult *res = remote_sessions(eng, err, errlen);
	AUTO_RESULT PGresult *held =
	    site_sql(eng->site, "SELECT name, session, vdrive FROM drives WHERE session <> ''", 0,
		     NULL, err, errlen);
	if (!res || !held)
		return -1;
	sync_replicas(eng, res);
	for (int i = 0; i < PQntuples(held); i++) {
		int di = drive_find(eng, PQgetvalue(held, i, 0));
		for (int s = 0; di >= 0 && s < eng->nsessions; s++)
			if (eng->sessions[s].used && eng->sessions[s].remote &&
			    strcmp(eng->sessions[s].name, PQgetvalue(held, i, 1)) == 0) {
				eng->drives[di].session = s;
				eng->drives[di].vdrive = atoi(PQgetvalue(held, i, 2));
			}
	}
	return 0;
}

int site_remote_count(const struct rsm_engine *eng)
{
	return eng->site ? eng->site->nremote : 0;
}

const struct rsm_session_info *site_remote_at(const struct rsm_engine *eng, int i)
{
	return &eng->site->remote[i];
}

bool site_remote_session(const struct rsm_engine *eng, const char *name,
			 struct rsm_session_info *out)
{
	for (int i = 0; i < site_remote_count(eng); i++) {
		if (strcmp(eng->site->remote[i].name, name) == 0) {
			*out = eng->site->remote[i];
			return true;
		}
	}
	return false;
}

/* drives/<d>/hosts: the hosts with a device for each drive. */
void site_read_drive_hosts(struct rsm_engine *eng)
{
	char err[256];
	AUTO_RESULT PGresult *res =
	    site_sql(eng->site,
		     "SELECT drive, string_agg(host, E'\\n' ORDER BY host) FROM drive_hosts"
		     " GROUP BY drive",
		     0, NULL, err, sizeof(err));

	if (!res)
		return;
	engine_lock(eng);
	for (int i = 0; i < eng->ndrives; i++) {
		const char *hosts = "";
		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), eng->drives[i].name) == 0)
				hosts = PQgetvalue(res, r, 1);
		drive_hosts_set(eng, &eng->drives[i], hosts);
	}
	engine_unlock(eng);
}

/* ---- hosts/ ---- */

bool rsm_is_site(struct rsm_engine *eng)
{
	return eng->site != NULL;
}

rsm_err rsm_host_list(struct rsm_engine *eng, struct rsm_names *out)
{
	rsm_err e = ERROR_SUCCESS;

	memset(out, 0, sizeof(*out));
	engine_lock(eng);
	int n = eng->site ? eng->site->nhosts : 0;
	out->names = calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; out->names && i < n; i++) {
		if (!(out->names[i] = strdup(eng->site->hosts[i].name))) {
			e = ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		out->count++;
	}
	engine_unlock(eng);
	return out->names ? e : ERROR_NOT_ENOUGH_MEMORY;
}

rsm_err rsm_host_info(struct rsm_engine *eng, const char *name, struct rsm_host_info *out)
{
	rsm_err e = ERROR_OBJECT_NOT_FOUND;

	engine_lock(eng);
	for (int i = 0; eng->site && i < eng->site->nhosts; i++) {
		if (strcmp(eng->site->hosts[i].name, name) == 0) {
			*out = eng->site->hosts[i];
			e = ERROR_SUCCESS;
			break;
		}
	}
	engine_unlock(eng);
	return e;
}
