/* opreq_ops.c - operator requests: SubmitNtmsOperatorRequest, SatisfyNtmsOperatorRequest,
 * CancelNtmsOperatorRequest and their information.
 *
 * The engine raises them when a request cannot go on without a person: an offline medium is
 * wanted (movemedia), a drive needs cleaning and no cleaner is there (cleaner), a device has
 * failed (deviceservice), an allocation finds no medium (newmedia).  The blocked request
 * keeps waiting; satisfying the operator request lets it try again, cancelling it fails the
 * request with ERROR_REQUEST_REFUSED.  Their life cycle is in requests.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "requests.h"

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
	if (s)
		e = user_limit_check(eng, cred, LIMIT_OPREQS);
	if (s && e == ERROR_SUCCESS) {
		uint64_t n = opreq_raise_message(eng, message, cred->uid, &e);
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
		e = opreq_answer(eng, o, true);
	if (o && e == ERROR_SUCCESS && o->type == OPREQ_DEVICESERVICE)
		device_fault(eng, o->library, o->drive, false); /* the operator fixed it */
	engine_unlock(eng);
	return e;
}

rsm_err rsm_opreq_cancel(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t number)
{
	rsm_err e;

	engine_lock(eng);
	struct opreq *o = opreq_for_admin(eng, cred, number, &e);
	if (o)
		e = opreq_answer(eng, o, false);
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
		snprintf(out->type, sizeof(out->type), "%s", name_of(&opreq_types, o->type));
		snprintf(out->state, sizeof(out->state), "%s", name_of(&opreq_states, o->state));
		snprintf(out->message, sizeof(out->message), "%s", o->message);
		rsm_format_time(o->submitted, out->submitted, sizeof(out->submitted));
		rsm_format_time(o->finished, out->finished, sizeof(out->finished));
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}
