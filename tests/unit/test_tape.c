/* test_tape.c - the tape of a simulated drive (engine/tape.c; rsmfs(5), TAPE FILES and TAPE
 * IMAGES): records and filemarks as st reads and writes them, spacing and its errors, the
 * early warning, write protection, fixed blocks, and images that a crash cut short. */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tape.h"

struct fixture {
	char dir[64], path[128];
	struct tape t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/rsmfs-tape.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/T00001L6.img", f->dir);
	close(open(f->path, O_CREAT | O_WRONLY, 0644)); /* the sim makes them empty: blank */
	tape_init(&f->t, 0, "LTO-6");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tape_destroy(&f->t);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes a record of len bytes of value c. */
static void put(struct tape *t, size_t len, char c)
{
	char *buf = malloc(len);

	memset(buf, c, len);
	assert_int_equal(tape_write(t, buf, len), ERROR_SUCCESS);
	free(buf);
}

/* Reads one record, expecting err and (on success) len bytes of value c. */
static void get(struct tape *t, rsm_err err, size_t len, char c)
{
	char buf[8192];
	size_t got = 99;

	assert_int_equal(tape_read(t, buf, sizeof(buf), &got), err);
	if (err != ERROR_SUCCESS)
		return;
	assert_int_equal(got, len);
	for (size_t i = 0; i < got; i++)
		assert_int_equal(buf[i], c);
}

static void where(const struct tape *t, int file, int block)
{
	struct rsm_tape_status s;

	tape_status(t, &s);
	assert_true(s.loaded);
	assert_int_equal(s.file, file);
	assert_int_equal(s.block, block);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Two files of records of several sizes; reload: all there, boundaries kept. */
static void test_records_persist(void **state)
{
	struct fixture *f = *state;
	struct rsm_tape_status s;

	assert_int_equal(tape_load(&f->t, f->path, "T00001L6"), ERROR_SUCCESS);
	tape_status(&f->t, &s);
	assert_true(s.bot);
	assert_false(s.eod);
	put(&f->t, 100, 'a');
	put(&f->t, 5000, 'b');
	assert_int_equal(tape_flush(&f->t), ERROR_SUCCESS); /* the filemark owed */
	put(&f->t, 1, 'c');
	tape_close(&f->t); /* the filemark owed again */
	assert_int_equal(tape_load(&f->t, f->path, "T00001L6"), ERROR_SUCCESS);
	get(&f->t, ERROR_SUCCESS, 100, 'a');
	get(&f->t, ERROR_SUCCESS, 5000, 'b');
	where(&f->t, 0, 2);
	get(&f->t, ERROR_SUCCESS, 0, 0); /* the filemark, once */
	where(&f->t, 1, 0);
	get(&f->t, ERROR_SUCCESS, 1, 'c');
	get(&f->t, ERROR_SUCCESS, 0, 0);
	get(&f->t, ERROR_SUCCESS, 0, 0); /* the end of data: 0 the first time */
	get(&f->t, ERROR_NO_DATA_DETECTED, 0, 0);
	tape_status(&f->t, &s);
	assert_true(s.eod && s.eof);
	assert_int_equal(s.position, 5);
}

/* A buffer smaller than the record: ENOMEM's error, and the record is passed. */
static void test_small_buffer(void **state)
{
	struct fixture *f = *state;
	char buf[10];
	size_t got;

	assert_int_equal(tape_load(&f->t, f->path, "T00001L6"), ERROR_SUCCESS);
	put(&f->t, 100, 'a');
	put(&f->t, 10, 'b');
	assert_int_equal(tape_op(&f->t, RSM_TAPE_REWIND, 1), ERROR_SUCCESS);
	assert_int_equal(tape_read(&f->t, buf, sizeof(buf), &got), ERROR_MORE_DATA);
	assert_int_equal(tape_read(&f->t, buf, sizeof(buf), &got), ERROR_SUCCESS);
	assert_int_equal(got, 10);
}

/* Spacing over files and records, and st's errors at the ends and at filemarks. */
static void test_spacing(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;

	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	for (int file = 0; file < 3; file++) {
		put(t, 10, (char)('a' + file));
		put(t, 20, (char)('a' + file));
		assert_int_equal(tape_op(t, RSM_TAPE_WEOF, 1), ERROR_SUCCESS);
	}
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_SUCCESS);
	assert_int_equal(tape_op(t, RSM_TAPE_FSF, 2), ERROR_SUCCESS);
	where(t, 2, 0);
	get(t, ERROR_SUCCESS, 10, 'c');
	assert_int_equal(tape_op(t, RSM_TAPE_BSF, 1), ERROR_SUCCESS);
	where(t, 1, 2); /* before the filemark of file 1 */
	assert_int_equal(tape_op(t, RSM_TAPE_BSFM, 1), ERROR_SUCCESS);
	where(t, 1, 0); /* back over the filemark of file 0, then after it */
	assert_int_equal(tape_op(t, RSM_TAPE_FSFM, 1), ERROR_SUCCESS);
	where(t, 1, 2);
	assert_int_equal(tape_op(t, RSM_TAPE_FSR, 1), ERROR_FILEMARK_DETECTED);
	where(t, 2, 0); /* the filemark was crossed */
	assert_int_equal(tape_op(t, RSM_TAPE_FSF, 2), ERROR_NO_DATA_DETECTED);
	where(t, 3, 0);
	assert_int_equal(tape_op(t, RSM_TAPE_BSR, 1), ERROR_FILEMARK_DETECTED);
	where(t, 2, 2);
	assert_int_equal(tape_op(t, RSM_TAPE_BSR, 2), ERROR_SUCCESS);
	where(t, 2, 0);
	assert_int_equal(tape_op(t, RSM_TAPE_SEEK, 4), ERROR_SUCCESS);
	where(t, 1, 1);
	assert_int_equal(tape_op(t, RSM_TAPE_SEEK, 99), ERROR_NO_DATA_DETECTED);
	assert_int_equal(tape_op(t, RSM_TAPE_BSF, 9), ERROR_BEGINNING_OF_MEDIA);
	where(t, 0, 0);
	assert_int_equal(tape_op(t, RSM_TAPE_EOM, 0), ERROR_SUCCESS);
	where(t, 3, 0);
	assert_int_equal(tape_op(t, RSM_TAPE_FSR, 1), ERROR_NO_DATA_DETECTED);
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_SUCCESS);
	assert_int_equal(tape_op(t, RSM_TAPE_BSR, 1), ERROR_BEGINNING_OF_MEDIA);
	assert_int_equal(tape_op(t, RSM_TAPE_FSR, -1), ERROR_INVALID_PARAMETER);
}

