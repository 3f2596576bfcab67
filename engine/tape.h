/* tape.h - a cartridge image as the tape of a non-rewinding drive (rsmfs(5), TAPE FILES and
 * TAPE IMAGES): records and filemarks, the position of the head, and the st semantics of
 * reading, writing and spacing.
 *
 * One struct tape is one simulated drive.  Its lock is the drive's: every call below but
 * tape_init, tape_destroy and tape_eject is made with it held, and it is never held while
 * the engine lock is taken (the engine lock may be held while it is taken: tape_eject).
 * The image is opened when the cartridge is first used in the drive, and its index (where
 * each record and filemark is) is kept in memory while it is loaded.
 */
#ifndef RSM_TAPE_H
#define RSM_TAPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rsm.h"

/* One record or filemark of the loaded image. */
struct tape_entry {
	uint64_t off;	      /* the file offset of its header */
	uint64_t bytes;	      /* bytes of the records before it: the tape used up to it */
	uint32_t len;	      /* its data bytes; 0 for a filemark */
	uint32_t file, block; /* st's file and block numbers of the position before it */
	bool mark;
};

struct tape {
	pthread_mutex_t lock;
	uint64_t gen;	   /* bumped when a cartridge leaves the drive (written under both locks) */
	uint64_t capacity; /* bytes of records a cartridge holds */
	uint8_t density;
	int fd; /* the loaded image; -1 when none */
	char medium[RSM_NAME_MAX + 1];
	bool wrprot;
	struct tape_entry *e; /* up to the end of data */
	size_t n, cap;
	uint64_t end;	  /* the file offset of the end of data */
	size_t pos;	  /* the head is before entry pos (n: at the end of data) */
	bool fm_owed;	  /* written to since the last filemark or positioning */
	bool eod_read;	  /* a read at the end of data returned 0: the next one fails */
	bool offline;	  /* unloaded by st: not ready until loaded again */
	int ew;		  /* early warning: where the writes are in st's sequence */
	uint32_t blksize; /* fixed-block mode; 0: variable */
};

/* The native capacity of a media type in bytes (LTO-6: 2.5 TB), and its SCSI density code. */
uint64_t tape_native_capacity(const char *media_type);
uint8_t tape_density(const char *media_type);

/* An empty drive whose cartridges hold capacity bytes (0: the media type's). */
void tape_init(struct tape *t, uint64_t capacity, const char *media_type);
/* The drive goes away: its cartridge is put down as by tape_eject. */
void tape_destroy(struct tape *t);

/* Loads the cartridge medium whose image is path, at BOT: its index read, a partial last
 * record (a crash in the middle of its write) dropped.  ERROR_UNEXPECTED_OMID for a file
 * that is not a tape image, ERROR_IO_DEVICE when it cannot be read. */
rsm_err tape_load(struct tape *t, const char *path, const char *medium);
/* Puts the cartridge down: the filemark owed is written, the image closed. */
void tape_close(struct tape *t);
/* The cartridge leaves the drive (the backend's unload, with the engine lock held): takes the
 * drive's lock, closes the tape and bumps gen. */
void tape_eject(struct tape *t);

rsm_err tape_read(struct tape *t, void *buf, size_t size, size_t *got);
rsm_err tape_write(struct tape *t, const void *buf, size_t size);
rsm_err tape_op(struct tape *t, enum rsm_tape_op op, int32_t count);
/* The filemark owed after writing, if one is: the file was closed. */
rsm_err tape_flush(struct tape *t);
void tape_status(const struct tape *t, struct rsm_tape_status *s);

#endif
