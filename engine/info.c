/* info.c - the information calls (GetNtmsObjectInformation, EnumerateNtmsObject): lists of
 * names and snapshots copied under the engine lock, which the front end renders. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "model.h"
#include "site.h"

/* ---- lists ---- */

static int names_add(struct rsm_names *n, const char *name)
{
	char **v = realloc(n->names, (n->count + 1) * sizeof(char *));
	if (!v)
		return -1;
	n->names = v;
	if (!(v[n->count] = strdup(name)))
		return -1;
	n->count++;
	return 0;
}

void rsm_names_free(struct rsm_names *names)
{
	for (size_t i = 0; i < names->count; i++)
		free(names->names[i]);
	free(names->names);
	names->names = NULL;
	names->count = 0;
}

/* The listers of rsm_list, one per kind: names of every object of the kind that filter
 * (NULL: all) lets through; 0 or -1 when out of memory. */
static int list_libraries(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	(void)filter;
	for (int i = 0; i < eng->nlibraries; i++)
		if (names_add(out, eng->libraries[i].name))
			return -1;
	return 0;
}

/* filter: a library */
static int list_drives(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	for (int i = 0; i < eng->ndrives; i++)
		if ((!filter || strcmp(eng->libraries[eng->drives[i].library].name, filter) == 0) &&
		    names_add(out, eng->drives[i].name))
			return -1;
	return 0;
}

/* filter: a pool */
static int list_media(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	for (int i = 0; i < eng->nmedia; i++)
		if ((!filter || strcmp(eng->pools[eng->media[i].pool].name, filter) == 0) &&
		    names_add(out, eng->media[i].name))
			return -1;
	return 0;
}

static int list_pools(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	(void)filter;
	for (int i = 0; i < eng->npools; i++)
		if (names_add(out, eng->pools[i].name))
			return -1;
	return 0;
}

static int names_add_number(struct rsm_names *out, uint64_t n)
{
	char num[32];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	return names_add(out, num);
}

/* filter: a session; its requests are those of the open session of that name, not of an
 * earlier session that had the same name */
static int list_requests(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	int slot = NO_INDEX;

	for (int k = 0; filter && k < eng->nsessions; k++)
		if (eng->sessions[k].used && strcmp(eng->sessions[k].name, filter) == 0)
			slot = k;
	for (size_t i = 0; i < eng->nrequests; i++) {
		if (filter && (slot == NO_INDEX || eng->requests[i]->session != slot))
			continue;
		if (names_add_number(out, eng->requests[i]->number))
			return -1;
	}
	return 0;
}

/* This host's open session named name, or NULL. */
static struct session *local_session(struct rsm_engine *eng, const char *name)
{
	for (int i = 0; i < eng->nsessions; i++)
		if (eng->sessions[i].used && strcmp(eng->sessions[i].name, name) == 0)
			return &eng->sessions[i];
	return NULL;
}

static int list_sessions(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	(void)filter;
	for (int i = 0; i < eng->nsessions; i++)
		if (eng->sessions[i].used && names_add(out, eng->sessions[i].name))
			return -1;
	/* and in a site, the other hosts' (names are the site's: none is also here) */
	for (int i = 0; i < site_remote_count(eng); i++)
		if (!local_session(eng, site_remote_at(eng, i)->name) &&
		    names_add(out, site_remote_at(eng, i)->name))
			return -1;
	return 0;
}

/* filter: a medium */
static int list_sides(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	int mi = medium_find(eng, filter);

	for (int s = 0; mi >= 0 && s < eng->media[mi].nsides; s++)
		if (names_add_number(out, (uint64_t)s))
			return -1;
	return 0;
}

static int list_opreqs(struct rsm_engine *eng, const char *filter, struct rsm_names *out)
{
	(void)filter;
	for (size_t i = 0; i < eng->nopreqs; i++)
		if (names_add_number(out, eng->opreqs[i]->number))
			return -1;
	return 0;
}

