/* notification.c - OpenNtmsNotification, WaitForNtmsNotification and CloseNtmsNotification
 * (rsm-reference.md §1.2): a notification handle is an open channel file,
 * sessions/<s>/notify/<type> (rsmfs(5), CHANNELS), read through poll(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ntms.h"

struct ntms_notification {
	int fd;		      /* the channel; -1 for a type the tree has no channel for */
	int wake;	      /* eventfd: a close wakes the waiters */
	pthread_mutex_t lock; /* one waiter reads the channel at a time */
	char *mnt;	      /* to tell why a channel ended */
	dev_t dev;
	char session[NTMS_NAME_MAX + 1];
	char buf[4096]; /* bytes read and not yet returned: whole lines and a part */
	size_t len;
};

/* The channel of each NtmsObjectsTypes value (rsmfs(5), CHANNELS).  A logical medium is an
 * allocated side; changers, media types and the rest have no objects in the tree, and like an
 * unknown type ([RSMP] AddNotification) they are accepted and never signalled. */
static const char *const channel_names[NTMS_NUMBER_OF_OBJECT_TYPES] = {
    [NTMS_DRIVE] = "drive",	 [NTMS_IEDOOR] = "door",	[NTMS_IEPORT] = "port",
    [NTMS_LIBRARY] = "library",	 [NTMS_LIBREQUEST] = "request", [NTMS_LOGICAL_MEDIA] = "side",
    [NTMS_MEDIA_POOL] = "pool",	 [NTMS_PARTITION] = "side",	[NTMS_PHYSICAL_MEDIA] = "media",
    [NTMS_STORAGESLOT] = "slot", [NTMS_OPREQUEST] = "opreq",
};

/* An event line's operation (rsmfs(5), CHANNELS) as NtmsNotificationOperations. */
static const struct {
	const char *name;
	DWORD op;
} operations[] = {
    {"update", NTMS_OBJ_UPDATE},   {"insert", NTMS_OBJ_INSERT},	      {"delete", NTMS_OBJ_DELETE},
    {"signal", NTMS_EVENT_SIGNAL}, {"complete", NTMS_EVENT_COMPLETE},
};

/* Opening the channel file, as OpenNtmsNotification documents it. */
static const struct ntms_errmap open_errors[] = {
    {EIO, ERROR_DATABASE_FAILURE},  /* its catalog row could not be written */
    {ENOENT, ERROR_INVALID_HANDLE}, /* the session is gone */
    {EBADF, ERROR_INVALID_HANDLE},
    {0, 0},
};

/* Frees a notification record and closes its wake-up. */
static void notification_free(struct ntms_notification *n)
{
	if (n->wake >= 0)
		close(n->wake);
	pthread_mutex_destroy(&n->lock);
	free(n->mnt);
	free(n);
}

/* Opens the channel of dwType for session s into n; a Win32 code. */
static DWORD channel_open(struct ntms_session *s, DWORD dwType, struct ntms_notification *n)
{
	const char *name = dwType < ARRAY_SIZE(channel_names) ? channel_names[dwType] : NULL;

	if (!(n->mnt = strdup(s->mnt)))
		return ERROR_NOT_ENOUGH_MEMORY;
	n->dev = s->dev;
	snprintf(n->session, sizeof(n->session), "%s", s->name);
	if ((n->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (!name)
		return ERROR_SUCCESS;
	char *path = ntms_path(s->mnt, "sessions/%s/notify/%s", s->name, name);
	if (!path)
		return ERROR_NOT_ENOUGH_MEMORY;
	/* O_SYNC: the close reports whether the catalog recorded the channel's end (rsmfs(5),
	 * CHANNELS), which is CloseNtmsNotification's ERROR_DATABASE_FAILURE */
	n->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_SYNC);
	int err = n->fd < 0 ? errno : 0;
	free(path);
	return err ? ntms_session_error(s, err, open_errors) : ERROR_SUCCESS;
}

/* OpenNtmsNotification: a channel of the session for one object type; INVALID_HANDLE_VALUE
 * with GetLastError() on failure.  The channel sees the events from now on. */
HANDLE WINAPI OpenNtmsNotification(HANDLE hSession, DWORD dwType)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_notification *n;
	HANDLE h = INVALID_HANDLE_VALUE;
	DWORD e;

	/* a NULL or stale session is ERROR_INVALID_HANDLE on this page */
	if (!s) {
		SetLastError(ERROR_INVALID_HANDLE);
		return INVALID_HANDLE_VALUE;
	}
	if (!(n = calloc(1, sizeof(*n)))) {
		ntms_handle_put(hSession);
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return INVALID_HANDLE_VALUE;
	}
	n->fd = n->wake = -1;
	pthread_mutex_init(&n->lock, NULL);
	e = channel_open(s, dwType, n);
	ntms_handle_put(hSession);
	if (e == ERROR_SUCCESS && !(h = ntms_handle_new(HK_NOTIFICATION, n))) {
		h = INVALID_HANDLE_VALUE;
		e = ERROR_NOT_ENOUGH_MEMORY;
	}
	if (e != ERROR_SUCCESS) {
		if (n->fd >= 0)
			close(n->fd);
		notification_free(n);
	}
	SetLastError(e);
	return h;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC); -1 for none. */
