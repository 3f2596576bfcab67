/* opreq.c - operator requests (SubmitNtmsOperatorRequest, SatisfyNtmsOperatorRequest,
 * CancelNtmsOperatorRequest): what the engine asks a person to do, and what applications ask.
 *
 * The engine raises one when a request cannot go on without a person: an offline medium is
 * wanted (movemedia), a drive needs cleaning and no cleaner is there (cleaner), a device has
 * failed (deviceservice), an allocation finds no medium (newmedia).  The blocked request
 * keeps waiting; satisfying the operator request lets it try again, cancelling it fails the
 * request with ERROR_REQUEST_REFUSED.  When the request ends another way (time-out,
 * cancellation), its operator request is withdrawn: deleted, as RSM does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const opreq_type_names[] = {"newmedia", "cleaner", "deviceservice", "movemedia",
					"message"};
const char *const opreq_state_names[] = {"submitted", "active", "inprogress", "complete",
					 "refused"};

static bool opreq_open(const struct opreq *o)
{
	return o->state != OPREQ_COMPLETE && o->state != OPREQ_REFUSED;
}

struct opreq *opreq_find(struct rsm_engine *eng, uint64_t number)
{
	size_t lo = 0, hi = eng->nopreqs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (eng->opreqs[mid]->number == number)
			return eng->opreqs[mid];
		if (eng->opreqs[mid]->number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Appends o (numbers only grow, so the array stays sorted). */
static int opreq_append(struct rsm_engine *eng, struct opreq *o)
{
	if (eng->nopreqs == eng->opreqs_cap) {
		size_t cap = eng->opreqs_cap ? eng->opreqs_cap * 2 : 64;
		struct opreq **n = realloc(eng->opreqs, cap * sizeof(*n));
		if (!n)
			return -1;
		eng->opreqs = n;
		eng->opreqs_cap = cap;
	}
	eng->opreqs[eng->nopreqs++] = o;
	return 0;
}

/* Creates, commits and announces an operator request; its number, or 0 with *err (when
 * given) saying why not. */
static uint64_t opreq_create(struct rsm_engine *eng, enum opreq_type type, const char *message,
			     uint64_t request, int library, int drive, rsm_err *err)
{
	struct opreq *o = calloc(1, sizeof(*o));
	rsm_err e;

	if (err)
		*err = o ? ERROR_SUCCESS : ERROR_NOT_ENOUGH_MEMORY;
	if (!o)
		return 0;
	o->number = eng->next_opreq;
	guid_new(o->guid);
	o->type = type;
	o->state = OPREQ_SUBMITTED;
	snprintf(o->message, sizeof(o->message), "%s", message ? message : "");
	o->request = request;
	o->library = library;
	o->drive = drive;
	o->submitted = wall_now();
	e = catalog_begin(eng);
	if (e == ERROR_SUCCESS)
		e = catalog_save_opreq(eng, o);
	if (e == ERROR_SUCCESS)
		e = catalog_set_meta(eng, "next_opreq", o->number + 1);
	if (e == ERROR_SUCCESS)
		e = catalog_commit(eng);
	else
		catalog_rollback(eng);
	if (e == ERROR_SUCCESS && opreq_append(eng, o) < 0)
		e = ERROR_NOT_ENOUGH_MEMORY;
	if (e != ERROR_SUCCESS) {
		fprintf(stderr, "rsmfs: cannot record operator request %llu: %s (%s)\n",
			(unsigned long long)o->number, rsm_error_name(e),
			eng->db ? sqlite3_errmsg(eng->db) : "?");
		free(o);
		if (err)
			*err = e;
		return 0;
	}
	eng->next_opreq++;
	emit_opreq(eng, o, RSM_EV_INSERT);
	return o->number;
}

/* The same for the engine's own needs: 0 on failure (the blocked request then simply waits
 * without one). */
uint64_t opreq_raise(struct rsm_engine *eng, enum opreq_type type, const char *message,
		     uint64_t request, int library, int drive)
{
	return opreq_create(eng, type, message, request, library, drive, NULL);
}

