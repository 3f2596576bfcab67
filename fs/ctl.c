/* ctl.c - control files (rsmfs(5), COMMANDS AND ERRORS): a write's lines run as a batch
 * against the command table of the file's row, the reply stream read back from the same open
 * file, and writes of writable values.
 *
 * A write holds one or more lines; they run in order and the write fails with the errno of
 * the first line that fails (lines before it keep their effect).  A blocking mount parks the
 * write: the FUSE worker returns at once and the write is answered from the engine's
 * completion, which then runs the remaining lines.  An interrupt answers EINTR and abandons
 * the mount.  Every outcome is also queued as a reply line that a read on the same open file
 * returns.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Drops a reference on the batch; the last frees it and its open file's reference. */
static void batch_put(struct batch *b)
{
	pthread_mutex_lock(&b->lock);
	int refs = --b->refs;
	pthread_mutex_unlock(&b->lock);
	if (refs)
		return;
	fh_put(b->fh);
	pthread_mutex_destroy(&b->lock);
	free(b->buf);
	free(b);
}

#define REPLIES_MAX 65536 /* unread reply bytes kept per open ctl */

/* Queues a reply line for readers of the open ctl; a writer that never reads loses the oldest
 * lines. */
void reply_queue_add(struct fh *fh, const char *line)
{
	size_t n = strlen(line);

	pthread_mutex_lock(&fh->lock);
	if (fh->replies_off == fh->replies_len)
		fh->replies_len = fh->replies_off = 0;
	/* a writer that never reads its replies: the oldest whole lines make room */
	while (fh->replies_len - fh->replies_off + n + 1 > REPLIES_MAX &&
	       fh->replies_off < fh->replies_len) {
		char *nl =
		    memchr(fh->replies + fh->replies_off, '\n', fh->replies_len - fh->replies_off);
		fh->replies_off = nl ? (size_t)(nl - fh->replies) + 1 : fh->replies_len;
	}
	if (fh->replies_off > REPLIES_MAX / 2) {
		memmove(fh->replies, fh->replies + fh->replies_off,
			fh->replies_len - fh->replies_off);
		fh->replies_len -= fh->replies_off;
		fh->replies_off = 0;
	}
	char *r = realloc(fh->replies, fh->replies_len + n + 2);
	if (r) {
		fh->replies = r;
		memcpy(r + fh->replies_len, line, n);
		r[fh->replies_len + n] = '\n';
		fh->replies_len += n + 1;
	}
	pthread_mutex_unlock(&fh->lock);
}

/* "NAME number text[: why]", as error files and reply lines show an RSM error. */
void error_text(rsm_err err, const char *why, char *buf, size_t len)
{
	snprintf(buf, len, "%s %u %s%s%s", rsm_error_name(err), rsm_error_number(err),
		 rsm_error_text(err), why && *why ? ": " : "", why ? why : "");
}

/* Records a failed command: the reply line, the session's error file and error_log. */
static void record_failure(struct batch *b, const char *file, const char *cmd,
			   const struct outcome *o)
{
	char text[320], line[400];
	struct fuse_ctx ctx = {.uid = b->cred.uid, .gid = b->cred.gid};

	error_text(o->err, o->why, text, sizeof(text));
	snprintf(line, sizeof(line), "error %s", text);
	reply_queue_add(b->fh, line);
	if (b->session)
		rsm_session_set_error(fs_global.eng, b->session, text);
	error_log_add(&ctx, file, cmd, text);
}

/* Sets o to a failure with RSM error err and a reason; returns o->rc (-errno). */
int outcome_fail(struct outcome *o, rsm_err err, const char *fmt, const char *arg)
{
	o->err = err;
	snprintf(o->why, sizeof(o->why), fmt, arg ? arg : "");
	o->rc = -rsm_error_errno(err);
	return o->rc;
}

/* ---- tokens and options ---- */

/* options_parse with the failure as an ERROR_INVALID_PARAMETER outcome. */
int outcome_options(struct outcome *o, const char *verb, const struct option_spec *spec, int nspec,
		    char **tok, int first, int n, struct option_value *values)
{
	char why[sizeof(o->why)];

	if (options_parse(verb, spec, nspec, tok, first, n, values, why, sizeof(why)) == 0)
		return 0;
	return outcome_fail(o, ERROR_INVALID_PARAMETER, "%s", why);
}

/* Fails a command that takes no arguments but was given some. */
int no_arguments(char **tok, int n, struct outcome *o)
{
	if (n > 1)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "unexpected argument '%s'", tok[1]);
	return 0;
}

