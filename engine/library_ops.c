/* library_ops.c - moving cartridges in and out of a library: EjectNtmsMedia, InjectNtmsMedia,
 * and the sim operator's hands at the import/export port.
 *
 * Ejecting and injecting need NTMS_CONTROL_ACCESS on the library: administrators only.
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

rsm_err rsm_eject(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  const char *medium, int port, uint64_t *request)
{
	struct session *s;
	rsm_err e;
	int mi;

	if (!medium || port < -1)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, true, &e);
	if (!s)
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
	struct request_spec spec = {.op = OP_EJECT, .session = (int)(s - eng->sessions),
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
	struct session *s;
	rsm_err e;
	int li;

	if (!library || port < -1)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, true, &e);
	if (!s)
		goto out;
	li = library_find(eng, library);
	if (li < 0) {
		e = ERROR_INVALID_LIBRARY;
		goto out;
	}
	e = port_library_check(&eng->libraries[li], port);
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_INJECT, .session = (int)(s - eng->sessions),
				    .medium = NO_INDEX, .drive = NO_INDEX, .library = li,
				    .port = port};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

/* Checks the operator's access and finds the library; -1 with *e set on failure. */
static int sim_library(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       rsm_err *e)
{
	int li;

	*e = ERROR_SUCCESS;
	if (eng->stopping)
		*e = ERROR_NOT_CONNECTED;
	else if (!cred || !cred->admin)
		*e = ERROR_ACCESS_DENIED;
	else if ((li = library_find(eng, library)) < 0)
		*e = ERROR_INVALID_LIBRARY;
	else if (strcmp(eng->libraries[li].backend, "sim") != 0)
		*e = ERROR_INVALID_OPERATION;
	else
		return li;
	return -1;
}

rsm_err rsm_sim_remove(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       int port)
{
	rsm_err e;

	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	if (li < 0)
		goto out;
	struct library *l = &eng->libraries[li];
	if (port < 0)
		for (int p = 0; p < l->nports && port < 0; p++)
			if (l->port_medium[p] != NO_INDEX && !eng->media[l->port_medium[p]].busy)
				port = p;
	if (port < 0 || port >= l->nports) {
		e = port < 0 ? ERROR_EMPTY : ERROR_INVALID_PARAMETER;
		goto out;
	}
	int mi = l->port_medium[port];
	if (mi == NO_INDEX || eng->media[mi].busy || eng->media[mi].loc != LOC_PORT) {
		e = mi == NO_INDEX ? ERROR_EMPTY : ERROR_BUSY;
		goto out;
	}
	struct medium *m = &eng->media[mi];
	struct medium saved = *m;
	m->loc = LOC_OFFLINE;
	m->loc_addr = 0;
	m->state = MEDIA_OFFLINE;
	e = catalog_save_state(eng, NULL, m, NULL);
	if (e != ERROR_SUCCESS) {
		*m = saved;
		goto out;
	}
	l->port_medium[port] = NO_INDEX;
	emit_medium(eng, m);
	emit_slots(eng, l, true);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_insert(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       const char *barcode, int port)
{
	rsm_err e;

	if (!barcode)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	if (li < 0)
		goto out;
	struct library *l = &eng->libraries[li];
	if (port < 0)
		port = first_free(l->port_medium, l->nports);
	if (port < 0 || port >= l->nports) {
		e = port < 0 ? ERROR_IEPORT_FULL : ERROR_INVALID_PARAMETER;
		goto out;
	}
	if (l->port_medium[port] != NO_INDEX) {
		e = ERROR_IEPORT_FULL;
		goto out;
	}
	int mi = NO_INDEX;
	for (int i = 0; i < eng->nmedia && mi < 0; i++)
		if (strcmp(eng->media[i].barcode, barcode) == 0)
			mi = i;
	if (mi < 0) {
		/* a cartridge the catalog has never seen is classified on inject (import pool);
		 * this build knows only its own cartridges */
		e = ERROR_INVALID_MEDIA;
		goto out;
	}
	struct medium *m = &eng->media[mi];
	if (m->loc != LOC_OFFLINE) {
		e = ERROR_INVALID_STATE; /* that cartridge is already inside a library */
		goto out;
	}
	struct medium saved = *m;
	m->library = li;
	m->loc = LOC_PORT;
	m->loc_addr = port;
	m->state = MEDIA_IN_PORT;
	e = catalog_save_state(eng, NULL, m, NULL);
	if (e != ERROR_SUCCESS) {
		*m = saved;
		goto out;
	}
	l->port_medium[port] = mi;
	emit_medium(eng, m);
	emit_slots(eng, l, true);
out:
	engine_unlock(eng);
	return e;
}
