/* drive_map.c - which OS device is each drive of a real changer: the one configured as
 * drive.<n>, or the one tape device whose VPD serial the drive element's DVCID identifier
 * carries.  No match, several, or an identifier cut short by the device is reported, never
 * guessed; a configured device that contradicts the changer is used and reported.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changer.h"
#include "log.h"

/* The configured device of drive n, or NULL. */
static const char *configured_device(const char *map, int n, char *buf, size_t len)
{
	const char *p = map;

	while (*p) {
		int k, used = 0;
		if (sscanf(p, "%d %255s%n", &k, buf, &used) == 2 && k == n && len > 0)
			return buf;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return NULL;
}

/* Tape devices that automatic mapping may choose from, with their VPD serials. */
struct candidates {
	char (*addr)[256];
	char (*serial)[64];
	int n, cap;
};

/* Adds the device at address if it answers with a serial. */
static void candidate_add(struct candidates *c, const char *address)
{
	struct scsi_outcome o;

	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 8;
		char(*a)[256] = realloc(c->addr, sizeof(*a) * (size_t)cap);
		if (a)
			c->addr = a;
		char(*s)[64] = realloc(c->serial, sizeof(*s) * (size_t)cap);
		if (s)
			c->serial = s;
		if (!a || !s)
			return;
		c->cap = cap;
	}
	snprintf(c->addr[c->n], sizeof(c->addr[c->n]), "%s", address);
	if (drive_serial(address, c->serial[c->n], sizeof(c->serial[c->n]), &o) == 0 &&
	    c->serial[c->n][0])
		c->n++;
}

/* The candidates: the other LUNs of an iSCSI changer's target, or the /dev/nst* nodes for a
 * local one. */
static void find_candidates(struct changer *ch, const char *address, struct candidates *c)
{
	if (strncmp(address, "iscsi://", 8) == 0) {
		const char *slash = strrchr(address, '/');
		uint16_t luns[256];
		struct scsi_outcome o;
		char lun_address[256];
		int count = changer_report_luns(ch, luns, 256, &o);

		for (int i = 0; slash && i < count; i++) {
			snprintf(lun_address, sizeof(lun_address), "%.*s/%u",
				 (int)(slash - address), address, luns[i]);
			if (strcmp(lun_address, address) != 0)
				candidate_add(c, lun_address);
		}
		return;
	}
	glob_t g;
	if (glob("/dev/nst[0-9]*", 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i] + 8;
		if (p[strspn(p, "0123456789")] == '\0') /* nst0a, nst0l...: the same drive again */
			candidate_add(c, g.gl_pathv[i]);
	}
	globfree(&g);
}

/* Gives every drive element its OS device: the configured one, else the one tape device whose
 * serial its DVCID identifier carries.  No match, or more than one, is reported, never
 * guessed. */
void map_drives(struct changer *ch, const char *address, const char *drive_map, struct scan *sc,
		const char *libname)
{
	int nd = sc->n[SMC_ELEMENT_DRIVE];
	struct candidates cand = {0};
	bool searched = false;
	char buf[256];

	sc->drive_dev = calloc((size_t)(nd ? nd : 1), sizeof(*sc->drive_dev));
	if (!sc->drive_dev)
		return;
	for (int i = 0; i < nd; i++) {
		const struct smc_element *e = &sc->el[SMC_ELEMENT_DRIVE][i];
		const char *conf = configured_device(drive_map, i, buf, sizeof(buf));
		int match = -1, matches = 0;

		if (conf) {
			char sn[64];
			struct scsi_outcome o;
			/* the operator's word stands, but a contradiction is reported */
			snprintf(sc->drive_dev[i], sizeof(sc->drive_dev[i]), "%s", conf);
			if (e->ident[0] && !e->truncated &&
			    drive_serial(conf, sn, sizeof(sn), &o) == 0 && sn[0] &&
			    !smc_ident_matches_serial(e->ident, sn))
				engine_log(
				    RSM_LOG_WARNING,
				    "library %s: drive.%d = %s has serial %s, but the "
				    "changer's drive element %u says \"%s\": check the mapping",
				    libname, i, conf, sn, e->address, e->ident);
			continue;
		}
		if (!e->ident[0]) {
			engine_log(RSM_LOG_WARNING,
				   "library %s: drive element %u: no device configured "
				   "(drive.%d) and the changer gives no drive identifier",
				   libname, e->address, i);
			continue;
		}
		if (!searched) {
			find_candidates(ch, address, &cand);
			searched = true;
		}
		for (int c = 0; c < cand.n; c++)
			if (smc_ident_matches_serial(e->ident, cand.serial[c])) {
				match = c;
				matches++;
			}
		if (matches == 1 && !e->truncated) {
			snprintf(sc->drive_dev[i], sizeof(sc->drive_dev[i]), "%s",
				 cand.addr[match]);
			continue;
		}
		engine_log(RSM_LOG_WARNING,
			   "library %s: drive element %u (identifier \"%s\"%s): %s; set drive.%d",
			   libname, e->address, e->ident,
			   e->truncated ? ", cut short by the device" : "",
			   matches > 1 ? "more than one tape device matches"
				       : "no tape device has that serial",
			   i);
	}
	free(cand.addr);
	free(cand.serial);
}
