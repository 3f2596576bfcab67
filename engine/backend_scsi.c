/* backend_scsi.c - the scsi backend: a real SMC-3 changer behind a library, driven by one
 * thread per library.
 *
 * SCSI commands block for seconds (a robot move) or minutes (a full element scan), so none is
 * sent under the engine lock.  A robot step becomes a work item: the thread takes it, unlocks,
 * talks to the changer, locks again and ends the step (step_done), exactly where a sim's timer
 * would.  A drive's load and unload are the drive's own business (the robot's move unloads it
 * first): those steps end at once.  Before a move is sent its intent is
 * committed to the catalog, and it is removed once the move's outcome is recorded; an intent
 * found at start-up means the daemon died during that move, and the two elements involved are
 * read back before anything else.
 *
 * The model numbers slots, ports and drives 0, 1, ... in ascending element address order;
 * this file keeps the element addresses.  A changer that stops answering makes the library
 * offline: the move under way and the moves waiting for the robot fail with
 * ERROR_LIBRARY_OFFLINE, requests already queued wait (new mounts are refused at once), and the
 * thread reconnects every two seconds; once back, a full inventory reconciles the catalog (the
 * device may have lost or changed its state).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "catalog.h"
#include "changer.h"
#include "log.h"
#include "notify.h"
#include "site.h"

#define RECONNECT_SECS 2
#define HEALTH_SECS 10 /* an idle changer is asked whether it still answers this often */

enum work_kind { WORK_MOVE, WORK_SCAN, WORK_LOCK };

struct work {
	enum work_kind kind;
	struct step *step; /* the robot step this is; NULL for WORK_LOCK */
	uint16_t src, dst;
	char unload[256]; /* a drive to unload before the move; "" none */
	int open_port;	  /* an eject: the port element to open afterwards; -1 none */
	int close_port;	  /* an inject: the port element to close first; -1 none */
	bool full;	  /* a scan: INITIALIZE ELEMENT STATUS first */
	bool prevent;	  /* a lock: prevent (true) or allow medium removal */
	struct scsi_outcome out;
	struct scan scan;
	struct work *next;
};

struct scsi_library {
	struct rsm_engine *eng;
	int li;
	char address[256];
	char drive_map[2048]; /* "<n> <device>" lines from the configuration */
	struct changer dev;   /* touched by the thread only (and by attach before it runs) */
	bool connected;
	uint16_t *elem[5]; /* element addresses by type: index = the model's number */
	int nelem[5];
	struct scan last; /* the report of the last scan, for scsi_inventory_apply */
	struct work *queue, *tail;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, quit;
	bool cancel; /* tells a command in flight to give up (set atomically at stop) */
};

static void scan_free(struct scan *s)
{
	for (int t = 0; t < 5; t++) {
		free(s->el[t]);
		s->el[t] = NULL;
		s->n[t] = 0;
	}
	free(s->drive_dev);
	s->drive_dev = NULL;
}

static int by_address(const void *a, const void *b)
{
	const struct smc_element *x = a, *y = b;
	return (int)x->address - (int)y->address;
}

/* ---- talking to the changer (the thread, or attach before the thread exists) ---- */

static bool ensure_connected(struct scsi_library *sl, struct scsi_outcome *o)
{
	if (sl->connected)
		return true;
	if (changer_open(&sl->dev, sl->address, o) < 0)
		return false;
	sl->dev.t->cancel = &sl->cancel;
	sl->connected = true;
	/* rsmfs manages the cartridges now: the operator opens the door through it */
	changer_prevent(&sl->dev, true, o);
	if (o->offline) {
		changer_close(&sl->dev);
		sl->connected = false;
		return false;
	}
	o->err = ERROR_SUCCESS;
	return true;
}

/* Reads every storage, port, drive and transport element. */
static int scan_all(struct scsi_library *sl, struct scan *sc, const char *libname,
		    struct scsi_outcome *o)
{
	static const uint8_t types[] = {SMC_ELEMENT_TRANSPORT, SMC_ELEMENT_STORAGE,
					SMC_ELEMENT_PORT, SMC_ELEMENT_DRIVE};
	const struct smc_layout *lay = &sl->dev.layout;

