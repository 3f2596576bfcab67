/* files.c - open files and directories: the handle an open makes (struct fh, which keeps the
 * node resolved at open and so its kind), and what read, poll and release do with each type
 * of node.
 *
 * Every file is synthetic and served with direct I/O.  An attribute file serves one snapshot
 * to a sequential read (a read at offset 0 takes a new one); a ctl file is a stream of reply
 * lines; a channel parks its reads (park.c).  A directory is the snapshot taken at opendir.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

/* Files and directories still open: the kernel sends no RELEASE for them when the mount goes
 * away under an open descriptor, so shutdown frees what is left (fs_release_open_files). */
static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fh *open_files;
static struct dir_handle *open_dirs;

/* ---- the handle ---- */

/* Files the shutdown must release if the kernel does not (open_files). */
static void open_files_add(struct fh *fh)
{
	pthread_mutex_lock(&open_files_lock);
	fh->next = open_files;
	if (open_files)
		open_files->prev = fh;
	open_files = fh;
	pthread_mutex_unlock(&open_files_lock);
}

static void open_files_remove(struct fh *fh)
{
	pthread_mutex_lock(&open_files_lock);
	if (fh->prev)
		fh->prev->next = fh->next;
	else if (open_files == fh)
		open_files = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&open_files_lock);
}

/* Takes a reference on an open file (a parked write, a poll listing, an armed channel). */
void fh_get(struct fh *fh)
{
	pthread_mutex_lock(&fh->lock);
	fh->refs++;
	pthread_mutex_unlock(&fh->lock);
}

/* Drops a reference; the last frees the handle. */
void fh_put(struct fh *fh)
{
	pthread_mutex_lock(&fh->lock);
	int refs = --fh->refs;
	pthread_mutex_unlock(&fh->lock);
	if (refs)
		return;
	open_files_remove(fh);
	if (fh->ph)
		fuse_pollhandle_destroy(fh->ph);
	free(fh->snap);
	free(fh->replies);
	pthread_mutex_destroy(&fh->lock);
	free(fh);
}

/* A handle for node n at path, with the open's reference; NULL without memory. */
static struct fh *fh_new(const char *path, const struct node *n, int flags)
{
	struct fh *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	pthread_mutex_init(&fh->lock, NULL);
	fh->refs = 1;
	fh->node = *n;
	fh->flags = flags;
	snprintf(fh->path, sizeof(fh->path), "%s", path);
	return fh;
}

/* ---- attribute files ---- */

/* A read from the start takes a new snapshot; later offsets reuse it, so one sequential read
 * sees one rendering.  The first read of an open file is served the rendering of the open when
 * no event has been published since: it is the value now, and open, read and close cost one
 * rendering instead of two. */
static void attr_read(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	pthread_mutex_lock(&fh->lock);
	bool reuse =
	    off == 0 && fh->snap_reusable && rsm_event_count(fs_global.eng) == fh->snap_events;
	fh->snap_reusable = false;
	if (reuse) {
		fh->poll_changed = fh->poll_asked = false;
	} else if (off == 0 || !fh->snap) {
		free(fh->snap);
		fh->snap = NULL;
		fh->snap_len = 0;
		fh->poll_changed = fh->poll_asked = false;
		int rc = render_node(&fh->node, &fh->snap, &fh->snap_len);
		if (rc) {
			pthread_mutex_unlock(&fh->lock);
			fuse_reply_err(req, -rc);
			return;
		}
	}
	size_t start = (size_t)off < fh->snap_len ? (size_t)off : fh->snap_len;
	size_t n = fh->snap_len - start < size ? fh->snap_len - start : size;
	fuse_reply_buf(req, fh->snap ? fh->snap + start : NULL, n);
	pthread_mutex_unlock(&fh->lock);
}

/* Stores ph as the handle the replay thread wakes, and lists the file for it. */
static void attr_poll_arm(struct fh *fh, struct fuse_pollhandle *ph)
{
	pthread_mutex_lock(&fh->lock);
	struct fuse_pollhandle *old = fh->ph;
	fh->ph = ph;
	pthread_mutex_unlock(&fh->lock);
	if (old)
		fuse_pollhandle_destroy(old);
	replay_poll_add(fh);
}

/* An attribute file, sysfs style: POLLPRI|POLLERR once its value differs from what this
 * open file last read; the replay thread wakes the poller when it changes.  The handle is
 * stored and listed before the value is rendered here: a change the replay thread compares
 * after that finds the handle, and one it compared before is already in the rendering, so no
 * change falls between the two and leaves the poller asleep.  A change found here, not yet
 * told by the replay thread, is left for it to tell (replay_poll_kick): the size the kernel
 * keeps of the file may not be dropped yet (attrs.c), and a poller woken now could stat it.
 * A poll with no handle (a zero timeout) has nothing to be woken by: the file is listed
 * as asked, the replay thread marks it changed once it has told the change, and the
 * poller's next poll reports it. */
