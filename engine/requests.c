/* requests.c - library requests and operator requests: creation (committed before anyone
 * sees them), state changes, completion, time-outs, cancellation, and the history that keeps
 * the finished ones for the retention.
 *
 * requests/ lists finished requests for the configured retention, at most request_keep_max of
 * them, so eng->requests holds thousands of them for every one still pending.  Two lists keep
 * the work of the engine proportional to what matters: the scheduler walks the pending list
 * only, and the retention drops from the head of the finished list (the request that finished
 * longest ago), not by searching the history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "log.h"
#include "notify.h"
#include "requests.h"
#include "site.h"

/* ---- answering a blocked caller ---- */

/* A completion on its way to a blocked caller, after the lock is released. */
struct completion {
	rsm_done_fn done;
	rsm_err err;
	uint64_t request;
	char what[RSM_NAME_MAX + 8]; /* a mount's drive, an allocation's "<medium>/<side>" */
};

static void run_completion(void *ctx, const void *data)
{
	const struct completion *c = data;

	c->done(ctx, c->err, c->request, c->what[0] ? c->what : NULL);
}

/* Answers r's blocked caller (if any) with err and what it learns; it is answered once. */
static void request_answer(struct rsm_engine *eng, struct request *r, rsm_err err, const char *what)
{
	struct completion c = {.done = r->done, .err = err, .request = r->number};

	if (!r->done)
		return;
	snprintf(c.what, sizeof(c.what), "%s", what ? what : "");
	defer_call(&eng->rt, run_completion, r->done_ctx, &c, sizeof(c));
	r->done = NULL;
}

/* ---- the log (rsmfs(8), LOGGING) ---- */

/* What r is about, for its log lines: "<operation> [<medium>] [pool=..] [drive=..]
 * [library=..] [session=..]", each part only when r has one. */
static void request_describe(struct rsm_engine *eng, const struct request *r, char *buf, size_t len)
{
	const struct {
		const char *label; /* "" for the medium, which needs none */
		const char *value;
	} parts[] = {
	    {"", r->medium >= 0 ? eng->media[r->medium].name : r->result},
	    {"pool=", r->pool >= 0 ? eng->pools[r->pool].name : ""},
	    {"drive=", r->drive >= 0 ? eng->drives[r->drive].name : ""},
	    {"library=", r->library >= 0 ? eng->libraries[r->library].name : ""},
	    {"session=", r->session_name},
	};
	size_t used = (size_t)snprintf(buf, len, "%s", name_of(&req_ops, r->op));

	for (size_t i = 0; i < ARRAY_SIZE(parts) && used < len; i++)
		if (parts[i].value[0])
			used += (size_t)snprintf(buf + used, len - used, " %s%s", parts[i].label,
						 parts[i].value);
}

/* One line per change of r's state: queued, waiting and in process at debug level; the end
 * (passed; failed or cancelled with the RSM error name and why) at notice, a failure at
 * warning. */
static void request_log(struct rsm_engine *eng, const struct request *r)
{
	enum rsm_log_level level = r->state == REQ_FAILED ? RSM_LOG_WARNING
				   : request_finished(r)  ? RSM_LOG_NOTICE
							  : RSM_LOG_DEBUG;
	const char *state = name_of(&req_states, r->state);
	char what[4 * RSM_NAME_MAX + 64];

	if (!engine_logs(level))
		return;
	request_describe(eng, r, what, sizeof(what));
	if (r->state == REQ_FAILED || r->state == REQ_CANCELLED)
		engine_log(level, "request %llu %s: %s %s: %s", (unsigned long long)r->number, what,
			   state, rsm_error_name(r->error),
			   r->error_detail[0] ? r->error_detail : rsm_error_text(r->error));
	else
		engine_log(level, "request %llu %s: %s", (unsigned long long)r->number, what,
			   state);
}

/* ---- creation ---- */

/* Builds a request from its spec, numbered next, in neither the catalog nor the engine yet;
 * makes room for it in the engine's array so that adopting it cannot fail. */
static rsm_err request_build(struct rsm_engine *eng, const struct request_spec *spec,
			     struct request **out)
{
	struct request *r = calloc(1, sizeof(*r));
	rsm_err e;