	memset(sc, 0, sizeof(*sc));
	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t t = types[i];
		uint16_t first, count;
		smc_layout_range(lay, t, &first, &count);
		if (!count)
			continue;
		/* one element type at a time: some changers garble an all-types report */
		int n = changer_read_elements(&sl->dev, t, first, count, &sc->el[t], o);
		if (n < 0) {
			scan_free(sc);
			return -1;
		}
		/* keep only descriptors of the type asked for, in address order */
		int k = 0;
		for (int j = 0; j < n; j++)
			if (sc->el[t][j].type == t)
				sc->el[t][k++] = sc->el[t][j];
		qsort(sc->el[t], (size_t)k, sizeof(*sc->el[t]), by_address);
		sc->n[t] = k;
	}
	map_drives(&sl->dev, sl->address, sl->drive_map, sc, libname);
	return 0;
}

/* Carries out a work item (unlocked). */
static void run_work(struct scsi_library *sl, struct work *w, const char *libname)
{
	struct scsi_outcome extra;

	if (!ensure_connected(sl, &w->out))
		return;
	switch (w->kind) {
	case WORK_MOVE:
		if (w->unload[0] && drive_unload(w->unload, &extra) < 0)
			engine_log(RSM_LOG_WARNING, "library %s: unloading %s before the move: %s",
				   libname, w->unload, extra.text);
		if (w->close_port >= 0)
			changer_port_lock(&sl->dev, (uint16_t)w->close_port, false, &extra);
		if (changer_move(&sl->dev, w->src, w->dst, &w->out) == 0 && w->open_port >= 0)
			changer_port_lock(&sl->dev, (uint16_t)w->open_port, true, &extra);
		break;
	case WORK_SCAN:
		if (w->full && changer_initialize(&sl->dev, &w->out) < 0)
			break;
		scan_all(sl, &w->scan, libname, &w->out);
		break;
	case WORK_LOCK:
		changer_prevent(&sl->dev, w->prevent, &w->out);
		break;
	}
	if (w->out.offline) {
		changer_close(&sl->dev);
		sl->connected = false;
	}
}

/* ---- the model (under the engine lock) ---- */

/* Takes the element layout of a scan: slot, port and drive counts, new drives, devices. */
static void adopt_layout(struct scsi_library *sl, const struct scan *sc)
{
	struct rsm_engine *eng = sl->eng;
	struct library *l = &eng->libraries[sl->li];
	int nd = sc->n[SMC_ELEMENT_DRIVE];

	for (int t = 1; t < 5; t++) {
		uint16_t *a = malloc(sizeof(*a) * (size_t)(sc->n[t] ? sc->n[t] : 1));
		if (!a)
			return;
		for (int i = 0; i < sc->n[t]; i++)
			a[i] = sc->el[t][i].address;
		free(sl->elem[t]);
		sl->elem[t] = a;
		sl->nelem[t] = sc->n[t];
	}
	library_set_layout(eng, sl->li, sc->n[SMC_ELEMENT_STORAGE], sc->n[SMC_ELEMENT_PORT]);
	while (l->ndrives < nd && library_add_drive(eng, sl->li))
		;
	for (int i = 0; i < l->ndrives; i++) {
		struct drive *d = &eng->drives[l->drive_index[i]];
		const char *dev = sc->drive_dev && d->number < nd ? sc->drive_dev[d->number] : "";
		if (d->number >= nd && d->enabled) {
			/* the changer no longer has this drive */
			engine_log(RSM_LOG_WARNING, "library %s: drive %s has no element any more",
				   l->name, d->name);
			d->enabled = false;
			settle_drive_state(d);
			catalog_save_drive(eng, d);
		}
		if (strcmp(d->device, dev) != 0) {
			snprintf(d->device, sizeof(d->device), "%s", dev);
			emit_drive(eng, d);
		}
	}
}

/* The model's number of element address a of type t, or -1. */
static int index_of(const struct scsi_library *sl, int t, uint16_t a)
{
	for (int i = 0; i < sl->nelem[t]; i++)
		if (sl->elem[t][i] == a)
			return i;
	return -1;
}

