/* replay.c - inotify and poll for changes the engine makes.
 *
 * The kernel sends inotify events for FUSE only when a change comes through the VFS.  The
 * engine's changes do not, so this thread replays each one through the mount: a one-byte
 * write to an attribute file whose value changed (IN_MODIFY), mkdir/symlink of an entry that
 * appeared (IN_CREATE), rmdir/unlink of one that went (IN_DELETE).  The file system knows
 * the thread by its thread id and lets these calls pass without effect (ops.c).  To know what
 * changed, the thread keeps the last rendering of every file and directory it has seen and
 * compares after each engine event.  The same comparison wakes poll() on attribute files
 * (POLLPRI|POLLERR, sysfs style).  Kernel notifications go out from this thread only, never
 * from a request handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "tree.h"

#define CACHE_MIN_BUCKETS 4096

/* The last rendering of a path: file contents, or a directory's entries, one per line. */
struct seen {
	char *text;
	bool dir; /* text lists the directory's entries */
	unsigned hash;
	struct seen *next;
	char path[]; /* one allocation: a site can have a million attribute files */
};

struct queued_event {
	struct rsm_event ev;
	struct queued_event *next;
};

/* What the replay thread is doing to a path right now, so that lookup answers it as the
 * replayed operation needs (ENOENT before a mkdir; an entry before an rmdir). */
struct pending_op {
	char path[512];
	int kind; /* 0 none, 1 creating, 2 deleting a directory, 3 deleting a symlink */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, quit, exited;
	pid_t hands; /* the child that makes the calls */
	int cmd_fd, ack_fd;
	struct queued_event *head, *tail;
	struct seen **cache; /* chained, grown to keep chains short */
	size_t buckets, cached;
	pthread_mutex_t pending_lock;
	struct pending_op pending;
	pthread_mutex_t polled_lock;
	struct fh *polled; /* attribute files with a poll handle, linked by poll_next */
} rp = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .pending_lock = PTHREAD_MUTEX_INITIALIZER,
    .polled_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- the cache of what was last seen ---- */

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct seen **bucket_of(unsigned h)
{
	return &rp.cache[h & (rp.buckets - 1)];
}

static struct seen *seen_find(const char *path)
{
	if (!rp.cache)
		return NULL;
	for (struct seen *s = *bucket_of(hash(path)); s; s = s->next)
		if (strcmp(s->path, path) == 0)
			return s;
	return NULL;
}

/* Doubles the buckets when there are more entries than buckets (the baseline of a site with
 * 100,000 media takes over a million); false when memory for them cannot be had. */
static bool cache_room(void)
{
	size_t n = rp.buckets ? rp.buckets * 2 : CACHE_MIN_BUCKETS;

	if (rp.cache && rp.cached < rp.buckets)
		return true;
	struct seen **old = rp.cache, **cache = calloc(n, sizeof(*cache));
	if (!cache)
		return rp.cache != NULL; /* longer chains, still right */
	size_t old_n = rp.buckets;
	rp.cache = cache;
	rp.buckets = n;
	for (size_t b = 0; b < old_n; b++)
		for (struct seen *s = old[b], *next; s; s = next) {
			next = s->next;
			s->next = *bucket_of(s->hash);
			*bucket_of(s->hash) = s;
		}
	free(old);
	return true;
}

/* Records text for path; returns 1 when it differs from what was seen, 0 when equal, and -1
 * when the path was not seen before (a baseline, not a change). */
static int seen_update(const char *path, char *text, bool dir)
{
	struct seen *s = seen_find(path);

	if (!s) {
		size_t len = strlen(path) + 1;
		if (!cache_room() || !(s = malloc(sizeof(*s) + len))) {
			free(text);
			return -1;
		}
		memcpy(s->path, path, len);
		s->text = text;
		s->dir = dir;
		s->hash = hash(path);
		s->next = *bucket_of(s->hash);
		*bucket_of(s->hash) = s;
		rp.cached++;
		return -1;
	}
	int changed = strcmp(s->text, text) != 0;
	free(s->text);
	s->text = text;
	return changed;
}

