/* test_smc.c - the SCSI layer without a device: parsers fed replies captured from tgt, cut
 * short, corrupted and made up; sense decoding; the SG_IO steps (no SCSI hardware exists
 * here, so the ioctl itself is reached only to see it refuse a non-SCSI file). */
#include <scsi/sg.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "changer.h"
#include "smc.h"
#include "transport.h"

#include "captures.h"

static void test_slots_capture(void **state)
{
	struct smc_element e[16];
	int n = smc_parse_element_status(cap_slots, sizeof(cap_slots), e, 16);

	(void)state;
	assert_int_equal(n, 8);
	assert_int_equal(e[0].address, 1000);
	assert_int_equal(e[0].type, SMC_ELEMENT_STORAGE);
	assert_true(e[0].full);
	assert_string_equal(e[0].voltag, "A00001L6");
	assert_string_equal(e[3].voltag, "A00004L6");
	assert_false(e[4].full);
	assert_string_equal(e[4].voltag, "");
	assert_int_equal(e[7].address, 1007);
	/* tgt's last descriptor arrives 8 bytes short: kept, and marked */
	assert_true(e[7].truncated);
	assert_false(e[6].truncated);
}

static void test_drives_capture_with_identifiers(void **state)
{
	struct smc_element e[4];
	int n = smc_parse_element_status(cap_drives_dvcid, sizeof(cap_drives_dvcid), e, 4);

	(void)state;
	assert_int_equal(n, 2);
	assert_int_equal(e[0].address, 1);
	assert_int_equal(e[0].type, SMC_ELEMENT_DRIVE);
	assert_string_equal(e[0].ident, "IET     VIRTUAL-TAPE    beaf11");
	assert_true(smc_ident_matches_serial(e[0].ident, "beaf11"));
	assert_false(smc_ident_matches_serial(e[0].ident, "beaf12"));
	/* the second identifier is cut by the device: it must not match anything */
	assert_true(e[1].truncated);
	assert_false(smc_ident_matches_serial(e[1].ident, "beaf12"));
}

static void test_port_and_layout_captures(void **state)
{
	struct smc_element e[2];
	struct smc_layout lay;
	struct scsi_inquiry inq;

	(void)state;
	assert_int_equal(smc_parse_element_status(cap_port, sizeof(cap_port), e, 2), 1);
	assert_int_equal(e[0].address, 10);
	assert_int_equal(e[0].type, SMC_ELEMENT_PORT);
	assert_int_equal(smc_parse_layout(cap_mode_1d, sizeof(cap_mode_1d), &lay), 0);
	assert_int_equal(lay.transport_first, 3);
	assert_int_equal(lay.transport_count, 1);
	assert_int_equal(lay.storage_first, 1000);
	assert_int_equal(lay.storage_count, 8);
	assert_int_equal(lay.port_first, 10);
	assert_int_equal(lay.port_count, 1);
	assert_int_equal(lay.drive_first, 1);
	assert_int_equal(lay.drive_count, 2);
	assert_int_equal(scsi_parse_inquiry(cap_inquiry, sizeof(cap_inquiry), &inq), 0);
	assert_int_equal(inq.device_type, 0x08);
	assert_string_equal(inq.vendor, "IET");
	assert_string_equal(inq.product, "VIRTUAL-CHANGER");
}

/* Every prefix of every capture parses without reading past its end (run under the sanitizer
 * build too); a prefix never yields more descriptors than the whole. */
static void test_every_truncation(void **state)
{
	const struct {
		const uint8_t *b;
		size_t n;
		int whole;
	} caps[] = {{cap_slots, sizeof(cap_slots), 8},
		    {cap_drives_dvcid, sizeof(cap_drives_dvcid), 2},
		    {cap_port, sizeof(cap_port), 1}};
	struct smc_element e[16];
	struct smc_layout lay;

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		for (size_t len = 0; len <= caps[c].n; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			memcpy(copy, caps[c].b, len);
			int n = smc_parse_element_status(copy, len, e, 16);
			assert_true(n <= caps[c].whole);
			assert_true(len >= 8 || n == -1);
			free(copy);
		}
	}
	/* the page's fields end 18 bytes after its start: anything shorter is refused */
	for (size_t len = 0; len < 4 + 18; len++)
		assert_int_equal(smc_parse_layout(cap_mode_1d, len, &lay), -1);
}

