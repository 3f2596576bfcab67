/* memory.c - giving memory freed in bursts back to the system.
 *
 * Thousands of channels opened, filled and closed leave the allocator's heaps full of free
 * chunks between live ones.  glibc returns memory only from the top of a heap, so without help
 * the daemon's RSS keeps what a flood once took (measured: 163 MiB after one round of four users
 * opening and closing 1024 channels each, 202 MiB after eight, where the live data was under
 * 60 MiB).  After objects go, the engine asks the allocator to release every free page, at most
 * once a second and outside the engine's lock: the release walks every arena and takes a few
 * milliseconds that no request should wait for. */
#include <malloc.h>

#include "model.h"
#include "runtime.h"

#define GIVE_BACK_DELAY 1.0 /* seconds: one release serves a whole burst of closes */

/* Deferred call, outside the lock: hands free pages of every arena back to the kernel. */
static void give_back_free_pages(void *ctx, const void *data)
{
	(void)ctx;
	(void)data;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Timer: the burst is over (or a second has passed); release outside the lock. */
static void give_back_due(struct rsm_engine *eng, void *arg)
{
	(void)arg;
	eng->give_back_pending = false;
	defer_call(&eng->rt, give_back_free_pages, NULL, NULL, 0);
}

void memory_give_back_soon(struct rsm_engine *eng)
{
	if (eng->give_back_pending)
		return;
	eng->give_back_pending = true;
	timer_add(&eng->rt, GIVE_BACK_DELAY, give_back_due, &eng->give_back_pending);
}
