/* tree.c - what each path of the mount names (DESIGN §1), and directory listings.
 *
 * Every object kind has a file table; resolving "drives/d0/state" is finding area "drives",
 * checking that drive d0 exists, and looking "state" up in the drive table.  Listings are
 * produced from the same tables so that lookup and readdir always agree.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "tree.h"

/* ---- file tables: name, type, mode, owner class ---- */

const struct file_entry library_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},      {"name", N_FILE, 0444, OWN_DAEMON},
	{"type", N_FILE, 0444, OWN_DAEMON},    {"state", N_FILE, 0444, OWN_DAEMON},
	{"backend", N_FILE, 0444, OWN_DAEMON}, {"changer", N_FILE, 0444, OWN_DAEMON},
	{"drives", N_DIR, 0755, OWN_DAEMON},   {"slots", N_FILE, 0444, OWN_DAEMON},
	{"ports", N_FILE, 0444, OWN_DAEMON},   {"door", N_FILE, 0664, OWN_ADMIN_GROUP},
	{"stats", N_FILE, 0444, OWN_DAEMON},   {"ctl", N_CTL, 0220, OWN_ADMIN_GROUP},
	{"sim", N_DIR, 0755, OWN_DAEMON},      {NULL, 0, 0, 0},
};

const struct file_entry drive_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},      {"name", N_FILE, 0444, OWN_DAEMON},
	{"library", N_LINK, 0777, OWN_DAEMON}, {"state", N_FILE, 0444, OWN_DAEMON},
	{"medium", N_LINK, 0777, OWN_DAEMON},  {"session", N_FILE, 0444, OWN_DAEMON},
	{"device", N_FILE, 0444, OWN_DAEMON},  {"stats", N_FILE, 0444, OWN_DAEMON},
	{"ctl", N_CTL, 0220, OWN_ADMIN_GROUP}, {NULL, 0, 0, 0},
};

const struct file_entry medium_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},      {"name", N_FILE, 0444, OWN_DAEMON},
	{"barcode", N_FILE, 0444, OWN_DAEMON}, {"type", N_FILE, 0444, OWN_DAEMON},
	{"state", N_FILE, 0444, OWN_DAEMON},   {"location", N_FILE, 0444, OWN_DAEMON},
	{"library", N_LINK, 0777, OWN_DAEMON}, {"pool", N_LINK, 0777, OWN_DAEMON},
	{"sides", N_DIR, 0755, OWN_DAEMON},    {"ctl", N_CTL, 0222, OWN_DAEMON},
	{NULL, 0, 0, 0},
};

const struct file_entry side_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},
	{"state", N_FILE, 0444, OWN_DAEMON},
	{"owner", N_FILE, 0444, OWN_DAEMON},
	{NULL, 0, 0, 0},
};

const struct file_entry pool_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},   {"type", N_FILE, 0444, OWN_DAEMON},
	{"media_type", N_FILE, 0444, OWN_DAEMON}, {"media", N_DIR, 0755, OWN_DAEMON},
	{"draw", N_FILE, 0644, OWN_POOL},   {"return", N_FILE, 0644, OWN_POOL},
	{NULL, 0, 0, 0},
};

const struct file_entry opreq_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},      {"type", N_FILE, 0444, OWN_DAEMON},
	{"message", N_FILE, 0444, OWN_DAEMON}, {"state", N_FILE, 0444, OWN_DAEMON},
	{"request", N_LINK, 0777, OWN_DAEMON}, {"ctl", N_CTL, 0220, OWN_ADMIN_GROUP},
	{NULL, 0, 0, 0},
};

const struct file_entry request_files[] = {
	{"id", N_FILE, 0444, OWN_DAEMON},        {"operation", N_FILE, 0444, OWN_DAEMON},
	{"state", N_FILE, 0444, OWN_DAEMON},     {"session", N_FILE, 0444, OWN_DAEMON},
	{"medium", N_FILE, 0444, OWN_DAEMON},    {"drive", N_FILE, 0444, OWN_DAEMON},
	{"library", N_FILE, 0444, OWN_DAEMON},   {"priority", N_FILE, 0444, OWN_DAEMON},
	{"submitted", N_FILE, 0444, OWN_DAEMON}, {"started", N_FILE, 0444, OWN_DAEMON},
	{"finished", N_FILE, 0444, OWN_DAEMON},  {"error", N_FILE, 0444, OWN_DAEMON},
	{"ctl", N_CTL, 0220, OWN_ADMIN_GROUP},   {NULL, 0, 0, 0},
};

