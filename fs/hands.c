/* hands.c - the replay's hands: the child process (helper.c) that makes the replay's calls
 * through the mount (rsmfs(5), WATCHERS), and the one place where the file system recognises
 * those calls and answers them without effect on the engine.
 *
 * The child's path calls (lookup, mkdir, symlink, rmdir, unlink, open) are known by its pid;
 * the writes and releases of the files it opened, by the handle its opens are given.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hands.h"
#include "helper.h"
#include "tree.h"

/* What the hands are doing to a path right now, so that lookup answers it as the call needs:
 * ENOENT before a mkdir or symlink, an entry before an rmdir or unlink of what is gone. */
enum pending_kind { PENDING_NONE, PENDING_CREATE, PENDING_RMDIR, PENDING_UNLINK };

static struct {
	struct helper child;
	pthread_mutex_t pending_lock;
	char pending_path[FS_PATH_MAX];
	enum pending_kind pending;
} hands = {
    .child = HELPER_INIT,
    .pending_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The handle the hands' opens get: their writes and releases are known by it. */
static const char hands_handle;
#define HANDS_FH ((uint64_t)(uintptr_t)&hands_handle)

/* ---- the child ---- */

int hands_start(void)
{
	return helper_start(&hands.child);
}

void hands_quit(void)
{
	helper_quit(&hands.child);
}

void hands_kill(void)
{
	helper_kill(&hands.child);
}

void hands_stop(void)
{
	helper_stop(&hands.child);
}

/* ---- commands ---- */

/* Says what the hands are doing to path now (lookup reads it). */
static void set_pending(const char *path, enum pending_kind kind)
{
	pthread_mutex_lock(&hands.pending_lock);
	snprintf(hands.pending_path, sizeof(hands.pending_path), "%s", path);
	hands.pending = kind;
	pthread_mutex_unlock(&hands.pending_lock);
}

/* What the hands are doing to path now. */
static enum pending_kind pending_of(const char *path)
{
	enum pending_kind kind = PENDING_NONE;

	pthread_mutex_lock(&hands.pending_lock);
	if (hands.pending && strcmp(hands.pending_path, path) == 0)
		kind = hands.pending;
	pthread_mutex_unlock(&hands.pending_lock);
	return kind;
}

/* A one-byte write to an attribute file: IN_MODIFY.  Taking the write, the kernel moves the
 * file's attribute version and throws away every answer to a question asked before it, as at
 * a drop: so the file is unsettled around it as around a drop (attrs.c). */
void hands_modify(const char *path)
{
	inode_unsettle(inode_peek(path));
	helper_do(&hands.child, 'm', path, NULL);
	inode_unsettle(inode_peek(path));
}

/* Makes the kernel hold size as path's size before a poller is woken (attrs.c). */
bool hands_settle(const char *path, size_t size)
{
	bool done = false;

	return helper_send_settle(&hands.child, path, size) &&
	       helper_wait(&hands.child, 1, &done) && done;
}

/* mkdir or symlink of an entry the engine made: IN_CREATE. */
void hands_create(const char *path, mode_t type, const char *target)
{
	set_pending(path, PENDING_CREATE);
	helper_do(&hands.child, type == S_IFDIR ? 'd' : 'l', path, type == S_IFDIR ? NULL : target);
	set_pending("", PENDING_NONE);
}

/* rmdir or unlink of an entry the engine removed: IN_DELETE. */
void hands_remove(const char *path, mode_t type)
{
	set_pending(path, type == S_IFDIR ? PENDING_RMDIR : PENDING_UNLINK);
	helper_do(&hands.child, type == S_IFDIR ? 'D' : 'L', path, NULL);
	set_pending("", PENDING_NONE);
}

/* ---- the file system's side: the hands' calls answered ---- */

/* lookup: ENOENT for what the hands are about to create (the kernel then sends the mkdir or
 * symlink), an entry for what they remove although the engine has it no more (never kept), and
 * otherwise the node as anyone's lookup has it.  A file's attributes are not kept: the hands
 * run a change behind everyone's (attrs.c); a directory's never change with events, and
 * keeping them spares every later walk through it a lookup and a getattr. */
static void answer_lookup(fuse_req_t req, const struct replay_call *call)
{
	enum pending_kind pending = pending_of(call->path);
	struct node n;
	int rc;

	if (pending == PENDING_CREATE) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (pending) {
		memset(&n, 0, sizeof(n));
		node_set_kind(&n, pending == PENDING_RMDIR ? &object_dir_kind : &link_kind, NULL);
		n.mode = 0755;
		snprintf(n.target, sizeof(n.target), ".");
		rc = 0;
	} else {
		rc = tree_resolve(call->path, &n);
	}
	if (!rc)
		rc = reply_entry(req, call->path, &n, pending ? 0 : entry_timeout(call->path),
				 !pending && n.type == N_DIR);
	if (rc)
		fuse_reply_err(req, -rc);
}

/* mkdir and symlink: the entry the engine made. */
static void answer_new_entry(fuse_req_t req, const struct replay_call *call)
{
	int rc = reply_new_entry(req, call->path);

	if (rc)
		fuse_reply_err(req, -rc);
}

/* rmdir, unlink and release: done (the engine removed the entry already). */
static void answer_done(fuse_req_t req, const struct replay_call *call)
{
	(void)call;
	fuse_reply_err(req, 0);
}

/* open for the one-byte write: a handle that is no open file of the tree. */
static void answer_open(fuse_req_t req, const struct replay_call *call)
{
	struct fuse_file_info *fi = call->fi;
	struct node n;
	int rc = tree_resolve(call->path, &n);

	if (!rc && n.type == N_DIR)
		rc = -EISDIR;
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = HANDS_FH;
	fi->direct_io = 1;
	fi->noflush = 1; /* nothing is owed at its close */
	if (n.type != N_FILE)
		fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

/* write: an IN_MODIFY replayed, taken whole and without effect. */
static void answer_write(fuse_req_t req, const struct replay_call *call)
{
	fuse_reply_write(req, call->size);
}

static const struct {
	bool by_handle; /* known by its open file's handle, not by its pid */
	void (*answer)(fuse_req_t req, const struct replay_call *call);
} answers[] = {
    [REPLAY_LOOKUP] = {false, answer_lookup},	  /* as the call about to come needs */
    [REPLAY_MKDIR] = {false, answer_new_entry},	  /* the entry the engine made */
    [REPLAY_SYMLINK] = {false, answer_new_entry}, /* the link the engine made */
    [REPLAY_RMDIR] = {false, answer_done},	  /* the engine removed it already */
    [REPLAY_UNLINK] = {false, answer_done},	  /* the engine removed it already */
    [REPLAY_OPEN] = {false, answer_open},	  /* a handle for the one-byte write */
    [REPLAY_WRITE] = {true, answer_write},	  /* taken whole, without effect */
    [REPLAY_RELEASE] = {true, answer_done},	  /* nothing was opened in the tree */
    [REPLAY_FLUSH] = {true, answer_done},	  /* nor is anything owed at its close */
};

/* The one recogniser: the hands' path calls by pid, their open files by handle. */
bool replay_intercept(fuse_req_t req, const struct replay_call *call)
{
	bool ours = answers[call->op].by_handle
			? call->fi->fh == HANDS_FH
			: helper_is_caller(&hands.child, fuse_req_ctx(req)->pid);

	if (ours)
		answers[call->op].answer(req, call);
	return ours;
}

bool replay_creating(const char *path)
{
	return pending_of(path) == PENDING_CREATE;
}

/* Whether req comes from the hands: their calls run beside everyone's, a change behind. */
bool replay_own_call(fuse_req_t req)
{
	return helper_is_caller(&hands.child, fuse_req_ctx(req)->pid);
}
