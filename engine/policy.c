/* policy.c - which cartridges stay in the drives: the popularity the scheduler learns from the
 * mounts it is asked for, the medium a mount evicts, and the media put back early, in the
 * robot's idle time (rsmfs(5), THE DEFERRED-DISMOUNT POLICY).
 *
 * Popularity is a frequency with ageing: every mount asked for adds one to its medium's count,
 * and every POPULARITY_HALF_LIFE mounts asked of a library halve all the counts of that
 * library (lazily: a count remembers the epoch it was last brought to).  A medium's share of
 * its library's counts estimates the chance that the next mount is for it; the share of what
 * is in no drive, the chance that the next mount is a miss that needs a drive.  Every
 * cartridge costs the same to fetch, so GDSF's cost and size terms are constants and it is
 * this; ARC's recency half is the LRU eviction this replaced, no better on any of the replay's
 * traces and worse on most.
 *
 * A mount that finds no empty drive evicts the least popular dismountable medium (equal
 * counts: the least recently used).  The least popular dismountable medium is put back early,
 * so that a mount does not pay for its unload and move out, when no drive is free and the
 * next mount is more likely a miss than a mount of it; or when its share is so small (under
 * PUT_BACK_SHARE of the miss chance) that misses will want its drive long before anyone wants
 * it.  Its unload starts at once; its move home uses the robot only when no move a mount
 * waits for is queued.
 */
#include <math.h>

#include "jobs.h"
#include "requests.h"

/* Mounts asked of a library between two halvings of its counts.  In bench/replay the period
 * matters little (rsmfs(5)): 256 to 1,024 stay within a few per cent of each other's hits on a hot
 * set that changes halfway and on a thousand cartridges; a count then reflects the last thousand or
 * so mounts, a few hours to a day of a busy library. */
#define POPULARITY_HALF_LIFE 512
/* A dismountable medium goes home early even with a free drive when its share is
 * under this fraction of the miss chance: about 20 misses are expected before its next mount. */
#define PUT_BACK_SHARE 0.05

/* The library's halving epoch now. */
static uint64_t epoch_of(const struct library *l)
{
	return l->demand / POPULARITY_HALF_LIFE;
}

/* Medium m's count brought to its library's epoch (a count halved 64 times is nothing). */
static double count_now(const struct library *l, const struct medium *m)
{
	uint64_t e = epoch_of(l);

	if (m->demand_epoch >= e)
		return m->demand;
	return e - m->demand_epoch > 64 ? 0 : ldexp(m->demand, -(int)(e - m->demand_epoch));
}

void popularity_count(struct rsm_engine *eng, int mi)
{
	struct medium *m = &eng->media[mi];
	struct library *l = &eng->libraries[m->library];
	uint64_t before = epoch_of(l);

	m->demand = count_now(l, m) + 1;
	l->demand++;
	l->demand_total += 1;
	if (epoch_of(l) != before) {
		/* a halving: every count, and so their sum */
		l->demand_total /= 2;
		m->demand /= 2;
	}
	m->demand_epoch = epoch_of(l);
}

void popularity_learn_history(struct rsm_engine *eng)
{
	for (size_t i = 0; i < eng->nrequests; i++) {
		const struct request *r = eng->requests[i];
		if (r->op == OP_MOUNT && r->medium >= 0)
			popularity_count(eng, r->medium);
	}
	for (int i = 0; i < eng->nlibraries; i++)
		eng->libraries[i].demand_at_start = eng->libraries[i].demand;
}

/* True when the dismountable medium of drive a is a better victim than that of drive b: less
 * popular, or as popular and used less recently. */
static bool better_victim(const struct rsm_engine *eng, const struct drive *a,
			  const struct drive *b)
{
	const struct library *l = &eng->libraries[a->library];
	double pa = count_now(l, &eng->media[a->medium]), pb = count_now(l, &eng->media[b->medium]);

	if (pa != pb)
		return pa < pb;
	return a->last_used < b->last_used;
}

/* Whether drive d holds a dismountable medium that nothing is doing anything with, and that
 * no waiting mount wants (that mount takes it where it is, with no robot move). */