/* Takes path's entry out of the cache and returns it (NULL when it has none). */
static struct seen *seen_unlink(const char *path)
{
	if (!rp.cache)
		return NULL;
	struct seen **pp = bucket_of(hash(path));

	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->next;
	struct seen *s = *pp;
	if (s) {
		*pp = s->next;
		rp.cached--;
	}
	return s;
}

static void seen_free(struct seen *s)
{
	if (s) {
		free(s->text);
		free(s);
	}
}

/* Forgets what was seen of path itself (not what is under it): the next look is a baseline. */
static void seen_drop(const char *path)
{
	seen_free(seen_unlink(path));
}

/* Forgets path and, through its cached listing, everything under it. */
static void seen_forget(const char *path)
{
	struct seen *s = seen_unlink(path);

	if (s && s->dir) {
		char child[600], *save = NULL;
		for (char *line = strtok_r(s->text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			snprintf(child, sizeof(child), "%s/%s", path, line + 1);
			seen_forget(child);
		}
	}
	seen_free(s);
}

/* ---- the thread's own calls, recognised by the file system ---- */

bool replay_is_self(fuse_req_t req)
{
	return rp.running && rp.hands > 0 && fuse_req_ctx(req)->pid == rp.hands;
}

int replay_pending(const char *path)
{
	int kind = 0;
	pthread_mutex_lock(&rp.pending_lock);
	if (rp.pending.kind && strcmp(rp.pending.path, path) == 0)
		kind = rp.pending.kind;
	pthread_mutex_unlock(&rp.pending_lock);
	return kind;
}

static void set_pending(const char *path, int kind)
{
	pthread_mutex_lock(&rp.pending_lock);
	snprintf(rp.pending.path, sizeof(rp.pending.path), "%s", path);
	rp.pending.kind = kind;
	pthread_mutex_unlock(&rp.pending_lock);
}

/* ---- the hands: a child process that makes the calls ----
 *
 * The calls go through a child process, not this thread: a process with a file open on its
 * own mount cannot always die (its exit closes the file and waits for a FLUSH that nobody
 * will answer), and kill -9 of the daemon must always work.  The child holds no descriptor
 * of the FUSE device, so the daemon's death closes the connection, and the kernel fails any
 * call the child still has under way.  One command at a time: the thread sends it and waits
 * for the child's one-byte acknowledgement.
 */

static void hands_main(int cmd, int ack)
{
	static char buf[8192];
	size_t used = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		char *nl = memchr(buf, '\n', used);
		if (!nl) {
			ssize_t n =
			    used < sizeof(buf) ? read(cmd, buf + used, sizeof(buf) - used) : -1;
			if (n <= 0)
				_exit(0);
			used += (size_t)n;
			continue;
		}
		*nl = '\0';
		/* "<op> <path>[\t<target>]": m modify, d mkdir, l symlink, D rmdir, L unlink */
		char *path = buf + 2, *target = strchr(path, '\t');
		if (target)
			*target++ = '\0';
		int fd;
		switch (buf[0]) {
		case 'm':
			fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, "\n", 1) < 0) {
					/* the event is lost; the state itself is right */
				}
				close(fd);
			}
			break;
		case 'd':
			mkdir(path, 0755);
			break;
		case 'l':
			if (symlink(target ? target : ".", path) < 0) {
				/* already there: nothing to announce */
			}
			break;
		case 'D':
			rmdir(path);
			break;
		case 'L':
			unlink(path);
			break;
		}
		used -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, used);
		if (write(ack, "k", 1) != 1)
			_exit(0);
	}
}

