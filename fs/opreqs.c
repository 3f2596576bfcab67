/* opreqs.c - opreqs/<n>/ (rsmfs(5), opreqs/n/): an operator request's files, and satisfy and
 * cancel in its ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(opreq_id, opreq.guid)
RENDER_TEXT(opreq_type, opreq.type)
RENDER_TEXT(opreq_message, opreq.message)
RENDER_TEXT(opreq_state, opreq.state)

/* ---- opreqs/<n>/ctl ---- */

/* satisfy | cancel */
static int opreq_answer(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t number = strtoull(b->fh->node.obj, NULL, 10);

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = tok[0][0] == 's' ? rsm_opreq_satisfy(fs_global.eng, &b->cred, number)
				     : rsm_opreq_cancel(fs_global.eng, &b->cred, number);
	if (e == ERROR_OBJECT_NOT_FOUND)
		return outcome_fail(o, e, "operator request %s has already finished",
				    b->fh->node.obj);
	return finish(b, e, 0, o, "");
}

static const struct command opreq_commands[] = {
    {"satisfy", opreq_answer},
    {"cancel", opreq_answer},
    {NULL, NULL},
};

/* ---- the tree ---- */

static const struct file_kind opreq_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = opreq_id},
    {"type", N_FILE, 0444, OWN_DAEMON, .render = opreq_type},
    {"message", N_FILE, 0444, OWN_DAEMON, .render = opreq_message},
    {"state", N_FILE, 0444, OWN_DAEMON, .render = opreq_state},
    ENTRY("request", N_LINK, 0777, OWN_DAEMON),
    {"ctl", N_CTL, 0220, OWN_ADMIN_GROUP, .write = ctl_write, .commands = opreq_commands},
    {0},
};

/* The operator request's record, for its files. */
static int load_opreq(const struct node *n, union object_info *o)
{
	uint64_t number = strtoull(n->obj, NULL, 10);

	return rsm_opreq_info(fs_global.eng, number, &o->opreq) ? -ENOENT : 0;
}

/* The link request leads to the library request the operator request is for, if any. */
static int resolve_opreq(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_opreq_info oi;
	uint64_t num;

	if (!parse_number(c[1], &num) || rsm_opreq_info(fs_global.eng, num, &oi))
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	if (k == 3 && strcmp(c[2], "request") == 0) {
		char num_text[32];
		if (!oi.request)
			return -ENOENT;
		snprintf(num_text, sizeof(num_text), "%llu", (unsigned long long)oi.request);
		return node_link(n, "../../requests/%s", num_text);
	}
	if (k == 3)
		return node_from_table(n, opreq_files, c[2], NULL);
	return -ENOENT;
}

/* An operator request's directory, without request when it is for none. */
static int list_opreq(const char *last, const struct node *dir, struct dirent_list *out)
{
	struct rsm_opreq_info oi;

	(void)last;
	if (rsm_opreq_info(fs_global.eng, strtoull(dir->obj, NULL, 10), &oi))
		return -ENOENT;
	return list_table(out, opreq_files, oi.request ? NULL : "request");
}

const struct subtree opreq_tree = {
    .name = "opreqs",
    .objects = RSM_KIND_OPREQ,
    .files = opreq_files,
    .load = load_opreq,
    .resolve = resolve_opreq,
    .list = list_opreq,
};