	*out = NULL;
	if (!r || request_array_reserve(eng) < 0) {
		free(r);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	/* in a site every host numbers from the catalog's counter (catalog.h) */
	if ((e = catalog_take_number(eng, "next_request", &eng->next_request, &r->number))) {
		free(r);
		return e;
	}
	guid_new(r->guid);
	r->op = spec->op;
	r->state = REQ_QUEUED;
	r->session = spec->session;
	if (spec->session >= 0)
		snprintf(r->session_name, sizeof(r->session_name), "%s",
			 eng->sessions[spec->session].name);
	r->medium = spec->medium;
	r->drive = spec->drive;
	r->library = spec->library >= 0	 ? spec->library
		     : spec->medium >= 0 ? eng->media[spec->medium].library
		     : spec->drive >= 0	 ? eng->drives[spec->drive].library
					 : NO_INDEX;
	r->port = spec->port;
	r->priority = spec->priority;
	r->options = spec->options;
	r->specific_drive = spec->specific_drive;
	r->vdrive = NO_INDEX; /* a mount asking for one says so once it is made */
	r->pool = NO_INDEX;
	r->submitted = wall_now();
	*out = r;
	return ERROR_SUCCESS;
}

/* Ends the transaction that creates r, which the caller began and may have written other rows
 * into (e: how that went): r's row and the numbering go in and it is committed, and r joins
 * the engine (its number, its list, its session's last request); on any failure all of it is
 * rolled back and r is freed. */
static rsm_err request_commit_new(struct rsm_engine *eng, struct request *r, rsm_err e)
{
	if (e == ERROR_SUCCESS)
		e = catalog_save_request(eng, r);
	if (e == ERROR_SUCCESS)
		e = catalog_set_meta(eng, "next_request", r->number + 1);
	e = catalog_end(eng, e);
	if (e != ERROR_SUCCESS) {
		free(r);
		return e;
	}
	eng->next_request++;
	eng->requests[eng->nrequests++] = r;
	request_track(eng, r);
	if (r->session >= 0)
		eng->sessions[r->session].last_request = r->number;
	return ERROR_SUCCESS;
}

rsm_err request_new(struct rsm_engine *eng, const struct request_spec *spec, struct request **out)
{
	struct request *r;
	rsm_err e = request_build(eng, spec, &r);

	*out = NULL;
	if (e != ERROR_SUCCESS)
		return e;
	e = request_commit_new(eng, r, catalog_begin(eng));
	if (e != ERROR_SUCCESS)
		return e;
	emit_request(eng, r, RSM_EV_INSERT);
	request_log(eng, r);
	*out = r;
	return ERROR_SUCCESS;
}

rsm_err request_submit(struct rsm_engine *eng, const struct request_spec *spec, uint64_t *number)
{
	struct request *r;
	rsm_err e = request_new(eng, spec, &r);

	if (e == ERROR_SUCCESS && number)
		*number = r->number;
	return e;
}

/* The changed object and the request are written in one transaction: a catalog that refuses
 * it keeps neither, and the caller, told so, undoes its change in memory.  On success the
 * object's event goes out, then the request's. */
rsm_err request_record(struct rsm_engine *eng, const struct request_spec *spec, struct library *l,
		       struct drive *d, struct medium *m, uint64_t *number)
{
	struct request *r;
	rsm_err e = request_build(eng, spec, &r);

