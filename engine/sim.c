/* sim.c - the simulated changer: its cartridges' image files, its own record of where every
 * cartridge physically is, the operator's hands at its port, and its fault injection.
 *
 * A real changer keeps its cartridges wherever they are, whatever the catalog says; the sim
 * does the same in <data_dir>/sim/<library>.state, written whenever a cartridge moves and
 * before the catalog records the move.  After a crash, the catalog is reconciled with it
 * (sim_inventory), as an inventory reconciles a real library.  Each cartridge has an image
 * file under <data_dir>/images, so `tar cf "$(cat drives/d0/device)"` writes to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

void sim_image_path(struct rsm_engine *eng, const struct medium *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s/images/%s.img", eng->cfg.data_dir, m->name);
}

/* Creates the image file if it does not exist yet; an existing image keeps its data. */
int sim_create_image(struct rsm_engine *eng, const struct medium *m)
{
	char path[4200];
	int fd;

	sim_image_path(eng, m, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static bool is_sim(struct rsm_engine *eng, int li)
{
	return li >= 0 && li < eng->nlibraries && strcmp(eng->libraries[li].backend, "sim") == 0;
}

static void state_path(struct rsm_engine *eng, int li, char *buf, size_t len)
{
	snprintf(buf, len, "%s/sim/%s.state", eng->cfg.data_dir, eng->libraries[li].name);
}

/* ---- the changer's physical state ---- */

/* The changer's record as text: one line per cartridge it holds.  Returns a malloc'd string
 * (NULL when out of memory) and its length. */
static char *sim_render(struct rsm_engine *eng, int li, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	for (int i = 0; i < eng->nmedia; i++) {
		const struct medium *m = &eng->media[i];
		if (m->library != li || m->loc == LOC_OFFLINE || m->sim_missing)
			continue;
		const char *label = m->sim_unreadable ? " unreadable" : "";
		if (m->loc == LOC_SLOT)
			fprintf(f, "slot %d %s%s\n", m->loc_addr, m->name, label);
		else if (m->loc == LOC_PORT)
			fprintf(f, "port %d %s%s\n", m->loc_addr, m->name, label);
		else
			fprintf(f, "drive %d %s%s\n", eng->drives[m->loc_addr].number, m->name,
				label);
	}
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

/* Writes the changer's physical state when it differs from what was last written: most saves
 * of a medium do not move it. */
void sim_record(struct rsm_engine *eng, int li)
{
	char path[4200];
	size_t len = 0;
	char *text;

	if (!is_sim(eng, li) || eng->db_readonly || !(text = sim_render(eng, li, &len)))
		return;
	struct library *l = &eng->libraries[li];
	if (l->sim_written && len == l->sim_written_len && memcmp(text, l->sim_written, len) == 0) {
		free(text);
		return;
	}
	state_path(eng, li, path, sizeof(path));
	int rc = record_in_place(path, text, len);
	if (rc == 1)
		rc = record_by_rename(path, text, len);
	if (rc != 0) {
		fprintf(stderr, "rsmfs: sim %s: cannot record the changer state in %s: %s\n",
			l->name, path, strerror(errno));
		free(text);
		return;
	}
	free(l->sim_written);
	l->sim_written = text;
	l->sim_written_len = len;
}

/* Forgets what was last written, so that the next sim_record writes (the file was read or
 * may have been changed behind the engine's back). */
void sim_record_forget(struct rsm_engine *eng, int li)
{
	if (li >= 0 && li < eng->nlibraries) {
		free(eng->libraries[li].sim_written);
		eng->libraries[li].sim_written = NULL;
	}
}

int medium_discover(struct rsm_engine *eng, int li, const char *barcode)
{
	char name[RSM_NAME_MAX + 1];
	bool cleaner = strncmp(barcode, "CLN", 3) == 0;
	int pool = pool_find(eng, cleaner ? "cleaner" : "import");

	if (barcode[0])
		snprintf(name, sizeof(name), "%s", barcode);
	else
		snprintf(name, sizeof(name), "unlabeled-%llu",
			 (unsigned long long)++eng->next_unlabeled);
	if (pool < 0 || !valid_name(name) || medium_find(eng, name) >= 0)
		return NO_INDEX;
	struct medium *n = realloc(eng->media, sizeof(*n) * (size_t)(eng->nmedia + 1));
	if (!n)
		return NO_INDEX;
	eng->media = n;
	struct medium *m = &eng->media[eng->nmedia];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->barcode, sizeof(m->barcode), "%s", barcode);
	guid_new(m->guid);
	snprintf(m->type, sizeof(m->type), "%s", eng->libraries[li].media_type);
	m->state = MEDIA_OFFLINE;
	m->enabled = true;
	m->library = li;
	m->pool = pool;
	m->loc = LOC_OFFLINE;
	m->home_slot = -1;
	m->nsides = 1;
	guid_new(m->sides[0].guid);
	m->sides[0].state = cleaner ? SIDE_AVAILABLE : SIDE_IMPORT;
	if (!barcode[0])
		catalog_set_meta(eng, "next_unlabeled", eng->next_unlabeled);
	if (is_sim(eng, li))
		sim_create_image(eng, m);
	int mi = eng->nmedia++;
	char path[RSM_NAME_MAX + 16];
	snprintf(path, sizeof(path), "media/%s", m->name);
	emit(eng, RSM_OBJ_MEDIA, RSM_EV_INSERT, path, m->guid);
	emit_pool(eng, &eng->pools[pool], RSM_EV_UPDATE);
	return mi;
}

/* One line of a state file: "<slot|port|drive> <address> <medium>[ unreadable]" (the sim
 * knows which cartridge it is; its barcode scanner, with "unreadable", does not). */
static bool parse_state_line(const char *line, char kind[16], int *addr,
			     char name[RSM_NAME_MAX + 2], bool *unreadable)
{
	char flag[16] = "";
	int n = sscanf(line, "%15s %d %65s %15s", kind, addr, name, flag);
	*unreadable = n == 4 && strcmp(flag, "unreadable") == 0;
	return n >= 3;
}

/* Reads library li's state file into places[] (one per medium, LOC_OFFLINE when absent).
 * A first pass discovers the cartridges the catalog has never seen, so that the second one
 * knows every medium.  -1 when there is no readable file. */
static int read_state(struct rsm_engine *eng, int li, struct place **out)
{
	struct library *l = &eng->libraries[li];
	char path[4200], line[256], kind[16], name[RSM_NAME_MAX + 2];
	int addr;
	bool unreadable;
	FILE *f;

	state_path(eng, li, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -1;
	sim_record_forget(eng, li); /* what the file holds is what counts from here on */
	while (fgets(line, sizeof(line), f))
		if (parse_state_line(line, kind, &addr, name, &unreadable) &&
		    medium_find(eng, name) < 0)
			medium_discover(eng, li, strncmp(name, "unlabeled-", 10) ? name : "");
	struct place *p = malloc(sizeof(*p) * (size_t)(eng->nmedia ? eng->nmedia : 1));
	if (!p) {
		fclose(f);
		return -1;
	}
	for (int i = 0; i < eng->nmedia; i++)
		p[i] = (struct place){LOC_OFFLINE, 0, false};
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		int mi;
		if (!parse_state_line(line, kind, &addr, name, &unreadable) ||
		    (mi = medium_find(eng, name)) < 0)
			continue;
		if (!strcmp(kind, "slot") && addr >= 0 && addr < l->nslots)
			p[mi] = (struct place){LOC_SLOT, addr, unreadable};
		else if (!strcmp(kind, "port") && addr >= 0 && addr < l->nports)
			p[mi] = (struct place){LOC_PORT, addr, unreadable};
		else if (!strcmp(kind, "drive") && addr >= 0 && addr < l->ndrives)
			p[mi] = (struct place){LOC_DRIVE, l->drive_index[addr], unreadable};
		eng->media[mi].sim_unreadable = unreadable;
	}
	fclose(f);
	*out = p;
	return 0;
}

int sim_inventory(struct rsm_engine *eng, int li)
{
	struct place *p = NULL;
	int changes;

	if (!is_sim(eng, li))
		return -1;
	if (read_state(eng, li, &p) < 0) {
		sim_record(eng, li); /* a changer with no record yet: it holds what we know */
		return 0;
	}
	changes = inventory_apply(eng, li, p);
	free(p);
	return changes;
}

/* ---- the operator's hands and fault injection ---- */

/* Checks the operator's access and finds the library; -1 with *e set on failure. */
static int sim_library(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       rsm_err *e)
{
	int li;

	*e = ERROR_SUCCESS;
	if (eng->stopping)
		*e = ERROR_NOT_CONNECTED;
	else if (!cred || !cred->admin)
		*e = ERROR_ACCESS_DENIED;
	else if ((li = library_find(eng, library)) < 0)
		*e = ERROR_INVALID_LIBRARY;
	else if (strcmp(eng->libraries[li].backend, "sim") != 0)
		*e = ERROR_INVALID_OPERATION;
	else
		return li;
	return -1;
}

rsm_err rsm_sim_remove(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       int port)
{
	rsm_err e;

	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	if (li < 0)
		goto out;
	struct library *l = &eng->libraries[li];
	if (port < 0)
		for (int p = 0; p < l->nports && port < 0; p++)
			if (l->port_medium[p] != NO_INDEX && !eng->media[l->port_medium[p]].busy)
				port = p;
	if (port < 0 || port >= l->nports) {
		e = port < 0 ? ERROR_EMPTY : ERROR_INVALID_PARAMETER;
		goto out;
	}
	int mi = l->port_medium[port];
	if (mi == NO_INDEX || eng->media[mi].busy || eng->media[mi].loc != LOC_PORT) {
		e = mi == NO_INDEX ? ERROR_EMPTY : ERROR_BUSY;
		goto out;
	}
	struct medium *m = &eng->media[mi];
	struct medium saved = *m;
	m->loc = LOC_OFFLINE;
	m->loc_addr = 0;
	m->state = MEDIA_OFFLINE;
	sim_record(eng, li); /* the cartridge is in the operator's hand now */
	e = catalog_save_checked(eng, NULL, m, NULL);
	if (e != ERROR_SUCCESS) {
		*m = saved;
		sim_record(eng, li);
		goto out;
	}
	l->port_medium[port] = NO_INDEX;
	emit_medium(eng, m);
	emit_slots(eng, l, true);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_insert(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       const char *barcode, int port)
{
	rsm_err e;

	if (!barcode || (barcode[0] && !valid_name(barcode)))
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	if (li < 0)
		goto out;
	struct library *l = &eng->libraries[li];
	if (port < 0)
		port = first_free(l->port_medium, l->nports);
	if (port < 0 || port >= l->nports) {
		e = port < 0 ? ERROR_IEPORT_FULL : ERROR_INVALID_PARAMETER;
		goto out;
	}
	if (l->port_medium[port] != NO_INDEX) {
		e = ERROR_IEPORT_FULL;
		goto out;
	}
	int mi = medium_by_barcode(eng, barcode);
	if (mi < 0) {
		/* a cartridge the catalog has never seen: the barcode reader classifies it */
		mi = medium_discover(eng, li, barcode);
		if (mi < 0) {
			e = ERROR_NOT_ENOUGH_MEMORY;
			goto out;
		}
	}
	struct medium *m = &eng->media[mi];
	if (m->loc != LOC_OFFLINE) {
		e = ERROR_INVALID_STATE; /* that cartridge is already inside a library */
		goto out;
	}
	struct medium saved = *m;
	m->library = li;
	m->loc = LOC_PORT;
	m->loc_addr = port;
	m->state = MEDIA_IN_PORT;
	l->port_medium[port] = mi;
	sim_record(eng, li);
	e = catalog_save_checked(eng, NULL, m, NULL);
	if (e != ERROR_SUCCESS) {
		*m = saved;
		l->port_medium[port] = NO_INDEX;
		sim_record(eng, li);
		goto out;
	}
	emit_medium(eng, m);
	emit_slots(eng, l, true);
out:
	engine_unlock(eng);
	return e;
}

/* A sim library and one of its drives, for fault injection. */
static int sim_drive(struct rsm_engine *eng, int li, const char *drive, rsm_err *e)
{
	int di = drive ? drive_find(eng, drive) : NO_INDEX;

	if (di < 0 || eng->drives[di].library != li) {
		*e = ERROR_INVALID_DRIVE;
		return NO_INDEX;
	}
	return di;
}

rsm_err rsm_sim_drive_fault(struct rsm_engine *eng, const struct rsm_cred *cred,
			    const char *library, const char *drive, bool failed)
{
	rsm_err e;

	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	int di = li >= 0 ? sim_drive(eng, li, drive, &e) : NO_INDEX;
	if (di >= 0 && eng->drives[di].failed == failed)
		e = ERROR_INVALID_STATE; /* failed already, or not failed */
	else if (di >= 0)
		device_fault(eng, li, di, failed);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_medium_fault(struct rsm_engine *eng, const struct rsm_cred *cred,
			     const char *library, const char *medium,
			     enum rsm_sim_medium_fault fault)
{
	rsm_err e;

	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	int mi = li >= 0 ? medium_find(eng, medium) : NO_INDEX;
	struct medium *m = mi >= 0 ? &eng->media[mi] : NULL;
	if (li < 0)
		goto out;
	if (!m || m->library != li || m->loc == LOC_OFFLINE) {
		e = ERROR_INVALID_MEDIA;
	} else if (fault == RSM_SIM_LOSE) {
		/* a hand takes it from its slot: only a cartridge at rest can be */
		if (m->loc != LOC_SLOT || m->busy || m->sim_missing)
			e = ERROR_INVALID_STATE;
		else
			m->sim_missing = true;
	} else {
		bool unreadable = fault == RSM_SIM_UNREADABLE;
		if (m->sim_unreadable == unreadable)
			e = ERROR_INVALID_STATE;
		else
			m->sim_unreadable = unreadable;
	}
	if (e == ERROR_SUCCESS)
		sim_record(eng, li);
out:
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_jam(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		    bool jammed)
{
	rsm_err e;

	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	if (li >= 0 && eng->libraries[li].jammed == jammed)
		e = ERROR_INVALID_STATE;
	else if (li >= 0)
		device_fault(eng, li, NO_INDEX, jammed);
	engine_unlock(eng);
	return e;
}

rsm_err rsm_sim_timing(struct rsm_engine *eng, const struct rsm_cred *cred, const char *library,
		       double move, double load, double unload)
{
	rsm_err e;

	if (move > 86400 || load > 86400 || unload > 86400)
		return ERROR_INVALID_PARAMETER;
	engine_lock(eng);
	int li = sim_library(eng, cred, library, &e);
	if (li >= 0) {
		struct library *l = &eng->libraries[li];
		if (move >= 0)
			l->move_time = move;
		if (load >= 0)
			l->load_time = load;
		if (unload >= 0)
			l->unload_time = unload;
	}
	engine_unlock(eng);
	return e;
}
