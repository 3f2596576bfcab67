/* test_backend.c - the interface between the engine and a library's backend (backend.h), one
 * test per operation, driven through it: a scripted backend, "script", is registered with
 * backend_register and selected by a library configured with backend = "script".  It records
 * every call the engine makes (the kind of step, its places, drive, medium, request and scan
 * mode; attach, reconcile, start, stop, door, drive_device), keeps where its cartridges
 * physically are, and ends each step the way the test says: from a timer after a step time
 * (auto), or from the test's thread under the engine lock when the test decides (hold); never
 * from inside step().  The test watches the outcome through the API (rsm.h), on the harness's
 * virtual clock: nothing here sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "backend.h"

/* ---- the scripted backend ---- */

enum call_op {
	CALL_ATTACH,
	CALL_RECONCILE,
	CALL_START,
	CALL_STOP,
	CALL_STEP,
	CALL_DOOR,
	CALL_DRIVE_DEVICE
};

/* One call the engine made, as it made it. */
struct call {
	enum call_op op;
	int seq; /* its place among every call and every end of a step */
	int library;
	bool locked; /* the engine lock was held (by the calling thread) */
	/* a step: what was handed over */
	enum step_kind kind;
	struct place from, to;
	int drive;
	char medium[RSM_NAME_MAX + 1]; /* "" for a scan */
	uint64_t request;
	bool full;
	bool flag;	 /* attach: created; door: open */
	int corrections; /* reconcile and scan: what inventory_apply returned */
	/* while the backend holds the step; NULL once it ended */
	struct step *step;
	int end_seq; /* when it ended; 0 while it has not */
	rsm_err err; /* how it ended */
};

/* How the backend ends a step. */
struct outcome {
	rsm_err err;
	const char *detail;
	bool source_empty;
	bool unreadable; /* a scan: the element status cannot be read (corrections -1) */
};

/* A cartridge, where the backend physically has it (drives by engine index). */
struct cart {
	char name[RSM_NAME_MAX + 1];
	int library;
	struct place at;
};

#define MAX_CALLS 512
#define MAX_CARTS 64
#define MAX_LIBS 4

static struct script {
	struct call calls[MAX_CALLS];
	int ncalls, seq;
	bool hold;	  /* steps wait for script_end; otherwise they end from a timer */
	double step_time; /* auto: how long a step takes */
	struct outcome planned[STEP_SCAN + 1];
	bool has_planned[STEP_SCAN + 1]; /* auto: the next step of that kind ends so */
	int robot_busy[MAX_LIBS], robot_max[MAX_LIBS];
	int in_step; /* inside a call of step() */
	int ended_inside_step;
	int handed_twice; /* a step handed over while the backend still held it */
	struct cart carts[MAX_CARTS];
	int ncarts;
	const char *port_barcode; /* attach (created): a cartridge found in port 0 */
	bool fail_attach;
	/* reconcile: the changer has grown to this many slots and drives (0: as it is) */
	int grown_slots, grown_drives;
	int full_not_scan; /* steps other than a scan handed over with full set */
} script;

static void script_reset(void)
{
	memset(&script, 0, sizeof(script));
	script.step_time = 1.0;
}

/* Whether the engine lock is held; on this thread, as every call of the interface is made. */
static bool lock_held(struct rsm_engine *eng)
{
	if (pthread_mutex_trylock(&eng->rt.lock) == EBUSY)
		return true;
	pthread_mutex_unlock(&eng->rt.lock);
	return false;
}

