/* helper.c - a child process that makes calls through the mount for one thread of the daemon:
 * the replay's hands (hands.c: the calls that make inotify events) and the notifier's settler
 * (attrs.c: the stats that make the kernel hold a changed size before anyone hears of it).
 *
 * The calls go through a child process, not the thread: a process with a file open on its own
 * mount cannot always die (its exit closes the file and waits for a FLUSH that nobody will
 * answer), a call the session loop will never answer must not hold up the daemon's stop, and
 * kill -9 of the daemon must always work.  The child holds no descriptor of the FUSE device, so
 * the daemon's death closes the connection, and the kernel fails any call the child still has
 * under way.  One command at a time: the thread sends it and waits for the child's one-byte
 * acknowledgement ("k", or "n" for a settle that did not).
 *
 * Commands, one line each, "<op> <absolute path>[\t<arg>]":
 *   m  a one-byte write to an attribute file (IN_MODIFY)
 *   d  mkdir                      l  symlink to arg
 *   D  rmdir                      L  unlink
 *   s  settle: stat the file afresh until the kernel's own copy of its size is arg
 * Failures are ignored: an inotify event is lost, a size stays unsettled; the state itself is
 * right.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "tree.h"

/* A settle asks the daemon afresh at most this many times: a change that comes meanwhile is
 * settled by a command of its own. */
#define SETTLE_TRIES 4

/* ---- the child ---- */

/* s: a stat that asks the daemon, whose answer (never kept) the kernel stores unless a newer
 * one came first, then the kernel's own copy of path's size, read without asking: again until
 * that is want.  True when it is. */
static bool child_settle(const char *path, const char *want)
{
	long long size = want ? strtoll(want, NULL, 10) : -1;
	struct statx stx;

	for (int i = 0; i < SETTLE_TRIES; i++) {
		if (statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_SIZE, &stx) < 0 ||
		    statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_SIZE, &stx) < 0)
			return false;
		if ((long long)stx.stx_size == size)
			return true;
	}
	return false;
}

/* m: a one-byte write to an attribute file. */
static void child_modify(const char *path)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "\n", 1) < 0) {
			/* the event is lost; the state itself is right */
		}
		close(fd);
	}
}

/* Runs one command line (helper.c's header lists them); false when a settle did not. */
static bool child_run(char *line)
{
	char *path = line + 2, *arg = strchr(path, '\t');

	if (arg)
		*arg++ = '\0';
	switch (line[0]) {
	case 'm':
		child_modify(path);
		break;
	case 'd':
		mkdir(path, 0755);
		break;
	case 'l':
		if (symlink(arg ? arg : ".", path) < 0) {
			/* already there: nothing to announce */
		}
		break;
	case 'D':
		rmdir(path);
		break;
	case 'L':
		unlink(path);
		break;
	case 's':
		return child_settle(path, arg);
	}
	return true;
}

/* The child's loop: a command line from cmd, run, acknowledged with one byte on ack. */
static void child_main(int cmd, int ack)
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
		bool done = child_run(buf);
		used -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, used);
		if (write(ack, done ? "k" : "n", 1) != 1)
			_exit(0);
	}
}

/* In the child: only the two pipes stay open, as descriptors 3 and 4.  Above all no FUSE
 * device descriptor, and none of the daemon's standard streams, which whoever started it may
 * be waiting on. */
static void child_start(int cmd, int ack)
{
	int c = fcntl(cmd, F_DUPFD, 10), a = fcntl(ack, F_DUPFD, 10);
	int null = open("/dev/null", O_RDWR);

	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	dup2(c, 3);
	dup2(a, 4);
	close_range(5, ~0U, 0);
	child_main(3, 4);
}

/* ---- the daemon's side ---- */

int helper_start(struct helper *h)
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
		child_start(cmd[0], ack[1]);
	close(cmd[0]);
	close(ack[1]);
	if (pid < 0) {
		close(cmd[1]);
		close(ack[0]);
		return -1;
	}
	h->cmd_fd = cmd[1];
	h->ack_fd = ack[0];
	h->pid = pid;
	return 0;
}

/* The child is gone or stuck: no more commands for it. */
static void helper_give_up(struct helper *h)
{
	if (h->cmd_fd >= 0)
		close(h->cmd_fd);
	h->cmd_fd = -1;
}

/* Waits for the child's acknowledgement; false when the child is gone, or when the daemon is
 * stopping and the call is still unanswered.  A call that a worker took off the device just as
 * the session loop cancelled it is never answered, and the child cannot die while the call
 * waits, which it does until the mount goes; the mount goes after the helper's thread has
 * stopped waiting. */
static bool ack_wait(struct helper *h, bool *done)
{
	struct pollfd p = {.fd = h->ack_fd, .events = POLLIN};
	char ack;

	for (;;) {
		int n = poll(&p, 1, 50);
		if (n > 0 && read(h->ack_fd, &ack, 1) == 1) {
			*done = ack == 'k';
			return true;
		}
		if (n > 0)
			return false;
		if ((n < 0 && errno != EINTR) || h->quit ||
		    (fs_global.se && fuse_session_exited(fs_global.se)))
			return false;
	}
}

bool helper_send(struct helper *h, char op, const char *path, const char *arg)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "%c %s/%s%s%s\n", op, fs_global.mountpoint, path,
			 arg ? "\t" : "", arg ? arg : "");

	if (h->cmd_fd < 0 || h->quit || n <= 0 || (size_t)n >= sizeof(line))
		return false;
	if (write(h->cmd_fd, line, (size_t)n) != n) {
		helper_give_up(h);
		return false;
	}
	return true;
}

bool helper_send_settle(struct helper *h, const char *path, size_t size)
{
	char arg[24];

	snprintf(arg, sizeof(arg), "%zu", size);
	return helper_send(h, 's', path, arg);
}

bool helper_wait(struct helper *h, size_t count, bool *done)
{
	for (size_t i = 0; i < count; i++) {
		bool d = false;
		if (h->cmd_fd < 0 || !ack_wait(h, &d)) {
			helper_give_up(h);
			for (; done && i < count; i++)
				done[i] = false;
			return false;
		}
		if (done)
			done[i] = d;
	}
	return true;
}

bool helper_do(struct helper *h, char op, const char *path, const char *arg)
{
	bool done = false;

	return helper_send(h, op, path, arg) && helper_wait(h, 1, &done) && done;
}

void helper_quit(struct helper *h)
{
	h->quit = true;
}

void helper_kill(struct helper *h)
{
	if (h->pid > 0)
		kill(h->pid, SIGKILL);
}

/* Waits up to ms for the child to exit; true when it has. */
static bool helper_exited(struct helper *h, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(h->pid, NULL, WNOHANG) == h->pid)
			return true;
		usleep(10000);
	}
	return false;
}

void helper_stop(struct helper *h)
{
	if (h->pid <= 0)
		return;
	if (h->cmd_fd >= 0)
		close(h->cmd_fd); /* the child's end of work */
	h->cmd_fd = -1;
	if (!helper_exited(h, 500)) {
		kill(h->pid, SIGKILL);
		helper_exited(h, 100);
	}
	close(h->ack_fd);
	h->ack_fd = -1;
	h->pid = -1;
}

bool helper_is_caller(const struct helper *h, pid_t caller)
{
	return h->pid > 0 && caller == h->pid;
}
