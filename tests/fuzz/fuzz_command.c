/* fuzz_command.c - libFuzzer target: the words of control-file commands (fs/options.c).
 *
 * The input is what a process writes to a ctl file.  Each line is tokenized and its options
 * parsed against the real table of the verb it names (every table for an unknown verb), as
 * the fs/ command tables do; the target then checks what a command would receive: at most
 * MAX_TOKENS tokens without blanks, seconds within a year, priorities within -15..15, ports
 * within 0..4096, and a medium/side split that fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static const struct {
	const char *verb;
	const struct option_spec *spec;
	int nspec;
	int first; /* the first token that is an option */
} grammar[] = {
    {"mount", mount_options, MOUNT_NOPTIONS, 2},
    {"dismount", dismount_options, DISMOUNT_NOPTIONS, 2},
    {"allocate", allocate_options, ALLOCATE_NOPTIONS, 2},
    {"inject", port_options, PORT_NOPTIONS, 1},
    {"eject", port_options, PORT_NOPTIONS, 2},
    {"remove", port_options, PORT_NOPTIONS, 1},
    {"timing", timing_options, TIMING_NOPTIONS, 1},
};
#define NGRAMMAR (sizeof(grammar) / sizeof(grammar[0]))

/* What a command can rely on once options_parse said yes. */
static void check_values(const struct option_spec *spec, int nspec, const struct option_value *v)
{
	for (int k = 0; k < nspec; k++) {
		if (!v[k].given)
			continue;
		switch (spec[k].kind) {
		case OPT_SECONDS:
			CHECK(v[k].number >= 0 && v[k].number <= 365LL * 24 * 3600 * 1000);
			break;
		case OPT_PRIORITY:
			CHECK(v[k].number >= -15 && v[k].number <= 15);
			break;
		case OPT_INDEX:
			CHECK(v[k].number >= 0 && v[k].number <= 4096);
			break;
		case OPT_TEXT:
			CHECK(v[k].text != NULL);
			break;
		case OPT_FLAG:
			break;
		}
	}
}

static void parse_line(char *line)
{
	char *tok[MAX_TOKENS];
	struct option_value v[MAX_OPTIONS];
	char why[160], medium[80];
	int n = tokenize(line, tok), side;

	if (n <= 0)
		return;
	for (int i = 0; i < n; i++)
		CHECK(*tok[i] && !strpbrk(tok[i], " \t\r"));
	if (n > 1 && parse_medium_side(tok[1], medium, sizeof(medium), &side, false) == 0)
		CHECK((side == 0 || side == 1) && strlen(medium) < sizeof(medium));
	for (size_t g = 0; g < NGRAMMAR; g++) {
		bool named = strcmp(tok[0], grammar[g].verb) == 0;
		/* an unknown verb still runs every table, so the fuzzer reaches them all */
		if (!named && strcmp(tok[0], "?") != 0)
			continue;
		why[0] = '\0';
		if (options_parse(grammar[g].verb, grammar[g].spec, grammar[g].nspec, tok,
				  grammar[g].first < n ? grammar[g].first : n, n, v, why,
				  sizeof(why)) == 0)
			check_values(grammar[g].spec, grammar[g].nspec, v);
		else
			CHECK(why[0] != '\0'); /* every refusal says why */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a write is at most 4096 bytes; longer ones are E2BIG before any parsing */
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* ctl.c refuses what this finds before parsing; the parser must cope with anything */
	const char *problem = command_text_problem(buf, size);
	CHECK(!problem || *problem);
	if (!problem)
		CHECK(!memchr(buf, '\0', size));
	for (char *save, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		parse_line(line);
	free(buf);
	return 0;
}
