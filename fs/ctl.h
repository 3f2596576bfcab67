/* ctl.h - control files: the batch a write runs as, command outcomes, and the helpers the
 * command tables of the subtree files share (libraries.c, drives.c, media.c, requests.c,
 * opreqs.c, sessions.c). */
#ifndef RSMFS_CTL_H
#define RSMFS_CTL_H

#include "fs.h"
#include "options.h"
#include "tree.h"

/* A write being executed, possibly parked on a mount. */
struct batch {
	pthread_mutex_t lock;
	int refs;
	fuse_req_t req; /* NULL once answered */
	struct fh *fh;
	struct rsm_cred cred;
	rsm_handle session;
	char *buf;
	size_t size, pos;
	char line[FS_MAX_WRITE + 1]; /* the line being executed */
	uint64_t pending;	     /* request number of the parked mount or allocation */
	bool pending_allocate;	     /* its reply names the side taken, not the drive */
	bool interrupt_registered;
	/* One thread at a time runs the batch.  A completion that arrives while it runs (the
	 * engine may finish a mount before rsm_mount has even returned) is stashed here for the
	 * running thread to apply. */
	bool running;
	bool has_completion;
	rsm_err completion_err;
	uint64_t completion_request;
	char completion_drive[RSM_NAME_MAX + 8];
};

/* The outcome of one command: 0 done, 1 parked, or a negative errno with err/why set. */
struct outcome {
	int rc;
	rsm_err err;
	char why[160];
};

/* A command of a control file: verb, and what runs it (0 done, 1 parked, -errno). */
struct command {
	const char *verb;
	int (*run)(struct batch *b, char **tok, int n, struct outcome *o);
};

/* Sets o to a failure with RSM error err and a reason; returns o->rc (-errno). */
int outcome_fail(struct outcome *o, rsm_err err, const char *fmt, const char *arg);
/* options_parse with the failure as an ERROR_INVALID_PARAMETER outcome. */
int outcome_options(struct outcome *o, const char *verb, const struct option_spec *spec, int nspec,
		    char **tok, int first, int n, struct option_value *values);
/* The usual tail of a command that made a request: "ok request <n>" or "ok". */
int reply_ok(struct batch *b, uint64_t request);

/* Fails a command that takes no arguments but was given some; 0 when it was given none. */
int no_arguments(char **tok, int n, struct outcome *o);
/* Reads the optional "port=<n>" argument from tok[first..n); -1 when none was given. */
int port_option(char **tok, int n, int first, int *port, struct outcome *o);
/* The tail shared by most commands: an engine error (why: what), or "ok [request <n>]". */
int finish(struct batch *b, rsm_err e, uint64_t request, struct outcome *o, const char *what);

/* A command that may park (mount, allocate): batch_park_prepare before the engine call, which
 * is given batch_mount_done and b; batch_park_settle after it, true when the write is parked
 * (the command then returns 1). */
void batch_park_prepare(struct batch *b, bool allocate);
bool batch_park_settle(struct batch *b, rsm_err e, uint64_t request);
void batch_mount_done(void *ctx, rsm_err err, uint64_t request, const char *drive);

/* "NAME number text[: why]", as error files and reply lines show an RSM error. */
void error_text(rsm_err err, const char *why, char *buf, size_t len);

#endif
