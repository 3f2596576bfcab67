/* log.h - the engine's log lines (rsmfs(8), LOGGING): one per finished library request, per
 * operator request raised or answered, per device fault and repair, per catalog fault, and
 * what the backends find.  The front end's hook (rsm_set_log) writes them; a line written with
 * the engine lock held reaches it once the lock is released, so no terminal or syslog I/O ever
 * happens under the lock.
 */
#ifndef RSM_LOG_H
#define RSM_LOG_H

#include <stdbool.h>

#include "rsm.h"

/* Writes one line at level (printf-style, no newline); lines past the configured level are
 * dropped before they are formatted. */
void engine_log(enum rsm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when lines of level are written at all: a line that takes work to prepare asks first. */
bool engine_logs(enum rsm_log_level level);

#endif
