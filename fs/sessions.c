/* sessions.c - sessions/ and sessions/<name>/ (rsmfs(5), sessions/name/, SESSION COMMANDS and
 * CHANNELS): mkdir opens a session and rmdir closes it; its ctl takes mount, dismount,
 * allocate, deallocate and message; notify/<type> are its notification channels.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(session_id, session.guid)
RENDER_TEXT(session_created, session.created)
RENDER_TEXT(session_error, session.error)
RENDER_TEXT(session_host, session.host)

/* owner: the opener's uid. */
static int session_owner(const union object_info *o, const struct node *n, FILE *f)
{
	(void)n;
	fprintf(f, "%u\n", (unsigned)o->session.uid);
	return 0;
}

/* Whether the session named name lives on another host of the site: listed and read here,
 * used there (rsmfs(5), sessions/name/). */
static bool session_remote(const char *name)
{
	struct rsm_session_info si;

	return rsm_session_info(fs_global.eng, name, &si) == ERROR_SUCCESS && si.remote;
}

/* At open of the ctl: the session it commands, for as long as it is open. */
static int session_ctl_open(fuse_req_t req, struct fh *fh)
{
	(void)req;
	if (session_remote(fh->node.obj))
		return -EREMOTE;
	rsm_err e = rsm_session_find(fs_global.eng, fh->node.obj, &fh->session);
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* A per-user limit refused what the caller did (rsmfs(5), LIMITS): the refusal goes to
 * error_log, and to the session's error file when there is a session to blame. */
static void limit_refusal(fuse_req_t req, rsm_handle session, const char *file, const char *what,
			  const char *limit)
{
	char text[320];

	error_text(RSM_ERROR_USER_LIMIT, limit, text, sizeof(text));
	if (session)
		rsm_session_set_error(fs_global.eng, session, text);
	error_log_add(fuse_req_ctx(req), file, what, text);
}

/* The process (thread group) of a thread the kernel names in a request; 0 when unknown. */
static pid_t process_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = tid > 0 ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	if (f)
		fclose(f);
	return tgid;
}

