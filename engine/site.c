/* site.c - this host in a site on PostgreSQL: its row, its name's lock, and the leases of the
 * libraries it manages (site.h).
 *
 * The site thread has a connection of its own, so that a renewal never waits behind the
 * engine's writes: every tick (a fifth of lease_time) it writes the host's heartbeat, renews
 * each lease it holds with a new deadline, and reads back who manages what.  The follower
 * thread has another, which LISTENs: the other hosts' changes are followed as they come,
 * never behind a tick's work, and a flood of them never delays a renewal.  The deadline this
 * host goes by is counted from before the renewal was sent and ends before the catalog's, so
 * that no other host can hold the lease while this one still thinks it does.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "backend.h"
#include "catalog_pg.h"
#include "log.h"
#include "notify.h"
#include "site.h"
#include "site_impl.h"
#include "startup.h"

/* ---- the connection's helpers (site_impl.h) ---- */

double site_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

PGresult *site_sql(struct site *s, const char *sql, int n, const char *const *params, char *err,
		   size_t errlen)
{
	PGresult *res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	err[strcspn(err, "\n")] = '\0';
	PQclear(res);
	return NULL;
}

void site_lease_interval(const struct rsm_engine *eng, char *buf, size_t len)
{
	snprintf(buf, len, "%.3f seconds", eng->cfg.lease_time);
}

/* ---- coming up ---- */

/* The advisory lock of this host's name in this catalog (its schema): held while it is up. */
static int lock_name(struct rsm_engine *eng, char *err, size_t errlen)
{
	const char *p[] = {eng->cfg.host};
	AUTO_RESULT PGresult *res = site_sql(
	    eng->site,
	    "SELECT pg_try_advisory_lock(hashtext(current_schema() || ' rsmfs host ' || $1))", 1, p,
	    err, errlen);

	if (!res)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		snprintf(err, errlen,
			 "host %s is up already in this site (another rsmfs with host = %s)",
			 eng->cfg.host, eng->cfg.host);
		return -1;
	}
	return 0;
}

/* Other hosts' changes are notified on conn, the follower's (follow_changes). */
static int listen_changes(PGconn *conn, char *err, size_t errlen)
{
	AUTO_RESULT PGresult *res = PQexec(conn, "LISTEN rsmfs");

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		return 0;
	snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	err[strcspn(err, "\n")] = '\0';
	return -1;
}

/* The catalog's counters (sequences every host takes numbers from) past every number the
 * catalog already has: a catalog a single host numbered from meta, or an older version. */
static int sync_counters(struct rsm_engine *eng, char *err, size_t errlen)
{
	static const char *const sql[] = {
	    "SELECT setval('next_request', x.m) FROM (SELECT GREATEST("
	    "coalesce((SELECT max(number) FROM requests), 0),"
	    " coalesce((SELECT value - 1 FROM meta WHERE key = 'next_request'), 0)) AS m) x,"
	    " next_request s WHERE x.m > s.last_value OR (x.m >= 1 AND NOT s.is_called)",
	    "SELECT setval('next_opreq', x.m) FROM (SELECT GREATEST("
	    "coalesce((SELECT max(number) FROM opreqs), 0),"
	    " coalesce((SELECT value - 1 FROM meta WHERE key = 'next_opreq'), 0)) AS m) x,"
	    " next_opreq s WHERE x.m > s.last_value OR (x.m >= 1 AND NOT s.is_called)",
	    "SELECT setval('next_unlabeled', x.m) FROM (SELECT"
	    " coalesce((SELECT value FROM meta WHERE key = 'next_unlabeled'), 0) AS m) x,"
	    " next_unlabeled s WHERE x.m > s.last_value OR (x.m >= 1 AND NOT s.is_called)",
	};

	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		PGresult *res = site_sql(eng->site, sql[i], 0, NULL, err, errlen);
		if (!res)
			return -1;
		PQclear(res);
	}
	return 0;
}