const struct file_entry session_files[] = {
	{"id", N_FILE, 0444, OWN_SESSION},      {"owner", N_FILE, 0444, OWN_SESSION},
	{"created", N_FILE, 0444, OWN_SESSION}, {"ctl", N_CTL, 0600, OWN_SESSION},
	{"error", N_FILE, 0444, OWN_SESSION},   {"last", N_LINK, 0777, OWN_SESSION},
	{"mounts", N_DIR, 0755, OWN_SESSION},   {"requests", N_DIR, 0755, OWN_SESSION},
	{"notify", N_DIR, 0755, OWN_SESSION},   {NULL, 0, 0, 0},
};

const struct file_entry root_files[] = {
	{"README", N_FILE, 0444, OWN_DAEMON},        {"version", N_FILE, 0444, OWN_DAEMON},
	{"error_log", N_FILE, 0664, OWN_ADMIN_GROUP}, {"libraries", N_DIR, 0755, OWN_DAEMON},
	{"drives", N_DIR, 0755, OWN_DAEMON},         {"media", N_DIR, 0755, OWN_DAEMON},
	{"pools", N_DIR, 0777, OWN_DAEMON},         {"requests", N_DIR, 0755, OWN_DAEMON},
	{"opreqs", N_DIR, 0755, OWN_DAEMON},         {"sessions", N_DIR, 0777, OWN_DAEMON},
	{"by-id", N_DIR, 0755, OWN_DAEMON},          {NULL, 0, 0, 0},
};

/* ---- credentials ---- */

bool cred_is_admin(const struct fuse_ctx *ctx)
{
	if (ctx->uid == 0 || ctx->uid == fs_global.daemon_uid)
		return true;
	if (!fs_global.have_admin_group)
		return false;
	return ctx->gid == fs_global.admin_gid;
}

struct rsm_cred cred_of(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct rsm_cred c = {.uid = ctx->uid, .gid = ctx->gid, .admin = cred_is_admin(ctx)};

	if (!c.admin && fs_global.have_admin_group) {
		/* supplementary groups of the caller, as the kernel reports them */
		gid_t groups[64];
		int n = fuse_req_getgroups(req, 64, groups);
		for (int i = 0; i < n && i < 64; i++)
			if (groups[i] == fs_global.admin_gid)
				c.admin = true;
	}
	return c;
}

/* ---- resolution ---- */

