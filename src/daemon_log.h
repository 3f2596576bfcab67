/* daemon_log.h - where the daemon's log lines go (rsmfs(8), LOGGING): stderr in the
 * foreground, syslog (and so the journal) otherwise; -o loglevel=<level> keeps the lines up to
 * that level.  The engine's lines (rsm_set_log) and the program's own take the same way. */
#ifndef RSMFS_DAEMON_LOG_H
#define RSMFS_DAEMON_LOG_H

#include <stdbool.h>

#include "rsm.h"

#define DAEMON_LOG_DEFAULT RSM_LOG_NOTICE

/* The level a name says (error, warning, notice, info, debug); -1 for any other text. */
int daemon_log_level(const char *name);

/* Sends every line up to max to stderr (foreground) or syslog, the engine's lines too; before
 * the engine opens. */
void daemon_log_start(bool foreground, enum rsm_log_level max);

/* One line of the program's own (printf-style, no newline). */
void daemon_log(enum rsm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
