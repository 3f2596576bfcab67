/* pg_write.c - the model's rows written to PostgreSQL with what changed only (catalog_pg.h).
 *
 * A row's shadow is what this host last read or wrote of it.  A save compares each column's
 * value with the shadow and sends only those that differ (NULL leaves a column as it is: every
 * column is NOT NULL), so that another host's change to other columns of the row stands; a
 * row with no change is not written at all.  A row without a shadow is new: it is inserted
 * whole.  Shadows of rows written in a transaction take effect at its commit.
 *
 * A request's or operator request's state, and a side's, change only from what the shadow
 * holds: a request another host has cancelled is not started, a side another host has
 * allocated is not allocated twice.  Such a write that finds something else is ERROR_BUSY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pg.h"

/* ---- shadows ---- */

static size_t hash_key(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void shadow_free_one(struct shadow *s)
{
	for (int i = 0; i < s->ncols; i++)
		free(s->vals[i]);
	free(s->vals);
	free(s->key);
}

static struct shadow *shadow_find(struct shadow_map *m, const char *key)
{
	if (!m->nbuckets)
		return NULL;
	for (struct shadow *s = m->buckets[hash_key(key) % m->nbuckets]; s; s = s->next)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

/* Doubles the buckets once there are as many rows as buckets. */
static void shadow_grow(struct shadow_map *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 1024;
	struct shadow **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < m->nbuckets; i++) {
		while (m->buckets[i]) {
			struct shadow *s = m->buckets[i];
			m->buckets[i] = s->next;
			s->next = b[hash_key(s->key) % n];
			b[hash_key(s->key) % n] = s;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

/* Copies ncols values; false without memory. */
static bool values_copy(char ***out, const char *const *vals, int ncols)
{
	char **v = calloc((size_t)ncols, sizeof(*v));

	for (int i = 0; v && i < ncols; i++) {
		if (!(v[i] = strdup(vals[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			return false;
		}
	}
	*out = v;
	return v != NULL;
}

void shadow_set(struct shadow_map *m, const char *key, const char *const *vals, int ncols)
{
	struct shadow *s = shadow_find(m, key);
	char **v;

	if (!values_copy(&v, vals, ncols)) {
		shadow_drop(m, key); /* no shadow: the next save writes the whole row */
		return;
	}
	if (s) {
		for (int i = 0; i < s->ncols; i++)
			free(s->vals[i]);
		free(s->vals);
		s->vals = v;
		s->ncols = ncols;
		return;
	}
	if (m->count >= m->nbuckets)
		shadow_grow(m);
	if (!m->nbuckets || !(s = calloc(1, sizeof(*s))) || !(s->key = strdup(key))) {
		free(s);
		for (int i = 0; i < ncols; i++)
			free(v[i]);
		free(v);
		return;
	}
	s->vals = v;
	s->ncols = ncols;
	size_t b = hash_key(key) % m->nbuckets;
	s->next = m->buckets[b];
	m->buckets[b] = s;
	m->count++;
}

void shadow_drop(struct shadow_map *m, const char *key)
{
	if (!m->nbuckets)
		return;
	for (struct shadow **pp = &m->buckets[hash_key(key) % m->nbuckets]; *pp;
	     pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			struct shadow *s = *pp;
			*pp = s->next;
			shadow_free_one(s);
			free(s);
			m->count--;
			return;
		}
	}
}

void shadow_map_free(struct shadow_map *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		while (m->buckets[i]) {
			struct shadow *s = m->buckets[i];
			m->buckets[i] = s->next;
			shadow_free_one(s);
			free(s);
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

void pg_shadow_key(char *buf, size_t len, const char *table, const char *key)
{
	snprintf(buf, len, "%s\x1f%s", table, key);
}

/* A row written: its shadow at the commit of the open transaction, or now in autocommit. */
static void shadow_written(struct pg_catalog *c, const char *key, const char *const *vals,
			   int ncols)
{
	struct pending_shadow *p;

	if (!c->in_txn) {
		shadow_set(&c->shadows, key, vals, ncols);
		return;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->s.key = strdup(key)) ||
	    !values_copy(&p->s.vals, vals, ncols)) {
		if (p)
			free(p->s.key);
		free(p);
		/* no shadow at all rather than a stale one: the next save writes it whole */
		shadow_drop(&c->shadows, key);
		return;
	}
	p->s.ncols = ncols;
	p->next_pending = c->pending;
	c->pending = p;
}

/* The transaction committed: its rows' shadows, oldest first (a row written twice keeps the
 * last). */
void pending_commit(struct pg_catalog *c)
{
	struct pending_shadow *rev = NULL;

	while (c->pending) {
		struct pending_shadow *p = c->pending;
		c->pending = p->next_pending;
		p->next_pending = rev;
		rev = p;
	}
	while (rev) {
		struct pending_shadow *p = rev;
		rev = p->next_pending;
		shadow_set(&c->shadows, p->s.key, (const char *const *)p->s.vals, p->s.ncols);
		shadow_free_one(&p->s);
		free(p);
	}
}

void pending_discard(struct pg_catalog *c)
{
	while (c->pending) {
		struct pending_shadow *p = c->pending;
		c->pending = p->next_pending;
		shadow_free_one(&p->s);
		free(p);
	}
}

/* ---- one row ---- */

/* How one table is written: its whole row (a new one), the columns that changed (NULL
 * parameters keep the others), and the states a guarded column may change from. */
struct table_def {
	const char *name;
	int ncols;
	const char *insert, *update;
	int guarded; /* the column whose change is guarded, -1 none */
	/* the states it may change from, given the shadow's: "" means unguarded */
	const char *(*expect)(const char *shadow_value);
	int insert_only; /* a column written with a new row only (its position), -1 none */
};

/* Writes row vals of table t under its shadow key: the whole row if it has no shadow, else
 * what changed.  ERROR_BUSY when a guarded change found the row changed by another host. */
static rsm_err write_row(struct pg_catalog *c, const struct table_def *t, const char *key,
			 char v[][PG_VALUE_MAX])
{
	const char *vals[PG_COLS_MAX + 1], *params[PG_COLS_MAX + 1];
	struct shadow *s = shadow_find(&c->shadows, key);
	const struct pending_shadow *p;
	bool changed = false;
	int rows = 1;

	for (int i = 0; i < t->ncols; i++)
		vals[i] = v[i];
	/* the newest this host wrote is what the row holds, for a row written twice in one
	 * transaction */
	for (p = c->pending; p && strcmp(p->s.key, key) != 0; p = p->next_pending)
		;
	char *const *old = p ? p->s.vals : s ? s->vals : NULL;
	if (!old) {
		rsm_err e = pg_do(c, t->insert, t->ncols, vals, NULL);
		if (e == ERROR_SUCCESS)
			shadow_written(c, key, vals, t->ncols);
		return e;
	}
	params[0] = vals[0];
	for (int i = 1; i < t->ncols; i++) {
		bool differs = i != t->insert_only && strcmp(old[i], vals[i]) != 0;
		params[i] = differs ? vals[i] : NULL;
		changed |= differs;
	}
	if (!changed)
		return ERROR_SUCCESS;
	params[t->ncols] =
	    t->guarded >= 0 && params[t->guarded] ? t->expect(old[t->guarded]) : NULL;
	rsm_err e = pg_do(c, t->update, t->ncols + 1, params, &rows);
	if (e == ERROR_SUCCESS && rows == 0)
		return ERROR_BUSY; /* another host changed it first: the listener brings it here */
	if (e == ERROR_SUCCESS)
		shadow_written(c, key, vals, t->ncols);
	return e;
}

/* Writes a row of a library's, under the lease check when this host manages the library: in
 * the caller's transaction, else in one of its own (an autocommit would skip the check). */
static rsm_err write_fenced(struct pg_catalog *c, struct rsm_engine *eng, int li,
			    const struct table_def *t, const char *key, char v[][PG_VALUE_MAX])
{
	bool own = false;
	rsm_err e;

	if (pg_fenced_library(eng, li)) {
		if (!c->in_txn) {
			if ((e = c->base.ops->begin(&c->base)) != ERROR_SUCCESS)
				return e;
			own = true;
		}
		pg_fence_add(c, li);
	}
	e = write_row(c, t, key, v);
	if (!own)
		return e;
	if (e == ERROR_SUCCESS)
		return c->base.ops->commit(&c->base);
	c->base.ops->rollback(&c->base);
	return e;
}

/* ---- the tables ---- */

static const char *request_expect(const char *was)
{
	/* leaving the queue: it must still be queued or waiting there */
	return strcmp(was, "queued") == 0 || strcmp(was, "waiting") == 0 ? "queued,waiting" : was;
}

static const char *opreq_expect(const char *was)
{
	return strcmp(was, "complete") == 0 || strcmp(was, "refused") == 0
		   ? was
		   : "submitted,active,inprogress";
}

static const char *side_expect(const char *was)
{
	return was;
}

static const struct table_def libraries_def = {
    "libraries",
    19,
    "INSERT INTO libraries VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,"
    "$19) ON CONFLICT(name) DO UPDATE SET type=excluded.type,enabled=excluded.enabled,"
    "backend=excluded.backend,changer=excluded.changer,door=excluded.door,"
    "nslots=excluded.nslots,nports=excluded.nports,moves=excluded.moves,"
    "mounts=excluded.mounts,failures=excluded.failures,mount_secs=excluded.mount_secs,"
    "mount_secs_max=excluded.mount_secs_max,dismount_delay=excluded.dismount_delay,"
    "mount_buckets=excluded.mount_buckets,online=excluded.online,"
    "inventorying=excluded.inventorying",
    "UPDATE libraries SET guid=COALESCE($2,guid),type=COALESCE($3,type),"
    "enabled=COALESCE($4,enabled),backend=COALESCE($5,backend),changer=COALESCE($6,changer),"
    "door=COALESCE($7,door),nslots=COALESCE($8,nslots),nports=COALESCE($9,nports),"
    "moves=COALESCE($10,moves),mounts=COALESCE($11,mounts),failures=COALESCE($12,failures),"
    "mount_secs=COALESCE($13,mount_secs),mount_secs_max=COALESCE($14,mount_secs_max),"
    "dismount_delay=COALESCE($15,dismount_delay),mount_buckets=COALESCE($16,mount_buckets),"
    "online=COALESCE($17,online),inventorying=COALESCE($18,inventorying),"
    "position=COALESCE($19,position) WHERE name=$1 AND $20::text IS NULL",
    -1,
    NULL,
    18,
};

static const struct table_def drives_def = {
    "drives",
    17,
    "INSERT INTO drives VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)"
    " ON CONFLICT(name) DO UPDATE SET state=excluded.state,enabled=excluded.enabled,"
    "medium=excluded.medium,last_used=excluded.last_used,mounts=excluded.mounts,"
    "cleanings=excluded.cleanings,errors=excluded.errors,last_cleaned=excluded.last_cleaned,"
    "bytes_read=excluded.bytes_read,bytes_written=excluded.bytes_written,"
    "session=excluded.session,vdrive=excluded.vdrive",
    "UPDATE drives SET guid=COALESCE($2,guid),library=COALESCE($3,library),"
    "number=COALESCE($4,number),state=COALESCE($5,state),enabled=COALESCE($6,enabled),"
    "medium=COALESCE($7,medium),last_used=COALESCE($8,last_used),mounts=COALESCE($9,mounts),"
    "cleanings=COALESCE($10,cleanings),errors=COALESCE($11,errors),"
    "last_cleaned=COALESCE($12,last_cleaned),bytes_read=COALESCE($13,bytes_read),"
    "bytes_written=COALESCE($14,bytes_written),session=COALESCE($15,session),"
    "vdrive=COALESCE($16,vdrive),position=COALESCE($17,position) WHERE name=$1"
    " AND $18::text IS NULL",
    -1,
    NULL,
    16,
};

static const struct table_def media_def = {
    "media",
    12,
    "INSERT INTO media VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT(name) DO"
    " UPDATE SET type=excluded.type,state=excluded.state,enabled=excluded.enabled,"
    "library=excluded.library,pool=excluded.pool,loc=excluded.loc,loc_addr=excluded.loc_addr,"
    "home_slot=excluded.home_slot",
    "UPDATE media SET guid=COALESCE($2,guid),barcode=COALESCE($3,barcode),"
    "type=COALESCE($4,type),state=COALESCE($5,state),enabled=COALESCE($6,enabled),"
    "library=COALESCE($7,library),pool=COALESCE($8,pool),loc=COALESCE($9,loc),"
    "loc_addr=COALESCE($10,loc_addr),home_slot=COALESCE($11,home_slot),"
    "position=COALESCE($12,position) WHERE name=$1 AND $13::text IS NULL",
    -1,
    NULL,
    11,
};

static const struct table_def sides_def = {
    "sides",
    5,
    "INSERT INTO sides VALUES($1,$2,$3,$4,$5) ON CONFLICT(guid) DO UPDATE SET"
    " state=excluded.state,owner=excluded.owner",
    "UPDATE sides SET medium=COALESCE($2,medium),side=COALESCE($3,side),"
    "state=COALESCE($4,state),owner=COALESCE($5,owner) WHERE guid=$1"
    " AND ($6::text IS NULL OR state=$6)",
    3,
    side_expect,
    -1,
};

static const struct table_def pools_def = {
    "pools",
    10,
    "INSERT INTO pools VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT(name) DO UPDATE SET"
    " guid=excluded.guid,type=excluded.type,media_type=excluded.media_type,"
    "draw=excluded.draw,ret=excluded.ret,uid=excluded.uid,gid=excluded.gid,mode=excluded.mode",
    "UPDATE pools SET guid=COALESCE($2,guid),type=COALESCE($3,type),"
    "media_type=COALESCE($4,media_type),draw=COALESCE($5,draw),ret=COALESCE($6,ret),"
    "uid=COALESCE($7,uid),gid=COALESCE($8,gid),mode=COALESCE($9,mode),"
    "position=COALESCE($10,position) WHERE name=$1 AND $11::text IS NULL",
    -1,
    NULL,
    9,
};

static const struct table_def requests_def = {
    "requests",
    22,
    "INSERT INTO requests VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,"
    "$19,$20,$21,$22)",
    "UPDATE requests SET guid=COALESCE($2,guid),operation=COALESCE($3,operation),"
    "state=COALESCE($4,state),session=COALESCE($5,session),medium=COALESCE($6,medium),"
    "drive=COALESCE($7,drive),library=COALESCE($8,library),priority=COALESCE($9,priority),"
    "options=COALESCE($10,options),submitted=COALESCE($11,submitted),"
    "started=COALESCE($12,started),finished=COALESCE($13,finished),error=COALESCE($14,error),"
    "error_detail=COALESCE($15,error_detail),port=COALESCE($16,port),"
    "vdrive=COALESCE($17,vdrive),specific=COALESCE($18,specific),pool=COALESCE($19,pool),"
    "opreq=COALESCE($20,opreq),opreq_satisfied=COALESCE($21,opreq_satisfied),"
    "result=COALESCE($22,result) WHERE number=$1"
    " AND ($23::text IS NULL OR state=ANY(string_to_array($23,',')))",
    3,
    request_expect,
    -1,
};

static const struct table_def opreqs_def = {
    "opreqs",
    10,
    "INSERT INTO opreqs VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    "UPDATE opreqs SET guid=COALESCE($2,guid),type=COALESCE($3,type),state=COALESCE($4,state),"
    "message=COALESCE($5,message),request=COALESCE($6,request),library=COALESCE($7,library),"
    "drive=COALESCE($8,drive),submitted=COALESCE($9,submitted),finished=COALESCE($10,finished)"
    " WHERE number=$1 AND ($11::text IS NULL OR state=ANY(string_to_array($11,',')))",
    3,
    opreq_expect,
    -1,
};

/* ---- values, as the rows hold them ---- */

#define SET(i, ...) snprintf(v[i], PG_VALUE_MAX, __VA_ARGS__)

int pg_library_values(struct rsm_engine *eng, const struct library *l, char v[][PG_VALUE_MAX])
{
	SET(0, "%s", l->name);
	SET(1, "%s", l->guid);
	SET(2, "%s", l->type);
	SET(3, "%d", l->enabled);
	SET(4, "%s", l->backend);
	SET(5, "%s", l->changer);
	SET(6, "%s", l->door);
	SET(7, "%d", l->nslots);
	SET(8, "%d", l->nports);
	SET(9, "%llu", (unsigned long long)l->moves);
	SET(10, "%llu", (unsigned long long)l->mounts);
	SET(11, "%llu", (unsigned long long)l->failures);
	SET(12, "%.17g", l->mount_secs_total);
	SET(13, "%.17g", l->mount_secs_max);
	SET(14, "%.17g", l->dismount_delay);
	library_buckets_text(l, v[15], PG_VALUE_MAX);
	SET(16, "%d", l->reachable);
	SET(17, "%d", l->inventorying);
	SET(18, "%d", (int)(l - eng->libraries));
	return 19;
}

int pg_drive_values(struct rsm_engine *eng, const struct drive *d, char v[][PG_VALUE_MAX])
{
	SET(0, "%s", d->name);
	SET(1, "%s", d->guid);
	SET(2, "%s", eng->libraries[d->library].name);
	SET(3, "%d", d->number);
	SET(4, "%s", name_of(&drive_states, d->state));
	SET(5, "%d", d->enabled);
	SET(6, "%s", d->medium >= 0 ? eng->media[d->medium].name : "");
	SET(7, "%llu", (unsigned long long)d->last_used);
	SET(8, "%llu", (unsigned long long)d->mounts);
	SET(9, "%llu", (unsigned long long)d->cleanings);
	SET(10, "%llu", (unsigned long long)d->errors);
	SET(11, "%s", d->last_cleaned);
	SET(12, "%llu", (unsigned long long)d->bytes_read);
	SET(13, "%llu", (unsigned long long)d->bytes_written);
	SET(14, "%s", d->session >= 0 ? eng->sessions[d->session].name : "");
	SET(15, "%d", d->session >= 0 ? d->vdrive : -1);
	SET(16, "%d", (int)(d - eng->drives));
	return 17;
}

int pg_medium_values(struct rsm_engine *eng, const struct medium *m, char v[][PG_VALUE_MAX])
{
	SET(0, "%s", m->name);
	SET(1, "%s", m->guid);
	SET(2, "%s", m->barcode);
	SET(3, "%s", m->type);
	SET(4, "%s", name_of(&media_states, m->state));
	SET(5, "%d", m->enabled);
	SET(6, "%s", eng->libraries[m->library].name);
	SET(7, "%s", eng->pools[m->pool].name);
	SET(8, "%s", name_of(&loc_kinds, m->loc));
	SET(9, "%d", m->loc_addr);
	SET(10, "%d", m->home_slot);
	SET(11, "%d", (int)(m - eng->media));
	return 12;
}

int pg_side_values(const struct medium *m, int side, char v[][PG_VALUE_MAX])
{
	SET(0, "%s", m->sides[side].guid);
	SET(1, "%s", m->name);
	SET(2, "%d", side);
	SET(3, "%s", name_of(&side_states, m->sides[side].state));
	SET(4, "%s", m->sides[side].owner);
	return 5;
}

int pg_pool_values(struct rsm_engine *eng, const struct pool *p, char v[][PG_VALUE_MAX])
{
	SET(0, "%s", p->name);
	SET(1, "%s", p->guid);
	SET(2, "%s", p->type);
	SET(3, "%s", p->media_type);
	SET(4, "%d", p->draw);
	SET(5, "%d", p->ret);
	SET(6, "%lld", (long long)p->uid);
	SET(7, "%lld", (long long)p->gid);
	SET(8, "%d", (int)p->mode);
	SET(9, "%d", (int)(p - eng->pools));
	return 10;
}

int pg_request_values(struct rsm_engine *eng, const struct request *r, char v[][PG_VALUE_MAX])
{
	SET(0, "%llu", (unsigned long long)r->number);
	SET(1, "%s", r->guid);
	SET(2, "%s", name_of(&req_ops, r->op));
	SET(3, "%s", name_of(&req_states, r->state));
	SET(4, "%s", r->session_name);
	SET(5, "%s", r->medium >= 0 ? eng->media[r->medium].name : "");
	SET(6, "%s", r->drive >= 0 ? eng->drives[r->drive].name : "");
	SET(7, "%s", r->library >= 0 ? eng->libraries[r->library].name : "");
	SET(8, "%d", r->priority);
	SET(9, "%u", r->options);
	SET(10, "%lld", (long long)r->submitted);
	SET(11, "%lld", (long long)r->started);
	SET(12, "%lld", (long long)r->finished);
	SET(13, "%u", (unsigned)r->error);
	SET(14, "%s", r->error_detail);
	SET(15, "%d", r->port);
	SET(16, "%d", r->vdrive);
	SET(17, "%d", r->specific_drive);
	SET(18, "%s", r->pool >= 0 ? eng->pools[r->pool].name : "");
	SET(19, "%llu", (unsigned long long)r->opreq);
	SET(20, "%d", r->opreq_satisfied);
	SET(21, "%s", r->result);
	return 22;
}

int pg_opreq_values(struct rsm_engine *eng, const struct opreq *o, char v[][PG_VALUE_MAX])
{
	SET(0, "%llu", (unsigned long long)o->number);
	SET(1, "%s", o->guid);
	SET(2, "%s", name_of(&opreq_types, o->type));
	SET(3, "%s", name_of(&opreq_states, o->state));
	SET(4, "%s", o->message);
	SET(5, "%llu", (unsigned long long)o->request);
	SET(6, "%s", o->library >= 0 ? eng->libraries[o->library].name : "");
	SET(7, "%s", o->drive >= 0 ? eng->drives[o->drive].name : "");
	SET(8, "%lld", (long long)o->submitted);
	SET(9, "%lld", (long long)o->finished);
	return 10;
}

/* ---- the saves of catalog_pg_ops ---- */

rsm_err pg_save_library(struct catalog *c, struct rsm_engine *eng, const struct library *l)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];

	pg_library_values(eng, l, v);
	pg_shadow_key(key, sizeof(key), "libraries", l->name);
	return write_fenced(pg_of(c), eng, (int)(l - eng->libraries), &libraries_def, key, v);
}

rsm_err pg_save_drive(struct catalog *c, struct rsm_engine *eng, const struct drive *d)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];

	pg_drive_values(eng, d, v);
	pg_shadow_key(key, sizeof(key), "drives", d->name);
	return write_fenced(pg_of(c), eng, d->library, &drives_def, key, v);
}

/* The medium's row, then each side's (an allocation races another host's on the side). */
rsm_err pg_save_medium(struct catalog *c, struct rsm_engine *eng, const struct medium *m)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];
	bool own = false;
	rsm_err e;

	/* the row and its sides together: one transaction */
	if (!pg_of(c)->in_txn) {
		if ((e = c->ops->begin(c)) != ERROR_SUCCESS)
			return e;
		own = true;
	}
	pg_medium_values(eng, m, v);
	pg_shadow_key(key, sizeof(key), "media", m->name);
	e = write_fenced(pg_of(c), eng, m->library, &media_def, key, v);
	for (int i = 0; e == ERROR_SUCCESS && i < m->nsides; i++) {
		pg_side_values(m, i, v);
		pg_shadow_key(key, sizeof(key), "sides", m->sides[i].guid);
		e = write_row(pg_of(c), &sides_def, key, v);
	}
	if (!own)
		return e;
	if (e == ERROR_SUCCESS)
		return c->ops->commit(c);
	c->ops->rollback(c);
	return e;
}

rsm_err pg_save_pool(struct catalog *c, struct rsm_engine *eng, const struct pool *p)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];

	pg_pool_values(eng, p, v);
	pg_shadow_key(key, sizeof(key), "pools", p->name);
	return write_row(pg_of(c), &pools_def, key, v);
}

