/* objects.c - EnumerateNtmsObject and GetNtmsObjectInformationA (rsm-reference.md §1.7): the
 * tree's directories listed, and an object's attribute files read into the Win32 structures
 * (rsmfs(5) gives each file; rsm-reference §2-§3 each field).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntms.h"

/* ---- tables: the tree's words and RSM's numbers ---- */

struct word_value {
	const char *word;
	DWORD value;
};

/* The value of a word in a table ended by {NULL, d}: d when the word is not in it. */
static DWORD value_of(const struct word_value *t, const char *word)
{
	for (; t->word; t++)
		if (strcmp(t->word, word) == 0)
			return t->value;
	return t->value;
}

/* drives/<d>/state (rsmfs(5)) as NtmsDriveState. */
static const struct word_value drive_states[] = {
    {"empty", NTMS_DRIVESTATE_DISMOUNTED},   {"loading", NTMS_DRIVESTATE_MOUNTED},
    {"mounted", NTMS_DRIVESTATE_LOADED},     {"dismountable", NTMS_DRIVESTATE_DISMOUNTABLE},
    {"unloading", NTMS_DRIVESTATE_UNLOADED}, {"cleaning", NTMS_DRIVESTATE_BEING_CLEANED},
    {NULL, NTMS_DRIVESTATE_DISMOUNTED},
};

/* media/<m>/state as NtmsMediaState: a medium left dismountable in a drive is idle (§6.8). */
static const struct word_value media_states[] = {
    {"loading", NTMS_MEDIASTATE_INUSE},
    {"mounted", NTMS_MEDIASTATE_LOADED},
    {"unloading", NTMS_MEDIASTATE_UNLOADED},
    {NULL, NTMS_MEDIASTATE_IDLE},
};

/* media/<m>/sides/<k>/state as NtmsPartitionState. */
static const struct word_value side_states[] = {
    {"unprepared", NTMS_PARTSTATE_UNPREPARED},
    {"incompatible", NTMS_PARTSTATE_INCOMPATIBLE},
    {"decommissioned", NTMS_PARTSTATE_DECOMMISSIONED},
    {"available", NTMS_PARTSTATE_AVAILABLE},
    {"allocated", NTMS_PARTSTATE_ALLOCATED},
    {"complete", NTMS_PARTSTATE_COMPLETE},
    {"foreign", NTMS_PARTSTATE_FOREIGN},
    {"import", NTMS_PARTSTATE_IMPORT},
    {"reserved", NTMS_PARTSTATE_RESERVED},
    {NULL, NTMS_PARTSTATE_UNKNOWN},
};

/* libraries/<l>/type as NtmsLibraryType: one the configuration no longer names holds media
 * that are in no library, as RSM's offline library does. */
static const struct word_value library_types[] = {
    {"changer", NTMS_LIBRARYTYPE_ONLINE},
    {"standalone", NTMS_LIBRARYTYPE_STANDALONE},
    {"offline", NTMS_LIBRARYTYPE_OFFLINE},
    {NULL, NTMS_LIBRARYTYPE_UNKNOWN},
};

/* pools/<p>/type as NtmsPoolType; the cleaner pool has no RSM type. */
static const struct word_value pool_types[] = {
    {"free", NTMS_POOLTYPE_SCRATCH},  {"unrecognized", NTMS_POOLTYPE_FOREIGN},
    {"import", NTMS_POOLTYPE_IMPORT}, {"application", NTMS_POOLTYPE_APPLICATION},
    {NULL, NTMS_POOLTYPE_UNKNOWN},
};

/* requests/<n>/operation as NtmsLmOperation.  Enable and disable depend on the object (see
 * request_operation); an allocation and a move are no work item of RSM's: NTMS_LM_MAXWORKITEM. */
static const struct word_value request_operations[] = {
    {"mount", NTMS_LM_MOUNT},	  {"dismount", NTMS_LM_DISMOUNT}, {"inject", NTMS_LM_INJECT},
    {"eject", NTMS_LM_EJECT},	  {"clean", NTMS_LM_CLEANDRIVE},  {"inventory", NTMS_LM_INVENTORY},
    {"door", NTMS_LM_DOORACCESS}, {NULL, NTMS_LM_MAXWORKITEM},
};