/* The medium a full element holds: by barcode, else the unlabeled one the catalog has at that
 * place, else a new one (import pool; CLN... cleaner). */
static int element_medium(struct scsi_library *sl, const struct smc_element *e,
			  const struct place *at)
{
	struct rsm_engine *eng = sl->eng;
	char name[RSM_NAME_MAX + 1];
	int mi;

	snprintf(name, sizeof(name), "%s", e->voltag);
	if (name[0] && !valid_name(name))
		name[0] = '\0'; /* a tag that cannot be a name: treated as unreadable */
	if (name[0] && (mi = medium_by_barcode(eng, name)) >= 0)
		return mi;
	if (!name[0])
		for (int i = 0; i < eng->nmedia; i++) {
			const struct medium *m = &eng->media[i];
			if (m->library == sl->li && !m->barcode[0] && m->loc == at->loc &&
			    m->loc_addr == at->addr)
				return i;
		}
	return medium_discover(eng, sl->li, name);
}

/* Makes the catalog agree with a scan.  Returns the corrections, or -1. */
static int apply_scan(struct scsi_library *sl, const struct scan *sc)
{
	static const struct {
		uint8_t type;
		enum loc_kind loc;
	} kinds[] = {{SMC_ELEMENT_STORAGE, LOC_SLOT},
		     {SMC_ELEMENT_PORT, LOC_PORT},
		     {SMC_ELEMENT_DRIVE, LOC_DRIVE}};
	struct rsm_engine *eng = sl->eng;
	struct library *l = &eng->libraries[sl->li];
	int total = sc->n[2] + sc->n[3] + sc->n[4], nfound = 0, changes;
	struct {
		int mi;
		struct place at;
	} *found = malloc(sizeof(*found) * (size_t)(total ? total : 1));
	struct place *places;

	if (!found)
		return -1;
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		uint8_t t = kinds[k].type;
		for (int i = 0; i < sc->n[t]; i++) {
			const struct smc_element *e = &sc->el[t][i];
			int idx = index_of(sl, t, e->address);
			if (!e->full || idx < 0)
				continue; /* a drive that failed to load keeps a tag but is empty */
			struct place at = {kinds[k].loc, idx, false};
			if (at.loc == LOC_DRIVE) {
				if (idx >= l->ndrives)
					continue;
				at.addr = l->drive_index[idx];
			}
			int mi = element_medium(sl, e, &at);
			if (mi < 0)
				continue;
			found[nfound].mi = mi;
			found[nfound++].at = at;
		}
	}
	places = malloc(sizeof(*places) * (size_t)(eng->nmedia ? eng->nmedia : 1));
	if (!places) {
		free(found);
		return -1;
	}
	for (int i = 0; i < eng->nmedia; i++)
		places[i] = (struct place){LOC_OFFLINE, 0, false};
	for (int i = 0; i < nfound; i++) {
		if (places[found[i].mi].loc != LOC_OFFLINE)
			engine_log(RSM_LOG_WARNING, "library %s: barcode %s is in two places",
				   l->name, eng->media[found[i].mi].barcode);
		else
			places[found[i].mi] = found[i].at;
	}
	changes = inventory_apply(eng, sl->li, places);
	free(places);
	free(found);
	return changes;
}

/* Applies the element report of the scan just made: the layout, then every cartridge's
 * place.  Corrections, or -1. */
static int inventory_from_last_scan(struct scsi_library *sl)
{
	if (!sl->last.el[SMC_ELEMENT_STORAGE])
		return -1;
	adopt_layout(sl, &sl->last);
	return apply_scan(sl, &sl->last);
}

/* The changer stopped answering: the library is offline until the thread reconnects. */
static void went_offline(struct scsi_library *sl, const char *why)
{
	struct library *l = &sl->eng->libraries[sl->li];

	if (!l->reachable)
		return;
	engine_log(RSM_LOG_ERROR, "library %s: offline %s: the changer does not answer (%s)",
		   l->name, rsm_error_name(ERROR_LIBRARY_OFFLINE), why);
	library_unreachable(sl->eng, sl->li, why);
}

