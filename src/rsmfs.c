/* rsmfs.c - the rsmfs program: options, configuration, start-up, signals, clean unmount.
 *
 *   rsmfs [-f] [-c FILE] [-o OPT[,OPT...]] [--ready-fd N] MOUNTPOINT
 *
 * Start-up order matters: the engine opens (and may refuse a bad catalog) before anything is
 * mounted, and readiness (--ready-fd, or the parent of a background daemon exiting 0) is
 * reported only once the tree is mounted, so scripts never race the mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fs.h"
#include "service.h"
#include "unmount_watch.h"

struct options {
	bool foreground;
	const char *config_file;
	const char *mountpoint;
	int ready_fd;
	char fuse_opts[1024];
};

static void usage(FILE *out)
{
	fprintf(out, "usage: rsmfs [options] MOUNTPOINT\n"
		     "  -f               stay in the foreground\n"
		     "  -c FILE          read the configuration from FILE (rsmfs.conf(5))\n"
		     "  -o OPT[,OPT]     FUSE mount options (allow_other, auto_unmount, ...)\n"
		     "  --ready-fd N     write one byte to descriptor N once the tree is mounted\n"
		     "  -V, --version    print the version\n"
		     "  -h, --help       this text\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->ready_fd = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-f") == 0) {
			o->foreground = true;
		} else if (strcmp(a, "-c") == 0 && i + 1 < argc) {
			o->config_file = argv[++i];
		} else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			size_t len = strlen(o->fuse_opts);
			snprintf(o->fuse_opts + len, sizeof(o->fuse_opts) - len, "%s%s",
				 len ? "," : "", argv[++i]);
		} else if (strncmp(a, "-o", 2) == 0 && a[2]) {
			size_t len = strlen(o->fuse_opts);
			snprintf(o->fuse_opts + len, sizeof(o->fuse_opts) - len, "%s%s",
				 len ? "," : "", a + 2);
		} else if (strcmp(a, "--ready-fd") == 0 && i + 1 < argc) {
			char *end;
			long fd = strtol(argv[++i], &end, 10);
			if (*end || fd < 0 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0) {
				fprintf(stderr,
					"rsmfs: --ready-fd: '%s' is not an open descriptor\n",
					argv[i]);
				return -1;
			}
			o->ready_fd = (int)fd;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("rsmfs %s\n", PACKAGE_VERSION);
			exit(0);
		} else if (a[0] == '-') {
			fprintf(stderr, "rsmfs: unknown option '%s'\n", a);
			usage(stderr);
			return -1;
		} else if (!o->mountpoint) {
			o->mountpoint = a;
		} else {
			fprintf(stderr, "rsmfs: more than one mount point given\n");
			return -1;
		}
	}
	if (!o->mountpoint) {
		fprintf(stderr, "rsmfs: no mount point given\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Forks a background daemon.  The parent waits for the child's verdict on *status_fd and
 * exits 0 once the tree is mounted, 1 if the child failed. */
static int background(int *status_fd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		ssize_t n;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	*status_fd = p[1];
	return 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (chdir("/") < 0)
		return;
}

static void resolve_admin_group(const char *name)
{
	struct group *g = name[0] ? getgrnam(name) : NULL;

	fs_global.have_admin_group = g != NULL;
	if (g)
		fs_global.admin_gid = g->gr_gid;
}