int site_open(struct rsm_engine *eng, char *err, size_t errlen)
{
	char pid[16];

	if (!eng->cfg.catalog[0])
		return 0;
	struct site *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	eng->site = s;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->conn = pg_connect_to(eng->cfg.catalog, eng->cfg.host, "site");
	s->connected = site_now();
	if (PQstatus(s->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the catalog: %s", PQerrorMessage(s->conn));
		err[strcspn(err, "\n")] = '\0';
		return -1;
	}
	s->follow = pg_connect_to(eng->cfg.catalog, eng->cfg.host, "follower");
	if (PQstatus(s->follow) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the catalog: %s",
			 PQerrorMessage(s->follow));
		err[strcspn(err, "\n")] = '\0';
		return -1;
	}
	if (lock_name(eng, err, errlen) < 0 || listen_changes(eng->site->follow, err, errlen) < 0)
		return -1;
	if (sync_counters(eng, err, errlen) < 0)
		return -1;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	const char *p[] = {eng->cfg.host, pid};
	AUTO_RESULT PGresult *res = site_sql(
	    s,
	    "INSERT INTO hosts VALUES($1, 'up', now(), now(), $2) ON CONFLICT(name) DO UPDATE"
	    " SET state = 'up', since = now(), heartbeat = now(), pid = excluded.pid",
	    2, p, err, errlen);
	s->up = res != NULL;
	return res ? 0 : -1;
}

/* The configuration section of library l, or NULL. */
static const struct rsm_library_config *config_of(const struct rsm_engine *eng,
						  const struct library *l)
{
	for (int i = 0; i < eng->cfg.nlibraries; i++)
		if (strcmp(eng->cfg.libraries[i].name, l->name) == 0)
			return &eng->cfg.libraries[i];
	return NULL;
}

/* The lease this host took of library `name` (the last taken), or NULL. */
static const struct held *held_lease(const struct rsm_engine *eng, const char *name)
{
	for (int i = 0; eng->site && i < eng->site->nheld; i++)
		if (strcmp(eng->site->held[i].library, name) == 0)
			return &eng->site->held[i];
	return NULL;
}

/* Takes the lease of library `name` if it is free, this host's (a restart), or passed with
 * its holder down (no heartbeat for a lease time: a holder that is up, its lease run out while
 * the catalog was away, renews it itself): 1 when taken (kept in site->held), 0 when another
 * host holds it (its name in holder), -1 with a message. */
static int take_lease(struct rsm_engine *eng, const char *name, char *holder, size_t len, char *err,
		      size_t errlen)
{
	struct site *s = eng->site;
	char interval[32];
	double sent = site_now();

	site_lease_interval(eng, interval, sizeof(interval));
	const char *p[] = {name, eng->cfg.host, interval};
	AUTO_RESULT PGresult *res =
	    site_sql(s,
		     "INSERT INTO leases VALUES($1, $2, 1, clock_timestamp() + $3::interval)"
		     " ON CONFLICT(library) DO UPDATE SET holder = excluded.holder,"
		     " epoch = leases.epoch + 1, expires = excluded.expires"
		     " WHERE leases.holder = excluded.holder OR (leases.expires < clock_timestamp()"
		     " AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.name = leases.holder"
		     " AND h.state = 'up' AND h.heartbeat > clock_timestamp() - $3::interval))"
		     " RETURNING epoch",
		     3, p, err, errlen);
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		struct held *h = (struct held *)held_lease(eng, name);
		if (!h) {
			if (!(h = realloc(s->held, sizeof(*h) * (size_t)(s->nheld + 1)))) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			s->held = h;
			h = &s->held[s->nheld++];
		}
		snprintf(h->library, sizeof(h->library), "%s", name);
		h->epoch = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		h->deadline = sent + eng->cfg.lease_time - LEASE_MARGIN;
		return 1;
	}
	const char *q[] = {name};
	AUTO_RESULT PGresult *who =
	    site_sql(s, "SELECT holder FROM leases WHERE library = $1", 1, q, err, errlen);
	if (!who)
		return -1;
	snprintf(holder, len, "%s", PQntuples(who) ? PQgetvalue(who, 0, 0) : "");
	return 0;
}

