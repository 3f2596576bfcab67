/* startup.c - start-up: read the catalog into memory, create the configured libraries that
 * the catalog does not have yet and attach their backends, reconcile with the changers, and
 * settle what the last run left half done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "catalog.h"
#include "jobs.h"
#include "notify.h"
#include "requests.h"
#include "site.h"
#include "startup.h"

/* Rebuilds slot, port and drive occupancy from the media's locations. */
static void link_locations(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nlibraries; i++) {
		struct library *l = &eng->libraries[i];
		free(l->slot_medium);
		free(l->slot_home);
		free(l->port_medium);
		l->slot_medium = malloc(sizeof(int) * (size_t)(l->nslots ? l->nslots : 1));
		l->slot_home = malloc(sizeof(int) * (size_t)(l->nslots ? l->nslots : 1));
		l->port_medium = malloc(sizeof(int) * (size_t)(l->nports ? l->nports : 1));
		if (!l->slot_medium || !l->slot_home || !l->port_medium)
			abort();
		for (int s = 0; s < l->nslots; s++)
			l->slot_medium[s] = l->slot_home[s] = NO_INDEX;
		for (int s = 0; s < l->nports; s++)
			l->port_medium[s] = NO_INDEX;
	}
	for (int i = 0; i < eng->ndrives; i++)
		eng->drives[i].medium = NO_INDEX;
	for (int i = 0; i < eng->nmedia; i++) {
		struct medium *m = &eng->media[i];
		struct library *l = m->library >= 0 ? &eng->libraries[m->library] : NULL;
		if (!l)
			continue;
		if (m->home_slot >= 0 && m->home_slot < l->nslots && l->slot_home[m->home_slot] < 0)
			l->slot_home[m->home_slot] = i;
		else
			m->home_slot = -1; /* a slot is one medium's home: the first one keeps it */
		if (m->loc == LOC_SLOT && m->loc_addr >= 0 && m->loc_addr < l->nslots)
			l->slot_medium[m->loc_addr] = i;
		else if (m->loc == LOC_PORT && m->loc_addr >= 0 && m->loc_addr < l->nports)
			l->port_medium[m->loc_addr] = i;
		else if (m->loc == LOC_DRIVE && m->loc_addr >= 0 && m->loc_addr < eng->ndrives)
			eng->drives[m->loc_addr].medium = i;
	}
}

static void link_drives(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nlibraries; i++) {
		struct library *l = &eng->libraries[i];
		int n = 0;
		free(l->drive_index);
		l->drive_index = malloc(sizeof(int) * (size_t)(eng->ndrives ? eng->ndrives : 1));
		if (!l->drive_index)
			abort();
		for (int d = 0; d < eng->ndrives; d++)
			if (eng->drives[d].library == i)
				l->drive_index[n++] = d;
		l->ndrives = n;
	}
}

/* The session named name (NO_INDEX: none), among every host's (any) or only the other hosts'
 * of a site, which outlive this host's start. */
static int session_of_host(const struct rsm_engine *eng, const char *name, bool any)
{
	for (int i = 0; name[0] && i < eng->nsessions; i++)
		if (eng->sessions[i].used && (any || eng->sessions[i].remote) &&
		    strcmp(eng->sessions[i].name, name) == 0)
			return i;
	return NO_INDEX;
}

/* What a crash or a stop left half done, as far as the catalog alone can tell: this host's
 * sessions are gone, so their queued work is cancelled and their media are released (another
 * host's session, in a site, keeps its queued work and its drives).  Work that was in
 * process is judged once the changer has said where the cartridges are (settle_in_process). */
static rsm_err settle_previous_run(struct rsm_engine *eng)
{
	rsm_err e = catalog_begin(eng);

	for (size_t i = 0; e == ERROR_SUCCESS && i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (request_pending(r) && site_manages(eng, r->library) &&
		    (r->session = session_of_host(eng, r->session_name, false)) < 0) {
			r->state = REQ_CANCELLED;
			r->error = ERROR_CANCELLED;
			snprintf(r->error_detail, sizeof(r->error_detail),
				 "the daemon stopped before the request started");
			r->finished = wall_now();
			e = catalog_save_request(eng, r);
		}
	}
	if (e == ERROR_SUCCESS)
		e = catalog_clear_sessions(eng);
	return catalog_end(eng, e);
}

