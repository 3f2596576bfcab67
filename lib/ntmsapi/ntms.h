/* ntms.h - the inside of libntmsapi: handles, the mount and its tree, error mapping.
 *
 * libntmsapi is a client of an rsmfs mount (rsmfs(5)): every RSM call becomes opens, reads,
 * writes, mkdir and rmdir on the tree.  Helpers return 0 or a positive errno (ENOMEM for an
 * allocation that failed); the API functions turn those into Win32 codes through tables.
 */
#ifndef NTMS_H
#define NTMS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "ntmsapi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* rsmfs(5): names are 1-64 characters; a GUID is 36. */
#define NTMS_NAME_MAX 64
#define NTMS_GUID_TEXT 37
/* The longest reply line the library reads back from a ctl file. */
#define NTMS_REPLY_MAX 512

/* ---- handles.c: handles are validated values, never pointers ---- */

enum ntms_handle_kind { HK_SESSION = 0x5, HK_NOTIFICATION = 0x9 };

/* A new handle for obj; NULL when the table is full or memory is short. */
HANDLE ntms_handle_new(enum ntms_handle_kind kind, void *obj);
/* The object of a live handle, with a reference held until ntms_handle_put; NULL for a NULL,
 * stale, forged or closing handle. */
void *ntms_handle_get(HANDLE h, enum ntms_handle_kind kind);
void ntms_handle_put(HANDLE h);
/* Starts closing h: later gets fail, and the caller owns the close.  NULL as for get. */
void *ntms_handle_close_begin(HANDLE h, enum ntms_handle_kind kind);
/* The close failed: the handle is usable again. */
void ntms_handle_close_abort(HANDLE h);
/* Waits until no call holds h, then frees its slot for good. */
void ntms_handle_close_end(HANDLE h);

/* ---- session.c: what a session handle names ---- */

struct ntms_session {
	char *mnt;		      /* the mount point */
	dev_t dev;		      /* its st_dev when the session was opened */
	char name[NTMS_NAME_MAX + 1]; /* sessions/<name> */
	int ctl;		      /* sessions/<name>/ctl, read and write */
	pthread_mutex_t ctl_lock;     /* a command and its reply line go together */
};

/* Writes one session ctl line and reads its reply: ERROR_SUCCESS with the "ok ..." line in
 * reply, the RSM code of the "error" line, or the errno's code through map.  EINTR (a signal)
 * is NTMS_INTERRUPTED: the daemon cancelled the request (rsmfs(5), SESSION COMMANDS), and
 * ntms_command asks again. */
#define NTMS_INTERRUPTED 0xFFFFFFFEu
struct ntms_errmap;
DWORD ntms_command_once(struct ntms_session *s, const char *line, char *reply, size_t len,
			const struct ntms_errmap *map);
DWORD ntms_command(struct ntms_session *s, const char *line, char *reply, size_t len,
		   const struct ntms_errmap *map);
/* True when the daemon of s is gone (its connection is dead, or another file system is at the
 * mount point now). */
bool ntms_session_gone(const struct ntms_session *s);

/* ---- tree.c: the mount and its files ---- */

/* The objects by-id/ names (rsmfs(5), by-id/). */
enum ntms_kind {
	OK_NONE,
	OK_LIBRARY,
	OK_DRIVE,
	OK_MEDIUM,
	OK_SIDE,
	OK_POOL,
	OK_REQUEST,
	OK_OPREQ,
	OK_SESSION
};

struct ntms_object {
	enum ntms_kind kind;
	char name[NTMS_NAME_MAX + 1]; /* a side's medium; a request's number */
	int side;
};

/* The mount point for lpServer (NULL, a host name, or a mount point): *mnt is allocated. */
DWORD ntms_find_mount(const char *server, char **mnt);

/* "<mnt>/<fmt...>", allocated; NULL when memory is short. */
char *ntms_path(const char *mnt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a one-line attribute file into buf (newline dropped): 0 or errno. */
int ntms_read_attr(const char *mnt, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The last component of a symbolic link's target ("../../libraries/vtl0" -> "vtl0"). */
int ntms_read_link_name(const char *mnt, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The names in a directory, sorted (numbers by value); *names is NULL-terminated, freed with
 * ntms_free_list. */
int ntms_list(const char *mnt, char ***names, size_t *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ntms_free_list(char **names);

/* What by-id/<guid> names: 0, ENOENT for an unknown id, or errno. */
int ntms_resolve(const char *mnt, const NTMS_GUID *id, struct ntms_object *o);
/* The GUID of an object, from its id file: 0 or errno. */
int ntms_object_guid(const char *mnt, enum ntms_kind kind, const char *name, int side,
		     NTMS_GUID *out);
/* The directory of an object, relative to the mount ("media/T00001L6/sides/0"). */
void ntms_object_dir(enum ntms_kind kind, const char *name, int side, char *buf, size_t len);

void ntms_guid_format(const NTMS_GUID *g, char out[NTMS_GUID_TEXT]);
bool ntms_guid_parse(const char *s, NTMS_GUID *g);
/* An ISO 8601 UTC time ("2026-11-21T09:41:07Z") as a SYSTEMTIME; zero when empty. */
void ntms_systemtime(const char *iso, SYSTEMTIME *st);
/* The time ms milliseconds from now on clock. */
void ntms_deadline(clockid_t clock, DWORD ms, struct timespec *t);
/* Copies a value into a fixed CHAR field, cut to fit, NUL-terminated. */
void ntms_copy(CHAR *dst, size_t size, const char *src);

/* Writes one command to an administrators' ctl file (libraries, requests, opreqs; ctl is
 * relative to the mount) and reads its reply when the file can be read: as ntms_command. */
DWORD ntms_admin_command(const struct ntms_session *s, const char *ctl, const char *line,
			 char *reply, size_t len, const struct ntms_errmap *map);
/* One line to an open ctl file and its reply (when readable): ERROR_SUCCESS, NTMS_INTERRUPTED,
 * the reply line's code, or 0 with *err the write's errno when no line tells why. */
DWORD ntms_write_command(int fd, bool readable, const char *line, char *reply, size_t len,
			 int *err);
/* Reads every reply waiting on a ctl file; the last line goes to reply. */
void ntms_drain_replies(int fd, char *reply, size_t len);

/* ---- errors.c: errnos and reply lines to Win32 codes ---- */

/* One errno and the code it means for a call; a table ends with {0, 0}. */
struct ntms_errmap {
	int err;
	DWORD code;
};

/* The code for err: the call's table first, then rsmfs(5) COMMANDS AND ERRORS. */
DWORD ntms_from_errno(int err, const struct ntms_errmap *map);
/* The code of an "error <NAME> <number> <text>" reply line; 0 when line is not one. */
DWORD ntms_from_reply(const char *line);

/* Returns the code of a failed tree operation of a session's call: NOT_CONNECTED when its
 * daemon is gone, else ntms_from_errno(err, map). */
DWORD ntms_session_error(const struct ntms_session *s, int err, const struct ntms_errmap *map);

#endif
