/* scheduler.c - the request queue and the drive scheduler.
 *
 * Pending requests run in order: dismounts before mounts, then higher priority, then FIFO.
 * A mount takes the drive already holding its medium (dismountable), else an empty enabled
 * drive, else evicts the least recently used dismountable medium.  Each mount or dismount in
 * flight is a job: a short sequence of phases, each a timer (drive load/unload time) or a
 * robot move.  Robot moves of one library are serialised through its robot queue; drive
 * phases of different drives overlap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void job_advance(struct rsm_engine *eng, struct job *job);

static struct library *job_library(struct rsm_engine *eng, struct job *job)
{
	return &eng->libraries[job->library];
}

static void save_and_emit(struct rsm_engine *eng, struct drive *d, struct medium *m)
{
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

/* A job for request r in phase; on allocation failure the request fails and NULL is
 * returned. */
static struct job *job_new(struct rsm_engine *eng, struct request *r, int library, int drive,
			   int medium, enum job_phase phase)
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
	job->phase = phase;
	return job;
}

/* A drive whose cartridge has left: empty, or disabled if it was disabled meanwhile. */
static void drive_emptied(struct drive *d)
{
	d->medium = NO_INDEX;
	d->state = d->enabled ? DRIVE_EMPTY : DRIVE_DISABLED;
	d->job = NULL;
}

/* A job takes the cartridge out of the (dismountable) drive holding it. */
static void source_drive_claim(struct rsm_engine *eng, struct medium *m, struct job *job)
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

/* ---- the robot: one move at a time per library ---- */

static void robot_done(struct rsm_engine *eng, void *arg);

static void robot_start(struct rsm_engine *eng, struct library *l, struct job *job)
{
	l->robot_busy = true;
	timer_add(eng, l->move_time, robot_done, job);
}

