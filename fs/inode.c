/* inode.c - inode numbers for paths.
 *
 * The kernel knows a node by its inode number; the tree knows it by path.  This table maps
 * one to the other, counts the kernel's lookups, and drops an entry when the kernel forgets
 * it.  Inode numbers are never reused within a run.
 */
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct inode {
	fuse_ino_t ino;
	uint64_t nlookup;
	struct inode *next_hash;
	char path[];
};

#define HASH_BUCKETS 65536

static pthread_mutex_t inode_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inode *buckets[HASH_BUCKETS];
static struct inode **by_ino;
static size_t by_ino_cap;
static fuse_ino_t next_ino = 2; /* 1 is the root */

static uint64_t path_hash(const char *p)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static struct inode *find(const char *path)
{
	for (struct inode *i = buckets[path_hash(path) % HASH_BUCKETS]; i; i = i->next_hash)
		if (strcmp(i->path, path) == 0)
			return i;
	return NULL;
}

/* The inode number of a path, created if needed; count_lookup adds one kernel lookup. */
fuse_ino_t inode_get(const char *path, bool count_lookup)
{
	struct inode *i;
	fuse_ino_t ino = 0;

	if (path[0] == '\0')
		return FUSE_ROOT_ID;
	pthread_mutex_lock(&inode_lock);
	i = find(path);
	if (!i) {
		size_t len = strlen(path);
		i = malloc(sizeof(*i) + len + 1);
		if (!i)
			goto out;
		if ((size_t)next_ino >= by_ino_cap) {
			size_t cap = by_ino_cap ? by_ino_cap * 2 : 4096;
			struct inode **n = realloc(by_ino, cap * sizeof(*n));
			if (!n) {
				free(i);
				goto out;
			}
			memset(n + by_ino_cap, 0, (cap - by_ino_cap) * sizeof(*n));
			by_ino = n;
			by_ino_cap = cap;
		}
		memcpy(i->path, path, len + 1);
		i->ino = next_ino++;
		i->nlookup = 0;
		uint64_t b = path_hash(path) % HASH_BUCKETS;
		i->next_hash = buckets[b];
		buckets[b] = i;
		by_ino[i->ino] = i;
	}
	if (count_lookup)
		i->nlookup++;
	ino = i->ino;
out:
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

bool inode_path(fuse_ino_t ino, char *buf, size_t len)
{
	bool ok = false;

	if (ino == FUSE_ROOT_ID) {
		buf[0] = '\0';
		return true;
	}
	pthread_mutex_lock(&inode_lock);
	if ((size_t)ino < by_ino_cap && by_ino[ino]) {
		size_t n = strlen(by_ino[ino]->path);
		if (n < len) {
			memcpy(buf, by_ino[ino]->path, n + 1);
			ok = true;
		}
	}
	pthread_mutex_unlock(&inode_lock);
	return ok;
}

void inode_forget(fuse_ino_t ino, uint64_t n)
{
	pthread_mutex_lock(&inode_lock);
	if ((size_t)ino < by_ino_cap && by_ino[ino]) {
		struct inode *i = by_ino[ino];
		i->nlookup = i->nlookup > n ? i->nlookup - n : 0;
		if (i->nlookup == 0) {
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
