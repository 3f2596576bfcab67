/* model.h - the engine's object model: libraries, drives, media, pools, requests, operator
 * requests, sessions and channels as the catalog has them, and the engine that holds them.
 *
 * The model is what every read is served from.  It records where the catalog believes each
 * cartridge is; where a cartridge physically is belongs to the library's backend (backend.h),
 * which reports it.  Everything here is guarded by the engine lock (runtime.h).
 */
#ifndef RSM_MODEL_H
#define RSM_MODEL_H

#include <sys/types.h>

#include "name_index.h"
#include "rsm.h"
#include "runtime.h"

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

/* Where a cartridge is.  LOC_OFFLINE is outside every library: for a standalone library, its
 * shelf. */
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
	OP_MOVE, /* a cartridge to another slot (mtx's transfer) */
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

enum opreq_type {
	OPREQ_NEWMEDIA,
	OPREQ_CLEANER,
	OPREQ_DEVICESERVICE,
	OPREQ_MOVEMEDIA,
	OPREQ_MESSAGE
};
enum opreq_state { OPREQ_SUBMITTED, OPREQ_ACTIVE, OPREQ_INPROGRESS, OPREQ_COMPLETE, OPREQ_REFUSED };

/* Names of the states and kinds above, as the tree and the catalog spell them. */
struct name_table {
	const char *const *names;
	int count;
};
extern const struct name_table drive_states, media_states, req_states, req_ops, side_states,
    opreq_types, opreq_states, loc_kinds;
/* The index of s in a table; 0 when it is not there. */
int name_lookup(const struct name_table *t, const char *s);
static inline const char *name_of(const struct name_table *t, int i)
{
	return i >= 0 && i < t->count ? t->names[i] : "";
}

/* Access to a pool, as its directory's owner and mode grant it (NTMS USE/MODIFY/CONTROL). */
enum pool_right { POOL_USE, POOL_MODIFY, POOL_CONTROL };

struct library_ops;
struct job;

struct library {
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	char type[16];	/* changer, standalone */
	bool present;	/* configured in this run */
	bool reachable; /* its changer answers */
	bool enabled;
	char backend[16], changer[256]; /* as configured, for display */
	char door[8];
	char media_type[32]; /* what its cartridges are (new ones inserted by the operator) */
	bool jammed;	     /* the robot is stuck: no move starts until it is freed */
	bool inventorying;
	int nslots, nports;
	int *slot_medium; /* medium index per slot, NO_INDEX when empty */
	int *slot_home;	  /* the medium whose home each slot is, NO_INDEX for none */
	int *port_medium;
	int ndrives;
	int *drive_index;
	double dismount_delay; /* seconds a medium may stay dismountable before it goes home */
	uint64_t moves, mounts, failures;
	uint64_t hits; /* mounts of a medium already in a drive (not in the catalog) */
	/* popularity (policy.c): mounts asked of the library, and the sum of its media's counts;
	 * the mounts the kept history held at start-up */
	uint64_t demand, demand_at_start;
	double demand_total;
	int emptying_free; /* during a pass of the scheduler: drives being emptied, unclaimed */
	double mount_secs_total, mount_secs_max;
	/* the mount-time histogram: mounts of at most rsm_mount_bucket_bounds[i] seconds and
	 * more than the bound before it (a slower one is in mounts alone) */
	uint64_t mount_buckets[RSM_MOUNT_BUCKETS];
	/* the backend that moves its cartridges, and that backend's own state */
	const struct library_ops *ops;
	void *backend_state;
	/* the robot: one step at a time (jobs.c) */
	bool robot_busy;
	struct job *robot_queue, *robot_queue_tail;
	/* a site (site.h): this host holds the library's lease (with a catalog of its own, every
	 * library is this host's), the lease's epoch, and who holds it ("" none) */
	bool managed;
	bool threads_started; /* its backend's threads run (started once, by a start or takeover) */
	bool stepped_down;    /* this host lost its lease to another: offline here for this run */
	uint64_t lease_epoch;
	double lease_deadline; /* CLOCK_MONOTONIC; 0 with no lease in play (site.c) */
	char manager[RSM_NAME_MAX + 1];
	int config; /* its section in the configuration, -1 when it has none here */
};

struct drive {
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	int library;
	int number; /* its place among the library's drives */
	enum drive_state state;
	bool enabled;
	bool failed;		   /* a device fault: nothing uses it until it is repaired */
	int medium;		   /* medium index, NO_INDEX when empty */
	int session;		   /* session slot that has it mounted, NO_INDEX when none */
	int vdrive;		   /* that session's virtual drive it is, NO_INDEX when none */
	struct job *job;	   /* the job using the drive, NULL when idle */
	uint64_t last_used;	   /* LRU stamp */
	double dismountable_since; /* when its medium became dismountable; 0: it is not */
	bool going_home;	   /* a dismount of its dismountable medium is queued */
	uint64_t mounts, cleanings, errors;
	uint64_t bytes_read, bytes_written; /* data through its tape file (tape_ops.c) */
	bool bytes_unsaved;		    /* counted since its row was last written */
	char last_cleaned[32];
	char device[256]; /* the OS device of a real drive; "" when unknown */
	/* a site: this host has no device for the drive (a mount from here never uses it), and
	 * the hosts that have one, one per line (site.c) */
	bool unreached;
	char hosts[256];
};

