/* pools.c - pools/ and pools/<pool>/ (rsmfs(5), pools/pool/): mkdir makes a pool and rmdir
 * deletes one, chmod and chown of a pool's directory change its security, and its draw and
 * return files are its policies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* ---- the files ---- */

RENDER_TEXT(pool_id, pool.guid)
RENDER_TEXT(pool_type, pool.type)
RENDER_TEXT(pool_media_type, pool.media_type)

/* draw: 1 when the pool may take media from free. */
static int pool_draw(const union object_info *o, const struct node *n, FILE *f)
{
	(void)n;
	fprintf(f, "%d\n", o->pool.draw);
	return 0;
}

/* return: 1 when its deallocated media go back to free. */
static int pool_return(const union object_info *o, const struct node *n, FILE *f)
{
	(void)n;
	fprintf(f, "%d\n", o->pool.ret);
	return 0;
}

/* A policy written as "1" or "0"; -1 leaves the other one as it is. */
static rsm_err set_policy(const struct node *n, const struct rsm_cred *cred, const char *v,
			  bool draw)
{
	int value = strcmp(v, "1") == 0 ? 1 : strcmp(v, "0") == 0 ? 0 : -1;

	if (value < 0)
		return ERROR_INVALID_PARAMETER;
	return rsm_pool_set_policy(fs_global.eng, cred, n->obj, draw ? value : -1,
				   draw ? -1 : value);
}

static rsm_err set_draw(const struct node *n, const struct rsm_cred *cred, const char *v)
{
	return set_policy(n, cred, v, true);
}

static rsm_err set_return(const struct node *n, const struct rsm_cred *cred, const char *v)
{
	return set_policy(n, cred, v, false);
}

/* ---- the directories ---- */

/* mkdir pools/<name>: a pool owned by the caller, with the mode given. */
int pool_mkdir(fuse_req_t req, const char *name, mode_t mode)
{
	struct rsm_cred cred = cred_of(req);
	rsm_err e = rsm_pool_create(fs_global.eng, &cred, name, mode);

	if (e == ERROR_INVALID_NAME)
		return -EINVAL;
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* rmdir pools/<name>: its owner or an administrator, and only an empty pool. */
int pool_rmdir(fuse_req_t req, const char *name)
{
	struct rsm_cred cred = cred_of(req);
	struct rsm_pool_info pi;

	if (rsm_pool_info(fs_global.eng, name, &pi) != ERROR_SUCCESS)
		return -ENOENT;
	rsm_err e = rsm_pool_delete(fs_global.eng, &cred, name);
	if (e == ERROR_INVALID_MEDIA_POOL)
		return -EPERM; /* a system pool is not the caller's to delete */
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* chmod and chown of pools/<p>: the pool's owner, group and mode, kept by the engine. */
static int pool_chown(fuse_req_t req, const struct node *n, const struct stat *attr, int to_set)
{
	struct rsm_cred cred = cred_of(req);
	rsm_err e = rsm_pool_set_access(
	    fs_global.eng, &cred, n->obj, (to_set & FUSE_SET_ATTR_UID) ? (int64_t)attr->st_uid : -1,
	    (to_set & FUSE_SET_ATTR_GID) ? (int64_t)attr->st_gid : -1,
	    (to_set & FUSE_SET_ATTR_MODE) ? (int64_t)(attr->st_mode & 07777) : -1);

	if (e == ERROR_ACCESS_DENIED)
		return -EPERM;
	return e == ERROR_SUCCESS ? 0 : -rsm_error_errno(e);
}

/* ---- the tree ---- */

static const struct file_kind pool_files[] = {
    {"id", N_FILE, 0444, OWN_DAEMON, .render = pool_id},
    {"type", N_FILE, 0444, OWN_DAEMON, .render = pool_type},
    {"media_type", N_FILE, 0444, OWN_DAEMON, .render = pool_media_type},
    ENTRY("media", N_DIR, 0755, OWN_DAEMON),
    {"draw", N_FILE, 0644, OWN_POOL, .render = pool_draw, .write = attr_write, .set = set_draw},
    {"return", N_FILE, 0644, OWN_POOL, .render = pool_return, .write = attr_write,
     .set = set_return},
    {0},
};

/* A pool's directory carries the pool's owner and mode, which chmod and chown change. */
static const struct file_kind pool_dir_kind = {NULL, N_DIR, 0, OWN_POOL, .chown = pool_chown};

/* The pool's record, for its files. */
static int load_pool(const struct node *n, union object_info *o)
{
	return rsm_pool_info(fs_global.eng, n->obj, &o->pool) ? -ENOENT : 0;
}

/* pools/<p> (with the pool's owner and mode), its files, and media/<m> links. */
static int resolve_pool(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_pool_info pi;

	if (rsm_pool_info(fs_global.eng, c[1], &pi) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		n->kind = &pool_dir_kind;
		n->type = N_DIR;
		n->mode = pi.mode & 07777;
		n->uid = pi.uid;
		n->gid = pi.gid;
		return 0;
	}
	if (k == 3)
		return node_from_table(n, pool_files, c[2],
				       &(struct owner_of){pi.uid, pi.gid, pi.mode});
	if (k == 4 && strcmp(c[2], "media") == 0) {
		struct rsm_medium_info mi;
		if (rsm_medium_info(fs_global.eng, c[3], &mi) != ERROR_SUCCESS ||
		    strcmp(mi.pool, c[1]) != 0)
			return -ENOENT;
		return node_link(n, "../../../media/%s", c[3]);
	}
	return -ENOENT;
}

/* A pool's directory, and media/. */
static int list_pool(const char *last, const struct node *dir, struct dirent_list *out)
{
	if (strcmp(last, "media") == 0)
		return list_names(out, RSM_KIND_MEDIUM, dir->obj, S_IFLNK);
	return list_table(out, pool_files, NULL);
}

const struct subtree pool_tree = {
    .name = "pools",
    .objects = RSM_KIND_POOL,
    .files = pool_files,
    .load = load_pool,
    .resolve = resolve_pool,
    .list = list_pool,
};
