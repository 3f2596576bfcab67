/* library_ops.c - library and drive control: EjectNtmsMedia, InjectNtmsMedia,
 * InventoryNtmsLibrary, AccessNtmsLibraryDoor, CleanNtmsDrive, EnableNtmsObject and
 * DisableNtmsObject for libraries, drives and media.
 *
 * All of these need NTMS_CONTROL_ACCESS on the library: administrators only.  Each is a
 * library request with its own requests/<n> entry; enabling and disabling take effect at
 * once, so their requests are finished when they are listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "catalog.h"
#include "notify.h"
#include "requests.h"

/* A library that can move cartridges through port `port` (-1: any) now. */
static rsm_err port_library_check(const struct library *l, int port)
{
	if (!l->present || !l->reachable)
		return ERROR_LIBRARY_OFFLINE;
	if (!l->enabled)
		return ERROR_DEVICE_NOT_AVAILABLE;
	if (l->nports == 0)
		return ERROR_RESOURCE_NOT_PRESENT;
	if (port >= l->nports)
		return ERROR_INVALID_PARAMETER;
	return ERROR_SUCCESS;
}

rsm_err rsm_eject(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  const char *medium, int port, uint64_t *request)
{
	rsm_err e;
	int mi, slot;

	if (!medium || port < -1)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	if (!admin_caller(eng, session, cred, &slot, &e))
		goto out;
	mi = medium_find(eng, medium);
	if (mi < 0) {
		e = ERROR_INVALID_MEDIA;
		goto out;
	}
	struct medium *m = &eng->media[mi];
	e = port_library_check(&eng->libraries[m->library], port);
	if (e == ERROR_SUCCESS && !m->enabled)
		e = ERROR_MEDIA_NOT_AVAILABLE;
	if (e == ERROR_SUCCESS && (m->loc == LOC_OFFLINE || m->loc == LOC_PORT))
		e = ERROR_MEDIA_OFFLINE;
	if (e == ERROR_SUCCESS && m->loc == LOC_DRIVE &&
	    eng->drives[m->loc_addr].state == DRIVE_MOUNTED)
		e = ERROR_BUSY;
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_EJECT,
				    .session = slot,
				    .medium = mi,
				    .drive = NO_INDEX,
				    .library = NO_INDEX,
				    .port = port};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_move_medium(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium,
			int slot, uint64_t *request)
{
	rsm_err e;
	int mi, admin;

	if (!medium || slot < 0)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	if (!admin_caller(eng, 0, cred, &admin, &e))
		goto out;
	if ((mi = medium_find(eng, medium)) < 0) {
		e = ERROR_INVALID_MEDIA;
		goto out;
	}
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	e = !l->present || !l->reachable ? ERROR_LIBRARY_OFFLINE
	    : !l->enabled		 ? ERROR_DEVICE_NOT_AVAILABLE
	    : slot >= l->nslots		 ? ERROR_INVALID_PARAMETER
	    : m->loc != LOC_SLOT	 ? ERROR_INVALID_STATE
	    : l->slot_medium[slot] >= 0 && slot != m->loc_addr ? ERROR_INVALID_STATE
							      : ERROR_SUCCESS;
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_MOVE, .session = NO_INDEX, .medium = mi,
				    .drive = NO_INDEX, .library = NO_INDEX, .port = slot};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_inject(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		   const char *library, int port, uint64_t *request)
{
	rsm_err e;
	int li, slot;

	if (!library || port < -1)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	if (!admin_caller(eng, session, cred, &slot, &e))
		goto out;
	li = library_find(eng, library);
	if (li < 0) {
		e = ERROR_INVALID_LIBRARY;
		goto out;
	}
	e = port_library_check(&eng->libraries[li], port);
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_INJECT,
				    .session = slot,
				    .medium = NO_INDEX,
				    .drive = NO_INDEX,
				    .library = li,
				    .port = port};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

/* ---- library control ---- */

