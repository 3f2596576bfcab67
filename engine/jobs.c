/* jobs.c - work in flight: the phases of a mount, dismount, eject, inject, cleaning or
 * inventory, the robot that serialises a library's moves, and what a failed step does.
 *
 * A job carries one request through a short sequence of phases.  Each phase is one step
 * handed to the library's backend (backend.h), which ends it with step_done(); a robot step
 * waits for the library's robot, one at a time, and only while the door is closed and the
 * robot is not jammed; drive steps of different drives overlap.  The model follows a step
 * only once the backend says it happened: a cartridge's location changes when the move that
 * carries it ends, as a real changer holds its cartridges wherever they physically are.
 *
 * The phases and their transitions (a step that fails ends the job at any phase: every
 * cartridge stays where the backend left it and the request fails):
 *
 *   mount      [EVICT_UNLOAD --> EVICT_MOVE -->] MOVE_IN --> LOAD --> (passed)
 *   clean      [EVICT_UNLOAD --> EVICT_MOVE -->] MOVE_IN --> CLEAN --> MOVE_HOME --> (passed)
 *   dismount   UNLOAD --> MOVE_HOME --> (passed)
 *   eject      EJECT_MOVE --> (passed)
 *   inject     INJECT_MOVE --> (the next cartridge in a port: a new job; none: passed)
 *   inventory  INVENTORY --> (passed: the catalog took what the scan found)
 *   move       SLOT_MOVE --> (passed: the new slot is its home)
 *
 * The bracketed phases run when the drive holds a dismountable medium that must make room.
 * A move whose robot finds its source empty makes that medium offline and empties the place it
 * was in; a mount missing its own cartridge, or a mount or cleaning whose evicted cartridge is
 * missing, goes back to the queue, any other job fails.  MOVE_IN of a cleaning goes on to
 * CLEAN instead of LOAD.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "jobs.h"
#include "log.h"
#include "notify.h"
#include "requests.h"
#include "site.h"

#define PH_DONE (-1)

/* What each phase asks of the backend, and the phase that follows it. */
static const struct phase_info {
	enum step_kind kind;
	bool robot; /* a robot step: through the library's robot queue */
	int next;   /* PH_DONE: the job ends with it */
} phases[] = {
    [PH_EVICT_UNLOAD] = {STEP_UNLOAD, false, PH_EVICT_MOVE},
    [PH_EVICT_MOVE] = {STEP_MOVE, true, PH_MOVE_IN},
    [PH_MOVE_IN] = {STEP_MOVE, true, PH_LOAD}, /* a cleaning: PH_CLEAN */
    [PH_LOAD] = {STEP_LOAD, false, PH_DONE},
    [PH_UNLOAD] = {STEP_UNLOAD, false, PH_MOVE_HOME},
    [PH_CLEAN] = {STEP_CLEAN, false, PH_MOVE_HOME},
    [PH_MOVE_HOME] = {STEP_MOVE, true, PH_DONE},
    [PH_EJECT_MOVE] = {STEP_MOVE, true, PH_DONE},
    [PH_INJECT_MOVE] = {STEP_MOVE, true, PH_DONE},
    [PH_INVENTORY] = {STEP_SCAN, true, PH_DONE},
    [PH_SLOT_MOVE] = {STEP_MOVE, true, PH_DONE},
};

static struct library *job_library(struct rsm_engine *eng, struct job *job)
{
	return &eng->libraries[job->library];
}

void save_and_emit(struct rsm_engine *eng, struct drive *d, struct medium *m)
{
	catalog_save_state(eng, d, m, NULL);
	if (d)
		emit_drive(eng, d);
	if (m)
		emit_medium(eng, m);
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
	job->promised_slot = -1;
	job->phase = phase;
	job->live_next = eng->jobs;
	if (eng->jobs)
		eng->jobs->live_prev = job;
	eng->jobs = job;
	return job;
}

static void job_free(struct rsm_engine *eng, struct job *job)
{
	/* an operator request its step waited on no longer has anyone to tell */
	for (size_t i = 0; i < eng->nopreqs; i++) {
		if (eng->opreqs[i]->step == &job->step) {
			eng->opreqs[i]->step = NULL;
			eng->opreqs[i]->answered = NULL;
		}
	}
	if (job->live_prev)
		job->live_prev->live_next = job->live_next;
	else
		eng->jobs = job->live_next;
	if (job->live_next)
		job->live_next->live_prev = job->live_prev;
	free(job);
}

