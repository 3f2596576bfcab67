/* tape.c - a cartridge image as the tape of a non-rewinding drive (tape.h; rsmfs(5), TAPE
 * FILES and TAPE IMAGES).
 *
 * The image is a header and then the entries in tape order, each a header of its own and its
 * data.  The only changes made to an image are appends at the end of data and a truncation to
 * the position before an append there (writing in the middle of a tape erases what follows),
 * so a crash leaves every earlier entry whole; what it can leave is a partial last entry,
 * which the next load finds (by its lengths and checksums) and drops.  A write is answered
 * once its record is in the file: a killed daemon loses none that it acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "model.h"
#include "tape.h"

#define IMAGE_MAGIC "rsmftape"
#define IMAGE_VERSION 1
#define IMAGE_HEADER 32	       /* magic, version, header size, zeros */
#define ENTRY_HEADER 16	       /* tag, length, data CRC-32, CRC-32 of the first 12 bytes */
#define TAG_RECORD 0x44434552u /* "RECD" */
#define TAG_MARK 0x4b524d46u   /* "FMRK" */
/* The early warning comes this far before the end: 1/16 of the tape, at most 64 MiB. */
#define EARLY_WARNING_MAX (64ull << 20)

/* ---- media types ---- */

/* Native capacities (decimal, as the LTO consortium states them) and density codes. */
static const struct media_kind {
	const char *type;
	uint64_t capacity;
	uint8_t density;
} media_kinds[] = {
    {"LTO-1", 100000000000ull, 0x40},	{"LTO-2", 200000000000ull, 0x42},
    {"LTO-3", 400000000000ull, 0x44},	{"LTO-4", 800000000000ull, 0x46},
    {"LTO-5", 1500000000000ull, 0x58},	{"LTO-6", 2500000000000ull, 0x5a},
    {"LTO-7", 6000000000000ull, 0x5c},	{"LTO-8", 12000000000000ull, 0x5e},
    {"LTO-9", 18000000000000ull, 0x60},
};

/* The row of a media type; LTO-6's for one not in the table. */
static const struct media_kind *media_kind_of(const char *type)
{
	for (size_t i = 0; type && i < ARRAY_SIZE(media_kinds); i++)
		if (strcmp(media_kinds[i].type, type) == 0)
			return &media_kinds[i];
	return &media_kinds[5];
}

uint64_t tape_native_capacity(const char *media_type)
{
	return media_kind_of(media_type)->capacity;
}

uint8_t tape_density(const char *media_type)
{
	return media_kind_of(media_type)->density;
}

/* ---- checksums and byte order ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* The table of CRC-32 (IEEE 802.3, as zlib's). */
static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* The CRC-32 of len bytes. */
static uint32_t crc32_of(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = 0xffffffffu;

	pthread_once(&crc_once, crc_init);
	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* Little-endian 32-bit words, whatever the host. */
static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The image's header, as every image starts. */
static void image_header(unsigned char h[IMAGE_HEADER])
{
	memset(h, 0, IMAGE_HEADER);
	memcpy(h, IMAGE_MAGIC, 8);
	put32(h + 8, IMAGE_VERSION);
	put32(h + 12, IMAGE_HEADER);
}

/* An entry's header: its tag, length, data checksum, and the checksum of those. */
static void entry_header(unsigned char h[ENTRY_HEADER], bool mark, const void *data, uint32_t len)
{
	put32(h, mark ? TAG_MARK : TAG_RECORD);
	put32(h + 4, len);
	put32(h + 8, mark ? 0 : crc32_of(data, len));
	put32(h + 12, crc32_of(h, 12));
}

/* ---- the drive ---- */

void tape_init(struct tape *t, uint64_t capacity, const char *media_type)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->gen = 1;
	t->fd = -1;
	t->capacity = capacity ? capacity : tape_native_capacity(media_type);
	t->density = tape_density(media_type);
}

void tape_destroy(struct tape *t)
{
	tape_close(t);
	free(t->e);
	t->e = NULL;
	pthread_mutex_destroy(&t->lock);
}

/* How far before the end the early warning comes. */
static uint64_t early_warning(const struct tape *t)
{
	uint64_t zone = t->capacity / 16;

	return zone < EARLY_WARNING_MAX ? zone : EARLY_WARNING_MAX;
}

/* Bytes of records before entry i (i == n: the whole tape). */
static uint64_t bytes_before(const struct tape *t, size_t i)
{
	if (i < t->n)
		return t->e[i].bytes;
	return t->n ? t->e[t->n - 1].bytes + t->e[t->n - 1].len : 0;
}