static void robot_acquire(struct rsm_engine *eng, struct job *job)
{
	struct library *l = job_library(eng, job);

	if (!l->robot_busy) {
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

static void robot_release(struct rsm_engine *eng, struct library *l)
{
	struct job *next = l->robot_queue;

	l->robot_busy = false;
	if (next) {
		l->robot_queue = next->next_robot;
		if (!l->robot_queue)
			l->robot_queue_tail = NULL;
		robot_start(eng, l, next);
	}
}

/* Moves medium mi into its home slot (or the first empty slot if that one is taken). */
static int put_away(struct rsm_engine *eng, int mi)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	int slot = m->home_slot;

	if (slot < 0 || slot >= l->nslots || l->slot_medium[slot] != NO_INDEX)
		slot = first_free(l->slot_medium, l->nslots);
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

static void job_fail(struct rsm_engine *eng, struct job *job, rsm_err err, const char *detail)
{
	struct drive *d = job->drive >= 0 ? &eng->drives[job->drive] : NULL;
	struct medium *m = &eng->media[job->medium];
	struct library *l = job_library(eng, job);

	l->failures++;
	m->busy = NULL;
	if (m->state == MEDIA_LOADING || m->state == MEDIA_UNLOADING)
		m->state = m->loc == LOC_DRIVE ? MEDIA_DISMOUNTABLE : MEDIA_IDLE;
	if (d) {
		d->errors++;
		d->job = NULL;
		if (d->state == DRIVE_LOADING || d->state == DRIVE_UNLOADING)
			d->state = d->medium >= 0 ? DRIVE_DISMOUNTABLE : DRIVE_EMPTY;
	}
	save_and_emit(eng, d, m);
	request_finish(eng, job->req, REQ_FAILED, err, detail);
	free(job);
}

enum attempt { STARTED, FINISHED, BLOCKED };

static enum attempt try_inject(struct rsm_engine *eng, struct request *r);

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

/* A robot move finished: apply it, free the robot, go on with the job. */
static void robot_done(struct rsm_engine *eng, void *arg)
{
	struct job *job = arg;
	struct library *l = job_library(eng, job);
	struct drive *d = job->drive >= 0 ? &eng->drives[job->drive] : NULL;

	l->moves++;
	if (job->phase == PH_EJECT_MOVE || job->phase == PH_INJECT_MOVE) {
		port_move_done(eng, job);
		robot_release(eng, l);
		free(job);
		schedule(eng);
		return;
	}
	if (job->phase == PH_EVICT_MOVE) {
		struct medium *ev = &eng->media[job->evict];
		if (put_away(eng, job->evict) < 0) {
			robot_release(eng, l);
			job_fail(eng, job, ERROR_LIBRARY_FULL, "no free slot for the evicted medium");
			return;
		}
		d->state = DRIVE_EMPTY;
		save_and_emit(eng, d, ev);
		emit_slots(eng, l, false);
		job->phase = PH_MOVE_IN;
	} else if (job->phase == PH_MOVE_IN) {
		struct medium *m = &eng->media[job->medium];
		lift(eng, l, m);
		m->loc = LOC_DRIVE;
		m->loc_addr = job->drive;
		d->medium = job->medium;
		d->state = DRIVE_LOADING;
		save_and_emit(eng, d, m);
		job->phase = PH_LOAD;
	} else if (job->phase == PH_MOVE_HOME) {
		struct medium *m = &eng->media[job->medium];
		if (put_away(eng, job->medium) < 0) {
			robot_release(eng, l);
			job_fail(eng, job, ERROR_LIBRARY_FULL, "no free slot to return the medium to");
			return;
		}
		m->busy = NULL;
		drive_emptied(d); /* put_away took the medium out already */
		d->last_used = ++eng->lru_clock;
		emit_slots(eng, l, false);
		save_and_emit(eng, d, m);
		robot_release(eng, l);
		request_finish(eng, job->req, REQ_PASSED, ERROR_SUCCESS, NULL);
		free(job);
		schedule(eng);
		return;
	}
	robot_release(eng, l);
	job_advance(eng, job);
}

/* A drive phase (load or unload) finished. */
static void drive_phase_done(struct rsm_engine *eng, void *arg)
{
	struct job *job = arg;
	struct drive *d = &eng->drives[job->drive];
	struct medium *m = &eng->media[job->medium];
	struct request *r = job->req;
	struct library *l = job_library(eng, job);

	switch (job->phase) {
	case PH_EVICT_UNLOAD:
		job->phase = PH_EVICT_MOVE;
		break;
	case PH_LOAD: {
		double secs = mono_now() - r->started_mono;
		d->job = NULL;
		m->busy = NULL;
		d->mounts++;
		d->last_used = ++eng->lru_clock;
		l->mounts++;
		l->mount_secs_total += secs;
		if (secs > l->mount_secs_max)
			l->mount_secs_max = secs;
		if (r->session >= 0) {
			d->state = DRIVE_MOUNTED;
			d->session = r->session;
			m->state = MEDIA_MOUNTED;
		} else {
			/* the session closed while the cartridge travelled: release it */
			d->state = DRIVE_DISMOUNTABLE;
			d->session = NO_INDEX;
			m->state = MEDIA_DISMOUNTABLE;
		}
		/* the library's stats go with the drive and medium, in one transaction */
		if (catalog_begin(eng) == ERROR_SUCCESS && catalog_save_library(eng, l) == ERROR_SUCCESS)
			catalog_save_state_in(eng, d, m, NULL);
		catalog_commit(eng);
		emit_drive(eng, d);
		emit_medium(eng, m);
		emit_library(eng, l);
		request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
		free(job);
		schedule(eng);
		return;
	}
	case PH_UNLOAD:
		job->phase = PH_MOVE_HOME;
		m->state = MEDIA_UNLOADING;
		break;
	default:
		break;
	}
	job_advance(eng, job);
}

/* Starts the job's current phase. */
static void job_advance(struct rsm_engine *eng, struct job *job)
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
	case PH_EVICT_MOVE:
	case PH_MOVE_IN:
	case PH_MOVE_HOME:
	case PH_EJECT_MOVE:
	case PH_INJECT_MOVE:
		robot_acquire(eng, job);
		break;
	default:
		break;
	}
}

