/* helper.h - a child process that makes calls through the mount for one thread of the daemon
 * (helper.c): the replay's hands (hands.c) and the notifier's settler (attrs.c). */
#ifndef RSMFS_HELPER_H
#define RSMFS_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct helper {
	pid_t pid; /* -1 until started */
	int cmd_fd, ack_fd;
	volatile bool quit; /* the daemon is stopping: a call under way is not waited for */
};

#define HELPER_INIT                                                                                \
	{                                                                                          \
		.pid = -1, .cmd_fd = -1, .ack_fd = -1                                              \
	}

/* Starts the child; 0, or -1 when it cannot. */
int helper_start(struct helper *h);
/* Has the child run one command and waits until it is done: op (helper.c lists them), path
 * relative to the mount, arg the command's own (a symlink's target, a size) or NULL.  False when
 * a settle did not, or the child is gone or stuck, or the daemon is stopping (the helper then
 * takes no more). */
bool helper_do(struct helper *h, char op, const char *path, const char *arg);
/* helper_do in two halves, so that one wait covers several commands: the command sent (false
 * when it cannot be), then the wait for count commands (false when the child is gone or
 * stuck), each one's outcome in done[] (NULL: not wanted). */
bool helper_send(struct helper *h, char op, const char *path, const char *arg);
bool helper_wait(struct helper *h, size_t count, bool *done);
/* helper_send of a settle: path's size, once the kernel holds it, is to be size. */
bool helper_send_settle(struct helper *h, const char *path, size_t size);
/* Stops waiting for the child: a call it has under way may never be answered. */
void helper_quit(struct helper *h);
/* Kills the child at once (it is stuck in a call nobody will answer). */
void helper_kill(struct helper *h);
/* Ends the child: no more commands, then a wait for its exit, then SIGKILL. */
void helper_stop(struct helper *h);
/* Whether req's caller is h's child. */
bool helper_is_caller(const struct helper *h, pid_t caller);

#endif
