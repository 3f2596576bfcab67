/* mtx_tree.h - rsmfs-mtx's view of one library through an rsmfs mount.
 *
 * rsmfs-mtx is a client of the tree and nothing else: it reads attribute files and writes
 * commands to its session's ctl as the calling user.  The changer it shows is the session's
 * own: its data transfer elements are the session's virtual drives (sessions/<s>/drives/<i>),
 * its storage elements the library's slots in address order, then its import/export ports.
 */
#ifndef RSMFS_MTX_TREE_H
#define RSMFS_MTX_TREE_H

#include <stdbool.h>

#define MTX_NAME_MAX 64

/* A storage element: a slot, or an import/export port after the slots. */
struct mtx_element {
	int address;		       /* the slot's (port's) address in the tree */
	bool port;		       /* an import/export port */
	bool full;		       /* what mtx shows: Full or Empty */
	char tag[MTX_NAME_MAX + 1];    /* volume tag shown when full */
	char medium[MTX_NAME_MAX + 1]; /* the medium a load of it mounts; empty for none */
	bool waitable;		       /* empty, but its medium is held elsewhere: a load waits */
	bool homed;		       /* an empty slot that is a medium's home */
};

/* A data transfer element: one of the session's virtual drives. */
struct mtx_drive {
	bool full;
	int source;   /* storage element index (0-based) it came from, -1 unknown */
	bool guessed; /* source is the slot a cartridge with no home goes back to */
	char medium[MTX_NAME_MAX + 1];	 /* the medium the session has mounted in it */
	char physical[MTX_NAME_MAX + 1]; /* the library drive behind it */
};

/* The changer as the session sees it at one moment. */
struct mtx_changer {
	int nslots, nports, ndrives;
	struct mtx_element *element; /* nslots + nports */
	struct mtx_drive *drive;     /* ndrives */
};

/* Where the library and the session are. */
struct mtx_place {
	const char *device;		/* the -f argument as given */
	char root[4096];		/* the mount point */
	char library[MTX_NAME_MAX + 1]; /* the library's name */
	char session[MTX_NAME_MAX + 1]; /* the session's name */
	int ctl;			/* the session's ctl, open read-write; -1 until needed */
	double timeout;			/* RSMFS_TIMEOUT, seconds */
};

/* The outcome of a command written to a ctl file. */
struct mtx_reply {
	int err;	       /* 0, or the errno of the failed write */
	unsigned long request; /* the request number of "ok request <n>", 0 if none */
	char line[1024];       /* the reply line read back, without its newline */
};

int mtx_place_open(struct mtx_place *p, const char *device, char *why, int why_len);
int mtx_session_open(struct mtx_place *p, char *why, int why_len);
int mtx_changer_read(const struct mtx_place *p, struct mtx_changer *c, char *why, int why_len);
void mtx_changer_free(struct mtx_changer *c);
int mtx_ctl(struct mtx_place *p, struct mtx_reply *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mtx_request_wait(const struct mtx_place *p, unsigned long request, double seconds, char *state,
		     int state_len);
int mtx_command(const struct mtx_place *p, const char *rel, const char *text, bool reply,
		struct mtx_reply *r);
int mtx_read_attr(const struct mtx_place *p, const char *rel, char *buf, int len);

#endif
