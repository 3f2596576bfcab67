/* fuzz_path.c - libFuzzer target: the path resolver of the tree (fs/tree.c).
 *
 * The input is a path a process hands to the kernel (lookup, open, readdir).  A real engine
 * (a sim library, a catalog in a temporary directory, a session "s1" with a mounted medium)
 * answers the resolver, so names of real objects lead deep into the tree.  Every path either
 * resolves to a node that can be listed or rendered, or is refused with a negative errno;
 * nothing reads past a name or overflows a component.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

struct fs fs_global;
static char dir[] = "/tmp/rsmfs-fuzz-XXXXXX";

static void mounted(void *ctx, rsm_err err, uint64_t request, const char *drive)
{
	(void)ctx, (void)err, (void)request, (void)drive;
}

static void remove_dir(void)
{
	char cmd[64];
	rsm_engine_close(fs_global.eng);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_path: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rsm_config cfg;
	struct rsm_cred root = {.uid = 0, .gid = 0, .admin = true};
	struct rsm_mount_args m = {.medium = "T00001L6", .timeout_ms = 0};
	char err[256];
	rsm_handle s;
	uint64_t req;

	(void)argc, (void)argv;
	CHECK(mkdtemp(dir));
	rsm_config_default(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	snprintf(cfg.database, sizeof(cfg.database), "%s/rsm.db", dir);
	cfg.libraries[0].move_time = cfg.libraries[0].load_time = 0;
	cfg.libraries[0].unload_time = 0;
	fs_global.eng = rsm_engine_open(&cfg, err, sizeof(err));
	if (!fs_global.eng) {
		fprintf(stderr, "fuzz_path: %s\n", err);
		abort();
	}
	atexit(remove_dir);
	CHECK(rsm_session_open(fs_global.eng, "s1", "fuzz", &root, &s) == ERROR_SUCCESS);
	m.timeout_ms = RSM_WAIT_INFINITE;
	rsm_err e = rsm_mount(fs_global.eng, s, &root, &m, mounted, NULL, &req);
	CHECK(e == ERROR_SUCCESS || e == ERROR_IO_PENDING);
	rsm_opreq_submit(fs_global.eng, s, &root, "fuzzing", &req);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node n;
	char path[4096];

	if (size >= sizeof(path))
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	int rc = tree_resolve(path, &n);
	CHECK(rc <= 0);
	if (rc < 0) {
		CHECK(rc > -4096);
		return 0;
	}
	CHECK(memchr(n.obj, '\0', sizeof(n.obj)) && memchr(n.sub, '\0', sizeof(n.sub)));
	CHECK(memchr(n.target, '\0', sizeof(n.target)));
	if (n.type == N_DIR) {
		struct dirent_list l = {0};
		if (tree_list(path, &n, &l) == 0)
			for (size_t i = 0; i < l.count; i++)
				CHECK(l.items[i].name[0] && !strchr(l.items[i].name, '/'));
		free(l.items);
	} else if (n.type == N_FILE) {
		char *text = NULL;
		size_t len = 0;
		if (render_node(&n, &text, &len) == 0)
			CHECK(text || len == 0);
		free(text);
	}
	return 0;
}