/* Starts the child; returns its pid or -1. */
static pid_t hands_start(void)
{
	int cmd[2], ack[2];

	if (pipe2(cmd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* only the two pipes: above all, no FUSE device descriptor, and none of the
		 * daemon's standard streams, which whoever started it may be waiting on */
		int c = fcntl(cmd[0], F_DUPFD, 10), a = fcntl(ack[1], F_DUPFD, 10);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		dup2(c, 3);
		dup2(a, 4);
		close_range(5, ~0U, 0);
		hands_main(3, 4);
	}
	close(cmd[0]);
	close(ack[1]);
	if (pid < 0) {
		close(cmd[1]);
		close(ack[0]);
		return -1;
	}
	rp.cmd_fd = cmd[1];
	rp.ack_fd = ack[0];
	return pid;
}

/* Waits for the child's acknowledgement; false when the child is gone, or when the daemon is
 * stopping and the call is still unanswered.  A call that a worker took off the device just as
 * the session loop cancelled it is never answered, and the child cannot die while the call
 * waits, which it does until the mount goes; the mount goes after this thread has ended. */
static bool ack_wait(void)
{
	struct pollfd p = {.fd = rp.ack_fd, .events = POLLIN};
	char ack;

	for (;;) {
		int n = poll(&p, 1, 50);
		if (n > 0)
			return read(rp.ack_fd, &ack, 1) == 1;
		if ((n < 0 && errno != EINTR) || rp.quit)
			return false;
	}
}

/* Has the child do one call on path (relative to the mount) and waits until it is done. */
static void hands_do(char op, const char *path, const char *target)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "%c %s/%s%s%s\n", op, fs_global.mountpoint, path,
			 target ? "\t" : "", target ? target : "");

	if (rp.cmd_fd < 0 || rp.quit || n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (write(rp.cmd_fd, line, (size_t)n) != n || !ack_wait()) {
		close(rp.cmd_fd);
		rp.cmd_fd = -1; /* the child is gone or stuck: no more replays */
	}
}

/* Drops a cached entry so that the next lookup asks the file system again. */
static void invalidate_entry(const char *path)
{
	char parent[512];
	const char *slash = strrchr(path, '/');
	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 0, path);
	fuse_ino_t pino = parent[0] ? inode_peek(parent) : FUSE_ROOT_ID;
	const char *name = slash ? slash + 1 : path;
	if (pino && !rp.quit)
		fuse_lowlevel_notify_inval_entry(fs_global.se, pino, name, strlen(name));
}

static void replay_modify(const char *path)
{
	hands_do('m', path, NULL);
}

static void replay_create(const char *path, mode_t type, const char *target)
{
	invalidate_entry(path);
	set_pending(path, 1);
	hands_do(type == S_IFDIR ? 'd' : 'l', path, type == S_IFDIR ? NULL : target);
	set_pending("", 0);
}

static void replay_remove(const char *path, mode_t type)
{
	set_pending(path, type == S_IFDIR ? 2 : 3);
	hands_do(type == S_IFDIR ? 'D' : 'L', path, NULL);
	set_pending("", 0);
	seen_forget(path);
}

/* ---- poll on attribute files ---- */

void replay_poll_add(struct fh *fh)
{
	pthread_mutex_lock(&rp.polled_lock);
	if (!fh->poll_listed) {
		fh->poll_listed = true;
		pthread_mutex_lock(&fh->lock); /* lock order: polled_lock, then fh->lock */
		fh->refs++;
		pthread_mutex_unlock(&fh->lock);
		fh->poll_next = rp.polled;
		rp.polled = fh;
	}
	pthread_mutex_unlock(&rp.polled_lock);
}

void replay_poll_forget(struct fh *fh)
{
	bool listed = false;

	pthread_mutex_lock(&rp.polled_lock);
	for (struct fh **pp = &rp.polled; *pp; pp = &(*pp)->poll_next)
		if (*pp == fh) {
			*pp = fh->poll_next;
			fh->poll_listed = false;
			listed = true;
			break;
		}
	pthread_mutex_unlock(&rp.polled_lock);
	if (listed)
		fh_put(fh);
}

