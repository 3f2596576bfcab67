/* rsm.h - the rsmfs engine: an RSM (NTMS) style C API with no FUSE in it.
 *
 * Handles (sessions, notification channels) are validated values: a slot index and a
 * generation packed in 64 bits.  0 is the NULL handle.  A handle whose slot was reused or
 * never existed is ERROR_INVALID_HANDLE; it is never dereferenced as a pointer.
 *
 * Every call returns an rsm_err (Win32 numbering).  Long operations (mount) take a completion
 * callback and return ERROR_IO_PENDING; the callback runs on an engine thread with no engine
 * lock held, so it may call back into the engine.
 */
#ifndef RSM_H
#define RSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rsm_error.h"

#define RSM_NAME_MAX 64
#define RSM_GUID_LEN 36
#define RSM_MAX_PENDING_EVENTS 4096
#define RSM_WAIT_INFINITE (-1)

typedef uint64_t rsm_handle;
struct rsm_engine;

/* Who is calling: the engine checks ownership and administrator rights with it. */
struct rsm_cred {
	uid_t uid;
	gid_t gid;
	bool admin;
};

/* One configured library (the [library <name>] section of rsmfs.conf). */
struct rsm_library_config {
	char name[RSM_NAME_MAX + 1];
	char type[16];	  /* "changer" (a robot and slots) or "standalone" (one drive, a shelf) */
	char backend[16]; /* "sim" or "scsi" */
	char changer[256];
	int drives, slots, ports, media;
	char media_type[32];
	double move_time, load_time, unload_time; /* seconds */
	/* seconds a deferred-dismounted medium may stay in its drive before it is put back home;
	 * negative: not configured (what the catalog has; 300 for a new library) */
	double dismount_delay;
	uint64_t capacity; /* sim: bytes of records a cartridge holds; 0: the media type's */
	/* scsi: OS devices of the drives, one "<n> <device>" line per configured drive.<n>; in a
	 * site, the drives this host reaches (a sim drive's device is "tape", its tape file) */
	char drive_devices[2048];
	/* a site (rsmfs.conf(5), SEVERAL HOSTS): whether this host may take the library's lease
	 * and manage it (manage = no: it only uses it) */
	bool manage;
};

struct rsm_config {
	char database[4096]; /* catalog file */
	/* the site catalog: a PostgreSQL connection URI (libpq); "" for the SQLite file above */
	char catalog[1024];
	char host[RSM_NAME_MAX + 1]; /* this daemon's name in its site */
	double lease_time;	     /* seconds a manager's lease lasts unrenewed (a site) */
	char data_dir[4096]; /* cartridge images live in <data_dir>/images */
	/* The default location is created on first use; a configured one must exist, so a typo
	 * in rsmfs.conf cannot start an empty catalog somewhere unexpected. */
	bool create_data_dir;
	char admin_group[64]; /* informational; the front end resolves it */
	int64_t request_retention_s;
	int request_keep_max;
	int busy_timeout_ms;	   /* how long a catalog write waits for a lock */
	/* per-user limits (administrators are exempt; 0: none): open sessions, open channels,
	 * pending requests, open operator requests submitted by message (rsmfs(5), LIMITS) */
	int max_sessions_per_user, max_channels_per_user, max_requests_per_user,
	    max_opreqs_per_user;
	int64_t database_max_size; /* bytes, 0 = unlimited */
	/* synchronous = normal: a commit reaches the disk at the next checkpoint, so a power loss
	 * may take back the last changes acknowledged (a daemon crash does not); full (false):
	 * each commit is on the disk before it is acknowledged (rsmfs.conf(5)) */
	bool synchronous_normal;
	/* A tool's engine (bench/replay): no worker thread; the tool fires the timers itself
	 * with rsm_run_timers, on the clock it gave rsm_set_clock. */
	bool manual_timers;
	int nlibraries;
	struct rsm_library_config libraries[32];
};

/* A library section's defaults (rsmfs.conf(5)): a simulated changer with 2 drives, 16 slots,
 * 1 port and 12 LTO-6 cartridges, moves of 1 s and loads of 2 s. */
void rsm_library_config_default(struct rsm_library_config *l, const char *name);
/* Fills cfg with the built-in default: one such library, vtl0. */
void rsm_config_default(struct rsm_config *cfg);

/* Opens the catalog, creates or loads the configured libraries and starts the engine threads.
 * On failure returns NULL and writes a message into err. */
