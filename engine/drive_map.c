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

/* Candidate tape devices for automatic mapping: the other LUNs of an iSCSI changer's target,
 * or the /dev/nst* nodes for a local one.  Returns how many, each with its VPD serial. */
static int tape_candidates(struct scsi_transport *changer, const char *address, char (**addr)[256],
			   char (**serial)[64])
{
	char(*a)[256] = NULL, (*s)[64] = NULL;
	int n = 0, cap = 0;
	struct scsi_outcome o;

	*addr = NULL;
	*serial = NULL;
	if (strncmp(address, "iscsi://", 8) == 0) {
		uint8_t cdb[16] = {0xa0}, buf[2048];
		struct scsi_io io = {.cdb_len = 12,
				     .dir = SCSI_DIR_IN,
				     .buf = buf,
				     .len = sizeof(buf),
				     .timeout_ms = SCSI_TIMEOUT_SHORT};
		uint16_t luns[256];
		const char *slash = strrchr(address, '/');
		int count;

		memcpy(io.cdb, cdb, sizeof(cdb));
		io.cdb[9] = sizeof(buf) & 0xff;
		io.cdb[8] = sizeof(buf) >> 8;
		scsi_run(changer, &io, "REPORT LUNS", &o);
		if (o.err != ERROR_SUCCESS || !slash)
			return 0;
		count = scsi_parse_report_luns(buf, io.received, luns, 256);
		for (int i = 0; i < count; i++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				a = realloc(a, sizeof(*a) * (size_t)cap);
				s = realloc(s, sizeof(*s) * (size_t)cap);
				if (!a || !s)
					break;
			}
			snprintf(a[n], sizeof(a[n]), "%.*s/%u", (int)(slash - address), address,
				 luns[i]);
			if (strcmp(a[n], address) != 0 &&
			    drive_serial(a[n], s[n], sizeof(s[n]), &o) == 0 && s[n][0])
				n++;
		}
	} else {
		glob_t g;
		if (glob("/dev/nst[0-9]*", 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				const char *p = g.gl_pathv[i] + 8;
				if (p[strspn(p, "0123456789")] != '\0')
					continue; /* nst0a, nst0l...: the same drive again */
				if (n == cap) {
					cap = cap ? cap * 2 : 8;
					a = realloc(a, sizeof(*a) * (size_t)cap);
					s = realloc(s, sizeof(*s) * (size_t)cap);
					if (!a || !s)
						break;
				}
				snprintf(a[n], sizeof(a[n]), "%s", g.gl_pathv[i]);
				if (drive_serial(a[n], s[n], sizeof(s[n]), &o) == 0 && s[n][0])
					n++;
			}
			globfree(&g);
		}
	}
	if (!a || !s) {
		free(a);
		free(s);
		return 0;
	}
	*addr = a;
	*serial = s;
	return n;
}

/* Gives every drive element its OS device: the configured one, else the one tape device whose
 * serial its DVCID identifier carries.  No match, or more than one, is reported, never
 * guessed. */
void map_drives(struct scsi_transport *changer, const char *address, const char *drive_map,
		struct scan *sc, const char *libname)
{
	int nd = sc->n[SMC_ELEMENT_DRIVE], ncand = -1;
	char(*cand)[256] = NULL, (*serial)[64] = NULL, buf[256];

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
				fprintf(
				    stderr,
				    "rsmfs: library %s: drive.%d = %s has serial %s, but the "
				    "changer's drive element %u says \"%s\": check the mapping\n",
				    libname, i, conf, sn, e->address, e->ident);
			continue;
		}
		if (!e->ident[0]) {
			fprintf(stderr,
				"rsmfs: library %s: drive element %u: no device configured "
				"(drive.%d) and the changer gives no drive identifier\n",
				libname, e->address, i);
			continue;
		}
		if (ncand < 0)
			ncand = tape_candidates(changer, address, &cand, &serial);
		for (int c = 0; c < ncand; c++)
			if (smc_ident_matches_serial(e->ident, serial[c])) {
				match = c;
				matches++;
			}
		if (matches == 1 && !e->truncated) {
			snprintf(sc->drive_dev[i], sizeof(sc->drive_dev[i]), "%s", cand[match]);
			continue;
		}
		fprintf(stderr,
			"rsmfs: library %s: drive element %u (identifier \"%s\"%s): %s; set "
			"drive.%d\n",
			libname, e->address, e->ident,
			e->truncated ? ", cut short by the device" : "",
			matches > 1 ? "more than one tape device matches"
				    : "no tape device has that serial",
			i);
	}
	free(cand);
	free(serial);
}
