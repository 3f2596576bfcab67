/* ctl.c - control files: the command parser, the command tables, and the reply stream.
 *
 * A write holds one or more lines; they run in order and the write fails with the errno of
 * the first line that fails (lines before it keep their effect).  A blocking mount parks the
 * write: the FUSE worker returns at once and the write is answered from the engine's
 * completion, which then runs the remaining lines.  An interrupt answers EINTR and abandons
 * the mount.  Every outcome is also queued as a reply line that a read on the same open file
 * returns.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

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

/* Makes a command printable for the log: control bytes become '?', at most 200 bytes. */
static void printable(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; in[i] && i + 1 < len && i < 200; i++)
		out[i] = isprint((unsigned char)in[i]) ? in[i] : '?';
	out[i] = '\0';
}

void error_log_add(const struct fuse_ctx *ctx, const char *file, const char *cmd, const char *why)
{
	char when[32], clean[256], *line = NULL;
	rsm_format_time((int64_t)time(NULL), when, sizeof(when));
	printable(cmd, clean, sizeof(clean));
	if (asprintf(&line, "%s uid=%u %s \"%s\" %s\n", when, ctx ? (unsigned)ctx->uid : 0, file,
		     clean, why) < 0)
		return;
	pthread_mutex_lock(&fs_global.log_lock);
	if (fs_global.error_log_count == FS_ERROR_LOG_LINES) {
		free(fs_global.error_log[0]);
		memmove(fs_global.error_log, fs_global.error_log + 1,
			sizeof(char *) * (FS_ERROR_LOG_LINES - 1));
		fs_global.error_log_count--;
	}
	fs_global.error_log[fs_global.error_log_count++] = line;
	pthread_mutex_unlock(&fs_global.log_lock);
}

void error_text(rsm_err err, const char *why, char *buf, size_t len)
{
	snprintf(buf, len, "%s %u %s%s%s", rsm_error_name(err), err, rsm_error_text(err),
		 why && *why ? ": " : "", why ? why : "");
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

int outcome_fail(struct outcome *o, rsm_err err, const char *fmt, const char *arg)
{
	o->err = err;
	snprintf(o->why, sizeof(o->why), fmt, arg ? arg : "");
	o->rc = -rsm_error_errno(err);
	return o->rc;
}

/* ---- tokens and options ---- */

int outcome_options(struct outcome *o, const char *verb, const struct option_spec *spec, int nspec,
		    char **tok, int first, int n, struct option_value *values)
{
	char why[sizeof(o->why)];

	if (options_parse(verb, spec, nspec, tok, first, n, values, why, sizeof(why)) == 0)
		return 0;
	return outcome_fail(o, ERROR_INVALID_PARAMETER, "%s", why);
}

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

/* ---- session commands ---- */

static void mount_done(void *ctx, rsm_err err, uint64_t request, const char *drive);
static void batch_run(struct batch *b);

/* Before a call that may complete later through mount_done: the callback's reference. */
static void park_prepare(struct batch *b, bool allocate)
{
	pthread_mutex_lock(&b->lock);
	b->refs++; /* for mount_done */
	b->pending_allocate = allocate;
	pthread_mutex_unlock(&b->lock);
}

/* After it: true when the write is parked on request (unless it completed meanwhile);
 * otherwise the callback's reference goes, since it will not run. */
static bool park_settle(struct batch *b, rsm_err e, uint64_t request)
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

/* The RSM_MOUNT_* bit each flag option sets. */
static const unsigned mount_flag_bits[MOUNT_NOPTIONS] = {
    [MOUNT_READ] = RSM_MOUNT_READ,
    [MOUNT_WRITE] = RSM_MOUNT_WRITE,
    [MOUNT_NOWAIT] = RSM_MOUNT_NOWAIT,
    [MOUNT_OFFLINE_ERROR] = RSM_MOUNT_ERROR_OFFLINE,
    [MOUNT_UNAVAILABLE_ERROR] = RSM_MOUNT_ERROR_NOT_AVAILABLE,
};

/* mount <medium>[/<side>] [options]: parks until the medium is in a drive. */
static int cmd_mount(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct rsm_mount_args a = {.timeout_ms = RSM_WAIT_INFINITE};
	struct option_value v[MOUNT_NOPTIONS];
	char medium[RSM_NAME_MAX + 16];
	uint64_t request = 0;
	rsm_err e;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "mount: missing medium%s", NULL);
	if (strlen(tok[1]) >= sizeof(medium))
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	if (parse_medium_side(tok[1], medium, sizeof(medium), &a.side, false))
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "mount: bad side in '%s'", tok[1]);
	if (outcome_options(o, "mount", mount_options, MOUNT_NOPTIONS, tok, 2, n, v))
		return o->rc;
	for (int k = 0; k < MOUNT_NOPTIONS; k++)
		if (v[k].given)
			a.options |= mount_flag_bits[k];
	if (v[MOUNT_DRIVE].given) {
		const char *drive = v[MOUNT_DRIVE].text;
		if (!*drive || strlen(drive) > RSM_NAME_MAX)
			return outcome_fail(o, ERROR_INVALID_DRIVE, "no such drive '%s'", drive);
		a.drive = drive;
		a.options |= RSM_MOUNT_SPECIFIC_DRIVE;
	}
	if (v[MOUNT_TIMEOUT].given)
		a.timeout_ms = v[MOUNT_TIMEOUT].number;
	if (v[MOUNT_PRIORITY].given)
		a.priority = (int)v[MOUNT_PRIORITY].number;
	a.medium = medium;
	park_prepare(b, false);
	e = rsm_mount(fs_global.eng, b->session, &b->cred, &a, mount_done, b, &request);
	if (park_settle(b, e, request))
		return 1;
	if (e != ERROR_SUCCESS) {
		const char *what = e == ERROR_INVALID_MEDIA   ? medium
				   : e == ERROR_INVALID_DRIVE ? a.drive
							      : "";
		return outcome_fail(o, e, "%s", what);
	}
	return reply_ok(b, request);
}