	if (e != ERROR_SUCCESS)
		return e;
	r->state = REQ_PASSED;
	r->started = r->finished = r->submitted;
	e = catalog_begin(eng);
	if (e == ERROR_SUCCESS && l)
		e = catalog_save_library(eng, l);
	if (e == ERROR_SUCCESS)
		e = catalog_save_state_in(eng, d, m, NULL);
	e = request_commit_new(eng, r, e);
	if (e != ERROR_SUCCESS)
		return e;
	if (l)
		emit_library(eng, l);
	if (d)
		emit_drive(eng, d);
	if (m)
		emit_medium(eng, m);
	emit_request(eng, r, RSM_EV_INSERT);
	emit_request(eng, r, RSM_EV_UPDATE);
	emit_request(eng, r, RSM_EV_COMPLETE);
	request_log(eng, r);
	if (number)
		*number = r->number;
	return ERROR_SUCCESS;
}

/* ---- state changes and the end ---- */

void request_set_state(struct rsm_engine *eng, struct request *r, enum req_state state,
		       rsm_err error)
{
	if (r->state == state)
		return;
	r->state = state;
	r->error = error;
	request_track(eng, r);
	if (state == REQ_INPROCESS) {
		r->started = wall_now();
		r->started_mono = mono_now();
	}
	catalog_save_state(eng, NULL, NULL, r);
	emit_request(eng, r, RSM_EV_UPDATE);
	request_log(eng, r);
}

static void opreq_request_ended(struct rsm_engine *eng, uint64_t number, bool passed);

void request_finish(struct rsm_engine *eng, struct request *r, enum req_state state, rsm_err error,
		    const char *detail)
{
	r->state = state;
	r->error = error;
	request_track(eng, r);
	r->finished = wall_now();
	if (!r->started && state == REQ_PASSED)
		r->started = r->finished;
	snprintf(r->error_detail, sizeof(r->error_detail), "%s", detail ? detail : "");
	timer_cancel_arg(&eng->rt, r);
	catalog_save_state(eng, NULL, NULL, r);
	emit_request(eng, r, RSM_EV_UPDATE);
	emit_request(eng, r, RSM_EV_COMPLETE);
	request_log(eng, r);
	if (r->opreq)
		opreq_request_ended(eng, r->opreq, state == REQ_PASSED);
	/* what the caller learns: the drive of a mount, the side an allocation took */
	const char *what = state != REQ_PASSED	  ? NULL
			   : r->op == OP_ALLOCATE ? r->result
			   : r->drive >= 0	  ? eng->drives[r->drive].name
						  : NULL;
	request_answer(eng, r, error, what);
}

void request_ended_elsewhere(struct rsm_engine *eng, struct request *r)
{
	const char *what = r->state != REQ_PASSED ? NULL
			   : r->op == OP_ALLOCATE ? r->result
			   : r->drive >= 0	  ? eng->drives[r->drive].name
						  : NULL;

	timer_cancel_arg(&eng->rt, r);
	if (r->session >= 0 && eng->sessions[r->session].remote)
		return; /* its caller waits on its own host */
	request_answer(eng, r, r->error, what);
}

/* A blocked caller's time-out: a request that has not started is cancelled. */
static void request_timeout(struct rsm_engine *eng, void *arg)
{
	struct request *r = arg;

	if (request_pending(r))
		request_finish(eng, r, REQ_CANCELLED, ERROR_TIMEOUT,
			       r->op == OP_ALLOCATE
				   ? "no medium became available before the time-out"
				   : "the time-out expired before the medium was mounted");
}

void request_await(struct rsm_engine *eng, struct request *r, rsm_done_fn done, void *ctx,
		   int64_t timeout_ms)
{
	r->done = done;
	r->done_ctx = ctx;
	if (timeout_ms >= 0)
		timer_add(&eng->rt, (double)timeout_ms / 1000.0, request_timeout, r);
}

rsm_err request_cancel(struct rsm_engine *eng, struct request *r, const char *why)
{
	struct request done = *r;

	done.state = REQ_CANCELLED;
	done.error = ERROR_CANCELLED;
	done.finished = wall_now();
	rsm_err e = catalog_begin(eng);
	if (e == ERROR_SUCCESS)
		e = catalog_save_request(eng, &done);
	e = catalog_end(eng, e);
	if (e == ERROR_SUCCESS)
		request_finish(eng, r, REQ_CANCELLED, ERROR_CANCELLED, why);
	return e;
}

void requests_end_session(struct rsm_engine *eng, int session)
{
	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (r->session != session)
			continue;
		if (request_pending(r))
			request_finish(eng, r, REQ_CANCELLED, ERROR_CANCELLED,
				       "the session was closed");
		else
			request_answer(eng, r, ERROR_CANCELLED, NULL);
		r->session = NO_INDEX;
	}
}

void requests_answer_all(struct rsm_engine *eng)
{
	for (size_t i = 0; i < eng->nrequests; i++)
		request_answer(eng, eng->requests[i], ERROR_NOT_CONNECTED, NULL);
}

