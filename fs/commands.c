/* commands.c - the command tables of the object control files (libraries/<l>/ctl,
 * libraries/<l>/sim/ctl, drives/<d>/ctl, media/<m>/ctl, opreqs/<n>/ctl), and the writable
 * attribute files (libraries/<l>/door, pools/<p>/draw and return).
 *
 * Each command is parsed here and handed to one engine call; what the engine refuses comes
 * back as its RSM error, which the batch runner (ctl.c) turns into the errno, the reply line
 * and the error_log entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Fails a command that takes no arguments but was given some. */
static int no_arguments(char **tok, int n, struct outcome *o)
{
	if (n > 1)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "unexpected argument '%s'", tok[1]);
	return 0;
}

/* Reads the optional "port=<n>" argument from tok[first..n); -1 when none was given. */
static int port_option(char **tok, int n, int first, int *port, struct outcome *o)
{
	struct option_value v[PORT_NOPTIONS];

	*port = -1;
	if (outcome_options(o, tok[0], port_options, PORT_NOPTIONS, tok, first, n, v))
		return o->rc;
	if (v[PORT_PORT].given)
		*port = (int)v[PORT_PORT].number;
	return 0;
}

/* The tail shared by every command: an engine error, or "ok [request <n>]". */
static int finish(struct batch *b, rsm_err e, uint64_t request, struct outcome *o, const char *what)
{
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", what);
	return reply_ok(b, request);
}

/* ---- libraries/<l>/ctl ---- */

static int lib_inventory(struct batch *b, char **tok, int n, struct outcome *o)
{
	bool full = false;
	uint64_t request = 0;

	if (n > 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "unexpected argument '%s'", tok[2]);
	if (n == 2 && strcmp(tok[1], "full") != 0 && strcmp(tok[1], "fast") != 0)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "inventory: '%s' is neither full nor fast", tok[1]);
	full = n == 2 && strcmp(tok[1], "full") == 0;
	rsm_err e = rsm_library_inventory(fs_global.eng, &b->cred, b->fh->node.obj, full, &request);
	return finish(b, e, request, o, "");
}

static int lib_enable(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_library_enable(fs_global.eng, &b->cred, b->fh->node.obj, tok[0][0] == 'e',
				       &request);
	return finish(b, e, request, o, "");
}

static int lib_inject(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;
	int port;

	if (port_option(tok, n, 1, &port, o))
		return o->rc;
	rsm_err e = rsm_inject(fs_global.eng, 0, &b->cred, b->fh->node.obj, port, &request);
	return finish(b, e, request, o, "");
}

static int lib_eject(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct rsm_medium_info mi;
	uint64_t request = 0;
	int port;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "eject: missing medium%s", NULL);
	if (port_option(tok, n, 2, &port, o))
		return o->rc;
	if (strlen(tok[1]) > RSM_NAME_MAX ||
	    rsm_medium_info(fs_global.eng, tok[1], &mi) != ERROR_SUCCESS)
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	if (strcmp(mi.library, b->fh->node.obj) != 0)
		return outcome_fail(o, ERROR_INVALID_MEDIA, "%s is not in this library", tok[1]);
	rsm_err e = rsm_eject(fs_global.eng, 0, &b->cred, tok[1], port, &request);
	return finish(b, e, request, o, "");
}

/* "add <barcode>": a cartridge that is not in the library yet (a standalone drive's shelf) */
static int lib_add(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "add: missing barcode%s", NULL);
	if (n > 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "unexpected argument '%s'", tok[2]);
	rsm_err e = rsm_library_add_medium(fs_global.eng, &b->cred, b->fh->node.obj, tok[1]);
	if (e == ERROR_INVALID_PARAMETER)
		return outcome_fail(o, e, "add: '%s' is not a usable barcode", tok[1]);
	return finish(b, e, 0, o, e == ERROR_ALREADY_EXISTS ? "that medium exists already" : "");
}

static const struct command library_commands[] = {
    {"inventory", lib_inventory}, {"enable", lib_enable}, {"disable", lib_enable},
    {"inject", lib_inject},	  {"eject", lib_eject},	  {"add", lib_add},
    {NULL, NULL},
};

/* Takes a trailing "drive" word (a standalone library's drive instead of a port). */
static bool drive_word(char **tok, int *n, int first)
{
	if (*n > first && strcmp(tok[*n - 1], "drive") == 0) {
		(*n)--;
		return true;
	}
	return false;
}

