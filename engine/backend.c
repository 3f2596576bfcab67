/* backend.c - the table of backends, what the engine offers them (a library's layout, new
 * drives), and the sim/ctl calls of rsm.h, which go to the backend's operator's hands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "catalog.h"
#include "notify.h"

/* Libraries of type standalone have their own backend whatever drives them; the others are
 * found by their backend's name. */
static const struct library_ops *backends[8] = {&sim_library_ops, &scsi_library_ops};

const struct library_ops *backend_for(const struct rsm_library_config *c)
{
	if (strcmp(c->type, "standalone") == 0)
		return &standalone_library_ops;
	for (size_t i = 0; i < ARRAY_SIZE(backends) && backends[i]; i++)
		if (strcmp(backends[i]->name, c->backend) == 0)
			return backends[i];
	return NULL;
}

bool backend_matches(const struct library *l, const struct rsm_library_config *c, char *err,
		     size_t errlen)
{
	const char *type = c->type[0] ? c->type : "changer";

	if (strcmp(l->type, type) == 0 && strcmp(l->backend, c->backend) == 0)
		return true;
	snprintf(err, errlen,
		 "library %s is a %s library with backend %s in the catalog, not %s with %s as "
		 "configured (give the new library another name)",
		 l->name, l->type, l->backend, type, c->backend);
	return false;
}

bool backend_register(const struct library_ops *ops)
{
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		if (!backends[i] || backends[i] == ops) {
			backends[i] = ops;
			return true;
		}
	}
	return false;
}

/* ---- what the engine offers backends ---- */

/* A copy of an occupancy table at a new size, empty past the old end; NULL when out of
 * memory. */
static int *resized(const int *old, int oldn, int n)
{
	int *t = malloc(sizeof(int) * (size_t)(n ? n : 1));

	for (int i = 0; t && i < n; i++)
		t[i] = i < oldn ? old[i] : NO_INDEX;
	return t;
}

int library_set_layout(struct rsm_engine *eng, int li, int nslots, int nports)
{
	struct library *l = &eng->libraries[li];

	if (nslots == l->nslots && nports == l->nports)
		return 0;
	int *slots = resized(l->slot_medium, l->nslots, nslots);
	int *homes = resized(l->slot_home, l->nslots, nslots);
	int *ports = resized(l->port_medium, l->nports, nports);
	if (!slots || !homes || !ports) {
		free(slots);
		free(homes);
		free(ports);
		return -1;
	}
	/* a medium recorded past the new end is placed by the inventory that follows; one whose
	 * home was past it has none */
	for (int i = nslots; i < l->nslots; i++)
		if (l->slot_home[i] != NO_INDEX)
			eng->media[l->slot_home[i]].home_slot = -1;
	free(l->slot_medium);
	free(l->slot_home);
	free(l->port_medium);
	l->slot_medium = slots;
	l->slot_home = homes;
	l->port_medium = ports;
	l->nslots = nslots;
	l->nports = nports;
	if (catalog_batch_begin(eng) != ERROR_SUCCESS ||
	    catalog_save_library(eng, l) != ERROR_SUCCESS)
		return -1;
	emit_library(eng, l);
	return 0;
}

struct drive *library_add_drive(struct rsm_engine *eng, int li)
{
	struct library *l = &eng->libraries[li];
	struct drive *nds = realloc(eng->drives, sizeof(*nds) * (size_t)(eng->ndrives + 1));
	int *idx;
	char path[RSM_NAME_MAX + 16];

	if (nds)
		eng->drives = nds;
	idx = nds ? realloc(l->drive_index, sizeof(int) * (size_t)(l->ndrives + 1)) : NULL;
	if (!idx)
		return NULL;
	l->drive_index = idx;
	struct drive *d = &eng->drives[eng->ndrives];
	drive_init(d, eng->ndrives, li, l->ndrives);
	if (catalog_batch_begin(eng) != ERROR_SUCCESS ||
	    catalog_save_drive(eng, d) != ERROR_SUCCESS)
		return NULL; /* not counted: it is not there */
	l->drive_index[l->ndrives++] = eng->ndrives++;
	snprintf(path, sizeof(path), "drives/%s", d->name);
	emit(eng, RSM_OBJ_DRIVE, RSM_EV_INSERT, path, d->guid);
	return d;
}

