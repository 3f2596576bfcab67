/* changer.c - SMC-3 commands over a transport, with the retries and the "not supported"
 * handling that real changers need (see changer.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "changer.h"

static void outcome_ok(struct scsi_outcome *o)
{
	o->err = ERROR_SUCCESS;
	o->offline = false;
	o->unsupported = false;
	o->text[0] = '\0';
}

void scsi_run(struct scsi_transport *t, struct scsi_io *io, const char *what,
	      struct scsi_outcome *out)
{
	char why[160], detail[120];

	for (int attempt = 0; attempt < 2; attempt++) {
		struct scsi_sense s;

		outcome_ok(out); /* what the unit attention said is not this attempt's outcome */
		if (t->ops->execute(t, io, why, sizeof(why)) < 0) {
			out->err = ERROR_LIBRARY_OFFLINE;
			out->offline = true;
			snprintf(out->text, sizeof(out->text), "%s: %s", what, why);
			return;
		}
		if (io->status == SCSI_STATUS_OK)
			return;
		if (io->status != SCSI_STATUS_CHECK) {
			out->err = ERROR_BUSY;
			snprintf(out->text, sizeof(out->text), "%s: SCSI status 0x%02x (%s)", what,
				 io->status,
				 io->status == SCSI_STATUS_RESERVED ? "reservation conflict"
								    : "busy");
			return;
		}
		scsi_parse_sense(io->sense, io->sense_len, &s);
		out->err = scsi_sense_error(&s, detail, sizeof(detail));
		snprintf(out->text, sizeof(out->text), "%s: %s", what, detail);
		if (out->err == ERROR_SUCCESS) {
			out->text[0] = '\0'; /* recovered */
			return;
		}
		/* a unit attention reports an event (reset, door, medium changed), not a failure
		 * of this command: it is cleared by being reported, so the command goes once more
		 */
		if (s.key == SCSI_KEY_UNIT_ATTENTION && attempt == 0)
			continue;
		out->unsupported = s.key == SCSI_KEY_ILLEGAL_REQUEST &&
				   (s.asc == 0x20 || (s.asc == 0x24 && s.ascq == 0));
		out->becoming_ready =
		    s.key == SCSI_KEY_NOT_READY && s.asc == 0x04 && s.ascq == 0x01;
		return;
	}
}

/* A data-in command into buf. */
static void run_in(struct scsi_transport *t, const uint8_t *cdb, size_t cdb_len, void *buf,
		   size_t len, unsigned timeout, const char *what, struct scsi_io *io,
		   struct scsi_outcome *o)
{
	memset(io, 0, sizeof(*io));
	memcpy(io->cdb, cdb, cdb_len);
	io->cdb_len = cdb_len;
	io->dir = len ? SCSI_DIR_IN : SCSI_DIR_NONE;
	io->buf = buf;
	io->len = len;
	io->timeout_ms = timeout;
	scsi_run(t, io, what, o);
}

/* INQUIRY and VPD 0x80 of any device. */
static int identify(struct scsi_transport *t, struct scsi_inquiry *inq, char *serial,
		    size_t serial_len, struct scsi_outcome *o)
{
	uint8_t cdb[16], buf[256];
	struct scsi_io io;

	run_in(t, cdb, scsi_cdb_inquiry(cdb, false, 0, 96), buf, 96, SCSI_TIMEOUT_SHORT, "INQUIRY",
	       &io, o);
	if (o->err != ERROR_SUCCESS)
		return -1;
	if (scsi_parse_inquiry(buf, io.received, inq) < 0) {
		o->err = ERROR_INVALID_STATE;
		snprintf(o->text, sizeof(o->text), "INQUIRY: a reply of %zu bytes is too short",
			 io.received);
		return -1;
	}
	serial[0] = '\0';
	run_in(t, cdb, scsi_cdb_inquiry(cdb, true, 0x80, sizeof(buf)), buf, sizeof(buf),
	       SCSI_TIMEOUT_SHORT, "INQUIRY VPD 0x80", &io, o);
	if (o->err == ERROR_SUCCESS)
		scsi_parse_serial(buf, io.received, serial, serial_len);
	else if (!o->offline)
		outcome_ok(o); /* a device without a serial page is still a device */
	return o->err == ERROR_SUCCESS ? 0 : -1;
}