rsm_err pg_save_request(struct catalog *c, struct rsm_engine *eng, const struct request *r)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];

	pg_request_values(eng, r, v);
	pg_shadow_key(key, sizeof(key), "requests", v[0]);
	return write_fenced(pg_of(c), eng, r->library, &requests_def, key, v);
}

rsm_err pg_save_opreq(struct catalog *c, struct rsm_engine *eng, const struct opreq *o)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];

	pg_opreq_values(eng, o, v);
	pg_shadow_key(key, sizeof(key), "opreqs", v[0]);
	return write_fenced(pg_of(c), eng, o->library, &opreqs_def, key, v);
}

/* ---- shadows of rows read ---- */

/* Sets the shadow of a model object (just read from the catalog) to what a save of it would
 * write, so that only a later change of the model is written back. */
void pg_shadow_object(struct pg_catalog *c, struct rsm_engine *eng, enum pg_table t, int index,
		      const void *obj)
{
	char v[PG_COLS_MAX][PG_VALUE_MAX], key[160];
	const char *vals[PG_COLS_MAX];
	int n = 0;
	const char *table = NULL;

	switch (t) {
	case PGT_LIBRARIES:
		n = pg_library_values(eng, &eng->libraries[index], v);
		table = "libraries";
		break;
	case PGT_DRIVES:
		n = pg_drive_values(eng, &eng->drives[index], v);
		table = "drives";
		break;
	case PGT_MEDIA: {
		const struct medium *m = &eng->media[index];
		for (int s = 0; s < m->nsides; s++) {
			int k = pg_side_values(m, s, v);
			for (int i = 0; i < k; i++)
				vals[i] = v[i];
			pg_shadow_key(key, sizeof(key), "sides", m->sides[s].guid);
			shadow_set(&c->shadows, key, vals, k);
		}
		n = pg_medium_values(eng, m, v);
		table = "media";
		break;
	}
	case PGT_POOLS:
		n = pg_pool_values(eng, &eng->pools[index], v);
		table = "pools";
		break;
	case PGT_REQUESTS:
		n = pg_request_values(eng, obj, v);
		table = "requests";
		break;
	case PGT_OPREQS:
		n = pg_opreq_values(eng, obj, v);
		table = "opreqs";
		break;
	default:
		return;
	}
	for (int i = 0; i < n; i++)
		vals[i] = v[i];
	pg_shadow_key(key, sizeof(key), table, v[0]);
	shadow_set(&c->shadows, key, vals, n);
}
