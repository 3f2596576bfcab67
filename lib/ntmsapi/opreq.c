/* opreq.c - SubmitNtmsOperatorRequestA, SatisfyNtmsOperatorRequest and
 * CancelNtmsOperatorRequest (rsm-reference.md §1.9): the session's "message" command and
 * opreqs/<n>/ctl, which is for administrators (rsmfs(5), opreqs/n/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntms.h"

/* SubmitNtmsOperatorRequestA: an NTMS_OPREQ_MESSAGE request carrying lpMessage; its GUID goes
 * to lpRequestId.  Sessions of rsmfs submit messages only: the other kinds are the engine's
 * to raise (ERROR_NOT_SUPPORTED; ntmsapi-opreq(3)). */
DWORD WINAPI SubmitNtmsOperatorRequestA(HANDLE hSession, DWORD dwRequest, LPCSTR lpMessage,
					LPNTMS_GUID lpArg1Id, LPNTMS_GUID lpArg2Id,
					LPNTMS_GUID lpRequestId)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	char reply[NTMS_REPLY_MAX], n[32];
	DWORD e;

	(void)lpArg1Id; /* NULL for a message (§1.9) */
	(void)lpArg2Id;
	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!lpRequestId || dwRequest == NTMS_OPREQ_UNKNOWN || dwRequest > NTMS_OPREQ_MESSAGE ||
	    (dwRequest == NTMS_OPREQ_MESSAGE && (!lpMessage || !*lpMessage))) {
		e = ERROR_INVALID_PARAMETER;
	} else if (dwRequest != NTMS_OPREQ_MESSAGE) {
		e = ERROR_NOT_SUPPORTED;
	} else {
		char *line = NULL;
		if (asprintf(&line, "message %s", lpMessage) < 0)
			line = NULL;
		/* one line: a control character would end the command or be refused */
		for (char *p = line; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		e = line ? ntms_command(s, line, reply, sizeof(reply), NULL)
			 : ERROR_NOT_ENOUGH_MEMORY;
		free(line);
		/* "ok opreq <n>" (rsmfs(5), SESSION COMMANDS) */
		if (e == ERROR_SUCCESS && sscanf(reply, "ok opreq %31s", n) != 1)
			e = ERROR_INVALID_STATE;
		int err =
		    e == ERROR_SUCCESS ? ntms_object_guid(s->mnt, OK_OPREQ, n, 0, lpRequestId) : 0;
		if (err)
			e = ntms_session_error(s, err, NULL);
	}
	ntms_handle_put(hSession);
	return e;
}

/* One verb to opreqs/<n>/ctl of the request lpRequestId names; finished is the code for an
 * operator request already complete or refused (the tree's ENOENT). */
static DWORD opreq_command(HANDLE hSession, const NTMS_GUID *id, const char *verb, DWORD finished)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object o;
	char ctl[NTMS_NAME_MAX + 16], reply[NTMS_REPLY_MAX];
	DWORD e = ERROR_SUCCESS;
	int err;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!id)
		e = ERROR_INVALID_PARAMETER;
	else if ((err = ntms_resolve(s->mnt, id, &o)) != 0)
		e = err == ENOMEM	   ? ERROR_NOT_ENOUGH_MEMORY
		    : ntms_session_gone(s) ? ERROR_NOT_CONNECTED
					   : ERROR_OBJECT_NOT_FOUND;
	else if (o.kind != OK_OPREQ)
		e = ERROR_OBJECT_NOT_FOUND;
	if (e == ERROR_SUCCESS) {
		const struct ntms_errmap map[] = {{ENOENT, finished}, {0, 0}};
		snprintf(ctl, sizeof(ctl), "opreqs/%s/ctl", o.name);
		e = ntms_admin_command(s, ctl, verb, reply, sizeof(reply), map);
		/* the reply line of a finished one says "not found": this call's reading wins */
		if (e == ERROR_OBJECT_NOT_FOUND)
			e = finished;
	}
	ntms_handle_put(hSession);
	return e;
}

/* SatisfyNtmsOperatorRequest: the operator did it ("satisfy"); administrators only.  One
 * already completed (or refused) is ERROR_OBJECT_NOT_FOUND (§1.9). */
DWORD WINAPI SatisfyNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId)
{
	return opreq_command(hSession, lpRequestId, "satisfy", ERROR_OBJECT_NOT_FOUND);
}

/* CancelNtmsOperatorRequest: refuses it ("cancel"); administrators only.  One already
 * completed or cancelled is ERROR_INVALID_STATE (§1.9). */
DWORD WINAPI CancelNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId)
{
	return opreq_command(hSession, lpRequestId, "cancel", ERROR_INVALID_STATE);
}
