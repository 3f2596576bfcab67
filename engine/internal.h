/* internal.h - the engine's object model, shared by the engine's own files only.
 *
 * One mutex (engine.lock) guards the whole model.  Work that must not run under it (user
 * callbacks) is queued with defer_call() and run by engine_unlock() after the unlock, so a
 * callback may call back into the engine.
 */
#ifndef RSM_INTERNAL_H
#define RSM_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "name_index.h"
#include "rsm.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NO_INDEX (-1)

enum drive_state {
	DRIVE_EMPTY,
	DRIVE_LOADING,
	DRIVE_MOUNTED,
	DRIVE_DISMOUNTABLE,
	DRIVE_UNLOADING,
	DRIVE_CLEANING,
	DRIVE_DISABLED,
	DRIVE_FAILED,
};

enum media_state {
	MEDIA_IDLE,
	MEDIA_LOADING,
	MEDIA_MOUNTED,
	MEDIA_DISMOUNTABLE,
	MEDIA_UNLOADING,
	MEDIA_IN_PORT,
	MEDIA_OFFLINE,
	MEDIA_DISABLED,
};

enum loc_kind { LOC_SLOT, LOC_DRIVE, LOC_PORT, LOC_OFFLINE };

enum req_state {
	REQ_QUEUED,
	REQ_WAITING,
	REQ_INPROCESS,
	REQ_PASSED,
	REQ_FAILED,
	REQ_CANCELLED,
	REQ_STOPPED,
	REQ_INVALID,
};

enum req_op {
	OP_MOUNT,
	OP_DISMOUNT,
	OP_INJECT,
	OP_EJECT,
	OP_CLEAN,
	OP_INVENTORY,
	OP_DOOR,
	OP_ALLOCATE,
	OP_ENABLE,
	OP_DISABLE,
};

enum side_state {
	SIDE_UNPREPARED,
	SIDE_AVAILABLE,
	SIDE_ALLOCATED,
	SIDE_COMPLETE,
	SIDE_DECOMMISSIONED,
	SIDE_FOREIGN,
	SIDE_IMPORT,
	SIDE_INCOMPATIBLE,
	SIDE_RESERVED,
};

extern const char *const drive_state_names[];
extern const char *const media_state_names[];
extern const char *const req_state_names[];
extern const char *const req_op_names[];
extern const char *const side_state_names[];

enum opreq_type {
	OPREQ_NEWMEDIA,
	OPREQ_CLEANER,
	OPREQ_DEVICESERVICE,
	OPREQ_MOVEMEDIA,
	OPREQ_MESSAGE
};
enum opreq_state { OPREQ_SUBMITTED, OPREQ_ACTIVE, OPREQ_INPROGRESS, OPREQ_COMPLETE, OPREQ_REFUSED };
extern const char *const opreq_type_names[];
extern const char *const opreq_state_names[];

/* Access to a pool, as its directory's owner and mode grant it (NTMS USE/MODIFY/CONTROL). */
enum pool_right { POOL_USE, POOL_MODIFY, POOL_CONTROL };

struct library {
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	char type[16];	/* changer, standalone, offline */
	bool present;	/* configured in this run */
	bool reachable; /* its changer answers (a sim always does) */
	bool enabled;
	char backend[16], changer[256];
	char door[8];
	char media_type[32]; /* what its cartridges are (new ones inserted by the operator) */
	bool jammed;	     /* the robot is stuck: no move starts until it is freed */
	bool inventorying;
	int nslots, nports;
	int *slot_medium; /* medium index per slot, NO_INDEX when empty */
	int *port_medium;
	int ndrives;
	int *drive_index;
	double move_time, load_time, unload_time;
	bool robot_busy;
	struct job *robot_queue, *robot_queue_tail; /* jobs waiting for the robot */
	uint64_t moves, mounts, failures;
	uint64_t hits; /* mounts of a medium already in a drive (not in the catalog) */
	double mount_secs_total, mount_secs_max;
	struct scsi_library *scsi; /* the scsi backend's changer thread; NULL for a sim */
	char *sim_written; /* sim: the changer record as last written, NULL when unknown */
	size_t sim_written_len;
};

