/* backend.h - the interface between the engine and the backend that moves a library's
 * cartridges: the simulated changer (backend_sim.c), a real SMC-3 changer (backend_scsi.c),
 * and a standalone drive with a person for a robot (backend_standalone.c).
 *
 * The engine hands a backend one step of a job at a time: a robot move, a drive's load,
 * unload or cleaning, or a scan of the library.  The backend carries it out at its own pace
 * (a timer, a command on its own thread, an operator request) and ends every step the same
 * way, with step_done(), under the engine lock and never from inside the call that handed it
 * over.  Where a cartridge physically is belongs to the backend; what the catalog believes is
 * the model's, and the backend's reports (inventory.h) make the two agree.
 */
#ifndef RSM_BACKEND_H
#define RSM_BACKEND_H

#include "inventory.h"
#include "model.h"

enum step_kind {
	STEP_MOVE,   /* the robot carries a cartridge from one place to another */
	STEP_LOAD,   /* the drive threads the cartridge the robot put in it */
	STEP_UNLOAD, /* the drive rewinds and ejects, ready for the robot */
	STEP_CLEAN,  /* a cleaner cartridge works in the drive */
	STEP_SCAN,   /* the robot reads every element (or barcodes only) */
};

/* One step and, once it ends, its outcome. */
struct step {
	enum step_kind kind;
	int library;
	int medium;	       /* the cartridge moved or loaded; NO_INDEX for a scan */
	struct place from, to; /* a move (drives by engine index) */
	int drive;	       /* a load, unload or cleaning: the drive (engine index) */
	bool full;	       /* a scan: every element in turn, not barcodes only */
	bool by_operator;      /* the operator has done it already (a satisfied request) */
	uint64_t request;      /* the request the step serves */
	/* the outcome, filled by the backend before step_done() */
	rsm_err err;	   /* ERROR_SUCCESS: it happened; else nothing moved */
	char detail[200];  /* why not, for the request's error */
	bool source_empty; /* the robot found no cartridge where the catalog has one */
	int corrections;   /* a scan: locations corrected in the catalog, -1: unreadable */
};

/* What a backend may add to the tree's sim/ctl: the operator's hands and fault injection. */
struct sim_hands_ops {
	/* a cartridge into a port (port -1: the first empty one; RSM_SIM_DRIVE: the drive) */
	rsm_err (*insert)(struct rsm_engine *eng, int li, const char *barcode, int port);
	/* a cartridge out of a port (-1: the first one that holds one; or the drive) */
	rsm_err (*remove)(struct rsm_engine *eng, int li, int port);
	rsm_err (*drive_fault)(struct rsm_engine *eng, int li, int di, bool failed);
	rsm_err (*medium_fault)(struct rsm_engine *eng, int li, int mi,
				enum rsm_sim_medium_fault fault);
	rsm_err (*jam)(struct rsm_engine *eng, int li, bool jammed);
	rsm_err (*timing)(struct rsm_engine *eng, int li, double move, double load, double unload);
};

struct library_ops {
	const char *name;
	/* Sets library li up from its configuration, under the lock at start-up, touching no
	 * device.  created: the library is new to the catalog (a sim then makes its scratch
	 * cartridges), inside the transaction that creates it.  -1 with a message: the daemon
	 * does not start. */
	int (*attach)(struct rsm_engine *eng, int li, const struct rsm_library_config *c,
		      bool created, char *err, size_t errlen);
	/* Start-up, once the catalog is read: makes the catalog agree with what the changer
	 * holds (a changer that cannot be reached leaves the library offline). */
	void (*reconcile)(struct rsm_engine *eng, int li);
	/* Threads, if any: started after start-up, stopped (and everything freed) at close,
	 * without the lock. */
	void (*start)(struct rsm_engine *eng, int li);
	void (*stop)(struct rsm_engine *eng, int li);
	/* Carries out one step; it ends with step_done(). */
	void (*step)(struct rsm_engine *eng, struct step *s);
	/* The door was opened for the operator, or closed (NULL: nothing to tell the device). */
	void (*door)(struct rsm_engine *eng, int li, bool open);
	/* Where a drive's I/O goes: the OS device, or the sim's cartridge image; "" for none. */
	void (*drive_device)(struct rsm_engine *eng, const struct drive *d, char *buf, size_t len);
	/* A simulated drive's tape (tape.h), whose I/O the engine serves (rsm_tape_*); NULL for
	 * a real drive, or no hook.  Called under the lock; the tape lives as long as the
	 * backend. */
	struct tape *(*tape)(struct rsm_engine *eng, const struct drive *d);
	const struct sim_hands_ops *hands; /* NULL: no sim/ctl */
};

/* The backend for a configured library: by its type (standalone) or its backend name; NULL
 * when there is none. */
const struct library_ops *backend_for(const struct rsm_library_config *c);
/* Whether a library of the catalog is the type and backend its configuration says (else its
 * cartridges' places would be read by the wrong backend); false with a message. */
bool backend_matches(const struct library *l, const struct rsm_library_config *c, char *err,
		     size_t errlen);
/* Adds a backend (the unit tests' scripted one); false when the table is full. */
bool backend_register(const struct library_ops *ops);

/* The engine's side, for backends. */

/* A step ended: its outcome goes to its job (jobs.c). */
void step_done(struct rsm_engine *eng, struct step *s);
/* The changer stopped answering: the library is offline, the robot steps waiting for it fail
 * with ERROR_LIBRARY_OFFLINE (jobs.c); and it answers again: what waited goes on.  (A backend
 * whose library answers from the start says so in attach, setting reachable.) */
void library_unreachable(struct rsm_engine *eng, int li, const char *why);
void library_reachable(struct rsm_engine *eng, int li);
/* Sets library li's slot and port counts, keeping what the occupancy tables hold (a
 * medium past a new end is placed by the inventory that follows); saved and announced. */
int library_set_layout(struct rsm_engine *eng, int li, int nslots, int nports);
/* A new drive of library li, number n among its drives: saved and announced. */
struct drive *library_add_drive(struct rsm_engine *eng, int li);
void backend_drive_device(struct rsm_engine *eng, const struct drive *d, char *buf, size_t len);
/* The drive's tape when the engine serves its I/O, else NULL (under the lock). */
struct tape *backend_tape(struct rsm_engine *eng, const struct drive *d);

extern const struct library_ops sim_library_ops, scsi_library_ops, standalone_library_ops;

#endif