/* At open of notify/<type>: a channel of the session for that type of object. */
static int channel_open(fuse_req_t req, struct fh *fh)
{
	struct rsm_cred cred = cred_of(req);

	if (session_remote(fh->node.obj))
		return -EREMOTE;
	rsm_err e = rsm_session_find(fs_global.eng, fh->node.obj, &fh->session);

	if (e == ERROR_SUCCESS)
		e = rsm_notify_open(fs_global.eng, fh->session, &cred,
				    rsm_object_type_from_name(fh->node.sub), &fh->channel);
	if (e == RSM_ERROR_USER_LIMIT)
		limit_refusal(req, fh->session, fh->path, "open", "max_channels_per_user");
	if (e == ERROR_SUCCESS && (fh->flags & O_DSYNC))
		fh->opener = process_of(fuse_req_ctx(req)->pid);
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* At a close(2) of a channel opened with O_SYNC (O_DSYNC) by the process that opened it: its
 * end is recorded in the catalog now, so that the close reports a catalog that cannot record
 * it (EIO, ERROR_DATABASE_FAILURE) or a daemon that is gone (ENOTCONN, from the kernel).  The
 * closes of other processes (a child that inherited the descriptor, or closes it as it execs)
 * record nothing; other channels ask for no FLUSH at all (files.c). */
static int channel_flush(fuse_req_t req, struct fh *fh)
{
	if (!(fh->flags & O_DSYNC) || !fh->opener ||
	    process_of(fuse_req_ctx(req)->pid) != fh->opener)
		return 0;
	rsm_err e = rsm_notify_record_end(fs_global.eng, fh->channel);
	return e == ERROR_SUCCESS || e == ERROR_INVALID_HANDLE ? 0 : -rsm_error_errno(e);
}

/* ---- the directories ---- */

/* mkdir sessions/<name>: a session owned by the caller. */
int session_mkdir(fuse_req_t req, const char *name, mode_t mode)
{
	struct rsm_cred cred = cred_of(req);
	rsm_handle h;

	(void)mode;
	rsm_err e = rsm_session_open(fs_global.eng, name, "rsmfs", &cred, &h);
	if (e == ERROR_INVALID_NAME)
		return -EINVAL;
	if (e == RSM_ERROR_USER_LIMIT) {
		char path[FS_PATH_MAX];
		snprintf(path, sizeof(path), "sessions/%s", name);
		limit_refusal(req, 0, path, "mkdir", "max_sessions_per_user");
	}
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* rmdir sessions/<name>: its opener or an administrator closes it. */
int session_rmdir(fuse_req_t req, const char *name)
{
	struct rsm_cred cred = cred_of(req);
	struct rsm_session_info si;
	rsm_handle h;

	if (rsm_session_info(fs_global.eng, name, &si) != ERROR_SUCCESS)
		return -ENOENT;
	if (si.remote)
		return -EREMOTE; /* closed by its host */
	if (rsm_session_find(fs_global.eng, name, &h) != ERROR_SUCCESS)
		return -ENOENT;
	if (!cred.admin && cred.uid != si.uid)
		return -EACCES;
	rsm_err e = rsm_session_close(fs_global.eng, h);
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* ---- session commands ---- */

/* The reason a command that makes a request gives when the caller has too many pending. */
#define REQUESTS_LIMIT "max_requests_per_user"

/* The RSM_MOUNT_* bit each flag option sets. */
static const unsigned mount_flag_bits[MOUNT_NOPTIONS] = {
    [MOUNT_READ] = RSM_MOUNT_READ,
    [MOUNT_WRITE] = RSM_MOUNT_WRITE,
    [MOUNT_NOWAIT] = RSM_MOUNT_NOWAIT,
    [MOUNT_OFFLINE_ERROR] = RSM_MOUNT_ERROR_OFFLINE,
    [MOUNT_UNAVAILABLE_ERROR] = RSM_MOUNT_ERROR_NOT_AVAILABLE,
};

/* The mount options of tok[2..n) into a; 0 or o's failure. */
static int mount_arguments(char **tok, int n, struct rsm_mount_args *a, struct outcome *o)
{
	struct option_value v[MOUNT_NOPTIONS];

	if (outcome_options(o, "mount", mount_options, MOUNT_NOPTIONS, tok, 2, n, v))
		return o->rc;
	for (int k = 0; k < MOUNT_NOPTIONS; k++)
		if (v[k].given)
			a->options |= mount_flag_bits[k];
	if (v[MOUNT_DRIVE].given) {
		const char *drive = v[MOUNT_DRIVE].text;
		if (!*drive || strlen(drive) > RSM_NAME_MAX)
			return outcome_fail(o, ERROR_INVALID_DRIVE, "no such drive '%s'", drive);
		a->drive = drive;
		a->options |= RSM_MOUNT_SPECIFIC_DRIVE;
	}
	if (v[MOUNT_VDRIVE].given) {
		a->vdrive = (int)v[MOUNT_VDRIVE].number;
		a->options |= RSM_MOUNT_VDRIVE;
	}
	if (v[MOUNT_TIMEOUT].given)
		a->timeout_ms = v[MOUNT_TIMEOUT].number;
	if (v[MOUNT_PRIORITY].given)
		a->priority = (int)v[MOUNT_PRIORITY].number;
	return 0;
}

/* mount <medium>[/<side>] [options]: parks until the medium is in a drive. */
static int cmd_mount(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct rsm_mount_args a = {.timeout_ms = RSM_WAIT_INFINITE};
	char medium[RSM_NAME_MAX + 16];
	uint64_t request = 0;
	rsm_err e;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "mount: missing medium%s", NULL);
	if (strlen(tok[1]) >= sizeof(medium))
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	if (parse_medium_side(tok[1], medium, sizeof(medium), &a.side, false))
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "mount: bad side in '%s'", tok[1]);
	if (mount_arguments(tok, n, &a, o))
		return o->rc;
	a.medium = medium;
	batch_park_prepare(b, false);
	e = rsm_mount(fs_global.eng, b->session, &b->cred, &a, batch_mount_done, b, &request);
	if (batch_park_settle(b, e, request))
		return 1;
	if (e != ERROR_SUCCESS) {
		const char *what = e == ERROR_INVALID_MEDIA    ? medium
				   : e == ERROR_INVALID_DRIVE  ? a.drive
				   : e == RSM_ERROR_USER_LIMIT ? REQUESTS_LIMIT
							       : "";
		return outcome_fail(o, e, "%s", what);
	}
	return reply_ok(b, request);
}

/* dismount <medium> [deferred|immediate]: returns once queued. */
static int cmd_dismount(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct option_value v[DISMOUNT_NOPTIONS];
	unsigned options = 0;
	uint64_t request = 0;
	rsm_err e;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "dismount: missing medium%s", NULL);
	if (outcome_options(o, "dismount", dismount_options, DISMOUNT_NOPTIONS, tok, 2, n, v))
		return o->rc;
	if (v[DISMOUNT_DEFERRED].given && v[DISMOUNT_IMMEDIATE].given)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "dismount: deferred and immediate exclude each other%s", NULL);
	options |= v[DISMOUNT_DEFERRED].given ? RSM_DISMOUNT_DEFERRED : 0;
	options |= v[DISMOUNT_IMMEDIATE].given ? RSM_DISMOUNT_IMMEDIATE : 0;
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	e = rsm_dismount(fs_global.eng, b->session, &b->cred, tok[1], options, &request);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s",
				    e == ERROR_INVALID_MEDIA	? tok[1]
				    : e == RSM_ERROR_USER_LIMIT ? REQUESTS_LIMIT
								: "");
	return reply_ok(b, request);
}