/* requests/<n>/state as NtmsLmState (the tree uses NtmsLmState's names). */
static const struct word_value request_states[] = {
    {"queued", NTMS_LM_QUEUED},	      {"inprocess", NTMS_LM_INPROCESS},
    {"passed", NTMS_LM_PASSED},	      {"failed", NTMS_LM_FAILED},
    {"invalid", NTMS_LM_INVALID},     {"waiting", NTMS_LM_WAITING},
    {"cancelled", NTMS_LM_CANCELLED}, {"stopped", NTMS_LM_STOPPED},
    {NULL, NTMS_LM_INVALID},
};

/* opreqs/<n>/type and state as NtmsOpreqCommand and NtmsOpreqState. */
static const struct word_value opreq_types[] = {
    {"newmedia", NTMS_OPREQ_NEWMEDIA},
    {"cleaner", NTMS_OPREQ_CLEANER},
    {"deviceservice", NTMS_OPREQ_DEVICESERVICE},
    {"movemedia", NTMS_OPREQ_MOVEMEDIA},
    {"message", NTMS_OPREQ_MESSAGE},
    {NULL, NTMS_OPREQ_UNKNOWN},
};
static const struct word_value opreq_states[] = {
    {"submitted", NTMS_OPSTATE_SUBMITTED},   {"active", NTMS_OPSTATE_ACTIVE},
    {"inprogress", NTMS_OPSTATE_INPROGRESS}, {"refused", NTMS_OPSTATE_REFUSED},
    {"complete", NTMS_OPSTATE_COMPLETE},     {NULL, NTMS_OPSTATE_UNKNOWN},
};

/* ---- reading the tree ---- */

/* An attribute's value, "" when it cannot be read (an object going away meanwhile). */
static const char *attr(const char *mnt, char *buf, size_t len, const char *fmt, const char *a)
{
	char rel[256];

	snprintf(rel, sizeof(rel), fmt, a);
	if (ntms_read_attr(mnt, buf, len, "%s", rel))
		buf[0] = '\0';
	return buf;
}

/* The name a link points at, "" when it has none. */
static const char *link_name(const char *mnt, char *buf, size_t len, const char *fmt, const char *a)
{
	char rel[256];

	snprintf(rel, sizeof(rel), fmt, a);
	if (ntms_read_link_name(mnt, buf, len, "%s", rel))
		buf[0] = '\0';
	return buf;
}

/* The GUID of a named object; the null GUID for none. */
static NTMS_GUID guid_of(const char *mnt, enum ntms_kind kind, const char *name, int side)
{
	NTMS_GUID g = {0};

	if (name && *name)
		ntms_object_guid(mnt, kind, name, side, &g);
	return g;
}

/* How many entries a directory has (0 when it cannot be listed). */
static DWORD count_entries(const char *mnt, const char *fmt, const char *a)
{
	char rel[256], **names;
	size_t count;

	snprintf(rel, sizeof(rel), fmt, a);
	if (ntms_list(mnt, &names, &count, "%s", rel))
		return 0;
	ntms_free_list(names);
	return (DWORD)count;
}

/* How many lines a table file has (slots, ports). */
static DWORD count_lines(const char *mnt, const char *fmt, const char *a)
{
	char rel[256], buf[4096];
	DWORD lines = 0;
	ssize_t n;

	snprintf(rel, sizeof(rel), fmt, a);
	char *path = ntms_path(mnt, "%s", rel);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

/* A DWORD after a key in a "key value" file (stats). */
static bool stat_value(const char *text, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, k) == 0 && p[k] == ' ') {
			snprintf(out, len, "%.*s", (int)strcspn(p + k + 1, "\n"), p + k + 1);
			return true;
		}
	return false;
}

/* ---- EnumerateNtmsObject ---- */

/* The ids gathered for one enumeration. */
struct gather {
	struct ntms_session *s;
	const struct ntms_object *container; /* NULL: all */
	NTMS_GUID *ids;
	size_t count, cap;
	int err;
};

/* Adds an object's id; one that went away meanwhile is left out. */
static void add(struct gather *g, enum ntms_kind kind, const char *name, int side)
{
	NTMS_GUID id;

	if (g->err || ntms_object_guid(g->s->mnt, kind, name, side, &id))
		return;
	if (g->count == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 32;
		NTMS_GUID *grown = realloc(g->ids, cap * sizeof(*grown));
		if (!grown) {
			g->err = ENOMEM;
			return;
		}
		g->ids = grown;
		g->cap = cap;
	}
	g->ids[g->count++] = id;
}