static struct call *record(struct rsm_engine *eng, enum call_op op, int li)
{
	if (script.ncalls == MAX_CALLS)
		abort(); /* a test that makes this many calls needs a bigger log */
	struct call *c = &script.calls[script.ncalls++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->seq = ++script.seq;
	c->library = li;
	c->locked = lock_held(eng);
	c->drive = NO_INDEX;
	return c;
}

static struct cart *cart_named(const char *name)
{
	for (int i = 0; i < script.ncarts; i++)
		if (strcmp(script.carts[i].name, name) == 0)
			return &script.carts[i];
	return NULL;
}

static bool same_place(const struct place *a, const struct place *b)
{
	return a->loc == b->loc && (a->loc == LOC_OFFLINE || a->addr == b->addr);
}

/* What a scan finds: a place for every medium of the engine (LOC_OFFLINE for those library li
 * does not hold), handed to inventory_apply; its corrections. */
static int script_inventory(struct rsm_engine *eng, int li)
{
	struct place *places = calloc((size_t)eng->nmedia + 1, sizeof(*places));
	int n;

	if (!places)
		abort();
	for (int i = 0; i < eng->nmedia; i++)
		places[i] = (struct place){LOC_OFFLINE, 0, false};
	for (int i = 0; i < script.ncarts; i++) {
		int mi = medium_find(eng, script.carts[i].name);
		if (script.carts[i].library == li && mi >= 0)
			places[mi] = script.carts[i].at;
	}
	n = inventory_apply(eng, li, places);
	free(places);
	return n;
}

static bool robot_kind(enum step_kind k)
{
	return k == STEP_MOVE || k == STEP_SCAN;
}

/* Ends the step of call c as o says: what a changer that did (or did not) do it reports. */
static void script_finish(struct rsm_engine *eng, struct call *c, const struct outcome *o)
{
	struct step *s = c->step;

	if (script.in_step)
		script.ended_inside_step++;
	c->step = NULL;
	s->err = o->err;
	snprintf(s->detail, sizeof(s->detail), "%s", o->detail ? o->detail : "");
	s->source_empty = o->source_empty;
	if (s->kind == STEP_MOVE && o->err == ERROR_SUCCESS && !o->source_empty) {
		struct cart *k = cart_named(c->medium);
		if (k)
			k->at = s->to;
	}
	if (s->kind == STEP_SCAN && o->err == ERROR_SUCCESS)
		s->corrections = o->unreadable ? -1 : script_inventory(eng, s->library);
	c->corrections = s->corrections;
	if (robot_kind(s->kind))
		script.robot_busy[s->library]--;
	c->end_seq = ++script.seq;
	c->err = o->err;
	step_done(eng, s); /* s may be gone from here on */
}

/* The call that holds step s, or NULL. */
static struct call *holder_of(const struct step *s)
{
	for (int i = 0; i < script.ncalls; i++)
		if (script.calls[i].op == CALL_STEP && script.calls[i].step == s)
			return &script.calls[i];
	return NULL;
}

/* Auto: a step's time is up. */
static void script_timer(struct rsm_engine *eng, void *arg)
{
	struct call *c = holder_of(arg);
	struct outcome o = {.err = ERROR_SUCCESS};

	if (!c)
		abort();
	if (script.has_planned[c->kind]) {
		o = script.planned[c->kind];
		script.has_planned[c->kind] = false;
	} else if (c->kind == STEP_MOVE) {
		/* a robot finds the cartridge where it physically is, or nothing */
		struct cart *k = cart_named(c->medium);
		o.source_empty = !k || !same_place(&k->at, &c->from);
	}
	script_finish(eng, c, &o);
}

static int script_attach(struct rsm_engine *eng, int li, const struct rsm_library_config *cfg,
			 bool created, char *err, size_t errlen)
{
	struct call *c = record(eng, CALL_ATTACH, li);
	char name[RSM_NAME_MAX + 1];

	c->flag = created;
	if (script.fail_attach) {
		snprintf(err, errlen, "script: the changer of %s refused to attach", cfg->name);
		return -1;
	}
	eng->libraries[li].reachable = true;
	if (!created)
		return 0; /* the catalog has it all; reconcile says where the cartridges are */
	if (library_set_layout(eng, li, cfg->slots, cfg->ports) < 0)
		goto fail;
	for (int i = 0; i < cfg->drives; i++)
		if (!library_add_drive(eng, li))
			goto fail;
	for (int i = 0; i < cfg->media; i++) {
		struct place at = {LOC_SLOT, i, false};
		snprintf(name, sizeof(name), "SCR%d%02d", li, i + 1);
		if (medium_create(eng, li, name, at, true) < 0)
			goto fail;
		script.carts[script.ncarts++] = (struct cart){.library = li, .at = at};
		snprintf(script.carts[script.ncarts - 1].name, sizeof(name), "%s", name);
	}
	if (script.port_barcode && cfg->ports) {
		struct place at = {LOC_PORT, 0, false};
		if (medium_create(eng, li, script.port_barcode, at, false) < 0)
			goto fail;
		script.carts[script.ncarts++] = (struct cart){.library = li, .at = at};
		snprintf(script.carts[script.ncarts - 1].name, sizeof(name), "%s",
			 script.port_barcode);
	}
	return 0;
fail:
	snprintf(err, errlen, "script: library %s could not be created", cfg->name);
	return -1;
}

static void script_reconcile(struct rsm_engine *eng, int li)
{
	struct call *c = record(eng, CALL_RECONCILE, li);
	struct library *l = &eng->libraries[li];

	if (script.grown_slots && library_set_layout(eng, li, script.grown_slots, l->nports) < 0)
		abort();
	while (l->ndrives < script.grown_drives)
		if (!library_add_drive(eng, li))
			abort();
	c->corrections = script_inventory(eng, li);
}

static void script_start(struct rsm_engine *eng, int li)
{
	record(eng, CALL_START, li);
}

static void script_stop(struct rsm_engine *eng, int li)
{
	record(eng, CALL_STOP, li);
	/* the engine is going away: steps still held are forgotten with it */
	for (int i = 0; i < script.ncalls; i++)
		if (script.calls[i].library == li)
			script.calls[i].step = NULL;
	script.robot_busy[li] = 0;
}

static void script_step(struct rsm_engine *eng, struct step *s)
{
	struct call *c;

	if (holder_of(s))
		script.handed_twice++;
	c = record(eng, CALL_STEP, s->library);
	script.in_step++;
	c->kind = s->kind;
	c->from = s->from;
	c->to = s->to;
	c->drive = s->drive;
	if (s->medium >= 0)
		snprintf(c->medium, sizeof(c->medium), "%s", eng->media[s->medium].name);
	c->request = s->request;
	c->full = s->full;
	if (s->full && s->kind != STEP_SCAN)
		script.full_not_scan++;
	c->step = s;
	if (robot_kind(s->kind) && ++script.robot_busy[s->library] > script.robot_max[s->library])
		script.robot_max[s->library] = script.robot_busy[s->library];
	if (!script.hold)
		timer_add(&eng->rt, script.step_time, script_timer, s);
	script.in_step--;
}

static void script_door(struct rsm_engine *eng, int li, bool open)
{
	record(eng, CALL_DOOR, li)->flag = open;
}

static void script_drive_device(struct rsm_engine *eng, const struct drive *d, char *buf,
				size_t len)
{
	struct call *c = record(eng, CALL_DRIVE_DEVICE, d->library);

	c->drive = (int)(d - eng->drives);
	snprintf(buf, len, "script:%s:%d:%s", eng->libraries[d->library].name, d->number,
		 d->medium >= 0 ? eng->media[d->medium].name : "-");
}

static const struct library_ops script_ops = {
    .name = "script",
    .attach = script_attach,
    .reconcile = script_reconcile,
    .start = script_start,
    .stop = script_stop,
    .step = script_step,
    .door = script_door,
    .drive_device = script_drive_device,
    .hands = NULL,
};

/* ---- the test's side of the script ---- */

/* Ends a held step from the test's thread, under the engine lock. */
static void script_end(struct world *w, struct call *c, struct outcome o)
{
	engine_lock(w->eng);
	assert_non_null(c->step);
	script_finish(w->eng, c, &o);
	engine_unlock(w->eng);
}

static const struct outcome ok = {.err = ERROR_SUCCESS};

/* The next step of kind k that auto mode ends ends so. */
static void script_plan(enum step_kind k, struct outcome o)
{
	script.planned[k] = o;
	script.has_planned[k] = true;
}

/* A hand moves a cartridge behind the engine's back (LOC_OFFLINE: takes it out). */
static void hand_move(const char *name, struct place to)
{
	struct cart *k = cart_named(name);

	assert_non_null(k);
	k->at = to;
}

static const char *const op_names[] = {
    "attach", "reconcile", "start", "stop", "step", "door", "drive_device",
};
static const char *const kind_names[] = {"MOVE", "LOAD", "UNLOAD", "CLEAN", "SCAN"};

static void script_dump(void)
{
	for (int i = 0; i < script.ncalls; i++) {
		const struct call *c = &script.calls[i];
		if (c->op == CALL_DRIVE_DEVICE)
			continue;
		fprintf(stderr, "# %3d %-9s", c->seq, op_names[c->op]);
		if (c->op == CALL_STEP)
			fprintf(stderr, " %-6s req %llu %s %d/%d -> %d/%d drive %d ended %d",
				kind_names[c->kind], (unsigned long long)c->request, c->medium,
				c->from.loc, c->from.addr, c->to.loc, c->to.addr, c->drive,
				c->end_seq);
		fprintf(stderr, "\n");
	}
}

/* The n-th (from 0) step of kind k handed over for request req (0: any request); NULL. */
static struct call *nth_step(enum step_kind k, uint64_t req, int n)
{
	for (int i = 0; i < script.ncalls; i++) {
		struct call *c = &script.calls[i];
		if (c->op == CALL_STEP && c->kind == k && (!req || c->request == req) && n-- == 0)
			return c;
	}
	return NULL;
}

static int count_steps(enum step_kind k, uint64_t req)
{
	int n = 0;
	while (nth_step(k, req, n))
		n++;
	return n;
}

static int count_calls(enum call_op op)
{
	int n = 0;
	for (int i = 0; i < script.ncalls; i++)
		n += script.calls[i].op == op;
	return n;
}

static struct call *first_call(enum call_op op)
{
	for (int i = 0; i < script.ncalls; i++)
		if (script.calls[i].op == op)
			return &script.calls[i];
	return NULL;
}

struct wanted {
	enum step_kind kind;
	uint64_t request;
};

static struct call *find_held(const struct wanted *q)
{
	for (int i = 0; i < script.ncalls; i++) {
		struct call *c = &script.calls[i];
		if (c->op == CALL_STEP && c->step && c->kind == q->kind &&
		    (!q->request || c->request == q->request))
			return c;
	}
	return NULL;
}

static bool holding(void *arg)
{
	return find_held(arg) != NULL;
}

/* Lets virtual time pass until the backend holds a step of kind k for request req (0: any);
 * that step's call. */
static struct call *held(struct world *w, enum step_kind k, uint64_t req)
{
	struct wanted q = {k, req};

