/* smc.c - SMC-3 and SPC command blocks and the parsing of their replies (see smc.h).
 *
 * Byte layouts are those of SMC-3 (READ ELEMENT STATUS 6.11, MOVE MEDIUM 6.8, element address
 * assignment page 7.3.3), SPC-4 (INQUIRY, sense data) and SSC-3 (LOAD UNLOAD).
 */
#include <stdio.h>
#include <string.h>

#include "smc.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

/* Copies n bytes of a blank-padded ASCII field, dropping blanks at both ends and replacing
 * anything unprintable, so a hostile device cannot put control characters into the tree. */
static void copy_field(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t start = 0, end = n, o = 0;

	while (start < end && (p[start] == ' ' || p[start] == '\0'))
		start++;
	while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\0'))
		end--;
	for (size_t i = start; i < end && o + 1 < outlen; i++)
		out[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '_';
	out[o] = '\0';
}

/* ---- CDBs ---- */

size_t scsi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x12;
	cdb[1] = evpd ? 0x01 : 0;
	cdb[2] = evpd ? page : 0;
	put16(cdb + 3, alloc);
	return 6;
}

size_t scsi_cdb_test_unit_ready(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	return 6;
}

size_t scsi_cdb_report_luns(uint8_t cdb[16], uint32_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = 0xa0;
	cdb[6] = (uint8_t)(alloc >> 24);
	put24(cdb + 7, alloc & 0xffffff);
	return 12;
}

size_t scsi_cdb_mode_sense_1d(uint8_t cdb[16], uint8_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x1a;
	cdb[1] = 0x08; /* DBD: no block descriptors */
	cdb[2] = 0x1d; /* current values of the element address assignment page */
	cdb[4] = alloc;
	return 6;
}

size_t smc_cdb_read_element_status(uint8_t cdb[16], uint8_t type, uint16_t start, uint16_t count,
				   uint32_t alloc, bool voltag, bool dvcid)
{
	memset(cdb, 0, 16);
	cdb[0] = 0xb8;
	cdb[1] = (uint8_t)((voltag ? 0x10 : 0) | (type & 0x0f));
	put16(cdb + 2, start);
	put16(cdb + 4, count);
	cdb[6] = dvcid ? 0x01 : 0;
	put24(cdb + 7, alloc > 0xffffff ? 0xffffff : alloc);
	return 12;
}

size_t smc_cdb_move_medium(uint8_t cdb[16], uint16_t transport, uint16_t src, uint16_t dst)
{
	memset(cdb, 0, 16);
	cdb[0] = 0xa5;
	put16(cdb + 2, transport);
	put16(cdb + 4, src);
	put16(cdb + 6, dst);
	return 12;
}

size_t smc_cdb_initialize_element_status(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	cdb[0] = 0x07;
	return 6;
}

size_t scsi_cdb_prevent_allow(uint8_t cdb[16], bool prevent)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x1e;
	cdb[4] = prevent ? 0x01 : 0;
	return 6;
}

size_t smc_cdb_open_close_port(uint8_t cdb[16], uint16_t address, bool open)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x1b;
	put16(cdb + 2, address);
	cdb[4] = open ? 0x01 : 0x02; /* action code: open, close */
	return 6;
}

size_t ssc_cdb_unload(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	cdb[0] = 0x1b; /* LOAD UNLOAD: LOAD = 0 unloads */
	return 6;
}

/* ---- READ ELEMENT STATUS ---- */

/* Fills e from one descriptor of which n bytes arrived; d_len is what the page says. */
static void parse_descriptor(const uint8_t *p, size_t n, size_t d_len, uint8_t type, bool pvol,
			     bool avol, struct smc_element *e)
{
	size_t off = 12;

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->truncated = n < d_len;
	e->address = be16(p);
	e->full = p[2] & 0x01;
	e->except = p[2] & 0x04;
	e->access = p[2] & 0x08;
	if (n >= 6) {
		e->asc = p[4];
		e->ascq = p[5];
	}
	if (n >= 12) {
		e->source_valid = p[9] & 0x80;
		e->source = be16(p + 10);
	}
	if (pvol) {
		/* the tag's 32 identifier bytes are enough; its sequence number is not used */
		if (n >= off + 32)
			copy_field(e->voltag, sizeof(e->voltag), p + off, 32);
		off += 36;
	}
	if (avol)
		off += 36;
	/* the device identifier follows the tags when the descriptor is long enough for it */
	if (d_len >= off + 4 && n >= off + 4) {
		size_t id_len = p[off + 3];
		size_t have = n - (off + 4);
		if (id_len > d_len - (off + 4))
			id_len = d_len - (off + 4);
		if (have < id_len)
			id_len = have; /* cut short: keep what came, the caller sees truncated */
		copy_field(e->ident, sizeof(e->ident), p + off + 4, id_len);
	}
}

