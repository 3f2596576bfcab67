/* options.h - the words of a control-file command: tokens, "name" and "name=value" options
 * checked against a table, seconds, priorities and ports.  No FUSE and no engine here, so the
 * fuzz target (tests/fuzz/fuzz_command.c) drives exactly what the control files run. */
#ifndef RSMFS_OPTIONS_H
#define RSMFS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_TOKENS 16
#define MAX_OPTIONS 16

enum option_kind {
	OPT_FLAG,     /* "read": present or not */
	OPT_SECONDS,  /* "timeout=<s>": decimal seconds, 0 to one year, kept in milliseconds */
	OPT_PRIORITY, /* "priority=<n>": -15..15 or lowest/low/normal/high/highest */
	OPT_INDEX,    /* "port=<n>", "vdrive=<n>": a place's number, 0..4096 */
	OPT_TEXT,     /* "drive=<name>": any text, judged by the command */
};

struct option_spec {
	const char *name; /* without the '=' */
	enum option_kind kind;
};

struct option_value {
	bool given;
	int64_t number;	  /* seconds in ms, priority, port */
	const char *text; /* OPT_TEXT: points into the token */
};

/* The option tables of the commands that take options, indexed by these enums. */
enum {
	MOUNT_DRIVE,
	MOUNT_READ,
	MOUNT_WRITE,
	MOUNT_NOWAIT,
	MOUNT_TIMEOUT,
	MOUNT_PRIORITY,
	MOUNT_OFFLINE_ERROR,
	MOUNT_UNAVAILABLE_ERROR,
	MOUNT_VDRIVE,
	MOUNT_NOPTIONS
};
enum { DISMOUNT_DEFERRED, DISMOUNT_IMMEDIATE, DISMOUNT_NOPTIONS };
enum { ALLOCATE_NEW, ALLOCATE_TIMEOUT, ALLOCATE_NOPTIONS };
enum { PORT_PORT, PORT_NOPTIONS };
enum { TIMING_MOVE, TIMING_LOAD, TIMING_UNLOAD, TIMING_NOPTIONS };
extern const struct option_spec mount_options[MOUNT_NOPTIONS];
extern const struct option_spec dismount_options[DISMOUNT_NOPTIONS];
extern const struct option_spec allocate_options[ALLOCATE_NOPTIONS];
extern const struct option_spec port_options[PORT_NOPTIONS];	 /* inject, eject, insert, remove */
extern const struct option_spec timing_options[TIMING_NOPTIONS]; /* sim/ctl timing */

/* Why size bytes written to a control file cannot be a command: a NUL byte, a control
 * character other than tab, CR and newline, or bytes that are not UTF-8; NULL when they can. */
const char *command_text_problem(const char *buf, size_t size);

/* Splits line in place at blanks (space, tab, CR); the number of tokens, or -1 past
 * MAX_TOKENS. */
int tokenize(char *line, char **tok);

/* Parses tok[first..n) against the nspec options of spec into values[0..nspec) (by index).
 * Returns 0, or -1 with why naming the culprit: an unknown option, an option given twice, or
 * a bad value.  verb prefixes the message. */
int options_parse(const char *verb, const struct option_spec *spec, int nspec, char **tok,
		  int first, int n, struct option_value *values, char *why, size_t whylen);

/* "12", "0.5": milliseconds in *ms; false for anything else (negative, past a year, junk). */
bool parse_seconds(const char *s, int64_t *ms);
/* A priority name or number -15..15. */
bool parse_priority(const char *s, int *out);
/* "<medium>/<side>" or "<medium>": copies the medium into buf and the side (0 when absent)
 * into *side; -1 when the side is not 0 or 1 or the medium does not fit. */
int parse_medium_side(const char *s, char *buf, size_t len, int *side, bool side_required);

#endif