/* Whether request r, in process when the daemon stopped, got where it was going: the
 * changer's report (the media's locations now) decides. */
static bool request_reached(struct rsm_engine *eng, const struct request *r)
{
	const struct medium *m = r->medium >= 0 ? &eng->media[r->medium] : NULL;

	switch (r->op) {
	case OP_MOUNT:
		return m && m->loc == LOC_DRIVE && m->loc_addr == r->drive;
	case OP_DISMOUNT:
		return m && (m->loc == LOC_SLOT ||
			     (m->loc == LOC_OFFLINE && !eng->libraries[m->library].nslots));
	case OP_EJECT:
		return m && m->loc == LOC_PORT;
	case OP_INJECT: {
		const struct library *l = &eng->libraries[r->library];
		for (int p = 0; p < l->nports; p++)
			if ((r->port < 0 || p == r->port) && l->port_medium[p] != NO_INDEX)
				return false;
		return true;
	}
	default:
		return false; /* cleaning and inventory are not resumed: RSM discards them */
	}
}

/* Request r, in process when its library's manager stopped, ends as the changer's report
 * says (what stopped: this daemon, or another host's).  Its record is saved; its caller is
 * answered by the caller of this. */
static void judge_in_process(struct rsm_engine *eng, struct request *r, const char *who)
{
	char where[96];
	bool reached = request_reached(eng, r);

	r->state = reached ? REQ_PASSED : REQ_FAILED;
	r->error = reached ? ERROR_SUCCESS : ERROR_NOT_CONNECTED;
	if (r->medium >= 0)
		medium_location_text(eng, &eng->media[r->medium], where, sizeof(where));
	else
		snprintf(where, sizeof(where), "-");
	snprintf(r->error_detail, sizeof(r->error_detail),
		 "%s stopped while the request was in process; the changer reports the medium "
		 "at %s",
		 who, where);
	if (reached)
		r->error_detail[0] = '\0';
	r->finished = wall_now();
	request_track(eng, r);
	/* a mount that got there is its session's, if that outlived its manager (a site) */
	if (r->op == OP_MOUNT && reached && r->session >= 0)
		drive_hold(eng, &eng->drives[r->drive], r->session, r->vdrive);
	catalog_save_request(eng, r);
}

/* The drives and media of library li (every library this host manages: li < 0) in the states
 * their places and holders say; only what changed is written (a site has 100,000 media,
 * nearly all at rest). */
static void settle_places(struct rsm_engine *eng, int li)
{
	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		enum drive_state was = d->state;
		if (li >= 0 ? d->library != li : !site_manages(eng, d->library))
			continue; /* another host's, in use there */
		if (d->session < 0 || !eng->sessions[d->session].used)
			drive_hold(eng, d, NO_INDEX, NO_INDEX);
		settle_drive_state(d);
		if (d->state != was)
			catalog_save_drive(eng, d);
	}
	for (int i = 0; i < eng->nmedia; i++) {
		enum media_state was = eng->media[i].state;
		if (li >= 0 ? eng->media[i].library != li
			    : !site_manages(eng, eng->media[i].library))
			continue;
		settle_medium_state(eng, &eng->media[i]);
		if (eng->media[i].state != was)
			catalog_save_medium(eng, &eng->media[i]);
	}
}

/* Requests that were in process when the daemon stopped end as the changer's report says;
 * no session survives, so what was mounted is dismountable and nothing is in motion. */
static void settle_in_process(struct rsm_engine *eng)
{
	if (catalog_begin(eng) != ERROR_SUCCESS)
		return;
	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (r->state != REQ_INPROCESS || !site_manages(eng, r->library))
			continue;
		r->session = session_of_host(eng, r->session_name, false);
		judge_in_process(eng, r, "the daemon");
	}
	settle_places(eng, -1);
	catalog_commit(eng);
}

