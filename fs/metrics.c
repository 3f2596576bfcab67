/* metrics.c - the root's metrics file (rsmfs(5), metrics): the site's counters and states in
 * the Prometheus text exposition format 0.0.4, for node_exporter's textfile collector or any
 * scraper.
 *
 * One rendering is one engine snapshot (rsm_metrics_snapshot), so a scrape never sees a
 * library's mounts and its histogram from two moments.  The metrics are rows of a table: a
 * name, a type, a help line, and the function that prints the samples of its family.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tree.h"

struct metric;

/* Prints the samples of one metric family from the snapshot. */
typedef void (*samples_fn)(FILE *f, const struct metric *m, const struct rsm_metrics *s);

struct metric {
	const char *name;
	const char *type; /* counter, gauge or histogram */
	const char *help;
	samples_fn samples;
	/* counters: offsetof the uint64_t they read, in a library's info or a drive's metrics;
	 * states: offsetof the counts by state in a library's metrics */
	size_t field;
	const char *const *states; /* the names of the counts by state */
	int nstates;
};

/* A label value as the format wants it: backslash, double quote and newline escaped.  Names
 * of rsmfs(5) have none of them; the escaping keeps a scrape parseable whatever comes. */
static void label_value(FILE *f, const char *v)
{
	static const char *const escapes[256] = {['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n"};

	for (; *v; v++) {
		const char *e = escapes[(unsigned char)*v];
		if (e)
			fputs(e, f);
		else
			fputc(*v, f);
	}
}

/* "<name><suffix>{library="<l>"": a sample's start, its label set left open. */
static void library_series(FILE *f, const struct metric *m, const char *suffix, const char *lib)
{
	fprintf(f, "%s%s{library=\"", m->name, suffix);
	label_value(f, lib);
	fputc('"', f);
}

/* "<name>{library="<l>",drive="<d>"": a drive's sample, its label set left open. */
static void drive_series(FILE *f, const struct metric *m, const struct rsm_drive_metrics *d)
{
	fprintf(f, "%s{library=\"", m->name);
	label_value(f, d->library);
	fputs("\",drive=\"", f);
	label_value(f, d->name);
	fputc('"', f);
}

/* A library's counter: one sample per library. */
static void library_counter(FILE *f, const struct metric *m, const struct rsm_metrics *s)
{
	for (size_t i = 0; i < s->nlibraries; i++) {
		const struct rsm_library_info *li = &s->libraries[i].info;
		uint64_t v;
		memcpy(&v, (const char *)li + m->field, sizeof(v));
		library_series(f, m, "", li->name);
		fprintf(f, "} %llu\n", (unsigned long long)v);
	}
}

/* A drive's counter: one sample per drive. */
static void drive_counter(FILE *f, const struct metric *m, const struct rsm_metrics *s)
{
	for (size_t i = 0; i < s->ndrives; i++) {
		uint64_t v;
		memcpy(&v, (const char *)&s->drives[i] + m->field, sizeof(v));
		drive_series(f, m, &s->drives[i]);
		fprintf(f, "} %llu\n", (unsigned long long)v);
	}
}

/* Counts by state of a library (its drives, its requests): one sample per state, zeros
 * included, so that a series does not come and go with the state it counts. */
static void library_by_state(FILE *f, const struct metric *m, const struct rsm_metrics *s)
{
	for (size_t i = 0; i < s->nlibraries; i++) {
		const uint64_t *counts =
		    (const uint64_t *)(const void *)((const char *)&s->libraries[i] + m->field);
		for (int k = 0; k < m->nstates; k++) {
			library_series(f, m, "", s->libraries[i].info.name);
			fprintf(f, ",state=\"%s\"} %llu\n", m->states[k],
				(unsigned long long)counts[k]);
		}
	}
}

/* A drive's state: 1 for the one it is in, 0 for the others (one series per state, as
 * above). */
static void drive_state(FILE *f, const struct metric *m, const struct rsm_metrics *s)
{
	for (size_t i = 0; i < s->ndrives; i++)
		for (int k = 0; k < m->nstates; k++) {
			drive_series(f, m, &s->drives[i]);
			fprintf(f, ",state=\"%s\"} %d\n", m->states[k], s->drives[i].state == k);
		}
}

/* The mount-time histogram: cumulative buckets, +Inf (every mount), sum and count.  Mounts
 * counted before the engine kept buckets (a catalog of an older schema) are in +Inf only. */
static void mount_histogram(FILE *f, const struct metric *m, const struct rsm_metrics *s)
{
	for (size_t i = 0; i < s->nlibraries; i++) {
		const struct rsm_library_info *li = &s->libraries[i].info;
		uint64_t below = 0;
		for (int b = 0; b < RSM_MOUNT_BUCKETS; b++) {
			below += li->mount_buckets[b];
			library_series(f, m, "_bucket", li->name);
			fprintf(f, ",le=\"%g\"} %llu\n", rsm_mount_bucket_bounds[b],
				(unsigned long long)(below < li->mounts ? below : li->mounts));
		}
		library_series(f, m, "_bucket", li->name);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)li->mounts);
		library_series(f, m, "_sum", li->name);
		fprintf(f, "} %.6f\n", li->mount_secs_sum);
		library_series(f, m, "_count", li->name);
		fprintf(f, "} %llu\n", (unsigned long long)li->mounts);
	}
}

