/* config.h - rsmfs.conf(5): the INI configuration file. */
#ifndef RSMFS_CONF_H
#define RSMFS_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rsm.h"

/* Reads path into cfg (which starts as the built-in default minus its library).  Returns 0, or
 * -1 with a message naming the file, the line and the problem in err. */
int config_load(const char *path, struct rsm_config *cfg, char *err, size_t errlen);
/* The same from an open stream; path only names it in messages. */
int config_read(FILE *f, const char *path, struct rsm_config *cfg, char *err, size_t errlen);

/* Parses "4096", "64M", "2.5T" (suffixes k/K, M, G, T; binary) into bytes, at most max; -1
 * when malformed or larger. */
int64_t config_parse_size(const char *s, double max);

/* Parses "90", "90s", "30m", "24h", "2d" into seconds; -1 when malformed. */
double config_parse_duration(const char *s);

#endif
