/* smc_probe.c - the tests' own hands on an iSCSI media changer, independent of rsmfs's SCSI
 * code: it talks to the changer through libiscsi's synchronous calls and reads replies with
 * its own few lines, so a test can check what rsmfs did (or change the library behind its
 * back) without trusting the code under test.
 *
 *   smc_probe <url> status <slot|port|drive|picker>   one line per element: "<addr> full <tag>"
 *                                                     or "<addr> empty"
 *   smc_probe <url> move <src> <dst>                  MOVE MEDIUM; prints the sense on failure
 *   smc_probe <url> hex <res TYPE|modesense|inquiry>  the raw reply, for captures
 *
 * Exit status: 0 done, 1 the device refused (sense printed), 2 usage or connection failure.
 */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct iscsi_context *ctx;
static int lun;

static int connect_url(const char *url)
{
	struct iscsi_url *u;

	ctx = iscsi_create_context("iqn.2026-11.org.rsmfs:test-probe");
	if (!ctx || !(u = iscsi_parse_full_url(ctx, url)))
		return -1;
	iscsi_set_targetname(ctx, u->target);
	iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
	iscsi_set_timeout(ctx, 10);
	lun = u->lun;
	if (iscsi_full_connect_sync(ctx, u->portal, u->lun) != 0) {
		fprintf(stderr, "smc_probe: %s\n", iscsi_get_error(ctx));
		return -1;
	}
	iscsi_destroy_url(u);
	return 0;
}

/* Sends a CDB; returns the task (status GOOD) or NULL after printing the sense. */
static struct scsi_task *command(unsigned char *cdb, int len, int dir, int xfer)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct scsi_task *t = scsi_create_task(len, cdb, dir, xfer);
		if (!t || !iscsi_scsi_command_sync(ctx, lun, t, NULL)) {
			fprintf(stderr, "smc_probe: %s\n", iscsi_get_error(ctx));
			exit(2);
		}
		if (t->status == SCSI_STATUS_GOOD)
			return t;
		if (t->status == SCSI_STATUS_CHECK_CONDITION && t->sense.key == 6 && !attempt) {
			scsi_free_scsi_task(t); /* unit attention: once more */
			continue;
		}
		printf("sense %02X/%02X/%02X\n", t->sense.key, (t->sense.ascq >> 8) & 0xff,
		       t->sense.ascq & 0xff);
		scsi_free_scsi_task(t);
		return NULL;
	}
	return NULL;
}

static int type_of(const char *name)
{
	static const char *const names[] = {"", "picker", "slot", "port", "drive"};
	for (int i = 1; i < 5; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return atoi(name);
}

static int status(int type)
{
	unsigned char cdb[12] = {
	    0xb8, (unsigned char)(0x10 | type), 0, 0, 0xff, 0xff, 0, 0, 0x80, 0, 0, 0};
	struct scsi_task *t = command(cdb, 12, SCSI_XFER_READ, 0x8000);
	if (!t)
		return 1;
	unsigned char *d = t->datain.data;
	int n = t->datain.size;
	/* first page only: one type was asked for */
	if (n < 16)
		return 2;
	int dlen = d[10] << 8 | d[11];
	int pvol = d[9] & 0x80;
	for (int off = 16; off + 3 <= n && dlen > 0; off += dlen) {
		int addr = d[off] << 8 | d[off + 1];
		int full = d[off + 2] & 1;
		char tag[33] = "";
		if (pvol && full && off + 12 + 32 <= n) {
			memcpy(tag, d + off + 12, 32);
			for (int i = 31; i >= 0 && (tag[i] == ' ' || tag[i] == 0); i--)
				tag[i] = 0;
		}
		if (full)
			printf("%d full %s\n", addr, tag);
		else
			printf("%d empty\n", addr);
	}
	scsi_free_scsi_task(t);
	return 0;
}

static int move(int src, int dst)
{
	unsigned char cdb[12] = {0xa5,
				 0,
				 0,
				 0,
				 (unsigned char)(src >> 8),
				 (unsigned char)src,
				 (unsigned char)(dst >> 8),
				 (unsigned char)dst,
				 0,
				 0,
				 0,
				 0};
	struct scsi_task *t = command(cdb, 12, SCSI_XFER_NONE, 0);
	if (!t)
		return 1;
	scsi_free_scsi_task(t);
	return 0;
}

static int hex(int argc, char **argv)
{
	unsigned char cdb[12] = {0};
	int len = 6, xfer = 255;
	struct scsi_task *t;

	if (argc > 0 && strcmp(argv[0], "res") == 0 && argc > 1) {
		unsigned char c[12] = {0xb8,
				       (unsigned char)(0x10 | type_of(argv[1])),
				       0,
				       0,
				       0xff,
				       0xff,
				       argc > 2 ? 1 : 0,
				       0,
				       0x10,
				       0,
				       0,
				       0};
		memcpy(cdb, c, 12);
		len = 12;
		xfer = 0x1000;
	} else if (argc > 0 && strcmp(argv[0], "modesense") == 0) {
		unsigned char c[6] = {0x1a, 0x08, 0x1d, 0, 255, 0};
		memcpy(cdb, c, 6);
	} else if (argc > 0 && strcmp(argv[0], "inquiry") == 0) {
		unsigned char c[6] = {0x12, 0, 0, 0, 96, 0};
		memcpy(cdb, c, 6);
		xfer = 96;
	} else {
		return 2;
	}
	t = command(cdb, len, SCSI_XFER_READ, xfer);
	if (!t)
		return 1;
	for (int i = 0; i < t->datain.size; i++)
		printf("%02x%s", t->datain.data[i], i % 16 == 15 ? "\n" : " ");
	printf("\n");
	scsi_free_scsi_task(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
			"usage: smc_probe <url> status <type> | move <src> <dst> | hex ...\n");
		return 2;
	}
	if (connect_url(argv[1]) < 0)
		return 2;
	if (strcmp(argv[2], "status") == 0 && argc == 4)
		return status(type_of(argv[3]));
	if (strcmp(argv[2], "move") == 0 && argc == 5)
		return move(atoi(argv[3]), atoi(argv[4]));
	if (strcmp(argv[2], "hex") == 0)
		return hex(argc - 3, argv + 3);
	return 2;
}
