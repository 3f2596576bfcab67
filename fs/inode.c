/* inode.c - inode numbers for paths, and what the kernel is told of a node.
 *
 * The kernel knows a node by its inode number; the tree knows it by path.  This table maps
 * one to the other, counts the kernel's lookups, and drops an entry when the kernel forgets
 * it.  Inode numbers are never reused within a run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct inode {
	fuse_ino_t ino;
	uint64_t nlookup;
	struct inode *next_hash;
	/* A file whose attributes the kernel was told to keep is on the list of the directory
	 * its key names (inode_keep), until a change of that object takes the list. */
	struct inode *kept_by, *kept_next;
	struct inode *kept; /* a key's directory: its list */
	/* Whether the kernel's copy of the size is known current (inode_attrs_settled): true for
	 * an inode the kernel makes from the reply that numbers it, false from each drop until
	 * one thread has been answered twice since.  drop_gen counts the drops (two steps each),
	 * zero_tid the thread answered zero_count times in generation zero_gen. */
	bool settled;
	uint8_t zero_count;
	uint32_t drop_gen, zero_gen;
	pid_t zero_tid;
	/* Settles (attrs.c): keep_gen counts the answers that may have been kept, settled_gen is
	 * keep_gen as the last clean settle left it (the kernel may hold an expiry ahead of now
	 * while they differ); settling, the settles under way. */
	uint32_t keep_gen, settled_gen;
	uint16_t settling;
	char path[];
};

#define HASH_BUCKETS 65536

static pthread_mutex_t inode_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inode *buckets[HASH_BUCKETS];
static struct inode **by_ino;
static size_t by_ino_cap;
static fuse_ino_t next_ino = 2; /* 1 is the root */

/* FNV-1a of a path. */
static uint64_t path_hash(const char *p)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* The inode of path, or NULL (inode_lock held). */
static struct inode *find(const char *path)
{
	for (struct inode *i = buckets[path_hash(path) % HASH_BUCKETS]; i; i = i->next_hash)
		if (strcmp(i->path, path) == 0)
			return i;
	return NULL;
}

/* Makes room in by_ino for the next inode number (inode_lock held); false without memory. */
static bool by_ino_room(void)
{
	if ((size_t)next_ino < by_ino_cap)
		return true;
	size_t cap = by_ino_cap ? by_ino_cap * 2 : 4096;
	struct inode **n = realloc(by_ino, cap * sizeof(*n));
	if (!n)
		return false;
	memset(n + by_ino_cap, 0, (cap - by_ino_cap) * sizeof(*n));
	by_ino = n;
	by_ino_cap = cap;
	return true;
}

/* The inode of ino (inode_lock held), or NULL. */
static struct inode *by_number(fuse_ino_t ino)
{
	return (size_t)ino < by_ino_cap ? by_ino[ino] : NULL;
}

/* A new inode for path, numbered and filed (inode_lock held); NULL without memory. */
static struct inode *inode_new(const char *path)
{
	size_t len = strlen(path);
	struct inode *i;

	if (!by_ino_room() || !(i = malloc(sizeof(*i) + len + 1)))
		return NULL;
	memcpy(i->path, path, len + 1);
	i->ino = next_ino++;
	i->nlookup = 0;
	i->kept_by = i->kept_next = i->kept = NULL;
	/* the kernel makes a new inode from the reply that brings its number, size and all;
	 * a change after that reply was rendered drops it (its lookup keeps it listed) */
	i->settled = true;
	i->zero_count = 0;
	i->drop_gen = i->zero_gen = 0;
	i->zero_tid = 0;
	i->keep_gen = i->settled_gen = 0; /* nothing to settle until an answer may be kept */
	i->settling = 0;
	uint64_t b = path_hash(path) % HASH_BUCKETS;
	i->next_hash = buckets[b];
	buckets[b] = i;
	by_ino[i->ino] = i;
	return i;
}

/* The inode number of a path, created if needed; count_lookup adds one kernel lookup. */
fuse_ino_t inode_get(const char *path, bool count_lookup)
{
	fuse_ino_t ino = 0;

	if (path[0] == '\0')
		return FUSE_ROOT_ID;
	pthread_mutex_lock(&inode_lock);
	struct inode *i = find(path);
	if (!i)
		i = inode_new(path);
	if (i) {
		i->nlookup += count_lookup;
		ino = i->ino;
	}
	pthread_mutex_unlock(&inode_lock);
	return ino;
}

