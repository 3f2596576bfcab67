/* tree.h - the file tables of tree.c, shared with render.c. */
#ifndef RSMFS_TREE_H
#define RSMFS_TREE_H

#include "fs.h"

enum area {
	AREA_ROOT,
	AREA_LIBRARIES,
	AREA_DRIVES,
	AREA_MEDIA,
	AREA_SIDE,
	AREA_POOLS,
	AREA_REQUESTS,
	AREA_OPREQS,
	AREA_SESSIONS,
	AREA_BYID,
};

/* Who owns a file: the daemon, the daemon with the admin group, the session's opener, or the
 * pool's owner (with the pool's read and write bits). */
enum owner_class { OWN_DAEMON, OWN_ADMIN_GROUP, OWN_SESSION, OWN_POOL };

struct file_entry {
	const char *name;
	enum node_type type;
	mode_t mode;
	int owner;
};

extern const struct file_entry library_files[], drive_files[], medium_files[], side_files[],
	pool_files[], request_files[], session_files[], root_files[], opreq_files[];

/* The file table of an area, and the name of the file a node is (NULL for directories). */
const struct file_entry *table_of(int area);
const char *node_file_name(const struct node *n);

#endif