int site_take_leases(struct rsm_engine *eng, char *err, size_t errlen)
{
	char holder[RSM_NAME_MAX + 1];

	for (int i = 0; eng->site && i < eng->cfg.nlibraries; i++) {
		const struct rsm_library_config *c = &eng->cfg.libraries[i];
		/* a library another host holds is used through it: its requests go to the
		 * catalog's queue, and this host may take it over when its lease passes */
		if (c->manage && take_lease(eng, c->name, holder, sizeof(holder), err, errlen) < 0)
			return -1;
	}
	return 0;
}

bool site_manages(const struct rsm_engine *eng, int li)
{
	if (!eng->site)
		return true;
	if (li < 0 || li >= eng->nlibraries)
		return false;
	return eng->site->adopted ? eng->libraries[li].managed
				  : held_lease(eng, eng->libraries[li].name) != NULL;
}

int site_adopt_leases(struct rsm_engine *eng, char *err, size_t errlen)
{
	for (int i = 0; eng->site && i < eng->nlibraries; i++) {
		struct library *l = &eng->libraries[i];
		const struct held *h = held_lease(eng, l->name);
		if (!h || !l->present) {
			l->lease_deadline = -1; /* another host's robot: never moved from here */
			/* whether its changer answers is its manager's word (the row), not what
			 * loading and attaching here assumed (a scsi library starts offline until
			 * its own reconcile, which a user host never runs: it refused every mount
			 * with ERROR_LIBRARY_OFFLINE until the manager next wrote the row) */
			const char *p[] = {l->name};
			AUTO_RESULT PGresult *res = site_sql(
			    eng->site, "SELECT online, inventorying FROM libraries WHERE name = $1",
			    1, p, err, errlen);
			if (!res)
				return -1;
			if (PQntuples(res) == 1) {
				l->reachable = atoi(PQgetvalue(res, 0, 0)) != 0;
				l->inventorying = atoi(PQgetvalue(res, 0, 1)) != 0;
			}
			continue;
		}
		l->managed = true;
		l->lease_epoch = h->epoch;
		l->lease_deadline = h->deadline;
		snprintf(l->manager, sizeof(l->manager), "%s", eng->cfg.host);
	}
	if (!eng->site)
		return 0;
	eng->site->adopted = true;
	return site_register_drives(eng, err, errlen);
}

/* This host's device for drive number n of a library configured as c: drive.<n>'s, the tape
 * file of a sim drive, "auto" for a changer that names its drives (scsi with no drive.N);
 * NULL when this host has none. */
static const char *drive_device(const struct rsm_library_config *c, int n, char *buf, size_t len)
{
	const char *line = c->drive_devices;
	int k;

	if (strcmp(c->backend, "sim") == 0)
		return "tape";
	if (!*line)
		return "auto";
	for (; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "")
		if (sscanf(line, "%d %255s", &k, buf) == 2 && k == n && len > 255)
			return buf;
	return NULL;
}

/* Records which of its libraries' drives this host reaches, and with which device; a drive it
 * has no device for is never mounted into from here (drive_usable). */
int site_register_drives(struct rsm_engine *eng, char *err, size_t errlen)
{
	char buf[256];

	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		const struct library *l = &eng->libraries[d->library];
		const struct rsm_library_config *c = config_of(eng, l);
		const char *dev =
		    c && l->present ? drive_device(c, d->number, buf, sizeof(buf)) : NULL;
		const char *p[] = {d->name, eng->cfg.host, dev ? dev : ""};
		d->unreached = !dev;
		AUTO_RESULT PGresult *res = site_sql(
		    eng->site,
		    dev ? "INSERT INTO drive_hosts VALUES($1, $2, $3) ON CONFLICT(drive, host)"
			  " DO UPDATE SET device = excluded.device"
			: "DELETE FROM drive_hosts WHERE drive = $1 AND host = $2 AND $3 = ''",
		    3, p, err, errlen);
		if (!res)
			return -1;
	}
	return 0;
}

bool site_lease_valid(const struct library *l)
{
	return l->lease_deadline == 0 || site_now() < l->lease_deadline;
}

/* ---- the tick ---- */

