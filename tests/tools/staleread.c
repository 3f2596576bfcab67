/* staleread.c - no stale size after a change event (rsmfs(5), CACHING), through a real mount.
 *
 *   staleread <mountpoint> <session> <drive> <changes> poll|spin|all|fresh [stress]
 *
 * A writer process disables and enables the drive in turn, <changes> times; a reader process
 * hears of each change by POLLPRI on the drive's state (poll), or three ways (all): a line on
 * sessions/<session>/notify/drive, POLLPRI, and IN_MODIFY on the state file; after each one it
 * reads the value and stats the file; spin is poll with a zero timeout, over and over (a
 * poll that leaves no handle to wake it).  The
 * size stat gives must be the length of what was read, and what was read must be the new value.
 * Between changes the reader stats the file once more, so that the kernel keeps its attributes
 * and a change that failed to drop them would show.  The writer waits for the reader before
 * each change, so every difference is a stale size, never a race of the test.  With stress, a
 * third process stats the file in a tight loop all along: its answers are taken by the kernel
 * while the reader stats, which is where a size kept too early would show.  Exit status 0
 * when every check held; 1 with the first failure on stderr.
 *
 * fresh: the reader holds nothing of the file; it hears of each change on the channel, then
 * stats the file and reads it through an open of its own.  A third process makes the kernel
 * forget the file over and over (drop_caches: root only) and stats it at once, so that its
 * lookups - which make a new inode in the kernel, with the size the lookup's reply brings -
 * race the changes: a size from before a change that the kernel took after the change's drop
 * would show in the reader's stat.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const values[2] = {"disabled\n", "empty\n"};
static const char *const commands[2] = {"disable\n", "enable\n"};

struct reader {
	char state[4096];
	int poll_fd, read_fd, channel_fd, inotify_fd; /* poll_fd read only after POLLPRI */
	int poll_timeout;			      /* ms: -1, or 0 to spin */
	char event_path[64];			      /* "drives/<d>", as channel lines name it */
};

/* Prints why and ends the process with status 1. */
static void fail(const char *fmt, const char *a, long b)
{
	fprintf(stderr, "staleread: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

/* stat's size, taken first (the replay's own calls through the mount refresh the kernel's
 * copy soon after a change, and a stat late enough would miss a size never dropped), then the
 * value now (pread at 0 of fd, which re-arms a poll of it), checked against each other and
 * against the value expected; how is the event that was heard. */
static void check(struct reader *r, int fd, const char *expected, const char *how, long change)
{
	char buf[256];
	struct stat st;

	if (stat(r->state, &st) < 0)
		fail("%s: stat failed at change %ld", how, change);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		fail("%s: read failed at change %ld", how, change);
	buf[n] = '\0';
	if (strcmp(buf, expected) != 0)
		fail("%s: the value is not the new one at change %ld", how, change);
	if (st.st_size != n) {
		fprintf(stderr, "staleread: %s: change %ld: read %zd bytes, stat says %lld\n", how,
			change, n, (long long)st.st_size);
		exit(1);
	}
}

/* The fresh reader's check: stat, then the value read through an open of its own. */
static void check_fresh(struct reader *r, const char *expected, long change)
{
	int fd = open(r->state, O_RDONLY);

	if (fd < 0)
		fail("%s: open failed at change %ld", "fresh", change);
	check(r, fd, expected, "fresh", change);
	close(fd);
}

/* Reads channel lines (whole lines come in one read) until one names the drive. */
static void wait_channel(struct reader *r, long change)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(r->channel_fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			fail("%s: the channel ended at change %ld", "channel", change);
		buf[n] = '\0';
		if (strstr(buf, r->event_path))
			return;
	}
}

/* Waits for POLLPRI on the state file (spinning with a zero timeout, if so told). */
static void wait_pollpri(struct reader *r, long change)
{
	struct pollfd p = {.fd = r->poll_fd, .events = POLLPRI};

	for (;;) {
		int n = poll(&p, 1, r->poll_timeout);
		if (n < 0 && errno != EINTR)
			fail("%s: poll failed at change %ld", "poll", change);
		if (n > 0 && (p.revents & (POLLPRI | POLLERR)))
			return;
	}
}

/* Waits for IN_MODIFY of the state file. */
static void wait_inotify(struct reader *r, long change)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(r->inotify_fd, buf, sizeof(buf));
		if (n <= 0)
			fail("%s: read failed at change %ld", "inotify", change);
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & IN_MODIFY)
				return;
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* The reader: a token on go after each change is checked (and before the first). */
static void reader_main(struct reader *r, int go, long changes)
{
	struct stat st;

	for (long k = 0; k <= changes; k++) {
		if (k > 0 && r->poll_fd < 0) {
			wait_channel(r, k);
			check_fresh(r, values[(k - 1) % 2], k);
		} else if (k > 0 && r->channel_fd < 0) {
			wait_pollpri(r, k);
			check(r, r->poll_fd, values[(k - 1) % 2], "poll", k);
		} else if (k > 0) {
			const char *v = values[(k - 1) % 2];
			wait_channel(r, k);
			check(r, r->read_fd, v, "channel", k);
			wait_pollpri(r, k);
			check(r, r->poll_fd, v, "poll", k);
			wait_inotify(r, k);
			check(r, r->read_fd, v, "inotify", k);
		}
		/* the kernel now keeps this size: the next change must drop it */
		if (stat(r->state, &st) < 0 || write(go, "g", 1) != 1)
			fail("%s: stat or token failed at change %ld", "reader", k);
	}
	exit(0);
}