/* allocate <pool> [new] [timeout=<s>]: parks like a mount while no medium is available. */
static int cmd_allocate(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct option_value v[ALLOCATE_NOPTIONS];
	uint64_t request = 0;
	char result[RSM_NAME_MAX + 8] = "";
	rsm_err e;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "allocate: missing pool%s", NULL);
	if (outcome_options(o, "allocate", allocate_options, ALLOCATE_NOPTIONS, tok, 2, n, v))
		return o->rc;
	unsigned options = v[ALLOCATE_NEW].given ? RSM_ALLOCATE_NEW : 0;
	int64_t timeout_ms =
	    v[ALLOCATE_TIMEOUT].given ? v[ALLOCATE_TIMEOUT].number : RSM_WAIT_INFINITE;
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA_POOL, "no such pool %s", tok[1]);
	batch_park_prepare(b, true);
	e = rsm_allocate(fs_global.eng, b->session, &b->cred, tok[1], options, timeout_ms,
			 batch_mount_done, b, &request, result);
	if (batch_park_settle(b, e, request))
		return 1;
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s",
				    e == ERROR_INVALID_MEDIA_POOL ? tok[1]
				    : e == RSM_ERROR_USER_LIMIT	  ? REQUESTS_LIMIT
								  : "");
	char line[160];
	snprintf(line, sizeof(line), "ok request %llu %s", (unsigned long long)request, result);
	reply_queue_add(b->fh, line);
	return 0;
}

/* deallocate <medium>/<side> */
static int cmd_deallocate(struct batch *b, char **tok, int n, struct outcome *o)
{
	char medium[RSM_NAME_MAX + 16];
	int side;

	if (n != 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    n < 2 ? "deallocate: missing <medium>/<side>%s"
					  : "deallocate: unexpected argument '%s'",
				    n < 2 ? NULL : tok[2]);
	if (strlen(tok[1]) >= sizeof(medium))
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	if (parse_medium_side(tok[1], medium, sizeof(medium), &side, true))
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "deallocate: '%s' is not <medium>/<side> (side 0 or 1)",
				    tok[1]);
	rsm_err e = rsm_deallocate(fs_global.eng, b->session, &b->cred, medium, side);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", e == ERROR_INVALID_MEDIA ? tok[1] : "");
	return reply_ok(b, 0);
}

