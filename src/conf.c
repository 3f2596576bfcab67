/* conf.c - the INI file of rsmfs.conf(5), read with libinih.
 *
 *   [rsmfs]            database, data_dir, admin_group, request_retention, busy_timeout,
 *                      database_max_size, synchronous, max_sessions_per_user,
 *                      max_channels_per_user, max_requests_per_user, max_opreqs_per_user,
 *                      catalog, host (a site on PostgreSQL)
 *   [library <name>]   backend, changer, drives, slots, ports, media, media_type,
 *                      move_time, load_time, unload_time, capacity, drive.<n>, manage
 *
 * Unknown sections and keys, bad numbers and absurd values are errors: a typo must not turn
 * into a silently different library.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debian's libinih is built to give its handler the line number (rsmfs.conf(5) messages name
 * the line); configure makes sure of it. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "conf.h"

#define MAX_DRIVES 1000
#define MAX_SLOTS 100000
#define MAX_PORTS 1000
#define MAX_SECONDS 3600.0

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

double config_parse_duration(const char *s)
{
	char *end;
	double v;

	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v < 0)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "ms") == 0)
		return v / 1000.0;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	return -1;
}

static int parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* The multiples of the size suffixes (binary: 1K is 1024 bytes). */
static const struct size_suffix {
	char c;
	double times;
} size_suffixes[] = {
    {'k', 1024.0}, {'K', 1024.0}, {'M', 1048576.0}, {'G', 1073741824.0}, {'T', 1099511627776.0},
};

int64_t config_parse_size(const char *s, double max)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end); /* strtod alone would take "inf" and "nan": the digit check */
	if (errno || !(v >= 0))
		return -1;
	for (size_t i = 0; *end && i < sizeof(size_suffixes) / sizeof(size_suffixes[0]); i++) {
		if (*end == size_suffixes[i].c) {
			v *= size_suffixes[i].times;
			end++;
			break;
		}
	}
	if (*end || v > max)
		return -1;
	return (int64_t)v;
}

/* "64M", "1.5G", "4096": bytes, up to 1 TiB. */
static int parse_size(const char *s, int64_t *out)
{
	int64_t v = config_parse_size(s, 1099511627776.0);

	if (v < 0)
		return -1;
	*out = v;
	return 0;
}

/* The per-user limits of [rsmfs] (rsmfs.conf(5)): 0 means none. */
static const struct {
	const char *key;
	size_t offset;
} user_limit_keys[] = {
    {"max_sessions_per_user", offsetof(struct rsm_config, max_sessions_per_user)},
    {"max_channels_per_user", offsetof(struct rsm_config, max_channels_per_user)},
    {"max_requests_per_user", offsetof(struct rsm_config, max_requests_per_user)},
    {"max_opreqs_per_user", offsetof(struct rsm_config, max_opreqs_per_user)},
};

/* A per-user limit key: 0 set, -1 bad value, -2 not such a key. */
static int set_user_limit(struct rsm_config *cfg, const char *key, const char *val)
{
	for (size_t i = 0; i < sizeof(user_limit_keys) / sizeof(user_limit_keys[0]); i++)
		if (strcmp(key, user_limit_keys[i].key) == 0)
			return parse_int(val, 0, 1000000,
					 (int *)((char *)cfg + user_limit_keys[i].offset));
	return -2;
}