	if (!world_run_until(w, holding, &q, 60000)) {
		script_dump();
		fail_msg("no %s step for request %llu was handed to the backend", kind_names[k],
			 (unsigned long long)req);
	}
	return find_held(&q);
}

static void assert_place(const struct place *p, enum loc_kind loc, int addr)
{
	assert_int_equal(p->loc, loc);
	assert_int_equal(p->addr, addr);
}

/* ---- helpers on the API's side ---- */

struct mount {
	struct waiter wt;
	uint64_t req;
};

static void mount_start(struct world *w, rsm_handle s, const char *medium, struct mount *m)
{
	struct rsm_mount_args a = {.medium = medium, .timeout_ms = RSM_WAIT_INFINITE};

	waiter_init(&m->wt);
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &a, waiter_done, &m->wt, &m->req),
			 ERROR_IO_PENDING);
}

static void request_is(struct world *w, uint64_t req, const char *state, rsm_err err,
		       const char *detail)
{
	struct rsm_request_info ri;

	assert_int_equal(rsm_request_info(w->eng, req, &ri), ERROR_SUCCESS);
	assert_string_equal(ri.state, state);
	assert_int_equal(ri.error, err);
	if (detail)
		assert_string_equal(ri.error_detail, detail);
}

static void medium_is(struct world *w, const char *name, const char *location, const char *state)
{
	struct rsm_medium_info mi;

	assert_int_equal(rsm_medium_info(w->eng, name, &mi), ERROR_SUCCESS);
	assert_string_equal(mi.location, location);
	assert_string_equal(mi.state, state);
}

static void drive_is(struct world *w, const char *name, const char *state, const char *medium)
{
	struct rsm_drive_info di;

	assert_int_equal(rsm_drive_info(w->eng, name, &di), ERROR_SUCCESS);
	assert_string_equal(di.state, state);
	assert_string_equal(di.medium, medium);
}

/* Line `addr` of a library's slot (or port) listing. */
static void slot_is(struct world *w, bool port, int addr, const char *want)
{
	char *text = rsm_library_slots_text(w->eng, "robo", port), *line = text;

	assert_non_null(text);
	for (int i = 0; i < addr && line; i++) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	assert_non_null(line);
	if (strncmp(line, want, strlen(want)) != 0 || line[strlen(want)] != '\n')
		fprintf(stderr, "slot %d: want \"%s\", have \"%.*s\"\n", addr, want,
			(int)strcspn(line, "\n"), line);
	assert_memory_equal(line, want, strlen(want));
	assert_int_equal(line[strlen(want)], '\n');
	free(text);
}

/* The operator request request req waits on, of the given type; fails when there is none. */
static void opreq_waits_for(struct world *w, uint64_t req, const char *type)
{
	struct rsm_names names;
	struct rsm_opreq_info oi;
	bool found = false;

	assert_int_equal(rsm_list(w->eng, RSM_KIND_OPREQ, NULL, &names), ERROR_SUCCESS);
	for (size_t i = 0; i < names.count; i++) {
		assert_int_equal(rsm_opreq_info(w->eng, strtoull(names.names[i], NULL, 10), &oi),
				 ERROR_SUCCESS);
		if (oi.request == req && strcmp(oi.type, type) == 0 &&
		    strcmp(oi.state, "submitted") == 0)
			found = true;
	}
	rsm_names_free(&names);
	assert_true(found);
}

static int opreqs_of_type(struct world *w, const char *type)
{
	struct rsm_names names;
	struct rsm_opreq_info oi;
	int n = 0;

	assert_int_equal(rsm_list(w->eng, RSM_KIND_OPREQ, NULL, &names), ERROR_SUCCESS);
	for (size_t i = 0; i < names.count; i++) {
		assert_int_equal(rsm_opreq_info(w->eng, strtoull(names.names[i], NULL, 10), &oi),
				 ERROR_SUCCESS);
		n += strcmp(oi.type, type) == 0;
	}
	rsm_names_free(&names);
	return n;
}

/* ---- fixtures ---- */

/* A world whose only library, robo, is the script's: 2 drives, 6 slots, 1 port and 4 scratch
 * cartridges SCR001..SCR004 in slots 0..3 (opened by each test, after its own settings). */
static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct rsm_library_config *l = &w->cfg.libraries[0];

	script_reset();
	world_init(w);
	snprintf(l->name, sizeof(l->name), "robo");
	snprintf(l->backend, sizeof(l->backend), "script");
	l->drives = 2;
	l->slots = 6;
	l->ports = 1;
	l->media = 4;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	world_free(w);
	free(w);
	/* what holds for every test: one robot step at a time, every step ended outside step(),
	 * no step handed over twice */
	for (int i = 0; i < MAX_LIBS; i++)
		assert_true(script.robot_max[i] <= 1);
	assert_int_equal(script.ended_inside_step, 0);
	assert_int_equal(script.handed_twice, 0);
	assert_int_equal(script.full_not_scan, 0);
	return 0;
}

/* ---- attach, reconcile, start, stop ---- */

/* A new library: attach (created, under the lock) lays it out through the engine's services,
 * then reconcile, then start (without the lock); the tree shows what it made.  Reopened, the
 * library is attached again, not created, and keeps what it has; stop comes at each close. */
