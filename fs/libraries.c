/* libraries.c - libraries/<lib>/ (rsmfs(5), libraries/lib/): its files, its ctl commands, the
 * door it opens and closes, and the sim's operator hands and fault injection in sim/ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(library_id, library.guid)
RENDER_TEXT(library_name, library.name)
RENDER_TEXT(library_type, library.type)
RENDER_TEXT(library_manager, library.manager)
RENDER_TEXT(library_state, library.state)
RENDER_TEXT(library_backend, library.backend)
RENDER_TEXT(library_changer, library.changer)
RENDER_TEXT(library_door, library.door)

/* Counters and mount times, one "name value" per line. */
static int library_stats(const union object_info *o, const struct node *n, FILE *f)
{
	const struct rsm_library_info *li = &o->library;

	(void)n;
	fprintf(f,
		"moves %llu\nmounts %llu\nfailures %llu\nmean_mount_seconds %.3f\n"
		"max_mount_seconds %.3f\n",
		(unsigned long long)li->moves, (unsigned long long)li->mounts,
		(unsigned long long)li->failures, li->mount_secs_mean, li->mount_secs_max);
	return 0;
}

/* The slot table, or the port table: one line per element. */
static int library_elements(const struct node *n, bool ports, FILE *f)
{
	char *t AUTO_FREE = rsm_library_slots_text(fs_global.eng, n->obj, ports);

	if (!t)
		return -ENOMEM;
	fputs(t, f);
	return 0;
}

/* slots: the storage slots. */
static int library_slots(const union object_info *o, const struct node *n, FILE *f)
{
	(void)o;
	return library_elements(n, false, f);
}

/* ports: the import/export ports. */
static int library_ports(const union object_info *o, const struct node *n, FILE *f)
{
	(void)o;
	return library_elements(n, true, f);
}

/* door: "open" opens it, "closed" or "close" closes it. */
static rsm_err set_door(const struct node *n, const struct rsm_cred *cred, const char *v)
{
	if (strcmp(v, "open") == 0)
		return rsm_library_door_open(fs_global.eng, cred, n->obj, NULL);
	if (strcmp(v, "closed") == 0 || strcmp(v, "close") == 0)
		return rsm_library_door_close(fs_global.eng, cred, n->obj);
	return ERROR_INVALID_PARAMETER;
}

/* dismount_delay: seconds, a whole number when it is one. */
static int library_dismount_delay(const union object_info *o, const struct node *n, FILE *f)
{
	(void)n;
	fprintf(f, "%.15g\n", o->library.dismount_delay);
	return 0;
}

/* dismount_delay: "<seconds>", decimals allowed, 0 to one year. */
static rsm_err set_dismount_delay(const struct node *n, const struct rsm_cred *cred, const char *v)
{
	char *end;
	double secs = strtod(v, &end);

	if (!*v || *end || !(secs >= 0))
		return ERROR_INVALID_PARAMETER;
	return rsm_library_set_dismount_delay(fs_global.eng, cred, n->obj, secs);
}

/* ---- libraries/<l>/ctl ---- */

/* inventory [full|fast] */
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

/* enable | disable */
static int lib_enable(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;

	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_library_enable(fs_global.eng, &b->cred, b->fh->node.obj, tok[0][0] == 'e',
				       &request);
	return finish(b, e, request, o, "");
}

/* inject [port=<n>]: the cartridge in a port goes to a slot. */
static int lib_inject(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;
	int port;

	if (port_option(tok, n, 1, &port, o))
		return o->rc;
	rsm_err e = rsm_inject(fs_global.eng, 0, &b->cred, b->fh->node.obj, port, &request);
	return finish(b, e, request, o, "");
}

/* eject <medium> [port=<n>]: the medium goes to a port. */
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

/* move <medium> <slot>: a cartridge at rest in a slot to another, empty one (its new home). */
static int lib_move(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t request = 0;
	char *end;
	long slot;

	if (n != 3)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "move: give a medium and a slot address%s", NULL);
	slot = strtol(tok[2], &end, 10);
	if (!*tok[2] || *end || slot < 0 || slot > 100000)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "move: bad slot '%s'", tok[2]);
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	rsm_err e = rsm_move_medium(fs_global.eng, &b->cred, tok[1], (int)slot, &request);
	return finish(b, e, request, o,
		      e == ERROR_INVALID_MEDIA	 ? tok[1]
		      : e == ERROR_INVALID_STATE ? "it is not at rest in a slot, or the slot is full"
						 : "");
}

/* add <barcode>: a cartridge that is not in the library yet (a standalone drive's shelf). */
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
    {"inventory", lib_inventory},
    {"enable", lib_enable},
    {"disable", lib_enable},
    {"inject", lib_inject},
    {"eject", lib_eject},
    {"add", lib_add},
    {"move", lib_move},
    {NULL, NULL},
};

/* Takes a trailing "drive" word: a standalone library's drive instead of a port. */
static bool drive_word(char **tok, int *n, int first)
{
	if (*n > first && strcmp(tok[*n - 1], "drive") == 0) {
		(*n)--;
		return true;
	}
	return false;
}

/* ---- libraries/<l>/sim/ctl: the operator's hands and fault injection ---- */

