/* fs.h - the FUSE front end of rsmfs: shared declarations.
 *
 * The tree is path-based: every inode remembers its path, and each operation resolves the
 * path against the engine's current state (tree.c).  File contents are rendered from engine
 * snapshots (render.c); writes to ctl files are parsed into engine calls (ctl.c); channel
 * reads and blocked mounts are parked and answered from engine completions (park.c).
 */
#ifndef RSMFS_FS_H
#define RSMFS_FS_H

/* 3.12: the version whose fuse_session_loop_mt takes the config fuse_loop_cfg_create makes;
 * an older version's loop reads that config as the old struct (clone_fd set, no idle
 * threads kept: a thread made and ended for every request) */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "rsm.h"

#define FS_MAX_WRITE 4096
#define FS_ERROR_LOG_LINES 64

enum node_type { N_DIR, N_FILE, N_CTL, N_CHANNEL, N_LINK };

/* What a path names.  obj is the object's name (library, drive, medium, pool, request number,
 * session); sub is a second name (side number, medium in a session's mounts, channel type). */
struct node {
	enum node_type type;
	int area;   /* enum area in tree.c */
	int file;   /* index into the area's file table, -1 for the object directory */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char obj[RSM_NAME_MAX + 1];
	char sub[RSM_NAME_MAX + 1];
	char target[256]; /* symlink target */
};

struct fs {
	struct rsm_engine *eng;
	struct fuse_session *se;
	uid_t daemon_uid;
	gid_t daemon_gid;
	gid_t admin_gid;
	bool have_admin_group;
	volatile bool shutting_down;
	pthread_mutex_t log_lock;
	char *error_log[FS_ERROR_LOG_LINES];
	int error_log_count;
	pthread_mutex_t notify_lock;
	pthread_cond_t notify_cond;
	struct poll_note *notes;
	pthread_t notifier;
	bool notifier_running;
	char mountpoint[4096]; /* absolute: the replay thread's calls go through it */
};

extern struct fs fs_global;

/* inode.c: path <-> inode number */
fuse_ino_t inode_get(const char *path, bool count_lookup);
bool inode_path(fuse_ino_t ino, char *buf, size_t len);
void inode_forget(fuse_ino_t ino, uint64_t n);
fuse_ino_t inode_peek(const char *path);

/* tree.c: resolution and listing */
int tree_resolve(const char *path, struct node *n);
struct dirent_list {
	size_t count;
	struct dir_item {
		char name[RSM_GUID_LEN + 8];
		mode_t type;
	} *items;
};
int tree_list(const char *path, const struct node *dir, struct dirent_list *out);
bool cred_is_admin(const struct fuse_ctx *ctx);
struct rsm_cred cred_of(fuse_req_t req);

/* render.c: the text of a file node; *out is malloc'd */
int render_node(const struct node *n, char **out, size_t *len);

/* ctl.c: control files */
struct fh;
void ctl_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size);
void error_log_add(const struct fuse_ctx *ctx, const char *file, const char *cmd,
		   const char *why);
void reply_queue_add(struct fh *fh, const char *line);

/* An open file. */
struct fh {
	pthread_mutex_t lock;
	int refs;
	struct node node;
	char path[512];
	int flags;
	/* attribute files: the snapshot served to one sequential read */
	char *snap;
	size_t snap_len;
	/* ctl files: replies waiting to be read */
	char *replies;
	size_t replies_len, replies_off;
	/* session ctl: the session it was opened on; a closed session answers EBADF */
	rsm_handle session;
	/* channels */
	rsm_handle channel;
	fuse_req_t parked_read;
	fuse_req_t pending_interrupt;
	size_t parked_size;
	struct fuse_pollhandle *ph;
	bool armed;
	/* attribute files polled for a change (replay.c) */
	struct fh *poll_next;
	bool poll_listed;
	bool poll_changed; /* changed since the last read: poll reports POLLPRI */
	/* every open file, for the ones the kernel never releases (shutdown) */
	struct fh *prev, *next;
	bool released;
};

void fh_put(struct fh *fh);
/* Releases the files still open when the mount is gone: no RELEASE will come for them. */
void fs_release_open_files(void);

/* park.c: channel reads and the poll notifier */
void channel_read(fuse_req_t req, struct fh *fh, size_t size);
void channel_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph);
void channel_release(struct fh *fh);
int notifier_start(void);
void notifier_stop(void);

/* replay.c: inotify events and attribute polls for the engine's own changes */
int replay_start(void);
void replay_stop(void);
/* Whether a request comes from the replay thread, and what it is doing to path: 0 nothing,
 * 1 creating it, 2 deleting it as a directory, 3 deleting it as a symlink. */
bool replay_is_self(fuse_req_t req);
int replay_pending(const char *path);
void replay_poll_add(struct fh *fh);
/* The open file is released: it is no longer polled. */
void replay_poll_forget(struct fh *fh);

/* ops.c */
extern const struct fuse_lowlevel_ops rsmfs_ops;

#endif