/* Library l's lease renewed (1), lost to another host (0), or not reached (-1: it runs out
 * at its deadline).  A lease that ran out while the server was away is renewed too when no
 * host took it meanwhile (same holder, same epoch): no other host can have moved the robot,
 * since taking a lease raises its epoch, and this host sent nothing after its own deadline. */
static int renew(struct rsm_engine *eng, const char *library, uint64_t epoch, double *deadline)
{
	char interval[32], ep[24], err[256];
	double sent = site_now();

	site_lease_interval(eng, interval, sizeof(interval));
	snprintf(ep, sizeof(ep), "%llu", (unsigned long long)epoch);
	const char *p[] = {library, eng->cfg.host, ep, interval};
	AUTO_RESULT PGresult *res = site_sql(
	    eng->site,
	    "UPDATE leases SET expires = clock_timestamp() + $4::interval WHERE library = $1"
	    " AND holder = $2 AND epoch = $3",
	    4, p, err, sizeof(err));
	if (!res)
		return -1;
	if (atoi(PQcmdTuples(res)) != 1)
		return 0;
	*deadline = sent + eng->cfg.lease_time - LEASE_MARGIN;
	return 1;
}

/* This host lost library li's lease: it sends the library nothing more. */
static void step_down(struct rsm_engine *eng, int li)
{
	struct library *l = &eng->libraries[li];

	l->managed = false;
	l->reachable = false;
	l->stepped_down = true; /* offline here, whatever its manager's row says (replica.c) */
	l->lease_deadline = -1; /* never valid again in this run */
	engine_log(RSM_LOG_ERROR,
		   "site: the lease of library %s passed to another host; this host sends it no "
		   "further command",
		   l->name);
	emit_library(eng, l);
	/* what the new manager did while this host thought it managed the library was not
	 * followed (its rows were this host's own): the follower catches up */
	pthread_mutex_lock(&eng->site->lock);
	eng->site->catch_up = true;
	pthread_mutex_unlock(&eng->site->lock);
}

/* Renews every lease this host holds; what it cannot renew runs out on its own. */
static void renew_all(struct rsm_engine *eng)
{
	for (int i = 0;; i++) {
		char name[RSM_NAME_MAX + 1];
		uint64_t epoch;
		double deadline = 0;
		engine_lock(eng);
		while (i < eng->nlibraries && !eng->libraries[i].managed)
			i++;
		bool more = i < eng->nlibraries;
		if (more) {
			snprintf(name, sizeof(name), "%s", eng->libraries[i].name);
			epoch = eng->libraries[i].lease_epoch;
		}
		engine_unlock(eng);
		if (!more)
			return;
		int rc = renew(eng, name, epoch, &deadline);
		engine_lock(eng);
		if (rc == 1 && eng->libraries[i].managed) {
			struct library *l = &eng->libraries[i];
			bool lapsed = !site_lease_valid(l);
			l->lease_deadline = deadline;
			if (lapsed) /* an event: the settle schedules what waited for the lease */
				emit_library(eng, l);
		} else if (rc == 0 && eng->libraries[i].managed)
			step_down(eng, i);
		engine_unlock(eng);
	}
}

/* Library li, whose lease this host has just taken (h) from a host that no longer holds it:
 * this host's to manage from now on, its backend's threads started. */
static void take_over(struct rsm_engine *eng, int li, const struct held *h)
{
	engine_lock(eng);
	struct library *l = &eng->libraries[li];
	l->managed = true;
	l->lease_epoch = h->epoch;
	l->lease_deadline = h->deadline;
	l->reachable = true; /* until its changer says otherwise */
	snprintf(l->manager, sizeof(l->manager), "%s", eng->cfg.host);
	int rc = engine_take_over(eng, li);
	bool start = !l->threads_started && l->ops && l->ops->start;
	l->threads_started |= start;
	engine_unlock(eng);
	engine_log(rc < 0 ? RSM_LOG_ERROR : RSM_LOG_NOTICE,
		   "site: this host took library %s over (lease epoch %llu)%s", l->name,
		   (unsigned long long)h->epoch,
		   rc < 0 ? "; the catalog refused what it settled: the next change retries" : "");
	if (start)
		l->ops->start(eng, li);
}