int main(int argc, char **argv)
{
	struct options o;
	struct rsm_config cfg;
	char err[1024], opts[1200];
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *loop;
	int status_fd = -1, rc = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* a file-size limit must make a catalog write fail, not kill the daemon */
	signal(SIGXFSZ, SIG_IGN);
	rsm_config_default(&cfg);
	if (o.config_file && config_load(o.config_file, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "rsmfs: %s\n", err);
		return 1;
	}
	if (!o.foreground && background(&status_fd) < 0) {
		perror("rsmfs: fork");
		return 1;
	}
	fs_global.eng = rsm_engine_open(&cfg, err, sizeof(err));
	if (!fs_global.eng) {
		fprintf(stderr, "rsmfs: %s\n", err);
		return 1;
	}
	fs_global.daemon_uid = geteuid();
	fs_global.daemon_gid = getegid();
	resolve_admin_group(cfg.admin_group);
	pthread_mutex_init(&fs_global.log_lock, NULL);
	pthread_mutex_init(&fs_global.notify_lock, NULL);
	pthread_cond_init(&fs_global.notify_cond, NULL);

	snprintf(opts, sizeof(opts), "-ofsname=rsmfs,subtype=rsmfs,default_permissions%s%s",
		 o.fuse_opts[0] ? "," : "", o.fuse_opts);
	if (fuse_opt_add_arg(&args, argv[0]) || fuse_opt_add_arg(&args, opts)) {
		fprintf(stderr, "rsmfs: out of memory\n");
		goto out_engine;
	}
	fs_global.se = fuse_session_new(&args, &rsmfs_ops, sizeof(rsmfs_ops), NULL);
	if (!fs_global.se) {
		fprintf(stderr, "rsmfs: bad mount options '%s'\n", o.fuse_opts);
		goto out_engine;
	}
	/* A daemon started in the background by a shell inherits SIGINT ignored, and libfuse
	 * installs its handlers only over the default action: SIGINT must stop us all the same. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (fuse_set_signal_handlers(fs_global.se) != 0)
		goto out_session;
	if (notifier_start() < 0)
		goto out_signals;
	if (!realpath(o.mountpoint, fs_global.mountpoint) ||
	    fuse_session_mount(fs_global.se, o.mountpoint) != 0) {
		fprintf(stderr, "rsmfs: cannot mount on %s\n", o.mountpoint);
		goto out_notifier;
	}
	if (replay_start() < 0)
		fprintf(stderr, "rsmfs: no inotify replay: cannot start its thread\n");
	if (unmount_watch_start(fs_global.mountpoint) < 0)
		fprintf(stderr,
			"rsmfs: a lazy unmount will not be noticed: no mount table watch\n");
	if (o.ready_fd >= 0) {
		char c = 'r';
		if (write(o.ready_fd, &c, 1) != 1)
			perror("rsmfs: --ready-fd");
		close(o.ready_fd);
	}
	if (status_fd >= 0) {
		char c = 'r';
		if (write(status_fd, &c, 1) != 1)
			perror("rsmfs: status pipe");
		close(status_fd);
		detach_stdio();
	}
	service_ready(fs_global.eng);

	loop = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(loop, 0);
	fuse_loop_cfg_set_max_threads(loop, 64);
	int res = fuse_session_loop_mt(fs_global.se, loop);
	fuse_loop_cfg_destroy(loop);
	/* libfuse ends the loop with the number of the signal that stopped it: a stop that was
	 * asked for (rsmfs(8), SIGNALS); anything else is the loop's own failure */
	rc = res == 0 || res == SIGTERM || res == SIGINT || res == SIGHUP ? 0 : 1;
	if (rc)
		fprintf(stderr, "rsmfs: the FUSE loop failed: %s\n",
			strerror(res < 0 ? -res : res));

	/* Shutdown: answer every parked request while the connection still exists (reads get
	 * end of file, blocked mounts ESHUTDOWN), then take the mount away. */
	fs_global.shutting_down = true;
	service_stopping();
	unmount_watch_stop();
	replay_stop();
	rsm_engine_stop(fs_global.eng);
	fuse_session_unmount(fs_global.se);
	fs_release_open_files();
out_notifier:
	notifier_stop();
out_signals:
	fuse_remove_signal_handlers(fs_global.se);
out_session:
	fuse_session_destroy(fs_global.se);
out_engine:
	rsm_engine_close(fs_global.eng);
	fuse_opt_free_args(&args);
	for (int i = 0; i < fs_global.error_log_count; i++)
		free(fs_global.error_log[i]);
	return rc;
}