/* Lists a directory of the tree ("" or an error code left in g). */
static char **list(struct gather *g, size_t *count, const char *fmt, const char *a)
{
	char rel[256], **names = NULL;

	snprintf(rel, sizeof(rel), fmt, a);
	int err = ntms_list(g->s->mnt, &names, count, "%s", rel);
	if (err && !g->err)
		g->err = err;
	return err ? NULL : names;
}

/* Adds every entry of a directory whose link (or file) rel/<name>/<what> is want (NULL:
 * all). */
static void add_listed(struct gather *g, enum ntms_kind kind, const char *dir, const char *what,
		       bool is_link, const char *want)
{
	char **names, value[NTMS_NAME_MAX + 1], rel[128];
	size_t count;

	if (!(names = list(g, &count, "%s", dir)))
		return;
	for (size_t i = 0; i < count; i++) {
		if (want) {
			snprintf(rel, sizeof(rel), "%s/%%s/%s", dir, what);
			if (is_link)
				link_name(g->s->mnt, value, sizeof(value), rel, names[i]);
			else
				attr(g->s->mnt, value, sizeof(value), rel, names[i]);
			if (strcmp(value, want) != 0)
				continue;
		}
		add(g, kind, names[i], 0);
	}
	ntms_free_list(names);
}

/* NTMS_LIBRARY: every library. */
static void enum_libraries(struct gather *g)
{
	add_listed(g, OK_LIBRARY, "libraries", NULL, false, NULL);
}

/* NTMS_DRIVE: all, or a library's. */
static void enum_drives(struct gather *g)
{
	add_listed(g, OK_DRIVE, "drives", "library", true,
		   g->container ? g->container->name : NULL);
}

/* NTMS_PHYSICAL_MEDIA: all, a pool's, or a library's. */
static void enum_media(struct gather *g)
{
	const struct ntms_object *c = g->container;

	add_listed(g, OK_MEDIUM, "media", c && c->kind == OK_POOL ? "pool" : "library", true,
		   c ? c->name : NULL);
}

/* The sides of one medium, all or only those allocated to an application (logical media). */
static void add_sides(struct gather *g, const char *medium, bool logical)
{
	char **names, state[32], rel[NTMS_NAME_MAX + 32];
	size_t count;

	snprintf(rel, sizeof(rel), "media/%s/sides", medium);
	if (!(names = list(g, &count, "%s", rel)))
		return;
	for (size_t i = 0; i < count; i++) {
		snprintf(rel, sizeof(rel), "media/%s/sides/%s/state", medium, names[i]);
		attr(g->s->mnt, state, sizeof(state), "%s", rel);
		if (!logical || strcmp(state, "allocated") == 0 || strcmp(state, "complete") == 0)
			add(g, OK_SIDE, medium, atoi(names[i]));
	}
	ntms_free_list(names);
}

/* NTMS_PARTITION and NTMS_LOGICAL_MEDIA: all, a medium's, a pool's, or the side itself. */
static void enum_sides(struct gather *g, bool logical)
{
	const struct ntms_object *c = g->container;
	char **names;
	size_t count;

	if (c && c->kind == OK_SIDE) { /* the logical medium's own side */
		char rel[NTMS_NAME_MAX + 32], state[32];
		snprintf(rel, sizeof(rel), "media/%s/sides/%d/state", c->name, c->side);
		attr(g->s->mnt, state, sizeof(state), "%s", rel);
		if (!logical || strcmp(state, "allocated") == 0 || strcmp(state, "complete") == 0)
			add(g, OK_SIDE, c->name, c->side);
		return;
	}
	if (c && c->kind == OK_MEDIUM) {
		add_sides(g, c->name, logical);
		return;
	}
	if (!(names =
		  c ? list(g, &count, "pools/%s/media", c->name) : list(g, &count, "%s", "media")))
		return;
	for (size_t i = 0; i < count; i++)
		add_sides(g, names[i], logical);
	ntms_free_list(names);
}

/* NTMS_PARTITION. */
static void enum_partitions(struct gather *g)
{
	enum_sides(g, false);
}

/* NTMS_LOGICAL_MEDIA: sides allocated to an application. */
static void enum_logical_media(struct gather *g)
{
	enum_sides(g, true);
}

/* NTMS_MEDIA_POOL: every pool (rsmfs's pools have no children: a pool container has none). */
static void enum_pools(struct gather *g)
{
	if (!g->container)
		add_listed(g, OK_POOL, "pools", NULL, false, NULL);
}