struct drive {
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	int library;
	int number;
	enum drive_state state;
	bool enabled;
	bool failed;	    /* a device fault: nothing uses it until it is repaired */
	int medium;	    /* medium index, NO_INDEX when empty */
	int session;	    /* session slot that has it mounted, NO_INDEX when none */
	struct job *job;    /* the job using the drive, NULL when idle */
	uint64_t last_used; /* LRU stamp */
	uint64_t mounts, cleanings, errors;
	char last_cleaned[32];
	char device[256]; /* a real drive's OS device (scsi backend); "" when unknown */
};

struct side {
	char guid[RSM_GUID_LEN + 1];
	enum side_state state;
	char owner[RSM_NAME_MAX + 1];
};

struct medium {
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	char barcode[RSM_NAME_MAX + 1];
	char type[32];
	enum media_state state;
	bool enabled;
	int library;
	int pool;
	enum loc_kind loc;
	int loc_addr;  /* slot/port number or drive index */
	int home_slot; /* where an immediate dismount returns it */
	int nsides;
	struct side sides[2];
	struct request *busy; /* the request moving it, NULL when none */
	/* sim only, physical facts the catalog does not know (fault injection): the cartridge
	 * is not where the catalog has it, or its barcode label cannot be read */
	bool sim_missing, sim_unreadable;
	bool label_reported; /* an operator request about its unreadable label is open */
};

struct pool {
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	char type[16]; /* free, import, unrecognized, cleaner, application */
	char media_type[32];
	bool draw, ret;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

/* The two lists a request can be on: queued and waiting ones (what the scheduler looks at),
 * and finished ones in the order they finished (what the retention drops first). */
enum request_list { LIST_NONE, LIST_PENDING, LIST_FINISHED };
struct request_queue {
	struct request *head, *tail;
	size_t count;
};

struct request {
	uint64_t number;
	char guid[RSM_GUID_LEN + 1];
	enum req_op op;
	enum req_state state;
	char session_name[RSM_NAME_MAX + 1];
	int session; /* slot, NO_INDEX once the session is gone */
	int medium;  /* NO_INDEX when none */
	int drive;   /* requested or chosen drive, NO_INDEX */
	int library;
	int port; /* eject and inject: the port asked for, -1 = any */
	int priority;
	unsigned options;
	int64_t submitted, started, finished; /* unix seconds, 0 = not yet */
	double started_mono;
	rsm_err error;
	char error_detail[160];
	/* completion of a synchronous (blocking) mount */
	rsm_done_fn done;
	void *done_ctx;
	double deadline; /* monotonic seconds, 0 = none */
	bool specific_drive;
	/* the operator request this one waits on (0 = none), and whether the operator has
	 * answered it: satisfied lets a mount take its medium from a port, a clean be recorded
	 * as done by hand, an allocation search again */
	uint64_t opreq;
	bool opreq_satisfied;
	int pool;		       /* allocate: the pool; NO_INDEX otherwise */
	char result[RSM_NAME_MAX + 8]; /* allocate: "<medium>/<side>" */
	/* its place on the engine's pending or finished list (history.c) */
	enum request_list list;
	struct request *list_prev, *list_next;
};

struct opreq {
	uint64_t number;
	char guid[RSM_GUID_LEN + 1];
	enum opreq_type type;
	enum opreq_state state;
	char message[256];
	uint64_t request; /* the library request it blocks, 0 = none */
	int library;	  /* device service: the library; NO_INDEX when none */
	int drive;	  /* device service: the failed drive; NO_INDEX for the robot */
	int64_t submitted, finished;
};

struct channel;

struct session {
	bool used;
	uint32_t generation;
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	char application[RSM_NAME_MAX + 1];
	uid_t uid;
	int64_t created;
	char error[320];
	uint64_t last_request;
};

/* A shared, reference-counted event line: one allocation however many channels see it. */
struct event_line {
	int refs;
	size_t len;
	struct rsm_event ev;
	char text[];
};

struct channel {
	bool used;
	uint32_t generation;
	int session;
	int type;
	int64_t row; /* catalog row id */
	struct event_line **ring;
	size_t head, count;
	size_t head_off; /* bytes of the head line already read */
	bool overflow;
	uint64_t overflow_seq;
	bool ended;
	bool closed;
	rsm_ready_fn ready;
	void *ready_ctx;
	int sync_waiters; /* threads in rsm_notify_wait */
};

/* A timed callback on the engine's worker thread (robot moves, drive loads, time-outs). */
struct timer {
	double when;
	void (*fn)(struct rsm_engine *eng, void *arg);
	void *arg;
	struct timer *next;
};

/* A deferred call: runs after the engine lock is released. */
struct deferred {
	void *a, *b;
	rsm_err err;
	uint64_t request;
	char drive[RSM_NAME_MAX + 8]; /* a mount's drive, an allocation's "<medium>/<side>" */
	rsm_done_fn done;
	struct rsm_event ev;
	int kind; /* 0 = done callback, 1 = ready callback, 2 = observer */
};

/* The steps of a mount or dismount in flight. */
enum job_phase {
	PH_EVICT_UNLOAD,
	PH_EVICT_MOVE,
	PH_MOVE_IN,
	PH_LOAD,
	PH_UNLOAD,
	PH_MOVE_HOME,
	PH_EJECT_MOVE,	/* slot or drive -> port */
	PH_INJECT_MOVE, /* port -> slot */
	PH_CLEAN,	/* the cleaner works in the drive */
	PH_INVENTORY,	/* the robot scans the library */
};

struct job {
	struct request *req;
	int library;
	int drive; /* NO_INDEX for eject and inject */
	int port;  /* eject and inject */
	int slot;  /* inject: the destination slot */
	int medium;
	int evict; /* medium evicted first, NO_INDEX when none */
	enum job_phase phase;
	bool clean;	   /* a cleaning: medium is the cleaner cartridge */
	double robot_secs; /* a robot step that is not one move (inventory); 0 = move_time */
	int target_slot;   /* where a cartridge going home is put (chosen before a real move) */
	rsm_err robot_err; /* a real changer refused or failed the last robot step */
	char robot_detail[200];
	struct job *next_robot;
	struct job *live_prev, *live_next; /* every job in flight (freed at close) */
};

struct rsm_engine {
	pthread_mutex_t lock;
	pthread_cond_t worker_cond;
	pthread_cond_t notify_cond;
	pthread_t worker;
	bool worker_started;
	bool stopping; /* rsm_engine_stop called */
	bool quit;     /* the worker must exit */
	struct rsm_config cfg;
	sqlite3 *db;
	bool batch_open; /* catalog_save_state's transaction is open (catalog_batch_commit) */
#define STATEMENT_CACHE 32
	const char *stmt_sql[STATEMENT_CACHE]; /* the catalog's prepared statements, by text */
	sqlite3_stmt *stmt[STATEMENT_CACHE];
	bool db_readonly;