void backend_drive_device(struct rsm_engine *eng, const struct drive *d, char *buf, size_t len)
{
	const struct library *l = &eng->libraries[d->library];

	buf[0] = '\0';
	if (l->ops && l->ops->drive_device)
		l->ops->drive_device(eng, d, buf, len);
}

/* ---- sim/ctl: the operator's hands and fault injection ---- */

/* An administrator's library whose backend has hands; NULL with *e set otherwise. */
static const struct sim_hands_ops *hands_of(struct rsm_engine *eng, const struct rsm_cred *cred,
					    const char *library, int *li, rsm_err *e)
{
	struct library *l = control_library(eng, cred, library, e);

	if (!l)
		return NULL;
	/* in a site, the changer is its manager's: hands here would act behind its back */
	if (!l->ops || !l->ops->hands || !l->managed) {
		*e = ERROR_INVALID_OPERATION;
		return NULL;
	}
	*li = (int)(l - eng->libraries);
	return l->ops->hands;
}

rsm_err rsm_sim_insert(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       const char *barcode, int port)
{
	rsm_err e;
	int li;

	if (!barcode || (barcode[0] && !valid_name(barcode)) || port < RSM_SIM_DRIVE)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	const struct sim_hands_ops *h = hands_of(eng, cred, library, &li, &e);
	if (h)
		e = h->insert(eng, li, barcode, port);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_remove(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       int port)
{
	rsm_err e;
	int li;

	if (port < RSM_SIM_DRIVE)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	const struct sim_hands_ops *h = hands_of(eng, cred, library, &li, &e);
	if (h)
		e = h->remove(eng, li, port);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_drive_fault(struct rsm_engine *eng, const struct rsm_cred *cred,
			    const char *library, const char *drive, bool failed)
{
	rsm_err e;
	int li, di;

	engine_lock(eng);
	const struct sim_hands_ops *h = hands_of(eng, cred, library, &li, &e);
	if (h && (!drive || (di = drive_find(eng, drive)) < 0 || eng->drives[di].library != li))
		e = ERROR_INVALID_DRIVE;
	else if (h)
		e = h->drive_fault(eng, li, di, failed);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_medium_fault(struct rsm_engine *eng, const struct rsm_cred *cred,
			     const char *library, const char *medium,
			     enum rsm_sim_medium_fault fault)
{
	rsm_err e;
	int li, mi;

	engine_lock(eng);
	const struct sim_hands_ops *h = hands_of(eng, cred, library, &li, &e);
	if (h && (!medium || (mi = medium_find(eng, medium)) < 0 || eng->media[mi].library != li ||
		  eng->media[mi].loc == LOC_OFFLINE))
		e = ERROR_INVALID_MEDIA;
	else if (h)
		e = h->medium_fault(eng, li, mi, fault);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_jam(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		    bool jammed)
{
	rsm_err e;
	int li;

	engine_lock(eng);
	const struct sim_hands_ops *h = hands_of(eng, cred, library, &li, &e);
	if (h)
		e = h->jam(eng, li, jammed);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_timing(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       double move, double load, double unload)
{
	rsm_err e;
	int li;

	if (move > 86400 || load > 86400 || unload > 86400)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	const struct sim_hands_ops *h = hands_of(eng, cred, library, &li, &e);
	if (h)
		e = h->timing(eng, li, move, load, unload);
	engine_unlock(eng);
	return e;
}

struct tape *backend_tape(struct rsm_engine *eng, const struct drive *d)
{
	const struct library *l = &eng->libraries[d->library];

	return l->ops && l->ops->tape ? l->ops->tape(eng, d) : NULL;
}