struct side {
	char guid[RSM_GUID_LEN + 1];
	enum side_state state;
	char owner[RSM_NAME_MAX + 1];
};

struct request;

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
	struct request *busy;  /* the request moving it, NULL when none */
	bool label_reported;   /* an operator request about its unreadable label is open */
	double demand;	       /* mounts asked of it, aged (policy.c) */
	uint64_t demand_epoch; /* its library's halving epoch that demand is counted in */
	int mounts_waiting;    /* pending mount requests of it (requests.c) */
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
	bool specific_drive;
	int vdrive; /* a mount: the session's virtual drive asked for, NO_INDEX: the lowest free */
	/* the operator request this one waits on (0 = none), and whether the operator has
	 * answered it: satisfied lets a mount take its medium from a port or shelf, a clean be
	 * recorded as done by hand, an allocation search again */
	uint64_t opreq;
	bool opreq_satisfied;
	int pool;		       /* allocate: the pool; NO_INDEX otherwise */
	char result[RSM_NAME_MAX + 8]; /* allocate: "<medium>/<side>" */
	/* its place on the engine's pending or finished list (requests.c) */
	enum request_list list;
	struct request *list_prev, *list_next;
};

struct step;

struct opreq {
	uint64_t number;
	char guid[RSM_GUID_LEN + 1];
	enum opreq_type type;
	enum opreq_state state;
	char message[256];
	uint64_t request; /* the library request it blocks, 0 = none */
	int library;	  /* the library concerned; NO_INDEX when none */
	int drive;	  /* device service: the failed drive; NO_INDEX for the robot */
	int64_t submitted, finished;
	bool by_user; /* submitted by a session (message): counts toward its owner's limit */
	uid_t uid;    /* that owner (not kept in the catalog: the limit is on what is open now) */
	/* a job step the operator carries out (a standalone drive's cartridge moved by hand):
	 * answered is told when the operator satisfies or refuses it (not kept in the catalog) */
	struct step *step;
	void (*answered)(struct rsm_engine *eng, struct step *s, rsm_err err);
};

struct session {
	bool used;
	bool remote; /* another host's (a site): listed here, used there */
	uint32_t generation;
	char name[RSM_NAME_MAX + 1];
	char guid[RSM_GUID_LEN + 1];
	char application[RSM_NAME_MAX + 1];
	uid_t uid;
	int64_t created;
	char error[320];
	uint64_t last_request;
	char host[RSM_NAME_MAX + 1]; /* the host it lives on */
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
	uid_t uid; /* who opened it: its session's owner */
	int type;
	int64_t row; /* catalog row id */
	/* pending lines, oldest at head: grows by doubling up to RSM_MAX_PENDING_EVENTS, so a
	 * channel nobody writes to costs no ring at all (notify.c) */
	struct event_line **ring;
	size_t cap, head, count;
	size_t head_off; /* bytes of the head line already read */
	bool overflow;
	uint64_t overflow_seq;
	bool ended;
	bool closed;
	rsm_ready_fn ready;
	void *ready_ctx;
};

struct catalog;
struct site;

struct rsm_engine {
	struct runtime rt;
	bool stopping;		/* rsm_engine_stop called */
	bool scheduling;	/* start-up is over: the settle runs the scheduler */
	bool give_back_pending; /* memory.c: a release of free pages is due */
	struct rsm_config cfg;
	struct catalog *catalog;
	struct site *site; /* several hosts on one catalog (site.h); NULL with SQLite */
	bool loading;	   /* the model is being read: no event for what it finds */

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
	struct request_queue pending, finished; /* requests.c */
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
	uint64_t published_seq; /* event_seq, stored atomically for rsm_event_count */
	uint64_t scheduled_seq; /* event_seq when the scheduler last ran to rest */
	double dismount_due;	/* when the next dismountable medium is due home; 0: none */
	uint64_t lru_clock;
	struct job *jobs; /* in flight */
	rsm_observer_fn observer;
	void *observer_ctx;
	/* the front end's gate (rsm_set_hold): channels deliver events up to visible_seq; while
	 * held_seq (the newest held event) is not 0, newer events wait for its release */
	rsm_hold_fn hold;
	void *hold_ctx;
	uint64_t visible_seq, held_seq;
	struct rsm_commit_metrics commits; /* since the start (catalog.c) */
};

static inline void engine_lock(struct rsm_engine *eng)
{
	rt_lock(&eng->rt);
}

static inline void engine_unlock(struct rsm_engine *eng)
{
	rt_unlock(&eng->rt);
}

/* Names of objects (rsmfs(5), "Names"): letters, digits, '.', '_', '-'; 1-64 characters; not
 * starting with '.'. */
bool valid_name(const char *name);