/* The changer answers again, with a fresh scan: reconcile and resume. */
static void came_back(struct scsi_library *sl, struct scan *sc, bool at_start)
{
	struct rsm_engine *eng = sl->eng;
	struct library *l = &eng->libraries[sl->li];

	adopt_layout(sl, sc);
	apply_scan(sl, sc);
	library_reachable(eng, sl->li);
	if (!at_start)
		engine_log(RSM_LOG_NOTICE, "library %s: online: the changer answers again",
			   l->name);
}

/* A work item is done: its outcome ends its step. */
static void finish_work(struct scsi_library *sl, struct work *w)
{
	struct rsm_engine *eng = sl->eng;
	struct library *l = &eng->libraries[sl->li];

	/* offline first: the robot freed by this step must not start the next move on it */
	if (w->out.offline)
		went_offline(sl, w->out.text);
	if (w->kind == WORK_LOCK) {
		if (w->out.err != ERROR_SUCCESS)
			engine_log(RSM_LOG_WARNING, "library %s: %s", l->name, w->out.text);
	} else if (w->step) {
		struct step *s = w->step;
		s->err = w->out.err;
		snprintf(s->detail, sizeof(s->detail), "%s", w->out.text);
		if (w->kind == WORK_SCAN && w->out.err == ERROR_SUCCESS) {
			scan_free(&sl->last);
			sl->last = w->scan;
			memset(&w->scan, 0, sizeof(w->scan));
			s->corrections = inventory_from_last_scan(sl);
		}
		/* the intent goes in the batch that records the move's outcome, and before the
		 * next move (which step_done may start) records its own */
		if (w->kind == WORK_MOVE && catalog_batch_begin(eng) == ERROR_SUCCESS)
			catalog_clear_intent(eng, l->name);
		step_done(eng, s);
	}
	scan_free(&w->scan);
	free(w);
}

/* ---- the thread ---- */

/* Waits on the thread's condition, lock held, once what this thread changed is settled
 * (committed, and its replies and events sent). */
static int wait_seconds(struct scsi_library *sl, int secs)
{
	struct timespec ts;

	rt_settle(&sl->eng->rt);
	if (sl->queue || sl->quit)
		return 0; /* work came while the settle ran outside the lock */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += secs;
	return pthread_cond_timedwait(&sl->cond, &sl->eng->rt.lock, &ts);
}

/* Drops a connection the device broke (unlocked). */
static void drop_if_offline(struct scsi_library *sl, const struct scsi_outcome *o)
{
	if (o->offline && sl->connected) {
		changer_close(&sl->dev);
		sl->connected = false;
	}
}

/* Takes the next work item and carries it out: unlocked for the device, locked for its
 * outcome. */
static void do_next_work(struct scsi_library *sl, const char *libname)
{
	struct work *w = sl->queue;

	sl->queue = w->next;
	if (!sl->queue)
		sl->tail = NULL;
	engine_unlock(sl->eng);
	run_work(sl, w, libname);
	engine_lock(sl->eng);
	finish_work(sl, w);
}

/* An offline library: one attempt to reach the changer again and scan it; between attempts
 * the thread waits RECONNECT_SECS. */
static void try_reconnect(struct scsi_library *sl, const char *libname)
{
	struct scsi_outcome o;
	struct scan sc;

	engine_unlock(sl->eng);
	bool ok = ensure_connected(sl, &o) && scan_all(sl, &sc, libname, &o) == 0;
	if (!ok)
		drop_if_offline(sl, &o);
	engine_lock(sl->eng);
	if (ok) {
		came_back(sl, &sc, false);
		scan_free(&sc);
	} else if (!sl->quit && !sl->queue) {
		wait_seconds(sl, RECONNECT_SECS);
	}
}

/* Idle: waits for work, and now and then makes sure the changer is still there, so that a
 * dead library shows offline before anyone asks it to move. */
