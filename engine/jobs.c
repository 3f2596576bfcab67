/* jobs.c - work in flight: the phases of a mount, dismount, eject, inject, cleaning or
 * inventory, the robot that serialises a library's moves, and what a device fault does to
 * them.
 *
 * A job is a short sequence of phases, each a timer (a drive load, unload or cleaning) or a
 * robot step.  Robot steps of one library go through its robot queue, one at a time, and only
 * while the door is closed and the robot is not jammed; drive phases of different drives
 * overlap.  A cartridge's location changes when the move that carries it finishes, and the
 * sim changer records it before the catalog does (sim.c), as a real changer holds its
 * cartridges wherever they physically are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct library *job_library(struct rsm_engine *eng, struct job *job)
{
	return &eng->libraries[job->library];
}

/* Commits a drive and a medium after a change, then tells the channels.  A medium's location
 * may have changed: the sim changer records its physical state first. */
void save_and_emit(struct rsm_engine *eng, struct drive *d, struct medium *m)
{
	if (m)
		sim_record(eng, m->library);
	catalog_save_state(eng, d, m, NULL);
	if (d)
		emit_drive(eng, d);
	if (m)
		emit_medium(eng, m);
}

/* The first empty place (slot or port) in an occupancy table, or -1. */
int first_free(const int *occupant, int count)
{
	for (int i = 0; i < count; i++)
		if (occupant[i] == NO_INDEX)
			return i;
	return -1;
}

/* A medium's state as its location says, once no job holds it. */
void settle_medium_state(struct rsm_engine *eng, struct medium *m)
{
	switch (m->loc) {
	case LOC_SLOT:
		m->state = MEDIA_IDLE;
		break;
	case LOC_PORT:
		m->state = MEDIA_IN_PORT;
		break;
	case LOC_OFFLINE:
		m->state = MEDIA_OFFLINE;
		break;
	case LOC_DRIVE:
		m->state =
		    eng->drives[m->loc_addr].session >= 0 ? MEDIA_MOUNTED : MEDIA_DISMOUNTABLE;
		break;
	}
}

/* A drive's state as its contents say, once no job holds it. */
void settle_drive_state(struct drive *d)
{
	if (d->failed)
		d->state = DRIVE_FAILED;
	else if (d->medium >= 0)
		d->state = d->session >= 0 ? DRIVE_MOUNTED : DRIVE_DISMOUNTABLE;
	else
		d->state = d->enabled ? DRIVE_EMPTY : DRIVE_DISABLED;
}

struct job *job_new(struct rsm_engine *eng, struct request *r, int library, int drive, int medium,
		    enum job_phase phase)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job) {
		request_finish(eng, r, REQ_FAILED, ERROR_NOT_ENOUGH_MEMORY, NULL);
		return NULL;
	}
	job->req = r;
	job->library = library;
	job->drive = drive;
	job->medium = medium;
	job->evict = NO_INDEX;
	job->port = -1;
	job->target_slot = -1;
	job->phase = phase;
	job->live_next = eng->jobs;
	if (eng->jobs)
		eng->jobs->live_prev = job;
	eng->jobs = job;
	return job;
}

void job_free(struct rsm_engine *eng, struct job *job)
{
	if (job->live_prev)
		job->live_prev->live_next = job->live_next;
	else
		eng->jobs = job->live_next;
	if (job->live_next)
		job->live_next->live_prev = job->live_prev;
	free(job);
}

/* A drive whose cartridge has left: empty, or disabled (failed) if it was meanwhile. */
static void drive_emptied(struct drive *d)
{
	d->medium = NO_INDEX;
	d->job = NULL;
	settle_drive_state(d);
}

void source_drive_claim(struct rsm_engine *eng, struct medium *m, struct job *job)
{
	struct drive *src = &eng->drives[m->loc_addr];

	src->job = job;
	src->state = DRIVE_UNLOADING;
	save_and_emit(eng, src, NULL);
}