/* The libraries of this host's configuration that it may manage and nobody does (their
 * manager died, stopped, or lost the catalog, and its lease passed): taken over.  Not within
 * a lease time of this host's connection being made: after the catalog came back from an
 * outage every lease has passed, and the managers, back too, renew theirs first (taking one
 * from a live manager would be safe, but leave its library offline there). */
static void take_over_free(struct rsm_engine *eng)
{
	char holder[RSM_NAME_MAX + 1], err[256];

	if (site_now() - eng->site->connected < eng->cfg.lease_time)
		return;

	for (int i = 0; i < eng->cfg.nlibraries; i++) {
		const struct rsm_library_config *c = &eng->cfg.libraries[i];
		engine_lock(eng);
		int li = library_find(eng, c->name);
		bool free = c->manage && li >= 0 && eng->libraries[li].present &&
			    eng->libraries[li].ops && !eng->libraries[li].managed &&
			    !eng->libraries[li].stepped_down && !eng->libraries[li].manager[0];
		engine_unlock(eng);
		if (free && take_lease(eng, c->name, holder, sizeof(holder), err, sizeof(err)) == 1)
			take_over(eng, li, held_lease(eng, c->name));
	}
}

/* The host's heartbeat, and a connection made again if the server went away. */
static void heartbeat(struct rsm_engine *eng)
{
	char err[256];
	const char *p[] = {eng->cfg.host};

	PQconsumeInput(eng->site->conn); /* a server that went away: the connection knows */
	if (PQstatus(eng->site->conn) != CONNECTION_OK) {
		PQreset(eng->site->conn);
		if (PQstatus(eng->site->conn) != CONNECTION_OK || lock_name(eng, err, sizeof(err)))
			return;
		eng->site->connected = site_now();
	}
	PQclear(site_sql(eng->site,
			 "UPDATE hosts SET heartbeat = now(), state = 'up' WHERE name = $1", 1, p,
			 err, sizeof(err)));
}

/* The changes of one batch of notifications, each row once (a row changed twice in a batch
 * is read once). */
#define FOLLOW_BATCH 256
struct change {
	char table[32], key[RSM_NAME_MAX + 1];
};

/* Takes the notifications libpq holds into v (at most FOLLOW_BATCH, this host's own and
 * repeats left out); how many. */
static int take_changes(struct rsm_engine *eng, PGconn *conn, struct change *v)
{
	PGnotify *n;
	int count = 0;

	while (count < FOLLOW_BATCH && (n = PQnotifies(conn))) {
		char host[RSM_NAME_MAX + 1];
		struct change c;
		bool keep = sscanf(n->extra, "%31s %64s %64s", c.table, host, c.key) == 3 &&
			    strcmp(host, eng->cfg.host) != 0;
		for (int i = 0; keep && i < count; i++)
			keep = strcmp(v[i].table, c.table) != 0 || strcmp(v[i].key, c.key) != 0;
		if (keep)
			v[count++] = c;
		PQfreemem(n);
	}
	return count;
}

static bool stopping(struct site *s);

/* Waits up to ms for the other hosts' notifications ("<table> <host> <key>", rsmfs_notify in
 * pg_schema.c) and follows the changes they name (pg_follow.c), all that libpq holds: what
 * comes in meanwhile too, unless the host is going down. */
static void follow_changes(struct rsm_engine *eng, int ms)
{
	struct change v[FOLLOW_BATCH];
	PGconn *conn = eng->site->follow;
	struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};

	if (p.fd < 0 || (poll(&p, 1, ms) > 0 && !PQconsumeInput(conn)))
		return;
	for (int n; !stopping(eng->site) && (n = take_changes(eng, conn, v)) > 0;)
		for (int i = 0; i < n; i++)
			pg_follow(conn, eng, v[i].table, v[i].key);
}

/* The follower's connection, made again if the server went away: listening anew, and caught
 * up with what was notified meanwhile (lost with the connection); false while it cannot be. */
