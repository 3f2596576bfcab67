/* map.c - a library's map (rsmfs(5), libraries/lib/map): its drives, slots and ports with the
 * cartridges in them, their states and the sessions holding them, drawn as an SVG picture
 * (map.svg, which file managers show as a thumbnail) and as text for a terminal (map).
 *
 * Both are rendered from one engine snapshot (rsm_library_map) and hold nothing that changes
 * without the library changing (no time, no counter), so the replay's comparison sees a change
 * exactly when a cartridge, a drive or a session's hold on it does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tree.h"

#define TEXT_COLUMNS 100 /* map fits a terminal of this width while the names are short */

/* The larger of two sizes. */
static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* ---- what a place shows ---- */

/* The usual state of a medium at rest in a slot and in a port: any other is shown. */
static const char *const usual_state[] = {"idle", "in-port"};

/* A medium's label: its barcode, or its name when it has none (unlabeled-<n>). */
static const char *medium_label(const struct rsm_map_element *el)
{
	return el->barcode[0] ? el->barcode : el->medium;
}

/* What a slot or port shows in the text map: the cartridge's label (":<state>" when it is not
 * at rest), "(<medium>)" for an empty slot that is that medium's home, "-" when empty. */
static void place_text(const struct rsm_map_element *el, bool port, char *buf, size_t len)
{
	if (el->medium[0] && strcmp(el->state, usual_state[port]) != 0)
		snprintf(buf, len, "%s:%s", medium_label(el), el->state);
	else if (el->medium[0])
		snprintf(buf, len, "%s", medium_label(el));
	else if (el->home[0])
		snprintf(buf, len, "(%s)", el->home);
	else
		snprintf(buf, len, "-");
}

/* The library's snapshot for one rendering; -ENOENT when it has gone. */
static int map_load(const struct node *n, struct rsm_library_map *m)
{
	rsm_err e = rsm_library_map(fs_global.eng, n->obj, m);

	return e == ERROR_SUCCESS ? 0 : e == ERROR_NOT_ENOUGH_MEMORY ? -ENOMEM : -ENOENT;
}

/* ---- map: text ---- */

/* The drives as a table: name, state, cartridge, session; columns as wide as their longest. */
static void text_drives(FILE *f, const struct rsm_library_map *m)
{
	int wn = (int)strlen("drive"), ws = (int)strlen("state"), wm = (int)strlen("medium");

	for (size_t i = 0; i < m->ndrives; i++) {
		const struct rsm_map_element *d = &m->drives[i];
		wn = max_int(wn, (int)strlen(d->drive));
		ws = max_int(ws, (int)strlen(d->state));
		wm = max_int(wm, (int)strlen(medium_label(d)));
	}
	fprintf(f, "%-*s  %-*s  %-*s  session\n", wn, "drive", ws, "state", wm, "medium");
	for (size_t i = 0; i < m->ndrives; i++) {
		const struct rsm_map_element *d = &m->drives[i];
		fprintf(f, "%-*s  %-*s  %-*s  %s\n", wn, d->drive, ws, d->state, wm,
			d->medium[0] ? medium_label(d) : "-", d->session[0] ? d->session : "-");
	}
}

/* Slots or ports as a grid of "<address> <what it holds>" cells, as many to a row as fit in
 * TEXT_COLUMNS. */
static void text_places(FILE *f, const struct rsm_map_element *el, size_t n, bool port)
{
	char cell[2 * RSM_NAME_MAX + 32];
	int wa = snprintf(NULL, 0, "%zu", n ? n - 1 : 0), wc = 1;

	for (size_t i = 0; i < n; i++) {
		place_text(&el[i], port, cell, sizeof(cell));
		wc = max_int(wc, (int)strlen(cell));
	}
	int per_row = max_int(1, (TEXT_COLUMNS + 2) / (wa + 1 + wc + 2));
	for (size_t i = 0; i < n; i++) {
		bool last = (i + 1) % (size_t)per_row == 0 || i + 1 == n;
		place_text(&el[i], port, cell, sizeof(cell));
		/* the last cell of a row is not padded: no trailing blanks */
		fprintf(f, "%*d %-*s%s", wa, el[i].address, last ? 0 : wc, cell,
			last ? "\n" : "  ");
	}
}

