/* fuzz_cookie.c: libFuzzer target for http_cookie_get(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is "<name>\n<header>" (no newline: the header alone, looked
 * up for session_id). Both become C strings, cut at a NUL as getenv()
 * would cut them. A found value must not be longer than the header. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	const char *name, *header;
	char *buf, *v = NULL;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((nl = memchr(data, '\n', size)) != NULL) {
		name = buf;
		buf[nl - data] = '\0';
		header = buf + (nl - data) + 1;
	} else {
		name = "session_id";
		header = buf;
	}
	if (http_cookie_get(header, name, &v) == ERR_OK) {
		if (v == NULL || strlen(v) > strlen(header))
			abort();
		free(v);
	}
	free(buf);
	return 0;
}