/* NTMS_LIBREQUEST: all, or a library's. */
static void enum_requests(struct gather *g)
{
	add_listed(g, OK_REQUEST, "requests", "library", false,
		   g->container ? g->container->name : NULL);
}

/* NTMS_OPREQUEST: all. */
static void enum_opreqs(struct gather *g)
{
	add_listed(g, OK_OPREQ, "opreqs", NULL, false, NULL);
}

/* The types this library enumerates, and the containers each takes besides NULL (§1.7). */
static const struct {
	DWORD type;
	void (*gather)(struct gather *g);
	enum ntms_kind containers[3];
} enumerations[] = {
    {NTMS_LIBRARY, enum_libraries, {OK_NONE}},
    {NTMS_DRIVE, enum_drives, {OK_LIBRARY}},
    {NTMS_PHYSICAL_MEDIA, enum_media, {OK_POOL, OK_LIBRARY}},
    {NTMS_PARTITION, enum_partitions, {OK_MEDIUM, OK_POOL, OK_SIDE}},
    {NTMS_LOGICAL_MEDIA, enum_logical_media, {OK_POOL, OK_SIDE}},
    {NTMS_MEDIA_POOL, enum_pools, {OK_POOL}},
    {NTMS_LIBREQUEST, enum_requests, {OK_LIBRARY}},
    {NTMS_OPREQUEST, enum_opreqs, {OK_NONE}},
};

/* Checks and resolves the container for enumeration k; a Win32 code. */
static DWORD enum_container(struct ntms_session *s, size_t k, const NTMS_GUID *id,
			    struct ntms_object *o, const struct ntms_object **container)
{
	*container = NULL;
	if (!id || NTMS_IS_NULLGUID(*id))
		return ERROR_SUCCESS;
	int err = ntms_resolve(s->mnt, id, o);
	if (err)
		return err == ENOENT && !ntms_session_gone(s) ? ERROR_OBJECT_NOT_FOUND
							      : ntms_session_error(s, err, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(enumerations[k].containers); i++)
		if (o->kind != OK_NONE && enumerations[k].containers[i] == o->kind) {
			*container = o;
			return ERROR_SUCCESS;
		}
	return ERROR_INVALID_PARAMETER;
}

/* EnumerateNtmsObject: the ids of the objects of dwType in a container (NULL: all).  A list
 * too short gets what fits, *lpdwListSize the number needed, and ERROR_INSUFFICIENT_BUFFER.
 * Types with no objects in the tree (slots, ports, changers, media types...) are
 * ERROR_INVALID_PARAMETER (ntmsapi-objects(3)). */
DWORD WINAPI EnumerateNtmsObject(HANDLE hSession, const LPNTMS_GUID lpContainerId,
				 LPNTMS_GUID lpList, LPDWORD lpdwListSize, DWORD dwType,
				 DWORD dwOptions)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct gather g = {.s = s};
	struct ntms_object c;
	size_t k;
	DWORD e;

	if (!s)
		return ERROR_INVALID_HANDLE;
	for (k = 0; k < ARRAY_SIZE(enumerations) && enumerations[k].type != dwType; k++)
		;
	if (!lpdwListSize || (!lpList && *lpdwListSize) || k == ARRAY_SIZE(enumerations) ||
	    dwOptions > NTMS_ENUM_ROOTPOOL)
		e = ERROR_INVALID_PARAMETER;
	else
		e = enum_container(s, k, lpContainerId, &c, &g.container);
	if (e == ERROR_SUCCESS) {
		enumerations[k].gather(&g);
		if (g.err)
			e = ntms_session_error(s, g.err, NULL);
	}
	if (e == ERROR_SUCCESS) {
		size_t fit = g.count < *lpdwListSize ? g.count : *lpdwListSize;
		if (fit)
			memcpy(lpList, g.ids, fit * sizeof(*g.ids));
		if (g.count > *lpdwListSize)
			e = ERROR_INSUFFICIENT_BUFFER;
		*lpdwListSize = (DWORD)g.count;
	}
	free(g.ids);
	ntms_handle_put(hSession);
	return e;
}

/* ---- GetNtmsObjectInformationA ---- */

/* What the fill functions share: the object and the session's mount. */
struct info {
	const char *mnt;
	const struct ntms_object *o;
	LPNTMS_OBJECTINFORMATIONA out;
};

