/* errors.c - the tree's errnos and reply lines as Win32 codes.
 *
 * A command written to a ctl file that can be read back answers with a reply line carrying the
 * RSM code itself ("error ERROR_MEDIA_OFFLINE 4304 ..."; rsmfs(5), COMMANDS AND ERRORS): that
 * code is returned as it is.  Everything else (mkdir, rmdir, open, a write-only ctl) has only
 * an errno; several RSM codes share one errno, so each call passes the reading it documents
 * first, and the table of rsmfs(5) decides the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ntms.h"

/* rsmfs(5), COMMANDS AND ERRORS: each errno as the first RSM code of its row; then the errnos
 * the tree answers outside that table (rsmfs(5) sessions/name/, TAPE FILES; the daemon's
 * per-user limits, EDQUOT). */
static const struct ntms_errmap tree_errors[] = {
    {EACCES, ERROR_ACCESS_DENIED},
    {EBADF, ERROR_INVALID_HANDLE},
    {EINVAL, ERROR_INVALID_PARAMETER},
    {ENOMEM, ERROR_NOT_ENOUGH_MEMORY},
    {ENOENT, ERROR_OBJECT_NOT_FOUND},
    {ENODEV, ERROR_DEVICE_NOT_AVAILABLE},
    {EBUSY, ERROR_BUSY},
    {ENOMEDIUM, ERROR_MEDIA_OFFLINE},
    {EMEDIUMTYPE, ERROR_MEDIA_INCOMPATIBLE},
    {ENXIO, ERROR_LIBRARY_OFFLINE},
    {ENOSPC, ERROR_DATABASE_FULL},
    {EIO, ERROR_DATABASE_FAILURE},
    {ETIMEDOUT, ERROR_TIMEOUT},
    {ECANCELED, ERROR_CANCELLED},
    {EPERM, ERROR_REQUEST_REFUSED},
    {ENOTEMPTY, ERROR_NOT_EMPTY},
    {EOPNOTSUPP, ERROR_INVALID_OPERATION},
    {ENOTCONN, ERROR_NOT_CONNECTED},
    /* a parked write answered at the daemon's shutdown */
    {ESHUTDOWN, ERROR_NOT_CONNECTED},
    /* a per-user limit: ERROR_NOT_ENOUGH_MEMORY in the error files */
    {EDQUOT, ERROR_NOT_ENOUGH_MEMORY},
    {EEXIST, ERROR_ALREADY_EXISTS},
    {EROFS, ERROR_WRITE_PROTECT},
    {EAGAIN, ERROR_NOT_READY},
    {ENAMETOOLONG, ERROR_INVALID_NAME},
    {E2BIG, ERROR_INVALID_PARAMETER},
    {0, 0},
};

/* The code of err in a table, or 0. */
static DWORD lookup(int err, const struct ntms_errmap *map)
{
	for (; map && map->err; map++)
		if (map->err == err)
			return map->code;
	return 0;
}

/* ntms_from_errno: the call's reading of err, else the tree's; an errno neither knows is an
 * unexpected state of the object (ERROR_INVALID_STATE). */
DWORD ntms_from_errno(int err, const struct ntms_errmap *map)
{
	DWORD code = lookup(err, map);

	if (!code)
		code = lookup(err, tree_errors);
	return code ? code : ERROR_INVALID_STATE;
}

/* ntms_from_reply: the number of an "error NAME number text" line. */
DWORD ntms_from_reply(const char *line)
{
	char name[64];
	unsigned long code;

	if (!line || sscanf(line, "error %63s %lu", name, &code) != 2 ||
	    strncmp(name, "ERROR_", 6) != 0 || code == 0)
		return 0;
	return (DWORD)code;
}

/* ntms_session_error: a dead daemon first, because a mount point it left behind answers
 * ENOENT for what was there. */
DWORD ntms_session_error(const struct ntms_session *s, int err, const struct ntms_errmap *map)
{
	if (err == ENOMEM)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (err == ENOTCONN || err == ESHUTDOWN || ntms_session_gone(s))
		return ERROR_NOT_CONNECTED;
	return ntms_from_errno(err, map);
}