static void test_malformed_replies(void **state)
{
	struct smc_element e[8];
	uint8_t bad[sizeof(cap_port)];
	struct smc_layout lay;

	(void)state;
	/* a page of an element type that does not exist */
	memcpy(bad, cap_port, sizeof(bad));
	bad[8] = 0x09;
	assert_int_equal(smc_parse_element_status(bad, sizeof(bad), e, 8), -1);
	/* a descriptor length of zero would never advance */
	memcpy(bad, cap_port, sizeof(bad));
	bad[10] = 0;
	bad[11] = 0;
	assert_int_equal(smc_parse_element_status(bad, sizeof(bad), e, 8), -1);
	/* byte counts far beyond what arrived are bounded by what arrived */
	memcpy(bad, cap_port, sizeof(bad));
	bad[5] = bad[6] = bad[7] = 0xff;
	bad[13] = bad[14] = bad[15] = 0xff;
	assert_int_equal(smc_parse_element_status(bad, sizeof(bad), e, 8), 1);
	/* more descriptors than room: stops at max */
	assert_int_equal(smc_parse_element_status(cap_slots, sizeof(cap_slots), e, 3), 3);
	/* a mode page that is not 0x1D */
	memcpy(bad, cap_mode_1d, sizeof(cap_mode_1d));
	bad[4] = 0x1c;
	assert_int_equal(smc_parse_layout(bad, sizeof(cap_mode_1d), &lay), -1);
	/* a block descriptor length pointing past the end */
	memcpy(bad, cap_mode_1d, sizeof(cap_mode_1d));
	bad[3] = 200;
	assert_int_equal(smc_parse_layout(bad, sizeof(cap_mode_1d), &lay), -1);
	assert_int_equal(smc_parse_element_status(NULL, 0, e, 8), -1);
}

/* Random bytes never crash the parsers (a fixed seed: reproducible). */
static void test_random_replies(void **state)
{
	struct smc_element e[32];
	struct smc_layout lay;
	struct scsi_inquiry inq;
	struct scsi_sense s;
	uint16_t luns[16];
	char text[128];
	uint8_t buf[512];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		if (len > 8 && round % 2) {
			buf[8] = (uint8_t)(1 + round % 4); /* a valid type, to get past the page */
			buf[10] = 0;
			buf[11] = (uint8_t)(4 + round % 90);
		}
		smc_parse_element_status(buf, len, e, 32);
		smc_parse_layout(buf, len, &lay);
		scsi_parse_inquiry(buf, len, &inq);
		scsi_parse_serial(buf, len, text, sizeof(text));
		scsi_parse_report_luns(buf, len, luns, 16);
		scsi_parse_sense(buf, len, &s);
		scsi_sense_error(&s, text, sizeof(text));
	}
}

static void test_sense_decoding(void **state)
{
	const struct {
		uint8_t key, asc, ascq;
		rsm_err err;
		const char *text;
	} cases[] = {
	    {0x05, 0x3b, 0x0d, ERROR_INVALID_STATE, "sense 05/3B/0D: medium destination"},
	    {0x05, 0x3b, 0x0e, ERROR_INVALID_STATE, "sense 05/3B/0E: medium source"},
	    {0x05, 0x53, 0x02, ERROR_MEDIA_NOT_AVAILABLE, "sense 05/53/02: medium removal"},
	    {0x02, 0x04, 0x01, ERROR_DEVICE_NOT_AVAILABLE, "sense 02/04/01: logical unit"},
	    {0x02, 0x3a, 0x00, ERROR_DEVICE_NOT_AVAILABLE, "sense 02/3A/00: medium not"},
	    {0x04, 0x15, 0x01, ERROR_UNABLE_TO_LOAD_MEDIUM, "sense 04/15/01"},
	    {0x05, 0x20, 0x00, ERROR_INVALID_OPERATION, "sense 05/20/00"},
	    {0x01, 0x17, 0x00, ERROR_SUCCESS, "sense 01/17/00: recovered"},
	    {0x0e, 0x00, 0x00, ERROR_INVALID_STATE, "sense 0E/00/00: vendor specific"},
	};
	uint8_t fixed[18] = {0x70}, desc[8] = {0x72};
	struct scsi_sense s;
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixed[2] = cases[i].key;
		fixed[7] = 10;
		fixed[12] = cases[i].asc;
		fixed[13] = cases[i].ascq;
		scsi_parse_sense(fixed, sizeof(fixed), &s);
		assert_true(s.valid);
		assert_int_equal(scsi_sense_error(&s, text, sizeof(text)), cases[i].err);
		assert_non_null(strstr(text, cases[i].text));
		/* the same in descriptor format */
		desc[1] = cases[i].key;
		desc[2] = cases[i].asc;
		desc[3] = cases[i].ascq;
		scsi_parse_sense(desc, sizeof(desc), &s);
		assert_int_equal(scsi_sense_error(&s, text, sizeof(text)), cases[i].err);
	}
	scsi_parse_sense(fixed, 1, &s);
	assert_false(s.valid);
	assert_int_equal(scsi_sense_error(&s, text, sizeof(text)), ERROR_INVALID_STATE);
}

