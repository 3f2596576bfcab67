/* tape_ops.c - the tape calls of rsm.h (rsmfs(5), TAPE FILES): a drive's tape and what it
 * holds are found under the engine lock, then used under the drive's own lock, so that a
 * record being read or written never holds up the rest of the engine.
 *
 * The tape is the backend's (backend_tape); the cartridge the drive holds is the model's.  The
 * two are matched under the drive's lock: the image of the cartridge the drive holds is loaded
 * when it is first used, and a cartridge that left the drive meanwhile (gen moved on) is not.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "tape.h"

/* What the engine says of a drive's tape, copied under the engine lock. */
struct tape_ref {
	struct tape *t;
	uint64_t gen;
	char medium[RSM_NAME_MAX + 1]; /* "" when the drive holds none ready for I/O */
	char image[4096];
	bool wrprot;
};

/* Whether a drive with a cartridge in it is ready for I/O: loaded, not being moved. */
static bool holds_ready(const struct drive *d)
{
	return d->medium >= 0 && (d->state == DRIVE_MOUNTED || d->state == DRIVE_DISMOUNTABLE);
}

/* Finds drive's tape, and what it holds now. */
static rsm_err tape_find(struct rsm_engine *eng, const char *drive, struct tape_ref *r)
{
	rsm_err e = ERROR_SUCCESS;

	memset(r, 0, sizeof(*r));
	engine_lock(eng);
	int di = drive && !eng->stopping ? drive_find(eng, drive) : NO_INDEX;
	if (eng->stopping) {
		e = ERROR_NOT_CONNECTED;
	} else if (di < 0) {
		e = ERROR_INVALID_DRIVE;
	} else if (!(r->t = backend_tape(eng, &eng->drives[di]))) {
		e = ERROR_NOT_SUPPORTED; /* a real drive: its I/O is the OS device's */
	} else {
		const struct drive *d = &eng->drives[di];
		r->gen = r->t->gen;
		if (holds_ready(d)) {
			const struct medium *m = &eng->media[d->medium];
			snprintf(r->medium, sizeof(r->medium), "%s", m->name);
			backend_drive_device(eng, d, r->image, sizeof(r->image));
			/* a complete side is written no more (SetNtmsMediaComplete) */
			r->wrprot = m->nsides > 0 && m->sides[0].state == SIDE_COMPLETE;
		}
	}
	engine_unlock(eng);
	return e;
}

/* Under the drive's lock: the tape holds the cartridge the drive holds, loaded if need be.
 * ERROR_NO_MEDIA_IN_DRIVE when it holds none, or another since token's open. */
static rsm_err tape_match(const struct tape_ref *r, uint64_t token)
{
	struct tape *t = r->t;

	if (t->gen != r->gen || (token && token != t->gen))
		return ERROR_NO_MEDIA_IN_DRIVE; /* the cartridge left since */
	if (t->fd >= 0 && strcmp(t->medium, r->medium) != 0)
		tape_close(t); /* a cartridge that left without the backend's eject */
	if (!r->medium[0])
		return ERROR_NO_MEDIA_IN_DRIVE;
	t->wrprot = r->wrprot;
	return t->fd >= 0 ? ERROR_SUCCESS : tape_load(t, r->image, r->medium);
}

/* Adds n bytes of records that went through drive's tape to its counters (rsmfs(5), metrics).
 * Taken once the drive's lock is let go, as the engine lock is never taken under it; written
 * to the catalog with the drive's row, at its next change (and at a stop). */
static void count_bytes(struct rsm_engine *eng, const char *drive, size_t n, bool written)
{
	if (!n)
		return;
	engine_lock(eng);
	int di = drive_find(eng, drive);
	if (di >= 0) {
		struct drive *d = &eng->drives[di];
		*(written ? &d->bytes_written : &d->bytes_read) += n;
		d->bytes_unsaved = true;
	}
	engine_unlock(eng);
}

