/* media.c - MountNtmsMedia, DismountNtmsMedia, AllocateNtmsMedia and DeallocateNtmsMedia
 * (rsm-reference.md §1.3): session commands (rsmfs(5), SESSION COMMANDS) on media named by
 * GUID through by-id/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ntms.h"

/* The mount options that are words of the mount command. */
static const struct {
	DWORD bit;
	const char *word;
} mount_words[] = {
    {NTMS_MOUNT_READ, "read"},
    {NTMS_MOUNT_WRITE, "write"},
    {NTMS_MOUNT_NOWAIT, "nowait"},
    {NTMS_MOUNT_ERROR_OFFLINE, "offline-error"},
    {NTMS_MOUNT_ERROR_NOT_AVAILABLE, "unavailable-error"},
};

#define MOUNT_OPTIONS                                                                              \
	(NTMS_MOUNT_READ | NTMS_MOUNT_WRITE | NTMS_MOUNT_ERROR_NOT_AVAILABLE |                     \
	 NTMS_MOUNT_ERROR_OFFLINE | NTMS_MOUNT_SPECIFIC_DRIVE | NTMS_MOUNT_NOWAIT)

/* What by-id/ says of an id that should name a medium or a side, as a Win32 code. */
static DWORD resolve_media(struct ntms_session *s, const NTMS_GUID *id, struct ntms_object *o)
{
	int err = ntms_resolve(s->mnt, id, o);

	if (err == ENOMEM)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (err && ntms_session_gone(s))
		return ERROR_NOT_CONNECTED;
	if (err || (o->kind != OK_MEDIUM && o->kind != OK_SIDE))
		return ERROR_INVALID_MEDIA;
	return ERROR_SUCCESS;
}

/* Resolves count media ids into o[]; the same medium twice is ERROR_INVALID_MEDIA ([RSMP]). */
static DWORD resolve_all(struct ntms_session *s, const NTMS_GUID *ids, DWORD count,
			 struct ntms_object *o)
{
	for (DWORD i = 0; i < count; i++) {
		DWORD e = resolve_media(s, &ids[i], &o[i]);
		if (e != ERROR_SUCCESS)
			return e;
		for (DWORD k = 0; k < i; k++)
			if (strcmp(o[k].name, o[i].name) == 0)
				return ERROR_INVALID_MEDIA;
	}
	return ERROR_SUCCESS;
}

/* Milliseconds from now to a CLOCK_MONOTONIC deadline, 0 once past. */
static DWORD ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
		       (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
}

/* The mount command for one medium: its words, the drive, what is left of the time-out. */
static void mount_line(const struct ntms_object *m, const struct ntms_object *drive, DWORD options,
		       int priority, const struct timespec *deadline, char *line, size_t len)
{
	size_t n = (size_t)snprintf(line, len, "mount %s", m->name);

	if (m->kind == OK_SIDE)
		n += (size_t)snprintf(line + n, len - n, "/%d", m->side);
	if (drive)
		n += (size_t)snprintf(line + n, len - n, " drive=%s", drive->name);
	for (size_t i = 0; i < ARRAY_SIZE(mount_words); i++)
		if (options & mount_words[i].bit)
			n += (size_t)snprintf(line + n, len - n, " %s", mount_words[i].word);
	if (deadline && !(options & NTMS_MOUNT_NOWAIT)) {
		DWORD ms = ms_left(deadline);
		n += (size_t)snprintf(line + n, len - n, " timeout=%u.%03u", ms / 1000, ms % 1000);
	}
	if (priority)
		snprintf(line + n, len - n, " priority=%d", priority);
}

/* Mounts one medium, again after a signal (the daemon cancelled the request: the mount is
 * asked for anew, and finds its medium already there if it had gone on); the drive it is in
 * goes to *drive unless the mount did not wait. */
static DWORD mount_one(struct ntms_session *s, const struct ntms_object *m,
		       const struct ntms_object *specific, DWORD options, int priority,
		       const struct timespec *deadline, NTMS_GUID *drive)
{
	char line[256], reply[NTMS_REPLY_MAX], name[NTMS_NAME_MAX + 1];
	DWORD e;

	do {
		mount_line(m, specific, options, priority, deadline, line, sizeof(line));
		e = ntms_command_once(s, line, reply, sizeof(reply), NULL);
	} while (e == NTMS_INTERRUPTED);
	if (e != ERROR_SUCCESS || (options & NTMS_MOUNT_NOWAIT))
		return e;
	/* "ok request <n> drive=<d>" (rsmfs(5), COMMANDS AND ERRORS) */
	if (sscanf(reply, "ok request %*u drive=%64s", name) != 1)
		return ERROR_INVALID_STATE;
	int err = ntms_object_guid(s->mnt, OK_DRIVE, name, 0, drive);
	return err ? ntms_session_error(s, err, NULL) : ERROR_SUCCESS;
}