/* ---- libraries/<l>/sim/ctl: the operator's hands and fault injection ---- */

static int sim_insert(struct batch *b, char **tok, int n, struct outcome *o)
{
	const char *barcode = "";
	int first = 1, port;

	/* "insert" alone, or "insert -": a cartridge without a barcode label */
	if (n > 1 && strncmp(tok[1], "port=", 5) != 0) {
		barcode = strcmp(tok[1], "-") == 0 ? "" : tok[1];
		first = 2;
	}
	bool drive = first == 2 && drive_word(tok, &n, first);
	if (port_option(tok, n, first, &port, o))
		return o->rc;
	if (drive)
		port = RSM_SIM_DRIVE;
	if (strlen(barcode) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "insert: barcode too long%s", NULL);
	rsm_err e = rsm_sim_insert(fs_global.eng, &b->cred, b->fh->node.obj, barcode, port);
	if (e == ERROR_INVALID_PARAMETER)
		return outcome_fail(o, e, "insert: '%s' is not a usable barcode", barcode);
	return finish(b, e, 0, o, "");
}

static int sim_remove(struct batch *b, char **tok, int n, struct outcome *o)
{
	int port;
	bool drive = drive_word(tok, &n, 1);

	if (port_option(tok, n, 1, &port, o))
		return o->rc;
	if (drive)
		port = RSM_SIM_DRIVE;
	rsm_err e = rsm_sim_remove(fs_global.eng, &b->cred, b->fh->node.obj, port);
	return finish(b, e, 0, o,
		      e != ERROR_EMPTY ? ""
		      : drive	       ? "no cartridge in the drive"
				       : "no cartridge in the port");
}

static int sim_fault(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (n != 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "%s: give exactly one drive",
				    tok[0]);
	rsm_err e = rsm_sim_drive_fault(fs_global.eng, &b->cred, b->fh->node.obj, tok[1],
					strcmp(tok[0], "fail") == 0);
	return finish(b, e, 0, o, e == ERROR_INVALID_DRIVE ? tok[1] : "");
}

/* lose <medium> | unreadable <medium> | readable <medium> */
static int sim_medium_fault(struct batch *b, char **tok, int n, struct outcome *o)
{
	static const struct {
		const char *verb;
		enum rsm_sim_medium_fault fault;
	} faults[] = {{"lose", RSM_SIM_LOSE},
		      {"unreadable", RSM_SIM_UNREADABLE},
		      {"readable", RSM_SIM_READABLE}};
	enum rsm_sim_medium_fault fault = RSM_SIM_LOSE;

	if (n != 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "%s: give exactly one medium",
				    tok[0]);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (strcmp(tok[0], faults[i].verb) == 0)
			fault = faults[i].fault;
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	rsm_err e = rsm_sim_medium_fault(fs_global.eng, &b->cred, b->fh->node.obj, tok[1], fault);
	return finish(b, e, 0, o, e == ERROR_INVALID_MEDIA ? tok[1] : "");
}

static int sim_jam(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_sim_jam(fs_global.eng, &b->cred, b->fh->node.obj, tok[0][0] == 'j');
	return finish(b, e, 0, o, "");
}

/* timing move=<s> load=<s> unload=<s>: any of them; the others stay as they are. */
static int sim_timing(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct option_value v[TIMING_NOPTIONS];
	double s[TIMING_NOPTIONS];

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "timing: give move=<s> load=<s> unload=<s>%s", NULL);
	if (outcome_options(o, "timing", timing_options, TIMING_NOPTIONS, tok, 1, n, v))
		return o->rc;
	for (int k = 0; k < TIMING_NOPTIONS; k++)
		s[k] = v[k].given ? (double)v[k].number / 1000.0 : -1;
	rsm_err e = rsm_sim_timing(fs_global.eng, &b->cred, b->fh->node.obj, s[TIMING_MOVE],
				   s[TIMING_LOAD], s[TIMING_UNLOAD]);
	return finish(b, e, 0, o, "");
}

static int sim_close_door(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_library_door_close(fs_global.eng, &b->cred, b->fh->node.obj);
	return finish(b, e, 0, o, e == ERROR_INVALID_STATE ? "the door is not open" : "");
}