void jobs_free(struct rsm_engine *eng)
{
	while (eng->jobs)
		job_free(eng, eng->jobs);
}

/* ---- where cartridges are ---- */

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

/* Medium mi reached `to` on its way home: a slot (now its home), or the shelf of a library
 * with no slots. */
static void put_away(struct rsm_engine *eng, int mi, const struct place *to)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];

	if (m->loc == LOC_DRIVE)
		eng->drives[m->loc_addr].medium = NO_INDEX;
	m->loc = to->loc;
	m->loc_addr = to->loc == LOC_SLOT ? to->addr : 0;
	if (to->loc == LOC_SLOT) {
		medium_take_home(eng, mi, to->addr);
		l->slot_medium[to->addr] = mi;
	}
	settle_medium_state(eng, m);
}

/* The place of medium mi now, as a step's source. */
static struct place place_of(const struct medium *m)
{
	return (struct place){m->loc, m->loc_addr, false};
}

/* ---- the robot: one step at a time per library, none while the door is open or it is
 * jammed ---- */

bool robot_can_move(const struct library *l)
{
	return l->reachable && !l->jammed && strcmp(l->door, "open") != 0 && site_lease_valid(l);
}

static void step_issue(struct rsm_engine *eng, struct job *job);

/* Whether a job's robot step may wait for every other one: a cartridge going home that no
 * session asked to move (an idle put-back, a dismount_delay run out) holds up no one, while
 * a mount waiting behind it would wait for nothing (rsmfs(5), THE DEFERRED-DISMOUNT POLICY). */
static bool job_background(const struct job *job)
{
	return job->req && job->req->op == OP_DISMOUNT && job->req->session == NO_INDEX;
}

/* The robot takes the job's step now if it is free, else queues it: in order, except that a
 * step someone waits for goes before every background one. */
static void robot_acquire(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct job **at = &l->robot_queue;

	if (!l->robot_busy && robot_can_move(l)) {
		l->robot_busy = true;
		step_issue(eng, job);
		return;
	}
	if (job_background(job))
		at = l->robot_queue_tail ? &l->robot_queue_tail->next_robot : &l->robot_queue;
	else
		while (*at && !job_background(*at))
			at = &(*at)->next_robot;
	job->next_robot = *at;
	*at = job;
	if (!job->next_robot)
		l->robot_queue_tail = job;
}

/* Starts library l's next queued robot step if the robot is free and may move. */
static void robot_kick(struct rsm_engine *eng, struct library *l)
{
	struct job *next = l->robot_queue;

	if (l->robot_busy || !next || !robot_can_move(l))
		return;
	l->robot_queue = next->next_robot;
	if (!l->robot_queue)
		l->robot_queue_tail = NULL;
	l->robot_busy = true;
	step_issue(eng, next);
}

void robots_kick(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nlibraries; i++)
		robot_kick(eng, &eng->libraries[i]);
}

static void robot_release(struct rsm_engine *eng, struct library *l)
{
	l->robot_busy = false;
	robot_kick(eng, l);
}

/* ---- failure ---- */

/* Undoes what a job holds (ports and slots promised, drives, the medium's busy mark) after a
 * failed step, leaving its request to the caller. */