static int split(const char *path, char comp[][RSM_NAME_MAX + 8], int max)
{
	int n = 0;
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (n == max || len == 0 || len >= RSM_NAME_MAX + 8)
			return -1;
		memcpy(comp[n], p, len);
		comp[n][len] = '\0';
		n++;
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

const struct file_entry *table_find(const struct file_entry *t, const char *name, int *index)
{
	for (int i = 0; t[i].name; i++)
		if (strcmp(t[i].name, name) == 0) {
			*index = i;
			return &t[i];
		}
	return NULL;
}

/* The owner of a session's or a pool's files. */
struct owner_of {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

static void set_owner(struct node *n, int owner, const struct owner_of *o)
{
	n->uid = fs_global.daemon_uid;
	n->gid = fs_global.daemon_gid;
	if (owner == OWN_ADMIN_GROUP && fs_global.have_admin_group) {
		n->gid = fs_global.admin_gid;
	} else if (owner == OWN_SESSION && o) {
		n->uid = o->uid;
	} else if (owner == OWN_POOL && o) {
		n->uid = o->uid;
		n->gid = o->gid;
		n->mode = o->mode & 0666;
	}
	/* The daemon replays the engine's changes through the mount for inotify (replay.c), by
	 * writing to the changed file.  Root may write to a read-only file; a daemon running as
	 * an ordinary user needs the owner's write bit, and refuses everyone else's writes. */
	if (n->type == N_FILE && n->mode == 0444 && fs_global.daemon_uid != 0)
		n->mode = 0644;
}

static int from_table(struct node *n, const struct file_entry *t, const char *name,
		      const struct owner_of *o)
{
	int idx;
	const struct file_entry *fe = table_find(t, name, &idx);

	if (!fe)
		return -ENOENT;
	n->type = fe->type;
	n->mode = fe->mode;
	n->file = idx;
	set_owner(n, fe->owner, o);
	return 0;
}

static void dir_node(struct node *n, mode_t mode)
{
	n->type = N_DIR;
	n->mode = mode;
	n->file = -1;
	set_owner(n, OWN_DAEMON, NULL);
}

static int link_node(struct node *n, const char *fmt, const char *a, const char *b)
{
	n->type = N_LINK;
	n->mode = 0777;
	set_owner(n, OWN_DAEMON, NULL);
	snprintf(n->target, sizeof(n->target), fmt, a, b);
	return 0;
}

static int resolve_library(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_library_info li;

	if (rsm_library_info(fs_global.eng, c[1], &li) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		dir_node(n, 0755);
		return 0;
	}
	if (k == 3 && strcmp(c[2], "sim") == 0 && strcmp(li.backend, "sim") != 0)
		return -ENOENT;
	if (k == 3)
		return from_table(n, library_files, c[2], NULL);
	if (k == 4 && strcmp(c[2], "sim") == 0 && strcmp(c[3], "ctl") == 0 &&
	    strcmp(li.backend, "sim") == 0) {
		n->type = N_CTL;
		n->mode = 0220;
		n->file = -1;
		snprintf(n->sub, sizeof(n->sub), "sim");
		set_owner(n, OWN_ADMIN_GROUP, NULL);
		return 0;
	}
	if (k == 4 && strcmp(c[2], "drives") == 0) {
		struct rsm_drive_info di;
		if (rsm_drive_info(fs_global.eng, c[3], &di) != ERROR_SUCCESS ||
		    strcmp(di.library, c[1]) != 0)
			return -ENOENT;
		return link_node(n, "../../../drives/%s%s", c[3], "");
	}
	return -ENOENT;
}

static int resolve_drive(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_drive_info di;

	if (rsm_drive_info(fs_global.eng, c[1], &di) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		dir_node(n, 0755);
		return 0;
	}
	if (k != 3)
		return -ENOENT;
	if (strcmp(c[2], "library") == 0)
		return link_node(n, "../../libraries/%s%s", di.library, "");
	if (strcmp(c[2], "medium") == 0)
		return di.medium[0] ? link_node(n, "../../media/%s%s", di.medium, "") : -ENOENT;
	return from_table(n, drive_files, c[2], NULL);
}

static int resolve_medium(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_medium_info mi;

	if (rsm_medium_info(fs_global.eng, c[1], &mi) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		dir_node(n, 0755);
		return 0;
	}
	if (k == 3 && strcmp(c[2], "library") == 0)
		return link_node(n, "../../libraries/%s%s", mi.library, "");
	if (k == 3 && strcmp(c[2], "pool") == 0)
		return link_node(n, "../../pools/%s%s", mi.pool, "");
	if (k == 3)
		return from_table(n, medium_files, c[2], NULL);
	if (strcmp(c[2], "sides") != 0)
		return -ENOENT;
	char *end;
	long side = strtol(c[3], &end, 10);
	if (*end || end == c[3] || side < 0 || side >= mi.nsides)
		return -ENOENT;
	snprintf(n->sub, sizeof(n->sub), "%ld", side);
	n->area = AREA_SIDE;
	if (k == 4) {
		dir_node(n, 0755);
		return 0;
	}
	if (k == 5)
		return from_table(n, side_files, c[4], NULL);
	return -ENOENT;
}

static int resolve_pool(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_pool_info pi;

	if (rsm_pool_info(fs_global.eng, c[1], &pi) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		n->type = N_DIR;
		n->file = -1;
		n->mode = pi.mode & 07777;
		n->uid = pi.uid;
		n->gid = pi.gid;
		return 0;
	}
	if (k == 3)
		return from_table(n, pool_files, c[2], &(struct owner_of){pi.uid, pi.gid, pi.mode});
	if (k == 4 && strcmp(c[2], "media") == 0) {
		struct rsm_medium_info mi;
		if (rsm_medium_info(fs_global.eng, c[3], &mi) != ERROR_SUCCESS ||
		    strcmp(mi.pool, c[1]) != 0)
			return -ENOENT;
		return link_node(n, "../../../media/%s%s", c[3], "");
	}
	return -ENOENT;
}

static bool parse_number(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '0' || *s == '-' || *s == '+')
		return false;
	*out = strtoull(s, &end, 10);
	return *end == '\0';
}

static int resolve_request(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_request_info ri;
	uint64_t num;

	if (!parse_number(c[1], &num) || rsm_request_info(fs_global.eng, num, &ri))
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		dir_node(n, 0755);
		return 0;
	}
	if (k == 3)
		return from_table(n, request_files, c[2], NULL);
	return -ENOENT;
}

