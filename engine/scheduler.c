/* scheduler.c - the request queue: which pending request runs next, and on which drive.
 *
 * Pending requests run in order: dismounts before everything else, then higher priority,
 * then FIFO.  A mount takes the drive already holding its medium (dismountable), else an
 * empty enabled drive, else waits for one a dismount is emptying, else evicts the dismountable
 * medium the policy picks (policy.c: the least popular).  Work that
 * needs a person (an offline medium, a missing cleaner) raises an operator request and waits
 * for it; work that needs the robot waits while the door is open or the robot is jammed.
 * The phases of what starts here are in jobs.c.  A standalone library has a person for a
 * robot: a mount of a cartridge on its shelf waits for the operator to put it in the drive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "jobs.h"
#include "notify.h"
#include "requests.h"

/* ---- choosing work ---- */

/* Whether host is one of the lines of list (a drive's hosts). */
static bool host_listed(const char *list, const char *host)
{
	size_t n = strlen(host);

	for (const char *p = list; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		if (strncmp(p, host, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* Whether drive d can serve request r's caller: one this host reaches for its own sessions;
 * for another host's session (a site), one that host has a device for (drives/<d>/hosts). */
static bool drive_serves(const struct rsm_engine *eng, const struct drive *d,
			 const struct request *r)
{
	const struct session *s = r->session >= 0 ? &eng->sessions[r->session] : NULL;

	if (!s || !s->remote)
		return drive_usable(d);
	return d->enabled && !d->failed && d->state != DRIVE_DISABLED &&
	       host_listed(d->hosts, s->host);
}

/* Whether r is still this host's to start.  In a site another host may have cancelled it:
 * its row is locked until the batch commits, so a cancel from now on waits and then finds it
 * started; one that came first leaves it pending here until its row is followed. */
static bool claimed(struct rsm_engine *eng, struct request *r)
{
	return catalog_claim_request(eng, r) == 1;
}

/* The drive for a mount of a medium in a slot: an empty one first; else one a dismount is
 * emptying, which is no slower to wait for than an eviction and keeps a dismountable medium
 * in its drive; else the one whose dismountable medium the policy evicts (policy.c).
 * NO_INDEX when none is free now. */
static int choose_drive(struct rsm_engine *eng, struct library *l, const struct request *r)
{
	for (int i = 0; i < l->ndrives; i++) {
		struct drive *d = &eng->drives[l->drive_index[i]];
		if (drive_serves(eng, d, r) && !d->job && d->state == DRIVE_EMPTY)
			return l->drive_index[i];
	}
	if (l->emptying_free > 0) {
		l->emptying_free--;
		return NO_INDEX;
	}
	int victim = eviction_victim(eng, l);
	return victim != NO_INDEX && drive_serves(eng, &eng->drives[victim], r) ? victim : NO_INDEX;
}

enum attempt block(struct rsm_engine *eng, struct request *r, rsm_err if_no_wait, const char *why)
{
	if (r->options & RSM_MOUNT_ERROR_NOT_AVAILABLE) {
		request_finish(eng, r, REQ_FAILED, if_no_wait, why);
		return FINISHED;
	}
	request_set_state(eng, r, REQ_WAITING, ERROR_SUCCESS);
	return BLOCKED;
}

/* Starts a job that brings cartridge m into drive d (a mount, or a cleaning): a medium left
 * in the drive (job->evict) is unloaded and put away first. */
static enum attempt start_into_drive(struct rsm_engine *eng, struct request *r, struct job *job,
				     struct drive *d, struct medium *m)
{
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	d->job = job;
	m->busy = r;
	m->state = MEDIA_LOADING;
	if (m->loc == LOC_DRIVE)
		source_drive_claim(eng, m, job); /* taken from another drive, dismountable */
	if (job->evict != NO_INDEX) {
		struct medium *ev = &eng->media[job->evict];
		ev->state = MEDIA_UNLOADING;
		d->state = DRIVE_UNLOADING;
		job->phase = PH_EVICT_UNLOAD;
		save_and_emit(eng, NULL, ev);
	} else {
		d->state = job->clean ? DRIVE_CLEANING : DRIVE_LOADING;
	}
	save_and_emit(eng, d, m);
	job_advance(eng, job);
	return STARTED;
}

/* A mount of a medium already in a drive: taken in place when it is dismountable there (no
 * robot move), done when this session has it there; FINISHED, BLOCKED, or STARTED when it
 * must travel (a move to the specific drive asked for). */
static enum attempt mount_in_drive(struct rsm_engine *eng, struct request *r, struct medium *m)
{
	struct library *l = &eng->libraries[m->library];
	struct drive *d = &eng->drives[m->loc_addr];
	/* a drive the caller's host has no device for is no use to it: the medium moves */
	bool elsewhere = (r->specific_drive && r->drive != m->loc_addr) || !drive_serves(eng, d, r);

	if (d->failed)
		return block(eng, r, ERROR_BUSY, "the drive holding the medium has failed");
	if (d->state == DRIVE_MOUNTED) {
		if (d->session != r->session)
			return block(eng, r, ERROR_BUSY,
				     "the medium is mounted by another session");
		if (elsewhere) {
			/* drive= is strict: the session must dismount it from the other drive */
			char why[128];
			snprintf(why, sizeof(why), "the session has the medium mounted in drive %s",
				 d->name);
			request_finish(eng, r, REQ_FAILED, ERROR_BUSY, why);
			return FINISHED;
		}
		r->drive = m->loc_addr;
		if (r->vdrive != NO_INDEX && r->vdrive != d->vdrive) {
			drive_hold(eng, d, r->session, r->vdrive); /* the virtual drive asked for */
			save_and_emit(eng, d, NULL);
		}
		request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
		return FINISHED;
	}
	if (d->job)
		return block(eng, r, ERROR_BUSY, "the drive holding the medium is busy");
	if (d->state != DRIVE_DISMOUNTABLE || elsewhere)
		return STARTED; /* it moves to the drive asked for */
	if (!claimed(eng, r))
		return BLOCKED;
	/* a deferred-dismounted medium: taken in place, no robot move */
	d->state = DRIVE_MOUNTED;
	drive_hold(eng, d, r->session, r->vdrive);
	d->mounts++;
	d->last_used = ++eng->lru_clock;
	m->state = MEDIA_MOUNTED;
	library_count_mount(l, 0);
	l->hits++;
	r->drive = m->loc_addr;
	r->started = wall_now();
	catalog_save_counters(eng, l);
	save_and_emit(eng, d, m);
	request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
	return FINISHED;
}

/* The drive a mount goes to: the one asked for, or the scheduler's choice; NO_INDEX (the
 * request blocked) when none is free. */
static int mount_target(struct rsm_engine *eng, struct request *r, struct library *l)
{
	if (r->specific_drive) {
		struct drive *d = &eng->drives[r->drive];
		if (d->job || d->state == DRIVE_MOUNTED || d->state == DRIVE_CLEANING) {
			block(eng, r, ERROR_BUSY, "the drive is in use");
			return NO_INDEX;
		}
		return r->drive;
	}
	int target = choose_drive(eng, l, r);
	if (target == NO_INDEX)
		block(eng, r, ERROR_BUSY, "every drive is in use");
	return target;
}

static enum attempt try_mount(struct rsm_engine *eng, struct request *r)
{
	struct medium *m = &eng->media[r->medium];
	struct library *l = &eng->libraries[m->library];
	/* a standalone drive's cartridge comes from the shelf, by the operator's hand */
	bool by_hand = library_standalone(l) && m->loc == LOC_OFFLINE;

	if (m->busy)
		return block(eng, r, ERROR_BUSY, "the medium is being moved");
	if (!m->enabled) {
		request_finish(eng, r, REQ_FAILED, ERROR_RESOURCE_DISABLED,
			       "the medium is disabled");
		return FINISHED;
	}
	if (!l->enabled) {
		request_finish(eng, r, REQ_FAILED, ERROR_RESOURCE_DISABLED,
			       "the library is disabled");
		return FINISHED;
	}
	if (m->loc == LOC_OFFLINE || (m->loc == LOC_PORT && !r->opreq_satisfied)) {
		if (r->options & RSM_MOUNT_ERROR_OFFLINE) {
			request_finish(eng, r, REQ_FAILED, ERROR_MEDIA_OFFLINE,
				       "the medium is not in a storage slot");
			return FINISHED;
		}
		if (!by_hand) {
			request_wait_for_operator(eng, r, OPREQ_MOVEMEDIA);
			return BLOCKED;
		}
	}
	if (r->specific_drive && !drive_usable(&eng->drives[r->drive])) {
		request_finish(eng, r, REQ_FAILED, ERROR_DEVICE_NOT_AVAILABLE,
			       "the drive is disabled or failed");
		return FINISHED;
	}
	if (m->loc == LOC_DRIVE) {
		enum attempt a = mount_in_drive(eng, r, m);
		if (a != STARTED)
			return a;
	}
	if (!robot_can_move(l))
		return block(eng, r, ERROR_BUSY, "the robot cannot move: door open or jammed");
	int target = mount_target(eng, r, l);
	if (target == NO_INDEX)
		return BLOCKED;
	if (by_hand && !r->opreq_satisfied) {
		/* the operator is asked once a drive can take it */
		request_wait_for_operator(eng, r, OPREQ_MOVEMEDIA);
		return BLOCKED;
	}
	if (!claimed(eng, r))
		return BLOCKED;
	struct drive *d = &eng->drives[target];
	struct job *job = job_new(eng, r, m->library, target, r->medium, PH_MOVE_IN);
	if (!job)
		return FINISHED;
	job->evict = d->medium;
	r->drive = target;
	return start_into_drive(eng, r, job, d, m);
}

/* Whether a mount of medium mi waits in the queue. */
static bool mount_waits_for(const struct rsm_engine *eng, int mi)
{
	return eng->media[mi].mounts_waiting > 0;
}

static enum attempt try_dismount(struct rsm_engine *eng, struct request *r)
{
	struct medium *m = &eng->media[r->medium];
	struct drive *d;

	if (m->busy || m->loc != LOC_DRIVE) {
		if (m->busy)
			return BLOCKED; /* its own mount is still travelling; wait for it */
		request_finish(eng, r, REQ_FAILED, ERROR_INVALID_STATE,
			       "the medium is not in a drive");
		return FINISHED;
	}
	d = &eng->drives[m->loc_addr];
	if (d->job || !claimed(eng, r))
		return BLOCKED;
	r->drive = m->loc_addr;
	/* a mount waiting for the medium takes it where it is: sending it home and back would
	 * cost two robot moves (and a standalone drive's operator two trips) for nothing */
	if ((r->options & RSM_DISMOUNT_DEFERRED) || mount_waits_for(eng, r->medium)) {
		d->state = DRIVE_DISMOUNTABLE;
		drive_hold(eng, d, NO_INDEX, NO_INDEX);
		d->last_used = ++eng->lru_clock;
		m->state = MEDIA_DISMOUNTABLE;
		r->started = wall_now();
		save_and_emit(eng, d, m);
		request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
		return FINISHED;
	}
	if (!robot_can_move(&eng->libraries[m->library]))
		return BLOCKED;
	struct job *job = job_new(eng, r, m->library, m->loc_addr, r->medium, PH_UNLOAD);
	if (!job)
		return FINISHED;
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	d->job = job;
	d->state = DRIVE_UNLOADING;
	drive_hold(eng, d, NO_INDEX, NO_INDEX);
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
		if (d->failed)
			return block(eng, r, ERROR_BUSY, "the drive holding the medium has failed");
		if (d->state == DRIVE_MOUNTED) {
			request_finish(eng, r, REQ_FAILED, ERROR_UNABLE_TO_EJECT_MOUNTED_MEDIA,
				       "the medium is mounted");
			return FINISHED;
		}
		if (d->job)
			return BLOCKED;
	} else if (m->loc != LOC_SLOT) {
		request_finish(eng, r, REQ_FAILED, ERROR_MEDIA_OFFLINE,
			       "the medium is not in a slot");
		return FINISHED;
	}
	if (!robot_can_move(l))
		return BLOCKED;
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
enum attempt try_inject(struct rsm_engine *eng, struct request *r)
{
	struct library *l = &eng->libraries[r->library];

	if (!robot_can_move(l) && r->state != REQ_INPROCESS)
		return BLOCKED;

	for (int p = 0; p < l->nports; p++) {
		int mi = l->port_medium[p];
		if ((r->port >= 0 && p != r->port) || mi == NO_INDEX)
			continue;
		if (eng->media[mi].busy)
			return BLOCKED;
		int slot = free_slot(l);
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

/* A cleaner cartridge of library li that is in a slot and free, or NO_INDEX. */
static int find_cleaner(struct rsm_engine *eng, int li)
{
	for (int i = 0; i < eng->nmedia; i++) {
		struct medium *m = &eng->media[i];
		if (m->library == li && m->loc == LOC_SLOT && m->enabled && !m->busy &&
		    strcmp(eng->pools[m->pool].type, "cleaner") == 0)
			return i;
	}
	return NO_INDEX;
}

/* The operator cleaned the drive by hand (a satisfied cleaner request with no cartridge). */
static enum attempt clean_by_hand(struct rsm_engine *eng, struct request *r, struct drive *d)
{
	d->cleanings++;
	rsm_format_time(wall_now(), d->last_cleaned, sizeof(d->last_cleaned));
	save_and_emit(eng, d, NULL);
	request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, "cleaned by the operator");
	return FINISHED;
}

/* Clean: a cleaner cartridge goes into the drive (evicting a dismountable medium first),
 * works, and goes back to its slot. */
static enum attempt try_clean(struct rsm_engine *eng, struct request *r)
{
	struct drive *d = &eng->drives[r->drive];
	struct library *l = &eng->libraries[d->library];

	if (d->failed) {
		request_finish(eng, r, REQ_FAILED, ERROR_UNABLE_TO_CLEAN, "the drive has failed");
		return FINISHED;
	}
	if (d->job || d->state == DRIVE_MOUNTED || !robot_can_move(l))
		return block(eng, r, ERROR_BUSY, "the drive is in use");
	int ci = find_cleaner(eng, d->library);
	if (ci == NO_INDEX) {
		if (r->opreq_satisfied)
			return clean_by_hand(eng, r, d);
		request_wait_for_operator(eng, r, OPREQ_CLEANER);
		return BLOCKED;
	}
	struct medium *c = &eng->media[ci];
	struct job *job = job_new(eng, r, d->library, r->drive, ci, PH_MOVE_IN);
	if (!job)
		return FINISHED;
	job->clean = true;
	job->evict = d->medium;
	r->medium = ci;
	return start_into_drive(eng, r, job, d, c);
}

/* Inventory: the robot scans the library (fast: barcodes only, one pass; full: every
 * element in turn), then the catalog takes what the changer reports. */
static enum attempt try_inventory(struct rsm_engine *eng, struct request *r)
{
	struct library *l = &eng->libraries[r->library];

	if (!robot_can_move(l))
		return BLOCKED;
	struct job *job = job_new(eng, r, r->library, NO_INDEX, NO_INDEX, PH_INVENTORY);
	if (!job)
		return FINISHED;
	l->inventorying = true;
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	emit_library(eng, l);
	job_advance(eng, job);
	return STARTED;
}

/* Door: unlocked for the operator once the robot is idle; the robot stays still until the
 * operator closes it again. */
static enum attempt try_door(struct rsm_engine *eng, struct request *r)
{
	struct library *l = &eng->libraries[r->library];

	if (l->robot_busy || l->robot_queue)
		return BLOCKED;
	snprintf(l->door, sizeof(l->door), "open");
	r->started = wall_now();
	if (catalog_save_library(eng, l) != ERROR_SUCCESS) {
		snprintf(l->door, sizeof(l->door), "closed");
		request_finish(eng, r, REQ_FAILED, ERROR_DATABASE_FAILURE, NULL);
		return FINISHED;
	}
	if (l->ops && l->ops->door)
		l->ops->door(eng, r->library, true);
	emit_door(eng, l);
	emit_library(eng, l);
	request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
	return FINISHED;
}

/* Move: a cartridge at rest in a slot goes to another, empty one (r->port holds the slot),
 * which is its home from then on. */
static enum attempt try_move(struct rsm_engine *eng, struct request *r)
{
	struct medium *m = &eng->media[r->medium];
	struct library *l = &eng->libraries[m->library];
	int slot = r->port;

	if (m->busy)
		return BLOCKED;
	if (m->loc != LOC_SLOT) {
		request_finish(eng, r, REQ_FAILED, ERROR_INVALID_STATE,
			       "the medium is not in a slot");
		return FINISHED;
	}
	if (m->loc_addr == slot) {
		request_finish(eng, r, REQ_PASSED, ERROR_SUCCESS, NULL);
		return FINISHED;
	}
	if (l->slot_medium[slot] != NO_INDEX) {
		request_finish(eng, r, REQ_FAILED, ERROR_INVALID_STATE, "the slot is not empty");
		return FINISHED;
	}
	if (!robot_can_move(l))
		return BLOCKED;
	struct job *job = job_new(eng, r, m->library, NO_INDEX, r->medium, PH_SLOT_MOVE);
	if (!job)
		return FINISHED;
	job->slot = slot;
	l->slot_medium[slot] = r->medium; /* promised */
	m->busy = r;
	request_set_state(eng, r, REQ_INPROCESS, ERROR_SUCCESS);
	job_advance(eng, job);
	return STARTED;
}

/* What each kind of pending request tries; enable and disable finish when submitted. */
static enum attempt (*const attempts[])(struct rsm_engine *, struct request *) = {
    [OP_MOUNT] = try_mount, [OP_DISMOUNT] = try_dismount, [OP_INJECT] = try_inject,
    [OP_EJECT] = try_eject, [OP_CLEAN] = try_clean,	  [OP_INVENTORY] = try_inventory,
    [OP_DOOR] = try_door,   [OP_ALLOCATE] = try_allocate, [OP_MOVE] = try_move,
};

static int pending_order(const void *a, const void *b)
{
	const struct request *x = *(struct request *const *)a, *y = *(struct request *const *)b;

	if ((x->op == OP_DISMOUNT) != (y->op == OP_DISMOUNT))
		return x->op == OP_DISMOUNT ? -1 : 1;
	if (x->priority != y->priority)
		return y->priority - x->priority;
	return x->number < y->number ? -1 : x->number > y->number;
}

/* Whether r's library is this host's to schedule: in a site, another host's library is its
 * manager's, which takes the request from the catalog's queue (rsmfs(8), SEVERAL HOSTS). */
static bool scheduled_here(const struct rsm_engine *eng, const struct request *r)
{
	int li = r->library;

	if (li < 0 && r->medium >= 0)
		li = eng->media[r->medium].library;
	return li < 0 || li >= eng->nlibraries || eng->libraries[li].managed;
}

/* Whether r needs its library's changer, and the changer does not answer. */
static bool needs_changer(struct rsm_engine *eng, const struct request *r)
{
	int li = r->library;

	if (r->op == OP_ALLOCATE || r->op == OP_DOOR)
		return false;
	if (li < 0 && r->medium >= 0)
		li = eng->media[r->medium].library;
	return li >= 0 && li < eng->nlibraries && eng->libraries[li].present &&
	       !eng->libraries[li].reachable;
}

/* Starts every pending request that can start now. */
void schedule(struct rsm_engine *eng)
{
	size_t n = 0;
	struct request **pending;

	if (eng->stopping)
		return;
	pending = malloc(sizeof(*pending) * (eng->pending.count ? eng->pending.count : 1));
	if (!pending)
		return;
	for (int i = 0; i < eng->nlibraries; i++)
		eng->libraries[i].emptying_free = drives_emptying(eng, &eng->libraries[i]);
	for (struct request *r = eng->pending.head; r; r = r->list_next)
		pending[n++] = r;
	qsort(pending, n, sizeof(*pending), pending_order);
	for (size_t i = 0; i < n; i++) {
		struct request *r = pending[i];
		if (!request_pending(r) || !scheduled_here(eng, r))
			continue;
		if (needs_changer(eng, r)) {
			/* a real changer that stopped answering: wait for it to come back */
			block(eng, r, ERROR_LIBRARY_OFFLINE, "the library is offline");
			continue;
		}
		if ((size_t)r->op < ARRAY_SIZE(attempts) && attempts[r->op])
			attempts[r->op](eng, r);
	}
	free(pending);
}

/* A closed session's mounted media stay in their drives, dismountable. */
void session_release_media(struct rsm_engine *eng, int session)
{
	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		if (d->session != session)
			continue;
		if (!eng->libraries[d->library].managed) {
			d->session = NO_INDEX; /* its manager releases it, and says so */
			continue;
		}
		drive_hold(eng, d, NO_INDEX, NO_INDEX);
		if (d->state == DRIVE_MOUNTED && d->medium >= 0) {
			struct medium *m = &eng->media[d->medium];
			d->state = DRIVE_DISMOUNTABLE;
			m->state = MEDIA_DISMOUNTABLE;
			save_and_emit(eng, d, m);
		}
	}
}

/* ---- deferred dismounts that outstay their library's delay ---- */

/* Whether drive d holds a medium left dismountable that nothing else is doing anything with. */
static bool idle_dismountable(const struct rsm_engine *eng, const struct drive *d)
{
	return d->state == DRIVE_DISMOUNTABLE && !d->job && d->medium >= 0 &&
	       !eng->media[d->medium].busy;
}

/* The dismountable media past their library's dismount_delay go home: a dismount request
 * each (no session's), which the scheduler runs like any other. */
static void dismount_expired(struct rsm_engine *eng, void *arg)
{
	double now = mono_now();

	(void)arg;
	eng->dismount_due = 0;
	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		const struct library *l = &eng->libraries[d->library];
		if (!idle_dismountable(eng, d) || d->going_home || !d->dismountable_since ||
		    d->dismountable_since + l->dismount_delay > now || !l->managed)
			continue; /* another host's library (a site) is its manager's to tidy */
		drive_send_home(eng, d);
	}
}

/* Whether a dismount of medium mi waits in the queue. */
static bool dismount_queued(const struct rsm_engine *eng, int mi)
{
	for (const struct request *r = eng->pending.head; r; r = r->list_next)
		if (r->op == OP_DISMOUNT && r->medium == mi)
			return true;
	return false;
}

void dismount_delays_watch(struct rsm_engine *eng)
{
	double now = mono_now(), due = 0;

	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		if (!idle_dismountable(eng, d)) {
			d->dismountable_since = 0;
			d->going_home = false;
			continue;
		}
		if (d->going_home && !dismount_queued(eng, d->medium)) {
			/* its dismount ended without it (refused, cancelled): a new delay */
			d->going_home = false;
			d->dismountable_since = 0;
		}
		if (!d->dismountable_since)
			d->dismountable_since = now;
		double at = d->dismountable_since + eng->libraries[d->library].dismount_delay;
		if (!d->going_home && (!due || at < due))
			due = at;
	}
	if (due == eng->dismount_due)
		return;
	timer_cancel_arg(&eng->rt, &eng->dismount_due);
	eng->dismount_due = due;
	if (due)
		timer_add(&eng->rt, due - now, dismount_expired, &eng->dismount_due);
}