/* Grows an array of elements of size sz by one, zeroed; returns the new element or NULL. */
void *array_grow(void **array, int *count, size_t sz);

/* Makes room for one more request or operator request at the end of its array (numbers only
 * grow, so the arrays stay sorted); -1 when out of memory. */
int request_array_reserve(struct rsm_engine *eng);
int opreq_array_reserve(struct rsm_engine *eng);

/* ---- lookups (model.c) ---- */
int library_find(struct rsm_engine *eng, const char *name);
int drive_find(struct rsm_engine *eng, const char *name);
int medium_find(struct rsm_engine *eng, const char *name);
/* The first medium with that barcode, or NO_INDEX. */
int medium_by_barcode(struct rsm_engine *eng, const char *barcode);
int pool_find(struct rsm_engine *eng, const char *name);
struct request *request_find(struct rsm_engine *eng, uint64_t number);
struct opreq *opreq_find(struct rsm_engine *eng, uint64_t number);
/* A library's drive number n (its place among the library's drives), or NULL. */
struct drive *library_drive(struct rsm_engine *eng, int li, int n);
bool library_standalone(const struct library *l);
/* A mount passed after secs seconds (0: a medium taken where it was, in its drive): the
 * library's mount count, mean, max and histogram. */
void library_count_mount(struct library *l, double secs);
/* The mount-time histogram as a catalog keeps it, "<bound>:<mounts>" pairs (so that a later
 * version with other bounds keeps the counts of the bounds it shares), and back. */
void library_buckets_text(const struct library *l, char *buf, size_t len);
void library_buckets_parse(struct library *l, const char *text);

/* ---- sessions and access ---- */
struct session *session_get(struct rsm_engine *eng, rsm_handle h, rsm_err *err);
/* A session the caller may act through: its owner or an administrator (admin_only: an
 * administrator).  NULL with *err set otherwise. */
struct session *session_for(struct rsm_engine *eng, rsm_handle h, const struct rsm_cred *cred,
			    bool admin_only, rsm_err *err);
rsm_handle session_handle(struct rsm_engine *eng, int slot);
/* An administrator's call, with a session handle or none (0) for a control file: the
 * session's slot (NO_INDEX for none).  false with *e set when neither will do. */
bool admin_caller(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  int *slot, rsm_err *e);
/* The library an administrator controls; NULL with *e set otherwise. */
struct library *control_library(struct rsm_engine *eng, const struct rsm_cred *cred,
				const char *name, rsm_err *e);
bool pool_allows(const struct pool *p, const struct rsm_cred *cred, enum pool_right right);

/* Removes pool pi from the model, the indices past it shifted (its media and requests must be
 * elsewhere). */
void pool_remove(struct rsm_engine *eng, int pi);

/* After objects went (channels closed): free pages go back to the system a moment later,
 * outside the lock (memory.c). */
void memory_give_back_soon(struct rsm_engine *eng);

/* What a user (not an administrator) may only have so many of at once (rsmfs(5), LIMITS). */
enum user_limit { LIMIT_SESSIONS, LIMIT_CHANNELS, LIMIT_REQUESTS, LIMIT_OPREQS };
/* RSM_ERROR_USER_LIMIT when cred already has as many as its limit allows, else
 * ERROR_SUCCESS. */
rsm_err user_limit_check(const struct rsm_engine *eng, const struct rsm_cred *cred,
			 enum user_limit what);

/* ---- states ---- */
void medium_location_text(struct rsm_engine *eng, const struct medium *m, char *buf, size_t len);
/* A medium's state as its location says, once no job holds it. */
void settle_medium_state(struct rsm_engine *eng, struct medium *m);
/* A drive's state as its contents say, once no job holds it. */
void settle_drive_state(struct drive *d);
bool drive_usable(const struct drive *d);
/* The first empty place (slot or port) in an occupancy table, or -1. */
int first_free(const int *occupant, int count);
/* The first empty slot that is no medium's home, else the first empty one; -1 when none. */
int free_slot(const struct library *l);
/* The slot a cartridge going home is put in: its home slot, or free_slot(); -1. */
int home_slot_for(struct rsm_engine *eng, int mi);
/* Makes slot (-1: none) medium mi's home, and nobody else's: returns the medium that had it
 * (whose home is none from now on: it gets a new one when it next goes home), or NO_INDEX. */
int medium_set_home(struct rsm_engine *eng, int mi, int slot);
/* ---- snapshots (info.c) ---- */
/* Copies library l's record for the front end (the engine lock held). */
void library_info_fill(const struct library *l, struct rsm_library_info *out);
/* Copies text into a snapshot's field, cut to fit. */
void text_copy(char *dst, size_t len, const char *src);

/* Gives drive d to session (NO_INDEX: to none, dismountable), as that session's virtual drive
 * vdrive (NO_INDEX: the lowest the session has free). */
void drive_hold(struct rsm_engine *eng, struct drive *d, int session, int vdrive);
/* A new, empty, enabled drive d<index>: drive number `number` of library. */
void drive_init(struct drive *d, int index, int library, int number);

#endif