/* A host's name follows the tree's rules for names (rsmfs(5)): it is a directory of hosts/. */
static bool host_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int set_rsmfs_key(struct rsm_config *cfg, const char *key, const char *val, bool *data_dir)
{
	int rc = set_user_limit(cfg, key, val);

	if (rc != -2)
		return rc;
	if (strcmp(key, "database") == 0) {
		if (!*val || strlen(val) >= sizeof(cfg->database))
			return -1;
		snprintf(cfg->database, sizeof(cfg->database), "%s", val);
	} else if (strcmp(key, "data_dir") == 0) {
		if (!*val || strlen(val) >= sizeof(cfg->data_dir))
			return -1;
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", val);
		*data_dir = true;
	} else if (strcmp(key, "admin_group") == 0) {
		if (strlen(val) >= sizeof(cfg->admin_group))
			return -1;
		snprintf(cfg->admin_group, sizeof(cfg->admin_group), "%s", val);
	} else if (strcmp(key, "request_retention") == 0) {
		double s = config_parse_duration(val);
		if (s < 0 || s > 3650.0 * 86400)
			return -1;
		cfg->request_retention_s = (int64_t)s;
	} else if (strcmp(key, "busy_timeout") == 0) {
		double s = config_parse_duration(val);
		if (s < 0 || s > 3600)
			return -1;
		cfg->busy_timeout_ms = (int)(s * 1000);
	} else if (strcmp(key, "database_max_size") == 0) {
		if (parse_size(val, &cfg->database_max_size) < 0)
			return -1;
	} else if (strcmp(key, "catalog") == 0) {
		/* a libpq connection URI: what names PostgreSQL, not a file */
		if ((strncmp(val, "postgresql://", 13) != 0 &&
		     strncmp(val, "postgres://", 11) != 0) ||
		    strlen(val) >= sizeof(cfg->catalog))
			return -1;
		snprintf(cfg->catalog, sizeof(cfg->catalog), "%s", val);
	} else if (strcmp(key, "host") == 0) {
		if (!host_name_ok(val))
			return -1;
		snprintf(cfg->host, sizeof(cfg->host), "%s", val);
	} else if (strcmp(key, "synchronous") == 0) {
		if (strcmp(val, "full") == 0)
			cfg->synchronous_normal = false;
		else if (strcmp(val, "normal") == 0)
			cfg->synchronous_normal = true;
		else
			return -1;
	} else {
		return -2;
	}
	return 0;
}

static int set_library_key(struct rsm_library_config *l, const char *key, const char *val)
{
	double t;

	if (strcmp(key, "type") == 0) {
		if (strcmp(val, "changer") != 0 && strcmp(val, "standalone") != 0)
			return -1;
		snprintf(l->type, sizeof(l->type), "%s", val);
	} else if (strcmp(key, "backend") == 0) {
		if (strcmp(val, "sim") != 0 && strcmp(val, "scsi") != 0)
			return -1;
		snprintf(l->backend, sizeof(l->backend), "%s", val);
	} else if (strcmp(key, "changer") == 0) {
		if (strlen(val) >= sizeof(l->changer))
			return -1;
		snprintf(l->changer, sizeof(l->changer), "%s", val);
	} else if (strcmp(key, "drives") == 0) {
		return parse_int(val, 1, MAX_DRIVES, &l->drives);
	} else if (strcmp(key, "slots") == 0) {
		return parse_int(val, 0, MAX_SLOTS, &l->slots);
	} else if (strcmp(key, "ports") == 0) {
		return parse_int(val, 0, MAX_PORTS, &l->ports);
	} else if (strcmp(key, "media") == 0) {
		return parse_int(val, 0, MAX_SLOTS, &l->media);
	} else if (strcmp(key, "media_type") == 0) {
		if (!*val || strlen(val) >= sizeof(l->media_type) || strchr(val, ' '))
			return -1;
		snprintf(l->media_type, sizeof(l->media_type), "%s", val);
	} else if (strcmp(key, "move_time") == 0 || strcmp(key, "load_time") == 0 ||
		   strcmp(key, "unload_time") == 0) {
		t = config_parse_duration(val);
		if (t < 0 || t > MAX_SECONDS)
			return -1;
		if (key[0] == 'm')
			l->move_time = t;
		else if (key[0] == 'l')
			l->load_time = t;
		else
			l->unload_time = t;
	} else if (strcmp(key, "dismount_delay") == 0) {
		t = config_parse_duration(val);
		if (t < 0 || t > 365.0 * 86400)
			return -1;
		l->dismount_delay = t;
	} else if (strcmp(key, "capacity") == 0) {
		/* a sim cartridge's bytes of records (rsmfs.conf(5)): a record at least, 1 PiB at
		 * most */
		int64_t v = config_parse_size(val, 1125899906842624.0);
		if (v < 1048576)
			return -1;
		l->capacity = (uint64_t)v;
	} else if (strcmp(key, "manage") == 0) {
		/* no: this host of a site only uses the library, another manages it */
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return -1;
		l->manage = val[0] == 'y';
	} else if (strncmp(key, "drive.", 6) == 0) {
		int n;
		size_t used = strlen(l->drive_devices);
		if (parse_int(key + 6, 0, MAX_DRIVES - 1, &n) < 0 ||
		    (val[0] != '/' && strncmp(val, "iscsi://", 8) != 0) || strchr(val, ' '))
			return -1;
		/* device paths of real drives: used by the scsi backend */
		if (snprintf(l->drive_devices + used, sizeof(l->drive_devices) - used, "%d %s\n", n,
			     val) >= (int)(sizeof(l->drive_devices) - used))
			return -1;
	} else {
		return -2;
	}
	return 0;
}