/* dismount <medium> [deferred|immediate]: returns once queued. */
static int cmd_dismount(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct option_value v[DISMOUNT_NOPTIONS];
	unsigned options = 0;
	uint64_t request = 0;
	rsm_err e;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "dismount: missing medium%s", NULL);
	if (outcome_options(o, "dismount", dismount_options, DISMOUNT_NOPTIONS, tok, 2, n, v))
		return o->rc;
	if (v[DISMOUNT_DEFERRED].given && v[DISMOUNT_IMMEDIATE].given)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "dismount: deferred and immediate exclude each other%s", NULL);
	options |= v[DISMOUNT_DEFERRED].given ? RSM_DISMOUNT_DEFERRED : 0;
	options |= v[DISMOUNT_IMMEDIATE].given ? RSM_DISMOUNT_IMMEDIATE : 0;
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	e = rsm_dismount(fs_global.eng, b->session, &b->cred, tok[1], options, &request);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", e == ERROR_INVALID_MEDIA ? tok[1] : "");
	return reply_ok(b, request);
}

/* allocate <pool> [new] [timeout=<s>]: parks like a mount while no medium is available. */
static int cmd_allocate(struct batch *b, char **tok, int n, struct outcome *o)
{
	struct option_value v[ALLOCATE_NOPTIONS];
	uint64_t request = 0;
	char result[RSM_NAME_MAX + 8] = "";
	rsm_err e;

	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "allocate: missing pool%s", NULL);
	if (outcome_options(o, "allocate", allocate_options, ALLOCATE_NOPTIONS, tok, 2, n, v))
		return o->rc;
	unsigned options = v[ALLOCATE_NEW].given ? RSM_ALLOCATE_NEW : 0;
	int64_t timeout_ms =
	    v[ALLOCATE_TIMEOUT].given ? v[ALLOCATE_TIMEOUT].number : RSM_WAIT_INFINITE;
	if (strlen(tok[1]) > RSM_NAME_MAX)
		return outcome_fail(o, ERROR_INVALID_MEDIA_POOL, "no such pool %s", tok[1]);
	park_prepare(b, true);
	e = rsm_allocate(fs_global.eng, b->session, &b->cred, tok[1], options, timeout_ms,
			 mount_done, b, &request, result);
	if (park_settle(b, e, request))
		return 1;
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", e == ERROR_INVALID_MEDIA_POOL ? tok[1] : "");
	char line[160];
	snprintf(line, sizeof(line), "ok request %llu %s", (unsigned long long)request, result);
	reply_queue_add(b->fh, line);
	return 0;
}