static void attr_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph)
{
	struct fuse_pollhandle *reclaimed = NULL;
	char *now AUTO_FREE = NULL;
	size_t len = 0;

	if (ph)
		attr_poll_arm(fh, ph);
	render_node(&fh->node, &now, &len);
	pthread_mutex_lock(&fh->lock);
	bool differs = now && (len != fh->snap_len || (len && memcmp(now, fh->snap, len) != 0));
	bool changed = fh->poll_changed, kick = false;
	if (!changed && differs) {
		kick = ph || !fh->poll_asked; /* a spinning poller asks the thread once */
		fh->poll_asked = fh->poll_asked || !ph;
	}
	pthread_mutex_unlock(&fh->lock);
	if (!changed && differs && !ph)
		replay_poll_add(fh);
	bool untold = kick && !replay_poll_kick(fh->path); /* no thread to tell it */
	pthread_mutex_lock(&fh->lock);
	fh->poll_changed = fh->poll_changed || untold;
	changed = changed || fh->poll_changed;
	/* answered now: the handle is not needed, unless the replay thread already took it */
	if (changed && ph && fh->ph == ph) {
		reclaimed = ph;
		fh->ph = NULL;
	}
	pthread_mutex_unlock(&fh->lock);
	if (reclaimed)
		fuse_pollhandle_destroy(reclaimed);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | (changed ? POLLPRI | POLLERR : 0));
}

/* The released file is no longer polled. */
static void attr_release(struct fh *fh)
{
	replay_poll_forget(fh);
}

/* A stream that is always ready: readable, and writable when it is a ctl file. */
static void stream_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph)
{
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | (fh->node.type == N_CTL ? POLLOUT : 0));
}

/* ---- I/O by node type ---- */

static const struct file_io {
	void (*read)(fuse_req_t req, struct fh *fh, size_t size, off_t off);
	void (*poll)(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph);
	void (*release)(struct fh *fh);
} file_io[] = {
    [N_FILE] = {attr_read, attr_poll, attr_release},
    [N_CTL] = {ctl_read, stream_poll, NULL},
    [N_CHANNEL] = {channel_read, channel_poll, channel_release},
    /* never opened (opendir and the kernel's symlink walk take them): read as files */
    [N_DIR] = {attr_read, stream_poll, NULL},
    [N_LINK] = {attr_read, stream_poll, NULL},
    /* a tape is always ready: a read waits for its record, never for data to come */
    [N_TAPE] = {tape_read_fh, stream_poll, NULL},
};

/* Whether an open with these flags may have n: values not written refuse writers, and so do
 * channels, which are read only. */
static int open_allowed(const struct node *n, int flags)
{
	bool writing = (flags & O_ACCMODE) != O_RDONLY;

	if (n->type == N_DIR)
		return -EISDIR;
	if (writing && ((n->type == N_FILE && !n->kind->write) || n->type == N_CHANNEL))
		return -EACCES;
	return 0;
}

/* Opens n at path: checks the access, makes the handle, runs the row's open hook, and
 * answers.  0 once answered, or -errno. */
int file_open(fuse_req_t req, const char *path, const struct node *n, struct fuse_file_info *fi)
{
	int rc = open_allowed(n, fi->flags);

	if (rc)
		return rc;
	struct fh *fh = fh_new(path, n, fi->flags);
	if (!fh)
		return -ENOMEM;
	rc = n->kind->open ? n->kind->open(req, fh) : 0;
	if (rc) {
		fh_put(fh);
		return rc;
	}
	if (n->type == N_FILE && (fi->flags & O_ACCMODE) == O_RDONLY) {
		/* the value at open is what a poll compares with until the first read; counted
		 * before it is rendered, so that a change after the count makes it stale */
		fh->snap_events = rsm_event_count(fs_global.eng);
		if (render_node(&fh->node, &fh->snap, &fh->snap_len) == 0)
			fh->snap_reusable = attrs_follow_events(path, n);
	}
	open_files_add(fh);
	fi->fh = (uint64_t)(uintptr_t)fh;
	/* Channels and ctl files are streams: not seekable, so that bash's `read` takes them a
	 * byte at a time instead of reading ahead and seeking back over lines it then loses. */
	fi->direct_io = 1;
	if (n->type != N_FILE)
		fi->nonseekable = 1;
	/* Only a row with a flush needs the kernel's FLUSH at close: for the others a close
	 * after the daemon has gone (a channel's reader woken by the shutdown) must not fail.
	 * A channel has one only when opened with O_SYNC (rsmfs(5), CHANNELS). */
	fi->noflush = !n->kind->flush || (n->type == N_CHANNEL && !(fi->flags & O_DSYNC));
	fuse_reply_open(req, fi);
	return 0;
}

