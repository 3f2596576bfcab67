/* notify.h - events: every change of the model is announced once, after it is saved, to the
 * notification channels of the sessions and to the front end's observer. */
#ifndef RSM_NOTIFY_H
#define RSM_NOTIFY_H

#include "model.h"

/* Publishes one event to every channel of its type (and every "all" channel). */
void emit(struct rsm_engine *eng, enum rsm_object_type type, enum rsm_event_op op, const char *path,
	  const char *guid);
void emit_drive(struct rsm_engine *eng, struct drive *d);
void emit_medium(struct rsm_engine *eng, struct medium *m);
void emit_medium_new(struct rsm_engine *eng, struct medium *m);
void emit_request(struct rsm_engine *eng, struct request *r, enum rsm_event_op op);
void emit_library(struct rsm_engine *eng, struct library *l);
void emit_slots(struct rsm_engine *eng, struct library *l, bool port);
void emit_door(struct rsm_engine *eng, struct library *l);
void emit_pool(struct rsm_engine *eng, struct pool *p, enum rsm_event_op op);
void emit_side(struct rsm_engine *eng, struct medium *m, int side);
void emit_opreq(struct rsm_engine *eng, struct opreq *o, enum rsm_event_op op);
void emit_session(struct rsm_engine *eng, struct session *s, enum rsm_event_op op);

/* A channel's side (channel_ops.c): a line is freed with its last reader; an armed reader
 * is told once that something changed; a closed channel's ring is freed. */
void event_line_unref(struct event_line *l);
void channel_wake(struct rsm_engine *eng, struct channel *c);
void channel_free_ring(struct channel *c);
/* Whether a read of c finds something now: a line released to readers (rsm_set_hold), the
 * overflow line, or its end once nothing is left. */
bool channel_readable(const struct rsm_engine *eng, const struct channel *c);
/* Removes the oldest pending line of a channel that has one; the caller drops its reference. */
struct event_line *channel_take_head(struct channel *c);

/* The session is closing: its channels deliver what they hold, then end. */
void channels_end_session(struct rsm_engine *eng, int session);
/* The service is stopping: every channel ends. */
void channels_stop_all(struct rsm_engine *eng);
void channels_free(struct rsm_engine *eng);

#endif