/* Reads the optional "port=<n>" argument from tok[first..n); -1 when none was given. */
int port_option(char **tok, int n, int first, int *port, struct outcome *o)
{
	struct option_value v[PORT_NOPTIONS];

	*port = -1;
	if (outcome_options(o, tok[0], port_options, PORT_NOPTIONS, tok, first, n, v))
		return o->rc;
	if (v[PORT_PORT].given)
		*port = (int)v[PORT_PORT].number;
	return 0;
}

/* The tail shared by most commands: an engine error, or "ok [request <n>]". */
int finish(struct batch *b, rsm_err e, uint64_t request, struct outcome *o, const char *what)
{
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", what);
	return reply_ok(b, request);
}

/* The usual tail of a command that made a request: "ok request <n>" or "ok". */
int reply_ok(struct batch *b, uint64_t request)
{
	char line[96];

	if (request)
		snprintf(line, sizeof(line), "ok request %llu", (unsigned long long)request);
	else
		snprintf(line, sizeof(line), "ok");
	reply_queue_add(b->fh, line);
	return 0;
}

/* ---- commands that park ---- */

static void batch_run(struct batch *b);

/* Before a call that may complete later through batch_mount_done: the callback's reference. */
void batch_park_prepare(struct batch *b, bool allocate)
{
	pthread_mutex_lock(&b->lock);
	b->refs++; /* for batch_mount_done */
	b->pending_allocate = allocate;
	pthread_mutex_unlock(&b->lock);
}

/* The write is parked on request unless the call completed meanwhile; when the call did not
 * park, the callback's reference goes, since it will not run. */
bool batch_park_settle(struct batch *b, rsm_err e, uint64_t request)
{
	if (e == ERROR_IO_PENDING) {
		pthread_mutex_lock(&b->lock);
		if (!b->has_completion)
			b->pending = request;
		pthread_mutex_unlock(&b->lock);
		return true;
	}
	batch_put(b);
	return false;
}

/* Runs b->line; returns 0, 1 (parked) or -errno.  The line is split in a copy, so that
 * b->line still reads as written when a parked mount's failure is logged. */
static int run_line(struct batch *b, struct outcome *o)
{
	const struct command *table = b->fh->node.kind->commands;
	char work[FS_MAX_WRITE + 1];
	char *tok[MAX_TOKENS];
	int n;

	o->why[0] = '\0';
	o->err = ERROR_SUCCESS;
	o->rc = 0;
	snprintf(work, sizeof(work), "%s", b->line);
	n = tokenize(work, tok);
	if (n < 0)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "too many words in the command%s",
				    NULL);
	if (n == 0)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "empty command%s", NULL);
	for (int i = 0; table && table[i].verb; i++)
		if (strcmp(table[i].verb, tok[0]) == 0)
			return table[i].run(b, tok, n, o);
	return outcome_fail(o, ERROR_INVALID_PARAMETER, "unknown command '%s'", tok[0]);
}

/* Answers the write (once) and drops the request's reference on the batch. */
static void batch_finish(struct batch *b, int err)
{
	fuse_req_t req;

	pthread_mutex_lock(&b->lock);
	req = b->req;
	b->req = NULL;
	pthread_mutex_unlock(&b->lock);
	if (!req)
		return;
	if (b->interrupt_registered)
		/* waits out an interrupt callback running on another thread */
		fuse_req_interrupt_func(req, NULL, NULL);
	reply_after_drops(req, err, b->size); /* what the commands changed is seen at once */
	batch_put(b);
}

/* Whether the signals pending for the calling thread include one that means "stop waiting".
 * A shell with background jobs catches SIGCHLD, and one finishing must not abandon a mount
 * the script is waiting for; those signals' handlers simply run once the write returns. */
static bool caller_really_interrupted(fuse_req_t req)
{
	static const int benign[] = {SIGCHLD, SIGWINCH, SIGURG, SIGCONT};
	char path[64], line[256];
	unsigned long long pending = 0, blocked = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)fuse_req_ctx(req)->pid);
	f = fopen(path, "re");
	if (!f)
		return true; /* cannot tell: honour the interrupt */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SigPnd: %llx", &v) == 1 || sscanf(line, "ShdPnd: %llx", &v) == 1)
			pending |= v;
		else if (sscanf(line, "SigBlk: %llx", &v) == 1)
			blocked = v;
	}
	fclose(f);
	pending &= ~blocked;
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		pending &= ~(1ULL << (benign[i] - 1));
	return pending != 0;
}

