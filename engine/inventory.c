/* inventory.c - what a backend reports: a place for every medium, from a simulated changer's
 * record of its cartridges or a real changer's READ ELEMENT STATUS, which the catalog follows
 * (media a job is moving are left to that job); cartridges never seen before; device faults.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "inventory.h"
#include "log.h"
#include "notify.h"
#include "requests.h"

/* Takes a medium out of the occupancy tables it was in. */
static void vacate(struct rsm_engine *eng, int mi)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];

	if (m->loc == LOC_SLOT && m->loc_addr < l->nslots && l->slot_medium[m->loc_addr] == mi)
		l->slot_medium[m->loc_addr] = NO_INDEX;
	else if (m->loc == LOC_PORT && m->loc_addr < l->nports && l->port_medium[m->loc_addr] == mi)
		l->port_medium[m->loc_addr] = NO_INDEX;
	else if (m->loc == LOC_DRIVE && eng->drives[m->loc_addr].medium == mi)
		eng->drives[m->loc_addr].medium = NO_INDEX;
}

/* Puts medium mi where the changer says it is. */
static void relocate(struct rsm_engine *eng, struct library *l, int li, int mi,
		     const struct place *to)
{
	struct medium *m = &eng->media[mi];
	struct drive *was = m->loc == LOC_DRIVE ? &eng->drives[m->loc_addr] : NULL;

	vacate(eng, mi);
	m->library = li;
	m->loc = to->loc;
	m->loc_addr = to->addr;
	if (m->loc == LOC_SLOT) {
		l->slot_medium[m->loc_addr] = mi;
		medium_take_home(eng, mi, m->loc_addr);
	} else if (m->loc == LOC_PORT) {
		l->port_medium[m->loc_addr] = mi;
	} else if (m->loc == LOC_DRIVE) {
		struct drive *d = &eng->drives[m->loc_addr];
		d->medium = mi;
		drive_hold(eng, d, NO_INDEX, NO_INDEX);
		settle_drive_state(d);
	}
	if (was && !was->job) {
		if (was->medium < 0)
			drive_hold(eng, was, NO_INDEX, NO_INDEX);
		settle_drive_state(was);
		catalog_save_state(eng, was, NULL, NULL);
		emit_drive(eng, was);
	}
	settle_medium_state(eng, m);
	catalog_save_state(eng, m->loc == LOC_DRIVE ? &eng->drives[m->loc_addr] : NULL, m, NULL);
	emit_medium(eng, m);
	if (m->loc == LOC_DRIVE)
		emit_drive(eng, &eng->drives[m->loc_addr]);
}

/* A cartridge the changer found where the catalog has medium mi, but whose barcode it could
 * not read: nothing contradicts the catalog, so the medium stays; the operator is asked once
 * to look at the label (RSM's NTMS_BARCODESTATE_UNREADABLE). */
static void label_unreadable(struct rsm_engine *eng, struct library *l, int mi)
{
	struct medium *m = &eng->media[mi];
	char msg[256], where[96];

	if (m->label_reported)
		return;
	m->label_reported = true;
	medium_location_text(eng, m, where, sizeof(where));
	snprintf(msg, sizeof(msg),
		 "library %s: the barcode of the cartridge at %s (the catalog has %s there) "
		 "cannot be read; check or replace its label",
		 l->name, where, m->name);
	/* the operator request's line in the log carries the message (rsmfs(8), LOGGING) */
	opreq_raise(eng, OPREQ_MESSAGE, msg, 0, (int)(l - eng->libraries), NO_INDEX, NULL);
}

int inventory_apply(struct rsm_engine *eng, int li, const struct place *p)
{
	struct library *l = &eng->libraries[li];
	int changes = 0;

	for (int i = 0; i < eng->nmedia; i++) {
		struct medium *m = &eng->media[i];
		bool ours = m->library == li && m->loc != LOC_OFFLINE;
		if (p[i].untagged)
			label_unreadable(eng, l, i);
		else if (m->label_reported && ours)
			m->label_reported =
			    false; /* readable again: a later fault is reported anew */
		if (m->busy || (!ours && p[i].loc == LOC_OFFLINE))
			continue;
		if (m->loc == LOC_DRIVE && eng->drives[m->loc_addr].job)
			continue;
		if (ours && m->loc == p[i].loc && m->loc_addr == p[i].addr)
			continue;
		char was[96], now[96];
		medium_location_text(eng, m, was, sizeof(was));
		relocate(eng, l, li, i, &p[i]);
		medium_location_text(eng, m, now, sizeof(now));
		engine_log(RSM_LOG_WARNING,
			   "library %s: %s was at %s in the catalog, the changer has it at %s",
			   l->name, m->name, ours ? was : "offline", now);
		changes++;
	}
	if (changes) {
		emit_slots(eng, l, false);
		emit_slots(eng, l, true);
		engine_log(RSM_LOG_NOTICE, "library %s: inventory corrected %d location%s", l->name,
			   changes, changes == 1 ? "" : "s");
	}
	return changes;
}

/* ---- new cartridges ---- */

/* The name a new cartridge gets: its barcode, or unlabeled-<n> (counted in the catalog). */
static bool new_medium_name(struct rsm_engine *eng, const char *barcode, char *name, size_t len)
{
	if (barcode[0]) {
		snprintf(name, len, "%s", barcode);
	} else {
		uint64_t n, next = eng->next_unlabeled + 1;
		if (catalog_take_number(eng, "next_unlabeled", &next, &n) != ERROR_SUCCESS)
			return false;
		eng->next_unlabeled = n;
		snprintf(name, len, "unlabeled-%llu", (unsigned long long)n);
		catalog_set_meta(eng, "next_unlabeled", eng->next_unlabeled);
	}
	return valid_name(name) && medium_find(eng, name) < 0;
}

