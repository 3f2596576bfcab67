/* tape.c - drives/<d>/tape of a simulated drive (rsmfs(5), TAPE FILES): a regular file that
 * behaves as st's non-rewinding device for the cartridge in the drive.  Reads, writes, FLUSH
 * and the st ioctls go to the engine's tape (rsm_tape_*, keyed by the drive's name); the
 * position and the filemark owed are the drive's, not the open file's.
 *
 * The file is not seekable (lseek is ESPIPE: tar falls back to reading, btape ignores it) and
 * served with direct I/O, so that one write is one record and a read gets one record.  The st
 * ioctls arrive "restricted": the kernel copies their argument in and out by the size in the
 * command, which is how a 32-bit caller's MTIOCGET and MTIOCPOS are told from a 64-bit one's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mtio.h>
#include <stddef.h>
#include <string.h>

#include "tree.h"

/* A 32-bit caller's struct mtget and struct mtpos (longs of 4 bytes). */
struct mtget32 {
	int32_t mt_type, mt_resid, mt_dsreg, mt_gstat, mt_erreg, mt_fileno, mt_blkno;
};
struct mtpos32 {
	int32_t mt_blkno;
};
#define MTIOCGET32 _IOR('m', 2, struct mtget32)
#define MTIOCPOS32 _IOR('m', 3, struct mtpos32)

/* Answers req with an engine error's errno (rsmfs(5), TAPE FILES). */
static void reply_tape_error(fuse_req_t req, rsm_err e)
{
	fuse_reply_err(req, rsm_error_errno(e));
}

/* ---- open, read, write, flush ---- */

/* At open: ENOMEDIUM on an empty drive unless O_NONBLOCK (mt status must work), EROFS for a
 * writer of a write-protected cartridge.  O_TRUNC means nothing to a tape. */
static int tape_open(fuse_req_t req, struct fh *fh)
{
	unsigned flags = 0;

	(void)req;
	if ((fh->flags & O_ACCMODE) != O_RDONLY)
		flags |= RSM_TAPE_WRITE;
	if (fh->flags & O_NONBLOCK)
		flags |= RSM_TAPE_NONBLOCK;
	rsm_err e = rsm_tape_open(fs_global.eng, fh->node.obj, flags, &fh->tape_token);
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* One record, never more than size bytes (a longer record is ENOMEM, as st answers); the
 * offset means nothing: the drive has a position. */
void tape_read_fh(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	size_t want = size < RSM_TAPE_RECORD_MAX ? size : RSM_TAPE_RECORD_MAX, got = 0;
	char *buf AUTO_FREE = malloc(want ? want : 1);

	(void)off;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rsm_err e = rsm_tape_read(fs_global.eng, fh->node.obj, fh->tape_token, buf, want, &got);
	if (e != ERROR_SUCCESS)
		reply_tape_error(req, e);
	else
		fuse_reply_buf(req, buf, got);
}

/* One write, one record: answered once the record is in the cartridge's image. */
static void tape_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size)
{
	rsm_err e = rsm_tape_write(fs_global.eng, fh->node.obj, fh->tape_token, buf, size);

	if (e != ERROR_SUCCESS)
		reply_tape_error(req, e);
	else
		fuse_reply_write(req, size);
}

/* A writer's close: the filemark owed after writing (in FLUSH, which the close waits for, not
 * in RELEASE, which would race the next mt command). */