/* The caller of a parked write was interrupted: EINTR, and the mount is abandoned. */
static void batch_interrupt(fuse_req_t req, void *data)
{
	struct batch *b = data;
	uint64_t pending;
	bool took = false;

	if (!caller_really_interrupted(req))
		return;
	pthread_mutex_lock(&b->lock);
	if (b->req == req) {
		b->req = NULL;
		took = true;
	}
	pending = b->pending;
	if (took)
		b->pending = 0; /* abandoned here, not again by the running thread */
	pthread_mutex_unlock(&b->lock);
	if (!took)
		return;
	if (pending && rsm_mount_abandon(fs_global.eng, pending))
		batch_put(b); /* batch_mount_done will never run */
	fuse_reply_err(req, EINTR);
	batch_put(b);
}

/* Applies a mount's outcome to the batch: its reply line, or the failure.  Returns false
 * when the batch is over (answered). */
static bool apply_completion(struct batch *b, rsm_err err, uint64_t request, const char *drive)
{
	char line[160];

	if (err == ERROR_SUCCESS) {
		/* a mount names its drive, an allocation the side it took */
		snprintf(line, sizeof(line),
			 b->pending_allocate ? "ok request %llu %s" : "ok request %llu drive=%s",
			 (unsigned long long)request, drive);
		reply_queue_add(b->fh, line);
		return true;
	}
	if (fs_global.shutting_down) {
		batch_finish(b, ESHUTDOWN);
		return false;
	}
	struct outcome o = {.err = err};
	snprintf(o.why, sizeof(o.why), "request %llu", (unsigned long long)request);
	o.rc = -rsm_error_errno(err);
	record_failure(b, b->fh->path, b->line, &o);
	batch_finish(b, -o.rc);
	return false;
}

/* Marks whether a thread is running the batch's lines. */
static void set_running(struct batch *b, bool running)
{
	pthread_mutex_lock(&b->lock);
	b->running = running;
	pthread_mutex_unlock(&b->lock);
}

/* Runs lines from b->pos until one parks or fails, or all are done: 1 when one parked,
 * otherwise 0 or the -errno of the line that failed (recorded). */
static int run_lines(struct batch *b)
{
	struct outcome o;
	int rc = 0;

	while (rc == 0 && b->pos < b->size) {
		char *start = b->buf + b->pos;
		char *nl = memchr(start, '\n', b->size - b->pos);
		size_t len = nl ? (size_t)(nl - start) : b->size - b->pos;
		b->pos += len + (nl ? 1 : 0);
		if (len == 0 && b->pos >= b->size && b->pos > 1)
			break; /* the newline that ends the last command */
		memcpy(b->line, start, len);
		b->line[len] = '\0';
		rc = run_line(b, &o);
		if (rc < 0)
			record_failure(b, b->fh->path, b->line, &o);
	}
	return rc;
}

/* A parked write can be interrupted from now on (registered once), unless it is answered. */
static void make_interruptible(struct batch *b)
{
	pthread_mutex_lock(&b->lock);
	fuse_req_t req = b->req;
	bool reg = req && !b->interrupt_registered;
	b->interrupt_registered |= reg;
	pthread_mutex_unlock(&b->lock);
	if (reg)
		fuse_req_interrupt_func(req, batch_interrupt, b);
}

/* After a line parked: applies the completion that arrived while the batch ran, and returns
 * true to run the next lines; or stops running and returns false.  A mount whose write was
 * interrupted before its request number was known is cancelled now. */
static bool resume_parked(struct batch *b)
{
	char drive[RSM_NAME_MAX + 1];
	uint64_t request = 0, abandoned = 0;
	rsm_err err = ERROR_SUCCESS;
	bool answered = false;

	pthread_mutex_lock(&b->lock);
	bool completed = b->has_completion;
	if (completed) {
		err = b->completion_err;
		request = b->completion_request;
		snprintf(drive, sizeof(drive), "%s", b->completion_drive);
		b->has_completion = false;
		answered = b->req == NULL;
	} else {
		abandoned = b->req ? 0 : b->pending;
		if (abandoned)
			b->pending = 0;
		b->running = false;
	}
	pthread_mutex_unlock(&b->lock);
	if (!completed) {
		if (abandoned && rsm_mount_abandon(fs_global.eng, abandoned))
			batch_put(b);
		return false;
	}
	if (answered || !apply_completion(b, err, request, drive)) {
		set_running(b, false);
		return false;
	}
	return true;
}

/* Runs lines from b->pos until one parks or fails, or all are done.  The caller set
 * b->running and holds a reference. */
static void batch_run(struct batch *b)
{
	for (;;) {
		int rc = run_lines(b);
		if (rc <= 0) {
			set_running(b, false);
			batch_finish(b, -rc);
			return;
		}
		make_interruptible(b);
		if (!resume_parked(b))
			return;
	}
}

/* The engine's completion of a parked mount or allocation (engine thread): applied by the thread
 * running the batch, or here, which then runs the remaining lines. */
