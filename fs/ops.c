/* ops.c - the FUSE low-level operations: thin routing from inodes to the tree.
 *
 * Every file is synthetic and served with direct I/O.  Attribute timeouts are zero, so stat
 * always sees the engine's current state; entries are cached briefly and re-checked by
 * getattr, which answers ENOENT for an object that has gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define ENTRY_TIMEOUT 0.5

/* How long the kernel may keep a node's attributes.  A directory's (mode, owner) change only
 * through setattr, whose reply refreshes them, so they are kept like entries: the kernel's
 * permission check of every directory on a path then costs no request.  Attribute files
 * change size with the engine's state and are never kept. */
static double attr_timeout_of(const struct node *n)
{
	return n->type == N_DIR ? ENTRY_TIMEOUT : 0;
}

struct fs fs_global;
static time_t start_time;
static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fh *open_files;

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

/* The kernel's RELEASE of an open file: its channel closes, the open reference goes. */
static void fh_release(struct fh *fh)
{
	if (fh->node.type == N_CHANNEL)
		channel_release(fh);
	else if (fh->node.type == N_FILE)
		replay_poll_forget(fh);
	fh_put(fh);
}

struct dir_handle;
static void dir_handle_free(struct dir_handle *d);
static struct dir_handle *open_dirs;

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

