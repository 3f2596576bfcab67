/* tree.h - the tables of the tree: one row per kind of file (struct file_kind), one subtree per
 * directory of the root (struct subtree), and the helpers the subtree files share.
 *
 * A kind of file is resolved once, when a path is resolved, and kept in the node (and so in
 * the open file's handle): reading, writing, polling and the replay then dispatch through the
 * row instead of asking again what the file is.  Adding an attribute file is one row in its
 * subtree's table and one render function.
 */
#ifndef RSMFS_TREE_H
#define RSMFS_TREE_H

#include <stdio.h>

#include "fs.h"

/* The longest path component the resolver takes, and how deep the tree goes. */
#define COMPONENT_MAX (RSM_NAME_MAX + 8)
#define DEPTH_MAX 6

/* Who owns a file: the daemon, the daemon with the admin group, the session's opener, or the
 * pool's owner (with the pool's read and write bits). */
enum owner_class { OWN_DAEMON, OWN_ADMIN_GROUP, OWN_SESSION, OWN_POOL };

/* The owner of a session's or a pool's files. */
struct owner_of {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

/* The engine's record of the object a file belongs to, loaded once for one rendering. */
union object_info {
	struct rsm_library_info library;
	struct rsm_drive_info drive;
	struct rsm_medium_info medium;
	struct rsm_pool_info pool;
	struct rsm_request_info request;
	struct rsm_opreq_info opreq;
	struct rsm_session_info session;
	struct rsm_host_info host;
};

struct command;

/* One kind of file of the tree: what it is and everything it does.  Rows of directories,
 * links and channels use the fields that apply to them; a NULL handler refuses. */
struct file_kind {
	const char *name; /* its name in its directory; NULL when named by data */
	enum node_type type;
	mode_t mode;
	enum owner_class owner;
	/* N_FILE: prints the value from the object's record; 0 or -errno */
	int (*render)(const union object_info *o, const struct node *n, FILE *f);
	/* a write to the open file; NULL refuses opens for writing */
	void (*write)(fuse_req_t req, struct fh *fh, const char *buf, size_t size);
	/* writable values (write = attr_write): sets the value written */
	rsm_err (*set)(const struct node *n, const struct rsm_cred *cred, const char *value);
	/* ctl files (write = ctl_write): the verbs */
	const struct command *commands;
	/* at open: ties the handle to the engine (session ctl, channels); 0 or -errno */
	int (*open)(fuse_req_t req, struct fh *fh);
	/* FLUSH, at every close of a descriptor (req: who closes it): 0 or -errno (NULL: 0) */
	int (*flush)(fuse_req_t req, struct fh *fh);
	/* ioctl: answers req (NULL: ENOTTY) */
	void (*ioctl)(fuse_req_t req, struct fh *fh, unsigned int cmd, unsigned flags,
		      const void *in, size_t in_size, size_t out_size);
	/* directories: mkdir and rmdir of an entry in them; chmod and chown of them */
	int (*mkdir)(fuse_req_t req, const char *name, mode_t mode);
	int (*rmdir)(fuse_req_t req, const char *name);
	int (*chown)(fuse_req_t req, const struct node *n, const struct stat *attr, int to_set);
	/* the value never changes while its object lives: the replay never compares it */
	bool fixed;
};

/* The nodes under one directory of the root.  Paths arrive split into components c[0..k),
 * c[0] being the subtree's name and c[1] the object's. */
struct subtree {
	const char *name;
	enum rsm_kind objects;	       /* what its directory lists */
	const struct file_kind *files; /* an object's files, ended by a row without a name */
	/* the record an object's files render from; NULL when they need none */
	int (*load)(const struct node *n, union object_info *o);
	int (*resolve)(struct node *n, char c[][COMPONENT_MAX], int k);
	/* lists a directory below the subtree's own (last: its name) */
	int (*list)(const char *last, const struct node *dir, struct dirent_list *out);
	/* lists the subtree's own directory, when that is not the objects of kind `objects` */
	int (*list_top)(struct dirent_list *out);
};

/* A row that only names an entry (a directory or a link), with no behaviour of its own. */
#define ENTRY(name_, type_, mode_, owner_)                                                         \
	{                                                                                          \
		.name = name_, .type = type_, .mode = mode_, .owner = owner_                       \
	}

/* drives/<d>/tape of a simulated drive (tape.c). */
extern const struct file_kind tape_kind;

extern const struct subtree root_tree, library_tree, drive_tree, media_tree, side_tree, pool_tree,
    request_tree, opreq_tree, session_tree, byid_tree, host_tree;

/* mkdir and rmdir in pools/ and sessions/ (pools.c, sessions.c): rows of the root's table. */
int pool_mkdir(fuse_req_t req, const char *name, mode_t mode);
int pool_rmdir(fuse_req_t req, const char *name);
int session_mkdir(fuse_req_t req, const char *name, mode_t mode);
int session_rmdir(fuse_req_t req, const char *name);

/* The views drawn from many objects: the root's metrics (metrics.c, rsmfs(5) metrics) and a
 * library's map and map.svg (map.c, rsmfs(5) libraries/lib/map). */
int render_metrics(const union object_info *o, const struct node *n, FILE *f);
int render_map_text(const union object_info *o, const struct node *n, FILE *f);
int render_map_svg(const union object_info *o, const struct node *n, FILE *f);

/* Kinds that are no row of a table: an object's directory, and a link. */
extern const struct file_kind object_dir_kind, link_kind;

/* ---- tree.c: building nodes ---- */

/* Makes n a node of kind k: its type, mode and owner (o: as for node_owner). */
void node_set_kind(struct node *n, const struct file_kind *k, const struct owner_of *o);
/* Makes n the file name of table t (with o for pool and session owners); -ENOENT when none. */
int node_from_table(struct node *n, const struct file_kind *t, const char *name,
		    const struct owner_of *o);
/* Makes n a directory of kind k, owned by the daemon. */
void node_dir(struct node *n, const struct file_kind *k, mode_t mode);
/* Makes n a symlink to fmt with name; returns 0. */
int node_link(struct node *n, const char *fmt, const char *name);
/* Sets n's owner from its owner class (o: the session's or the pool's owner, or NULL). */
void node_owner(struct node *n, enum owner_class owner, const struct owner_of *o);
/* A request or operator request number: decimal, no sign, no leading zero. */
bool parse_number(const char *s, uint64_t *out);

/* ---- tree.c: listing ---- */

int list_add(struct dirent_list *l, const char *name, mode_t type);
/* The rows of table t, but for the one named skip (NULL: all). */
int list_table(struct dirent_list *l, const struct file_kind *t, const char *skip);
/* The engine's objects of a kind (filter: the owning object, or NULL). */
int list_names(struct dirent_list *l, enum rsm_kind kind, const char *filter, mode_t type);

/* ---- tree.c: rendering ---- */

/* Prints a value line, or nothing for an empty value; returns 0. */
int render_value(FILE *f, const char *v);

/* A render function that prints one text field of the object's record. */
#define RENDER_TEXT(fn, field)                                                                     \
	static int fn(const union object_info *o, const struct node *n, FILE *f)                   \
	{                                                                                          \
		(void)n;                                                                           \
		return render_value(f, o->field);                                                  \
	}

#endif