/* A request of library li's queue, as this host takes the library over: one in process is
 * judged by where the changer has its cartridge (a mount that got there is its session's);
 * one pending joins this host's queue, unless its session is gone. */
static void take_request(struct rsm_engine *eng, struct request *r)
{
	r->session = session_of_host(eng, r->session_name, true);
	if (r->state == REQ_INPROCESS) {
		judge_in_process(eng, r, "the library's manager");
		emit_request(eng, r, RSM_EV_UPDATE);
		emit_request(eng, r, RSM_EV_COMPLETE);
		request_ended_elsewhere(eng, r); /* a caller of this host's is answered */
	} else if (request_pending(r) && r->session < 0 && r->op == OP_MOUNT) {
		request_finish(eng, r, REQ_CANCELLED, ERROR_CANCELLED, "the session was closed");
	} else {
		request_track(eng, r);
	}
}

int engine_take_over(struct rsm_engine *eng, int li)
{
	struct library *l = &eng->libraries[li];

	if (l->ops->reconcile)
		l->ops->reconcile(eng, li); /* the changer's word first: where each cartridge is */
	rsm_err e = catalog_begin(eng);
	for (size_t i = 0; e == ERROR_SUCCESS && i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (r->library == li && !request_finished(r))
			take_request(eng, r);
	}
	if (e == ERROR_SUCCESS)
		settle_places(eng, li);
	e = catalog_end(eng, e);
	emit_library(eng, l);
	for (int i = 0; i < eng->ndrives; i++)
		if (eng->drives[i].library == li)
			emit_drive(eng, &eng->drives[i]);
	return e == ERROR_SUCCESS ? 0 : -1;
}

/* ---- the configured libraries ---- */

static struct pool *add_pool(struct rsm_engine *eng, const char *name, const char *media_type)
{
	struct pool *p = array_grow((void **)&eng->pools, &eng->npools, sizeof(*p));

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	guid_new(p->guid);
	snprintf(p->type, sizeof(p->type), "%s", name); /* a system pool's type is its name */
	snprintf(p->media_type, sizeof(p->media_type), "%s", media_type);
	p->draw = true;
	p->ret = true;
	p->mode = 0755;
	return p;
}

/* The system pools, in a new catalog. */
static int create_system_pools(struct rsm_engine *eng)
{
	static const char *const system_pools[] = {"free", "import", "unrecognized", "cleaner"};
	const char *media_type = eng->cfg.nlibraries ? eng->cfg.libraries[0].media_type : "";

	for (size_t i = 0; i < ARRAY_SIZE(system_pools); i++) {
		if (pool_find(eng, system_pools[i]) >= 0)
			continue;
		struct pool *p = add_pool(eng, system_pools[i], media_type);
		if (!p || catalog_save_pool(eng, p) != ERROR_SUCCESS)
			return -1;
	}
	return 0;
}

/* A library of the configuration that the catalog does not have: its row; its backend
 * makes the rest. */
static int create_library(struct rsm_engine *eng, const struct rsm_library_config *c, char *err,
			  size_t errlen)
{
	struct library *l = array_grow((void **)&eng->libraries, &eng->nlibraries, sizeof(*l));

	if (!l) {
		snprintf(err, errlen, "out of memory creating library %s", c->name);
		return -1;
	}
	snprintf(l->name, sizeof(l->name), "%s", c->name);
	guid_new(l->guid);
	snprintf(l->type, sizeof(l->type), "%s", c->type[0] ? c->type : "changer");
	l->enabled = true;
	snprintf(l->backend, sizeof(l->backend), "%s", c->backend);
	snprintf(l->changer, sizeof(l->changer), "%s", c->changer);
	snprintf(l->door, sizeof(l->door), "closed");
	l->dismount_delay = 300; /* RSM's default */
	l->slot_medium = malloc(sizeof(int));
	l->slot_home = malloc(sizeof(int));
	l->port_medium = malloc(sizeof(int));
	l->drive_index = malloc(sizeof(int));
	if (!l->slot_medium || !l->slot_home || !l->port_medium || !l->drive_index ||
	    catalog_save_library(eng, l) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot write library %s to the catalog: %s", c->name,
			 catalog_error(eng));
		return -1;
	}
	return 0;
}

