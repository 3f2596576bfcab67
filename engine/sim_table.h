/* sim_table.h - a simulated library's physical state: which cartridge is in which slot, port
 * and drive, whatever the catalog believes, kept in <data_dir>/sim/<library>.state as a real
 * changer keeps its cartridges wherever they are.  Shared by the sim changer and the
 * standalone sim drive.
 *
 * The record has one line per cartridge, "<slot|port|drive> <address> <name>[ unreadable]"
 * (drives by their number in the library); it is written whenever a cartridge moves, before
 * the catalog records the move.  Each cartridge has an image file under <data_dir>/images,
 * where the data written through the drive goes.
 */
#ifndef RSM_SIM_TABLE_H
#define RSM_SIM_TABLE_H

#include "inventory.h"
#include "model.h"

struct sim_cart {
	char name[RSM_NAME_MAX + 1]; /* "" when the place is empty */
	bool unreadable;	     /* its barcode label cannot be read */
};

struct sim_table {
	int nslots, nports, ndrives;
	struct sim_cart *slot, *port, *drive;
	char path[4200];   /* the record */
	char images[4200]; /* the cartridges' image files */
	char *written;	   /* the record as last written, NULL when unknown */
	size_t written_len;
	struct tape *tapes; /* each drive's tape (tape.h), once sim_table_tapes made them */
};

/* An empty table; its directories are made if need be.  -1 with a message on failure. */
int sim_table_init(struct sim_table *t, const struct rsm_engine *eng, const char *library,
		   int nslots, int nports, int ndrives, char *err, size_t errlen);
void sim_table_free(struct sim_table *t);
/* The cartridge at a place (drives by their number in the library), or NULL past the end. */
struct sim_cart *sim_table_at(struct sim_table *t, enum loc_kind loc, int addr);
/* Reads the record into the table (at start-up, and when the robot scans: a hand may have
 * changed it); -1, the table unchanged, when there is none (or it cannot be read). */
int sim_table_load(struct sim_table *t);
/* Fills the table from where the catalog has library li's cartridges (a changer with no
 * record yet holds what the catalog knows). */
void sim_table_from_model(struct sim_table *t, struct rsm_engine *eng, int li);
/* Writes the record when it changed since it was last written; 0 or -1. */
int sim_table_write(struct sim_table *t, struct rsm_engine *eng, const char *library);
/* Makes the catalog agree with the table: every cartridge's place, new ones discovered;
 * returns the corrections, or -1. */
int sim_table_inventory(struct sim_table *t, struct rsm_engine *eng, int li);
/* A cartridge's image file: its path, and created (empty) if it is not there yet. */
void sim_image_path(const struct sim_table *t, const char *name, char *buf, size_t len);
int sim_image_create(const struct sim_table *t, const char *name);

/* Makes each drive's tape, holding cartridges of capacity bytes (0: the media type's).  -1
 * without memory. */
int sim_table_tapes(struct sim_table *t, uint64_t capacity, const char *media_type);
/* Drive number n's tape, or NULL. */
struct tape *sim_table_tape(struct sim_table *t, int n);
/* The cartridge leaves drive number n: its tape is put down (tape_eject). */
void sim_table_eject(struct sim_table *t, int n);

/* The barcode of the next scratch cartridge a sim comes with: T00001L6, ... (numbered across
 * every library of the catalog; the suffix follows the media type). */
void sim_scratch_barcode(const struct rsm_engine *eng, const char *media_type, char *buf,
			 size_t len);

#endif