static void test_cdbs(void **state)
{
	uint8_t cdb[16];

	(void)state;
	assert_int_equal(smc_cdb_read_element_status(cdb, 2, 1000, 8, 0x12345, true, true), 12);
	assert_int_equal(cdb[0], 0xb8);
	assert_int_equal(cdb[1], 0x12);
	assert_int_equal(cdb[2] << 8 | cdb[3], 1000);
	assert_int_equal(cdb[4] << 8 | cdb[5], 8);
	assert_int_equal(cdb[6], 0x01);
	assert_int_equal(cdb[7] << 16 | cdb[8] << 8 | cdb[9], 0x12345);
	assert_int_equal(smc_cdb_move_medium(cdb, 3, 1000, 1), 12);
	assert_int_equal(cdb[0], 0xa5);
	assert_int_equal(cdb[3], 3);
	assert_int_equal(cdb[4] << 8 | cdb[5], 1000);
	assert_int_equal(cdb[7], 1);
	assert_int_equal(scsi_cdb_mode_sense_1d(cdb, 255), 6);
	assert_int_equal(cdb[2], 0x1d);
	assert_int_equal(ssc_cdb_unload(cdb), 6);
	assert_int_equal(cdb[0], 0x1b);
	assert_int_equal(cdb[4] & 1, 0);
	assert_int_equal(smc_cdb_open_close_port(cdb, 10, true), 6);
	assert_int_equal(cdb[3], 10);
	assert_int_equal(cdb[4], 1);
}

static void test_report_luns(void **state)
{
	const uint8_t reply[] = {0, 0, 0, 24, 0, 0, 0, 0, 0,	0, 0, 0, 0, 0, 0, 0,
				 0, 1, 0, 0,  0, 0, 0, 0, 0x40, 3, 0, 0, 0, 0, 0, 0};
	uint16_t luns[8];

	(void)state;
	assert_int_equal(scsi_parse_report_luns(reply, sizeof(reply), luns, 8), 3);
	assert_int_equal(luns[0], 0);
	assert_int_equal(luns[1], 1);
	assert_int_equal(luns[2], 3);
	assert_int_equal(scsi_parse_report_luns(reply, 20, luns, 8), 1);
}

/* SG_IO: the header rsmfs builds, and what it makes of the kernel's answer. */
static void test_sg_io_steps(void **state)
{
	uint8_t buf[100];
	struct scsi_io io = {
	    .cdb_len = 12, .dir = SCSI_DIR_IN, .buf = buf, .len = sizeof(buf), .timeout_ms = 1234};
	struct sg_io_hdr hdr;
	char err[128];

	(void)state;
	sg_io_prepare(&hdr, &io);
	assert_int_equal(hdr.interface_id, 'S');
	assert_int_equal(hdr.dxfer_direction, SG_DXFER_FROM_DEV);
	assert_int_equal(hdr.dxfer_len, 100);
	assert_int_equal(hdr.timeout, 1234);
	assert_int_equal(hdr.cmd_len, 12);
	assert_ptr_equal(hdr.sbp, io.sense);
	/* a CHECK CONDITION with sense: an answer, not a transport failure */
	hdr.status = 0x02;
	hdr.driver_status = 0x08;
	hdr.sb_len_wr = 18;
	hdr.resid = 40;
	assert_int_equal(sg_io_finish(&hdr, &io, err, sizeof(err)), 0);
	assert_int_equal(io.status, 0x02);
	assert_int_equal(io.sense_len, 18);
	assert_int_equal(io.received, 60);
	/* the host adapter lost the device: a transport failure */
	hdr.host_status = 0x01;
	assert_true(sg_io_finish(&hdr, &io, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "host status"));
	/* no data phase */
	io.dir = SCSI_DIR_NONE;
	io.len = 0;
	sg_io_prepare(&hdr, &io);
	assert_int_equal(hdr.dxfer_direction, SG_DXFER_NONE);
	assert_null(hdr.dxferp);
}