/* message <text>: the rest of the line, as written, goes to the operator. */
static int cmd_message(struct batch *b, char **tok, int n, struct outcome *o)
{
	const char *text = b->line;
	uint64_t number = 0;

	(void)tok;
	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "message: missing text%s", NULL);
	while (*text == ' ' || *text == '\t')
		text++;
	text += strlen("message");
	while (*text == ' ' || *text == '\t')
		text++;
	char copy[FS_MAX_WRITE + 1];
	snprintf(copy, sizeof(copy), "%s", text);
	for (size_t len = strlen(copy); len && (copy[len - 1] == ' ' || copy[len - 1] == '\r');)
		copy[--len] = '\0';
	rsm_err e = rsm_opreq_submit(fs_global.eng, b->session, &b->cred, copy, &number);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s",
				    e == RSM_ERROR_USER_LIMIT ? "max_opreqs_per_user" : "");
	char line[64];
	snprintf(line, sizeof(line), "ok opreq %llu", (unsigned long long)number);
	reply_queue_add(b->fh, line);
	return 0;
}

static const struct command session_commands[] = {
    {"mount", cmd_mount},	    {"dismount", cmd_dismount}, {"allocate", cmd_allocate},
    {"deallocate", cmd_deallocate}, {"message", cmd_message},	{NULL, NULL},
};

/* ---- the tree ---- */

static const struct file_kind session_files[] = {
    {"id", N_FILE, 0444, OWN_SESSION, .render = session_id},
    {"owner", N_FILE, 0444, OWN_SESSION, .render = session_owner},
    {"created", N_FILE, 0444, OWN_SESSION, .render = session_created},
    {"host", N_FILE, 0444, OWN_SESSION, .render = session_host, .fixed = true},
    {"ctl", N_CTL, 0600, OWN_SESSION, .write = ctl_write, .commands = session_commands,
     .open = session_ctl_open},
    {"error", N_FILE, 0444, OWN_SESSION, .render = session_error},
    ENTRY("last", N_LINK, 0777, OWN_SESSION),
    ENTRY("mounts", N_DIR, 0755, OWN_SESSION),
    ENTRY("drives", N_DIR, 0755, OWN_SESSION),
    ENTRY("requests", N_DIR, 0755, OWN_SESSION),
    ENTRY("notify", N_DIR, 0755, OWN_SESSION),
    {0},
};

/* notify/<type>: a channel, named by an object type. */
static const struct file_kind channel_kind = {
    NULL, N_CHANNEL, 0400, OWN_SESSION, .open = channel_open, .flush = channel_flush};

/* The session's record, for its files. */
static int load_session(const struct node *n, union object_info *o)
{
	return rsm_session_info(fs_global.eng, n->obj, &o->session) ? -ENOENT : 0;
}

/* mounts/<medium> (by_vdrive false) or drives/<i> (true): a link to the drive that holds the
 * medium for the session, or that is the session's virtual drive i. */
static int resolve_mount(struct node *n, const char *session, const char *name, bool by_vdrive)
{
	struct rsm_names media AUTO_NAMES = {0}, drives AUTO_NAMES = {0}, vdrives AUTO_NAMES = {0};
	int rc = -ENOENT;

	if (rsm_session_mounts(fs_global.eng, session, &media, &drives, &vdrives) != ERROR_SUCCESS)
		return -ENOMEM;
	for (size_t i = 0; i < media.count; i++)
		if (strcmp(by_vdrive ? vdrives.names[i] : media.names[i], name) == 0)
			rc = node_link(n, "../../../drives/%s", drives.names[i]);
	return rc;
}

