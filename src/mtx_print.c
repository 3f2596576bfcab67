/* mtx_print.c - mtx 1.3.12's status and inquiry formats, byte for byte.
 *
 * status: a header line, one line per data transfer element, then one per storage element
 * (slots, then import/export ports), with volume tags unless nobarcode was given.
 * inquiry: the lines mtx prints from a medium changer's INQUIRY data, with rsmfs's identity
 * padded to the field widths of INQUIRY (8, 16 and 4 characters).
 */
#include <stdio.h>
#include <string.h>

#include "mtx.h"

/* Prints the changer as mtx's status does for a changer with a barcode reader. */
void mtx_print_status(const struct mtx_run *run, const struct mtx_changer *c)
{
	printf("  Storage Changer %s:%d Drives, %d Slots ( %d Import/Export )\n", run->place.device,
	       c->ndrives, c->nslots + c->nports, c->nports);
	for (int i = 0; i < c->ndrives; i++) {
		const struct mtx_drive *d = &c->drive[i];

		printf("Data Transfer Element %d:", i);
		if (!d->full) {
			printf("Empty\n");
			continue;
		}
		if (d->source > -1)
			printf("Full (Storage Element %d Loaded)", d->source + 1);
		else
			printf("Full (Unknown Storage Element Loaded)");
		if (run->barcodes && d->medium[0])
			printf(":VolumeTag = %s", d->medium);
		putchar('\n');
	}
	for (int i = 0; i < c->nslots + c->nports; i++) {
		const struct mtx_element *e = &c->element[i];

		printf("      Storage Element %d%s:%s", i + 1, e->port ? " IMPORT/EXPORT" : "",
		       e->full ? "Full " : "Empty");
		if (run->barcodes && e->full && e->tag[0])
			printf(":VolumeTag=%s", e->tag);
		putchar('\n');
	}
}

/* Prints field padded with blanks (or cut) to width characters, as INQUIRY holds it. */
static void padded(const char *field, int width)
{
	printf("%-*.*s", width, width, field);
}

/* mtx's inquiry output for rsmfs's changer: a medium changer, vendor RSMFS. */
void mtx_print_inquiry(void)
{
	char revision[8];

	/* the revision field holds four characters: major.minor of the package version */
	snprintf(revision, sizeof(revision), "%s", PACKAGE_VERSION);
	char *dot = strchr(revision, '.');
	if (dot && strchr(dot + 1, '.'))
		*strchr(dot + 1, '.') = '\0';
	printf("Product Type: Medium Changer\n");
	printf("Vendor ID: '");
	padded("RSMFS", 8);
	printf("'\nProduct ID: '");
	padded("VIRTUAL CHANGER", 16);
	printf("'\nRevision: '");
	padded(revision, 4);
	printf("'\n");
	printf("Attached Changer API: No\n");
}