static void test_transport_refuses_what_is_not_scsi(void **state)
{
	char err[256];
	struct scsi_outcome o;
	struct changer c;

	(void)state;
	assert_null(scsi_transport_open("/dev/null", 1000, err, sizeof(err)));
	assert_non_null(strstr(err, "not a SCSI device"));
	assert_null(scsi_transport_open("/nonexistent/sg9", 1000, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_null(scsi_transport_open("tape0", 1000, err, sizeof(err)));
	assert_null(scsi_transport_open("iscsi://", 1000, err, sizeof(err)));
	assert_non_null(strstr(err, "not an iscsi://"));
	/* nothing listens on loopback port 1: refused at once, reported as offline */
	assert_int_equal(changer_open(&c, "iscsi://127.0.0.1:1/iqn.2026-11.org.rsmfs:none/0", &o),
			 -1);
	assert_true(o.offline);
	assert_int_equal(o.err, ERROR_LIBRARY_OFFLINE);
}

/* A transport that plays back a script of answers: the command layer's retry and mapping
 * rules, which a real device shows only when it chooses to (a reset, a busy target). */
struct script {
	struct scsi_transport base;
	int calls;
	int n;
	struct {
		int rc; /* <0: the transport failed */
		uint8_t status, key, asc, ascq;
	} steps[4];
};

static int script_execute(struct scsi_transport *t, struct scsi_io *io, char *err, size_t len)
{
	struct script *s = (struct script *)t;
	int i = s->calls < s->n ? s->calls : s->n - 1;

	s->calls++;
	if (s->steps[i].rc < 0) {
		snprintf(err, len, "connection reset");
		return s->steps[i].rc;
	}
	io->status = s->steps[i].status;
	memset(io->sense, 0, sizeof(io->sense));
	io->sense[0] = 0x70;
	io->sense[2] = s->steps[i].key;
	io->sense[7] = 10;
	io->sense[12] = s->steps[i].asc;
	io->sense[13] = s->steps[i].ascq;
	io->sense_len = 18;
	return 0;
}

static void script_close(struct scsi_transport *t)
{
	(void)t;
}

static const struct scsi_transport_ops script_ops = {"script", script_execute, script_close};

static void test_command_rules(void **state)
{
	struct scsi_io io = {.cdb_len = 6};
	struct scsi_outcome o;
	struct script s = {.base = {.ops = &script_ops}};

	(void)state;
	/* a unit attention, then success: cleared and sent once more */
	s.n = 2;
	s.steps[0].status = SCSI_STATUS_CHECK;
	s.steps[0].key = 6;
	s.steps[0].asc = 0x29;
	s.steps[1].status = SCSI_STATUS_OK;
	scsi_run(&s.base, &io, "TEST UNIT READY", &o);
	assert_int_equal(o.err, ERROR_SUCCESS);
	assert_int_equal(s.calls, 2);
	/* two in a row: only once more, then it is the answer */
	s.calls = 0;
	s.n = 1;
	scsi_run(&s.base, &io, "TEST UNIT READY", &o);
	assert_int_equal(s.calls, 2);
	assert_int_not_equal(o.err, ERROR_SUCCESS);
	assert_non_null(strstr(o.text, "TEST UNIT READY: sense 06/29/00"));
	/* not supported: marked, so optional commands can be skipped */
	s.calls = 0;
	s.steps[0].key = 5;
	s.steps[0].asc = 0x20;
	scsi_run(&s.base, &io, "PREVENT ALLOW MEDIUM REMOVAL", &o);
	assert_true(o.unsupported);
	assert_int_equal(s.calls, 1);
	/* destination full is an error of the move, not "unsupported" */
	s.calls = 0;
	s.steps[0].asc = 0x3b;
	s.steps[0].ascq = 0x0d;
	scsi_run(&s.base, &io, "MOVE MEDIUM 1000 to 1001", &o);
	assert_false(o.unsupported);
	assert_int_equal(o.err, ERROR_INVALID_STATE);
	assert_string_equal(
	    o.text, "MOVE MEDIUM 1000 to 1001: sense 05/3B/0D: medium destination element full");
	/* a busy target, and a reservation conflict */
	s.steps[0].status = 0x08;
	scsi_run(&s.base, &io, "MOVE MEDIUM", &o);
	assert_int_equal(o.err, ERROR_BUSY);
	s.steps[0].status = 0x18;
	scsi_run(&s.base, &io, "MOVE MEDIUM", &o);
	assert_non_null(strstr(o.text, "reservation conflict"));
	/* the transport fails: the library is offline */
	s.steps[0].rc = -104;
	scsi_run(&s.base, &io, "MOVE MEDIUM", &o);
	assert_true(o.offline);
	assert_int_equal(o.err, ERROR_LIBRARY_OFFLINE);
	assert_non_null(strstr(o.text, "connection reset"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots_capture),
	    cmocka_unit_test(test_drives_capture_with_identifiers),
	    cmocka_unit_test(test_port_and_layout_captures),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_malformed_replies),
	    cmocka_unit_test(test_random_replies),
	    cmocka_unit_test(test_sense_decoding),
	    cmocka_unit_test(test_cdbs),
	    cmocka_unit_test(test_report_luns),
	    cmocka_unit_test(test_sg_io_steps),
	    cmocka_unit_test(test_command_rules),
	    cmocka_unit_test(test_transport_refuses_what_is_not_scsi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
