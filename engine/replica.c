/* replica.c - the model made to hold the catalog's rows (replica.h).
 *
 * At start-up every row is new and nothing is announced.  Later, in a site, a row is another
 * host's change: the object takes the row's values, the occupancy tables follow a cartridge
 * that moved, and each visible change is announced as the host that made it announced it
 * (a medium, the slots it left and reached, its sides, its pools), so that a watcher on any
 * host sees the same events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "notify.h"
#include "replica.h"
#include "requests.h"
#include "site.h"

/* ---- arrays kept in order ---- */

void request_array_insert(struct rsm_engine *eng, struct request *r)
{
	size_t i = eng->nrequests;

	while (i > 0 && eng->requests[i - 1]->number > r->number)
		i--;
	memmove(&eng->requests[i + 1], &eng->requests[i],
		(eng->nrequests - i) * sizeof(*eng->requests));
	eng->requests[i] = r;
	eng->nrequests++;
}

void opreq_array_insert(struct rsm_engine *eng, struct opreq *o)
{
	size_t i = eng->nopreqs;

	while (i > 0 && eng->opreqs[i - 1]->number > o->number)
		i--;
	memmove(&eng->opreqs[i + 1], &eng->opreqs[i], (eng->nopreqs - i) * sizeof(*eng->opreqs));
	eng->opreqs[i] = o;
	eng->nopreqs++;
}

/* Whether events are due: not while the model is first read. */
static bool announcing(const struct rsm_engine *eng)
{
	return !eng->loading;
}

/* ---- libraries ---- */

/* A library new to this host: its tables, empty (its media fill them as they are read). */
static int library_new(struct rsm_engine *eng, const struct library *row)
{
	struct library *l = array_grow((void **)&eng->libraries, &eng->nlibraries, sizeof(*l));

	if (!l)
		return -1;
	snprintf(l->name, sizeof(l->name), "%s", row->name);
	l->config = -1;
	l->slot_medium = malloc(sizeof(int) * (size_t)(row->nslots ? row->nslots : 1));
	l->slot_home = malloc(sizeof(int) * (size_t)(row->nslots ? row->nslots : 1));
	l->port_medium = malloc(sizeof(int) * (size_t)(row->nports ? row->nports : 1));
	l->drive_index = malloc(sizeof(int));
	if (!l->slot_medium || !l->slot_home || !l->port_medium || !l->drive_index)
		abort(); /* a library without its tables would be read out of bounds */
	for (int s = 0; s < row->nslots; s++)
		l->slot_medium[s] = l->slot_home[s] = NO_INDEX;
	for (int s = 0; s < row->nports; s++)
		l->port_medium[s] = NO_INDEX;
	l->nslots = row->nslots;
	l->nports = row->nports;
	return eng->nlibraries - 1;
}

/* Grows the occupancy tables to a larger layout another host found (a real changer's). */
static void library_layout(struct library *l, int nslots, int nports)
{
	int *s = realloc(l->slot_medium, sizeof(int) * (size_t)(nslots ? nslots : 1));
	int *h = s ? realloc(l->slot_home, sizeof(int) * (size_t)(nslots ? nslots : 1)) : NULL;
	int *p = h ? realloc(l->port_medium, sizeof(int) * (size_t)(nports ? nports : 1)) : NULL;

	if (s)
		l->slot_medium = s;
	if (h)
		l->slot_home = h;
	if (!p)
		return; /* the old layout stays; the next change tries again */
	l->port_medium = p;
	for (int i = l->nslots; i < nslots; i++)
		l->slot_medium[i] = l->slot_home[i] = NO_INDEX;
	for (int i = l->nports; i < nports; i++)
		l->port_medium[i] = NO_INDEX;
	l->nslots = nslots;
	l->nports = nports;
}

