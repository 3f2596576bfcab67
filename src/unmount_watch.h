/* unmount_watch.h - stops the daemon when its mount is lazily detached (unmount_watch.c). */
#ifndef RSMFS_UNMOUNT_WATCH_H
#define RSMFS_UNMOUNT_WATCH_H

/* Starts watching the rsmfs mount at mountpoint (an absolute path); -1 when it cannot. */
int unmount_watch_start(const char *mountpoint);
void unmount_watch_stop(void);

#endif
