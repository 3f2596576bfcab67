/* attrs.c - the attributes the kernel keeps (rsmfs(5), CACHING).
 *
 * Without them every stat and every open of a value costs the kernel a GETATTR.  The kernel
 * keeps a file's attributes where the file's size changes only with its object's events: the
 * files of libraries, requests and operator requests (ATTR_TIMEOUT), drives and media
 * (LASTING_TIMEOUT: they never go, and a listing of every medium should find them kept).  A kept
 * file is noted on its object's list (inode.c); each event takes the lists of the objects it may
 * have changed (attrs_hold, under the engine lock, after the change is made in memory) and
 * holds the event back from the channels until the notifier thread has told the kernel to drop
 * them (park.c) and released it, so nobody who hears of a change can see a size from before
 * it.  An event with nothing kept goes out at once.
 *
 * A reply rendered before the change and answered after the drop cannot bring the old size
 * back: the drop advances the kernel's attribute version, and the kernel throws away a reply
 * to a request sent before it.  That holds for an inode the kernel has; a lookup's reply for
 * one it has not makes it a moment after the reply, and a drop meanwhile finds nothing to
 * drop (the kernel answers ENOENT).  So a drop that finds no inode where a lookup was answered
 * waits for the kernel to make it (attrs_drop_ino): without that wait, a reader racing a
 * process whose lookups made the file's inode over and over saw a size from before a change
 * it had heard of within a hundred changes (tests/tools/staleread fresh).  The replay's own
 * calls keep nothing: they run a change behind everyone's.
 *
 * Two more races are the kernel's own.  Taking a reply, it marks the attributes valid (clears
 * the mark a drop set, then sets the time they are kept until) before it stores the size, and
 * a drop leaves that time as it was.  So a stat in another thread in between finds the old size
 * valid: (1) when the reply is kept, the size the kernel held before it; (2) when a kept time
 * outlived the drop, the old size, whatever the reply.
 *
 * (1): after a drop nothing is kept until the kernel is known to hold the new size
 * (inode_attrs_settled): one thread asked twice, each answered with nothing kept, the second
 * asked after the first was stored.  Whatever moves the file's attribute version makes the
 * kernel throw away answers to questions asked before it, and starts the count again: a drop,
 * and a write through the mount (the hands' IN_MODIFY, hands_modify).
 *
 * (2): a file that may have been kept since its last settle is settled at its next change
 * before anyone hears of it: the notifier's settler, a child process (helper.c), stats it
 * afresh (an answer never kept, whose time is already past) and reads the kernel's own copy of
 * its size until it is the new one (attrs_drop_settled); the replay settles a file through its
 * hands before it wakes a poller or replays IN_MODIFY (attrs_drop_changed).  A settle is clean
 * when nothing that may be kept was answered and nothing moved the version from the drop to
 * its end: the kernel's time is then behind it, and the next change needs none; otherwise the
 * file stays listed and is settled again.  A file nobody stats costs its changes nothing.
 * With (1) alone, a process stating in a tight loop made a reader who had heard of the change
 * see the old size about once in 100,000 changes on a slow (sanitized) build; without either,
 * every few thousand.
 *
 * A stat costs a lookup only when the entry has expired; the entries of libraries, drives and
 * media are kept LASTING_TIMEOUT, and one that goes is dropped with its event, as its
 * attributes are.
 * Sessions, pools (their owner and mode change with chmod), links, the root's files and the
 * views drawn from many objects (a library's map) are never kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helper.h"
#include "tree.h"

/* A drop that finds no inode the kernel has been told of retries every DROP_RETRY_US until
 * the kernel has made it, for DROP_RETRY_MAX_US at most (attrs_drop_ino). */
#define DROP_RETRY_US 50
#define DROP_RETRY_MAX_US 200000

/* The settles sent to the settler before its acknowledgements are waited for. */
#define SETTLE_BATCH 16

/* The notifier's settler: a child that makes the kernel hold a dropped file's new size before
 * the change's event goes out (attrs_drop_settled). */
static struct helper settler = HELPER_INIT;

/* The objects whose files may be kept, and what their events change: the subtree's name. */
static const char *const kept_areas[] = {"libraries", "drives", "media", "requests", "opreqs"};

/* The key of path's object into key: a library's files are one list ("libraries"), as its
 * slots, stats and state follow its drives' and media's events as well as its own; any other
 * object is its directory (drives/d0, media/T00001L6 for its sides too).  False when path is
 * in no area that is kept. */