/* The text an operator reads for what request r is waiting on. */
void opreq_message_for(struct rsm_engine *eng, const struct request *r, enum opreq_type type,
		       char *buf, size_t len)
{
	const char *lib = r->library >= 0 ? eng->libraries[r->library].name : "?";

	switch (type) {
	case OPREQ_MOVEMEDIA:
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
	return ERROR_SUCCESS;
}

static void opreq_delete(struct rsm_engine *eng, struct opreq *o)
{
	size_t i;

	if (catalog_delete_opreq(eng, o->number) != ERROR_SUCCESS)
		return;
	for (i = 0; i < eng->nopreqs && eng->opreqs[i] != o; i++)
		;
	if (i == eng->nopreqs)
		return;
	memmove(&eng->opreqs[i], &eng->opreqs[i + 1], (eng->nopreqs - i - 1) * sizeof(o));
	eng->nopreqs--;
	emit_opreq(eng, o, RSM_EV_DELETE);
	free(o);
}

void opreq_request_ended(struct rsm_engine *eng, uint64_t number, bool passed)
{
	struct opreq *o = opreq_find(eng, number);

	if (!o || !opreq_open(o))
		return;
	if (passed)
		opreq_finish(eng, o, OPREQ_COMPLETE); /* what it asked for happened */
	else
		opreq_delete(eng, o);
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
void opreqs_purge(struct rsm_engine *eng)
{
	int64_t cutoff = wall_now() - eng->cfg.request_retention_s;

	for (size_t i = eng->nopreqs; i-- > 0;) {
		struct opreq *o = eng->opreqs[i];
		if (!opreq_open(o) && o->finished < cutoff)
			opreq_delete(eng, o);
	}
}

/* ---- the API ---- */

rsm_err rsm_opreq_submit(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
			 const char *message, uint64_t *number)
{
	struct session *s;
	rsm_err e;

	if (!message || !*message)
		return ERROR_INVALID_PARAMETER;
	if (strlen(message) > 255)
		return ERROR_MESSAGE_EXCEEDS_MAX_SIZE;
	engine_lock(eng);
	s = session_for(eng, session, cred, false, &e);
	if (s) {
		uint64_t n = opreq_create(eng, OPREQ_MESSAGE, message, 0, NO_INDEX, NO_INDEX, &e);
		if (number)
			*number = n;
	}
	engine_unlock(eng);
	return e;
}

/* An administrator answering an open operator request; NULL with *e set otherwise. */
static struct opreq *opreq_for_admin(struct rsm_engine *eng, const struct rsm_cred *cred,
				     uint64_t number, rsm_err *e)
{
	struct opreq *o;

	*e = ERROR_SUCCESS;
	if (eng->stopping)
		*e = ERROR_NOT_CONNECTED;
	else if (!cred || !cred->admin)
		*e = ERROR_ACCESS_DENIED;
	else if (!(o = opreq_find(eng, number)) || !opreq_open(o))
		*e = ERROR_OBJECT_NOT_FOUND;
	else
		return o;
	return NULL;
}

rsm_err rsm_opreq_satisfy(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t number)
{
	rsm_err e;

	engine_lock(eng);
	struct opreq *o = opreq_for_admin(eng, cred, number, &e);
	if (o)
		e = opreq_finish(eng, o, OPREQ_COMPLETE);
	if (o && e == ERROR_SUCCESS) {
		struct request *r = o->request ? request_find(eng, o->request) : NULL;
		if (o->type == OPREQ_DEVICESERVICE)
			device_fault(eng, o->library, o->drive, false); /* the operator fixed it */
		if (r && r->opreq == o->number && request_pending(r))
			r->opreq_satisfied = true;
		schedule(eng);
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_opreq_cancel(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t number)
{
	rsm_err e;

	engine_lock(eng);
	struct opreq *o = opreq_for_admin(eng, cred, number, &e);
	if (o)
		e = opreq_finish(eng, o, OPREQ_REFUSED);
	if (o && e == ERROR_SUCCESS) {
		struct request *r = o->request ? request_find(eng, o->request) : NULL;
		char why[96];
		snprintf(why, sizeof(why), "the operator refused operator request %llu",
			 (unsigned long long)number);
		if (r && r->opreq == o->number && request_pending(r))
			request_finish(eng, r, REQ_FAILED, ERROR_REQUEST_REFUSED, why);
		schedule(eng);
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_opreq_info(struct rsm_engine *eng, uint64_t number, struct rsm_opreq_info *out)
{
	rsm_err e = ERROR_OBJECT_NOT_FOUND;

	engine_lock(eng);
	struct opreq *o = opreq_find(eng, number);
	if (o) {
		memset(out, 0, sizeof(*out));
		out->number = o->number;
		out->request = o->request && request_find(eng, o->request) ? o->request : 0;
		snprintf(out->guid, sizeof(out->guid), "%s", o->guid);
		snprintf(out->type, sizeof(out->type), "%s", opreq_type_names[o->type]);
		snprintf(out->state, sizeof(out->state), "%s", opreq_state_names[o->state]);
		snprintf(out->message, sizeof(out->message), "%s", o->message);
		rsm_format_time(o->submitted, out->submitted, sizeof(out->submitted));
		rsm_format_time(o->finished, out->finished, sizeof(out->finished));
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

/* ---- the catalog ---- */

int opreqs_load(struct rsm_engine *eng)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(eng->db,
			       "SELECT number, guid, type, state, message, request, library, drive,"
			       " submitted, finished FROM opreqs ORDER BY number",
			       -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct opreq *o = calloc(1, sizeof(*o));
		if (!o || opreq_append(eng, o) < 0) {
			free(o);
			break;
		}
		o->number = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(o->guid, sizeof(o->guid), "%s", sqlite3_column_text(st, 1));
		o->type =
		    (enum opreq_type)name_index(opreq_type_names, ARRAY_SIZE(opreq_type_names),
						(const char *)sqlite3_column_text(st, 2));
		o->state =
		    (enum opreq_state)name_index(opreq_state_names, ARRAY_SIZE(opreq_state_names),
						 (const char *)sqlite3_column_text(st, 3));
		snprintf(o->message, sizeof(o->message), "%s", sqlite3_column_text(st, 4));
		o->request = (uint64_t)sqlite3_column_int64(st, 5);
		o->library = library_find(eng, (const char *)sqlite3_column_text(st, 6));
		o->drive = drive_find(eng, (const char *)sqlite3_column_text(st, 7));
		o->submitted = sqlite3_column_int64(st, 8);
		o->finished = sqlite3_column_int64(st, 9);
		if (o->number >= eng->next_opreq)
			eng->next_opreq = o->number + 1;
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}
