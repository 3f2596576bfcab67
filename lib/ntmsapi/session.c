/* session.c - OpenNtmsSessionA and CloseNtmsSession (rsm-reference.md §1.1): a session handle is
 * a session directory, sessions/<name>/ (rsmfs(5), sessions/name/), and the open ctl file its
 * commands go through.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ntms.h"

/* mkdir sessions/<name> (rsmfs(5), sessions/name/): the errnos OpenNtmsSession documents. */
static const struct ntms_errmap open_errors[] = {
    {EIO, ERROR_DATABASE_FAILURE},
    {ENOENT, ERROR_NOT_CONNECTED}, /* no sessions/ there: the mount point is no rsmfs now */
    {0, 0},
};

/* ntms_session_gone: the daemon that served the session has gone (the ctl file's connection
 * answers ENOTCONN), or the mount point is another file system now (unmounted, remounted). */
bool ntms_session_gone(const struct ntms_session *s)
{
	struct stat st;

	if (fstat(s->ctl, &st) != 0 && errno == ENOTCONN)
		return true;
	return stat(s->mnt, &st) != 0 || st.st_dev != s->dev;
}

/* ntms_command_once: the session's ctl file is shared by the session's calls in every thread;
 * the lock keeps each command with its own reply line. */
DWORD ntms_command_once(struct ntms_session *s, const char *line, char *reply, size_t len,
			const struct ntms_errmap *map)
{
	int err;

	pthread_mutex_lock(&s->ctl_lock);
	DWORD code = ntms_write_command(s->ctl, true, line, reply, len, &err);
	pthread_mutex_unlock(&s->ctl_lock);
	if (!err || code)
		return code;
	return ntms_session_error(s, err, map);
}

/* ntms_command: again after a signal, which made the daemon cancel what the line asked for. */
DWORD ntms_command(struct ntms_session *s, const char *line, char *reply, size_t len,
		   const struct ntms_errmap *map)
{
	DWORD e;

	do
		e = ntms_command_once(s, line, reply, len, map);
	while (e == NTMS_INTERRUPTED);
	return e;
}

/* A session name from the application's: its letters, digits, '.', '_' and '-' (others become
 * '_'), then "-<pid>-<n>", so two sessions of one application never collide. */
static void session_name(const char *app, unsigned n, char *out, size_t len)
{
	char base[40];
	size_t k = 0;

	for (const char *p = app; *p && k + 1 < sizeof(base); p++)
		base[k++] = isalnum((unsigned char)*p) || strchr("._-", *p) ? *p : '_';
	base[k] = '\0';
	if (base[0] == '.' || k == 0) /* a name may not start with a dot (rsmfs(5)) */
		base[0] = '_';
	snprintf(out, len, "%s-%ld-%u", k ? base : "RSM", (long)getpid(), n);
}

/* Frees a session record. */
static void session_free(struct ntms_session *s)
{
	if (s->ctl >= 0)
		close(s->ctl);
	pthread_mutex_destroy(&s->ctl_lock);
	free(s->mnt);
	free(s);
}

/* Makes the session directory and opens its ctl file; 0 or a Win32 code. */
static DWORD session_make(struct ntms_session *s, const char *app)
{
	static atomic_uint counter;
	struct stat st;
	int err = EEXIST;

	/* the server substitutes "RSM" for an application that gives no name (rsm-reference §1.1)
	 */
	if (!app || !*app)
		app = "RSM";
	for (int tries = 0; err == EEXIST && tries < 1000; tries++) {
		session_name(app, atomic_fetch_add(&counter, 1) + 1, s->name, sizeof(s->name));
		char *path = ntms_path(s->mnt, "sessions/%s", s->name);
		if (!path)
			return ERROR_NOT_ENOUGH_MEMORY;
		err = mkdir(path, 0755) == 0 ? 0 : errno;
		free(path);
	}
	if (err)
		return ntms_from_errno(err, open_errors);
	char *ctl = ntms_path(s->mnt, "sessions/%s/ctl", s->name);
	if (!ctl)
		err = ENOMEM;
	else if ((s->ctl = open(ctl, O_RDWR | O_CLOEXEC)) < 0 || stat(s->mnt, &st) != 0)
		err = errno;
	else
		s->dev = st.st_dev;
	free(ctl);
	if (err) {
		char *dir = ntms_path(s->mnt, "sessions/%s", s->name);
		if (dir)
			rmdir(dir);
		free(dir);
		return ntms_from_errno(err, open_errors);
	}
	return ERROR_SUCCESS;
}

