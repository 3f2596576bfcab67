/* request.c - library requests: creation (committed before anyone sees them), state changes,
 * completion (history.c keeps the lists and the retention). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Builds a request from its spec, numbered next, in neither the catalog nor the engine yet;
 * makes room for it in the engine's array so that adopting it cannot fail. */
static rsm_err request_build(struct rsm_engine *eng, const struct request_spec *spec,
			     struct request **out)
{
	struct request *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (eng->nrequests == eng->requests_cap) {
		size_t cap = eng->requests_cap ? eng->requests_cap * 2 : 256;
		struct request **n = realloc(eng->requests, cap * sizeof(*n));
		if (!n) {
			free(r);
			return ERROR_NOT_ENOUGH_MEMORY;
		}
		eng->requests = n;
		eng->requests_cap = cap;
	}
	r->number = eng->next_request;
	guid_new(r->guid);
	r->op = spec->op;
	r->state = REQ_QUEUED;
	r->session = spec->session;
	if (spec->session >= 0)
		snprintf(r->session_name, sizeof(r->session_name), "%s",
			 eng->sessions[spec->session].name);
	r->medium = spec->medium;
	r->drive = spec->drive;
	r->library = spec->library >= 0 ? spec->library
		     : spec->medium >= 0 ? eng->media[spec->medium].library
		     : spec->drive >= 0	 ? eng->drives[spec->drive].library
					 : NO_INDEX;
	r->port = spec->port;
	r->priority = spec->priority;
	r->options = spec->options;
	r->specific_drive = spec->specific_drive;
	r->pool = NO_INDEX;
	r->submitted = wall_now();
	*out = r;
	return ERROR_SUCCESS;
}

/* Takes a request whose row is committed into the engine: its number, its list, its session's
 * last request. */
static void request_adopt(struct rsm_engine *eng, struct request *r)
{
	eng->next_request++;
	eng->requests[eng->nrequests++] = r;
	request_track(eng, r);
	if (r->session >= 0)
		eng->sessions[r->session].last_request = r->number;
}

/* Ends the transaction that creates r, which the caller began and may have written other rows
 * into (e: how that went): r's row and the numbering go in and it is committed, and r joins
 * the engine; on any failure all of it is rolled back and r is freed. */
static rsm_err request_commit_new(struct rsm_engine *eng, struct request *r, rsm_err e)
{
	if (e == ERROR_SUCCESS)
		e = catalog_save_request(eng, r);
	if (e == ERROR_SUCCESS)
		e = catalog_set_meta(eng, "next_request", r->number + 1);
	if (e == ERROR_SUCCESS)
		e = catalog_commit(eng);
	else
		catalog_rollback(eng);
	if (e != ERROR_SUCCESS) {
		free(r);
		return e;
	}
	request_adopt(eng, r);
	return ERROR_SUCCESS;
}

/* Creates a queued request, complete with its options, and commits it; *out is NULL and
 * nothing changed on failure. */
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
	*out = r;
	return ERROR_SUCCESS;
}

/* Records a change an administrator made in place (enable, disable) as a request that passed.
 * The changed object and the request are written in one transaction: a catalog that refuses
 * it keeps neither, and the caller, told so, undoes its change in memory.  One commit, too,
 * where there were three: a drive's disable reaches the channels sooner.  On success the
 * object's event goes out, then the request's. */
rsm_err request_record(struct rsm_engine *eng, const struct request_spec *spec,
		       struct library *l, struct drive *d, struct medium *m, uint64_t *number)
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
	if (number)
		*number = r->number;
	return ERROR_SUCCESS;
}

rsm_err request_submit(struct rsm_engine *eng, const struct request_spec *spec, uint64_t *number)
{
	struct request *r;
	rsm_err e = request_new(eng, spec, &r);

	if (e != ERROR_SUCCESS)
		return e;
	if (number)
		*number = r->number;
	schedule(eng);
	return ERROR_SUCCESS;
}

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
}

/* Ends a request: records the outcome, commits it, and answers a waiting caller. */
void request_finish(struct rsm_engine *eng, struct request *r, enum req_state state,
		    rsm_err error, const char *detail)
{
	r->state = state;
	r->error = error;
	request_track(eng, r);
	r->finished = wall_now();
	if (!r->started && state == REQ_PASSED)
		r->started = r->finished;
	snprintf(r->error_detail, sizeof(r->error_detail), "%s", detail ? detail : "");
	timer_cancel_arg(eng, r);
	catalog_save_state(eng, NULL, NULL, r);
	emit_request(eng, r, RSM_EV_UPDATE);
	emit_request(eng, r, RSM_EV_COMPLETE);
	if (r->opreq)
		opreq_request_ended(eng, r->opreq, state == REQ_PASSED);
	if (r->done) {
		/* what the caller learns: the drive of a mount, the side an allocation took */
		const char *what = state != REQ_PASSED ? NULL
				   : r->op == OP_ALLOCATE ? r->result
				   : r->drive >= 0	  ? eng->drives[r->drive].name
							  : NULL;
		defer_done(eng, r->done, r->done_ctx, error, r->number, what);
		r->done = NULL;
	}
}