static void test_attach_creates_library(void **state)
{
	struct world *w = *state;
	struct rsm_library_info li;
	struct rsm_names names;

	script.port_barcode = "IMP001";
	world_open(w);
	struct call *attach = first_call(CALL_ATTACH), *rec = first_call(CALL_RECONCILE),
		    *start = first_call(CALL_START);
	assert_non_null(attach);
	assert_non_null(rec);
	assert_non_null(start);
	assert_true(attach->flag);
	assert_true(attach->locked);
	assert_true(rec->locked);
	assert_false(start->locked);
	assert_true(attach->seq < rec->seq && rec->seq < start->seq);
	assert_int_equal(rec->corrections, 0); /* it holds what it just made */
	assert_int_equal(count_calls(CALL_STOP), 0);

	assert_int_equal(rsm_list(w->eng, RSM_KIND_LIBRARY, NULL, &names), ERROR_SUCCESS);
	assert_int_equal(names.count, 1);
	assert_string_equal(names.names[0], "robo");
	rsm_names_free(&names);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_string_equal(li.backend, "script");
	assert_string_equal(li.type, "changer");
	assert_string_equal(li.state, "online");
	assert_int_equal(li.nslots, 6);
	assert_int_equal(li.nports, 1);
	assert_int_equal(li.ndrives, 2);
	assert_int_equal(rsm_list(w->eng, RSM_KIND_DRIVE, "robo", &names), ERROR_SUCCESS);
	assert_int_equal(names.count, 2);
	assert_string_equal(names.names[0], "d0");
	assert_string_equal(names.names[1], "d1");
	rsm_names_free(&names);
	drive_is(w, "d0", "empty", "");
	drive_is(w, "d1", "empty", "");
	assert_int_equal(rsm_list(w->eng, RSM_KIND_MEDIUM, NULL, &names), ERROR_SUCCESS);
	assert_int_equal(names.count, 5);
	rsm_names_free(&names);
	/* scratch cartridges in pool free; the one found in the port, in import */
	struct rsm_medium_info mi;
	assert_int_equal(rsm_medium_info(w->eng, "SCR003", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.location, "slot 2");
	assert_string_equal(mi.state, "idle");
	assert_string_equal(mi.pool, "free");
	assert_string_equal(mi.library, "robo");
	assert_string_equal(mi.type, "LTO-6");
	assert_int_equal(rsm_medium_info(w->eng, "IMP001", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.location, "port 0");
	assert_string_equal(mi.state, "in-port");
	assert_string_equal(mi.pool, "import");
	slot_is(w, false, 0, "0 full SCR001");
	slot_is(w, false, 3, "3 full SCR004");
	slot_is(w, false, 4, "4 empty -");
	slot_is(w, true, 0, "0 full IMP001");

	world_reopen(w);
	assert_int_equal(count_calls(CALL_STOP), 1);
	assert_int_equal(count_calls(CALL_ATTACH), 2);
	assert_false(script.calls[script.ncalls - 3].flag); /* attach, reconcile, start */
	assert_int_equal(script.calls[script.ncalls - 3].op, CALL_ATTACH);
	assert_int_equal(rsm_list(w->eng, RSM_KIND_MEDIUM, NULL, &names), ERROR_SUCCESS);
	assert_int_equal(names.count, 5);
	rsm_names_free(&names);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_int_equal(li.nslots, 6);
	assert_int_equal(li.ndrives, 2);
}

/* An attach that fails keeps the engine from opening, with the backend's message. */
static void test_attach_failure_stops_open(void **state)
{
	struct world *w = *state;
	char err[512] = "";

	script.fail_attach = true;
	w->cfg.manual_timers = true;
	assert_null(rsm_engine_open(&w->cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "script: the changer of robo refused to attach"));
	assert_int_equal(count_calls(CALL_RECONCILE), 0);
	assert_int_equal(count_calls(CALL_START), 0);
}

/* A cartridge moved by hand while the daemon was down, into a magazine added meanwhile, and a
 * drive added: reconcile lays the library out anew (library_set_layout, library_add_drive)
 * and reports where the changer has every cartridge (inventory_apply); the catalog follows. */
static void test_reconcile_corrects_location(void **state)
{
	struct world *w = *state;
	struct rsm_library_info li;
	struct rsm_drive_info di;

	world_open(w);
	medium_is(w, "SCR002", "slot 1", "idle");
	rsm_engine_close(w->eng);
	script.grown_slots = 8;
	script.grown_drives = 3;
	hand_move("SCR002", (struct place){LOC_SLOT, 7, false});
	world_open(w);
	struct call *rec = &script.calls[script.ncalls - 2];
	assert_int_equal(rec->op, CALL_RECONCILE);
	assert_true(rec->locked);
	assert_int_equal(rec->corrections, 1);
	medium_is(w, "SCR002", "slot 7", "idle");
	slot_is(w, false, 1, "1 empty -");
	slot_is(w, false, 6, "6 empty -");
	slot_is(w, false, 7, "7 full SCR002");
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_int_equal(li.nslots, 8);
	assert_int_equal(li.ndrives, 3);
	assert_int_equal(rsm_drive_info(w->eng, "d2", &di), ERROR_SUCCESS);
	assert_string_equal(di.library, "robo");
	assert_string_equal(di.state, "empty");
	/* and the catalog has it all: the next start finds nothing to correct */
	world_reopen(w);
	assert_int_equal(script.calls[script.ncalls - 2].corrections, 0);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_int_equal(li.nslots, 8);
	assert_int_equal(li.ndrives, 3);
	medium_is(w, "SCR002", "slot 7", "idle");
	/* a mount of it sends the robot where it is now */
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "SCR002", "d2", 0), ERROR_SUCCESS);
	assert_place(&nth_step(STEP_MOVE, 0, 0)->from, LOC_SLOT, 7);
	assert_place(&nth_step(STEP_MOVE, 0, 0)->to, LOC_DRIVE, 2);
}

/* ---- steps ---- */

/* A mount: MOVE slot -> drive, then LOAD of that drive, each handed over once the step before
 * ended; the request passes with the drive named; the model follows. */
static void test_mount_moves_then_loads(void **state)
{
	struct world *w = *state;
	struct rsm_request_info ri;
	struct rsm_library_info li;
	struct mount m;

	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	mount_start(w, s, "SCR003", &m);
	assert_int_equal(waiter_wait(&m.wt, 10000), ERROR_SUCCESS);
	assert_string_equal(m.wt.drive, "d0");
	assert_int_equal(count_steps(STEP_MOVE, 0), 1);
	assert_int_equal(count_steps(STEP_LOAD, 0), 1);
	struct call *move = nth_step(STEP_MOVE, 0, 0), *load = nth_step(STEP_LOAD, 0, 0);
	assert_true(move->locked);
	assert_string_equal(move->medium, "SCR003");
	assert_int_equal(move->request, m.req);
	assert_place(&move->from, LOC_SLOT, 2);
	assert_place(&move->to, LOC_DRIVE, 0);
	assert_false(move->full);
	assert_string_equal(load->medium, "SCR003");
	assert_int_equal(load->drive, 0);
	assert_int_equal(load->request, m.req);
	assert_true(move->end_seq < load->seq);
	assert_true(load->end_seq > 0);
	assert_int_equal(rsm_request_info(w->eng, m.req, &ri), ERROR_SUCCESS);
	assert_string_equal(ri.state, "passed");
	assert_string_equal(ri.drive, "d0");
	drive_is(w, "d0", "mounted", "SCR003");
	medium_is(w, "SCR003", "drive d0", "mounted");
	slot_is(w, false, 2, "2 empty - SCR003"); /* its home, waiting */
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_int_equal(li.moves, 1);
	assert_int_equal(li.mounts, 1);
	/* a move and a load of 1 s each, on the virtual clock */
	assert_true(li.mount_secs_max > 1.99 && li.mount_secs_max < 2.01);
}

/* A dismount: UNLOAD of the drive, then MOVE drive -> the medium's home slot. */
static void test_dismount_unloads_then_moves_home(void **state)
{
	struct world *w = *state;
	uint64_t r;
	char st[32];

	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "SCR003", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "SCR003", 0, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_equal(count_steps(STEP_UNLOAD, r), 1);
	assert_int_equal(count_steps(STEP_MOVE, r), 1);
	struct call *unload = nth_step(STEP_UNLOAD, r, 0), *move = nth_step(STEP_MOVE, r, 0);
	assert_string_equal(unload->medium, "SCR003");
	assert_int_equal(unload->drive, 0);
	assert_string_equal(move->medium, "SCR003");
	assert_place(&move->from, LOC_DRIVE, 0);
	assert_place(&move->to, LOC_SLOT, 2);
	assert_true(unload->end_seq < move->seq);
	medium_is(w, "SCR003", "slot 2", "idle");
	drive_is(w, "d0", "empty", "");
	slot_is(w, false, 2, "2 full SCR003");
}

/* The only drive holds a dismountable medium: the mount evicts it first (EVICT_UNLOAD,
 * EVICT_MOVE to its home slot), then MOVE_IN and LOAD, one after the other. */
