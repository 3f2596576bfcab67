/* ops.c - the FUSE low-level operations: thin routing from inodes to nodes and open files.
 *
 * Each operation finds its inode's path and node (tree.c) or takes its open file, lets the
 * replay's own calls be answered by hands.c, and dispatches through the node's kind (tree.h)
 * or the open file (files.c).  Helpers return 0 once they have answered, or a negative errno
 * for the operation to answer.  Entries are cached briefly and re-checked by getattr, which
 * answers ENOENT for an object that has gone, except those of libraries, drives and media,
 * which are kept long (attrs.c); what the kernel keeps of attributes is attrs.c's.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tree.h"

struct fs fs_global;

/* Answers req with the error rc, unless rc is 0: a helper that already answered. */
static void reply_error(fuse_req_t req, int rc)
{
	if (rc)
		fuse_reply_err(req, -rc);
}

/* The path of ino and the node it names now. */
static int node_of(fuse_ino_t ino, char *path, size_t len, struct node *n)
{
	if (!inode_path(ino, path, len))
		return -ESTALE;
	return tree_resolve(path, n);
}

/* The open file of a FUSE file info. */
static struct fh *fh_of(const struct fuse_file_info *fi)
{
	return (struct fh *)(uintptr_t)fi->fh;
}

/* FUSE init: atomic O_TRUNC, and the time every node shows. */
static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* O_TRUNC arrives with open, so `echo cmd > ctl` needs no setattr */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* every listing brings its directories' entries (READDIRPLUS), not only the first
	 * batch: a shell's glob or ls reads a whole directory before it stats anything, so the
	 * kernel's guess (a lookup between batches) never comes for media/ */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	fs_global.start_time = time(NULL);
}

/* ---- names ---- */

/* FUSE lookup: the entry of name in parent. */
static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char path[FS_PATH_MAX];
	struct node n;
	int rc = inode_child_path(parent, name, path, sizeof(path));

	if (!rc && replay_intercept(req, &(struct replay_call){.op = REPLAY_LOOKUP, .path = path}))
		return;
	if (!rc)
		rc = tree_resolve(path, &n);
	if (!rc) /* the settler's lookups keep no file's attributes, as its stats (op_getattr) */
		rc = reply_entry(req, path, &n, entry_timeout(path),
				 n.type == N_DIR || !attrs_settler_call(req));
	reply_error(req, rc);
}

/* FUSE forget: the kernel drops its lookups of an inode. */
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

/* FUSE getattr: the node as it is now (ENOENT once its object is gone). */
static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char path[FS_PATH_MAX];
	struct node n;
	struct stat st;
	int rc = node_of(ino, path, sizeof(path), &n);

	(void)fi;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	/* Kept before the rendering: a change after this finds it and drops what is rendered.
	 * Never a file's from the replay's own calls: they run a change behind everyone's, and
	 * keeping what they brought made stale sizes after a drop far more frequent; nor from the
	 * settler's, which stats to put the kernel's old expiry behind it (attrs.c). */
	bool helpers = replay_own_call(req) || attrs_settler_call(req);
	double timeout = helpers && n.type != N_DIR ? 0 : attr_timeout(ino, path, &n);
	if (timeout > 0 && !inode_attrs_settled(ino, fuse_req_ctx(req)->pid))
		timeout = 0;
	node_stat(ino, &n, &st);
	fuse_reply_attr(req, &st, timeout);
}

/* Whether a truncate (O_TRUNC from the shell) is accepted: on ctl files and writable values,
 * where it means nothing. */
static bool truncatable(const struct node *n)
{
	return n->type == N_CTL || (n->type == N_FILE && n->kind->set);
}

/* Applies a setattr to node n of path: times are accepted and ignored, a truncate where
 * truncatable, chmod and chown where the row has chown (pools/<p>); n is what it is after. */
static int setattr_node(fuse_req_t req, const char *path, struct node *n, const struct stat *attr,
			int to_set)
{
	const int times = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
			  FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME;
	const int owner = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID;

	if (to_set & ~(FUSE_SET_ATTR_SIZE | times | (n->kind->chown ? owner : 0)))
		return -EPERM;
	if ((to_set & FUSE_SET_ATTR_SIZE) && !truncatable(n))
		return -EPERM;
	if (n->kind->chown && (to_set & owner)) {
		int rc = n->kind->chown(req, n, attr, to_set);
		if (rc)
			return rc;
		tree_resolve(path, n);
	}
	return 0;
}

/* FUSE setattr (chmod, chown, truncate, utimes). */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	char path[FS_PATH_MAX];
	struct node n;
	struct stat st;
	int rc = node_of(ino, path, sizeof(path), &n);

	(void)fi;
	if (!rc)
		rc = setattr_node(req, path, &n, attr, to_set);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	node_stat(ino, &n, &st);
	fuse_reply_attr(req, &st, 0);
}

/* FUSE readlink: a link's target. */
static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char path[FS_PATH_MAX];
	struct node n;
	int rc = node_of(ino, path, sizeof(path), &n);

	if (rc)
		fuse_reply_err(req, -rc);
	else if (n.type != N_LINK)
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, n.target);
}

/* ---- entries: made and removed only where a row says how ---- */