/* deallocate <medium>/<side> */
static int cmd_deallocate(struct batch *b, char **tok, int n, struct outcome *o)
{
	char medium[RSM_NAME_MAX + 16];
	int side;

	if (n != 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    n < 2 ? "deallocate: missing <medium>/<side>%s"
					  : "deallocate: unexpected argument '%s'",
				    n < 2 ? NULL : tok[2]);
	if (strlen(tok[1]) >= sizeof(medium))
		return outcome_fail(o, ERROR_INVALID_MEDIA, "no such medium %s", tok[1]);
	if (parse_medium_side(tok[1], medium, sizeof(medium), &side, true))
		return outcome_fail(o, ERROR_INVALID_PARAMETER,
				    "deallocate: '%s' is not <medium>/<side> (side 0 or 1)", tok[1]);
	rsm_err e = rsm_deallocate(fs_global.eng, b->session, &b->cred, medium, side);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", e == ERROR_INVALID_MEDIA ? tok[1] : "");
	return reply_ok(b, 0);
}

/* message <text>: the rest of the line, as written, goes to the operator. */
static int cmd_message(struct batch *b, char **tok, int n, struct outcome *o)
{
	const char *text = b->line;
	uint64_t number = 0;

	(void)tok;
	if (n < 2)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "message: missing text%s", NULL);
	while (*text == ' ' || *text == '\t')
		text++;
	text += strlen("message");
	while (*text == ' ' || *text == '\t')
		text++;
	char copy[FS_MAX_WRITE + 1];
	snprintf(copy, sizeof(copy), "%s", text);
	for (size_t len = strlen(copy); len && (copy[len - 1] == ' ' || copy[len - 1] == '\r');)
		copy[--len] = '\0';
	rsm_err e = rsm_opreq_submit(fs_global.eng, b->session, &b->cred, copy, &number);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", "");
	char line[64];
	snprintf(line, sizeof(line), "ok opreq %llu", (unsigned long long)number);
	reply_queue_add(b->fh, line);
	return 0;
}

/* requests/<n>/ctl */
static int cmd_cancel(struct batch *b, char **tok, int n, struct outcome *o)
{
	uint64_t number = strtoull(b->fh->node.obj, NULL, 10);
	rsm_err e;

	if (n != 1)
		return outcome_fail(o, ERROR_INVALID_PARAMETER, "cancel: unexpected argument '%s'",
				    tok[1]);
	e = rsm_request_cancel(fs_global.eng, &b->cred, number);
	if (e == ERROR_ACCESS_DENIED && b->cred.admin) {
		/* an administrator was refused because the request can no longer be stopped */
		outcome_fail(o, e, "the request is being handled and can no longer be stopped%s",
			     NULL);
		o->rc = -EBUSY;
		return o->rc;
	}
	if (e == ERROR_OBJECT_NOT_FOUND)
		return outcome_fail(o, e, "request %s has already finished", b->fh->node.obj);
	if (e != ERROR_SUCCESS)
		return outcome_fail(o, e, "%s", "");
	char line[96];
	snprintf(line, sizeof(line), "ok request %s", b->fh->node.obj);
	reply_queue_add(b->fh, line);
	return 0;
}

static const struct command session_commands[] = {
    {"mount", cmd_mount},	    {"dismount", cmd_dismount}, {"allocate", cmd_allocate},
    {"deallocate", cmd_deallocate}, {"message", cmd_message},	{NULL, NULL},
};

static const struct command request_commands[] = {
    {"cancel", cmd_cancel},
    {NULL, NULL},
};

static const struct command *commands_for(const struct node *n)
{
	if (n->area == AREA_SESSIONS)
		return session_commands;
	if (n->area == AREA_REQUESTS)
		return request_commands;
	return object_commands(n);
}

/* Runs b->line; returns 0, 1 (parked) or -errno.  The line is split in a copy, so that
 * b->line still reads as written when a parked mount's failure is logged. */