/* A read, by the node's type. */
void file_read(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	file_io[fh->node.type].read(req, fh, size, off);
}

/* A write goes to the row's writer; open refused writers of rows without one. */
void file_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	if (fh->node.kind->write)
		fh->node.kind->write(req, fh, buf, size);
	else
		fuse_reply_err(req, EACCES);
}

/* FLUSH: the row's (a tape writes the filemark owed); nothing to do for the rest. */
void file_flush(fuse_req_t req, struct fh *fh)
{
	int rc = fh->node.kind->flush ? fh->node.kind->flush(req, fh) : 0;

	fuse_reply_err(req, -rc);
}

/* An ioctl: the row's; no other file has any. */
void file_ioctl(fuse_req_t req, struct fh *fh, unsigned int cmd, unsigned flags, const void *in,
		size_t in_size, size_t out_size)
{
	if (fh->node.kind->ioctl)
		fh->node.kind->ioctl(req, fh, cmd, flags, in, in_size, out_size);
	else
		fuse_reply_err(req, ENOTTY);
}

/* A poll, by the node's type; never ENOSYS. */
void file_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph)
{
	file_io[fh->node.type].poll(req, fh, ph);
}

/* The end of an open file (marked released): its type's release, then the open's reference. */
static void fh_release(struct fh *fh)
{
	if (file_io[fh->node.type].release)
		file_io[fh->node.type].release(fh);
	fh_put(fh);
}

/* The kernel's RELEASE: the file is marked released and its type's release runs. */
void file_release(struct fh *fh)
{
	pthread_mutex_lock(&open_files_lock);
	fh->released = true;
	pthread_mutex_unlock(&open_files_lock);
	fh_release(fh);
}

/* ---- directories: a snapshot taken at opendir ---- */

struct dir_handle {
	char path[FS_PATH_MAX];
	struct dirent_list list;
	struct dir_handle *prev, *next; /* open_dirs */
};

/* Unlists and frees a directory handle. */
static void dir_handle_free(struct dir_handle *d)
{
	pthread_mutex_lock(&open_files_lock);
	if (d->prev)
		d->prev->next = d->next;
	else if (open_dirs == d)
		open_dirs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	pthread_mutex_unlock(&open_files_lock);
	free(d->list.items);
	free(d);
}

/* Opens directory n: the snapshot of its entries, kept until releasedir.  0 or -errno,
 * unanswered. */
int dir_open(const char *path, const struct node *n, struct fuse_file_info *fi)
{
	struct dir_handle *d;

	if (n->type != N_DIR)
		return -ENOTDIR;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->path, sizeof(d->path), "%s", path);
	int rc = tree_list(d->path, n, &d->list);
	if (rc) {
		free(d->list.items);
		free(d);
		return rc;
	}
	pthread_mutex_lock(&open_files_lock);
	d->next = open_dirs;
	if (open_dirs)
		open_dirs->prev = d;
	open_dirs = d;
	pthread_mutex_unlock(&open_files_lock);
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

/* The name of the directory entry at index i of d: "." and ".." first, then the snapshot. */
static const char *dir_entry_name(const struct dir_handle *d, size_t i)
{
	return i == 0 ? "." : i == 1 ? ".." : d->list.items[i - 2].name;
}

/* The path of d's entry name into buf; false when it does not fit. */
static bool dir_child_path(const struct dir_handle *d, const char *name, char *buf, size_t len)
{
	return snprintf(buf, len, "%s%s%s", d->path, d->path[0] ? "/" : "", name) < (int)len;
}

/* The directory entry at index i of d: its name and what readdir tells of it. */
static void dir_entry(const struct dir_handle *d, fuse_ino_t ino, size_t i, const char **name,
		      struct stat *st)
{
	char child[FS_PATH_MAX];

	memset(st, 0, sizeof(*st));
	*name = dir_entry_name(d, i);
	if (i < 2) {
		st->st_ino = i == 0 ? ino : FUSE_ROOT_ID;
		st->st_mode = S_IFDIR;
		return;
	}
	st->st_ino = dir_child_path(d, *name, child, sizeof(child)) ? inode_peek(child) : 0;
	if (!st->st_ino)
		st->st_ino = 0x7fffffffULL + i; /* not looked up yet */
	st->st_mode = d->list.items[i - 2].type;
}

