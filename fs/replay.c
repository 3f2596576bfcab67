/* replay.c - inotify and poll for changes the engine makes.
 *
 * The kernel sends inotify events for FUSE only when a change comes through the VFS.  The
 * engine's changes do not, so this thread replays each one through the mount: a one-byte
 * write to an attribute file whose value changed (IN_MODIFY), mkdir/symlink of an entry that
 * appeared (IN_CREATE), rmdir/unlink of one that went (IN_DELETE) (rsmfs(5), WATCHERS).  A
 * child process makes the calls, and the file system knows them and lets them pass without
 * effect (hands.c).  To know what changed, the thread keeps the last rendering of every file and
 * directory it has seen and compares after each engine event (a library's map, drawn from many
 * objects, once a burst of events is over).  The same comparison wakes poll() on
 * attribute files (POLLPRI|POLLERR, sysfs style), after what the kernel keeps of the file's
 * attributes is dropped.  Kernel notifications go out from this thread and the notifier thread
 * only, never from a request handler.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hands.h"
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

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, quit, exited;
	struct queued_event *head, *tail;
	struct seen **cache; /* chained, grown to keep chains short */
	size_t buckets, cached;
	pthread_mutex_t polled_lock;
	struct fh *polled; /* attribute files with a poll handle, linked by poll_next */
} rp = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .polled_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- the cache of what was last seen ---- */

/* djb2 of a path. */
static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* The cache bucket of hash h. */
static struct seen **bucket_of(unsigned h)
{
	return &rp.cache[h & (rp.buckets - 1)];
}

/* What was last seen of path, or NULL. */
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

/* An entry the engine made: the kernel forgets what it cached of the name, then the hands
 * make it. */
static void replay_create(const char *path, mode_t type, const char *target)
{
	invalidate_entry(path);
	hands_create(path, type, target);
}

/* An entry the engine removed, and everything seen under it. */
static void replay_remove(const char *path, mode_t type)
{
	hands_remove(path, type);
	seen_forget(path);
}

/* ---- poll on attribute files ---- */

/* Lists an attribute file with a poll handle for the comparisons to wake (one reference). */
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