/* st's file and block numbers of the position before entry i. */
static void numbers_before(const struct tape *t, size_t i, uint32_t *file, uint32_t *block)
{
	if (i < t->n) {
		*file = t->e[i].file;
		*block = t->e[i].block;
	} else if (t->n == 0) {
		*file = *block = 0;
	} else {
		const struct tape_entry *last = &t->e[t->n - 1];
		*file = last->file + last->mark;
		*block = last->mark ? 0 : last->block + 1;
	}
}

/* Appends an entry at file offset off to the index; -1 without memory. */
static int index_push(struct tape *t, uint64_t off, bool mark, uint32_t len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct tape_entry *e = realloc(t->e, cap * sizeof(*e));
		if (!e)
			return -1;
		t->e = e;
		t->cap = cap;
	}
	struct tape_entry *e = &t->e[t->n];
	e->off = off;
	e->bytes = bytes_before(t, t->n);
	numbers_before(t, t->n, &e->file, &e->block);
	e->len = mark ? 0 : len;
	e->mark = mark;
	t->n++;
	return 0;
}

/* ---- loading: the index read from the image ---- */

/* Whether the entry at off, of an image of size bytes, is whole; its header in h. */
static bool entry_whole(int fd, uint64_t off, uint64_t size, unsigned char h[ENTRY_HEADER])
{
	if (off + ENTRY_HEADER > size || pread(fd, h, ENTRY_HEADER, (off_t)off) != ENTRY_HEADER)
		return false;
	uint32_t tag = get32(h), len = get32(h + 4);
	if (get32(h + 12) != crc32_of(h, 12) || (tag != TAG_RECORD && tag != TAG_MARK))
		return false;
	if ((tag == TAG_MARK && len) || len > RSM_TAPE_RECORD_MAX)
		return false;
	return off + ENTRY_HEADER + len <= size;
}

/* Whether the data of record e matches its checksum. */
static bool record_intact(int fd, const struct tape_entry *e)
{
	unsigned char h[ENTRY_HEADER];
	char *data = malloc(e->len ? e->len : 1);
	bool ok = data && pread(fd, h, ENTRY_HEADER, (off_t)e->off) == ENTRY_HEADER &&
		  pread(fd, data, e->len, (off_t)(e->off + ENTRY_HEADER)) == (ssize_t)e->len &&
		  crc32_of(data, e->len) == get32(h + 8);

	free(data);
	return ok;
}

/* Checks the image's header; a header cut short by a crash in the first write is a blank
 * tape (size set to 0). */
static rsm_err check_header(int fd, uint64_t *size)
{
	unsigned char want[IMAGE_HEADER], got[IMAGE_HEADER];
	size_t have = *size < IMAGE_HEADER ? (size_t)*size : IMAGE_HEADER;

	image_header(want);
	if (pread(fd, got, have, 0) != (ssize_t)have)
		return ERROR_IO_DEVICE;
	if (have < IMAGE_HEADER && memcmp(got, want, have) == 0) {
		*size = 0;
		return ERROR_SUCCESS;
	}
	if (have < IMAGE_HEADER || memcmp(got, want, 8) != 0 || get32(got + 8) != IMAGE_VERSION)
		return ERROR_UNEXPECTED_OMID; /* not an image of ours, or of a later version */
	return ERROR_SUCCESS;
}

/* Reads the index of the image; the end of data is where the last whole entry ends, and
 * anything after it (a partial entry) is cut off. */
static rsm_err scan(struct tape *t)
{
	struct stat st;
	unsigned char h[ENTRY_HEADER];

	if (fstat(t->fd, &st) < 0)
		return ERROR_IO_DEVICE;
	uint64_t size = (uint64_t)st.st_size, off = IMAGE_HEADER;
	rsm_err e = size ? check_header(t->fd, &size) : ERROR_SUCCESS;
	if (e != ERROR_SUCCESS)
		return e;
	while (size && entry_whole(t->fd, off, size, h)) {
		if (index_push(t, off, get32(h) == TAG_MARK, get32(h + 4)) < 0)
			return ERROR_NOT_ENOUGH_MEMORY;
		off += ENTRY_HEADER + get32(h + 4);
	}
	/* only the last record can have been cut short, and its lengths may still agree */
	if (t->n && !t->e[t->n - 1].mark && !record_intact(t->fd, &t->e[t->n - 1]))
		t->n--;
	t->end = !size	? 0
		 : t->n ? t->e[t->n - 1].off + ENTRY_HEADER + t->e[t->n - 1].len
			: IMAGE_HEADER;
	if (t->end != (uint64_t)st.st_size && ftruncate(t->fd, (off_t)t->end) < 0)
		return ERROR_IO_DEVICE;
	return ERROR_SUCCESS;
}