/* map: the library in text, drives first, then slots and ports, then the legend. */
int render_map_text(const union object_info *o, const struct node *n, FILE *f)
{
	struct rsm_library_map m;
	int rc = map_load(n, &m);

	(void)o;
	if (rc)
		return rc;
	fprintf(f, "library %s (%s, %s): %s, door %s; slots %zu, ports %zu, drives %zu\n",
		m.info.name, m.info.type, m.info.backend, m.info.state, m.info.door, m.nslots,
		m.nports, m.ndrives);
	fputs("\n", f);
	text_drives(f, &m);
	if (m.nslots) {
		fputs("\nslots\n", f);
		text_places(f, m.slots, m.nslots, false);
	}
	if (m.nports) {
		fputs("\nports\n", f);
		text_places(f, m.ports, m.nports, true);
	}
	fputs("\n- empty;  (M) empty, the home of medium M;  M:state  M is not at rest\n", f);
	rsm_library_map_free(&m);
	return 0;
}

/* ---- map.svg: a picture ---- */

#define MARGIN 16
#define GAP 8
#define TITLE_H 28   /* the title line */
#define HEADING_H 22 /* "drives", "slots", "ports" */
#define CELL_W 112   /* a slot or a port */
#define CELL_H 44
#define DRIVE_W 232 /* a drive */
#define DRIVE_H 66
#define MIN_COLUMNS 8 /* slots to a row: at least this many, more for a large library */

/* The fill of a drive in each state (the order of rsm_drive_state_names). */
static const char *const drive_fill[RSM_DRIVE_NSTATES] = {
    "#eeeeee", /* empty */
    "#fff2cc", /* loading */
    "#b6d7a8", /* mounted */
    "#d9ead3", /* dismountable */
    "#fff2cc", /* unloading */
    "#cfe2f3", /* cleaning */
    "#cccccc", /* disabled */
    "#f4cccc", /* failed */
};

/* How a slot or port is drawn, by what it holds. */
enum place_look { LOOK_EMPTY, LOOK_HOME, LOOK_FULL, LOOK_BUSY };
static const struct {
	const char *fill, *stroke, *dash, *text;
} looks[] = {
    [LOOK_EMPTY] = {"#ffffff", "#999999", "none", "#999999"},
    [LOOK_HOME] = {"#ffffff", "#3d6b99", "4 3", "#7f7f7f"},
    [LOOK_FULL] = {"#cfe2f3", "#3d6b99", "none", "#000000"},
    [LOOK_BUSY] = {"#fce5cd", "#b45f06", "none", "#000000"},
};

/* Text for an SVG document: the five characters XML reserves as entities. */
static void xml_text(FILE *f, const char *s)
{
	static const char *const entities[256] = {
	    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;"};

	for (; *s; s++) {
		const char *e = entities[(unsigned char)*s];
		if (e)
			fputs(e, f);
		else
			fputc(*s, f);
	}
}

/* One line of text at (x, y): size in pixels, fill, bold or not; the text escaped. */
static void svg_text(FILE *f, int x, int y, int size, const char *fill, bool bold, const char *s)
{
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-family=\"monospace\" font-size=\"%d\" fill=\"%s\"%s>",
		x, y, size, fill, bold ? " font-weight=\"bold\"" : "");
	xml_text(f, s);
	fputs("</text>\n", f);
}

/* The look of a slot or port. */
static enum place_look place_look(const struct rsm_map_element *el, bool port)
{
	if (!el->medium[0])
		return el->home[0] ? LOOK_HOME : LOOK_EMPTY;
	return strcmp(el->state, usual_state[port]) == 0 ? LOOK_FULL : LOOK_BUSY;
}

/* A grid of slots or ports from y, cols to a row: each its address, its cartridge (and that
 * cartridge's state when not at rest), or the medium whose home it is; returns the y below. */
static int svg_places(FILE *f, int y, int cols, const char *heading,
		      const struct rsm_map_element *el, size_t n, bool port)
{
	char addr[32];

	svg_text(f, MARGIN, y + 15, 14, "#000000", true, heading);
	y += HEADING_H;
	for (size_t i = 0; i < n; i++) {
		int x = MARGIN + (int)(i % (size_t)cols) * (CELL_W + GAP);
		int top = y + (int)(i / (size_t)cols) * (CELL_H + GAP);
		enum place_look k = place_look(&el[i], port);
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\" "
			"stroke=\"%s\" stroke-dasharray=\"%s\"/>\n",
			x, top, CELL_W, CELL_H, looks[k].fill, looks[k].stroke, looks[k].dash);
		snprintf(addr, sizeof(addr), "%s %d%s", port ? "port" : "slot", el[i].address,
			 k == LOOK_HOME ? " (home)" : "");
		svg_text(f, x + 6, top + 14, 10, "#555555", false, addr);
		if (el[i].medium[0])
			svg_text(f, x + 6, top + 31, 13, looks[k].text, true, medium_label(&el[i]));
		else if (el[i].home[0])
			svg_text(f, x + 6, top + 31, 12, looks[k].text, false, el[i].home);
		if (k == LOOK_BUSY)
			svg_text(f, x + 6, top + 41, 9, "#b45f06", false, el[i].state);
	}
	return y + (int)((n + (size_t)cols - 1) / (size_t)cols) * (CELL_H + GAP);
}

