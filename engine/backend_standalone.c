/* backend_standalone.c - a standalone drive (a library of type standalone): one drive, no
 * slots, no robot.  Its cartridges wait on a shelf, and the operator is its robot: a mount
 * asks for the cartridge (the scheduler's movemedia operator request), a dismount asks for it
 * to be taken out (an operator request of the step's own).
 *
 * The drive is simulated (its content kept in a record, sim_table.h, and sim/ctl's insert and
 * remove as the operator's hands) or real (drive.0 in the configuration, no changer): once the
 * operator says the cartridge is in, the drive's readiness is checked (the sim: the cartridge
 * is there and it is the one asked for; a real drive: TEST UNIT READY), and a wrong or missing
 * cartridge fails the mount with ERROR_INVALID_MEDIA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "catalog.h"
#include "changer.h"
#include "notify.h"
#include "requests.h"
#include "sim_table.h"
#include "tape.h"

#define QUEUE 8 /* the real drive's commands waiting for its thread */

struct standalone {
	struct rsm_engine *eng;
	int li;
	bool sim;		/* a simulated drive; else a real one at device */
	struct sim_table table; /* the sim: what is in the drive (one drive, no slots) */
	double load_time, unload_time;
	char device[256]; /* a real drive's address */
	/* a real drive: commands (TEST UNIT READY, UNLOAD) are sent by a thread of its own */
	pthread_t thread;
	pthread_cond_t cond;
	bool started, quit;
	struct step *queue[QUEUE];
	int queued;
};

static struct standalone *sa_of(struct rsm_engine *eng, int li)
{
	return eng->libraries[li].backend_state;
}

/* The configured device of drive 0: the first "<n> <device>" line. */
static void configured_device(const struct rsm_library_config *c, char buf[256])
{
	int n;

	if (sscanf(c->drive_devices, "%d %255s", &n, buf) != 2)
		buf[0] = '\0';
}

/* A new standalone library: its one drive and, for a sim, its scratch cartridges on the
 * shelf. */
static int sa_create(struct rsm_engine *eng, int li, const struct rsm_library_config *c,
		     struct standalone *sa, char *err, size_t errlen)
{
	char barcode[RSM_NAME_MAX + 1];

	if (library_set_layout(eng, li, 0, 0) < 0 || !library_add_drive(eng, li))
		goto fail;
	for (int i = 0; sa->sim && i < c->media; i++) {
		sim_scratch_barcode(eng, c->media_type, barcode, sizeof(barcode));
		if (medium_create(eng, li, barcode, (struct place){LOC_OFFLINE, 0, false}, true) <
		    0)
			goto fail;
		if (sim_image_create(&sa->table, barcode) < 0) {
			snprintf(err, errlen, "cannot create the cartridge image of %s", barcode);
			return -1;
		}
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot write library %s to the catalog: %s", c->name,
		 catalog_error(eng));
	return -1;
}

