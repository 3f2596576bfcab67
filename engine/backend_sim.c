/* backend_sim.c - the simulated changer: a robot that takes move_time per move, drives that
 * take load_time and unload_time, its cartridges where they physically are (sim_table.h),
 * the operator's hands at its ports, and fault injection.
 *
 * Every step is a timer; when it fires the sim does what a changer would: the robot finds the
 * source slot empty if a hand took the cartridge (a lost cartridge), refuses to move while it
 * is jammed or into a failed drive, and otherwise moves the cartridge in its table and writes
 * its record, before the catalog hears of it (step_done).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "catalog.h"
#include "notify.h"
#include "sim_table.h"
#include "tape.h"

struct sim {
	struct sim_table table;
	double move_time, load_time, unload_time;
};

static struct sim *sim_of(struct rsm_engine *eng, int li)
{
	return eng->libraries[li].backend_state;
}

/* A new sim library's slots, ports and drives, and its scratch cartridges in the first slots
 * (T00001L6, ...: numbered across every library of the catalog). */
static int sim_create(struct rsm_engine *eng, int li, const struct rsm_library_config *c,
		      struct sim *sim, char *err, size_t errlen)
{
	char barcode[RSM_NAME_MAX + 1];

	if (library_set_layout(eng, li, c->slots, c->ports) < 0)
		goto fail;
	for (int i = 0; i < c->drives; i++)
		if (!library_add_drive(eng, li))
			goto fail;
	for (int i = 0; i < c->media && i < c->slots; i++) {
		sim_scratch_barcode(eng, c->media_type, barcode, sizeof(barcode));
		if (medium_create(eng, li, barcode, (struct place){LOC_SLOT, i, false}, true) < 0)
			goto fail;
		if (sim_image_create(&sim->table, barcode) < 0) {
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

static int sim_attach(struct rsm_engine *eng, int li, const struct rsm_library_config *c,
		      bool created, char *err, size_t errlen)
{
	struct library *l = &eng->libraries[li];
	struct sim *sim = calloc(1, sizeof(*sim));

	if (!sim) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->backend_state = sim;
	l->reachable = true; /* a sim always answers */
	sim->move_time = c->move_time;
	sim->load_time = c->load_time;
	sim->unload_time = c->unload_time;
	/* the image directory is known before the first cartridge is made; the table's size
	 * once the library has its slots */
	if (sim_table_init(&sim->table, eng, l->name, 0, 0, 0, err, errlen) < 0 ||
	    (created && sim_create(eng, li, c, sim, err, errlen) < 0))
		return -1;
	sim_table_free(&sim->table);
	if (sim_table_init(&sim->table, eng, l->name, l->nslots, l->nports, l->ndrives, err,
			   errlen) < 0)
		return -1;
	/* a changer with no record yet holds what the catalog knows (written by the reconcile
	 * that follows, once the catalog has committed it) */
	if (sim_table_load(&sim->table) < 0)
		sim_table_from_model(&sim->table, eng, li);
	if (sim_table_tapes(&sim->table, c->capacity, c->media_type) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The record read afresh first: a host taking the library over in a site has it as its last
 * manager left it (the record is in the data directory every host shares). */
static void sim_reconcile(struct rsm_engine *eng, int li)
{
	sim_table_load(&sim_of(eng, li)->table);
	sim_table_inventory(&sim_of(eng, li)->table, eng, li);
}

static void sim_stop(struct rsm_engine *eng, int li)
{
	struct sim *sim = sim_of(eng, li);

	if (!sim)
		return;
	sim_table_free(&sim->table);
	free(sim);
	eng->libraries[li].backend_state = NULL;
}

/* ---- steps ---- */

/* The table's cartridge at a step's place (drives by the model's index). */
static struct sim_cart *cart_at(struct rsm_engine *eng, struct sim *sim, const struct place *p)
{
	int addr = p->loc == LOC_DRIVE ? eng->drives[p->addr].number : p->addr;

	return sim_table_at(&sim->table, p->loc, addr);
}

static void step_refuse(struct step *s, rsm_err err, const char *detail)
{
	s->err = err;
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

/* The robot's move, at the end of its time: what a changer would find and do. */
static void sim_move(struct rsm_engine *eng, struct sim *sim, struct step *s)
{
	struct library *l = &eng->libraries[s->library];
	struct sim_cart *src = cart_at(eng, sim, &s->from), *dst = cart_at(eng, sim, &s->to);
	const char *name = eng->media[s->medium].name;
	char why[160];

	if (l->jammed) {
		step_refuse(s, ERROR_INVALID_STATE, "the robot is jammed");
	} else if (s->to.loc == LOC_DRIVE && eng->drives[s->to.addr].failed) {
		snprintf(why, sizeof(why), "drive %s has failed", eng->drives[s->to.addr].name);
		step_refuse(s, ERROR_INVALID_STATE, why);
	} else if (!src || !src->name[0]) {
		s->source_empty = true; /* a hand took it */
	} else if (strcmp(src->name, name) != 0) {
		snprintf(why, sizeof(why), "the robot found %s where the catalog has %s", src->name,
			 name);
		step_refuse(s, ERROR_INVALID_STATE, why);
	} else if (!dst || dst->name[0]) {
		step_refuse(s, ERROR_INVALID_STATE, "the destination is not empty");
	} else {
		*dst = *src;
		memset(src, 0, sizeof(*src));
		sim_table_write(&sim->table, eng, l->name);
		if (s->from.loc == LOC_DRIVE) /* it was unloaded: this only makes sure */
			sim_table_eject(&sim->table, eng->drives[s->from.addr].number);
		if (s->to.loc == LOC_DRIVE)
			sim_image_create(&sim->table, name);
	}
}

/* A step's time is up. */
static void sim_step_ends(struct rsm_engine *eng, void *arg)
{
	struct step *s = arg;
	struct sim *sim = sim_of(eng, s->library);

	switch (s->kind) {
	case STEP_MOVE:
		sim_move(eng, sim, s);
		break;
	case STEP_SCAN:
		if (eng->libraries[s->library].jammed) {
			step_refuse(s, ERROR_INVALID_STATE, "the robot is jammed");
			break;
		}
		/* the record is the library's physical state: a hand that moved a cartridge
		 * behind the robot's back changed it, and the scan finds what it says */
		sim_table_load(&sim->table);
		s->corrections = sim_table_inventory(&sim->table, eng, s->library);
		break;
	case STEP_UNLOAD:
		/* the drive rewinds and ejects: the filemark owed is written (at most one record
		 * written in the meantime is waited for), and the cartridge starts at BOT when it
		 * is loaded again */
		sim_table_eject(&sim->table, eng->drives[s->drive].number);
		break;
	default:
		break; /* a drive's load, unload or cleaning: only time passes */
	}
	step_done(eng, s);
}

/* How long a step takes: a full scan visits every occupied slot in turn. */
static double step_time(const struct sim *sim, const struct step *s)
{
	int occupied = 0;

	switch (s->kind) {
	case STEP_MOVE:
		return sim->move_time;
	case STEP_LOAD:
		return sim->load_time;
	case STEP_UNLOAD:
		return sim->unload_time;
	case STEP_CLEAN:
		return sim->load_time + sim->unload_time;
	case STEP_SCAN:
		for (int i = 0; s->full && i < sim->table.nslots; i++)
			occupied += sim->table.slot[i].name[0] != '\0';
		return sim->move_time * (1 + occupied);
	}
	return 0;
}

static void sim_step(struct rsm_engine *eng, struct step *s)
{
	timer_add(&eng->rt, step_time(sim_of(eng, s->library), s), sim_step_ends, s);
}

static void sim_drive_device(struct rsm_engine *eng, const struct drive *d, char *buf, size_t len)
{
	if (d->medium >= 0)
		sim_image_path(&sim_of(eng, d->library)->table, eng->media[d->medium].name, buf,
			       len);
}

static struct tape *sim_tape(struct rsm_engine *eng, const struct drive *d)
{
	return sim_table_tape(&sim_of(eng, d->library)->table, d->number);
}

/* ---- the operator's hands ---- */

/* The first port of the table that holds nothing (want_full false) or a cartridge that is
 * not on its way somewhere (true); -1. */
static int port_where(struct rsm_engine *eng, struct sim *sim, bool want_full)
{
	for (int p = 0; p < sim->table.nports; p++) {
		const char *name = sim->table.port[p].name;
		int mi = name[0] ? medium_find(eng, name) : NO_INDEX;
		if (!want_full && !name[0])
			return p;
		if (want_full && name[0] && (mi < 0 || !eng->media[mi].busy))
			return p;
	}
	return -1;
}

static rsm_err sim_insert(struct rsm_engine *eng, int li, const char *barcode, int port)
{
	struct library *l = &eng->libraries[li];
	struct sim *sim = sim_of(eng, li);

	if (port == RSM_SIM_DRIVE || port >= l->nports)
		return ERROR_INVALID_PARAMETER;
	if (port < 0 && (port = port_where(eng, sim, false)) < 0)
		return ERROR_IEPORT_FULL;
	if (sim->table.port[port].name[0] || l->port_medium[port] != NO_INDEX)
		return ERROR_IEPORT_FULL;
	int mi = medium_by_barcode(eng, barcode);
	if (mi < 0 && (mi = medium_discover(eng, li, barcode)) < 0)
		return ERROR_NOT_ENOUGH_MEMORY; /* a cartridge the barcode reader classifies */
	struct medium *m = &eng->media[mi], saved = *m;
	if (m->loc != LOC_OFFLINE)
		return ERROR_INVALID_STATE; /* that cartridge is already inside a library */
	m->library = li;
	m->loc = LOC_PORT;
	m->loc_addr = port;
	m->state = MEDIA_IN_PORT;
	snprintf(sim->table.port[port].name, sizeof(sim->table.port[port].name), "%s", m->name);
	sim_table_write(&sim->table, eng, l->name); /* the cartridge is in the port now */
	rsm_err e = catalog_save_checked(eng, NULL, m, NULL);
	if (e != ERROR_SUCCESS) {
		*m = saved;
		memset(&sim->table.port[port], 0, sizeof(sim->table.port[port]));
		sim_table_write(&sim->table, eng, l->name);
		return e;
	}
	l->port_medium[port] = mi;
	emit_medium(eng, m);
	emit_slots(eng, l, true);
	return ERROR_SUCCESS;
}

static rsm_err sim_remove(struct rsm_engine *eng, int li, int port)
{
	struct library *l = &eng->libraries[li];
	struct sim *sim = sim_of(eng, li);

	if (port == RSM_SIM_DRIVE || port >= l->nports)
		return ERROR_INVALID_PARAMETER;
	if (port < 0 && (port = port_where(eng, sim, true)) < 0)
		return ERROR_EMPTY;
	struct sim_cart held = sim->table.port[port];
	int mi = held.name[0] ? medium_find(eng, held.name) : NO_INDEX;
	if (!held.name[0])
		return ERROR_EMPTY;
	struct medium *m = mi >= 0 ? &eng->media[mi] : NULL;
	if (!m || m->busy || m->loc != LOC_PORT)
		return ERROR_BUSY;
	struct medium saved = *m;
	m->loc = LOC_OFFLINE;
	m->loc_addr = 0;
	m->state = MEDIA_OFFLINE;
	memset(&sim->table.port[port], 0, sizeof(sim->table.port[port]));
	sim_table_write(&sim->table, eng, l->name); /* the cartridge is in the operator's hand */
	rsm_err e = catalog_save_checked(eng, NULL, m, NULL);
	if (e != ERROR_SUCCESS) {
		*m = saved;
		sim->table.port[port] = held;
		sim_table_write(&sim->table, eng, l->name);
		return e;
	}
	l->port_medium[port] = NO_INDEX;
	emit_medium(eng, m);
	emit_slots(eng, l, true);
	return ERROR_SUCCESS;
}

static rsm_err sim_drive_fault(struct rsm_engine *eng, int li, int di, bool failed)
{
	if (eng->drives[di].failed == failed)
		return ERROR_INVALID_STATE; /* failed already, or not failed */
	device_fault(eng, li, di, failed);
	return ERROR_SUCCESS;
}

/* The table's cartridge that is medium m, wherever it is; NULL when the sim does not hold it. */
static struct sim_cart *cart_of(struct sim *sim, const struct medium *m)
{
	struct sim_cart *places[] = {sim->table.slot, sim->table.port, sim->table.drive};
	const int counts[] = {sim->table.nslots, sim->table.nports, sim->table.ndrives};

	for (int k = 0; k < 3; k++)
		for (int i = 0; i < counts[k]; i++)
			if (strcmp(places[k][i].name, m->name) == 0)
				return &places[k][i];
	return NULL;
}

static rsm_err sim_medium_fault(struct rsm_engine *eng, int li, int mi,
				enum rsm_sim_medium_fault fault)
{
	struct sim *sim = sim_of(eng, li);
	struct medium *m = &eng->media[mi];
	struct sim_cart *c = cart_of(sim, m);

	if (!c)
		return ERROR_INVALID_STATE; /* it is not in the library any more */
	if (fault == RSM_SIM_LOSE) {
		/* a hand takes it from its slot: only a cartridge at rest can be */
		if (m->loc != LOC_SLOT || m->busy || c != &sim->table.slot[m->loc_addr])
			return ERROR_INVALID_STATE;
		memset(c, 0, sizeof(*c));
	} else {
		bool unreadable = fault == RSM_SIM_UNREADABLE;
		if (c->unreadable == unreadable)
			return ERROR_INVALID_STATE;
		c->unreadable = unreadable;
	}
	sim_table_write(&sim->table, eng, eng->libraries[li].name);
	return ERROR_SUCCESS;
}

static rsm_err sim_jam(struct rsm_engine *eng, int li, bool jammed)
{
	if (eng->libraries[li].jammed == jammed)
		return ERROR_INVALID_STATE;
	device_fault(eng, li, NO_INDEX, jammed);
	return ERROR_SUCCESS;
}

static rsm_err sim_timing(struct rsm_engine *eng, int li, double move, double load, double unload)
{
	struct sim *sim = sim_of(eng, li);

	if (move >= 0)
		sim->move_time = move;
	if (load >= 0)
		sim->load_time = load;
	if (unload >= 0)
		sim->unload_time = unload;
	return ERROR_SUCCESS;
}

static const struct sim_hands_ops sim_hands = {
    .insert = sim_insert,
    .remove = sim_remove,
    .drive_fault = sim_drive_fault,
    .medium_fault = sim_medium_fault,
    .jam = sim_jam,
    .timing = sim_timing,
};

const struct library_ops sim_library_ops = {
    .name = "sim",
    .attach = sim_attach,
    .reconcile = sim_reconcile,
    .stop = sim_stop,
    .step = sim_step,
    .drive_device = sim_drive_device,
    .tape = sim_tape,
    .hands = &sim_hands,
};

void rsm_library_config_default(struct rsm_library_config *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->type, sizeof(l->type), "changer");
	l->manage = true; /* a site's host may take its lease (rsmfs.conf(5)) */
	snprintf(l->backend, sizeof(l->backend), "%s", sim_library_ops.name);
	snprintf(l->media_type, sizeof(l->media_type), "LTO-6");
	l->drives = 2;
	l->slots = 16;
	l->ports = 1;
	l->media = 12;
	l->move_time = 1.0;
	l->load_time = 2.0;
	l->unload_time = 2.0;
	l->dismount_delay = -1; /* the catalog's */
}