/* The robot has picked medium m up: its slot, port or drive is free now. */
static void lift(struct rsm_engine *eng, struct library *l, struct medium *m)
{
	if (m->loc == LOC_SLOT) {
		l->slot_medium[m->loc_addr] = NO_INDEX;
		emit_slots(eng, l, false);
	} else if (m->loc == LOC_PORT) {
		l->port_medium[m->loc_addr] = NO_INDEX;
		emit_slots(eng, l, true);
	} else if (m->loc == LOC_DRIVE) {
		struct drive *src = &eng->drives[m->loc_addr];
		drive_emptied(src);
		save_and_emit(eng, src, NULL);
	}
}

/* The slot a cartridge going home is put in: its home slot, or the first empty one; -1. */
int home_slot_for(struct rsm_engine *eng, int mi)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	int slot = m->home_slot;

	if (slot < 0 || slot >= l->nslots || l->slot_medium[slot] != NO_INDEX)
		slot = first_free(l->slot_medium, l->nslots);
	return slot;
}

/* Moves medium mi into slot (chosen by home_slot_for, before a real changer moved it). */
static int put_away(struct rsm_engine *eng, int mi, int slot)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];

	if (slot < 0)
		slot = home_slot_for(eng, mi);
	if (slot < 0)
		return -1;
	if (m->loc == LOC_DRIVE)
		eng->drives[m->loc_addr].medium = NO_INDEX;
	m->loc = LOC_SLOT;
	m->loc_addr = slot;
	m->home_slot = slot;
	m->state = MEDIA_IDLE;
	l->slot_medium[slot] = mi;
	return 0;
}

/* ---- the robot: one step at a time per library, none while the door is open or it is
 * jammed ---- */

bool robot_can_move(const struct library *l)
{
	return l->reachable && !l->jammed && strcmp(l->door, "open") != 0;
}

/* A sim's robot step is a timer; a real changer's is a command its thread sends. */
static void robot_start(struct rsm_engine *eng, struct library *l, struct job *job)
{
	l->robot_busy = true;
	job->robot_err = ERROR_SUCCESS;
	job->robot_detail[0] = '\0';
	if (l->scsi)
		scsi_robot_step(eng, job);
	else
		timer_add(eng, job->phase == PH_INVENTORY ? job->robot_secs : l->move_time,
			  robot_step_done, job);
}

static void robot_acquire(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);

	if (!l->robot_busy && robot_can_move(l)) {
		robot_start(eng, l, job);
		return;
	}
	job->next_robot = NULL;
	if (l->robot_queue_tail)
		l->robot_queue_tail->next_robot = job;
	else
		l->robot_queue = job;
	l->robot_queue_tail = job;
}

/* Starts the next queued robot step if the robot is free and may move. */
void robot_kick(struct rsm_engine *eng, struct library *l)
{
	struct job *next = l->robot_queue;

	if (l->robot_busy || !next || !robot_can_move(l))
		return;
	l->robot_queue = next->next_robot;
	if (!l->robot_queue)
		l->robot_queue_tail = NULL;
	robot_start(eng, l, next);
}

static void robot_release(struct rsm_engine *eng, struct library *l)
{
	l->robot_busy = false;
	robot_kick(eng, l);
}

void robot_fail_queue(struct rsm_engine *eng, struct library *l, rsm_err err, const char *why)
{
	while (l->robot_queue) {
		struct job *job = l->robot_queue;
		l->robot_queue = job->next_robot;
		if (!l->robot_queue)
			l->robot_queue_tail = NULL;
		job_fail(eng, job, err, why);
	}
}

/* Undoes what a job holds (ports and slots promised, drives, the medium's busy mark) after a
 * failed step, leaving its request to the caller. */