static int sa_attach(struct rsm_engine *eng, int li, const struct rsm_library_config *c,
		     bool created, char *err, size_t errlen)
{
	struct library *l = &eng->libraries[li];
	struct standalone *sa = calloc(1, sizeof(*sa));
	pthread_condattr_t ca;

	if (!sa) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->backend_state = sa;
	l->reachable = true;
	sa->eng = eng;
	sa->li = li;
	sa->sim = strcmp(c->backend, "sim") == 0;
	sa->load_time = c->load_time;
	sa->unload_time = c->unload_time;
	configured_device(c, sa->device);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sa->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (sim_table_init(&sa->table, eng, l->name, 0, 0, 1, err, errlen) < 0 ||
	    (created && sa_create(eng, li, c, sa, err, errlen) < 0))
		return -1;
	if (!sa->sim) {
		struct drive *d = library_drive(eng, li, 0);
		if (d)
			snprintf(d->device, sizeof(d->device), "%s", sa->device);
		return 0;
	}
	if (sim_table_load(&sa->table) < 0)
		sim_table_from_model(&sa->table, eng, li); /* written by the reconcile */
	if (sim_table_tapes(&sa->table, c->capacity, c->media_type) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void sa_reconcile(struct rsm_engine *eng, int li)
{
	struct standalone *sa = sa_of(eng, li);

	if (sa->sim)
		sim_table_inventory(&sa->table, eng, li);
}

/* ---- the real drive's thread ---- */

/* Carries out a real drive's step without the lock: a readiness check before a mount, an
 * unload. */
static void sa_drive_command(const char *device, struct step *s, const bool *cancel)
{
	struct scsi_outcome o;

	if (s->kind == STEP_UNLOAD) {
		if (drive_unload(device, &o) < 0) {
			s->err = o.err;
			snprintf(s->detail, sizeof(s->detail), "%s", o.text);
		}
	} else if (drive_test_ready(device, &o, cancel) < 0) {
		s->err = ERROR_INVALID_MEDIA;
		snprintf(s->detail, sizeof(s->detail), "the drive holds no cartridge ready: %s",
			 o.text);
	}
}

static void *sa_thread(void *arg)
{
	struct standalone *sa = arg;
	struct rsm_engine *eng = sa->eng;
	char device[256];

	snprintf(device, sizeof(device), "%s", sa->device);
	engine_lock(eng);
	while (!sa->quit) {
		if (!sa->queued) {
			rt_settle(&eng->rt);
			if (!sa->queued && !sa->quit)
				pthread_cond_wait(&sa->cond, &eng->rt.lock);
			continue;
		}
		struct step *s = sa->queue[0];
		memmove(sa->queue, sa->queue + 1, sizeof(*sa->queue) * (size_t)--sa->queued);
		engine_unlock(eng);
		sa_drive_command(device, s, &sa->quit);
		engine_lock(eng);
		step_done(eng, s);
	}
	engine_unlock(eng);
	return NULL;
}

static void sa_start(struct rsm_engine *eng, int li)
{
	struct standalone *sa = sa_of(eng, li);

	if (sa && !sa->sim && pthread_create(&sa->thread, NULL, sa_thread, sa) == 0)
		sa->started = true;
}

static void sa_stop(struct rsm_engine *eng, int li)
{
	struct standalone *sa = sa_of(eng, li);

	if (!sa)
		return;
	if (sa->started) {
		engine_lock(eng);
		__atomic_store_n(&sa->quit, true, __ATOMIC_RELAXED); /* a readiness wait stops */
		pthread_cond_signal(&sa->cond);
		engine_unlock(eng);
		pthread_join(sa->thread, NULL);
	}
	pthread_cond_destroy(&sa->cond);
	sim_table_free(&sa->table);
	free(sa);
	eng->libraries[li].backend_state = NULL;
}

/* ---- steps ---- */

/* A step that ends once its time is up (the sim's drive) or at once. */
static void sa_step_ends(struct rsm_engine *eng, void *arg)
{
	step_done(eng, arg);
}

/* The sim drive's unload: it rewinds and ejects, the filemark owed written (tape_eject). */
static void sa_unload_ends(struct rsm_engine *eng, void *arg)
{
	struct step *s = arg;

	sim_table_eject(&sa_of(eng, s->library)->table, 0);
	step_done(eng, s);
}

static void sa_queue(struct rsm_engine *eng, struct standalone *sa, struct step *s)
{
	if (sa->queued == QUEUE) {
		s->err = ERROR_BUSY;
		snprintf(s->detail, sizeof(s->detail), "the drive has too many commands waiting");
		timer_add(&eng->rt, 0, sa_step_ends, s);
		return;
	}
	sa->queue[sa->queued++] = s;
	pthread_cond_signal(&sa->cond);
}

/* The sim's cartridge is now what the drive holds physically: the catalog follows. */
static void sa_follow(struct rsm_engine *eng, int li)
{
	sim_table_inventory(&sa_of(eng, li)->table, eng, li);
}

/* The move in of a wrong cartridge ended: once the mount has failed, the catalog learns what
 * the drive holds. */
static void sa_move_in_ends(struct rsm_engine *eng, void *arg)
{
	struct step *s = arg;
	int li = s->library;
	bool wrong = s->err == ERROR_INVALID_MEDIA;

	step_done(eng, s); /* s is gone from here on */
	if (wrong)
		sa_follow(eng, li);
}

/* The operator has put the medium in (a satisfied request): in the sim, the drive holds it
 * now unless it held another one already, which fails the mount. */
static void sa_move_in(struct rsm_engine *eng, struct standalone *sa, struct step *s)
{
	struct sim_cart *c = &sa->table.drive[0];
	const char *name = eng->media[s->medium].name;

	if (!sa->sim) {
		sa_queue(eng, sa, s); /* TEST UNIT READY decides */
		return;
	}
	if (c->name[0] && strcmp(c->name, name) != 0) {
		s->err = ERROR_INVALID_MEDIA;
		snprintf(s->detail, sizeof(s->detail), "the drive holds %s, not %s", c->name, name);
	} else if (!c->name[0]) {
		snprintf(c->name, sizeof(c->name), "%s", name);
		sim_table_write(&sa->table, eng, eng->libraries[s->library].name);
		sim_image_create(&sa->table, name);
	}
	timer_add(&eng->rt, 0, sa_move_in_ends, s);
}

/* The operator's answer to "take it out": the cartridge is on the shelf, or still in. */
static void sa_taken_out(struct rsm_engine *eng, struct step *s, rsm_err err)
{
	struct standalone *sa = sa_of(eng, s->library);

	if (err != ERROR_SUCCESS) {
		s->err = err;
		snprintf(s->detail, sizeof(s->detail), "the operator did not take %s out",
			 eng->media[s->medium].name);
	} else if (sa->sim) {
		sim_table_eject(&sa->table, 0);
		memset(&sa->table.drive[0], 0, sizeof(sa->table.drive[0]));
		sim_table_write(&sa->table, eng, eng->libraries[s->library].name);
	}
	step_done(eng, s);
}

/* The operator took it out as the mount's answered request said (ends from a timer, never
 * inside the step call). */
static void sa_taken_out_already(struct rsm_engine *eng, void *arg)
{
	sa_taken_out(eng, arg, ERROR_SUCCESS);
}

/* A cartridge leaves the drive for the shelf: done already when the operator answered the
 * mount that evicts it, else the operator is asked. */
static void sa_move_out(struct rsm_engine *eng, struct standalone *sa, struct step *s)
{
	const struct library *l = &eng->libraries[s->library];
	const struct drive *d = &eng->drives[s->from.addr];
	char msg[256];

	if (s->by_operator) {
		timer_add(&eng->rt, 0, sa_taken_out_already, s);
		return;
	}
	(void)sa;
	snprintf(msg, sizeof(msg), "take %s out of %s/%s and put it on the shelf",
		 eng->media[s->medium].name, l->name, d->name);
	if (!opreq_for_step(eng, s, s->request, s->library, msg, sa_taken_out)) {
		s->err = ERROR_DATABASE_FAILURE;
		snprintf(s->detail, sizeof(s->detail), "the operator request could not be kept");
		timer_add(&eng->rt, 0, sa_step_ends, s);
	}
}

/* A scan: the sim's drive as it is; a real drive has nothing to read. */
static void sa_scan(struct rsm_engine *eng, struct standalone *sa, struct step *s)
{
	if (sa->sim)
		sim_table_load(&sa->table); /* what a hand did behind the drive's back */
	s->corrections = sa->sim ? sim_table_inventory(&sa->table, eng, s->library) : 0;
	timer_add(&eng->rt, 0, sa_step_ends, s);
}

static void sa_step(struct rsm_engine *eng, struct step *s)
{
	struct standalone *sa = sa_of(eng, s->library);

	switch (s->kind) {
	case STEP_MOVE:
		if (s->to.loc == LOC_DRIVE)
			sa_move_in(eng, sa, s);
		else
			sa_move_out(eng, sa, s);
		break;
	case STEP_SCAN:
		sa_scan(eng, sa, s);
		break;
	case STEP_UNLOAD:
		if (s->by_operator) {
			/* the operator has taken it out already (and may have put the next one in:
			 * a real drive must not be told to unload that one) */
			timer_add(&eng->rt, 0, sa_step_ends, s);
		} else if (!sa->sim) {
			sa_queue(eng, sa, s);
		} else {
			timer_add(&eng->rt, sa->unload_time, sa_unload_ends, s);
		}
		break;
	default:
		timer_add(&eng->rt, sa->sim ? sa->load_time : 0, sa_step_ends, s);
	}
}

static void sa_drive_device(struct rsm_engine *eng, const struct drive *d, char *buf, size_t len)
{
	struct standalone *sa = sa_of(eng, d->library);

	if (!sa->sim)
		snprintf(buf, len, "%s", d->device);
	else if (d->medium >= 0)
		sim_image_path(&sa->table, eng->media[d->medium].name, buf, len);
}

static struct tape *sa_tape(struct rsm_engine *eng, const struct drive *d)
{
	struct standalone *sa = sa_of(eng, d->library);

	return sa->sim ? sim_table_tape(&sa->table, d->number) : NULL;
}

/* ---- the sim's hands: a cartridge into the drive, or out of it ---- */

/* The open operator request of library li that the operator's hands answer: a mount waiting
 * for its cartridge (want_step false; the mount of medium mi if one waits, else the oldest,
 * which then finds the wrong cartridge), or a step waiting for one to be taken out (true). */
static struct opreq *waiting_opreq(struct rsm_engine *eng, int li, bool want_step, int mi)
{
	struct opreq *first = NULL;

	for (size_t i = 0; i < eng->nopreqs; i++) {
		struct opreq *o = eng->opreqs[i];
		struct request *r = o->request ? request_find(eng, o->request) : NULL;
		if (!opreq_open(o) || o->type != OPREQ_MOVEMEDIA || o->library != li)
			continue;
		if (want_step && o->step)
			return o;
		if (want_step || o->step || !r || r->op != OP_MOUNT || !request_pending(r))
			continue;
		if (r->medium == mi)
			return o;
		if (!first)
			first = o;
	}
	return first;
}

static rsm_err sa_insert(struct rsm_engine *eng, int li, const char *barcode, int port)
{
	struct standalone *sa = sa_of(eng, li);
	struct sim_cart *c = &sa->table.drive[0];

	if (!sa->sim)
		return ERROR_INVALID_OPERATION;
	if (port >= 0)
		return ERROR_INVALID_PARAMETER; /* no ports: only the drive */
	if (c->name[0])
		return ERROR_BUSY; /* the drive holds a cartridge */
	int mi = medium_by_barcode(eng, barcode);
	if (mi < 0 && (mi = medium_discover(eng, li, barcode)) < 0)
		return ERROR_NOT_ENOUGH_MEMORY;
	struct medium *m = &eng->media[mi];
	if (m->loc != LOC_OFFLINE || m->busy)
		return ERROR_INVALID_STATE; /* that cartridge is in a library already */
	snprintf(c->name, sizeof(c->name), "%s", m->name);
	sim_table_write(&sa->table, eng, eng->libraries[li].name);
	sim_image_create(&sa->table, m->name);
	/* a mount waiting for the operator goes on, and checks what the drive holds */
	struct opreq *o = waiting_opreq(eng, li, false, mi);
	if (o)
		return opreq_answer(eng, o, true);
	sa_follow(eng, li);
	return ERROR_SUCCESS;
}

static rsm_err sa_remove(struct rsm_engine *eng, int li, int port)
{
	struct standalone *sa = sa_of(eng, li);
	struct sim_cart *c = &sa->table.drive[0];
	struct drive *d = library_drive(eng, li, 0);

	if (!sa->sim)
		return ERROR_INVALID_OPERATION;
	if (port >= 0)
		return ERROR_INVALID_PARAMETER;
	if (!c->name[0])
		return ERROR_EMPTY;
	/* a dismount waiting for the cartridge to be taken out: this is the operator doing it */
	struct opreq *o = waiting_opreq(eng, li, true, NO_INDEX);
	if (o)
		return opreq_answer(eng, o, true);
	if (d && (d->job || d->state == DRIVE_MOUNTED))
		return ERROR_BUSY; /* in use: it is not the operator's to take */
	sim_table_eject(&sa->table, 0);
	memset(c, 0, sizeof(*c));
	sim_table_write(&sa->table, eng, eng->libraries[li].name);
	sa_follow(eng, li);
	return ERROR_SUCCESS;
}

static rsm_err sa_drive_fault(struct rsm_engine *eng, int li, int di, bool failed)
{
	if (!sa_of(eng, li)->sim)
		return ERROR_INVALID_OPERATION;
	if (eng->drives[di].failed == failed)
		return ERROR_INVALID_STATE;
	device_fault(eng, li, di, failed);
	return ERROR_SUCCESS;
}

/* A standalone drive has no robot to jam and no barcode reader to fail. */
static rsm_err sa_no_robot(struct rsm_engine *eng, int li, bool on)
{
	(void)eng, (void)li, (void)on;
	return ERROR_INVALID_OPERATION;
}

static rsm_err sa_medium_fault(struct rsm_engine *eng, int li, int mi,
			       enum rsm_sim_medium_fault fault)
{
	(void)mi, (void)fault;
	return sa_no_robot(eng, li, true);
}

static rsm_err sa_timing(struct rsm_engine *eng, int li, double move, double load, double unload)
{
	struct standalone *sa = sa_of(eng, li);

	(void)move; /* no robot */
	if (!sa->sim)
		return ERROR_INVALID_OPERATION;
	if (load >= 0)
		sa->load_time = load;
	if (unload >= 0)
		sa->unload_time = unload;
	return ERROR_SUCCESS;
}

static const struct sim_hands_ops standalone_hands = {
    .insert = sa_insert,
    .remove = sa_remove,
    .drive_fault = sa_drive_fault,
    .medium_fault = sa_medium_fault,
    .jam = sa_no_robot,
    .timing = sa_timing,
};

const struct library_ops standalone_library_ops = {
    .name = "standalone",
    .attach = sa_attach,
    .reconcile = sa_reconcile,
    .start = sa_start,
    .stop = sa_stop,
    .step = sa_step,
    .drive_device = sa_drive_device,
    .tape = sa_tape,
    .hands = &standalone_hands,
};
