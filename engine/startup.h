/* startup.h - start-up: the catalog read into a consistent model, the configured libraries
 * created or found, their backends attached and reconciled, and what the last run left half
 * done settled. */
#ifndef RSM_STARTUP_H
#define RSM_STARTUP_H

#include "model.h"

/* Under the lock, before any thread runs; -1 with a message when the daemon cannot start. */
int engine_start(struct rsm_engine *eng, char *err, size_t errlen);
/* Under the lock, once this host holds library li's lease and it was another's (a site):
 * the changer reconciled, the work of the host that managed it judged and taken into this
 * host's queue, the drives and media settled (rsmfs(8), SEVERAL HOSTS).  The backend's
 * threads are the caller's to start, without the lock.  0, or -1 when the catalog refused. */
int engine_take_over(struct rsm_engine *eng, int li);

#endif
