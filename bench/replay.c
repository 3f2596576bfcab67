/* replay.c - scheduling quality: a trace of mount requests replayed through the engine's real
 * scheduler on a sim library with a virtual clock, scored against FIFO with immediate dismount,
 * against the offline optimum (Belady's MIN over the drives as a cache of media), and against
 * A0, the best a policy that cannot see the future can do on independent requests.
 *
 * The robot is the real cost of a tape library: every cartridge that is not already in a drive
 * costs a move in and, later, a move out.  The trace is a list of (medium, arrival time):
 * generated with Zipf or uniform popularity and Poisson arrivals, or read from a catalog's
 * request history (--history rsm.db).  Each request is one session that mounts the medium,
 * holds it --hold seconds, dismounts it and closes.  The engine runs with manual timers
 * (rsm_run_timers) on a clock this program advances from one event to the next, so a
 * 10,000-request trace of a week of robot time replays in seconds.
 *
 *   replay [--requests N] [--media M] [--drives D] [--zipf S | --uniform] [--seed N]
 *          [--interarrival s] [--hold s] [--move s] [--load s] [--unload s]
 *          [--history catalog.db]
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsm.h"

struct trace {
	int n, nmedia;
	int *medium;	    /* medium index of request i */
	double *arrival;    /* virtual seconds */
	double *popularity; /* per medium: the chance it is the one requested */
};

struct params {
	int requests, media, drives;
	double zipf; /* 0: uniform */
	unsigned seed;
	double interarrival, hold, move, load, unload;
	const char *history;
};

struct outcome {
	uint64_t moves, hits, failed;
	double mean_wait, p99_wait;
};

/* ---- traces ---- */

static unsigned long long rng_state;