/* Entries from offset off of the snapshot, as many as fit in size. */
void dir_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	const struct dir_handle *d = (const struct dir_handle *)(uintptr_t)fi->fh;
	char *buf AUTO_FREE = malloc(size);
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)off; i < d->list.count + 2; i++) {
		struct stat st;
		const char *name;
		dir_entry(d, ino, i, &name, &st);
		size_t need =
		    fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

/* The plus entry of the directory entry at index i of d into e: a library, drive or medium
 * comes with its inode and attributes, as its lookup would (a lookup counted), so that a
 * listing of media/ brings every media/<m> without a LOOKUP each, and a listing renews the
 * entries the kernel keeps.  Everything else gets the plain entry (inode 0: the kernel makes
 * nothing of it).  A file's size would mean rendering every value of a directory to list it,
 * and its own lookup brings it where a change that follows can drop it (attrs.c).  Sessions,
 * requests and pools come and go: an entry the kernel holds makes the replay's mkdir of a new
 * one fail without a word to the daemon, and its watchers never hear of it (hands.c), so a
 * listing brings none of them, nor the directory the replay is about to make. */
static void dir_entry_plus(const struct dir_handle *d, fuse_ino_t ino, size_t i, const char **name,
			   struct fuse_entry_param *e)
{
	char child[FS_PATH_MAX];
	struct node n;
	fuse_ino_t child_ino = 0;

	memset(e, 0, sizeof(*e));
	*name = dir_entry_name(d, i);
	/* a directory that is gone since the snapshot gets the plain entry */
	if (i >= 2 && S_ISDIR(d->list.items[i - 2].type) &&
	    dir_child_path(d, *name, child, sizeof(child)) &&
	    entry_timeout(child) == LASTING_TIMEOUT && !replay_creating(child) &&
	    tree_resolve(child, &n) == 0 && n.type == N_DIR)
		child_ino = inode_get(child, true);
	if (!child_ino) {
		dir_entry(d, ino, i, name, &e->attr);
		return;
	}
	e->ino = child_ino;
	e->entry_timeout = LASTING_TIMEOUT;
	e->attr_timeout = attr_timeout(child_ino, child, &n);
	node_stat(child_ino, &n, &e->attr);
}

/* READDIRPLUS: entries from offset off, as many as fit in size, directories with their
 * attributes.  An entry is counted as a lookup only once it is known to fit: the kernel
 * links (or forgets) every entry of the reply, and nothing else; a reply it no longer waits
 * for (the listing was interrupted) links none, and its lookups are taken back. */
void dir_read_plus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	const struct dir_handle *d = (const struct dir_handle *)(uintptr_t)fi->fh;
	const size_t least = fuse_add_direntry_plus(req, NULL, 0, "x", NULL, 0);
	char *buf AUTO_FREE = malloc(size);
	fuse_ino_t *counted AUTO_FREE = malloc((size / least + 1) * sizeof(*counted));
	size_t used = 0, ncounted = 0;

	if (!buf || !counted) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)off; i < d->list.count + 2; i++) {
		const char *name = dir_entry_name(d, i);
		if (fuse_add_direntry_plus(req, NULL, 0, name, NULL, 0) > size - used)
			break;
		struct fuse_entry_param e;
		dir_entry_plus(d, ino, i, &name, &e);
		if (e.ino)
			counted[ncounted++] = e.ino;
		used +=
		    fuse_add_direntry_plus(req, buf + used, size - used, name, &e, (off_t)(i + 1));
	}
	if (fuse_reply_buf(req, buf, used) != 0)
		for (size_t k = 0; k < ncounted; k++)
			inode_forget(counted[k], 1);
}

/* The kernel's RELEASEDIR. */
void dir_release(struct fuse_file_info *fi)
{
	dir_handle_free((struct dir_handle *)(uintptr_t)fi->fh);
}

/* ---- shutdown ---- */

/* Releases what the kernel never will: the mount is gone. */
void fs_release_open_files(void)
{
	while (open_dirs)
		dir_handle_free(open_dirs);
	for (;;) {
		struct fh *fh;
		pthread_mutex_lock(&open_files_lock);
		for (fh = open_files; fh && fh->released; fh = fh->next)
			;
		if (fh)
			fh->released = true;
		pthread_mutex_unlock(&open_files_lock);
		if (!fh)
			return;
		fh_release(fh);
	}
}
