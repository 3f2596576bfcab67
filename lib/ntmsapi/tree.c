/* tree.c - the rsmfs mount as libntmsapi sees it: finding it, reading its attribute files and
 * links, listing its directories, naming objects by GUID through by-id/, and writing commands
 * to administrators' ctl files (rsmfs(5)).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ntms.h"

/* ---- paths and attribute files ---- */

/* "<mnt>/<fmt...>" from a va_list, in memory of its own; NULL (errno ENOMEM) without. */
static char *vpath(const char *mnt, const char *fmt, va_list ap)
{
	char *rel = NULL, *path = NULL;

	if (vasprintf(&rel, fmt, ap) < 0)
		rel = NULL;
	if (rel && asprintf(&path, "%s/%s", mnt, rel) < 0)
		path = NULL;
	free(rel);
	if (!path)
		errno = ENOMEM;
	return path;
}

/* ntms_path: "<mnt>/<fmt...>" in memory of its own. */
char *ntms_path(const char *mnt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *path = vpath(mnt, fmt, ap);
	va_end(ap);
	return path;
}

/* Reads at most len-1 bytes of path into buf; newline at the end dropped. */
static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	int err = n < 0 ? errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* ntms_read_attr: an attribute file's value. */
int ntms_read_attr(const char *mnt, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *path = vpath(mnt, fmt, ap);
	va_end(ap);
	if (!path)
		return ENOMEM;
	int err = read_file(path, buf, len);
	free(path);
	return err;
}

/* ntms_read_link_name: the name a relative link points at (its last component). */
int ntms_read_link_name(const char *mnt, char *buf, size_t len, const char *fmt, ...)
{
	char target[512];
	va_list ap;

	va_start(ap, fmt);
	char *path = vpath(mnt, fmt, ap);
	va_end(ap);
	if (!path)
		return ENOMEM;
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	int err = n < 0 ? errno : 0;
	free(path);
	if (err)
		return err;
	target[n] = '\0';
	const char *last = strrchr(target, '/');
	snprintf(buf, len, "%s", last ? last + 1 : target);
	return 0;
}

