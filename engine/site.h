/* site.h - the hosts of a site on PostgreSQL (rsmfs.conf(5) and rsmfs(8), SEVERAL HOSTS): this
 * host's row and its liveness, and the leases of the libraries it manages.
 *
 * A host is up while its connection holds the advisory lock of its name, so a second daemon
 * with a name that is up is refused, and one that died frees the name at once.  A library's
 * manager is the holder of its lease: a row with a deadline, renewed every second by this
 * host's site thread on a connection of its own.  A manager whose lease may have passed (its
 * deadline, counted from before the renewal was sent, is past) sends no robot command
 * (robot_can_move), and its catalog commits about that library check the lease in the same
 * transaction (rsmfs_fence, catalog_pg.c); one that finds it lost steps down.
 */
#ifndef RSM_SITE_H
#define RSM_SITE_H

#include "model.h"

/* With a PostgreSQL catalog: this host comes up in the site (refused when a daemon of its name
 * is up).  0, or -1 with a message; nothing to do with SQLite. */
int site_open(struct rsm_engine *eng, char *err, size_t errlen);
/* Takes the lease of every library of the configuration that this host may manage
 * (rsmfs.conf(5), manage) and no other host holds, before anything of the catalog is settled
 * (one another host holds, this host uses through it); -1 with a message when the catalog
 * fails. */
int site_take_leases(struct rsm_engine *eng, char *err, size_t errlen);
/* The other hosts' sessions, made replicas in the model, and the drives they hold linked to
 * them: what a start must not settle as left over (under the lock, at start-up).  0, or -1
 * with a message. */
int site_link_sessions(struct rsm_engine *eng, char *err, size_t errlen);
/* Once the libraries are configured: those whose lease this host took are its to manage, and
 * the drives it has a device for are recorded. */
int site_adopt_leases(struct rsm_engine *eng, char *err, size_t errlen);
/* Records which drives of its libraries this host has a device for (drives/<d>/hosts). */
int site_register_drives(struct rsm_engine *eng, char *err, size_t errlen);
/* Whether library li is this host's to settle and schedule: always alone on a catalog; in a
 * site, when it took the library's lease. */
bool site_manages(const struct rsm_engine *eng, int li);
/* Starts the thread that renews the leases and the host's heartbeat. */
int site_start(struct rsm_engine *eng, char *err, size_t errlen);
/* The host goes down: its thread stops, its leases are given up, its row says down. */
void site_close(struct rsm_engine *eng);

/* The other hosts' sessions, as last read (call with the engine locked): how many, the i-th,
 * and the one named name (false: none). */
int site_remote_count(const struct rsm_engine *eng);
const struct rsm_session_info *site_remote_at(const struct rsm_engine *eng, int i);
bool site_remote_session(const struct rsm_engine *eng, const char *name,
			 struct rsm_session_info *out);

/* Whether library l may move now: no lease in play, or one whose deadline is ahead. */
bool site_lease_valid(const struct library *l);

#endif