/* The state of a drive whose cartridge has just been threaded: at BOT, nothing owed. */
static void at_bot(struct tape *t)
{
	t->pos = 0;
	t->fm_owed = t->eod_read = t->offline = false;
	t->ew = 0;
}

rsm_err tape_load(struct tape *t, const char *path, const char *medium)
{
	tape_close(t);
	t->fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0)
		return ERROR_IO_DEVICE;
	t->n = 0;
	rsm_err e = scan(t);
	if (e != ERROR_SUCCESS) {
		close(t->fd);
		t->fd = -1;
		return e;
	}
	snprintf(t->medium, sizeof(t->medium), "%s", medium);
	at_bot(t);
	return ERROR_SUCCESS;
}

/* ---- writing ---- */

/* Appends one entry at the position: what follows it is erased first (a tape is written at
 * its end).  The entry is in the file when this returns. */
static rsm_err put_entry(struct tape *t, bool mark, const void *data, uint32_t len)
{
	unsigned char file_header[IMAGE_HEADER], h[ENTRY_HEADER];
	struct iovec iov[3];
	int k = 0;

	if (t->pos < t->n) {
		if (ftruncate(t->fd, (off_t)t->e[t->pos].off) < 0)
			return ERROR_IO_DEVICE;
		t->end = t->e[t->pos].off;
		t->n = t->pos;
	}
	uint64_t at = t->end ? t->end : 0, off = t->end ? t->end : IMAGE_HEADER;
	if (!t->end) {
		image_header(file_header);
		iov[k++] = (struct iovec){file_header, IMAGE_HEADER};
	}
	entry_header(h, mark, data, len);
	iov[k++] = (struct iovec){h, ENTRY_HEADER};
	if (len)
		iov[k++] = (struct iovec){(void *)data, len};
	size_t total = (off - at) + ENTRY_HEADER + len;
	ssize_t w = pwritev(t->fd, iov, k, (off_t)at);
	if (w != (ssize_t)total || index_push(t, off, mark, len) < 0) {
		/* the host's file system is full: nothing of it stays */
		if (ftruncate(t->fd, (off_t)t->end) < 0)
			return ERROR_IO_DEVICE;
		return w == (ssize_t)total ? ERROR_NOT_ENOUGH_MEMORY : ERROR_IO_DEVICE;
	}
	t->end = off + ENTRY_HEADER + len;
	t->pos = t->n;
	return ERROR_SUCCESS;
}

/* count filemarks at the position; sync: to stable storage, as a drive empties its buffer to
 * tape at a filemark. */
static rsm_err put_marks(struct tape *t, int32_t count, bool sync)
{
	for (int32_t i = 0; i < count; i++) {
		rsm_err e = put_entry(t, true, NULL, 0);
		if (e != ERROR_SUCCESS)
			return e;
	}
	t->fm_owed = false;
	if (sync && count && fdatasync(t->fd) < 0)
		return ERROR_IO_DEVICE;
	return ERROR_SUCCESS;
}

/* The filemark owed after writing, if one is. */
static rsm_err pay_owed(struct tape *t, bool sync)
{
	return t->fm_owed ? put_marks(t, 1, sync) : ERROR_SUCCESS;
}

void tape_close(struct tape *t)
{
	if (t->fd < 0)
		return;
	pay_owed(t, false); /* nowhere to report a failure: the cartridge is leaving */
	close(t->fd);
	t->fd = -1;
	t->n = 0;
	t->end = 0;
	t->medium[0] = '\0';
	at_bot(t);
}