/* ---- history: the pending and finished lists ---- */

bool request_pending(const struct request *r)
{
	return r->state == REQ_QUEUED || r->state == REQ_WAITING;
}

bool request_finished(const struct request *r)
{
	return r->state == REQ_PASSED || r->state == REQ_FAILED || r->state == REQ_CANCELLED ||
	       r->state == REQ_STOPPED || r->state == REQ_INVALID;
}

static struct request_queue *queue_of(struct rsm_engine *eng, enum request_list list)
{
	return list == LIST_PENDING ? &eng->pending : list == LIST_FINISHED ? &eng->finished : NULL;
}

static void queue_unlink(struct request_queue *q, struct request *r)
{
	if (r->list_prev)
		r->list_prev->list_next = r->list_next;
	else
		q->head = r->list_next;
	if (r->list_next)
		r->list_next->list_prev = r->list_prev;
	else
		q->tail = r->list_prev;
	r->list_prev = r->list_next = NULL;
	q->count--;
}

static void queue_append(struct request_queue *q, struct request *r)
{
	r->list_prev = q->tail;
	r->list_next = NULL;
	if (q->tail)
		q->tail->list_next = r;
	else
		q->head = r;
	q->tail = r;
	q->count++;
}

void request_track(struct rsm_engine *eng, struct request *r)
{
	enum request_list want = request_pending(r)    ? LIST_PENDING
				 : request_finished(r) ? LIST_FINISHED
						       : LIST_NONE;

	if (want == r->list)
		return;
	/* a medium's waiting mounts: the scheduler does not evict what one of them will take */
	if (r->op == OP_MOUNT && r->medium >= 0 &&
	    (want == LIST_PENDING) != (r->list == LIST_PENDING))
		eng->media[r->medium].mounts_waiting += want == LIST_PENDING ? 1 : -1;
	if (r->list != LIST_NONE)
		queue_unlink(queue_of(eng, r->list), r);
	if (want != LIST_NONE)
		queue_append(queue_of(eng, want), r);
	r->list = want;
}

/* Finishing order of loaded requests: by finishing time, then number. */
static int finished_order(const void *a, const void *b)
{
	const struct request *x = *(struct request *const *)a, *y = *(struct request *const *)b;

	if (x->finished != y->finished)
		return x->finished < y->finished ? -1 : 1;
	return x->number < y->number ? -1 : x->number > y->number;
}

void requests_loaded(struct rsm_engine *eng)
{
	struct request **done = malloc(sizeof(*done) * (eng->nrequests ? eng->nrequests : 1));
	size_t n = 0;

	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (done && request_finished(r))
			done[n++] = r;
		else if (request_finished(r) || site_manages(eng, r->library))
			request_track(eng, r);
		/* else another host's, in its queue there: never scheduled here */
	}
	if (done)
		qsort(done, n, sizeof(*done), finished_order);
	for (size_t i = 0; i < n; i++)
		request_track(eng, done[i]);
	free(done);
}