/* Wakes pollers of path whose last read differs from the current value. */
static void poll_check(const char *path, const char *now, size_t len)
{
	pthread_mutex_lock(&rp.polled_lock);
	for (struct fh *fh = rp.polled; fh; fh = fh->poll_next) {
		struct fuse_pollhandle *ph = NULL;
		if (strcmp(fh->path, path) != 0)
			continue;
		pthread_mutex_lock(&fh->lock);
		if (fh->ph && (fh->snap_len != len || memcmp(fh->snap, now, len))) {
			ph = fh->ph;
			fh->ph = NULL;
			fh->poll_changed = true;
		}
		pthread_mutex_unlock(&fh->lock);
		if (ph) {
			fuse_lowlevel_notify_poll(ph);
			fuse_pollhandle_destroy(ph);
		}
	}
	pthread_mutex_unlock(&rp.polled_lock);
}

/* ---- comparing ---- */

/* Files whose value never changes while their object lives: there is nothing to compare, and
 * a site with 100,000 media would otherwise keep half a million renderings of them. */
static const struct {
	int area;
	const char *name;
} fixed_files[] = {
    {AREA_LIBRARIES, "id"},  {AREA_LIBRARIES, "name"},	   {AREA_DRIVES, "id"},
    {AREA_DRIVES, "name"},   {AREA_MEDIA, "id"},	   {AREA_MEDIA, "name"},
    {AREA_MEDIA, "barcode"}, {AREA_MEDIA, "type"},	   {AREA_SIDE, "id"},
    {AREA_REQUESTS, "id"},   {AREA_REQUESTS, "operation"}, {AREA_REQUESTS, "submitted"},
};

static bool file_fixed(const struct node *n)
{
	const struct file_entry *t = table_of(n->area);

	for (size_t i = 0; t && n->file >= 0 && i < sizeof(fixed_files) / sizeof(fixed_files[0]);
	     i++)
		if (fixed_files[i].area == (int)n->area &&
		    !strcmp(fixed_files[i].name, t[n->file].name))
			return true;
	return false;
}

static void check_file(const char *path, const struct node *n)
{
	char *text;
	size_t len;

	if (n->type != N_FILE || file_fixed(n) || render_node(n, &text, &len) != 0)
		return;
	poll_check(path, text, len);
	if (seen_update(path, text, false) == 1)
		replay_modify(path);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* Splits a directory rendering (lines "<type><name>", changed in place) into its lines,
 * sorted by name; NULL when empty or out of memory. */
static char **sorted_lines(char *text, size_t *count)
{
	char **v = NULL, *save = NULL;
	size_t n = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n++] = line;
	}
	if (v)
		qsort(v, n, sizeof(*v), by_name);
	*count = v ? n : 0;
	return v;
}

static void check_tree(const char *path);

/* Replays the entries of directory dir that went (in was, not in now) and came (the other
 * way), by a merge of the two sorted listings.  Files are never created or removed. */
static void replay_entry_changes(const char *dir, char *was, char *now)
{
	size_t nw, nn, i = 0, j = 0;
	char **w = sorted_lines(was, &nw), **n = sorted_lines(now, &nn), child[600];

	while (i < nw || j < nn) {
		int c = i == nw ? 1 : j == nn ? -1 : strcmp(w[i] + 1, n[j] + 1);
		if (c == 0) {
			i++, j++;
			continue;
		}
		const char *line = c < 0 ? w[i++] : n[j++];
		mode_t type = line[0] == 'd' ? S_IFDIR : S_IFLNK;
		struct node cn;
		if (line[0] == 'f' || rp.quit)
			continue;
		snprintf(child, sizeof(child), "%s/%s", dir, line + 1);
		if (c < 0) {
			replay_remove(child, type);
		} else if (tree_resolve(child, &cn) == 0) {
			replay_create(child, type, cn.target);
			if (type == S_IFDIR)
				check_tree(
				    child); /* what it holds is the baseline for its changes */
		}
	}
	free(w);
	free(n);
}

