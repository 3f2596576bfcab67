/* floorfs.c - the floor of a FUSE control filesystem, for the benchmarks (bench/bench.c).
 *
 * The cheapest thing a FUSE control filesystem can be on this kernel, written with the same
 * libfuse3 low-level API and the same choices as rsmfs (direct_io, parked reads answered from
 * another thread's write), so that rsmfs's figures can be shown as a ratio of it:
 *
 *   drives/d0/state              a constant attribute file ("empty\n")
 *   drives/d0/                   an object directory
 *   drives/d1/ctl                every write publishes one event line to every open channel
 *   sessions/bench/notify/drive  each open is a channel; a read with nothing queued is parked
 *                                and answered by the write that publishes the next event
 *
 * Usage: floorfs <mountpoint> [--ready-fd N] [--attr-timeout S]   (foreground; SIGTERM unmounts)
 *
 * Entries and directory attributes are kept 0.5 s, as rsmfs keeps them; file attributes for
 * --attr-timeout seconds (default 0, never): bench/run gives 1, the caching floor that rsmfs's
 * kept attributes (rsmfs(5), CACHING) are measured against.
 */
/* 3.12: the version whose fuse_session_loop_mt takes the config fuse_loop_cfg_create makes;
 * an older version's loop reads that config as the old struct (clone_fd set, no idle
 * threads kept: a thread made and ended for every request) */
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The same paths as rsmfs's (drives/d0/state, drives/d1/ctl, sessions/bench/notify/drive), so
 * that a path walk costs the same number of lookups and permission checks in both. */
enum {
	INO_ROOT = 1,
	INO_DRIVES,
	INO_D0,
	INO_STATE,
	INO_D1,
	INO_CTL,
	INO_SESSIONS,
	INO_BENCH,
	INO_NOTIFY,
	INO_EVENTS,
};

static const struct entry {
	fuse_ino_t ino, parent;
	const char *name;
	mode_t mode;
} entries[] = {
    {INO_DRIVES, INO_ROOT, "drives", S_IFDIR | 0755},
    {INO_D0, INO_DRIVES, "d0", S_IFDIR | 0755},
    {INO_STATE, INO_D0, "state", S_IFREG | 0444},
    {INO_D1, INO_DRIVES, "d1", S_IFDIR | 0755},
    {INO_CTL, INO_D1, "ctl", S_IFREG | 0666},
    {INO_SESSIONS, INO_ROOT, "sessions", S_IFDIR | 0777},
    {INO_BENCH, INO_SESSIONS, "bench", S_IFDIR | 0755},
    {INO_NOTIFY, INO_BENCH, "notify", S_IFDIR | 0755},
    {INO_EVENTS, INO_NOTIFY, "drive", S_IFREG | 0444},
};
#define NENTRIES (sizeof(entries) / sizeof(entries[0]))
static const char state_text[] = "empty\n";

/* An open of /events: events not read yet, and a parked read. */
struct channel {
	struct channel *next, *prev;
	unsigned long pending; /* events queued */
	fuse_req_t parked;
	size_t parked_size;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double file_attr_timeout; /* --attr-timeout */
static struct channel *channels;
static unsigned long seq;

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_mode = S_IFDIR | 0755;
	for (size_t i = 0; i < NENTRIES; i++)
		if (entries[i].ino == ino)
			st->st_mode = entries[i].mode;
	if (ino == INO_STATE)
		st->st_size = sizeof(state_text) - 1;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {0};

	for (size_t i = 0; i < NENTRIES; i++)
		if (entries[i].parent == parent && strcmp(entries[i].name, name) == 0) {
			e.ino = entries[i].ino;
			/* rsmfs's policy: entries and directory attributes kept 0.5 s; a lookup
			 * keeps no file attributes, the getattr after it does */
			e.entry_timeout = 0.5;
			fill_stat(e.ino, &e.attr);
			e.attr_timeout = S_ISDIR(e.attr.st_mode) ? 0.5 : 0;
			fuse_reply_entry(req, &e);
			return;
		}
	fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, S_ISDIR(st.st_mode) ? 0.5 : file_attr_timeout);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)attr, (void)to_set, (void)fi;
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, 0); /* O_TRUNC on ctl */
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	fi->fh = 0;
	if (ino == INO_EVENTS) {
		struct channel *c = calloc(1, sizeof(*c));
		if (!c) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		pthread_mutex_lock(&lock);
		c->next = channels;
		if (channels)
			channels->prev = c;
		channels = c;
		pthread_mutex_unlock(&lock);
		fi->fh = (uint64_t)(uintptr_t)c;
	}
	fuse_reply_open(req, fi);
}