/* The catalog's commit-time histogram, one series for the daemon. */
static void commit_histogram(FILE *f, const struct metric *m, const struct rsm_metrics *s)
{
	uint64_t below = 0;

	for (int b = 0; b < RSM_COMMIT_BUCKETS; b++) {
		below += s->commits.buckets[b];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", m->name, rsm_commit_bucket_bounds[b],
			(unsigned long long)below);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", m->name, (unsigned long long)s->commits.count);
	fprintf(f, "%s_sum %.6f\n%s_count %llu\n", m->name, s->commits.secs_sum, m->name,
		(unsigned long long)s->commits.count);
}

/* A library's counter (the field of its info), a drive's (the field of its metrics). */
#define LIBRARY_COUNTER(name_, help_, field_)                                                      \
	{                                                                                          \
		.name = name_, .type = "counter", .help = help_, .samples = library_counter,       \
		.field = offsetof(struct rsm_library_info, field_)                                 \
	}
#define DRIVE_COUNTER(name_, help_, field_)                                                        \
	{                                                                                          \
		.name = name_, .type = "counter", .help = help_, .samples = drive_counter,         \
		.field = offsetof(struct rsm_drive_metrics, field_)                                \
	}

/* The metrics, in the order of the file (rsmfs(5), metrics). */
static const struct metric metrics[] = {
    LIBRARY_COUNTER("rsmfs_library_mounts_total",
		    "Mounts that passed, including those served by a medium already in its drive.",
		    mounts),
    LIBRARY_COUNTER("rsmfs_library_robot_moves_total", "Cartridge moves made by the robot.", moves),
    LIBRARY_COUNTER(
	"rsmfs_library_failures_total",
	"Library operations that failed at a step of the robot, a drive or an inventory.",
	failures),
    {.name = "rsmfs_library_mount_duration_seconds",
     .type = "histogram",
     .help = "Seconds from a mount's start to its medium being ready in a drive.",
     .samples = mount_histogram},
    {.name = "rsmfs_library_requests",
     .type = "gauge",
     .help = "Library requests still listed in requests/, by state.",
     .samples = library_by_state,
     .field = offsetof(struct rsm_library_metrics, requests),
     .states = rsm_request_state_names,
     .nstates = RSM_REQUEST_NSTATES},
    {.name = "rsmfs_library_drives",
     .type = "gauge",
     .help = "Drives of the library, by state.",
     .samples = library_by_state,
     .field = offsetof(struct rsm_library_metrics, drives),
     .states = rsm_drive_state_names,
     .nstates = RSM_DRIVE_NSTATES},
    DRIVE_COUNTER("rsmfs_drive_mounts_total", "Mounts that passed in the drive.", mounts),
    DRIVE_COUNTER("rsmfs_drive_read_bytes_total",
		  "Bytes of records read through the drive's tape file.", bytes_read),
    DRIVE_COUNTER("rsmfs_drive_written_bytes_total",
		  "Bytes of records written through the drive's tape file.", bytes_written),
    {.name = "rsmfs_drive_state",
     .type = "gauge",
     .help = "1 for the state the drive is in, 0 for the others.",
     .samples = drive_state,
     .states = rsm_drive_state_names,
     .nstates = RSM_DRIVE_NSTATES},
    {.name = "rsmfs_catalog_commit_duration_seconds",
     .type = "histogram",
     .help = "Seconds each catalog commit took; every change waits for its commit before "
	     "anyone hears of it.",
     .samples = commit_histogram},
};

/* metrics: every family, its HELP and TYPE lines, then its samples. */
int render_metrics(const union object_info *o, const struct node *n, FILE *f)
{
	struct rsm_metrics s;

	(void)o, (void)n;
	if (rsm_metrics_snapshot(fs_global.eng, &s) != ERROR_SUCCESS)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct metric *m = &metrics[i];
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, m->type);
		m->samples(f, m, &s);
	}
	rsm_metrics_free(&s);
	return 0;
}
