/* library.c - EjectNtmsMedia, InjectNtmsMedia, InventoryNtmsLibrary and
 * CancelNtmsLibraryRequest (rsm-reference.md §1.5): commands to libraries/<l>/ctl and
 * requests/<n>/ctl, which are for administrators (rsmfs(5), libraries/lib/, requests/n/).
 * The operation GUID of an inject or eject is the id of the library request it made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntms.h"

/* requests/<n>/ctl cancel, as CancelNtmsLibraryRequest documents it: a request being handled
 * cannot be deleted (EBUSY) and a finished one is not found (rsmfs(5), requests/n/). */
static const struct ntms_errmap cancel_errors[] = {
    {EBUSY, ERROR_ACCESS_DENIED},
    {ENOENT, ERROR_OBJECT_NOT_FOUND},
    {0, 0},
};

/* What by-id/ says of an id that should name an object of kind; bad is the code for an id
 * that names no such object. */
static DWORD resolve_kind(struct ntms_session *s, const NTMS_GUID *id, enum ntms_kind kind,
			  DWORD bad, struct ntms_object *o)
{
	int err = ntms_resolve(s->mnt, id, o);

	if (err == ENOMEM)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (err && ntms_session_gone(s))
		return ERROR_NOT_CONNECTED;
	if (err || o->kind != kind)
		return bad;
	return ERROR_SUCCESS;
}

/* Cancels request n (requests/<n>/ctl cancel). */
static DWORD cancel_request(struct ntms_session *s, const char *n)
{
	char ctl[NTMS_NAME_MAX + 16], reply[NTMS_REPLY_MAX];

	snprintf(ctl, sizeof(ctl), "requests/%s/ctl", n);
	return ntms_admin_command(s, ctl, "cancel", reply, sizeof(reply), cancel_errors);
}

/* Sends a command to a library's ctl; the GUID of the request it made goes to op (when the
 * reply can be read: see ntms_admin_command). */
static DWORD library_command(struct ntms_session *s, const char *library, const char *line,
			     NTMS_GUID *op)
{
	char ctl[NTMS_NAME_MAX + 16], reply[NTMS_REPLY_MAX], n[32];

	snprintf(ctl, sizeof(ctl), "libraries/%s/ctl", library);
	DWORD e = ntms_admin_command(s, ctl, line, reply, sizeof(reply), NULL);
	if (e == ERROR_SUCCESS && op && sscanf(reply, "ok request %31s", n) == 1)
		ntms_object_guid(s->mnt, OK_REQUEST, n, 0, op);
	return e;
}

/* NTMS_EJECT_STOP, NTMS_INJECT_STOP: the operation is the request of that operation; one this
 * library never made is ERROR_INVALID_OPERATION, one already over has nothing to stop. */
static DWORD stop_operation(struct ntms_session *s, const NTMS_GUID *op, const char *operation)
{
	struct ntms_object r;
	char what[32];

	if (!op)
		return ERROR_INVALID_PARAMETER;
	DWORD e = resolve_kind(s, op, OK_REQUEST, ERROR_INVALID_OPERATION, &r);
	if (e != ERROR_SUCCESS)
		return e;
	int err = ntms_read_attr(s->mnt, what, sizeof(what), "requests/%s/operation", r.name);
	if (err)
		return ntms_session_error(s, err, NULL);
	if (strcmp(what, operation) != 0)
		return ERROR_INVALID_OPERATION;
	e = cancel_request(s, r.name);
	return e == ERROR_OBJECT_NOT_FOUND ? ERROR_SUCCESS : e;
}

/* EjectNtmsMedia: "eject <medium>" to its library (NTMS_EJECT_START, _QUEUE and _FORCE: rsmfs
 * ejects at once, through the first empty port), or NTMS_EJECT_STOP of an eject not yet
 * done.  The request's GUID goes to lpEjectOperation. */
DWORD WINAPI EjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpEjectOperation,
			    DWORD dwAction)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object m;
	char library[NTMS_NAME_MAX + 1], line[128];
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	/* [RSMP]: actions past NTMS_EJECT_FORCE are refused here */
	if (dwAction > NTMS_EJECT_FORCE) {
		e = ERROR_INVALID_PARAMETER;
	} else if (dwAction == NTMS_EJECT_STOP) {
		e = stop_operation(s, lpEjectOperation, "eject");
	} else if (!lpMediaId) {
		e = ERROR_INVALID_PARAMETER;
	} else if ((e = resolve_kind(s, lpMediaId, OK_MEDIUM, ERROR_INVALID_MEDIA, &m)) ==
		   ERROR_SUCCESS) {
		int err = ntms_read_link_name(s->mnt, library, sizeof(library), "media/%s/library",
					      m.name);
		if (err) {
			e = ntms_session_error(s, err, NULL);
		} else {
			snprintf(line, sizeof(line), "eject %s", m.name);
			e = library_command(s, library, line, lpEjectOperation);
		}
	}
	ntms_handle_put(hSession);
	return e;
}

