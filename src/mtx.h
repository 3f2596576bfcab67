/* mtx.h - rsmfs-mtx: an mtx(1) 1.3.12-compatible changer program over an rsmfs mount.
 *
 * rsmfs-mtx.c parses the command line as mtx does and runs each command as it comes to it;
 * mtx_cmds.c holds the commands, mtx_print.c the status and inquiry formats, mtx_tree.c the
 * reading and writing of the tree.
 */
#ifndef RSMFS_MTX_H
#define RSMFS_MTX_H

#include <stdbool.h>

#include "mtx_tree.h"

/* One invocation: where the library is, the options given so far, the current arguments. */
struct mtx_run {
	const char *argv0; /* as invoked: mtx's messages start with it */
	struct mtx_place place;
	bool opened;   /* a library was given (-f, CHANGER, TAPE) and found */
	bool barcodes; /* cleared by nobarcode */
	int arg[3];    /* the command's numeric arguments, -1 when absent */
};

void mtx_fatal(const struct mtx_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

void mtx_print_status(const struct mtx_run *run, const struct mtx_changer *c);
void mtx_print_inquiry(void);

void cmd_status(struct mtx_run *run);
void cmd_inquiry(struct mtx_run *run);
void cmd_load(struct mtx_run *run);
void cmd_unload(struct mtx_run *run);
void cmd_transfer(struct mtx_run *run);
void cmd_exchange(struct mtx_run *run);
void cmd_first(struct mtx_run *run);
void cmd_last(struct mtx_run *run);
void cmd_next(struct mtx_run *run);
void cmd_previous(struct mtx_run *run);
void cmd_inventory(struct mtx_run *run);
void cmd_eject(struct mtx_run *run);
void cmd_erase(struct mtx_run *run);
void cmd_position(struct mtx_run *run);

#endif
