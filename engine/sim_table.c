/* sim_table.c - a simulated library's cartridges where they physically are, and their record
 * on disk (sim_table.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "log.h"
#include "sim_table.h"
#include "tape.h"

int sim_table_init(struct sim_table *t, const struct rsm_engine *eng, const char *library,
		   int nslots, int nports, int ndrives, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->nslots = nslots;
	t->nports = nports;
	t->ndrives = ndrives;
	t->slot = calloc((size_t)(nslots ? nslots : 1), sizeof(*t->slot));
	t->port = calloc((size_t)(nports ? nports : 1), sizeof(*t->port));
	t->drive = calloc((size_t)(ndrives ? ndrives : 1), sizeof(*t->drive));
	snprintf(t->path, sizeof(t->path), "%s/sim", eng->cfg.data_dir);
	snprintf(t->images, sizeof(t->images), "%s/images", eng->cfg.data_dir);
	if (make_dirs(t->path) < 0 || make_dirs(t->images) < 0) {
		snprintf(err, errlen, "cannot create data directory %s: %s", t->path,
			 strerror(errno));
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/sim/%s.state", eng->cfg.data_dir, library);
	if (!t->slot || !t->port || !t->drive) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void sim_table_free(struct sim_table *t)
{
	for (int i = 0; t->tapes && i < t->ndrives; i++)
		tape_destroy(&t->tapes[i]);
	free(t->tapes);
	free(t->slot);
	free(t->port);
	free(t->drive);
	free(t->written);
	memset(t, 0, sizeof(*t));
}

struct sim_cart *sim_table_at(struct sim_table *t, enum loc_kind loc, int addr)
{
	switch (loc) {
	case LOC_SLOT:
		return addr >= 0 && addr < t->nslots ? &t->slot[addr] : NULL;
	case LOC_PORT:
		return addr >= 0 && addr < t->nports ? &t->port[addr] : NULL;
	case LOC_DRIVE:
		return addr >= 0 && addr < t->ndrives ? &t->drive[addr] : NULL;
	default:
		return NULL;
	}
}

int sim_table_tapes(struct sim_table *t, uint64_t capacity, const char *media_type)
{
	t->tapes = calloc((size_t)(t->ndrives ? t->ndrives : 1), sizeof(*t->tapes));
	if (!t->tapes)
		return -1;
	for (int i = 0; i < t->ndrives; i++)
		tape_init(&t->tapes[i], capacity, media_type);
	return 0;
}

struct tape *sim_table_tape(struct sim_table *t, int n)
{
	return t->tapes && n >= 0 && n < t->ndrives ? &t->tapes[n] : NULL;
}

void sim_table_eject(struct sim_table *t, int n)
{
	struct tape *tape = sim_table_tape(t, n);

	if (tape)
		tape_eject(tape);
}

static void table_clear(struct sim_table *t)
{
	memset(t->slot, 0, sizeof(*t->slot) * (size_t)t->nslots);
	memset(t->port, 0, sizeof(*t->port) * (size_t)t->nports);
	memset(t->drive, 0, sizeof(*t->drive) * (size_t)t->ndrives);
}

/* One line of a record: "<slot|port|drive> <address> <name>[ unreadable]" (the sim knows which
 * cartridge it is; its barcode scanner, with "unreadable", does not).  Blank lines (padding)
 * are skipped. */
static struct sim_cart *parse_line(struct sim_table *t, const char *line, char *name,
				   bool *unreadable)
{
	static const char *const kinds[] = {
	    [LOC_SLOT] = "slot", [LOC_DRIVE] = "drive", [LOC_PORT] = "port"};
	char kind[16], flag[16] = "";
	int addr;
	int n = sscanf(line, "%15s %d %64s %15s", kind, &addr, name, flag);

	*unreadable = n == 4 && strcmp(flag, "unreadable") == 0;
	for (size_t k = 0; n >= 3 && k < ARRAY_SIZE(kinds); k++)
		if (kinds[k] && strcmp(kind, kinds[k]) == 0)
			return sim_table_at(t, (enum loc_kind)k, addr);
	return NULL;
}

int sim_table_load(struct sim_table *t)
{
	char line[256], name[RSM_NAME_MAX + 1];
	bool unreadable;
	FILE *f = fopen(t->path, "re");

	if (!f)
		return -1;
	table_clear(t);
	free(t->written); /* what the file holds is what counts from here on */
	t->written = NULL;
	while (fgets(line, sizeof(line), f)) {
		struct sim_cart *c = parse_line(t, line, name, &unreadable);
		if (c && valid_name(name)) {
			snprintf(c->name, sizeof(c->name), "%s", name);
			c->unreadable = unreadable;
		}
	}
	fclose(f);
	return 0;
}

void sim_table_from_model(struct sim_table *t, struct rsm_engine *eng, int li)
{
	table_clear(t);
	for (int i = 0; i < eng->nmedia; i++) {
		const struct medium *m = &eng->media[i];
		if (m->library != li || m->loc == LOC_OFFLINE)
			continue;
		int addr = m->loc == LOC_DRIVE ? eng->drives[m->loc_addr].number : m->loc_addr;
		struct sim_cart *c = sim_table_at(t, m->loc, addr);
		if (c)
			snprintf(c->name, sizeof(c->name), "%s", m->name);
	}
}

/* ---- the record ---- */