/* Compares a directory's entries (and, with files, its attribute files) with what was
 * seen, and replays the differences. */
static void check_dir(const char *path, bool files)
{
	struct node n;
	struct dirent_list l;
	char child[600];

	if (tree_resolve(path, &n) != 0 || n.type != N_DIR || tree_list(path, &n, &l) != 0)
		return;
	size_t cap = 1;
	for (size_t i = 0; i < l.count; i++)
		cap += strlen(l.items[i].name) + 3;
	char *text = malloc(cap), *p = text;
	for (size_t i = 0; text && i < l.count; i++)
		p += sprintf(p, "%c%s\n",
			     l.items[i].type == S_IFDIR	  ? 'd'
			     : l.items[i].type == S_IFLNK ? 'l'
							  : 'f',
			     l.items[i].name);
	if (text) {
		*p = '\0';
		struct seen *old = seen_find(path);
		char *was = old ? strdup(old->text) : NULL, *now = strdup(text);
		if (seen_update(path, text, true) == 1 && was && now)
			replay_entry_changes(path, was, now);
		free(was);
		free(now);
	}
	for (size_t i = 0; files && i < l.count; i++) {
		struct node cn;
		if (l.items[i].type != S_IFREG)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, l.items[i].name);
		if (tree_resolve(child, &cn) == 0)
			check_file(child, &cn);
	}
	free(l.items);
}

/* check_dir for a directory, its attribute files and every directory below it. */
static void check_tree(const char *path)
{
	struct node n;
	struct dirent_list l;
	char child[600];

	check_dir(path, true);
	if (tree_resolve(path, &n) != 0 || n.type != N_DIR || tree_list(path, &n, &l) != 0)
		return;
	for (size_t i = 0; i < l.count && !rp.quit; i++)
		if (l.items[i].type == S_IFDIR) {
			snprintf(child, sizeof(child), "%s/%s", path, l.items[i].name);
			check_tree(child);
		}
	free(l.items);
}

/* Every session's directories that depend on requests and drives. */
static void check_sessions(const char *sub)
{
	struct rsm_names names;
	char path[300];

	if (rsm_list(fs_global.eng, RSM_KIND_SESSION, NULL, &names) != ERROR_SUCCESS)
		return;
	for (size_t i = 0; i < names.count && !rp.quit; i++) {
		snprintf(path, sizeof(path), "sessions/%s%s%s", names.names[i], sub[0] ? "/" : "",
			 sub);
		check_dir(path, false);
	}
	rsm_names_free(&names);
}

static void check_pool_media(void)
{
	struct rsm_names names;
	char path[300];

	if (rsm_list(fs_global.eng, RSM_KIND_POOL, NULL, &names) != ERROR_SUCCESS)
		return;
	for (size_t i = 0; i < names.count && !rp.quit; i++) {
		snprintf(path, sizeof(path), "pools/%s/media", names.names[i]);
		check_dir(path, false);
	}
	rsm_names_free(&names);
}

/* A request that came or went: its directory, and its link in its session's requests/.
 * Requests are many (every mount makes one, and they stay for the retention time), so these
 * are replayed from the event itself rather than by comparing listings that grow with them;
 * the listings' cached texts are dropped, so that a later comparison starts afresh. */
