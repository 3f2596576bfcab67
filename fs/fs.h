/* fs.h - the FUSE front end of rsmfs: shared declarations.
 *
 * The tree is path-based: every inode remembers its path, and each operation resolves the
 * path against the engine's current state (tree.c and one file per subtree: root.c,
 * libraries.c, drives.c, media.c, pools.c, requests.c, opreqs.c, sessions.c).  A resolved
 * path is a node, and a node carries its kind: the row of a table (tree.h) that says what the
 * file is and what reading, writing and the replay do with it.  Open files (files.c) keep the
 * node; writes to ctl files are parsed into engine calls (ctl.c); channel reads and blocked
 * mounts are parked and answered from engine completions (park.c, ctl.c).  ops.c routes the
 * FUSE operations; the replay of the engine's changes (replay.c) makes its calls through the
 * mount, and hands.c recognises and answers them.
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
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

#include "rsm.h"

#define FS_MAX_WRITE 4096
#define FS_ERROR_LOG_LINES 64
#define FS_PATH_MAX 512 /* a path inside the mount: six components at most */
/* How long the kernel may keep an entry: getattr re-checks it, and answers ENOENT for an
 * object that has gone. */
#define ENTRY_TIMEOUT 0.5
/* How long the kernel may keep the attributes of a file whose changes drop them (attrs.c):
 * the drop is what keeps them right, the timeout only bounds a change the engine does not
 * announce. */
#define ATTR_TIMEOUT 1.0
/* How long the kernel may keep what it knows of libraries, drives and media, which live as long
 * as the daemon and are never renamed: their entries and directories' attributes, and the kept
 * attributes of drives' and media's files.  A medium that goes has its entry dropped before its
 * event is heard (attrs_hold), every change drops what it changes, so this only bounds what
 * the engine would fail to announce; long enough that a listing of 100,000 media is answered
 * by the kernel the second time (bench/scale). */
#define LASTING_TIMEOUT 60.0

/* Frees what a pointer variable points to when it goes out of scope. */
static inline void free_ptr(void *p)
{
	free(*(void **)p);
}
#define AUTO_FREE __attribute__((cleanup(free_ptr)))
/* Frees a name list (zeroed or filled by the engine) when it goes out of scope. */
#define AUTO_NAMES __attribute__((cleanup(rsm_names_free)))

enum node_type { N_DIR, N_FILE, N_CTL, N_CHANNEL, N_LINK, N_TAPE };

struct subtree;
struct file_kind;

/* What a path names.  obj is the object's name (library, drive, medium, pool, request number,
 * session); sub is a second name (side number, channel type). */