/* NTMS_DRIVE: drives/<d>/. */
static DWORD fill_drive(struct info *in)
{
	const char *mnt = in->mnt, *d = in->o->name;
	NTMS_DRIVEINFORMATIONA *di = &in->out->Info.Drive;
	char state[32], lib[NTMS_NAME_MAX + 1], medium[NTMS_NAME_MAX + 1], device[4096], stats[512],
	    v[64], delay[32], **drives;
	size_t count;

	attr(mnt, state, sizeof(state), "drives/%s/state", d);
	link_name(mnt, lib, sizeof(lib), "drives/%s/library", d);
	di->State = value_of(drive_states, state);
	in->out->Enabled = strcmp(state, "disabled") != 0;
	in->out->dwOperationalState =
	    strcmp(state, "failed") == 0 ? NTMS_NEEDS_SERVICE : NTMS_READY;
	/* its number in its library: the place of its name in libraries/<l>/drives/ */
	if (ntms_list(mnt, &drives, &count, "libraries/%s/drives", lib) == 0) {
		for (size_t i = 0; i < count; i++)
			if (strcmp(drives[i], d) == 0)
				di->Number = (DWORD)i;
		ntms_free_list(drives);
	}
	ntms_copy(di->szDeviceName, sizeof(di->szDeviceName),
		  attr(mnt, device, sizeof(device), "drives/%s/device", d));
	attr(mnt, stats, sizeof(stats), "drives/%s/stats", d);
	if (stat_value(stats, "mounts", v, sizeof(v)))
		di->dwMountCount = (DWORD)strtoul(v, NULL, 10);
	if (stat_value(stats, "last_cleaned", v, sizeof(v)))
		ntms_systemtime(v, &di->LastCleanedTs);
	link_name(mnt, medium, sizeof(medium), "drives/%s/medium", d);
	di->SavedPartitionId = guid_of(mnt, OK_SIDE, medium, 0);
	di->Library = guid_of(mnt, OK_LIBRARY, lib, 0);
	di->dwDeferDismountDelay = (DWORD)strtoul(
	    attr(mnt, delay, sizeof(delay), "libraries/%s/dismount_delay", lib), NULL, 10);
	return ERROR_SUCCESS;
}

/* NTMS_LIBRARY: libraries/<l>/. */
static DWORD fill_library(struct info *in)
{
	const char *mnt = in->mnt, *l = in->o->name;
	NTMS_LIBRARYINFORMATION *li = &in->out->Info.Library;
	char type[32], state[32], lib[NTMS_NAME_MAX + 1], **names;
	size_t count;

	attr(mnt, type, sizeof(type), "libraries/%s/type", l);
	attr(mnt, state, sizeof(state), "libraries/%s/state", l);
	li->LibraryType = value_of(library_types, type);
	in->out->Enabled = strcmp(state, "disabled") != 0;
	in->out->dwOperationalState = strcmp(state, "offline") == 0 ? NTMS_NOT_PRESENT : NTMS_READY;
	li->dwNumberOfDrives = count_entries(mnt, "libraries/%s/drives", l);
	li->dwNumberOfSlots = count_lines(mnt, "libraries/%s/slots", l);
	li->dwNumberOfPorts = count_lines(mnt, "libraries/%s/ports", l);
	bool changer = strcmp(type, "changer") == 0;
	li->dwNumberOfDoors = changer;
	li->dwNumberOfChangers = changer;
	li->BarCodeReaderInstalled = changer;
	li->InventoryMethod = NTMS_INVENTORY_FAST;
	if (ntms_list(mnt, &names, &count, "media") == 0) {
		for (size_t i = 0; i < count; i++)
			li->dwNumberOfMedia +=
			    strcmp(link_name(mnt, lib, sizeof(lib), "media/%s/library", names[i]),
				   l) == 0;
		ntms_free_list(names);
	}
	if (ntms_list(mnt, &names, &count, "requests") == 0) {
		for (size_t i = 0; i < count; i++)
			li->dwNumberOfLibRequests +=
			    strcmp(attr(mnt, lib, sizeof(lib), "requests/%s/library", names[i]),
				   l) == 0;
		ntms_free_list(names);
	}
	return ERROR_SUCCESS;
}

/* Where a medium is (media/<m>/location) as PMIDINFORMATION's Location and LocationType:
 * slots and ports have no GUID in the tree; media on a shelf or offline count as in a slot
 * (§3.2). */
