/* model.c - names of states, lookups by name and handle, access checks, and the rules that
 * derive a drive's or a medium's state from where things are. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define NAME_TABLE(var, ...)                                                                       \
	static const char *const var##_names[] = {__VA_ARGS__};                                    \
	const struct name_table var = {var##_names, (int)ARRAY_SIZE(var##_names)}

/* The drive and request states are the front end's too (the metrics' labels): public arrays
 * that the name tables use. */
const char *const rsm_drive_state_names[RSM_DRIVE_NSTATES] = {
    "empty", "loading", "mounted", "dismountable", "unloading", "cleaning", "disabled", "failed"};
const char *const rsm_request_state_names[RSM_REQUEST_NSTATES] = {
    "queued", "waiting", "inprocess", "passed", "failed", "cancelled", "stopped", "invalid"};
_Static_assert(DRIVE_FAILED + 1 == RSM_DRIVE_NSTATES, "a drive state without a name");
_Static_assert(REQ_INVALID + 1 == RSM_REQUEST_NSTATES, "a request state without a name");
const struct name_table drive_states = {rsm_drive_state_names, RSM_DRIVE_NSTATES};
const struct name_table req_states = {rsm_request_state_names, RSM_REQUEST_NSTATES};

NAME_TABLE(media_states, "idle", "loading", "mounted", "dismountable", "unloading", "in-port",
	   "offline", "disabled");
NAME_TABLE(req_ops, "mount", "dismount", "inject", "eject", "clean", "inventory", "door",
	   "allocate", "enable", "disable", "move");
NAME_TABLE(side_states, "unprepared", "available", "allocated", "complete", "decommissioned",
	   "foreign", "import", "incompatible", "reserved");
NAME_TABLE(opreq_types, "newmedia", "cleaner", "deviceservice", "movemedia", "message");
NAME_TABLE(opreq_states, "submitted", "active", "inprogress", "complete", "refused");
NAME_TABLE(loc_kinds, "slot", "drive", "port", "offline");

int name_lookup(const struct name_table *t, const char *s)
{
	for (int i = 0; s && i < t->count; i++)
		if (strcmp(t->names[i], s) == 0)
			return i;
	return 0;
}

bool valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > RSM_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void *array_grow(void **array, int *count, size_t sz)
{
	char *n = realloc(*array, (size_t)(*count + 1) * sz);

	if (!n)
		return NULL;
	memset(n + (size_t)*count * sz, 0, sz);
	*array = n;
	return n + (size_t)(*count)++ * sz;
}

/* Doubles a pointer array's capacity when it is full (one body for both element types, as
 * a macro: the arrays are of different pointer types). */
#define RESERVE(array, count, cap)                                                                 \
	do {                                                                                       \
		if ((count) < (cap))                                                               \
			return 0;                                                                  \
		size_t n = (cap) ? (cap)*2 : 256;                                                  \
		void *grown = realloc((array), n * sizeof(*(array)));                              \
		if (!grown)                                                                        \
			return -1;                                                                 \
		(array) = grown;                                                                   \
		(cap) = n;                                                                         \
		return 0;                                                                          \
	} while (0)

int request_array_reserve(struct rsm_engine *eng)
{
	RESERVE(eng->requests, eng->nrequests, eng->requests_cap);
}

int opreq_array_reserve(struct rsm_engine *eng)
{
	RESERVE(eng->opreqs, eng->nopreqs, eng->opreqs_cap);
}

/* ---- lookups ---- */

int library_find(struct rsm_engine *eng, const char *name)
{
	for (int i = 0; name && i < eng->nlibraries; i++)
		if (strcmp(eng->libraries[i].name, name) == 0)
			return i;
	return NO_INDEX;
}

/* Drives and media are hashed by name (a library can hold 100,000 cartridges); libraries
 * and pools are few. */
int drive_find(struct rsm_engine *eng, const char *name)
{
	struct name_array a = {eng->drives, sizeof(*eng->drives), offsetof(struct drive, name),
			       eng->ndrives};
	return name_index_find(&eng->drive_names, a, name);
}

int medium_find(struct rsm_engine *eng, const char *name)
{
	struct name_array a = {eng->media, sizeof(*eng->media), offsetof(struct medium, name),
			       eng->nmedia};
	return name_index_find(&eng->media_names, a, name);
}

int medium_by_barcode(struct rsm_engine *eng, const char *barcode)
{
	struct name_array a = {eng->media, sizeof(*eng->media), offsetof(struct medium, barcode),
			       eng->nmedia};
	return barcode[0] ? name_index_find(&eng->media_barcodes, a, barcode) : NO_INDEX;
}