static void idle_and_check(struct scsi_library *sl)
{
	struct rsm_engine *eng = sl->eng;
	struct scsi_outcome o;

	/* the lease may have passed during the wait (this host frozen or cut off, and not yet
	 * told): then not even this check is sent (stepped_down) */
	if (wait_seconds(sl, HEALTH_SECS) != ETIMEDOUT || sl->quit || sl->queue || eng->stopping ||
	    !eng->libraries[sl->li].managed || !site_lease_valid(&eng->libraries[sl->li]))
		return;
	engine_unlock(eng);
	if (ensure_connected(sl, &o))
		changer_test_ready(&sl->dev, &o);
	drop_if_offline(sl, &o);
	engine_lock(eng);
	if (o.offline)
		went_offline(sl, o.text);
}

/* The library's lease passed to another host (a site): this host sends its changer nothing
 * more, not even the health check or the reconnect scan (its catalog writes would race the
 * new manager's), and lets its connection go; it waits to manage the library again. */
static void stepped_down(struct scsi_library *sl)
{
	if (sl->connected) {
		/* under the lock: a take-over's reconcile uses the device from another thread */
		changer_close(&sl->dev);
		sl->connected = false;
	}
	wait_seconds(sl, RECONNECT_SECS);
}

static void *changer_thread(void *arg)
{
	struct scsi_library *sl = arg;
	struct rsm_engine *eng = sl->eng;
	char libname[RSM_NAME_MAX + 1];

	engine_lock(eng);
	snprintf(libname, sizeof(libname), "%s", eng->libraries[sl->li].name);
	while (!sl->quit) {
		if (sl->queue)
			do_next_work(sl, libname);
		else if (!eng->libraries[sl->li].managed)
			stepped_down(sl);
		else if (!eng->libraries[sl->li].reachable && !eng->stopping)
			try_reconnect(sl, libname);
		else
			idle_and_check(sl);
	}
	engine_unlock(eng);
	if (sl->connected) {
		struct scsi_outcome o;
		/* the operator may take cartridges again (asked briefly: see changer_prevent) */
		sl->dev.t->cancel = NULL;
		changer_prevent(&sl->dev, false, &o);
		changer_close(&sl->dev);
		sl->connected = false;
	}
	return NULL;
}

static void queue_work(struct scsi_library *sl, struct work *w)
{
	w->next = NULL;
	if (sl->tail)
		sl->tail->next = w;
	else
		sl->queue = w;
	sl->tail = w;
	pthread_cond_signal(&sl->cond);
}

/* The element address of the model's element i of type t, or -1. */
static int element_at(const struct scsi_library *sl, int t, int i)
{
	return t > 0 && t < 5 && i >= 0 && i < sl->nelem[t] ? sl->elem[t][i] : -1;
}

/* The element of a place of a step (drives by the model's index), or -1. */
static int element_of_place(struct scsi_library *sl, const struct place *p)
{
	static const int types[] = {[LOC_SLOT] = SMC_ELEMENT_STORAGE,
				    [LOC_PORT] = SMC_ELEMENT_PORT,
				    [LOC_DRIVE] = SMC_ELEMENT_DRIVE,
				    [LOC_OFFLINE] = 0};
	int i = p->loc == LOC_DRIVE ? sl->eng->drives[p->addr].number : p->addr;

	return element_at(sl, types[p->loc], i);
}

/* Fills a move from a step: its elements, the drive to unload first, the port to open or
 * close.  false when the changer has no element for it. */
static bool plan_move(struct scsi_library *sl, const struct step *s, struct work *w)
{
	int src = element_of_place(sl, &s->from), dst = element_of_place(sl, &s->to);

	if (s->from.loc == LOC_DRIVE)
		snprintf(w->unload, sizeof(w->unload), "%s", sl->eng->drives[s->from.addr].device);
	if (s->to.loc == LOC_PORT)
		w->open_port = dst; /* an eject: the operator takes it from there */
	if (s->from.loc == LOC_PORT)
		w->close_port = src; /* an inject */
	if (src < 0 || dst < 0)
		return false;
	w->src = (uint16_t)src;
	w->dst = (uint16_t)dst;
	return true;
}

/* A step that ends at once (a drive's own load or unload), or that could not be sent: it
 * ends from a timer, never inside the call that handed it over. */
