/* media_ops.c - the calls that submit and cancel work: MountNtmsMedia, DismountNtmsMedia,
 * CancelNtmsLibraryRequest.
 *
 * Validation follows the server's order: parameters (ERROR_INVALID_PARAMETER), then the
 * handle, then access, then the objects and their states.  Nothing is changed until every
 * check has passed and the request is committed to the catalog.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "jobs.h"
#include "requests.h"

/* Whether this host has a device for some drive of library li (drives/<d>/hosts): one that
 * has none could never use a mount. */
static bool library_reached(const struct rsm_engine *eng, int li)
{
	const struct library *l = &eng->libraries[li];

	for (int i = 0; i < l->ndrives; i++)
		if (!eng->drives[l->drive_index[i]].unreached)
			return true;
	return l->ndrives == 0;
}

/* Mount checks that can fail at once; a medium or drive merely busy is waited for later. */
static rsm_err mount_check(struct rsm_engine *eng, struct session *s, const struct rsm_cred *cred,
			   const struct rsm_mount_args *a, int *mi, int *di)
{
	struct medium *m;
	struct library *l;

	*mi = medium_find(eng, a->medium);
	if (*mi < 0)
		return ERROR_INVALID_MEDIA;
	m = &eng->media[*mi];
	if (a->side < 0 || a->side >= m->nsides)
		return ERROR_INVALID_MEDIA;
	if (!pool_allows(&eng->pools[m->pool], cred, POOL_USE))
		return ERROR_ACCESS_DENIED; /* USE on the pool: read and search on its directory */
	l = &eng->libraries[m->library];
	if (!l->present)
		return ERROR_INVALID_LIBRARY;
	if (!l->reachable)
		return ERROR_LIBRARY_OFFLINE;
	*di = NO_INDEX;
	if (a->options & RSM_MOUNT_SPECIFIC_DRIVE) {
		if (!a->drive || (*di = drive_find(eng, a->drive)) < 0)
			return ERROR_INVALID_DRIVE;
		if (eng->drives[*di].library != m->library)
			return ERROR_DRIVE_MEDIA_MISMATCH;
		if (!drive_usable(&eng->drives[*di]))
			return ERROR_DEVICE_NOT_AVAILABLE;
	}
	if (!library_reached(eng, m->library))
		return ERROR_DEVICE_NOT_AVAILABLE; /* a site's host with no device for its drives */
	if (!l->enabled || !m->enabled)
		return ERROR_RESOURCE_DISABLED;
	if ((a->options & RSM_MOUNT_WRITE) && m->sides[a->side].state == SIDE_COMPLETE)
		return ERROR_WRITE_PROTECT;
	if ((m->loc == LOC_OFFLINE || m->loc == LOC_PORT) && (a->options & RSM_MOUNT_ERROR_OFFLINE))
		return ERROR_MEDIA_OFFLINE;
	if (a->options & RSM_MOUNT_VDRIVE) {
		/* one of the session's virtual drives, one per drive of the library */
		if (a->vdrive < 0 || a->vdrive >= l->ndrives)
			return ERROR_INVALID_PARAMETER;
		for (int i = 0; i < eng->ndrives; i++) {
			struct drive *d = &eng->drives[i];
			if (d->session == (int)(s - eng->sessions) && d->vdrive == a->vdrive &&
			    d->medium != *mi)
				return ERROR_BUSY; /* it holds another of the session's media */
		}
	}
	if (a->options & RSM_MOUNT_ERROR_NOT_AVAILABLE) {
		int slot = (int)(s - eng->sessions);
		if (m->loc == LOC_DRIVE) {
			struct drive *d = &eng->drives[m->loc_addr];
			if (d->state == DRIVE_MOUNTED && d->session != slot)
				return ERROR_BUSY;
		}
		if (m->busy && m->busy->session != slot)
			return ERROR_BUSY;
	}
	return ERROR_SUCCESS;
}