/* mkdir name in parent: the parent's row makes it (sessions/, pools/). */
static int make_dir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	char ppath[FS_PATH_MAX], path[FS_PATH_MAX];
	struct node dir;

	if (!inode_path(parent, ppath, sizeof(ppath)))
		return -ESTALE;
	int rc = inode_child_path(parent, name, path, sizeof(path));
	if (rc)
		return rc;
	if (replay_intercept(req, &(struct replay_call){.op = REPLAY_MKDIR, .path = path}))
		return 0;
	if (tree_resolve(ppath, &dir) != 0 || !dir.kind->mkdir)
		return -EPERM;
	if (strlen(name) > RSM_NAME_MAX)
		return -ENAMETOOLONG;
	rc = dir.kind->mkdir(req, name, mode);
	return rc ? rc : reply_new_entry(req, path);
}

/* FUSE mkdir: only where the parent's row makes entries. */
static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	reply_error(req, make_dir(req, parent, name, mode));
}

/* rmdir name in parent of path ppath: the parent's row removes it (sessions/, pools/);
 * anything else that exists is not the caller's to remove.  0 or -errno, unanswered. */
static int remove_dir(fuse_req_t req, const char *ppath, fuse_ino_t parent, const char *name)
{
	char path[FS_PATH_MAX];
	struct node dir, n;

	if (tree_resolve(ppath, &dir) == 0 && dir.kind->rmdir)
		return dir.kind->rmdir(req, name);
	int rc = inode_child_path(parent, name, path, sizeof(path));
	if (rc)
		return rc;
	return tree_resolve(path, &n) ? -ENOENT : -EPERM;
}

/* FUSE rmdir: only where the parent's row removes entries. */
static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char ppath[FS_PATH_MAX];

	if (!inode_path(parent, ppath, sizeof(ppath))) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (replay_intercept(req, &(struct replay_call){.op = REPLAY_RMDIR}))
		return;
	fuse_reply_err(req, -remove_dir(req, ppath, parent, name));
}

static void op_no_entries(fuse_req_t req)
{
	/* the tree is not a place for files of one's own */
	fuse_reply_err(req, EPERM);
}

/* FUSE mknod, create, rename and link: no files of one's own. */
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

/* FUSE unlink: only the replay's, of links the engine removed. */
static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p, (void)n;
	if (!replay_intercept(req, &(struct replay_call){.op = REPLAY_UNLINK}))
		op_no_entries(req);
}

/* FUSE symlink: only the replay's, of links the engine made. */
static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	char path[FS_PATH_MAX];

	(void)l;
	if (inode_child_path(p, n, path, sizeof(path)) == 0 &&
	    replay_intercept(req, &(struct replay_call){.op = REPLAY_SYMLINK, .path = path}))
		return;
	op_no_entries(req);
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

/* ---- extended attributes: none ---- */

/* Extended attributes: none, and none can be set. */
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	fuse_reply_err(req, EPERM);
}

/* None to read: ENOSYS tells the kernel so once for all, and it stops asking (ls -l asks
 * for two on every file it lists: security.selinux and the ACL); callers then get
 * EOPNOTSUPP. */
static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	(void)ino, (void)name, (void)size;
	fuse_reply_err(req, ENOSYS);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

/* ---- open files ---- */

/* FUSE open: the node resolved once and kept in the handle. */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char path[FS_PATH_MAX];
	struct node n;

	if (!inode_path(ino, path, sizeof(path))) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (replay_intercept(req, &(struct replay_call){.op = REPLAY_OPEN, .path = path, .fi = fi}))
		return;
	int rc = tree_resolve(path, &n);
	if (!rc)
		rc = file_open(req, path, &n, fi);
	reply_error(req, rc);
}

/* FUSE read, write, release and poll: dispatched through the open file. */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	file_read(req, fh_of(fi), size, off);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino, (void)off;
	if (!replay_intercept(req,
			      &(struct replay_call){.op = REPLAY_WRITE, .fi = fi, .size = size}))
		file_write(req, fh_of(fi), buf, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (replay_intercept(req, &(struct replay_call){.op = REPLAY_RELEASE, .fi = fi}))
		return;
	file_release(fh_of(fi));
	fuse_reply_err(req, 0);
}

/* FUSE flush (every close of a descriptor) and ioctl: through the open file. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!replay_intercept(req, &(struct replay_call){.op = REPLAY_FLUSH, .fi = fi}))
		file_flush(req, fh_of(fi));
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags, const void *in_buf, size_t in_bufsz,
		     size_t out_bufsz)
{
	(void)ino, (void)arg;
	if (flags & FUSE_IOCTL_DIR)
		fuse_reply_err(req, ENOTTY);
	else
		file_ioctl(req, fh_of(fi), cmd, flags, in_buf, in_bufsz, out_bufsz);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	(void)ino;
	file_poll(req, fh_of(fi), ph);
}

/* ---- directories ---- */

/* FUSE opendir, readdir and releasedir: a snapshot of the entries at opendir. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char path[FS_PATH_MAX];
	struct node n;
	int rc = node_of(ino, path, sizeof(path), &n);

	if (!rc)
		rc = dir_open(path, &n, fi);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	dir_read(req, ino, size, off, fi);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	dir_read_plus(req, ino, size, off, fi);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	dir_release(fi);
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
    .flush = op_flush,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .create = op_create,
    .poll = op_poll,
    .ioctl = op_ioctl,
};
