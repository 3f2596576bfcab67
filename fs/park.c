/* park.c - notification channels in the file system: parked reads, poll, and the thread that
 * sends poll notifications to the kernel.
 *
 * A read that finds nothing parks its FUSE request in the open file and returns the worker
 * thread at once; the engine's readiness callback (engine thread, no engine lock) takes the
 * request back and answers it.  An interrupt answers EINTR.  Whoever takes the request from
 * fh->parked_read under fh->lock answers it; nobody else touches it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct poll_note {
	struct fuse_pollhandle *ph;
	struct poll_note *next;
};

/* Attributes (and an entry that went) to drop before event seq may be read (attrs.c), in order:
 * releasing a later event first would let the channels deliver this one.  A note with a request
 * instead is the answer to a write, held until the drops queued before it are sent
 * (reply_after_drops). */
struct inval_note {
	uint64_t seq;
	fuse_ino_t *inos;
	size_t n;
	char *gone; /* the path of an entry that went, or NULL */
	fuse_req_t req;
	int err;
	size_t size;
	struct inval_note *next;
};

/* under notify_lock: the queue, and the notes queued and not yet sent (the one being sent
 * included) */
static struct inval_note *inval_head, **inval_tail = &inval_head;
static size_t inval_unsent;

/* Queues a note for the notifier thread; false when it does not run. */
static bool inval_queue(struct inval_note *note)
{
	pthread_mutex_lock(&fs_global.notify_lock);
	bool running = fs_global.notifier_running;
	if (running) {
		*inval_tail = note;
		inval_tail = &note->next;
		inval_unsent++;
		pthread_cond_signal(&fs_global.notify_cond);
	}
	pthread_mutex_unlock(&fs_global.notify_lock);
	return running;
}

bool notifier_invalidate(uint64_t seq, fuse_ino_t *inos, size_t n, const char *gone)
{
	struct inval_note *note = malloc(sizeof(*note));
	char *g = gone ? strdup(gone) : NULL;

	if (!note || (gone && !g)) {
		free(note);
		return false;
	}
	*note = (struct inval_note){.seq = seq, .inos = inos, .n = n, .gone = g};
	if (inval_queue(note))
		return true;
	free(g);
	free(note);
	return false;
}

/* Drops the kernel's entry of path (its parent's name for it), if it knows the parent. */
static void inval_entry(const char *path)
{
	char parent[FS_PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 0, path);
	fuse_ino_t pino = inode_peek(parent);
	if (pino)
		fuse_lowlevel_notify_inval_entry(fs_global.se, pino, name, strlen(name));
}

/* Answers a write (err, or size written) once the drops its change queued are sent: the
 * writer, told that its command is done, must not stat a size from before it either. */
void reply_after_drops(fuse_req_t req, int err, size_t size)
{
	struct inval_note *note = NULL;

	pthread_mutex_lock(&fs_global.notify_lock);
	bool unsent = inval_unsent > 0;
	pthread_mutex_unlock(&fs_global.notify_lock);
	if (unsent && (note = malloc(sizeof(*note)))) {
		*note = (struct inval_note){.req = req, .err = err, .size = size};
		if (inval_queue(note))
			return;
		free(note);
	}
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, size);
}

/* Drops the attributes of a note's inodes (settling each: attrs.c) and its entry that went,
 * then lets its event be read, or answers its write.
 * An inode the kernel has forgotten answers ENOENT: nothing of it is kept. */
static void inval_send(struct inval_note *note)
{
	attrs_drop_settled(note->inos, note->n);
	if (note->gone)
		inval_entry(note->gone);
	if (note->req && note->err)
		fuse_reply_err(note->req, note->err);
	else if (note->req)
		fuse_reply_write(note->req, note->size);
	else
		rsm_notify_release(fs_global.eng, note->seq);
	free(note->inos);
	free(note->gone);
	free(note);
}

/* Hands a poll notification to the notifier thread. */
static void notify_poll_later(struct fuse_pollhandle *ph)
{
	struct poll_note *n = malloc(sizeof(*n));

	if (!n) {
		fuse_pollhandle_destroy(ph);
		return;
	}
	n->ph = ph;
	pthread_mutex_lock(&fs_global.notify_lock);
	n->next = fs_global.notes;
	fs_global.notes = n;
	pthread_cond_signal(&fs_global.notify_cond);
	pthread_mutex_unlock(&fs_global.notify_lock);
}