struct rsm_engine *rsm_engine_open(const struct rsm_config *cfg, char *err, size_t errlen);

/* The service goes away: every waiter is answered (ERROR_NOT_CONNECTED, channels end) and every
 * later call returns ERROR_NOT_CONNECTED (CloseNtmsSession: ERROR_CONNECTION_UNAVAIL). */
void rsm_engine_stop(struct rsm_engine *eng);

/* Stops (if needed) and frees everything. */
void rsm_engine_close(struct rsm_engine *eng);

/* For tools that replay work on a virtual clock: now() replaces CLOCK_MONOTONIC for every
 * engine of the process (NULL puts it back).  Call before rsm_engine_open. */
void rsm_set_clock(double (*now)(void));
/* With manual_timers: fires every timer due by the clock, and returns when the next one is
 * due (a negative value when none is set). */
double rsm_run_timers(struct rsm_engine *eng);

/* ---- the log (rsmfs(8), LOGGING) ---- */

/* How much a line matters; syslog's priorities of the same names. */
enum rsm_log_level {
	RSM_LOG_ERROR,	 /* a device or catalog fault */
	RSM_LOG_WARNING, /* a failed request, an operator request raised, a correction */
	RSM_LOG_NOTICE,	 /* a finished request, an operator request answered, a repair */
	RSM_LOG_INFO,	 /* what a changer says it is, at start-up */
	RSM_LOG_DEBUG,	 /* every other state of a request: queued, waiting, in process */
};

/* Receives one line (no newline, no program name).  Never called with an engine lock held: a
 * line the engine writes under its lock waits for the lock's release, like a completion. */
typedef void (*rsm_log_fn)(void *ctx, enum rsm_log_level level, const char *line);
/* Where every engine of the process writes its lines, and the least important level written
 * (lines past it are not even formatted).  Call before rsm_engine_open.  NULL writes errors
 * and warnings to stderr, as "rsmfs: <line>". */
void rsm_set_log(rsm_log_fn fn, void *ctx, enum rsm_log_level max);

/* ---- sessions (OpenNtmsSession / CloseNtmsSession) ---- */

rsm_err rsm_session_open(struct rsm_engine *eng, const char *name, const char *application,
			 const struct rsm_cred *cred, rsm_handle *out);
rsm_err rsm_session_close(struct rsm_engine *eng, rsm_handle session);
/* Finds an open session by name. */
rsm_err rsm_session_find(struct rsm_engine *eng, const char *name, rsm_handle *out);
/* Records the last failure of a command in this session (its `error` file). */
void rsm_session_set_error(struct rsm_engine *eng, rsm_handle session, const char *text);

/* ---- media services ---- */

enum rsm_mount_options {
	RSM_MOUNT_READ = 0x01,
	RSM_MOUNT_WRITE = 0x02,
	RSM_MOUNT_ERROR_NOT_AVAILABLE = 0x04,
	RSM_MOUNT_ERROR_OFFLINE = 0x08,
	RSM_MOUNT_SPECIFIC_DRIVE = 0x10,
	RSM_MOUNT_NOWAIT = 0x20,
	RSM_MOUNT_VDRIVE = 0x40, /* vdrive names the session's virtual drive */
};

enum rsm_dismount_options {
	RSM_DISMOUNT_DEFERRED = 0x1,
	RSM_DISMOUNT_IMMEDIATE = 0x2,
};

struct rsm_mount_args {
	const char *medium; /* medium name (barcode) */
	int side;	    /* side number, 0 for tapes */
	const char *drive;  /* with RSM_MOUNT_SPECIFIC_DRIVE */
	int vdrive;	    /* with RSM_MOUNT_VDRIVE: the session's virtual drive it is for;
			     * without, the lowest one the session has free */
	unsigned options;
	int priority;	    /* -15..15 */
	int64_t timeout_ms; /* RSM_WAIT_INFINITE or >= 0 */
};

/* Completion of an asynchronous call.  drive is the drive used (mount), or NULL. */
typedef void (*rsm_done_fn)(void *ctx, rsm_err err, uint64_t request, const char *drive);

/* MountNtmsMedia.  Returns ERROR_IO_PENDING when done() will be called later (the request
 * number is in *request); with RSM_MOUNT_NOWAIT returns ERROR_SUCCESS once queued; any other
 * value is the final outcome and done() is not called. */
rsm_err rsm_mount(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  const struct rsm_mount_args *args, rsm_done_fn done, void *ctx,
		  uint64_t *request);

