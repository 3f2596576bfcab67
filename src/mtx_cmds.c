/* mtx_cmds.c - mtx's commands, done through the session's ctl and the library's files.
 *
 * Each command reads the changer afresh (rsmfs's state changes under other sessions), checks
 * its arguments in mtx's order with mtx's messages, then acts: a load is a blocking
 * "mount <medium> vdrive=<i>", an unload a "dismount <medium>" waited for until the cartridge
 * is back in its slot.  Element addresses in messages: storage element n has address n, data
 * transfer element i address M + 1 + i (M storage elements).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtx.h"

/* The changer as the session sees it now; fatal when the tree cannot be read. */
static void changer(struct mtx_run *run, struct mtx_changer *c)
{
	char why[256];

	if (mtx_changer_read(&run->place, c, why, sizeof(why)) < 0)
		mtx_fatal(run, "READ ELEMENT STATUS Command Failed (%s)\n", why);
}

/* The element address of data transfer element i. */
static int drive_address(const struct mtx_changer *c, int i)
{
	return c->nslots + c->nports + 1 + i;
}

/* What rsmfs said about a failed command: its reply line (minus "error "), or the errno. */
static void report(const struct mtx_run *run, const char *what, const struct mtx_reply *r)
{
	const char *text = strncmp(r->line, "error ", 6) == 0 ? r->line + 6 : r->line;

	fflush(stdout);
	fprintf(stderr, "%s: %s: %s", run->argv0, what, text[0] ? text : strerror(r->err));
	if (r->err == ETIMEDOUT)
		fprintf(stderr, " (RSMFS_TIMEOUT=%g s)", run->place.timeout);
	fputc('\n', stderr);
}

/* status */
void cmd_status(struct mtx_run *run)
{
	struct mtx_changer c;

	changer(run, &c);
	mtx_print_status(run, &c);
	mtx_changer_free(&c);
}

/* inquiry */
void cmd_inquiry(struct mtx_run *run)
{
	(void)run;
	mtx_print_inquiry();
}

/* Loads storage element slot (1-based) into virtual drive drive: mtx's Load. */
static void load(struct mtx_run *run, int slot, int drive)
{
	struct mtx_changer c;
	struct mtx_reply r;
	char what[128];

	if (slot < 1)
		mtx_fatal(run, "No source specified\n");
	if (drive < 0)
		drive = 0;
	changer(run, &c);
	if (slot > c.nslots + c.nports)
		mtx_fatal(run, "Invalid <storage-element-number> argument '%d' to 'load' command\n",
			  slot);
	if (drive >= c.ndrives)
		mtx_fatal(run, "illegal <drive-number> argument '%d' to 'load' command\n", drive);
	if (c.drive[drive].full)
		mtx_fatal(run, "Drive %d Full (Storage Element %d loaded)\n", drive,
			  c.drive[drive].source + 1);
	const struct mtx_element *e = &c.element[slot - 1];
	printf("Loading media from Storage Element %d into drive %d...", slot, drive);
	fflush(stdout);
	if (e->port && e->full)
		mtx_fatal(
		    run,
		    "Storage Element %d is an import/export port: rsmfs loads a cartridge "
		    "from its slot (an administrator injects it: inject in libraries/%s/ctl)\n",
		    slot, run->place.library);
	if (!e->full && !e->waitable)
		mtx_fatal(run, "Source Element Address %d is Empty\n", slot);
	if (mtx_ctl(&run->place, &r, "mount %s vdrive=%d timeout=%.3f offline-error", e->medium,
		    drive, run->place.timeout) < 0) {
		snprintf(what, sizeof(what), "mount %s", e->medium);
		report(run, what, &r);
		mtx_fatal(run, "MOVE MEDIUM from Element Address %d to %d Failed\n", slot,
			  drive_address(&c, drive));
	}
	printf("done\n");
	fflush(stdout);
	mtx_changer_free(&c);
}