static void job_abandon(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct medium *m = job->medium >= 0 ? &eng->media[job->medium] : NULL;

	l->failures++;
	if (job->phase == PH_INVENTORY)
		l->inventorying = false;
	if (m && job->phase == PH_EJECT_MOVE && m->loc != LOC_PORT &&
	    l->port_medium[job->port] == job->medium)
		l->port_medium[job->port] = NO_INDEX;
	if (m && job->phase == PH_INJECT_MOVE && m->loc != LOC_SLOT &&
	    l->slot_medium[job->slot] == job->medium)
		l->slot_medium[job->slot] = NO_INDEX;
	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		if (d->job != job)
			continue;
		d->job = NULL;
		if (i == job->drive)
			d->errors++;
		settle_drive_state(d);
		save_and_emit(eng, d, NULL);
	}
	if (m) {
		m->busy = NULL;
		settle_medium_state(eng, m);
		save_and_emit(eng, NULL, m);
	}
	if (job->evict >= 0) {
		struct medium *ev = &eng->media[job->evict];
		settle_medium_state(eng, ev);
		save_and_emit(eng, NULL, ev);
	}
	emit_library(eng, l);
}

/* A job that cannot go on: every cartridge stays where it physically is, every promise of a
 * slot or port is withdrawn, and the request fails. */
void job_fail(struct rsm_engine *eng, struct job *job, rsm_err err, const char *detail)
{
	job_abandon(eng, job);
	request_finish(eng, job->req, REQ_FAILED, err, detail);
	job_free(eng, job);
}

/* Whether the robot, sent to take the job's cartridge from its slot, finds the slot empty: the
 * sim's cartridge was taken by hand (sim/ctl lose). */
static bool source_missing(const struct rsm_engine *eng, const struct job *job)
{
	const struct medium *m = job->medium >= 0 ? &eng->media[job->medium] : NULL;

	return m && m->sim_missing && m->loc == LOC_SLOT &&
	       (job->phase == PH_MOVE_IN || job->phase == PH_EJECT_MOVE);
}

/* The robot reached a slot the catalog says holds the job's cartridge and found it empty (a
 * sim fault: the cartridge was taken by hand).  The medium is offline from now on; a mount
 * goes back to the queue, where it waits for the operator to bring it (movemedia, or
 * ERROR_MEDIA_OFFLINE with offline-error) like any mount of an offline medium. */
static void job_source_missing(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct medium *m = &eng->media[job->medium];
	bool mount = job->phase == PH_MOVE_IN && !job->clean;
	char why[160];

	snprintf(why, sizeof(why), "slot %d is empty: %s is not where the catalog has it",
		 m->loc_addr, m->name);
	fprintf(stderr, "rsmfs: library %s: %s\n", l->name, why);
	job_abandon(eng, job);
	if (m->loc == LOC_SLOT && l->slot_medium[m->loc_addr] == job->medium)
		l->slot_medium[m->loc_addr] = NO_INDEX;
	m->loc = LOC_OFFLINE;
	m->loc_addr = 0;
	m->sim_missing = false;
	settle_medium_state(eng, m);
	save_and_emit(eng, NULL, m);
	emit_slots(eng, l, false);
	if (mount)
		request_set_state(eng, job->req, REQ_QUEUED, ERROR_SUCCESS);
	else
		request_finish(eng, job->req, REQ_FAILED, ERROR_MEDIA_OFFLINE, why);
	job_free(eng, job);
}

/* An eject (to a port) or inject (to a slot) move finished. */
static void port_move_done(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct medium *m = &eng->media[job->medium];

	lift(eng, l, m);
	if (job->phase == PH_EJECT_MOVE) {
		m->loc = LOC_PORT;
		m->loc_addr = job->port;
		m->state = MEDIA_IN_PORT;
		l->port_medium[job->port] = job->medium;
	} else {
		m->loc = LOC_SLOT;
		m->loc_addr = job->slot;
		m->home_slot = job->slot;
		m->state = MEDIA_IDLE;
		l->slot_medium[job->slot] = job->medium;
	}
	m->busy = NULL;
	save_and_emit(eng, NULL, m);
	emit_slots(eng, l, job->phase == PH_EJECT_MOVE);
	if (job->phase == PH_INJECT_MOVE)
		try_inject(eng, job->req); /* the next cartridge, or done */
	else
		request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, NULL);
}