/* The caller of a pending mount gave up (its write was interrupted): the request is cancelled
 * if it has not started.  Returns true when done() was still pending and now never runs;
 * false when it already ran or is running. */
bool rsm_mount_abandon(struct rsm_engine *eng, uint64_t request);

/* DismountNtmsMedia: returns once the dismount is queued. */
rsm_err rsm_dismount(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		     const char *medium, unsigned options, uint64_t *request);

/* CancelNtmsLibraryRequest (administrators): a request that has not started is cancelled;
 * one in process is ERROR_ACCESS_DENIED, a finished or unknown one ERROR_OBJECT_NOT_FOUND. */
rsm_err rsm_request_cancel(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t request);

/* ---- media pools and allocation ---- */

/* CreateNtmsMediaPool: an application pool owned by the caller with the given mode. */
rsm_err rsm_pool_create(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name,
			mode_t mode);
/* DeleteNtmsMediaPool: only an empty application pool (ERROR_NOT_EMPTY otherwise). */
rsm_err rsm_pool_delete(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name);
/* Changes a pool's owner, group and mode (chown/chmod); -1 leaves a value as it is. */
rsm_err rsm_pool_set_access(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name,
			    int64_t uid, int64_t gid, int64_t mode);
/* Sets a pool's allocation (draw from free) and deallocation (return to free) policy; -1
 * leaves a value as it is. */
rsm_err rsm_pool_set_policy(struct rsm_engine *eng, const struct rsm_cred *cred, const char *name,
			    int draw, int ret);
/* MoveToNtmsMediaPool. */
rsm_err rsm_media_move_pool(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium,
			    const char *pool);
/* DecommissionNtmsMedia (every side available -> decommissioned) and SetNtmsMediaComplete
 * (allocated sides -> complete). */
rsm_err rsm_media_decommission(struct rsm_engine *eng, const struct rsm_cred *cred,
			       const char *medium);
rsm_err rsm_media_complete(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium);

enum rsm_allocate_options {
	RSM_ALLOCATE_NEW = 0x1, /* a medium no other side of which is allocated; reserves them */
};

/* AllocateNtmsMedia.  Takes an available side of the pool, or draws a scratch medium from
 * free when the pool's draw policy allows.  When none is there it raises a new-media operator
 * request and waits up to timeout_ms (RSM_WAIT_INFINITE: no limit; 0: ERROR_MEDIA_UNAVAILABLE
 * at once).  Returns ERROR_SUCCESS with "<medium>/<side>" in result, or ERROR_IO_PENDING and
 * done() later gets that text as its drive argument. */
rsm_err rsm_allocate(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		     const char *pool, unsigned options, int64_t timeout_ms, rsm_done_fn done,
		     void *ctx, uint64_t *request, char result[RSM_NAME_MAX + 8]);
/* DeallocateNtmsMedia: the side is available again; to free when the pool's return policy
 * says so. */
rsm_err rsm_deallocate(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		       const char *medium, int side);

/* ---- library, drive and media control (administrators) ---- */

/* EnableNtmsObject / DisableNtmsObject: each is a library request (requests/<n>), finished
 * when it is listed; request may be NULL. */
rsm_err rsm_drive_enable(struct rsm_engine *eng, const struct rsm_cred *cred, const char *drive,
			 bool enabled, uint64_t *request);
rsm_err rsm_media_enable(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium,
			 bool enabled, uint64_t *request);
rsm_err rsm_library_enable(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
			   bool enabled, uint64_t *request);
/* CleanNtmsDrive: a cleaner from the cleaner pool; none there raises an operator request. */
rsm_err rsm_drive_clean(struct rsm_engine *eng, const struct rsm_cred *cred, const char *drive,
			uint64_t *request);
/* InventoryNtmsLibrary: full walks every element, fast reads barcodes only. */
rsm_err rsm_library_inventory(struct rsm_engine *eng, const struct rsm_cred *cred,
			      const char *library, bool full, uint64_t *request);
/* AccessNtmsLibraryDoor: unlocks the door once the robot is idle. */
rsm_err rsm_library_door_open(struct rsm_engine *eng, const struct rsm_cred *cred,
			      const char *library, uint64_t *request);
/* RSM's deferred dismount delay (dwDeferDismountDelay) of a library, in seconds:
 * administrators; 0 .. one year. */
rsm_err rsm_library_set_dismount_delay(struct rsm_engine *eng, const struct rsm_cred *cred,
				       const char *library, double seconds);