/*
 * Waits up to RSMFS_TIMEOUT for request n to pass.  When it does not, why says what became of
 * it: its error, or its state at the time-out.
 */
static bool finished(const struct mtx_run *run, unsigned long n, char *why, int why_len)
{
	char state[32] = "", rel[64];

	if (mtx_request_wait(&run->place, n, run->place.timeout, state, sizeof(state)) < 0) {
		snprintf(why, (size_t)why_len, "request %lu is %s after %g s", n,
			 state[0] ? state : "unknown", run->place.timeout);
		return false;
	}
	if (strcmp(state, "passed") == 0)
		return true;
	snprintf(rel, sizeof(rel), "requests/%lu/error", n);
	if (mtx_read_attr(&run->place, rel, why, why_len) < 0 || !why[0])
		snprintf(why, (size_t)why_len, "request %lu %s", n, state);
	return false;
}

/*
 * Unloads virtual drive drive into storage element slot (1-based; -1: the slot it came from):
 * mtx's Unload.  rsmfs puts every cartridge back in its home slot, so another slot is refused.
 */
static void unload(struct mtx_run *run, int slot, int drive)
{
	struct mtx_changer c;
	struct mtx_reply r;
	char what[128], state[512];

	if (drive < 0)
		drive = 0;
	changer(run, &c);
	bool known = drive < c.ndrives;
	const struct mtx_drive *d = known ? &c.drive[drive] : NULL;
	int to = slot - 1;
	if (slot < 0 && known) {
		if (!d->full)
			mtx_fatal(run, "Data Transfer Element %d is Empty\n", drive);
		if (d->source < 0)
			mtx_fatal(run, "No Source for tape in drive %d!\n", drive);
		to = d->source;
	}
	if (to >= c.nslots + c.nports)
		mtx_fatal(run,
			  "illegal <storage-element-number> argument '%d' to 'unload' command\n",
			  to + 1);
	if (!known)
		mtx_fatal(run, "illegal <drive-number> argument '%d' to 'unload' command\n", drive);
	if (!d->full)
		mtx_fatal(run, "Data Transfer Element %d is Empty\n", drive);
	if (to >= 0 && c.element[to].full)
		mtx_fatal(run, "Storage Element %d is Already Full\n", to + 1);
	if (to < 0 || (d->source >= 0 && to != d->source))
		mtx_fatal(run,
			  "Storage Element %d is not the home slot of %s: rsmfs puts every "
			  "cartridge back in its home slot (Storage Element %d)\n",
			  to + 1, d->medium, d->source + 1);
	printf("Unloading drive %d into Storage Element %d...", drive, to + 1);
	fflush(stdout);
	snprintf(what, sizeof(what), "dismount %s", d->medium);
	if (mtx_ctl(&run->place, &r, "dismount %s", d->medium) < 0) {
		report(run, what, &r);
		mtx_fatal(run, "MOVE MEDIUM from Element Address %d to %d Failed\n",
			  drive_address(&c, drive), to + 1);
	}
	if (!finished(run, r.request, state, sizeof(state))) {
		fflush(stdout);
		fprintf(stderr, "%s: dismount %s: %s\n", run->argv0, d->medium, state);
		mtx_fatal(run, "MOVE MEDIUM from Element Address %d to %d Failed\n",
			  drive_address(&c, drive), to + 1);
	}
	printf("done\n");
	fflush(stdout);
	mtx_changer_free(&c);
}

/* load <slot> [<drive>] */
void cmd_load(struct mtx_run *run)
{
	load(run, run->arg[0], run->arg[1]);
}

/* unload [<slot>] [<drive>] */
void cmd_unload(struct mtx_run *run)
{
	unload(run, run->arg[0], run->arg[1]);
}