static void step_now(struct rsm_engine *eng, void *arg)
{
	step_done(eng, arg);
}

static void scsi_step_fails(struct rsm_engine *eng, struct step *s, rsm_err err, const char *why)
{
	s->err = err;
	snprintf(s->detail, sizeof(s->detail), "%s", why);
	timer_add(&eng->rt, 0, step_now, s);
}

static void scsi_step(struct rsm_engine *eng, struct step *s)
{
	struct library *l = &eng->libraries[s->library];
	struct scsi_library *sl = l->backend_state;
	struct work *w;

	if (s->kind != STEP_MOVE && s->kind != STEP_SCAN) {
		timer_add(&eng->rt, 0, step_now, s); /* a real changer loads at its own pace */
		return;
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		scsi_step_fails(eng, s, ERROR_NOT_ENOUGH_MEMORY, "out of memory");
		return;
	}
	w->step = s;
	w->open_port = w->close_port = -1;
	if (s->kind == STEP_SCAN) {
		w->kind = WORK_SCAN;
		w->full = s->full;
		queue_work(sl, w);
		return;
	}
	w->kind = WORK_MOVE;
	if (!plan_move(sl, s, w)) {
		free(w);
		scsi_step_fails(eng, s, ERROR_INVALID_STATE,
				"the changer has no element for this move");
		return;
	}
	if (catalog_save_intent(eng, l->name, eng->media[s->medium].name, w->src, w->dst,
				s->request) != ERROR_SUCCESS) {
		/* nothing was sent: the step fails where a timer would have ended it */
		free(w);
		scsi_step_fails(eng, s, ERROR_DATABASE_FAILURE,
				"the move could not be recorded in the catalog");
		return;
	}
	queue_work(sl, w);
}

static void scsi_door(struct rsm_engine *eng, int li, bool open)
{
	struct scsi_library *sl = eng->libraries[li].backend_state;
	struct work *w;

	if (!sl || !(w = calloc(1, sizeof(*w))))
		return;
	w->kind = WORK_LOCK;
	w->prevent = !open;
	w->open_port = w->close_port = -1;
	queue_work(sl, w);
}

/* This host's device for drive d (drives/<d>/device): the one its scan mapped; none for a
 * drive of a site that this host has no device for (its manager may have found one by the
 * changer's identifier all the same); on a host that uses the library another host manages,
 * which never scans the changer, its drive.N.  Without the last two, a user host showed no
 * device for its drives and a manager showed one it does not have. */
static void scsi_drive_device(struct rsm_engine *eng, const struct drive *d, char *buf, size_t len)
{
	const struct scsi_library *sl = eng->libraries[d->library].backend_state;
	const char *line = sl ? sl->drive_map : "";
	char dev[256];
	int n;

	buf[0] = '\0';
	if (d->unreached)
		return;
	if (d->device[0]) {
		snprintf(buf, len, "%s", d->device);
		return;
	}
	for (; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "")
		if (sscanf(line, "%d %255s", &n, dev) == 2 && n == d->number)
			snprintf(buf, len, "%s", dev);
}

/* ---- start-up ---- */

/* A move the last run left unsettled: read back the two elements it involved (before the
 * engine runs, so the catalog and the changer are ours alone). */
static void check_intent(struct scsi_library *sl, const struct scan *sc, const char *libname)
{
	struct rsm_engine *eng = sl->eng;
	char medium[RSM_NAME_MAX + 1];
	int src, dst, found = catalog_load_intent(eng, libname, medium, sizeof(medium), &src, &dst);

	if (found <= 0)
		return;
	for (int k = 0; k < 2; k++) {
		uint16_t a = (uint16_t)(k ? dst : src);
		uint8_t t = 0;
		for (int ty = 1; ty < 5 && !t; ty++)
			for (int i = 0; i < sc->n[ty]; i++)
				if (sc->el[ty][i].address == a)
					t = (uint8_t)ty;
		struct smc_element *e = NULL;
		struct scsi_outcome o;
		int n = t ? changer_read_elements(&sl->dev, t, a, 1, &e, &o) : -1;
		if (n >= 1 && e[0].address != a)
			n = 0; /* the device answered about another element */
		engine_log(RSM_LOG_WARNING,
			   "library %s: the last run died moving %s from element %d to %d; "
			   "element %u (the %s) is %s%s%s",
			   libname, medium, src, dst, a, k ? "destination" : "source",
			   n < 1       ? "unreadable"
			   : e[0].full ? "full"
				       : "empty",
			   n >= 1 && e[0].voltag[0] ? " with " : "", n >= 1 ? e[0].voltag : "");
		free(e);
	}
	catalog_clear_intent(eng, libname);
}

