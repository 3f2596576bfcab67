/* log.c - the engine's log lines on their way to the front end's hook.
 *
 * A line written under the engine lock is a deferred call (runtime.h), delivered in order with
 * the completions and events of the same hold of the lock once it is released; a line written
 * by a thread that holds no lock (a changer thread talking to its device) goes out at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "runtime.h"

/* Set once before any engine opens (rsm_set_log), read by every engine thread after. */
static rsm_log_fn log_fn;
static void *log_ctx;
static enum rsm_log_level log_max = RSM_LOG_WARNING;

/* A line with its level, as it travels in a deferred call's data. */
struct log_record {
	enum rsm_log_level level;
	char text[DEFER_DATA_MAX - sizeof(enum rsm_log_level)];
};

void rsm_set_log(rsm_log_fn fn, void *ctx, enum rsm_log_level max)
{
	log_fn = fn;
	log_ctx = ctx;
	/* without a hook, a tool or a test hears what needs attention, not every request */
	log_max = fn ? max : RSM_LOG_WARNING;
}

bool engine_logs(enum rsm_log_level level)
{
	return level <= log_max;
}

/* Hands one line to the hook, or to stderr when there is none. */
static void log_deliver(const struct log_record *rec)
{
	if (log_fn)
		log_fn(log_ctx, rec->level, rec->text);
	else
		fprintf(stderr, "rsmfs: %s\n", rec->text);
}

/* The deferred call of a line written under the lock. */
static void run_log(void *ctx, const void *data)
{
	(void)ctx;
	log_deliver(data);
}

void engine_log(enum rsm_log_level level, const char *fmt, ...)
{
	struct log_record rec = {.level = level};
	struct runtime *rt = rt_held();
	va_list ap;

	if (!engine_logs(level))
		return;
	va_start(ap, fmt);
	vsnprintf(rec.text, sizeof(rec.text), fmt, ap);
	va_end(ap);
	if (rt)
		defer_call(rt, run_log, NULL, &rec,
			   offsetof(struct log_record, text) + strlen(rec.text) + 1);
	else
		log_deliver(&rec);
}