/* Kernel notifications go out from here, never from inside a request handler. */
static void *notifier_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fs_global.notify_lock);
	while (fs_global.notifier_running || fs_global.notes || inval_head) {
		struct inval_note *inval = inval_head;
		if (inval) {
			/* first: a reader is waiting for its event */
			inval_head = inval->next;
			if (!inval_head)
				inval_tail = &inval_head;
			pthread_mutex_unlock(&fs_global.notify_lock);
			inval_send(inval);
			pthread_mutex_lock(&fs_global.notify_lock);
			inval_unsent--;
			continue;
		}
		struct poll_note *n = fs_global.notes;
		if (!n) {
			pthread_cond_wait(&fs_global.notify_cond, &fs_global.notify_lock);
			continue;
		}
		fs_global.notes = n->next;
		pthread_mutex_unlock(&fs_global.notify_lock);
		fuse_lowlevel_notify_poll(n->ph);
		fuse_pollhandle_destroy(n->ph);
		free(n);
		pthread_mutex_lock(&fs_global.notify_lock);
	}
	pthread_mutex_unlock(&fs_global.notify_lock);
	return NULL;
}

/* Starts the thread that sends poll notifications and drops kept attributes, and puts the
 * gate of the latter between the engine's events and their readers. */
int notifier_start(void)
{
	if (attrs_settler_start() < 0)
		return -1;
	fs_global.notifier_running = true;
	if (pthread_create(&fs_global.notifier, NULL, notifier_main, NULL) != 0) {
		fs_global.notifier_running = false;
		attrs_settler_stop();
		return -1;
	}
	rsm_set_hold(fs_global.eng, attrs_hold, NULL);
	return 0;
}

/* Sends what is queued, then ends the thread; no event is held after it. */
void notifier_stop(void)
{
	pthread_mutex_lock(&fs_global.notify_lock);
	bool running = fs_global.notifier_running;
	fs_global.notifier_running = false;
	pthread_cond_signal(&fs_global.notify_cond);
	pthread_mutex_unlock(&fs_global.notify_lock);
	if (running) {
		/* what is queued is sent and released before the thread ends */
		pthread_join(fs_global.notifier, NULL);
		rsm_set_hold(fs_global.eng, NULL, NULL);
	}
	attrs_settler_stop();
}

static void channel_ready(void *ctx);

/* Arms the engine callback unless it is armed already.  Returns true when the channel is
 * readable right now (nothing was armed). */
static bool channel_arm(struct fh *fh)
{
	bool now = false;

	pthread_mutex_lock(&fh->lock);
	if (fh->armed) {
		pthread_mutex_unlock(&fh->lock);
		return false;
	}
	fh->armed = true;
	fh->refs++; /* held by the armed callback */
	pthread_mutex_unlock(&fh->lock);
	if (rsm_notify_arm(fs_global.eng, fh->channel, channel_ready, fh, &now) != ERROR_SUCCESS)
		now = true; /* a dead channel reads as end of file */
	if (now) {
		pthread_mutex_lock(&fh->lock);
		fh->armed = false;
		pthread_mutex_unlock(&fh->lock);
		fh_put(fh);
	}
	return now;
}

/* A parked read's caller was interrupted: EINTR, unless the read is answered already. */
static void read_interrupt(fuse_req_t req, void *data)
{
	struct fh *fh = data;
	bool took = false;

	pthread_mutex_lock(&fh->lock);
	if (fh->parked_read == req) {
		fh->parked_read = NULL;
		took = true;
	} else {
		fh->pending_interrupt = req; /* arrived before the read was parked */
	}
	pthread_mutex_unlock(&fh->lock);
	if (took)
		fuse_reply_err(req, EINTR);
}

/* Parks req in fh until the channel is readable.  False when req is answered (interrupted, or
 * a second reader) or parked; true when the channel is readable already and req is still the
 * caller's to answer. */
