/* fuzz_json.c: libFuzzer target for http_json_parse(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is the body, on an exact-size buffer (no NUL after it). A
 * success must leave only UTF-8 fields within the cap. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_fields f = {0};
	size_t i;
	enum err e;

	e = http_json_parse((const char *)data, size, 64, &f);
	if (e == ERR_OK) {
		if (f.n > 64)
			abort();
		for (i = 0; i < f.n; i++)
			if (!http_utf8_valid(f.v[i].name,
			                     strlen(f.v[i].name)) ||
			    !http_utf8_valid(f.v[i].value,
			                     strlen(f.v[i].value)))
				abort();
	}
	http_fields_clear(&f);
	return 0;
}