static double uniform01(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Zipf(s) popularity (s = 0: uniform) over a random permutation of the media; Poisson
 * arrivals with the given mean gap. */
static void trace_generate(struct trace *t, const struct params *p)
{
	double *cum = calloc((size_t)p->media, sizeof(*cum)), total = 0;
	int *perm = calloc((size_t)p->media, sizeof(*perm));
	double now = 0;

	rng_state = p->seed;
	for (int i = 0; i < p->media; i++) {
		total += pow(i + 1, -p->zipf);
		cum[i] = total;
		perm[i] = i;
	}
	for (int i = p->media - 1; i > 0; i--) {
		int j = (int)(uniform01() * (i + 1)), x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	t->n = p->requests;
	t->nmedia = p->media;
	t->medium = calloc((size_t)t->n, sizeof(*t->medium));
	t->arrival = calloc((size_t)t->n, sizeof(*t->arrival));
	t->popularity = calloc((size_t)t->nmedia, sizeof(*t->popularity));
	for (int i = 0; i < p->media; i++)
		t->popularity[perm[i]] = pow(i + 1, -p->zipf) / total;
	for (int i = 0; i < t->n; i++) {
		double u = uniform01() * total;
		int lo = 0, hi = p->media - 1;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (cum[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		now += -log(1 - uniform01()) * p->interarrival;
		t->medium[i] = perm[lo];
		t->arrival[i] = now;
	}
	free(cum);
	free(perm);
}

/* The mounts of a catalog's request history, in the order they were made; media are numbered
 * in order of first appearance, and a medium's popularity is its share of the mounts. */
static int trace_from_history(struct trace *t, const char *db_path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char(*names)[80] = NULL;
	int cap = 0;
	double first = -1;

	memset(t, 0, sizeof(*t));
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT medium, submitted FROM requests WHERE operation='mount' "
			       "AND medium<>'' ORDER BY number",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "replay: %s: %s\n", db_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		double at = (double)sqlite3_column_int64(st, 1);
		int m = 0;
		while (m < t->nmedia && strcmp(names[m], name) != 0)
			m++;
		if (t->n == cap) {
			cap = cap ? cap * 2 : 1024;
			t->medium = realloc(t->medium, (size_t)cap * sizeof(*t->medium));
			t->arrival = realloc(t->arrival, (size_t)cap * sizeof(*t->arrival));
			names = realloc(names, (size_t)cap * sizeof(*names));
		}
		if (m == t->nmedia)
			snprintf(names[t->nmedia++], sizeof(names[0]), "%s", name);
		if (first < 0)
			first = at;
		t->medium[t->n] = m;
		t->arrival[t->n++] = at - first;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(names);
	t->popularity = calloc((size_t)(t->nmedia ? t->nmedia : 1), sizeof(*t->popularity));
	for (int i = 0; i < t->n; i++)
		t->popularity[t->medium[i]] += 1.0 / t->n;
	return t->n > 0 ? 0 : -1;
}

/* ---- the sequence alone: Belady's MIN, and LRU, LFU and A0 for comparison ---- */

enum victim_rule {
	VICTIM_MIN, /* the medium whose next request is furthest away (the offline optimum) */
	VICTIM_LRU, /* the least recently used */
	VICTIM_LFU, /* the one requested least often so far; ties go to the least recent */
	/* the least popular, by the popularity the trace was drawn from: A0 (Aho, Denning and
	 * Ullman, 1971), the best any policy that does not know the future can do when each
	 * request is drawn independently, as in a generated trace */
	VICTIM_A0,
};

/* True when the medium in drive d is a better victim under rule than the one in drive v. */
static bool better_victim(const struct trace *t, enum victim_rule rule, const int *in,
			  const long *key, const long *count, int d, int v)
{
	bool lower = key[d] < key[v];

	switch (rule) {
	case VICTIM_LFU:
		return count[in[d]] < count[in[v]] || (count[in[d]] == count[in[v]] && lower);
	case VICTIM_A0:
		return t->popularity[in[d]] < t->popularity[in[v]] ||
		       (t->popularity[in[d]] == t->popularity[in[v]] && lower);
	default:
		return lower;
	}
}

/* The drives as a cache of media over the trace's order, no timing: a miss costs a move in,
 * an eviction (on a miss with every drive full, the rule's victim) a move out. */
static struct outcome score_sequence(const struct trace *t, int drives, enum victim_rule rule)
{
	int *next = malloc((size_t)t->n * sizeof(int)),
	    *last = malloc((size_t)t->nmedia * sizeof(int));
	int *in = malloc((size_t)drives * sizeof(int)), used = 0;
	long *key = malloc((size_t)drives * sizeof(long)),
	     *count = calloc((size_t)t->nmedia, sizeof(long));
	struct outcome o = {0};

	for (int m = 0; m < t->nmedia; m++)
		last[m] = t->n;
	for (int i = t->n - 1; i >= 0; i--) {
		next[i] = last[t->medium[i]];
		last[t->medium[i]] = i;
	}
	for (int i = 0; i < t->n; i++) {
		int m = t->medium[i], slot = -1;
		count[m]++;
		for (int d = 0; d < used; d++)
			if (in[d] == m)
				slot = d;
		if (slot >= 0) {
			o.hits++;
		} else if (used < drives) {
			slot = used++;
			o.moves++;
		} else {
			/* MIN's key is minus the next use, the others' the last use */
			slot = 0;
			for (int d = 1; d < used; d++)
				if (better_victim(t, rule, in, key, count, d, slot))
					slot = d;
			o.moves += 2;
		}
		in[slot] = m;
		key[slot] = rule == VICTIM_MIN ? -(long)next[i] : i;
	}
	free(next);
	free(last);
	free(in);
	free(key);
	free(count);
	return o;
}

/* ---- the engine on a virtual clock ---- */

static double vnow;

static double virtual_clock(void)
{
	return vnow;
}

struct pending {
	int index;
	double mounted; /* virtual time of the mount's completion, <0 while waiting */
	double release; /* when its dismount is due */
	rsm_handle session;
	rsm_err err;
	bool done, released;
};

static struct pending *reqs;
static double *waits;
static int nwaits;

static void mount_done(void *ctx, rsm_err err, uint64_t request, const char *drive)
{
	struct pending *q = ctx;

	(void)request;
	(void)drive;
	q->done = true;
	q->err = err;
	q->mounted = vnow;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void medium_name(int m, char *buf, size_t len)
{
	snprintf(buf, len, "T%05dL6", m + 1); /* the sim's names (rsmfs.conf(5)) */
}

/* Replays the trace through a fresh engine: each request's session mounts, holds the medium,
 * dismounts it (deferred, or immediate for the FIFO baseline) and closes. */
static struct outcome score_engine(const struct trace *t, const struct params *p, bool deferred)
{
	char dir[] = "/dev/shm/rsmfs-replay.XXXXXX", err[512] = ""; /* I/O is not measured */
	struct rsm_config cfg;
	struct rsm_cred admin = {.uid = 0, .gid = 0, .admin = true};
	struct outcome o = {0};

	if (!mkdtemp(dir)) {
		perror("replay: mkdtemp");
		exit(1);
	}
	rsm_config_default(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	snprintf(cfg.database, sizeof(cfg.database), "%s/rsm.db", dir);
	cfg.manual_timers = true;
	cfg.request_retention_s = 3600;
	struct rsm_library_config *l = &cfg.libraries[0];
	l->drives = p->drives;
	l->media = t->nmedia;
	l->slots = t->nmedia + p->drives;
	l->ports = 1;
	l->move_time = p->move;
	l->load_time = p->load;
	l->unload_time = p->unload;
	vnow = 0;
	rsm_set_clock(virtual_clock);
	struct rsm_engine *eng = rsm_engine_open(&cfg, err, sizeof(err));
	if (!eng) {
		fprintf(stderr, "replay: engine: %s\n", err);
		exit(1);
	}
	reqs = calloc((size_t)t->n, sizeof(*reqs));
	waits = calloc((size_t)t->n, sizeof(*waits));
	nwaits = 0;
	int next_arrival = 0, released = 0, first_held = 0;
	while (released < t->n) {
		double next_timer = rsm_run_timers(eng);
		/* dismounts due now, in order of release */
		for (int i = first_held; i < next_arrival; i++) {
			struct pending *q = &reqs[i];
			if (q->released || !q->done || q->release < 0 || q->release > vnow)
				continue;
			char name[32];
			medium_name(t->medium[i], name, sizeof(name));
			if (q->err == ERROR_SUCCESS)
				rsm_dismount(eng, q->session, &admin, name,
					     deferred ? RSM_DISMOUNT_DEFERRED
						      : RSM_DISMOUNT_IMMEDIATE,
					     NULL);
			rsm_session_close(eng, q->session);
			q->released = true;
			released++;
		}
		while (first_held < t->n && reqs[first_held].released)
			first_held++;
		/* mounts that completed: their holds start */
		for (int i = first_held; i < next_arrival; i++) {
			struct pending *q = &reqs[i];
			if (!q->done || q->release >= 0)
				continue;
			q->release = q->err == ERROR_SUCCESS ? q->mounted + p->hold : vnow;
			if (q->err == ERROR_SUCCESS)
				waits[nwaits++] = q->mounted - t->arrival[i];
			else if (++o.failed <= 3)
				fprintf(stderr, "replay: mount %d of T%05dL6: %s\n", i,
					t->medium[i] + 1, rsm_error_name(q->err));
		}
		/* arrivals due now */
		while (next_arrival < t->n && t->arrival[next_arrival] <= vnow) {
			int i = next_arrival++;
			struct pending *q = &reqs[i];
			char name[32], session[32];
			q->index = i;
			q->mounted = -1;
			q->release = -1;
			medium_name(t->medium[i], name, sizeof(name));
			snprintf(session, sizeof(session), "r%d", i);
			if (rsm_session_open(eng, session, "replay", &admin, &q->session) !=
			    ERROR_SUCCESS) {
				fprintf(stderr, "replay: cannot open session %s\n", session);
				exit(1);
			}
			struct rsm_mount_args args = {.medium = name,
						      .options = RSM_MOUNT_WRITE,
						      .timeout_ms = RSM_WAIT_INFINITE};
			uint64_t number;
			rsm_err e =
			    rsm_mount(eng, q->session, &admin, &args, mount_done, q, &number);
			if (e != ERROR_IO_PENDING && !q->done) {
				q->done = true;
				q->err = e;
				q->mounted = vnow;
			}
		}
		/* the next event: an arrival, a release, or a timer of the engine */
		double next = INFINITY;
		if (next_arrival < t->n)
			next = t->arrival[next_arrival];
		for (int i = first_held; i < next_arrival; i++) {
			struct pending *q = &reqs[i];
			if (q->done && !q->released && q->release >= 0 && q->release < next)
				next = q->release;
			if (q->done && q->release < 0)
				next = vnow; /* a completion to account for first */
		}
		if (next_timer >= 0 && next_timer < next)
			next = next_timer;
		if (next == INFINITY)
			break;
		if (next > vnow)
			vnow = next;
	}
	struct rsm_library_info li;
	rsm_library_info(eng, "vtl0", &li);
	o.moves = li.moves;
	o.hits = li.hits;
	qsort(waits, (size_t)nwaits, sizeof(*waits), by_double);
	double sum = 0;
	for (int i = 0; i < nwaits; i++)
		sum += waits[i];
	o.mean_wait = nwaits ? sum / nwaits : 0;
	o.p99_wait = nwaits ? waits[(int)(0.99 * (nwaits - 1))] : 0;
	rsm_engine_close(eng);
	rsm_set_clock(NULL);
	free(reqs);
	free(waits);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "replay: could not remove %s\n", dir);
	return o;
}

/* ---- the table ---- */

static void print_row(const char *name, struct outcome o, bool timed)
{
	if (timed)
		printf("| %-34s | %11llu | %10llu | %12.1f | %12.1f |\n", name,
		       (unsigned long long)o.moves, (unsigned long long)o.hits, o.mean_wait,
		       o.p99_wait);
	else
		printf("| %-34s | %11llu | %10llu | %12s | %12s |\n", name,
		       (unsigned long long)o.moves, (unsigned long long)o.hits, "-", "-");
}

static int parse_args(int argc, char **argv, struct params *p)
{
	static const struct {
		const char *name;
		char kind; /* i int, d double, u unsigned, s string */
		size_t offset;
	} opts[] = {
	    {"--requests", 'i', offsetof(struct params, requests)},
	    {"--media", 'i', offsetof(struct params, media)},
	    {"--drives", 'i', offsetof(struct params, drives)},
	    {"--zipf", 'd', offsetof(struct params, zipf)},
	    {"--seed", 'u', offsetof(struct params, seed)},
	    {"--interarrival", 'd', offsetof(struct params, interarrival)},
	    {"--hold", 'd', offsetof(struct params, hold)},
	    {"--move", 'd', offsetof(struct params, move)},
	    {"--load", 'd', offsetof(struct params, load)},
	    {"--unload", 'd', offsetof(struct params, unload)},
	    {"--history", 's', offsetof(struct params, history)},
	};

	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		if (strcmp(argv[i], "--uniform") == 0) {
			p->zipf = 0;
			continue;
		}
		while (k < sizeof(opts) / sizeof(opts[0]) && strcmp(argv[i], opts[k].name) != 0)
			k++;
		if (k == sizeof(opts) / sizeof(opts[0]) || i + 1 == argc) {
			fprintf(stderr, "replay: bad argument %s\n", argv[i]);
			return -1;
		}
		char *field = (char *)p + opts[k].offset, *end;
		const char *v = argv[++i];
		errno = 0;
		if (opts[k].kind == 'i')
			*(int *)field = (int)strtol(v, &end, 10);
		else if (opts[k].kind == 'u')
			*(unsigned *)field = (unsigned)strtoul(v, &end, 10);
		else if (opts[k].kind == 'd')
			*(double *)field = strtod(v, &end);
		else
			*(const char **)field = v, end = (char *)v + strlen(v);
		if (errno || *end) {
			fprintf(stderr, "replay: bad value %s for %s\n", v, opts[k].name);
			return -1;
		}
	}
	if (p->requests < 1 || p->media < 1 || p->drives < 1 || p->drives > 64 || p->hold < 0) {
		fprintf(stderr, "replay: requests, media and drives must be positive\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct params p = {.requests = 10000,
			   .media = 500,
			   .drives = 4,
			   .zipf = 0.9,
			   .seed = 1,
			   .interarrival = 60,
			   .hold = 120,
			   .move = 10,
			   .load = 20,
			   .unload = 20};
	struct trace t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &p) < 0)
		return 2;
	if (p.history) {
		if (trace_from_history(&t, p.history) < 0) {
			fprintf(stderr, "replay: no mounts in %s\n", p.history);
			return 1;
		}
		printf("trace: %d mounts of %d media from %s; ", t.n, t.nmedia, p.history);
	} else {
		trace_generate(&t, &p);
		if (p.zipf > 0)
			printf("trace: %d mounts, Zipf(%.2f) over %d media, seed %u; ", t.n, p.zipf,
			       t.nmedia, p.seed);
		else
			printf("trace: %d mounts, uniform over %d media, seed %u; ", t.n, t.nmedia,
			       p.seed);
		printf("Poisson arrivals every %.0f s; ", p.interarrival);
	}
	printf("%d drives, move %.0f s, load %.0f s, unload %.0f s, each mount held %.0f s\n\n",
	       p.drives, p.move, p.load, p.unload, p.hold);
	printf("| %-34s | %11s | %10s | %12s | %12s |\n", "policy", "robot moves", "drive hits",
	       "mean wait s", "p99 wait s");
	printf("|------------------------------------|-------------|------------|--------------|"
	       "--------------|\n");
	struct outcome best = score_sequence(&t, p.drives, VICTIM_MIN);
	print_row("Belady MIN (offline optimum)", best, false);
	print_row("LRU on the sequence (no timing)", score_sequence(&t, p.drives, VICTIM_LRU),
		  false);
	print_row("LFU on the sequence (no timing)", score_sequence(&t, p.drives, VICTIM_LFU),
		  false);
	struct outcome a0 = score_sequence(&t, p.drives, VICTIM_A0);
	print_row("A0, best online (no timing)", a0, false);
	struct outcome fifo = score_engine(&t, &p, false);
	print_row("FIFO, immediate dismount", fifo, true);
	struct outcome ours = score_engine(&t, &p, true);
	print_row("rsmfs: deferred dismount", ours, true);
	printf("\n| %-44s | %6.2f | %-14s |\n", "MIN's robot moves / FIFO-immediate's",
	       fifo.moves ? (double)best.moves / (double)fifo.moves : 0, "(the bound)");
	printf("| %-44s | %6.2f | %-14s |\n", "A0's hits / MIN's hits",
	       best.hits ? (double)a0.hits / (double)best.hits : 1, "(online bound)");
	printf("| %-44s | %6.2f | %-14s |\n", "A0's robot moves / FIFO-immediate's",
	       fifo.moves ? (double)a0.moves / (double)fifo.moves : 0, "(online bound)");
	double hit_ratio = best.hits ? (double)ours.hits / (double)best.hits : 1;
	double move_ratio = fifo.moves ? (double)ours.moves / (double)fifo.moves : 0;
	printf("| %-44s | %6.2f | %-14s | %-4s |\n", "drive hits / MIN's hits", hit_ratio,
	       ">= 0.95", hit_ratio >= 0.95 ? "yes" : "NO");
	printf("| %-44s | %6.2f | %-14s | %-4s |\n", "robot moves / FIFO-immediate's moves",
	       move_ratio, "<= 0.60", move_ratio <= 0.6 ? "yes" : "NO");
	if (ours.failed || fifo.failed)
		printf("(failed mounts: rsmfs %llu, FIFO %llu)\n", (unsigned long long)ours.failed,
		       (unsigned long long)fifo.failed);
	free(t.medium);
	free(t.arrival);
	free(t.popularity);
	return 0;
}