/* InjectNtmsMedia: "inject" (NTMS_INJECT_START, _STARTMANY and _RETRACT: what is in the ports
 * goes to free slots), or NTMS_INJECT_STOP of an inject not yet done. */
DWORD WINAPI InjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpLibraryId,
			     LPNTMS_GUID lpInjectOperation, DWORD dwAction)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object l;
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (dwAction > NTMS_INJECT_STARTMANY || !lpLibraryId)
		e = ERROR_INVALID_PARAMETER;
	else if ((e = resolve_kind(s, lpLibraryId, OK_LIBRARY, ERROR_INVALID_LIBRARY, &l)) !=
		 ERROR_SUCCESS)
		;
	else if (dwAction == NTMS_INJECT_STOP)
		e = stop_operation(s, lpInjectOperation, "inject");
	else
		e = library_command(s, l.name, "inject",
				    dwAction == NTMS_INJECT_RETRACT ? NULL : lpInjectOperation);
	ntms_handle_put(hSession);
	return e;
}

/* The inventory command of each method (rsmfs(5), libraries/lib/ ctl). */
static const char *const inventory_commands[NTMS_INVENTORY_MAX] = {
    [NTMS_INVENTORY_FAST] = "inventory fast",
    [NTMS_INVENTORY_OMID] = "inventory full",
    [NTMS_INVENTORY_DEFAULT] = "inventory",
};

/* Cancels the library's inventories that have not begun (NTMS_INVENTORY_STOP); one the
 * robot is doing cannot be taken back (rsmfs(5), requests/n/). */
static DWORD stop_inventories(struct ntms_session *s, const char *library)
{
	static const char *const outstanding[] = {"queued", "waiting"};
	char **names;
	size_t count;
	DWORD e = ERROR_SUCCESS;

	int err = ntms_list(s->mnt, &names, &count, "requests");
	if (err)
		return ntms_session_error(s, err, NULL);
	for (size_t i = 0; i < count && e == ERROR_SUCCESS; i++) {
		char op[32], lib[NTMS_NAME_MAX + 1], state[32];
		if (ntms_read_attr(s->mnt, op, sizeof(op), "requests/%s/operation", names[i]) ||
		    strcmp(op, "inventory") != 0 ||
		    ntms_read_attr(s->mnt, lib, sizeof(lib), "requests/%s/library", names[i]) ||
		    strcmp(lib, library) != 0 ||
		    ntms_read_attr(s->mnt, state, sizeof(state), "requests/%s/state", names[i]))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(outstanding); k++)
			if (strcmp(state, outstanding[k]) == 0) {
				e = cancel_request(s, names[i]);
				if (e == ERROR_OBJECT_NOT_FOUND) /* it ended meanwhile */
					e = ERROR_SUCCESS;
			}
	}
	ntms_free_list(names);
	return e;
}

/* InventoryNtmsLibrary: queues an inventory of the library (returns once queued), or stops the
 * ones that have not begun. */
DWORD WINAPI InventoryNtmsLibrary(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object l;
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!lpLibraryId || dwAction >= NTMS_INVENTORY_MAX ||
	    (dwAction != NTMS_INVENTORY_STOP && !inventory_commands[dwAction]))
		e = ERROR_INVALID_PARAMETER;
	else if ((e = resolve_kind(s, lpLibraryId, OK_LIBRARY, ERROR_INVALID_LIBRARY, &l)) !=
		 ERROR_SUCCESS)
		;
	else if (dwAction == NTMS_INVENTORY_STOP)
		e = stop_inventories(s, l.name);
	else
		e = library_command(s, l.name, inventory_commands[dwAction], NULL);
	ntms_handle_put(hSession);
	return e;
}

/* CancelNtmsLibraryRequest: "cancel" to requests/<n>/ctl.  Administrators only
 * (ERROR_ACCESS_DENIED otherwise, and for a request already being handled); a request that is
 * over, or an id that names none, is ERROR_OBJECT_NOT_FOUND. */
DWORD WINAPI CancelNtmsLibraryRequest(HANDLE hSession, LPNTMS_GUID lpRequestId)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object r;
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!lpRequestId)
		e = ERROR_INVALID_PARAMETER;
	else if ((e = resolve_kind(s, lpRequestId, OK_REQUEST, ERROR_OBJECT_NOT_FOUND, &r)) ==
		 ERROR_SUCCESS)
		e = cancel_request(s, r.name);
	ntms_handle_put(hSession);
	return e;
}
