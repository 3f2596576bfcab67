/* lossyfs - a passthrough filesystem that loses what was not synced, for power-loss tests.
 *
 *   lossyfs [FUSE options] BACKING MOUNTPOINT
 *
 * Shows the directory BACKING at MOUNTPOINT.  What a program writes to a regular file (write,
 * truncate, O_TRUNC) stays in this process's memory, as in a kernel's page cache, until the
 * program calls fsync(2) or fdatasync(2) on that file: only then does it reach BACKING, and
 * BACKING's own fsync follows.  Writing "clear-cache" to the control file /.lossyfs throws
 * away everything not synced, which is what a power cut does to a page cache (LazyFS, from
 * the same idea, does it for Jepsen); "sync" writes everything through instead.
 *
 * Reading /.lossyfs gives one line per file that was ever synced:
 *     <path> <fsyncs> <start of the last fsync, CLOCK_MONOTONIC nanoseconds>
 * so that a test can tell which of the changes acknowledged to it came before the last sync.
 *
 * Names, directories and sizes of new files go straight to BACKING (the metadata journal of
 * the filesystem underneath is taken as durable; the data is what is modelled).  Files whose
 * name ends in "-shm" pass through with the kernel's page cache: SQLite maps them into memory,
 * and rebuilds them after a crash.  Every other file is opened with direct I/O, so that no
 * page cache in the kernel keeps what this process has thrown away.
 *
 * One thread (-s) serves everything: a test tool need not be fast, and the cache needs no
 * lock.
 */
#define FUSE_USE_VERSION 35
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define CONTROL "/.lossyfs"
#define CONTROL_FH UINT64_MAX

/* What this process holds of one regular file that BACKING does not (yet). */
struct lfile {
	char *path;
	bool tracked;	    /* size, valid and pages mean something */
	off_t size;	    /* the file's size as programs see it */
	off_t valid;	    /* BACKING's bytes below this are the file's, where no page says else */
	char **pages;	    /* unsynced pages by index; NULL where BACKING (or zeros) holds it */
	size_t npages;	    /* length of pages */
	uint64_t syncs;	    /* fsyncs that reached BACKING */
	uint64_t last_sync; /* CLOCK_MONOTONIC ns at the start of the last one */
	struct lfile *next;
};

static int backing = -1;
static struct lfile *files;

/* ---- the cache ---- */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A path of the mount as a path relative to BACKING ("/a/b" -> "a/b", "/" -> "."). */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static bool passthrough(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcmp(path + n - 4, "-shm") == 0;
}

/* The state of path, made (untracked) when create and not there yet. */
static struct lfile *lfile_find(const char *path, bool create)
{
	for (struct lfile *f = files; f; f = f->next)
		if (strcmp(f->path, path) == 0)
			return f;
	if (!create)
		return NULL;
	struct lfile *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return NULL;
	}
	f->next = files;
	files = f;
	return f;
}

/* Forgets the unsynced pages and size of f (a power cut, or after they were synced). */
static void lfile_drop(struct lfile *f)
{
	for (size_t i = 0; i < f->npages; i++)
		free(f->pages[i]);
	free(f->pages);
	f->pages = NULL;
	f->npages = 0;
	f->tracked = false;
}

/* Starts tracking f from BACKING's file fd: its size is the file's. */
static int lfile_load(struct lfile *f, int fd)
{
	struct stat st;

	if (f->tracked)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	f->size = f->valid = st.st_size;
	f->tracked = true;
	return 0;
}

/* Reads what BACKING holds of [off, off + len) within valid, zeros past it. */
static int backing_read(const struct lfile *f, int fd, char *buf, size_t len, off_t off)
{
	size_t have = off >= f->valid ? 0 : (size_t)(f->valid - off);

	if (have > len)
		have = len;
	memset(buf + have, 0, len - have);
	while (have) {
		ssize_t n = pread(fd, buf, have, off);
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset(buf, 0, have);
			break;
		}
		buf += n;
		off += n;
		have -= (size_t)n;
	}
	return 0;
}