/* Checks a slot-to-slot command's two element numbers as mtx does. */
static void check_pair(struct mtx_run *run, struct mtx_changer *c)
{
	if (run->arg[0] < 1)
		mtx_fatal(run, "No source specified\n");
	if (run->arg[1] < 1)
		mtx_fatal(run, "No destination specified\n");
	changer(run, c);
	if (run->arg[0] > c->nslots + c->nports)
		mtx_fatal(run, "Invalid source\n");
	if (run->arg[1] > c->nslots + c->nports)
		mtx_fatal(run, "Invalid destination\n");
}

/* transfer <slot> <slot>: a cartridge at rest in a slot to another, empty one, which becomes
 * its home ("move" on the library's ctl: administrators).  Ports are the administrators'
 * eject and inject. */
void cmd_transfer(struct mtx_run *run)
{
	struct mtx_changer c;
	struct mtx_reply r;
	char rel[256], what[128];
	int src = run->arg[0] - 1, dst = run->arg[1] - 1;

	check_pair(run, &c);
	const struct mtx_element *from = &c.element[src], *to = &c.element[dst];
	if (from->port || to->port)
		mtx_fatal(run,
			  "transfer: to or from an import/export element is an administrator's "
			  "eject or inject (libraries/%s/ctl)\n",
			  run->place.library);
	if (!from->full || !from->medium[0] || from->waitable)
		mtx_fatal(run, "Source Element Address %d is Empty\n", src + 1);
	if (to->full)
		mtx_fatal(run, "Destination Element Address %d is Already Full\n", dst + 1);
	if (to->homed)
		mtx_fatal(run,
			  "Storage Element %d waits for its own cartridge, which is out of the "
			  "library or in a drive\n",
			  dst + 1);
	snprintf(rel, sizeof(rel), "libraries/%s/ctl", run->place.library);
	snprintf(what, sizeof(what), "move %s %d\n", from->medium, to->address);
	if (mtx_command(&run->place, rel, what, true, &r) < 0 || !r.request ||
	    !finished(run, r.request, r.line, sizeof(r.line))) {
		report(run, "transfer", &r);
		mtx_fatal(run, "MOVE MEDIUM from Element Address %d to %d Failed\n", src + 1,
			  dst + 1);
	}
	mtx_changer_free(&c);
}

/* exchange <slot> <slot> [<slot>]: no more possible than transfer. */
void cmd_exchange(struct mtx_run *run)
{
	struct mtx_changer c;

	check_pair(run, &c);
	if (run->arg[2] > c.nslots + c.nports)
		mtx_fatal(run, "Invalid destination\n");
	mtx_fatal(run, "exchange: rsmfs keeps every cartridge in its home slot and has no "
		       "slot-to-slot move\n");
}

/* The drive a first/last/next/previous is for: its argument when valid, else drive 0. */
static int drive_arg(struct mtx_run *run, const struct mtx_changer *c)
{
	return run->arg[0] >= 0 && run->arg[0] < c->ndrives ? run->arg[0] : 0;
}

/* first [<drive>]: the first slot's cartridge into the drive (unloading it first). */
void cmd_first(struct mtx_run *run)
{
	struct mtx_changer c;

	changer(run, &c);
	int drive = drive_arg(run, &c);
	const struct mtx_drive *d = &c.drive[drive];
	if (d->full) {
		if (d->source == 0) {
			printf("loading...done.\n");
			mtx_changer_free(&c);
			return;
		}
		unload(run, d->source >= 0 ? d->source + 1 : -1, drive);
	}
	mtx_changer_free(&c);
	load(run, 1, drive);
}

/* last [<drive>]: the last slot's cartridge into the drive (unloading it first). */
void cmd_last(struct mtx_run *run)
{
	struct mtx_changer c;

	changer(run, &c);
	int drive = drive_arg(run, &c), last = c.nslots;
	const struct mtx_drive *d = &c.drive[drive];
	if (d->full) {
		if (d->source + 1 >= last) {
			printf("loading...done.\n");
			mtx_changer_free(&c);
			return;
		}
		unload(run, d->source >= 0 ? d->source + 1 : -1, drive);
	}
	mtx_changer_free(&c);
	load(run, last, drive);
}