static int resolve_opreq(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_opreq_info oi;
	uint64_t num;

	if (!parse_number(c[1], &num) || rsm_opreq_info(fs_global.eng, num, &oi))
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		dir_node(n, 0755);
		return 0;
	}
	if (k == 3 && strcmp(c[2], "request") == 0) {
		char num_text[32];
		if (!oi.request)
			return -ENOENT;
		snprintf(num_text, sizeof(num_text), "%llu", (unsigned long long)oi.request);
		return link_node(n, "../../requests/%s%s", num_text, "");
	}
	if (k == 3)
		return from_table(n, opreq_files, c[2], NULL);
	return -ENOENT;
}

static int resolve_session(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	struct rsm_session_info si;

	if (rsm_session_info(fs_global.eng, c[1], &si) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		dir_node(n, 0755);
		n->uid = si.uid;
		return 0;
	}
	if (k == 3 && strcmp(c[2], "last") == 0) {
		char num[32];
		if (!si.last_request)
			return -ENOENT;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)si.last_request);
		link_node(n, "../../requests/%s%s", num, "");
		n->uid = si.uid;
		return 0;
	}
	if (k == 3)
		return from_table(n, session_files, c[2], &(struct owner_of){si.uid, 0, 0});
	if (k != 4)
		return -ENOENT;
	if (strcmp(c[2], "notify") == 0) {
		if (rsm_object_type_from_name(c[3]) < 0)
			return -ENOENT;
		n->type = N_CHANNEL;
		n->mode = 0400;
		n->file = -1;
		set_owner(n, OWN_SESSION, &(struct owner_of){si.uid, 0, 0});
		snprintf(n->sub, sizeof(n->sub), "%s", c[3]);
		return 0;
	}
	if (strcmp(c[2], "mounts") == 0) {
		struct rsm_names media, drives;
		int rc = -ENOENT;
		if (rsm_session_mounts(fs_global.eng, c[1], &media, &drives) != ERROR_SUCCESS)
			return -ENOMEM;
		for (size_t i = 0; i < media.count; i++)
			if (strcmp(media.names[i], c[3]) == 0)
				rc = link_node(n, "../../../drives/%s%s", drives.names[i], "");
		rsm_names_free(&media);
		rsm_names_free(&drives);
		return rc;
	}
	if (strcmp(c[2], "requests") == 0) {
		struct rsm_names mine;
		int rc = -ENOENT;
		if (rsm_list(fs_global.eng, RSM_KIND_REQUEST, c[1], &mine) != ERROR_SUCCESS)
			return -ENOMEM;
		for (size_t i = 0; i < mine.count; i++)
			if (strcmp(mine.names[i], c[3]) == 0)
				rc = link_node(n, "../../../requests/%s%s", c[3], "");
		rsm_names_free(&mine);
		return rc;
	}
	return -ENOENT;
}

static int resolve_byid(struct node *n, char c[][RSM_NAME_MAX + 8], int k)
{
	char path[256];

	if (k == 1) {
		dir_node(n, 0755);
		return 0;
	}
	if (k != 2 || rsm_guid_lookup(fs_global.eng, c[1], path, sizeof(path)) != ERROR_SUCCESS)
		return -ENOENT;
	return link_node(n, "../%s%s", path, "");
}

