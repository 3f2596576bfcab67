/* service.h - the service manager's notification protocol (sd_notify(3)): readiness, a status
 * line kept current, the watchdog and the stop (service.c). */
#ifndef RSMFS_SERVICE_H
#define RSMFS_SERVICE_H

#include "rsm.h"

/* The tree is mounted and consistent: READY=1 with the first status line, then a thread keeps
 * STATUS= current and pings the watchdog.  Does nothing when no manager listens. */
void service_ready(struct rsm_engine *eng);
/* STOPPING=1, and the thread ends: called once the daemon has been told to stop. */
void service_stopping(void);

#endif
