/* render.c - the text of every attribute file, rendered from an engine snapshot.
 *
 * One value per file, newline-terminated; an empty value is an empty file.  Multi-line files
 * (slots, stats, error_log) are rendered whole, so one read from offset 0 sees one table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "tree.h"

static const char readme_text[] =
	"rsmfs - Removable Storage Manager file system\n"
	"\n"
	"  libraries/<lib>/   libraries: id name type state backend changer slots ports door stats\n"
	"  drives/<d>/        drives: state medium session device stats\n"
	"  media/<m>/         cartridges: state location library pool sides/\n"
	"  pools/<p>/         media pools: free import unrecognized cleaner; mkdir adds one\n"
	"  requests/<n>/      library requests: operation state error ...; ctl: cancel\n"
	"  opreqs/<n>/        operator requests: type message state; ctl: satisfy cancel\n"
	"  sessions/<s>/      mkdir opens a session, rmdir closes it\n"
	"  by-id/<guid>       every object by its GUID\n"
	"\n"
	"A session:\n"
	"  mkdir sessions/demo\n"
	"  echo 'mount T00001L6' > sessions/demo/ctl      (blocks until mounted)\n"
	"  cat drives/*/state; tar cf \"$(cat drives/d0/device)\" somefile\n"
	"  echo 'dismount T00001L6 deferred' > sessions/demo/ctl\n"
	"  timeout 5 head -n1 sessions/demo/notify/drive  (events: seq op type path guid)\n"
	"  rmdir sessions/demo\n"
	"\n"
	"Also: allocate <pool> [new] [timeout=<s>], deallocate <m>/<side>, message <text>;\n"
	"libraries/<l>/ctl: inventory enable disable inject eject; drives/<d>/ctl: clean\n"
	"enable disable; media/<m>/ctl: pool <p> enable disable decommission complete eject.\n"
	"Mount options: drive=<d> read write nowait timeout=<s> priority=<n> offline-error\n"
	"unavailable-error.  Failures set errno; the RSM error is in sessions/<s>/error and is\n"
	"the reply line read back from the same open ctl.  See rsmfs(5).\n";

static void put_error(FILE *f, rsm_err err, const char *detail)
{
	if (err == ERROR_SUCCESS)
		return;
	fprintf(f, "%s %u %s", rsm_error_name(err), err, rsm_error_text(err));
	if (detail && *detail)
		fprintf(f, ": %s", detail);
	fputc('\n', f);
}

/* Prints a value line, or nothing for an empty value. */
static void value(FILE *f, const char *v)
{
	if (v && *v)
		fprintf(f, "%s\n", v);
}

static int render_root(const char *name, FILE *f)
{
	if (strcmp(name, "README") == 0)
		fputs(readme_text, f);
	else if (strcmp(name, "version") == 0)
		fprintf(f, "rsmfs %s\n", PACKAGE_VERSION);
	else if (strcmp(name, "error_log") == 0) {
		pthread_mutex_lock(&fs_global.log_lock);
		for (int i = 0; i < fs_global.error_log_count; i++)
			fputs(fs_global.error_log[i], f);
		pthread_mutex_unlock(&fs_global.log_lock);
	}
	return 0;
}

static int render_library(const struct node *n, const char *name, FILE *f)
{
	struct rsm_library_info li;

	if (rsm_library_info(fs_global.eng, n->obj, &li) != ERROR_SUCCESS)
		return -ENOENT;
	if (!strcmp(name, "id"))
		value(f, li.guid);
	else if (!strcmp(name, "name"))
		value(f, li.name);
	else if (!strcmp(name, "type"))
		value(f, li.type);
	else if (!strcmp(name, "state"))
		value(f, li.state);
	else if (!strcmp(name, "backend"))
		value(f, li.backend);
	else if (!strcmp(name, "changer"))
		value(f, li.changer);
	else if (!strcmp(name, "door"))
		value(f, li.door);
	else if (!strcmp(name, "stats"))
		fprintf(f, "moves %llu\nmounts %llu\nfailures %llu\nmean_mount_seconds %.3f\n"
			   "max_mount_seconds %.3f\n",
			(unsigned long long)li.moves, (unsigned long long)li.mounts,
			(unsigned long long)li.failures, li.mount_secs_mean, li.mount_secs_max);
	else if (!strcmp(name, "slots") || !strcmp(name, "ports")) {
		char *t = rsm_library_slots_text(fs_global.eng, n->obj, name[0] == 'p');
		if (!t)
			return -ENOMEM;
		fputs(t, f);
		free(t);
	}
	return 0;
}

static int render_drive(const struct node *n, const char *name, FILE *f)
{
	struct rsm_drive_info di;

	if (rsm_drive_info(fs_global.eng, n->obj, &di) != ERROR_SUCCESS)
		return -ENOENT;
	if (!strcmp(name, "id"))
		value(f, di.guid);
	else if (!strcmp(name, "name"))
		value(f, di.name);
	else if (!strcmp(name, "state"))
		value(f, di.state);
	else if (!strcmp(name, "session"))
		value(f, di.session);
	else if (!strcmp(name, "device"))
		value(f, di.device);
	else if (!strcmp(name, "stats"))
		fprintf(f, "mounts %llu\ncleanings %llu\nerrors %llu\nlast_cleaned %s\n",
			(unsigned long long)di.mounts, (unsigned long long)di.cleanings,
			(unsigned long long)di.errors, di.last_cleaned[0] ? di.last_cleaned : "-");
	return 0;
}