static int tape_flush(fuse_req_t req, struct fh *fh)
{
	(void)req;
	if ((fh->flags & O_ACCMODE) == O_RDONLY)
		return 0;
	rsm_err e = rsm_tape_flush(fs_global.eng, fh->node.obj, fh->tape_token);
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* ---- MTIOCTOP ---- */

/* The st operations the drive does, and what each is to the engine. */
static const struct {
	short mt_op;
	enum rsm_tape_op op;
} mt_ops[] = {
    {MTREW, RSM_TAPE_REWIND},
    {MTFSF, RSM_TAPE_FSF},
    {MTBSF, RSM_TAPE_BSF},
    {MTFSFM, RSM_TAPE_FSFM},
    {MTBSFM, RSM_TAPE_BSFM},
    {MTFSR, RSM_TAPE_FSR},
    {MTBSR, RSM_TAPE_BSR},
    {MTWEOF, RSM_TAPE_WEOF},
    {MTWEOFI, RSM_TAPE_WEOF}, /* no buffer to leave unflushed: as MTWEOF */
    {MTEOM, RSM_TAPE_EOM},
    {MTOFFL, RSM_TAPE_OFFLINE},
    {MTUNLOAD, RSM_TAPE_OFFLINE},
    {MTLOAD, RSM_TAPE_LOAD},
    {MTSEEK, RSM_TAPE_SEEK},
    {MTSETBLK, RSM_TAPE_SETBLK},
    {MTNOP, RSM_TAPE_NOP},
    /* no door to lock, no buffer or options to set: accepted, as btape needs */
    {MTLOCK, RSM_TAPE_NOP},
    {MTUNLOCK, RSM_TAPE_NOP},
    {MTSETDRVBUFFER, RSM_TAPE_NOP},
};

/* MTIOCTOP: an operation of the table (others: ENOSYS, as st answers them). */
static void ioctl_op(fuse_req_t req, struct fh *fh, unsigned int cmd, const void *in,
		     size_t in_size, size_t out_size)
{
	struct mtop op;

	(void)cmd, (void)out_size;
	if (in_size < sizeof(op)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(&op, in, sizeof(op));
	for (size_t i = 0; i < sizeof(mt_ops) / sizeof(mt_ops[0]); i++) {
		if (mt_ops[i].mt_op != op.mt_op)
			continue;
		rsm_err e = rsm_tape_op(fs_global.eng, fh->node.obj, fh->tape_token, mt_ops[i].op,
					op.mt_count);
		if (e != ERROR_SUCCESS)
			reply_tape_error(req, e);
		else
			fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	fuse_reply_err(req, ENOSYS);
}

/* ---- MTIOCGET and MTIOCPOS ---- */

/* The general status bits (GMT_*) each state of the drive sets. */
static const struct {
	size_t field; /* a bool of struct rsm_tape_status */
	uint32_t bit;
} gstat_bits[] = {
    {offsetof(struct rsm_tape_status, eof), 0x80000000},     /* GMT_EOF */
    {offsetof(struct rsm_tape_status, bot), 0x40000000},     /* GMT_BOT */
    {offsetof(struct rsm_tape_status, eot), 0x20000000},     /* GMT_EOT */
    {offsetof(struct rsm_tape_status, eod), 0x08000000},     /* GMT_EOD */
    {offsetof(struct rsm_tape_status, wr_prot), 0x04000000}, /* GMT_WR_PROT */
    {offsetof(struct rsm_tape_status, loaded), 0x01000000},  /* GMT_ONLINE */
};
#define GSTAT_DR_OPEN 0x00040000   /* no cartridge */
#define GSTAT_IM_REP_EN 0x00010000 /* immediate report: st always says so */

/* The general status word of a drive's status. */
static uint32_t gstat_of(const struct rsm_tape_status *s)
{
	uint32_t g = GSTAT_IM_REP_EN | (s->loaded ? 0 : GSTAT_DR_OPEN);

	for (size_t i = 0; i < sizeof(gstat_bits) / sizeof(gstat_bits[0]); i++)
		if (*(const bool *)((const char *)s + gstat_bits[i].field))
			g |= gstat_bits[i].bit;
	return g;
}

/* MTIOCGET, in the caller's layout (by the size in the command). */
static void ioctl_get(fuse_req_t req, struct fh *fh, unsigned int cmd, const void *in,
		      size_t in_size, size_t out_size)
{
	struct rsm_tape_status s;
	long dsreg;

	(void)in, (void)in_size;
	rsm_err e = rsm_tape_status(fs_global.eng, fh->node.obj, &s);
	if (e != ERROR_SUCCESS) {
		reply_tape_error(req, e);
		return;
	}
	dsreg = (long)((s.block_size << MT_ST_BLKSIZE_SHIFT) & MT_ST_BLKSIZE_MASK) |
		((long)s.density << MT_ST_DENSITY_SHIFT);
	if (_IOC_SIZE(cmd) == sizeof(struct mtget32) && out_size >= sizeof(struct mtget32)) {
		struct mtget32 g = {MT_ISSCSI2, 0,	(int32_t)dsreg, (int32_t)gstat_of(&s),
				    0,		s.file, s.block};
		fuse_reply_ioctl(req, 0, &g, sizeof(g));
	} else if (out_size >= sizeof(struct mtget)) {
		struct mtget g = {.mt_type = MT_ISSCSI2,
				  .mt_dsreg = dsreg,
				  .mt_gstat = gstat_of(&s),
				  .mt_fileno = s.file,
				  .mt_blkno = s.block};
		fuse_reply_ioctl(req, 0, &g, sizeof(g));
	} else {
		fuse_reply_err(req, EINVAL);
	}
}

/* MTIOCPOS: the logical object number (records and filemarks from BOT), as MTSEEK takes. */
static void ioctl_pos(fuse_req_t req, struct fh *fh, unsigned int cmd, const void *in,
		      size_t in_size, size_t out_size)
{
	struct rsm_tape_status s;

	(void)in, (void)in_size;
	rsm_err e = rsm_tape_status(fs_global.eng, fh->node.obj, &s);
	if (e == ERROR_SUCCESS && !s.loaded)
		e = ERROR_NO_MEDIA_IN_DRIVE;
	if (e != ERROR_SUCCESS) {
		reply_tape_error(req, e);
	} else if (_IOC_SIZE(cmd) == sizeof(struct mtpos32) && out_size >= sizeof(struct mtpos32)) {
		struct mtpos32 p = {(int32_t)s.position};
		fuse_reply_ioctl(req, 0, &p, sizeof(p));
	} else if (out_size >= sizeof(struct mtpos)) {
		struct mtpos p = {(long)s.position};
		fuse_reply_ioctl(req, 0, &p, sizeof(p));
	} else {
		fuse_reply_err(req, EINVAL);
	}
}

/* ---- the ioctls ---- */

static const struct {
	unsigned int cmd;
	void (*fn)(fuse_req_t req, struct fh *fh, unsigned int cmd, const void *in, size_t in_size,
		   size_t out_size);
} tape_ioctls[] = {
    {MTIOCTOP, ioctl_op},  {MTIOCGET, ioctl_get},   {MTIOCGET32, ioctl_get},
    {MTIOCPOS, ioctl_pos}, {MTIOCPOS32, ioctl_pos},
};

/* An st ioctl of the table (FUSE_IOCTL_COMPAT callers' by their own command numbers); any
 * other is ENOTTY. */
static void tape_ioctl(fuse_req_t req, struct fh *fh, unsigned int cmd, unsigned flags,
		       const void *in, size_t in_size, size_t out_size)
{
	(void)flags;
	for (size_t i = 0; i < sizeof(tape_ioctls) / sizeof(tape_ioctls[0]); i++) {
		if (tape_ioctls[i].cmd == cmd) {
			tape_ioctls[i].fn(req, fh, cmd, in, in_size, out_size);
			return;
		}
	}
	fuse_reply_err(req, ENOTTY);
}

const struct file_kind tape_kind = {
    .name = "tape",
    .type = N_TAPE,
    .mode = 0600,
    .owner = OWN_SESSION,
    .write = tape_write,
    .open = tape_open,
    .flush = tape_flush,
    .ioctl = tape_ioctl,
};