static bool object_key(const char *path, char *key, size_t len)
{
	size_t top = strcspn(path, "/");

	for (size_t i = 0; i < sizeof(kept_areas) / sizeof(kept_areas[0]); i++) {
		if (strlen(kept_areas[i]) != top || strncmp(path, kept_areas[i], top) != 0)
			continue;
		if (i != 0 && path[top])
			top += 1 + strcspn(path + top + 1, "/");
		if (top >= len)
			return false;
		memcpy(key, path, top);
		key[top] = '\0';
		return true;
	}
	return false;
}

/* Whether path is in an object that lives as long as the daemon: a library, a drive or a
 * medium (requests and operator requests go), or is one of their top directories. */
static bool lasting(const char *path)
{
	static const char *const tops[] = {"libraries", "drives", "media"};

	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		size_t len = strlen(tops[i]);
		if (strncmp(path, tops[i], len) == 0 && (path[len] == '/' || path[len] == '\0'))
			return true;
	}
	return false;
}

/* Whether the kernel may keep the attributes of path's files long: a drive's or a medium's,
 * which change only with their own object's events.  A library's follow every event, and its
 * views are drawn from many objects: they keep the short timeout. */
static bool lasting_files(const char *path)
{
	return strncmp(path, "drives/", 7) == 0 || strncmp(path, "media/", 6) == 0;
}

double entry_timeout(const char *path)
{
	return lasting(path) ? LASTING_TIMEOUT : ENTRY_TIMEOUT;
}

/* Whether the kernel may keep n's attributes: a value read but never written, not drawn from
 * many objects, or a ctl file, owned by the daemon (not a session's or a pool's). */
static bool keepable(const struct node *n)
{
	if (n->kind->owner != OWN_DAEMON && n->kind->owner != OWN_ADMIN_GROUP)
		return false;
	if (n->type == N_CTL)
		return true;
	return n->type == N_FILE && !n->kind->write && n->kind->render != render_map_text &&
	       n->kind->render != render_map_svg;
}

double attr_timeout(fuse_ino_t ino, const char *path, const struct node *n)
{
	char key[FS_PATH_MAX];

	/* a directory's mode and owner change only by setattr, whose reply refreshes them, and
	 * those of the root, libraries, drives and media never (every path walk checks the
	 * root's: kept half a second, a walk after a pause cost a getattr) */
	if (n->type == N_DIR)
		return path[0] ? entry_timeout(path) : LASTING_TIMEOUT;
	if (!keepable(n) || !object_key(path, key, sizeof(key)))
		return 0;
	/* nothing to drop for a value that never changes (a ctl file's attributes, an id) of an
	 * object that never goes: a change of the drive then holds no event back for them */
	double keep = lasting_files(path) ? LASTING_TIMEOUT : ATTR_TIMEOUT;
	if ((n->type == N_CTL || n->kind->fixed) && lasting(path))
		return keep;
	return inode_keep(ino, path, key) ? keep : 0;
}

bool attrs_follow_events(const char *path, const struct node *n)
{
	char key[FS_PATH_MAX];

	return keepable(n) && object_key(path, key, sizeof(key));
}

bool attrs_hold(void *ctx, const struct rsm_event *ev)
{
	char key[FS_PATH_MAX];
	fuse_ino_t *inos = NULL;
	size_t cap = 0, n = 0;

	(void)ctx;
	/* every event may change a library's files (a drive's mount moves its stats) */
	n = inode_take_kept("libraries", &inos, &cap, n);
	if (object_key(ev->path, key, sizeof(key)) && strcmp(key, "libraries") != 0)
		n = inode_take_kept(key, &inos, &cap, n);
	/* a library, drive or medium that goes: its entry is kept long (entry_timeout) */
	const char *gone = ev->op == RSM_EV_DELETE && lasting(ev->path) ? ev->path : NULL;
	if (!n && !gone)
		return false;
	if (!notifier_invalidate(ev->seq, inos, n, gone)) {
		free(inos); /* no notifier: the mount is gone, and nothing is kept any more */
		return false;
	}
	return true;
}

