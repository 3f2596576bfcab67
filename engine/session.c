/* session.c - OpenNtmsSession / CloseNtmsSession.
 *
 * A session slot is reused after close with a new generation, so an old handle can never
 * reach the new session.  Closing unwinds the session: queued work is cancelled, blocked
 * callers get ERROR_CANCELLED, channels end, and mounted media stay in their drives as if
 * dismounted deferred.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "jobs.h"
#include "log.h"
#include "notify.h"
#include "requests.h"

rsm_err rsm_session_open(struct rsm_engine *eng, const char *name, const char *application,
			 const struct rsm_cred *cred, rsm_handle *out)
{
	rsm_err e = ERROR_SUCCESS;
	int slot = -1;

	if (!out || !cred)
		return ERROR_INVALID_PARAMETER;
	if (!valid_name(name))
		return ERROR_INVALID_NAME;
	engine_lock(eng);
	if (eng->stopping) {
		e = ERROR_NOT_CONNECTED;
		goto out;
	}
	e = user_limit_check(eng, cred, LIMIT_SESSIONS);
	if (e != ERROR_SUCCESS)
		goto out;
	for (int i = 0; i < eng->nsessions; i++) {
		if (eng->sessions[i].used && strcmp(eng->sessions[i].name, name) == 0) {
			e = ERROR_ALREADY_EXISTS;
			goto out;
		}
		if (!eng->sessions[i].used && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		struct session *n =
		    realloc(eng->sessions, sizeof(*n) * (size_t)(eng->nsessions + 1));
		if (!n) {
			e = ERROR_NOT_ENOUGH_MEMORY;
			goto out;
		}
		eng->sessions = n;
		memset(&n[eng->nsessions], 0, sizeof(*n));
		slot = eng->nsessions++;
	}
	struct session s = {.used = true, .generation = eng->sessions[slot].generation + 1};
	snprintf(s.name, sizeof(s.name), "%s", name);
	guid_new(s.guid);
	/* the server substitutes "RSM" when the application gives no name */
	snprintf(s.application, sizeof(s.application), "%s",
		 application && *application ? application : "RSM");
	s.uid = cred->uid;
	s.created = wall_now();
	snprintf(s.host, sizeof(s.host), "%s", eng->cfg.host);
	e = catalog_save_session(eng, &s);
	if (e != ERROR_SUCCESS)
		goto out;
	eng->sessions[slot] = s;
	*out = session_handle(eng, slot);
	emit_session(eng, &eng->sessions[slot], RSM_EV_INSERT);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_session_find(struct rsm_engine *eng, const char *name, rsm_handle *out)
{
	rsm_err e = ERROR_INVALID_HANDLE;

	engine_lock(eng);
	for (int i = 0; i < eng->nsessions; i++) {
		if (eng->sessions[i].used && strcmp(eng->sessions[i].name, name) == 0) {
			*out = session_handle(eng, i);
			e = ERROR_SUCCESS;
			break;
		}
	}
	if (eng->stopping)
		e = ERROR_NOT_CONNECTED;
	engine_unlock(eng);
	return e;
}

void rsm_session_set_error(struct rsm_engine *eng, rsm_handle session, const char *text)
{
	rsm_err e;

	engine_lock(eng);
	struct session *s = session_get(eng, session, &e);
	if (s)
		snprintf(s->error, sizeof(s->error), "%s", text);
	engine_unlock(eng);
}

rsm_err rsm_session_close(struct rsm_engine *eng, rsm_handle session)
{
	rsm_err e;
	struct session *s;
	int slot;

	engine_lock(eng);
	if (eng->stopping) {
		engine_unlock(eng);
		return ERROR_CONNECTION_UNAVAIL;
	}
	s = session_get(eng, session, &e);
	if (!s) {
		engine_unlock(eng);
		return e;
	}
	slot = (int)(s - eng->sessions);
	e = catalog_delete_session(eng, s->name);
	if (e != ERROR_SUCCESS && catalog_shared(eng)) {
		/* a site's other hosts would still list it: nothing is closed */
		engine_unlock(eng);
		return e;
	}
	if (e != ERROR_SUCCESS)
		/* the row is only bookkeeping that start-up clears: closing goes on */
		engine_log(RSM_LOG_ERROR, "catalog: removing session %s failed %s: %s", s->name,
			   rsm_error_name(e), catalog_error(eng));
	session_unwind(eng, slot);
	engine_unlock(eng);
	return ERROR_SUCCESS;
}

/* Whether work of library li is this host's to end (its manager's). */
static bool library_mine(struct rsm_engine *eng, int li)
{
	return li < 0 || eng->libraries[li].managed;
}

void session_unwind(struct rsm_engine *eng, int slot)
{
	struct session *s = &eng->sessions[slot];

	/* a session of this host's ends all its work; another host's session ends here only
	 * what this host manages (each manager ends its own) */
	if (!s->remote)
		requests_end_session(eng, slot);
	else
		for (size_t i = 0; i < eng->nrequests; i++) {
			struct request *r = eng->requests[i];
			if (r->session == slot && request_pending(r) && r->library >= 0 &&
			    library_mine(eng, r->library))
				request_finish(eng, r, REQ_CANCELLED, ERROR_CANCELLED,
					       "the session was closed");
		}
	for (size_t i = 0; s->remote && i < eng->nrequests; i++)
		if (eng->requests[i]->session == slot)
			eng->requests[i]->session = NO_INDEX;
	session_release_media(eng, slot);
	/* the session's own channels still see it go, then end */
	emit_session(eng, s, RSM_EV_DELETE);
	channels_end_session(eng, slot);
	s->used = false;
	s->remote = false;
	s->name[0] = '\0';
}