/* Puts a medium that is nowhere yet at `at` in library li's occupancy tables. */
static void place_new(struct rsm_engine *eng, int li, int mi, struct place at)
{
	struct library *l = &eng->libraries[li];
	struct medium *m = &eng->media[mi];

	m->loc = at.loc;
	m->loc_addr = at.addr;
	if (at.loc == LOC_SLOT) {
		l->slot_medium[at.addr] = mi;
		medium_set_home(eng, mi, at.addr); /* a new cartridge's slot: nobody else's */
	} else if (at.loc == LOC_PORT) {
		l->port_medium[at.addr] = mi;
	} else if (at.loc == LOC_DRIVE) {
		eng->drives[at.addr].medium = mi;
		settle_drive_state(&eng->drives[at.addr]);
	}
	settle_medium_state(eng, m);
}

int medium_create(struct rsm_engine *eng, int li, const char *barcode, struct place at,
		  bool scratch)
{
	char name[RSM_NAME_MAX + 1];
	bool cleaner = !scratch && strncmp(barcode, "CLN", 3) == 0;
	int pool = pool_find(eng, scratch ? "free" : cleaner ? "cleaner" : "import");

	if (pool < 0 || !new_medium_name(eng, barcode, name, sizeof(name)))
		return NO_INDEX;
	struct medium *m = array_grow((void **)&eng->media, &eng->nmedia, sizeof(*m));
	if (!m)
		return NO_INDEX;
	int mi = eng->nmedia - 1;
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->barcode, sizeof(m->barcode), "%s", barcode);
	guid_new(m->guid);
	snprintf(m->type, sizeof(m->type), "%s", eng->libraries[li].media_type);
	m->enabled = true;
	m->library = li;
	m->pool = pool;
	m->loc = LOC_OFFLINE;
	m->home_slot = -1;
	m->nsides = 1;
	guid_new(m->sides[0].guid);
	m->sides[0].state = scratch || cleaner ? SIDE_AVAILABLE : SIDE_IMPORT;
	place_new(eng, li, mi, at);
	if (catalog_save_medium(eng, m) != ERROR_SUCCESS) {
		eng->nmedia--; /* nothing points at it yet but the tables place_new filled */
		if (at.loc == LOC_SLOT)
			eng->libraries[li].slot_medium[at.addr] =
			    eng->libraries[li].slot_home[at.addr] = NO_INDEX;
		else if (at.loc == LOC_PORT)
			eng->libraries[li].port_medium[at.addr] = NO_INDEX;
		else if (at.loc == LOC_DRIVE)
			eng->drives[at.addr].medium = NO_INDEX;
		return NO_INDEX;
	}
	emit_medium_new(eng, m);
	emit_pool(eng, &eng->pools[pool], RSM_EV_UPDATE);
	return mi;
}

int medium_discover(struct rsm_engine *eng, int li, const char *barcode)
{
	return medium_create(eng, li, barcode, (struct place){LOC_OFFLINE, 0, false}, false);
}

/* Commits a medium changed as a side effect, and announces it. */
static void save_medium_changed(struct rsm_engine *eng, struct medium *m)
{
	catalog_save_state(eng, NULL, m, NULL);
	emit_medium(eng, m);
}

void medium_take_home(struct rsm_engine *eng, int mi, int slot)
{
	int displaced = medium_set_home(eng, mi, slot);

	if (displaced != NO_INDEX)
		save_medium_changed(eng, &eng->media[displaced]);
}

/* ---- device faults ---- */

/* The line of a device fault (an error, with the RSM error name the device's work now gets
 * refused with) or of its repair; drive di of library l, or l's robot when NO_INDEX. */
static void device_fault_log(struct rsm_engine *eng, const struct library *l, int di, bool on)
{
	char device[RSM_NAME_MAX + 32];

	if (di >= 0)
		snprintf(device, sizeof(device), "drive %s", eng->drives[di].name);
	else
		snprintf(device, sizeof(device), "robot");
	if (on)
		engine_log(RSM_LOG_ERROR, "%s of library %s: %s %s: needs service", device, l->name,
			   di >= 0 ? "failed" : "jammed",
			   rsm_error_name(ERROR_DEVICE_NOT_AVAILABLE));
	else
		engine_log(RSM_LOG_NOTICE, "%s of library %s: repaired", device, l->name);
}

void device_fault(struct rsm_engine *eng, int li, int di, bool on)
{
	if (li < 0)
		return;
	struct library *l = &eng->libraries[li];
	char msg[256];

	if (di >= 0) {
		struct drive *d = &eng->drives[di];
		if (d->failed == on)
			return;
		d->failed = on;
		if (!d->job || on)
			settle_drive_state(d);
		catalog_save_state(eng, d, NULL, NULL);
		emit_drive(eng, d);
		snprintf(msg, sizeof(msg), "drive %s of library %s has failed and needs service",
			 d->name, l->name);
	} else {
		if (l->jammed == on)
			return;
		l->jammed = on;
		emit_library(eng, l);
		snprintf(msg, sizeof(msg), "the robot of library %s is jammed", l->name);
	}
	device_fault_log(eng, l, di, on);
	/* a repair lets the robot and the queue go on: the scheduler sees the change */
	if (on)
		opreq_raise(eng, OPREQ_DEVICESERVICE, msg, 0, li, di, NULL);
	else
		opreq_device_repaired(eng, li, di);
}