/* ---- choosing work ---- */

static bool drive_usable(const struct drive *d)
{
	return d->enabled && d->state != DRIVE_FAILED && d->state != DRIVE_DISABLED;
}

/* The drive for a mount of a medium in a slot: empty first, then the least recently used
 * dismountable one.  NO_INDEX when none is free now. */
static int choose_drive(struct rsm_engine *eng, struct library *l)
{
	int best = NO_INDEX;

	for (int i = 0; i < l->ndrives; i++) {
		struct drive *d = &eng->drives[l->drive_index[i]];
		if (drive_usable(d) && !d->job && d->state == DRIVE_EMPTY)
			return l->drive_index[i];
	}
	for (int i = 0; i < l->ndrives; i++) {
		struct drive *d = &eng->drives[l->drive_index[i]];
		if (!drive_usable(d) || d->job || d->state != DRIVE_DISMOUNTABLE)
			continue;
		if (best == NO_INDEX || d->last_used < eng->drives[best].last_used)
			best = l->drive_index[i];
	}
	return best;
}

static enum attempt block(struct rsm_engine *eng, struct request *r, rsm_err if_no_wait,
			  const char *why)
{
	if (r->options & RSM_MOUNT_ERROR_NOT_AVAILABLE) {
		request_finish(eng, r, REQ_FAILED, if_no_wait, why);
		return FINISHED;
	}
	request_set_state(eng, r, REQ_WAITING, ERROR_SUCCESS);
	return BLOCKED;
}

static enum attempt try_mount(struct rsm_engine *eng, struct request *r)
{
	struct medium *m = &eng->media[r->medium];
	struct library *l = &eng->libraries[m->library];
	int target;

	if (m->busy)
		return block(eng, r, ERROR_BUSY, "the medium is being moved");
	if (!m->enabled) {
		request_finish(eng, r, REQ_FAILED, ERROR_RESOURCE_DISABLED, "the medium is disabled");
		return FINISHED;
	}
	if (!l->enabled) {
		request_finish(eng, r, REQ_FAILED, ERROR_RESOURCE_DISABLED, "the library is disabled");
		return FINISHED;
	}
	if (m->loc == LOC_OFFLINE || m->loc == LOC_PORT) {
		if (r->options & RSM_MOUNT_ERROR_OFFLINE) {
			request_finish(eng, r, REQ_FAILED, ERROR_MEDIA_OFFLINE,
				       "the medium is not in a storage slot");
			return FINISHED;
		}
		request_set_state(eng, r, REQ_WAITING, ERROR_SUCCESS);
		return BLOCKED;
	}
	if (r->specific_drive) {
		struct drive *d = &eng->drives[r->drive];
		if (!drive_usable(d)) {
			request_finish(eng, r, REQ_FAILED, ERROR_DEVICE_NOT_AVAILABLE,
				       "the drive is disabled or failed");
			return FINISHED;
		}
	}
	if (m->loc == LOC_DRIVE) {
		struct drive *d = &eng->drives[m->loc_addr];
		if (d->state == DRIVE_MOUNTED) {
			if (d->session == r->session) {
				r->drive = m->loc_addr;
				request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
				return FINISHED;
			}
			return block(eng, r, ERROR_BUSY, "the medium is mounted by another session");
		}
		if (d->state == DRIVE_DISMOUNTABLE && !d->job &&
		    (!r->specific_drive || r->drive == m->loc_addr)) {
			/* a deferred-dismounted medium: taken in place, no robot move */
			d->state = DRIVE_MOUNTED;
			d->session = r->session;
			d->mounts++;
			d->last_used = ++eng->lru_clock;
			m->state = MEDIA_MOUNTED;
			l->mounts++;
			r->drive = m->loc_addr;
			r->started = wall_now();
			save_and_emit(eng, d, m);
			request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
			return FINISHED;
		}
		if (d->job)
			return block(eng, r, ERROR_BUSY, "the drive holding the medium is busy");
	}
	if (r->specific_drive) {
		struct drive *d = &eng->drives[r->drive];
		if (d->job || d->state == DRIVE_MOUNTED || d->state == DRIVE_CLEANING)
			return block(eng, r, ERROR_BUSY, "the drive is in use");
		target = r->drive;
	} else {
		target = choose_drive(eng, l);
		if (target == NO_INDEX)
			return block(eng, r, ERROR_BUSY, "every drive is in use");
	}

