/* daemon_log.c - the daemon's log lines to stderr or syslog (rsmfs(8), LOGGING).
 *
 * Lines arrive from any thread (FUSE workers, engine threads after the engine lock is
 * released), so each one leaves in a single write: lines of different threads never mix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon_log.h"

/* The levels by enum rsm_log_level: their names in -o loglevel= and their syslog priorities. */
static const struct {
	const char *name;
	int priority;
} levels[] = {
    [RSM_LOG_ERROR] = {"error", LOG_ERR},      [RSM_LOG_WARNING] = {"warning", LOG_WARNING},
    [RSM_LOG_NOTICE] = {"notice", LOG_NOTICE}, [RSM_LOG_INFO] = {"info", LOG_INFO},
    [RSM_LOG_DEBUG] = {"debug", LOG_DEBUG},
};

/* Set by daemon_log_start before any other thread runs. */
static struct {
	enum rsm_log_level max;
	bool to_syslog;
	/* stderr is the journal's stream (a service run in the foreground): each line starts
	 * with its priority as "<n>", which the journal takes as the line's priority */
	bool journal;
} log_cfg = {DAEMON_LOG_DEFAULT, false, false};

int daemon_log_level(const char *name)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i].name) == 0)
			return (int)i;
	return -1;
}

/* Whether descriptor 2 is the stream systemd named in $JOURNAL_STREAM ("<dev>:<inode>"). */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!stream || sscanf(stream, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Writes one line where the log goes. */
static void log_write(enum rsm_log_level level, const char *line)
{
	char buf[1024];
	int n;

	if (level > log_cfg.max)
		return;
	if (log_cfg.to_syslog) {
		syslog(levels[level].priority, "%s", line);
		return;
	}
	if (log_cfg.journal)
		n = snprintf(buf, sizeof(buf), "<%d>rsmfs: %s\n", levels[level].priority, line);
	else
		n = snprintf(buf, sizeof(buf), "rsmfs: %s\n", line);
	if (n >= (int)sizeof(buf)) {
		n = (int)sizeof(buf);
		buf[n - 1] = '\n'; /* cut short, still one line */
	}
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return; /* nowhere left to say so */
}

/* The engine's hook (rsm_set_log): runs with no engine lock held. */
static void engine_line(void *ctx, enum rsm_log_level level, const char *line)
{
	(void)ctx;
	log_write(level, line);
}

void daemon_log_start(bool foreground, enum rsm_log_level max)
{
	log_cfg.max = max;
	log_cfg.to_syslog = !foreground;
	log_cfg.journal = foreground && stderr_is_journal();
	if (log_cfg.to_syslog)
		openlog("rsmfs", LOG_PID, LOG_DAEMON);
	rsm_set_log(engine_line, NULL, max);
}

void daemon_log(enum rsm_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > log_cfg.max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_write(level, line);
}