/* The operator closed the door. */
rsm_err rsm_library_door_close(struct rsm_engine *eng, const struct rsm_cred *cred,
			       const char *library);

/* EjectNtmsMedia: queues a move of the medium to an import/export port (port -1: the first
 * empty one).  The medium is then in-port until the operator takes it (rsm_sim_remove).
 * session 0: an administrator's control file, no session. */
rsm_err rsm_eject(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		  const char *medium, int port, uint64_t *request);
/* A cartridge at rest in a slot to another, empty slot of its library (mtx's transfer),
 * which becomes its home: administrators; a request ("move"). */
rsm_err rsm_move_medium(struct rsm_engine *eng, const struct rsm_cred *cred, const char *medium,
			int slot, uint64_t *request);
/* InjectNtmsMedia: queues moves of whatever is in the ports (port -1: all) to free slots. */
rsm_err rsm_inject(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
		   const char *library, int port, uint64_t *request);
/* A cartridge added to a library by an administrator: created outside it (for a standalone
 * library, on its shelf), in pool free with its side available. */
rsm_err rsm_library_add_medium(struct rsm_engine *eng, const struct rsm_cred *cred,
			       const char *library, const char *barcode);
/* The sim operator's hands: take the cartridge out of a port (it becomes offline), or put a
 * cartridge into a port (port -1: the first empty one; RSM_SIM_DRIVE: a standalone library's
 * drive, which answers the operator request waiting for it). */
#define RSM_SIM_DRIVE (-2)
rsm_err rsm_sim_remove(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       int port);
rsm_err rsm_sim_insert(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       const char *barcode, int port);
/* Fault injection: a drive fails (or is repaired), the robot jams (or is freed), new timings
 * (negative: unchanged).  A failure raises a device-service operator request; a repair
 * completes it and lets queued work go on. */
rsm_err rsm_sim_drive_fault(struct rsm_engine *eng, const struct rsm_cred *cred,
			    const char *library, const char *drive, bool failed);
/* The cartridge medium vanishes from its slot behind the catalog's back (taken by hand), or
 * (unreadable) its barcode label can no longer be read, or (readable) can again. */
enum rsm_sim_medium_fault { RSM_SIM_LOSE, RSM_SIM_UNREADABLE, RSM_SIM_READABLE };
rsm_err rsm_sim_medium_fault(struct rsm_engine *eng, const struct rsm_cred *cred,
			     const char *library, const char *medium,
			     enum rsm_sim_medium_fault fault);
rsm_err rsm_sim_jam(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		    bool jammed);
rsm_err rsm_sim_timing(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       double move, double load, double unload);

/* ---- a simulated drive's tape (rsmfs(5), TAPE FILES) ---- */

/* A simulated drive is a non-rewinding tape drive holding its cartridge: records (one write is
 * one record, up to RSM_TAPE_RECORD_MAX bytes) and filemarks kept in the cartridge's image.
 * The calls are keyed by drive name; a real drive's are ERROR_NOT_SUPPORTED.  token is what
 * rsm_tape_open gave: once the cartridge it was opened on has left the drive, I/O through it
 * fails with ERROR_NO_MEDIA_IN_DRIVE. */
#define RSM_TAPE_RECORD_MAX (1u << 20)

enum rsm_tape_open_flags {
	RSM_TAPE_WRITE = 0x1,	 /* opened for writing: refused on a write-protected cartridge */
	RSM_TAPE_NONBLOCK = 0x2, /* an empty drive opens (for its status) */
};

/* The st operations (MTIOCTOP); count as st takes it. */
enum rsm_tape_op {
	RSM_TAPE_REWIND,
	RSM_TAPE_FSF,	  /* forward over count filemarks, after the last */
	RSM_TAPE_BSF,	  /* backward over count filemarks, before the last */
	RSM_TAPE_FSFM,	  /* forward over count filemarks, before the last */
	RSM_TAPE_BSFM,	  /* backward over count filemarks, after the last */
	RSM_TAPE_FSR,	  /* forward over count records */
	RSM_TAPE_BSR,	  /* backward over count records */
	RSM_TAPE_WEOF,	  /* count filemarks at the position */
	RSM_TAPE_EOM,	  /* to the end of data */
	RSM_TAPE_OFFLINE, /* rewinds; not ready until RSM_TAPE_LOAD */
	RSM_TAPE_LOAD,
	RSM_TAPE_SEEK,	 /* to logical object count (records and filemarks from BOT) */
	RSM_TAPE_SETBLK, /* fixed records of count bytes; 0: variable */
	RSM_TAPE_NOP,	 /* accepted, nothing to do: lock, unlock, drive buffer options */
	RSM_TAPE_NOPS
};