int replica_library(struct rsm_engine *eng, const struct library *row)
{
	int li = library_find(eng, row->name);

	if (li < 0 && (li = library_new(eng, row)) < 0)
		return -1;
	struct library *l = &eng->libraries[li], was = *l;
	snprintf(l->guid, sizeof(l->guid), "%s", row->guid);
	snprintf(l->type, sizeof(l->type), "%s", row->type);
	snprintf(l->backend, sizeof(l->backend), "%s", row->backend);
	snprintf(l->changer, sizeof(l->changer), "%s", row->changer);
	snprintf(l->door, sizeof(l->door), "%s", row->door);
	l->enabled = row->enabled;
	if (row->nslots > l->nslots || row->nports > l->nports)
		library_layout(l, row->nslots, row->nports);
	l->moves = row->moves;
	l->mounts = row->mounts;
	l->failures = row->failures;
	l->mount_secs_total = row->mount_secs_total;
	l->mount_secs_max = row->mount_secs_max;
	l->dismount_delay = row->dismount_delay;
	memcpy(l->mount_buckets, row->mount_buckets, sizeof(l->mount_buckets));
	/* its changer answers to its manager: another host reports what the manager wrote */
	if (!l->managed && !l->stepped_down) {
		l->reachable = row->reachable;
		l->inventorying = row->inventorying;
	}
	if (!announcing(eng))
		return li;
	if (strcmp(was.door, l->door) != 0)
		emit_door(eng, l);
	if (strcmp(was.door, l->door) != 0 || was.enabled != l->enabled ||
	    was.reachable != l->reachable || was.inventorying != l->inventorying ||
	    was.moves != l->moves || was.mounts != l->mounts || was.failures != l->failures ||
	    was.dismount_delay != l->dismount_delay || was.nslots != l->nslots)
		emit_library(eng, l);
	return li;
}

/* ---- pools ---- */

int replica_pool(struct rsm_engine *eng, const struct pool *row)
{
	int pi = pool_find(eng, row->name);
	bool created = pi < 0;

	if (created) {
		struct pool *p = array_grow((void **)&eng->pools, &eng->npools, sizeof(*p));
		if (!p)
			return -1;
		pi = eng->npools - 1;
	}
	struct pool *p = &eng->pools[pi], was = *p;
	*p = *row;
	if (announcing(eng) && (created || memcmp(&was, p, sizeof(was)) != 0))
		emit_pool(eng, p, created ? RSM_EV_INSERT : RSM_EV_UPDATE);
	return pi;
}

void replica_pool_gone(struct rsm_engine *eng, const char *name)
{
	int pi = pool_find(eng, name);

	if (pi < 0)
		return;
	for (int i = 0; i < eng->nmedia; i++)
		if (eng->media[i].pool == pi)
			return; /* a medium still names it: its row comes next, then the pool goes
				 */
	struct pool gone = eng->pools[pi];
	pool_remove(eng, pi);
	emit_pool(eng, &gone, RSM_EV_DELETE);
}

/* ---- sessions ---- */

/* A free session slot (a new one if none is free); -1 without memory. */
static int session_slot(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nsessions; i++)
		if (!eng->sessions[i].used)
			return i;
	struct session *n = realloc(eng->sessions, sizeof(*n) * (size_t)(eng->nsessions + 1));
	if (!n)
		return -1;
	eng->sessions = n;
	memset(&n[eng->nsessions], 0, sizeof(*n));
	return eng->nsessions++;
}

int replica_session(struct rsm_engine *eng, const struct session *row)
{
	for (int i = 0; i < eng->nsessions; i++)
		if (eng->sessions[i].used && strcmp(eng->sessions[i].name, row->name) == 0)
			return i; /* a session's row never changes */
	/* this host's own sessions are made here (a row of a past run is gone at start-up) */
	if (strcmp(row->host, eng->cfg.host) == 0)
		return -1;
	int slot = session_slot(eng);
	if (slot < 0)
		return -1;
	struct session *s = &eng->sessions[slot];
	uint32_t gen = s->generation + 1;
	*s = *row;
	s->used = true;
	s->remote = true;
	s->generation = gen;
	if (announcing(eng))
		emit_session(eng, s, RSM_EV_INSERT);
	return slot;
}

