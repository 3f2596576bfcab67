/* drives.c - drives/<drive>/ (rsmfs(5), drives/drive/): its files and its ctl commands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(drive_id, drive.guid)
RENDER_TEXT(drive_name, drive.name)
RENDER_TEXT(drive_state, drive.state)
RENDER_TEXT(drive_hosts, drive.hosts)
RENDER_TEXT(drive_session, drive.session)

/* device: where to do I/O (rsmfs(5), drives/drive/): a simulated drive's tape file while it
 * holds a cartridge, by its absolute path, so that tar cf "$(cat device)" works as on a real
 * drive; a real drive's OS device. */
static int drive_device(const union object_info *o, const struct node *n, FILE *f)
{
	const struct rsm_drive_info *di = &o->drive;

	(void)n;
	if (!di->tape)
		return render_value(f, di->device);
	if (di->medium[0])
		fprintf(f, "%s/drives/%s/tape\n", fs_global.mountpoint, di->name);
	return 0;
}

/* Counters, one "name value" per line. */
static int drive_stats(const union object_info *o, const struct node *n, FILE *f)
{
	const struct rsm_drive_info *di = &o->drive;

	(void)n;
	fprintf(f,
		"mounts %llu\ncleanings %llu\nerrors %llu\nlast_cleaned %s\nbytes_read %llu\n"
		"bytes_written %llu\n",
		(unsigned long long)di->mounts, (unsigned long long)di->cleanings,
		(unsigned long long)di->errors, di->last_cleaned[0] ? di->last_cleaned : "-",
		(unsigned long long)di->bytes_read, (unsigned long long)di->bytes_written);
	return 0;
}

/* ---- drives/<d>/ctl ---- */

/* clean: a cleaning cartridge through the drive. */
static int drive_clean(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_drive_clean(fs_global.eng, &b->cred, b->fh->node.obj, &request);
	return finish(b, e, request, o, "");
}

/* enable | disable */
static int drive_enable(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e =
	    rsm_drive_enable(fs_global.eng, &b->cred, b->fh->node.obj, tok[0][0] == 'e', &request);
	return finish(b, e, request, o, "");
}

static const struct command drive_commands[] = {
    {"clean", drive_clean},
    {"enable", drive_enable},
    {"disable", drive_enable},
    {NULL, NULL},
};

/* ---- the tree ---- */

static const struct file_kind drive_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = drive_id, .fixed = true},
    {"name", N_FILE, 0444, OWN_DAEMON, .render = drive_name, .fixed = true},
    ENTRY("library", N_LINK, 0777, OWN_DAEMON),
    {"state", N_FILE, 0444, OWN_DAEMON, .render = drive_state},
    ENTRY("medium", N_LINK, 0777, OWN_DAEMON),
    {"session", N_FILE, 0444, OWN_DAEMON, .render = drive_session},
    {"device", N_FILE, 0444, OWN_DAEMON, .render = drive_device},
    {"hosts", N_FILE, 0444, OWN_DAEMON, .render = drive_hosts},
    ENTRY("tape", N_TAPE, 0600, OWN_SESSION), /* resolved by resolve_tape */
    {"stats", N_FILE, 0444, OWN_DAEMON, .render = drive_stats},
    {"ctl", N_CTL, 0220, OWN_ADMIN_GROUP, .write = ctl_write, .commands = drive_commands},
    {0},
};

/* The drive's record, for its files. */
static int load_drive(const struct node *n, union object_info *o)
{
	return rsm_drive_info(fs_global.eng, n->obj, &o->drive) ? -ENOENT : 0;
}

/* tape: a simulated drive's tape file, its owner the session that has the medium mounted (the
 * daemon's while none has); a real drive's OS device by a link, absent while it is unknown. */
static int resolve_tape(struct node *n, const struct rsm_drive_info *di)
{
	struct owner_of o = {.uid = (uid_t)di->session_uid};

	if (!di->tape)
		return di->device[0] ? node_link(n, "%s", di->device) : -ENOENT;
	node_set_kind(n, &tape_kind, di->session_uid >= 0 ? &o : NULL);
	return 0;
}

/* The links library and medium lead to the drive's library and the medium it holds. */
static int resolve_drive(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_drive_info di;

	if (rsm_drive_info(fs_global.eng, c[1], &di) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	if (k != 3)
		return -ENOENT;
	if (strcmp(c[2], "library") == 0)
		return node_link(n, "../../libraries/%s", di.library);
	if (strcmp(c[2], "medium") == 0)
		return di.medium[0] ? node_link(n, "../../media/%s", di.medium) : -ENOENT;
	if (strcmp(c[2], "tape") == 0)
		return resolve_tape(n, &di);
	return node_from_table(n, drive_files, c[2], NULL);
}

/* A drive's directory: its table, without medium while it holds none, and tape as
 * resolve_tape makes it (a link for a real drive, absent while its device is unknown). */
static int list_drive(const char *last, const struct node *dir, struct dirent_list *out)
{
	struct rsm_drive_info di;
	int rc = 0;

	(void)last;
	if (rsm_drive_info(fs_global.eng, dir->obj, &di))
		return -ENOENT;
	for (const struct file_kind *k = drive_files; !rc && k->name; k++) {
		bool tape = strcmp(k->name, "tape") == 0;
		if ((strcmp(k->name, "medium") == 0 && !di.medium[0]) ||
		    (tape && !di.tape && !di.device[0]))
			continue;
		mode_t type = k->type == N_DIR				? S_IFDIR
			      : k->type == N_LINK || (tape && !di.tape) ? S_IFLNK
									: S_IFREG;
		rc = list_add(out, k->name, type);
	}
	return rc;
}

const struct subtree drive_tree = {
    .name = "drives",
    .objects = RSM_KIND_DRIVE,
    .files = drive_files,
    .load = load_drive,
    .resolve = resolve_drive,
    .list = list_drive,
};