int changer_open(struct changer *c, const char *address, struct scsi_outcome *o)
{
	uint8_t cdb[16], buf[255];
	struct scsi_io io;
	char why[200];

	memset(c, 0, sizeof(*c));
	outcome_ok(o);
	c->t = scsi_transport_open(address, 5000, why, sizeof(why));
	if (!c->t) {
		o->err = ERROR_LIBRARY_OFFLINE;
		o->offline = true;
		snprintf(o->text, sizeof(o->text), "%s", why);
		return -1;
	}
	if (identify(c->t, &c->inquiry, c->serial, sizeof(c->serial), o) < 0)
		goto fail;
	if (c->inquiry.device_type != 0x08) {
		o->err = ERROR_INVALID_LIBRARY;
		snprintf(o->text, sizeof(o->text),
			 "%s is not a medium changer (peripheral device type 0x%02x)", address,
			 c->inquiry.device_type);
		goto fail;
	}
	run_in(c->t, cdb, scsi_cdb_test_unit_ready(cdb), NULL, 0, SCSI_TIMEOUT_SHORT,
	       "TEST UNIT READY", &io, o);
	if (o->err != ERROR_SUCCESS)
		goto fail;
	run_in(c->t, cdb, scsi_cdb_mode_sense_1d(cdb, sizeof(buf)), buf, sizeof(buf),
	       SCSI_TIMEOUT_SHORT, "MODE SENSE page 0x1D", &io, o);
	if (o->err != ERROR_SUCCESS)
		goto fail;
	if (smc_parse_layout(buf, io.received, &c->layout) < 0) {
		o->err = ERROR_INVALID_LIBRARY;
		snprintf(o->text, sizeof(o->text),
			 "MODE SENSE: no element address assignment page in %zu bytes",
			 io.received);
		goto fail;
	}
	return 0;
fail:
	changer_close(c);
	return -1;
}

void changer_close(struct changer *c)
{
	scsi_transport_close(c->t);
	c->t = NULL;
}

int changer_read_elements(struct changer *c, uint8_t type, uint16_t start, uint16_t count,
			  struct smc_element **out, struct scsi_outcome *o)
{
	static const char *const what[] = {"", "transport", "storage", "import/export", "drive"};
	/* room for every descriptor with both volume tags and a long identifier */
	size_t alloc = 8 + 8 + (size_t)(count ? count : 1) * 160;
	bool dvcid = type == SMC_ELEMENT_DRIVE && !c->no_dvcid;
	uint8_t cdb[16], *buf;
	struct scsi_io io;
	char name[64];
	int n;

	*out = NULL;
	if (alloc > 0xffffff)
		alloc = 0xffffff;
	buf = calloc(1, alloc);
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!buf || !*out) {
		free(buf);
		free(*out);
		*out = NULL;
		o->err = ERROR_NOT_ENOUGH_MEMORY;
		snprintf(o->text, sizeof(o->text), "out of memory");
		return -1;
	}
	snprintf(name, sizeof(name), "READ ELEMENT STATUS (%s)", type < 5 ? what[type] : "?");
	run_in(c->t, cdb,
	       smc_cdb_read_element_status(cdb, type, start, count, (uint32_t)alloc, true, dvcid),
	       buf, alloc, SCSI_TIMEOUT_MOVE, name, &io, o);
	if (o->err != ERROR_SUCCESS && dvcid && !o->offline &&
	    o->err != ERROR_DEVICE_NOT_AVAILABLE) {
		/* SMC-2 devices refuse the DVCID bit: ask again without drive identifiers */
		c->no_dvcid = true;
		run_in(c->t, cdb,
		       smc_cdb_read_element_status(cdb, type, start, count, (uint32_t)alloc, true,
						   false),
		       buf, alloc, SCSI_TIMEOUT_MOVE, name, &io, o);
	}
	if (o->err != ERROR_SUCCESS) {
		free(buf);
		free(*out);
		*out = NULL;
		return -1;
	}
	n = smc_parse_element_status(buf, io.received, *out, count ? count : 1);
	free(buf);
	if (n < 0) {
		free(*out);
		*out = NULL;
		o->err = ERROR_UNABLE_TO_INVENTORY_SLOT;
		snprintf(o->text, sizeof(o->text), "%s: a malformed reply of %zu bytes", name,
			 io.received);
		return -1;
	}
	return n;
}

int changer_report_luns(struct changer *c, uint16_t *luns, size_t max, struct scsi_outcome *o)
{
	uint8_t cdb[16], buf[2048];
	struct scsi_io io;

	run_in(c->t, cdb, scsi_cdb_report_luns(cdb, sizeof(buf)), buf, sizeof(buf),
	       SCSI_TIMEOUT_SHORT, "REPORT LUNS", &io, o);
	return o->err == ERROR_SUCCESS ? scsi_parse_report_luns(buf, io.received, luns, max) : -1;
}

int changer_test_ready(struct changer *c, struct scsi_outcome *o)
{
	uint8_t cdb[16];
	struct scsi_io io;

	run_in(c->t, cdb, scsi_cdb_test_unit_ready(cdb), NULL, 0, SCSI_TIMEOUT_SHORT,
	       "TEST UNIT READY", &io, o);
	return o->err == ERROR_SUCCESS ? 0 : -1;
}

