/* notify.c - events and their fan-out to the notification channels' queues (the channels'
 * calls are in channel_ops.c).
 *
 * An event is formatted once into a reference-counted line shared by every channel that
 * sees it.  A channel holds at most RSM_MAX_PENDING_EVENTS lines; past that the oldest are
 * dropped and one "<seq> overflow - - -" line takes their place, so the engine never waits for
 * a slow reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

static const char *const type_names[RSM_OBJ_COUNT] = {
    "library", "drive", "media",   "side",  "pool",    "slot",
    "port",    "door",	"request", "opreq", "session", "all",
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

void event_line_unref(struct event_line *l)
{
	if (l && --l->refs == 0)
		free(l);
}

void channel_free_ring(struct channel *c)
{
	while (c->count)
		event_line_unref(channel_take_head(c));
	free(c->ring);
	c->ring = NULL;
	c->cap = 0;
}

struct event_line *channel_take_head(struct channel *c)
{
	struct event_line *l = c->ring[c->head];

	c->head = (c->head + 1) % c->cap;
	c->count--;
	return l;
}

/* Doubles a full ring (up to RSM_MAX_PENDING_EVENTS), its lines moved to the start in order;
 * false when it may not or cannot grow. */
static bool channel_grow(struct channel *c)
{
	size_t cap = c->cap ? c->cap * 2 : 8;

	if (c->cap >= RSM_MAX_PENDING_EVENTS)
		return false;
	if (cap > RSM_MAX_PENDING_EVENTS)
		cap = RSM_MAX_PENDING_EVENTS;
	struct event_line **ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return false;
	for (size_t i = 0; i < c->count; i++)
		ring[i] = c->ring[(c->head + i) % c->cap];
	free(c->ring);
	c->ring = ring;
	c->cap = cap;
	c->head = 0;
	return true;
}

/* A deferred readiness callback (runtime.h): the front end's parked read. */
static void run_ready(void *ctx, const void *data)
{
	rsm_ready_fn ready = *(const rsm_ready_fn *)data;

	ready(ctx);
}

/* Tells an armed reader that something changed (once; it arms again to hear more). */
void channel_wake(struct rsm_engine *eng, struct channel *c)
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

/* Appends a line; a channel at its limit (or out of memory) loses its oldest line, and its
 * reader is told with an overflow line. */
static void channel_push(struct channel *c, struct event_line *l)
{
	if (c->count == c->cap && !channel_grow(c)) {
		if (!c->count) {
			/* no ring to keep even this line in: it is lost, and said to be */
			if (!c->overflow)
				c->overflow_seq = l->ev.seq;
			c->overflow = true;
			return;
		}
		struct event_line *old = channel_take_head(c);
		if (!c->overflow || c->head_off == 0)
			c->overflow_seq = old->ev.seq;
		event_line_unref(old);
		if (!c->overflow)
			c->head_off = 0;
		c->overflow = true;
	}
	c->ring[(c->head + c->count) % c->cap] = l;
	c->count++;
	l->refs++;
}

/* Publishes one event to every channel of its type (and every "all" channel). */
void emit(struct rsm_engine *eng, enum rsm_object_type type, enum rsm_event_op op, const char *path,
	  const char *guid)
{
	char text[512];
	int n =
	    snprintf(text, sizeof(text), "%llu %s %s %s %s\n", (unsigned long long)++eng->event_seq,
		     op_names[op], type_names[type], path, guid && *guid ? guid : "-");
	struct event_line *l = malloc(sizeof(*l) + (size_t)n + 1);

	/* counted even when lost: what was rendered before this change is no longer current */
	__atomic_store_n(&eng->published_seq, eng->event_seq, __ATOMIC_RELEASE);
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
	if (eng->hold && eng->hold(eng->hold_ctx, &l->ev))
		eng->held_seq = l->ev.seq;
	if (!eng->held_seq)
		eng->visible_seq = l->ev.seq;
	for (int i = 0; i < eng->nchannels; i++) {
		struct channel *c = &eng->channels[i];
		if (!c->used || c->closed || c->ended)
			continue;
		if (c->type != (int)type && c->type != RSM_OBJ_ALL)
			continue;
		channel_push(c, l);
		if (!eng->held_seq)
			channel_wake(eng, c); /* else at its release (rsm_notify_release) */
	}
	if (eng->observer) {
		struct observed o = {eng->observer, eng->observer_ctx, l->ev};
		defer_call(&eng->rt, run_observer, NULL, &o, sizeof(o));
	}
	event_line_unref(l);
}

bool channel_readable(const struct rsm_engine *eng, const struct channel *c)
{
	if (c->overflow || eng->stopping)
		return true;
	if (c->count)
		return c->ring[c->head]->ev.seq <= eng->visible_seq || c->head_off;
	return c->ended;
}

void rsm_set_hold(struct rsm_engine *eng, rsm_hold_fn fn, void *ctx)
{
	engine_lock(eng);
	eng->hold = fn;
	eng->hold_ctx = ctx;
	engine_unlock(eng);
}

uint64_t rsm_event_count(struct rsm_engine *eng)
{
	return __atomic_load_n(&eng->published_seq, __ATOMIC_ACQUIRE);
}

void rsm_notify_release(struct rsm_engine *eng, uint64_t seq)
{
	engine_lock(eng);
	if (eng->held_seq && seq >= eng->held_seq) {
		/* the newest held event is released: everything published is readable */
		eng->held_seq = 0;
		eng->visible_seq = eng->event_seq;
	} else if (seq > eng->visible_seq) {
		eng->visible_seq = seq; /* a newer held event still waits */
	}
	for (int i = 0; i < eng->nchannels; i++) {
		struct channel *c = &eng->channels[i];
		if (c->used && !c->closed && channel_readable(eng, c))
			channel_wake(eng, c);
	}
	engine_unlock(eng);
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