void replica_session_gone(struct rsm_engine *eng, const char *name)
{
	for (int i = 0; i < eng->nsessions; i++) {
		struct session *s = &eng->sessions[i];
		if (s->used && strcmp(s->name, name) == 0) {
			/* another host's, closed there; or this host's, closed by a manager while
			 * this host was taken for down (rsmfs(8), SEVERAL HOSTS) */
			session_unwind(eng, i);
			return;
		}
	}
}

/* ---- media ---- */

/* Clears medium mi from the place the occupancy tables have it (if they do). */
static void vacate_place(struct rsm_engine *eng, int mi, const struct medium *m)
{
	struct library *l = &eng->libraries[m->library];

	if (m->loc == LOC_SLOT && m->loc_addr < l->nslots && l->slot_medium[m->loc_addr] == mi) {
		l->slot_medium[m->loc_addr] = NO_INDEX;
		emit_slots(eng, l, false);
	} else if (m->loc == LOC_PORT && m->loc_addr < l->nports &&
		   l->port_medium[m->loc_addr] == mi) {
		l->port_medium[m->loc_addr] = NO_INDEX;
		emit_slots(eng, l, true);
	} else if (m->loc == LOC_DRIVE && m->loc_addr < eng->ndrives &&
		   eng->drives[m->loc_addr].medium == mi) {
		eng->drives[m->loc_addr].medium = NO_INDEX;
	}
}

/* Puts medium mi where its row says, in the occupancy tables. */
static void occupy_place(struct rsm_engine *eng, int mi, const struct medium *m)
{
	struct library *l = &eng->libraries[m->library];

	if (m->loc == LOC_SLOT && m->loc_addr >= 0 && m->loc_addr < l->nslots) {
		l->slot_medium[m->loc_addr] = mi;
		emit_slots(eng, l, false);
	} else if (m->loc == LOC_PORT && m->loc_addr >= 0 && m->loc_addr < l->nports) {
		l->port_medium[m->loc_addr] = mi;
		emit_slots(eng, l, true);
	} else if (m->loc == LOC_DRIVE && m->loc_addr >= 0 && m->loc_addr < eng->ndrives) {
		eng->drives[m->loc_addr].medium = mi;
	}
}

/* The home slot's table follows the row's. */
static void rehome(struct rsm_engine *eng, int mi, int home)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];

	if (m->home_slot >= 0 && m->home_slot < l->nslots && l->slot_home[m->home_slot] == mi)
		l->slot_home[m->home_slot] = NO_INDEX;
	if (home >= 0 && home < l->nslots)
		l->slot_home[home] = mi;
	m->home_slot = home;
}

/* The events of a medium that changed: its directory, its sides, and its pools. */
static void medium_announce(struct rsm_engine *eng, struct medium *m, const struct medium *was)
{
	emit_medium(eng, m);
	for (int s = 0; s < m->nsides && s < was->nsides; s++)
		if (m->sides[s].state != was->sides[s].state ||
		    strcmp(m->sides[s].owner, was->sides[s].owner) != 0)
			emit_side(eng, m, s);
	if (m->pool != was->pool) {
		if (was->pool >= 0 && was->pool < eng->npools)
			emit_pool(eng, &eng->pools[was->pool], RSM_EV_UPDATE);
		emit_pool(eng, &eng->pools[m->pool], RSM_EV_UPDATE);
	}
}

int replica_medium(struct rsm_engine *eng, const struct medium *row)
{
	int mi = medium_find(eng, row->name);
	bool created = mi < 0;

	if (created) {
		struct medium *m = array_grow((void **)&eng->media, &eng->nmedia, sizeof(*m));
		if (!m)
			return -1;
		mi = eng->nmedia - 1;
		*m = *row;
		m->loc = LOC_OFFLINE; /* placed below */
		m->home_slot = -1;
		m->busy = NULL;
	}
	struct medium *m = &eng->media[mi], was = *m;
	bool moved = created || was.loc != row->loc || was.loc_addr != row->loc_addr ||
		     was.library != row->library;

	if (moved && !eng->loading)
		vacate_place(eng, mi, &was);
	struct request *busy = m->busy;
	bool label = m->label_reported;
	*m = *row;
	m->busy = busy; /* a job of this host's own */
	m->label_reported = label;
	m->home_slot = was.home_slot;
	if (!eng->loading) {
		rehome(eng, mi, row->home_slot);
		if (moved)
			occupy_place(eng, mi, m);
	}
	if (!announcing(eng))
		return mi;
	if (created)
		emit_medium_new(eng, m);
	else if (moved || memcmp(&was.state, &m->state, sizeof(m->state)) != 0 ||
		 was.enabled != m->enabled || was.pool != m->pool ||
		 memcmp(was.sides, m->sides, sizeof(m->sides)) != 0 ||
		 was.home_slot != m->home_slot)
		medium_announce(eng, m, &was);
	return mi;
}

