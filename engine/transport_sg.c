/* transport_sg.c - SCSI commands through the Linux SG_IO ioctl on a /dev/sgN node (or any
 * SCSI device node that accepts SG_IO, such as /dev/nstN).
 *
 * The ioctl blocks for the command's duration; sg's own timeout bounds it.  Host and driver
 * failures (the device went away, the bus reset) are transport failures; a CHECK CONDITION is
 * an answer, with its sense data.
 */
#include <errno.h>
#include <fcntl.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "transport.h"

struct sg_transport {
	struct scsi_transport base;
	int fd;
};

void sg_io_prepare(struct sg_io_hdr *hdr, struct scsi_io *io)
{
	static const int directions[] = {
	    [SCSI_DIR_NONE] = SG_DXFER_NONE,
	    [SCSI_DIR_IN] = SG_DXFER_FROM_DEV,
	    [SCSI_DIR_OUT] = SG_DXFER_TO_DEV,
	};

	memset(hdr, 0, sizeof(*hdr));
	hdr->interface_id = 'S';
	hdr->cmdp = io->cdb;
	hdr->cmd_len = (unsigned char)io->cdb_len;
	hdr->dxfer_direction = io->len ? directions[io->dir] : SG_DXFER_NONE;
	hdr->dxferp = io->len ? io->buf : NULL;
	hdr->dxfer_len = (unsigned)io->len;
	hdr->sbp = io->sense;
	hdr->mx_sb_len = sizeof(io->sense);
	hdr->timeout = io->timeout_ms ? io->timeout_ms : 60000;
	memset(io->sense, 0, sizeof(io->sense));
	io->sense_len = 0;
	io->received = 0;
}

int sg_io_finish(const struct sg_io_hdr *hdr, struct scsi_io *io, char *err, size_t errlen)
{
	/* driver_status carries DRIVER_SENSE (0x08) alongside a CHECK CONDITION: not a failure */
	if (hdr->host_status || (hdr->driver_status & ~0x08)) {
		snprintf(err, errlen, "SG_IO failed: host status 0x%x, driver status 0x%x",
			 hdr->host_status, hdr->driver_status);
		return -EIO;
	}
	io->status = hdr->status;
	io->sense_len = hdr->sb_len_wr;
	if (io->dir == SCSI_DIR_IN && hdr->resid >= 0 && (size_t)hdr->resid <= io->len)
		io->received = io->len - (size_t)hdr->resid;
	return 0;
}

static int sg_execute(struct scsi_transport *t, struct scsi_io *io, char *err, size_t errlen)
{
	struct sg_transport *sg = (struct sg_transport *)t;
	struct sg_io_hdr hdr;

	sg_io_prepare(&hdr, io);
	if (ioctl(sg->fd, SG_IO, &hdr) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: SG_IO: %s", t->address, strerror(e));
		return -e;
	}
	return sg_io_finish(&hdr, io, err, errlen);
}

static void sg_close(struct scsi_transport *t)
{
	struct sg_transport *sg = (struct sg_transport *)t;

	close(sg->fd);
	free(sg);
}

static const struct scsi_transport_ops sg_ops = {
    .name = "sg",
    .execute = sg_execute,
    .close = sg_close,
};

struct scsi_transport *sg_transport_open(const char *path, char *err, size_t errlen)
{
	int version = 0;
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct sg_transport *sg;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* SG_GET_VERSION_NUM answers only on sg nodes; other SCSI nodes take SG_IO too but not
	 * this, so fall back to asking for the SCSI id */
	if (ioctl(fd, SG_GET_VERSION_NUM, &version) < 0) {
		struct sg_scsi_id id;
		if (ioctl(fd, SG_GET_SCSI_ID, &id) < 0 &&
		    ioctl(fd, SCSI_IOCTL_GET_IDLUN, &id) < 0) {
			snprintf(err, errlen, "%s: not a SCSI device (SG_IO is not supported)",
				 path);
			close(fd);
			return NULL;
		}
	}
	sg = calloc(1, sizeof(*sg));
	if (!sg) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sg->base.ops = &sg_ops;
	snprintf(sg->base.address, sizeof(sg->base.address), "%s", path);
	sg->fd = fd;
	return &sg->base;
}