/* The inventory scan finished: the catalog takes what the changer reports. */
static void inventory_done(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	char detail[160];
	int changes =
	    l->scsi ? scsi_inventory_apply(eng, job->library) : sim_inventory(eng, job->library);

	l->inventorying = false;
	emit_library(eng, l);
	snprintf(detail, sizeof(detail), "%d location%s corrected", changes < 0 ? 0 : changes,
		 changes == 1 ? "" : "s");
	if (changes < 0)
		request_finish(eng, job->req, REQ_FAILED, ERROR_UNABLE_TO_INVENTORY_SLOT,
			       "the changer's element status could not be read");
	else
		request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, changes ? detail : NULL);
}

/* The last step of a dismount or a cleaning: the cartridge is back in a slot. */
static void home_done(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct drive *d = &eng->drives[job->drive];
	struct medium *m = &eng->media[job->medium];

	m->busy = NULL;
	drive_emptied(d); /* put_away took the medium out already */
	d->last_used = ++eng->lru_clock;
	if (job->clean) {
		d->cleanings++;
		rsm_format_time(wall_now(), d->last_cleaned, sizeof(d->last_cleaned));
	}
	emit_slots(eng, l, false);
	save_and_emit(eng, d, m);
	request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, NULL);
}

/* Why a robot step cannot be carried out now, or NULL. */
static const char *robot_step_fault(struct rsm_engine *eng, struct job *job, char *buf, size_t len)
{
	struct library *l = job_library(eng, job);

	if (job->robot_err != ERROR_SUCCESS)
		return job->robot_detail; /* the changer refused or failed the move */
	if (l->jammed)
		return "the robot is jammed";
	if (job->phase == PH_MOVE_IN && eng->drives[job->drive].failed) {
		snprintf(buf, len, "drive %s has failed", eng->drives[job->drive].name);
		return buf;
	}
	return NULL;
}

/* A robot step finished: apply it, free the robot, go on with the job. */
void robot_step_done(struct rsm_engine *eng, void *arg)
{
	struct job *job = arg;
	struct library *l = job_library(eng, job);
	struct drive *d = job->drive >= 0 ? &eng->drives[job->drive] : NULL;
	char why[96];
	const char *fault = robot_step_fault(eng, job, why, sizeof(why));

	if (!fault && source_missing(eng, job)) {
		robot_release(eng, l);
		job_source_missing(eng, job);
		schedule(eng);
		return;
	}
	if (fault) {
		/* nothing moved: the cartridge is still where the robot found it */
		rsm_err err =
		    job->robot_err != ERROR_SUCCESS ? job->robot_err : ERROR_INVALID_STATE;
		robot_release(eng, l);
		job_fail(eng, job, err, fault);
		schedule(eng);
		return;
	}
	if (job->phase != PH_INVENTORY)
		l->moves++;
	switch (job->phase) {
	case PH_EJECT_MOVE:
	case PH_INJECT_MOVE:
	case PH_INVENTORY:
		if (job->phase == PH_INVENTORY)
			inventory_done(eng, job);
		else
			port_move_done(eng, job);
		robot_release(eng, l);
		job_free(eng, job);
		schedule(eng);
		return;
	case PH_EVICT_MOVE: {
		struct medium *ev = &eng->media[job->evict];
		if (put_away(eng, job->evict, job->target_slot) < 0) {
			robot_release(eng, l);
			job_fail(eng, job, ERROR_LIBRARY_FULL,
				 "no free slot for the evicted medium");
			return;
		}
		d->state = job->clean ? DRIVE_CLEANING : DRIVE_EMPTY;
		save_and_emit(eng, d, ev);
		emit_slots(eng, l, false);
		job->phase = PH_MOVE_IN;
		break;
	}
	case PH_MOVE_IN: {
		struct medium *m = &eng->media[job->medium];
		lift(eng, l, m);
		m->loc = LOC_DRIVE;
		m->loc_addr = job->drive;
		d->medium = job->medium;
		d->job = job;
		d->state = job->clean ? DRIVE_CLEANING : DRIVE_LOADING;
		save_and_emit(eng, d, m);
		job->phase = job->clean ? PH_CLEAN : PH_LOAD;
		break;
	}
	case PH_MOVE_HOME:
		if (put_away(eng, job->medium, job->target_slot) < 0) {
			robot_release(eng, l);
			job_fail(eng, job, ERROR_LIBRARY_FULL,
				 "no free slot to return the medium to");
			return;
		}
		home_done(eng, job);
		robot_release(eng, l);
		job_free(eng, job);
		schedule(eng);
		return;
	default:
		break;
	}
	robot_release(eng, l);
	job_advance(eng, job);
}

