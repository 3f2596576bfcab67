/* requests.c - requests/<n>/ (rsmfs(5), requests/n/): a library request's files, and cancel in
 * its ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(request_id, request.guid)
RENDER_TEXT(request_operation, request.operation)
RENDER_TEXT(request_state, request.state)
RENDER_TEXT(request_session, request.session)
RENDER_TEXT(request_medium, request.medium)
RENDER_TEXT(request_drive, request.drive)
RENDER_TEXT(request_library, request.library)
RENDER_TEXT(request_submitted, request.submitted)
RENDER_TEXT(request_started, request.started)
RENDER_TEXT(request_finished, request.finished)

static int request_priority(const union object_info *o, const struct node *n, FILE *f)
{
	(void)n;
	fprintf(f, "%d\n", o->request.priority);
	return 0;
}

/* "NAME number text[: detail]" of the error it failed with; empty while it has none. */
static int request_error(const union object_info *o, const struct node *n, FILE *f)
{
	const struct rsm_request_info *ri = &o->request;

	(void)n;
	if (ri->error == ERROR_SUCCESS)
		return 0;
	fprintf(f, "%s %u %s", rsm_error_name(ri->error), rsm_error_number(ri->error),
		rsm_error_text(ri->error));
	if (ri->error_detail[0])
		fprintf(f, ": %s", ri->error_detail);
	fputc('\n', f);
	return 0;
}

/* ---- requests/<n>/ctl ---- */

/* cancel: the request, unless it can no longer be stopped. */
static int request_cancel(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t number = strtoull(b->fh->node.obj, NULL, 10);
	rsm_err e;

	if (n != 1)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "cancel: unexpected argument '%s'",
				    tok[1]);
	e = rsm_request_cancel(fs_global.eng, &b->cred, number);
	if (e == ERROR_ACCESS_DENIED && b->cred.admin) {
		/* an administrator was refused because the request can no longer be stopped */
		outcome_fail(o, e, "the request is being handled and can no longer be stopped%s",
			     NULL);
		o->rc = -EBUSY;
		return o->rc;
	}
	if (e == ERROR_OBJECT_NOT_FOUND)
		return outcome_fail(o, e, "request %s has already finished", b->fh->node.obj);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", "");
	char line[96];
	snprintf(line, sizeof(line), "ok request %s", b->fh->node.obj);
	reply_queue_add(b->fh, line);
	return 0;
}

static const struct command request_commands[] = {
    {"cancel", request_cancel},
    {NULL, NULL},
};

/* ---- the tree ---- */

static const struct file_kind request_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = request_id, .fixed = true},
    {"operation", N_FILE, 0444, OWN_DAEMON, .render = request_operation, .fixed = true},
    {"state", N_FILE, 0444, OWN_DAEMON, .render = request_state},
    {"session", N_FILE, 0444, OWN_DAEMON, .render = request_session},
    {"medium", N_FILE, 0444, OWN_DAEMON, .render = request_medium},
    {"drive", N_FILE, 0444, OWN_DAEMON, .render = request_drive},
    {"library", N_FILE, 0444, OWN_DAEMON, .render = request_library},
    {"priority", N_FILE, 0444, OWN_DAEMON, .render = request_priority},
    {"submitted", N_FILE, 0444, OWN_DAEMON, .render = request_submitted, .fixed = true},
    {"started", N_FILE, 0444, OWN_DAEMON, .render = request_started},
    {"finished", N_FILE, 0444, OWN_DAEMON, .render = request_finished},
    {"error", N_FILE, 0444, OWN_DAEMON, .render = request_error},
    {"ctl", N_CTL, 0220, OWN_ADMIN_GROUP, .write = ctl_write, .commands = request_commands},
    {0},
};

/* The request's record, for its files. */
static int load_request(const struct node *n, union object_info *o)
{
	uint64_t number = strtoull(n->obj, NULL, 10);

	return rsm_request_info(fs_global.eng, number, &o->request) ? -ENOENT : 0;
}

/* requests/<n>[/<file>]. */
static int resolve_request(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_request_info ri;
	uint64_t num;

	if (!parse_number(c[1], &num) || rsm_request_info(fs_global.eng, num, &ri))
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	if (k == 3)
		return node_from_table(n, request_files, c[2], NULL);
	return -ENOENT;
}

/* A request's directory. */
static int list_request(const char *last, const struct node *dir, struct dirent_list *out)
{
	(void)last, (void)dir;
	return list_table(out, request_files, NULL);
}

const struct subtree request_tree = {
    .name = "requests",
    .objects = RSM_KIND_REQUEST,
    .files = request_files,
    .load = load_request,
    .resolve = resolve_request,
    .list = list_request,
};