/* The unsynced page index i of f, made from BACKING's bytes when it is not there yet. */
static char *lfile_page(struct lfile *f, int fd, size_t i)
{
	if (i >= f->npages) {
		size_t n = f->npages ? f->npages : 16;
		while (n <= i)
			n *= 2;
		char **p = realloc(f->pages, n * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + f->npages, 0, (n - f->npages) * sizeof(*p));
		f->pages = p;
		f->npages = n;
	}
	if (!f->pages[i]) {
		char *page = malloc(PAGE);
		if (!page || backing_read(f, fd, page, PAGE, (off_t)i * PAGE) < 0) {
			free(page);
			return NULL;
		}
		f->pages[i] = page;
	}
	return f->pages[i];
}

static int lfile_read(struct lfile *f, int fd, char *buf, size_t len, off_t off)
{
	int rc = lfile_load(f, fd);

	if (rc < 0)
		return rc;
	if (off >= f->size)
		return 0;
	if ((off_t)len > f->size - off)
		len = (size_t)(f->size - off);
	for (size_t done = 0; done < len;) {
		size_t i = (size_t)((off + (off_t)done) / PAGE),
		       at = (size_t)((off + (off_t)done) % PAGE);
		size_t n = PAGE - at < len - done ? PAGE - at : len - done;
		if (i < f->npages && f->pages[i])
			memcpy(buf + done, f->pages[i] + at, n);
		else if ((rc = backing_read(f, fd, buf + done, n, off + (off_t)done)) < 0)
			return rc;
		done += n;
	}
	return (int)len;
}

static int lfile_write(struct lfile *f, int fd, const char *buf, size_t len, off_t off)
{
	int rc = lfile_load(f, fd);

	if (rc < 0)
		return rc;
	for (size_t done = 0; done < len;) {
		size_t i = (size_t)((off + (off_t)done) / PAGE),
		       at = (size_t)((off + (off_t)done) % PAGE);
		size_t n = PAGE - at < len - done ? PAGE - at : len - done;
		char *page = lfile_page(f, fd, i);
		if (!page)
			return -ENOMEM;
		memcpy(page + at, buf + done, n);
		done += n;
	}
	if (off + (off_t)len > f->size)
		f->size = off + (off_t)len;
	return (int)len;
}

/* Cuts or extends f to size; what lies past a cut reads as zeros if it is extended again. */
static int lfile_truncate(struct lfile *f, int fd, off_t size)
{
	int rc = lfile_load(f, fd);

	if (rc < 0)
		return rc;
	if (size < f->size) {
		size_t first = (size_t)(size / PAGE);
		if (size % PAGE) {
			char *page = lfile_page(f, fd, first);
			if (!page)
				return -ENOMEM;
			memset(page + size % PAGE, 0, PAGE - (size_t)(size % PAGE));
			first++;
		}
		for (size_t i = first; i < f->npages; i++) {
			free(f->pages[i]);
			f->pages[i] = NULL;
		}
		if (size < f->valid)
			f->valid = size;
	}
	f->size = size;
	return 0;
}

/* Writes f's unsynced pages and size to BACKING's file fd and syncs it. */
static int lfile_sync(struct lfile *f, int fd)
{
	uint64_t start = monotonic_ns();

	if (f->tracked) {
		/* BACKING past valid is stale: cut it there, then out to the size (zeros) */
		if (ftruncate(fd, f->valid) < 0 || ftruncate(fd, f->size) < 0)
			return -errno;
		for (size_t i = 0; i < f->npages; i++) {
			off_t at = (off_t)i * PAGE;
			if (!f->pages[i] || at >= f->size)
				continue;
			size_t n = f->size - at < PAGE ? (size_t)(f->size - at) : PAGE;
			if (pwrite(fd, f->pages[i], n, at) != (ssize_t)n)
				return errno ? -errno : -EIO;
		}
	}
	if (fsync(fd) < 0)
		return -errno;
	lfile_drop(f);
	f->syncs++;
	f->last_sync = start;
	return 0;
}