/* Where request r is in eng->requests (ascending by number), by binary search. */
static size_t request_index(struct rsm_engine *eng, const struct request *r)
{
	size_t lo = 0, hi = eng->nrequests;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (eng->requests[mid]->number < r->number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Drops finished requests, earliest finished first, while more than request_keep_max are
 * kept or the earliest finished before cutoff: the row inside the caller's transaction, a
 * delete event, and the pointer out of eng->requests.  Finding it by binary search and moving
 * the pointers after it touches no other request: a pass over all of them cost a cache miss
 * per kept request, every time one was dropped. */
static void requests_drop(struct rsm_engine *eng, int64_t cutoff)
{
	struct request *r;

	while ((r = eng->finished.head) &&
	       (eng->finished.count > (size_t)eng->cfg.request_keep_max || r->finished < cutoff)) {
		if (catalog_delete_request(eng, r->number) != ERROR_SUCCESS)
			break;
		request_forget(eng, r);
	}
}

void request_forget(struct rsm_engine *eng, struct request *r)
{
	emit_request(eng, r, RSM_EV_DELETE);
	if (r->list != LIST_NONE)
		queue_unlink(queue_of(eng, r->list), r);
	size_t i = request_index(eng, r);
	if (i < eng->nrequests && eng->requests[i] == r) {
		memmove(&eng->requests[i], &eng->requests[i + 1],
			(eng->nrequests - i - 1) * sizeof(*eng->requests));
		eng->nrequests--;
	}
	timer_cancel_arg(&eng->rt, r);
	free(r);
}

static void opreqs_purge(struct rsm_engine *eng);

void requests_purge(struct rsm_engine *eng)
{
	if (catalog_begin(eng) != ERROR_SUCCESS)
		return;
	requests_drop(eng, wall_now() - eng->cfg.request_retention_s);
	opreqs_purge(eng);
	catalog_commit(eng);
}

/* Run where nothing walks eng->requests (at the settle), since it moves the array under any
 * loop.  The rows go with the next commit: a commit of their own here, before the settle's
 * events are delivered, put a second disk write into every event's latency once the history
 * was full (bench/RESULTS.md).  A stop in between leaves nothing listed that should not be:
 * the load keeps no more than request_keep_max. */
void requests_trim(struct rsm_engine *eng)
{
	struct request *r;
	size_t keep = (size_t)eng->cfg.request_keep_max;

	if (eng->finished.count <= keep || catalog_readonly(eng))
		return;
	while ((r = eng->finished.head) && eng->finished.count > keep &&
	       catalog_delete_request_later(eng, r->number) == ERROR_SUCCESS)
		request_forget(eng, r);
	/* no memory to note them: deleted now, in a transaction of their own */
	if (eng->finished.count > keep && catalog_batch_begin(eng) == ERROR_SUCCESS)
		requests_drop(eng, INT64_MIN);
}

void requests_free(struct rsm_engine *eng)
{
	for (size_t i = 0; i < eng->nrequests; i++)
		free(eng->requests[i]);
	free(eng->requests);
	for (size_t i = 0; i < eng->nopreqs; i++)
		free(eng->opreqs[i]);
	free(eng->opreqs);
}

/* ---- operator requests ---- */

bool opreq_open(const struct opreq *o)
{
	return o->state != OPREQ_COMPLETE && o->state != OPREQ_REFUSED;
}

/* The line of an operator request's raising (a warning: a person must act, and the message
 * says what) or of its end. */
static void opreq_log(const struct opreq *o, const char *what)
{
	bool raised = strcmp(what, "raised") == 0;

	engine_log(raised ? RSM_LOG_WARNING : RSM_LOG_NOTICE, "opreq %llu %s: %s%s%s",
		   (unsigned long long)o->number, name_of(&opreq_types, o->type), what,
		   raised ? ": " : "", raised ? o->message : "");
}

/* Creates, commits and announces an operator request; NULL with *err set on failure. */
static struct opreq *opreq_create(struct rsm_engine *eng, enum opreq_type type, const char *message,
				  uint64_t request, int library, int drive, rsm_err *err)
{
	struct opreq *o = calloc(1, sizeof(*o));
	rsm_err e = o && opreq_array_reserve(eng) == 0 ? ERROR_SUCCESS : ERROR_NOT_ENOUGH_MEMORY;

	if (e == ERROR_SUCCESS)
		e = catalog_take_number(eng, "next_opreq", &eng->next_opreq, &o->number);
	if (e == ERROR_SUCCESS) {
		guid_new(o->guid);
		o->type = type;
		o->state = OPREQ_SUBMITTED;
		snprintf(o->message, sizeof(o->message), "%s", message ? message : "");
		o->request = request;
		o->library = library;
		o->drive = drive;
		o->submitted = wall_now();
		e = catalog_begin(eng);
	}
	if (e == ERROR_SUCCESS)
		e = catalog_save_opreq(eng, o);
	if (e == ERROR_SUCCESS)
		e = catalog_set_meta(eng, "next_opreq", o->number + 1);
	if (o)
		e = catalog_end(eng, e);
	*err = e;
	if (e != ERROR_SUCCESS) {
		engine_log(RSM_LOG_ERROR, "catalog: recording opreq %llu failed %s: %s",
			   (unsigned long long)eng->next_opreq, rsm_error_name(e),
			   catalog_error(eng));
		free(o);
		return NULL;
	}
	eng->opreqs[eng->nopreqs++] = o;
	eng->next_opreq++;
	emit_opreq(eng, o, RSM_EV_INSERT);
	opreq_log(o, "raised");
	return o;
}

uint64_t opreq_raise(struct rsm_engine *eng, enum opreq_type type, const char *message,
		     uint64_t request, int library, int drive, rsm_err *err)
{
	rsm_err e;
	struct opreq *o = opreq_create(eng, type, message, request, library, drive, &e);

	if (err)
		*err = e;
	return o ? o->number : 0;
}

uint64_t opreq_raise_message(struct rsm_engine *eng, const char *message, uid_t uid, rsm_err *err)
{
	struct opreq *o = opreq_create(eng, OPREQ_MESSAGE, message, 0, NO_INDEX, NO_INDEX, err);

	if (!o)
		return 0;
	o->by_user = true;
	o->uid = uid;
	return o->number;
}

uint64_t opreq_for_step(struct rsm_engine *eng, struct step *s, uint64_t request, int library,
			const char *message,
			void (*answered)(struct rsm_engine *eng, struct step *s, rsm_err err))
{
	rsm_err e;
	struct opreq *o =
	    opreq_create(eng, OPREQ_MOVEMEDIA, message, request, library, NO_INDEX, &e);

	if (!o)
		return 0;
	o->step = s;
	o->answered = answered;
	return o->number;
}

/* The text an operator reads for what request r is waiting on. */
static void opreq_message_for(struct rsm_engine *eng, const struct request *r, enum opreq_type type,
			      char *buf, size_t len)
{
	const struct library *l = r->library >= 0 ? &eng->libraries[r->library] : NULL;
	const char *lib = l ? l->name : "?";

	switch (type) {
	case OPREQ_MOVEMEDIA:
		if (l && library_standalone(l) && l->ndrives) {
			/* no robot: the operator puts the cartridge into the drive itself */
			const struct drive *d = &eng->drives[l->drive_index[0]];
			if (d->medium >= 0)
				snprintf(buf, len, "take %s out of %s/%s, then insert %s into it",
					 eng->media[d->medium].name, lib, d->name,
					 eng->media[r->medium].name);
			else
				snprintf(buf, len, "insert %s into %s/%s",
					 eng->media[r->medium].name, lib, d->name);
			break;
		}
		snprintf(buf, len, "put medium %s into library %s (request %llu mounts it)",
			 eng->media[r->medium].name, lib, (unsigned long long)r->number);
		break;
	case OPREQ_CLEANER:
		snprintf(buf, len,
			 "drive %s needs cleaning and library %s has no cleaner cartridge "
			 "(request %llu)",
			 eng->drives[r->drive].name, lib, (unsigned long long)r->number);
		break;
	case OPREQ_NEWMEDIA:
		snprintf(buf, len, "pool %s needs new media (request %llu allocates from it)",
			 eng->pools[r->pool].name, (unsigned long long)r->number);
		break;
	default:
		snprintf(buf, len, "request %llu needs the operator",
			 (unsigned long long)r->number);
	}
}

void request_wait_for_operator(struct rsm_engine *eng, struct request *r, enum opreq_type type)
{
	if (!r->opreq || r->opreq_satisfied) {
		char msg[256];
		opreq_message_for(eng, r, type, msg, sizeof(msg));
		r->opreq_satisfied = false;
		/* 0 on failure: the request then simply waits without one */
		r->opreq = opreq_raise(eng, type, msg, r->number, r->library, NO_INDEX, NULL);
	}
	request_set_state(eng, r, REQ_WAITING, ERROR_SUCCESS);
}

/* Ends an operator request in state (complete or refused), committed first. */
static rsm_err opreq_finish(struct rsm_engine *eng, struct opreq *o, enum opreq_state state)
{
	struct opreq done = *o;
	rsm_err e;

	done.state = state;
	done.finished = wall_now();
	e = catalog_save_opreq(eng, &done);
	if (e != ERROR_SUCCESS)
		return e;
	*o = done;
	emit_opreq(eng, o, RSM_EV_UPDATE);
	emit_opreq(eng, o, RSM_EV_COMPLETE);
	opreq_log(o, state == OPREQ_COMPLETE ? "satisfied" : "refused ERROR_REQUEST_REFUSED");
	return ERROR_SUCCESS;
}

static void opreq_delete(struct rsm_engine *eng, struct opreq *o)
{
	if (catalog_delete_opreq(eng, o->number) == ERROR_SUCCESS)
		opreq_forget(eng, o);
}

void opreq_forget(struct rsm_engine *eng, struct opreq *o)
{
	size_t i;

	for (i = 0; i < eng->nopreqs && eng->opreqs[i] != o; i++)
		;
	if (i == eng->nopreqs)
		return;
	memmove(&eng->opreqs[i], &eng->opreqs[i + 1], (eng->nopreqs - i - 1) * sizeof(o));
	eng->nopreqs--;
	emit_opreq(eng, o, RSM_EV_DELETE);
	free(o);
}

/* The request an operator request was raised for has ended: the need was met (passed) or is
 * gone (the operator request is withdrawn, as RSM does). */
static void opreq_request_ended(struct rsm_engine *eng, uint64_t number, bool passed)
{
	struct opreq *o = opreq_find(eng, number);

	if (!o || !opreq_open(o))
		return;
	if (passed) {
		opreq_finish(eng, o, OPREQ_COMPLETE); /* what it asked for happened */
	} else {
		opreq_log(o, "withdrawn");
		opreq_delete(eng, o);
	}
}

rsm_err opreq_answer(struct rsm_engine *eng, struct opreq *o, bool satisfied)
{
	rsm_err e = opreq_finish(eng, o, satisfied ? OPREQ_COMPLETE : OPREQ_REFUSED);

	if (e == ERROR_SUCCESS)
		opreq_answered(eng, o, satisfied);
	return e;
}

void opreq_answered(struct rsm_engine *eng, struct opreq *o, bool satisfied)
{
	struct request *r = o->request ? request_find(eng, o->request) : NULL;
	char why[96];

	/* what waits on it is its library's manager's: another host has nothing to go on with */
	if (o->library >= 0 && !eng->libraries[o->library].managed)
		return;
	if (o->step) {
		/* a job's step was waiting for the operator's hands */
		struct step *s = o->step;
		o->step = NULL;
		o->answered(eng, s, satisfied ? ERROR_SUCCESS : ERROR_REQUEST_REFUSED);
		return;
	}
	if (!r || r->opreq != o->number || !request_pending(r))
		return;
	if (satisfied) {
		r->opreq_satisfied = true; /* the scheduler tries it again */
		if (catalog_shared(eng))   /* and so would another host, taking the library over */
			catalog_save_state(eng, NULL, NULL, r);
	} else {
		snprintf(why, sizeof(why), "the operator refused operator request %llu",
			 (unsigned long long)o->number);
		request_finish(eng, r, REQ_FAILED, ERROR_REQUEST_REFUSED, why);
	}
}

void opreq_device_repaired(struct rsm_engine *eng, int library, int drive)
{
	for (size_t i = 0; i < eng->nopreqs; i++) {
		struct opreq *o = eng->opreqs[i];
		if (o->type == OPREQ_DEVICESERVICE && opreq_open(o) && o->library == library &&
		    o->drive == drive)
			opreq_finish(eng, o, OPREQ_COMPLETE);
	}
}

/* Drops finished operator requests past the request retention. */
static void opreqs_purge(struct rsm_engine *eng)
{
	int64_t cutoff = wall_now() - eng->cfg.request_retention_s;

	for (size_t i = eng->nopreqs; i-- > 0;) {
		struct opreq *o = eng->opreqs[i];
		if (!opreq_open(o) && o->finished < cutoff)
			opreq_delete(eng, o);
	}
}

void opreqs_loaded(struct rsm_engine *eng)
{
	for (size_t i = eng->nopreqs; i-- > 0;) {
		struct opreq *o = eng->opreqs[i];
		struct request *r = o->request ? request_find(eng, o->request) : NULL;
		if (opreq_open(o) && o->request && (!r || request_finished(r)))
			opreq_request_ended(eng, o->number, r && r->state == REQ_PASSED);
	}
}