struct rsm_tape_status {
	bool loaded; /* a cartridge is in the drive and ready */
	bool bot, eof, eod, eot, wr_prot;
	int32_t file, block; /* -1 when empty */
	uint64_t position;   /* logical object number (MTIOCPOS) */
	uint32_t block_size; /* 0: variable */
	uint8_t density;     /* SCSI density code of the media type */
};

rsm_err rsm_tape_open(struct rsm_engine *eng, const char *drive, unsigned flags, uint64_t *token);
/* One record into buf (*got 0: a filemark, or the end of data the first time). */
rsm_err rsm_tape_read(struct rsm_engine *eng, const char *drive, uint64_t token, void *buf,
		      size_t size, size_t *got);
rsm_err rsm_tape_write(struct rsm_engine *eng, const char *drive, uint64_t token, const void *buf,
		       size_t size);
rsm_err rsm_tape_op(struct rsm_engine *eng, const char *drive, uint64_t token, enum rsm_tape_op op,
		    int32_t count);
rsm_err rsm_tape_status(struct rsm_engine *eng, const char *drive, struct rsm_tape_status *out);
/* The file is closed: the filemark owed after writing is written. */
rsm_err rsm_tape_flush(struct rsm_engine *eng, const char *drive, uint64_t token);

/* ---- operator requests ---- */

/* SubmitNtmsOperatorRequest (a message for the operator). */
rsm_err rsm_opreq_submit(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
			 const char *message, uint64_t *number);
/* SatisfyNtmsOperatorRequest / CancelNtmsOperatorRequest (administrators). */
rsm_err rsm_opreq_satisfy(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t number);
rsm_err rsm_opreq_cancel(struct rsm_engine *eng, const struct rsm_cred *cred, uint64_t number);

struct rsm_opreq_info {
	uint64_t number, request;
	char guid[RSM_GUID_LEN + 1], type[16], state[16], message[256];
	char submitted[32], finished[32];
};
rsm_err rsm_opreq_info(struct rsm_engine *eng, uint64_t number, struct rsm_opreq_info *out);

/* ---- notification channels (Open/WaitFor/CloseNtmsNotification) ---- */

enum rsm_object_type {
	RSM_OBJ_LIBRARY,
	RSM_OBJ_DRIVE,
	RSM_OBJ_MEDIA,
	RSM_OBJ_SIDE,
	RSM_OBJ_POOL,
	RSM_OBJ_SLOT,
	RSM_OBJ_PORT,
	RSM_OBJ_DOOR,
	RSM_OBJ_REQUEST,
	RSM_OBJ_OPREQ,
	RSM_OBJ_SESSION,
	RSM_OBJ_ALL,
	RSM_OBJ_COUNT
};

enum rsm_event_op {
	RSM_EV_UPDATE = 1, /* NTMS_OBJ_UPDATE */
	RSM_EV_INSERT = 2,
	RSM_EV_DELETE = 3,
	RSM_EV_SIGNAL = 4,
	RSM_EV_COMPLETE = 5,
};

const char *rsm_object_type_name(enum rsm_object_type type);
int rsm_object_type_from_name(const char *name); /* -1 when unknown */

/* One delivered event.  line is "<seq> <op> <type> <path> <guid>\n". */
struct rsm_event {
	uint64_t seq;
	enum rsm_event_op op;
	enum rsm_object_type type;
	char path[2 * RSM_NAME_MAX + 32];
	char guid[RSM_GUID_LEN + 1];
};

rsm_err rsm_notify_open(struct rsm_engine *eng, rsm_handle session, const struct rsm_cred *cred,
			int type, rsm_handle *out);
rsm_err rsm_notify_close(struct rsm_engine *eng, rsm_handle channel);
/* Records the channel's end in the catalog ahead of rsm_notify_close (a close(2) of a channel
 * opened with O_SYNC: CloseNtmsNotification's ERROR_DATABASE_FAILURE reaches the caller).  The
 * channel goes on delivering until it is closed. */
rsm_err rsm_notify_record_end(struct rsm_engine *eng, rsm_handle channel);