/* The stress: stats path until killed; with forget, makes the kernel forget it first each
 * time (every unused dentry and inode of the system goes). */
static void stress_main(const char *path, bool forget)
{
	struct stat st;
	int drop = forget ? open("/proc/sys/vm/drop_caches", O_WRONLY) : -1;

	if (forget && drop < 0)
		_exit(1);
	for (;;) {
		if (forget && pwrite(drop, "2\n", 2, 0) != 2)
			_exit(1);
		if (stat(path, &st) < 0)
			_exit(1);
	}
}

/* The writer: one command to the drive's ctl per token, on one open file (a command per
 * write, as rsmfs(5) has it). */
static int writer_main(const char *ctl, int go, long changes, pid_t reader)
{
	char t;
	int status, fd = open(ctl, O_WRONLY);

	if (fd < 0)
		fail("%s: open failed before change %ld", ctl, 1);
	for (long k = 0; k < changes; k++) {
		if (read(go, &t, 1) != 1)
			break; /* the reader failed: its status says why */
		if (write(fd, commands[k % 2], strlen(commands[k % 2])) < 0)
			fail("%s: write failed at change %ld", ctl, k + 1);
	}
	close(fd);
	if (waitpid(reader, &status, 0) < 0 || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct reader r;
	char channel[4096], ctl[4096];
	int go[2];

	if (argc < 6 || argc > 7 ||
	    (strcmp(argv[5], "poll") != 0 && strcmp(argv[5], "spin") != 0 &&
	     strcmp(argv[5], "all") != 0 && strcmp(argv[5], "fresh") != 0) ||
	    (argc == 7 && strcmp(argv[6], "stress") != 0)) {
		fprintf(
		    stderr,
		    "usage: staleread <mountpoint> <session> <drive> <changes> poll|spin|all|fresh "
		    "[stress]\n");
		return 2;
	}
	bool all = strcmp(argv[5], "all") == 0, fresh = strcmp(argv[5], "fresh") == 0;
	long changes = atol(argv[4]);
	r.poll_timeout = strcmp(argv[5], "spin") == 0 ? 0 : -1;
	snprintf(r.state, sizeof(r.state), "%s/drives/%s/state", argv[1], argv[3]);
	snprintf(ctl, sizeof(ctl), "%s/drives/%s/ctl", argv[1], argv[3]);
	snprintf(channel, sizeof(channel), "%s/sessions/%s/notify/drive", argv[1], argv[2]);
	snprintf(r.event_path, sizeof(r.event_path), " drives/%s ", argv[3]);
	/* everything is open and watched before the first change */
	r.poll_fd = open(r.state, O_RDONLY);
	r.read_fd = open(r.state, O_RDONLY);
	r.channel_fd = all || fresh ? open(channel, O_RDONLY) : -1;
	r.inotify_fd = all ? inotify_init1(0) : -1;
	if (r.poll_fd < 0 || r.read_fd < 0 || ((all || fresh) && r.channel_fd < 0) ||
	    (all && r.inotify_fd < 0) ||
	    (all && inotify_add_watch(r.inotify_fd, r.state, IN_MODIFY) < 0) || pipe(go) < 0) {
		perror("staleread");
		return 1;
	}
	char first[64];
	if (pread(r.poll_fd, first, sizeof(first), 0) != (ssize_t)strlen(values[1])) {
		fprintf(stderr, "staleread: the drive must start empty\n");
		return 1;
	}
	if (fresh) { /* nothing of the file is held: the kernel may forget it */
		close(r.poll_fd);
		close(r.read_fd);
		r.poll_fd = r.read_fd = -1;
	}
	bool with_stress = argc == 7;
	pid_t stress = with_stress ? fork() : 0;
	if (with_stress && stress == 0) {
		close(go[0]); /* the writer must see the pipe end when the reader does */
		close(go[1]);
		stress_main(r.state, fresh);
	}
	pid_t pid = stress < 0 ? -1 : fork();
	if (pid < 0) {
		perror("staleread: fork");
		if (stress > 0)
			kill(stress, SIGKILL);
		return 1;
	}
	if (pid == 0) {
		close(go[0]);
		reader_main(&r, go[1], changes);
	}
	close(go[1]);
	int rc = writer_main(ctl, go[0], changes, pid);
	if (stress > 0) {
		kill(stress, SIGKILL);
		waitpid(stress, NULL, 0);
	}
	return rc;
}
