/* tree.c - what each path of the mount names (rsmfs(5), DESCRIPTION and the sections of each
 * directory), directory listings, and the rendering of attribute files.
 *
 * A path's first component picks its subtree; the subtree's resolver checks that the object
 * exists and finds the rest in its file table.  Listings come from the same tables, so that
 * lookup and readdir always agree.  Rendering loads the object's record once (the subtree's
 * load) and hands it to the row's render function.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static const struct subtree *const subtrees[] = {
    &library_tree, &drive_tree,	  &media_tree, &pool_tree, &request_tree,
    &opreq_tree,   &session_tree, &byid_tree,  &host_tree,
};

const struct file_kind object_dir_kind = ENTRY(NULL, N_DIR, 0755, OWN_DAEMON);
const struct file_kind link_kind = ENTRY(NULL, N_LINK, 0777, OWN_DAEMON);

/* ---- credentials ---- */

/* Whether the caller is an administrator: root, the daemon's user or the admin group (primary). */
bool cred_is_admin(const struct fuse_ctx *ctx)
{
	if (ctx->uid == 0 || ctx->uid == fs_global.daemon_uid)
		return true;
	if (!fs_global.have_admin_group)
		return false;
	return ctx->gid == fs_global.admin_gid;
}

/* The caller's credentials for the engine, supplementary groups included. */
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

/* ---- building nodes ---- */

/* Splits path at '/' into at most max components; their number, or -1 for a path that cannot
 * name anything (too deep, an empty or too long component). */
static int split(const char *path, char comp[][COMPONENT_MAX], int max)
{
	int n = 0;
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (n == max || len == 0 || len >= COMPONENT_MAX)
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

/* The row of table t named name, or NULL. */
static const struct file_kind *table_find(const struct file_kind *t, const char *name)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

void node_owner(struct node *n, enum owner_class owner, const struct owner_of *o)
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

void node_set_kind(struct node *n, const struct file_kind *k, const struct owner_of *o)
{
	n->kind = k;
	n->type = k->type;
	n->mode = k->mode;
	node_owner(n, k->owner, o);
}

int node_from_table(struct node *n, const struct file_kind *t, const char *name,
		    const struct owner_of *o)
{
	const struct file_kind *k = table_find(t, name);

	if (!k)
		return -ENOENT;
	node_set_kind(n, k, o);
	return 0;
}

void node_dir(struct node *n, const struct file_kind *k, mode_t mode)
{
	n->kind = k;
	n->type = N_DIR;
	n->mode = mode;
	node_owner(n, OWN_DAEMON, NULL);
}

int node_link(struct node *n, const char *fmt, const char *name)
{
	n->kind = &link_kind;
	n->type = N_LINK;
	n->mode = 0777;
	node_owner(n, OWN_DAEMON, NULL);
	snprintf(n->target, sizeof(n->target), fmt, name);
	return 0;
}

bool parse_number(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '0' || *s == '-' || *s == '+')
		return false;
	*out = strtoull(s, &end, 10);
	return *end == '\0';
}

/* The subtree whose directory of the root is called name, or NULL. */
static const struct subtree *subtree_named(const char *name)
{
	for (size_t i = 0; i < sizeof(subtrees) / sizeof(subtrees[0]); i++)
		if (strcmp(subtrees[i]->name, name) == 0)
			return subtrees[i];
	return NULL;
}

/* Resolves path to its node; 0 or -errno (-ENOENT for what does not exist). */
int tree_resolve(const char *path, struct node *n)
{
	char c[DEPTH_MAX][COMPONENT_MAX];
	int k = split(path, c, DEPTH_MAX);

	memset(n, 0, sizeof(*n));
	n->area = &root_tree;
	n->kind = &object_dir_kind;
	if (k < 0)
		return -ENOENT;
	if (k == 0) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	const struct subtree *st = subtree_named(c[0]);
	if (st == &host_tree && !rsm_is_site(fs_global.eng))
		return -ENOENT; /* a site's only */
	if (k == 1) {
		int rc = node_from_table(n, root_tree.files, c[0], NULL);
		if (!rc && st)
			n->area = st;
		return rc;
	}
	if (!st)
		return -ENOENT;
	n->area = st;
	return st->resolve(n, c, k);
}

/* ---- listing ---- */

/* Appends an entry to a listing. */
int list_add(struct dirent_list *l, const char *name, mode_t type)
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

/* The type bits readdir reports for a node type. */
static mode_t dtype(enum node_type t)
{
	return t == N_DIR ? S_IFDIR : t == N_LINK ? S_IFLNK : S_IFREG;
}

int list_table(struct dirent_list *l, const struct file_kind *t, const char *skip)
{
	int rc = 0;
	for (; !rc && t->name; t++)
		if (!skip || strcmp(t->name, skip) != 0)
			rc = list_add(l, t->name, dtype(t->type));
	return rc;
}

int list_names(struct dirent_list *l, enum rsm_kind kind, const char *filter, mode_t type)
{
	struct rsm_names names AUTO_NAMES = {0};
	int rc = 0;

	if (rsm_list(fs_global.eng, kind, filter, &names) != ERROR_SUCCESS)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < names.count; i++)
		rc = list_add(l, names.names[i], type);
	return rc;
}

/* Lists a directory node: a snapshot of its entries, without "." and "..". */
int tree_list(const char *path, const struct node *dir, struct dirent_list *out)
{
	const struct subtree *st = dir->area;
	const char *last = strrchr(path, '/');

	memset(out, 0, sizeof(*out));
	if (st == &root_tree)
		return list_table(out, root_tree.files,
				  rsm_is_site(fs_global.eng) ? NULL : "hosts");
	if (!last)
		return st->list_top ? st->list_top(out)
				    : list_names(out, st->objects, NULL, S_IFDIR);
	return st->list ? st->list(last + 1, dir, out) : -ENOTDIR;
}

/* ---- rendering ---- */

int render_value(FILE *f, const char *v)
{
	if (v && *v)
		fprintf(f, "%s\n", v);
	return 0;
}

/* Renders n's value into f: its object's record, then the row's render function. */
static int render_into(const struct node *n, FILE *f)
{
	union object_info o;
	int rc = n->area->load ? n->area->load(n, &o) : 0;

	return rc ? rc : n->kind->render(&o, n, f);
}

/* Renders a file node into a malloc'd *out; directories and links are -EISDIR, ctl files and
 * channels empty. */
int render_node(const struct node *n, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (n->type != N_FILE || !n->kind || !n->kind->render)
		return n->type == N_CTL || n->type == N_CHANNEL ? 0 : -EISDIR;
	FILE *f = open_memstream(out, len);
	if (!f)
		return -ENOMEM;
	int rc = render_into(n, f);
	fclose(f);
	if (rc) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return rc;
}