/* Copies queued event lines into buf, whole lines while they fit; a line longer than what is
 * left of a short buffer is cut and its rest comes first on the next call.  *used is 0 when
 * nothing is queued; *ended tells that the channel's session is gone and nothing is left. */
rsm_err rsm_notify_read(struct rsm_engine *eng, rsm_handle channel, char *buf, size_t size,
			size_t *used, bool *ended);

/* Arms a one-shot readiness callback: ready(ctx) runs (engine thread, no lock held) once an
 * event is queued or the channel ends.  Returns ERROR_SUCCESS with *ready_now set when there is
 * already something to read (the callback is then not armed). */
typedef void (*rsm_ready_fn)(void *ctx);
rsm_err rsm_notify_arm(struct rsm_engine *eng, rsm_handle channel, rsm_ready_fn ready, void *ctx,
		       bool *ready_now);
/* Disarms a readiness callback (an interrupted read).  Returns true when it was armed and now
 * never runs; false when it already ran or is running. */
bool rsm_notify_disarm(struct rsm_engine *eng, rsm_handle channel);
/* True when an event is queued or the channel ended (poll). */
bool rsm_notify_readable(struct rsm_engine *eng, rsm_handle channel);

/* An observer sees every event after it is committed (the front end's inotify/poll replay). */
typedef void (*rsm_observer_fn)(void *ctx, const struct rsm_event *ev);
void rsm_set_observer(struct rsm_engine *eng, rsm_observer_fn fn, void *ctx);

/* A gate between an event and the channels' readers: hold(ctx, ev) runs under the engine lock
 * as each event is published, and returns true when something must be done before anyone may
 * read it (the front end: attributes the kernel keeps must be dropped first).  From a held
 * event on, channels deliver nothing newer until rsm_notify_release(eng, seq) with that event's
 * seq: events stay in order, and a held event is never seen early. */
typedef bool (*rsm_hold_fn)(void *ctx, const struct rsm_event *ev);
void rsm_set_hold(struct rsm_engine *eng, rsm_hold_fn fn, void *ctx);
/* Lets the channels deliver every event up to seq (a held one's), waking their readers. */
void rsm_notify_release(struct rsm_engine *eng, uint64_t seq);
/* How many events have been published, without the engine lock: every change is published as
 * an event in the lock hold that makes it, so a value rendered after this count was taken is
 * still current while the count has not moved. */
uint64_t rsm_event_count(struct rsm_engine *eng);

/* ---- information (GetNtmsObjectInformation): snapshots copied under the engine lock ---- */

enum rsm_kind {
	RSM_KIND_LIBRARY,
	RSM_KIND_DRIVE,
	RSM_KIND_MEDIUM,
	RSM_KIND_POOL,
	RSM_KIND_REQUEST,
	RSM_KIND_SESSION,
	RSM_KIND_SIDE,
	RSM_KIND_OPREQ,
};

/* Names of every object of a kind, in display order; for RSM_KIND_REQUEST decimal numbers.
 * filter narrows the list: a session name for requests of one session, a library for drives,
 * a pool for media, a medium for its sides, NULL for all.  Free with rsm_names_free. */
struct rsm_names {
	size_t count;
	char **names;
};
rsm_err rsm_list(struct rsm_engine *eng, enum rsm_kind kind, const char *filter,
		 struct rsm_names *out);
void rsm_names_free(struct rsm_names *names);

/* The upper bounds, in seconds, of the buckets of a library's mount-time histogram (rsmfs(5),
 * metrics): from a medium taken in its drive (no move) to a robot that takes minutes.  A mount
 * slower than the last bound is counted in the mounts alone (the +Inf bucket). */
#define RSM_MOUNT_BUCKETS 11
extern const double rsm_mount_bucket_bounds[RSM_MOUNT_BUCKETS];

struct rsm_library_info {
	char name[RSM_NAME_MAX + 1], guid[RSM_GUID_LEN + 1];
	char type[16], state[16], backend[16], changer[256], door[8];
	char manager[RSM_NAME_MAX + 1]; /* the host that manages it ("" none: a site's, passed) */
	int nslots, nports, ndrives;
	uint64_t moves, mounts, failures;
	uint64_t hits; /* mounts served by a medium already in a drive, since start */
	double dismount_delay;
	double mount_secs_mean, mount_secs_max, mount_secs_sum;
	/* mounts of at most rsm_mount_bucket_bounds[i] seconds, and more than the bound before */
	uint64_t mount_buckets[RSM_MOUNT_BUCKETS];
};