static bool idle_dismountable(const struct rsm_engine *eng, const struct drive *d)
{
	return drive_usable(d) && d->state == DRIVE_DISMOUNTABLE && !d->job && d->medium >= 0 &&
	       !eng->media[d->medium].busy && !eng->media[d->medium].mounts_waiting;
}

int eviction_victim(const struct rsm_engine *eng, const struct library *l)
{
	int best = NO_INDEX;

	for (int i = 0; i < l->ndrives; i++) {
		const struct drive *d = &eng->drives[l->drive_index[i]];
		if (!idle_dismountable(eng, d))
			continue;
		if (best == NO_INDEX || better_victim(eng, d, &eng->drives[best]))
			best = l->drive_index[i];
	}
	return best;
}

/* Whether drive d is being emptied: a dismount carries its medium home. */
static bool emptying(const struct drive *d)
{
	return d->job && d->job->req->op == OP_DISMOUNT;
}

int drives_emptying(const struct rsm_engine *eng, const struct library *l)
{
	int n = 0;

	for (int i = 0; i < l->ndrives; i++)
		n += emptying(&eng->drives[l->drive_index[i]]);
	return n;
}

/* Whether library l puts cartridges back early: a changer that can move, with more than one
 * drive (with one, the next mount either wants what is in it or evicts it; nothing is gained
 * by guessing), asked for a mount since the start (a restart moves no cartridge by itself: what
 * the drives hold then waits for a mount, or for dismount_delay).  The robot need not be idle:
 * the unload is the drive's time, and the move home waits behind every move a mount waits for
 * (jobs.c, the robot's queue). */
static bool puts_back(const struct library *l)
{
	return l->present && l->enabled && !library_standalone(l) && l->ndrives > 1 &&
	       l->demand > l->demand_at_start && robot_can_move(l);
}

/* The drives of library l free for the next misses: empty, or being emptied. */
static int drives_free(const struct rsm_engine *eng, const struct library *l)
{
	int n = 0;

	for (int i = 0; i < l->ndrives; i++) {
		const struct drive *d = &eng->drives[l->drive_index[i]];
		n += drive_usable(d) &&
		     ((d->state == DRIVE_EMPTY && !d->job) || emptying(d) || d->going_home);
	}
	return n;
}

/* The medium drive d holds for the next mounts: the one a job is bringing in (the one in it
 * is on its way out), none while a dismount empties it. */
static int medium_kept(const struct drive *d)
{
	if (d->job)
		return d->job->req->op == OP_DISMOUNT ? NO_INDEX : d->job->medium;
	return d->medium;
}

/* The count of library l's mounts that were for media in none of its drives now: over the
 * library's total, the chance that the next mount is a miss.  Counts, not shares, are
 * compared: they are sums of halvings of whole numbers, exact in a double, so equal chances
 * compare equal. */
static double miss_count(const struct rsm_engine *eng, const struct library *l)
{
	double in = 0;

	for (int i = 0; i < l->ndrives; i++) {
		int mi = medium_kept(&eng->drives[l->drive_index[i]]);
		if (mi >= 0)
			in += count_now(l, &eng->media[mi]);
	}
	return in < l->demand_total ? l->demand_total - in : 0;
}

void drive_send_home(struct rsm_engine *eng, struct drive *d)
{
	struct request_spec spec = {.op = OP_DISMOUNT,
				    .session = NO_INDEX,
				    .medium = d->medium,
				    .drive = NO_INDEX,
				    .library = NO_INDEX,
				    .port = -1};
	struct request *r;

	d->going_home = request_new(eng, &spec, &r) == ERROR_SUCCESS;
}

void put_back_early(struct rsm_engine *eng)
{
	for (int li = 0; li < eng->nlibraries; li++) {
		struct library *l = &eng->libraries[li];
		if (!puts_back(l))
			continue;
		int victim = eviction_victim(eng, l);
		if (victim == NO_INDEX || eng->drives[victim].going_home)
			continue;
		struct drive *d = &eng->drives[victim];
		double mine = count_now(l, &eng->media[d->medium]), miss = miss_count(eng, l);
		if ((!drives_free(eng, l) && mine < miss) || mine < PUT_BACK_SHARE * miss)
			drive_send_home(eng, d);
	}
}
