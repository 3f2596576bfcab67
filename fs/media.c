/* media.c - media/<medium>/ and its sides/<n>/ (rsmfs(5), media/medium/): their files and the
 * medium's ctl commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(medium_id, medium.guid)
RENDER_TEXT(medium_name, medium.name)
RENDER_TEXT(medium_barcode, medium.barcode)
RENDER_TEXT(medium_type, medium.type)
RENDER_TEXT(medium_state, medium.state)
RENDER_TEXT(medium_location, medium.location)

/* The home slot's address; empty for none. */
static int medium_home(const union object_info *o, const struct node *n, FILE *f)
{
	(void)n;
	if (o->medium.home >= 0)
		fprintf(f, "%d\n", o->medium.home);
	return 0;
}

/* The side a node of sides/<n>/ names (load_side checked that it exists). */
static const struct rsm_side_info *side_of(const union object_info *o, const struct node *n)
{
	return &o->medium.sides[atoi(n->sub)];
}

static int side_id(const union object_info *o, const struct node *n, FILE *f)
{
	return render_value(f, side_of(o, n)->guid);
}

static int side_state(const union object_info *o, const struct node *n, FILE *f)
{
	return render_value(f, side_of(o, n)->state);
}

static int side_owner(const union object_info *o, const struct node *n, FILE *f)
{
	return render_value(f, side_of(o, n)->owner);
}

/* ---- media/<m>/ctl ---- */

/* pool <pool>: the medium moves to another pool. */
static int media_pool(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (n != 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "pool: give exactly one pool%s",
				    NULL);
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA_POOL, "no such pool %s", tok[1]);
	rsm_err e = rsm_media_move_pool(fs_global.eng, &b->cred, b->fh->node.obj, tok[1]);
	return finish(b, e, 0, o, e == ERROR_INVALID_MEDIA_POOL ? tok[1] : "");
}

/* enable | disable */
static int media_enable(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e =
	    rsm_media_enable(fs_global.eng, &b->cred, b->fh->node.obj, tok[0][0] == 'e', &request);
	return finish(b, e, request, o, "");
}

/* decommission | complete */
static int media_lifecycle(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = tok[0][0] == 'd'
			? rsm_media_decommission(fs_global.eng, &b->cred, b->fh->node.obj)
			: rsm_media_complete(fs_global.eng, &b->cred, b->fh->node.obj);
	return finish(b, e, 0, o, "");
}

/* eject [port=<n>] */
static int media_eject(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;
	int port;

	if (port_option(tok, n, 1, &port, o))
		return o->rc;
	rsm_err e = rsm_eject(fs_global.eng, 0, &b->cred, b->fh->node.obj, port, &request);
	return finish(b, e, request, o, "");
}

static const struct command media_commands[] = {
    {"pool", media_pool},
    {"enable", media_enable},
    {"disable", media_enable},
    {"decommission", media_lifecycle},
    {"complete", media_lifecycle},
    {"eject", media_eject},
    {NULL, NULL},
};

/* ---- the tree ---- */

static const struct file_kind medium_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = medium_id, .fixed = true},
    {"name", N_FILE, 0444, OWN_DAEMON, .render = medium_name, .fixed = true},
    {"barcode", N_FILE, 0444, OWN_DAEMON, .render = medium_barcode, .fixed = true},
    {"type", N_FILE, 0444, OWN_DAEMON, .render = medium_type, .fixed = true},
    {"state", N_FILE, 0444, OWN_DAEMON, .render = medium_state},
    {"location", N_FILE, 0444, OWN_DAEMON, .render = medium_location},
    {"home", N_FILE, 0444, OWN_DAEMON, .render = medium_home},
    ENTRY("library", N_LINK, 0777, OWN_DAEMON),
    ENTRY("pool", N_LINK, 0777, OWN_DAEMON),
    ENTRY("sides", N_DIR, 0755, OWN_DAEMON),
    {"ctl", N_CTL, 0222, OWN_DAEMON, .write = ctl_write, .commands = media_commands},
    {0},
};

static const struct file_kind side_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = side_id, .fixed = true},
    {"state", N_FILE, 0444, OWN_DAEMON, .render = side_state},
    {"owner", N_FILE, 0444, OWN_DAEMON, .render = side_owner},
    {0},
};

/* The medium's record, for its files. */
static int load_medium(const struct node *n, union object_info *o)
{
	return rsm_medium_info(fs_global.eng, n->obj, &o->medium) ? -ENOENT : 0;
}

/* The medium, and -ENOENT when the side is not one of its sides (any more). */
static int load_side(const struct node *n, union object_info *o)
{
	int s = atoi(n->sub);

	if (load_medium(n, o))
		return -ENOENT;
	return s < 0 || s >= o->medium.nsides ? -ENOENT : 0;
}

/* media/<m>/sides/<n>[/<file>]: the side's node, in the side subtree. */
static int resolve_side(struct node *n, const struct rsm_medium_info *mi, char c[][COMPONENT_MAX],
			int k)
{
	char *end;
	long side = strtol(c[3], &end, 10);

	if (*end || end == c[3] || side < 0 || side >= mi->nsides)
		return -ENOENT;
	snprintf(n->sub, sizeof(n->sub), "%ld", side);
	n->area = &side_tree;
	if (k == 4) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	if (k == 5)
		return node_from_table(n, side_files, c[4], NULL);
	return -ENOENT;
}

/* media/<m>[/<file>], its links library and pool, and sides/. */
static int resolve_medium(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_medium_info mi;

	if (rsm_medium_info(fs_global.eng, c[1], &mi) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	if (k == 3 && strcmp(c[2], "library") == 0)
		return node_link(n, "../../libraries/%s", mi.library);
	if (k == 3 && strcmp(c[2], "pool") == 0)
		return node_link(n, "../../pools/%s", mi.pool);
	if (k == 3)
		return node_from_table(n, medium_files, c[2], NULL);
	if (strcmp(c[2], "sides") != 0)
		return -ENOENT;
	return resolve_side(n, &mi, c, k);
}

/* A medium's directory, and sides/. */
static int list_medium(const char *last, const struct node *dir, struct dirent_list *out)
{
	if (strcmp(last, "sides") == 0)
		return list_names(out, RSM_KIND_SIDE, dir->obj, S_IFDIR);
	return list_table(out, medium_files, NULL);
}

/* A side's directory. */
static int list_side(const char *last, const struct node *dir, struct dirent_list *out)
{
	(void)last, (void)dir;
	return list_table(out, side_files, NULL);
}

const struct subtree media_tree = {
    .name = "media",
    .objects = RSM_KIND_MEDIUM,
    .files = medium_files,
    .load = load_medium,
    .resolve = resolve_medium,
    .list = list_medium,
};

/* A side's directory and files: reached through media/<m>/sides/, never from the root. */
const struct subtree side_tree = {
    .name = "sides",
    .files = side_files,
    .load = load_side,
    .list = list_side,
};