int changer_move(struct changer *c, uint16_t src, uint16_t dst, struct scsi_outcome *o)
{
	uint8_t cdb[16];
	struct scsi_io io;
	char what[64];

	snprintf(what, sizeof(what), "MOVE MEDIUM %u to %u", src, dst);
	run_in(c->t, cdb, smc_cdb_move_medium(cdb, c->layout.transport_first, src, dst), NULL, 0,
	       SCSI_TIMEOUT_MOVE, what, &io, o);
	return o->err == ERROR_SUCCESS ? 0 : -1;
}

int changer_initialize(struct changer *c, struct scsi_outcome *o)
{
	uint8_t cdb[16];
	struct scsi_io io;

	run_in(c->t, cdb, smc_cdb_initialize_element_status(cdb), NULL, 0, SCSI_TIMEOUT_INIT,
	       "INITIALIZE ELEMENT STATUS", &io, o);
	return o->err == ERROR_SUCCESS ? 0 : -1;
}

/* An optional command: "not supported" is remembered and is not a failure. */
static int optional(bool *unsupported, struct scsi_outcome *o)
{
	if (o->err == ERROR_SUCCESS)
		return 0;
	if (o->unsupported) {
		*unsupported = true;
		outcome_ok(o);
		return 0;
	}
	return -1;
}

int changer_prevent(struct changer *c, bool prevent, struct scsi_outcome *o)
{
	uint8_t cdb[16];
	struct scsi_io io;

	if (c->no_prevent) {
		outcome_ok(o);
		return 0;
	}
	/* allowing removal is what a stopping daemon does last: it must not hold the exit up */
	run_in(c->t, cdb, scsi_cdb_prevent_allow(cdb, prevent), NULL, 0,
	       prevent ? SCSI_TIMEOUT_SHORT : 2000, "PREVENT ALLOW MEDIUM REMOVAL", &io, o);
	return optional(&c->no_prevent, o);
}

int changer_port_lock(struct changer *c, uint16_t port, bool open, struct scsi_outcome *o)
{
	uint8_t cdb[16];
	struct scsi_io io;

	if (c->no_ie_lock) {
		outcome_ok(o);
		return 0;
	}
	run_in(c->t, cdb, smc_cdb_open_close_port(cdb, port, open), NULL, 0, SCSI_TIMEOUT_SHORT,
	       open ? "OPEN IMPORT/EXPORT ELEMENT" : "CLOSE IMPORT/EXPORT ELEMENT", &io, o);
	return optional(&c->no_ie_lock, o);
}

/* Opens a drive's device for one command; NULL with o set when it cannot be reached. */
static struct scsi_transport *open_drive(const char *address, struct scsi_outcome *o)
{
	char why[200];
	struct scsi_transport *t = scsi_transport_open(address, 5000, why, sizeof(why));

	outcome_ok(o);
	if (!t) {
		o->err = ERROR_DEVICE_NOT_AVAILABLE;
		snprintf(o->text, sizeof(o->text), "%s", why);
	}
	return t;
}

int drive_serial(const char *address, char *serial, size_t len, struct scsi_outcome *o)
{
	struct scsi_inquiry inq;
	struct scsi_transport *t = open_drive(address, o);
	int r;

	if (!t)
		return -1;
	r = identify(t, &inq, serial, len, o);
	scsi_transport_close(t);
	return r;
}

int drive_unload(const char *address, struct scsi_outcome *o)
{
	uint8_t cdb[16];
	struct scsi_io io;
	struct scsi_transport *t = open_drive(address, o);

	if (!t)
		return -1;
	run_in(t, cdb, ssc_cdb_unload(cdb), NULL, 0, SCSI_TIMEOUT_MOVE, "LOAD UNLOAD", &io, o);
	scsi_transport_close(t);
	return o->err == ERROR_SUCCESS ? 0 : -1;
}

int drive_test_ready(const char *address, struct scsi_outcome *o, const bool *cancel)
{
	uint8_t cdb[16];
	struct scsi_io io;
	struct scsi_transport *t = open_drive(address, o);

	if (!t)
		return -1;
	for (int tries = 0; tries < 2 * DRIVE_READY_SECONDS; tries++) {
		run_in(t, cdb, scsi_cdb_test_unit_ready(cdb), NULL, 0, SCSI_TIMEOUT_SHORT,
		       "TEST UNIT READY", &io, o);
		if (!o->becoming_ready || __atomic_load_n(cancel, __ATOMIC_RELAXED))
			break;
		/* the operator has just put the cartridge in: it is being threaded */
		nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL);
	}
	scsi_transport_close(t);
	return o->err == ERROR_SUCCESS ? 0 : -1;
}