/* Checks MountNtmsMedia's arguments and resolves its ids; a Win32 code. */
static DWORD mount_prepare(struct ntms_session *s, const NTMS_GUID *media, const NTMS_GUID *drives,
			   DWORD count, DWORD options, int priority, struct ntms_object *m,
			   struct ntms_object *d)
{
	if (!media || !drives || count == 0 || (options & ~(DWORD)MOUNT_OPTIONS) ||
	    priority < NTMS_PRIORITY_LOWEST || priority > NTMS_PRIORITY_HIGHEST)
		return ERROR_INVALID_PARAMETER;
	DWORD e = resolve_all(s, media, count, m);
	if (e != ERROR_SUCCESS || !(options & NTMS_MOUNT_SPECIFIC_DRIVE))
		return e;
	for (DWORD i = 0; i < count; i++) {
		int err = ntms_resolve(s->mnt, &drives[i], &d[i]);
		if (err == ENOMEM)
			return ERROR_NOT_ENOUGH_MEMORY;
		if (err && ntms_session_gone(s))
			return ERROR_NOT_CONNECTED;
		if (err || d[i].kind != OK_DRIVE)
			return ERROR_INVALID_DRIVE;
	}
	return ERROR_SUCCESS;
}

/* MountNtmsMedia: mounts every medium (or side) of lpMediaId, each into a drive reserved for
 * the session, blocking until all are mounted or dwTimeout ms have passed; lpDriveId[] names
 * the drives (in, with NTMS_MOUNT_SPECIFIC_DRIVE).  When one fails, the ones this call mounted
 * are dismounted again: nothing is left half done. */
DWORD WINAPI MountNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpDriveId,
			    DWORD dwCount, DWORD dwOptions, int dwPriority, DWORD dwTimeout,
			    LPNTMS_MOUNT_INFORMATION lpMountInformation)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct timespec deadline;
	DWORD e, done = 0;

	(void)lpMountInformation; /* reserved: NULL, and ignored ([RSMP]) */
	if (!s)
		return ERROR_INVALID_HANDLE;
	struct ntms_object *m = calloc(dwCount ? dwCount : 1, sizeof(*m));
	struct ntms_object *d = calloc(dwCount ? dwCount : 1, sizeof(*d));
	NTMS_GUID *got = calloc(dwCount ? dwCount : 1, sizeof(*got));
	if (!m || !d || !got)
		e = ERROR_NOT_ENOUGH_MEMORY;
	else
		e = mount_prepare(s, lpMediaId, lpDriveId, dwCount, dwOptions, dwPriority, m, d);
	if (dwTimeout != INFINITE)
		ntms_deadline(CLOCK_MONOTONIC, dwTimeout, &deadline);
	bool specific = dwOptions & NTMS_MOUNT_SPECIFIC_DRIVE;
	for (; e == ERROR_SUCCESS && done < dwCount; done++)
		e = mount_one(s, &m[done], specific ? &d[done] : NULL, dwOptions, dwPriority,
			      dwTimeout != INFINITE ? &deadline : NULL, &got[done]);
	if (e == ERROR_SUCCESS && !(dwOptions & NTMS_MOUNT_NOWAIT))
		memcpy(lpDriveId, got, dwCount * sizeof(*got));
	/* the media mounted before the one that failed go back */
	for (DWORD i = 0; e != ERROR_SUCCESS && done > 1 && i < done - 1; i++) {
		char line[128], reply[NTMS_REPLY_MAX];
		snprintf(line, sizeof(line), "dismount %s", m[i].name);
		ntms_command(s, line, reply, sizeof(reply), NULL);
	}
	free(m);
	free(d);
	free(got);
	ntms_handle_put(hSession);
	return e;
}

/* DismountNtmsMedia: queues the dismount of every medium of lpMediaId (NTMS_DISMOUNT_DEFERRED:
 * left in its drive as dismountable) and returns once they are queued. */
DWORD WINAPI DismountNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, DWORD dwCount,
			       DWORD dwOptions)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object *m = NULL;
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!lpMediaId || dwCount == 0 ||
	    (dwOptions != 0 && dwOptions != NTMS_DISMOUNT_DEFERRED &&
	     dwOptions != NTMS_DISMOUNT_IMMEDIATE))
		e = ERROR_INVALID_PARAMETER;
	else if (!(m = calloc(dwCount, sizeof(*m))))
		e = ERROR_NOT_ENOUGH_MEMORY;
	else
		e = resolve_all(s, lpMediaId, dwCount, m);
	for (DWORD i = 0; e == ERROR_SUCCESS && i < dwCount; i++) {
		char line[128], reply[NTMS_REPLY_MAX];
		snprintf(line, sizeof(line), "dismount %s%s", m[i].name,
			 dwOptions == NTMS_DISMOUNT_DEFERRED ? " deferred" : "");
		e = ntms_command(s, line, reply, sizeof(reply), NULL);
	}
	free(m);
	ntms_handle_put(hSession);
	return e;
}