static int join_path(fuse_ino_t parent, const char *name, char *out, size_t len)
{
	char p[512];

	if (!inode_path(parent, p, sizeof(p)))
		return -ESTALE;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (snprintf(out, len, "%s%s%s", p, p[0] ? "/" : "", name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static void fill_stat(fuse_ino_t ino, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_atime = st->st_mtime = st->st_ctime = start_time;
	switch (n->type) {
	case N_DIR:
		st->st_mode = S_IFDIR | n->mode;
		st->st_nlink = 2;
		break;
	case N_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(n->target);
		break;
	default:
		st->st_mode = S_IFREG | n->mode;
		st->st_nlink = 1;
		if (n->type == N_FILE) {
			char *text;
			size_t len;
			if (render_node(n, &text, &len) == 0) {
				st->st_size = (off_t)len;
				free(text);
			}
		}
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* O_TRUNC arrives with open, so `echo cmd > ctl` needs no setattr */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	start_time = time(NULL);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct node n;
	char path[512];
	int rc = join_path(parent, name, path, sizeof(path));

	int pending = !rc && replay_is_self(req) ? replay_pending(path) : 0;
	if (pending == 1) {
		/* the replay thread creates (mkdir after ENOENT) what the engine created */
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (pending) {
		/* ... and removes an entry that is already gone from the engine */
		memset(&n, 0, sizeof(n));
		n.type = pending == 2 ? N_DIR : N_LINK;
		n.mode = 0755;
		n.uid = fs_global.daemon_uid;
		n.gid = fs_global.daemon_gid;
		snprintf(n.target, sizeof(n.target), ".");
	} else if (!rc) {
		rc = tree_resolve(path, &n);
	}
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = inode_get(path, true);
	if (!e.ino) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	e.entry_timeout = replay_is_self(req) ? 0 : ENTRY_TIMEOUT;
	e.attr_timeout = replay_is_self(req) ? 0 : attr_timeout_of(&n);
	fill_stat(e.ino, &n, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inode_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		inode_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static int node_of(fuse_ino_t ino, char *path, size_t len, struct node *n)
{
	if (!inode_path(ino, path, len))
		return -ESTALE;
	return tree_resolve(path, n);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node n;
	struct stat st;
	char path[512];
	int rc = node_of(ino, path, sizeof(path), &n);

	(void)fi;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fill_stat(ino, &n, &st);
	fuse_reply_attr(req, &st, attr_timeout_of(&n));
}

/* chmod and chown of a pool directory change the pool's security (persisted by the engine);
 * truncate of a ctl file or a writable attribute (O_TRUNC from the shell) is accepted and
 * means nothing; nothing else in the tree changes through attributes. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	const int times = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
			  FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME;
	const int owner = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID;
	struct node n;
	struct stat st;
	char path[512];
	int rc = node_of(ino, path, sizeof(path), &n);

	(void)fi;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	bool pool_dir = n.area == AREA_POOLS && n.type == N_DIR && n.file < 0;
	if (to_set & ~(FUSE_SET_ATTR_SIZE | times | (pool_dir ? owner : 0))) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && n.type != N_CTL &&
	    !(n.type == N_FILE && attr_writable(&n))) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (pool_dir && (to_set & owner)) {
		struct rsm_cred cred = cred_of(req);
		rsm_err e = rsm_pool_set_access(
			fs_global.eng, &cred, n.obj,
			(to_set & FUSE_SET_ATTR_UID) ? (int64_t)attr->st_uid : -1,
			(to_set & FUSE_SET_ATTR_GID) ? (int64_t)attr->st_gid : -1,
			(to_set & FUSE_SET_ATTR_MODE) ? (int64_t)(attr->st_mode & 07777) : -1);
		if (e != ERROR_SUCCESS) {
			fuse_reply_err(req, e == ERROR_ACCESS_DENIED ? EPERM : rsm_error_errno(e));
			return;
		}
		tree_resolve(path, &n);
	}
	fill_stat(ino, &n, &st);
	fuse_reply_attr(req, &st, 0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct node n;
	char path[512];
	int rc = node_of(ino, path, sizeof(path), &n);

	if (rc)
		fuse_reply_err(req, -rc);
	else if (n.type != N_LINK)
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, n.target);
}

static void reply_new_entry(fuse_req_t req, const char *path)
{
	struct fuse_entry_param e;
	struct node n;

	if (tree_resolve(path, &n) != 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = inode_get(path, true);
	e.entry_timeout = ENTRY_TIMEOUT;
	fill_stat(e.ino, &n, &e.attr);
	fuse_reply_entry(req, &e);
}

/* mkdir sessions/<name> opens a session owned by the caller. */
static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	char ppath[512], path[512];
	rsm_handle h;
	struct rsm_cred cred = cred_of(req);

	if (!inode_path(parent, ppath, sizeof(ppath))) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (replay_is_self(req)) {
		/* an entry the engine created, replayed for inotify */
		snprintf(path, sizeof(path), "%s/%s", ppath, name);
		reply_new_entry(req, path);
		return;
	}
	bool pool = strcmp(ppath, "pools") == 0;
	if (strcmp(ppath, "sessions") != 0 && !pool) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (strlen(name) > RSM_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	rsm_err e = pool ? rsm_pool_create(fs_global.eng, &cred, name, mode)
			 : rsm_session_open(fs_global.eng, name, "rsmfs", &cred, &h);
	if (e == ERROR_INVALID_NAME) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (e != ERROR_SUCCESS) {
		fuse_reply_err(req, rsm_error_errno(e));
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", ppath, name);
	reply_new_entry(req, path);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char ppath[512];
	struct rsm_session_info si;
	struct rsm_cred cred = cred_of(req);
	rsm_handle h;

	if (!inode_path(parent, ppath, sizeof(ppath))) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (replay_is_self(req)) {
		fuse_reply_err(req, 0); /* an entry the engine removed, replayed for inotify */
		return;
	}
	if (strcmp(ppath, "pools") == 0) {
		struct rsm_pool_info pi;
		if (rsm_pool_info(fs_global.eng, name, &pi) != ERROR_SUCCESS) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		rsm_err e = rsm_pool_delete(fs_global.eng, &cred, name);
		/* a system pool is not the caller's to delete */
		fuse_reply_err(req, e == ERROR_SUCCESS		    ? 0
				    : e == ERROR_INVALID_MEDIA_POOL ? EPERM
								    : rsm_error_errno(e));
		return;
	}
	if (strcmp(ppath, "sessions") != 0) {
		struct node n;
		char path[512];
		int rc = join_path(parent, name, path, sizeof(path));
		fuse_reply_err(req, rc ? -rc : tree_resolve(path, &n) ? ENOENT : EPERM);
		return;
	}
	if (rsm_session_info(fs_global.eng, name, &si) != ERROR_SUCCESS ||
	    rsm_session_find(fs_global.eng, name, &h) != ERROR_SUCCESS) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!cred.admin && cred.uid != si.uid) {
		fuse_reply_err(req, EACCES);
		return;
	}
	rsm_err e = rsm_session_close(fs_global.eng, h);
	fuse_reply_err(req, e == ERROR_SUCCESS ? 0 : rsm_error_errno(e));
}

static void op_no_entries(fuse_req_t req)
{
	/* the tree is not a place for files of one's own */
	fuse_reply_err(req, EPERM);
}

static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{
	(void)p, (void)n, (void)m, (void)d;
	op_no_entries(req);
}

static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
		      struct fuse_file_info *fi)
{
	(void)p, (void)n, (void)m, (void)fi;
	op_no_entries(req);
}

static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p, (void)n;
	if (replay_is_self(req))
		fuse_reply_err(req, 0); /* a link the engine removed, replayed for inotify */
	else
		op_no_entries(req);
}

static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	char path[512];

	(void)l;
	if (!replay_is_self(req)) {
		op_no_entries(req);
		return;
	}
	/* a link the engine created, replayed for inotify */
	int rc = join_path(p, n, path, sizeof(path));
	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_new_entry(req, path);
}

static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
		      unsigned int flags)
{
	(void)p, (void)n, (void)np, (void)nn, (void)flags;
	op_no_entries(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
	(void)ino, (void)np, (void)nn;
	op_no_entries(req);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	fuse_reply_err(req, EPERM);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	(void)ino, (void)name, (void)size;
	fuse_reply_err(req, ENODATA);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fh *fh;
	struct node n;
	char path[512];
	int rc = node_of(ino, path, sizeof(path), &n);
	int acc = fi->flags & O_ACCMODE;

	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (n.type == N_DIR) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	const char *fname = node_file_name(&n);
	if (n.type == N_FILE && acc != O_RDONLY && !replay_is_self(req) &&
	    !(n.area == AREA_ROOT && strcmp(fname, "error_log") == 0) && !attr_writable(&n)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (n.type == N_CHANNEL && acc != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fh = calloc(1, sizeof(*fh));
	if (!fh) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_init(&fh->lock, NULL);
	fh->refs = 1;
	fh->node = n;
	fh->flags = fi->flags;
	snprintf(fh->path, sizeof(fh->path), "%s", path);
	if (n.area == AREA_SESSIONS && (n.type == N_CTL || n.type == N_CHANNEL)) {
		rsm_err e = rsm_session_find(fs_global.eng, n.obj, &fh->session);
		if (e == ERROR_SUCCESS && n.type == N_CHANNEL) {
			struct rsm_cred cred = cred_of(req);
			e = rsm_notify_open(fs_global.eng, fh->session, &cred,
					    rsm_object_type_from_name(n.sub), &fh->channel);
		}
		if (e != ERROR_SUCCESS) {
			fh_put(fh);
			fuse_reply_err(req, rsm_error_errno(e));
			return;
		}
	}
	if (n.type == N_FILE && acc == O_RDONLY)
		/* the value at open is what a poll compares with until the first read */
		render_node(&fh->node, &fh->snap, &fh->snap_len);
	open_files_add(fh);
	fi->fh = (uint64_t)(uintptr_t)fh;
	/* Channels and ctl files are streams: not seekable, so that bash's `read` takes them a
	 * byte at a time instead of reading ahead and seeking back over lines it then loses. */
	fi->direct_io = 1;
	if (n.type != N_FILE)
		fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fh *fh = (struct fh *)(uintptr_t)fi->fh;

	(void)ino;
	if (fh->node.type == N_CHANNEL) {
		channel_read(req, fh, size);
		return;
	}
	pthread_mutex_lock(&fh->lock);
	if (fh->node.type == N_CTL) {
		/* a stream of replies: the offset does not matter */
		size_t avail = fh->replies_len - fh->replies_off;
		size_t n = avail < size ? avail : size;
		char *copy = malloc(n ? n : 1);
		if (copy && n)
			memcpy(copy, fh->replies + fh->replies_off, n);
		fh->replies_off += copy ? n : 0;
		pthread_mutex_unlock(&fh->lock);
		if (copy)
			fuse_reply_buf(req, copy, n);
		else
			fuse_reply_err(req, ENOMEM);
		free(copy);
		return;
	}
	if (off == 0 || !fh->snap) {
		/* a read from the start takes a new snapshot; later offsets reuse it */
		free(fh->snap);
		fh->snap = NULL;
		fh->snap_len = 0;
		fh->poll_changed = false;
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

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fh *fh = (struct fh *)(uintptr_t)fi->fh;

	(void)ino;
	(void)off;
	if (fh->node.type == N_FILE && replay_is_self(req)) {
		fuse_reply_write(req, size); /* an IN_MODIFY replayed: no effect */
		return;
	}
	ctl_write(req, fh, buf, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fh *fh = (struct fh *)(uintptr_t)fi->fh;

	(void)ino;
	pthread_mutex_lock(&open_files_lock);
	fh->released = true;
	pthread_mutex_unlock(&open_files_lock);
	fh_release(fh);
	fuse_reply_err(req, 0);
}

/* An attribute file, sysfs style: POLLPRI|POLLERR once its value differs from what this
 * open file last read; the replay thread wakes the poller when it changes.  The handle is
 * stored and listed before the value is rendered here: a change the replay thread compares
 * after that finds the handle, and one it compared before is already in the rendering, so no
 * change falls between the two and leaves the poller asleep. */
static void attr_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph)
{
	struct fuse_pollhandle *old = NULL, *reclaimed = NULL;
	char *now = NULL;
	size_t len = 0;
	bool changed;

	if (ph) {
		pthread_mutex_lock(&fh->lock);
		old = fh->ph;
		fh->ph = ph;
		pthread_mutex_unlock(&fh->lock);
		if (old)
			fuse_pollhandle_destroy(old);
		replay_poll_add(fh);
	}
	render_node(&fh->node, &now, &len);
	pthread_mutex_lock(&fh->lock);
	changed = fh->poll_changed || (now && (len != fh->snap_len ||
					       (len && memcmp(now, fh->snap, len) != 0)));
	/* answered now: the handle is not needed, unless the replay thread already took it */
	if (changed && ph && fh->ph == ph) {
		reclaimed = ph;
		fh->ph = NULL;
	}
	pthread_mutex_unlock(&fh->lock);
	free(now);
	if (reclaimed)
		fuse_pollhandle_destroy(reclaimed);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | (changed ? POLLPRI | POLLERR : 0));
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct fh *fh = (struct fh *)(uintptr_t)fi->fh;

	(void)ino;
	if (fh->node.type == N_CHANNEL) {
		channel_poll(req, fh, ph);
		return;
	}
	if (fh->node.type == N_FILE) {
		attr_poll(req, fh, ph);
		return;
	}
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLRDNORM | (fh->node.type == N_CTL ? POLLOUT : 0));
}

/* ---- directories: a snapshot taken at opendir ---- */

struct dir_handle {
	char path[512];
	struct dirent_list list;
	struct dir_handle *prev, *next; /* open_dirs */
};

/* Directories still open (open_dirs): the kernel sends no RELEASEDIR for them when the mount
 * goes away under an open descriptor, so shutdown frees what is left (fs_release_open_files). */

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

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *d;
	struct node n;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = node_of(ino, d->path, sizeof(d->path), &n);
	if (!rc && n.type != N_DIR)
		rc = -ENOTDIR;
	if (!rc)
		rc = tree_list(d->path, &n, &d->list);
	if (rc) {
		free(d->list.items);
		free(d);
		fuse_reply_err(req, -rc);
		return;
	}
	pthread_mutex_lock(&open_files_lock);
	d->next = open_dirs;
	if (open_dirs)
		open_dirs->prev = d;
	open_dirs = d;
	pthread_mutex_unlock(&open_files_lock);
	fi->fh = (uint64_t)(uintptr_t)d;
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = (size_t)off; i < d->list.count + 2; i++) {
		struct stat st = {0};
		char child[600];
		const char *name = i == 0 ? "." : i == 1 ? ".." : d->list.items[i - 2].name;
		if (i < 2) {
			st.st_ino = i == 0 ? ino : FUSE_ROOT_ID;
			st.st_mode = S_IFDIR;
		} else {
			snprintf(child, sizeof(child), "%s%s%s", d->path, d->path[0] ? "/" : "",
				 name);
			st.st_ino = inode_peek(child);
			if (!st.st_ino)
				st.st_ino = 0x7fffffffULL + i; /* not looked up yet */
			st.st_mode = d->list.items[i - 2].type;
		}
		size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st,
						(off_t)(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;

	(void)ino;
	dir_handle_free(d);
	fuse_reply_err(req, 0);
}

const struct fuse_lowlevel_ops rsmfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.create = op_create,
	.poll = op_poll,
};