rsm_err rsm_mount(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  const struct rsm_mount_args *a, rsm_done_fn done, void *ctx, uint64_t *request)
{
	struct request *r = NULL;
	struct session *s;
	rsm_err e;
	int mi, di;

	if (!a || !a->medium || a->priority < -15 || a->priority > 15 ||
	    (a->timeout_ms < 0 && a->timeout_ms != RSM_WAIT_INFINITE))
		return ERROR_INVALID_PARAMETER;
	if (!(a->options & RSM_MOUNT_NOWAIT) && !done)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, false, &e);
	if (!s)
		goto out;
	e = mount_check(eng, s, cred, a, &mi, &di);
	if (e == ERROR_SUCCESS)
		e = user_limit_check(eng, cred, LIMIT_REQUESTS);
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_MOUNT,
				    .session = (int)(s - eng->sessions),
				    .medium = mi,
				    .drive = di,
				    .library = NO_INDEX,
				    .port = -1,
				    .priority = a->priority,
				    .options = a->options,
				    .specific_drive = di != NO_INDEX};
	e = request_new(eng, &spec, &r);
	if (e != ERROR_SUCCESS)
		goto out;
	popularity_count(eng, mi);
	if (request)
		*request = r->number;
	if (a->options & RSM_MOUNT_VDRIVE)
		r->vdrive = a->vdrive;
	if (!(a->options & RSM_MOUNT_NOWAIT)) {
		request_await(eng, r, done, ctx, a->timeout_ms);
		e = ERROR_IO_PENDING;
	}
out:
	engine_unlock(eng);
	return e;
}

bool rsm_mount_abandon(struct rsm_engine *eng, uint64_t request)
{
	bool pending = false;

	engine_lock(eng);
	struct request *r = request_find(eng, request);
	if (r) {
		pending = r->done != NULL;
		r->done = NULL;
		if (request_pending(r))
			request_finish(eng, r, REQ_CANCELLED, ERROR_CANCELLED,
				       "the caller was interrupted");
	}
	engine_unlock(eng);
	return pending;
}

static rsm_err dismount_check(struct rsm_engine *eng, struct session *s, int mi)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	int slot = (int)(s - eng->sessions);

	if (!l->present)
		return ERROR_INVALID_LIBRARY;
	if (!l->reachable)
		return ERROR_LIBRARY_OFFLINE;
	if (!m->enabled)
		return ERROR_MEDIA_NOT_AVAILABLE;
	if (m->loc == LOC_OFFLINE || m->loc == LOC_PORT)
		return ERROR_MEDIA_OFFLINE;
	if (m->busy) {
		/* the session's own mount still on its way: the dismount queues behind it */
		if (m->busy->session == slot && m->busy->op == OP_MOUNT)
			return ERROR_SUCCESS;
		return m->busy->session == slot ? ERROR_INVALID_STATE : ERROR_ACCESS_DENIED;
	}
	if (m->loc != LOC_DRIVE)
		return ERROR_INVALID_STATE;
	struct drive *d = &eng->drives[m->loc_addr];
	if (!d->enabled || d->failed)
		return ERROR_DEVICE_NOT_AVAILABLE;
	if (d->state == DRIVE_MOUNTED && d->session != slot)
		return ERROR_ACCESS_DENIED;
	return ERROR_SUCCESS;
}

rsm_err rsm_dismount(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		     const char *medium, unsigned options, uint64_t *request)
{
	struct session *s;
	rsm_err e;
	int mi;

	if (!medium || (options & ~(unsigned)(RSM_DISMOUNT_DEFERRED | RSM_DISMOUNT_IMMEDIATE)) ||
	    options == (RSM_DISMOUNT_DEFERRED | RSM_DISMOUNT_IMMEDIATE))
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, false, &e);
	if (!s)
		goto out;
	mi = medium_find(eng, medium);
	if (mi < 0) {
		e = ERROR_INVALID_MEDIA;
		goto out;
	}
	e = dismount_check(eng, s, mi);
	if (e == ERROR_SUCCESS)
		e = user_limit_check(eng, cred, LIMIT_REQUESTS);
	if (e != ERROR_SUCCESS)
		goto out;
	struct request_spec spec = {.op = OP_DISMOUNT,
				    .session = (int)(s - eng->sessions),
				    .medium = mi,
				    .drive = NO_INDEX,
				    .library = NO_INDEX,
				    .port = -1,
				    .options = options};
	e = request_submit(eng, &spec, request);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_request_cancel(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t number)
{
	struct request *r;
	rsm_err e = ERROR_SUCCESS;

	engine_lock(eng);
	if (eng->stopping)
		e = ERROR_NOT_CONNECTED;
	else if (!cred || !cred->admin)
		e = ERROR_ACCESS_DENIED;
	else if (!(r = request_find(eng, number)) || request_finished(r))
		e = ERROR_OBJECT_NOT_FOUND;
	else if (r->state == REQ_INPROCESS)
		e = ERROR_ACCESS_DENIED; /* the cartridge is travelling: a move cannot be taken back
					  */
	else if ((e = request_cancel(eng, r, "cancelled by an administrator")) == ERROR_BUSY)
		e = ERROR_ACCESS_DENIED; /* its manager (another host) started it meanwhile */
	engine_unlock(eng);
	return e;
}