/* The inode number a path already has, or 0; creates nothing (readdir uses it). */
fuse_ino_t inode_peek(const char *path)
{
	fuse_ino_t ino = 0;

	if (path[0] == '\0')
		return FUSE_ROOT_ID;
	pthread_mutex_lock(&inode_lock);
	struct inode *i = find(path);
	if (i)
		ino = i->ino;
	pthread_mutex_unlock(&inode_lock);
	return ino;
}

/* The path of inode ino into buf; false for an inode the kernel forgot. */
bool inode_path(fuse_ino_t ino, char *buf, size_t len)
{
	bool ok = false;

	if (ino == FUSE_ROOT_ID) {
		buf[0] = '\0';
		return true;
	}
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	size_t n = i ? strlen(i->path) : len;
	if (n < len) {
		memcpy(buf, i->path, n + 1);
		ok = true;
	}
	pthread_mutex_unlock(&inode_lock);
	return ok;
}

/* Takes i off the list it is kept on (inode_lock held). */
static void unkeep(struct inode *i)
{
	struct inode **pp = &i->kept_by->kept;

	while (*pp != i)
		pp = &(*pp)->kept_next;
	*pp = i->kept_next;
	i->kept_by = i->kept_next = NULL;
}

/* An inode about to be freed leaves the lists (inode_lock held): its own entry, and the files
 * on its list, which the kernel is forgetting too (they pin their directory). */
static void unkeep_all(struct inode *i)
{
	if (i->kept_by)
		unkeep(i);
	while (i->kept) {
		struct inode *f = i->kept;
		i->kept = f->kept_next;
		f->kept_by = f->kept_next = NULL;
	}
}

/* Notes that the kernel keeps the attributes of ino (path: checked, as the inode may be
 * another's by now) until a change of the object whose directory is key.  False when it must
 * not keep them. */
/* Files ino (at path) on the list of key's directory, an answer that may be kept counted when
 * answer; false when key has no directory. */
static bool keep_listed(fuse_ino_t ino, const char *path, const char *key, bool answer)
{
	bool ok = false;

	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	if (i && strcmp(i->path, path) == 0) {
		struct inode *dir = i->kept_by ? i->kept_by : find(key);
		if (dir && !i->kept_by) {
			i->kept_by = dir;
			i->kept_next = dir->kept;
			dir->kept = i;
		}
		ok = dir != NULL;
		if (ok && answer)
			i->keep_gen++;
	}
	pthread_mutex_unlock(&inode_lock);
	return ok;
}

bool inode_keep(fuse_ino_t ino, const char *path, const char *key)
{
	return keep_listed(ino, path, key, true);
}

void inode_relist(fuse_ino_t ino, const char *path, const char *key)
{
	keep_listed(ino, path, key, false);
}

uint32_t inode_keep_gen(fuse_ino_t ino)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	uint32_t gen = i ? i->keep_gen : 0;
	pthread_mutex_unlock(&inode_lock);
	return gen;
}

bool inode_settle_begin(fuse_ino_t ino, uint32_t keep_gen, struct settle_mark *m)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	bool needed = i && (i->keep_gen != i->settled_gen || i->settling);
	if (needed) {
		i->settling++;
		*m = (struct settle_mark){.keep_gen = keep_gen, .drop_gen = i->drop_gen};
	}
	pthread_mutex_unlock(&inode_lock);
	return needed;
}

bool inode_settle_end(fuse_ino_t ino, const struct settle_mark *m, bool ok)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	bool again = false;
	if (i) {
		i->settling--;
		/* clean: its fresh answer (never kept) was stored last, or after a later one that
		 * was not kept either: the kernel's expiry is now behind it.  One that was not
		 * clean leaves it as it was: another, the replay's, may have been */
		if (ok && i->keep_gen == m->keep_gen && i->drop_gen == m->drop_gen)
			i->settled_gen = i->keep_gen;
		again = i->keep_gen != i->settled_gen;
	}
	pthread_mutex_unlock(&inode_lock);
	return again;
}

bool inode_attrs_settled(fuse_ino_t ino, pid_t tid)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	if (i && !i->settled) {
		if (i->zero_gen == i->drop_gen && i->zero_tid == tid) {
			/* a third question of one thread: its second answer is stored */
			i->settled = i->zero_count >= 2;
			i->zero_count++;
		} else {
			i->zero_gen = i->drop_gen;
			i->zero_tid = tid;
			i->zero_count = 1;
		}
	}
	/* only a listed inode is ever dropped: one in no table (the root) is always settled */
	bool settled = !i || i->settled;
	pthread_mutex_unlock(&inode_lock);
	return settled;
}