/* AllocateNtmsMedia: "allocate <pool>" (rsmfs(5), SESSION COMMANDS).  The side taken is the
 * logical medium: its GUID goes to lpMediaId.  NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE is a
 * time-out of 0 ([RSMP]: no waiting).  rsmfs chooses the side itself: an explicit lpPartition
 * and NTMS_ALLOCATE_NEXT are ERROR_NOT_SUPPORTED (ntmsapi-media(3)). */
DWORD WINAPI AllocateNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaPool, LPNTMS_GUID lpPartition,
			       LPNTMS_GUID lpMediaId, DWORD dwOptions, DWORD dwTimeout,
			       LPNTMS_ALLOCATION_INFORMATION lpAllocateInformation)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object pool;
	char line[160], reply[NTMS_REPLY_MAX], medium[NTMS_NAME_MAX + 1];
	int side = 0, err;
	DWORD e = ERROR_SUCCESS;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!lpMediaPool || !lpMediaId ||
	    (dwOptions & ~(DWORD)(NTMS_ALLOCATE_NEW | NTMS_ALLOCATE_NEXT |
				  NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE)) ||
	    (dwOptions & NTMS_ALLOCATE_NEW && dwOptions & NTMS_ALLOCATE_NEXT))
		e = ERROR_INVALID_PARAMETER;
	else if (lpPartition || (dwOptions & NTMS_ALLOCATE_NEXT))
		e = ERROR_NOT_SUPPORTED;
	else if ((err = ntms_resolve(s->mnt, lpMediaPool, &pool)) == ENOMEM)
		e = ERROR_NOT_ENOUGH_MEMORY;
	else if (err && ntms_session_gone(s))
		e = ERROR_NOT_CONNECTED;
	else if (err || pool.kind != OK_POOL)
		e = ERROR_INVALID_MEDIA_POOL;
	if (e != ERROR_SUCCESS) {
		ntms_handle_put(hSession);
		return e;
	}
	DWORD timeout = dwOptions & NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE ? 0 : dwTimeout;
	size_t n = (size_t)snprintf(line, sizeof(line), "allocate %s%s", pool.name,
				    dwOptions & NTMS_ALLOCATE_NEW ? " new" : "");
	if (timeout != INFINITE)
		snprintf(line + n, sizeof(line) - n, " timeout=%u.%03u", timeout / 1000,
			 timeout % 1000);
	char **before = NULL;
	size_t nbefore = 0;
	if (lpAllocateInformation &&
	    ntms_list(s->mnt, &before, &nbefore, "pools/%s/media", pool.name) != 0)
		before = NULL;
	e = ntms_command(s, line, reply, sizeof(reply), NULL);
	/* "ok request <n> <medium>/<side>" */
	if (e == ERROR_SUCCESS && sscanf(reply, "ok request %*u %64[^/]/%d", medium, &side) != 2)
		e = ERROR_INVALID_STATE;
	if (e == ERROR_SUCCESS &&
	    (err = ntms_object_guid(s->mnt, OK_SIDE, medium, side, lpMediaId)))
		e = ntms_session_error(s, err, NULL);
	if (e == ERROR_SUCCESS && lpAllocateInformation) {
		/* a medium that was not in the pool came from free (the pool's draw) */
		bool held = false;
		for (size_t i = 0; i < nbefore && !held; i++)
			held = strcmp(before[i], medium) == 0;
		lpAllocateInformation->AllocatedFrom = (NTMS_GUID){0};
		ntms_object_guid(s->mnt, OK_POOL, held || !before ? pool.name : "free", 0,
				 &lpAllocateInformation->AllocatedFrom);
	}
	ntms_free_list(before);
	ntms_handle_put(hSession);
	return e;
}

/* DeallocateNtmsMedia: "deallocate <medium>/<side>" of the logical medium (the side) that
 * AllocateNtmsMedia returned. */
DWORD WINAPI DeallocateNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, DWORD dwOptions)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object side;
	char line[128], reply[NTMS_REPLY_MAX];
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (!lpMediaId || dwOptions != 0)
		e = ERROR_INVALID_PARAMETER;
	else if ((e = resolve_media(s, lpMediaId, &side)) == ERROR_SUCCESS && side.kind != OK_SIDE)
		e = ERROR_INVALID_MEDIA;
	if (e == ERROR_SUCCESS) {
		snprintf(line, sizeof(line), "deallocate %s/%d", side.name, side.side);
		e = ntms_command(s, line, reply, sizeof(reply), NULL);
	}
	ntms_handle_put(hSession);
	return e;
}