static bool read_park(fuse_req_t req, struct fh *fh, size_t size)
{
	pthread_mutex_lock(&fh->lock);
	if (fh->pending_interrupt == req || fuse_req_interrupted(req)) {
		fh->pending_interrupt = NULL;
		pthread_mutex_unlock(&fh->lock);
		fuse_req_interrupt_func(req, NULL, NULL);
		fuse_reply_err(req, EINTR);
		return false;
	}
	if (fh->parked_read) {
		/* one parked read per open file; a second concurrent reader waits its turn by
		 * polling */
		pthread_mutex_unlock(&fh->lock);
		fuse_req_interrupt_func(req, NULL, NULL);
		fuse_reply_err(req, EAGAIN);
		return false;
	}
	fh->parked_read = req;
	fh->parked_size = size;
	pthread_mutex_unlock(&fh->lock);
	if (!channel_arm(fh))
		return false; /* parked: channel_ready answers it */
	/* readable already: take the request back, unless someone else did */
	pthread_mutex_lock(&fh->lock);
	bool ours = fh->parked_read == req;
	if (ours)
		fh->parked_read = NULL;
	pthread_mutex_unlock(&fh->lock);
	return ours;
}

/* A read of a channel, a stream (the offset does not matter): what is there, or parked until
 * the engine has something (channel_ready), or EAGAIN for a non-blocking reader. */
void channel_read(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	char *buf AUTO_FREE = malloc(size ? size : 1);
	bool registered = false;

	(void)off;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	do {
		size_t used = 0;
		bool ended = false;
		rsm_err e = rsm_notify_read(fs_global.eng, fh->channel, buf, size, &used, &ended);

		if (used || ended || e != ERROR_SUCCESS) {
			if (registered)
				fuse_req_interrupt_func(req, NULL, NULL);
			fuse_reply_buf(req, buf, used);
			return;
		}
		if (fh->flags & O_NONBLOCK) {
			fuse_reply_err(req, EAGAIN);
			return;
		}
		if (!registered) {
			fuse_req_interrupt_func(req, read_interrupt, fh);
			registered = true;
		}
	} while (read_park(req, fh, size));
}

/* The engine says the channel is readable (or ended): answer the parked read and poller. */
static void channel_ready(void *ctx)
{
	struct fh *fh = ctx;
	struct fuse_pollhandle *ph;
	fuse_req_t req;
	size_t size;

	pthread_mutex_lock(&fh->lock);
	fh->armed = false;
	req = fh->parked_read;
	fh->parked_read = NULL;
	size = fh->parked_size;
	ph = fh->ph;
	fh->ph = NULL;
	pthread_mutex_unlock(&fh->lock);
	if (ph)
		notify_poll_later(ph);
	if (req) {
		fuse_req_interrupt_func(req, NULL, NULL);
		channel_read(req, fh, size, 0);
	}
	fh_put(fh);
}

/* A poll of a channel: readable now, or the handle is kept for channel_ready. */
void channel_poll(fuse_req_t req, struct fh *fh, struct fuse_pollhandle *ph)
{
	if (rsm_notify_readable(fs_global.eng, fh->channel)) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLRDNORM);
		return;
	}
	if (ph) {
		pthread_mutex_lock(&fh->lock);
		struct fuse_pollhandle *old = fh->ph;
		fh->ph = ph;
		pthread_mutex_unlock(&fh->lock);
		if (old)
			fuse_pollhandle_destroy(old);
		if (channel_arm(fh)) {
			pthread_mutex_lock(&fh->lock);
			ph = fh->ph;
			fh->ph = NULL;
			pthread_mutex_unlock(&fh->lock);
			if (ph)
				fuse_pollhandle_destroy(ph);
			fuse_reply_poll(req, POLLIN | POLLRDNORM);
			return;
		}
	}
	fuse_reply_poll(req, 0);
}

/* The channel's end: its callback disarmed and the channel closed. */
void channel_release(struct fh *fh)
{
	if (rsm_notify_disarm(fs_global.eng, fh->channel)) {
		pthread_mutex_lock(&fh->lock);
		fh->armed = false;
		pthread_mutex_unlock(&fh->lock);
		fh_put(fh); /* the callback's reference: it will never run */
	}
	rsm_notify_close(fs_global.eng, fh->channel);
}