/* The keys of a library section that change what a standalone library may have. */
enum { GIVEN_DRIVES = 1, GIVEN_SLOTS = 2, GIVEN_PORTS = 4 };

static unsigned given_flag(const char *key)
{
	return !strcmp(key, "drives")  ? GIVEN_DRIVES
	       : !strcmp(key, "slots") ? GIVEN_SLOTS
	       : !strcmp(key, "ports") ? GIVEN_PORTS
				       : 0;
}

/* A standalone library is one drive and a shelf: drives 1 (the default), no slots or ports;
 * its media are shelf cartridges, and a real one is a drive (drive.0) with no changer. */
static int check_standalone(struct rsm_library_config *l, unsigned given, const char *path,
			    char *err, size_t errlen)
{
	if (((given & GIVEN_DRIVES) && l->drives != 1) || ((given & GIVEN_SLOTS) && l->slots) ||
	    ((given & GIVEN_PORTS) && l->ports)) {
		snprintf(err, errlen,
			 "%s: library %s: a standalone library has one drive and no slots or ports",
			 path, l->name);
		return -1;
	}
	l->drives = 1;
	l->slots = l->ports = 0;
	if (strcmp(l->backend, "scsi") == 0 && (l->changer[0] || !l->drive_devices[0])) {
		snprintf(err, errlen,
			 "%s: library %s: a standalone scsi drive needs drive.0 and no changer",
			 path, l->name);
		return -1;
	}
	return 0;
}

/* What a library section must hold together, once it is read. */
static int check_library(struct rsm_library_config *l, unsigned given, const char *path, char *err,
			 size_t errlen)
{
	if (strcmp(l->type, "standalone") == 0)
		return check_standalone(l, given, path, err, errlen);
	if (l->slots < 1) {
		snprintf(err, errlen, "%s: library %s: a changer needs at least one slot", path,
			 l->name);
		return -1;
	}
	if (strcmp(l->backend, "sim") == 0 && l->media > l->slots) {
		snprintf(err, errlen, "%s: library %s: %d media do not fit in %d slots", path,
			 l->name, l->media, l->slots);
		return -1;
	}
	if (strcmp(l->backend, "scsi") == 0 && !l->changer[0]) {
		snprintf(err, errlen, "%s: library %s: backend scsi needs a changer address", path,
			 l->name);
		return -1;
	}
	return 0;
}

/* ---- the reader: libinih, with rsmfs.conf(5)'s own rules around it ---- */

/* The longest line, its newline included, as before libinih; inih's buffer is made to hold it. */
#define LINE_MAX_BYTES 1024

