/* test_ntmsapi.c - libntmsapi (ntmsapi(3)) against real rsmfs mounts this program starts: every
 * return value the five seed pages list (OpenNtmsNotification, CloseNtmsNotification,
 * CloseNtmsSession, CancelNtmsLibraryRequest, DismountNtmsMedia) reached for real, the other
 * functions of the API at work, and eight threads sharing the library.
 *
 * Each test has its own daemon (rsmfs -f --ready-fd 3, as tests/bats/helper.bash starts it)
 * on a temporary mount with a sim library.  The faults are real ones: the catalog made
 * immutable (chattr +i) or locked by another process, a catalog with a size limit filled up,
 * a drive disabled, a medium ejected or disabled, a library no longer configured, the daemon
 * stopped, another uid (setpriv) on an allow_other mount, and allocations failing in the
 * caller's process.  Tests that need root skip without it.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "ntmsapi.h"

/* ---- the header: the ANSI structures have the Windows layout (rsm-reference.md §3, the
 * sizes of a 64-bit target) ---- */

#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(NTMS_OBJECTINFORMATIONA) == 896, "NTMS_OBJECTINFORMATIONA");
_Static_assert(offsetof(NTMS_OBJECTINFORMATIONA, szDescription) == 128, "szDescription");
_Static_assert(offsetof(NTMS_OBJECTINFORMATIONA, Info) == 256, "Info");
_Static_assert(sizeof(NTMS_DRIVEINFORMATIONA) == 232, "NTMS_DRIVEINFORMATIONA");
_Static_assert(sizeof(NTMS_LIBRARYINFORMATION) == 128, "NTMS_LIBRARYINFORMATION");
_Static_assert(sizeof(NTMS_PMIDINFORMATIONA) == 216, "NTMS_PMIDINFORMATIONA");
_Static_assert(sizeof(NTMS_PARTITIONINFORMATIONA) == 640, "NTMS_PARTITIONINFORMATIONA");
_Static_assert(sizeof(NTMS_LIBREQUESTINFORMATIONA) == 340, "NTMS_LIBREQUESTINFORMATIONA");
_Static_assert(sizeof(NTMS_OPREQUESTINFORMATIONA) == 512, "NTMS_OPREQUESTINFORMATIONA");
_Static_assert(sizeof(NTMS_NOTIFICATIONINFORMATION) == 20, "NTMS_NOTIFICATIONINFORMATION");
_Static_assert(sizeof(NTMS_MOUNT_INFORMATION) == 16, "NTMS_MOUNT_INFORMATION");
_Static_assert(sizeof(NTMS_ALLOCATION_INFORMATION) == 32, "NTMS_ALLOCATION_INFORMATION");
#endif
_Static_assert(sizeof(NTMS_GUID) == 16 && sizeof(DWORD) == 4, "NTMS_GUID, DWORD");

/* ---- allocations failing on demand (not under a sanitizer, which owns malloc) ---- */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CAN_FAIL_ALLOCATIONS 0
#else
#define CAN_FAIL_ALLOCATIONS 1
/* glibc's allocator under its own names: this program's malloc is the process's (ELF
 * interposition), so libntmsapi's calls come here too */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static __thread bool failing;