static void fill_location(const char *mnt, const char *location, NTMS_PMIDINFORMATIONA *pi)
{
	char where[16] = "", name[NTMS_NAME_MAX + 1] = "";

	sscanf(location, "%15s %64s", where, name);
	pi->LocationType = strcmp(where, "drive") == 0	? NTMS_DRIVE
			   : strcmp(where, "port") == 0 ? NTMS_IEPORT
							: NTMS_STORAGESLOT;
	if (pi->LocationType == NTMS_DRIVE)
		pi->Location = guid_of(mnt, OK_DRIVE, name, 0);
}

/* NTMS_PHYSICAL_MEDIA: media/<m>/. */
static DWORD fill_medium(struct info *in)
{
	const char *mnt = in->mnt, *m = in->o->name;
	NTMS_PMIDINFORMATIONA *pi = &in->out->Info.PhysicalMedia;
	char state[32], location[96], name[NTMS_NAME_MAX + 1], barcode[NTMS_BARCODE_LENGTH];

	attr(mnt, state, sizeof(state), "media/%s/state", m);
	in->out->Enabled = strcmp(state, "disabled") != 0;
	pi->MediaState = value_of(media_states, state);
	pi->CurrentLibrary =
	    guid_of(mnt, OK_LIBRARY, link_name(mnt, name, sizeof(name), "media/%s/library", m), 0);
	pi->MediaPool =
	    guid_of(mnt, OK_POOL, link_name(mnt, name, sizeof(name), "media/%s/pool", m), 0);
	fill_location(mnt, attr(mnt, location, sizeof(location), "media/%s/location", m), pi);
	ntms_copy(pi->szBarCode, sizeof(pi->szBarCode),
		  attr(mnt, barcode, sizeof(barcode), "media/%s/barcode", m));
	pi->BarCodeState = barcode[0] ? NTMS_BARCODESTATE_OK : NTMS_BARCODESTATE_UNREADABLE;
	pi->dwNumberOfPartitions = count_entries(mnt, "media/%s/sides", m);
	if (strcmp(state, "mounted") == 0)
		pi->MountedPartition = guid_of(mnt, OK_SIDE, m, 0);
	return ERROR_SUCCESS;
}

/* NTMS_PARTITION: media/<m>/sides/<k>/. */
static DWORD fill_side(struct info *in)
{
	NTMS_PARTITIONINFORMATIONA *si = &in->out->Info.Partition;
	char rel[NTMS_NAME_MAX + 32], state[32];

	snprintf(rel, sizeof(rel), "media/%s/sides/%d/state", in->o->name, in->o->side);
	attr(in->mnt, state, sizeof(state), "%s", rel);
	si->State = value_of(side_states, state);
	si->PhysicalMedia = guid_of(in->mnt, OK_MEDIUM, in->o->name, 0);
	/* the logical medium of an allocated side is the side (AllocateNtmsMedia) */
	if (si->State == NTMS_PARTSTATE_ALLOCATED || si->State == NTMS_PARTSTATE_COMPLETE)
		si->LogicalMedia = in->out->ObjectGuid;
	si->Side = (WORD)in->o->side;
	return ERROR_SUCCESS;
}

/* NTMS_LOGICAL_MEDIA: an allocated side, in its medium's pool. */
static DWORD fill_logical(struct info *in)
{
	char rel[NTMS_NAME_MAX + 32], state[32], pool[NTMS_NAME_MAX + 1];

	snprintf(rel, sizeof(rel), "media/%s/sides/%d/state", in->o->name, in->o->side);
	attr(in->mnt, state, sizeof(state), "%s", rel);
	if (strcmp(state, "allocated") != 0 && strcmp(state, "complete") != 0)
		return ERROR_OBJECT_NOT_FOUND;
	in->out->Info.LogicalMedia.MediaPool =
	    guid_of(in->mnt, OK_POOL,
		    link_name(in->mnt, pool, sizeof(pool), "media/%s/pool", in->o->name), 0);
	in->out->Info.LogicalMedia.dwNumberOfPartitions = 1;
	return ERROR_SUCCESS;
}