	struct library *libraries;
	int nlibraries;
	struct drive *drives;
	int ndrives;
	struct medium *media;
	int nmedia;
	/* drive_find, medium_find, medium_by_barcode */
	struct name_index drive_names, media_names, media_barcodes;
	struct pool *pools;
	int npools;
	struct request **requests; /* ascending by number */
	size_t nrequests, requests_cap;
	struct request_queue pending, finished; /* history.c */
	uint64_t next_request;
	struct opreq **opreqs; /* ascending by number */
	size_t nopreqs, opreqs_cap;
	uint64_t next_opreq;
	uint64_t next_unlabeled;
	struct session *sessions;
	int nsessions;
	struct channel *channels;
	int nchannels;

	uint64_t event_seq;
	uint64_t lru_clock;
	struct timer *timers;
	struct job *jobs; /* in flight */
	struct deferred *deferred;
	size_t ndeferred, deferred_cap;
	rsm_observer_fn observer;
	void *observer_ctx;
};

/* engine.c */
void engine_lock(struct rsm_engine *eng);
void engine_unlock(struct rsm_engine *eng);
double mono_now(void);
int64_t wall_now(void);
void guid_new(char out[RSM_GUID_LEN + 1]);
void timer_add(struct rsm_engine *eng, double delay, void (*fn)(struct rsm_engine *, void *),
	       void *arg);
void timer_cancel_arg(struct rsm_engine *eng, void *arg);
void defer_done(struct rsm_engine *eng, rsm_done_fn done, void *ctx, rsm_err err, uint64_t request,
		const char *drive);
void defer_ready(struct rsm_engine *eng, rsm_ready_fn ready, void *ctx);
void defer_observe(struct rsm_engine *eng, const struct rsm_event *ev);
bool valid_name(const char *name);

/* lookups (model.c) */
int library_find(struct rsm_engine *eng, const char *name);
int drive_find(struct rsm_engine *eng, const char *name);
int medium_find(struct rsm_engine *eng, const char *name);
int pool_find(struct rsm_engine *eng, const char *name);
struct request *request_find(struct rsm_engine *eng, uint64_t number);
struct session *session_get(struct rsm_engine *eng, rsm_handle h, rsm_err *err);
/* A session the caller may act through: its owner or an administrator (admin_only: an
 * administrator).  NULL with *err set otherwise. */
struct session *session_for(struct rsm_engine *eng, rsm_handle h, const struct rsm_cred *cred,
			    bool admin_only, rsm_err *err);
rsm_handle session_handle(struct rsm_engine *eng, int slot);
void medium_location_text(struct rsm_engine *eng, const struct medium *m, char *buf, size_t len);

/* notify.c */
void emit(struct rsm_engine *eng, enum rsm_object_type type, enum rsm_event_op op, const char *path,
	  const char *guid);
void emit_drive(struct rsm_engine *eng, struct drive *d);
void emit_medium(struct rsm_engine *eng, struct medium *m);
void emit_request(struct rsm_engine *eng, struct request *r, enum rsm_event_op op);
void emit_library(struct rsm_engine *eng, struct library *l);
void emit_slots(struct rsm_engine *eng, struct library *l, bool port);
void emit_door(struct rsm_engine *eng, struct library *l);
void emit_pool(struct rsm_engine *eng, struct pool *p, enum rsm_event_op op);
void emit_side(struct rsm_engine *eng, struct medium *m, int side);
void emit_opreq(struct rsm_engine *eng, struct opreq *o, enum rsm_event_op op);
void channels_end_session(struct rsm_engine *eng, int session);
void channels_stop_all(struct rsm_engine *eng);
void channel_free_ring(struct channel *c);

/* request.c */
/* What a new request is for; library is derived from the medium or drive when NO_INDEX. */
struct request_spec {
	enum req_op op;
	int session, medium, drive, library, port, priority;
	unsigned options;
	bool specific_drive;
};
rsm_err request_new(struct rsm_engine *eng, const struct request_spec *spec, struct request **out);
/* A change made in place (enable, disable) and its passed request, committed together; the
 * library, drive or medium given (NULL: none) are saved and their events sent. */
rsm_err request_record(struct rsm_engine *eng, const struct request_spec *spec,
		       struct library *l, struct drive *d, struct medium *m, uint64_t *number);
/* request_new for work that returns once queued: reports the number and runs the scheduler. */
rsm_err request_submit(struct rsm_engine *eng, const struct request_spec *spec, uint64_t *number);
void request_set_state(struct rsm_engine *eng, struct request *r, enum req_state state,
		       rsm_err error);
void request_finish(struct rsm_engine *eng, struct request *r, enum req_state state, rsm_err error,
		    const char *detail);

/* history.c */
bool request_pending(const struct request *r); /* queued or waiting: not started */
bool request_finished(const struct request *r);
/* Moves r to the list its state calls for (after every change of state). */
void request_track(struct rsm_engine *eng, struct request *r);
void requests_loaded(struct rsm_engine *eng);
void requests_purge(struct rsm_engine *eng);
void requests_trim(struct rsm_engine *eng);

/* jobs.c: work in flight */
void save_and_emit(struct rsm_engine *eng, struct drive *d, struct medium *m);
int first_free(const int *occupant, int count);
/* The slot a cartridge going home is put in: its home slot, or the first empty one; -1. */
int home_slot_for(struct rsm_engine *eng, int mi);
void settle_medium_state(struct rsm_engine *eng, struct medium *m);
void settle_drive_state(struct drive *d);
struct job *job_new(struct rsm_engine *eng, struct request *r, int library, int drive, int medium,
		    enum job_phase phase);
void job_free(struct rsm_engine *eng, struct job *job);
void source_drive_claim(struct rsm_engine *eng, struct medium *m, struct job *job);
bool robot_can_move(const struct library *l);
void robot_kick(struct rsm_engine *eng, struct library *l);
void job_fail(struct rsm_engine *eng, struct job *job, rsm_err err, const char *detail);
void job_advance(struct rsm_engine *eng, struct job *job);
/* A robot step ended (a timer for the sim, the changer thread for scsi); job->robot_err says
 * whether the move happened. */
void robot_step_done(struct rsm_engine *eng, void *job);
/* Fails the robot steps waiting for library l (it went offline). */
void robot_fail_queue(struct rsm_engine *eng, struct library *l, rsm_err err, const char *why);

/* scheduler.c: choosing work */
enum attempt { STARTED, FINISHED, BLOCKED };
bool drive_usable(const struct drive *d);
/* Waits (state waiting), or fails with if_no_wait for a request that asked not to wait. */
enum attempt block(struct rsm_engine *eng, struct request *r, rsm_err if_no_wait, const char *why);
enum attempt wait_for_operator(struct rsm_engine *eng, struct request *r, enum opreq_type type);
enum attempt try_inject(struct rsm_engine *eng, struct request *r);
void schedule(struct rsm_engine *eng);
void scheduler_timeout(struct rsm_engine *eng, void *arg);
void session_release_media(struct rsm_engine *eng, int session);

/* pool_ops.c: pools and allocation */
bool pool_allows(const struct pool *p, const struct rsm_cred *cred, enum pool_right right);
enum attempt try_allocate(struct rsm_engine *eng, struct request *r);

/* opreq.c: operator requests */
uint64_t opreq_raise(struct rsm_engine *eng, enum opreq_type type, const char *message,
		     uint64_t request, int library, int drive);
void opreq_message_for(struct rsm_engine *eng, const struct request *r, enum opreq_type type,
		       char *buf, size_t len);
/* The request an operator request was raised for has ended: the need was met (passed) or
 * is gone (the operator request is withdrawn). */
void opreq_request_ended(struct rsm_engine *eng, uint64_t number, bool passed);
/* A device is repaired: its device-service requests are complete. */
void opreq_device_repaired(struct rsm_engine *eng, int library, int drive);
struct opreq *opreq_find(struct rsm_engine *eng, uint64_t number);
void opreqs_purge(struct rsm_engine *eng);
int opreqs_load(struct rsm_engine *eng);

/* load.c: start-up */
/* The index of s in a table of state names; 0 when it is not there. */
int name_index(const char *const *names, int count, const char *s);
/* A new, empty, enabled drive d<index>: element number of library. */
void drive_init(struct drive *d, int index, int library, int number);
int engine_create_libraries(struct rsm_engine *eng, char *err, size_t errlen);
/* Reconciles with the changers and settles what the last run left in process. */
void load_settle(struct rsm_engine *eng);

/* catalog.c */
rsm_err catalog_open(struct rsm_engine *eng, char *err, size_t errlen);
void catalog_close(struct rsm_engine *eng);
rsm_err catalog_load(struct rsm_engine *eng);
rsm_err catalog_begin(struct rsm_engine *eng);
rsm_err catalog_commit(struct rsm_engine *eng);
rsm_err catalog_batch_begin(struct rsm_engine *eng);
rsm_err catalog_batch_commit(struct rsm_engine *eng);
void catalog_rollback(struct rsm_engine *eng);
rsm_err catalog_save_library(struct rsm_engine *eng, const struct library *l);
rsm_err catalog_save_drive(struct rsm_engine *eng, const struct drive *d);
rsm_err catalog_save_medium(struct rsm_engine *eng, const struct medium *m);
rsm_err catalog_save_pool(struct rsm_engine *eng, const struct pool *p);
rsm_err catalog_save_request(struct rsm_engine *eng, const struct request *r);
rsm_err catalog_delete_request(struct rsm_engine *eng, uint64_t number);
rsm_err catalog_save_session(struct rsm_engine *eng, const struct session *s);
rsm_err catalog_delete_session(struct rsm_engine *eng, const char *name);
rsm_err catalog_add_channel(struct rsm_engine *eng, const char *session, int type, int64_t *row);
rsm_err catalog_delete_channel(struct rsm_engine *eng, int64_t row);
rsm_err catalog_set_meta(struct rsm_engine *eng, const char *key, uint64_t value);
rsm_err catalog_save_opreq(struct rsm_engine *eng, const struct opreq *o);
rsm_err catalog_delete_opreq(struct rsm_engine *eng, uint64_t number);
rsm_err catalog_delete_pool(struct rsm_engine *eng, const char *name);
rsm_err catalog_save_state(struct rsm_engine *eng, struct drive *d, struct medium *m,
			   struct request *r);
rsm_err catalog_save_checked(struct rsm_engine *eng, struct drive *d, struct medium *m,
			     struct request *r);
/* The robot move under way in a real changer (element addresses), and its removal. */
rsm_err catalog_save_intent(struct rsm_engine *eng, const char *library, const char *medium,
			    int source, int destination, uint64_t request);
rsm_err catalog_clear_intent(struct rsm_engine *eng, const char *library);
/* 1 with the fields filled when library has an unsettled move, 0 when not, -1 on error. */
int catalog_load_intent(struct rsm_engine *eng, const char *library, char *medium, size_t len,
			int *source, int *destination);
rsm_err catalog_save_state_in(struct rsm_engine *eng, struct drive *d, struct medium *m,
			      struct request *r);

/* sim.c: the simulated changer: cartridge images and its own record of where every
 * cartridge physically is */
void sim_image_path(struct rsm_engine *eng, const struct medium *m, char *buf, size_t len);
int sim_create_image(struct rsm_engine *eng, const struct medium *m);
/* Writes library li's physical state (sim backend only). */
void sim_record(struct rsm_engine *eng, int li);
void sim_record_forget(struct rsm_engine *eng, int li);
/* Makes the catalog agree with what the changer holds; returns the number of corrections,
 * -1 when the changer's state cannot be read, 0 when it has none yet. */
int sim_inventory(struct rsm_engine *eng, int li);
/* A cartridge the catalog has never seen, found in library li: created in the import pool
 * (cleaner barcodes CLN... in the cleaner pool); name "" means it has no barcode. */
int medium_discover(struct rsm_engine *eng, int li, const char *barcode);

/* inventory.c: making the catalog agree with what a changer reports */
/* Where the changer says a cartridge is. */
struct place {
	enum loc_kind loc;
	int addr;      /* slot, port, or drive index */
	bool untagged; /* the changer saw a cartridge there but could not read its barcode */
};
/* Moves every medium to places[medium index] (LOC_OFFLINE: not in library li), skipping
 * media a job holds; returns the number of corrections. */
int inventory_apply(struct rsm_engine *eng, int li, const struct place *places);
/* The medium with this barcode, or NO_INDEX. */
int medium_by_barcode(struct rsm_engine *eng, const char *barcode);

/* scsi_library.c: the scsi backend's changer thread */
struct rsm_library_config;
/* Connects to library li's changer, learns its elements and drives and reconciles the
 * catalog; a changer that cannot be reached leaves the library offline (retried later). */
void scsi_library_attach(struct rsm_engine *eng, int li, const struct rsm_library_config *c);
void scsi_library_start(struct rsm_engine *eng, int li);
void scsi_library_stop(struct rsm_engine *eng, int li);
/* Hands a robot step of a job to the changer thread; it calls robot_step_done when it ends. */
void scsi_robot_step(struct rsm_engine *eng, struct job *job);
/* Applies the element report of the scan a job just made; corrections or -1. */
int scsi_inventory_apply(struct rsm_engine *eng, int li);
/* Sends the door's lock state (PREVENT/ALLOW MEDIUM REMOVAL) when the changer supports it. */
void scsi_door(struct rsm_engine *eng, int li, bool open);

/* library_ops.c */
/* Checks an administrator's library control; NULL with *e set on failure. */
struct library *control_library(struct rsm_engine *eng, const struct rsm_cred *cred,
				const char *name, rsm_err *e);
/* A device fault comes or goes: drive di of library li (NO_INDEX: the library's robot). */
void device_fault(struct rsm_engine *eng, int li, int di, bool on);

#endif
