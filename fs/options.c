/* options.c - the words of a control-file command, parsed without FUSE or the engine.
 *
 * Every option a command accepts is a row of a table (struct option_spec); options_parse
 * walks the tokens once against it, so "unknown option", "given twice" and "bad value" are
 * decided in one place for every control file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

const struct option_spec mount_options[MOUNT_NOPTIONS] = {
    [MOUNT_DRIVE] = {"drive", OPT_TEXT},
    [MOUNT_READ] = {"read", OPT_FLAG},
    [MOUNT_WRITE] = {"write", OPT_FLAG},
    [MOUNT_NOWAIT] = {"nowait", OPT_FLAG},
    [MOUNT_TIMEOUT] = {"timeout", OPT_SECONDS},
    [MOUNT_PRIORITY] = {"priority", OPT_PRIORITY},
    [MOUNT_OFFLINE_ERROR] = {"offline-error", OPT_FLAG},
    [MOUNT_UNAVAILABLE_ERROR] = {"unavailable-error", OPT_FLAG},
    [MOUNT_VDRIVE] = {"vdrive", OPT_INDEX},
};

const struct option_spec dismount_options[DISMOUNT_NOPTIONS] = {
    [DISMOUNT_DEFERRED] = {"deferred", OPT_FLAG},
    [DISMOUNT_IMMEDIATE] = {"immediate", OPT_FLAG},
};

const struct option_spec allocate_options[ALLOCATE_NOPTIONS] = {
    [ALLOCATE_NEW] = {"new", OPT_FLAG},
    [ALLOCATE_TIMEOUT] = {"timeout", OPT_SECONDS},
};

const struct option_spec port_options[PORT_NOPTIONS] = {
    [PORT_PORT] = {"port", OPT_INDEX},
};

const struct option_spec timing_options[TIMING_NOPTIONS] = {
    [TIMING_MOVE] = {"move", OPT_SECONDS},
    [TIMING_LOAD] = {"load", OPT_SECONDS},
    [TIMING_UNLOAD] = {"unload", OPT_SECONDS},
};

/* The length of the UTF-8 sequence at p (at most n bytes), or 0 when it is not one: overlong
 * forms, surrogates and code points past U+10FFFF are refused as well. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

const char *command_text_problem(const char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)buf;

	for (size_t i = 0; i < size;) {
		if (p[i] == 0)
			return "the command holds a NUL byte";
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') || p[i] == 0x7f)
			return "the command holds a control character";
		size_t len = utf8_sequence(p + i, size - i);
		if (!len)
			return "the command is not valid UTF-8";
		i += len;
	}
	return NULL;
}

/* Splits at blanks in place.  strtok is not used: FUSE runs writes on several threads at
 * once, and strtok keeps its position in a static. */
int tokenize(char *line, char **tok)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			return n;
		if (n == MAX_TOKENS)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

bool parse_seconds(const char *s, int64_t *ms)
{
	char *end;
	double v;

	/* strtod alone would take " 1", "+1", "inf", "nan" and hexadecimal */
	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return false;
	v = strtod(s, &end);
	if (*end || end == s || !(v >= 0) || v > 365.0 * 24 * 3600)
		return false;
	*ms = (int64_t)(v * 1000.0 + 0.5);
	return true;
}

bool parse_priority(const char *s, int *out)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {{"lowest", -15}, {"low", -7}, {"normal", 0}, {"high", 7}, {"highest", 15}};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].value;
			return true;
		}
	if (!*s || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+'))
		return false;
	v = strtol(s, &end, 10);
	if (*end || end == s || v < -15 || v > 15)
		return false;
	*out = (int)v;
	return true;
}

/* A port number: digits only, 0..4096. */
static bool parse_port_number(const char *s, int64_t *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return false;
	v = strtol(s, &end, 10);
	if (*end || v > 4096)
		return false;
	*out = v;
	return true;
}

/* The value of one option of the given kind; false when it is not acceptable. */
static bool option_value_parse(enum option_kind kind, const char *v, struct option_value *out)
{
	int prio;

	switch (kind) {
	case OPT_FLAG:
		return true;
	case OPT_SECONDS:
		return parse_seconds(v, &out->number);
	case OPT_PRIORITY:
		if (!parse_priority(v, &prio))
			return false;
		out->number = prio;
		return true;
	case OPT_INDEX:
		return parse_port_number(v, &out->number);
	case OPT_TEXT:
		/* any text: what it names is the caller's to judge (drive=<none> is ENODEV) */
		out->text = v;
		return true;
	}
	return false;
}

/* The row of spec that tok names ("read" for a flag, "timeout=..." for a valued option). */
static int option_find(const struct option_spec *spec, int nspec, const char *tok)
{
	for (int j = 0; j < nspec; j++) {
		size_t l = strlen(spec[j].name);
		if (strncmp(tok, spec[j].name, l) != 0)
			continue;
		if (spec[j].kind == OPT_FLAG ? tok[l] == '\0' : tok[l] == '=')
			return j;
	}
	return -1;
}

int options_parse(const char *verb, const struct option_spec *spec, int nspec, char **tok,
		  int first, int n, struct option_value *values, char *why, size_t whylen)
{
	for (int j = 0; j < nspec; j++)
		values[j] = (struct option_value){0};
	for (int i = first; i < n; i++) {
		int k = option_find(spec, nspec, tok[i]);
		if (k < 0) {
			snprintf(why, whylen, "%s: unknown option '%s'", verb, tok[i]);
			return -1;
		}
		if (values[k].given) {
			snprintf(why, whylen, "%s: option '%s' given twice", verb, tok[i]);
			return -1;
		}
		values[k].given = true;
		const char *v = spec[k].kind == OPT_FLAG ? "" : tok[i] + strlen(spec[k].name) + 1;
		if (!option_value_parse(spec[k].kind, v, &values[k])) {
			snprintf(why, whylen, "%s: bad %s '%s'", verb, spec[k].name, v);
			return -1;
		}
	}
	return 0;
}

int parse_medium_side(const char *s, char *buf, size_t len, int *side, bool side_required)
{
	char *slash, *end;
	long v;

	if (strlen(s) >= len)
		return -1;
	snprintf(buf, len, "%s", s);
	*side = 0;
	slash = strchr(buf, '/');
	if (!slash)
		return side_required ? -1 : 0;
	*slash = '\0';
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	v = strtol(slash + 1, &end, 10);
	if (*end || v < 0 || v > 1)
		return -1;
	*side = (int)v;
	return 0;
}