struct rsm_drive_info {
	char name[RSM_NAME_MAX + 1], guid[RSM_GUID_LEN + 1], library[RSM_NAME_MAX + 1];
	char state[16], medium[RSM_NAME_MAX + 1], session[RSM_NAME_MAX + 1];
	char device[4096];
	int vdrive;	     /* the holding session's virtual drive, -1 when no session holds it */
	bool tape;	     /* its I/O is the engine's (rsm_tape_*): a simulated drive */
	int64_t session_uid; /* the uid of the session that has its medium mounted, -1 */
	uint64_t mounts, cleanings, errors;
	uint64_t bytes_read, bytes_written; /* data records through its tape file (rsm_tape_*) */
	char last_cleaned[32];
	char hosts[256]; /* the hosts with a device for it, one per line (a site's; else this one) */
};

struct rsm_side_info {
	char guid[RSM_GUID_LEN + 1], state[16], owner[RSM_NAME_MAX + 1];
};

struct rsm_medium_info {
	char name[RSM_NAME_MAX + 1], guid[RSM_GUID_LEN + 1], barcode[RSM_NAME_MAX + 1];
	char type[32], state[16], location[96], library[RSM_NAME_MAX + 1], pool[RSM_NAME_MAX + 1];
	char drive[RSM_NAME_MAX + 1]; /* drive holding it, "" when none */
	int home;		      /* its home slot's address, -1 for none */
	int nsides;
	struct rsm_side_info sides[2];
};