/* Writes every unsynced file through ("sync" on the control file). */
static int sync_all(void)
{
	for (struct lfile *f = files; f; f = f->next) {
		if (!f->tracked)
			continue;
		int fd = openat(backing, rel(f->path), O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		int rc = lfile_sync(f, fd);
		close(fd);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the filesystem ---- */

static int lossy_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	if (strcmp(path, CONTROL) == 0) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_uid = getuid();
		st->st_gid = getgid();
		return 0;
	}
	if (fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	struct lfile *f = lfile_find(path, false);
	if (f && f->tracked && S_ISREG(st->st_mode))
		st->st_size = f->size;
	return 0;
}

static int lossy_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			 struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off, (void)fi, (void)flags;
	int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	for (struct dirent *e; (e = readdir(d));)
		fill(buf, e->d_name, NULL, 0, 0);
	closedir(d);
	return 0;
}

/* Opens BACKING's file for whatever the caller asked, always readable (the cache fills
 * pages from it) and never truncated (a truncation is data, and waits for a sync). */
static int open_backing(const char *path, int flags, mode_t mode, struct fuse_file_info *fi)
{
	int fd =
	    openat(backing, rel(path), (flags & ~(O_ACCMODE | O_TRUNC | O_APPEND)) | O_RDWR, mode);

	if (fd < 0 && errno == EACCES)
		fd = openat(backing, rel(path), flags & ~(O_TRUNC | O_APPEND), mode);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	fi->direct_io = !passthrough(path);
	if ((flags & O_TRUNC) && !passthrough(path)) {
		struct lfile *f = lfile_find(path, true);
		int rc = f ? lfile_truncate(f, fd, 0) : -ENOMEM;
		if (rc < 0) {
			close(fd);
			return rc;
		}
	} else if ((flags & O_TRUNC) && ftruncate(fd, 0) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return 0;
}

static int lossy_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, CONTROL) == 0) {
		fi->fh = CONTROL_FH;
		fi->direct_io = 1;
		return 0;
	}
	return open_backing(path, fi->flags, 0, fi);
}

static int lossy_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_backing(path, fi->flags | O_CREAT, mode, fi);
}

/* The control file's text: one line per synced file. */
static int control_read(char *buf, size_t size, off_t off)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return -ENOMEM;
	for (struct lfile *f = files; f; f = f->next)
		if (f->syncs)
			fprintf(m, "%s %llu %llu\n", f->path, (unsigned long long)f->syncs,
				(unsigned long long)f->last_sync);
	fclose(m);
	size_t n = (size_t)off >= len ? 0 : len - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, text + off, n);
	free(text);
	return (int)n;
}

static int lossy_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	if (fi->fh == CONTROL_FH)
		return control_read(buf, size, off);
	if (passthrough(path)) {
		ssize_t n = pread((int)fi->fh, buf, size, off);
		return n < 0 ? -errno : (int)n;
	}
	struct lfile *f = lfile_find(path, true);
	return f ? lfile_read(f, (int)fi->fh, buf, size, off) : -ENOMEM;
}

static int lossy_write(const char *path, const char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	if (fi->fh == CONTROL_FH) {
		if (size >= 11 && strncmp(buf, "clear-cache", 11) == 0) {
			for (struct lfile *f = files; f; f = f->next)
				lfile_drop(f);
			return (int)size;
		}
		if (size >= 4 && strncmp(buf, "sync", 4) == 0) {
			int rc = sync_all();
			return rc < 0 ? rc : (int)size;
		}
		return -EINVAL;
	}
	if (passthrough(path)) {
		ssize_t n = pwrite((int)fi->fh, buf, size, off);
		return n < 0 ? -errno : (int)n;
	}
	struct lfile *f = lfile_find(path, true);
	return f ? lfile_write(f, (int)fi->fh, buf, size, off) : -ENOMEM;
}

