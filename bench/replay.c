/* replay.c - scheduling quality: a trace of mount requests replayed through the engine's real
 * scheduler on a sim library with a virtual clock, scored against FIFO with immediate dismount,
 * against the offline optimum (Belady's MIN over the drives as a cache of media), and against
 * A0, the best a policy that cannot see the future can do on independent requests; and rsmfs
 * again, told the trace's true popularity instead of learning it (A0's knowledge, under the
 * same sessions holding drives and the same dismount_delay).
 *
 * The robot is the real cost of a tape library: every cartridge that is not already in a drive
 * costs a move in and, later, a move out.  The trace is a list of (medium, arrival time):
 * generated with Zipf or uniform popularity and Poisson arrivals, or read from a catalog's
 * request history (--history rsm.db).  Each request is one session that mounts the medium,
 * holds it --hold seconds, dismounts it and closes.  The engine runs with manual timers
 * (rsm_run_timers) on a clock this program advances from one event to the next, so a
 * 10,000-request trace of a week of robot time replays in seconds.
 *
 * --shift draws the popularity afresh halfway (the hot set changes); --bursty puts the
 * arrivals in nightly backup windows (6 hours a day at the given mean gap, the rest of the day
 * 8 times sparser).  With no argument, the table of one trace is followed by the targets on a
 * set of traces (Zipf 0.6 to 1.4, 3 to 8 drives, 100 to 1,000 media, shifting, bursty).
 *
 *   replay [--requests N] [--media M] [--drives D] [--zipf S | --uniform] [--seed N]
 *          [--interarrival s] [--hold s] [--move s] [--load s] [--unload s]
 *          [--dismount-delay s] [--shift] [--bursty] [--history catalog.db]
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h" /* the engine's media, for A0's knowledge told to it (tell_popularity) */
#include "rsm.h"

struct trace {
	int n, nmedia;
	int *medium;	       /* medium index of request i */
	double *arrival;       /* virtual seconds */
	double *popularity[2]; /* per medium: the chance it is the one requested, per phase */
	int shift_at;	       /* the first request of the second phase (n: none) */
};

struct params {
	int requests, media, drives;
	double zipf; /* 0: uniform */
	unsigned seed;
	double interarrival, hold, move, load, unload, delay;
	bool shift, bursty;
	const char *history;
};

struct outcome {
	uint64_t moves, hits, failed;
	double mean_wait, p99_wait;
	double held; /* the share of the drives' time that sessions held them */
};

/* Every policy's outcome on one trace. */
struct scores {
	struct outcome min, lru, lfu, a0, fifo, ours, told;
};

/* How the engine is run: FIFO with immediate dismounts; rsmfs as it is; rsmfs told the
 * trace's true popularity instead of learning it (A0's knowledge, under the same sessions
 * holding drives and the same dismount_delay). */
enum run { RUN_FIFO, RUN_RSMFS, RUN_TOLD };

/* ---- traces ---- */

static unsigned long long rng_state;