/* The drives from y, cols to a row: name and state, cartridge, the session holding it; returns
 * the y below. */
static int svg_drives(FILE *f, int y, int cols, const struct rsm_library_map *m)
{
	char line[2 * RSM_NAME_MAX + 32];

	svg_text(f, MARGIN, y + 15, 14, "#000000", true, "drives");
	y += HEADING_H;
	for (size_t i = 0; i < m->ndrives; i++) {
		const struct rsm_map_element *d = &m->drives[i];
		int x = MARGIN + (int)(i % (size_t)cols) * (DRIVE_W + GAP);
		int top = y + (int)(i / (size_t)cols) * (DRIVE_H + GAP);
		int k = 0;
		while (k < RSM_DRIVE_NSTATES && strcmp(rsm_drive_state_names[k], d->state) != 0)
			k++;
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" "
			"stroke=\"#555555\"/>\n",
			x, top, DRIVE_W, DRIVE_H,
			k < RSM_DRIVE_NSTATES ? drive_fill[k] : "#ffffff");
		snprintf(line, sizeof(line), "%s  %s", d->drive, d->state);
		svg_text(f, x + 8, top + 17, 12, "#000000", true, line);
		svg_text(f, x + 8, top + 36, 13, "#000000", true,
			 d->medium[0] ? medium_label(d) : "-");
		if (d->session[0]) {
			snprintf(line, sizeof(line), "session %s", d->session);
			svg_text(f, x + 8, top + 55, 11, "#333333", false, line);
		}
	}
	return y + (int)((m->ndrives + (size_t)cols - 1) / (size_t)cols) * (DRIVE_H + GAP);
}

/* map.svg: an SVG 1.1 document whose size follows the library's: drives on top, then the
 * slots in rows, then the ports. */
int render_map_svg(const union object_info *o, const struct node *n, FILE *f)
{
	struct rsm_library_map m;
	char title[4 * RSM_NAME_MAX];
	int rc = map_load(n, &m);

	(void)o;
	if (rc)
		return rc;
	int most = (int)(m.nslots > m.nports ? m.nslots : m.nports), wide = 1;
	/* a large library's grid: about 1.5 times as wide as high, cells being 120 by 52 */
	while (3 * wide * wide < 2 * most)
		wide++;
	int cols = max_int(most < MIN_COLUMNS ? max_int(most, 1) : MIN_COLUMNS, wide);
	int inner = max_int(max_int(cols * (CELL_W + GAP) - GAP, DRIVE_W), 400);
	int dcols = (inner + GAP) / (DRIVE_W + GAP);
	size_t drows = (m.ndrives + (size_t)dcols - 1) / (size_t)dcols;
	size_t rows = (m.nslots + (size_t)cols - 1) / (size_t)cols;
	size_t prows = (m.nports + (size_t)cols - 1) / (size_t)cols;
	int width = 2 * MARGIN + inner;
	int height = MARGIN + TITLE_H + HEADING_H + (int)drows * (DRIVE_H + GAP) +
		     (m.nslots ? HEADING_H + (int)rows * (CELL_H + GAP) : 0) +
		     (m.nports ? HEADING_H + (int)prows * (CELL_H + GAP) : 0) + MARGIN;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		width, height, width, height);
	snprintf(title, sizeof(title), "library %s (%s, %s): %s, door %s", m.info.name, m.info.type,
		 m.info.backend, m.info.state, m.info.door);
	fputs("<title>", f);
	xml_text(f, title);
	fputs("</title>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width,
		height);
	svg_text(f, MARGIN, MARGIN + 16, 16, "#000000", true, title);
	int y = MARGIN + TITLE_H;
	y = svg_drives(f, y, dcols, &m);
	if (m.nslots)
		y = svg_places(f, y, cols, "slots", m.slots, m.nslots, false);
	if (m.nports)
		svg_places(f, y, cols, "ports", m.ports, m.nports, true);
	fputs("</svg>\n", f);
	rsm_library_map_free(&m);
	return 0;
}