/* The filemark owed after writing: written before a rewind, and before a backspace over files,
 * which then crosses it too; a write in the middle erases what follows. */
static void test_owed_filemark(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;

	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	put(t, 10, 'a');
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_SUCCESS);
	assert_int_equal(tape_op(t, RSM_TAPE_EOM, 0), ERROR_SUCCESS);
	where(t, 1, 0);
	put(t, 10, 'b');
	assert_int_equal(tape_op(t, RSM_TAPE_BSF, 1), ERROR_SUCCESS);
	where(t, 0, 1); /* before the filemark of file 0 */
	assert_int_equal(tape_op(t, RSM_TAPE_EOM, 0), ERROR_SUCCESS);
	where(t, 2, 0);
	assert_int_equal(tape_op(t, RSM_TAPE_SEEK, 1), ERROR_SUCCESS);
	put(t, 30, 'c'); /* over the first filemark: the rest is gone */
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_SUCCESS);
	get(t, ERROR_SUCCESS, 10, 'a');
	get(t, ERROR_SUCCESS, 30, 'c');
	get(t, ERROR_SUCCESS, 0, 0);
	get(t, ERROR_SUCCESS, 0, 0);
	get(t, ERROR_NO_DATA_DETECTED, 0, 0);
}

/* A crash in the middle of a write: the partial record is dropped at the next load, and the
 * records before it are whole. */
static void test_partial_record_dropped(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;

	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	put(t, 100, 'a');
	put(t, 200, 'b');
	off_t whole = file_size(f->path);
	put(t, 300, 'c');
	t->fm_owed = false; /* the daemon died: no filemark */
	tape_close(t);
	/* cut in its data, then in its header */
	for (off_t cut = whole + 16 + 299; cut > whole; cut -= 10) {
		assert_int_equal(truncate(f->path, cut), 0);
		assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
		assert_int_equal(file_size(f->path), whole);
		get(t, ERROR_SUCCESS, 100, 'a');
		get(t, ERROR_SUCCESS, 200, 'b');
		get(t, ERROR_SUCCESS, 0, 0);
		tape_close(t);
		/* the record again, for the next cut */
		assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
		assert_int_equal(tape_op(t, RSM_TAPE_EOM, 0), ERROR_SUCCESS);
		put(t, 300, 'c');
		t->fm_owed = false;
		tape_close(t);
	}
	/* a last record whose lengths agree but whose data is not what was written */
	int fd = open(f->path, O_WRONLY);
	assert_int_equal(pwrite(fd, "zz", 2, whole + 16 + 150), 2);
	close(fd);
	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	assert_int_equal(tape_op(t, RSM_TAPE_EOM, 0), ERROR_SUCCESS);
	where(t, 0, 2);
}

/* An image cut in its header is blank; a file that is not an image is refused. */
static void test_headers(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;

	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	put(t, 10, 'a');
	t->fm_owed = false;
	tape_close(t);
	assert_int_equal(truncate(f->path, 5), 0);
	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	assert_int_equal(file_size(f->path), 0);
	get(t, ERROR_SUCCESS, 0, 0);
	tape_close(t);
	int fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "ustar archive, not ours......................", 40), 40);
	close(fd);
	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_UNEXPECTED_OMID);
	assert_int_equal(file_size(f->path), 40); /* and left alone */
}