static void test_mount_evicts_dismountable(void **state)
{
	struct world *w = *state;
	struct mount m;

	w->cfg.libraries[0].drives = 1;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "SCR001", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "SCR001", RSM_DISMOUNT_DEFERRED, NULL),
			 ERROR_SUCCESS);
	drive_is(w, "d0", "dismountable", "SCR001");
	mount_start(w, s, "SCR002", &m);
	assert_int_equal(waiter_wait(&m.wt, 10000), ERROR_SUCCESS);
	assert_string_equal(m.wt.drive, "d0");
	/* the mount's steps, in the order they were handed over */
	const struct {
		enum step_kind kind;
		const char *medium;
		enum loc_kind from, to;
		int from_addr, to_addr;
	} want[] = {
	    {STEP_UNLOAD, "SCR001", 0, 0, 0, 0},
	    {STEP_MOVE, "SCR001", LOC_DRIVE, LOC_SLOT, 0, 0},
	    {STEP_MOVE, "SCR002", LOC_SLOT, LOC_DRIVE, 1, 0},
	    {STEP_LOAD, "SCR002", 0, 0, 0, 0},
	};
	const struct call *prev = NULL;
	int n = 0;
	for (int i = 0; i < script.ncalls; i++) {
		const struct call *c = &script.calls[i];
		if (c->op != CALL_STEP || c->request != m.req)
			continue;
		assert_true(n < 4);
		assert_int_equal(c->kind, want[n].kind);
		assert_string_equal(c->medium, want[n].medium);
		if (c->kind == STEP_MOVE) {
			assert_place(&c->from, want[n].from, want[n].from_addr);
			assert_place(&c->to, want[n].to, want[n].to_addr);
		} else {
			assert_int_equal(c->drive, 0);
		}
		if (prev)
			assert_true(prev->end_seq > 0 && prev->end_seq < c->seq);
		prev = c;
		n++;
	}
	assert_int_equal(n, 4);
	medium_is(w, "SCR001", "slot 0", "idle");
	medium_is(w, "SCR002", "drive d0", "mounted");
	drive_is(w, "d0", "mounted", "SCR002");
}

/* A MOVE that fails: the request fails with the backend's error and detail, nothing moved in
 * the catalog, and the robot is free for the next step at once. */
static void test_move_error_fails_request(void **state)
{
	struct world *w = *state;
	struct rsm_library_info li;
	struct mount m1, m2;
	char before[4][96];

	script.hold = true;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	for (int i = 0; i < 4; i++) {
		struct rsm_medium_info mi;
		char name[16];
		snprintf(name, sizeof(name), "SCR%03d", i + 1);
		assert_int_equal(rsm_medium_info(w->eng, name, &mi), ERROR_SUCCESS);
		snprintf(before[i], sizeof(before[i]), "%s %s", mi.location, mi.state);
	}
	mount_start(w, s, "SCR002", &m1);
	struct call *move = held(w, STEP_MOVE, m1.req);
	script_end(w, move,
		   (struct outcome){.err = ERROR_TRANSPORT_FULL,
				    .detail = "the picker already holds a cartridge"});
	assert_int_equal(waiter_wait(&m1.wt, 1000), ERROR_TRANSPORT_FULL);
	request_is(w, m1.req, "failed", ERROR_TRANSPORT_FULL,
		   "the picker already holds a cartridge");
	assert_int_equal(count_steps(STEP_LOAD, m1.req), 0);
	for (int i = 0; i < 4; i++) {
		struct rsm_medium_info mi;
		char name[16], now[96];
		snprintf(name, sizeof(name), "SCR%03d", i + 1);
		assert_int_equal(rsm_medium_info(w->eng, name, &mi), ERROR_SUCCESS);
		snprintf(now, sizeof(now), "%s %s", mi.location, mi.state);
		assert_string_equal(now, before[i]);
	}
	drive_is(w, "d0", "empty", "");
	drive_is(w, "d1", "empty", "");
	slot_is(w, false, 1, "1 full SCR002");
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_int_equal(li.failures, 1);
	assert_int_equal(li.moves, 0);
	/* the robot takes the next move at once, and it goes through */
	int seq = script.seq;
	mount_start(w, s, "SCR003", &m2);
	move = find_held(&(struct wanted){STEP_MOVE, m2.req});
	assert_non_null(move); /* handed over in the call that queued the mount */
	assert_true(move->seq > seq);
	script_end(w, move, ok);
	script_end(w, held(w, STEP_LOAD, m2.req), ok);
	assert_int_equal(waiter_wait(&m2.wt, 1000), ERROR_SUCCESS);
	medium_is(w, "SCR003", "drive d0", "mounted");
}

/* The robot finds the source slot empty (the cartridge was taken by hand): the medium is
 * offline, and the mount waits again, for an operator request to bring it (movemedia). */
static void test_source_empty_waits_for_operator(void **state)
{
	struct world *w = *state;
	struct mount m;

	script.hold = true;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	hand_move("SCR004", (struct place){LOC_OFFLINE, 0, false});
	mount_start(w, s, "SCR004", &m);
	struct call *move = held(w, STEP_MOVE, m.req);
	assert_place(&move->from, LOC_SLOT, 3);
	script_end(w, move, (struct outcome){.source_empty = true});
	world_run_for(w, 1000);
	assert_false(m.wt.done);
	request_is(w, m.req, "waiting", ERROR_SUCCESS, NULL);
	medium_is(w, "SCR004", "offline", "offline");
	slot_is(w, false, 3, "3 empty - SCR004"); /* its home, waiting */
	drive_is(w, "d0", "empty", "");
	opreq_waits_for(w, m.req, "movemedia");
	assert_int_equal(count_steps(STEP_LOAD, 0), 0);
	assert_int_equal(count_steps(STEP_MOVE, 0), 1);
}

/* The robot goes for the cartridge it must put away to make room in the only drive, and the
 * drive is empty (taken by hand): that cartridge is offline and the drive empty, while the
 * mount's own cartridge, untouched in its slot, goes on into the drive. */
static void test_source_empty_evicting(void **state)
{
	struct world *w = *state;
	struct mount m;

	w->cfg.libraries[0].drives = 1;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "SCR001", NULL, 0), ERROR_SUCCESS);
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "SCR001", RSM_DISMOUNT_DEFERRED, NULL),
			 ERROR_SUCCESS);
	hand_move("SCR001", (struct place){LOC_OFFLINE, 0, false});
	mount_start(w, s, "SCR002", &m);
	assert_int_equal(waiter_wait(&m.wt, 60000), ERROR_SUCCESS);
	struct call *evict = nth_step(STEP_MOVE, m.req, 0);
	assert_string_equal(evict->medium, "SCR001");
	assert_true(evict->end_seq > 0);
	/* the mount's own move and load followed, into the drive now empty */
	struct call *in = nth_step(STEP_MOVE, m.req, 1);
	assert_non_null(in);
	assert_string_equal(in->medium, "SCR002");
	assert_place(&in->from, LOC_SLOT, 1);
	assert_place(&in->to, LOC_DRIVE, 0);
	assert_true(in->seq > evict->end_seq);
	medium_is(w, "SCR001", "offline", "offline");
	medium_is(w, "SCR002", "drive d0", "mounted");
	drive_is(w, "d0", "mounted", "SCR002");
	slot_is(w, false, 0, "0 empty - SCR001"); /* its home, waiting */
	slot_is(w, false, 1, "1 empty - SCR002"); /* its home, waiting */
}