static void replay_request_entry(const struct rsm_event *ev)
{
	char session[RSM_NAME_MAX + 1] = "", link[600], file[600];
	struct rsm_request_info ri;
	uint64_t number = strtoull(ev->path + strlen("requests/"), NULL, 10);

	if (ev->op == RSM_EV_INSERT) {
		if (rsm_request_info(fs_global.eng, number, &ri) == ERROR_SUCCESS)
			snprintf(session, sizeof(session), "%s", ri.session);
	} else {
		/* the request is gone: its session is what its session file last read */
		snprintf(file, sizeof(file), "%s/session", ev->path);
		struct seen *was = seen_find(file);
		if (was)
			snprintf(session, sizeof(session), "%.*s", (int)strcspn(was->text, "\n"),
				 was->text);
	}
	seen_drop("requests");
	snprintf(link, sizeof(link), "sessions/%s/requests", session);
	seen_drop(link);
	snprintf(link, sizeof(link), "sessions/%s/requests/%s", session,
		 ev->path + strlen("requests/"));
	if (ev->op == RSM_EV_INSERT) {
		struct node n;
		replay_create(ev->path, S_IFDIR, NULL);
		check_tree(ev->path); /* what it holds is the baseline for its changes */
		if (session[0] && tree_resolve(link, &n) == 0)
			replay_create(link, S_IFLNK, n.target);
	} else {
		replay_remove(ev->path, S_IFDIR);
		if (session[0])
			replay_remove(link, S_IFLNK);
	}
	if (session[0]) {
		snprintf(link, sizeof(link), "sessions/%s", session);
		check_dir(link, false); /* its last link */
	}
}

/* What one engine event may have changed, compared and replayed. */
static void replay_event(const struct rsm_event *ev)
{
	const char *top = ev->type == RSM_OBJ_OPREQ   ? "opreqs"
			  : ev->type == RSM_OBJ_MEDIA ? "media"
						      : NULL;
	struct node n;

	if ((ev->type == RSM_OBJ_SESSION || ev->type == RSM_OBJ_POOL) && ev->op == RSM_EV_DELETE) {
		/* these go by the user's own rmdir, which the kernel saw */
		seen_forget(ev->path);
		return;
	}
	if (ev->type == RSM_OBJ_REQUEST && (ev->op == RSM_EV_INSERT || ev->op == RSM_EV_DELETE) &&
	    strncmp(ev->path, "requests/", 9) == 0) {
		replay_request_entry(ev);
		return;
	}
	if (top && (ev->op == RSM_EV_INSERT || ev->op == RSM_EV_DELETE))
		check_dir(top, false);
	if (ev->op != RSM_EV_DELETE && tree_resolve(ev->path, &n) == 0) {
		if (n.type == N_DIR)
			check_tree(ev->path);
		else
			check_file(ev->path, &n);
	}
	if (ev->type == RSM_OBJ_DRIVE)
		check_sessions("mounts");
	else if (ev->type == RSM_OBJ_MEDIA)
		check_pool_media();
}

/* Takes the current state of the small, long-lived parts of the tree as the baseline
 * (requests are many and mostly finished: each is taken when it is first seen). */
static void baseline(void)
{
	static const char *const tops[] = {"libraries", "drives", "media", "pools", "opreqs"};

	for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++)
		check_tree(tops[t]);
}

/* How far past the event it takes the thread looks for updates that event's comparison will
 * cover: the events of one burst sit together, and a longer look would cost a pass over a long
 * queue for every event. */
#define COVERED_WINDOW 64

/* Drops the queued updates of the path of q, the event about to be compared (rp.lock held):
 * that comparison sees the state they announce, so a request's INSERT, UPDATE and COMPLETE of
 * one burst are one pass over its files instead of three.  The look stops at the path's next
 * INSERT or DELETE, whose replay must happen in its turn. */
static void drop_covered(const struct queued_event *q)
{
	struct queued_event **pp = &rp.head, *last = NULL;

	for (int seen = 0; *pp && seen < COVERED_WINDOW; seen++) {
		struct queued_event *e = *pp;
		bool same = e->ev.type == q->ev.type && strcmp(e->ev.path, q->ev.path) == 0;
		if (same && (e->ev.op == RSM_EV_INSERT || e->ev.op == RSM_EV_DELETE))
			break;
		if (same) {
			*pp = e->next;
			free(e);
			continue;
		}
		last = e;
		pp = &e->next;
	}
	if (!*pp)
		rp.tail = last;
}

