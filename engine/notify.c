/* notify.c - notification channels (Open/WaitFor/CloseNtmsNotification) and event fan-out.
 *
 * An event is formatted once into a reference-counted line shared by every channel that
 * sees it.  A channel holds at most RSM_MAX_PENDING_EVENTS lines; past that the oldest are
 * dropped and one "<seq> overflow - - -" line takes their place, so the engine never waits for
 * a slow reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "notify.h"

static const char *const type_names[RSM_OBJ_COUNT] = {
	"library", "drive", "media",   "side",  "pool",    "slot",
	"port",    "door",  "request", "opreq", "session", "all",
};

static const char *const op_names[] = {"", "update", "insert", "delete", "signal", "complete"};

const char *rsm_object_type_name(enum rsm_object_type type)
{
	return (unsigned)type < RSM_OBJ_COUNT ? type_names[type] : "unknown";
}

int rsm_object_type_from_name(const char *name)
{
	for (int i = 0; i < RSM_OBJ_COUNT; i++)
		if (strcmp(type_names[i], name) == 0)
			return i;
	return -1;
}

static void line_unref(struct event_line *l)
{
	if (l && --l->refs == 0)
		free(l);
}

static void channel_free_ring(struct channel *c)
{
	while (c->count) {
		line_unref(c->ring[c->head]);
		c->head = (c->head + 1) % RSM_MAX_PENDING_EVENTS;
		c->count--;
	}
	free(c->ring);
	c->ring = NULL;
}

/* A deferred readiness callback (runtime.h): the front end's parked read. */
static void run_ready(void *ctx, const void *data)
{
	rsm_ready_fn ready = *(const rsm_ready_fn *)data;

	ready(ctx);
}

/* Tells an armed reader that something changed (once; it arms again to hear more). */
static void channel_wake(struct rsm_engine *eng, struct channel *c)
{
	if (c->ready) {
		defer_call(&eng->rt, run_ready, c->ready_ctx, &c->ready, sizeof(c->ready));
		c->ready = NULL;
	}
}

/* An event on its way to the observer, after the lock is released. */
struct observed {
	rsm_observer_fn fn;
	void *ctx;
	struct rsm_event ev;
};

static void run_observer(void *ctx, const void *data)
{
	const struct observed *o = data;

	(void)ctx;
	o->fn(o->ctx, &o->ev);
}

static void channel_push(struct channel *c, struct event_line *l)
{
	if (c->count == RSM_MAX_PENDING_EVENTS) {
		struct event_line *old = c->ring[c->head];
		if (!c->overflow || c->head_off == 0)
			c->overflow_seq = old->ev.seq;
		line_unref(old);
		c->head = (c->head + 1) % RSM_MAX_PENDING_EVENTS;
		c->count--;
		if (!c->overflow)
			c->head_off = 0;
		c->overflow = true;
	}
	c->ring[(c->head + c->count) % RSM_MAX_PENDING_EVENTS] = l;
	c->count++;
	l->refs++;
}

/* Publishes one event to every channel of its type (and every "all" channel). */
void emit(struct rsm_engine *eng, enum rsm_object_type type, enum rsm_event_op op,
	  const char *path, const char *guid)
{
	char text[512];
	int n = snprintf(text, sizeof(text), "%llu %s %s %s %s\n",
			 (unsigned long long)++eng->event_seq, op_names[op], type_names[type], path,
			 guid && *guid ? guid : "-");
	struct event_line *l = malloc(sizeof(*l) + (size_t)n + 1);

	if (!l)
		return; /* the event is lost for channels; state itself is already committed */
	l->refs = 1;
	l->len = (size_t)n;
	memset(&l->ev, 0, sizeof(l->ev));
	l->ev.seq = eng->event_seq;
	l->ev.op = op;
	l->ev.type = type;
	snprintf(l->ev.path, sizeof(l->ev.path), "%s", path);
	snprintf(l->ev.guid, sizeof(l->ev.guid), "%s", guid && *guid ? guid : "-");
	memcpy(l->text, text, (size_t)n + 1);
	for (int i = 0; i < eng->nchannels; i++) {
		struct channel *c = &eng->channels[i];
		if (!c->used || c->closed || c->ended)
			continue;
		if (c->type != (int)type && c->type != RSM_OBJ_ALL)
			continue;
		channel_push(c, l);
		channel_wake(eng, c);
	}
	if (eng->observer) {
		struct observed o = {eng->observer, eng->observer_ctx, l->ev};
		defer_call(&eng->rt, run_observer, NULL, &o, sizeof(o));
	}
	line_unref(l);
}