static const struct area_entry {
	const char *name;
	int area;
	int (*resolve)(struct node *, char c[][RSM_NAME_MAX + 8], int);
} areas[] = {
	{"libraries", AREA_LIBRARIES, resolve_library}, {"drives", AREA_DRIVES, resolve_drive},
	{"media", AREA_MEDIA, resolve_medium},          {"pools", AREA_POOLS, resolve_pool},
	{"requests", AREA_REQUESTS, resolve_request},   {"opreqs", AREA_OPREQS, resolve_opreq},
	{"sessions", AREA_SESSIONS, resolve_session},   {"by-id", AREA_BYID, resolve_byid},
};

int tree_resolve(const char *path, struct node *n)
{
	char c[6][RSM_NAME_MAX + 8];
	int k = split(path, c, 6);

	memset(n, 0, sizeof(*n));
	n->file = -1;
	if (k < 0)
		return -ENOENT;
	if (k == 0) {
		n->area = AREA_ROOT;
		dir_node(n, 0755);
		return 0;
	}
	if (k == 1) {
		n->area = AREA_ROOT;
		int rc = from_table(n, root_files, c[0], NULL);
		for (size_t i = 0; !rc && i < sizeof(areas) / sizeof(areas[0]); i++)
			if (strcmp(areas[i].name, c[0]) == 0)
				n->area = areas[i].area;
		return rc;
	}
	for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		if (strcmp(areas[i].name, c[0]) != 0)
			continue;
		n->area = areas[i].area;
		if (!areas[i].resolve)
			return -ENOENT;
		return areas[i].resolve(n, c, k);
	}
	return -ENOENT;
}

const struct file_entry *table_of(int area)
{
	switch (area) {
	case AREA_ROOT:
		return root_files;
	case AREA_LIBRARIES:
		return library_files;
	case AREA_DRIVES:
		return drive_files;
	case AREA_MEDIA:
		return medium_files;
	case AREA_SIDE:
		return side_files;
	case AREA_POOLS:
		return pool_files;
	case AREA_REQUESTS:
		return request_files;
	case AREA_OPREQS:
		return opreq_files;
	case AREA_SESSIONS:
		return session_files;
	}
	return NULL;
}

const char *node_file_name(const struct node *n)
{
	const struct file_entry *t = table_of(n->area);
	return t && n->file >= 0 ? t[n->file].name : NULL;
}

/* ---- listing ---- */

