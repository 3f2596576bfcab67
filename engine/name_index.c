/* name_index.c - open addressing (linear probing) over FNV-1a hashes of names; see
 * name_index.h for why the table follows its array lazily. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name_index.h"

static const char *name_at(struct name_array a, int i)
{
	return (const char *)a.base + (size_t)i * a.stride + a.offset;
}

static size_t name_hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return (size_t)h;
}

static void bucket_put(struct name_index *ix, struct name_array a, int i)
{
	size_t b = name_hash(name_at(a, i)) & ix->mask;

	while (ix->slot[b])
		b = (b + 1) & ix->mask;
	ix->slot[b] = i + 1;
}

/* Makes the table hold every element of a, at most half full; false when out of memory. */
static bool index_catch_up(struct name_index *ix, struct name_array a)
{
	if (a.count < ix->indexed) /* the array was rebuilt from scratch */
		name_index_free(ix);
	if (a.count == ix->indexed && ix->slot)
		return true;
	if (!ix->slot || (size_t)a.count * 2 > ix->mask + 1) {
		size_t n = 64;
		while (n < (size_t)a.count * 2)
			n *= 2;
		int *slot = calloc(n, sizeof(*slot));
		if (!slot)
			return false;
		free(ix->slot);
		ix->slot = slot;
		ix->mask = n - 1;
		ix->indexed = 0;
	}
	for (; ix->indexed < a.count; ix->indexed++)
		bucket_put(ix, a, ix->indexed);
	return true;
}

int name_index_find(struct name_index *ix, struct name_array a, const char *name)
{
	if (!name)
		return -1;
	if (!index_catch_up(ix, a)) {
		for (int i = 0; i < a.count; i++)
			if (strcmp(name_at(a, i), name) == 0)
				return i;
		return -1;
	}
	for (size_t b = name_hash(name) & ix->mask; ix->slot[b]; b = (b + 1) & ix->mask)
		if (strcmp(name_at(a, ix->slot[b] - 1), name) == 0)
			return ix->slot[b] - 1;
	return -1;
}

void name_index_free(struct name_index *ix)
{
	free(ix->slot);
	ix->slot = NULL;
	ix->mask = 0;
	ix->indexed = 0;
}
