/* transport_iscsi.c - SCSI commands over iSCSI, through libiscsi, for changers and drives at
 * iscsi://<host>[:port]/<target-iqn>/<lun>.
 *
 * libiscsi's synchronous calls reconnect on their own when the target goes away, and can
 * then wait for as long as the target stays down (its automatic reconnection is turned off).  A
 * changer thread must instead learn at once that its library is offline, so this file drives
 * libiscsi's asynchronous interface with its own poll loop and deadline: a connection that breaks
 * (the peer hangs up, an error on the socket, the deadline passes) ends the session, and the next
 * command opens a new one.
 */
#include <errno.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transport.h"

#define INITIATOR_NAME "iqn.2026-11.org.rsmfs:initiator"

struct iscsi_transport {
	struct scsi_transport base;
	struct iscsi_context *ctx; /* NULL between a broken session and the next command */
	char portal[300], target[300];
	int lun;
	unsigned connect_timeout_ms;
	/* set by the callbacks */
	bool connected; /* logged in: a later connect callback means the session broke */
	bool done, failed, lost;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void drop_session(struct iscsi_transport *it)
{
	struct iscsi_context *ctx = it->ctx;

	/* destroying the context may call the callbacks of what was pending */
	it->ctx = NULL;
	it->connected = false;
	if (ctx)
		iscsi_destroy_context(ctx);
}

/* Runs libiscsi's events until the callback has fired or the deadline passes.  0 when it
 * fired; -ETIMEDOUT or -ECONNRESET (the session is dropped then). */
static int run_until_done(struct iscsi_transport *it, double deadline, char *err, size_t errlen)
{
	while (!it->done) {
		struct pollfd pfd = {.fd = iscsi_get_fd(it->ctx)};
		double left = deadline - now_ms();
		int events = iscsi_which_events(it->ctx);

		if (it->base.cancel && __atomic_load_n(it->base.cancel, __ATOMIC_RELAXED)) {
			snprintf(err, errlen, "%s: abandoned: the daemon is stopping",
				 it->base.address);
			drop_session(it);
			return -ECANCELED;
		}
		if (left <= 0) {
			snprintf(err, errlen, "%s: no answer in time", it->base.address);
			drop_session(it);
			return -ETIMEDOUT;
		}
		pfd.events = (short)(events ? events : POLLIN) | POLLRDHUP;
		int n = poll(&pfd, 1, left > 200 ? 200 : (int)left + 1);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "%s: poll: %s", it->base.address, strerror(errno));
			drop_session(it);
			return -EIO;
		}
		/* let libiscsi read what came, then see whether the peer has gone */
		if (iscsi_service(it->ctx, n > 0 ? (pfd.revents & ~POLLRDHUP) : 0) < 0)
			it->lost = true;
		if (!it->done &&
		    (it->lost || (n > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))))) {
			snprintf(err, errlen, "%s: the target closed the connection",
				 it->base.address);
			drop_session(it);
			return -ECONNRESET;
		}
	}
	return 0;
}

static void connect_cb(struct iscsi_context *ctx, int status, void *data, void *priv)
{
	struct iscsi_transport *it = priv;

	(void)ctx;
	(void)data;
	if (it->connected) {
		it->lost = true; /* the second call: an established session broke */
		return;
	}
	it->done = true;
	it->failed = status != SCSI_STATUS_GOOD;
}

