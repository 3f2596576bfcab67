/* catalog.h - the catalog: where every change of the model is written, inside a transaction,
 * before anyone can see it, and whence the model is read at start-up.
 *
 * The model in memory is the truth for reads; the catalog is written, not queried, on the hot
 * path.  Its implementations are behind struct catalog_ops: catalog_sqlite.c (a file, the
 * default).  Nothing outside the implementations' files speaks their query language.
 *
 * Transactions: catalog_begin() opens one of the caller's own (a change the caller undoes in
 * memory if it fails).  The state transitions of jobs are batched instead: catalog_save_state()
 * joins the transaction of the burst of work under way, which the engine commits before the
 * lock is released and before any reply or event goes out (runtime.h's settle), so there is
 * one commit per burst and still nothing is seen that is not in the catalog.
 */
#ifndef RSM_CATALOG_H
#define RSM_CATALOG_H

#include "model.h"

struct catalog;

struct catalog_ops {
	const char *name;
	/* Opens (creating or upgrading the schema); NULL with a message on failure.  A catalog
	 * that can only be read opens with readonly set: reads are served, changes refused. */
	struct catalog *(*open)(const struct rsm_config *cfg, char *err, size_t errlen);
	void (*close)(struct catalog *c);
	/* The implementation's own text for the last failure. */
	const char *(*last_error)(struct catalog *c);
	bool (*in_transaction)(struct catalog *c);
	rsm_err (*begin)(struct catalog *c);
	rsm_err (*commit)(struct catalog *c);
	void (*rollback)(struct catalog *c);
	/* Puts what was committed on the disk, for a catalog that does not at every commit
	 * (synchronous = normal). */
	void (*flush)(struct catalog *c);

	/* Start-up: reads every library, pool, drive, medium, request (the finished ones past
	 * request_keep_max are dropped first), operator request and counter into the model. */
	rsm_err (*load)(struct catalog *c, struct rsm_engine *eng);
	/* Sessions and channels do not outlive the daemon: forgets every one. */
	rsm_err (*clear_sessions)(struct catalog *c);

	/* Rows: inserted or updated by their key. */
	rsm_err (*save_library)(struct catalog *c, struct rsm_engine *eng, const struct library *l);
	rsm_err (*save_drive)(struct catalog *c, struct rsm_engine *eng, const struct drive *d);
	rsm_err (*save_medium)(struct catalog *c, struct rsm_engine *eng, const struct medium *m);
	rsm_err (*save_pool)(struct catalog *c, struct rsm_engine *eng, const struct pool *p);
	rsm_err (*save_request)(struct catalog *c, struct rsm_engine *eng, const struct request *r);
	rsm_err (*save_opreq)(struct catalog *c, struct rsm_engine *eng, const struct opreq *o);
	rsm_err (*save_session)(struct catalog *c, const struct session *s);
	rsm_err (*delete_pool)(struct catalog *c, const char *name);
	rsm_err (*delete_request)(struct catalog *c, uint64_t number);
	rsm_err (*delete_opreq)(struct catalog *c, uint64_t number);
	rsm_err (*delete_session)(struct catalog *c, const char *name);
	rsm_err (*add_channel)(struct catalog *c, const char *session, const char *type,
			       int64_t *row);
	rsm_err (*delete_channel)(struct catalog *c, int64_t row);
	/* Counters that must never go back (request and operator request numbers). */
	rsm_err (*set_meta)(struct catalog *c, const char *key, uint64_t value);

	/* The robot move under way in a real changer (element addresses): written before the
	 * move is sent, cleared once its outcome is recorded. */
	rsm_err (*save_intent)(struct catalog *c, const char *library, const char *medium,
			       int source, int destination, uint64_t request);
	rsm_err (*clear_intent)(struct catalog *c, const char *library);
	/* 1 with the fields filled when library has an unsettled move, 0 when not, -1. */
	int (*load_intent)(struct catalog *c, const char *library, char *medium, size_t len,
			   int *source, int *destination);

	/* The rest is a site's (several hosts on one catalog); NULL in a catalog of one host. */

	/* The next value of a counter every host takes from (next_request, next_opreq,
	 * next_unlabeled), this host's alone. */
	rsm_err (*take_number)(struct catalog *c, const char *counter, uint64_t *out);
	/* A request about to leave the queue, held by the batch until it commits: 1 when it is
	 * still queued or waiting, 0 when another host ended it meanwhile (the model has been
	 * told), -1 on failure. */
	int (*claim_request)(struct catalog *c, struct rsm_engine *eng, struct request *r);
	/* A simulated library's physical record, where every host reaches it: written in the
	 * batch (with the lease of the library checked at its commit), and read (malloc'd in
	 * *text, NULL when there is none yet). */
	rsm_err (*save_sim_record)(struct catalog *c, struct rsm_engine *eng, int li,
				   const char *text);
	rsm_err (*load_sim_record)(struct catalog *c, const char *library, char **text);
	/* This host's device for a drive ("" : it does not reach it). */
	rsm_err (*save_drive_host)(struct catalog *c, const char *drive, const char *device);
};

/* What every implementation's handle starts with. */
struct catalog {
	const struct catalog_ops *ops;
	struct rsm_engine *eng; /* whose model it keeps (set by catalog_open) */
	bool readonly;
	bool batch_open;    /* catalog_save_state's transaction is open */
	bool flush_pending; /* a flush is due a second after a commit (catalog.c) */
	/* requests trimmed from the model whose rows go with the next commit (catalog.c) */
	uint64_t *trimmed;
	size_t ntrimmed, trimmed_cap;
	bool trim_due; /* the timer that commits them if no other commit comes is set */
};

