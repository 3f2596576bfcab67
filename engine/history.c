/* history.c - the requests that are waiting and the requests that are over.
 *
 * requests/ lists finished requests for the configured retention, at most request_keep_max
 * of them, so eng->requests holds thousands of them for every one still pending.  Two lists
 * keep the work of the engine proportional to what matters: the scheduler walks the pending
 * list only, and the retention drops from the head of the finished list (the request that
 * finished longest ago), not by searching the history.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool request_pending(const struct request *r)
{
	return r->state == REQ_QUEUED || r->state == REQ_WAITING;
}

bool request_finished(const struct request *r)
{
	return r->state == REQ_PASSED || r->state == REQ_FAILED || r->state == REQ_CANCELLED ||
	       r->state == REQ_STOPPED || r->state == REQ_INVALID;
}

static struct request_queue *queue_of(struct rsm_engine *eng, enum request_list list)
{
	return list == LIST_PENDING ? &eng->pending : list == LIST_FINISHED ? &eng->finished : NULL;
}

static void queue_unlink(struct request_queue *q, struct request *r)
{
	if (r->list_prev)
		r->list_prev->list_next = r->list_next;
	else
		q->head = r->list_next;
	if (r->list_next)
		r->list_next->list_prev = r->list_prev;
	else
		q->tail = r->list_prev;
	r->list_prev = r->list_next = NULL;
	q->count--;
}

static void queue_append(struct request_queue *q, struct request *r)
{
	r->list_prev = q->tail;
	r->list_next = NULL;
	if (q->tail)
		q->tail->list_next = r;
	else
		q->head = r;
	q->tail = r;
	q->count++;
}

void request_track(struct rsm_engine *eng, struct request *r)
{
	enum request_list want = request_pending(r)    ? LIST_PENDING
				 : request_finished(r) ? LIST_FINISHED
						       : LIST_NONE;

	if (want == r->list)
		return;
	if (r->list != LIST_NONE)
		queue_unlink(queue_of(eng, r->list), r);
	if (want != LIST_NONE)
		queue_append(queue_of(eng, want), r);
	r->list = want;
}

/* Finishing order of loaded requests: by finishing time, then number. */
static int finished_order(const void *a, const void *b)
{
	const struct request *x = *(struct request *const *)a, *y = *(struct request *const *)b;

	if (x->finished != y->finished)
		return x->finished < y->finished ? -1 : 1;
	return x->number < y->number ? -1 : x->number > y->number;
}

/* Puts the requests read from the catalog, once what the last run left is settled, on their
 * lists; the finished ones in the order they finished. */
void requests_loaded(struct rsm_engine *eng)
{
	struct request **done = malloc(sizeof(*done) * (eng->nrequests ? eng->nrequests : 1));
	size_t n = 0;

	for (size_t i = 0; i < eng->nrequests; i++) {
		struct request *r = eng->requests[i];
		if (done && request_finished(r))
			done[n++] = r;
		else
			request_track(eng, r);
	}
	if (done)
		qsort(done, n, sizeof(*done), finished_order);
	for (size_t i = 0; i < n; i++)
		request_track(eng, done[i]);
	free(done);
}

/* Where request r is in eng->requests (ascending by number), by binary search. */
static size_t request_index(struct rsm_engine *eng, const struct request *r)
{
	size_t lo = 0, hi = eng->nrequests;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (eng->requests[mid]->number < r->number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Drops finished requests, earliest finished first, while more than request_keep_max are
 * kept or the earliest finished before cutoff: the row inside the caller's transaction, a
 * delete event, and the pointer out of eng->requests.  Finding it by binary search and moving
 * the pointers after it touches no other request: a pass over all of them cost a cache miss
 * per kept request, every time one was dropped. */
static void requests_drop(struct rsm_engine *eng, int64_t cutoff)
{
	struct request *r;

	while ((r = eng->finished.head) &&
	       (eng->finished.count > (size_t)eng->cfg.request_keep_max || r->finished < cutoff)) {
		if (catalog_delete_request(eng, r->number) != ERROR_SUCCESS)
			break;
		emit_request(eng, r, RSM_EV_DELETE);
		queue_unlink(&eng->finished, r);
		size_t i = request_index(eng, r);
		if (i == eng->nrequests || eng->requests[i] != r)
			continue; /* cannot be: every request is in the array */
		memmove(&eng->requests[i], &eng->requests[i + 1],
			(eng->nrequests - i - 1) * sizeof(*eng->requests));
		eng->nrequests--;
		free(r);
	}
}

/* Drops finished requests older than the retention, and the earliest finished ones past the
 * maximum count, from memory and the catalog (every minute, and at start). */
void requests_purge(struct rsm_engine *eng)
{
	if (catalog_begin(eng) != ERROR_SUCCESS)
		return;
	requests_drop(eng, wall_now() - eng->cfg.request_retention_s);
	opreqs_purge(eng);
	catalog_commit(eng);
}

/* Keeps at most request_keep_max finished requests, in the transaction of the burst that
 * finished the newer ones.  Run where nothing walks eng->requests (at engine_unlock), since
 * it moves the array under any loop. */
void requests_trim(struct rsm_engine *eng)
{
	if (eng->finished.count <= (size_t)eng->cfg.request_keep_max || eng->db_readonly)
		return;
	if (catalog_batch_begin(eng) == ERROR_SUCCESS)
		requests_drop(eng, INT64_MIN);
}