bool attrs_drop_ino(fuse_ino_t ino)
{
	int rc = -ENOENT;

	if (!ino || !fs_global.se)
		return false;
	/* unsettled before the drop, so that no answer kept long is given from here on; and a
	 * generation again after it, so that an answer given during the drop (perhaps to a
	 * question asked before it, which the kernel throws away) settles nothing */
	inode_unsettle(ino);
	for (int waited_us = 0;; waited_us += DROP_RETRY_US) {
		rc = fuse_lowlevel_notify_inval_inode(fs_global.se, ino, -1, 0);
		/* ENOENT: the kernel holds no such inode.  If a lookup of it was answered, the
		 * kernel is about to make it from that reply, whose size may be from before the
		 * change: the drop must reach it, so it waits until the inode is made (the caller
		 * is the notifier or the replay thread, never a request's).  Not once the loop
		 * has ended: the kernel's forgets are read no more, and the mount is going. */
		if (rc != -ENOENT || !inode_looked_up(ino) || waited_us >= DROP_RETRY_MAX_US ||
		    fuse_session_exited(fs_global.se))
			break;
		nanosleep(&(struct timespec){.tv_nsec = DROP_RETRY_US * 1000L}, NULL);
	}
	inode_unsettle(ino);
	return rc == 0;
}

/* Drops inode ino, path's file (node n), and starts its settle when one is needed: true when
 * the kernel has the file, may keep its attributes, and may hold an expiry still ahead from
 * an answer kept since its last clean settle (or one is under way). */
static bool drop_to_settle(fuse_ino_t ino, const char *path, const struct node *n,
			   struct settle_mark *m)
{
	/* read before the drop: an answer kept between the drop and the settle's own fresh one
	 * may be the one the kernel stores last */
	uint32_t keep_gen = inode_keep_gen(ino);

	return attrs_drop_ino(ino) && n->type == N_FILE && attrs_follow_events(path, n) &&
	       inode_settle_begin(ino, keep_gen, m);
}

/* Ends the settle of inode ino (path) begun with m: done, whether the child saw the new size.
 * One that was not clean leaves the file on its object's list, for the next change. */
static void settle_end(fuse_ino_t ino, const char *path, const struct settle_mark *m, bool done)
{
	char key[FS_PATH_MAX];

	if (inode_settle_end(ino, m, done) && object_key(path, key, sizeof(key)))
		inode_relist(ino, path, key);
}

bool attrs_drop_changed(const char *path, const struct node *n, struct attrs_settle *s)
{
	s->ino = inode_peek(path);
	return drop_to_settle(s->ino, path, n, &s->mark);
}

void attrs_settle_done(const char *path, const struct attrs_settle *s, bool done)
{
	settle_end(s->ino, path, &s->mark, done);
}

bool attrs_settler_call(fuse_req_t req)
{
	return helper_is_caller(&settler, fuse_req_ctx(req)->pid);
}

int attrs_settler_start(void)
{
	return helper_start(&settler);
}

void attrs_settler_stop(void)
{
	helper_stop(&settler);
}

/* A settle sent to the settler, ended when its acknowledgement comes. */
struct sent_settle {
	fuse_ino_t ino;
	struct settle_mark mark;
	char path[FS_PATH_MAX];
};

/* Drops inode ino and, when it needs one, sends the settler its settle (the length of the
 * file's value now) into out; true when one was sent. */
static bool drop_and_send(fuse_ino_t ino, struct sent_settle *out)
{
	char *text AUTO_FREE = NULL;
	struct node n;
	size_t size;

	if (!inode_path(ino, out->path, sizeof(out->path)) || tree_resolve(out->path, &n) != 0) {
		attrs_drop_ino(ino); /* gone: nothing to settle */
		return false;
	}
	if (!drop_to_settle(ino, out->path, &n, &out->mark))
		return false;
	out->ino = ino;
	if (render_node(&n, &text, &size) == 0 && helper_send_settle(&settler, out->path, size))
		return true;
	settle_end(ino, out->path, &out->mark, false);
	return false;
}

void attrs_drop_settled(const fuse_ino_t *inos, size_t n)
{
	struct sent_settle sent[SETTLE_BATCH]; /* the notifier's stack: 16 paths */
	bool done[SETTLE_BATCH];
	size_t count = 0;

	/* the settler works on one while this drops the next; a bounded batch, so that a settler
	 * stuck in a call nobody answers cannot fill its pipe and hold the notifier */
	for (size_t i = 0; i < n; i++) {
		if (drop_and_send(inos[i], &sent[count]))
			count++;
		if (count == SETTLE_BATCH || (i + 1 == n && count)) {
			helper_wait(&settler, count, done);
			for (size_t k = 0; k < count; k++)
				settle_end(sent[k].ino, sent[k].path, &sent[k].mark, done[k]);
			count = 0;
		}
	}
}