static void *replay_main(void *arg)
{
	(void)arg;
	baseline();
	pthread_mutex_lock(&rp.lock);
	rp.running = true;
	pthread_cond_broadcast(&rp.cond);
	while (!rp.quit) {
		struct queued_event *q = rp.head;
		if (!q) {
			pthread_cond_wait(&rp.cond, &rp.lock);
			continue;
		}
		rp.head = q->next;
		if (!rp.head)
			rp.tail = NULL;
		if (q->ev.op != RSM_EV_DELETE)
			drop_covered(q);
		pthread_mutex_unlock(&rp.lock);
		replay_event(&q->ev);
		free(q);
		pthread_mutex_lock(&rp.lock);
	}
	rp.exited = true;
	pthread_cond_broadcast(&rp.cond);
	pthread_mutex_unlock(&rp.lock);
	return NULL;
}

/* The engine's observer: queues the event for the thread (engine thread, no engine lock). */
static void replay_observe(void *ctx, const struct rsm_event *ev)
{
	struct queued_event *q = malloc(sizeof(*q));

	(void)ctx;
	if (!q)
		return;
	q->ev = *ev;
	q->next = NULL;
	pthread_mutex_lock(&rp.lock);
	if (rp.quit) {
		pthread_mutex_unlock(&rp.lock);
		free(q);
		return;
	}
	if (rp.tail)
		rp.tail->next = q;
	else
		rp.head = q;
	rp.tail = q;
	pthread_cond_signal(&rp.cond);
	pthread_mutex_unlock(&rp.lock);
}

int replay_start(void)
{
	rp.cmd_fd = rp.ack_fd = -1;
	rp.hands = hands_start();
	if (rp.hands < 0)
		return -1;
	if (pthread_create(&rp.thread, NULL, replay_main, NULL) != 0)
		return -1;
	pthread_mutex_lock(&rp.lock);
	while (!rp.running)
		pthread_cond_wait(&rp.cond, &rp.lock);
	pthread_mutex_unlock(&rp.lock);
	rsm_set_observer(fs_global.eng, replay_observe, NULL);
	return 0;
}

/* Waits up to ms for the child to exit; true when it has. */
static bool hands_exited(int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(rp.hands, NULL, WNOHANG) == rp.hands)
			return true;
		usleep(10000);
	}
	return false;
}

/* Stops the thread and the child.  The thread stops waiting for the child's acknowledgement
 * (ack_wait); a child caught in a call that the daemon will no longer answer (the session loop
 * has ended) is killed, and dies when the unmount fails that call. */
void replay_stop(void)
{
	struct timespec ts;
	bool exited;

	if (!rp.running)
		return;
	rsm_set_observer(fs_global.eng, NULL, NULL);
	pthread_mutex_lock(&rp.lock);
	rp.quit = true;
	pthread_cond_broadcast(&rp.cond);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 300 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!rp.exited)
		if (pthread_cond_timedwait(&rp.cond, &rp.lock, &ts) == ETIMEDOUT)
			break;
	exited = rp.exited;
	pthread_mutex_unlock(&rp.lock);
	if (!exited)
		kill(rp.hands, SIGKILL);
	pthread_join(rp.thread, NULL);
	if (rp.cmd_fd >= 0)
		close(rp.cmd_fd); /* the child's end of work */
	if (!hands_exited(500)) {
		kill(rp.hands, SIGKILL);
		hands_exited(100);
	}
	close(rp.ack_fd);
	pthread_mutex_lock(&rp.lock);
	while (rp.head) {
		struct queued_event *q = rp.head;
		rp.head = q->next;
		free(q);
	}
	rp.tail = NULL;
	pthread_mutex_unlock(&rp.lock);
	pthread_mutex_lock(&rp.polled_lock);
	while (rp.polled) {
		struct fh *fh = rp.polled;
		rp.polled = fh->poll_next;
		fh->poll_listed = false;
		pthread_mutex_unlock(&rp.polled_lock);
		fh_put(fh);
		pthread_mutex_lock(&rp.polled_lock);
	}
	pthread_mutex_unlock(&rp.polled_lock);
}
