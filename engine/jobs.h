/* jobs.h - work in flight and the choice of work: the jobs that carry a request through its
 * steps (jobs.c) and the scheduler that starts them (scheduler.c). */
#ifndef RSM_JOBS_H
#define RSM_JOBS_H

#include "backend.h"
#include "model.h"

/* The phases of a job; jobs.c draws the machine they make. */
enum job_phase {
	PH_EVICT_UNLOAD, /* the drive unloads the medium left in it (a dismountable one) */
	PH_EVICT_MOVE,	 /* the robot puts that medium away */
	PH_MOVE_IN,	 /* the robot brings the job's cartridge to the drive */
	PH_LOAD,	 /* the drive loads it: the mount is done */
	PH_UNLOAD,	 /* the drive unloads the job's cartridge (a dismount) */
	PH_CLEAN,	 /* the cleaner works in the drive */
	PH_MOVE_HOME,	 /* the robot puts the cartridge back in its home slot */
	PH_EJECT_MOVE,	 /* slot or drive -> port */
	PH_INJECT_MOVE,	 /* port -> slot */
	PH_INVENTORY,	 /* the robot scans the library */
	PH_SLOT_MOVE,	 /* slot -> another slot, which becomes its home */
};

struct job {
	struct request *req;
	int library;
	int drive; /* NO_INDEX for eject, inject and inventory */
	int port;  /* eject and inject */
	int slot;  /* inject and move: the destination slot */
	int medium;
	int evict; /* medium evicted first, NO_INDEX when none */
	enum job_phase phase;
	bool clean;	   /* a cleaning: medium is the cleaner cartridge */
	int promised_slot; /* the home slot promised to the cartridge going there; -1 */
	struct step step;  /* the step in progress, handed to the backend */
	struct job *next_robot;
	struct job *live_prev, *live_next; /* every job in flight (freed at close) */
};

/* ---- jobs.c ---- */

/* A new job for request r, on the engine's list; NULL (r failed) when out of memory. */
struct job *job_new(struct rsm_engine *eng, struct request *r, int library, int drive, int medium,
		    enum job_phase phase);
void jobs_free(struct rsm_engine *eng);
/* Starts the job's current phase: its step goes to the backend (a robot move through the
 * library's robot, one at a time). */
void job_advance(struct rsm_engine *eng, struct job *job);
/* The medium the job takes comes from a drive where it was dismountable: that drive is the
 * job's now, unloading. */
void source_drive_claim(struct rsm_engine *eng, struct medium *m, struct job *job);
/* Commits a drive and a medium after a change (in the burst's batch), then tells the
 * channels. */
void save_and_emit(struct rsm_engine *eng, struct drive *d, struct medium *m);
/* Whether library l's robot may move now: it answers, is not jammed, the door is closed. */
bool robot_can_move(const struct library *l);
/* Starts the robot steps waiting for robots that are free and may move. */
void robots_kick(struct rsm_engine *eng);

/* ---- scheduler.c ---- */

enum attempt { STARTED, FINISHED, BLOCKED };
/* Waits (state waiting), or fails with if_no_wait for a request that asked not to wait. */
enum attempt block(struct rsm_engine *eng, struct request *r, rsm_err if_no_wait, const char *why);
enum attempt try_inject(struct rsm_engine *eng, struct request *r);
/* pool_ops.c: an allocation finds its side, or waits for new media. */
enum attempt try_allocate(struct rsm_engine *eng, struct request *r);
/* Starts every pending request that can start now.  Only the engine's settle calls it, once
 * per release of the lock that changed anything (engine.c). */
void schedule(struct rsm_engine *eng);
/* Notes the drives whose medium became dismountable, and sets the timer that sends each home
 * once it outstays its library's dismount_delay (from the engine's settle). */
void dismount_delays_watch(struct rsm_engine *eng);
/* A closed session's mounted media stay in their drives, dismountable (in a site, those of
 * the libraries this host manages: each manager releases its own). */
void session_release_media(struct rsm_engine *eng, int session);

/* ---- session.c ---- */

/* A session ends (closed here, or its row gone): its work is unwound as CloseNtmsSession
 * says, its channels end, its slot is free. */
void session_unwind(struct rsm_engine *eng, int slot);

/* ---- policy.c ---- */

/* A mount of medium mi was asked for: its popularity grows. */
void popularity_count(struct rsm_engine *eng, int mi);
/* The popularity the kept request history teaches, at start-up. */
void popularity_learn_history(struct rsm_engine *eng);
/* The drive whose dismountable medium a mount in library l evicts: the least popular, the
 * least recently used of equals; NO_INDEX when no drive holds an idle dismountable medium. */
int eviction_victim(const struct rsm_engine *eng, const struct library *l);
/* Drives of library l that a dismount is emptying now. */
int drives_emptying(const struct rsm_engine *eng, const struct library *l);
/* Puts back early the dismountable medium least likely to be mounted before a mount would
 * have to evict it (from the settle); its move home waits for the robot's idle time. */
void put_back_early(struct rsm_engine *eng);
/* Sends the medium of drive d home: a dismount of no session's, run like any other
 * (policy.c; the dismount_delay's expiry in scheduler.c). */
void drive_send_home(struct rsm_engine *eng, struct drive *d);

#endif