static int add(struct dirent_list *l, const char *name, mode_t type)
{
	struct dir_item *v = realloc(l->items, (l->count + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->items = v;
	snprintf(v[l->count].name, sizeof(v[l->count].name), "%s", name);
	v[l->count].type = type;
	l->count++;
	return 0;
}

static mode_t dtype(enum node_type t)
{
	return t == N_DIR ? S_IFDIR : t == N_LINK ? S_IFLNK : S_IFREG;
}

static int add_table(struct dirent_list *l, const struct file_entry *t, const char *skip)
{
	int rc = 0;
	for (int i = 0; !rc && t[i].name; i++)
		if (!skip || strcmp(t[i].name, skip) != 0)
			rc = add(l, t[i].name, dtype(t[i].type));
	return rc;
}

static int add_names(struct dirent_list *l, enum rsm_kind kind, const char *filter, mode_t type)
{
	struct rsm_names names;
	int rc = 0;

	if (rsm_list(fs_global.eng, kind, filter, &names) != ERROR_SUCCESS)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < names.count; i++)
		rc = add(l, names.names[i], type);
	rsm_names_free(&names);
	return rc;
}

static int list_object_dir(const char *path, const struct node *dir, struct dirent_list *out)
{
	const char *last = strrchr(path, '/');
	last = last ? last + 1 : path;

	switch (dir->area) {
	case AREA_LIBRARIES: {
		struct rsm_library_info li;
		if (strcmp(last, "drives") == 0)
			return add_names(out, RSM_KIND_DRIVE, dir->obj, S_IFLNK);
		if (strcmp(last, "sim") == 0)
			return add(out, "ctl", S_IFREG);
		if (rsm_library_info(fs_global.eng, dir->obj, &li))
			return -ENOENT;
		return add_table(out, library_files, strcmp(li.backend, "sim") ? "sim" : NULL);
	}
	case AREA_OPREQS: {
		struct rsm_opreq_info oi;
		if (rsm_opreq_info(fs_global.eng, strtoull(dir->obj, NULL, 10), &oi))
			return -ENOENT;
		return add_table(out, opreq_files, oi.request ? NULL : "request");
	}
	case AREA_DRIVES: {
		struct rsm_drive_info di;
		if (rsm_drive_info(fs_global.eng, dir->obj, &di))
			return -ENOENT;
		return add_table(out, drive_files, di.medium[0] ? NULL : "medium");
	}
	case AREA_MEDIA:
		if (strcmp(last, "sides") == 0)
			return add_names(out, RSM_KIND_SIDE, dir->obj, S_IFDIR);
		return add_table(out, medium_files, NULL);
	case AREA_SIDE:
		return add_table(out, side_files, NULL);
	case AREA_POOLS:
		if (strcmp(last, "media") == 0)
			return add_names(out, RSM_KIND_MEDIUM, dir->obj, S_IFLNK);
		return add_table(out, pool_files, NULL);
	case AREA_REQUESTS:
		return add_table(out, request_files, NULL);
	case AREA_SESSIONS: {
		struct rsm_session_info si;
		if (rsm_session_info(fs_global.eng, dir->obj, &si))
			return -ENOENT;
		if (strcmp(last, "notify") == 0) {
			for (int t = 0; t < RSM_OBJ_COUNT; t++)
				if (add(out, rsm_object_type_name(t), S_IFREG))
					return -ENOMEM;
			return 0;
		}
		if (strcmp(last, "requests") == 0)
			return add_names(out, RSM_KIND_REQUEST, dir->obj, S_IFLNK);
		if (strcmp(last, "mounts") == 0) {
			struct rsm_names media, drives;
			int rc = 0;
			if (rsm_session_mounts(fs_global.eng, dir->obj, &media, &drives))
				return -ENOMEM;
			for (size_t i = 0; !rc && i < media.count; i++)
				rc = add(out, media.names[i], S_IFLNK);
			rsm_names_free(&media);
			rsm_names_free(&drives);
			return rc;
		}
		return add_table(out, session_files, si.last_request ? NULL : "last");
	}
	}
	return -ENOTDIR;
}

/* Lists a directory node: a snapshot of its entries, without "." and "..". */
int tree_list(const char *path, const struct node *dir, struct dirent_list *out)
{
	memset(out, 0, sizeof(*out));
	if (dir->area == AREA_ROOT)
		return add_table(out, root_files, NULL);
	if (!strchr(path, '/')) {
		switch (dir->area) {
		case AREA_LIBRARIES:
			return add_names(out, RSM_KIND_LIBRARY, NULL, S_IFDIR);
		case AREA_DRIVES:
			return add_names(out, RSM_KIND_DRIVE, NULL, S_IFDIR);
		case AREA_MEDIA:
			return add_names(out, RSM_KIND_MEDIUM, NULL, S_IFDIR);
		case AREA_POOLS:
			return add_names(out, RSM_KIND_POOL, NULL, S_IFDIR);
		case AREA_REQUESTS:
			return add_names(out, RSM_KIND_REQUEST, NULL, S_IFDIR);
		case AREA_SESSIONS:
			return add_names(out, RSM_KIND_SESSION, NULL, S_IFDIR);
		case AREA_OPREQS:
			return add_names(out, RSM_KIND_OPREQ, NULL, S_IFDIR);
		case AREA_BYID: {
			struct rsm_names g;
			int rc = 0;
			if (rsm_list_guids(fs_global.eng, &g))
				return -ENOMEM;
			for (size_t i = 0; !rc && i < g.count; i++)
				rc = add(out, g.names[i], S_IFLNK);
			rsm_names_free(&g);
			return rc;
		}
		}
	}
	return list_object_dir(path, dir, out);
}