/* NTMS_MEDIA_POOL: pools/<p>/. */
static DWORD fill_pool(struct info *in)
{
	const char *mnt = in->mnt, *p = in->o->name;
	NTMS_MEDIAPOOLINFORMATION *pi = &in->out->Info.MediaPool;
	char v[32];

	pi->PoolType = value_of(pool_types, attr(mnt, v, sizeof(v), "pools/%s/type", p));
	pi->AllocationPolicy = strcmp(attr(mnt, v, sizeof(v), "pools/%s/draw", p), "1") == 0
				   ? NTMS_ALLOCATE_FROMSCRATCH
				   : 0;
	pi->DeallocationPolicy = strcmp(attr(mnt, v, sizeof(v), "pools/%s/return", p), "1") == 0
				     ? NTMS_DEALLOCATE_TOSCRATCH
				     : 0;
	pi->dwNumberOfPhysicalMedia = count_entries(mnt, "pools/%s/media", p);
	struct gather g = {.ids = NULL};
	struct ntms_session fake = {.mnt = (char *)mnt};
	struct ntms_object container = {.kind = OK_POOL};
	snprintf(container.name, sizeof(container.name), "%s", p);
	g.s = &fake;
	g.container = &container;
	enum_sides(&g, true);
	pi->dwNumberOfLogicalMedia = (DWORD)g.count;
	free(g.ids);
	return ERROR_SUCCESS;
}

/* The user name of a session's owner, "" when the session is gone. */
static void session_user(const char *mnt, const char *session, CHAR *out, size_t len)
{
	char uid[32], buf[1024];
	struct passwd pw, *found = NULL;

	out[0] = '\0';
	if (!*session || !*attr(mnt, uid, sizeof(uid), "sessions/%s/owner", session))
		return;
	if (getpwuid_r((uid_t)strtoul(uid, NULL, 10), &pw, buf, sizeof(buf), &found) == 0 && found)
		ntms_copy(out, len, found->pw_name);
	else
		ntms_copy(out, len, uid);
}

/* The work item of a request: enable and disable name their object's kind. */
static DWORD request_operation(const char *mnt, const char *n, const char *op)
{
	char v[NTMS_NAME_MAX + 1];
	bool enable = strcmp(op, "enable") == 0;

	if (!enable && strcmp(op, "disable") != 0)
		return value_of(request_operations, op);
	if (*attr(mnt, v, sizeof(v), "requests/%s/medium", n))
		return enable ? NTMS_LM_ENABLEMEDIA : NTMS_LM_DISABLEMEDIA;
	if (*attr(mnt, v, sizeof(v), "requests/%s/drive", n))
		return enable ? NTMS_LM_ENABLEDRIVE : NTMS_LM_DISABLEDRIVE;
	return enable ? NTMS_LM_ENABLELIBRARY : NTMS_LM_DISABLELIBRARY;
}

/* NTMS_LIBREQUEST: requests/<n>/. */
static DWORD fill_request(struct info *in)
{
	const char *mnt = in->mnt, *n = in->o->name;
	NTMS_LIBREQUESTINFORMATIONA *ri = &in->out->Info.LibRequest;
	char v[512], medium[NTMS_NAME_MAX + 1], session[NTMS_NAME_MAX + 1], host[256] = "";

	ri->OperationCode =
	    request_operation(mnt, n, attr(mnt, v, sizeof(v), "requests/%s/operation", n));
	ri->State = value_of(request_states, attr(mnt, v, sizeof(v), "requests/%s/state", n));
	attr(mnt, medium, sizeof(medium), "requests/%s/medium", n);
	ri->PhysMediaId = guid_of(mnt, OK_MEDIUM, medium, 0);
	ri->PartitionId = guid_of(mnt, OK_SIDE, medium, 0);
	ri->DriveId = guid_of(mnt, OK_DRIVE, attr(mnt, v, sizeof(v), "requests/%s/drive", n), 0);
	ri->Library =
	    guid_of(mnt, OK_LIBRARY, attr(mnt, v, sizeof(v), "requests/%s/library", n), 0);
	ntms_systemtime(attr(mnt, v, sizeof(v), "requests/%s/submitted", n), &ri->TimeQueued);
	in->out->Created = ri->TimeQueued;
	in->out->Modified = ri->TimeQueued;
	if (*attr(mnt, v, sizeof(v), "requests/%s/started", n))
		ntms_systemtime(v, &in->out->Modified);
	if (*attr(mnt, v, sizeof(v), "requests/%s/finished", n)) {
		ntms_systemtime(v, &ri->TimeCompleted);
		in->out->Modified = ri->TimeCompleted;
	}
	/* the application is the session that submitted it */
	attr(mnt, session, sizeof(session), "requests/%s/session", n);
	ntms_copy(ri->szApplication, sizeof(ri->szApplication), session);
	session_user(mnt, session, ri->szUser, sizeof(ri->szUser));
	gethostname(host, sizeof(host) - 1);
	ntms_copy(ri->szComputer, sizeof(ri->szComputer), host);
	/* "NAME number text" */
	char name[64];
	unsigned long code;
	if (sscanf(attr(mnt, v, sizeof(v), "requests/%s/error", n), "%63s %lu", name, &code) == 2)
		ri->dwErrorCode = (DWORD)code;
	ri->dwPriority = (DWORD)atoi(attr(mnt, v, sizeof(v), "requests/%s/priority", n));
	return ERROR_SUCCESS;
}