/* malloc, calloc, realloc: NULL while this thread fails them; free as glibc's. */
void *malloc(size_t size)
{
	if (failing) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (failing) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (failing) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

/* ---- the daemon ---- */

struct daemon_options {
	int drives;
	const char *move;    /* robot move time ("0") */
	const char *extra;   /* more lines for [rsmfs] */
	bool second_library; /* vtl1 too (LTO-5 cartridges T00001L5...) */
	bool allow_other;    /* -o allow_other: other uids may use the mount */
};

static struct {
	char dir[64], mnt[96], conf[96], db[96];
	pid_t pid;
	struct daemon_options opt;
} D;

/* Runs a shell command; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The daemon's configuration: vtl0 (and vtl1), busy_timeout 0.2 s, instant by default. */
static void write_conf(void)
{
	FILE *f = fopen(D.conf, "w");

	assert_non_null(f);
	fprintf(f, "[rsmfs]\ndatabase = %s\nbusy_timeout = 0.2\n%s\n\n", D.db,
		D.opt.extra ? D.opt.extra : "");
	fprintf(f,
		"[library vtl0]\nbackend = sim\ndrives = %d\nslots = 16\nports = 1\nmedia = 12\n"
		"media_type = LTO-6\nmove_time = %s\nload_time = 0\nunload_time = 0\n\n",
		D.opt.drives ? D.opt.drives : 2, D.opt.move ? D.opt.move : "0");
	if (D.opt.second_library)
		fprintf(f, "[library vtl1]\nbackend = sim\ndrives = 1\nslots = 4\nports = 1\n"
			   "media = 2\nmedia_type = LTO-5\nmove_time = 0\nload_time = 0\n"
			   "unload_time = 0\n");
	fclose(f);
}

/* Starts the daemon and waits for its readiness byte. */
static void daemon_start(void)
{
	const char *bin = getenv("RSMFS_BIN") ? getenv("RSMFS_BIN") : "./rsmfs";
	int ready[2];
	char byte = 0, err[160];

	write_conf();
	assert_int_equal(pipe(ready), 0);
	snprintf(err, sizeof(err), "%s/rsmfs.err", D.dir);
	D.pid = fork();
	assert_true(D.pid >= 0);
	if (D.pid == 0) {
		int fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		dup2(ready[1], 3);
		execl(bin, bin, "-f", "-c", D.conf, "--ready-fd", "3", "-o",
		      D.opt.allow_other ? "allow_other" : "default_permissions", D.mnt,
		      (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	struct pollfd p = {.fd = ready[0], .events = POLLIN};
	if (poll(&p, 1, 10000) != 1 || read(ready[0], &byte, 1) != 1 || byte != 'r')
		sh("cat %s >&2", err);
	close(ready[0]);
	assert_int_equal(byte, 'r');
}

/* SIGTERM, as an administrator stops the service; the mount goes with it. */
static void daemon_stop(void)
{
	if (D.pid <= 0)
		return;
	kill(D.pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(D.pid, NULL, WNOHANG) == 0; i++)
		usleep(50000);
	if (waitpid(D.pid, NULL, WNOHANG) == 0) {
		kill(D.pid, SIGKILL);
		waitpid(D.pid, NULL, 0);
	}
	D.pid = 0;
	sh("fusermount3 -uz %s 2>/dev/null", D.mnt);
}

/* A new temporary directory and a daemon configured with o. */
static void daemon_new(const struct daemon_options *o)
{
	memset(&D, 0, sizeof(D));
	D.opt = *o;
	snprintf(D.dir, sizeof(D.dir), "/tmp/ntmsapi-test.XXXXXX");
	assert_non_null(mkdtemp(D.dir));
	chmod(D.dir, 0755); /* another uid reaches the mount through it */
	snprintf(D.mnt, sizeof(D.mnt), "%s/mnt", D.dir);
	snprintf(D.conf, sizeof(D.conf), "%s/rsmfs.conf", D.dir);
	snprintf(D.db, sizeof(D.db), "%s/data/rsm.db", D.dir);
	sh("mkdir -p %s %s/data", D.mnt, D.dir);
	daemon_start();
}

/* Each test: a new daemon with the default configuration. */
static int setup(void **state)
{
	(void)state;
	daemon_new(&(struct daemon_options){0});
	return 0;
}

/* The catalog writable again, the daemon stopped, its directory gone. */
static int teardown(void **state)
{
	(void)state;
	if (geteuid() == 0)
		sh("chattr -i %s %s-wal %s-shm 2>/dev/null", D.db, D.db, D.db);
	daemon_stop();
	sh("rm -rf %s", D.dir);
	return 0;
}

/* Restarts with other options (a test that needs another library or mount). */
static void restart(const struct daemon_options *o)
{
	teardown(NULL);
	daemon_new(o);
}

/* ---- the tree, read and written directly (what an administrator does by hand) ---- */

static bool is_root(void)
{
	return geteuid() == 0;
}

/* The value of an attribute file ("" when absent). */
static const char *get(const char *rel, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", D.mnt, rel);
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Writes a command line to a file of the tree; the errno (0 when it worked). */
static int put(const char *rel, const char *line)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", D.mnt, rel);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	int err = write(fd, line, strlen(line)) < 0 ? errno : 0;
	close(fd);
	return err;
}

/* Waits up to 5 s for an attribute to read value. */
static void wait_value(const char *rel, const char *value)
{
	char buf[256];

	for (int i = 0; i < 250 && strcmp(get(rel, buf, sizeof(buf)), value) != 0; i++)
		usleep(20000);
	assert_string_equal(get(rel, buf, sizeof(buf)), value);
}

/* Whether a session whose name starts with prefix is listed under sessions/. */
static bool session_listed(const char *prefix)
{
	char path[160];
	bool found = false;

	snprintf(path, sizeof(path), "%s/sessions", D.mnt);
	DIR *d = opendir(path);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		found |= strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return found;
}

/* The tree's text form of a GUID (the test's own reading, not the library's). */
static bool parse_guid(const char *s, NTMS_GUID *g)
{
	unsigned long d1;
	unsigned d2, d3, b[8];

	if (sscanf(s, "%8lx-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &d1, &d2, &d3, &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &b[6], &b[7]) != 11)
		return false;
	g->Data1 = (DWORD)d1;
	g->Data2 = (WORD)d2;
	g->Data3 = (WORD)d3;
	for (int i = 0; i < 8; i++)
		g->Data4[i] = (BYTE)b[i];
	return true;
}

/* The GUID of an object directory of the tree ("media/T00001L6"). */
static NTMS_GUID id_of(const char *dir)
{
	char rel[160], text[64];
	NTMS_GUID g = {0};

	snprintf(rel, sizeof(rel), "%s/id", dir);
	assert_true(parse_guid(get(rel, text, sizeof(text)), &g));
	return g;
}

/* Whether two GUIDs are one. */
static bool same(const NTMS_GUID *a, const NTMS_GUID *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- through the API ---- */

static HANDLE session(const char *app)
{
	HANDLE s = OpenNtmsSessionA(D.mnt, app, 0);

	assert_true(s != INVALID_HANDLE_VALUE && s != NULL);
	return s;
}

/* Mounts one medium by barcode; the drive's GUID to *drive. */
static DWORD mount(HANDLE s, const char *medium, DWORD options, DWORD timeout, NTMS_GUID *drive)
{
	char dir[96];
	NTMS_GUID d = {0};

	snprintf(dir, sizeof(dir), "media/%s", medium);
	NTMS_GUID m = id_of(dir);
	DWORD e = MountNtmsMedia(s, &m, drive ? drive : &d, 1, options, NTMS_PRIORITY_NORMAL,
				 timeout, NULL);
	return e;
}

/* Dismounts one medium by barcode. */
static DWORD dismount(HANDLE s, const char *medium, DWORD options)
{
	char dir[96];

	snprintf(dir, sizeof(dir), "media/%s", medium);
	NTMS_GUID m = id_of(dir);
	return DismountNtmsMedia(s, &m, 1, options);
}

/* A mount blocked in a thread of its own. */
struct mount_job {
	HANDLE s;
	const char *medium;
	DWORD options, timeout, result;
	pthread_t thread;
};

/* The thread of a mount_job. */
static void *mount_thread(void *arg)
{
	struct mount_job *j = arg;

	j->result = mount(j->s, j->medium, j->options, j->timeout, NULL);
	return NULL;
}

/* Starts a mount_job; pthread_join to have its result. */
static void mount_start(struct mount_job *j)
{
	j->result = 0xdead;
	assert_int_equal(pthread_create(&j->thread, NULL, mount_thread, j), 0);
}

/* The newest library request with this operation and one of the states (a bit mask of
 * NtmsLmState values), found as an RSM program finds it: EnumerateNtmsObject and
 * GetNtmsObjectInformation; waits up to 5 s for one to appear. */
static bool find_request(HANDLE s, DWORD operation, unsigned states, NTMS_GUID *out)
{
	for (int tries = 0; tries < 250; tries++) {
		NTMS_GUID list[256];
		DWORD n = 256;
		assert_int_equal(EnumerateNtmsObject(s, NULL, list, &n, NTMS_LIBREQUEST, 0),
				 ERROR_SUCCESS);
		for (DWORD i = n; i-- > 0;) {
			NTMS_OBJECTINFORMATION info = {.dwSize = sizeof(info),
						       .dwType = NTMS_LIBREQUEST};
			if (GetNtmsObjectInformation(s, &list[i], &info) != ERROR_SUCCESS)
				continue;
			if (info.Info.LibRequest.OperationCode == operation &&
			    (states & (1u << info.Info.LibRequest.State))) {
				*out = list[i];
				return true;
			}
		}
		usleep(20000);
	}
	return false;
}

#define OUTSTANDING ((1u << NTMS_LM_QUEUED) | (1u << NTMS_LM_WAITING))

/* Makes the catalog immutable (as faults.bats does), or writable again. */
static void catalog_immutable(bool on)
{
	sh("chattr %ci %s %s-wal 2>/dev/null", on ? '+' : '-', D.db, D.db);
}

/* Runs fn in a child process that has become uid 4242 (an ordinary user); its result. */
static DWORD as_other_user(DWORD (*fn)(void *), void *arg)
{
	int p[2];
	DWORD code = 0xdead;

	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (setgroups(0, NULL) != 0 || setresgid(4242, 4242, 4242) != 0 ||
		    setresuid(4242, 4242, 4242) != 0)
			_exit(1);
		code = fn(arg);
		if (write(p[1], &code, sizeof(code)) != sizeof(code))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &code, sizeof(code)) != sizeof(code))
		code = 0xdead;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return code;
}

/* ====================================================================================== */
/* CloseNtmsSession: ERROR_SUCCESS, ERROR_INVALID_HANDLE, ERROR_CONNECTION_UNAVAIL, and an
 * outstanding mount unwound and cancelled. */

static void test_session_open_and_close(void **state)
{
	char buf[64];
	(void)state;

	HANDLE s = session("Backup App");
	NTMS_GUID lib = id_of("libraries/vtl0");
	NTMS_GUID one = lib;
	DWORD n = 1;
	assert_int_equal(EnumerateNtmsObject(s, NULL, &one, &n, NTMS_LIBRARY, 0), ERROR_SUCCESS);
	assert_true(same(&one, &lib));
	/* its directory is named after the application */
	snprintf(buf, sizeof(buf), "Backup_App-%ld-", (long)getpid());
	assert_true(session_listed(buf));

	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
	assert_false(session_listed(buf));
	/* a closed handle is stale: every use of it is ERROR_INVALID_HANDLE */
	assert_int_equal(CloseNtmsSession(s), ERROR_INVALID_HANDLE);
	assert_int_equal(EnumerateNtmsObject(s, NULL, &one, &n, NTMS_LIBRARY, 0),
			 ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession(NULL), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession((HANDLE)(uintptr_t)0x12345675), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession(INVALID_HANDLE_VALUE), ERROR_INVALID_HANDLE);

	/* a notification handle is no session handle */
	s = session(NULL);
	HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_int_equal(CloseNtmsSession(h), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);

	/* OpenNtmsSession's own failures */
	assert_true(OpenNtmsSessionA(D.mnt, "x", 0x80) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
	assert_true(OpenNtmsSessionA("no such host!", "x", 0) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_INVALID_COMPUTERNAME);
	assert_true(OpenNtmsSessionA("faraway", "x", 0) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_NOT_CONNECTED);
	assert_true(OpenNtmsSessionA(D.dir, "x", 0) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_NOT_CONNECTED);
	/* this computer, the mount named by RSMFS_MOUNT */
	setenv("RSMFS_MOUNT", D.mnt, 1);
	s = OpenNtmsSessionA(NULL, NULL, 0);
	unsetenv("RSMFS_MOUNT");
	assert_true(s != INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* CloseNtmsSession's remark: a mount blocked on the session is unwound and cancelled. */
static void test_close_session_cancels_mount(void **state)
{
	(void)state;
	HANDLE a = session("a"), b = session("b");

	assert_int_equal(mount(b, "T00001L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	struct mount_job j = {.s = a, .medium = "T00001L6", .timeout = INFINITE};
	mount_start(&j);
	NTMS_GUID r;
	assert_true(find_request(b, NTMS_LM_MOUNT, OUTSTANDING, &r));
	/* the seed's remark: the outstanding synchronous request is unwound and cancelled */
	assert_int_equal(CloseNtmsSession(a), ERROR_SUCCESS);
	pthread_join(j.thread, NULL);
	assert_int_equal(j.result, ERROR_CANCELLED);
	NTMS_OBJECTINFORMATION info = {.dwSize = sizeof(info), .dwType = NTMS_LIBREQUEST};
	assert_int_equal(GetNtmsObjectInformation(b, &r, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.LibRequest.State, NTMS_LM_CANCELLED);
	assert_int_equal(info.Info.LibRequest.dwErrorCode, ERROR_CANCELLED);
	assert_int_equal(CloseNtmsSession(b), ERROR_SUCCESS);
}

/* CloseNtmsSession: ERROR_CONNECTION_UNAVAIL once the daemon is stopped. */
static void test_close_session_connection_unavail(void **state)
{
	(void)state;
	HANDLE s = session("gone");

	daemon_stop();
	assert_int_equal(CloseNtmsSession(s), ERROR_CONNECTION_UNAVAIL);
	/* the handle is released all the same */
	assert_int_equal(CloseNtmsSession(s), ERROR_INVALID_HANDLE);
	/* and a new session finds no service */
	assert_true(OpenNtmsSessionA(D.mnt, "x", 0) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_NOT_CONNECTED);
}

/* ====================================================================================== */
/* OpenNtmsNotification: a handle and ERROR_SUCCESS, or INVALID_HANDLE_VALUE with
 * ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED, ERROR_DATABASE_FAILURE, ERROR_NOT_CONNECTED. */

static void test_open_notification(void **state)
{
	(void)state;
	HANDLE s = session("notify");

	SetLastError(12345);
	HANDLE h = OpenNtmsNotification(s, NTMS_PHYSICAL_MEDIA);
	assert_true(h != INVALID_HANDLE_VALUE && h != NULL);
	assert_int_equal(GetLastError(), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);
	/* a type with no objects in the tree is accepted and never signalled ([RSMP]) */
	h = OpenNtmsNotification(s, NTMS_CHANGER_TYPE);
	assert_true(h != INVALID_HANDLE_VALUE);
	NTMS_NOTIFICATIONINFORMATION ev;
	assert_int_equal(WaitForNtmsNotification(h, &ev, 50), ERROR_TIMEOUT);
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);

	/* the session handle NULL or not valid */
	assert_true(OpenNtmsNotification(NULL, NTMS_DRIVE) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_true(OpenNtmsNotification((HANDLE)(uintptr_t)0x10005, NTMS_DRIVE) ==
		    INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
	assert_true(OpenNtmsNotification(s, NTMS_DRIVE) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

/* OpenNtmsNotification: ERROR_DATABASE_FAILURE with the catalog immutable. */
static void test_open_notification_database_failure(void **state)
{
	(void)state;
	if (!is_root())
		skip();
	HANDLE s = session("dbfail");
	catalog_immutable(true);
	assert_true(OpenNtmsNotification(s, NTMS_DRIVE) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_DATABASE_FAILURE);
	catalog_immutable(false);
	HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* OpenNtmsNotification on the session handle arg: the code GetLastError gives. */
static DWORD open_notification_as_other(void *arg)
{
	HANDLE h = OpenNtmsNotification(arg, NTMS_DRIVE);
	return h == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
}

/* OpenNtmsNotification: ERROR_ACCESS_DENIED for another user (allow_other mount). */
static void test_open_notification_access_denied(void **state)
{
	(void)state;
	if (!is_root())
		skip();
	restart(&(struct daemon_options){.allow_other = true});
	/* a process that opened its session as root, then became an ordinary user: its
	 * session's channels are root's (NTMS_USE_ACCESS denied) */
	HANDLE s = session("privsep");
	assert_int_equal(as_other_user(open_notification_as_other, s), ERROR_ACCESS_DENIED);
	assert_int_equal(open_notification_as_other(s), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* OpenNtmsNotification: ERROR_NOT_CONNECTED once the daemon is stopped. */
static void test_open_notification_not_connected(void **state)
{
	(void)state;
	HANDLE s = session("stopped");

	daemon_stop();
	assert_true(OpenNtmsNotification(s, NTMS_DRIVE) == INVALID_HANDLE_VALUE);
	assert_int_equal(GetLastError(), ERROR_NOT_CONNECTED);
	assert_int_equal(CloseNtmsSession(s), ERROR_CONNECTION_UNAVAIL);
}

/* ====================================================================================== */
/* WaitForNtmsNotification */

static void test_wait_notification(void **state)
{
	(void)state;
	HANDLE s = session("wait");
	HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);
	NTMS_NOTIFICATIONINFORMATION ev;
	NTMS_GUID drive, d0 = id_of("drives/d0"), d1 = id_of("drives/d1");
	struct timespec t0, t1;

	assert_true(h != INVALID_HANDLE_VALUE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(WaitForNtmsNotification(h, &ev, 100), ERROR_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(waited >= 0.09 && waited < 2);
	assert_int_equal(WaitForNtmsNotification(h, NULL, 0), ERROR_INVALID_PARAMETER);
	assert_int_equal(WaitForNtmsNotification(NULL, &ev, 0), ERROR_INVALID_HANDLE);
	assert_int_equal(WaitForNtmsNotification(s, &ev, 0), ERROR_INVALID_HANDLE);

	assert_int_equal(mount(s, "T00002L6", 0, INFINITE, &drive), ERROR_SUCCESS);
	assert_true(same(&drive, &d0) || same(&drive, &d1));
	bool seen = false;
	while (!seen && WaitForNtmsNotification(h, &ev, 2000) == ERROR_SUCCESS) {
		assert_int_equal(ev.dwOperation, NTMS_OBJ_UPDATE);
		seen = same(&ev.ObjectId, &drive);
	}
	assert_true(seen);
	/* the session closed: its channels end, the channel is broken (ERROR_NO_DATA) */
	HANDLE other = session("other");
	HANDLE h2 = OpenNtmsNotification(other, NTMS_LIBREQUEST);
	assert_int_equal(CloseNtmsSession(other), ERROR_SUCCESS);
	DWORD e;
	while ((e = WaitForNtmsNotification(h2, &ev, 2000)) == ERROR_SUCCESS)
		;
	assert_int_equal(e, ERROR_NO_DATA);
	assert_int_equal(CloseNtmsNotification(h2), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* ====================================================================================== */
/* CloseNtmsNotification: ERROR_SUCCESS, ERROR_INVALID_PARAMETER, ERROR_INVALID_HANDLE,
 * ERROR_NOT_CONNECTED, ERROR_DATABASE_FAILURE, and a close while a wait is outstanding. */

static void test_close_notification(void **state)
{
	(void)state;
	HANDLE s = session("close");
	HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);

	assert_int_equal(CloseNtmsNotification(NULL), ERROR_INVALID_PARAMETER);
	assert_int_equal(CloseNtmsNotification((HANDLE)(uintptr_t)0x77770009),
			 ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsNotification(s), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsNotification(h), ERROR_INVALID_HANDLE);
	NTMS_NOTIFICATIONINFORMATION ev;
	assert_int_equal(WaitForNtmsNotification(h, &ev, 0), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

struct wait_job {
	HANDLE h;
	DWORD result;
	pthread_t thread;
};

/* The thread of a wait_job: one WaitForNtmsNotification with no time limit. */
static void *wait_thread(void *arg)
{
	struct wait_job *w = arg;
	NTMS_NOTIFICATIONINFORMATION ev;

	w->result = WaitForNtmsNotification(w->h, &ev, INFINITE);
	return NULL;
}

/* CloseNtmsNotification's remark: a close while waits are outstanding. */
static void test_close_notification_while_waiting(void **state)
{
	(void)state;
	HANDLE s = session("waiters");
	HANDLE h = OpenNtmsNotification(s, NTMS_OPREQUEST);
	struct wait_job w[3];

	for (int i = 0; i < 3; i++) {
		w[i] = (struct wait_job){.h = h, .result = 0xdead};
		assert_int_equal(pthread_create(&w[i].thread, NULL, wait_thread, &w[i]), 0);
	}
	usleep(200000);
	/* "an error returns" (the seed's remark): each outstanding wait gets ERROR_INVALID_HANDLE,
	 * the close itself works */
	assert_int_equal(CloseNtmsNotification(h), ERROR_SUCCESS);
	for (int i = 0; i < 3; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].result, ERROR_INVALID_HANDLE);
	}
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* CloseNtmsNotification: ERROR_NOT_CONNECTED once the daemon is stopped; a wait outstanding
 * then returns ERROR_NOT_CONNECTED too. */
static void test_close_notification_not_connected(void **state)
{
	(void)state;
	HANDLE s = session("gone");
	HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);
	HANDLE h2 = OpenNtmsNotification(s, NTMS_LIBRARY);
	struct wait_job w = {.h = h2, .result = 0xdead};

	assert_int_equal(pthread_create(&w.thread, NULL, wait_thread, &w), 0);
	usleep(100000);
	daemon_stop();
	/* a wait outstanding when the service goes */
	pthread_join(w.thread, NULL);
	assert_int_equal(w.result, ERROR_NOT_CONNECTED);
	assert_int_equal(CloseNtmsNotification(h), ERROR_NOT_CONNECTED);
	assert_int_equal(CloseNtmsNotification(h2), ERROR_NOT_CONNECTED);
	assert_int_equal(CloseNtmsSession(s), ERROR_CONNECTION_UNAVAIL);
}

/* CloseNtmsNotification: ERROR_DATABASE_FAILURE when the catalog cannot record the end. */
static void test_close_notification_database_failure(void **state)
{
	(void)state;
	if (!is_root())
		skip();
	HANDLE s = session("dbfail");
	HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);
	assert_true(h != INVALID_HANDLE_VALUE);
	catalog_immutable(true);
	assert_int_equal(CloseNtmsNotification(h), ERROR_DATABASE_FAILURE);
	catalog_immutable(false);
	/* the handle is closed all the same */
	assert_int_equal(CloseNtmsNotification(h), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* ====================================================================================== */
/* CancelNtmsLibraryRequest: ERROR_SUCCESS, ERROR_ACCESS_DENIED (not an administrator; the
 * request being handled), ERROR_INVALID_HANDLE, ERROR_NOT_ENOUGH_MEMORY,
 * ERROR_OBJECT_NOT_FOUND. */

static void test_cancel_request(void **state)
{
	(void)state;
	HANDLE a = session("a"), b = session("b");
	NTMS_GUID r, done, nothing = {0x1234, 0x5678, 0x9abc, {1, 2, 3, 4, 5, 6, 7, 8}};

	assert_int_equal(mount(b, "T00003L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_true(find_request(b, NTMS_LM_MOUNT, 1u << NTMS_LM_PASSED, &done));
	struct mount_job j = {.s = a, .medium = "T00003L6", .timeout = INFINITE};
	mount_start(&j);
	assert_true(find_request(b, NTMS_LM_MOUNT, OUTSTANDING, &r));
	assert_int_equal(CancelNtmsLibraryRequest(NULL, &r), ERROR_INVALID_HANDLE);
	assert_int_equal(CancelNtmsLibraryRequest((HANDLE)(uintptr_t)0xfff5, &r),
			 ERROR_INVALID_HANDLE);
	assert_int_equal(CancelNtmsLibraryRequest(b, NULL), ERROR_INVALID_PARAMETER);
	assert_int_equal(CancelNtmsLibraryRequest(b, &r), ERROR_SUCCESS);
	pthread_join(j.thread, NULL);
	assert_int_equal(j.result, ERROR_CANCELLED);
	/* completed before the cancel, or an id that is no request */
	assert_int_equal(CancelNtmsLibraryRequest(b, &r), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(CancelNtmsLibraryRequest(b, &done), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(CancelNtmsLibraryRequest(b, &nothing), ERROR_OBJECT_NOT_FOUND);
	NTMS_GUID medium = id_of("media/T00003L6");
	assert_int_equal(CancelNtmsLibraryRequest(b, &medium), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(CloseNtmsSession(a), ERROR_SUCCESS);
	assert_int_equal(CloseNtmsSession(b), ERROR_SUCCESS);
}

/* CancelNtmsLibraryRequest: ERROR_ACCESS_DENIED for a request being handled (3 s moves). */
static void test_cancel_request_in_process(void **state)
{
	(void)state;
	restart(&(struct daemon_options){.move = "3"});
	HANDLE s = session("slow");
	NTMS_GUID r;

	assert_int_equal(mount(s, "T00004L6", NTMS_MOUNT_NOWAIT, INFINITE, NULL), ERROR_SUCCESS);
	assert_true(find_request(s, NTMS_LM_MOUNT, 1u << NTMS_LM_INPROCESS, &r));
	/* the cartridge is travelling: the request cannot be deleted */
	assert_int_equal(CancelNtmsLibraryRequest(s, &r), ERROR_ACCESS_DENIED);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* The child of test_cancel_request_not_admin, run by setpriv as uid 4242: opens its own
 * session on the mount and cancels the request named on its command line; prints the code. */
static int cancel_as_user(const char *mnt, const char *guid)
{
	NTMS_GUID r;
	HANDLE s = OpenNtmsSessionA(mnt, "user", 0);

	if (s == INVALID_HANDLE_VALUE || !parse_guid(guid, &r)) {
		printf("open %u\n", GetLastError());
		return 1;
	}
	printf("%u\n", CancelNtmsLibraryRequest(s, &r));
	CloseNtmsSession(s);
	return 0;
}

/* CancelNtmsLibraryRequest: ERROR_ACCESS_DENIED for a user who is no administrator, run by
 * setpriv as uid 4242 on an allow_other mount. */
static void test_cancel_request_not_admin(void **state)
{
	(void)state;
	if (!is_root())
		skip();
	restart(&(struct daemon_options){.allow_other = true});
	HANDLE a = session("a"), b = session("b");
	char self[512], text[64], out[64] = "";
	NTMS_GUID r;

	assert_int_equal(mount(b, "T00005L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	struct mount_job j = {.s = a, .medium = "T00005L6", .timeout = INFINITE};
	mount_start(&j);
	assert_true(find_request(b, NTMS_LM_MOUNT, OUTSTANDING, &r));
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	snprintf(text, sizeof(text), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned)r.Data1, r.Data2, r.Data3, r.Data4[0], r.Data4[1], r.Data4[2],
		 r.Data4[3], r.Data4[4], r.Data4[5], r.Data4[6], r.Data4[7]);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "setpriv --reuid=4242 --regid=4242 --clear-groups -- %s --cancel-as-user %s %s",
		 self, D.mnt, text);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strtoul(out, NULL, 10), ERROR_ACCESS_DENIED);
	/* the request goes on: an administrator cancels it */
	assert_int_equal(CancelNtmsLibraryRequest(b, &r), ERROR_SUCCESS);
	pthread_join(j.thread, NULL);
	assert_int_equal(j.result, ERROR_CANCELLED);
	CloseNtmsSession(a);
	CloseNtmsSession(b);
}

/* CancelNtmsLibraryRequest: ERROR_NOT_ENOUGH_MEMORY when the caller's allocations fail. */
static void test_cancel_request_not_enough_memory(void **state)
{
	(void)state;
#if CAN_FAIL_ALLOCATIONS
	HANDLE s = session("oom");
	NTMS_GUID r;

	assert_int_equal(mount(s, "T00006L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_true(find_request(s, NTMS_LM_MOUNT, 1u << NTMS_LM_PASSED, &r));
	failing = true;
	DWORD e = CancelNtmsLibraryRequest(s, &r);
	failing = false;
	assert_int_equal(e, ERROR_NOT_ENOUGH_MEMORY);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
#else
	skip(); /* the sanitizer's allocator cannot be made to fail on demand */
#endif
}

/* ====================================================================================== */
/* DismountNtmsMedia: ERROR_SUCCESS, ERROR_ACCESS_DENIED, ERROR_DATABASE_FAILURE,
 * ERROR_DATABASE_FULL, ERROR_DEVICE_NOT_AVAILABLE, ERROR_INVALID_LIBRARY, ERROR_INVALID_MEDIA,
 * ERROR_INVALID_STATE, ERROR_MEDIA_OFFLINE, ERROR_MEDIA_NOT_AVAILABLE,
 * ERROR_NOT_ENOUGH_MEMORY, ERROR_TIMEOUT. */

static void test_dismount(void **state)
{
	(void)state;
	HANDLE s = session("dismount");

	assert_int_equal(mount(s, "T00001L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_int_equal(dismount(s, "T00001L6", 0), ERROR_SUCCESS);
	wait_value("media/T00001L6/state", "idle");
	/* deferred: left in its drive, dismountable */
	assert_int_equal(mount(s, "T00001L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_int_equal(dismount(s, "T00001L6", NTMS_DISMOUNT_DEFERRED), ERROR_SUCCESS);
	wait_value("media/T00001L6/state", "dismountable");
	assert_int_equal(mount(s, "T00001L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_int_equal(dismount(s, "T00001L6", NTMS_DISMOUNT_IMMEDIATE), ERROR_SUCCESS);
	wait_value("media/T00001L6/state", "idle");
	/* the side's id names its medium too */
	assert_int_equal(mount(s, "T00001L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	NTMS_GUID side = id_of("media/T00001L6/sides/0");
	assert_int_equal(DismountNtmsMedia(s, &side, 1, 0), ERROR_SUCCESS);
	/* arguments */
	NTMS_GUID m = id_of("media/T00001L6");
	assert_int_equal(DismountNtmsMedia(s, &m, 0, 0), ERROR_INVALID_PARAMETER);
	assert_int_equal(DismountNtmsMedia(s, NULL, 1, 0), ERROR_INVALID_PARAMETER);
	assert_int_equal(DismountNtmsMedia(s, &m, 1, 3), ERROR_INVALID_PARAMETER);
	assert_int_equal(DismountNtmsMedia(NULL, &m, 1, 0), ERROR_INVALID_HANDLE);
	assert_int_equal(CloseNtmsSession(s), ERROR_SUCCESS);
}

/* DismountNtmsMedia: ERROR_ACCESS_DENIED for another session's medium. */
static void test_dismount_access_denied(void **state)
{
	(void)state;
	HANDLE a = session("a"), b = session("b");

	/* the medium is b's: a has no use of it */
	assert_int_equal(mount(b, "T00002L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_int_equal(dismount(a, "T00002L6", 0), ERROR_ACCESS_DENIED);
	assert_int_equal(dismount(b, "T00002L6", 0), ERROR_SUCCESS);
	CloseNtmsSession(a);
	CloseNtmsSession(b);
}

/* DismountNtmsMedia: ERROR_DATABASE_FAILURE with the catalog immutable. */
static void test_dismount_database_failure(void **state)
{
	(void)state;
	if (!is_root())
		skip();
	HANDLE s = session("dbfail");
	char buf[64];

	assert_int_equal(mount(s, "T00002L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	catalog_immutable(true);
	assert_int_equal(dismount(s, "T00002L6", 0), ERROR_DATABASE_FAILURE);
	catalog_immutable(false);
	assert_string_equal(get("media/T00002L6/state", buf, sizeof(buf)), "mounted");
	assert_int_equal(dismount(s, "T00002L6", 0), ERROR_SUCCESS);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_DATABASE_FULL with the catalog at database_max_size. */
static void test_dismount_database_full(void **state)
{
	(void)state;
	sqlite3 *db;
	sqlite3_stmt *st;
	long long pages = 0;
	char extra[96];
	NTMS_GUID op;

	/* a catalog a few pages bigger than it is now */
	daemon_stop();
	assert_int_equal(sqlite3_open(D.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		pages = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(pages > 0);
	snprintf(extra, sizeof(extra), "database_max_size = %lld", (pages + 6) * 4096);
	D.opt.extra = extra;
	daemon_start();

	HANDLE s = session("full");
	assert_int_equal(mount(s, "T00003L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	NTMS_GUID m3 = id_of("media/T00003L6"), d;
	/* operator messages fill it, long ones and then short ones, to the last byte */
	char text[300];
	memset(text, 'x', 250);
	for (size_t len = 250; len > 0; len /= 4) {
		DWORD e = ERROR_SUCCESS;
		text[len] = '\0';
		for (int i = 0; i < 5000 && e == ERROR_SUCCESS; i++)
			e = SubmitNtmsOperatorRequestA(s, NTMS_OPREQ_MESSAGE, text, NULL, NULL,
						       &op);
		assert_int_equal(e, ERROR_DATABASE_FULL);
	}
	/* and requests fill what is left of their table's pages: a mount of the medium the
	 * session has is one more request */
	DWORD e = ERROR_SUCCESS;
	for (int i = 0; i < 5000 && e == ERROR_SUCCESS; i++)
		e = MountNtmsMedia(s, &m3, &d, 1, 0, 0, INFINITE, NULL);
	assert_int_equal(e, ERROR_DATABASE_FULL);
	assert_int_equal(dismount(s, "T00003L6", 0), ERROR_DATABASE_FULL);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_DEVICE_NOT_AVAILABLE when the medium's drive is disabled. */
static void test_dismount_device_not_available(void **state)
{
	(void)state;
	HANDLE s = session("disabled");
	NTMS_GUID d1 = id_of("drives/d1"), m = id_of("media/T00004L6");

	assert_int_equal(
	    MountNtmsMedia(s, &m, &d1, 1, NTMS_MOUNT_SPECIFIC_DRIVE, 0, INFINITE, NULL),
	    ERROR_SUCCESS);
	/* an administrator disables the drive */
	assert_int_equal(put("drives/d1/ctl", "disable\n"), 0);
	assert_int_equal(dismount(s, "T00004L6", 0), ERROR_DEVICE_NOT_AVAILABLE);
	assert_int_equal(put("drives/d1/ctl", "enable\n"), 0);
	assert_int_equal(dismount(s, "T00004L6", 0), ERROR_SUCCESS);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_INVALID_LIBRARY for a medium of a library no longer configured. */
static void test_dismount_invalid_library(void **state)
{
	(void)state;
	restart(&(struct daemon_options){.second_library = true});
	NTMS_GUID m = id_of("media/T00013L5");
	/* the library is taken out of the configuration: the catalog keeps its media */
	daemon_stop();
	D.opt.second_library = false;
	daemon_start();
	char buf[32];
	assert_string_equal(get("libraries/vtl1/type", buf, sizeof(buf)), "offline");
	HANDLE s = session("oldlib");
	assert_int_equal(DismountNtmsMedia(s, &m, 1, 0), ERROR_INVALID_LIBRARY);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_INVALID_MEDIA for an unknown id, a drive's, a medium twice. */
static void test_dismount_invalid_media(void **state)
{
	(void)state;
	HANDLE s = session("bad");
	NTMS_GUID nothing = {0xdeadbeef, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
	NTMS_GUID drive = id_of("drives/d0"), m = id_of("media/T00005L6");
	NTMS_GUID twice[2] = {m, m};

	assert_int_equal(DismountNtmsMedia(s, &nothing, 1, 0), ERROR_INVALID_MEDIA);
	assert_int_equal(DismountNtmsMedia(s, &drive, 1, 0), ERROR_INVALID_MEDIA);
	assert_int_equal(mount(s, "T00005L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_int_equal(DismountNtmsMedia(s, twice, 2, 0), ERROR_INVALID_MEDIA);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_INVALID_STATE for a medium in its slot. */
static void test_dismount_invalid_state(void **state)
{
	(void)state;
	HANDLE s = session("idle");

	/* in its slot: nothing to dismount */
	assert_int_equal(dismount(s, "T00006L6", 0), ERROR_INVALID_STATE);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_MEDIA_OFFLINE for a medium in the port and out of the library. */
static void test_dismount_media_offline(void **state)
{
	(void)state;
	HANDLE s = session("offline");
	NTMS_GUID m = id_of("media/T00007L6"), op = {0};

	/* ejected to the port */
	assert_int_equal(EjectNtmsMedia(s, &m, &op, NTMS_EJECT_START), ERROR_SUCCESS);
	assert_false(NTMS_IS_NULLGUID(op));
	wait_value("media/T00007L6/state", "in-port");
	assert_int_equal(dismount(s, "T00007L6", 0), ERROR_MEDIA_OFFLINE);
	/* taken out of the library by the operator */
	assert_int_equal(put("libraries/vtl0/sim/ctl", "remove\n"), 0);
	wait_value("media/T00007L6/state", "offline");
	assert_int_equal(dismount(s, "T00007L6", 0), ERROR_MEDIA_OFFLINE);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_MEDIA_NOT_AVAILABLE for a disabled medium. */
static void test_dismount_media_not_available(void **state)
{
	(void)state;
	HANDLE s = session("disabled");

	assert_int_equal(put("media/T00008L6/ctl", "disable\n"), 0);
	wait_value("media/T00008L6/state", "disabled");
	assert_int_equal(dismount(s, "T00008L6", 0), ERROR_MEDIA_NOT_AVAILABLE);
	CloseNtmsSession(s);
}

/* DismountNtmsMedia: ERROR_NOT_ENOUGH_MEMORY when the caller's allocations fail. */
static void test_dismount_not_enough_memory(void **state)
{
	(void)state;
#if CAN_FAIL_ALLOCATIONS
	HANDLE s = session("oom");
	NTMS_GUID m = id_of("media/T00009L6");

	assert_int_equal(mount(s, "T00009L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	failing = true;
	DWORD e = DismountNtmsMedia(s, &m, 1, 0);
	failing = false;
	assert_int_equal(e, ERROR_NOT_ENOUGH_MEMORY);
	assert_int_equal(DismountNtmsMedia(s, &m, 1, 0), ERROR_SUCCESS);
	CloseNtmsSession(s);
#else
	skip();
#endif
}

/* DismountNtmsMedia: ERROR_TIMEOUT while another process holds the catalog's lock. */
static void test_dismount_timeout(void **state)
{
	(void)state;
	HANDLE s = session("locked");
	sqlite3 *db;

	assert_int_equal(mount(s, "T00010L6", 0, INFINITE, NULL), ERROR_SUCCESS);
	/* another process holds the catalog's write lock longer than busy_timeout */
	assert_int_equal(sqlite3_open(D.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	DWORD e = dismount(s, "T00010L6", 0);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(e, ERROR_TIMEOUT);
	assert_int_equal(dismount(s, "T00010L6", 0), ERROR_SUCCESS);
	CloseNtmsSession(s);
}

/* ====================================================================================== */
/* The rest of the API */

static void test_mount_options(void **state)
{
	(void)state;
	HANDLE a = session("a"), b = session("b");
	NTMS_GUID d1 = id_of("drives/d1"), drive = {0}, nothing = {7, 7, 7, {7}};
	NTMS_GUID pair[2] = {id_of("media/T00001L6"), id_of("media/T00002L6")}, drives[2];
	char buf[64];

	/* a specific drive */
	NTMS_GUID m = id_of("media/T00011L6");
	drive = d1;
	assert_int_equal(MountNtmsMedia(a, &m, &drive, 1,
					NTMS_MOUNT_SPECIFIC_DRIVE | NTMS_MOUNT_READ,
					NTMS_PRIORITY_HIGH, INFINITE, NULL),
			 ERROR_SUCCESS);
	assert_true(same(&drive, &d1));
	assert_true(strncmp(get("drives/d1/session", buf, sizeof(buf)), "a-", 2) == 0);
	assert_string_equal(get("media/T00011L6/location", buf, sizeof(buf)), "drive d1");
	/* in use by a: b fails at once, or after its time-out */
	assert_int_equal(mount(b, "T00011L6", NTMS_MOUNT_ERROR_NOT_AVAILABLE, INFINITE, NULL),
			 ERROR_BUSY);
	assert_int_equal(mount(b, "T00011L6", 0, 300, NULL), ERROR_TIMEOUT);
	/* bad ids and arguments */
	assert_int_equal(MountNtmsMedia(b, &nothing, &drive, 1, 0, 0, INFINITE, NULL),
			 ERROR_INVALID_MEDIA);
	drive = nothing;
	assert_int_equal(
	    MountNtmsMedia(b, &pair[0], &drive, 1, NTMS_MOUNT_SPECIFIC_DRIVE, 0, INFINITE, NULL),
	    ERROR_INVALID_DRIVE);
	assert_int_equal(MountNtmsMedia(b, &pair[0], &drive, 0, 0, 0, INFINITE, NULL),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(MountNtmsMedia(b, &pair[0], &drive, 1, 0, 16, INFINITE, NULL),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(MountNtmsMedia(NULL, &pair[0], &drive, 1, 0, 0, INFINITE, NULL),
			 ERROR_INVALID_HANDLE);
	/* two at once (dismount a's first: two drives) */
	assert_int_equal(dismount(a, "T00011L6", 0), ERROR_SUCCESS);
	wait_value("media/T00011L6/state", "idle");
	assert_int_equal(MountNtmsMedia(b, pair, drives, 2, 0, 0, INFINITE, NULL), ERROR_SUCCESS);
	assert_false(same(&drives[0], &drives[1]));
	assert_int_equal(DismountNtmsMedia(b, pair, 2, 0), ERROR_SUCCESS);
	/* offline: with NTMS_MOUNT_ERROR_OFFLINE, at once */
	assert_int_equal(put("libraries/vtl0/ctl", "eject T00012L6\n"), 0);
	wait_value("media/T00012L6/state", "in-port");
	assert_int_equal(put("libraries/vtl0/sim/ctl", "remove\n"), 0);
	wait_value("media/T00012L6/state", "offline");
	assert_int_equal(mount(b, "T00012L6", NTMS_MOUNT_ERROR_OFFLINE, INFINITE, NULL),
			 ERROR_MEDIA_OFFLINE);
	/* without it, an operator request asks for the cartridge; a refusal fails the mount */
	struct mount_job j = {.s = b, .medium = "T00012L6", .timeout = INFINITE};
	mount_start(&j);
	NTMS_GUID list[8];
	DWORD n = 0;
	for (int i = 0; i < 250 && n == 0; i++, usleep(20000)) {
		n = 8;
		assert_int_equal(EnumerateNtmsObject(a, NULL, list, &n, NTMS_OPREQUEST, 0),
				 ERROR_SUCCESS);
	}
	assert_int_equal(n, 1);
	NTMS_OBJECTINFORMATION info = {.dwSize = sizeof(info), .dwType = NTMS_OPREQUEST};
	assert_int_equal(GetNtmsObjectInformation(a, &list[0], &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.OpRequest.Request, NTMS_OPREQ_MOVEMEDIA);
	assert_int_equal(CancelNtmsOperatorRequest(a, &list[0]), ERROR_SUCCESS);
	pthread_join(j.thread, NULL);
	assert_int_equal(j.result, ERROR_REQUEST_REFUSED);
	CloseNtmsSession(a);
	CloseNtmsSession(b);
}

/* AllocateNtmsMedia and DeallocateNtmsMedia on an application pool. */
static void test_allocate(void **state)
{
	(void)state;
	HANDLE s = session("alloc");
	NTMS_GUID side, pool, freepool = id_of("pools/free"), nothing = {9, 9, 9, {9}};
	NTMS_ALLOCATION_INFORMATION ai = {.dwSize = sizeof(ai)};
	NTMS_OBJECTINFORMATION info = {.dwSize = sizeof(info), .dwType = NTMS_PARTITION};

	char dir[160];
	snprintf(dir, sizeof(dir), "%s/pools/Backup", D.mnt);
	assert_int_equal(mkdir(dir, 0755), 0);
	pool = id_of("pools/Backup");
	assert_int_equal(AllocateNtmsMedia(s, &pool, NULL, &side, 0, INFINITE, &ai), ERROR_SUCCESS);
	assert_true(same(&ai.AllocatedFrom, &freepool));
	assert_int_equal(GetNtmsObjectInformation(s, &side, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.Partition.State, NTMS_PARTSTATE_ALLOCATED);
	assert_true(same(&info.Info.Partition.LogicalMedia, &side));
	/* the logical medium lives in the application's pool */
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_LOGICAL_MEDIA};
	assert_int_equal(GetNtmsObjectInformation(s, &side, &info), ERROR_SUCCESS);
	assert_true(same(&info.Info.LogicalMedia.MediaPool, &pool));
	DWORD n = 4;
	NTMS_GUID logical[4];
	assert_int_equal(EnumerateNtmsObject(s, &pool, logical, &n, NTMS_LOGICAL_MEDIA, 0),
			 ERROR_SUCCESS);
	assert_int_equal(n, 1);
	assert_true(same(&logical[0], &side));
	assert_int_equal(DeallocateNtmsMedia(s, &side, 0), ERROR_SUCCESS);
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_PARTITION};
	assert_int_equal(GetNtmsObjectInformation(s, &side, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.Partition.State, NTMS_PARTSTATE_AVAILABLE);
	assert_int_equal(DeallocateNtmsMedia(s, &side, 0), ERROR_INVALID_STATE);
	/* errors */
	assert_int_equal(AllocateNtmsMedia(s, &freepool, NULL, &side, 0, 0, NULL),
			 ERROR_INVALID_MEDIA_POOL);
	assert_int_equal(AllocateNtmsMedia(s, &nothing, NULL, &side, 0, 0, NULL),
			 ERROR_INVALID_MEDIA_POOL);
	assert_int_equal(AllocateNtmsMedia(s, &pool, NULL, NULL, 0, 0, NULL),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(AllocateNtmsMedia(s, &pool, NULL, &side,
					   NTMS_ALLOCATE_NEW | NTMS_ALLOCATE_NEXT, 0, NULL),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(DeallocateNtmsMedia(s, &pool, 0), ERROR_INVALID_MEDIA);
	/* nothing to draw from: at once with NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE */
	char draw[128];
	snprintf(draw, sizeof(draw), "pools/Backup/draw");
	assert_int_equal(put(draw, "0\n"), 0);
	assert_int_equal(AllocateNtmsMedia(s, &pool, NULL, &side,
					   NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE, INFINITE, NULL),
			 ERROR_MEDIA_UNAVAILABLE);
	CloseNtmsSession(s);
}

/* EnumerateNtmsObject and GetNtmsObjectInformation of each type. */
static void test_objects(void **state)
{
	(void)state;
	HANDLE s = session("objects");
	NTMS_GUID list[32], lib = id_of("libraries/vtl0");
	NTMS_OBJECTINFORMATION info;
	DWORD n;

	n = 32;
	assert_int_equal(EnumerateNtmsObject(s, NULL, list, &n, NTMS_PHYSICAL_MEDIA, 0),
			 ERROR_SUCCESS);
	assert_int_equal(n, 12);
	/* a short list: what fits, and the number needed */
	n = 5;
	assert_int_equal(EnumerateNtmsObject(s, NULL, list, &n, NTMS_PHYSICAL_MEDIA, 0),
			 ERROR_INSUFFICIENT_BUFFER);
	assert_int_equal(n, 12);
	n = 0;
	assert_int_equal(EnumerateNtmsObject(s, NULL, NULL, &n, NTMS_DRIVE, 0),
			 ERROR_INSUFFICIENT_BUFFER);
	assert_int_equal(n, 2);
	n = 32;
	assert_int_equal(EnumerateNtmsObject(s, &lib, list, &n, NTMS_DRIVE, 0), ERROR_SUCCESS);
	assert_int_equal(n, 2);
	n = 32;
	assert_int_equal(EnumerateNtmsObject(s, &lib, list, &n, NTMS_PHYSICAL_MEDIA, 0),
			 ERROR_SUCCESS);
	assert_int_equal(n, 12);
	n = 32;
	assert_int_equal(EnumerateNtmsObject(s, NULL, list, &n, NTMS_MEDIA_POOL, 0), ERROR_SUCCESS);
	assert_int_equal(n, 4);
	NTMS_GUID m1 = id_of("media/T00001L6"), nothing = {1, 1, 1, {1}};
	n = 32;
	assert_int_equal(EnumerateNtmsObject(s, &m1, list, &n, NTMS_PARTITION, 0), ERROR_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(EnumerateNtmsObject(s, &m1, list, &n, NTMS_DRIVE, 0),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(EnumerateNtmsObject(s, &nothing, list, &n, NTMS_DRIVE, 0),
			 ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(EnumerateNtmsObject(s, NULL, list, NULL, NTMS_DRIVE, 0),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(EnumerateNtmsObject(s, NULL, list, &n, NTMS_STORAGESLOT, 0),
			 ERROR_INVALID_PARAMETER);

	/* a library */
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_LIBRARY};
	assert_int_equal(GetNtmsObjectInformation(s, &lib, &info), ERROR_SUCCESS);
	assert_string_equal(info.szName, "vtl0");
	assert_true(same(&info.ObjectGuid, &lib));
	assert_int_equal(info.Info.Library.LibraryType, NTMS_LIBRARYTYPE_ONLINE);
	assert_int_equal(info.Info.Library.dwNumberOfDrives, 2);
	assert_int_equal(info.Info.Library.dwNumberOfSlots, 16);
	assert_int_equal(info.Info.Library.dwNumberOfPorts, 1);
	assert_int_equal(info.Info.Library.dwNumberOfMedia, 12);
	/* a medium, mounted */
	NTMS_GUID drive;
	assert_int_equal(mount(s, "T00001L6", 0, INFINITE, &drive), ERROR_SUCCESS);
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_PHYSICAL_MEDIA};
	assert_int_equal(GetNtmsObjectInformation(s, &m1, &info), ERROR_SUCCESS);
	assert_string_equal(info.Info.PhysicalMedia.szBarCode, "T00001L6");
	assert_int_equal(info.Info.PhysicalMedia.MediaState, NTMS_MEDIASTATE_LOADED);
	assert_int_equal(info.Info.PhysicalMedia.LocationType, NTMS_DRIVE);
	assert_true(same(&info.Info.PhysicalMedia.Location, &drive));
	assert_true(same(&info.Info.PhysicalMedia.CurrentLibrary, &lib));
	assert_int_equal(info.Info.PhysicalMedia.dwNumberOfPartitions, 1);
	NTMS_GUID freepool = id_of("pools/free");
	assert_true(same(&info.Info.PhysicalMedia.MediaPool, &freepool));
	/* its drive */
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_DRIVE};
	assert_int_equal(GetNtmsObjectInformation(s, &drive, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.Drive.State, NTMS_DRIVESTATE_LOADED);
	assert_true(same(&info.Info.Drive.Library, &lib));
	assert_int_equal(info.Info.Drive.dwMountCount, 1);
	assert_int_equal(info.Info.Drive.dwDeferDismountDelay, 300);
	assert_true(strstr(info.Info.Drive.szDeviceName, "/tape") != NULL);
	NTMS_GUID side = id_of("media/T00001L6/sides/0");
	assert_true(same(&info.Info.Drive.SavedPartitionId, &side));
	/* the mount's request */
	NTMS_GUID r;
	assert_true(find_request(s, NTMS_LM_MOUNT, 1u << NTMS_LM_PASSED, &r));
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_LIBREQUEST};
	assert_int_equal(GetNtmsObjectInformation(s, &r, &info), ERROR_SUCCESS);
	assert_true(same(&info.Info.LibRequest.PhysMediaId, &m1));
	assert_true(same(&info.Info.LibRequest.DriveId, &drive));
	assert_true(same(&info.Info.LibRequest.Library, &lib));
	assert_int_equal(info.Info.LibRequest.dwErrorCode, ERROR_SUCCESS);
	assert_true(info.Info.LibRequest.TimeQueued.wYear >= 2024);
	assert_true(strncmp(info.Info.LibRequest.szApplication, "objects-", 8) == 0);
	/* wrong size, wrong type, unknown id */
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info) - 1, .dwType = NTMS_DRIVE};
	assert_int_equal(GetNtmsObjectInformation(s, &drive, &info), ERROR_INVALID_PARAMETER);
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_LIBRARY};
	assert_int_equal(GetNtmsObjectInformation(s, &drive, &info), ERROR_INVALID_PARAMETER);
	assert_int_equal(GetNtmsObjectInformation(s, &nothing, &info), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(GetNtmsObjectInformation(s, NULL, &info), ERROR_INVALID_PARAMETER);
	CloseNtmsSession(s);
}

/* SubmitNtmsOperatorRequest, SatisfyNtmsOperatorRequest, CancelNtmsOperatorRequest. */
static void test_operator_requests(void **state)
{
	(void)state;
	HANDLE s = session("operator");
	NTMS_GUID op, op2;
	NTMS_OBJECTINFORMATION info = {.dwSize = sizeof(info), .dwType = NTMS_OPREQUEST};

	assert_int_equal(
	    SubmitNtmsOperatorRequestA(s, NTMS_OPREQ_MESSAGE, "load\nthe truck", NULL, NULL, &op),
	    ERROR_SUCCESS);
	assert_int_equal(GetNtmsObjectInformation(s, &op, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.OpRequest.Request, NTMS_OPREQ_MESSAGE);
	assert_int_equal(info.Info.OpRequest.State, NTMS_OPSTATE_SUBMITTED);
	assert_string_equal(info.Info.OpRequest.szMessage, "load the truck");
	assert_int_equal(SatisfyNtmsOperatorRequest(s, &op), ERROR_SUCCESS);
	assert_int_equal(GetNtmsObjectInformation(s, &op, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.OpRequest.State, NTMS_OPSTATE_COMPLETE);
	assert_int_equal(SatisfyNtmsOperatorRequest(s, &op), ERROR_OBJECT_NOT_FOUND);
	assert_int_equal(CancelNtmsOperatorRequest(s, &op), ERROR_INVALID_STATE);
	assert_int_equal(SubmitNtmsOperatorRequestA(s, NTMS_OPREQ_MESSAGE, "x", NULL, NULL, &op2),
			 ERROR_SUCCESS);
	assert_int_equal(CancelNtmsOperatorRequest(s, &op2), ERROR_SUCCESS);
	assert_int_equal(GetNtmsObjectInformation(s, &op2, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.OpRequest.State, NTMS_OPSTATE_REFUSED);
	assert_int_equal(SubmitNtmsOperatorRequestA(s, NTMS_OPREQ_UNKNOWN, "x", NULL, NULL, &op),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(SubmitNtmsOperatorRequestA(s, NTMS_OPREQ_MESSAGE, NULL, NULL, NULL, &op),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(SubmitNtmsOperatorRequestA(s, NTMS_OPREQ_NEWMEDIA, "x", NULL, NULL, &op),
			 ERROR_NOT_SUPPORTED);
	NTMS_GUID m = id_of("media/T00001L6");
	assert_int_equal(SatisfyNtmsOperatorRequest(s, &m), ERROR_OBJECT_NOT_FOUND);
	CloseNtmsSession(s);
}

/* EjectNtmsMedia, InjectNtmsMedia, InventoryNtmsLibrary; a disabled library. */
static void test_library_control(void **state)
{
	(void)state;
	HANDLE s = session("library");
	NTMS_GUID lib = id_of("libraries/vtl0"), m = id_of("media/T00012L6"), op, inj;
	NTMS_OBJECTINFORMATION info = {.dwSize = sizeof(info), .dwType = NTMS_LIBREQUEST};

	assert_int_equal(EjectNtmsMedia(s, &m, &op, NTMS_EJECT_START), ERROR_SUCCESS);
	assert_int_equal(GetNtmsObjectInformation(s, &op, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.LibRequest.OperationCode, NTMS_LM_EJECT);
	wait_value("media/T00012L6/state", "in-port");
	/* the port holds one: a second eject fails in its request */
	assert_int_equal(EjectNtmsMedia(s, &m, &op, NTMS_EJECT_ASK_USER), ERROR_INVALID_PARAMETER);
	assert_int_equal(InjectNtmsMedia(s, &lib, &inj, NTMS_INJECT_START), ERROR_SUCCESS);
	wait_value("media/T00012L6/state", "idle");
	info = (NTMS_OBJECTINFORMATION){.dwSize = sizeof(info), .dwType = NTMS_LIBREQUEST};
	assert_int_equal(GetNtmsObjectInformation(s, &inj, &info), ERROR_SUCCESS);
	assert_int_equal(info.Info.LibRequest.OperationCode, NTMS_LM_INJECT);
	/* stopping an inject that is over: nothing to stop; an unknown one */
	assert_int_equal(InjectNtmsMedia(s, &lib, &inj, NTMS_INJECT_STOP), ERROR_SUCCESS);
	assert_int_equal(InjectNtmsMedia(s, &lib, &m, NTMS_INJECT_STOP), ERROR_INVALID_OPERATION);
	assert_int_equal(InjectNtmsMedia(s, &m, &inj, NTMS_INJECT_START), ERROR_INVALID_LIBRARY);
	assert_int_equal(InventoryNtmsLibrary(s, &lib, NTMS_INVENTORY_FAST), ERROR_SUCCESS);
	assert_int_equal(InventoryNtmsLibrary(s, &lib, NTMS_INVENTORY_OMID), ERROR_SUCCESS);
	assert_int_equal(InventoryNtmsLibrary(s, &lib, NTMS_INVENTORY_STOP), ERROR_SUCCESS);
	assert_int_equal(InventoryNtmsLibrary(s, &lib, NTMS_INVENTORY_NONE),
			 ERROR_INVALID_PARAMETER);
	assert_true(find_request(s, NTMS_LM_INVENTORY, ~0u, &op));
	/* a disabled library */
	assert_int_equal(put("libraries/vtl0/ctl", "disable\n"), 0);
	wait_value("libraries/vtl0/state", "disabled");
	assert_int_equal(mount(s, "T00001L6", 0, INFINITE, NULL), ERROR_RESOURCE_DISABLED);
	assert_int_equal(put("libraries/vtl0/ctl", "enable\n"), 0);
	CloseNtmsSession(s);
}

/* ====================================================================================== */
/* Eight threads at once: each its own session, channel, medium and drive; all sharing one
 * more session for enumerations; handles closed while others are in use. */

struct worker {
	int index;
	HANDLE shared;
	DWORD failure;
	int step;
	pthread_t thread;
};

/* One of the eight threads: three rounds of a whole RSM program's work. */
static void *worker(void *arg)
{
	struct worker *w = arg;
	char app[32], medium[32];

	snprintf(app, sizeof(app), "worker%d", w->index);
	snprintf(medium, sizeof(medium), "T%05dL6", w->index + 1);
	for (int round = 0; round < 3 && !w->failure; round++) {
		HANDLE s = OpenNtmsSessionA(D.mnt, app, 0);
		w->step = 1;
		if (s == INVALID_HANDLE_VALUE) {
			w->failure = GetLastError();
			break;
		}
		HANDLE h = OpenNtmsNotification(s, NTMS_DRIVE);
		NTMS_GUID m, drive, list[16];
		NTMS_NOTIFICATIONINFORMATION ev;
		char dir[64];
		snprintf(dir, sizeof(dir), "media/%s", medium);
		m = id_of(dir);
		w->step = 2;
		DWORD e = h == INVALID_HANDLE_VALUE
			      ? GetLastError()
			      : MountNtmsMedia(s, &m, &drive, 1, 0, 0, 30000, NULL);
		/* the drive's change reaches this thread's channel */
		bool seen = false;
		while (e == ERROR_SUCCESS && !seen &&
		       WaitForNtmsNotification(h, &ev, 5000) == ERROR_SUCCESS)
			seen = same(&ev.ObjectId, &drive);
		if (e == ERROR_SUCCESS && !seen)
			e = ERROR_TIMEOUT;
		w->step = 3;
		DWORD n = 16;
		if (e == ERROR_SUCCESS)
			e = EnumerateNtmsObject(w->shared, NULL, list, &n, NTMS_DRIVE, 0);
		w->step = 4;
		if (e == ERROR_SUCCESS)
			e = DismountNtmsMedia(s, &m, 1, round % 2 ? NTMS_DISMOUNT_DEFERRED : 0);
		w->step = 5;
		if (e == ERROR_SUCCESS)
			e = CloseNtmsNotification(h);
		if (e == ERROR_SUCCESS)
			e = CloseNtmsSession(s);
		w->failure = e;
	}
	return NULL;
}

/* Eight threads at once, each with its own drive. */
static void test_threads(void **state)
{
	(void)state;
	restart(&(struct daemon_options){.drives = 8});
	HANDLE shared = session("shared");
	struct worker w[8];

	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){.index = i, .shared = shared};
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].failure)
			fprintf(stderr, "worker %d: error %u at step %d\n", i, w[i].failure,
				w[i].step);
		assert_int_equal(w[i].failure, ERROR_SUCCESS);
	}
	assert_int_equal(CloseNtmsSession(shared), ERROR_SUCCESS);
}

/* The tests, or the child of test_cancel_request_not_admin. */
int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--cancel-as-user") == 0)
		return cancel_as_user(argv[2], argv[3]);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_session_open_and_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_session_cancels_mount, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_session_connection_unavail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_notification, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_notification_database_failure, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_open_notification_access_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_notification_not_connected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wait_notification, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_notification, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_notification_while_waiting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_notification_not_connected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_notification_database_failure, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_request_in_process, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_request_not_admin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_request_not_enough_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_access_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_database_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_database_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_device_not_available, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_invalid_library, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_invalid_media, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_invalid_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_media_offline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_media_not_available, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_not_enough_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dismount_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mount_options, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_allocate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_objects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_operator_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_library_control, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	/* the daemon and setpriv children must not inherit a pipe's end of a finished test */
	signal(SIGPIPE, SIG_IGN);
	if (getenv("NTMSAPI_TEST")) /* one test, by name (a glob) */
		cmocka_set_test_filter(getenv("NTMSAPI_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