/* The robot goes to take a dismounted cartridge out of its drive and finds the drive empty:
 * the dismount fails (the medium is offline), and the drive no longer holds it. */
static void test_source_empty_moving_home(void **state)
{
	struct world *w = *state;
	uint64_t r;
	char st[32];

	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "SCR003", NULL, 0), ERROR_SUCCESS);
	hand_move("SCR003", (struct place){LOC_OFFLINE, 0, false});
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "SCR003", 0, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	request_is(w, r, "failed", ERROR_MEDIA_OFFLINE,
		   "drive d0 is empty: SCR003 is not where the catalog has it");
	medium_is(w, "SCR003", "offline", "offline");
	drive_is(w, "d0", "empty", "");
	slot_is(w, false, 2, "2 empty - SCR003"); /* its home, waiting */
	/* the drive takes the next mount */
	assert_int_equal(mount_wait(w, s, "SCR004", "d0", 0), ERROR_SUCCESS);
}

/* An inject whose cartridge was taken back out of the port before the robot came: the
 * cartridge is offline, the port empty, the slot promised to it free again. */
static void test_source_empty_injecting(void **state)
{
	struct world *w = *state;
	uint64_t r;
	char st[32];

	script.port_barcode = "IMP001";
	world_open(w);
	hand_move("IMP001", (struct place){LOC_OFFLINE, 0, false});
	assert_int_equal(rsm_inject(w->eng, 0, &w->admin, "robo", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	request_is(w, r, "failed", ERROR_MEDIA_OFFLINE,
		   "port 0 is empty: IMP001 is not where the catalog has it");
	medium_is(w, "IMP001", "offline", "offline");
	slot_is(w, true, 0, "0 empty -");
	slot_is(w, false, 4, "4 empty -");
}

/* The other phases through the ports and a cleaning: an inject (MOVE port -> free slot), a
 * cleaning (MOVE slot -> drive, CLEAN, MOVE drive -> slot), an eject (MOVE slot -> port). */
static void test_inject_clean_eject(void **state)
{
	struct world *w = *state;
	struct rsm_medium_info mi;
	struct rsm_drive_info di;
	uint64_t r;
	char st[32];

	script.port_barcode = "CLN001"; /* the barcode reader makes it a cleaner */
	world_open(w);
	assert_int_equal(rsm_medium_info(w->eng, "CLN001", &mi), ERROR_SUCCESS);
	assert_string_equal(mi.pool, "cleaner");
	assert_int_equal(rsm_inject(w->eng, 0, &w->admin, "robo", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_equal(count_steps(STEP_MOVE, r), 1);
	struct call *c = nth_step(STEP_MOVE, r, 0);
	assert_string_equal(c->medium, "CLN001");
	assert_place(&c->from, LOC_PORT, 0);
	assert_place(&c->to, LOC_SLOT, 4);
	medium_is(w, "CLN001", "slot 4", "idle");
	slot_is(w, true, 0, "0 empty -");

	assert_int_equal(rsm_drive_clean(w->eng, &w->admin, "d1", &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	struct call *in = nth_step(STEP_MOVE, r, 0), *clean = nth_step(STEP_CLEAN, r, 0),
		    *home = nth_step(STEP_MOVE, r, 1);
	assert_non_null(in);
	assert_non_null(clean);
	assert_non_null(home);
	assert_int_equal(count_steps(STEP_LOAD, r) + count_steps(STEP_UNLOAD, r), 0);
	assert_string_equal(in->medium, "CLN001");
	assert_place(&in->from, LOC_SLOT, 4);
	assert_place(&in->to, LOC_DRIVE, 1);
	assert_string_equal(clean->medium, "CLN001");
	assert_int_equal(clean->drive, 1);
	assert_place(&home->from, LOC_DRIVE, 1);
	assert_place(&home->to, LOC_SLOT, 4);
	assert_true(in->end_seq < clean->seq && clean->end_seq < home->seq);
	assert_int_equal(rsm_drive_info(w->eng, "d1", &di), ERROR_SUCCESS);
	assert_string_equal(di.state, "empty");
	assert_int_equal(di.cleanings, 1);
	assert_true(di.last_cleaned[0] != '\0');
	medium_is(w, "CLN001", "slot 4", "idle");

	assert_int_equal(rsm_eject(w->eng, 0, &w->admin, "SCR004", -1, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	c = nth_step(STEP_MOVE, r, 0);
	assert_string_equal(c->medium, "SCR004");
	assert_place(&c->from, LOC_SLOT, 3);
	assert_place(&c->to, LOC_PORT, 0);
	medium_is(w, "SCR004", "port 0", "in-port");
	slot_is(w, true, 0, "0 full SCR004");
	slot_is(w, false, 3, "3 empty - SCR004"); /* its home, waiting */
}

/* A scan (InventoryNtmsLibrary): the backend applies what it found and the request reports
 * the corrections; a fast scan asks for barcodes only; an unreadable element status fails. */
static void test_scan_reports_corrections(void **state)
{
	struct world *w = *state;
	struct rsm_library_info li;
	uint64_t r;
	char st[32];

	script.hold = true;
	world_open(w);
	hand_move("SCR001", (struct place){LOC_SLOT, 4, false});
	hand_move("SCR002", (struct place){LOC_OFFLINE, 0, false});
	assert_int_equal(rsm_library_inventory(w->eng, &w->admin, "robo", true, &r), ERROR_SUCCESS);
	struct call *scan = held(w, STEP_SCAN, r);
	assert_true(scan->full);
	assert_string_equal(scan->medium, "");
	assert_int_equal(scan->drive, NO_INDEX);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_string_equal(li.state, "inventorying");
	script_end(w, scan, ok);
	assert_int_equal(scan->corrections, 2);
	request_is(w, r, "passed", ERROR_SUCCESS, "2 locations corrected");
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_string_equal(li.state, "online");
	medium_is(w, "SCR001", "slot 4", "idle");
	medium_is(w, "SCR002", "offline", "offline");
	slot_is(w, false, 0, "0 empty -");
	slot_is(w, false, 4, "4 full SCR001");

	script.hold = false;
	assert_int_equal(rsm_library_inventory(w->eng, &w->admin, "robo", false, &r),
			 ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_false(nth_step(STEP_SCAN, r, 0)->full);
	request_is(w, r, "passed", ERROR_SUCCESS, "");

	script_plan(STEP_SCAN, (struct outcome){.unreadable = true});
	assert_int_equal(rsm_library_inventory(w->eng, &w->admin, "robo", true, &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	request_is(w, r, "failed", ERROR_UNABLE_TO_INVENTORY_SLOT, NULL);
}

/* The door: opening it for the operator and closing it again reach ops->door; while it is
 * open the robot does not move. */
/* Sets or clears a file's immutable attribute (chattr +i): a catalog nobody may write, root
 * included; false where the file system or the caller cannot. */
static bool immutable(const char *path, bool on)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0;
	bool ok = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;

	flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
	ok = ok && ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A catalog that can only be read is a daemon that changes nothing: its library is attached
 * (the tree is served) but neither reconciled nor started, so its backend touches no device. */
static void test_readonly_catalog_starts_no_backend(void **state)
{
	struct world *w = *state;
	sqlite_only(); /* it makes the SQLite file fail, or reads it */
	struct rsm_library_info li;

	world_open(w);
	rsm_engine_close(w->eng);
	w->eng = NULL;
	if (!immutable(w->cfg.database, true))
		skip(); /* needs root and a file system with chattr */
	int attaches = count_calls(CALL_ATTACH), starts = count_calls(CALL_START),
	    reconciles = count_calls(CALL_RECONCILE);
	world_open(w);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_int_equal(count_calls(CALL_ATTACH), attaches + 1);
	assert_int_equal(count_calls(CALL_RECONCILE), reconciles);
	assert_int_equal(count_calls(CALL_START), starts);
	rsm_engine_close(w->eng);
	w->eng = NULL;
	assert_true(immutable(w->cfg.database, false));
}

static void test_door_reaches_backend(void **state)
{
	struct world *w = *state;
	struct rsm_library_info li;
	struct mount m;
	uint64_t r;
	char st[32];

	world_open(w);
	assert_int_equal(rsm_library_door_open(w->eng, &w->admin, "robo", &r), ERROR_SUCCESS);
	wait_request_final(w, r, st, sizeof(st));
	assert_string_equal(st, "passed");
	assert_int_equal(count_calls(CALL_DOOR), 1);
	struct call *door = first_call(CALL_DOOR);
	assert_true(door->flag);
	assert_int_equal(door->library, 0);
	assert_true(door->locked);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_string_equal(li.door, "open");
	rsm_handle s = open_session(w, "a", &w->admin);
	mount_start(w, s, "SCR001", &m);
	world_run_for(w, 5000);
	assert_false(m.wt.done);
	assert_int_equal(count_steps(STEP_MOVE, 0), 0);
	assert_int_equal(rsm_library_door_close(w->eng, &w->admin, "robo"), ERROR_SUCCESS);
	assert_int_equal(count_calls(CALL_DOOR), 2);
	door = NULL;
	for (int i = 0; i < script.ncalls; i++)
		if (script.calls[i].op == CALL_DOOR)
			door = &script.calls[i];
	assert_false(door->flag);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_string_equal(li.door, "closed");
	assert_int_equal(waiter_wait(&m.wt, 10000), ERROR_SUCCESS);
	assert_true(nth_step(STEP_MOVE, m.req, 0)->seq > door->seq);
}

/* Where a drive's I/O goes is the backend's answer (rsm_drive_info().device). */
static void test_drive_device_reaches_backend(void **state)
{
	struct world *w = *state;
	struct rsm_drive_info di;

	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	assert_int_equal(mount_wait(w, s, "SCR002", NULL, 0), ERROR_SUCCESS);
	int before = count_calls(CALL_DRIVE_DEVICE);
	assert_int_equal(rsm_drive_info(w->eng, "d0", &di), ERROR_SUCCESS);
	assert_string_equal(di.device, "script:robo:0:SCR002");
	assert_int_equal(rsm_drive_info(w->eng, "d1", &di), ERROR_SUCCESS);
	assert_string_equal(di.device, "script:robo:1:-");
	assert_int_equal(count_calls(CALL_DRIVE_DEVICE), before + 2);
	const struct call *c = &script.calls[script.ncalls - 1];
	assert_int_equal(c->op, CALL_DRIVE_DEVICE);
	assert_int_equal(c->drive, 1);
	assert_true(c->locked);
}

/* A backend with no hands has no sim/ctl: every rsm_sim_* call is ERROR_INVALID_OPERATION and
 * reaches nothing. */
static void test_sim_calls_without_hands(void **state)
{
	struct world *w = *state;

	world_open(w);
	int calls = script.ncalls;
	assert_int_equal(rsm_sim_insert(w->eng, &w->admin, "robo", "NEW001", -1),
			 ERROR_INVALID_OPERATION);
	assert_int_equal(rsm_sim_remove(w->eng, &w->admin, "robo", -1), ERROR_INVALID_OPERATION);
	assert_int_equal(rsm_sim_drive_fault(w->eng, &w->admin, "robo", "d0", true),
			 ERROR_INVALID_OPERATION);
	assert_int_equal(rsm_sim_medium_fault(w->eng, &w->admin, "robo", "SCR001", RSM_SIM_LOSE),
			 ERROR_INVALID_OPERATION);
	assert_int_equal(rsm_sim_jam(w->eng, &w->admin, "robo", true), ERROR_INVALID_OPERATION);
	assert_int_equal(rsm_sim_timing(w->eng, &w->admin, "robo", 1, 1, 1),
			 ERROR_INVALID_OPERATION);
	assert_int_equal(script.ncalls, calls);
	struct rsm_names names;
	assert_int_equal(rsm_list(w->eng, RSM_KIND_MEDIUM, NULL, &names), ERROR_SUCCESS);
	assert_int_equal(names.count, 4);
	rsm_names_free(&names);
}

/* The drive fails (device_fault) while it loads: the mount fails with ERROR_INVALID_STATE, the
 * cartridge stays where the backend left it, and the operator is asked to service the drive. */
static void test_drive_fault_during_load(void **state)
{
	struct world *w = *state;
	struct mount m;

	script.hold = true;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	mount_start(w, s, "SCR001", &m);
	script_end(w, held(w, STEP_MOVE, m.req), ok);
	struct call *load = held(w, STEP_LOAD, m.req);
	drive_is(w, "d0", "loading", "SCR001");
	engine_lock(w->eng);
	device_fault(w->eng, 0, 0, true);
	engine_unlock(w->eng);
	assert_int_equal(opreqs_of_type(w, "deviceservice"), 1);
	assert_false(m.wt.done);
	script_end(w, load, ok);
	assert_int_equal(waiter_wait(&m.wt, 1000), ERROR_INVALID_STATE);
	request_is(w, m.req, "failed", ERROR_INVALID_STATE, "drive d0 has failed");
	drive_is(w, "d0", "failed", "SCR001");
	medium_is(w, "SCR001", "drive d0", "dismountable");
	struct rsm_drive_info di;
	assert_int_equal(rsm_drive_info(w->eng, "d0", &di), ERROR_SUCCESS);
	assert_int_equal(di.errors, 1);
	assert_int_equal(di.mounts, 0);
}

/* The changer stops answering (library_unreachable): robot steps queued behind the robot fail
 * with ERROR_LIBRARY_OFFLINE and the backend's reason; the step it holds is its to end; a
 * request that has not started waits for the library to come back, and a new mount is refused
 * at once. */
static void test_unreachable_fails_queued_robot_steps(void **state)
{
	struct world *w = *state;
	struct rsm_library_info li;
	struct rsm_mount_args d = {.medium = "SCR004", .timeout_ms = RSM_WAIT_INFINITE};
	struct waiter wd;
	struct mount a, b, c;
	uint64_t r;

	script.hold = true;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	mount_start(w, s, "SCR001", &a);
	mount_start(w, s, "SCR002", &b);
	mount_start(w, s, "SCR003", &c); /* no drive for it yet */
	struct call *move = held(w, STEP_MOVE, a.req);
	assert_int_equal(count_steps(STEP_MOVE, 0), 1); /* b's waits for the robot */
	request_is(w, b.req, "inprocess", ERROR_SUCCESS, NULL);
	request_is(w, c.req, "waiting", ERROR_SUCCESS, NULL);
	engine_lock(w->eng);
	library_unreachable(w->eng, 0, "the changer does not answer");
	engine_unlock(w->eng);
	assert_int_equal(waiter_wait(&b.wt, 1000), ERROR_LIBRARY_OFFLINE);
	request_is(w, b.req, "failed", ERROR_LIBRARY_OFFLINE, "the changer does not answer");
	assert_false(a.wt.done);
	assert_int_equal(rsm_library_info(w->eng, "robo", &li), ERROR_SUCCESS);
	assert_string_equal(li.state, "offline");
	script_end(
	    w, move,
	    (struct outcome){.err = ERROR_LIBRARY_OFFLINE, .detail = "no answer from the changer"});
	assert_int_equal(waiter_wait(&a.wt, 1000), ERROR_LIBRARY_OFFLINE);
	request_is(w, a.req, "failed", ERROR_LIBRARY_OFFLINE, "no answer from the changer");
	medium_is(w, "SCR001", "slot 0", "idle");
	medium_is(w, "SCR002", "slot 1", "idle");
	drive_is(w, "d0", "empty", "");
	drive_is(w, "d1", "empty", "");
	/* the drives are free, but the robot does not answer: c waits, and nothing reaches it */
	world_run_for(w, 5000);
	assert_false(c.wt.done);
	request_is(w, c.req, "waiting", ERROR_SUCCESS, NULL);
	assert_int_equal(count_steps(STEP_MOVE, 0), 1);
	waiter_init(&wd);
	assert_int_equal(rsm_mount(w->eng, s, &w->admin, &d, waiter_done, &wd, &r),
			 ERROR_LIBRARY_OFFLINE);
}

/* One robot step of a library at a time: a second mount's MOVE is handed over only once the
 * first MOVE ended; the drives' loads overlap. */
static void test_robot_steps_serialised(void **state)
{
	struct world *w = *state;
	struct mount a, b;

	script.hold = true;
	world_open(w);
	rsm_handle s = open_session(w, "a", &w->admin);
	mount_start(w, s, "SCR001", &a);
	mount_start(w, s, "SCR002", &b);
	struct call *move_a = held(w, STEP_MOVE, a.req);
	world_run_for(w, 10000);
	assert_int_equal(count_steps(STEP_MOVE, b.req), 0);
	request_is(w, b.req, "inprocess", ERROR_SUCCESS, NULL);
	script_end(w, move_a, ok);
	struct call *move_b = held(w, STEP_MOVE, b.req);
	assert_true(move_b->seq > move_a->end_seq);
	assert_place(&move_b->to, LOC_DRIVE, 1);
	/* a's load goes on while b's cartridge travels, and both loads at once */
	struct call *load_a = held(w, STEP_LOAD, a.req);
	script_end(w, move_b, ok);
	struct call *load_b = held(w, STEP_LOAD, b.req);
	assert_non_null(load_a->step);
	assert_non_null(load_b->step);
	script_end(w, load_b, ok);
	script_end(w, load_a, ok);
	assert_int_equal(waiter_wait(&a.wt, 1000), ERROR_SUCCESS);
	assert_int_equal(waiter_wait(&b.wt, 1000), ERROR_SUCCESS);
	assert_string_equal(a.wt.drive, "d0");
	assert_string_equal(b.wt.drive, "d1");
	assert_int_equal(script.robot_max[0], 1);
}

/* A move home that no session asked for (here: dismount_delay ran out) waits behind a mount's
 * move queued after it: the robot serves the mount first, and the cartridge goes home in its
 * idle time. */
static void test_move_home_yields_to_mount(void **state)
{
	struct world *w = *state;
	struct mount a, b, c;

	w->cfg.libraries[0].drives = 3;
	script.hold = true;
	world_open(w);
	assert_int_equal(rsm_library_set_dismount_delay(w->eng, &w->admin, "robo", 5),
			 ERROR_SUCCESS);
	rsm_handle s = open_session(w, "a", &w->admin);
	mount_start(w, s, "SCR001", &a);
	script_end(w, held(w, STEP_MOVE, a.req), ok);
	script_end(w, held(w, STEP_LOAD, a.req), ok);
	assert_int_equal(waiter_wait(&a.wt, 1000), ERROR_SUCCESS);
	world_run_for(w, 1000); /* the virtual clock's 0 is no time of a dismount */
	assert_int_equal(rsm_dismount(w->eng, s, &w->admin, "SCR001", RSM_DISMOUNT_DEFERRED, NULL),
			 ERROR_SUCCESS);
	drive_is(w, "d0", "dismountable", "SCR001");
	/* the robot carries b's cartridge while the delay of a's runs out */
	mount_start(w, s, "SCR002", &b);
	struct call *move_b = held(w, STEP_MOVE, b.req);
	world_run_for(w, 6000);
	struct call *unload = held(w, STEP_UNLOAD, 0);
	assert_string_equal(unload->medium, "SCR001");
	uint64_t home = unload->request;
	script_end(w, unload, ok);
	world_run_for(w, 1000);
	/* queued behind the move home: c's move into the empty drive */
	mount_start(w, s, "SCR003", &c);
	world_run_for(w, 1000);
	assert_int_equal(count_steps(STEP_MOVE, home), 0);
	assert_int_equal(count_steps(STEP_MOVE, c.req), 0);
	script_end(w, move_b, ok);
	struct call *move_c = held(w, STEP_MOVE, c.req);
	assert_place(&move_c->to, LOC_DRIVE, 2);
	assert_int_equal(count_steps(STEP_MOVE, home), 0);
	script_end(w, move_c, ok);
	struct call *move_home = held(w, STEP_MOVE, home);
	assert_true(move_home->seq > move_c->end_seq);
	assert_place(&move_home->to, LOC_SLOT, 0);
	script_end(w, move_home, ok);
	medium_is(w, "SCR001", "slot 0", "idle");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_attach_creates_library),	      T(test_attach_failure_stops_open),
	    T(test_reconcile_corrects_location),      T(test_mount_moves_then_loads),
	    T(test_dismount_unloads_then_moves_home), T(test_inject_clean_eject),
	    T(test_mount_evicts_dismountable),	      T(test_move_error_fails_request),
	    T(test_source_empty_waits_for_operator),  T(test_source_empty_evicting),
	    T(test_source_empty_moving_home),	      T(test_source_empty_injecting),
	    T(test_scan_reports_corrections),	      T(test_door_reaches_backend),
	    T(test_drive_device_reaches_backend),     T(test_sim_calls_without_hands),
	    T(test_drive_fault_during_load),	      T(test_unreachable_fails_queued_robot_steps),
	    T(test_robot_steps_serialised),	      T(test_readonly_catalog_starts_no_backend),
	    T(test_move_home_yields_to_mount),
	};

	if (!backend_register(&script_ops)) {
		fprintf(stderr, "the table of backends is full\n");
		return 1;
	}
	return cmocka_run_group_tests_name("backend", tests, NULL, NULL);
}