static int render_medium(const struct node *n, const char *name, FILE *f)
{
	struct rsm_medium_info mi;

	if (rsm_medium_info(fs_global.eng, n->obj, &mi) != ERROR_SUCCESS)
		return -ENOENT;
	if (n->area == AREA_SIDE) {
		int s = atoi(n->sub);
		if (s < 0 || s >= mi.nsides)
			return -ENOENT;
		if (!strcmp(name, "id"))
			value(f, mi.sides[s].guid);
		else if (!strcmp(name, "state"))
			value(f, mi.sides[s].state);
		else if (!strcmp(name, "owner"))
			value(f, mi.sides[s].owner);
		return 0;
	}
	if (!strcmp(name, "id"))
		value(f, mi.guid);
	else if (!strcmp(name, "name"))
		value(f, mi.name);
	else if (!strcmp(name, "barcode"))
		value(f, mi.barcode);
	else if (!strcmp(name, "type"))
		value(f, mi.type);
	else if (!strcmp(name, "state"))
		value(f, mi.state);
	else if (!strcmp(name, "location"))
		value(f, mi.location);
	return 0;
}

static int render_pool(const struct node *n, const char *name, FILE *f)
{
	struct rsm_pool_info pi;

	if (rsm_pool_info(fs_global.eng, n->obj, &pi) != ERROR_SUCCESS)
		return -ENOENT;
	if (!strcmp(name, "id"))
		value(f, pi.guid);
	else if (!strcmp(name, "type"))
		value(f, pi.type);
	else if (!strcmp(name, "media_type"))
		value(f, pi.media_type);
	else if (!strcmp(name, "draw"))
		fprintf(f, "%d\n", pi.draw);
	else if (!strcmp(name, "return"))
		fprintf(f, "%d\n", pi.ret);
	return 0;
}

static int render_request(const struct node *n, const char *name, FILE *f)
{
	struct rsm_request_info ri;

	if (rsm_request_info(fs_global.eng, strtoull(n->obj, NULL, 10), &ri) != ERROR_SUCCESS)
		return -ENOENT;
	if (!strcmp(name, "id"))
		value(f, ri.guid);
	else if (!strcmp(name, "operation"))
		value(f, ri.operation);
	else if (!strcmp(name, "state"))
		value(f, ri.state);
	else if (!strcmp(name, "session"))
		value(f, ri.session);
	else if (!strcmp(name, "medium"))
		value(f, ri.medium);
	else if (!strcmp(name, "drive"))
		value(f, ri.drive);
	else if (!strcmp(name, "library"))
		value(f, ri.library);
	else if (!strcmp(name, "priority"))
		fprintf(f, "%d\n", ri.priority);
	else if (!strcmp(name, "submitted"))
		value(f, ri.submitted);
	else if (!strcmp(name, "started"))
		value(f, ri.started);
	else if (!strcmp(name, "finished"))
		value(f, ri.finished);
	else if (!strcmp(name, "error"))
		put_error(f, ri.error, ri.error_detail);
	return 0;
}

static int render_session(const struct node *n, const char *name, FILE *f)
{
	struct rsm_session_info si;

	if (rsm_session_info(fs_global.eng, n->obj, &si) != ERROR_SUCCESS)
		return -ENOENT;
	if (!strcmp(name, "id"))
		value(f, si.guid);
	else if (!strcmp(name, "owner"))
		fprintf(f, "%u\n", (unsigned)si.uid);
	else if (!strcmp(name, "created"))
		value(f, si.created);
	else if (!strcmp(name, "error"))
		value(f, si.error);
	return 0;
}

static int render_opreq(const struct node *n, const char *name, FILE *f)
{
	struct rsm_opreq_info oi;

	if (rsm_opreq_info(fs_global.eng, strtoull(n->obj, NULL, 10), &oi) != ERROR_SUCCESS)
		return -ENOENT;
	if (!strcmp(name, "id"))
		value(f, oi.guid);
	else if (!strcmp(name, "type"))
		value(f, oi.type);
	else if (!strcmp(name, "message"))
		value(f, oi.message);
	else if (!strcmp(name, "state"))
		value(f, oi.state);
	return 0;
}

int render_node(const struct node *n, char **out, size_t *len)
{
	const struct file_entry *t = table_of(n->area);
	FILE *f;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (n->type != N_FILE || !t || n->file < 0)
		return n->type == N_CTL || n->type == N_CHANNEL ? 0 : -EISDIR;
	f = open_memstream(out, len);
	if (!f)
		return -ENOMEM;
	const char *name = t[n->file].name;
	switch (n->area) {
	case AREA_ROOT:
		rc = render_root(name, f);
		break;
	case AREA_LIBRARIES:
		rc = render_library(n, name, f);
		break;
	case AREA_DRIVES:
		rc = render_drive(n, name, f);
		break;
	case AREA_MEDIA:
	case AREA_SIDE:
		rc = render_medium(n, name, f);
		break;
	case AREA_POOLS:
		rc = render_pool(n, name, f);
		break;
	case AREA_REQUESTS:
		rc = render_request(n, name, f);
		break;
	case AREA_OPREQS:
		rc = render_opreq(n, name, f);
		break;
	case AREA_SESSIONS:
		rc = render_session(n, name, f);
		break;
	}
	fclose(f);
	if (rc) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return rc;
}