/* OpenNtmsSessionA: finds the mount (ntmsapi(3), THE MOUNT), opens a session named after the
 * application, and returns its handle; INVALID_HANDLE_VALUE with GetLastError() on failure. */
HANDLE WINAPI OpenNtmsSessionA(LPCSTR lpServer, LPCSTR lpApplication, DWORD dwOptions)
{
	struct ntms_session *s;
	DWORD e;
	HANDLE h;

	/* dwOptions is reserved (0); the header's one option changes nothing here */
	if (dwOptions & ~(DWORD)NTMS_SESSION_QUERYEXPEDITE) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return INVALID_HANDLE_VALUE;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return INVALID_HANDLE_VALUE;
	}
	s->ctl = -1;
	pthread_mutex_init(&s->ctl_lock, NULL);
	e = ntms_find_mount(lpServer, &s->mnt);
	if (e == ERROR_SUCCESS)
		e = session_make(s, lpApplication);
	if (e == ERROR_SUCCESS && !(h = ntms_handle_new(HK_SESSION, s))) {
		char *dir = ntms_path(s->mnt, "sessions/%s", s->name);
		if (dir)
			rmdir(dir);
		free(dir);
		e = ERROR_NOT_ENOUGH_MEMORY;
	}
	if (e != ERROR_SUCCESS) {
		session_free(s);
		SetLastError(e);
		return INVALID_HANDLE_VALUE;
	}
	SetLastError(ERROR_SUCCESS);
	return h;
}

/* rmdir of the session directory as CloseNtmsSession reads it. */
static const struct ntms_errmap close_errors[] = {
    {ENOTCONN, ERROR_CONNECTION_UNAVAIL},
    {ESHUTDOWN, ERROR_CONNECTION_UNAVAIL},
    {ENOENT, ERROR_INVALID_HANDLE}, /* closed already, by an administrator */
    {0, 0},
};

/* CloseNtmsSession: rmdir of the session directory.  The daemon cancels the session's waiting
 * requests, so a MountNtmsMedia blocked on it in another thread returns ERROR_CANCELLED
 * (rsm-reference §1.1); the handle is stale once those calls have returned.  A daemon that is
 * gone is ERROR_CONNECTION_UNAVAIL (the handle is freed all the same); a refusal (another
 * user's process) leaves the handle open. */
DWORD WINAPI CloseNtmsSession(HANDLE hSession)
{
	struct ntms_session *s = ntms_handle_close_begin(hSession, HK_SESSION);
	DWORD e = ERROR_SUCCESS;

	if (!s)
		return ERROR_INVALID_HANDLE;
	char *path = ntms_path(s->mnt, "sessions/%s", s->name);
	if (!path) {
		ntms_handle_close_abort(hSession);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	int err = rmdir(path) == 0 ? 0 : errno;
	free(path);
	if (err && ntms_session_gone(s))
		e = ERROR_CONNECTION_UNAVAIL;
	else if (err)
		e = ntms_from_errno(err, close_errors);
	if (e != ERROR_SUCCESS && e != ERROR_CONNECTION_UNAVAIL && e != ERROR_INVALID_HANDLE) {
		ntms_handle_close_abort(hSession);
		return e;
	}
	ntms_handle_close_end(hSession);
	session_free(s);
	return e;
}
