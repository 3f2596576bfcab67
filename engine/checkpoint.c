/* checkpoint.c - copies the catalog's write-ahead log back into the database on a thread of
 * its own.
 *
 * SQLite checkpoints in the thread that commits, once the log passes 1000 pages.  In rsmfs
 * that thread holds the engine lock, and a checkpoint (copying every page the log holds, then
 * two fdatasyncs) is the longest thing a commit does: every mount and every reader waited
 * for it.  Here the committing thread only notes the log's size (sqlite3_wal_hook, which also
 * turns SQLite's own checkpoints off), and a thread with a connection of its own runs a
 * PASSIVE checkpoint, which never blocks a writer, outside the engine lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define CHECKPOINT_PAGES 1000 /* SQLite's own default threshold */

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool due, quit;
	sqlite3 *db; /* the thread's own connection to the catalog */
};

/* The committing thread's hook: wakes the checkpointer once the log is long enough. */
static int wal_grew(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *c = arg;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&c->lock);
		c->due = true;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->quit) {
		if (!c->due) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		c->due = false;
		pthread_mutex_unlock(&c->lock);
		int rc =
		    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			fprintf(stderr, "rsmfs: catalog checkpoint: %s\n", sqlite3_errmsg(c->db));
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Starts the thread for the engine's open, writable catalog.  On failure SQLite's own
 * checkpoints stay on: slower, not wrong. */
void checkpointer_start(struct rsm_engine *eng)
{
	struct checkpointer *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (sqlite3_open_v2(eng->cfg.database, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		fprintf(stderr, "rsmfs: no checkpoint thread: commits checkpoint themselves\n");
		sqlite3_close(c->db);
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return;
	}
	sqlite3_wal_hook(eng->db, wal_grew, c);
	eng->checkpointer = c;
}

/* Stops the thread and closes its connection; the engine's connection, closed after it,
 * checkpoints what is left. */
void checkpointer_stop(struct rsm_engine *eng)
{
	struct checkpointer *c = eng->checkpointer;

	if (!c)
		return;
	sqlite3_wal_hook(eng->db, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->quit = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	eng->checkpointer = NULL;
}
