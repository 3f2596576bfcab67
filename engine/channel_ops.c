/* channel_ops.c - notification channels (OpenNtmsNotification, CloseNtmsNotification, and
 * the reads that WaitForNtmsNotification becomes in the tree): validated handles, the
 * channel's catalog row, and reading its queued lines (notify.c fills them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "notify.h"

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
	e = user_limit_check(eng, cred, LIMIT_CHANNELS);
	if (e != ERROR_SUCCESS)
		goto out;
	for (int i = 0; i < eng->nchannels; i++)
		if (!eng->channels[i].used) {
			slot = i;
			break;
		}
	if (slot < 0) {
		struct channel *n =
		    realloc(eng->channels, sizeof(*n) * (size_t)(eng->nchannels + 1));
		if (!n) {
			e = ERROR_NOT_ENOUGH_MEMORY;
			goto out;
		}
		eng->channels = n;
		memset(&n[eng->nchannels], 0, sizeof(*n));
		slot = eng->nchannels++;
	}
	struct channel *c = &eng->channels[slot];
	e = catalog_add_channel(eng, s->name, type, &row);
	if (e != ERROR_SUCCESS)
		goto out;
	uint32_t gen = c->generation + 1;
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->generation = gen;
	c->session = (int)(s - eng->sessions);
	c->uid = cred ? cred->uid : s->uid;
	c->type = type;
	c->row = row;
	*out = channel_handle(eng, slot);
out:
	engine_unlock(eng);
	return e;
}

static void channel_release(struct rsm_engine *eng, struct channel *c)
{
	if (c->ring)
		memory_give_back_soon(eng);
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
		/* its end may already be recorded (rsm_notify_record_end) */
		e = c->row ? catalog_delete_channel(eng, c->row) : ERROR_SUCCESS;
		if (e == ERROR_SUCCESS) {
			/* an outstanding wait is woken and finds the handle gone (rsm-reference
			 * §7, CloseNtmsNotification) */
			channel_wake(eng, c);
			channel_release(eng, c);
		}
	}
	engine_unlock(eng);
	return e;
}

rsm_err rsm_notify_record_end(struct rsm_engine *eng, rsm_handle h)
{
	rsm_err e;
	int slot;

	engine_lock(eng);
	if (eng->stopping && h) {
		engine_unlock(eng);
		return ERROR_NOT_CONNECTED;
	}
	slot = channel_slot(eng, h, &e);
	if (slot >= 0 && eng->channels[slot].row) {
		e = catalog_delete_channel(eng, eng->channels[slot].row);
		if (e == ERROR_SUCCESS)
			eng->channels[slot].row = 0;
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
		struct event_line *l = channel_take_head(c);
		*ev = l->ev;
		event_line_unref(l);
	}
	c->head_off = 0;
}

/* Copies from the head of a channel; returns bytes copied. */
static size_t channel_copy(struct rsm_engine *eng, struct channel *c, char *buf, size_t size)
{
	size_t used = 0;
	char over[64];

	while (used < size && (c->overflow || (c->count && channel_readable(eng, c)))) {
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

rsm_err rsm_notify_read(struct rsm_engine *eng, rsm_handle h, char *buf, size_t size, size_t *used,
			bool *ended)
{
	rsm_err e;
	int slot;

	*used = 0;
	*ended = false;
	engine_lock(eng);
	slot = channel_slot(eng, h, &e);
	if (slot >= 0) {
		struct channel *c = &eng->channels[slot];
		*used = channel_copy(eng, c, buf, size);
		/* held lines are still to come: the end is after them */
		*ended = *used == 0 && ((c->ended && !c->count) || eng->stopping);
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
		if (channel_readable(eng, c)) {
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
		r = channel_readable(eng, c);
	} else {
		r = true; /* a dead handle reads as end of file: never leave a poller hanging */
	}
	engine_unlock(eng);
	return r;
}