/* One reading of a file: where it stands, and the first problem found. */
struct reader {
	FILE *f;
	const char *path;
	struct rsm_config *cfg;
	char *err;
	size_t errlen;
	int lineno; /* of the line last read */
	bool failed;
	bool in_rsmfs, data_dir, database;
	struct rsm_library_config *lib; /* the [library] section being read, or NULL */
	unsigned given[sizeof(((struct rsm_config *)0)->libraries) /
		       sizeof(((struct rsm_config *)0)->libraries[0])];
};

/* Records the first problem, "<file>:<line>: <why>"; reading stops there. */
__attribute__((format(printf, 3, 4))) static void reader_fail(struct reader *r, int lineno,
							      const char *fmt, ...)
{
	char why[900];
	va_list ap;

	if (r->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s:%d: %s", r->path, lineno, why);
	r->failed = true;
}

/* "[rsmfs]" or "[library <name>]" (s trimmed, comments gone): the section that starts here. */
static void section_open(struct reader *r, char *s)
{
	struct rsm_config *cfg = r->cfg;
	char *close = strchr(s, ']');

	if (!close || trim(close + 1)[0]) {
		reader_fail(r, r->lineno, "malformed section header");
		return;
	}
	*close = '\0';
	char *name = trim(s + 1);
	r->in_rsmfs = strcmp(name, "rsmfs") == 0;
	r->lib = NULL;
	if (r->in_rsmfs)
		return;
	if (strncmp(name, "library", 7) != 0 || !isspace((unsigned char)name[7])) {
		reader_fail(r, r->lineno, "unknown section [%s]", name);
		return;
	}
	name = trim(name + 7);
	if (!*name || strlen(name) > RSM_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		strlen(name) ||
	    name[0] == '.') {
		reader_fail(r, r->lineno, "bad library name '%s'", name);
		return;
	}
	for (int i = 0; i < cfg->nlibraries; i++)
		if (strcmp(cfg->libraries[i].name, name) == 0) {
			reader_fail(r, r->lineno, "library '%s' defined twice", name);
			return;
		}
	if (cfg->nlibraries == (int)(sizeof(cfg->libraries) / sizeof(cfg->libraries[0]))) {
		reader_fail(r, r->lineno, "too many libraries");
		return;
	}
	r->lib = &cfg->libraries[cfg->nlibraries++];
	rsm_library_config_default(r->lib, name);
}

/* One "key = value" of line lineno, in the section being read; 0, or -1 with the problem
 * recorded. */
static int reader_key(struct reader *r, const char *key, const char *val, int lineno)
{
	int rc;

	if (r->in_rsmfs) {
		rc = set_rsmfs_key(r->cfg, key, val, &r->data_dir);
		r->database |= rc == 0 && strcmp(key, "database") == 0;
	} else if (r->lib) {
		rc = set_library_key(r->lib, key, val);
		if (rc == 0)
			r->given[r->lib - r->cfg->libraries] |= given_flag(key);
	} else {
		reader_fail(r, lineno, "'%s' outside of any section", key);
		return -1;
	}
	if (rc == -2)
		reader_fail(r, lineno, "unknown key '%s'", key);
	else if (rc < 0)
		reader_fail(r, lineno, "bad value '%s' for %s", val, key);
	return rc < 0 ? -1 : 0;
}

/* inih's handler: one "key = value", split and trimmed by inih. */
static int reader_pair(void *user, const char *section, const char *key, const char *val,
		       int lineno)
{
	(void)section; /* the reader's own, see next_line */
	return reader_key(user, key, val, lineno) == 0;
}

/* A key = value line whose key holds a ':': inih would split it there (its "name: value"
 * form), and no key of rsmfs.conf(5) holds one, so it is judged here, as the key it is. */
static void colon_key(struct reader *r, char *s)
{
	char *eq = strchr(s, '=');

	*eq = '\0';
	reader_key(r, trim(s), trim(eq + 1), r->lineno);
}

/* inih's reader (fgets-like): the next line as inih is to see it, or NULL to end.
 *
 * What inih does not do the rsmfs.conf(5) way is done here, line by line: a NUL byte or a line
 * too long is an error (inih would cut the line); ';' and '#' start a comment anywhere (inih:
 * only at the start or after a blank); a line is trimmed (inih would take an indented line
 * for the continuation of the previous value); a line with no '=' is an error (inih would
 * take "name: value").  Section headers are opened here and reach inih as blank lines: it
 * keeps 50 bytes of a section's name, and is built to call nobody at a header, so an empty
 * [library] section would go unseen. */
static char *next_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char line[LINE_MAX_BYTES];

	if (r->failed || !fgets(line, sizeof(line), r->f))
		return NULL;
	r->lineno++;
	/* a NUL byte hides the rest of the line from every string function below */
	if (strlen(line) + 1 < sizeof(line) && !strchr(line, '\n') && !feof(r->f)) {
		reader_fail(r, r->lineno, "NUL byte in the line");
		return NULL;
	}
	if (!strchr(line, '\n') && !feof(r->f)) {
		reader_fail(r, r->lineno, "line too long");
		return NULL;
	}
	line[strcspn(line, ";#")] = '\0';
	char *s = trim(line);
	if (*s == '[') {
		section_open(r, s);
		*s = '\0';
	} else if (*s && !strchr(s, '=')) {
		reader_fail(r, r->lineno, "expected key = value");
	} else if (*s && strcspn(s, ":") < strcspn(s, "=")) {
		colon_key(r, s);
	} else if (strlen(s) + 2 > (size_t)num) {
		reader_fail(r, r->lineno, "line too long"); /* an inih whose buffer is smaller */
	}
	if (r->failed)
		return NULL;
	snprintf(str, (size_t)num, "%s\n", s);
	return str;
}

