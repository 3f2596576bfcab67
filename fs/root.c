/* root.c - the files of the root (rsmfs(5), THE ROOT): README, version and error_log (metrics is
 * metrics.c's), and the by-id/ directory (rsmfs(5), by-id/).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static const char readme_text[] =
    "rsmfs - Removable Storage Manager file system\n"
    "\n"
    "  libraries/<lib>/   libraries: id name type state backend changer slots ports door stats\n"
    "                     map map.svg (the library drawn, as text and as a picture)\n"
    "  metrics            the counters, for Prometheus\n"
    "  drives/<d>/        drives: state medium session device stats\n"
    "  media/<m>/         cartridges: state location library pool sides/\n"
    "  pools/<p>/         media pools: free import unrecognized cleaner; mkdir adds one\n"
    "  requests/<n>/      library requests: operation state error ...; ctl: cancel\n"
    "  opreqs/<n>/        operator requests: type message state; ctl: satisfy cancel\n"
    "  sessions/<s>/      mkdir opens a session, rmdir closes it\n"
    "  by-id/<guid>       every object by its GUID\n"
    "\n"
    "A session:\n"
    "  mkdir sessions/demo\n"
    "  echo 'mount T00001L6' > sessions/demo/ctl      (blocks until mounted)\n"
    "  cat drives/*/state; tar cf \"$(cat drives/d0/device)\" somefile\n"
    "  echo 'dismount T00001L6 deferred' > sessions/demo/ctl\n"
    "  timeout 5 head -n1 sessions/demo/notify/drive  (events: seq op type path guid)\n"
    "  rmdir sessions/demo\n"
    "\n"
    "Also: allocate <pool> [new] [timeout=<s>], deallocate <m>/<side>, message <text>;\n"
    "libraries/<l>/ctl: inventory enable disable inject eject; drives/<d>/ctl: clean\n"
    "enable disable; media/<m>/ctl: pool <p> enable disable decommission complete eject.\n"
    "Mount options: drive=<d> read write nowait timeout=<s> priority=<n> offline-error\n"
    "unavailable-error.  Failures set errno; the RSM error is in sessions/<s>/error and is\n"
    "the reply line read back from the same open ctl.  See rsmfs(5).\n";

/* ---- error_log: the last rejected commands ---- */

/* Makes a command printable for the log: control bytes become '?', at most 200 bytes. */
static void printable(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; in[i] && i + 1 < len && i < 200; i++)
		out[i] = isprint((unsigned char)in[i]) ? in[i] : '?';
	out[i] = '\0';
}

/* Adds a refused command to error_log; the oldest line goes past FS_ERROR_LOG_LINES. */
void error_log_add(const struct fuse_ctx *ctx, const char *file, const char *cmd, const char *why)
{
	char when[32], clean[256], *line = NULL;
	rsm_format_time((int64_t)time(NULL), when, sizeof(when));
	printable(cmd, clean, sizeof(clean));
	if (asprintf(&line, "%s uid=%u %s \"%s\" %s\n", when, ctx ? (unsigned)ctx->uid : 0, file,
		     clean, why) < 0)
		return;
	pthread_mutex_lock(&fs_global.log_lock);
	if (fs_global.error_log_count == FS_ERROR_LOG_LINES) {
		free(fs_global.error_log[0]);
		memmove(fs_global.error_log, fs_global.error_log + 1,
			sizeof(char *) * (FS_ERROR_LOG_LINES - 1));
		fs_global.error_log_count--;
	}
	fs_global.error_log[fs_global.error_log_count++] = line;
	pthread_mutex_unlock(&fs_global.log_lock);
}

/* The log's lines, oldest first. */
static int render_error_log(const union object_info *o, const struct node *n, FILE *f)
{
	(void)o, (void)n;
	pthread_mutex_lock(&fs_global.log_lock);
	for (int i = 0; i < fs_global.error_log_count; i++)
		fputs(fs_global.error_log[i], f);
	pthread_mutex_unlock(&fs_global.log_lock);
	return 0;
}

/* Any write empties the log, whatever it holds and however long it is; administrators only
 * (the file's mode admits them only, and root bypasses modes). */
static void error_log_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	(void)fh, (void)buf;
	if (!cred_is_admin(fuse_req_ctx(req))) {
		fuse_reply_err(req, EACCES);
		return;
	}
	pthread_mutex_lock(&fs_global.log_lock);
	for (int i = 0; i < fs_global.error_log_count; i++)
		free(fs_global.error_log[i]);
	fs_global.error_log_count = 0;
	pthread_mutex_unlock(&fs_global.log_lock);
	fuse_reply_write(req, size);
}

/* ---- README and version ---- */

static int render_readme(const union object_info *o, const struct node *n, FILE *f)
{
	(void)o, (void)n;
	fputs(readme_text, f);
	return 0;
}

static int render_version(const union object_info *o, const struct node *n, FILE *f)
{
	(void)o, (void)n;
	fprintf(f, "rsmfs %s\n", PACKAGE_VERSION);
	return 0;
}

static const struct file_kind root_files[] = {
    {"README", N_FILE, 0444, OWN_DAEMON, .render = render_readme},
    {"version", N_FILE, 0444, OWN_DAEMON, .render = render_version},
    {"error_log", N_FILE, 0664, OWN_ADMIN_GROUP, .render = render_error_log,
     .write = error_log_write},
    {"metrics", N_FILE, 0444, OWN_DAEMON, .render = render_metrics},
    ENTRY("libraries", N_DIR, 0755, OWN_DAEMON),
    ENTRY("drives", N_DIR, 0755, OWN_DAEMON),
    ENTRY("media", N_DIR, 0755, OWN_DAEMON),
    {"pools", N_DIR, 0777, OWN_DAEMON, .mkdir = pool_mkdir, .rmdir = pool_rmdir},
    ENTRY("requests", N_DIR, 0755, OWN_DAEMON),
    ENTRY("opreqs", N_DIR, 0755, OWN_DAEMON),
    {"sessions", N_DIR, 0777, OWN_DAEMON, .mkdir = session_mkdir, .rmdir = session_rmdir},
    ENTRY("by-id", N_DIR, 0755, OWN_DAEMON),
    ENTRY("hosts", N_DIR, 0755, OWN_DAEMON), /* a site's only (tree.c) */
    {0},
};

/* The root is no object's directory: its subtree is only its file table. */
const struct subtree root_tree = {
    .name = "",
    .files = root_files,
};

/* ---- by-id/<guid>: a link to the object ---- */

/* by-id/<guid>: a link to the object's directory. */
static int resolve_byid(struct node *n, char c[][COMPONENT_MAX], int k)
{
	char path[256];

	if (k != 2 || rsm_guid_lookup(fs_global.eng, c[1], path, sizeof(path)) != ERROR_SUCCESS)
		return -ENOENT;
	return node_link(n, "../%s", path);
}

/* by-id/: every GUID. */
static int list_guids(struct dirent_list *out)
{
	struct rsm_names g AUTO_NAMES = {0};
	int rc = 0;

	if (rsm_list_guids(fs_global.eng, &g))
		return -ENOMEM;
	for (size_t i = 0; !rc && i < g.count; i++)
		rc = list_add(out, g.names[i], S_IFLNK);
	return rc;
}

const struct subtree byid_tree = {
    .name = "by-id",
    .resolve = resolve_byid,
    .list_top = list_guids,
};
