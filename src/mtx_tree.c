/* mtx_tree.c - reading the changer a session sees from an rsmfs mount, and writing commands.
 *
 * Everything here is plain file I/O on the mount as the calling user: the library's slots and
 * ports tables, its drives/ directory, the session's drives/<i> links, media attributes, the
 * session's ctl.  See rsmfs(5) for each file and rsmfs-mtx(1) for how they make a changer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mtx_tree.h"

/* A whole file, malloc'd and NUL-terminated (direct I/O: its size says nothing), or NULL. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		if (len + 1024 > cap) {
			char *n = realloc(buf, cap *= 2);
			if (!n) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0) {
				int e = errno;
				free(buf);
				buf = NULL;
				errno = e;
			}
			break;
		}
		len += (size_t)r;
	}
	int e = errno;
	close(fd);
	errno = e;
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Copies the value of one attribute file (without its newline) into buf; -1 with errno. */
static int read_value(const char *path, char *buf, int len)
{
	char *text = slurp(path);

	if (!text)
		return -1;
	snprintf(buf, (size_t)len, "%s", text);
	free(text);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* root/rel, or -1 when it does not fit. */
static int path_of(const struct mtx_place *p, char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int path_of(const struct mtx_place *p, char *out, size_t len, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -1;
	n = snprintf(out, len, "%s/%s", p->root, rel);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Reads the attribute file rel (relative to the mount point) into buf. */
int mtx_read_attr(const struct mtx_place *p, const char *rel, char *buf, int len)
{
	char path[PATH_MAX];

	if (path_of(p, path, sizeof(path), "%s", rel) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return read_value(path, buf, len);
}

/* The last component of a symbolic link's target, or -1 when there is no link. */
static int link_name(const char *path, char *name, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	snprintf(name, len, "%s", slash ? slash + 1 : target);
	return 0;
}

/* Whether s is a name the tree accepts: letters, digits, . _ -, not starting with a dot. */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MTX_NAME_MAX || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The session's name: RSMFS_SESSION, else mtx-<user name> (other characters become _). */
static int session_name(struct mtx_place *p, char *why, int why_len)
{
	const char *env = getenv("RSMFS_SESSION");

	if (env && *env) {
		if (!valid_name(env)) {
			snprintf(
			    why, (size_t)why_len,
			    "RSMFS_SESSION '%s' is not a session name (letters, digits, . _ -)",
			    env);
			return -1;
		}
		snprintf(p->session, sizeof(p->session), "%s", env);
		return 0;
	}
	const struct passwd *pw = getpwuid(getuid());
	char user[64];
	if (pw && pw->pw_name[0])
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)getuid());
	snprintf(p->session, sizeof(p->session), "mtx-%s", user);
	for (char *c = p->session + 4; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    *c))
			*c = '_';
	return 0;
}

/* RSMFS_TIMEOUT: seconds a load waits (default 300). */
static int timeout_of(struct mtx_place *p, char *why, int why_len)
{
	const char *env = getenv("RSMFS_TIMEOUT");
	char *end;

	p->timeout = 300;
	if (!env || !*env)
		return 0;
	errno = 0;
	double t = strtod(env, &end);
	if (errno || *end || end == env || !(t >= 0) || t > 31536000) {
		snprintf(why, (size_t)why_len,
			 "RSMFS_TIMEOUT '%s' is not a number of seconds (0 to 31536000)", env);
		return -1;
	}
	p->timeout = t;
	return 0;
}

/*
 * Finds the mount and the library behind device (<mount>/libraries/<lib>, or a link to it), and
 * the session's name and time-out from the environment.  -1 with errno (and why) otherwise.
 */
int mtx_place_open(struct mtx_place *p, const char *device, char *why, int why_len)
{
	char real[PATH_MAX], check[PATH_MAX + 16];

	p->device = device;
	p->ctl = -1;
	why[0] = '\0';
	if (!realpath(device, real))
		return -1;
	char *base = strrchr(real, '/');
	if (!base || base == real)
		goto not_library;
	*base = '\0';
	snprintf(p->library, sizeof(p->library), "%s", base + 1);
	char *parent = strrchr(real, '/');
	if (!parent || strcmp(parent + 1, "libraries") != 0)
		goto not_library;
	*parent = '\0';
	snprintf(p->root, sizeof(p->root), "%s", real[0] ? real : "/");
	snprintf(check, sizeof(check), "%s/libraries/%s/slots", p->root, p->library);
	if (access(check, R_OK) != 0)
		goto not_library;
	if (session_name(p, why, why_len) < 0 || timeout_of(p, why, why_len) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
not_library:
	snprintf(why, (size_t)why_len, "not a library of an rsmfs mount (<mount>/libraries/<lib>)");
	errno = ENOTDIR;
	return -1;
}

/* Makes the session's directory if it is missing; it stays after rsmfs-mtx exits. */
int mtx_session_open(struct mtx_place *p, char *why, int why_len)
{
	char path[PATH_MAX];

	if (path_of(p, path, sizeof(path), "sessions/%s", p->session) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		snprintf(why, (size_t)why_len, "cannot open session %s: %s", p->session,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The index of the storage element with a slot's (port's) address, or -1. */
static int element_at(const struct mtx_changer *c, bool port, int address)
{
	for (int i = 0; i < c->nslots + c->nports; i++)
		if (c->element[i].port == port && c->element[i].address == address)
			return i;
	return -1;
}

/* Orders storage elements by address. */
static int by_address(const void *a, const void *b)
{
	const struct mtx_element *x = a, *y = b;

	return (x->address > y->address) - (x->address < y->address);
}

/*
 * Parses one slots or ports table ("<address> full <medium>", "<address> empty -" and, for a
 * slot whose medium is out, "<address> empty - <medium>") into elements, sorted by address.
 */
static int read_table(const struct mtx_place *p, const char *table, bool port,
		      struct mtx_element **out, int *count)
{
	char path[PATH_MAX];

	if (path_of(p, path, sizeof(path), "libraries/%s/%s", p->library, table) < 0)
		return -1;
	char *text = slurp(path);
	if (!text)
		return -1;
	int n = 0, cap = 0;
	struct mtx_element *e = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char state[16], first[MTX_NAME_MAX + 1], home[MTX_NAME_MAX + 1] = "";
		int address;
		int f = sscanf(line, "%d %15s %64s %64s", &address, state, first, home);
		if (f < 3)
			continue;
		if (n == cap) {
			struct mtx_element *m =
			    realloc(e, sizeof(*e) * (size_t)(cap = cap ? cap * 2 : 32));
			if (!m) {
				free(e);
				free(text);
				return -1;
			}
			e = m;
		}
		struct mtx_element *el = &e[n++];
		memset(el, 0, sizeof(*el));
		el->address = address;
		el->port = port;
		el->full = strcmp(state, "full") == 0;
		if (el->full) {
			snprintf(el->tag, sizeof(el->tag), "%s", first);
			snprintf(el->medium, sizeof(el->medium), "%s", first);
		} else if (f == 4) {
			snprintf(el->medium, sizeof(el->medium), "%s", home);
			el->homed = true;
		}
	}
	free(text);
	if (n)
		qsort(e, (size_t)n, sizeof(*e), by_address);
	*out = e;
	*count = n;
	return 0;
}

/* The number of drives in the library (entries of libraries/<l>/drives). */
static int count_drives(const struct mtx_place *p)
{
	char path[PATH_MAX];

	if (path_of(p, path, sizeof(path), "libraries/%s/drives", p->library) < 0)
		return -1;
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	for (const struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Fills virtual drive i from sessions/<s>/drives/<i> and the medium its library drive holds. */
static void read_drive(const struct mtx_place *p, struct mtx_changer *c, int i)
{
	struct mtx_drive *d = &c->drive[i];
	char path[PATH_MAX], home[32];

	d->source = -1;
	if (path_of(p, path, sizeof(path), "sessions/%s/drives/%d", p->session, i) < 0 ||
	    link_name(path, d->physical, sizeof(d->physical)) < 0)
		return;
	if (path_of(p, path, sizeof(path), "drives/%s/medium", d->physical) < 0 ||
	    link_name(path, d->medium, sizeof(d->medium)) < 0)
		return;
	d->full = true;
	if (path_of(p, path, sizeof(path), "media/%s/home", d->medium) == 0 &&
	    read_value(path, home, sizeof(home)) == 0 && home[0])
		d->source = element_at(c, false, atoi(home));
}

/* Whether the session holds medium m in one of its virtual drives. */
static bool held_here(const struct mtx_changer *c, const char *m)
{
	for (int i = 0; i < c->ndrives; i++)
		if (c->drive[i].full && strcmp(c->drive[i].medium, m) == 0)
			return true;
	return false;
}

/* The states of a medium out of its slot that keep it in the library for a load. */
static const struct {
	const char *state; /* media/<m>/state */
	bool full;	   /* Full (loadable at once); else Empty, a load waits for it */
} out_states[] = {
    {"dismountable", true}, {"idle", true},	  {"mounted", false},
    {"loading", false},	    {"unloading", false},
};

/*
 * An empty slot whose medium is out: Full when the medium waits in a drive dismountable (no
 * session holds it; a load takes it with no robot move) or is back home, Empty while another
 * session holds it or it is on its way (a load waits for it), Empty for a medium outside the
 * library (a load of it fails) and for one in the session's own drive.
 */
static void settle_slot(const struct mtx_place *p, struct mtx_changer *c, struct mtx_element *e)
{
	char path[PATH_MAX], state[32];

	if (e->full || e->port || !e->medium[0])
		return;
	if (held_here(c, e->medium) ||
	    path_of(p, path, sizeof(path), "media/%s/state", e->medium) < 0 ||
	    read_value(path, state, sizeof(state)) < 0) {
		e->medium[0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof(out_states) / sizeof(out_states[0]); i++) {
		if (strcmp(state, out_states[i].state) != 0)
			continue;
		e->full = out_states[i].full;
		e->waitable = !e->full;
		if (e->full)
			snprintf(e->tag, sizeof(e->tag), "%s", e->medium);
		return;
	}
	e->medium[0] = '\0';
}

/* Whether another cartridge with no home goes back to slot i. */
static bool claimed(const struct mtx_changer *c, int i)
{
	for (int d = 0; d < c->ndrives; d++)
		if (c->drive[d].guessed && c->drive[d].source == i)
			return true;
	return false;
}

/*
 * A cartridge with no home slot (another took it while the cartridge was out) goes back to
 * the first empty slot that is no one's home, else to the first empty slot (even the home of a
 * cartridge that is out): that is the slot its drive came from, as mtx gives a drive whose
 * source it does not know an empty slot.
 */
static void place_homeless(struct mtx_changer *c)
{
	for (int d = 0; d < c->ndrives; d++) {
		struct mtx_drive *drive = &c->drive[d];

		for (int pass = 0; pass < 2 && drive->full && drive->source < 0; pass++)
			for (int i = 0; i < c->nslots && drive->source < 0; i++)
				if (!c->element[i].full && (pass || !c->element[i].homed) &&
				    !claimed(c, i)) {
					drive->source = i;
					drive->guessed = true;
				}
	}
}

/* Reads the changer the session sees now.  -1 with errno and why. */
int mtx_changer_read(const struct mtx_place *p, struct mtx_changer *c, char *why, int why_len)
{
	struct mtx_element *slots = NULL, *ports = NULL;
	int nslots = 0, nports = 0;

	memset(c, 0, sizeof(*c));
	if (read_table(p, "slots", false, &slots, &nslots) < 0 ||
	    read_table(p, "ports", true, &ports, &nports) < 0)
		goto fail;
	c->ndrives = count_drives(p);
	if (c->ndrives < 0)
		goto fail;
	c->nslots = nslots;
	c->nports = nports;
	c->element = calloc((size_t)(nslots + nports) + 1, sizeof(*c->element));
	c->drive = calloc((size_t)c->ndrives + 1, sizeof(*c->drive));
	if (!c->element || !c->drive)
		goto fail;
	if (nslots)
		memcpy(c->element, slots, sizeof(*slots) * (size_t)nslots);
	if (nports)
		memcpy(c->element + nslots, ports, sizeof(*ports) * (size_t)nports);
	free(slots);
	free(ports);
	for (int i = 0; i < c->ndrives; i++)
		read_drive(p, c, i);
	for (int i = 0; i < c->nslots; i++)
		settle_slot(p, c, &c->element[i]);
	place_homeless(c);
	return 0;
fail:;
	int e = errno;
	snprintf(why, (size_t)why_len, "cannot read library %s: %s", p->library, strerror(e));
	free(slots);
	free(ports);
	mtx_changer_free(c);
	errno = e;
	return -1;
}

/* Frees what mtx_changer_read allocated. */
void mtx_changer_free(struct mtx_changer *c)
{
	free(c->element);
	free(c->drive);
	c->element = NULL;
	c->drive = NULL;
}

/* Reads one reply line from the session's ctl into r->line. */
static void read_reply(int fd, struct mtx_reply *r)
{
	size_t len = 0;

	r->line[0] = '\0';
	while (len < sizeof(r->line) - 1) {
		ssize_t n = read(fd, r->line + len, sizeof(r->line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		r->line[len] = '\0';
		if (memchr(r->line, '\n', len))
			break;
	}
	r->line[strcspn(r->line, "\n")] = '\0';
}

/* Writes cmd (n bytes, newline included) to fd and, when fd is readable, reads the reply. */
static int exchange(int fd, bool readable, const char *cmd, size_t n, struct mtx_reply *r)
{
	ssize_t w;

	do
		w = write(fd, cmd, n);
	while (w < 0 && errno == EINTR);
	r->err = w < 0 ? errno : 0;
	if (readable)
		read_reply(fd, r);
	if (r->err == 0 && readable && strncmp(r->line, "ok", 2) != 0)
		r->err = EIO;
	if (r->err)
		return -1;
	sscanf(r->line, "ok request %lu", &r->request);
	return 0;
}

/*
 * Writes one command to the session's ctl (a mount blocks until it is done) and reads its reply
 * back on the same descriptor.  0 for "ok ...", -1 with r->err set otherwise.
 */
int mtx_ctl(struct mtx_place *p, struct mtx_reply *r, const char *fmt, ...)
{
	char cmd[1024], path[PATH_MAX];
	va_list ap;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 1) {
		r->err = E2BIG;
		return -1;
	}
	cmd[n++] = '\n';
	if (p->ctl < 0) {
		if (path_of(p, path, sizeof(path), "sessions/%s/ctl", p->session) < 0) {
			r->err = ENAMETOOLONG;
			return -1;
		}
		p->ctl = open(path, O_RDWR | O_CLOEXEC);
		if (p->ctl < 0) {
			r->err = errno;
			snprintf(r->line, sizeof(r->line), "cannot open sessions/%s/ctl: %s",
				 p->session, strerror(errno));
			return -1;
		}
	}
	return exchange(p->ctl, true, cmd, (size_t)n, r);
}

/*
 * Writes the line text to the file rel (relative to the mount point).  With reply (a ctl file),
 * reads its reply back when the caller may read the file (an administrator in the admin group
 * may only write it: then r->request stays 0).  0, or -1 with r->err.
 */
int mtx_command(const struct mtx_place *p, const char *rel, const char *text, bool reply,
		struct mtx_reply *r)
{
	char path[PATH_MAX];
	bool readable = reply;

	memset(r, 0, sizeof(*r));
	if (path_of(p, path, sizeof(path), "%s", rel) < 0) {
		r->err = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, (reply ? O_RDWR : O_WRONLY) | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && reply) {
		readable = false;
		fd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		r->err = errno;
		return -1;
	}
	int rc = exchange(fd, readable, text, strlen(text), r);
	close(fd);
	return rc;
}

/* Sleeps ms milliseconds. */
static void nap(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Waits until requests/<n> has finished (passed, failed or cancelled), at most seconds; its last
 * state is left in state.  0 once finished, -1 with ETIMEDOUT (or the read's errno) otherwise.
 */
int mtx_request_wait(const struct mtx_place *p, unsigned long request, double seconds, char *state,
		     int state_len)
{
	char path[PATH_MAX];
	double end = now() + seconds;

	if (path_of(p, path, sizeof(path), "requests/%lu/state", request) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (;;) {
		if (read_value(path, state, state_len) < 0)
			return -1;
		if (strcmp(state, "passed") == 0 || strcmp(state, "failed") == 0 ||
		    strcmp(state, "cancelled") == 0)
			return 0;
		if (now() >= end) {
			errno = ETIMEDOUT;
			return -1;
		}
		nap(50);
	}
}
