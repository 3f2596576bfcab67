/* handles.c - session and notification handles, and the thread's last error.
 *
 * A HANDLE is a value, never a pointer (rsm-reference.md §0, §6.1): a kind tag, a slot number
 * and the slot's generation.  A NULL, forged or stale value finds no live slot of its kind, so
 * the caller answers ERROR_INVALID_HANDLE (or ERROR_INVALID_PARAMETER where the seed page says
 * NULL is that) and nothing is dereferenced.  Handles are usable from every thread of the
 * process: a call holds a reference on its slot, and a close waits for those to end.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ntms.h"

/* 12 bits of slot number: at most 4096 open handles of each kind per process. */
#define SLOT_BITS 12
#define MAX_SLOTS (1u << SLOT_BITS)
#define TAG_BITS 4
#define GEN_SHIFT (TAG_BITS + SLOT_BITS)
/* Generations wrap below the top bit, so no handle is ever INVALID_HANDLE_VALUE (all ones). */
#define GEN_MASK ((UINTPTR_MAX >> GEN_SHIFT) >> 1)

struct slot {
	uintptr_t gen; /* 0: never used */
	bool used;
	bool closing;
	int refs;
	void *obj;
};

struct table {
	struct slot *slots;
	unsigned count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static struct table sessions, notifications;

static __thread DWORD last_error;

/* GetLastError: the detail of the last failed OpenNtmsSessionA or OpenNtmsNotification of
 * this thread (ERROR_SUCCESS after one that worked). */
DWORD GetLastError(void)
{
	return last_error;
}

/* SetLastError: sets the thread's last error. */
void SetLastError(DWORD code)
{
	last_error = code;
}

/* The table of a kind. */
static struct table *table_of(enum ntms_handle_kind kind)
{
	return kind == HK_SESSION ? &sessions : &notifications;
}

/* The value a slot's handle has. */
static HANDLE encode(enum ntms_handle_kind kind, unsigned index, uintptr_t gen)
{
	return (HANDLE)((gen << GEN_SHIFT) | ((uintptr_t)index << TAG_BITS) | (uintptr_t)kind);
}

/* The slot a handle value names if it is live; lock held. */
static struct slot *decode(HANDLE h, enum ntms_handle_kind kind)
{
	uintptr_t v = (uintptr_t)h;
	struct table *t = table_of(kind);
	unsigned index = (unsigned)((v >> TAG_BITS) & (MAX_SLOTS - 1));

	if ((v & ((1u << TAG_BITS) - 1)) != (uintptr_t)kind || index >= t->count)
		return NULL;
	struct slot *s = &t->slots[index];
	if (!s->used || s->gen != (v >> GEN_SHIFT))
		return NULL;
	return s;
}

/* ntms_handle_new: a free slot (the table grows as needed) holding obj. */
HANDLE ntms_handle_new(enum ntms_handle_kind kind, void *obj)
{
	struct table *t = table_of(kind);
	HANDLE h = NULL;
	unsigned i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < t->count && t->slots[i].used; i++)
		;
	if (i == t->count && t->count < MAX_SLOTS) {
		unsigned n = t->count ? t->count * 2 : 16;
		struct slot *grown = realloc(t->slots, n * sizeof(*grown));
		if (grown) {
			for (unsigned k = t->count; k < n; k++)
				grown[k] = (struct slot){0};
			t->slots = grown;
			t->count = n;
		}
	}
	if (i < t->count) {
		struct slot *s = &t->slots[i];
		s->gen = (s->gen + 1) & GEN_MASK;
		if (s->gen == 0)
			s->gen = 1;
		s->used = true;
		s->closing = false;
		s->refs = 0;
		s->obj = obj;
		h = encode(kind, i, s->gen);
	}
	pthread_mutex_unlock(&lock);
	return h;
}

/* ntms_handle_get: the object of a live handle that is not closing, with a reference. */
void *ntms_handle_get(HANDLE h, enum ntms_handle_kind kind)
{
	void *obj = NULL;

	pthread_mutex_lock(&lock);
	struct slot *s = decode(h, kind);
	if (s && !s->closing) {
		s->refs++;
		obj = s->obj;
	}
	pthread_mutex_unlock(&lock);
	return obj;
}

/* ntms_handle_put: drops a reference taken by get; a close waiting for it goes on. */
void ntms_handle_put(HANDLE h)
{
	uintptr_t v = (uintptr_t)h;
	unsigned index = (unsigned)((v >> TAG_BITS) & (MAX_SLOTS - 1));
	struct table *t = table_of((enum ntms_handle_kind)(v & ((1u << TAG_BITS) - 1)));

	pthread_mutex_lock(&lock);
	if (index < t->count && --t->slots[index].refs == 0)
		pthread_cond_broadcast(&released);
	pthread_mutex_unlock(&lock);
}

/* ntms_handle_close_begin: marks a live handle closing, so that no new call starts on it; a
 * second close of it finds it closing and fails. */
void *ntms_handle_close_begin(HANDLE h, enum ntms_handle_kind kind)
{
	void *obj = NULL;

	pthread_mutex_lock(&lock);
	struct slot *s = decode(h, kind);
	if (s && !s->closing) {
		s->closing = true;
		obj = s->obj;
	}
	pthread_mutex_unlock(&lock);
	return obj;
}

/* ntms_handle_close_abort: the close did not happen; calls may use the handle again. */
void ntms_handle_close_abort(HANDLE h)
{
	uintptr_t v = (uintptr_t)h;
	struct table *t = table_of((enum ntms_handle_kind)(v & ((1u << TAG_BITS) - 1)));

	pthread_mutex_lock(&lock);
	t->slots[(v >> TAG_BITS) & (MAX_SLOTS - 1)].closing = false;
	pthread_mutex_unlock(&lock);
}

/* ntms_handle_close_end: waits for the calls still running on the handle (a Wait woken by the
 * close, a mount the close cancelled), then frees the slot: the value is stale from now on. */
void ntms_handle_close_end(HANDLE h)
{
	uintptr_t v = (uintptr_t)h;
	struct table *t = table_of((enum ntms_handle_kind)(v & ((1u << TAG_BITS) - 1)));
	unsigned index = (unsigned)((v >> TAG_BITS) & (MAX_SLOTS - 1));
	struct slot *s;

	pthread_mutex_lock(&lock);
	/* the table may grow (and move) while this waits: the slot is found again each time */
	while (t->slots[index].refs > 0)
		pthread_cond_wait(&released, &lock);
	s = &t->slots[index];
	s->used = false;
	s->closing = false;
	s->obj = NULL;
	pthread_mutex_unlock(&lock);
}
