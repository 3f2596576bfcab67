/* hosts.c - hosts/<name>/ (rsmfs(5), hosts/name/): the hosts of a site on PostgreSQL, as this
 * host last read them from the catalog (a second ago at most); absent with SQLite.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tree.h"

RENDER_TEXT(host_state, host.state)
RENDER_TEXT(host_since, host.since)
RENDER_TEXT(host_manages, host.manages)

static const struct file_kind host_files[] = {
    {"state", N_FILE, 0444, OWN_DAEMON, .render = host_state},
    {"since", N_FILE, 0444, OWN_DAEMON, .render = host_since},
    {"manages", N_FILE, 0444, OWN_DAEMON, .render = host_manages},
    {0},
};

/* The host's record, for its files. */
static int load_host(const struct node *n, union object_info *o)
{
	return rsm_host_info(fs_global.eng, n->obj, &o->host) ? -ENOENT : 0;
}

/* hosts/<name> and its files. */
static int resolve_host(struct node *n, char c[][COMPONENT_MAX], int k)
{
	struct rsm_host_info hi;

	if (k > 3 || rsm_host_info(fs_global.eng, c[1], &hi) != ERROR_SUCCESS)
		return -ENOENT;
	snprintf(n->obj, sizeof(n->obj), "%s", c[1]);
	if (k == 2) {
		node_dir(n, &object_dir_kind, 0755);
		return 0;
	}
	return node_from_table(n, host_files, c[2], NULL);
}

/* hosts/: every host the site has had. */
static int list_hosts(struct dirent_list *out)
{
	struct rsm_names names AUTO_NAMES = {0};
	int rc = 0;

	if (rsm_host_list(fs_global.eng, &names) != ERROR_SUCCESS)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < names.count; i++)
		rc = list_add(out, names.names[i], S_IFDIR);
	return rc;
}

/* A host's directory. */
static int list_host(const char *last, const struct node *dir, struct dirent_list *out)
{
	(void)last, (void)dir;
	return list_table(out, host_files, NULL);
}

const struct subtree host_tree = {
    .name = "hosts",
    .files = host_files,
    .load = load_host,
    .resolve = resolve_host,
    .list = list_host,
    .list_top = list_hosts,
};