static int scsi_attach(struct rsm_engine *eng, int li, const struct rsm_library_config *c,
		       bool created, char *err, size_t errlen)
{
	struct library *l = &eng->libraries[li];
	struct scsi_library *sl = calloc(1, sizeof(*sl));
	pthread_condattr_t ca;

	(void)created; /* a real changer's drives, slots and cartridges come from its inventory */
	l->reachable = false;
	if (!sl) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sl->eng = eng;
	sl->li = li;
	snprintf(sl->address, sizeof(sl->address), "%s", c->changer);
	snprintf(sl->drive_map, sizeof(sl->drive_map), "%s", c->drive_devices);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sl->cond, &ca);
	pthread_condattr_destroy(&ca);
	l->backend_state = sl;
	return 0;
}

/* Connects, learns the elements and drives, settles a move the last run died in, and makes
 * the catalog agree with the changer; one that cannot be reached leaves the library offline
 * (its thread keeps trying). */
static void scsi_reconcile(struct rsm_engine *eng, int li)
{
	struct library *l = &eng->libraries[li];
	struct scsi_library *sl = l->backend_state;
	struct scsi_outcome o;
	struct scan sc;

	if (!ensure_connected(sl, &o) || scan_all(sl, &sc, l->name, &o) < 0) {
		engine_log(RSM_LOG_ERROR, "library %s: offline %s: %s (retried every %d s)",
			   l->name, rsm_error_name(ERROR_LIBRARY_OFFLINE), o.text, RECONNECT_SECS);
		return;
	}
	engine_log(RSM_LOG_INFO, "library %s: %s %s (serial %s): %d slots, %d ports, %d drives",
		   l->name, sl->dev.inquiry.vendor, sl->dev.inquiry.product, sl->dev.serial,
		   sc.n[SMC_ELEMENT_STORAGE], sc.n[SMC_ELEMENT_PORT], sc.n[SMC_ELEMENT_DRIVE]);
	check_intent(sl, &sc, l->name);
	came_back(sl, &sc, true);
	scan_free(&sc);
}

static void scsi_start(struct rsm_engine *eng, int li)
{
	struct scsi_library *sl = eng->libraries[li].backend_state;

	if (sl && pthread_create(&sl->thread, NULL, changer_thread, sl) == 0)
		sl->started = true;
}

static void scsi_stop(struct rsm_engine *eng, int li)
{
	struct scsi_library *sl = eng->libraries[li].backend_state;

	if (!sl)
		return;
	if (sl->started) {
		engine_lock(eng);
		sl->quit = true;
		__atomic_store_n(&sl->cancel, true, __ATOMIC_RELAXED);
		pthread_cond_signal(&sl->cond);
		engine_unlock(eng);
		pthread_join(sl->thread, NULL);
	} else if (sl->connected) {
		changer_close(&sl->dev);
	}
	while (sl->queue) {
		struct work *w = sl->queue;
		sl->queue = w->next;
		scan_free(&w->scan);
		free(w);
	}
	scan_free(&sl->last);
	for (int t = 0; t < 5; t++)
		free(sl->elem[t]);
	pthread_cond_destroy(&sl->cond);
	free(sl);
	eng->libraries[li].backend_state = NULL;
}

const struct library_ops scsi_library_ops = {
    .name = "scsi",
    .attach = scsi_attach,
    .reconcile = scsi_reconcile,
    .start = scsi_start,
    .stop = scsi_stop,
    .step = scsi_step,
    .door = scsi_door,
    .drive_device = scsi_drive_device,
};
