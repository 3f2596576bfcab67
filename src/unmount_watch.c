/* unmount_watch.c - noticing a lazy unmount (fusermount3 -uz, umount -l).
 *
 * A lazily unmounted FUSE file system stays connected for as long as any process keeps one of
 * its files open, and the kernel tells the daemon nothing.  Processes parked in blocked channel
 * reads and mount writes keep their files open waiting for the daemon, so neither side would
 * ever move.  This thread watches the mount table instead (poll() on /proc/self/mountinfo
 * wakes on every change) and, once the entry with our device number has left it, stops the
 * daemon exactly as SIGTERM does: parked reads get end of file, parked writes ESHUTDOWN.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_log.h"
#include "unmount_watch.h"

static struct {
	pthread_t thread;
	bool running;
	int table;	 /* /proc/self/mountinfo */
	int wake[2];	 /* written by unmount_watch_stop */
	char device[32]; /* "major:minor" of our mount */
} watch = {.table = -1, .wake = {-1, -1}};

/* The whole mount table, malloc'd (it has no size to stat). */
static char *table_read(int fd)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);

	if (!buf || lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *n = realloc(buf, cap *= 2);
			if (!n) {
				free(buf);
				return NULL;
			}
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return buf;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The device ("major:minor") and mount point of one mountinfo line of an rsmfs mount:
 * "<id> <parent> <major:minor> <root> <mount point> <options> ... - fuse.rsmfs ...". */
static bool rsmfs_line(const char *line, char dev[32], char point[4200])
{
	const char *dash = strstr(line, " - ");

	if (!dash || strncmp(dash + 3, "fuse.rsmfs ", 11) != 0 ||
	    sscanf(line, "%*s %*s %31s %*s %4199s", dev, point) != 2)
		return false;
	unescape(point);
	return true;
}

/* The device of the last rsmfs mount at mountpoint in table (with want NULL), or whether the
 * rsmfs mount with device want is in it.  table is split into lines in place. */
static bool table_scan(char *table, const char *mountpoint, const char *want, char *device,
		       size_t len)
{
	bool found = false;

	for (char *save, *line = strtok_r(table, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dev[32], point[4200];
		if (!rsmfs_line(line, dev, point))
			continue;
		if (want && strcmp(dev, want) == 0)
			return true;
		if (!want && strcmp(point, mountpoint) == 0) {
			snprintf(device, len, "%s", dev);
			found = true;
		}
	}
	return found;
}

static void *watch_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = {{watch.table, POLLPRI | POLLERR, 0},
				      {watch.wake[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		char *table = table_read(watch.table);
		if (!table)
			continue;
		bool mounted = table_scan(table, NULL, watch.device, NULL, 0);
		free(table);
		if (!mounted) {
			daemon_log(RSM_LOG_NOTICE,
				   "the mount is gone (umount, or a lazy unmount): stopping");
			kill(getpid(), SIGTERM);
			return NULL;
		}
	}
}

int unmount_watch_start(const char *mountpoint)
{
	char *table;

	watch.table = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (watch.table < 0)
		return -1;
	table = table_read(watch.table);
	bool found =
	    table && table_scan(table, mountpoint, NULL, watch.device, sizeof(watch.device));
	free(table);
	if (!found || pipe2(watch.wake, O_CLOEXEC) < 0) {
		close(watch.table);
		watch.table = -1;
		return -1;
	}
	if (pthread_create(&watch.thread, NULL, watch_main, NULL) != 0) {
		close(watch.wake[0]);
		close(watch.wake[1]);
		close(watch.table);
		watch.table = -1;
		return -1;
	}
	watch.running = true;
	return 0;
}

void unmount_watch_stop(void)
{
	if (!watch.running)
		return;
	char c = 0;
	if (write(watch.wake[1], &c, 1) < 0)
		perror("rsmfs: unmount watch");
	pthread_join(watch.thread, NULL);
	close(watch.wake[0]);
	close(watch.wake[1]);
	close(watch.table);
	watch.running = false;
}