/* The record as text: slots, ports, drives.  A malloc'd string (NULL when out of memory). */
static char *table_render(const struct sim_table *t, size_t *len)
{
	static const char *const kinds[] = {"slot", "port", "drive"};
	const struct sim_cart *places[] = {t->slot, t->port, t->drive};
	const int counts[] = {t->nslots, t->nports, t->ndrives};
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < counts[k]; i++)
			if (places[k][i].name[0])
				fprintf(f, "%s %d %s%s\n", kinds[k], i, places[k][i].name,
					places[k][i].unreadable ? " unreadable" : "");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Writes text over the record in place when the result fits in one page: one pwrite of one
 * page is all or nothing against a kill, and it costs no new inode and no rename (which makes
 * ext4 write the data out at once).  The text is padded with blanks (a line the reader skips)
 * to the file's old length, so no stale tail survives.  0 on success, 1 when it does not fit,
 * -1 on error. */
static int record_in_place(const char *path, const char *text, size_t len)
{
	char page[4096];
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > sizeof(page) || len > sizeof(page)) {
		close(fd);
		return 1;
	}
	size_t total = len < (size_t)st.st_size ? (size_t)st.st_size : len;
	memcpy(page, text, len);
	if (total > len) {
		memset(page + len, ' ', total - len);
		page[total - 1] = '\n';
	}
	ssize_t n = pwrite(fd, page, total, 0);
	return close(fd) == 0 && n == (ssize_t)total ? 0 : -1;
}

/* Writes text as a new file renamed over the record: any size, atomic against a kill. */
static int record_by_rename(const char *path, const char *text, size_t len)
{
	char tmp[4300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (!(f = fopen(tmp, "we")))
		return -1;
	bool ok = fwrite(text, 1, len, f) == len;
	return fclose(f) == 0 && ok && rename(tmp, path) == 0 ? 0 : -1;
}

int sim_table_write(struct sim_table *t, struct rsm_engine *eng, const char *library)
{
	size_t len = 0;
	char *text;

	/* a catalog that cannot be written is a daemon that changes nothing, here neither */
	if (catalog_readonly(eng) || !(text = table_render(t, &len)))
		return -1;
	if (t->written && len == t->written_len && memcmp(text, t->written, len) == 0) {
		free(text); /* most saves of a medium do not move it */
		return 0;
	}
	int rc = record_in_place(t->path, text, len);
	if (rc == 1)
		rc = record_by_rename(t->path, text, len);
	if (rc != 0) {
		engine_log(RSM_LOG_ERROR, "sim %s: cannot record the changer state in %s: %s",
			   library, t->path, strerror(errno));
		free(text);
		return -1;
	}
	free(t->written);
	t->written = text;
	t->written_len = len;
	return 0;
}

/* ---- inventory ---- */

/* The medium a cartridge of the table is: by name, or discovered (a name the catalog has
 * never seen; an unlabeled one gets a new name, which the table takes). */
static int cart_medium(struct rsm_engine *eng, int li, struct sim_cart *c)
{
	int mi = medium_find(eng, c->name);

	if (mi >= 0)
		return mi;
	mi = medium_discover(eng, li, strncmp(c->name, "unlabeled-", 10) ? c->name : "");
	if (mi >= 0)
		snprintf(c->name, sizeof(c->name), "%s", eng->media[mi].name);
	return mi;
}

int sim_table_inventory(struct sim_table *t, struct rsm_engine *eng, int li)
{
	struct sim_cart *places[] = {t->slot, t->port, t->drive};
	const enum loc_kind locs[] = {LOC_SLOT, LOC_PORT, LOC_DRIVE};
	const int counts[] = {t->nslots, t->nports, t->ndrives};
	struct library *l = &eng->libraries[li];

	/* first the cartridges the catalog has never seen, so that every one has an index */
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < counts[k]; i++)
			if (places[k][i].name[0])
				cart_medium(eng, li, &places[k][i]);
	struct place *p = malloc(sizeof(*p) * (size_t)(eng->nmedia ? eng->nmedia : 1));
	if (!p)
		return -1;
	for (int i = 0; i < eng->nmedia; i++)
		p[i] = (struct place){LOC_OFFLINE, 0, false};
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < counts[k]; i++) {
			int mi = places[k][i].name[0] ? medium_find(eng, places[k][i].name) : -1;
			if (mi < 0 || (locs[k] == LOC_DRIVE && i >= l->ndrives))
				continue;
			p[mi] =
			    (struct place){locs[k], locs[k] == LOC_DRIVE ? l->drive_index[i] : i,
					   places[k][i].unreadable};
		}
	}
	int changes = inventory_apply(eng, li, p);
	free(p);
	sim_table_write(t, eng, l->name);
	return changes;
}

void sim_image_path(const struct sim_table *t, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.img", t->images, name);
}

int sim_image_create(const struct sim_table *t, const char *name)
{
	char path[4400];
	int fd;

	sim_image_path(t, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

void sim_scratch_barcode(const struct rsm_engine *eng, const char *type, char *buf, size_t len)
{
	char suffix[3];

	/* the suffix follows the media type: "L6" for LTO-6, else its first two letters */
	if (strncmp(type, "LTO-", 4) == 0 && type[4]) {
		suffix[0] = 'L';
		suffix[1] = type[4];
	} else {
		suffix[0] = type[0] ? type[0] : 'X';
		suffix[1] = type[0] && type[1] ? type[1] : 'X';
	}
	suffix[2] = '\0';
	snprintf(buf, len, "T%05d%s", eng->nmedia + 1, suffix);
}
