/* hands.c - the replay's hands: the child process that makes the replay's calls through the
 * mount (rsmfs(5), WATCHERS), and the one place where the file system recognises those calls
 * and answers them without effect on the engine.
 *
 * The calls go through a child process, not the replay thread: a process with a file open on
 * its own mount cannot always die (its exit closes the file and waits for a FLUSH that nobody
 * will answer), and kill -9 of the daemon must always work.  The child holds no descriptor of
 * the FUSE device, so the daemon's death closes the connection, and the kernel fails any call
 * the child still has under way.  One command at a time: the thread sends it and waits for the
 * child's one-byte acknowledgement.
 *
 * The child's path calls (lookup, mkdir, symlink, rmdir, unlink, open) are known by its pid;
 * the writes and releases of the files it opened, by the handle its opens are given.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hands.h"
#include "tree.h"

/* What the hands are doing to a path right now, so that lookup answers it as the call needs:
 * ENOENT before a mkdir or symlink, an entry before an rmdir or unlink of what is gone. */
enum pending_kind { PENDING_NONE, PENDING_CREATE, PENDING_RMDIR, PENDING_UNLINK };

static struct {
	pid_t pid;
	int cmd_fd, ack_fd;
	volatile bool quit;
	pthread_mutex_t pending_lock;
	char pending_path[FS_PATH_MAX];
	enum pending_kind pending;
} hands = {
    .pid = -1,
    .cmd_fd = -1,
    .ack_fd = -1,
    .pending_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The handle the hands' opens get: their writes and releases are known by it. */
static const char hands_handle;
#define HANDS_FH ((uint64_t)(uintptr_t)&hands_handle)

/* ---- the child ---- */

/* Runs one command line "<op> <path>[\t<target>]": m modify, d mkdir, l symlink, D rmdir,
 * L unlink.  Failures are ignored: the event is lost, the state itself is right. */
static void hands_run(char *line)
{
	char *path = line + 2, *target = strchr(path, '\t');
	int fd;

	if (target)
		*target++ = '\0';
	switch (line[0]) {
	case 'm':
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "\n", 1) < 0) {
				/* the event is lost; the state itself is right */
			}
			close(fd);
		}
		break;
	case 'd':
		mkdir(path, 0755);
		break;
	case 'l':
		if (symlink(target ? target : ".", path) < 0) {
			/* already there: nothing to announce */
		}
		break;
	case 'D':
		rmdir(path);
		break;
	case 'L':
		unlink(path);
		break;
	}
}

/* The child's loop: a command line from cmd, run, acknowledged with one byte on ack. */
static void hands_main(int cmd, int ack)
{
	static char buf[8192];
	size_t used = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		char *nl = memchr(buf, '\n', used);
		if (!nl) {
			ssize_t n =
			    used < sizeof(buf) ? read(cmd, buf + used, sizeof(buf) - used) : -1;
			if (n <= 0)
				_exit(0);
			used += (size_t)n;
			continue;
		}
		*nl = '\0';
		hands_run(buf);
		used -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, used);
		if (write(ack, "k", 1) != 1)
			_exit(0);
	}
}

/* In the child: only the two pipes stay open, as descriptors 3 and 4.  Above all no FUSE
 * device descriptor, and none of the daemon's standard streams, which whoever started it may
 * be waiting on. */
static void hands_child(int cmd, int ack)
{
	int c = fcntl(cmd, F_DUPFD, 10), a = fcntl(ack, F_DUPFD, 10);
	int null = open("/dev/null", O_RDWR);

	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	dup2(c, 3);
	dup2(a, 4);
	close_range(5, ~0U, 0);
	hands_main(3, 4);
}

/* Starts the child; 0, or -1 when it cannot. */
int hands_start(void)
{
	int cmd[2], ack[2];

	if (pipe2(cmd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		hands_child(cmd[0], ack[1]);
	close(cmd[0]);
	close(ack[1]);
	if (pid < 0) {
		close(cmd[1]);
		close(ack[0]);
		return -1;
	}
	hands.cmd_fd = cmd[1];
	hands.ack_fd = ack[0];
	hands.pid = pid;
	return 0;
}

/* Stops waiting for the child: a call it has under way may never be answered. */
void hands_quit(void)
{
	hands.quit = true;
}

/* Kills the child at once. */
void hands_kill(void)
{
	kill(hands.pid, SIGKILL);
}

/* Waits up to ms for the child to exit; true when it has. */
static bool hands_exited(int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(hands.pid, NULL, WNOHANG) == hands.pid)
			return true;
		usleep(10000);
	}
	return false;
}

/* Ends the child: its end of work, a wait for its exit, then SIGKILL. */
void hands_stop(void)
{
	if (hands.cmd_fd >= 0)
		close(hands.cmd_fd); /* the child's end of work */
	hands.cmd_fd = -1;
	if (!hands_exited(500)) {
		kill(hands.pid, SIGKILL);
		hands_exited(100);
	}
	close(hands.ack_fd);
}

/* ---- commands ---- */

/* Waits for the child's acknowledgement; false when the child is gone, or when the daemon is
 * stopping and the call is still unanswered.  A call that a worker took off the device just as
 * the session loop cancelled it is never answered, and the child cannot die while the call
 * waits, which it does until the mount goes; the mount goes after the replay has ended. */
static bool ack_wait(void)
{
	struct pollfd p = {.fd = hands.ack_fd, .events = POLLIN};
	char ack;

	for (;;) {
		int n = poll(&p, 1, 50);
		if (n > 0)
			return read(hands.ack_fd, &ack, 1) == 1;
		if ((n < 0 && errno != EINTR) || hands.quit)
			return false;
	}
}

/* Has the child do one call on path (relative to the mount) and waits until it is done. */
static void hands_do(char op, const char *path, const char *target)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "%c %s/%s%s%s\n", op, fs_global.mountpoint, path,
			 target ? "\t" : "", target ? target : "");

	if (hands.cmd_fd < 0 || hands.quit || n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (write(hands.cmd_fd, line, (size_t)n) != n || !ack_wait()) {
		close(hands.cmd_fd);
		hands.cmd_fd = -1; /* the child is gone or stuck: no more replays */
	}
}

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

/* A one-byte write to an attribute file: IN_MODIFY. */
void hands_modify(const char *path)
{
	hands_do('m', path, NULL);
}

/* mkdir or symlink of an entry the engine made: IN_CREATE. */
void hands_create(const char *path, mode_t type, const char *target)
{
	set_pending(path, PENDING_CREATE);
	hands_do(type == S_IFDIR ? 'd' : 'l', path, type == S_IFDIR ? NULL : target);
	set_pending("", PENDING_NONE);
}

/* rmdir or unlink of an entry the engine removed: IN_DELETE. */
void hands_remove(const char *path, mode_t type)
{
	set_pending(path, type == S_IFDIR ? PENDING_RMDIR : PENDING_UNLINK);
	hands_do(type == S_IFDIR ? 'D' : 'L', path, NULL);
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
			: hands.pid > 0 && fuse_req_ctx(req)->pid == hands.pid;

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
	return hands.pid > 0 && fuse_req_ctx(req)->pid == hands.pid;
}
