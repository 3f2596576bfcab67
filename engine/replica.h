/* replica.h - the model made to hold what the catalog's rows say: every row at start-up, and
 * in a site each row another host changed (site.c), announced by the events its change makes
 * (so channels, inotify and poll on every host see every change of the site).
 *
 * A row is given as a model object read from the catalog, its links resolved by name (a
 * drive's session by its name, since sessions are slots).  What only this host has is kept:
 * the jobs in flight, the callers waiting for a request, the channels.
 */
#ifndef RSM_REPLICA_H
#define RSM_REPLICA_H

#include "model.h"

/* Each returns the object's index (or pointer), creating it if the model lacks it; -1 (NULL)
 * without memory. */
int replica_library(struct rsm_engine *eng, const struct library *row);
int replica_pool(struct rsm_engine *eng, const struct pool *row);
int replica_session(struct rsm_engine *eng, const struct session *row);
int replica_medium(struct rsm_engine *eng, const struct medium *row);
int replica_drive(struct rsm_engine *eng, const struct drive *row, const char *session);
/* Drive d's hosts (drives/<d>/hosts): a change is announced, and the scheduler looks again
 * at the mounts that waited for a drive another host can use. */
void drive_hosts_set(struct rsm_engine *eng, struct drive *d, const char *hosts);
struct request *replica_request(struct rsm_engine *eng, const struct request *row);
struct opreq *replica_opreq(struct rsm_engine *eng, const struct opreq *row);

/* Rows gone from the catalog. */
void replica_pool_gone(struct rsm_engine *eng, const char *name);
void replica_session_gone(struct rsm_engine *eng, const char *name);
void replica_request_gone(struct rsm_engine *eng, uint64_t number);
void replica_opreq_gone(struct rsm_engine *eng, uint64_t number);

/* Puts request r (not in eng->requests yet) at its place by number; the array has room. */
void request_array_insert(struct rsm_engine *eng, struct request *r);
void opreq_array_insert(struct rsm_engine *eng, struct opreq *o);

#endif