int pool_find(struct rsm_engine *eng, const char *name)
{
	for (int i = 0; name && i < eng->npools; i++)
		if (strcmp(eng->pools[i].name, name) == 0)
			return i;
	return NO_INDEX;
}

/* Requests and operator requests are kept in ascending number order: binary search. */
#define FIND_BY_NUMBER(array, count, number)                                                       \
	do {                                                                                       \
		size_t lo = 0, hi = (count);                                                       \
		while (lo < hi) {                                                                  \
			size_t mid = (lo + hi) / 2;                                                \
			if ((array)[mid]->number == (number))                                      \
				return (array)[mid];                                               \
			if ((array)[mid]->number < (number))                                       \
				lo = mid + 1;                                                      \
			else                                                                       \
				hi = mid;                                                          \
		}                                                                                  \
		return NULL;                                                                       \
	} while (0)

struct request *request_find(struct rsm_engine *eng, uint64_t number)
{
	FIND_BY_NUMBER(eng->requests, eng->nrequests, number);
}

struct opreq *opreq_find(struct rsm_engine *eng, uint64_t number)
{
	FIND_BY_NUMBER(eng->opreqs, eng->nopreqs, number);
}

struct drive *library_drive(struct rsm_engine *eng, int li, int n)
{
	struct library *l = &eng->libraries[li];

	return n >= 0 && n < l->ndrives ? &eng->drives[l->drive_index[n]] : NULL;
}

bool library_standalone(const struct library *l)
{
	return strcmp(l->type, "standalone") == 0;
}

/* Bounds a mount time is sorted by: a real changer's mount takes tens of seconds, a sim's
 * a few, and one served in its drive none; past ten minutes is a library in trouble. */
const double rsm_mount_bucket_bounds[RSM_MOUNT_BUCKETS] = {0.1, 0.5, 1,	  2.5, 5,  10,
							   30,	60,  120, 300, 600};

void library_count_mount(struct library *l, double secs)
{
	l->mounts++;
	l->mount_secs_total += secs;
	if (secs > l->mount_secs_max)
		l->mount_secs_max = secs;
	for (int i = 0; i < RSM_MOUNT_BUCKETS; i++)
		if (secs <= rsm_mount_bucket_bounds[i]) {
			l->mount_buckets[i]++;
			break;
		}
}

/* The mount-time histogram as the catalog keeps it: "<bound>:<mounts>" pairs, so that a later
 * version with other bounds keeps the counts of the bounds it shares. */
void library_buckets_text(const struct library *l, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < RSM_MOUNT_BUCKETS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%g:%llu", i ? " " : "",
					 rsm_mount_bucket_bounds[i],
					 (unsigned long long)l->mount_buckets[i]);
}

/* Reads buckets_text's pairs into l; a bound this version does not have is dropped (those
 * mounts stay in the count, the +Inf bucket). */
void library_buckets_parse(struct library *l, const char *text)
{
	char *end;

	while (text && *text) {
		double bound = strtod(text, &end);
		if (end == text || *end != ':')
			return;
		unsigned long long n = strtoull(end + 1, &end, 10);
		for (int i = 0; i < RSM_MOUNT_BUCKETS; i++)
			if (rsm_mount_bucket_bounds[i] == bound)
				l->mount_buckets[i] = n;
		text = end + strspn(end, " ");
	}
}

/* ---- sessions and access ---- */

rsm_handle session_handle(struct rsm_engine *eng, int slot)
{
	return ((uint64_t)eng->sessions[slot].generation << 32) | (uint64_t)(slot + 1);
}

/* Validates a session handle: NULL is ERROR_INVALID_PARAMETER's caller's business (the seed
 * pages differ), so here 0 is simply invalid; a closed or forged one is ERROR_INVALID_HANDLE. */
struct session *session_get(struct rsm_engine *eng, rsm_handle h, rsm_err *err)
{
	uint32_t slot = (uint32_t)(h & 0xffffffffu);
	uint32_t gen = (uint32_t)(h >> 32);

	if (eng->stopping) {
		*err = ERROR_NOT_CONNECTED;
		return NULL;
	}
	if (slot == 0 || slot > (uint32_t)eng->nsessions || !eng->sessions[slot - 1].used ||
	    eng->sessions[slot - 1].generation != gen) {
		*err = ERROR_INVALID_HANDLE;
		return NULL;
	}
	*err = ERROR_SUCCESS;
	return &eng->sessions[slot - 1];
}