/* requests/<n>: a link to one of the session's requests. */
static int resolve_session_request(struct node *n, const char *session, const char *number)
{
	uint64_t num;

	if (!parse_number(number, &num) || !rsm_session_has_request(fs_global.eng, session, num))
		return -ENOENT;
	return node_link(n, "../../../requests/%s", number);
}

/* sessions/<s>/notify/<type>, sessions/<s>/mounts/<m> and sessions/<s>/requests/<n>. */
static int resolve_session_entry(struct node *n, const struct rsm_session_info *si,
				 char c[][COMPONENT_MAX])
{
	if (strcmp(c[2], "notify") == 0) {
		if (rsm_object_type_from_name(c[3]) < 0)
			return -ENOENT;
		node_set_kind(n, &channel_kind, &(struct owner_of){si->uid, 0, 0});
		snprintf(n->sub, sizeof(n->sub), "%s", c[3]);
		return 0;
	}
	if (strcmp(c[2], "mounts") == 0 || strcmp(c[2], "drives") == 0)
		return resolve_mount(n, c[1], c[3], c[2][0] == 'd');
	if (strcmp(c[2], "requests") == 0)
		return resolve_session_request(n, c[1], c[3]);
	return -ENOENT;
}

/* sessions/<s>[/<file>], its last link, and what is in notify/, mounts/ and requests/. */
static int resolve_session(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_session_info si;

	if (rsm_session_info(fs_global.eng, c[1], &si) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		n->uid = si.uid;
		return 0;
	}
	if (k == 3 && strcmp(c[2], "last") == 0) {
		char num[32];
		if (!si.last_request)
			return -ENOENT;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)si.last_request);
		node_link(n, "../../requests/%s", num);
		n->uid = si.uid;
		return 0;
	}
	if (k == 3)
		return node_from_table(n, session_files, c[2], &(struct owner_of){si.uid, 0, 0});
	if (k != 4)
		return -ENOENT;
	return resolve_session_entry(n, &si, c);
}

/* mounts/ (by_vdrive false): the session's mounted media; drives/: its virtual drives. */
static int list_mounts(const char *session, bool by_vdrive, struct dirent_list *out)
{
	struct rsm_names media AUTO_NAMES = {0}, drives AUTO_NAMES = {0}, vdrives AUTO_NAMES = {0};
	int rc = 0;

	if (rsm_session_mounts(fs_global.eng, session, &media, &drives, &vdrives))
		return -ENOMEM;
	for (size_t i = 0; !rc && i < media.count; i++)
		rc = list_add(out, by_vdrive ? vdrives.names[i] : media.names[i], S_IFLNK);
	return rc;
}

/* notify/: a channel for every object type. */
static int list_channels(struct dirent_list *out)
{
	for (int t = 0; t < RSM_OBJ_COUNT; t++)
		if (list_add(out, rsm_object_type_name(t), S_IFREG))
			return -ENOMEM;
	return 0;
}

/* A session's directory (last only once it made a request), notify/, requests/, mounts/. */
static int list_session(const char *last, const struct node *dir, struct dirent_list *out)
{
	struct rsm_session_info si;

	if (rsm_session_info(fs_global.eng, dir->obj, &si))
		return -ENOENT;
	if (strcmp(last, "notify") == 0)
		return list_channels(out);
	if (strcmp(last, "requests") == 0)
		return list_names(out, RSM_KIND_REQUEST, dir->obj, S_IFLNK);
	if (strcmp(last, "mounts") == 0 || strcmp(last, "drives") == 0)
		return list_mounts(dir->obj, last[0] == 'd', out);
	return list_table(out, session_files, si.last_request ? NULL : "last");
}

const struct subtree session_tree = {
    .name = "sessions",
    .objects = RSM_KIND_SESSION,
    .files = session_files,
    .load = load_session,
    .resolve = resolve_session,
    .list = list_session,
};
