/* pool_ops.c - media pools and the media life cycle: CreateNtmsMediaPool,
 * DeleteNtmsMediaPool, MoveToNtmsMediaPool, AllocateNtmsMedia, DeallocateNtmsMedia,
 * DecommissionNtmsMedia, SetNtmsMediaComplete.
 *
 * A pool's security is its directory's owner and mode, as Unix reads them: read and search
 * grant USE (mount its media), write grants MODIFY (allocate, deallocate, move media in or
 * out, change its policy), and the owner or an administrator holds CONTROL (chmod, chown,
 * delete).  Free, import, unrecognized and cleaner are the system pools: root's, 0755.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "jobs.h"
#include "notify.h"
#include "requests.h"

#define ALLOCATE_NO_WAIT 0x100 /* timeout 0: fail at once instead of waiting */

static bool system_pool(const struct pool *p)
{
	return strcmp(p->type, "application") != 0;
}

static int pool_media_count(struct rsm_engine *eng, int pi)
{
	int n = 0;
	for (int i = 0; i < eng->nmedia; i++)
		n += eng->media[i].pool == pi;
	return n;
}

/* Commits a medium whose pool or sides changed, and announces it; on failure the caller's
 * copy `before` is put back. */
static rsm_err medium_commit(struct rsm_engine *eng, struct medium *m, const struct medium *before)
{
	rsm_err e = catalog_save_checked(eng, NULL, m, NULL);

	if (e != ERROR_SUCCESS) {
		*m = *before;
		return e;
	}
	emit_medium(eng, m);
	for (int s = 0; s < m->nsides; s++)
		if (m->sides[s].state != before->sides[s].state ||
		    strcmp(m->sides[s].owner, before->sides[s].owner) != 0)
			emit_side(eng, m, s);
	if (m->pool != before->pool) {
		emit_pool(eng, &eng->pools[before->pool], RSM_EV_UPDATE);
		emit_pool(eng, &eng->pools[m->pool], RSM_EV_UPDATE);
	}
	return ERROR_SUCCESS;
}

/* ---- pools ---- */

rsm_err rsm_pool_create(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name,
			mode_t mode)
{
	rsm_err e = ERROR_SUCCESS;

	if (!name || !cred)
		return ERROR_INVALID_PARAMETER;
	if (!valid_name(name))
		return ERROR_INVALID_NAME;
	engine_lock(eng);
	if (eng->stopping)
		e = ERROR_NOT_CONNECTED;
	else if (pool_find(eng, name) >= 0)
		e = ERROR_ALREADY_EXISTS;
	if (e != ERROR_SUCCESS)
		goto out;
	struct pool *n = realloc(eng->pools, sizeof(*n) * (size_t)(eng->npools + 1));
	if (!n) {
		e = ERROR_NOT_ENOUGH_MEMORY;
		goto out;
	}
	eng->pools = n;
	struct pool *p = &eng->pools[eng->npools];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	guid_new(p->guid);
	snprintf(p->type, sizeof(p->type), "application");
	snprintf(p->media_type, sizeof(p->media_type), "%s",
		 eng->nlibraries ? eng->libraries[0].media_type : "");
	p->draw = p->ret = true;
	p->uid = cred->uid;
	p->gid = cred->gid;
	p->mode = mode & 07777;
	e = catalog_save_pool(eng, p);
	if (e != ERROR_SUCCESS)
		goto out;
	eng->npools++;
	emit_pool(eng, p, RSM_EV_INSERT);
out:
	engine_unlock(eng);
	return e;
}

/* The pool a caller with the given right names (engine locked), or -1 with *e saying why:
 * the service is stopping, no such pool, or the right is missing. */
static int pool_for(struct rsm_engine *eng, const char *name, const struct rsm_cred *cred,
		    enum pool_right right, rsm_err *e)
{
	int pi;