struct node {
	enum node_type type;
	const struct subtree *area;   /* the subtree it is in (tree.h) */
	const struct file_kind *kind; /* what it is and does (tree.h) */
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
	time_t start_time; /* every node's times */
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

/* inode.c: path <-> inode number, and what the kernel is told of a node */
fuse_ino_t inode_get(const char *path, bool count_lookup);
bool inode_path(fuse_ino_t ino, char *buf, size_t len);
void inode_forget(fuse_ino_t ino, uint64_t n);
fuse_ino_t inode_peek(const char *path);
/* parent's path joined with name; 0 or -errno */
int inode_child_path(fuse_ino_t parent, const char *name, char *out, size_t len);
void node_stat(fuse_ino_t ino, const struct node *n, struct stat *st);
/* Answers a lookup (or mkdir, symlink) of path with its node, its attributes kept by the
 * kernel where keep_attrs and attr_timeout allow; 0, or -errno unanswered. */
int reply_entry(fuse_req_t req, const char *path, const struct node *n, double entry_timeout,
		bool keep_attrs);
/* Notes that the kernel keeps ino's attributes until a change of key's object (inode_take_kept
 * takes them back).  False: not kept. */
bool inode_keep(fuse_ino_t ino, const char *path, const char *key);
/* Lists ino again for the next change of key's object, with no answer counted (a settle that
 * was not clean: attrs.c). */
void inode_relist(fuse_ino_t ino, const char *path, const char *key);
/* Settles (attrs.c).  The count of ino's answers that may have been kept, read before a drop;
 * then, after it, whether a settle is needed (an answer may have been kept since the last
 * clean one, or one is under way), which starts it; and its end (ok: the child saw the new
 * size after a fresh answer), true when the next change must settle the inode again. */
struct settle_mark {
	uint32_t keep_gen, drop_gen;
};
uint32_t inode_keep_gen(fuse_ino_t ino);
bool inode_settle_begin(fuse_ino_t ino, uint32_t keep_gen, struct settle_mark *m);
bool inode_settle_end(fuse_ino_t ino, const struct settle_mark *m, bool ok);
size_t inode_take_kept(const char *key, fuse_ino_t **inos, size_t *cap, size_t n);
/* Whether a lookup or getattr of ino from thread tid may let the kernel keep what it answers
 * (rsmfs(5), CACHING).  After a drop that was not settled, the kernel holds the old size until
 * it stores an answer, and marks the attributes it takes valid before it stores their size:
 * an answer kept first would let a stat in another thread meanwhile find the old size valid.
 * So after a drop answers are kept by nobody until one thread has been answered twice (the
 * second asked after the first's answer was stored, and so after the drop), and a third
 * question from it settles the inode. */
bool inode_attrs_settled(fuse_ino_t ino, pid_t tid);
/* The kernel's attribute version of ino moves (a drop, a write through the mount): answers
 * asked before it are thrown away, so it is not settled, and a new generation. */
void inode_unsettle(fuse_ino_t ino);
/* Whether the kernel holds, or is about to make, inode ino: a lookup of it was answered and
 * not yet forgotten. */
bool inode_looked_up(fuse_ino_t ino);

/* attrs.c: what the kernel keeps of a node's attributes, and dropping it when it changes */
/* How long the kernel may keep the attributes of n (inode ino at path) from this reply (a
 * lookup's or a getattr's); a file kept is noted so that its object's next change drops it. */
double attr_timeout(fuse_ino_t ino, const char *path, const struct node *n);
/* How long the kernel may keep the entry of path (a lookup's reply). */
double entry_timeout(const char *path);
/* The engine's gate (rsm_set_hold): takes the kept files an event may change and hands them to
 * the notifier thread, which drops them and then releases the event; true when it did. */
bool attrs_hold(void *ctx, const struct rsm_event *ev);
/* Whether n's value (at path) changes only with the engine's events: its attributes may be kept,
 * and a rendering of it stays current while no event is published. */
bool attrs_follow_events(const char *path, const struct node *n);
/* Drops what the kernel keeps of inode ino's attributes, unsettling it (every drop goes here);
 * true when the kernel has the inode. */
bool attrs_drop_ino(fuse_ino_t ino);
/* The notifier's drops of an event's kept files: each dropped, then, where it may have been
 * kept since its last settle, settled - the kernel made to hold its new size with its expiry
 * behind it - before this returns and the event goes out. */
void attrs_drop_settled(const fuse_ino_t *inos, size_t n);
/* The replay's drop of path's file (node n), whose value it found changed: true when it needs
 * a settle, begun in s - the caller then settles it (hands_settle) before anyone it wakes can
 * stat it, and ends it with attrs_settle_done (done: whether the settle saw the new size). */
struct attrs_settle {
	fuse_ino_t ino;
	struct settle_mark mark;
};
bool attrs_drop_changed(const char *path, const struct node *n, struct attrs_settle *s);
void attrs_settle_done(const char *path, const struct attrs_settle *s, bool done);
/* Whether req comes from the notifier's settler: its fresh stats are never kept. */
bool attrs_settler_call(fuse_req_t req);
/* Starts and stops the notifier's settler (helper.c); without it a settle fails, and the file
 * stays to be settled. */
int attrs_settler_start(void);
void attrs_settler_stop(void);
/* Answers a mkdir or symlink with the entry just made; 0, or -errno unanswered. */
int reply_new_entry(fuse_req_t req, const char *path);

/* tree.c: resolution, listing and rendering */
int tree_resolve(const char *path, struct node *n);
struct dirent_list {
	size_t count;
	struct dir_item {
		char name[RSM_GUID_LEN + 8];
		mode_t type;
	} * items;
};
int tree_list(const char *path, const struct node *dir, struct dirent_list *out);
/* The text of a file node; *out is malloc'd.  0 or -errno. */
int render_node(const struct node *n, char **out, size_t *len);
bool cred_is_admin(const struct fuse_ctx *ctx);
struct rsm_cred cred_of(fuse_req_t req);

/* root.c: error_log */
void error_log_add(const struct fuse_ctx *ctx, const char *file, const char *cmd, const char *why);

/* ctl.c: writes to ctl files and writable values */
struct fh;
void ctl_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size);
void attr_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size);
void reply_queue_add(struct fh *fh, const char *line);
void ctl_read(fuse_req_t req, struct fh *fh, size_t size, off_t off);