int config_read(FILE *f, const char *path, struct rsm_config *cfg, char *err, size_t errlen)
{
	struct reader r = {.f = f, .path = path, .cfg = cfg, .err = err, .errlen = errlen};

	cfg->nlibraries = 0;
	ini_max_line = LINE_MAX_BYTES + 2; /* a whole line, and the newline it may lack */
	int rc = ini_parse_stream(next_line, &r, reader_pair, &r);
	if (r.failed)
		return -1;
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot be read: %s", path, strerror(errno));
		return -1;
	}
	if (rc != 0) {
		/* next_line hands inih nothing it could refuse: this is inih's own failure */
		snprintf(err, errlen, "%s:%d: cannot be parsed", path, rc > 0 ? rc : r.lineno);
		return -1;
	}
	for (int i = 0; i < cfg->nlibraries; i++) {
		if (check_library(&cfg->libraries[i], r.given[i], path, err, errlen) < 0)
			return -1;
	}
	if (r.database && cfg->catalog[0]) {
		snprintf(err, errlen, "%s: database and catalog both name the catalog: give one",
			 path);
		return -1;
	}
	if (r.database || r.data_dir)
		cfg->create_data_dir = false;
	/* the catalog and the cartridge images live together unless told otherwise */
	if (r.database && !r.data_dir) {
		char *slash = strrchr(cfg->database, '/');
		if (slash && slash != cfg->database)
			snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%.*s",
				 (int)(slash - cfg->database), cfg->database);
		else if (!slash)
			snprintf(cfg->data_dir, sizeof(cfg->data_dir), ".");
	} else if (r.data_dir && !r.database) {
		snprintf(cfg->database, sizeof(cfg->database), "%s/rsm.db", cfg->data_dir);
	}
	return 0;
}

static void fclose_p(FILE **f)
{
	if (*f)
		fclose(*f);
}

int config_load(const char *path, struct rsm_config *cfg, char *err, size_t errlen)
{
	__attribute__((cleanup(fclose_p))) FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return config_read(f, path, cfg, err, errlen);
}