rsm_err rsm_tape_open(struct rsm_engine *eng, const char *drive, unsigned flags, uint64_t *token)
{
	struct tape_ref r;
	rsm_err e = tape_find(eng, drive, &r);

	*token = 0;
	if (e != ERROR_SUCCESS)
		return e;
	pthread_mutex_lock(&r.t->lock);
	e = tape_match(&r, 0);
	if (e == ERROR_NO_MEDIA_IN_DRIVE && (flags & RSM_TAPE_NONBLOCK))
		e = ERROR_SUCCESS; /* an empty drive opens for its status; token 0 follows it */
	else if (e == ERROR_SUCCESS && (flags & RSM_TAPE_WRITE) && r.t->wrprot)
		e = ERROR_WRITE_PROTECT;
	else if (e == ERROR_SUCCESS)
		*token = r.t->gen;
	pthread_mutex_unlock(&r.t->lock);
	return e;
}

rsm_err rsm_tape_read(struct rsm_engine *eng, const char *drive, uint64_t token, void *buf,
		      size_t size, size_t *got)
{
	struct tape_ref r;
	rsm_err e = tape_find(eng, drive, &r);

	*got = 0;
	if (e != ERROR_SUCCESS)
		return e;
	pthread_mutex_lock(&r.t->lock);
	e = tape_match(&r, token);
	if (e == ERROR_SUCCESS)
		e = tape_read(r.t, buf, size, got);
	pthread_mutex_unlock(&r.t->lock);
	if (e == ERROR_SUCCESS)
		count_bytes(eng, drive, *got, false);
	return e;
}

rsm_err rsm_tape_write(struct rsm_engine *eng, const char *drive, uint64_t token, const void *buf,
		       size_t size)
{
	struct tape_ref r;
	rsm_err e = tape_find(eng, drive, &r);

	if (e != ERROR_SUCCESS)
		return e;
	pthread_mutex_lock(&r.t->lock);
	e = tape_match(&r, token);
	if (e == ERROR_SUCCESS)
		e = tape_write(r.t, buf, size);
	pthread_mutex_unlock(&r.t->lock);
	if (e == ERROR_SUCCESS)
		count_bytes(eng, drive, size, true);
	return e;
}

rsm_err rsm_tape_op(struct rsm_engine *eng, const char *drive, uint64_t token, enum rsm_tape_op op,
		    int32_t count)
{
	struct tape_ref r;
	rsm_err e = tape_find(eng, drive, &r);

	if (e != ERROR_SUCCESS)
		return e;
	pthread_mutex_lock(&r.t->lock);
	e = tape_match(&r, token);
	/* settings need no cartridge (tape_op says which) */
	if (e == ERROR_SUCCESS || (e == ERROR_NO_MEDIA_IN_DRIVE && !token))
		e = tape_op(r.t, op, count);
	pthread_mutex_unlock(&r.t->lock);
	return e;
}

rsm_err rsm_tape_status(struct rsm_engine *eng, const char *drive, struct rsm_tape_status *out)
{
	struct tape_ref r;
	rsm_err e = tape_find(eng, drive, &r);

	if (e != ERROR_SUCCESS)
		return e;
	pthread_mutex_lock(&r.t->lock);
	tape_match(&r, 0); /* an image that cannot be loaded shows as no cartridge */
	tape_status(r.t, out);
	pthread_mutex_unlock(&r.t->lock);
	return ERROR_SUCCESS;
}

rsm_err rsm_tape_flush(struct rsm_engine *eng, const char *drive, uint64_t token)
{
	struct tape_ref r;
	rsm_err e = tape_find(eng, drive, &r);

	if (e != ERROR_SUCCESS)
		return e;
	pthread_mutex_lock(&r.t->lock);
	/* a cartridge that left since was given its filemark by the eject */
	e = tape_match(&r, token) == ERROR_SUCCESS ? tape_flush(r.t) : ERROR_SUCCESS;
	pthread_mutex_unlock(&r.t->lock);
	return e;
}