static bool follower_connected(struct rsm_engine *eng)
{
	struct site *s = eng->site;
	char err[256];

	PQconsumeInput(s->follow); /* a server that went away: the connection knows */
	if (PQstatus(s->follow) == CONNECTION_OK)
		return true;
	PQreset(s->follow);
	if (PQstatus(s->follow) != CONNECTION_OK || listen_changes(s->follow, err, sizeof(err)))
		return false;
	pthread_mutex_lock(&s->lock);
	s->catch_up = true;
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* Whether a catch-up is due, taking the request. */
static bool catch_up_due(struct site *s)
{
	pthread_mutex_lock(&s->lock);
	bool due = s->catch_up;
	s->catch_up = false;
	pthread_mutex_unlock(&s->lock);
	return due;
}

/* Whether the host is going down. */
static bool stopping(struct site *s)
{
	pthread_mutex_lock(&s->lock);
	bool stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* Waits until `until` or the stop, whichever comes first. */
static void wait_until(struct site *s, double until)
{
	pthread_mutex_lock(&s->lock);
	while (!s->stop && site_now() < until) {
		struct timespec t = clock_after(CLOCK_REALTIME, until - site_now());
		pthread_cond_timedwait(&s->wake, &s->lock, &t);
	}
	pthread_mutex_unlock(&s->lock);
}

static void *site_thread(void *arg)
{
	struct rsm_engine *eng = arg;
	struct site *s = eng->site;
	double tick = eng->cfg.lease_time / 5;

	while (!stopping(s)) {
		double next = site_now() + tick;
		heartbeat(eng);
		renew_all(eng);
		site_read_hosts(eng);
		site_read_managers(eng);
		take_over_free(eng);
		site_read_drive_hosts(eng);
		site_close_down_sessions(eng);
		site_read_remote_sessions(eng);
		wait_until(s, next);
	}
	return NULL;
}

static void *follower_thread(void *arg)
{
	struct rsm_engine *eng = arg;
	struct site *s = eng->site;

	while (!stopping(s)) {
		if (!follower_connected(eng)) {
			wait_until(s, site_now() + 1); /* at most once a second */
			continue;
		}
		if (catch_up_due(s))
			pg_catch_up(s->follow, eng);
		/* short waits: the stop is seen within 50 ms */
		follow_changes(eng, 50);
	}
	return NULL;
}

int site_start(struct rsm_engine *eng, char *err, size_t errlen)
{
	struct site *s = eng->site;

	if (!s)
		return 0;
	/* hosts/, the libraries' managers and the drives' hosts are there from the first listing */
	site_read_hosts(eng);
	site_read_managers(eng);
	site_read_drive_hosts(eng);
	site_read_remote_sessions(eng);
	if (pthread_create(&s->thread, NULL, site_thread, eng) != 0) {
		snprintf(err, errlen, "cannot start the site thread");
		return -1;
	}
	s->started = true;
	if (pthread_create(&s->follower, NULL, follower_thread, eng) != 0) {
		snprintf(err, errlen, "cannot start the site's follower thread");
		return -1;
	}
	s->following = true;
	return 0;
}

void site_close(struct rsm_engine *eng)
{
	struct site *s = eng->site;
	char err[256];

	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	if (s->following)
		pthread_join(s->follower, NULL);
	/* this host's sessions end with it (what they held is released by the managers), and
	 * its leases are given up at once: another host need not wait for them to pass */
	const char *p[] = {eng->cfg.host};
	if (s->up && PQstatus(s->conn) == CONNECTION_OK) {
		PQclear(
		    site_sql(s, "DELETE FROM sessions WHERE host = $1", 1, p, err, sizeof(err)));
		PQclear(site_sql(s,
				 "UPDATE leases SET expires = clock_timestamp() WHERE holder = $1",
				 1, p, err, sizeof(err)));
		PQclear(site_sql(s,
				 "UPDATE hosts SET state = 'down', since = now() WHERE name = $1",
				 1, p, err, sizeof(err)));
	}
	PQfinish(s->conn);
	PQfinish(s->follow);
	free(s->hosts);
	free(s->held);
	free(s->remote);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
	eng->site = NULL;
}
