/* fuzz_element_status.c - libFuzzer target: the SMC-3 reply parsers (engine/smc.c).
 *
 * The input is what a changer answers to READ ELEMENT STATUS (the first byte picks which
 * parser also sees it: mode page 0x1D, INQUIRY, VPD serial, REPORT LUNS, sense).  A changer is
 * outside rsmfs's control: whatever it sends, the parsers stay inside the bytes received and
 * give back descriptors whose fields are within their own bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "smc.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smc_element el[64];
	int n;

	/* a copy of exactly size bytes, so AddressSanitizer sees any read past the reply */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	n = smc_parse_element_status(buf, size, el, 64);
	CHECK(n >= -1 && n <= 64);
	for (int i = 0; i < n; i++) {
		CHECK(el[i].type >= SMC_ELEMENT_TRANSPORT && el[i].type <= SMC_ELEMENT_DRIVE);
		CHECK(memchr(el[i].voltag, '\0', sizeof(el[i].voltag)));
		CHECK(memchr(el[i].ident, '\0', sizeof(el[i].ident)));
	}

	struct smc_layout lay;
	if (smc_parse_layout(buf, size, &lay) == 0) {
		uint16_t first, count;
		smc_layout_range(&lay, SMC_ELEMENT_STORAGE, &first, &count);
	}
	struct scsi_inquiry inq;
	(void)scsi_parse_inquiry(buf, size, &inq);
	char serial[64];
	if (scsi_parse_serial(buf, size, serial, sizeof(serial)) == 0)
		CHECK(memchr(serial, '\0', sizeof(serial)));
	uint16_t luns[32];
	n = scsi_parse_report_luns(buf, size, luns, 32);
	CHECK(n >= -1 && n <= 32);
	struct scsi_sense sense;
	char text[160];
	scsi_parse_sense(buf, size, &sense);
	(void)scsi_sense_error(&sense, text, sizeof(text));
	CHECK(memchr(text, '\0', sizeof(text)));
	free(buf);
	return 0;
}