int smc_parse_element_status(const uint8_t *buf, size_t len, struct smc_element *out, size_t max)
{
	size_t pos = 8, count = 0, end;

	if (!buf || len < 8)
		return -1;
	end = 8 + (size_t)be24(buf + 5);
	if (end > len)
		end = len; /* what the header promises, bounded by what arrived */
	while (pos + 8 <= end && count < max) {
		const uint8_t *page = buf + pos;
		uint8_t type = page[0] & 0x0f;
		bool pvol = page[1] & 0x80, avol = page[1] & 0x40;
		size_t d_len = be16(page + 2);
		size_t page_end = pos + 8 + (size_t)be24(page + 5);

		if (type < SMC_ELEMENT_TRANSPORT || type > SMC_ELEMENT_DRIVE || d_len < 4)
			return -1;
		if (page_end > end)
			page_end = end;
		pos += 8;
		while (pos + 3 <= page_end && count < max) {
			size_t n = page_end - pos < d_len ? page_end - pos : d_len;
			parse_descriptor(buf + pos, n, d_len, type, pvol, avol, &out[count++]);
			pos += n;
		}
		pos = page_end;
	}
	return (int)count;
}

/* ---- MODE SENSE page 0x1D ---- */

int smc_parse_layout(const uint8_t *buf, size_t len, struct smc_layout *out)
{
	size_t pos;
	const uint8_t *p;

	if (!buf || len < 4)
		return -1;
	pos = 4 + (size_t)buf[3]; /* past the header and any block descriptors */
	if (pos + 2 > len)
		return -1;
	p = buf + pos;
	if ((p[0] & 0x3f) != 0x1d || p[1] < 16 || pos + 18 > len)
		return -1;
	out->transport_first = be16(p + 2);
	out->transport_count = be16(p + 4);
	out->storage_first = be16(p + 6);
	out->storage_count = be16(p + 8);
	out->port_first = be16(p + 10);
	out->port_count = be16(p + 12);
	out->drive_first = be16(p + 14);
	out->drive_count = be16(p + 16);
	return 0;
}

void smc_layout_range(const struct smc_layout *lay, uint8_t type, uint16_t *first, uint16_t *count)
{
	switch (type) {
	case SMC_ELEMENT_TRANSPORT:
		*first = lay->transport_first;
		*count = lay->transport_count;
		break;
	case SMC_ELEMENT_STORAGE:
		*first = lay->storage_first;
		*count = lay->storage_count;
		break;
	case SMC_ELEMENT_PORT:
		*first = lay->port_first;
		*count = lay->port_count;
		break;
	case SMC_ELEMENT_DRIVE:
		*first = lay->drive_first;
		*count = lay->drive_count;
		break;
	default:
		*first = *count = 0;
	}
}

/* ---- INQUIRY ---- */

int scsi_parse_inquiry(const uint8_t *buf, size_t len, struct scsi_inquiry *out)
{
	if (!buf || len < 36)
		return -1;
	out->device_type = buf[0] & 0x1f;
	copy_field(out->vendor, sizeof(out->vendor), buf + 8, 8);
	copy_field(out->product, sizeof(out->product), buf + 16, 16);
	copy_field(out->revision, sizeof(out->revision), buf + 32, 4);
	return 0;
}

int scsi_parse_serial(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
	size_t n;

	if (!buf || len < 4 || buf[1] != 0x80 || outlen == 0)
		return -1;
	n = be16(buf + 2);
	if (n > len - 4)
		n = len - 4;
	copy_field(out, outlen, buf + 4, n);
	return 0;
}

int scsi_parse_report_luns(const uint8_t *buf, size_t len, uint16_t *luns, size_t max)
{
	size_t end, n = 0;

	if (!buf || len < 8)
		return -1;
	end = 8 + ((size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]);
	if (end > len)
		end = len;
	for (size_t pos = 8; pos + 8 <= end && n < max; pos += 8) {
		uint8_t method = buf[pos] >> 6;
		if (method == 0 || method == 1) /* peripheral or flat space addressing */
			luns[n++] = (uint16_t)((buf[pos] & 0x3f) << 8 | buf[pos + 1]);
	}
	return (int)n;
}

/* ---- sense ---- */

void scsi_parse_sense(const uint8_t *buf, size_t len, struct scsi_sense *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < 2)
		return;
	switch (buf[0] & 0x7f) {
	case 0x70:
	case 0x71:
		if (len < 3)
			return;
		out->valid = true;
		out->key = buf[2] & 0x0f;
		if (len >= 14 && buf[7] >= 6) {
			out->asc = buf[12];
			out->ascq = buf[13];
		}
		break;
	case 0x72:
	case 0x73:
		out->valid = true;
		out->key = buf[1] & 0x0f;
		if (len >= 4) {
			out->asc = buf[2];
			out->ascq = buf[3];
		}
		break;
	default:
		break;
	}
}