/* ---- drives ---- */

/* A drive new to this host (another host's changer found it): appended to its library. */
static int drive_new(struct rsm_engine *eng, const struct drive *row)
{
	struct library *l = &eng->libraries[row->library];
	struct drive *d = array_grow((void **)&eng->drives, &eng->ndrives, sizeof(*d));
	int *idx;

	if (!d)
		return -1;
	if (!(idx = realloc(l->drive_index, sizeof(int) * (size_t)(l->ndrives + 1)))) {
		eng->ndrives--;
		return -1;
	}
	l->drive_index = idx;
	l->drive_index[l->ndrives++] = eng->ndrives - 1;
	d->medium = d->session = d->vdrive = NO_INDEX;
	return eng->ndrives - 1;
}

/* The slot of the open session called name, or NO_INDEX. */
static int session_named(struct rsm_engine *eng, const char *name)
{
	for (int i = 0; name && name[0] && i < eng->nsessions; i++)
		if (eng->sessions[i].used && strcmp(eng->sessions[i].name, name) == 0)
			return i;
	return NO_INDEX;
}

int replica_drive(struct rsm_engine *eng, const struct drive *row, const char *session)
{
	int di = drive_find(eng, row->name);
	bool created = di < 0;

	if (created && (di = drive_new(eng, row)) < 0)
		return -1;
	struct drive *d = &eng->drives[di], was = *d;
	snprintf(d->name, sizeof(d->name), "%s", row->name);
	snprintf(d->guid, sizeof(d->guid), "%s", row->guid);
	d->library = row->library;
	d->number = row->number;
	d->state = row->state;
	d->enabled = row->enabled;
	d->failed = row->state == DRIVE_FAILED;
	if (!eng->loading)
		d->medium = row->medium;
	d->session = session_named(eng, session);
	d->vdrive = d->session >= 0 ? row->vdrive : NO_INDEX;
	d->last_used = row->last_used;
	if (d->last_used > eng->lru_clock)
		eng->lru_clock = d->last_used;
	d->mounts = row->mounts;
	d->cleanings = row->cleanings;
	d->errors = row->errors;
	d->bytes_read = row->bytes_read;
	d->bytes_written = row->bytes_written;
	snprintf(d->last_cleaned, sizeof(d->last_cleaned), "%s", row->last_cleaned);
	if (!announcing(eng))
		return di;
	if (created) {
		char path[RSM_NAME_MAX + 16];
		snprintf(path, sizeof(path), "drives/%s", d->name);
		emit(eng, RSM_OBJ_DRIVE, RSM_EV_INSERT, path, d->guid);
	} else if (was.state != d->state || was.enabled != d->enabled || was.medium != d->medium ||
		   was.session != d->session || was.vdrive != d->vdrive ||
		   was.mounts != d->mounts || was.cleanings != d->cleanings ||
		   was.errors != d->errors) {
		emit_drive(eng, d);
	}
	return di;
}

void drive_hosts_set(struct rsm_engine *eng, struct drive *d, const char *hosts)
{
	if (strcmp(d->hosts, hosts) == 0)
		return;
	snprintf(d->hosts, sizeof(d->hosts), "%s", hosts);
	if (announcing(eng))
		emit_drive(eng, d);
}

/* ---- requests ---- */