static void job_abandon(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct medium *m = job->medium >= 0 ? &eng->media[job->medium] : NULL;

	l->failures++;
	catalog_save_counters(eng, l);
	if (job->phase == PH_INVENTORY)
		l->inventorying = false;
	if (m && job->phase == PH_EJECT_MOVE && m->loc != LOC_PORT &&
	    l->port_medium[job->port] == job->medium)
		l->port_medium[job->port] = NO_INDEX;
	if (m && (job->phase == PH_INJECT_MOVE || job->phase == PH_SLOT_MOVE) &&
	    !(m->loc == LOC_SLOT && m->loc_addr == job->slot) &&
	    l->slot_medium[job->slot] == job->medium)
		l->slot_medium[job->slot] = NO_INDEX; /* the slot promised to it */
	if (job->promised_slot >= 0) {
		/* the home slot promised to the cartridge it carried, if it did not get there */
		const struct medium *c = &eng->media[job->step.medium];
		int slot = job->promised_slot;
		if (l->slot_medium[slot] == job->step.medium &&
		    !(c->loc == LOC_SLOT && c->loc_addr == slot))
			l->slot_medium[slot] = NO_INDEX;
	}
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
static void job_fail(struct rsm_engine *eng, struct job *job, rsm_err err, const char *detail)
{
	job_abandon(eng, job);
	request_finish(eng, job->req, REQ_FAILED, err, detail);
	job_free(eng, job);
}

/* The robot went for the step's cartridge where the catalog has it (a slot, a port, a drive)
 * and found nothing there: it was taken by hand.  That medium is offline from now on, and the
 * place it was in holds nothing.  A mount whose own cartridge is missing goes back to the queue,
 * where it waits for the operator to bring it (movemedia, or ERROR_MEDIA_OFFLINE with
 * offline-error) like any mount of an offline medium; a mount or cleaning whose drive was being
 * cleared of another cartridge goes back to the queue too (the drive is empty now, and its own
 * cartridge untouched).  Any other job fails with ERROR_MEDIA_OFFLINE. */
static void job_source_missing(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct medium *m = &eng->media[job->step.medium];
	bool requeue = job->phase == PH_EVICT_MOVE || (job->phase == PH_MOVE_IN && !job->clean);
	char where[96], why[160];

	medium_location_text(eng, m, where, sizeof(where));
	snprintf(why, sizeof(why), "%s is empty: %s is not where the catalog has it", where,
		 m->name);
	engine_log(RSM_LOG_WARNING, "library %s: %s", l->name, why);
	job_abandon(eng, job);
	lift(eng, l, m); /* its slot, port or drive */
	m->loc = LOC_OFFLINE;
	m->loc_addr = 0;
	settle_medium_state(eng, m);
	save_and_emit(eng, NULL, m);
	if (requeue)
		request_set_state(eng, job->req, REQ_QUEUED, ERROR_SUCCESS);
	else
		request_finish(eng, job->req, REQ_FAILED, ERROR_MEDIA_OFFLINE, why);
	job_free(eng, job);
}

void library_reachable(struct rsm_engine *eng, int li)
{
	struct library *l = &eng->libraries[li];

	l->reachable = true;
	/* the other hosts of a site learn it from the row: a user host of a scsi library
	 * refused every mount with ERROR_LIBRARY_OFFLINE while the row said offline */
	if (eng->site && l->managed)
		catalog_save_library(eng, l);
	emit_library(eng, l); /* and the scheduler starts what waited for it */
}

void library_unreachable(struct rsm_engine *eng, int li, const char *why)
{
	struct library *l = &eng->libraries[li];

	l->reachable = false;
	if (eng->site && l->managed) /* only the manager writes the row */
		catalog_save_library(eng, l);
	emit_library(eng, l);
	while (l->robot_queue) {
		struct job *job = l->robot_queue;
		l->robot_queue = job->next_robot;
		if (!l->robot_queue)
			l->robot_queue_tail = NULL;
		job_fail(eng, job, ERROR_LIBRARY_OFFLINE, why);
	}
}

/* ---- what each phase's step does to the model once it happened ---- */

/* EVICT_MOVE: the evicted medium is away; the drive is free for the job's cartridge. */
static void evicted(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct drive *d = &eng->drives[job->drive];
	struct medium *ev = &eng->media[job->evict];

	put_away(eng, job->evict, &job->step.to);
	d->state = job->clean ? DRIVE_CLEANING : DRIVE_EMPTY;
	save_and_emit(eng, d, ev);
	emit_slots(eng, l, false);
}

/* MOVE_IN: the job's cartridge is in the drive. */
static void moved_in(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct drive *d = &eng->drives[job->drive];
	struct medium *m = &eng->media[job->medium];

	lift(eng, l, m);
	m->loc = LOC_DRIVE;
	m->loc_addr = job->drive;
	d->medium = job->medium;
	d->job = job;
	d->state = job->clean ? DRIVE_CLEANING : DRIVE_LOADING;
	save_and_emit(eng, d, m);
}

/* LOAD: the medium is ready in the drive; the mount passes. */
static void loaded(struct rsm_engine *eng, struct job *job)
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
	library_count_mount(l, secs);
	/* a session that closed while the cartridge travelled leaves it dismountable */
	drive_hold(eng, d, r->session >= 0 ? r->session : NO_INDEX, r->vdrive);
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

/* UNLOAD or CLEAN: the cartridge is out of the drive's hands, ready for the robot. */
static void unloaded(struct rsm_engine *eng, struct job *job)
{
	struct medium *m = &eng->media[job->medium];

	m->state = MEDIA_UNLOADING;
	save_and_emit(eng, NULL, m);
}

/* MOVE_HOME: the last step of a dismount or a cleaning; the drive is free. */
static void home(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct drive *d = &eng->drives[job->drive];
	struct medium *m = &eng->media[job->medium];

	put_away(eng, job->medium, &job->step.to);
	m->busy = NULL;
	drive_emptied(d);
	d->last_used = ++eng->lru_clock;
	if (job->clean) {
		d->cleanings++;
		rsm_format_time(wall_now(), d->last_cleaned, sizeof(d->last_cleaned));
	}
	emit_slots(eng, l, false);
	save_and_emit(eng, d, m);
	request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, NULL);
}