	struct drive *d = &eng->drives[target];
	struct job *job = job_new(eng, r, m->library, target, r->medium, PH_MOVE_IN);
	if (!job)
		return FINISHED;
	job->evict = d->medium;
	r->drive = target;
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	d->job = job;
	m->busy = r;
	m->state = MEDIA_LOADING;
	if (m->loc == LOC_DRIVE)
		source_drive_claim(eng, m, job);
	if (job->evict != NO_INDEX) {
		struct medium *ev = &eng->media[job->evict];
		ev->state = MEDIA_UNLOADING;
		d->state = DRIVE_UNLOADING;
		job->phase = PH_EVICT_UNLOAD;
		save_and_emit(eng, NULL, ev);
	} else {
		d->state = DRIVE_LOADING;
	}
	save_and_emit(eng, d, m);
	job_advance(eng, job);
	return STARTED;
}

static enum attempt try_dismount(struct rsm_engine *eng, struct request *r)
{
	struct medium *m = &eng->media[r->medium];
	struct drive *d;

	if (m->busy || m->loc != LOC_DRIVE) {
		if (m->busy)
			return BLOCKED; /* its own mount is still travelling; wait for it */
		request_finish(eng, r, REQ_FAILED, ERROR_INVALID_STATE, "the medium is not in a drive");
		return FINISHED;
	}
	d = &eng->drives[m->loc_addr];
	if (d->job)
		return BLOCKED;
	r->drive = m->loc_addr;
	if (r->options & RSM_DISMOUNT_DEFERRED) {
		d->state = DRIVE_DISMOUNTABLE;
		d->session = NO_INDEX;
		d->last_used = ++eng->lru_clock;
		m->state = MEDIA_DISMOUNTABLE;
		r->started = wall_now();
		save_and_emit(eng, d, m);
		request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
		return FINISHED;
	}
	struct job *job = job_new(eng, r, m->library, m->loc_addr, r->medium, PH_UNLOAD);
	if (!job)
		return FINISHED;
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	d->job = job;
	d->state = DRIVE_UNLOADING;
	d->session = NO_INDEX;
	m->busy = r;
	m->state = MEDIA_UNLOADING;
	save_and_emit(eng, d, m);
	job_advance(eng, job);
	return STARTED;
}

/* Eject: the medium goes from its slot (or a dismountable drive) to the request's port. */
static enum attempt try_eject(struct rsm_engine *eng, struct request *r)
{
	struct medium *m = &eng->media[r->medium];
	struct library *l = &eng->libraries[m->library];
	int port = r->port;

	if (m->busy)
		return BLOCKED;
	if (m->loc == LOC_DRIVE) {
		struct drive *d = &eng->drives[m->loc_addr];
		if (d->state == DRIVE_MOUNTED) {
			request_finish(eng, r, REQ_FAILED, ERROR_UNABLE_TO_EJECT_MOUNTED_MEDIA,
				       "the medium is mounted");
			return FINISHED;
		}
		if (d->job)
			return BLOCKED;
	} else if (m->loc != LOC_SLOT) {
		request_finish(eng, r, REQ_FAILED, ERROR_MEDIA_OFFLINE, "the medium is not in a slot");
		return FINISHED;
	}
	if (port < 0)
		port = first_free(l->port_medium, l->nports);
	if (port < 0 || l->port_medium[port] != NO_INDEX) {
		request_finish(eng, r, REQ_FAILED, ERROR_IEPORT_FULL, "no empty port");
		return FINISHED;
	}
	struct job *job = job_new(eng, r, m->library, NO_INDEX, r->medium, PH_EJECT_MOVE);
	if (!job)
		return FINISHED;
	job->port = port;
	/* the port is promised to this cartridge from now on */
	l->port_medium[port] = r->medium;
	if (m->loc == LOC_DRIVE)
		source_drive_claim(eng, m, job);
	m->busy = r;
	m->state = MEDIA_UNLOADING;
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	save_and_emit(eng, NULL, m);
	job_advance(eng, job);
	return STARTED;
}