	*e = ERROR_SUCCESS;
	if (eng->stopping)
		*e = ERROR_NOT_CONNECTED;
	else if ((pi = pool_find(eng, name)) < 0)
		*e = ERROR_INVALID_MEDIA_POOL;
	else if (!pool_allows(&eng->pools[pi], cred, right))
		*e = ERROR_ACCESS_DENIED;
	else
		return pi;
	return -1;
}

rsm_err rsm_pool_delete(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name)
{
	rsm_err e = ERROR_SUCCESS;
	int pi;

	if (!name)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	/* who may not modify the pool is told so before being told it is a system pool */
	pi = pool_for(eng, name, cred, POOL_CONTROL, &e);
	if (pi < 0)
		goto out;
	if (system_pool(&eng->pools[pi]))
		e = ERROR_INVALID_MEDIA_POOL;
	else if (pool_media_count(eng, pi) > 0)
		e = ERROR_NOT_EMPTY;
	if (e != ERROR_SUCCESS)
		goto out;
	for (struct request *r = eng->pending.head; r; r = r->list_next)
		if (r->pool == pi)
			e = ERROR_BUSY; /* an allocation waits on it */
	if (e == ERROR_SUCCESS)
		e = catalog_delete_pool(eng, name);
	if (e != ERROR_SUCCESS)
		goto out;
	struct pool gone = eng->pools[pi];
	pool_remove(eng, pi);
	emit_pool(eng, &gone, RSM_EV_DELETE);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_pool_set_access(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name,
			    int64_t uid, int64_t gid, int64_t mode)
{
	rsm_err e = ERROR_SUCCESS;
	int pi;

	if (!name)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	pi = pool_for(eng, name, cred, POOL_CONTROL, &e);
	if (pi >= 0 && uid >= 0 && (uid_t)uid != eng->pools[pi].uid && !cred->admin)
		e = ERROR_ACCESS_DENIED; /* giving a pool away takes an administrator */
	if (e != ERROR_SUCCESS)
		goto out;
	struct pool *p = &eng->pools[pi], before = *p;
	if (uid >= 0)
		p->uid = (uid_t)uid;
	if (gid >= 0)
		p->gid = (gid_t)gid;
	if (mode >= 0)
		p->mode = (mode_t)mode & 07777;
	e = catalog_save_pool(eng, p);
	if (e != ERROR_SUCCESS)
		*p = before;
	else
		emit_pool(eng, p, RSM_EV_UPDATE);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_pool_set_policy(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name,
			    int draw, int ret)
{
	rsm_err e = ERROR_SUCCESS;
	int pi;

	if (!name || draw < -1 || draw > 1 || ret < -1 || ret > 1)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	pi = pool_for(eng, name, cred, POOL_MODIFY, &e);
	if (e != ERROR_SUCCESS)
		goto out;
	struct pool *p = &eng->pools[pi], before = *p;
	if (draw >= 0)
		p->draw = draw;
	if (ret >= 0)
		p->ret = ret;
	e = catalog_save_pool(eng, p);
	if (e != ERROR_SUCCESS)
		*p = before;
	else
		emit_pool(eng, p, RSM_EV_UPDATE); /* a waiting allocation may draw now */
out:
	engine_unlock(eng);
	return e;
}

/* ---- media in pools ---- */

static bool side_taken(enum side_state s)
{
	return s == SIDE_ALLOCATED || s == SIDE_COMPLETE || s == SIDE_RESERVED;
}

static bool medium_side_taken(const struct medium *m)
{
	for (int s = 0; s < m->nsides; s++)
		if (side_taken(m->sides[s].state))
			return true;
	return false;
}

/* MoveToNtmsMediaPool's rules, in its order of checks. */
static rsm_err move_check(struct rsm_engine *eng, const struct rsm_cred *cred,
			  const struct medium *m, int to)
{
	const struct pool *src = &eng->pools[m->pool], *dst = &eng->pools[to];
	bool to_free = strcmp(dst->type, "free") == 0;

	if ((strcmp(src->type, "import") == 0 || strcmp(src->type, "unrecognized") == 0) &&
	    !to_free && to != m->pool)
		return ERROR_INVALID_MEDIA_POOL;
	if (!pool_allows(src, cred, POOL_MODIFY) || !pool_allows(dst, cred, POOL_MODIFY))
		return ERROR_ACCESS_DENIED;
	if (dst->media_type[0] && strcmp(dst->media_type, m->type) != 0 &&
	    strcmp(dst->type, "cleaner") != 0)
		return ERROR_MEDIA_INCOMPATIBLE;
	if (m->busy || (m->loc == LOC_DRIVE && m->state == MEDIA_MOUNTED))
		return ERROR_BUSY;
	if (to_free && medium_side_taken(m))
		return ERROR_BUSY; /* allocated, complete or reserved sides cannot be scratch */
	if (strcmp(dst->type, "import") == 0)
		for (int s = 0; s < m->nsides; s++)
			if (m->sides[s].state != SIDE_IMPORT)
				return ERROR_INVALID_MEDIA_POOL;
	return ERROR_SUCCESS;
}

rsm_err rsm_media_move_pool(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium,
			    const char *pool)
{
	rsm_err e = ERROR_SUCCESS;
	int mi, pi;

	if (!medium || !pool)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	if (eng->stopping)
		e = ERROR_NOT_CONNECTED;
	else if ((mi = medium_find(eng, medium)) < 0)
		e = ERROR_INVALID_MEDIA;
	else if ((pi = pool_find(eng, pool)) < 0)
		e = ERROR_INVALID_MEDIA_POOL;
	else
		e = move_check(eng, cred, &eng->media[mi], pi);
	if (e != ERROR_SUCCESS || eng->media[mi].pool == pi)
		goto out;
	struct medium *m = &eng->media[mi], before = *m;
	m->pool = pi;
	/* scratch media are available; media leaving import or unrecognized are known now */
	for (int s = 0; s < m->nsides; s++)
		if (m->sides[s].state == SIDE_IMPORT || m->sides[s].state == SIDE_FOREIGN ||
		    m->sides[s].state == SIDE_UNPREPARED)
			m->sides[s].state = SIDE_AVAILABLE;
	e = medium_commit(eng, m, &before);
out:
	engine_unlock(eng);
	return e;
}

/* Shared checks of decommission and complete: the medium, and MODIFY on its pool. */
static struct medium *medium_for_change(struct rsm_engine *eng, const struct rsm_cred *cred,
					const char *medium, rsm_err *e)
{
	int mi;

	*e = ERROR_SUCCESS;
	if (!medium)
		*e = ERROR_INVALID_PARAMETER;
	else if (eng->stopping)
		*e = ERROR_NOT_CONNECTED;
	else if ((mi = medium_find(eng, medium)) < 0)
		*e = ERROR_INVALID_MEDIA;
	else if (!pool_allows(&eng->pools[eng->media[mi].pool], cred, POOL_MODIFY))
		*e = ERROR_ACCESS_DENIED;
	else
		return &eng->media[mi];
	return NULL;
}

rsm_err rsm_media_decommission(struct rsm_engine *eng, const struct rsm_cred *cred,
			       const char *medium)
{
	rsm_err e;

	engine_lock(eng);
	struct medium *m = medium_for_change(eng, cred, medium, &e);
	for (int s = 0; m && e == ERROR_SUCCESS && s < m->nsides; s++)
		if (m->sides[s].state != SIDE_AVAILABLE)
			e = ERROR_INVALID_STATE; /* only available sides; deallocate first */
	if (m && e == ERROR_SUCCESS) {
		struct medium before = *m;
		for (int s = 0; s < m->nsides; s++)
			m->sides[s].state = SIDE_DECOMMISSIONED;
		e = medium_commit(eng, m, &before);
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_media_complete(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium)
{
	rsm_err e;
	bool any = false;

	engine_lock(eng);
	struct medium *m = medium_for_change(eng, cred, medium, &e);
	if (m && (m->state == MEDIA_MOUNTED || m->busy))
		e = ERROR_INVALID_STATE; /* a medium in use cannot be completed */
	for (int s = 0; m && e == ERROR_SUCCESS && s < m->nsides; s++)
		any |= m->sides[s].state == SIDE_ALLOCATED;
	if (m && e == ERROR_SUCCESS && !any)
		e = ERROR_INVALID_STATE; /* nothing allocated to complete */
	if (m && e == ERROR_SUCCESS) {
		struct medium before = *m;
		for (int s = 0; s < m->nsides; s++)
			if (m->sides[s].state == SIDE_ALLOCATED)
				m->sides[s].state = SIDE_COMPLETE;
		e = medium_commit(eng, m, &before);
	}
	engine_unlock(eng);
	return e;
}

/* ---- allocation ---- */

static bool medium_online(const struct medium *m)
{
	return m->enabled && (m->loc == LOC_SLOT || m->loc == LOC_DRIVE) && !m->busy;
}

/* A side that allocation may take in pool pi: NEW wants a medium none of whose sides is
 * taken.  Returns the medium, with *side set, or NO_INDEX. */
static int find_side(struct rsm_engine *eng, int pi, bool whole_medium, const char *media_type,
		     int *side)
{
	for (int i = 0; i < eng->nmedia; i++) {
		struct medium *m = &eng->media[i];
		if (m->pool != pi || !medium_online(m))
			continue;
		if (media_type && media_type[0] && strcmp(m->type, media_type) != 0)
			continue;
		if (whole_medium && medium_side_taken(m))
			continue;
		for (int s = 0; s < m->nsides; s++)
			if (m->sides[s].state == SIDE_AVAILABLE) {
				*side = s;
				return i;
			}
	}
	return NO_INDEX;
}

/* Allocates side `side` of medium mi to request r's session, moving the medium into the
 * request's pool first if it came from free. */
static rsm_err allocate_side(struct rsm_engine *eng, struct request *r, int mi, int side)
{
	struct medium *m = &eng->media[mi], before = *m;

	m->pool = r->pool;
	m->sides[side].state = SIDE_ALLOCATED;
	snprintf(m->sides[side].owner, sizeof(m->sides[side].owner), "%s", r->session_name);
	if (r->options & RSM_ALLOCATE_NEW)
		for (int s = 0; s < m->nsides; s++)
			if (s != side && m->sides[s].state == SIDE_AVAILABLE)
				m->sides[s].state = SIDE_RESERVED;
	rsm_err e = medium_commit(eng, m, &before);
	if (e != ERROR_SUCCESS)
		return e;
	r->medium = mi;
	r->library = m->library;
	snprintf(r->result, sizeof(r->result), "%s/%d", m->name, side);
	return ERROR_SUCCESS;
}

enum attempt try_allocate(struct rsm_engine *eng, struct request *r)
{
	struct pool *p = &eng->pools[r->pool];
	int side = 0, mi = find_side(eng, r->pool, r->options & RSM_ALLOCATE_NEW, NULL, &side);

	if (mi == NO_INDEX && p->draw) {
		int fi = pool_find(eng, "free");
		mi = fi >= 0 ? find_side(eng, fi, true, p->media_type, &side) : NO_INDEX;
	}
	if (mi == NO_INDEX) {
		if (r->options & ALLOCATE_NO_WAIT) {
			request_finish(eng, r, REQ_FAILED, ERROR_MEDIA_UNAVAILABLE,
				       "no medium is available in the pool or in free");
			return FINISHED;
		}
		request_wait_for_operator(eng, r, OPREQ_NEWMEDIA);
		return BLOCKED;
	}
	rsm_err e = allocate_side(eng, r, mi, side);
	request_finish(eng, r, e == ERROR_SUCCESS ? REQ_PASSED : REQ_FAILED, e, NULL);
	return FINISHED;
}

rsm_err rsm_allocate(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		     const char *pool, unsigned options, int64_t timeout_ms, rsm_done_fn done,
		     void *ctx, uint64_t *request, char result[RSM_NAME_MAX + 8])
{
	struct session *s;
	struct request *r;
	rsm_err e;
	int pi, fi;

	if (!pool || (options & ~(unsigned)RSM_ALLOCATE_NEW) ||
	    (timeout_ms < 0 && timeout_ms != RSM_WAIT_INFINITE) || (timeout_ms != 0 && !done))
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, false, &e);
	if (!s)
		goto out;
	if ((pi = pool_find(eng, pool)) < 0 || strcmp(eng->pools[pi].type, "application") != 0) {
		e = ERROR_INVALID_MEDIA_POOL; /* only application pools are allocated from */
		goto out;
	}
	fi = pool_find(eng, "free");
	if (!pool_allows(&eng->pools[pi], cred, POOL_MODIFY) ||
	    (eng->pools[pi].draw && fi >= 0 && !pool_allows(&eng->pools[fi], cred, POOL_USE))) {
		e = ERROR_ACCESS_DENIED;
		goto out;
	}
	e = user_limit_check(eng, cred, LIMIT_REQUESTS);
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_ALLOCATE,
				    .session = (int)(s - eng->sessions),
				    .medium = NO_INDEX,
				    .drive = NO_INDEX,
				    .library = NO_INDEX,
				    .port = -1,
				    .options = options | (timeout_ms == 0 ? ALLOCATE_NO_WAIT : 0)};
	e = request_new(eng, &spec, &r);
	if (e != ERROR_SUCCESS)
		goto out;
	r->pool = pi;
	if (request)
		*request = r->number;
	/* the answer may be there at once; only a wait completes through done() */
	try_allocate(eng, r);
	if (r->state == REQ_PASSED) {
		snprintf(result, RSM_NAME_MAX + 8, "%s", r->result);
		e = ERROR_SUCCESS;
	} else if (r->state == REQ_FAILED) {
		e = r->error;
	} else {
		request_await(eng, r, done, ctx, timeout_ms);
		e = ERROR_IO_PENDING;
	}
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_deallocate(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		       const char *medium, int side)
{
	struct session *s;
	rsm_err e;
	int mi;

	if (!medium || side < 0)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, false, &e);
	if (!s)
		goto out;
	if ((mi = medium_find(eng, medium)) < 0 || side >= eng->media[mi].nsides) {
		e = ERROR_INVALID_MEDIA;
		goto out;
	}
	struct medium *m = &eng->media[mi], before = *m;
	if (m->sides[side].state != SIDE_ALLOCATED && m->sides[side].state != SIDE_COMPLETE) {
		e = ERROR_INVALID_STATE; /* nothing allocated on that side */
		goto out;
	}
	if (!pool_allows(&eng->pools[m->pool], cred, POOL_MODIFY)) {
		e = ERROR_ACCESS_DENIED;
		goto out;
	}
	m->sides[side].state = SIDE_AVAILABLE;
	m->sides[side].owner[0] = '\0';
	bool any = false;
	for (int k = 0; k < m->nsides; k++)
		any |= m->sides[k].state == SIDE_ALLOCATED || m->sides[k].state == SIDE_COMPLETE;
	for (int k = 0; !any && k < m->nsides; k++)
		if (m->sides[k].state == SIDE_RESERVED)
			m->sides[k].state = SIDE_AVAILABLE;
	int fi = pool_find(eng, "free");
	if (!any && eng->pools[m->pool].ret && fi >= 0)
		m->pool = fi; /* the pool's policy returns it to scratch */
	e = medium_commit(eng, m, &before);
out:
	engine_unlock(eng);
	return e;
}