/* Finds (or, in a catalog that can be written, creates) every configured library and
 * attaches its backend. */
static int configure_libraries(struct rsm_engine *eng, char *err, size_t errlen)
{
	bool writable = !catalog_readonly(eng);

	if (writable && (catalog_begin(eng) != ERROR_SUCCESS || create_system_pools(eng) < 0)) {
		catalog_rollback(eng);
		snprintf(err, errlen, "cannot create the system pools in %s: %s", eng->cfg.database,
			 catalog_error(eng));
		return -1;
	}
	for (int i = 0; i < eng->cfg.nlibraries; i++) {
		const struct rsm_library_config *c = &eng->cfg.libraries[i];
		int li = library_find(eng, c->name);
		bool created = li < 0;
		if (created && !writable)
			continue;
		if (created && create_library(eng, c, err, errlen) < 0)
			goto fail;
		li = library_find(eng, c->name);
		struct library *l = &eng->libraries[li];
		if (!created && !backend_matches(l, c, err, errlen))
			goto fail;
		l->present = true;
		snprintf(l->media_type, sizeof(l->media_type), "%s", c->media_type);
		if (c->dismount_delay >= 0 && c->dismount_delay != l->dismount_delay) {
			l->dismount_delay = c->dismount_delay; /* the configuration says so */
			if (writable && catalog_save_library(eng, l) != ERROR_SUCCESS)
				goto fail;
		}
		l->ops = backend_for(c);
		if (!l->ops) {
			snprintf(err, errlen, "library %s: no backend %s", c->name, c->backend);
			goto fail;
		}
		if (l->ops->attach(eng, li, c, created, err, errlen) < 0)
			goto fail;
	}
	if (writable && catalog_commit(eng) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot commit the catalog %s: %s", eng->cfg.database,
			 catalog_error(eng));
		return -1;
	}
	return 0;
fail:
	if (writable)
		catalog_rollback(eng);
	return -1;
}

int engine_start(struct rsm_engine *eng, char *err, size_t errlen)
{
	if (catalog_load(eng) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot read catalog %s: %s", eng->cfg.database,
			 catalog_error(eng));
		return -1;
	}
	link_drives(eng);
	link_locations(eng);
	/* in a site, what this host may settle is what it manages: its leases come first */
	if (site_take_leases(eng, err, errlen) < 0 || site_link_sessions(eng, err, errlen) < 0)
		return -1;
	if (!catalog_readonly(eng) && settle_previous_run(eng) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot read catalog %s: %s", eng->cfg.database,
			 catalog_error(eng));
		return -1;
	}
	requests_loaded(eng);
	popularity_learn_history(eng);
	if (configure_libraries(eng, err, errlen) < 0)
		return -1;
	/* a host alone on its catalog manages every library it has; in a site, those it holds
	 * the lease of */
	for (int i = 0; !eng->site && i < eng->nlibraries; i++) {
		eng->libraries[i].managed = true;
		snprintf(eng->libraries[i].manager, sizeof(eng->libraries[i].manager), "%s",
			 eng->cfg.host);
	}
	if (site_adopt_leases(eng, err, errlen) < 0)
		return -1;
	if (catalog_readonly(eng))
		return 0;
	/* a real changer that cannot be reached leaves its library offline rather than the
	 * daemon refusing to start; its thread keeps trying */
	for (int i = 0; i < eng->nlibraries; i++)
		if (eng->libraries[i].present && eng->libraries[i].managed &&
		    eng->libraries[i].ops->reconcile)
			eng->libraries[i].ops->reconcile(eng, i);
	/* a real changer's drives are made by its first reconcile, after the leases were
	 * adopted: without this the manager of a new scsi library was missing from every
	 * drives/<d>/hosts, so no other host's mount was given its drives */
	if (eng->site && site_register_drives(eng, err, errlen) < 0)
		return -1;
	settle_in_process(eng);
	opreqs_loaded(eng);
	return 0;
}