/* st's early warning: the write that reaches it succeeds, the next is ENOSPC, a trailer may
 * follow, then ENOSPC for good; a write past the physical end writes nothing. */
static void test_early_warning(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;
	struct rsm_tape_status s;
	char buf[4096] = {0};

	tape_destroy(t);
	tape_init(t, 16 * 4096, "LTO-6"); /* the warning 4096 bytes before the end */
	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	for (int i = 0; i < 15; i++)
		assert_int_equal(tape_write(t, buf, sizeof(buf)), ERROR_SUCCESS);
	tape_status(t, &s);
	assert_true(s.eot);
	assert_int_equal(tape_write(t, buf, 100), ERROR_END_OF_MEDIA);
	assert_int_equal(tape_write(t, buf, 5000), ERROR_END_OF_MEDIA); /* does not fit */
	assert_int_equal(tape_write(t, buf, 100), ERROR_SUCCESS);	/* the trailer */
	assert_int_equal(tape_write(t, buf, 100), ERROR_END_OF_MEDIA);
	assert_int_equal(tape_op(t, RSM_TAPE_WEOF, 1), ERROR_SUCCESS); /* filemarks take none */
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_SUCCESS);
	tape_status(t, &s);
	assert_false(s.eot);
}

/* Write protection, going offline, and an empty drive. */
static void test_protect_offline_empty(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;
	struct rsm_tape_status s;
	size_t got;
	char buf[16];

	assert_int_equal(tape_read(t, buf, sizeof(buf), &got), ERROR_NO_MEDIA_IN_DRIVE);
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_NO_MEDIA_IN_DRIVE);
	assert_int_equal(tape_op(t, RSM_TAPE_SETBLK, 0), ERROR_SUCCESS);
	tape_status(t, &s);
	assert_false(s.loaded);
	assert_int_equal(s.file, -1);
	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	t->wrprot = true;
	assert_int_equal(tape_write(t, buf, sizeof(buf)), ERROR_WRITE_PROTECT);
	assert_int_equal(tape_op(t, RSM_TAPE_WEOF, 1), ERROR_WRITE_PROTECT);
	tape_status(t, &s);
	assert_true(s.wr_prot);
	t->wrprot = false;
	assert_int_equal(tape_op(t, RSM_TAPE_OFFLINE, 0), ERROR_SUCCESS);
	tape_status(t, &s);
	assert_false(s.loaded);
	assert_int_equal(tape_write(t, buf, sizeof(buf)), ERROR_NO_MEDIA_IN_DRIVE);
	assert_int_equal(tape_op(t, RSM_TAPE_LOAD, 0), ERROR_SUCCESS);
	where(t, 0, 0);
	uint64_t gen = t->gen;
	tape_eject(t);
	assert_int_equal(t->gen, gen + 1);
	tape_status(t, &s);
	assert_false(s.loaded);
}

/* Fixed-block mode: a write is blocks of the size, a read takes whole blocks. */
static void test_fixed_blocks(void **state)
{
	struct fixture *f = *state;
	struct tape *t = &f->t;
	char buf[2048];
	size_t got;

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(tape_load(t, f->path, "T00001L6"), ERROR_SUCCESS);
	assert_int_equal(tape_op(t, RSM_TAPE_SETBLK, 512), ERROR_SUCCESS);
	assert_int_equal(tape_write(t, buf, 1000), ERROR_INVALID_PARAMETER);
	assert_int_equal(tape_write(t, buf, 2048), ERROR_SUCCESS);
	where(t, 0, 4);
	assert_int_equal(tape_op(t, RSM_TAPE_REWIND, 0), ERROR_SUCCESS);
	assert_int_equal(tape_read(t, buf, 1024, &got), ERROR_SUCCESS);
	assert_int_equal(got, 1024);
	assert_int_equal(tape_read(t, buf, 2048, &got), ERROR_SUCCESS);
	assert_int_equal(got, 1024);
	assert_int_equal(tape_read(t, buf, 512, &got), ERROR_SUCCESS); /* the filemark */
	assert_int_equal(got, 0);
}

static void test_media_types(void **state)
{
	(void)state;
	assert_int_equal(tape_native_capacity("LTO-6"), 2500000000000ull);
	assert_int_equal(tape_native_capacity("LTO-9"), 18000000000000ull);
	assert_int_equal(tape_native_capacity("DLT"), 2500000000000ull);
	assert_int_equal(tape_density("LTO-6"), 0x5a);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_records_persist), T(test_small_buffer),	     T(test_spacing),
	    T(test_owed_filemark),   T(test_partial_record_dropped), T(test_headers),
	    T(test_early_warning),   T(test_protect_offline_empty),  T(test_fixed_blocks),
	    T(test_media_types),
	};
	return cmocka_run_group_tests_name("tape", tests, NULL, NULL);
}
