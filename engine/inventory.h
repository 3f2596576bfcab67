/* inventory.h - what a library's backend reports that the catalog did not ask for: where the
 * cartridges are (an inventory, a reconciliation after a restart), cartridges never seen
 * before, and device faults.  The catalog follows the changer: a changer holds its cartridges
 * wherever they physically are.
 */
#ifndef RSM_INVENTORY_H
#define RSM_INVENTORY_H

#include "model.h"

/* Where the changer says a cartridge is. */
struct place {
	enum loc_kind loc;
	int addr;      /* slot, port, or drive index */
	bool untagged; /* the changer saw a cartridge there but could not read its barcode */
};

/* Moves every medium to places[medium index] (LOC_OFFLINE: not in library li), skipping
 * media a job holds; returns the number of corrections. */
int inventory_apply(struct rsm_engine *eng, int li, const struct place *places);

/* A new medium of library li at `at` (LOC_OFFLINE: outside it), committed and announced.
 * scratch: a blank cartridge the library came with (pool free, side available); otherwise
 * one the barcode reader found (import pool, or cleaner for CLN...).  An empty barcode
 * names it unlabeled-<n>.  Its index, or NO_INDEX. */
int medium_create(struct rsm_engine *eng, int li, const char *barcode, struct place at,
		  bool scratch);
/* A cartridge the catalog has never seen, found in library li (offline until placed). */
int medium_discover(struct rsm_engine *eng, int li, const char *barcode);

/* Medium mi's home is slot from now on (it was placed there): a medium whose home that slot
 * was loses it, saved and announced. */
void medium_take_home(struct rsm_engine *eng, int mi, int slot);

/* A device fault comes or goes: drive di of library li (NO_INDEX: the library's robot).  A
 * fault raises a device-service operator request; a repair completes it. */
void device_fault(struct rsm_engine *eng, int li, int di, bool on);

#endif