void emit_drive(struct rsm_engine *eng, struct drive *d)
{
	char path[96];
	snprintf(path, sizeof(path), "drives/%s", d->name);
	emit(eng, RSM_OBJ_DRIVE, RSM_EV_UPDATE, path, d->guid);
}

void emit_medium(struct rsm_engine *eng, struct medium *m)
{
	char path[96];
	snprintf(path, sizeof(path), "media/%s", m->name);
	emit(eng, RSM_OBJ_MEDIA, RSM_EV_UPDATE, path, m->guid);
}

void emit_medium_new(struct rsm_engine *eng, struct medium *m)
{
	char path[96];
	snprintf(path, sizeof(path), "media/%s", m->name);
	emit(eng, RSM_OBJ_MEDIA, RSM_EV_INSERT, path, m->guid);
}

void emit_session(struct rsm_engine *eng, struct session *s, enum rsm_event_op op)
{
	char path[96];
	snprintf(path, sizeof(path), "sessions/%s", s->name);
	emit(eng, RSM_OBJ_SESSION, op, path, s->guid);
}

void emit_request(struct rsm_engine *eng, struct request *r, enum rsm_event_op op)
{
	char path[64];
	snprintf(path, sizeof(path), "requests/%llu", (unsigned long long)r->number);
	emit(eng, RSM_OBJ_REQUEST, op, path, r->guid);
}

void emit_library(struct rsm_engine *eng, struct library *l)
{
	char path[96];
	snprintf(path, sizeof(path), "libraries/%s", l->name);
	emit(eng, RSM_OBJ_LIBRARY, RSM_EV_UPDATE, path, l->guid);
}

void emit_door(struct rsm_engine *eng, struct library *l)
{
	char path[RSM_NAME_MAX + 32];
	snprintf(path, sizeof(path), "libraries/%s/door", l->name);
	emit(eng, RSM_OBJ_DOOR, RSM_EV_UPDATE, path, l->guid);
}

void emit_pool(struct rsm_engine *eng, struct pool *p, enum rsm_event_op op)
{
	char path[RSM_NAME_MAX + 16];
	snprintf(path, sizeof(path), "pools/%s", p->name);
	emit(eng, RSM_OBJ_POOL, op, path, p->guid);
}

void emit_side(struct rsm_engine *eng, struct medium *m, int side)
{
	char path[RSM_NAME_MAX + 32];
	snprintf(path, sizeof(path), "media/%s/sides/%d", m->name, side);
	emit(eng, RSM_OBJ_SIDE, RSM_EV_UPDATE, path, m->sides[side].guid);
}

void emit_opreq(struct rsm_engine *eng, struct opreq *o, enum rsm_event_op op)
{
	char path[64];
	snprintf(path, sizeof(path), "opreqs/%llu", (unsigned long long)o->number);
	emit(eng, RSM_OBJ_OPREQ, op, path, o->guid);
}

void emit_slots(struct rsm_engine *eng, struct library *l, bool port)
{
	char path[96];
	snprintf(path, sizeof(path), "libraries/%s/%s", l->name, port ? "ports" : "slots");
	emit(eng, port ? RSM_OBJ_PORT : RSM_OBJ_SLOT, RSM_EV_UPDATE, path, l->guid);
}

/* ---- handles ---- */

static rsm_handle channel_handle(struct rsm_engine *eng, int slot)
{
	return ((uint64_t)eng->channels[slot].generation << 32) | (uint64_t)(slot + 1);
}