/* Unlists a released file. */
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
		if ((fh->ph || fh->poll_asked) &&
		    (fh->snap_len != len || memcmp(fh->snap, now, len))) {
			ph = fh->ph;
			fh->ph = NULL;
			fh->poll_asked = false;
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

/* Compares an attribute file with what was seen: wakes its pollers and replays IN_MODIFY. */
static void check_file(const char *path, const struct node *n)
{
	char *text;
	size_t len;

	/* a value that never changes while its object lives has nothing to compare, and a site
	 * with 100,000 media would otherwise keep half a million renderings of them */
	if (n->type != N_FILE || n->kind->fixed || render_node(n, &text, &len) != 0)
		return;
	/* a poller or watcher woken next must not stat the size from before the change: this
	 * thread may run ahead of the notifier's drop of it (attrs.c) */
	struct seen *was = seen_find(path);
	struct attrs_settle settle;
	if ((!was || strcmp(was->text, text) != 0) && attrs_drop_changed(path, n, &settle))
		attrs_settle_done(path, &settle, hands_settle(path, len));
	poll_check(path, text, len);
	if (seen_update(path, text, false) == 1)
		hands_modify(path);
}

/* qsort order of directory lines, by name. */
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

/* A directory's rendering: one line "<type><name>" per entry, type d, l or f; malloc'd. */
static char *listing_text(const struct dirent_list *l)
{
	size_t cap = 1;

	for (size_t i = 0; i < l->count; i++)
		cap += strlen(l->items[i].name) + 3;
	char *text = malloc(cap), *p = text;
	if (!text)
		return NULL;
	for (size_t i = 0; i < l->count; i++)
		p += sprintf(p, "%c%s\n",
			     l->items[i].type == S_IFDIR   ? 'd'
			     : l->items[i].type == S_IFLNK ? 'l'
							   : 'f',
			     l->items[i].name);
	*p = '\0';
	return text;
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
	char *text = listing_text(&l);
	if (text) {
		struct seen *old = seen_find(path);
		char *was AUTO_FREE = old ? strdup(old->text) : NULL;
		char *now AUTO_FREE = strdup(text);
		if (seen_update(path, text, true) == 1 && was && now)
			replay_entry_changes(path, was, now);
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

/* Every pool's media/ (a medium changed pools). */
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

/* ---- views drawn from many objects ---- */

/* A library's files whose value comes from its slots, ports, drives and media as well as from
 * the library itself (rsmfs(5), libraries/lib/map).  Their own object's events are not enough
 * to say when they change: they are compared after the events of everything they show, once
 * per burst (views_flush), as a large library's map costs more than one event's comparison. */
static const char *const library_views[] = {"map", "map.svg"};

#define VIEWS_MAX 32	/* libraries remembered one by one; past that, every one */
#define VIEWS_EVERY 256 /* events at most between two comparisons, in a long burst */

static struct {
	bool all;
	int n, events;
	char names[VIEWS_MAX][RSM_NAME_MAX + 1];
} views; /* the replay thread's alone */

/* The library an event's path names: libraries/<l>[/...]; false when it names none. */
static bool library_of_path(const struct rsm_event *ev, char *lib)
{
	const char *p = ev->path + strlen("libraries/");

	if (strncmp(ev->path, "libraries/", strlen("libraries/")) != 0)
		return false;
	snprintf(lib, RSM_NAME_MAX + 1, "%.*s", (int)strcspn(p, "/"), p);
	return true;
}

/* The library of the drive an event names. */
static bool library_of_drive(const struct rsm_event *ev, char *lib)
{
	struct rsm_drive_info di;

	if (strncmp(ev->path, "drives/", 7) != 0 ||
	    rsm_drive_info(fs_global.eng, ev->path + 7, &di) != ERROR_SUCCESS)
		return false;
	snprintf(lib, RSM_NAME_MAX + 1, "%s", di.library);
	return true;
}

/* The library of the medium an event names (its sides' events included). */
static bool library_of_medium(const struct rsm_event *ev, char *lib)
{
	struct rsm_medium_info mi;
	char name[RSM_NAME_MAX + 1];
	const char *p = ev->path + 6;

	if (strncmp(ev->path, "media/", 6) != 0)
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, "/"), p);
	if (rsm_medium_info(fs_global.eng, name, &mi) != ERROR_SUCCESS)
		return false;
	snprintf(lib, RSM_NAME_MAX + 1, "%s", mi.library);
	return true;
}

/* The events whose objects a library's views show, and how each finds its library; an event
 * whose library cannot be found (its object has gone) touches every library's views.  The
 * library's own events compare every file of its directory already. */
static bool (*const view_sources[RSM_OBJ_COUNT])(const struct rsm_event *ev, char *lib) = {
    [RSM_OBJ_SLOT] = library_of_path,	 [RSM_OBJ_PORT] = library_of_path,
    [RSM_OBJ_DOOR] = library_of_path,	 [RSM_OBJ_DRIVE] = library_of_drive,
    [RSM_OBJ_MEDIA] = library_of_medium,
};

/* Notes the library whose views an event may have changed. */
static void views_touch(const struct rsm_event *ev)
{
	char lib[RSM_NAME_MAX + 1];

	if ((unsigned)ev->type >= RSM_OBJ_COUNT || !view_sources[ev->type])
		return;
	views.events++;
	if (views.all)
		return;
	if (!view_sources[ev->type](ev, lib) || views.n == VIEWS_MAX) {
		views.all = true;
		return;
	}
	for (int i = 0; i < views.n; i++)
		if (strcmp(views.names[i], lib) == 0)
			return;
	snprintf(views.names[views.n++], RSM_NAME_MAX + 1, "%s", lib);
}

/* Compares the views of one library. */
static void views_check(const char *lib)
{
	char path[RSM_NAME_MAX + 32];
	struct node n;

	for (size_t i = 0; i < sizeof(library_views) / sizeof(library_views[0]); i++) {
		snprintf(path, sizeof(path), "libraries/%s/%s", lib, library_views[i]);
		if (tree_resolve(path, &n) == 0)
			check_file(path, &n);
	}
}

/* Compares the views of the libraries noted since the last time. */
static void views_flush(void)
{
	if (views.all) {
		struct rsm_names names AUTO_NAMES = {0};
		if (rsm_list(fs_global.eng, RSM_KIND_LIBRARY, NULL, &names) == ERROR_SUCCESS)
			for (size_t i = 0; i < names.count && !rp.quit; i++)
				views_check(names.names[i]);
	}
	for (int i = 0; !views.all && i < views.n && !rp.quit; i++)
		views_check(views.names[i]);
	views.all = false;
	views.n = views.events = 0;
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
	if (ev->type == RSM_OBJ_DRIVE) {
		check_sessions("mounts");
		check_sessions("drives");
	} else if (ev->type == RSM_OBJ_MEDIA)
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

/* The thread: the baseline, then one engine event at a time. */
static void *replay_main(void *arg)
{
	(void)arg;
	baseline();
	pthread_mutex_lock(&rp.lock);
	rp.running = true;
	pthread_cond_broadcast(&rp.cond);
	while (!rp.quit) {
		struct queued_event *q = rp.head;
		if (!q && views.events) {
			/* the burst is over: the views it touched */
			pthread_mutex_unlock(&rp.lock);
			views_flush();
			pthread_mutex_lock(&rp.lock);
			continue;
		}
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
		views_touch(&q->ev);
		if (views.events >= VIEWS_EVERY)
			views_flush();
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

bool replay_poll_kick(const char *path)
{
	struct rsm_event ev = {.op = RSM_EV_UPDATE, .type = RSM_OBJ_ALL};

	if (!rp.running || rp.quit || strlen(path) >= sizeof(ev.path))
		return false;
	memcpy(ev.path, path, strlen(path) + 1);
	replay_observe(NULL, &ev);
	return true;
}

/* Starts the child and the thread, and takes the baseline before the first event. */
int replay_start(void)
{
	if (hands_start() < 0)
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

/* Asks the thread to stop and waits up to 300 ms for it; true when it has ended its loop.
 * The hands stop waiting for the child's acknowledgement (ack_wait). */
static bool thread_quit(void)
{
	struct timespec ts;
	bool exited;

	pthread_mutex_lock(&rp.lock);
	rp.quit = true;
	hands_quit();
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
	return exited;
}

/* Frees the events still queued and lets go of the polled files. */
static void drop_queues(void)
{
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

/* Stops the thread and the child.  A child caught in a call that the daemon will no longer
 * answer (the session loop has ended) is killed, and dies when the unmount fails that call. */
void replay_stop(void)
{
	if (!rp.running)
		return;
	rsm_set_observer(fs_global.eng, NULL, NULL);
	if (!thread_quit())
		hands_kill();
	pthread_join(rp.thread, NULL);
	hands_stop();
	drop_queues();
}
