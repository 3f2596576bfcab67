/* load.c - start-up: read the catalog into memory, settle what the last run left half done,
 * and create the configured libraries that the catalog does not have yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int name_index(const char *const *names, int count, const char *s)
{
	for (int i = 0; s && i < count; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return i;
	return 0;
}

extern const int drive_state_names_count, media_state_names_count, req_state_names_count,
	req_op_names_count, side_state_names_count;

/* Grows an array of elements of size sz by one, zeroed; returns the new element or NULL. */
static void *grow(void **array, int *count, size_t sz)
{
	char *n = realloc(*array, (size_t)(*count + 1) * sz);
	if (!n)
		return NULL;
	memset(n + (size_t)*count * sz, 0, sz);
	*array = n;
	return n + (size_t)(*count)++ * sz;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static int load_libraries(struct rsm_engine *eng)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(eng->db, "SELECT * FROM libraries ORDER BY position", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct library *l = grow((void **)&eng->libraries, &eng->nlibraries, sizeof(*l));
		if (!l)
			break;
		snprintf(l->name, sizeof(l->name), "%s", col(st, 0));
		snprintf(l->guid, sizeof(l->guid), "%s", col(st, 1));
		snprintf(l->type, sizeof(l->type), "%s", col(st, 2));
		l->enabled = sqlite3_column_int(st, 3);
		snprintf(l->backend, sizeof(l->backend), "%s", col(st, 4));
		snprintf(l->changer, sizeof(l->changer), "%s", col(st, 5));
		snprintf(l->door, sizeof(l->door), "%s", col(st, 6));
		l->nslots = sqlite3_column_int(st, 7);
		l->nports = sqlite3_column_int(st, 8);
		l->moves = (uint64_t)sqlite3_column_int64(st, 9);
		l->mounts = (uint64_t)sqlite3_column_int64(st, 10);
		l->failures = (uint64_t)sqlite3_column_int64(st, 11);
		l->mount_secs_total = sqlite3_column_double(st, 12);
		l->mount_secs_max = sqlite3_column_double(st, 13);
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int load_pools(struct rsm_engine *eng)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(eng->db, "SELECT * FROM pools ORDER BY position", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pool *p = grow((void **)&eng->pools, &eng->npools, sizeof(*p));
		if (!p)
			break;
		snprintf(p->name, sizeof(p->name), "%s", col(st, 0));
		snprintf(p->guid, sizeof(p->guid), "%s", col(st, 1));
		snprintf(p->type, sizeof(p->type), "%s", col(st, 2));
		snprintf(p->media_type, sizeof(p->media_type), "%s", col(st, 3));
		p->draw = sqlite3_column_int(st, 4);
		p->ret = sqlite3_column_int(st, 5);
		p->uid = (uid_t)sqlite3_column_int64(st, 6);
		p->gid = (gid_t)sqlite3_column_int64(st, 7);
		p->mode = (mode_t)sqlite3_column_int(st, 8);
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int load_drives(struct rsm_engine *eng)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(eng->db, "SELECT * FROM drives ORDER BY position", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct drive *d = grow((void **)&eng->drives, &eng->ndrives, sizeof(*d));
		if (!d)
			break;
		snprintf(d->name, sizeof(d->name), "%s", col(st, 0));
		snprintf(d->guid, sizeof(d->guid), "%s", col(st, 1));
		d->library = library_find(eng, col(st, 2));
		d->number = sqlite3_column_int(st, 3);
		d->state = (enum drive_state)name_index(drive_state_names, drive_state_names_count,
							 col(st, 4));
		d->enabled = sqlite3_column_int(st, 5);
		d->failed = d->state == DRIVE_FAILED;
		d->medium = NO_INDEX; /* linked once media are loaded */
		d->session = NO_INDEX;
		d->last_used = (uint64_t)sqlite3_column_int64(st, 7);
		d->mounts = (uint64_t)sqlite3_column_int64(st, 8);
		d->cleanings = (uint64_t)sqlite3_column_int64(st, 9);
		d->errors = (uint64_t)sqlite3_column_int64(st, 10);
		snprintf(d->last_cleaned, sizeof(d->last_cleaned), "%s", col(st, 11));
		if (d->last_used > eng->lru_clock)
			eng->lru_clock = d->last_used;
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int load_media(struct rsm_engine *eng)
{
	static const char *const locs[] = {"slot", "drive", "port", "offline"};
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(eng->db, "SELECT * FROM media ORDER BY position", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct medium *m = grow((void **)&eng->media, &eng->nmedia, sizeof(*m));
		if (!m)
			break;
		snprintf(m->name, sizeof(m->name), "%s", col(st, 0));
		snprintf(m->guid, sizeof(m->guid), "%s", col(st, 1));
		snprintf(m->barcode, sizeof(m->barcode), "%s", col(st, 2));
		snprintf(m->type, sizeof(m->type), "%s", col(st, 3));
		m->state = (enum media_state)name_index(media_state_names, media_state_names_count,
							 col(st, 4));
		m->enabled = sqlite3_column_int(st, 5);
		m->library = library_find(eng, col(st, 6));
		m->pool = pool_find(eng, col(st, 7));
		m->loc = (enum loc_kind)name_index(locs, 4, col(st, 8));
		m->loc_addr = sqlite3_column_int(st, 9);
		m->home_slot = sqlite3_column_int(st, 10);
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(eng->db, "SELECT medium, side, guid, state, owner FROM sides", -1,
			       &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int mi = medium_find(eng, col(st, 0));
		int side = sqlite3_column_int(st, 1);
		if (mi < 0 || side < 0 || side >= 2)
			continue;
		struct side *s = &eng->media[mi].sides[side];
		snprintf(s->guid, sizeof(s->guid), "%s", col(st, 2));
		s->state = (enum side_state)name_index(side_state_names, side_state_names_count,
							col(st, 3));
		snprintf(s->owner, sizeof(s->owner), "%s", col(st, 4));
		if (eng->media[mi].nsides < side + 1)
			eng->media[mi].nsides = side + 1;
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* SQL's side of request_finished(): queued, waiting and in process are not finished */
#define UNFINISHED "state IN ('queued','waiting','inprocess')"
/* the request_keep_max finished requests that finished last (bound to parameter 1) */
#define KEPT_FINISHED                                                                              \
	"number IN (SELECT number FROM requests WHERE NOT " UNFINISHED                             \
	" ORDER BY finished DESC, number DESC LIMIT ?)"

/* Deletes the finished requests past the request_keep_max that finished last, which the purge
 * would drop at once: a catalog that grew while nothing purged it (an old version, a long
 * stop) is trimmed before it is read, so start-up time and memory follow the retention, not
 * the history. */
static int drop_excess_history(struct rsm_engine *eng)
{
	sqlite3_stmt *st;
	int rc;

	if (eng->db_readonly)
		return 0;
	if (sqlite3_prepare_v2(eng->db,
			       "DELETE FROM requests WHERE NOT " UNFINISHED " AND NOT " KEPT_FINISHED,
			       -1, &st, NULL))
		return -1;
	sqlite3_bind_int(st, 1, eng->cfg.request_keep_max);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	/* A large purge leaves the file mostly free pages, which every later commit would pick
	 * through (the first run after one was 18 % slower), and its pages in the log: the file
	 * is rebuilt from what is left, now, at start. */
	if (rc == SQLITE_DONE && sqlite3_changes(eng->db) > 10000) {
		sqlite3_exec(eng->db, "VACUUM", NULL, NULL, NULL);
		sqlite3_wal_checkpoint_v2(eng->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

static int load_requests(struct rsm_engine *eng)
{
	sqlite3_stmt *st;

	if (drop_excess_history(eng))
		return -1;
	/* read-only, the excess stays in the file but not in memory */
	if (sqlite3_prepare_v2(eng->db,
			       "SELECT * FROM requests WHERE " UNFINISHED " OR " KEPT_FINISHED
			       " ORDER BY number",
			       -1, &st, NULL))
		return -1;
	sqlite3_bind_int(st, 1, eng->cfg.request_keep_max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct request *r = calloc(1, sizeof(*r));
		if (!r)
			break;
		if (eng->nrequests == eng->requests_cap) {
			size_t cap = eng->requests_cap ? eng->requests_cap * 2 : 256;
			struct request **n = realloc(eng->requests, cap * sizeof(*n));
			if (!n) {
				free(r);
				break;
			}
			eng->requests = n;
			eng->requests_cap = cap;
		}
		r->number = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(r->guid, sizeof(r->guid), "%s", col(st, 1));
		r->op = (enum req_op)name_index(req_op_names, req_op_names_count, col(st, 2));
		r->state = (enum req_state)name_index(req_state_names, req_state_names_count,
						       col(st, 3));
		snprintf(r->session_name, sizeof(r->session_name), "%s", col(st, 4));
		r->session = NO_INDEX;
		r->medium = medium_find(eng, col(st, 5));
		r->drive = drive_find(eng, col(st, 6));
		r->library = library_find(eng, col(st, 7));
		r->priority = sqlite3_column_int(st, 8);
		r->options = (unsigned)sqlite3_column_int(st, 9);
		r->submitted = sqlite3_column_int64(st, 10);
		r->started = sqlite3_column_int64(st, 11);
		r->finished = sqlite3_column_int64(st, 12);
		r->error = (rsm_err)sqlite3_column_int64(st, 13);
		snprintf(r->error_detail, sizeof(r->error_detail), "%s", col(st, 14));
		eng->requests[eng->nrequests++] = r;
		if (r->number >= eng->next_request)
			eng->next_request = r->number + 1;
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* Rebuilds slot, port and drive occupancy from the media's locations. */
static void link_locations(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nlibraries; i++) {
		struct library *l = &eng->libraries[i];
		free(l->slot_medium);
		free(l->port_medium);
		l->slot_medium = malloc(sizeof(int) * (size_t)(l->nslots ? l->nslots : 1));
		l->port_medium = malloc(sizeof(int) * (size_t)(l->nports ? l->nports : 1));
		if (!l->slot_medium || !l->port_medium)
			abort();
		for (int s = 0; s < l->nslots; s++)
			l->slot_medium[s] = NO_INDEX;
		for (int s = 0; s < l->nports; s++)
			l->port_medium[s] = NO_INDEX;
	}
	for (int i = 0; i < eng->nmedia; i++) {
		struct medium *m = &eng->media[i];
		struct library *l = m->library >= 0 ? &eng->libraries[m->library] : NULL;
		if (!l)
			continue;
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

/* What a crash or a stop left half done, as far as the catalog alone can tell: sessions are
 * gone, so their queued work is cancelled and their media are released.  Work that was in
 * process is judged once the changer has said where the cartridges are (load_settle). */
static rsm_err settle_previous_run(struct rsm_engine *eng)
{
	rsm_err e = catalog_begin(eng);

	for (size_t i = 0; e == ERROR_SUCCESS && i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (request_pending(r)) {
			r->state = REQ_CANCELLED;
			r->error = ERROR_CANCELLED;
			snprintf(r->error_detail, sizeof(r->error_detail),
				 "the daemon stopped before the request started");
			r->finished = wall_now();
			e = catalog_save_request(eng, r);
		}
	}
	if (e == ERROR_SUCCESS)
		e = sqlite3_exec(eng->db, "DELETE FROM channels; DELETE FROM sessions;", NULL, NULL,
				 NULL) == SQLITE_OK
			    ? ERROR_SUCCESS
			    : ERROR_DATABASE_FAILURE;
	if (e == ERROR_SUCCESS)
		return catalog_commit(eng);
	catalog_rollback(eng);
	return e;
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
		return m && m->loc == LOC_SLOT;
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

void load_settle(struct rsm_engine *eng)
{
	char where[96];

	for (int li = 0; li < eng->nlibraries; li++)
		if (eng->libraries[li].present && strcmp(eng->libraries[li].backend, "sim") == 0)
			sim_inventory(eng, li);
	if (catalog_begin(eng) != ERROR_SUCCESS)
		return;
	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (r->state != REQ_INPROCESS)
			continue;
		bool reached = request_reached(eng, r);
		r->state = reached ? REQ_PASSED : REQ_FAILED;
		r->error = reached ? ERROR_SUCCESS : ERROR_NOT_CONNECTED;
		if (r->medium >= 0)
			medium_location_text(eng, &eng->media[r->medium], where, sizeof(where));
		else
			snprintf(where, sizeof(where), "-");
		snprintf(r->error_detail, sizeof(r->error_detail),
			 "the daemon stopped while the request was in process; the changer "
			 "reports the medium at %s",
			 where);
		if (reached)
			r->error_detail[0] = '\0';
		r->finished = wall_now();
		request_track(eng, r);
		catalog_save_request(eng, r);
	}
	/* no session survives: what was mounted is dismountable, nothing is in motion */
	for (int i = 0; i < eng->ndrives; i++) {
		struct drive *d = &eng->drives[i];
		enum drive_state was = d->state;
		d->session = NO_INDEX;
		settle_drive_state(d);
		if (d->state != was)
			catalog_save_drive(eng, d);
	}
	/* only what changed is written: a site has 100,000 media, nearly all at rest */
	for (int i = 0; i < eng->nmedia; i++) {
		enum media_state was = eng->media[i].state;
		settle_medium_state(eng, &eng->media[i]);
		if (eng->media[i].state != was)
			catalog_save_medium(eng, &eng->media[i]);
	}
	catalog_commit(eng);
}

/* Request numbers are never reused: the next one is kept in the catalog, since every
 * finished request may have been purged. */
static int load_meta(struct rsm_engine *eng)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(eng->db, "SELECT value FROM meta WHERE key='next_request'", -1, &st,
			       NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t next = (uint64_t)sqlite3_column_int64(st, 0);
		if (next > eng->next_request)
			eng->next_request = next;
	}
	if (sqlite3_finalize(st) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(eng->db, "SELECT key, value FROM meta", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = col(st, 0);
		uint64_t v = (uint64_t)sqlite3_column_int64(st, 1);
		if (strcmp(key, "next_opreq") == 0 && v > eng->next_opreq)
			eng->next_opreq = v;
		else if (strcmp(key, "next_unlabeled") == 0 && v > eng->next_unlabeled)
			eng->next_unlabeled = v;
	}
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

rsm_err catalog_load(struct rsm_engine *eng)
{
	if (load_libraries(eng) || load_pools(eng) || load_drives(eng) || load_media(eng) ||
	    load_requests(eng) || opreqs_load(eng) || load_meta(eng))
		return ERROR_DATABASE_FAILURE;
	link_locations(eng);
	link_drives(eng);
	rsm_err e = eng->db_readonly ? ERROR_SUCCESS : settle_previous_run(eng);
	requests_loaded(eng);
	return e;
}

/* ---- creation of configured libraries ---- */

static struct pool *add_pool(struct rsm_engine *eng, const char *name, const char *type,
			     const char *media_type)
{
	struct pool *p = grow((void **)&eng->pools, &eng->npools, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	guid_new(p->guid);
	snprintf(p->type, sizeof(p->type), "%s", type);
	snprintf(p->media_type, sizeof(p->media_type), "%s", media_type);
	p->draw = true;
	p->ret = true;
	p->uid = 0;
	p->gid = 0;
	p->mode = 0755;
	return p;
}

/* The barcode suffix for a media type: "L6" for LTO-6, else the type's first two letters. */
static void barcode_suffix(const char *type, char out[3])
{
	if (strncmp(type, "LTO-", 4) == 0 && type[4]) {
		out[0] = 'L';
		out[1] = type[4];
	} else {
		out[0] = type[0] ? type[0] : 'X';
		out[1] = type[0] && type[1] ? type[1] : 'X';
	}
	out[2] = '\0';
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
}

static int create_library(struct rsm_engine *eng, const struct rsm_library_config *c, char *err,
			  size_t errlen)
{
	int li = eng->nlibraries;
	struct library *l = grow((void **)&eng->libraries, &eng->nlibraries, sizeof(*l));
	int free_pool = pool_find(eng, "free");
	char suffix[3];

	if (!l)
		goto oom;
	snprintf(l->name, sizeof(l->name), "%s", c->name);
	guid_new(l->guid);
	snprintf(l->type, sizeof(l->type), "changer");
	l->enabled = true;
	l->present = true;
	snprintf(l->backend, sizeof(l->backend), "%s", c->backend);
	snprintf(l->changer, sizeof(l->changer), "%s", c->changer);
	snprintf(l->door, sizeof(l->door), "closed");
	/* a real changer's drives, slots and cartridges come from its inventory */
	bool sim = strcmp(c->backend, "sim") == 0;
	l->nslots = sim ? c->slots : 0;
	l->nports = sim ? c->ports : 0;
	if (catalog_save_library(eng, l) != ERROR_SUCCESS)
		goto dberr;
	if (!sim)
		return 0;
	for (int i = 0; i < c->drives; i++) {
		struct drive *d = grow((void **)&eng->drives, &eng->ndrives, sizeof(*d));
		if (!d)
			goto oom;
		drive_init(d, eng->ndrives - 1, li, i);
		if (catalog_save_drive(eng, d) != ERROR_SUCCESS)
			goto dberr;
	}
	barcode_suffix(c->media_type, suffix);
	for (int i = 0; i < c->media && i < c->slots; i++) {
		struct medium *m = grow((void **)&eng->media, &eng->nmedia, sizeof(*m));
		if (!m)
			goto oom;
		snprintf(m->barcode, sizeof(m->barcode), "T%05d%s", eng->nmedia, suffix);
		snprintf(m->name, sizeof(m->name), "%s", m->barcode);
		guid_new(m->guid);
		snprintf(m->type, sizeof(m->type), "%s", c->media_type);
		m->state = MEDIA_IDLE;
		m->enabled = true;
		m->library = li;
		m->pool = free_pool;
		m->loc = LOC_SLOT;
		m->loc_addr = i;
		m->home_slot = i;
		m->nsides = 1;
		guid_new(m->sides[0].guid);
		m->sides[0].state = SIDE_AVAILABLE;
		if (catalog_save_medium(eng, m) != ERROR_SUCCESS)
			goto dberr;
		if (sim_create_image(eng, m) < 0) {
			snprintf(err, errlen, "cannot create the cartridge image of %s", m->name);
			return -1;
		}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory creating library %s", c->name);
	return -1;
dberr:
	snprintf(err, errlen, "cannot write library %s to the catalog: %s", c->name,
		 sqlite3_errmsg(eng->db));
	return -1;
}

int engine_create_libraries(struct rsm_engine *eng, char *err, size_t errlen)
{
	static const char *const system_pools[][2] = {
		{"free", "free"},
		{"import", "import"},
		{"unrecognized", "unrecognized"},
		{"cleaner", "cleaner"},
	};
	const char *media_type = eng->cfg.nlibraries ? eng->cfg.libraries[0].media_type : "";

	if (eng->db_readonly) {
		for (int i = 0; i < eng->cfg.nlibraries; i++) {
			int li = library_find(eng, eng->cfg.libraries[i].name);
			if (li >= 0)
				eng->libraries[li].present = true;
		}
		goto timings;
	}
	if (catalog_begin(eng) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot write the catalog %s: %s", eng->cfg.database,
			 sqlite3_errmsg(eng->db));
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(system_pools); i++) {
		if (pool_find(eng, system_pools[i][0]) >= 0)
			continue;
		struct pool *p = add_pool(eng, system_pools[i][0], system_pools[i][1], media_type);
		if (!p || catalog_save_pool(eng, p) != ERROR_SUCCESS) {
			catalog_rollback(eng);
			snprintf(err, errlen, "cannot create the system pools");
			return -1;
		}
	}
	for (int i = 0; i < eng->cfg.nlibraries; i++) {
		const struct rsm_library_config *c = &eng->cfg.libraries[i];
		int li = library_find(eng, c->name);
		if (li >= 0) {
			eng->libraries[li].present = true;
			continue;
		}
		if (create_library(eng, c, err, errlen) < 0) {
			catalog_rollback(eng);
			return -1;
		}
	}
	if (catalog_commit(eng) != ERROR_SUCCESS) {
		snprintf(err, errlen, "cannot commit the catalog %s: %s", eng->cfg.database,
			 sqlite3_errmsg(eng->db));
		return -1;
	}
	link_locations(eng);
	link_drives(eng);
timings:
	for (int i = 0; i < eng->cfg.nlibraries; i++) {
		const struct rsm_library_config *c = &eng->cfg.libraries[i];
		int li = library_find(eng, c->name);
		if (li < 0)
			continue;
		snprintf(eng->libraries[li].media_type, sizeof(eng->libraries[li].media_type), "%s",
			 c->media_type);
		eng->libraries[li].move_time = c->move_time;
		eng->libraries[li].load_time = c->load_time;
		eng->libraries[li].unload_time = c->unload_time;
		eng->libraries[li].reachable = true;
		/* a real changer that cannot be reached leaves its library offline rather than
		 * the daemon refusing to start; its thread keeps trying */
		if (strcmp(c->backend, "scsi") == 0 && !eng->db_readonly)
			scsi_library_attach(eng, li, c);
		else if (strcmp(c->backend, "scsi") == 0)
			eng->libraries[li].reachable = false;
	}
	return 0;
}
