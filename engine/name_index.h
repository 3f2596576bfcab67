/* name_index.h - finding an object by name in one of the engine's arrays in constant time.
 *
 * The engine's arrays of drives and media only ever grow, and an object's name never
 * changes, so the index follows its array lazily: each lookup first adds the elements
 * appended since the last one.  No caller has to remember to register what it appends.
 */
#ifndef RSMFS_NAME_INDEX_H
#define RSMFS_NAME_INDEX_H

#include <stddef.h>

struct name_index {
	int *slot;   /* element index + 1 per bucket; 0 is an empty bucket */
	size_t mask; /* bucket count - 1 (a power of two); slot NULL: no table yet */
	int indexed; /* elements 0 .. indexed-1 are in the table */
};

/* Where the names are: element i's name is at base + i * stride + offset. */
struct name_array {
	const void *base;
	size_t stride, offset;
	int count;
};

/* The index of the element called name, or -1.  Falls back to a linear search when memory
 * for the table cannot be had, so an answer is always right. */
int name_index_find(struct name_index *ix, struct name_array a, const char *name);
void name_index_free(struct name_index *ix);

#endif
