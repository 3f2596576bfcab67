/* transport.c - picks the transport for a changer or drive address. */
#include <stdio.h>
#include <string.h>

#include "transport.h"

struct scsi_transport *scsi_transport_open(const char *address, unsigned timeout_ms, char *err,
					   size_t errlen)
{
	if (strncmp(address, "iscsi://", 8) == 0)
		return iscsi_transport_open(address, timeout_ms, err, errlen);
	if (address[0] == '/')
		return sg_transport_open(address, err, errlen);
	snprintf(err, errlen, "%s: not a device path or an iscsi:// address", address);
	return NULL;
}

void scsi_transport_close(struct scsi_transport *t)
{
	if (t)
		t->ops->close(t);
}