/* Returns the slot of a live channel handle, or -1 with *err set. */
static int channel_slot(struct rsm_engine *eng, rsm_handle h, rsm_err *err)
{
	uint32_t slot = (uint32_t)(h & 0xffffffffu), gen = (uint32_t)(h >> 32);

	if (h == 0) {
		*err = ERROR_INVALID_PARAMETER;
		return -1;
	}
	if (slot == 0 || slot > (uint32_t)eng->nchannels || !eng->channels[slot - 1].used ||
	    eng->channels[slot - 1].closed || eng->channels[slot - 1].generation != gen) {
		*err = ERROR_INVALID_HANDLE;
		return -1;
	}
	*err = ERROR_SUCCESS;
	return (int)slot - 1;
}

rsm_err rsm_notify_open(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
			int type, rsm_handle *out)
{
	rsm_err e;
	struct session *s;
	int slot = -1;
	int64_t row = 0;

	if (!out)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	s = session_for(eng, session, cred, false, &e);
	if (!s)
		goto out;
	if (type < 0 || type >= RSM_OBJ_COUNT) {
		e = ERROR_INVALID_PARAMETER;
		goto out;
	}
	for (int i = 0; i < eng->nchannels; i++)
		if (!eng->channels[i].used) {
			slot = i;
			break;
		}
	if (slot < 0) {
		struct channel *n = realloc(eng->channels, sizeof(*n) * (size_t)(eng->nchannels + 1));
		if (!n) {
			e = ERROR_NOT_ENOUGH_MEMORY;
			goto out;
		}
		eng->channels = n;
		memset(&n[eng->nchannels], 0, sizeof(*n));
		slot = eng->nchannels++;
	}
	struct channel *c = &eng->channels[slot];
	struct event_line **ring = calloc(RSM_MAX_PENDING_EVENTS, sizeof(*ring));
	if (!ring) {
		e = ERROR_NOT_ENOUGH_MEMORY;
		goto out;
	}
	e = catalog_add_channel(eng, s->name, type, &row);
	if (e != ERROR_SUCCESS) {
		free(ring);
		goto out;
	}
	uint32_t gen = c->generation + 1;
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->generation = gen;
	c->session = (int)(s - eng->sessions);
	c->type = type;
	c->row = row;
	c->ring = ring;
	*out = channel_handle(eng, slot);
out:
	engine_unlock(eng);
	return e;
}

static void channel_release(struct channel *c)
{
	channel_free_ring(c);
	c->used = false;
}

rsm_err rsm_notify_close(struct rsm_engine *eng, rsm_handle h)
{
	rsm_err e;
	int slot;

	engine_lock(eng);
	if (eng->stopping && h) {
		engine_unlock(eng);
		return ERROR_NOT_CONNECTED;
	}
	slot = channel_slot(eng, h, &e);
	if (slot >= 0) {
		struct channel *c = &eng->channels[slot];
		e = catalog_delete_channel(eng, c->row);
		if (e == ERROR_SUCCESS) {
			/* an outstanding wait is woken and finds the handle gone (rsm-reference
			 * §7, CloseNtmsNotification) */
			channel_wake(eng, c);
			channel_release(c);
		}
	}
	engine_unlock(eng);
	return e;
}

/* Takes the head line (overflow marker first) into ev and drops it. */
static void channel_pop_event(struct channel *c, struct rsm_event *ev)
{
	if (c->overflow) {
		memset(ev, 0, sizeof(*ev));
		ev->seq = c->overflow_seq;
		snprintf(ev->path, sizeof(ev->path), "-");
		snprintf(ev->guid, sizeof(ev->guid), "-");
		c->overflow = false;
	} else {
		*ev = c->ring[c->head]->ev;
		line_unref(c->ring[c->head]);
		c->head = (c->head + 1) % RSM_MAX_PENDING_EVENTS;
		c->count--;
	}
	c->head_off = 0;
}