/*
 * next and previous: unload the drive, then load the nearest full slot after (before) the one
 * it came from; an empty drive starts before the first slot (after the last).
 */
static void step(struct mtx_run *run, int dir)
{
	struct mtx_changer c;

	changer(run, &c);
	int drive = drive_arg(run, &c);
	int current = dir > 0 ? -1 : c.nslots;
	const struct mtx_drive *d = &c.drive[drive];
	if (d->full) {
		current = d->source;
		if (dir < 0 && current == 0)
			mtx_fatal(run, "No More Media\n");
		unload(run, current >= 0 ? current + 1 : -1, drive);
	}
	mtx_changer_free(&c);
	changer(run, &c);
	for (current += dir; current >= 0 && current < c.nslots; current += dir) {
		if (c.element[current].full) {
			mtx_changer_free(&c);
			load(run, current + 1, drive);
			return;
		}
	}
	mtx_fatal(run, "No More Media\n");
}

/* next [<drive>] */
void cmd_next(struct mtx_run *run)
{
	step(run, 1);
}

/* previous [<drive>] */
void cmd_previous(struct mtx_run *run)
{
	step(run, -1);
}

/* The program's short name, for mtx's "mtx:inventory failed" style messages. */
static const char *short_name(const struct mtx_run *run)
{
	const char *slash = strrchr(run->argv0, '/');

	return slash ? slash + 1 : run->argv0;
}

/*
 * inventory: an administrator's is the library's (InventoryNtmsLibrary), waited for; anyone
 * else's succeeds at once, the catalog being always current.
 */
void cmd_inventory(struct mtx_run *run)
{
	char rel[256], state[32];
	struct mtx_place *p = &run->place;
	struct mtx_reply r;

	snprintf(rel, sizeof(rel), "libraries/%s/ctl", p->library);
	if (mtx_command(p, rel, "inventory\n", true, &r) < 0) {
		if (r.err == EACCES || r.err == EPERM)
			return;
		report(run, "inventory", &r);
		goto failed;
	}
	if (r.request) {
		if (finished(run, r.request, r.line, sizeof(r.line)))
			return;
		report(run, "inventory", &r);
		goto failed;
	}
	/* written, not read back: the scan holds the library "inventorying" until it is done */
	snprintf(rel, sizeof(rel), "libraries/%s/state", p->library);
	for (int i = 0; i < (int)(p->timeout * 20); i++) {
		if (mtx_read_attr(p, rel, state, sizeof(state)) < 0 ||
		    strcmp(state, "inventorying") != 0)
			return;
		struct timespec t = {0, 50000000L};
		nanosleep(&t, NULL);
	}
	return;
failed:
	fprintf(stderr, "%s:inventory failed\n", short_name(run));
	exit(1);
}

/* eject: opens the library's door (AccessNtmsLibraryDoor; administrators). */
void cmd_eject(struct mtx_run *run)
{
	char rel[256];
	struct mtx_reply r;

	snprintf(rel, sizeof(rel), "libraries/%s/door", run->place.library);
	if (mtx_command(&run->place, rel, "open\n", false, &r) < 0) {
		snprintf(rel, sizeof(rel), "eject: opening the door of %s", run->place.library);
		r.line[0] = '\0';
		report(run, rel, &r);
		fprintf(stderr, "%s:eject failed\n", short_name(run));
		exit(1);
	}
}

/* erase: mtx sends ERASE to a tape drive's changer LUN; rsmfs's changer has no tape. */
void cmd_erase(struct mtx_run *run)
{
	mtx_fatal(run, "erase: the changer has no tape to erase; erase through the drive's tape "
		       "device\n");
}

/* position <slot>: the robot goes where it must by itself; nothing to do. */
void cmd_position(struct mtx_run *run)
{
	struct mtx_changer c;

	changer(run, &c);
	mtx_changer_free(&c);
}