struct session *session_for(struct rsm_engine *eng, rsm_handle h, const struct rsm_cred *cred,
			    bool admin_only, rsm_err *err)
{
	struct session *s = session_get(eng, h, err);

	if (s && !(cred && (cred->admin || (!admin_only && cred->uid == s->uid)))) {
		*err = ERROR_ACCESS_DENIED;
		return NULL;
	}
	return s;
}

bool admin_caller(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  int *slot, rsm_err *e)
{
	*slot = NO_INDEX;
	if (session) {
		struct session *s = session_for(eng, session, cred, true, e);
		if (s)
			*slot = (int)(s - eng->sessions);
		return s != NULL;
	}
	*e = eng->stopping	     ? ERROR_NOT_CONNECTED
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

bool pool_allows(const struct pool *p, const struct rsm_cred *cred, enum pool_right right)
{
	mode_t bits;

	if (!cred)
		return false;
	if (cred->admin)
		return true;
	if (right == POOL_CONTROL)
		return cred->uid == p->uid;
	bits = cred->uid == p->uid   ? (p->mode >> 6) & 7
	       : cred->gid == p->gid ? (p->mode >> 3) & 7
				     : p->mode & 7;
	return right == POOL_USE ? (bits & 5) == 5 : (bits & 2) != 0;
}

/* ---- per-user limits ---- */

static int count_sessions(const struct rsm_engine *eng, uid_t uid)
{
	int n = 0;

	/* this host's: a uid of another host's machine may be another person (a site) */
	for (int i = 0; i < eng->nsessions; i++)
		n += eng->sessions[i].used && !eng->sessions[i].remote && eng->sessions[i].uid == uid;
	return n;
}

static int count_channels(const struct rsm_engine *eng, uid_t uid)
{
	int n = 0;

	for (int i = 0; i < eng->nchannels; i++)
		n += eng->channels[i].used && !eng->channels[i].closed &&
		     eng->channels[i].uid == uid;
	return n;
}

/* Requests waiting to start, of the user's open sessions. */
static int count_requests(const struct rsm_engine *eng, uid_t uid)
{
	int n = 0;

	for (const struct request *r = eng->pending.head; r; r = r->list_next)
		n += r->session >= 0 && !eng->sessions[r->session].remote &&
		     eng->sessions[r->session].uid == uid;
	return n;
}

static int count_opreqs(const struct rsm_engine *eng, uid_t uid)
{
	int n = 0;

	for (size_t i = 0; i < eng->nopreqs; i++) {
		const struct opreq *o = eng->opreqs[i];
		n += o->by_user && o->uid == uid && o->state != OPREQ_COMPLETE &&
		     o->state != OPREQ_REFUSED;
	}
	return n;
}

rsm_err user_limit_check(const struct rsm_engine *eng, const struct rsm_cred *cred,
			 enum user_limit what)
{
	static int (*const counts[])(const struct rsm_engine *, uid_t) = {
	    [LIMIT_SESSIONS] = count_sessions,
	    [LIMIT_CHANNELS] = count_channels,
	    [LIMIT_REQUESTS] = count_requests,
	    [LIMIT_OPREQS] = count_opreqs,
	};
	const int limits[] = {
	    [LIMIT_SESSIONS] = eng->cfg.max_sessions_per_user,
	    [LIMIT_CHANNELS] = eng->cfg.max_channels_per_user,
	    [LIMIT_REQUESTS] = eng->cfg.max_requests_per_user,
	    [LIMIT_OPREQS] = eng->cfg.max_opreqs_per_user,
	};

	if (!cred || cred->admin || limits[what] <= 0)
		return ERROR_SUCCESS;
	return counts[what](eng, cred->uid) >= limits[what] ? RSM_ERROR_USER_LIMIT : ERROR_SUCCESS;
}

/* ---- states ---- */

void medium_location_text(struct rsm_engine *eng, const struct medium *m, char *buf, size_t len)
{
	switch (m->loc) {
	case LOC_SLOT:
		snprintf(buf, len, "slot %d", m->loc_addr);
		break;
	case LOC_PORT:
		snprintf(buf, len, "port %d", m->loc_addr);
		break;
	case LOC_DRIVE:
		snprintf(buf, len, "drive %s", eng->drives[m->loc_addr].name);
		break;
	default:
		/* a standalone drive's cartridges wait on the operator's shelf */
		snprintf(buf, len, "%s",
			 m->library >= 0 && library_standalone(&eng->libraries[m->library])
			     ? "shelf"
			     : "offline");
	}
}

void settle_medium_state(struct rsm_engine *eng, struct medium *m)
{
	switch (m->loc) {
	case LOC_SLOT:
		m->state = MEDIA_IDLE;
		break;
	case LOC_PORT:
		m->state = MEDIA_IN_PORT;
		break;
	case LOC_OFFLINE:
		m->state = MEDIA_OFFLINE;
		break;
	case LOC_DRIVE:
		m->state =
		    eng->drives[m->loc_addr].session >= 0 ? MEDIA_MOUNTED : MEDIA_DISMOUNTABLE;
		break;
	}
}

void settle_drive_state(struct drive *d)
{
	if (d->failed)
		d->state = DRIVE_FAILED;
	else if (d->medium >= 0)
		d->state = d->session >= 0 ? DRIVE_MOUNTED : DRIVE_DISMOUNTABLE;
	else
		d->state = d->enabled ? DRIVE_EMPTY : DRIVE_DISABLED;
}

bool drive_usable(const struct drive *d)
{
	return d->enabled && !d->failed && d->state != DRIVE_DISABLED && !d->unreached;
}

int first_free(const int *occupant, int count)
{
	for (int i = 0; i < count; i++)
		if (occupant[i] == NO_INDEX)
			return i;
	return -1;
}

int free_slot(const struct library *l)
{
	/* a slot whose cartridge is out keeps it waiting: backup programs remember where each
	 * cartridge lives */
	for (int i = 0; i < l->nslots; i++)
		if (l->slot_medium[i] == NO_INDEX && l->slot_home[i] == NO_INDEX)
			return i;
	return first_free(l->slot_medium, l->nslots);
}

int home_slot_for(struct rsm_engine *eng, int mi)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	int slot = m->home_slot;

	if (slot < 0 || slot >= l->nslots || l->slot_medium[slot] != NO_INDEX)
		slot = free_slot(l);
	return slot;
}