/* Additional sense codes rsmfs treats specially; asc/ascq 0xff matches any qualifier. */
static const struct sense_meaning {
	uint8_t key, asc, ascq;
	rsm_err err;
	const char *text;
} sense_meanings[] = {
    {SCSI_KEY_ILLEGAL_REQUEST, 0x3b, 0x0d, ERROR_INVALID_STATE, "medium destination element full"},
    {SCSI_KEY_ILLEGAL_REQUEST, 0x3b, 0x0e, ERROR_INVALID_STATE, "medium source element empty"},
    {SCSI_KEY_ILLEGAL_REQUEST, 0x53, 0x02, ERROR_MEDIA_NOT_AVAILABLE, "medium removal prevented"},
    {SCSI_KEY_NOT_READY, 0x53, 0x02, ERROR_MEDIA_NOT_AVAILABLE, "medium removal prevented"},
    {SCSI_KEY_ILLEGAL_REQUEST, 0x21, 0x01, ERROR_INVALID_STATE, "invalid element address"},
    {SCSI_KEY_ILLEGAL_REQUEST, 0x24, 0x00, ERROR_INVALID_STATE, "invalid field in CDB"},
    {SCSI_KEY_ILLEGAL_REQUEST, 0x20, 0x00, ERROR_INVALID_OPERATION,
     "invalid command operation code"},
    {SCSI_KEY_NOT_READY, 0x3a, 0xff, ERROR_DEVICE_NOT_AVAILABLE, "medium not present"},
    {SCSI_KEY_NOT_READY, 0x04, 0xff, ERROR_DEVICE_NOT_AVAILABLE, "logical unit not ready"},
    {SCSI_KEY_HARDWARE_ERROR, 0x15, 0xff, ERROR_UNABLE_TO_LOAD_MEDIUM,
     "mechanical positioning error"},
    {SCSI_KEY_UNIT_ATTENTION, 0x28, 0x00, ERROR_INVALID_STATE, "not ready to ready change"},
    {SCSI_KEY_UNIT_ATTENTION, 0x29, 0xff, ERROR_INVALID_STATE, "power on or reset"},
};

/* What a sense key means when its code is not in the table. */
static const struct key_meaning {
	rsm_err err;
	const char *text;
} key_meanings[16] = {
    [SCSI_KEY_NO_SENSE] = {ERROR_INVALID_STATE, "no sense"},
    [SCSI_KEY_RECOVERED] = {ERROR_SUCCESS, "recovered error"},
    [SCSI_KEY_NOT_READY] = {ERROR_DEVICE_NOT_AVAILABLE, "not ready"},
    [SCSI_KEY_MEDIUM_ERROR] = {ERROR_INVALID_STATE, "medium error"},
    [SCSI_KEY_HARDWARE_ERROR] = {ERROR_INVALID_STATE, "hardware error"},
    [SCSI_KEY_ILLEGAL_REQUEST] = {ERROR_INVALID_STATE, "illegal request"},
    [SCSI_KEY_UNIT_ATTENTION] = {ERROR_INVALID_STATE, "unit attention"},
    [0x7] = {ERROR_INVALID_STATE, "data protect"},
    [SCSI_KEY_ABORTED] = {ERROR_INVALID_STATE, "aborted command"},
};

rsm_err scsi_sense_error(const struct scsi_sense *s, char *text, size_t len)
{
	const struct key_meaning *k;

	if (!s->valid) {
		snprintf(text, len, "check condition without sense data");
		return ERROR_INVALID_STATE;
	}
	for (size_t i = 0; i < sizeof(sense_meanings) / sizeof(sense_meanings[0]); i++) {
		const struct sense_meaning *m = &sense_meanings[i];
		if (m->key == s->key && m->asc == s->asc &&
		    (m->ascq == 0xff || m->ascq == s->ascq)) {
			snprintf(text, len, "sense %02X/%02X/%02X: %s", s->key, s->asc, s->ascq,
				 m->text);
			return m->err;
		}
	}
	k = &key_meanings[s->key & 0x0f];
	snprintf(text, len, "sense %02X/%02X/%02X: %s", s->key, s->asc, s->ascq,
		 k->text ? k->text : "vendor specific");
	return k->text ? k->err : ERROR_INVALID_STATE;
}

/* Copies s without blanks: identifiers pad vendor, product and serial differently. */
static size_t squeeze(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s && n + 1 < outlen; s++)
		if (*s != ' ')
			out[n++] = *s;
	out[n] = '\0';
	return n;
}

bool smc_ident_matches_serial(const char *ident, const char *serial)
{
	char id[80], sn[80];
	size_t il = squeeze(ident, id, sizeof(id)), sl = squeeze(serial, sn, sizeof(sn));

	/* the identifier ends with the serial, whole or (SMC lets a device keep only the first
	 * characters) its first ten at least */
	if (sl == 0 || il == 0)
		return false;
	for (size_t n = sl; n >= 10 || n == sl; n--) {
		if (n <= il && memcmp(id + il - n, sn, n) == 0)
			return true;
		if (n <= 10)
			break;
	}
	return false;
}