extern const struct catalog_ops catalog_sqlite_ops, catalog_pg_ops;

/* Whether the catalog is a site's, shared by several hosts (catalog_pg.c). */
/* A counter of the catalog's meta table read at start-up (next_request, next_opreq,
 * next_unlabeled): the engine's never goes back, since every row numbered from it may have been
 * purged (both catalogs' readers). */
void catalog_meta_raise(struct rsm_engine *eng, const char *key, uint64_t value);
bool catalog_shared(const struct rsm_engine *eng);
/* The number the next request (counter "next_request") or operator request ("next_opreq")
 * gets: the site's (take_number), else the engine's own *local, which the caller advances once
 * the number is used.  ERROR_SUCCESS or why not. */
rsm_err catalog_take_number(struct rsm_engine *eng, const char *counter, uint64_t *local,
			    uint64_t *out);
/* See claim_request; 1 in a catalog of one host. */
int catalog_claim_request(struct rsm_engine *eng, struct request *r);
rsm_err catalog_save_sim_record(struct rsm_engine *eng, int li, const char *text);
rsm_err catalog_load_sim_record(struct rsm_engine *eng, const char *library, char **text);
rsm_err catalog_save_drive_host(struct rsm_engine *eng, const char *drive, const char *device);

rsm_err catalog_open(struct rsm_engine *eng, char *err, size_t errlen);
void catalog_close(struct rsm_engine *eng);
bool catalog_readonly(const struct rsm_engine *eng);
const char *catalog_error(struct rsm_engine *eng);
rsm_err catalog_load(struct rsm_engine *eng);
rsm_err catalog_clear_sessions(struct rsm_engine *eng);

/* A transaction of the caller's own, whose failure the caller reports: the transitions
 * batched so far are committed first, apart from it. */
rsm_err catalog_begin(struct rsm_engine *eng);
/* Commits; on failure rolls back and returns why. */
rsm_err catalog_commit(struct rsm_engine *eng);
void catalog_rollback(struct rsm_engine *eng);
/* Ends the caller's transaction: commits when e is ERROR_SUCCESS, else rolls back; returns
 * the outcome. */
rsm_err catalog_end(struct rsm_engine *eng, rsm_err e);

rsm_err catalog_save_library(struct rsm_engine *eng, const struct library *l);
rsm_err catalog_save_drive(struct rsm_engine *eng, const struct drive *d);
rsm_err catalog_save_medium(struct rsm_engine *eng, const struct medium *m);
rsm_err catalog_save_pool(struct rsm_engine *eng, const struct pool *p);
rsm_err catalog_save_request(struct rsm_engine *eng, const struct request *r);
rsm_err catalog_save_opreq(struct rsm_engine *eng, const struct opreq *o);
rsm_err catalog_save_session(struct rsm_engine *eng, const struct session *s);
rsm_err catalog_delete_pool(struct rsm_engine *eng, const char *name);
rsm_err catalog_delete_request(struct rsm_engine *eng, uint64_t number);
/* Deletes a finished request's row with the next commit, or in a transaction of its own a second
 * later if none comes: for the trim past request_keep_max, which the model has already done.
 * ERROR_NOT_ENOUGH_MEMORY when it cannot be noted (the caller deletes it itself). */
rsm_err catalog_delete_request_later(struct rsm_engine *eng, uint64_t number);
rsm_err catalog_delete_opreq(struct rsm_engine *eng, uint64_t number);
rsm_err catalog_delete_session(struct rsm_engine *eng, const char *name);
rsm_err catalog_add_channel(struct rsm_engine *eng, const char *session, int type, int64_t *row);
rsm_err catalog_delete_channel(struct rsm_engine *eng, int64_t row);
rsm_err catalog_set_meta(struct rsm_engine *eng, const char *key, uint64_t value);
rsm_err catalog_save_intent(struct rsm_engine *eng, const char *library, const char *medium,
			    int source, int destination, uint64_t request);
rsm_err catalog_clear_intent(struct rsm_engine *eng, const char *library);
int catalog_load_intent(struct rsm_engine *eng, const char *library, char *medium, size_t len,
			int *source, int *destination);

/* Saves whichever of a drive, a medium and a request are given, inside the caller's
 * transaction. */
rsm_err catalog_save_state_in(struct rsm_engine *eng, struct drive *d, struct medium *m,
			      struct request *r);
/* The same as one state transition of a job, in the batch of the burst under way.  A failure
 * cannot be undone (the cartridge has physically moved), so it is reported, not returned to
 * anyone. */
rsm_err catalog_save_state(struct rsm_engine *eng, struct drive *d, struct medium *m,
			   struct request *r);
/* The same in a transaction of its own, committed before it returns: for a change a caller
 * undoes in memory when the catalog refuses it. */
rsm_err catalog_save_checked(struct rsm_engine *eng, struct drive *d, struct medium *m,
			     struct request *r);
/* A library's counters (moves, failures, mounts and their times) as one state transition:
 * in the batch of the burst under way, so that no counter goes back at a restart (rsmfs(5),
 * metrics). */
rsm_err catalog_save_counters(struct rsm_engine *eng, const struct library *l);
/* Joins the batch (opening it if need be); inside a caller's own transaction, that one. */
rsm_err catalog_batch_begin(struct rsm_engine *eng);
/* Commits the batch, if one is open. */
rsm_err catalog_batch_commit(struct rsm_engine *eng);

#endif