/* An open file. */
struct fh {
	pthread_mutex_t lock;
	int refs;
	struct node node; /* resolved once, at open: node.kind is what this file does */
	char path[FS_PATH_MAX];
	int flags;
	/* attribute files: the snapshot served to one sequential read */
	char *snap;
	size_t snap_len;
	/* the snapshot taken at open may serve the first read while no event has been published
	 * since snap_events (a value that changes only with events: attrs_follow_events) */
	bool snap_reusable;
	uint64_t snap_events;
	/* ctl files: replies waiting to be read */
	char *replies;
	size_t replies_len, replies_off;
	/* session ctl: the session it was opened on; a closed session answers EBADF */
	rsm_handle session;
	/* a drive's tape: the cartridge it was opened on (rsm_tape_open) */
	uint64_t tape_token;
	/* channels */
	rsm_handle channel;
	pid_t opener; /* the process that opened it (an O_SYNC channel: sessions.c) */
	fuse_req_t parked_read;
	fuse_req_t pending_interrupt;
	size_t parked_size;
	struct fuse_pollhandle *ph;
	bool armed;
	/* attribute files polled for a change (replay.c) */
	struct fh *poll_next;
	bool poll_listed;
	bool poll_changed; /* changed since the last read: poll reports POLLPRI */
	bool poll_asked;   /* a poll with no handle found a change not yet told (files.c) */
	/* every open file, for the ones the kernel never releases (shutdown) */
	struct fh *prev, *next;
	bool released;
};

/* files.c: open files and directories */
int file_open(fuse_req_t req, const char *path, const struct node *n, struct fuse_file_info *fi);
void file_read(fuse_req_t req, struct fh *fh, size_t size, off_t off);
void file_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size);
void file_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph);
/* The kernel's RELEASE of an open file. */
void file_release(struct fh *fh);
/* FLUSH (a close of a descriptor) and ioctl: the row's, where it has one. */
void file_flush(fuse_req_t req, struct fh *fh);
void file_ioctl(fuse_req_t req, struct fh *fh, unsigned int cmd, unsigned flags, const void *in,
		size_t in_size, size_t out_size);
void fh_get(struct fh *fh);
void fh_put(struct fh *fh);
int dir_open(const char *path, const struct node *n, struct fuse_file_info *fi);
void dir_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void dir_read_plus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi);
void dir_release(struct fuse_file_info *fi);
/* Releases the files still open when the mount is gone: no RELEASE will come for them. */
void fs_release_open_files(void);

/* tape.c: drives/<d>/tape of a simulated drive (rsmfs(5), TAPE FILES) */
void tape_read_fh(fuse_req_t req, struct fh *fh, size_t size, off_t off);

/* park.c: channel reads and the poll notifier */
void channel_read(fuse_req_t req, struct fh *fh, size_t size, off_t off);
void channel_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph);
void channel_release(struct fh *fh);
int notifier_start(void);
void notifier_stop(void);
/* Queues the drop of inos' attributes and of the entry of gone (a path, or NULL), then the
 * release of event seq, for the notifier thread, which takes inos (malloc'd); false when it is
 * not running (inos not taken). */
bool notifier_invalidate(uint64_t seq, fuse_ino_t *inos, size_t n, const char *gone);
/* Answers a write with err, or with size written, after the drops queued before it. */
void reply_after_drops(fuse_req_t req, int err, size_t size);

/* replay.c: inotify events and attribute polls for the engine's own changes */
int replay_start(void);
void replay_stop(void);
void replay_poll_add(struct fh *fh);
/* The open file is released: it is no longer polled. */
void replay_poll_forget(struct fh *fh);
/* Asks the thread to compare path (a poll found it changed): its attributes are dropped and its
 * pollers woken in order with the engine's events; false when the thread does not run. */
bool replay_poll_kick(const char *path);

/* hands.c: the child process that makes the replay's calls, and their recognition */
enum replay_op {
	REPLAY_LOOKUP,
	REPLAY_MKDIR,
	REPLAY_SYMLINK,
	REPLAY_RMDIR,
	REPLAY_UNLINK,
	REPLAY_OPEN,
	REPLAY_WRITE,
	REPLAY_RELEASE,
	REPLAY_FLUSH,
};
/* A request as the replay's recogniser sees it: what it does (op), to what (path: lookup,
 * mkdir, symlink, open), through which open file (fi: open, write, release), and how much
 * (size: write). */
struct replay_call {
	enum replay_op op;
	const char *path;
	struct fuse_file_info *fi;
	size_t size;
};
/* When req is one of the replay's own calls, answers it as the replay needs, without effect
 * on the engine, and returns true; returns false for everyone else's requests. */
bool replay_intercept(fuse_req_t req, const struct replay_call *call);
/* Whether req is one of the replay's own calls (a getattr of its open's permission check). */
bool replay_own_call(fuse_req_t req);
/* Whether the hands are about to make path (the kernel must not hold an entry of it). */
bool replay_creating(const char *path);

/* ops.c */
extern const struct fuse_lowlevel_ops rsmfs_ops;

#endif