/* EJECT_MOVE (to a port), INJECT_MOVE or SLOT_MOVE (to a slot, its home from now on). */
static void port_moved(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	struct medium *m = &eng->media[job->medium];
	bool eject = job->phase == PH_EJECT_MOVE;

	lift(eng, l, m);
	m->loc = eject ? LOC_PORT : LOC_SLOT;
	m->loc_addr = eject ? job->port : job->slot;
	if (eject) {
		l->port_medium[job->port] = job->medium;
	} else {
		medium_take_home(eng, job->medium, job->slot);
		l->slot_medium[job->slot] = job->medium;
	}
	settle_medium_state(eng, m);
	m->busy = NULL;
	save_and_emit(eng, NULL, m);
	emit_slots(eng, l, eject);
	if (job->phase == PH_INJECT_MOVE)
		try_inject(eng, job->req); /* the next cartridge, or done */
	else
		request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, NULL);
}

/* INVENTORY: the backend has applied what the scan found. */
static void scanned(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	int n = job->step.corrections;
	char detail[160];

	l->inventorying = false;
	emit_library(eng, l);
	snprintf(detail, sizeof(detail), "%d location%s corrected", n < 0 ? 0 : n,
		 n == 1 ? "" : "s");
	if (n < 0)
		request_finish(eng, job->req, REQ_FAILED, ERROR_UNABLE_TO_INVENTORY_SLOT,
			       "the changer's element status could not be read");
	else
		request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, n ? detail : NULL);
}

static void (*const phase_done[])(struct rsm_engine *, struct job *) = {
    [PH_EVICT_UNLOAD] = NULL, [PH_EVICT_MOVE] = evicted,    [PH_MOVE_IN] = moved_in,
    [PH_LOAD] = loaded,	      [PH_UNLOAD] = unloaded,	    [PH_CLEAN] = unloaded,
    [PH_MOVE_HOME] = home,    [PH_EJECT_MOVE] = port_moved, [PH_INJECT_MOVE] = port_moved,
    [PH_INVENTORY] = scanned, [PH_SLOT_MOVE] = port_moved,
};

/* ---- steps ---- */

/* Where a cartridge going home goes: its home slot or the first empty one; in a library with
 * no slots, the shelf.  false when every slot is full. */
static bool home_place(struct rsm_engine *eng, int mi, struct place *to)
{
	const struct library *l = &eng->libraries[eng->media[mi].library];
	int slot = l->nslots ? home_slot_for(eng, mi) : 0;

	*to = (struct place){l->nslots ? LOC_SLOT : LOC_OFFLINE, slot, false};
	return slot >= 0;
}