void tape_eject(struct tape *t)
{
	pthread_mutex_lock(&t->lock);
	tape_close(t);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

/* Whether the drive is ready: a cartridge in it and not unloaded by st. */
static bool ready(const struct tape *t)
{
	return t->fd >= 0 && !t->offline;
}

/* st's early warning (rsmfs(5), TAPE FILES): the write that reaches it succeeds (GMT_EOT from
 * then on), the next one fails with ENOSPC, the one after that may write a trailer, and every
 * later one fails.  A write that does not fit before the physical end fails, writing nothing.
 * Returns whether this write may go on, advancing the sequence. */
static bool early_warning_allows(struct tape *t, size_t size)
{
	uint64_t used = bytes_before(t, t->pos);
	bool warned = used >= t->capacity - early_warning(t);

	if (warned && t->ew == 1) {
		t->ew = 2; /* the ENOSPC that tells of the warning */
		return false;
	}
	if (warned && t->ew == 3)
		return false;
	return used + size <= t->capacity; /* before the zone, the first write in it, the trailer */
}

/* The sequence after a write that went on. */
static void early_warning_after(struct tape *t)
{
	if (t->ew == 2)
		t->ew = 3;
	else if (t->ew == 0 && bytes_before(t, t->pos) >= t->capacity - early_warning(t))
		t->ew = 1;
}

/* One record (fixed blocks: one per block), once the checks and the early warning let it. */
rsm_err tape_write(struct tape *t, const void *buf, size_t size)
{
	if (!ready(t))
		return ERROR_NO_MEDIA_IN_DRIVE;
	if (t->wrprot)
		return ERROR_WRITE_PROTECT;
	if (size == 0)
		return ERROR_SUCCESS;
	if (size > RSM_TAPE_RECORD_MAX || (t->blksize && size % t->blksize))
		return ERROR_INVALID_PARAMETER;
	if (!early_warning_allows(t, size))
		return ERROR_END_OF_MEDIA;
	/* fixed-block mode: one block per record */
	size_t rec = t->blksize ? t->blksize : size;
	for (size_t done = 0; done < size; done += rec) {
		rsm_err e = put_entry(t, false, (const char *)buf + done, (uint32_t)rec);
		if (e != ERROR_SUCCESS)
			return e;
		t->fm_owed = true;
	}
	t->eod_read = false;
	early_warning_after(t);
	return ERROR_SUCCESS;
}

rsm_err tape_flush(struct tape *t)
{
	return t->fd >= 0 ? pay_owed(t, true) : ERROR_SUCCESS;
}

/* ---- reading ---- */

/* Reads record i into buf, checking its data. */
static rsm_err read_record(struct tape *t, size_t i, void *buf)
{
	unsigned char h[ENTRY_HEADER];
	const struct tape_entry *e = &t->e[i];

	if (pread(t->fd, h, ENTRY_HEADER, (off_t)e->off) != ENTRY_HEADER ||
	    pread(t->fd, buf, e->len, (off_t)(e->off + ENTRY_HEADER)) != (ssize_t)e->len ||
	    crc32_of(buf, e->len) != get32(h + 8))
		return ERROR_IO_DEVICE; /* a medium error */
	return ERROR_SUCCESS;
}

/* Variable-block read: the record at the position, whole (st: a smaller buffer is ENOMEM,
 * and the record is passed); 0 bytes at a filemark (passed) or the first time at the end of
 * data, which is EIO the next time. */
static rsm_err read_variable(struct tape *t, void *buf, size_t size, size_t *got)
{
	if (t->pos == t->n) {
		if (t->eod_read)
			return ERROR_NO_DATA_DETECTED;
		t->eod_read = true;
		return ERROR_SUCCESS;
	}
	const struct tape_entry *e = &t->e[t->pos++];
	if (e->mark)
		return ERROR_SUCCESS;
	if (e->len > size)
		return ERROR_MORE_DATA;
	rsm_err err = read_record(t, t->pos - 1, buf);
	if (err == ERROR_SUCCESS)
		*got = e->len;
	return err;
}

/* Fixed-block read: whole blocks while they fit and no filemark or end comes (those end the
 * read, or are the read when no block came before them). */
static rsm_err read_fixed(struct tape *t, void *buf, size_t size, size_t *got)
{
	if (size % t->blksize)
		return ERROR_INVALID_PARAMETER;
	while (*got + t->blksize <= size && t->pos < t->n && !t->e[t->pos].mark) {
		if (t->e[t->pos].len != t->blksize)
			return *got ? ERROR_SUCCESS
				    : ERROR_IO_DEVICE; /* not a block of this size */
		rsm_err e = read_record(t, t->pos, (char *)buf + *got);
		if (e != ERROR_SUCCESS)
			return e;
		*got += t->blksize;
		t->pos++;
	}
	return *got ? ERROR_SUCCESS : read_variable(t, buf, 0, got);
}

/* A read, by the block mode. */
rsm_err tape_read(struct tape *t, void *buf, size_t size, size_t *got)
{
	*got = 0;
	if (!ready(t))
		return ERROR_NO_MEDIA_IN_DRIVE;
	return t->blksize ? read_fixed(t, buf, size, got) : read_variable(t, buf, size, got);
}

/* ---- positioning (MTIOCTOP) ---- */

/* Forward over count filemarks, after the last; at the end of data short of them: EIO. */
static rsm_err op_fsf(struct tape *t, int32_t count)
{
	for (int32_t i = 0; i < count; i++) {
		while (t->pos < t->n && !t->e[t->pos].mark)
			t->pos++;
		if (t->pos == t->n)
			return ERROR_NO_DATA_DETECTED;
		t->pos++;
	}
	return ERROR_SUCCESS;
}

/* Backward over count filemarks, before the last; at BOT short of them: EIO. */
static rsm_err op_bsf(struct tape *t, int32_t count)
{
	for (int32_t i = 0; i < count; i++) {
		while (t->pos > 0 && !t->e[t->pos - 1].mark)
			t->pos--;
		if (t->pos == 0)
			return ERROR_BEGINNING_OF_MEDIA;
		t->pos--;
	}
	return ERROR_SUCCESS;
}

/* MTFSFM: forward over count filemarks, then back before the last. */
static rsm_err op_fsfm(struct tape *t, int32_t count)
{
	rsm_err e = op_fsf(t, count);

	if (e == ERROR_SUCCESS && count)
		t->pos--;
	return e;
}

/* MTBSFM: backward over count filemarks, then forward after the last. */
static rsm_err op_bsfm(struct tape *t, int32_t count)
{
	rsm_err e = op_bsf(t, count);

	if (e == ERROR_SUCCESS && count)
		t->pos++;
	return e;
}

/* Forward over count records; a filemark is crossed and ends it with EIO, as the end does. */
static rsm_err op_fsr(struct tape *t, int32_t count)
{
	for (int32_t i = 0; i < count; i++) {
		if (t->pos == t->n)
			return ERROR_NO_DATA_DETECTED;
		if (t->e[t->pos++].mark)
			return ERROR_FILEMARK_DETECTED;
	}
	return ERROR_SUCCESS;
}

/* Backward over count records; a filemark is crossed (the head before it) and ends it with
 * EIO, as BOT does. */
static rsm_err op_bsr(struct tape *t, int32_t count)
{
	for (int32_t i = 0; i < count; i++) {
		if (t->pos == 0)
			return ERROR_BEGINNING_OF_MEDIA;
		if (t->e[--t->pos].mark)
			return ERROR_FILEMARK_DETECTED;
	}
	return ERROR_SUCCESS;
}

/* count filemarks at the position, synced. */
static rsm_err op_weof(struct tape *t, int32_t count)
{
	if (t->wrprot)
		return ERROR_WRITE_PROTECT;
	return put_marks(t, count, true);
}

/* To BOT. */
static rsm_err op_rewind(struct tape *t, int32_t count)
{
	(void)count;
	t->pos = 0;
	return ERROR_SUCCESS;
}

/* To the end of data, ready to append. */
static rsm_err op_eom(struct tape *t, int32_t count)
{
	(void)count;
	t->pos = t->n;
	return ERROR_SUCCESS;
}

/* MTOFFL and MTUNLOAD: rewound and not ready; the cartridge stays until the library takes it
 * (a dismount), or MTLOAD threads it again. */
static rsm_err op_offline(struct tape *t, int32_t count)
{
	(void)count;
	t->pos = 0;
	t->offline = true;
	return ERROR_SUCCESS;
}

/* MTLOAD: threaded again, at BOT. */
static rsm_err op_load(struct tape *t, int32_t count)
{
	(void)count;
	t->pos = 0;
	t->offline = false;
	return ERROR_SUCCESS;
}

/* To logical object count (records and filemarks from BOT); past the end of data: EIO there. */
static rsm_err op_seek(struct tape *t, int32_t count)
{
	t->pos = (size_t)count < t->n ? (size_t)count : t->n;
	return (size_t)count <= t->n ? ERROR_SUCCESS : ERROR_NO_DATA_DETECTED;
}

/* MTSETBLK: fixed blocks of count bytes (at most a record), or variable (0). */
static rsm_err op_setblk(struct tape *t, int32_t count)
{
	if ((uint32_t)count > RSM_TAPE_RECORD_MAX)
		return ERROR_INVALID_PARAMETER;
	t->blksize = (uint32_t)count;
	return ERROR_SUCCESS;
}

/* Settings with nothing to set in a simulated drive. */
static rsm_err op_nop(struct tape *t, int32_t count)
{
	(void)t, (void)count;
	return ERROR_SUCCESS;
}

/* What an operation does with the filemark owed after writing: st writes it before a rewind,
 * an unload, a seek or a backspace over files (and the backspace then crosses it too); any
 * other move forgets it; the rest keep it. */
enum owed { OWED_KEEP, OWED_WRITE, OWED_WRITE_CROSS, OWED_FORGET };

static const struct tape_op_row {
	rsm_err (*fn)(struct tape *t, int32_t count);
	enum owed owed;
	bool moves;	   /* a move: the read and early-warning states start again */
	bool needs_ready;  /* a cartridge, threaded */
	bool needs_loaded; /* a cartridge, threaded or not */
} tape_ops[RSM_TAPE_NOPS] = {
    [RSM_TAPE_REWIND] = {op_rewind, OWED_WRITE, true, true, true},
    [RSM_TAPE_FSF] = {op_fsf, OWED_FORGET, true, true, true},
    [RSM_TAPE_BSF] = {op_bsf, OWED_WRITE_CROSS, true, true, true},
    [RSM_TAPE_FSFM] = {op_fsfm, OWED_FORGET, true, true, true},
    [RSM_TAPE_BSFM] = {op_bsfm, OWED_WRITE_CROSS, true, true, true},
    [RSM_TAPE_FSR] = {op_fsr, OWED_FORGET, true, true, true},
    [RSM_TAPE_BSR] = {op_bsr, OWED_FORGET, true, true, true},
    [RSM_TAPE_WEOF] = {op_weof, OWED_KEEP, true, true, true},
    [RSM_TAPE_EOM] = {op_eom, OWED_FORGET, true, true, true},
    [RSM_TAPE_OFFLINE] = {op_offline, OWED_WRITE, true, false, true},
    [RSM_TAPE_LOAD] = {op_load, OWED_WRITE, true, false, true},
    [RSM_TAPE_SEEK] = {op_seek, OWED_WRITE, true, true, true},
    [RSM_TAPE_SETBLK] = {op_setblk, OWED_KEEP, false, false, false},
    [RSM_TAPE_NOP] = {op_nop, OWED_KEEP, false, false, false},
};

/* An operation by its row: the drive's readiness, the filemark owed, then the move. */
rsm_err tape_op(struct tape *t, enum rsm_tape_op op, int32_t count)
{
	if ((unsigned)op >= RSM_TAPE_NOPS)
		return ERROR_INVALID_PARAMETER;
	const struct tape_op_row *row = &tape_ops[op];
	if ((row->needs_loaded && t->fd < 0) || (row->needs_ready && !ready(t)))
		return ERROR_NO_MEDIA_IN_DRIVE;
	if (count < 0 && op != RSM_TAPE_NOP)
		return ERROR_INVALID_PARAMETER;
	if (t->fm_owed && (row->owed == OWED_WRITE || row->owed == OWED_WRITE_CROSS)) {
		rsm_err e = put_marks(t, 1, true);
		if (e != ERROR_SUCCESS)
			return e;
		if (row->owed == OWED_WRITE_CROSS)
			count++;
	}
	if (row->owed == OWED_FORGET)
		t->fm_owed = false;
	if (row->moves) {
		t->eod_read = false;
		t->ew = 0;
	}
	return row->fn(t, count);
}

/* ---- status (MTIOCGET, MTIOCPOS) ---- */

/* The status from the position: the numbers of the entry the head is before. */
void tape_status(const struct tape *t, struct rsm_tape_status *s)
{
	uint32_t file, block;

	memset(s, 0, sizeof(*s));
	s->block_size = t->blksize;
	s->density = t->density;
	s->file = s->block = -1;
	if (!ready(t))
		return;
	numbers_before(t, t->pos, &file, &block);
	s->loaded = true;
	s->file = (int32_t)file;
	s->block = (int32_t)block;
	s->position = t->pos;
	s->bot = t->pos == 0;
	s->eof = t->pos > 0 && t->e[t->pos - 1].mark;
	s->eod = t->pos == t->n && t->n > 0;
	s->eot = bytes_before(t, t->pos) >= t->capacity - early_warning(t);
	s->wr_prot = t->wrprot;
}