static const struct command sim_commands[] = {
    {"insert", sim_insert}, {"remove", sim_remove},
    {"fail", sim_fault},    {"repair", sim_fault},
    {"jam", sim_jam},	    {"unjam", sim_jam},
    {"timing", sim_timing}, {"close-door", sim_close_door},
    {"lose", sim_medium_fault}, {"unreadable", sim_medium_fault},
    {"readable", sim_medium_fault},
    {NULL, NULL},
};

/* ---- drives/<d>/ctl ---- */

static int drive_clean(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_drive_clean(fs_global.eng, &b->cred, b->fh->node.obj, &request);
	return finish(b, e, request, o, "");
}

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

/* ---- media/<m>/ctl ---- */

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

static int media_enable(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e =
	    rsm_media_enable(fs_global.eng, &b->cred, b->fh->node.obj, tok[0][0] == 'e', &request);
	return finish(b, e, request, o, "");
}

static int media_lifecycle(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = tok[0][0] == 'd'
			? rsm_media_decommission(fs_global.eng, &b->cred, b->fh->node.obj)
			: rsm_media_complete(fs_global.eng, &b->cred, b->fh->node.obj);
	return finish(b, e, 0, o, "");
}

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

/* ---- opreqs/<n>/ctl ---- */

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

const struct command *object_commands(const struct node *n)
{
	switch (n->area) {
	case AREA_LIBRARIES:
		return strcmp(n->sub, "sim") == 0 ? sim_commands : library_commands;
	case AREA_DRIVES:
		return drive_commands;
	case AREA_MEDIA:
		return media_commands;
	case AREA_OPREQS:
		return opreq_commands;
	}
	return NULL;
}

/* ---- writable attribute files ---- */

static rsm_err write_door(const struct node *n, const char *name, const struct rsm_cred *cred,
			  const char *v)
{
	(void)name;
	if (strcmp(v, "open") == 0)
		return rsm_library_door_open(fs_global.eng, cred, n->obj, NULL);
	if (strcmp(v, "closed") == 0 || strcmp(v, "close") == 0)
		return rsm_library_door_close(fs_global.eng, cred, n->obj);
	return ERROR_INVALID_PARAMETER;
}

static rsm_err write_policy(const struct node *n, const char *name, const struct rsm_cred *cred,
			    const char *v)
{
	bool draw = strcmp(name, "draw") == 0;
	int value = strcmp(v, "1") == 0 ? 1 : strcmp(v, "0") == 0 ? 0 : -1;

	if (value < 0)
		return ERROR_INVALID_PARAMETER;
	return rsm_pool_set_policy(fs_global.eng, cred, n->obj, draw ? value : -1,
				   draw ? -1 : value);
}

static const struct attr_writer {
	int area;
	const char *name;
	rsm_err (*write)(const struct node *n, const char *name, const struct rsm_cred *cred,
			 const char *value);
} attr_writers[] = {
    {AREA_LIBRARIES, "door", write_door},
    {AREA_POOLS, "draw", write_policy},
    {AREA_POOLS, "return", write_policy},
};

static const struct attr_writer *attr_writer_of(const struct node *n)
{
	const char *name = node_file_name(n);

	for (size_t i = 0; name && i < sizeof(attr_writers) / sizeof(attr_writers[0]); i++)
		if (attr_writers[i].area == n->area && strcmp(attr_writers[i].name, name) == 0)
			return &attr_writers[i];
	return NULL;
}

bool attr_writable(const struct node *n)
{
	return attr_writer_of(n) != NULL;
}

void attr_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	const struct attr_writer *w = attr_writer_of(&fh->node);
	struct rsm_cred cred = cred_of(req);
	char value[64], text[320];
	size_t len = size;
	rsm_err e = ERROR_INVALID_PARAMETER;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
		len--;
	if (w && len < sizeof(value) && !memchr(buf, '\0', len)) {
		memcpy(value, buf, len);
		value[len] = '\0';
		e = w->write(&fh->node, w->name, &cred, value);
	}
	if (e == ERROR_SUCCESS) {
		fuse_reply_write(req, size);
		return;
	}
	snprintf(value, sizeof(value), "%.*s", (int)(len < 60 ? len : 60), buf);
	value[strcspn(value, "\n")] = '\0';
	error_text(e, NULL, text, sizeof(text));
	error_log_add(fuse_req_ctx(req), fh->path, value, text);
	fuse_reply_err(req, rsm_error_errno(e));
}
