/* inventory.c - making the catalog agree with what a changer reports: the sim's record of its
 * cartridges (sim.c) or a real changer's READ ELEMENT STATUS (scsi_library.c) becomes a place
 * for every medium, and the catalog follows.  Media a job is moving are left to that job.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The first medium with that barcode (an inventory looks up every element it reads). */
int medium_by_barcode(struct rsm_engine *eng, const char *barcode)
{
	struct name_array a = {eng->media, sizeof(*eng->media), offsetof(struct medium, barcode),
			       eng->nmedia};
	return barcode[0] ? name_index_find(&eng->media_barcodes, a, barcode) : NO_INDEX;
}

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
	m->sim_missing = false; /* the catalog follows the changer now: no discrepancy is left */
	m->library = li;
	m->loc = to->loc;
	m->loc_addr = to->addr;
	if (m->loc == LOC_SLOT) {
		l->slot_medium[m->loc_addr] = mi;
		m->home_slot = m->loc_addr;
	} else if (m->loc == LOC_PORT) {
		l->port_medium[m->loc_addr] = mi;
	} else if (m->loc == LOC_DRIVE) {
		struct drive *d = &eng->drives[m->loc_addr];
		d->medium = mi;
		d->session = NO_INDEX;
		settle_drive_state(d);
	}
	if (was && !was->job) {
		if (was->medium < 0)
			was->session = NO_INDEX;
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
	opreq_raise(eng, OPREQ_MESSAGE, msg, 0, (int)(l - eng->libraries), NO_INDEX);
	fprintf(stderr, "rsmfs: %s\n", msg);
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
		fprintf(
		    stderr,
		    "rsmfs: library %s: %s was at %s in the catalog, the changer has it at %s\n",
		    l->name, m->name, ours ? was : "offline", now);
		changes++;
	}
	if (changes) {
		emit_slots(eng, l, false);
		emit_slots(eng, l, true);
		fprintf(stderr, "rsmfs: library %s: inventory corrected %d location%s\n", l->name,
			changes, changes == 1 ? "" : "s");
	}
	return changes;
}
