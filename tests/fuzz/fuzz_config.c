/* fuzz_config.c - libFuzzer target: the INI parser of rsmfs.conf(5) (src/conf.c).
 *
 * The input is a configuration file.  Whatever it holds, config_read either refuses it with a
 * message naming the problem, or returns a configuration whose every value is within the
 * limits rsmfs.conf(5) documents: the engine must never see an absurd library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_library(const struct rsm_library_config *l)
{
	CHECK(l->name[0] && strlen(l->name) <= RSM_NAME_MAX);
	CHECK(strcmp(l->backend, "sim") == 0 || strcmp(l->backend, "scsi") == 0);
	CHECK(l->move_time >= 0 && l->move_time <= 3600);
	CHECK(l->load_time >= 0 && l->load_time <= 3600);
	CHECK(l->unload_time >= 0 && l->unload_time <= 3600);
	CHECK(memchr(l->drive_devices, '\0', sizeof(l->drive_devices)));
	CHECK(l->drives >= 1 && l->drives <= 1000);
	CHECK(l->ports >= 0 && l->ports <= 1000);
	CHECK(l->media >= 0);
	if (strcmp(l->type, "standalone") == 0) {
		/* one drive and a shelf; a real one is a drive with no changer */
		CHECK(l->drives == 1 && l->slots == 0 && l->ports == 0);
		if (strcmp(l->backend, "scsi") == 0)
			CHECK(!l->changer[0] && l->drive_devices[0]);
		return;
	}
	CHECK(strcmp(l->type, "changer") == 0);
	CHECK(l->slots >= 1 && l->slots <= 100000);
	if (strcmp(l->backend, "sim") == 0)
		CHECK(l->media <= l->slots);
	else
		CHECK(l->changer[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsm_config cfg;
	char err[512] = "";

	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	rsm_config_default(&cfg);
	int rc = config_read(f, "fuzz.conf", &cfg, err, sizeof(err));
	fclose(f);
	if (rc < 0) {
		CHECK(strncmp(err, "fuzz.conf", 9) == 0); /* the message names the file */
		return 0;
	}
	CHECK(rc == 0 && err[0] == '\0');
	CHECK(cfg.nlibraries >= 0 &&
	      cfg.nlibraries <= (int)(sizeof(cfg.libraries) / sizeof(cfg.libraries[0])));
	for (int i = 0; i < cfg.nlibraries; i++)
		check_library(&cfg.libraries[i]);
	CHECK(cfg.database[0] && cfg.data_dir[0]);
	CHECK(cfg.busy_timeout_ms >= 0 && cfg.request_retention_s >= 0);
	CHECK(cfg.database_max_size >= 0);
	return 0;
}