static int lossy_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	if (fi->fh == CONTROL_FH)
		return 0;
	if (passthrough(path))
		return fsync((int)fi->fh) < 0 ? -errno : 0;
	struct lfile *f = lfile_find(path, true);
	return f ? lfile_sync(f, (int)fi->fh) : -ENOMEM;
}

static int lossy_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd = fi ? (int)fi->fh : openat(backing, rel(path), O_RDWR | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (passthrough(path)) {
		rc = ftruncate(fd, size) < 0 ? -errno : 0;
	} else {
		struct lfile *f = lfile_find(path, true);
		rc = f ? lfile_truncate(f, fd, size) : -ENOMEM;
	}
	if (!fi)
		close(fd);
	return rc;
}

static int lossy_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	if (fi->fh != CONTROL_FH)
		close((int)fi->fh);
	return 0;
}

static int lossy_unlink(const char *path)
{
	struct lfile *f = lfile_find(path, false);

	if (unlinkat(backing, rel(path), 0) < 0)
		return -errno;
	if (f)
		lfile_drop(f); /* a file of the same name later starts afresh */
	return 0;
}

static int lossy_rename(const char *from, const char *to, unsigned int flags)
{
	if (renameat2(backing, rel(from), backing, rel(to), flags) < 0)
		return -errno;
	struct lfile *old = lfile_find(to, false), *f = lfile_find(from, false);
	if (old)
		lfile_drop(old); /* the file replaced, whatever it had not synced */
	if (f) {
		/* the unsynced data goes with the name; the replaced file's record takes the
		 * name left free, where a new file starts afresh */
		char *p = old ? old->path : strdup(to);
		if (!p)
			return -ENOMEM;
		if (old)
			old->path = f->path;
		else
			free(f->path);
		f->path = p;
	}
	return 0;
}

static int lossy_mkdir(const char *path, mode_t mode)
{
	return mkdirat(backing, rel(path), mode) < 0 ? -errno : 0;
}

static int lossy_rmdir(const char *path)
{
	return unlinkat(backing, rel(path), AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int lossy_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	return fchmodat(backing, rel(path), mode, 0) < 0 ? -errno : 0;
}

static int lossy_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	return fchownat(backing, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int lossy_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	return utimensat(backing, rel(path), tv, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int lossy_access(const char *path, int mask)
{
	if (strcmp(path, CONTROL) == 0)
		return 0;
	return faccessat(backing, rel(path), mask, 0) < 0 ? -errno : 0;
}

static int lossy_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return fstatvfs(backing, st) < 0 ? -errno : 0;
}

static void *lossy_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* the kernel must ask for every size: a cut throws sizes away too */
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->use_ino = 1;
	return NULL;
}

static const struct fuse_operations lossy_ops = {
    .init = lossy_init,
    .getattr = lossy_getattr,
    .readdir = lossy_readdir,
    .open = lossy_open,
    .create = lossy_create,
    .read = lossy_read,
    .write = lossy_write,
    .fsync = lossy_fsync,
    .truncate = lossy_truncate,
    .release = lossy_release,
    .unlink = lossy_unlink,
    .rename = lossy_rename,
    .mkdir = lossy_mkdir,
    .rmdir = lossy_rmdir,
    .chmod = lossy_chmod,
    .chown = lossy_chown,
    .utimens = lossy_utimens,
    .access = lossy_access,
    .statfs = lossy_statfs,
};

int main(int argc, char **argv)
{
	char *args[64];
	int n = 0;

	if (argc < 3 || argc > 60) {
		fprintf(stderr, "usage: lossyfs [FUSE options] BACKING MOUNTPOINT\n");
		return 2;
	}
	backing = open(argv[argc - 2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (backing < 0) {
		perror(argv[argc - 2]);
		return 1;
	}
	args[n++] = argv[0];
	args[n++] = "-s";
	for (int i = 1; i < argc - 2; i++)
		args[n++] = argv[i];
	args[n++] = argv[argc - 1];
	args[n] = NULL;
	return fuse_main(n, args, &lossy_ops, NULL);
}