rsm_err rsm_library_enable(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
			   bool enabled, uint64_t *request)
{
	rsm_err e;

	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (!l)
		goto out;
	bool was = l->enabled;
	l->enabled = enabled;
	struct request_spec spec = {.op = enabled ? OP_ENABLE : OP_DISABLE,
				    .session = NO_INDEX,
				    .medium = NO_INDEX,
				    .drive = NO_INDEX,
				    .library = (int)(l - eng->libraries),
				    .port = -1};
	e = request_record(eng, &spec, l, NULL, NULL, request);
	if (e != ERROR_SUCCESS)
		l->enabled = was;
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_library_inventory(struct rsm_engine *eng, const struct rsm_cred *cred,
			      const char *library, bool full, uint64_t *request)
{
	rsm_err e;

	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (l && (!l->present || !l->reachable))
		e = ERROR_LIBRARY_OFFLINE;
	else if (l && !l->enabled)
		e = ERROR_RESOURCE_DISABLED;
	if (l && e == ERROR_SUCCESS) {
		struct request_spec spec = {.op = OP_INVENTORY,
					    .session = NO_INDEX,
					    .medium = NO_INDEX,
					    .drive = NO_INDEX,
					    .library = (int)(l - eng->libraries),
					    .port = -1,
					    .options = full};
		e = request_submit(eng, &spec, request);
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_library_door_open(struct rsm_engine *eng, const struct rsm_cred *cred,
			      const char *library, uint64_t *request)
{
	rsm_err e;

	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (l && (!l->present || !l->reachable))
		e = ERROR_LIBRARY_OFFLINE;
	if (l && e == ERROR_SUCCESS) {
		struct request_spec spec = {.op = OP_DOOR,
					    .session = NO_INDEX,
					    .medium = NO_INDEX,
					    .drive = NO_INDEX,
					    .library = (int)(l - eng->libraries),
					    .port = -1};
		e = request_submit(eng, &spec, request);
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_library_door_close(struct rsm_engine *eng, const struct rsm_cred *cred,
			       const char *library)
{
	rsm_err e;

	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (l && strcmp(l->door, "open") != 0)
		e = ERROR_INVALID_STATE; /* it is closed already */
	if (l && e == ERROR_SUCCESS) {
		snprintf(l->door, sizeof(l->door), "closed");
		e = catalog_save_library(eng, l);
		if (e != ERROR_SUCCESS) {
			snprintf(l->door, sizeof(l->door), "open");
		} else {
			if (l->ops && l->ops->door) /* a library no longer configured has none */
				l->ops->door(eng, (int)(l - eng->libraries), false);
			emit_door(eng, l);
			emit_library(eng, l);
		}
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_library_set_dismount_delay(struct rsm_engine *eng, const struct rsm_cred *cred,
				       const char *library, double seconds)
{
	rsm_err e;

	if (!(seconds >= 0 && seconds <= 365.0 * 86400))
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (l) {
		double was = l->dismount_delay;
		l->dismount_delay = seconds;
		e = catalog_begin(eng);
		if (e == ERROR_SUCCESS)
			e = catalog_save_library(eng, l);
		e = catalog_end(eng, e);
		if (e != ERROR_SUCCESS)
			l->dismount_delay = was;
		else
			emit_library(eng, l); /* the media waiting for it are looked at again */
	}
	engine_unlock(eng);
	return e;
}

/* ---- drives and media ---- */

/* Finds a drive an administrator controls; NO_INDEX with *e set otherwise. */
static int control_drive(struct rsm_engine *eng, const struct rsm_cred *cred, const char *drive,
			 rsm_err *e)
{
	int slot, di;

	if (!admin_caller(eng, 0, cred, &slot, e))
		return NO_INDEX;
	if (!drive || (di = drive_find(eng, drive)) < 0) {
		*e = ERROR_INVALID_DRIVE;
		return NO_INDEX;
	}
	return di;
}

rsm_err rsm_drive_enable(struct rsm_engine *eng, const struct rsm_cred *cred, const char *drive,
			 bool enabled, uint64_t *request)
{
	rsm_err e;

	if (!drive)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	int di = control_drive(eng, cred, drive, &e);
	if (di < 0)
		goto out;
	struct drive *d = &eng->drives[di];
	struct drive saved = *d;
	d->enabled = enabled;
	if (!d->job)
		settle_drive_state(d);
	struct request_spec spec = {.op = enabled ? OP_ENABLE : OP_DISABLE,
				    .session = NO_INDEX,
				    .medium = NO_INDEX,
				    .drive = di,
				    .library = NO_INDEX,
				    .port = -1};
	e = request_record(eng, &spec, NULL, d, NULL, request);
	if (e != ERROR_SUCCESS)
		*d = saved;
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_media_enable(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium,
			 bool enabled, uint64_t *request)
{
	rsm_err e;
	int mi, slot;

	if (!medium)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	if (!admin_caller(eng, 0, cred, &slot, &e))
		goto out;
	if ((mi = medium_find(eng, medium)) < 0) {
		e = ERROR_INVALID_MEDIA;
		goto out;
	}
	struct medium *m = &eng->media[mi];
	bool was = m->enabled;
	m->enabled = enabled;
	struct request_spec spec = {.op = enabled ? OP_ENABLE : OP_DISABLE,
				    .session = NO_INDEX,
				    .medium = mi,
				    .drive = NO_INDEX,
				    .library = NO_INDEX,
				    .port = -1};
	e = request_record(eng, &spec, NULL, NULL, m, request);
	if (e != ERROR_SUCCESS)
		m->enabled = was;
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_drive_clean(struct rsm_engine *eng, const struct rsm_cred *cred, const char *drive,
			uint64_t *request)
{
	rsm_err e;

	engine_lock(eng);
	int di = control_drive(eng, cred, drive, &e);
	if (di < 0)
		goto out;
	struct drive *d = &eng->drives[di];
	struct library *l = &eng->libraries[d->library];
	if (!l->present || !l->reachable)
		e = ERROR_LIBRARY_OFFLINE;
	else if (d->failed)
		e = ERROR_UNABLE_TO_CLEAN; /* a failed drive needs service, not a cleaner */
	else if (!d->enabled)
		e = ERROR_RESOURCE_DISABLED;
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_CLEAN,
				    .session = NO_INDEX,
				    .medium = NO_INDEX,
				    .drive = di,
				    .library = NO_INDEX,
				    .port = -1};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

/* ---- cartridges added by hand ---- */

rsm_err rsm_library_add_medium(struct rsm_engine *eng, const struct rsm_cred *cred,
			       const char *library, const char *barcode)
{
	rsm_err e;

	if (!barcode || !valid_name(barcode))
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (l && (medium_by_barcode(eng, barcode) >= 0 || medium_find(eng, barcode) >= 0))
		e = ERROR_ALREADY_EXISTS;
	else if (l)
		e = catalog_begin(eng);
	if (l && e == ERROR_SUCCESS) {
		/* outside the library: on a standalone drive's shelf, or offline */
		int mi = medium_create(eng, (int)(l - eng->libraries), barcode,
				       (struct place){LOC_OFFLINE, 0, false}, true);
		e = catalog_end(eng, mi >= 0 ? ERROR_SUCCESS : ERROR_DATABASE_FAILURE);
		if (mi >= 0 && e != ERROR_SUCCESS) {
			/* the catalog refused it: it was never there */
			struct medium *m = &eng->media[--eng->nmedia];
			char path[RSM_NAME_MAX + 16];
			snprintf(path, sizeof(path), "media/%s", m->name);
			emit(eng, RSM_OBJ_MEDIA, RSM_EV_DELETE, path, m->guid);
		}
	}
	engine_unlock(eng);
	return e;
}
