/* changer.h - an SMC-3 media changer (and the SSC drives it serves) reached through a
 * transport: the commands rsmfs needs, each returning an RSM error with the sense kept in
 * text.  Blocking calls, made only by a library's changer thread, never under the engine
 * lock.
 */
#ifndef RSM_CHANGER_H
#define RSM_CHANGER_H

#include "smc.h"
#include "transport.h"

/* What one command came to. */
struct scsi_outcome {
	rsm_err err;	     /* ERROR_SUCCESS, a decoded sense, or ERROR_LIBRARY_OFFLINE */
	bool offline;	     /* the device could not be reached at all */
	bool unsupported;    /* ILLEGAL REQUEST for the command itself: "not supported" */
	bool becoming_ready; /* NOT READY, "in process of becoming ready": ask again shortly */
	char text[200];	     /* for the request's error text: the command and its sense */
};

struct changer {
	struct scsi_transport *t;
	struct scsi_inquiry inquiry;
	char serial[64];
	struct smc_layout layout;
	bool no_dvcid;	 /* the device refused DVCID: ask without it */
	bool no_prevent; /* PREVENT ALLOW MEDIUM REMOVAL is not supported */
	bool no_ie_lock; /* OPEN/CLOSE IMPORT/EXPORT ELEMENT is not supported */
};

/* Time limits per command, in milliseconds: moves and a full element scan can take minutes on
 * a real library. */
enum {
	SCSI_TIMEOUT_SHORT = 30 * 1000,
	SCSI_TIMEOUT_MOVE = 15 * 60 * 1000,
	SCSI_TIMEOUT_INIT = 60 * 60 * 1000,
};

/* Sends one command; a UNIT ATTENTION (a reset, a door opened) is cleared and the command sent
 * once more.  what names the command in out->text. */
void scsi_run(struct scsi_transport *t, struct scsi_io *io, const char *what,
	      struct scsi_outcome *out);

/* Connects and identifies the changer: INQUIRY (it must be a medium changer), its serial,
 * TEST UNIT READY and the element address assignment page. */
int changer_open(struct changer *c, const char *address, struct scsi_outcome *out);
void changer_close(struct changer *c);

/* READ ELEMENT STATUS of count elements of one type from start, with volume tags (and drive
 * identifiers for drives, where supported).  *out is allocated; returns how many, or -1. */
int changer_read_elements(struct changer *c, uint8_t type, uint16_t start, uint16_t count,
			  struct smc_element **out, struct scsi_outcome *o);
/* REPORT LUNS of the changer's target: how many LUNs went into luns, or -1. */
int changer_report_luns(struct changer *c, uint16_t *luns, size_t max, struct scsi_outcome *o);
/* TEST UNIT READY: whether the changer still answers. */
int changer_test_ready(struct changer *c, struct scsi_outcome *o);
int changer_move(struct changer *c, uint16_t src, uint16_t dst, struct scsi_outcome *o);
int changer_initialize(struct changer *c, struct scsi_outcome *o);
/* Locks or unlocks medium removal; a device without the command is not an error. */
int changer_prevent(struct changer *c, bool prevent, struct scsi_outcome *o);
/* Opens or closes an import/export element for the operator; likewise optional. */
int changer_port_lock(struct changer *c, uint16_t port, bool open, struct scsi_outcome *o);

/* One full element report, by element type, ascending addresses. */
struct scan {
	struct smc_element *el[5];
	int n[5];
	char (*drive_dev)[256]; /* OS device of each drive element, "" when not mapped */
};

/* Fills sc->drive_dev (drive_map.c): drive_map holds the configured "<n> <device>" lines;
 * candidates for the others are found through the changer at address. */
void map_drives(struct changer *c, const char *address, const char *drive_map, struct scan *sc,
		const char *libname);

/* A tape drive: its VPD serial, unloading its cartridge before the robot takes it, and
 * whether it holds a cartridge ready for use (TEST UNIT READY). */
int drive_serial(const char *address, char *serial, size_t len, struct scsi_outcome *o);
int drive_unload(const char *address, struct scsi_outcome *o);
/* A drive that is still threading its cartridge is asked again, every half second, for up to
 * DRIVE_READY_SECONDS, or until *cancel is set. */
#define DRIVE_READY_SECONDS 60
int drive_test_ready(const char *address, struct scsi_outcome *o, const bool *cancel);

#endif