/* Fills the step of the job's current phase; false (the job failed) when it cannot be. */
static bool step_prepare(struct rsm_engine *eng, struct job *job)
{
	struct step *s = &job->step;
	int carried =
	    job->phase == PH_EVICT_MOVE || job->phase == PH_EVICT_UNLOAD ? job->evict : job->medium;

	memset(s, 0, sizeof(*s));
	job->promised_slot = -1; /* a promise is the step's own */
	s->kind = phases[job->phase].kind;
	s->library = job->library;
	s->medium = carried;
	s->drive = job->drive;
	s->request = job->req->number;
	s->by_operator = job->req->opreq_satisfied;
	s->full = s->kind == STEP_SCAN && job->req->options != 0; /* an inventory's option */
	if (s->kind != STEP_MOVE)
		return true;
	s->from = place_of(&eng->media[carried]);
	switch (job->phase) {
	case PH_EVICT_MOVE:
	case PH_MOVE_HOME:
		if (!home_place(eng, carried, &s->to)) {
			job_fail(eng, job, ERROR_LIBRARY_FULL, "no free slot for the medium");
			return false;
		}
		/* promised to it from now on, as an inject promises its slot: no other cartridge
		 * is sent there while it travels */
		if (s->to.loc == LOC_SLOT) {
			job_library(eng, job)->slot_medium[s->to.addr] = carried;
			job->promised_slot = s->to.addr;
		}
		break;
	case PH_MOVE_IN:
		s->to = (struct place){LOC_DRIVE, job->drive, false};
		break;
	case PH_EJECT_MOVE:
		s->to = (struct place){LOC_PORT, job->port, false};
		break;
	default: /* PH_INJECT_MOVE, PH_SLOT_MOVE */
		s->to = (struct place){LOC_SLOT, job->slot, false};
		break;
	}
	return true;
}

/* Hands the job's current step to its library's backend. */
static void step_issue(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);
	bool robot = phases[job->phase].robot; /* a failed step frees the job */

	if (!step_prepare(eng, job)) {
		if (robot)
			robot_release(eng, l);
		return;
	}
	l->ops->step(eng, &job->step);
}

void job_advance(struct rsm_engine *eng, struct job *job)
{
	if (phases[job->phase].robot)
		robot_acquire(eng, job);
	else
		step_issue(eng, job);
}

/* Why a finished step cannot count, or NULL: the backend's failure, or a drive that failed
 * while it worked. */
static const char *step_fault(struct rsm_engine *eng, struct job *job, char *buf, size_t len)
{
	const struct step *s = &job->step;

	if (s->err != ERROR_SUCCESS)
		return s->detail[0] ? s->detail : rsm_error_name(s->err);
	if (!phases[job->phase].robot && eng->drives[job->drive].failed) {
		snprintf(buf, len, "drive %s has failed", eng->drives[job->drive].name);
		return buf;
	}
	return NULL;
}

/* The model takes what the job's step did, and the job goes on to its next phase or ends
 * (the job may be freed when this returns). */
static void step_apply(struct rsm_engine *eng, struct job *job)
{
	const struct step *s = &job->step;
	const struct phase_info *ph = &phases[job->phase];
	char why[96];
	const char *fault = step_fault(eng, job, why, sizeof(why));

	if (!fault && s->source_empty) {
		job_source_missing(eng, job);
		return;
	}
	if (fault) {
		/* nothing moved: the cartridge is still where the backend found it */
		job_fail(eng, job, s->err != ERROR_SUCCESS ? s->err : ERROR_INVALID_STATE, fault);
		return;
	}
	if (ph->robot && job->phase != PH_INVENTORY) {
		job_library(eng, job)->moves++;
		catalog_save_counters(eng, job_library(eng, job));
	}
	if (phase_done[job->phase])
		phase_done[job->phase](eng, job);
	int next = job->phase == PH_MOVE_IN && job->clean ? PH_CLEAN : ph->next;
	if (next == PH_DONE) {
		job_free(eng, job);
		return;
	}
	job->phase = (enum job_phase)next;
	job_advance(eng, job);
}

void step_done(struct rsm_engine *eng, struct step *s)
{
	struct job *job = (struct job *)((char *)s - offsetof(struct job, step));
	struct library *l = job_library(eng, job);
	bool robot = phases[job->phase].robot;

	step_apply(eng, job);
	/* only now is the robot free: the next move is planned on a model that holds what this
	 * one did (the slot it filled is not offered again) */
	if (robot)
		robot_release(eng, l);
}