static double uniform01(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A random permutation of n. */
static void shuffle(int *perm, int n)
{
	for (int i = 0; i < n; i++)
		perm[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(uniform01() * (i + 1)), x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
}

/* The mean gap between arrivals at time now: the given one, or in a bursty trace the given one
 * inside the nightly backup window (22:00 to 04:00) and 8 times it outside. */
static double gap_at(const struct params *p, double now)
{
	double hour = fmod(now / 3600, 24);

	if (!p->bursty || hour >= 22 || hour < 4)
		return p->interarrival;
	return 8 * p->interarrival;
}

/* The next arrival after now: Poisson, by thinning when the rate changes with the hour. */
static double next_arrival_after(const struct params *p, double now)
{
	for (;;) {
		now += -log(1 - uniform01()) * p->interarrival;
		if (uniform01() * gap_at(p, now) < p->interarrival)
			return now;
	}
}

/* Zipf(s) popularity (s = 0: uniform) over a random permutation of the media, drawn afresh
 * halfway with --shift; Poisson arrivals. */
static void trace_generate(struct trace *t, const struct params *p)
{
	double *cum = calloc((size_t)p->media, sizeof(*cum)), total = 0;
	int *perm[2] = {calloc((size_t)p->media, sizeof(int)),
			calloc((size_t)p->media, sizeof(int))};
	double now = 0;

	rng_state = p->seed;
	for (int i = 0; i < p->media; i++) {
		total += pow(i + 1, -p->zipf);
		cum[i] = total;
	}
	shuffle(perm[0], p->media);
	shuffle(perm[1], p->media);
	t->n = p->requests;
	t->nmedia = p->media;
	t->shift_at = p->shift ? t->n / 2 : t->n;
	t->medium = calloc((size_t)t->n, sizeof(*t->medium));
	t->arrival = calloc((size_t)t->n, sizeof(*t->arrival));
	for (int k = 0; k < 2; k++) {
		t->popularity[k] = calloc((size_t)t->nmedia, sizeof(double));
		for (int i = 0; i < p->media; i++)
			t->popularity[k][perm[p->shift ? k : 0][i]] = pow(i + 1, -p->zipf) / total;
	}
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
		now = next_arrival_after(p, now);
		t->medium[i] = perm[i >= t->shift_at][lo];
		t->arrival[i] = now;
	}
	free(cum);
	free(perm[0]);
	free(perm[1]);
}

static void trace_free(struct trace *t)
{
	free(t->medium);
	free(t->arrival);
	free(t->popularity[0]);
	free(t->popularity[1]);
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
	t->popularity[0] = calloc((size_t)(t->nmedia ? t->nmedia : 1), sizeof(double));
	t->popularity[1] = calloc((size_t)(t->nmedia ? t->nmedia : 1), sizeof(double));
	t->shift_at = t->n;
	for (int i = 0; i < t->n; i++)
		t->popularity[0][t->medium[i]] += 1.0 / t->n;
	return t->n > 0 ? 0 : -1;
}

/* ---- the sequence alone: Belady's MIN, and LRU, LFU and A0 for comparison ---- */

enum victim_rule {
	VICTIM_MIN, /* the medium whose next request is furthest away (the offline optimum) */
	VICTIM_LRU, /* the least recently used */
	VICTIM_LFU, /* the one requested least often so far; ties go to the least recent */
	/* the least popular, by the popularity the trace was drawn from at that request (a
	 * shifting trace: of its phase): A0 (Aho, Denning and Ullman, 1971), the best any policy
	 * that does not know the future can do when each request is drawn independently, as in a
	 * generated trace */
	VICTIM_A0,
};

/* True when the medium in drive d is a better victim under rule than the one in drive v, at
 * request i. */
static bool better_victim(const struct trace *t, enum victim_rule rule, const int *in,
			  const long *key, const long *count, int i, int d, int v)
{
	const double *pop = t->popularity[i >= t->shift_at];
	bool lower = key[d] < key[v];

	switch (rule) {
	case VICTIM_LFU:
		return count[in[d]] < count[in[v]] || (count[in[d]] == count[in[v]] && lower);
	case VICTIM_A0:
		return pop[in[d]] < pop[in[v]] || (pop[in[d]] == pop[in[v]] && lower);
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
				if (better_victim(t, rule, in, key, count, i, d, slot))
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

/* The scale of the counts told: far above the one a mount adds before they are told again. */
#define TOLD_SCALE 1099511627776.0

/* A0's knowledge told to the engine: every medium's count made its true popularity at request
 * i (a shifting trace: of its phase), in an epoch that never ages, replacing what the engine
 * learned; done before and after each mount is asked for. */
static void tell_popularity(struct rsm_engine *eng, const struct trace *t, int i)
{
	const double *pop = t->popularity[i >= t->shift_at];
	char name[32];

	for (int m = 0; m < t->nmedia; m++) {
		medium_name(m, name, sizeof(name));
		int mi = medium_find(eng, name);
		if (mi < 0)
			continue;
		eng->media[mi].demand = pop[m] * TOLD_SCALE;
		eng->media[mi].demand_epoch = UINT64_MAX;
	}
	eng->libraries[0].demand_total = TOLD_SCALE;
}

/* Replays the trace through a fresh engine: each request's session mounts, holds the medium,
 * dismounts it (deferred, or immediate for the FIFO baseline) and closes. */
static struct outcome score_engine(const struct trace *t, const struct params *p, enum run run)
{
	bool deferred = run != RUN_FIFO;
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
	l->dismount_delay = p->delay;
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
			if (run == RUN_TOLD)
				tell_popularity(eng, t, i);
			rsm_err e =
			    rsm_mount(eng, q->session, &admin, &args, mount_done, q, &number);
			if (run == RUN_TOLD)
				tell_popularity(eng, t, i);
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
	o.held = vnow > 0 ? nwaits * p->hold / (vnow * p->drives) : 0;
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

/* ---- the tables ---- */

/* The targets (rsmfs(5), "The deferred-dismount policy"): against A0 on the sequence, and
 * against FIFO with immediate dismount on the same engine. */
#define HITS_TARGET 0.90  /* drive hits >= this x A0's */
#define MOVES_TARGET 1.05 /* robot moves <= this x A0's */
#define WAIT_TARGET 1.00  /* mean wait <= this x FIFO-immediate's */

static double ratio(double a, double b)
{
	return b > 0 ? a / b : a > 0 ? INFINITY : 1;
}

static struct scores score_all(const struct trace *t, const struct params *p)
{
	struct scores sc = {
	    .min = score_sequence(t, p->drives, VICTIM_MIN),
	    .lru = score_sequence(t, p->drives, VICTIM_LRU),
	    .lfu = score_sequence(t, p->drives, VICTIM_LFU),
	    .a0 = score_sequence(t, p->drives, VICTIM_A0),
	    .fifo = score_engine(t, p, RUN_FIFO),
	    .ours = score_engine(t, p, RUN_RSMFS),
	    .told = score_engine(t, p, RUN_TOLD),
	};
	return sc;
}

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

static void print_ratio(const char *name, double v, const char *target, const char *met)
{
	if (met)
		printf("| %-44s | %6.2f | %-14s | %-4s |\n", name, v, target, met);
	else
		printf("| %-44s | %6.2f | %-14s |\n", name, v, target);
}

/* One trace's table: every policy, then the ratios beside their targets. */
static void print_table(const struct scores *sc)
{
	double hits = ratio(sc->ours.hits, sc->a0.hits),
	       moves = ratio(sc->ours.moves, sc->a0.moves),
	       wait = ratio(sc->ours.mean_wait, sc->fifo.mean_wait);

	printf("| %-34s | %11s | %10s | %12s | %12s |\n", "policy", "robot moves", "drive hits",
	       "mean wait s", "p99 wait s");
	printf("|------------------------------------|-------------|------------|--------------|"
	       "--------------|\n");
	print_row("Belady MIN (offline optimum)", sc->min, false);
	print_row("LRU on the sequence (no timing)", sc->lru, false);
	print_row("LFU on the sequence (no timing)", sc->lfu, false);
	print_row("A0, best online (no timing)", sc->a0, false);
	print_row("FIFO, immediate dismount", sc->fifo, true);
	print_row("rsmfs: deferred dismount", sc->ours, true);
	print_row("rsmfs told A0's popularity", sc->told, true);
	printf("\n");
	print_ratio("MIN's robot moves / FIFO-immediate's", ratio(sc->min.moves, sc->fifo.moves),
		    "(the bound)", NULL);
	print_ratio("A0's hits / MIN's hits", ratio(sc->a0.hits, sc->min.hits), "(online bound)",
		    NULL);
	print_ratio("drives' time held by sessions", sc->ours.held, "(no cache there)", NULL);
	print_ratio("hits told A0's popularity / A0's", ratio(sc->told.hits, sc->a0.hits),
		    "(same limits)", NULL);
	print_ratio("drive hits / A0's", hits, ">= 0.90", hits >= HITS_TARGET ? "yes" : "NO");
	print_ratio("robot moves / A0's", moves, "<= 1.05", moves <= MOVES_TARGET ? "yes" : "NO");
	print_ratio("mean wait / FIFO-immediate's", wait, "<= 1.00",
		    wait <= WAIT_TARGET ? "yes" : "NO");
	if (sc->ours.failed || sc->fifo.failed)
		printf("(failed mounts: rsmfs %llu, FIFO %llu)\n",
		       (unsigned long long)sc->ours.failed, (unsigned long long)sc->fifo.failed);
}

/* A one-line description of the trace. */
static void describe(const struct trace *t, const struct params *p, char *buf, size_t len)
{
	if (p->history)
		snprintf(buf, len, "%d mounts of %d media from %s", t->n, t->nmedia, p->history);
	else
		snprintf(buf, len, "%s %.2f, %d media, %d dr, every %.0f s, held %.0f s%s%s",
			 p->zipf > 0 ? "Zipf" : "uniform", p->zipf, t->nmedia, p->drives,
			 p->interarrival, p->hold, p->shift ? ", shifting" : "",
			 p->bursty ? ", bursty" : "");
}

/* The set of traces the targets are checked on: Zipf 0.6 to 1.4, 3 to 8 drives, 100 to 1,000
 * media, a hot set that shifts halfway, nightly backup windows. */
static const struct trace_kind {
	double zipf;
	int media, drives;
	double interarrival, hold;
	bool shift, bursty;
} target_set[] = {
    {0.6, 100, 3, 60, 120, false, false},  {0.9, 500, 4, 60, 120, false, false},
    {1.1, 300, 6, 60, 120, false, false},  {1.4, 1000, 8, 60, 120, false, false},
    {0.7, 1000, 5, 60, 120, false, false}, {1.3, 800, 8, 60, 600, false, false},
    {1.0, 300, 4, 60, 120, true, false},   {1.0, 500, 6, 60, 120, false, true},
};

/* The deferred dismount delay of the second set of columns: a day, so that the figures show
 * what the policy does when the library's delay does not send cartridges home for it. */
#define LONG_DELAY 86400.0

/* rsmfs's three ratios on one trace. */
struct ratios {
	double hits, moves, wait;
};

static struct ratios ratios_of(const struct scores *sc, const struct outcome *ours)
{
	struct ratios r = {ratio(ours->hits, sc->a0.hits), ratio(ours->moves, sc->a0.moves),
			   ratio(ours->mean_wait, sc->fifo.mean_wait)};
	return r;
}

static bool targets_met(struct ratios r)
{
	return r.hits >= HITS_TARGET && r.moves <= MOVES_TARGET && r.wait <= WAIT_TARGET;
}

/* One line of the targets' table: the trace, then rsmfs with its library's delay and with a
 * delay of a day. */
static bool print_target_line(const struct params *base, const struct trace_kind *k)
{
	struct params p = *base;
	struct trace t;
	char name[128];

	p.requests = 5000;
	p.zipf = k->zipf;
	p.media = k->media;
	p.drives = k->drives;
	p.interarrival = k->interarrival;
	p.hold = k->hold;
	p.shift = k->shift;
	p.bursty = k->bursty;
	trace_generate(&t, &p);
	struct scores sc = score_all(&t, &p);
	struct params lp = p;
	lp.delay = LONG_DELAY;
	struct outcome longer = score_engine(&t, &lp, RUN_RSMFS);
	struct ratios r = ratios_of(&sc, &sc.ours), l = ratios_of(&sc, &longer);
	describe(&t, &p, name, sizeof(name));
	printf("| %-62s | %4.2f | %7.2f | %8.2f | %9.3f | %-4s | %7.2f | %7.2f | %8.2f | %9.3f |\n",
	       name, sc.ours.held, r.hits, r.moves, r.wait, targets_met(r) ? "yes" : "NO",
	       ratio(sc.told.hits, sc.a0.hits), l.hits, l.moves, l.wait);
	trace_free(&t);
	return targets_met(r);
}

/* The targets on the set of traces, one line each. */
static void print_targets(const struct params *base)
{
	size_t n = sizeof(target_set) / sizeof(target_set[0]);
	int met = 0;

	printf("| %-62s | %4s | %7s | %8s | %9s | %-4s | %7s | %7s | %8s | %9s |\n",
	       "trace (5,000 mounts each)", "held", "hits/A0", "moves/A0", "wait/FIFO", "met",
	       "told", "1d hits", "1d moves", "1d wait");
	printf("|%s|------|---------|----------|-----------|------|---------|---------|----------|"
	       "-----------|\n",
	       "----------------------------------------------------------------");
	for (size_t i = 0; i < n; i++)
		met += print_target_line(base, &target_set[i]);
	printf("| %-62s | %4s | %7s | %8s | %9s | %d/%zu  | %7s | %7s | %8s | %9s |\n", "targets",
	       "", ">= 0.90", "<= 1.05", "<= 1.000", met, n, "", "", "", "");
	printf(
	    "(held: the share of the drives' time that sessions hold them; told: the hits / A0's "
	    "of rsmfs\n told the true popularity instead of learning it; the last three columns: "
	    "rsmfs with a\n dismount_delay of a day instead of %.0f s)\n",
	    base->delay);
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
	    {"--dismount-delay", 'd', offsetof(struct params, delay)},
	    {"--history", 's', offsetof(struct params, history)},
	};

	for (int i = 1; i < argc; i++) {
		size_t k = 0;
		if (strcmp(argv[i], "--uniform") == 0) {
			p->zipf = 0;
			continue;
		}
		if (strcmp(argv[i], "--shift") == 0 || strcmp(argv[i], "--bursty") == 0) {
			*(argv[i][2] == 's' ? &p->shift : &p->bursty) = true;
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
			   .unload = 20,
			   .delay = 300};
	struct trace t;
	char name[160];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &p) < 0)
		return 2;
	if (p.history && trace_from_history(&t, p.history) < 0) {
		fprintf(stderr, "replay: no mounts in %s\n", p.history);
		return 1;
	}
	if (!p.history)
		trace_generate(&t, &p);
	describe(&t, &p, name, sizeof(name));
	printf("trace: %s, seed %u; move %.0f s, load %.0f s, unload %.0f s, dismount_delay %.0f "
	       "s\n\n",
	       name, p.seed, p.move, p.load, p.unload, p.delay);
	struct scores sc = score_all(&t, &p);
	print_table(&sc);
	trace_free(&t);
	if (argc == 1) {
		printf("\n");
		print_targets(&p);
	}
	return 0;
}