/* A mount's load finished: the medium is ready in the drive. */
static void load_done(struct rsm_engine *eng, struct job *job)
{
	struct drive *d = &eng->drives[job->drive];
	struct medium *m = &eng->media[job->medium];
	struct request *r = job->req;
	struct library *l = job_library(eng, job);
	double secs = mono_now() - r->started_mono;

	d->job = NULL;
	m->busy = NULL;
	d->mounts++;
	d->last_used = ++eng->lru_clock;
	l->mounts++;
	l->mount_secs_total += secs;
	if (secs > l->mount_secs_max)
		l->mount_secs_max = secs;
	/* a session that closed while the cartridge travelled leaves it dismountable */
	d->session = r->session >= 0 ? r->session : NO_INDEX;
	settle_drive_state(d);
	settle_medium_state(eng, m);
	/* the library's stats go with the drive and medium, in one transaction */
	if (catalog_begin(eng) == ERROR_SUCCESS && catalog_save_library(eng, l) == ERROR_SUCCESS)
		catalog_save_state_in(eng, d, m, NULL);
	catalog_commit(eng);
	emit_drive(eng, d);
	emit_medium(eng, m);
	emit_library(eng, l);
	request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
}

/* A drive phase (load, unload or cleaning) finished. */
static void drive_phase_done(struct rsm_engine *eng, void *arg)
{
	struct job *job = arg;
	struct drive *d = &eng->drives[job->drive];
	struct medium *m = &eng->media[job->medium];

	if (d->failed) {
		char why[96];
		snprintf(why, sizeof(why), "drive %s has failed", d->name);
		job_fail(eng, job, ERROR_INVALID_STATE, why);
		schedule(eng);
		return;
	}
	switch (job->phase) {
	case PH_EVICT_UNLOAD:
		job->phase = PH_EVICT_MOVE;
		break;
	case PH_LOAD:
		load_done(eng, job);
		job_free(eng, job);
		schedule(eng);
		return;
	case PH_UNLOAD:
	case PH_CLEAN:
		job->phase = PH_MOVE_HOME;
		m->state = MEDIA_UNLOADING;
		save_and_emit(eng, NULL, m);
		break;
	default:
		break;
	}
	job_advance(eng, job);
}

/* Starts the job's current phase. */
void job_advance(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);

	switch (job->phase) {
	case PH_EVICT_UNLOAD:
	case PH_UNLOAD:
		timer_add(eng, l->unload_time, drive_phase_done, job);
		break;
	case PH_LOAD:
		timer_add(eng, l->load_time, drive_phase_done, job);
		break;
	case PH_CLEAN:
		timer_add(eng, l->load_time + l->unload_time, drive_phase_done, job);
		break;
	case PH_EVICT_MOVE:
	case PH_MOVE_IN:
	case PH_MOVE_HOME:
	case PH_EJECT_MOVE:
	case PH_INJECT_MOVE:
	case PH_INVENTORY:
		robot_acquire(eng, job);
		break;
	}
}