/* NTMS_OPREQUEST: opreqs/<n>/. */
static DWORD fill_opreq(struct info *in)
{
	const char *mnt = in->mnt, *n = in->o->name;
	NTMS_OPREQUESTINFORMATIONA *oi = &in->out->Info.OpRequest;
	char v[NTMS_MESSAGE_LENGTH + 8];

	oi->Request = value_of(opreq_types, attr(mnt, v, sizeof(v), "opreqs/%s/type", n));
	oi->State = value_of(opreq_states, attr(mnt, v, sizeof(v), "opreqs/%s/state", n));
	ntms_copy(oi->szMessage, sizeof(oi->szMessage),
		  attr(mnt, v, sizeof(v), "opreqs/%s/message", n));
	return ERROR_SUCCESS;
}

/* The types GetNtmsObjectInformationA reads, and the objects of the tree they are. */
static const struct {
	DWORD type;
	enum ntms_kind kind;
	DWORD (*fill)(struct info *in);
} informations[] = {
    {NTMS_DRIVE, OK_DRIVE, fill_drive},
    {NTMS_LIBRARY, OK_LIBRARY, fill_library},
    {NTMS_PHYSICAL_MEDIA, OK_MEDIUM, fill_medium},
    {NTMS_PARTITION, OK_SIDE, fill_side},
    {NTMS_LOGICAL_MEDIA, OK_SIDE, fill_logical},
    {NTMS_MEDIA_POOL, OK_POOL, fill_pool},
    {NTMS_LIBREQUEST, OK_REQUEST, fill_request},
    {NTMS_OPREQUEST, OK_OPREQ, fill_opreq},
};

/* GetNtmsObjectInformationA: the object's record.  lpInfo->dwSize must be
 * sizeof(NTMS_OBJECTINFORMATIONA) and lpInfo->dwType the object's type, else
 * ERROR_INVALID_PARAMETER; an id of no object is ERROR_OBJECT_NOT_FOUND. */
DWORD WINAPI GetNtmsObjectInformationA(HANDLE hSession, LPNTMS_GUID lpObjectId,
				       LPNTMS_OBJECTINFORMATIONA lpInfo)
{
	struct ntms_session *s = ntms_handle_get(hSession, HK_SESSION);
	struct ntms_object o;
	size_t k = ARRAY_SIZE(informations);
	DWORD e = ERROR_SUCCESS;
	int err;

	if (!s)
		return ERROR_INVALID_HANDLE;
	if (lpInfo)
		for (k = 0; k < ARRAY_SIZE(informations) && informations[k].type != lpInfo->dwType;
		     k++)
			;
	if (!lpObjectId || !lpInfo || lpInfo->dwSize != sizeof(*lpInfo) ||
	    k == ARRAY_SIZE(informations))
		e = ERROR_INVALID_PARAMETER;
	else if ((err = ntms_resolve(s->mnt, lpObjectId, &o)) != 0)
		e = err == ENOENT && !ntms_session_gone(s) ? ERROR_OBJECT_NOT_FOUND
							   : ntms_session_error(s, err, NULL);
	else if (o.kind != informations[k].kind)
		e = ERROR_INVALID_PARAMETER;
	if (e == ERROR_SUCCESS) {
		DWORD size = lpInfo->dwSize, type = lpInfo->dwType;
		memset(lpInfo, 0, sizeof(*lpInfo));
		lpInfo->dwSize = size;
		lpInfo->dwType = type;
		lpInfo->ObjectGuid = *lpObjectId;
		lpInfo->Enabled = TRUE;
		lpInfo->dwOperationalState = NTMS_READY;
		ntms_copy(lpInfo->szName, sizeof(lpInfo->szName), o.name);
		struct info in = {.mnt = s->mnt, .o = &o, .out = lpInfo};
		e = informations[k].fill(&in);
	}
	ntms_handle_put(hSession);
	return e;
}
