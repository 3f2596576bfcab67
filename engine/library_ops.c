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

#include "internal.h"

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

/* The session slot of an administrator's call: a session handle, or none (0) for a control
 * file.  Returns false with *e set when neither will do. */
static bool admin_caller(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
			 int *slot, rsm_err *e)
{
	*slot = NO_INDEX;
	if (session) {
		struct session *s = session_for(eng, session, cred, true, e);
		if (s)
			*slot = (int)(s - eng->sessions);
		return s != NULL;
	}
	*e = eng->stopping		 ? ERROR_NOT_CONNECTED
	     : !cred || !cred->admin ? ERROR_ACCESS_DENIED
				     : ERROR_SUCCESS;
	return *e == ERROR_SUCCESS;
}

struct library *control_library(struct rsm_engine *eng, const struct rsm_cred *cred,
				const char *name, rsm_err *e)
{
	int slot, li;

	if (!admin_caller(eng, 0, cred, &slot, e))
		return NULL;
	if (!name || (li = library_find(eng, name)) < 0) {
		*e = ERROR_INVALID_LIBRARY;
		return NULL;
	}
	return &eng->libraries[li];
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
	struct request_spec spec = {.op = OP_EJECT, .session = slot,
				    .medium = mi, .drive = NO_INDEX, .library = NO_INDEX,
				    .port = port};
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
	struct request_spec spec = {.op = OP_INJECT, .session = slot,
				    .medium = NO_INDEX, .drive = NO_INDEX, .library = li,
				    .port = port};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

/* ---- library control ---- */

rsm_err rsm_library_enable(struct rsm_engine *eng, const struct rsm_cred *cred,
			   const char *library, bool enabled, uint64_t *request)
{
	rsm_err e;

	engine_lock(eng);
	struct library *l = control_library(eng, cred, library, &e);
	if (!l)
		goto out;
	bool was = l->enabled;
	l->enabled = enabled;
	struct request_spec spec = {.op = enabled ? OP_ENABLE : OP_DISABLE, .session = NO_INDEX,
				    .medium = NO_INDEX, .drive = NO_INDEX,
				    .library = (int)(l - eng->libraries), .port = -1};
	e = request_record(eng, &spec, l, NULL, NULL, request);
	if (e != ERROR_SUCCESS) {
		l->enabled = was;
		goto out;
	}
	schedule(eng);
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
		struct request_spec spec = {.op = OP_INVENTORY, .session = NO_INDEX,
					    .medium = NO_INDEX, .drive = NO_INDEX,
					    .library = (int)(l - eng->libraries), .port = -1,
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
		struct request_spec spec = {.op = OP_DOOR, .session = NO_INDEX, .medium = NO_INDEX,
					    .drive = NO_INDEX, .library = (int)(l - eng->libraries),
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
			scsi_door(eng, (int)(l - eng->libraries), false);
			emit_door(eng, l);
			emit_library(eng, l);
			robot_kick(eng, l);
			schedule(eng);
		}
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
	struct request_spec spec = {.op = enabled ? OP_ENABLE : OP_DISABLE, .session = NO_INDEX,
				    .medium = NO_INDEX, .drive = di, .library = NO_INDEX,
				    .port = -1};
	e = request_record(eng, &spec, NULL, d, NULL, request);
	if (e != ERROR_SUCCESS) {
		*d = saved;
		goto out;
	}
	schedule(eng);
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
	struct request_spec spec = {.op = enabled ? OP_ENABLE : OP_DISABLE, .session = NO_INDEX,
				    .medium = mi, .drive = NO_INDEX, .library = NO_INDEX,
				    .port = -1};
	e = request_record(eng, &spec, NULL, NULL, m, request);
	if (e != ERROR_SUCCESS) {
		m->enabled = was;
		goto out;
	}
	schedule(eng);
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
	struct request_spec spec = {.op = OP_CLEAN, .session = NO_INDEX, .medium = NO_INDEX,
				    .drive = di, .library = NO_INDEX, .port = -1};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

/* ---- device faults ---- */

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
	if (on) {
		opreq_raise(eng, OPREQ_DEVICESERVICE, msg, 0, li, di);
	} else {
		opreq_device_repaired(eng, li, di);
		robot_kick(eng, l);
		schedule(eng);
	}
}