void inode_unsettle(fuse_ino_t ino)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	if (i) {
		i->settled = false;
		i->drop_gen++;
	}
	pthread_mutex_unlock(&inode_lock);
}

bool inode_looked_up(fuse_ino_t ino)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	bool known = i && i->nlookup > 0;
	pthread_mutex_unlock(&inode_lock);
	return known;
}

/* Empties the list of key's directory into *inos (grown as needed, *cap its room, n the count
 * already in it); returns the new count.  A file that does not fit stays listed. */
size_t inode_take_kept(const char *key, fuse_ino_t **inos, size_t *cap, size_t n)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *dir = find(key);
	while (dir && dir->kept) {
		if (n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			fuse_ino_t *v = realloc(*inos, ncap * sizeof(*v));
			if (!v)
				break;
			*inos = v;
			*cap = ncap;
		}
		struct inode *f = dir->kept;
		(*inos)[n++] = f->ino;
		dir->kept = f->kept_next;
		f->kept_by = f->kept_next = NULL;
	}
	pthread_mutex_unlock(&inode_lock);
	return n;
}

/* The kernel forgets n lookups of ino; the last drops the inode. */
void inode_forget(fuse_ino_t ino, uint64_t n)
{
	pthread_mutex_lock(&inode_lock);
	struct inode *i = by_number(ino);
	if (i) {
		i->nlookup = i->nlookup > n ? i->nlookup - n : 0;
		if (i->nlookup == 0) {
			unkeep_all(i);
			struct inode **pp = &buckets[path_hash(i->path) % HASH_BUCKETS];
			while (*pp != i)
				pp = &(*pp)->next_hash;
			*pp = i->next_hash;
			by_ino[ino] = NULL;
			free(i);
		}
	}
	pthread_mutex_unlock(&inode_lock);
}

/* The path of name in directory parent; 0 or -errno. */
int inode_child_path(fuse_ino_t parent, const char *name, char *out, size_t len)
{
	char p[FS_PATH_MAX];

	if (!inode_path(parent, p, sizeof(p)))
		return -ESTALE;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	if (snprintf(out, len, "%s%s%s", p, p[0] ? "/" : "", name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Real owners and modes; the size of an attribute file is the length of its rendering. */
void node_stat(fuse_ino_t ino, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_atime = st->st_mtime = st->st_ctime = fs_global.start_time;
	switch (n->type) {
	case N_DIR:
		st->st_mode = S_IFDIR | n->mode;
		st->st_nlink = 2;
		break;
	case N_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(n->target);
		break;
	default:
		st->st_mode = S_IFREG | n->mode;
		st->st_nlink = 1;
		if (n->type == N_FILE) {
			char *text AUTO_FREE = NULL;
			size_t len;
			if (render_node(n, &text, &len) == 0)
				st->st_size = (off_t)len;
		}
	}
}

/* Answers req with path's entry and n's attributes (a lookup counted), the attributes kept by
 * the kernel when keep_attrs and attr_timeout allow; 0, or -errno unanswered. */
int reply_entry(fuse_req_t req, const char *path, const struct node *n, double entry_timeout,
		bool keep_attrs)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = inode_get(path, true);
	if (!e.ino)
		return -ENOMEM;
	e.entry_timeout = entry_timeout;
	/* kept before the rendering: a change after this finds it and drops what is rendered,
	 * and the drop waits for the kernel to have made the inode (attrs_drop_ino) */
	e.attr_timeout = keep_attrs ? attr_timeout(e.ino, path, n) : 0;
	if (e.attr_timeout > 0 && !inode_attrs_settled(e.ino, fuse_req_ctx(req)->pid))
		e.attr_timeout = 0;
	node_stat(e.ino, n, &e.attr);
	/* a lookup the kernel no longer waits for makes no inode: uncounted */
	if (fuse_reply_entry(req, &e) != 0)
		inode_forget(e.ino, 1);
	return 0;
}

/* Answers a mkdir or symlink with the entry just made; 0, or -errno unanswered. */
int reply_new_entry(fuse_req_t req, const char *path)
{
	struct node n;

	if (tree_resolve(path, &n) != 0)
		return -EIO;
	return reply_entry(req, path, &n, ENTRY_TIMEOUT, false);
}