/* Opens a session and logs in to the LUN. */
static int session_open(struct iscsi_transport *it, char *err, size_t errlen)
{
	int r;

	it->ctx = iscsi_create_context(INITIATOR_NAME);
	if (!it->ctx) {
		snprintf(err, errlen, "%s: cannot create an iSCSI context", it->base.address);
		return -ENOMEM;
	}
	iscsi_set_targetname(it->ctx, it->target);
	iscsi_set_session_type(it->ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(it->ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
	/* a broken session is this file's to handle: libiscsi's own reconnection would keep
	 * retrying behind our back (and leaks when its context is destroyed meanwhile) */
	iscsi_set_noautoreconnect(it->ctx, 1);
	it->done = it->failed = it->lost = false;
	if (iscsi_full_connect_async(it->ctx, it->portal, it->lun, connect_cb, it) < 0) {
		snprintf(err, errlen, "%s: %s", it->base.address, iscsi_get_error(it->ctx));
		drop_session(it);
		return -ECONNREFUSED;
	}
	r = run_until_done(it, now_ms() + it->connect_timeout_ms, err, errlen);
	if (r < 0)
		return r;
	if (it->failed) {
		snprintf(err, errlen, "%s: cannot log in: %s", it->base.address,
			 iscsi_get_error(it->ctx));
		drop_session(it);
		return -ECONNREFUSED;
	}
	it->connected = true;
	return 0;
}

static void command_cb(struct iscsi_context *ctx, int status, void *data, void *priv)
{
	struct iscsi_transport *it = priv;

	(void)ctx;
	(void)status;
	(void)data;
	it->done = true;
}

/* Copies libiscsi's decoded sense back into fixed-format bytes, the form SG_IO gives. */
static void store_sense(const struct scsi_task *task, struct scsi_io *io)
{
	memset(io->sense, 0, sizeof(io->sense));
	io->sense[0] = 0x70;
	io->sense[2] = (uint8_t)(task->sense.key & 0x0f);
	io->sense[7] = 10;
	io->sense[12] = (uint8_t)(task->sense.ascq >> 8);
	io->sense[13] = (uint8_t)task->sense.ascq;
	io->sense_len = 18;
}

static int iscsi_execute(struct scsi_transport *t, struct scsi_io *io, char *err, size_t errlen)
{
	struct iscsi_transport *it = (struct iscsi_transport *)t;
	static const int directions[] = {
	    [SCSI_DIR_NONE] = SCSI_XFER_NONE,
	    [SCSI_DIR_IN] = SCSI_XFER_READ,
	    [SCSI_DIR_OUT] = SCSI_XFER_WRITE,
	};
	struct iscsi_data out = {.size = io->len, .data = io->buf};
	struct scsi_task *task;
	int r;

	io->received = 0;
	io->sense_len = 0;
	if (it->lost)
		drop_session(it); /* it broke after the last command */
	if (!it->ctx && (r = session_open(it, err, errlen)) < 0)
		return r;
	task = scsi_create_task((int)io->cdb_len, io->cdb, directions[io->dir], (int)io->len);
	if (!task) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	it->done = false;
	if (iscsi_scsi_command_async(it->ctx, it->lun, task, command_cb,
				     io->dir == SCSI_DIR_OUT ? &out : NULL, it) < 0) {
		snprintf(err, errlen, "%s: %s", t->address, iscsi_get_error(it->ctx));
		scsi_free_scsi_task(task);
		drop_session(it);
		return -ECONNRESET;
	}
	r = run_until_done(it, now_ms() + (io->timeout_ms ? io->timeout_ms : 60000), err, errlen);
	if (r < 0) {
		/* the context that owned the task is gone with it; the task itself is ours */
		scsi_free_scsi_task(task);
		return r;
	}
	if (task->status == SCSI_STATUS_ERROR || task->status == SCSI_STATUS_CANCELLED ||
	    task->status == SCSI_STATUS_TIMEOUT) {
		/* libiscsi's last error text may belong to an earlier command: say it ourselves */
		snprintf(err, errlen, "%s: %s", t->address,
			 task->status == SCSI_STATUS_TIMEOUT
			     ? "no answer in time"
			     : "the connection to the target broke");
		scsi_free_scsi_task(task);
		drop_session(it);
		return -ECONNRESET;
	}
	io->status = (uint8_t)task->status;
	if (task->status == SCSI_STATUS_CHECK_CONDITION)
		store_sense(task, io);
	if (io->dir == SCSI_DIR_IN && task->datain.data && task->datain.size > 0) {
		size_t n =
		    (size_t)task->datain.size < io->len ? (size_t)task->datain.size : io->len;
		memcpy(io->buf, task->datain.data, n);
		io->received = n;
	}
	scsi_free_scsi_task(task);
	return 0;
}

static void iscsi_close(struct scsi_transport *t)
{
	struct iscsi_transport *it = (struct iscsi_transport *)t;

	drop_session(it);
	free(it);
}

static const struct scsi_transport_ops iscsi_ops = {
    .name = "iscsi",
    .execute = iscsi_execute,
    .close = iscsi_close,
};

struct scsi_transport *iscsi_transport_open(const char *url, unsigned timeout_ms, char *err,
					    size_t errlen)
{
	struct iscsi_transport *it = calloc(1, sizeof(*it));
	struct iscsi_context *parser;
	struct iscsi_url *u;

	if (!it) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	it->base.ops = &iscsi_ops;
	snprintf(it->base.address, sizeof(it->base.address), "%s", url);
	it->connect_timeout_ms = timeout_ms ? timeout_ms : 5000;
	parser = iscsi_create_context(INITIATOR_NAME);
	u = parser ? iscsi_parse_full_url(parser, url) : NULL;
	if (!u) {
		snprintf(err, errlen, "%s: not an iscsi://<host>[:port]/<target-iqn>/<lun> address",
			 url);
		if (parser)
			iscsi_destroy_context(parser);
		free(it);
		return NULL;
	}
	snprintf(it->portal, sizeof(it->portal), "%s", u->portal);
	snprintf(it->target, sizeof(it->target), "%s", u->target);
	it->lun = u->lun;
	iscsi_destroy_url(u);
	iscsi_destroy_context(parser);
	if (session_open(it, err, errlen) < 0) {
		free(it);
		return NULL;
	}
	return &it->base;
}
