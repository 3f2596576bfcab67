/* rsm_error.c - names, texts and errno values of the RSM error codes. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "rsm_error.h"

struct rsm_error_entry {
	rsm_err value;
	int errno_value;
	const char *name;
	const char *text;
};

static const struct rsm_error_entry error_table[] = {
#define RSM_ERROR_ROW(name, value, errno_value, text) {value, errno_value, #name, text},
    RSM_ERRORS(RSM_ERROR_ROW)
#undef RSM_ERROR_ROW
};

/* What a per-user limit shows: RSM's own error, the errno that says "your quota". */
static const struct rsm_error_entry user_limit = {
    ERROR_NOT_ENOUGH_MEMORY, EDQUOT, "ERROR_NOT_ENOUGH_MEMORY", "a per-user limit is reached"};

static const struct rsm_error_entry *error_find(rsm_err err)
{
	if (err == RSM_ERROR_USER_LIMIT)
		return &user_limit;
	for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if (error_table[i].value == err)
			return &error_table[i];
	return NULL;
}

const char *rsm_error_name(rsm_err err)
{
	const struct rsm_error_entry *e = error_find(err);
	return e ? e->name : "ERROR_UNKNOWN";
}

const char *rsm_error_text(rsm_err err)
{
	const struct rsm_error_entry *e = error_find(err);
	return e ? e->text : "unknown error";
}

int rsm_error_errno(rsm_err err)
{
	const struct rsm_error_entry *e = error_find(err);
	return e ? e->errno_value : EIO;
}

rsm_err rsm_error_number(rsm_err err)
{
	const struct rsm_error_entry *e = error_find(err);
	return e ? e->value : err;
}