/* insert [<barcode>|-] [port=<n>|drive]: the operator puts a cartridge in a port, or in a
 * standalone library's drive. */
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

/* remove [port=<n>|drive]: the operator takes a cartridge from a port, or from a standalone
 * library's drive. */
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

/* fail <drive> | repair <drive> */
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

/* jam | unjam */
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

/* close-door: the operator closes the door. */
static int sim_close_door(struct batch *b, char **tok, int n, struct outcome *o)
{
	if (no_arguments(tok, n, o))
		return o->rc;
	rsm_err e = rsm_library_door_close(fs_global.eng, &b->cred, b->fh->node.obj);
	return finish(b, e, 0, o, e == ERROR_INVALID_STATE ? "the door is not open" : "");
}

static const struct command sim_commands[] = {
    {"insert", sim_insert},
    {"remove", sim_remove},
    {"fail", sim_fault},
    {"repair", sim_fault},
    {"jam", sim_jam},
    {"unjam", sim_jam},
    {"timing", sim_timing},
    {"close-door", sim_close_door},
    {"lose", sim_medium_fault},
    {"unreadable", sim_medium_fault},
    {"readable", sim_medium_fault},
    {NULL, NULL},
};

/* ---- the tree ---- */

static const struct file_kind library_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = library_id, .fixed = true},
    {"name", N_FILE, 0444, OWN_DAEMON, .render = library_name, .fixed = true},
    {"type", N_FILE, 0444, OWN_DAEMON, .render = library_type},
    {"state", N_FILE, 0444, OWN_DAEMON, .render = library_state},
    {"backend", N_FILE, 0444, OWN_DAEMON, .render = library_backend},
    {"changer", N_FILE, 0444, OWN_DAEMON, .render = library_changer},
    {"manager", N_FILE, 0444, OWN_DAEMON, .render = library_manager},
    ENTRY("drives", N_DIR, 0755, OWN_DAEMON),
    {"slots", N_FILE, 0444, OWN_DAEMON, .render = library_slots},
    {"ports", N_FILE, 0444, OWN_DAEMON, .render = library_ports},
    {"door", N_FILE, 0664, OWN_ADMIN_GROUP, .render = library_door, .write = attr_write,
     .set = set_door},
    {"dismount_delay", N_FILE, 0664, OWN_ADMIN_GROUP, .render = library_dismount_delay,
     .write = attr_write, .set = set_dismount_delay},
    {"stats", N_FILE, 0444, OWN_DAEMON, .render = library_stats},
    {"map", N_FILE, 0444, OWN_DAEMON, .render = render_map_text},
    {"map.svg", N_FILE, 0444, OWN_DAEMON, .render = render_map_svg},
    {"ctl", N_CTL, 0220, OWN_ADMIN_GROUP, .write = ctl_write, .commands = library_commands},
    ENTRY("sim", N_DIR, 0755, OWN_DAEMON),
    {0},
};

/* libraries/<l>/sim/ctl, there only for a library of the sim backend. */
static const struct file_kind sim_ctl_kind = {
    "ctl", N_CTL, 0220, OWN_ADMIN_GROUP, .write = ctl_write, .commands = sim_commands};

/* The library's record, for its files. */
static int load_library(const struct node *n, union object_info *o)
{
	return rsm_library_info(fs_global.eng, n->obj, &o->library) ? -ENOENT : 0;
}

/* libraries/<l>[/<file>], libraries/<l>/drives/<d> (links) and sim/ctl of a sim library. */
static int resolve_library(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_library_info li;

	if (rsm_library_info(fs_global.eng, c[1], &li) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	bool sim = strcmp(li.backend, "sim") == 0;
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	if (k == 3 && strcmp(c[2], "sim") == 0 && !sim)
		return -ENOENT;
	if (k == 3)
		return node_from_table(n, library_files, c[2], NULL);
	if (k == 4 && strcmp(c[2], "sim") == 0 && strcmp(c[3], "ctl") == 0 && sim) {
		node_set_kind(n, &sim_ctl_kind, NULL);
		return 0;
	}
	if (k == 4 && strcmp(c[2], "drives") == 0) {
		struct rsm_drive_info di;
		if (rsm_drive_info(fs_global.eng, c[3], &di) != ERROR_SUCCESS ||
		    strcmp(di.library, c[1]) != 0)
			return -ENOENT;
		return node_link(n, "../../../drives/%s", c[3]);
	}
	return -ENOENT;
}

/* A library's directory (sim/ only for the sim backend), drives/ and sim/. */
static int list_library(const char *last, const struct node *dir, struct dirent_list *out)
{
	struct rsm_library_info li;

	if (strcmp(last, "drives") == 0)
		return list_names(out, RSM_KIND_DRIVE, dir->obj, S_IFLNK);
	if (strcmp(last, "sim") == 0)
		return list_add(out, "ctl", S_IFREG);
	if (rsm_library_info(fs_global.eng, dir->obj, &li))
		return -ENOENT;
	return list_table(out, library_files, strcmp(li.backend, "sim") ? "sim" : NULL);
}

const struct subtree library_tree = {
    .name = "libraries",
    .objects = RSM_KIND_LIBRARY,
    .files = library_files,
    .load = load_library,
    .resolve = resolve_library,
    .list = list_library,
};