/* Copies from the head of a channel; returns bytes copied. */
static size_t channel_copy(struct channel *c, char *buf, size_t size)
{
	size_t used = 0;
	char over[64];

	while (used < size && (c->overflow || c->count)) {
		const char *text;
		size_t len;
		if (c->overflow) {
			len = (size_t)snprintf(over, sizeof(over), "%llu overflow - - -\n",
					       (unsigned long long)c->overflow_seq);
			text = over;
		} else {
			text = c->ring[c->head]->text;
			len = c->ring[c->head]->len;
		}
		size_t rest = len - c->head_off;
		if (rest > size - used) {
			/* whole lines only, unless nothing fits: then the caller's buffer is
			 * shorter than the line and gets it in pieces */
			if (used)
				break;
			memcpy(buf, text + c->head_off, size);
			c->head_off += size;
			return size;
		}
		memcpy(buf + used, text + c->head_off, rest);
		used += rest;
		if (c->overflow) {
			c->overflow = false;
			c->head_off = 0;
		} else {
			struct rsm_event ev;
			channel_pop_event(c, &ev);
		}
	}
	return used;
}

rsm_err rsm_notify_read(struct rsm_engine *eng, rsm_handle h, char *buf, size_t size,
			size_t *used, bool *ended)
{
	rsm_err e;
	int slot;

	*used = 0;
	*ended = false;
	engine_lock(eng);
	slot = channel_slot(eng, h, &e);
	if (slot >= 0) {
		struct channel *c = &eng->channels[slot];
		*used = channel_copy(c, buf, size);
		*ended = *used == 0 && (c->ended || eng->stopping);
	} else if (eng->stopping) {
		*ended = true;
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_notify_arm(struct rsm_engine *eng, rsm_handle h, rsm_ready_fn ready, void *ctx,
		       bool *ready_now)
{
	rsm_err e;
	int slot;

	*ready_now = false;
	engine_lock(eng);
	slot = channel_slot(eng, h, &e);
	if (slot >= 0) {
		struct channel *c = &eng->channels[slot];
		if (c->count || c->overflow || c->ended || eng->stopping) {
			*ready_now = true;
		} else {
			c->ready = ready;
			c->ready_ctx = ctx;
		}
	} else if (eng->stopping) {
		*ready_now = true;
		e = ERROR_SUCCESS;
	}
	engine_unlock(eng);
	return e;
}

bool rsm_notify_disarm(struct rsm_engine *eng, rsm_handle h)
{
	bool armed = false;
	rsm_err e;
	int slot;

	engine_lock(eng);
	slot = channel_slot(eng, h, &e);
	if (slot >= 0) {
		armed = eng->channels[slot].ready != NULL;
		eng->channels[slot].ready = NULL;
	}
	engine_unlock(eng);
	return armed;
}

bool rsm_notify_readable(struct rsm_engine *eng, rsm_handle h)
{
	rsm_err e;
	bool r = false;
	int slot;

	engine_lock(eng);
	slot = channel_slot(eng, h, &e);
	if (slot >= 0) {
		struct channel *c = &eng->channels[slot];
		r = c->count || c->overflow || c->ended || eng->stopping;
	} else {
		r = true; /* a dead handle reads as end of file: never leave a poller hanging */
	}
	engine_unlock(eng);
	return r;
}

/* The session is closing: its channels deliver what they hold, then end. */
void channels_end_session(struct rsm_engine *eng, int session)
{
	for (int i = 0; i < eng->nchannels; i++) {
		struct channel *c = &eng->channels[i];
		if (c->used && !c->closed && c->session == session) {
			c->ended = true;
			channel_wake(eng, c);
		}
	}
}

void channels_stop_all(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nchannels; i++) {
		struct channel *c = &eng->channels[i];
		if (c->used && !c->closed) {
			c->ended = true;
			channel_wake(eng, c);
		}
	}
}

void channels_free(struct rsm_engine *eng)
{
	for (int i = 0; i < eng->nchannels; i++)
		channel_free_ring(&eng->channels[i]);
	free(eng->channels);
	eng->channels = NULL;
	eng->nchannels = 0;
}