static int (*const listers[])(struct rsm_engine *, const char *, struct rsm_names *) = {
    [RSM_KIND_LIBRARY] = list_libraries, [RSM_KIND_DRIVE] = list_drives,
    [RSM_KIND_MEDIUM] = list_media,	 [RSM_KIND_POOL] = list_pools,
    [RSM_KIND_REQUEST] = list_requests,	 [RSM_KIND_SESSION] = list_sessions,
    [RSM_KIND_SIDE] = list_sides,	 [RSM_KIND_OPREQ] = list_opreqs,
};

rsm_err rsm_list(struct rsm_engine *eng, enum rsm_kind kind, const char *filter,
		 struct rsm_names *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((unsigned)kind >= ARRAY_SIZE(listers))
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	rc = listers[kind](eng, filter, out);
	engine_unlock(eng);
	if (rc) {
		rsm_names_free(out);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	return ERROR_SUCCESS;
}

/* ---- snapshots ---- */

/* Copies text into a snapshot's field, cut to fit: what snprintf(dst, len, "%s", src) does,
 * without parsing a format for each of the fields every attribute read fills. */
void text_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void library_info_fill(const struct library *l, struct rsm_library_info *out)
{
	memset(out, 0, sizeof(*out));
	text_copy(out->name, sizeof(out->name), l->name);
	text_copy(out->guid, sizeof(out->guid), l->guid);
	text_copy(out->type, sizeof(out->type), l->present ? l->type : "offline");
	text_copy(out->state, sizeof(out->state),
		  !l->present || !l->reachable ? "offline"
		  : !l->enabled		       ? "disabled"
		  : l->inventorying	       ? "inventorying"
					       : "online");
	text_copy(out->backend, sizeof(out->backend), l->backend);
	text_copy(out->changer, sizeof(out->changer), l->changer);
	text_copy(out->door, sizeof(out->door), l->door);
	text_copy(out->manager, sizeof(out->manager), l->manager);
	out->nslots = l->nslots;
	out->nports = l->nports;
	out->ndrives = l->ndrives;
	out->moves = l->moves;
	out->mounts = l->mounts;
	out->hits = l->hits;
	out->failures = l->failures;
	out->mount_secs_mean = l->mounts ? l->mount_secs_total / (double)l->mounts : 0;
	out->mount_secs_max = l->mount_secs_max;
	out->mount_secs_sum = l->mount_secs_total;
	memcpy(out->mount_buckets, l->mount_buckets, sizeof(out->mount_buckets));
	out->dismount_delay = l->dismount_delay;
}

rsm_err rsm_library_info(struct rsm_engine *eng, const char *name, struct rsm_library_info *out)
{
	rsm_err e = ERROR_INVALID_LIBRARY;

	engine_lock(eng);
	int li = library_find(eng, name);
	if (li >= 0) {
		library_info_fill(&eng->libraries[li], out);
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_drive_info(struct rsm_engine *eng, const char *name, struct rsm_drive_info *out)
{
	rsm_err e = ERROR_INVALID_DRIVE;

	engine_lock(eng);
	int di = drive_find(eng, name);
	if (di >= 0) {
		struct drive *d = &eng->drives[di];
		memset(out, 0, sizeof(*out));
		text_copy(out->name, sizeof(out->name), d->name);
		text_copy(out->guid, sizeof(out->guid), d->guid);
		text_copy(out->library, sizeof(out->library), eng->libraries[d->library].name);
		text_copy(out->state, sizeof(out->state), name_of(&drive_states, d->state));
		if (d->medium >= 0)
			text_copy(out->medium, sizeof(out->medium), eng->media[d->medium].name);
		backend_drive_device(eng, d, out->device, sizeof(out->device));
		out->tape = backend_tape(eng, d) != NULL;
		out->session_uid = -1;
		if (d->session >= 0) {
			text_copy(out->session, sizeof(out->session),
				  eng->sessions[d->session].name);
			out->session_uid = eng->sessions[d->session].uid;
		}
		out->vdrive = d->session >= 0 ? d->vdrive : -1;
		out->mounts = d->mounts;
		out->cleanings = d->cleanings;
		out->errors = d->errors;
		out->bytes_read = d->bytes_read;
		out->bytes_written = d->bytes_written;
		text_copy(out->last_cleaned, sizeof(out->last_cleaned), d->last_cleaned);
		text_copy(out->hosts, sizeof(out->hosts), eng->site ? d->hosts : eng->cfg.host);
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_medium_info(struct rsm_engine *eng, const char *name, struct rsm_medium_info *out)
{
	rsm_err e = ERROR_INVALID_MEDIA;

	engine_lock(eng);
	int mi = medium_find(eng, name);
	if (mi >= 0) {
		struct medium *m = &eng->media[mi];
		memset(out, 0, sizeof(*out));
		text_copy(out->name, sizeof(out->name), m->name);
		text_copy(out->guid, sizeof(out->guid), m->guid);
		text_copy(out->barcode, sizeof(out->barcode), m->barcode);
		text_copy(out->type, sizeof(out->type), m->type);
		text_copy(out->state, sizeof(out->state),
			  m->enabled ? name_of(&media_states, m->state) : "disabled");
		medium_location_text(eng, m, out->location, sizeof(out->location));
		text_copy(out->library, sizeof(out->library), eng->libraries[m->library].name);
		text_copy(out->pool, sizeof(out->pool), eng->pools[m->pool].name);
		if (m->loc == LOC_DRIVE)
			text_copy(out->drive, sizeof(out->drive), eng->drives[m->loc_addr].name);
		out->home = m->home_slot;
		out->nsides = m->nsides;
		for (int s = 0; s < m->nsides; s++) {
			text_copy(out->sides[s].guid, sizeof(out->sides[s].guid), m->sides[s].guid);
			text_copy(out->sides[s].state, sizeof(out->sides[s].state),
				  name_of(&side_states, m->sides[s].state));
			text_copy(out->sides[s].owner, sizeof(out->sides[s].owner),
				  m->sides[s].owner);
		}
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_pool_info(struct rsm_engine *eng, const char *name, struct rsm_pool_info *out)
{
	rsm_err e = ERROR_INVALID_MEDIA_POOL;

	engine_lock(eng);
	int pi = pool_find(eng, name);
	if (pi >= 0) {
		struct pool *p = &eng->pools[pi];
		memset(out, 0, sizeof(*out));
		text_copy(out->name, sizeof(out->name), p->name);
		text_copy(out->guid, sizeof(out->guid), p->guid);
		text_copy(out->type, sizeof(out->type), p->type);
		text_copy(out->media_type, sizeof(out->media_type), p->media_type);
		out->draw = p->draw;
		out->ret = p->ret;
		out->uid = p->uid;
		out->gid = p->gid;
		out->mode = p->mode;
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

/* One lookup by number and the request's session slot, where listing the session's requests
 * would walk the whole history (the replay resolves these links at every request event); a
 * request of an earlier session of the same name is not this session's. */
bool rsm_session_has_request(struct rsm_engine *eng, const char *session, uint64_t number)
{
	bool mine = false;

	engine_lock(eng);
	struct request *r = request_find(eng, number);
	if (r && r->session >= 0 && r->session < eng->nsessions) {
		const struct session *s = &eng->sessions[r->session];
		mine = s->used && strcmp(s->name, session) == 0;
	}
	engine_unlock(eng);
	return mine;
}

rsm_err rsm_request_info(struct rsm_engine *eng, uint64_t number, struct rsm_request_info *out)
{
	rsm_err e = ERROR_OBJECT_NOT_FOUND;

	engine_lock(eng);
	struct request *r = request_find(eng, number);
	if (r) {
		memset(out, 0, sizeof(*out));
		out->number = r->number;
		text_copy(out->guid, sizeof(out->guid), r->guid);
		text_copy(out->operation, sizeof(out->operation), name_of(&req_ops, r->op));
		text_copy(out->state, sizeof(out->state), name_of(&req_states, r->state));
		text_copy(out->session, sizeof(out->session), r->session_name);
		if (r->medium >= 0)
			text_copy(out->medium, sizeof(out->medium), eng->media[r->medium].name);
		if (r->drive >= 0)
			text_copy(out->drive, sizeof(out->drive), eng->drives[r->drive].name);
		if (r->library >= 0)
			text_copy(out->library, sizeof(out->library),
				  eng->libraries[r->library].name);
		out->priority = r->priority;
		rsm_format_time(r->submitted, out->submitted, sizeof(out->submitted));
		rsm_format_time(r->started, out->started, sizeof(out->started));
		rsm_format_time(r->finished, out->finished, sizeof(out->finished));
		out->error = r->error;
		text_copy(out->error_detail, sizeof(out->error_detail), r->error_detail);
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_session_info(struct rsm_engine *eng, const char *name, struct rsm_session_info *out)
{
	rsm_err e = ERROR_INVALID_HANDLE;

	engine_lock(eng);
	for (int i = 0; i < eng->nsessions; i++) {
		struct session *s = &eng->sessions[i];
		if (!s->used || strcmp(s->name, name) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		text_copy(out->name, sizeof(out->name), s->name);
		text_copy(out->guid, sizeof(out->guid), s->guid);
		text_copy(out->application, sizeof(out->application), s->application);
		out->uid = s->uid;
		rsm_format_time(s->created, out->created, sizeof(out->created));
		text_copy(out->host, sizeof(out->host), s->host);
		text_copy(out->error, sizeof(out->error), s->error);
		out->remote = s->remote;
		out->last_request = s->last_request;
		e = ERROR_SUCCESS;
		break;
	}
	if (e != ERROR_SUCCESS && site_remote_session(eng, name, out))
		e = ERROR_SUCCESS; /* another host's: listed and read here */
	engine_unlock(eng);
	return e;
}

char *rsm_library_slots_text(struct rsm_engine *eng, const char *library, bool is_port)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	engine_lock(eng);
	int li = library_find(eng, library);
	if (li >= 0) {
		struct library *l = &eng->libraries[li];
		int n = is_port ? l->nports : l->nslots;
		int *occ = is_port ? l->port_medium : l->slot_medium;
		for (int i = 0; i < n; i++) {
			int home = is_port ? NO_INDEX : l->slot_home[i];
			if (occ[i] >= 0)
				fprintf(f, "%d full %s\n", i, eng->media[occ[i]].name);
			else if (home >= 0) /* the medium that lives here is out */
				fprintf(f, "%d empty - %s\n", i, eng->media[home].name);
			else
				fprintf(f, "%d empty -\n", i);
		}
	}
	engine_unlock(eng);
	fclose(f);
	return buf;
}

rsm_err rsm_session_mounts(struct rsm_engine *eng, const char *session, struct rsm_names *media,
			   struct rsm_names *drives, struct rsm_names *vdrives)
{
	int rc = 0;

	memset(media, 0, sizeof(*media));
	memset(drives, 0, sizeof(*drives));
	memset(vdrives, 0, sizeof(*vdrives));
	engine_lock(eng);
	for (int i = 0; !rc && i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		if (d->session < 0 || d->medium < 0 ||
		    strcmp(eng->sessions[d->session].name, session))
			continue;
		rc = names_add(media, eng->media[d->medium].name) || names_add(drives, d->name) ||
		     names_add_number(vdrives, (uint64_t)d->vdrive);
	}
	engine_unlock(eng);
	if (rc) {
		rsm_names_free(media);
		rsm_names_free(drives);
		rsm_names_free(vdrives);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	return ERROR_SUCCESS;
}

rsm_err rsm_guid_lookup(struct rsm_engine *eng, const char *guid, char *path, size_t len)
{
	rsm_err e = ERROR_OBJECT_NOT_FOUND;

	engine_lock(eng);
	for (int i = 0; e && i < eng->nlibraries; i++)
		if (!strcmp(eng->libraries[i].guid, guid))
			e = (snprintf(path, len, "libraries/%s", eng->libraries[i].name), 0);
	for (int i = 0; e && i < eng->ndrives; i++)
		if (!strcmp(eng->drives[i].guid, guid))
			e = (snprintf(path, len, "drives/%s", eng->drives[i].name), 0);
	for (int i = 0; e && i < eng->nmedia; i++) {
		if (!strcmp(eng->media[i].guid, guid))
			e = (snprintf(path, len, "media/%s", eng->media[i].name), 0);
		for (int s = 0; e && s < eng->media[i].nsides; s++)
			if (!strcmp(eng->media[i].sides[s].guid, guid))
				e = (snprintf(path, len, "media/%s/sides/%d", eng->media[i].name,
					      s),
				     0);
	}
	for (int i = 0; e && i < eng->npools; i++)
		if (!strcmp(eng->pools[i].guid, guid))
			e = (snprintf(path, len, "pools/%s", eng->pools[i].name), 0);
	for (size_t i = 0; e && i < eng->nrequests; i++)
		if (!strcmp(eng->requests[i]->guid, guid))
			e = (snprintf(path, len, "requests/%llu",
				      (unsigned long long)eng->requests[i]->number),
			     0);
	for (int i = 0; e && i < eng->nsessions; i++)
		if (eng->sessions[i].used && !strcmp(eng->sessions[i].guid, guid))
			e = (snprintf(path, len, "sessions/%s", eng->sessions[i].name), 0);
	for (size_t i = 0; e && i < eng->nopreqs; i++)
		if (!strcmp(eng->opreqs[i]->guid, guid))
			e = (snprintf(path, len, "opreqs/%llu",
				      (unsigned long long)eng->opreqs[i]->number),
			     0);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_list_guids(struct rsm_engine *eng, struct rsm_names *out)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	engine_lock(eng);
	for (int i = 0; !rc && i < eng->nlibraries; i++)
		rc = names_add(out, eng->libraries[i].guid);
	for (int i = 0; !rc && i < eng->ndrives; i++)
		rc = names_add(out, eng->drives[i].guid);
	for (int i = 0; !rc && i < eng->nmedia; i++) {
		rc = names_add(out, eng->media[i].guid);
		for (int s = 0; !rc && s < eng->media[i].nsides; s++)
			rc = names_add(out, eng->media[i].sides[s].guid);
	}
	for (int i = 0; !rc && i < eng->npools; i++)
		rc = names_add(out, eng->pools[i].guid);
	for (size_t i = 0; !rc && i < eng->nrequests; i++)
		rc = names_add(out, eng->requests[i]->guid);
	for (int i = 0; !rc && i < eng->nsessions; i++)
		if (eng->sessions[i].used)
			rc = names_add(out, eng->sessions[i].guid);
	for (size_t i = 0; !rc && i < eng->nopreqs; i++)
		rc = names_add(out, eng->opreqs[i]->guid);
	engine_unlock(eng);
	if (rc) {
		rsm_names_free(out);
		return ERROR_NOT_ENOUGH_MEMORY;
	}
	return ERROR_SUCCESS;
}

/* ---- the summary ---- */

void rsm_summary(struct rsm_engine *eng, struct rsm_summary *out)
{
	memset(out, 0, sizeof(*out));
	engine_lock(eng);
	out->libraries = eng->nlibraries;
	for (int i = 0; i < eng->nlibraries; i++) {
		const struct library *l = &eng->libraries[i];
		out->libraries_online += l->present && l->reachable && l->enabled;
	}
	out->drives = eng->ndrives;
	for (int i = 0; i < eng->ndrives; i++)
		out->drives_mounted += eng->drives[i].state == DRIVE_MOUNTED;
	for (int i = 0; i < eng->nsessions; i++)
		out->sessions += eng->sessions[i].used;
	for (size_t i = 0; i < eng->nrequests; i++)
		out->requests_pending += eng->requests[i]->state < REQ_PASSED;
	for (size_t i = 0; i < eng->nopreqs; i++)
		out->opreqs_pending += eng->opreqs[i]->state < OPREQ_COMPLETE;
	engine_unlock(eng);
}
