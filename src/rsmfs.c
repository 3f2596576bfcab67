/* rsmfs.c - the rsmfs program: options, configuration, start-up, signals, clean unmount.
 *
 *   rsmfs [-f] [-c FILE] [-o OPT[,OPT...]] [--ready-fd N] [CONFIG] MOUNTPOINT
 *
 * With two arguments the first is the configuration file: the form mount.fuse3(8) runs for an
 * fstab line "CONFIG MOUNTPOINT fuse.rsmfs OPTIONS 0 0" (rsmfs(8), FSTAB).
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
#include "daemon_log.h"
#include "fs.h"
#include "service.h"
#include "unmount_watch.h"

struct options {
	bool foreground;
	const char *config_file;
	const char *mountpoint;
	int ready_fd;
	char fuse_opts[1024];
	enum rsm_log_level loglevel; /* -o loglevel= */
	bool config_named;	     /* the fstab form: the configuration is the mount's source */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rsmfs [options] [CONFIG] MOUNTPOINT\n"
		"  CONFIG           the configuration file, as in fstab (same as -c CONFIG)\n"
		"  -f               stay in the foreground; log to stderr, not syslog\n"
		"  -c FILE          read the configuration from FILE (rsmfs.conf(5))\n"
		"  -o OPT[,OPT]     FUSE mount options (allow_other, auto_unmount, ...)\n"
		"  -o loglevel=L    log up to L: error, warning, notice (default), info, debug\n"
		"  --ready-fd N     write one byte to descriptor N once the tree is mounted\n"
		"  -V, --version    print the version\n"
		"  -h, --help       this text\n");
}

/* -o loglevel=<level> (rsmfs(8), LOGGING). */
static int take_loglevel(struct options *o, const char *value)
{
	int level = daemon_log_level(value);

	if (level < 0) {
		fprintf(stderr,
			"rsmfs: bad loglevel '%s' (error, warning, notice, info or debug)\n",
			value);
		return -1;
	}
	o->loglevel = (enum rsm_log_level)level;
	return 0;
}

/* The -o options that are rsmfs's own: taken out of what FUSE is given, which refuses any
 * option it does not know. */
static const struct own_option {
	const char *prefix;
	int (*take)(struct options *o, const char *value);
} own_options[] = {
    {"loglevel=", take_loglevel},
};

/* The next option of a comma-separated -o list at *p, cut off in place; *p moves past it (NULL
 * after the last).  A comma escaped with a backslash (FUSE's rule) does not end an option. */
static char *next_option(char **p)
{
	char *start = *p, *c = start;

	while (*c && *c != ',')
		c += c[0] == '\\' && c[1] ? 2 : 1;
	*p = *c ? c + 1 : NULL;
	*c = '\0';
	return start;
}

/* Takes rsmfs's own options out of o->fuse_opts. */
static int take_own_options(struct options *o)
{
	char list[sizeof(o->fuse_opts)], *p = list;
	size_t used = 0;

	snprintf(list, sizeof(list), "%s", o->fuse_opts);
	o->fuse_opts[0] = '\0';
	while (p) {
		char *opt = next_option(&p);
		const struct own_option *own = NULL;

		for (size_t i = 0; i < sizeof(own_options) / sizeof(own_options[0]) && !own; i++)
			if (strncmp(opt, own_options[i].prefix, strlen(own_options[i].prefix)) == 0)
				own = &own_options[i];
		if (own && own->take(o, opt + strlen(own->prefix)) < 0)
			return -1;
		if (own || !*opt)
			continue;
		used += (size_t)snprintf(o->fuse_opts + used, sizeof(o->fuse_opts) - used, "%s%s",
					 used ? "," : "", opt);
	}
	return 0;
}

/* The arguments that are not options: "[CONFIG] MOUNTPOINT" (rsmfs(8), SYNOPSIS). */
static int take_operands(struct options *o, char **operand, int n)
{
	if (n == 0) {
		fprintf(stderr, "rsmfs: no mount point given\n");
		usage(stderr);
		return -1;
	}
	if (n == 2 && o->config_file) {
		fprintf(stderr, "rsmfs: two configuration files given: -c %s and %s\n",
			o->config_file, operand[0]);
		return -1;
	}
	if (n == 2) {
		o->config_file = operand[0];
		o->config_named = true;
	}
	o->mountpoint = operand[n - 1];
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	char *operand[2];
	int noperands = 0;

	memset(o, 0, sizeof(*o));
	o->ready_fd = -1;
	o->loglevel = DAEMON_LOG_DEFAULT;
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
		} else if (noperands < 2) {
			operand[noperands++] = argv[i];
		} else {
			fprintf(stderr, "rsmfs: more than a configuration file and a mount point "
					"given\n");
			return -1;
		}
	}
	if (take_operands(o, operand, noperands) < 0)
		return -1;
	return take_own_options(o);
}

/* The options FUSE is given: ours, then the user's.  The fstab form names the mount after its
 * configuration file, as mount(8) and fstab do, so that "mount -a" sees it mounted already. */
static void fuse_option_string(const struct options *o, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "-ofsname=");

	for (const char *c = o->config_named ? o->config_file : "rsmfs"; *c && used + 3 < len;
	     c++) {
		if (*c == ',' || *c == '\\')
			buf[used++] = '\\'; /* FUSE's escape: a comma would end the option */
		buf[used++] = *c;
	}
	buf[used] = '\0';
	snprintf(buf + used, len - used, ",subtype=rsmfs,default_permissions%s%s",
		 o->fuse_opts[0] ? "," : "", o->fuse_opts);
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

/* The line that says the daemon serves its tree, and from which configuration. */
static void log_mounted(const struct options *o)
{
	daemon_log(RSM_LOG_NOTICE, "mounted on %s (rsmfs %s, %s%s)", fs_global.mountpoint,
		   PACKAGE_VERSION, o->config_file ? "configuration " : "built-in library vtl0",
		   o->config_file ? o->config_file : "");
}

int main(int argc, char **argv)
{
	struct options o;
	struct rsm_config cfg;
	char err[1024], opts[8192];
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *loop;
	int status_fd = -1, rc = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	daemon_log_start(o.foreground, o.loglevel);
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

	fuse_option_string(&o, opts, sizeof(opts));
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
	log_mounted(&o);
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
		daemon_log(RSM_LOG_ERROR, "the FUSE loop failed: %s",
			   strerror(res < 0 ? -res : res));
	daemon_log(RSM_LOG_NOTICE, "stopping: %s", fs_global.mountpoint);

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
