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
 * One more race is the kernel's own.  A drop marks the kept attributes stale but leaves the
 * time they were to be kept until; taking its next reply, the kernel first clears the mark,
 * then sets the new time, then stores the size.  A stat in another thread that looks in
 * between finds the attributes unmarked, the old time still ahead, and the old size.  So no
 * event goes out until the kernel holds the new size (attrs_drop_settled): the notifier's
 * settler, a child process (helper.c), reads the kernel's own copy of the size and, while it is
 * not the new one, stats the file afresh, whose reply the kernel stores; the replay settles a
 * file through its hands before it wakes a poller or replays IN_MODIFY (attrs_drop_changed).
 * Once the kernel holds the new size, any reply it takes later shows nothing older.  The time
 * outlives the drop, so a dropped file stays on its object's list: the next change settles it
 * again, even when no answer came between.  Before the settle, a process stating in a tight
 * loop made a reader who had heard of the change see the old size every few thousand changes;
 * with a rule that kept nothing after a drop until a thread had been answered twice, about
 * once in 100,000 changes on a slow (sanitized) build.
 *
 * A stat costs a lookup only when the entry has expired; the entries of libraries, drives and
 * media are kept LASTING_TIMEOUT, and one that goes is dropped with its event, as its
 * attributes are.
 * Sessions, pools (their owner and mode change with chmod), links, the root's files and the
 * views drawn from many objects (a library's map) are never kept.
 */
#include <errno.h>
#include <stdio.h>
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
	return rc == 0;
}

/* After a drop the kernel still holds the old expiry of what it kept, and the first answer it
 * stores opens the window again (see the header) - for the next change too, when no answer
 * came between: so a file that was dropped stays on its object's list, and that change drops
 * and settles it again.  True when the kernel has path's file (inode ino, node n) and may keep
 * its attributes: it is then to be settled. */
static bool drop_kept(fuse_ino_t ino, const char *path, const struct node *n)
{
	char key[FS_PATH_MAX];

	if (!attrs_drop_ino(ino) || n->type != N_FILE || !attrs_follow_events(path, n) ||
	    !object_key(path, key, sizeof(key)))
		return false;
	inode_keep(ino, path, key);
	return true;
}

bool attrs_drop_changed(const char *path, const struct node *n)
{
	return drop_kept(inode_peek(path), path, n);
}

int attrs_settler_start(void)
{
	return helper_start(&settler);
}

void attrs_settler_stop(void)
{
	helper_stop(&settler);
}

/* Drops inode ino and sends the settler its settle: the length of the file's value now; true
 * when one was sent. */
static bool drop_and_send(fuse_ino_t ino)
{
	char path[FS_PATH_MAX], arg[24];
	char *text AUTO_FREE = NULL;
	struct node n;
	size_t size;

	if (!inode_path(ino, path, sizeof(path)) || tree_resolve(path, &n) != 0) {
		attrs_drop_ino(ino); /* gone: nothing to settle */
		return false;
	}
	if (!drop_kept(ino, path, &n) || render_node(&n, &text, &size) != 0)
		return false;
	snprintf(arg, sizeof(arg), "%zu", size);
	return helper_send(&settler, 's', path, arg);
}

void attrs_drop_settled(const fuse_ino_t *inos, size_t n)
{
	size_t sent = 0;

	/* the settler works on one while this drops the next; a bounded batch, so that a settler
	 * stuck in a call nobody answers cannot fill its pipe and hold the notifier */
	for (size_t i = 0; i < n; i++) {
		if (drop_and_send(inos[i]))
			sent++;
		if (sent == SETTLE_BATCH || (i + 1 == n && sent)) {
			helper_wait(&settler, sent);
			sent = 0;
		}
	}
}