/* One event line for a channel: what a read gets. */
static size_t event_line(char *buf, size_t size, unsigned long n)
{
	int len = snprintf(buf, size, "%lu update drive drives/d0 -\n", n);
	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char line[96];

	if (ino != INO_EVENTS) {
		size_t len = sizeof(state_text) - 1;
		if ((size_t)off >= len) {
			fuse_reply_buf(req, NULL, 0);
			return;
		}
		fuse_reply_buf(req, state_text + off,
			       len - (size_t)off < size ? len - (size_t)off : size);
		return;
	}
	struct channel *c = (struct channel *)(uintptr_t)fi->fh;
	pthread_mutex_lock(&lock);
	if (c->pending) {
		c->pending--;
		unsigned long n = seq;
		pthread_mutex_unlock(&lock);
		fuse_reply_buf(req, line,
			       event_line(line, sizeof(line) < size ? sizeof(line) : size, n));
		return;
	}
	if (fi->flags & O_NONBLOCK) {
		pthread_mutex_unlock(&lock);
		fuse_reply_err(req, EAGAIN);
		return;
	}
	c->parked = req; /* answered by the next write to ctl */
	c->parked_size = size;
	pthread_mutex_unlock(&lock);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	char line[96];

	(void)buf, (void)off, (void)fi;
	if (ino != INO_CTL) {
		fuse_reply_err(req, EACCES);
		return;
	}
	pthread_mutex_lock(&lock);
	unsigned long n = ++seq;
	for (struct channel *c = channels; c; c = c->next) {
		if (c->parked) {
			size_t len = event_line(
			    line, c->parked_size < sizeof(line) ? c->parked_size : sizeof(line), n);
			fuse_reply_buf(c->parked, line, len);
			c->parked = NULL;
		} else {
			c->pending++;
		}
	}
	pthread_mutex_unlock(&lock);
	fuse_reply_write(req, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino == INO_EVENTS) {
		struct channel *c = (struct channel *)(uintptr_t)fi->fh;
		pthread_mutex_lock(&lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			channels = c->next;
		if (c->next)
			c->next->prev = c->prev;
		if (c->parked)
			fuse_reply_buf(c->parked, NULL, 0);
		pthread_mutex_unlock(&lock);
		free(c);
	}
	fuse_reply_err(req, 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	char buf[4096];
	size_t used = 0;
	size_t k = 0;

	(void)fi;
	for (size_t i = 0; i < NENTRIES; i++) {
		if (entries[i].parent != ino)
			continue;
		if ((off_t)k++ < off)
			continue;
		struct stat st = {.st_ino = entries[i].ino, .st_mode = entries[i].mode};
		size_t need = fuse_add_direntry(req, buf + used, sizeof(buf) - used,
						entries[i].name, &st, (off_t)k);
		if (need > sizeof(buf) - used || used + need > size)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	(void)ino, (void)fi;
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
    .readdir = op_readdir,
    .poll = op_poll,
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	struct fuse_loop_config *cfg;
	int ready_fd = -1, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: floorfs <mountpoint> [--ready-fd N] [--attr-timeout S]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ready-fd") == 0)
			ready_fd = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--attr-timeout") == 0)
			file_attr_timeout = atof(argv[i + 1]);
	}
	if (fuse_opt_add_arg(&args, argv[0]) ||
	    fuse_opt_add_arg(&args, "-ofsname=floorfs,subtype=floorfs,default_permissions"))
		return 1;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0)
		return 1;
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			perror("floorfs: --ready-fd");
		close(ready_fd);
	}
	cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(cfg, 64);
	fuse_loop_cfg_set_idle_threads(cfg, 64);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	return rc ? 1 : 0;
}
