/* startup.h - start-up: the catalog read into a consistent model, the configured libraries
 * created or found, their backends attached and reconciled, and what the last run left half
 * done settled. */
#ifndef RSM_STARTUP_H
#define RSM_STARTUP_H

#include "model.h"

/* Under the lock, before any thread runs; -1 with a message when the daemon cannot start. */
int engine_start(struct rsm_engine *eng, char *err, size_t errlen);

#endif
