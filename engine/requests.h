/* requests.h - the life cycles of library requests and operator requests.
 *
 * A library request is born queued (committed before anyone sees it), may wait, is taken in
 * process by a job, and finishes passed, failed or cancelled; its caller, if one is blocked,
 * is answered after the lock is released.  An operator request is raised when a person must
 * act: it blocks a library request (or a job's step) until the operator satisfies it
 * (complete) or refuses it; when the request it blocks ends another way it is withdrawn.
 * Both live here because each ends the other.
 */
#ifndef RSM_REQUESTS_H
#define RSM_REQUESTS_H

#include "model.h"

/* What a new request is for; library is derived from the medium or drive when NO_INDEX. */
struct request_spec {
	enum req_op op;
	int session, medium, drive, library, port, priority;
	unsigned options;
	bool specific_drive;
};

/* Creates a queued request and commits it; *out is NULL and nothing changed on failure. */
rsm_err request_new(struct rsm_engine *eng, const struct request_spec *spec, struct request **out);
/* The same, reporting only its number: for work that returns once queued. */
rsm_err request_submit(struct rsm_engine *eng, const struct request_spec *spec, uint64_t *number);
/* A change made in place (enable, disable) and its passed request, committed together; the
 * library, drive or medium given (NULL: none) are saved and their events sent. */
rsm_err request_record(struct rsm_engine *eng, const struct request_spec *spec, struct library *l,
		       struct drive *d, struct medium *m, uint64_t *number);
void request_set_state(struct rsm_engine *eng, struct request *r, enum req_state state,
		       rsm_err error);
/* Ends a request: records the outcome, and answers a waiting caller. */
void request_finish(struct rsm_engine *eng, struct request *r, enum req_state state, rsm_err error,
		    const char *detail);
/* A blocked caller waits for r's completion, at most timeout_ms (RSM_WAIT_INFINITE: no limit). */
void request_await(struct rsm_engine *eng, struct request *r, rsm_done_fn done, void *ctx,
		   int64_t timeout_ms);
/* Cancels r, which has not started, as the caller says why; the cancellation is committed
 * first, so a catalog that refuses it leaves r as it was. */
rsm_err request_cancel(struct rsm_engine *eng, struct request *r, const char *why);

bool request_pending(const struct request *r); /* queued or waiting: not started */
bool request_finished(const struct request *r);

/* History: the pending and finished lists (after every change of state, request_track puts r
 * on the list its state calls for). */
void request_track(struct rsm_engine *eng, struct request *r);
void requests_loaded(struct rsm_engine *eng);
/* Drops finished requests (and operator requests) past the retention (every minute). */
void requests_purge(struct rsm_engine *eng);
/* Keeps at most request_keep_max finished requests (at every settle). */
void requests_trim(struct rsm_engine *eng);
/* A closed session's requests: queued ones cancelled, blocked callers answered. */
void requests_end_session(struct rsm_engine *eng, int session);
/* The service is going away: every blocked caller is answered ERROR_NOT_CONNECTED. */
void requests_answer_all(struct rsm_engine *eng);
void requests_free(struct rsm_engine *eng);
/* Takes a request out of the model (its row is gone), announced. */
void request_forget(struct rsm_engine *eng, struct request *r);
/* Another host ended r (a site): its caller here, if one waits, is answered. */
void request_ended_elsewhere(struct rsm_engine *eng, struct request *r);

/* ---- operator requests ---- */

/* Raises, commits and announces an operator request; its number, or 0 with *err (when given)
 * saying why not. */
uint64_t opreq_raise(struct rsm_engine *eng, enum opreq_type type, const char *message,
		     uint64_t request, int library, int drive, rsm_err *err);
/* A message a session's owner uid submits: counts toward uid's limit of open operator requests
 * (rsmfs(5), LIMITS).  Its number, or 0 with *err saying why not. */
uint64_t opreq_raise_message(struct rsm_engine *eng, const char *message, uid_t uid, rsm_err *err);
/* Raises (once) the operator request r waits for; r waits.  One satisfied in vain is
 * replaced by a new one. */
void request_wait_for_operator(struct rsm_engine *eng, struct request *r, enum opreq_type type);
/* A job step only the operator can carry out: an operator request for the step's request;
 * answered(eng, s, err) runs when it is satisfied (ERROR_SUCCESS) or refused. */
uint64_t opreq_for_step(struct rsm_engine *eng, struct step *s, uint64_t request, int library,
			const char *message,
			void (*answered)(struct rsm_engine *eng, struct step *s, rsm_err err));
bool opreq_open(const struct opreq *o);
/* The operator's answer: complete (satisfied) or refused.  What waited on it goes on. */
rsm_err opreq_answer(struct rsm_engine *eng, struct opreq *o, bool satisfied);
/* What waited on an answered operator request goes on (here, or on another host: only the
 * manager of its library does anything). */
void opreq_answered(struct rsm_engine *eng, struct opreq *o, bool satisfied);
/* Takes an operator request out of the model (its row is gone), announced. */
void opreq_forget(struct rsm_engine *eng, struct opreq *o);
/* A device is repaired: its device-service requests are complete. */
void opreq_device_repaired(struct rsm_engine *eng, int library, int drive);
/* Operator requests whose request ended while the daemon was down are withdrawn. */
void opreqs_loaded(struct rsm_engine *eng);

#endif
