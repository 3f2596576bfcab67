/* smc.h - SCSI media changer commands (SMC-3) and their replies, as bytes: the CDBs rsmfs sends
 * and the parsers for what comes back.  No I/O here, so every parser can be fed captured or
 * hostile byte strings by the unit tests and the fuzzers.
 *
 * Every parser takes the number of bytes actually received, which may be less than the reply
 * says it holds (tgt delivers each READ ELEMENT STATUS page 8 bytes short): lengths are read
 * from the reply and checked against what arrived, never assumed.
 */
#ifndef RSM_SMC_H
#define RSM_SMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsm_error.h"

enum smc_element_type {
	SMC_ELEMENT_ALL = 0,
	SMC_ELEMENT_TRANSPORT = 1, /* the robot's picker */
	SMC_ELEMENT_STORAGE = 2,   /* slots */
	SMC_ELEMENT_PORT = 3,	   /* import/export elements */
	SMC_ELEMENT_DRIVE = 4,	   /* data transfer elements */
};

/* One element descriptor of a READ ELEMENT STATUS reply. */
struct smc_element {
	uint16_t address;
	uint8_t type;
	bool full;
	bool except;	   /* the element is in an abnormal state: asc/ascq say why */
	bool access;	   /* the robot can reach it (some devices never set it) */
	bool source_valid; /* source is the element the cartridge last came from */
	uint8_t asc, ascq;
	uint16_t source;
	char voltag[33]; /* primary volume tag (barcode), trailing blanks removed; "" = none */
	char ident[65];	 /* DVCID device identifier of a drive, blanks trimmed; "" = none */
	bool truncated;	 /* the descriptor arrived shorter than its page said */
};

/* The element address assignment mode page (0x1D): where each kind of element starts. */
struct smc_layout {
	uint16_t transport_first, transport_count;
	uint16_t storage_first, storage_count;
	uint16_t port_first, port_count;
	uint16_t drive_first, drive_count;
};

struct scsi_inquiry {
	uint8_t device_type; /* 0x01 sequential access (tape), 0x08 medium changer */
	char vendor[9], product[17], revision[5];
};

/* The sense data of a CHECK CONDITION, decoded. */
struct scsi_sense {
	bool valid;
	uint8_t key, asc, ascq;
};

enum {
	SCSI_KEY_NO_SENSE = 0x0,
	SCSI_KEY_RECOVERED = 0x1,
	SCSI_KEY_NOT_READY = 0x2,
	SCSI_KEY_MEDIUM_ERROR = 0x3,
	SCSI_KEY_HARDWARE_ERROR = 0x4,
	SCSI_KEY_ILLEGAL_REQUEST = 0x5,
	SCSI_KEY_UNIT_ATTENTION = 0x6,
	SCSI_KEY_ABORTED = 0xb,
};

enum {
	SCSI_STATUS_OK = 0x00,
	SCSI_STATUS_CHECK = 0x02,
	SCSI_STATUS_BUSY_ = 0x08,
	SCSI_STATUS_RESERVED = 0x18,
};

/* ---- CDBs: each builder fills cdb and returns its length ---- */
size_t scsi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc);
size_t scsi_cdb_test_unit_ready(uint8_t cdb[16]);
size_t scsi_cdb_report_luns(uint8_t cdb[16], uint32_t alloc);
size_t scsi_cdb_mode_sense_1d(uint8_t cdb[16], uint8_t alloc);
size_t smc_cdb_read_element_status(uint8_t cdb[16], uint8_t type, uint16_t start, uint16_t count,
				   uint32_t alloc, bool voltag, bool dvcid);
size_t smc_cdb_move_medium(uint8_t cdb[16], uint16_t transport, uint16_t src, uint16_t dst);
size_t smc_cdb_initialize_element_status(uint8_t cdb[16]);
size_t scsi_cdb_prevent_allow(uint8_t cdb[16], bool prevent);
/* OPEN/CLOSE IMPORT/EXPORT ELEMENT (SMC-3): unlocks or locks a port for the operator. */
size_t smc_cdb_open_close_port(uint8_t cdb[16], uint16_t address, bool open);
/* SSC LOAD UNLOAD with LOAD clear: the drive rewinds and ejects its cartridge. */
size_t ssc_cdb_unload(uint8_t cdb[16]);

/* ---- replies ---- */

/* Parses a READ ELEMENT STATUS reply of len received bytes into out[] (at most max).  Returns
 * the number of descriptors parsed, or -1 when the reply is malformed (a header or page that
 * contradicts itself).  A final descriptor cut short is kept with truncated set, with the
 * fields that arrived. */
int smc_parse_element_status(const uint8_t *buf, size_t len, struct smc_element *out, size_t max);


/* Where the elements of one type start and how many there are, from the layout. */
void smc_layout_range(const struct smc_layout *lay, uint8_t type, uint16_t *first, uint16_t *count);

/* Parses a MODE SENSE(6) reply holding page 0x1D.  0, or -1 when it is not there. */
int smc_parse_layout(const uint8_t *buf, size_t len, struct smc_layout *out);

/* Parses a standard INQUIRY reply.  0, or -1 when too short. */
int scsi_parse_inquiry(const uint8_t *buf, size_t len, struct scsi_inquiry *out);

/* The unit serial number of a VPD page 0x80 reply, leading and trailing blanks removed.
 * 0, or -1 when the page is not there. */
int scsi_parse_serial(const uint8_t *buf, size_t len, char *out, size_t outlen);

/* The LUNs of a REPORT LUNS reply (peripheral and flat addressing); how many, or -1. */
int scsi_parse_report_luns(const uint8_t *buf, size_t len, uint16_t *luns, size_t max);

/* Decodes fixed (0x70/0x71) or descriptor (0x72/0x73) sense data. */
void scsi_parse_sense(const uint8_t *buf, size_t len, struct scsi_sense *out);

/* What a sense means to RSM; text gets "sense KK/AA/QQ: <meaning>".  RECOVERED ERROR is
 * ERROR_SUCCESS. */
rsm_err scsi_sense_error(const struct scsi_sense *s, char *text, size_t len);

/* Whether a drive's DVCID identifier names the device with this VPD serial: the identifier
 * holds the serial (often only its first characters) after vendor and product. */
bool smc_ident_matches_serial(const char *ident, const char *serial);

#endif