/* Numbers by value (requests/ and opreqs/), names as strings. */
static int name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t nx = strspn(x, "0123456789"), ny = strspn(y, "0123456789");

	if (nx && ny && !x[nx] && !y[ny] && nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

/* ntms_list: a directory's entries, sorted. */
int ntms_list(const char *mnt, char ***names, size_t *count, const char *fmt, ...)
{
	char **list = NULL;
	size_t n = 0, cap = 0;
	va_list ap;
	int err = 0;

	va_start(ap, fmt);
	char *path = vpath(mnt, fmt, ap);
	va_end(ap);
	if (!path)
		return ENOMEM;
	DIR *d = opendir(path);
	free(path);
	if (!d)
		return errno;
	for (struct dirent *e; (errno = 0, e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(list, cap * sizeof(*grown));
			if (!grown) {
				err = ENOMEM;
				break;
			}
			list = grown;
		}
		if (!(list[n] = strdup(e->d_name))) {
			err = ENOMEM;
			break;
		}
		list[++n] = NULL;
	}
	if (!err && errno)
		err = errno;
	closedir(d);
	if (!err && !list && !(list = calloc(1, sizeof(*list))))
		err = ENOMEM;
	if (err) {
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return err;
	}
	qsort(list, n, sizeof(*list), name_cmp);
	*names = list;
	*count = n;
	return 0;
}

/* ntms_free_list: frees what ntms_list made. */
void ntms_free_list(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

/* ---- GUIDs and objects ---- */

/* ntms_guid_format: lower-case 8-4-4-4-12, the tree's form (rsmfs(5), DESCRIPTION). */
void ntms_guid_format(const NTMS_GUID *g, char out[NTMS_GUID_TEXT])
{
	snprintf(out, NTMS_GUID_TEXT, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2],
		 g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

/* ntms_guid_parse: the tree's text form (either case) as a GUID; false when it is not one. */
bool ntms_guid_parse(const char *s, NTMS_GUID *g)
{
	static const int dash[] = {8, 13, 18, 23};
	unsigned b[8];
	unsigned long d1;
	unsigned d2, d3;

	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0, k = 0; i < 36; i++) {
		if (k < 4 && i == dash[k]) {
			if (s[i] != '-')
				return false;
			k++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	if (sscanf(s, "%8lx-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &d1, &d2, &d3, &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &b[6], &b[7]) != 11)
		return false;
	g->Data1 = (DWORD)d1;
	g->Data2 = (WORD)d2;
	g->Data3 = (WORD)d3;
	for (int i = 0; i < 8; i++)
		g->Data4[i] = (BYTE)b[i];
	return true;
}

/* The directories by-id/ links point into, and the kind each holds. */
static const struct {
	const char *dir;
	enum ntms_kind kind;
} kind_dirs[] = {
    {"libraries", OK_LIBRARY}, {"drives", OK_DRIVE}, {"media", OK_MEDIUM},     {"pools", OK_POOL},
    {"requests", OK_REQUEST},  {"opreqs", OK_OPREQ}, {"sessions", OK_SESSION},
};

/* ntms_resolve: by-id/<guid> -> "../<dir>/<name>" or "../media/<m>/sides/<k>" (rsmfs(5),
 * by-id/). */
int ntms_resolve(const char *mnt, const NTMS_GUID *id, struct ntms_object *o)
{
	char guid[NTMS_GUID_TEXT], target[512], dir[32], name[NTMS_NAME_MAX + 2];
	int side = -1;

	ntms_guid_format(id, guid);
	char *path = ntms_path(mnt, "by-id/%s", guid);
	if (!path)
		return ENOMEM;
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	int err = n < 0 ? errno : 0;
	free(path);
	if (err)
		return err;
	target[n] = '\0';
	/* a name longer than the tree allows is no object of it */
	int fields = sscanf(target, "../%31[^/]/%65[^/]/sides/%d", dir, name, &side);
	if (fields < 2 || strlen(name) > NTMS_NAME_MAX)
		return ENOENT;
	o->kind = OK_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(kind_dirs); i++)
		if (strcmp(dir, kind_dirs[i].dir) == 0)
			o->kind = kind_dirs[i].kind;
	if (o->kind == OK_MEDIUM && fields == 3)
		o->kind = OK_SIDE;
	if (o->kind == OK_NONE)
		return ENOENT;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->side = fields == 3 ? side : 0;
	return 0;
}

/* ntms_object_dir: where an object's files are. */
void ntms_object_dir(enum ntms_kind kind, const char *name, int side, char *buf, size_t len)
{
	const char *dir = "media";

	for (size_t i = 0; i < ARRAY_SIZE(kind_dirs); i++)
		if (kind_dirs[i].kind == kind)
			dir = kind_dirs[i].dir;
	if (kind == OK_SIDE)
		snprintf(buf, len, "media/%s/sides/%d", name, side);
	else
		snprintf(buf, len, "%s/%s", dir, name);
}

/* ntms_object_guid: an object's id file. */
int ntms_object_guid(const char *mnt, enum ntms_kind kind, const char *name, int side,
		     NTMS_GUID *out)
{
	char dir[2 * NTMS_NAME_MAX + 32], text[64];

	ntms_object_dir(kind, name, side, dir, sizeof(dir));
	int err = ntms_read_attr(mnt, text, sizeof(text), "%s/id", dir);
	if (err)
		return err;
	return ntms_guid_parse(text, out) ? 0 : EIO;
}

/* ntms_systemtime: a time of the tree (UTC) as Windows keeps one, weekday included. */
void ntms_systemtime(const char *iso, SYSTEMTIME *st)
{
	struct tm tm = {0};

	*st = (SYSTEMTIME){0};
	if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return;
	st->wYear = (WORD)tm.tm_year;
	st->wMonth = (WORD)tm.tm_mon;
	st->wDay = (WORD)tm.tm_mday;
	st->wHour = (WORD)tm.tm_hour;
	st->wMinute = (WORD)tm.tm_min;
	st->wSecond = (WORD)tm.tm_sec;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	struct tm check;
	if (gmtime_r(&t, &check))
		st->wDayOfWeek = (WORD)check.tm_wday;
}

/* ntms_deadline: now on clock, plus ms. */
void ntms_deadline(clockid_t clock, DWORD ms, struct timespec *t)
{
	clock_gettime(clock, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* ntms_copy: as strncpy into a fixed field, always terminated. */
void ntms_copy(CHAR *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* ---- finding the mount (rsmfs(5); ntmsapi(3), THE MOUNT) ---- */

/* Whether a mount point is a live rsmfs: its version file reads "rsmfs <version>". */
static DWORD check_mount(const char *mnt)
{
	char version[64];
	int err = ntms_read_attr(mnt, version, sizeof(version), "version");

	if (err == ENOMEM)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (err || strncmp(version, "rsmfs ", 6) != 0)
		return ERROR_NOT_CONNECTED;
	return ERROR_SUCCESS;
}

/* Undoes the octal escapes of /proc/self/mounts ("\040" for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The only fuse.rsmfs mount of /proc/self/mounts. */
static DWORD only_mount(char **mnt)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[4096], dir[4096], type[64];
	int found = 0;

	if (!f)
		return ERROR_NOT_CONNECTED;
	*mnt = NULL;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 &&
		    strcmp(type, "fuse.rsmfs") == 0 && found++ == 0) {
			unescape(dir);
			*mnt = strdup(dir);
		}
	fclose(f);
	if (found == 1 && !*mnt)
		return ERROR_NOT_ENOUGH_MEMORY;
	if (found != 1) {
		/* none, or several and nothing to choose between them: RSMFS_MOUNT says which */
		free(*mnt);
		*mnt = NULL;
		return ERROR_NOT_CONNECTED;
	}
	return ERROR_SUCCESS;
}

/* A computer name: letters, digits, '-', '_' and '.', at most 255 (a DNS name). */
static bool valid_computer_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* Whether a computer name is this one: ".", "localhost", the host name or its first label. */
static bool local_computer(const char *s)
{
	char host[256] = "";
	size_t n;

	if (strcmp(s, ".") == 0 || strcasecmp(s, "localhost") == 0)
		return true;
	if (gethostname(host, sizeof(host) - 1) != 0)
		return false;
	if (strcasecmp(s, host) == 0)
		return true;
	n = strcspn(host, ".");
	return strlen(s) == n && strncasecmp(s, host, n) == 0;
}

/* ntms_find_mount: lpServer as a mount point (it starts with '/'), this computer (NULL, empty,
 * its name), or another computer (no RSM service of it can be reached from here). */
DWORD ntms_find_mount(const char *server, char **mnt)
{
	const char *env = getenv("RSMFS_MOUNT");
	const char *path = NULL;

	*mnt = NULL;
	if (server) {
		while (*server == '\\') /* "\\server", as Windows programs write it */
			server++;
		if (*server == '/')
			path = server;
		else if (*server && !valid_computer_name(server))
			return ERROR_INVALID_COMPUTERNAME;
		else if (*server && !local_computer(server))
			return ERROR_NOT_CONNECTED;
	}
	if (!path && env && *env)
		path = env;
	if (!path) {
		DWORD e = only_mount(mnt);
		if (e != ERROR_SUCCESS)
			return e;
	} else if (!(*mnt = strdup(path))) {
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	for (size_t n = strlen(*mnt); n > 1 && (*mnt)[n - 1] == '/';)
		(*mnt)[--n] = '\0';
	DWORD e = check_mount(*mnt);
	if (e != ERROR_SUCCESS) {
		free(*mnt);
		*mnt = NULL;
	}
	return e;
}

/* ---- administrators' ctl files ---- */

/* Writes all of buf. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0)
			return errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads every reply line waiting on a ctl file; the last one goes to reply ("" when none). */
void ntms_drain_replies(int fd, char *reply, size_t len)
{
	char buf[1024], line[NTMS_REPLY_MAX];
	size_t used = 0;
	ssize_t n;

	reply[0] = '\0';
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line[used] = '\0';
				snprintf(reply, len, "%s", line);
				used = 0;
			} else if (used + 1 < sizeof(line)) {
				line[used++] = buf[i];
			}
		}
	}
}

/* ntms_write_command: one line written (with its newline), then its reply read back when fd
 * can be read.  ERROR_SUCCESS, NTMS_INTERRUPTED, the reply line's code, or 0 with *err set when
 * the write failed and no line tells why. */
DWORD ntms_write_command(int fd, bool readable, const char *line, char *reply, size_t len, int *err)
{
	char *text = NULL;
	int n = asprintf(&text, "%s\n", line);

	reply[0] = '\0';
	if (n < 0) {
		*err = ENOMEM;
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	*err = write_all(fd, text, (size_t)n);
	free(text);
	if (readable)
		ntms_drain_replies(fd, reply, len);
	if (!*err)
		return ERROR_SUCCESS;
	if (*err == EINTR)
		return NTMS_INTERRUPTED;
	return ntms_from_reply(reply);
}

/* One command to libraries/<l>/ctl, requests/<n>/ctl or opreqs/<n>/ctl.  Those are mode 0220
 * (root and the admin group): root reads the reply back; another administrator can only
 * write, and gets the errno's reading. */
static DWORD admin_command_once(const struct ntms_session *s, const char *ctl, const char *line,
				char *reply, size_t len, const struct ntms_errmap *map)
{
	char *path = ntms_path(s->mnt, "%s", ctl);
	bool readable = true;
	int err;

	reply[0] = '\0';
	if (!path)
		return ERROR_NOT_ENOUGH_MEMORY;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == EACCES) {
		readable = false;
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	err = fd < 0 ? errno : 0;
	free(path);
	if (fd < 0)
		return ntms_session_error(s, err, map);
	DWORD code = ntms_write_command(fd, readable, line, reply, len, &err);
	close(fd);
	if (!err || code)
		return code;
	return ntms_session_error(s, err, map);
}

/* ntms_admin_command: again after a signal, as ntms_command. */
DWORD ntms_admin_command(const struct ntms_session *s, const char *ctl, const char *line,
			 char *reply, size_t len, const struct ntms_errmap *map)
{
	DWORD e;

	do
		e = admin_command_once(s, ctl, line, reply, len, map);
	while (e == NTMS_INTERRUPTED);
	return e;
}
