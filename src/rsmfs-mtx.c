/* rsmfs-mtx.c - an mtx(1) 1.3.12-compatible changer program over an rsmfs mount.
 *
 * The command line is mtx's: "-f <device>" anywhere (the library directory
 * <mount>/libraries/<lib>; without it CHANGER, then TAPE, then /dev/changer), option words
 * (nobarcode, altres, noattach, invert, invert2, eepos <n>) and commands, several per line,
 * each run as it is reached with up to three numeric arguments.  A failing command ends the
 * program with mtx's message and exit status 1.  See rsmfs-mtx(1).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtx.h"

/* Option words: they set a flag for the commands after them. */
static void opt_nobarcode(struct mtx_run *run)
{
	run->barcodes = false;
}

/* Option words that mean nothing to rsmfs (altres, noattach, invert, invert2). */
static void opt_ignored(struct mtx_run *run)
{
	(void)run;
}

/* eepos <0..3>: the import/export tray bits of the next moves; rsmfs has no tray to move. */
static void opt_eepos(struct mtx_run *run)
{
	if (run->arg[0] < 0 || run->arg[0] > 3)
		mtx_fatal(run, "eepos requires argument between 0 and 3.\n");
}

static void cmd_version(struct mtx_run *run);

/* mtx's commands: how many numeric arguments each takes and whether it needs the library. */
static const struct command {
	const char *name;
	int nargs;
	bool device;
	void (*run)(struct mtx_run *run);
} commands[] = {
    {"inquiry", 0, true, cmd_inquiry},	    {"status", 0, true, cmd_status},
    {"invert", 0, false, opt_ignored},	    {"noattach", 0, false, opt_ignored},
    {"eepos", 1, false, opt_eepos},	    {"load", 2, true, cmd_load},
    {"unload", 2, true, cmd_unload},	    {"transfer", 2, true, cmd_transfer},
    {"first", 1, true, cmd_first},	    {"last", 1, true, cmd_last},
    {"previous", 1, true, cmd_previous},    {"next", 1, true, cmd_next},
    {"--version", 0, false, cmd_version},   {"inventory", 0, true, cmd_inventory},
    {"eject", 0, true, cmd_eject},	    {"erase", 0, true, cmd_erase},
    {"nobarcode", 0, false, opt_nobarcode}, {"position", 1, true, cmd_position},
    {"invert2", 0, false, opt_ignored},	    {"exchange", 3, true, cmd_exchange},
    {"altres", 0, false, opt_ignored},
};

/* The usage text (stderr), then exit 1, as mtx. */
static void __attribute__((noreturn)) usage(void)
{
	static const char *const forms[] = {
	    "--version",
	    "[ -f <lib> ] noattach <more commands>",
	    "[ -f <lib> ] inquiry | inventory ",
	    "[ -f <lib> ] [altres] [nobarcode] status",
	    "[ -f <lib> ] [altres] first [<drive#>]",
	    "[ -f <lib> ] [altres] last [<drive#>]",
	    "[ -f <lib> ] [altres] previous [<drive#>]",
	    "[ -f <lib> ] [altres] next [<drive#>]",
	    "[ -f <lib> ] [altres] [invert] load <storage-element-number> [<drive#>]",
	    "[ -f <lib> ] [altres] [invert] unload [<storage-element-number>][<drive#>]",
	    "[ -f <lib> ] [altres] [eepos eepos-number] transfer <storage-element-number> "
	    "<storage-element-number>",
	    "[ -f <lib> ] [altres] [eepos eepos-number][invert][invert2] exchange "
	    "<storage-element-number> <storage-element-number>",
	    "[ -f <lib> ] [altres] position <storage-element-number>",
	    "[ -f <lib> ] eject",
	};

	fflush(stdout);
	fprintf(stderr, "Usage:\n");
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		fprintf(stderr, "\trsmfs-mtx %s\n", forms[i]);
	fprintf(stderr, "\t(<lib> is <mount>/libraries/<library> of an rsmfs mount)\n");
	exit(1);
}

/* --version: the version, then the usage, exit 1 (as mtx). */
static void cmd_version(struct mtx_run *run)
{
	(void)run;
	fprintf(stderr, "rsmfs-mtx version %s (mtx 1.3.12 compatible)\n\n", PACKAGE_VERSION);
	usage();
}

/* mtx's FatalError: "<argv0>: <message>" on stderr, exit 1. */
void mtx_fatal(const struct mtx_run *run, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", run->argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Finds the library behind device and opens the session on it (-f, or the environment). */
static void open_device(struct mtx_run *run, const char *device)
{
	char why[256];

	if (mtx_place_open(&run->place, device, why, sizeof(why)) < 0) {
		if (errno == EINVAL)
			mtx_fatal(run, "%s\n", why);
		mtx_fatal(run, "cannot open SCSI device '%s' - %s\n", device,
			  why[0] ? why : strerror(errno));
	}
	if (mtx_session_open(&run->place, why, sizeof(why)) < 0)
		mtx_fatal(run, "%s\n", why);
	run->opened = true;
}

/* mtx's get_arg: the number at argv[i] when it starts with a digit, else -1. */
static int number_at(int argc, char **argv, int i)
{
	if (i >= argc || argv[i][0] < '0' || argv[i][0] > '9')
		return -1;
	long v = strtol(argv[i], NULL, 10);
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* Runs one command, finding the library first if it needs one and none was given. */
static void execute(struct mtx_run *run, const struct command *cmd)
{
	if (cmd->device && !run->opened) {
		const char *dev = getenv("CHANGER");
		if (!dev)
			dev = getenv("TAPE");
		open_device(run, dev ? dev : "/dev/changer");
	}
	cmd->run(run);
}

/* The command-table entry named word, or NULL. */
static const struct command *lookup(const char *word)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, word) == 0)
			return &commands[i];
	return NULL;
}

/* Walks the command line as mtx does, running each command as it comes to it. */
int main(int argc, char **argv)
{
	struct mtx_run run = {.argv0 = argv[0], .barcodes = true, .arg = {-1, -1, -1}};

	if (argc < 2)
		usage();
	for (int i = 1; i < argc;) {
		if (strcmp(argv[i], "-f") == 0) {
			if (++i >= argc)
				usage();
			open_device(&run, argv[i++]);
			continue;
		}
		const struct command *cmd = lookup(argv[i++]);
		if (!cmd)
			usage();
		for (int a = 0; a < cmd->nargs; a++) {
			run.arg[a] = number_at(argc, argv, i);
			if (run.arg[a] < 0)
				break;
			i++;
		}
		execute(&run, cmd);
		fflush(stdout);
		run.arg[0] = run.arg[1] = run.arg[2] = -1;
	}
	return 0;
}
