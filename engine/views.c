/* views.c - the snapshots behind the front end's views of the whole site (rsmfs(5), metrics)
 * and of one library (libraries/lib/map): each is copied under one hold of the engine lock,
 * so that one rendering shows one moment, and the catalog is never asked.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ---- metrics ---- */

void rsm_metrics_free(struct rsm_metrics *m)
{
	free(m->libraries);
	free(m->drives);
	memset(m, 0, sizeof(*m));
}

/* The drives by state and the requests by state of each library (the engine lock held). */
static void count_states(struct rsm_engine *eng, struct rsm_metrics *out)
{
	for (int i = 0; i < eng->ndrives; i++) {
		const struct drive *d = &eng->drives[i];
		if (d->library >= 0 && (size_t)d->library < out->nlibraries &&
		    (unsigned)d->state < RSM_DRIVE_NSTATES)
			out->libraries[d->library].drives[d->state]++;
	}
	/* the requests still listed (rsmfs(5), requests/n): a finished one counts until the
	 * retention drops it */
	for (size_t i = 0; i < eng->nrequests; i++) {
		const struct request *r = eng->requests[i];
		if (r->library >= 0 && (size_t)r->library < out->nlibraries &&
		    (unsigned)r->state < RSM_REQUEST_NSTATES)
			out->libraries[r->library].requests[r->state]++;
	}
}

rsm_err rsm_metrics_snapshot(struct rsm_engine *eng, struct rsm_metrics *out)
{
	rsm_err e = ERROR_SUCCESS;

	memset(out, 0, sizeof(*out));
	engine_lock(eng);
	out->nlibraries = (size_t)eng->nlibraries;
	out->ndrives = (size_t)eng->ndrives;
	out->libraries = calloc(out->nlibraries + 1, sizeof(*out->libraries));
	out->drives = calloc(out->ndrives + 1, sizeof(*out->drives));
	if (!out->libraries || !out->drives) {
		e = ERROR_NOT_ENOUGH_MEMORY;
	} else {
		out->commits = eng->commits;
		for (size_t i = 0; i < out->nlibraries; i++)
			library_info_fill(&eng->libraries[i], &out->libraries[i].info);
		for (size_t i = 0; i < out->ndrives; i++) {
			const struct drive *d = &eng->drives[i];
			struct rsm_drive_metrics *dm = &out->drives[i];
			text_copy(dm->name, sizeof(dm->name), d->name);
			if (d->library >= 0)
				text_copy(dm->library, sizeof(dm->library),
					  eng->libraries[d->library].name);
			dm->state = (int)d->state;
			dm->mounts = d->mounts;
			dm->bytes_read = d->bytes_read;
			dm->bytes_written = d->bytes_written;
		}
		count_states(eng, out);
	}
	engine_unlock(eng);
	if (e != ERROR_SUCCESS)
		rsm_metrics_free(out);
	return e;
}

/* ---- a library's map ---- */

void rsm_library_map_free(struct rsm_library_map *m)
{
	free(m->slots);
	free(m->ports);
	free(m->drives);
	memset(m, 0, sizeof(*m));
}

/* Puts medium mi (NO_INDEX: none) into a map element: its name, barcode and state. */
static void element_medium(struct rsm_engine *eng, int mi, struct rsm_map_element *el)
{
	if (mi < 0)
		return;
	const struct medium *m = &eng->media[mi];
	text_copy(el->medium, sizeof(el->medium), m->name);
	text_copy(el->barcode, sizeof(el->barcode), m->barcode);
	text_copy(el->state, sizeof(el->state),
		  m->enabled ? name_of(&media_states, m->state) : "disabled");
}

/* The slots or ports of library l: what each holds, and whose home an empty slot is. */
static void map_places(struct rsm_engine *eng, const struct library *l, bool ports,
		       struct rsm_map_element *out)
{
	int n = ports ? l->nports : l->nslots;
	const int *occupant = ports ? l->port_medium : l->slot_medium;

	for (int i = 0; i < n; i++) {
		out[i].address = i;
		element_medium(eng, occupant[i], &out[i]);
		if (!ports && occupant[i] < 0 && l->slot_home[i] >= 0)
			text_copy(out[i].home, sizeof(out[i].home),
				  eng->media[l->slot_home[i]].name);
	}
}

/* The drives of library li, in their order in the library: state, cartridge, session. */
static void map_drives(struct rsm_engine *eng, int li, size_t n, struct rsm_map_element *out)
{
	for (size_t k = 0; k < n; k++) {
		const struct drive *d = library_drive(eng, li, (int)k);
		out[k].address = (int)k;
		if (!d)
			continue;
		element_medium(eng, d->medium, &out[k]);
		text_copy(out[k].drive, sizeof(out[k].drive), d->name);
		/* a drive shows its own state: the medium's is implied by it */
		text_copy(out[k].state, sizeof(out[k].state), name_of(&drive_states, d->state));
		if (d->session >= 0)
			text_copy(out[k].session, sizeof(out[k].session),
				  eng->sessions[d->session].name);
	}
}

rsm_err rsm_library_map(struct rsm_engine *eng, const char *library, struct rsm_library_map *out)
{
	rsm_err e = ERROR_INVALID_LIBRARY;

	memset(out, 0, sizeof(*out));
	engine_lock(eng);
	int li = library_find(eng, library);
	if (li >= 0) {
		const struct library *l = &eng->libraries[li];
		library_info_fill(l, &out->info);
		out->nslots = (size_t)l->nslots;
		out->nports = (size_t)l->nports;
		out->ndrives = (size_t)l->ndrives;
		/* one element more than asked: calloc(0) may be NULL */
		out->slots = calloc(out->nslots + 1, sizeof(*out->slots));
		out->ports = calloc(out->nports + 1, sizeof(*out->ports));
		out->drives = calloc(out->ndrives + 1, sizeof(*out->drives));
		e = ERROR_NOT_ENOUGH_MEMORY;
		if (out->slots && out->ports && out->drives) {
			map_places(eng, l, false, out->slots);
			map_places(eng, l, true, out->ports);
			map_drives(eng, li, out->ndrives, out->drives);
			e = ERROR_SUCCESS;
		}
	}
	engine_unlock(eng);
	if (e != ERROR_SUCCESS)
		rsm_library_map_free(out);
	return e;
}