static int remaining_ms(const struct timespec *deadline)
{
	struct timespec now;

	if (!deadline)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms =
	    (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Takes the first whole line of the buffer as a notification: false when no whole line is
 * there yet; else *code is ERROR_SUCCESS, or ERROR_NO_DATA for an overflow (events were lost:
 * the caller reads the objects' states again). */
static bool take_line(struct ntms_notification *n, LPNTMS_NOTIFICATIONINFORMATION info, DWORD *code)
{
	char *nl = memchr(n->buf, '\n', n->len);
	char op[16] = "", guid[NTMS_GUID_TEXT + 8] = "";

	if (!nl)
		return false;
	*nl = '\0';
	/* "<seq> <operation> <type> <path> <guid>", or "<seq> overflow - - -" */
	sscanf(n->buf, "%*s %15s %*s %*s %43s", op, guid);
	size_t used = (size_t)(nl + 1 - n->buf);
	memmove(n->buf, nl + 1, n->len - used);
	n->len -= used;
	*code = ERROR_SUCCESS;
	if (strcmp(op, "overflow") == 0) {
		*code = ERROR_NO_DATA;
		return true;
	}
	*info = (NTMS_NOTIFICATIONINFORMATION){0};
	for (size_t i = 0; i < ARRAY_SIZE(operations); i++)
		if (strcmp(op, operations[i].name) == 0)
			info->dwOperation = operations[i].op;
	ntms_guid_parse(guid, &info->ObjectId);
	return true;
}

/* Why a channel gave end of file: the daemon going away (a shutdown ends every channel
 * first, with the sessions still there) or the session closed, which ends its channels
 * (rsmfs(5), CHANNELS): the channel is broken, ERROR_NO_DATA (rsm-reference §1.2). */
static DWORD ended(const struct ntms_notification *n)
{
	struct stat st;

	if (fstat(n->fd, &st) != 0 && errno == ENOTCONN)
		return ERROR_NOT_CONNECTED;
	if (stat(n->mnt, &st) != 0 || st.st_dev != n->dev)
		return ERROR_NOT_CONNECTED;
	char *path = ntms_path(n->mnt, "sessions/%s", n->session);
	if (!path)
		return ERROR_NOT_ENOUGH_MEMORY;
	int alive = stat(path, &st) == 0;
	free(path);
	return alive ? ERROR_NOT_CONNECTED : ERROR_NO_DATA;
}

/* Reads what the channel holds into the buffer: 0 (something read, or nothing yet) or the
 * code that ends the wait. */
static DWORD fill(struct ntms_notification *n)
{
	ssize_t got = read(n->fd, n->buf + n->len, sizeof(n->buf) - n->len);

	if (got > 0) {
		n->len += (size_t)got;
		return 0;
	}
	if (got == 0)
		return ended(n);
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return errno == ENOTCONN || errno == ESHUTDOWN ? ERROR_NOT_CONNECTED
						       : ntms_from_errno(errno, NULL);
}

/* Waits for a line on an open channel, the lock held; a close wakes it through n->wake. */
static DWORD wait_line(struct ntms_notification *n, LPNTMS_NOTIFICATIONINFORMATION info,
		       const struct timespec *deadline)
{
	for (;;) {
		DWORD e;
		if (take_line(n, info, &e))
			return e;
		if (n->len == sizeof(n->buf))
			n->len = 0; /* a line longer than any the tree writes: dropped */
		struct pollfd fds[2] = {{.fd = n->wake, .events = POLLIN},
					{.fd = n->fd, .events = POLLIN}};
		int ready = poll(fds, n->fd >= 0 ? 2 : 1, remaining_ms(deadline));
		if (ready < 0 && errno != EINTR)
			return ntms_from_errno(errno, NULL);
		if (fds[0].revents) /* CloseNtmsNotification: the handle is gone */
			return ERROR_INVALID_HANDLE;
		if (ready == 0 && remaining_ms(deadline) == 0)
			return ERROR_TIMEOUT;
		if (ready > 0 && fds[1].revents && (e = fill(n)))
			return e;
	}
}

/* WaitForNtmsNotification: the next event of the channel, waiting at most dwTimeout ms
 * (INFINITE: no limit).  A close of the handle while this waits makes it return
 * ERROR_INVALID_HANDLE (rsm-reference §7 #17). */
DWORD WINAPI WaitForNtmsNotification(HANDLE hNotification,
				     LPNTMS_NOTIFICATIONINFORMATION lpNotificationInformation,
				     DWORD dwTimeout)
{
	struct timespec deadline, *until = NULL;

	struct ntms_notification *n = ntms_handle_get(hNotification, HK_NOTIFICATION);
	if (!n)
		return ERROR_INVALID_HANDLE;
	if (!lpNotificationInformation) {
		ntms_handle_put(hNotification);
		return ERROR_INVALID_PARAMETER;
	}
	if (dwTimeout != INFINITE) {
		ntms_deadline(CLOCK_MONOTONIC, dwTimeout, &deadline);
		until = &deadline;
	}
	/* waiters of one handle take turns; the lock's wait ends at the deadline too */
	int rc = 0;
	if (until) {
		struct timespec abs;
		ntms_deadline(CLOCK_REALTIME, dwTimeout, &abs);
		rc = pthread_mutex_timedlock(&n->lock, &abs);
	} else {
		rc = pthread_mutex_lock(&n->lock);
	}
	DWORD e = rc == ETIMEDOUT ? ERROR_TIMEOUT
		  : rc		  ? ERROR_INVALID_HANDLE
				  : wait_line(n, lpNotificationInformation, until);
	if (!rc)
		pthread_mutex_unlock(&n->lock);
	ntms_handle_put(hNotification);
	return e;
}

/* close(2) of the channel as CloseNtmsNotification reads it (the O_SYNC close, rsmfs(5)). */
static const struct ntms_errmap close_errors[] = {
    {EIO, ERROR_DATABASE_FAILURE},
    {ENOTCONN, ERROR_NOT_CONNECTED},
    {ESHUTDOWN, ERROR_NOT_CONNECTED},
    {0, 0},
};

/* CloseNtmsNotification: wakes the waiters (they return ERROR_INVALID_HANDLE), waits for them
 * to leave, then closes the channel; the handle is closed whatever this returns. */
DWORD WINAPI CloseNtmsNotification(HANDLE hNotification)
{
	struct ntms_notification *n;
	DWORD e = ERROR_SUCCESS;

	if (!hNotification)
		return ERROR_INVALID_PARAMETER;
	if (!(n = ntms_handle_close_begin(hNotification, HK_NOTIFICATION)))
		return ERROR_INVALID_HANDLE;
	uint64_t one = 1;
	if (write(n->wake, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow from one write: nothing to do */
	}
	ntms_handle_close_end(hNotification);
	if (n->fd >= 0 && close(n->fd) != 0)
		e = ntms_from_errno(errno, close_errors);
	else if (n->fd < 0) {
		/* no channel to close: still, a gone daemon is what the page says */
		struct stat st;
		if (stat(n->mnt, &st) != 0 || st.st_dev != n->dev)
			e = ERROR_NOT_CONNECTED;
	}
	notification_free(n);
	return e;
}
