/* hands.h - the replay's hands (hands.c): the child process (helper.c) that makes the calls
 * replay.c decides on, through the mount. */
#ifndef RSMFS_HANDS_H
#define RSMFS_HANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Starts the child; 0, or -1 when it cannot. */
int hands_start(void);
/* Stops waiting for the child: a call it has under way may never be answered. */
void hands_quit(void);
/* Kills the child at once (it is stuck in a call nobody will answer). */
void hands_kill(void);
/* Ends the child: no more commands, then a wait for its exit, then SIGKILL. */
void hands_stop(void);

/* One call each, made and waited for (paths relative to the mount): a one-byte write to an
 * attribute file (IN_MODIFY), mkdir or symlink of a new entry (IN_CREATE; target: the link's),
 * rmdir or unlink of one that went (IN_DELETE).  type is S_IFDIR or S_IFLNK. */
void hands_modify(const char *path);
/* Makes the kernel hold size as the size of path, an attribute file whose kept attributes were
 * just dropped, before anyone hears of its change (attrs.c); true when it does. */
bool hands_settle(const char *path, size_t size);
void hands_create(const char *path, mode_t type, const char *target);
void hands_remove(const char *path, mode_t type);

#endif