void batch_mount_done(void *ctx, rsm_err err, uint64_t request, const char *drive)
{
	struct batch *b = ctx;

	pthread_mutex_lock(&b->lock);
	b->pending = 0;
	if (b->running) {
		b->has_completion = true;
		b->completion_err = err;
		b->completion_request = request;
		snprintf(b->completion_drive, sizeof(b->completion_drive), "%s",
			 drive ? drive : "");
		pthread_mutex_unlock(&b->lock);
		batch_put(b);
		return;
	}
	bool answered = b->req == NULL;
	if (!answered)
		b->running = true;
	pthread_mutex_unlock(&b->lock);
	if (!answered && apply_completion(b, err, request, drive ? drive : ""))
		batch_run(b);
	else if (!answered)
		set_running(b, false);
	batch_put(b);
}

/* ---- writes ---- */

/* Refuses a write longer than a command may be (E2BIG, logged); true when it did. */
static bool write_too_long(fuse_req_t req, struct fh *fh, size_t size)
{
	if (size <= FS_MAX_WRITE)
		return false;
	error_log_add(fuse_req_ctx(req), fh->path, "(write longer than 4096 bytes)",
		      "E2BIG the command is longer than 4096 bytes");
	fuse_reply_err(req, E2BIG);
	return true;
}

/* Refuses bytes that cannot be a command (EINVAL): logged, queued as a reply line, and set as
 * the session's error.  True when it did. */
static bool write_not_text(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	const char *problem = command_text_problem(buf, size);
	char text[160], line[200];

	if (!problem)
		return false;
	error_text(ERROR_INVALID_PARAMETER, problem, text, sizeof(text));
	error_log_add(fuse_req_ctx(req), fh->path, "(binary data)", text);
	snprintf(line, sizeof(line), "error %s", text);
	reply_queue_add(fh, line);
	if (fh->session)
		rsm_session_set_error(fs_global.eng, fh->session, text);
	fuse_reply_err(req, EINVAL);
	return true;
}

/* A new batch for the write of buf to fh, holding a reference on fh; NULL without memory. */
static struct batch *batch_new(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b || !(b->buf = malloc(size))) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->lock, NULL);
	b->refs = 1;
	b->req = req;
	b->cred = cred_of(req);
	memcpy(b->buf, buf, size);
	b->size = size;
	fh_get(fh);
	b->fh = fh;
	b->session = fh->session;
	return b;
}

/* A write to a ctl file: its lines run as a batch (the row's commands). */
void ctl_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	struct batch *b;

	if (write_too_long(req, fh, size))
		return;
	if (size == 0) {
		fuse_reply_write(req, 0);
		return;
	}
	if (write_not_text(req, fh, buf, size))
		return;
	b = batch_new(req, fh, buf, size);
	if (!b) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	b->refs++; /* the running thread's own reference */
	b->running = true;
	batch_run(b);
	batch_put(b);
}

/* A write to a writable value (door, draw, return): the row's set, with the value trimmed of
 * its line end; a refusal is logged in error_log. */
void attr_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	struct rsm_cred cred = cred_of(req);
	char value[64], text[320];
	size_t len = size;
	rsm_err e = ERROR_INVALID_PARAMETER;

	if (write_too_long(req, fh, size))
		return;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
		len--;
	if (len < sizeof(value) && !memchr(buf, '\0', len)) {
		memcpy(value, buf, len);
		value[len] = '\0';
		e = fh->node.kind->set(&fh->node, &cred, value);
	}
	if (e == ERROR_SUCCESS) {
		reply_after_drops(req, 0, size);
		return;
	}
	snprintf(value, sizeof(value), "%.*s", (int)(len < 60 ? len : 60), buf);
	value[strcspn(value, "\n")] = '\0';
	error_text(e, NULL, text, sizeof(text));
	error_log_add(fuse_req_ctx(req), fh->path, value, text);
	fuse_reply_err(req, rsm_error_errno(e));
}

/* A read of a ctl file: the reply lines queued so far, a stream (the offset does not
 * matter). */
void ctl_read(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	(void)off;
	pthread_mutex_lock(&fh->lock);
	size_t avail = fh->replies_len - fh->replies_off;
	size_t n = avail < size ? avail : size;
	char *copy AUTO_FREE = malloc(n ? n : 1);
	if (copy && n)
		memcpy(copy, fh->replies + fh->replies_off, n);
	fh->replies_off += copy ? n : 0;
	pthread_mutex_unlock(&fh->lock);
	if (copy)
		fuse_reply_buf(req, copy, n);
	else
		fuse_reply_err(req, ENOMEM);
}