struct rsm_pool_info {
	char name[RSM_NAME_MAX + 1], guid[RSM_GUID_LEN + 1], type[16], media_type[32];
	bool draw, ret;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

struct rsm_request_info {
	uint64_t number;
	char guid[RSM_GUID_LEN + 1], operation[16], state[16];
	char session[RSM_NAME_MAX + 1], medium[RSM_NAME_MAX + 1], drive[RSM_NAME_MAX + 1];
	char library[RSM_NAME_MAX + 1];
	int priority;
	char submitted[32], started[32], finished[32];
	rsm_err error;
	char error_detail[160];
};

struct rsm_session_info {
	char name[RSM_NAME_MAX + 1], guid[RSM_GUID_LEN + 1], application[RSM_NAME_MAX + 1];
	uid_t uid;
	char created[32];
	char host[RSM_NAME_MAX + 1]; /* the host it lives on (rsmfs.conf(5), host) */
	bool remote; /* another host's (a site): listed and read here, used there (EREMOTE) */
	char error[320];
	uint64_t last_request; /* 0 when none */
};

/* A host of a site on PostgreSQL (rsmfs(5), hosts/), as this host last read it. */
struct rsm_host_info {
	char name[RSM_NAME_MAX + 1];
	char state[8];	/* up, down */
	char since[32]; /* ISO 8601 UTC */
	char manages[1024]; /* the libraries whose lease it holds, one per line */
};
/* Whether the engine is a host of a site (hosts/ exists). */
bool rsm_is_site(struct rsm_engine *eng);
/* The site's hosts by name; ERROR_OBJECT_NOT_FOUND for a name that is none. */
rsm_err rsm_host_list(struct rsm_engine *eng, struct rsm_names *out);
rsm_err rsm_host_info(struct rsm_engine *eng, const char *name, struct rsm_host_info *out);

rsm_err rsm_library_info(struct rsm_engine *eng, const char *name, struct rsm_library_info *out);
rsm_err rsm_drive_info(struct rsm_engine *eng, const char *name, struct rsm_drive_info *out);
rsm_err rsm_medium_info(struct rsm_engine *eng, const char *name, struct rsm_medium_info *out);
rsm_err rsm_pool_info(struct rsm_engine *eng, const char *name, struct rsm_pool_info *out);
rsm_err rsm_request_info(struct rsm_engine *eng, uint64_t number, struct rsm_request_info *out);
/* Whether request number was made by the open session called session. */
bool rsm_session_has_request(struct rsm_engine *eng, const char *session, uint64_t number);
rsm_err rsm_session_info(struct rsm_engine *eng, const char *name, struct rsm_session_info *out);

/* One line per slot (ports: is_port) "<address> <full|empty> <medium or ->\n", and for an
 * empty slot that is a medium's home "<address> empty - <medium>\n"; malloc'd. */
char *rsm_library_slots_text(struct rsm_engine *eng, const char *library, bool is_port);
/* ---- the metrics file and the library map (rsmfs(5), metrics, libraries/lib/map) ---- */

/* The states of a drive and of a library request, in the order of the counts below. */
#define RSM_DRIVE_NSTATES 8
#define RSM_REQUEST_NSTATES 8
extern const char *const rsm_drive_state_names[RSM_DRIVE_NSTATES];
extern const char *const rsm_request_state_names[RSM_REQUEST_NSTATES];

struct rsm_library_metrics {
	struct rsm_library_info info;
	uint64_t drives[RSM_DRIVE_NSTATES];	/* its drives in each state */
	uint64_t requests[RSM_REQUEST_NSTATES]; /* its requests still listed, in each state */
};

struct rsm_drive_metrics {
	char name[RSM_NAME_MAX + 1], library[RSM_NAME_MAX + 1];
	int state; /* an index into rsm_drive_state_names */
	uint64_t mounts, bytes_read, bytes_written;
};

/* Catalog commits by duration (rsmfs(5), metrics): commits of at most
 * rsm_commit_bucket_bounds[i] seconds and more than the bound before, their count and sum. */
#define RSM_COMMIT_BUCKETS 16
extern const double rsm_commit_bucket_bounds[RSM_COMMIT_BUCKETS];
struct rsm_commit_metrics {
	uint64_t count, buckets[RSM_COMMIT_BUCKETS];
	double secs_sum;
};

struct rsm_metrics {
	size_t nlibraries, ndrives;
	struct rsm_library_metrics *libraries;
	struct rsm_drive_metrics *drives;
	struct rsm_commit_metrics commits;
};

/* Every library's and drive's counters and states, copied under one hold of the engine lock so
 * that one rendering is one moment.  Free with rsm_metrics_free. */
rsm_err rsm_metrics_snapshot(struct rsm_engine *eng, struct rsm_metrics *out);
void rsm_metrics_free(struct rsm_metrics *m);

/* One place of a library's map: a slot, a port or a drive, and the cartridge in it. */
struct rsm_map_element {
	int address;			/* a slot's or a port's; a drive's number in its library */
	char drive[RSM_NAME_MAX + 1];	/* a drive's name */
	char state[16];			/* a drive's own state; a slot's or port's medium's */
	char medium[RSM_NAME_MAX + 1];	/* the medium in it, "" when empty */
	char barcode[RSM_NAME_MAX + 1]; /* that medium's barcode, "" when it has none */
	char session[RSM_NAME_MAX + 1]; /* a drive: the session that has its medium mounted */
	char home[RSM_NAME_MAX + 1];	/* an empty slot: the medium whose home it is, if one */
};

struct rsm_library_map {
	struct rsm_library_info info;
	size_t nslots, nports, ndrives;
	struct rsm_map_element *slots, *ports, *drives;
};

/* A library's slots, ports and drives with what they hold, under one hold of the engine lock.
 * Free with rsm_library_map_free. */
rsm_err rsm_library_map(struct rsm_engine *eng, const char *library, struct rsm_library_map *out);
void rsm_library_map_free(struct rsm_library_map *m);

/* For a session: its mounted media, the drive holding each and its virtual drive (decimal). */
rsm_err rsm_session_mounts(struct rsm_engine *eng, const char *session, struct rsm_names *media,
			   struct rsm_names *drives, struct rsm_names *vdrives);
/* Finds the object a GUID names: writes "<kind dir>/<name>" (sides: media/<m>/sides/<k>). */
rsm_err rsm_guid_lookup(struct rsm_engine *eng, const char *guid, char *path, size_t len);
/* Every GUID known (for by-id listings). */
rsm_err rsm_list_guids(struct rsm_engine *eng, struct rsm_names *out);

/* Counts for a one-line status of the whole engine (systemd's STATUS=), copied under the
 * engine lock in one pass: no catalog access. */
struct rsm_summary {
	int libraries, libraries_online; /* online: present, its changer answering, enabled */
	int drives, drives_mounted;	 /* mounted: a medium in use by a session */
	int sessions;			 /* open sessions */
	size_t requests_pending;	 /* library requests queued, waiting or in process */
	size_t opreqs_pending;		 /* operator requests not yet complete or refused */
};
void rsm_summary(struct rsm_engine *eng, struct rsm_summary *out);

/* Wall-clock time in the catalog's format: ISO 8601 UTC. */
void rsm_format_time(int64_t unix_seconds, char *buf, size_t len);

#endif