int medium_set_home(struct rsm_engine *eng, int mi, int slot)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	int displaced = NO_INDEX;

	if (m->home_slot >= 0 && m->home_slot < l->nslots && l->slot_home[m->home_slot] == mi)
		l->slot_home[m->home_slot] = NO_INDEX;
	if (slot >= 0 && slot < l->nslots) {
		displaced = l->slot_home[slot] != mi ? l->slot_home[slot] : NO_INDEX;
		if (displaced != NO_INDEX)
			eng->media[displaced].home_slot = -1;
		l->slot_home[slot] = mi;
	}
	m->home_slot = slot;
	return displaced;
}

/* Whether session already holds a drive as virtual drive v (other than d). */
static bool vdrive_taken(struct rsm_engine *eng, const struct drive *d, int session, int v)
{
	for (int i = 0; i < eng->ndrives; i++)
		if (&eng->drives[i] != d && eng->drives[i].session == session &&
		    eng->drives[i].vdrive == v)
			return true;
	return false;
}

void drive_hold(struct rsm_engine *eng, struct drive *d, int session, int vdrive)
{
	d->session = session;
	d->vdrive = NO_INDEX;
	if (session == NO_INDEX)
		return;
	if (vdrive == NO_INDEX || vdrive_taken(eng, d, session, vdrive))
		for (vdrive = 0; vdrive_taken(eng, d, session, vdrive); vdrive++)
			;
	d->vdrive = vdrive;
}

void drive_init(struct drive *d, int index, int library, int number)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "d%d", index); /* names run across all libraries */
	guid_new(d->guid);
	d->library = library;
	d->number = number;
	d->state = DRIVE_EMPTY;
	d->enabled = true;
	d->medium = NO_INDEX;
	d->session = NO_INDEX;
	d->vdrive = NO_INDEX;
}

/* Removes pool pi from the model; indices past it shift down by one. */
void pool_remove(struct rsm_engine *eng, int pi)
{
	memmove(&eng->pools[pi], &eng->pools[pi + 1],
		sizeof(struct pool) * (size_t)(eng->npools - pi - 1));
	eng->npools--;
	/* indices past the deleted pool shift down by one */
	for (int i = 0; i < eng->nmedia; i++)
		if (eng->media[i].pool > pi)
			eng->media[i].pool--;
	for (size_t i = 0; i < eng->nrequests; i++)
		if (eng->requests[i]->pool > pi)
			eng->requests[i]->pool--;
}