static int run_line(struct batch *b, struct outcome *o)
{
	const struct command *table = commands_for(&b->fh->node);
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
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_write(req, b->size);
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
		batch_put(b); /* mount_done will never run */
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

static void set_running(struct batch *b, bool running)
{
	pthread_mutex_lock(&b->lock);
	b->running = running;
	pthread_mutex_unlock(&b->lock);
}

/* Runs lines from b->pos until one parks or fails, or all are done.  The caller set
 * b->running and holds a reference. */
static void batch_run(struct batch *b)
{
	struct outcome o;

	for (;;) {
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
		if (rc <= 0) {
			set_running(b, false);
			batch_finish(b, -rc);
			return;
		}
		/* parked on a mount: make it interruptible, unless it finished meanwhile */
		pthread_mutex_lock(&b->lock);
		fuse_req_t req = b->req;
		bool reg = req && !b->interrupt_registered;
		b->interrupt_registered |= reg;
		pthread_mutex_unlock(&b->lock);
		if (reg)
			fuse_req_interrupt_func(req, batch_interrupt, b);
		pthread_mutex_lock(&b->lock);
		if (b->has_completion) {
			rsm_err err = b->completion_err;
			uint64_t request = b->completion_request;
			char drive[RSM_NAME_MAX + 1];
			snprintf(drive, sizeof(drive), "%s", b->completion_drive);
			b->has_completion = false;
			bool answered = b->req == NULL;
			pthread_mutex_unlock(&b->lock);
			if (answered || !apply_completion(b, err, request, drive)) {
				set_running(b, false);
				return;
			}
			continue;
		}
		uint64_t abandoned = b->req ? 0 : b->pending;
		if (abandoned)
			b->pending = 0;
		b->running = false;
		pthread_mutex_unlock(&b->lock);
		/* interrupted before the request number was known: cancel it now */
		if (abandoned && rsm_mount_abandon(fs_global.eng, abandoned))
			batch_put(b);
		return;
	}
}

static void mount_done(void *ctx, rsm_err err, uint64_t request, const char *drive)
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

/* error_log: any write empties it (the file's mode admits administrators only). */
static void error_log_clear(void)
{
	pthread_mutex_lock(&fs_global.log_lock);
	for (int i = 0; i < fs_global.error_log_count; i++)
		free(fs_global.error_log[i]);
	fs_global.error_log_count = 0;
	pthread_mutex_unlock(&fs_global.log_lock);
}

void ctl_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct batch *b;

	if (fh->node.type == N_FILE && fh->node.area == AREA_ROOT &&
	    strcmp(root_files[fh->node.file].name, "error_log") == 0) {
		if (!cred_is_admin(ctx)) {
			fuse_reply_err(req, EACCES);
			return;
		}
		error_log_clear();
		fuse_reply_write(req, size);
		return;
	}
	if (size > FS_MAX_WRITE) {
		error_log_add(ctx, fh->path, "(write longer than 4096 bytes)",
			      "E2BIG the command is longer than 4096 bytes");
		fuse_reply_err(req, E2BIG);
		return;
	}
	if (fh->node.type == N_FILE && attr_writable(&fh->node)) {
		attr_write(req, fh, buf, size);
		return;
	}
	if (fh->node.type != N_CTL) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (size == 0) {
		fuse_reply_write(req, 0);
		return;
	}
	const char *problem = command_text_problem(buf, size);
	if (problem) {
		char text[160], line[200];
		error_text(ERROR_INVALID_PARAMETER, problem, text, sizeof(text));
		error_log_add(ctx, fh->path, "(binary data)", text);
		snprintf(line, sizeof(line), "error %s", text);
		reply_queue_add(fh, line);
		if (fh->session)
			rsm_session_set_error(fs_global.eng, fh->session, text);
		fuse_reply_err(req, EINVAL);
		return;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->buf = malloc(size))) {
		free(b);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_init(&b->lock, NULL);
	b->refs = 1;
	b->req = req;
	b->cred = cred_of(req);
	memcpy(b->buf, buf, size);
	b->size = size;
	pthread_mutex_lock(&fh->lock);
	fh->refs++;
	pthread_mutex_unlock(&fh->lock);
	b->fh = fh;
	b->session = fh->session;
	b->refs++; /* the running thread's own reference */
	b->running = true;
	batch_run(b);
	batch_put(b);
}
