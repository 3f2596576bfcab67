/* transport.h - how a SCSI command reaches a device: SG_IO on a Linux /dev/sgN (or /dev/nstN)
 * node, or iSCSI through libiscsi for iscsi://<host>[:port]/<target-iqn>/<lun> addresses.
 * Both carry the same CDBs (smc.h); neither knows what the commands mean.
 *
 * A transport is used by one thread at a time (the library's changer thread).
 */
#ifndef RSM_TRANSPORT_H
#define RSM_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum scsi_dir { SCSI_DIR_NONE, SCSI_DIR_IN, SCSI_DIR_OUT };

/* One command and its outcome. */
struct scsi_io {
	uint8_t cdb[16];
	size_t cdb_len;
	enum scsi_dir dir;
	void *buf;
	size_t len;
	unsigned timeout_ms;
	/* filled by execute */
	uint8_t status;	 /* SCSI status byte */
	size_t received; /* data-in bytes that actually arrived */
	uint8_t sense[64];
	size_t sense_len;
};

struct scsi_transport;

struct scsi_transport_ops {
	const char *name;
	/* Sends io.  0 when the device answered with a status (which may be CHECK CONDITION);
	 * a negative errno when the device could not be reached, with a message in err. */
	int (*execute)(struct scsi_transport *t, struct scsi_io *io, char *err, size_t errlen);
	void (*close)(struct scsi_transport *t);
};

struct scsi_transport {
	const struct scsi_transport_ops *ops;
	char address[256];
	/* when set (read atomically) a command waiting for its answer gives up at once: the
	 * daemon is shutting down.  SG_IO cannot be interrupted; iSCSI can. */
	const bool *cancel;
};

/* Opens the device at address: "iscsi://..." or a device node path.  NULL with a message in
 * err when it cannot be reached (or the address is not understood). */
struct scsi_transport *scsi_transport_open(const char *address, unsigned timeout_ms, char *err,
					   size_t errlen);
void scsi_transport_close(struct scsi_transport *t);

/* The two implementations. */
struct scsi_transport *sg_transport_open(const char *path, char *err, size_t errlen);
struct scsi_transport *iscsi_transport_open(const char *url, unsigned timeout_ms, char *err,
					    size_t errlen);

/* SG_IO's own steps, exposed for the unit tests (no SCSI hardware exists there). */
struct sg_io_hdr;
void sg_io_prepare(struct sg_io_hdr *hdr, struct scsi_io *io);
/* 0 when the device answered; -EIO with a message when the host or driver failed it. */
int sg_io_finish(const struct sg_io_hdr *hdr, struct scsi_io *io, char *err, size_t errlen);

#endif