/* Inject: each cartridge in the request's port (or in every port) goes to a free slot; the
 * request passes when the ports it covers are empty. */
static enum attempt try_inject(struct rsm_engine *eng, struct request *r)
{
	struct library *l = &eng->libraries[r->library];

	for (int p = 0; p < l->nports; p++) {
		int mi = l->port_medium[p];
		if ((r->port >= 0 && p != r->port) || mi == NO_INDEX)
			continue;
		if (eng->media[mi].busy)
			return BLOCKED;
		int slot = first_free(l->slot_medium, l->nslots);
		if (slot < 0) {
			request_finish(eng, r, REQ_FAILED, ERROR_LIBRARY_FULL, "no free slot");
			return FINISHED;
		}
		struct job *job = job_new(eng, r, r->library, NO_INDEX, mi, PH_INJECT_MOVE);
		if (!job)
			return FINISHED;
		job->port = p;
		job->slot = slot;
		l->slot_medium[slot] = mi; /* promised */
		eng->media[mi].busy = r;
		r->medium = mi;
		if (r->state != REQ_INPROCESS)
			request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
		job_advance(eng, job);
		return STARTED; /* one cartridge at a time; the rest after this move */
	}
	request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
	return FINISHED;
}

static int pending_order(const void *a, const void *b)
{
	const struct request *x = *(struct request *const *)a, *y = *(struct request *const *)b;

	if ((x->op == OP_DISMOUNT) != (y->op == OP_DISMOUNT))
		return x->op == OP_DISMOUNT ? -1 : 1;
	if (x->priority != y->priority)
		return y->priority - x->priority;
	return x->number < y->number ? -1 : x->number > y->number;
}

/* Starts every pending request that can start now. */
void schedule(struct rsm_engine *eng)
{
	size_t n = 0;
	struct request **pending;

	if (eng->stopping)
		return;
	pending = malloc(sizeof(*pending) * (eng->nrequests ? eng->nrequests : 1));
	if (!pending)
		return;
	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (r->state == REQ_QUEUED || r->state == REQ_WAITING)
			pending[n++] = r;
	}
	qsort(pending, n, sizeof(*pending), pending_order);
	for (size_t i = 0; i < n; i++) {
		struct request *r = pending[i];
		if (r->state != REQ_QUEUED && r->state != REQ_WAITING)
			continue;
		if (r->op == OP_MOUNT)
			try_mount(eng, r);
		else if (r->op == OP_DISMOUNT)
			try_dismount(eng, r);
		else if (r->op == OP_EJECT)
			try_eject(eng, r);
		else if (r->op == OP_INJECT)
			try_inject(eng, r);
	}
	free(pending);
}

/* A blocking mount's time-out: a request that has not started is cancelled. */
void scheduler_timeout(struct rsm_engine *eng, void *arg)
{
	struct request *r = arg;

	if (r->state == REQ_QUEUED || r->state == REQ_WAITING)
		request_finish(eng, r, REQ_CANCELLED, ERROR_TIMEOUT,
			       "the time-out expired before the medium was mounted");
}

/* A closed session's mounted media stay in their drives, dismountable. */
void session_release_media(struct rsm_engine *eng, int session)
{
	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		if (d->session != session)
			continue;
		d->session = NO_INDEX;
		if (d->state == DRIVE_MOUNTED && d->medium >= 0) {
			struct medium *m = &eng->media[d->medium];
			d->state = DRIVE_DISMOUNTABLE;
			m->state = MEDIA_DISMOUNTABLE;
			save_and_emit(eng, d, m);
		}
	}
}
