/* sim.c - the simulated changer's cartridges: one image file per medium under
 * <data_dir>/images, so `tar cf "$(cat drives/d0/device)"` writes to the loaded cartridge.
 * Its robot and drive timings are the library's move/load/unload times (scheduler.c). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

void sim_image_path(struct rsm_engine *eng, const struct medium *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s/images/%s.img", eng->cfg.data_dir, m->barcode);
}

/* Creates the image file if it does not exist yet; an existing image keeps its data. */
int sim_create_image(struct rsm_engine *eng, const struct medium *m)
{
	char path[4200];
	int fd;

	sim_image_path(eng, m, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