/* The fields a request's row holds, from the row into the model's request. */
static void request_take(struct request *r, const struct request *row)
{
	r->op = row->op;
	r->state = row->state;
	snprintf(r->guid, sizeof(r->guid), "%s", row->guid);
	snprintf(r->session_name, sizeof(r->session_name), "%s", row->session_name);
	r->medium = row->medium;
	r->drive = row->drive;
	r->library = row->library;
	r->port = row->port;
	r->priority = row->priority;
	r->options = row->options;
	r->submitted = row->submitted;
	r->started = row->started;
	r->finished = row->finished;
	r->error = row->error;
	snprintf(r->error_detail, sizeof(r->error_detail), "%s", row->error_detail);
	r->specific_drive = row->specific_drive;
	r->vdrive = row->vdrive;
	r->pool = row->pool;
	r->opreq = row->opreq;
	r->opreq_satisfied = row->opreq_satisfied;
	snprintf(r->result, sizeof(r->result), "%s", row->result);
}

/* Files a request another host changed: with the finished ones once it has finished; never
 * in this host's queue while it is pending (its manager schedules it). */
static void request_follow(struct rsm_engine *eng, struct request *r)
{
	if (request_finished(r) || site_manages(eng, r->library))
		request_track(eng, r);
}

/* A request of another host's new here. */
static struct request *request_adopt(struct rsm_engine *eng, const struct request *row)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r || request_array_reserve(eng) < 0) {
		free(r);
		return NULL;
	}
	r->number = row->number;
	request_take(r, row);
	r->session = session_named(eng, row->session_name);
	request_array_insert(eng, r);
	if (r->number >= eng->next_request)
		eng->next_request = r->number + 1;
	request_follow(eng, r);
	return r;
}

struct request *replica_request(struct rsm_engine *eng, const struct request *row)
{
	struct request *r = request_find(eng, row->number);

	if (!r) {
		if (!(r = request_adopt(eng, row)))
			return NULL;
		if (announcing(eng)) {
			emit_request(eng, r, RSM_EV_INSERT);
			if (request_finished(r))
				emit_request(eng, r, RSM_EV_COMPLETE);
		}
		return r;
	}
	struct request was = *r;
	request_take(r, row);
	request_follow(eng, r);
	if (!announcing(eng) || (was.state == r->state && was.drive == r->drive &&
				 was.medium == r->medium && was.error == r->error))
		return r;
	emit_request(eng, r, RSM_EV_UPDATE);
	if (request_finished(r) && !request_finished(&was)) {
		emit_request(eng, r, RSM_EV_COMPLETE);
		request_ended_elsewhere(eng, r);
	}
	return r;
}

void replica_request_gone(struct rsm_engine *eng, uint64_t number)
{
	struct request *r = request_find(eng, number);

	if (r && request_finished(r))
		request_forget(eng, r);
}

/* ---- operator requests ---- */

struct opreq *replica_opreq(struct rsm_engine *eng, const struct opreq *row)
{
	struct opreq *o = opreq_find(eng, row->number);
	bool created = !o;

	if (created) {
		if (!(o = calloc(1, sizeof(*o))) || opreq_array_reserve(eng) < 0) {
			free(o);
			return NULL;
		}
		*o = *row;
		opreq_array_insert(eng, o);
		if (o->number >= eng->next_opreq)
			eng->next_opreq = o->number + 1;
		if (announcing(eng))
			emit_opreq(eng, o, RSM_EV_INSERT);
		return o;
	}
	struct opreq was = *o;
	o->state = row->state;
	o->finished = row->finished;
	o->request = row->request;
	snprintf(o->message, sizeof(o->message), "%s", row->message);
	if (!announcing(eng) || was.state == o->state)
		return o;
	emit_opreq(eng, o, RSM_EV_UPDATE);
	if (opreq_open(&was) && !opreq_open(o)) {
		emit_opreq(eng, o, RSM_EV_COMPLETE);
		opreq_answered(eng, o, o->state == OPREQ_COMPLETE);
	}
	return o;
}

void replica_opreq_gone(struct rsm_engine *eng, uint64_t number)
{
	struct opreq *o = opreq_find(eng, number);

	if (o)
		opreq_forget(eng, o);
}
