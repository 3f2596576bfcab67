/* site_impl.h - what site.c (this host, its leases, the site thread) and site_peers.c (what
 * this host knows of the others) share: the site's state and its connection's helpers.  Not
 * for the rest of the engine (site.h). */
#ifndef RSM_SITE_IMPL_H
#define RSM_SITE_IMPL_H

#include <pthread.h>

#include <libpq-fe.h>

#include "model.h"

/* How much earlier than the catalog's deadline this host stops moving: room for a tick. */
#define LEASE_MARGIN 0.5

struct site {
	PGconn *conn;	/* the host's row, its name's lock, the leases, the reads */
	PGconn *follow; /* LISTEN: the other hosts' changes, and the catch-up */
	pthread_t thread, follower;
	bool started, following;
	bool catch_up;	      /* a catch-up is due (a library stepped down from), under lock */
	pthread_mutex_t lock; /* stop, catch_up, and the threads' waits */
	pthread_cond_t wake;
	bool stop;
	bool up;	  /* this host came up: its row and leases are its own to give up */
	bool adopted;	  /* the libraries took their leases: `managed` says who manages what */
	double connected; /* when conn was last made (site_now) */
	/* the leases this host took (at start, or taking a library over), by library name */
	struct held {
		char library[RSM_NAME_MAX + 1];
		uint64_t epoch;
		double deadline;
	} * held;
	int nheld;
	/* the site's hosts, and the other hosts' sessions, as last read (under the engine lock) */
	struct rsm_host_info *hosts;
	int nhosts;
	struct rsm_session_info *remote;
	int nremote;
};

/* The time leases are counted in: the machine's CLOCK_MONOTONIC, not the engine's (a test's
 * virtual clock would let a lease pass in an instant). */
double site_now(void);
/* Runs a statement on the site's connection; the result when it succeeded, else NULL with
 * the reason in err. */
PGresult *site_sql(struct site *s, const char *sql, int n, const char *const *params, char *err,
		   size_t errlen);
/* The lease time as an SQL interval. */
void site_lease_interval(const struct rsm_engine *eng, char *buf, size_t len);

static inline void site_clear_result(PGresult **res)
{
	PQclear(*res);
}

#define AUTO_RESULT __attribute__((cleanup(site_clear_result)))

/* site_peers.c, each a step of the site thread's tick (they take the engine lock to update
 * the model; what fails to be read leaves the last reading): the hosts (hosts/), the manager
 * of each library this host does not manage, which hosts reach each drive, the sessions of
 * hosts down for 30 s closed, and the other hosts' sessions (listed here, and replicas in the
 * model). */
void site_read_hosts(struct rsm_engine *eng);
void site_read_managers(struct rsm_engine *eng);
void site_read_drive_hosts(struct rsm_engine *eng);
void site_close_down_sessions(struct rsm_engine *eng);
void site_read_remote_sessions(struct rsm_engine *eng);

#endif
