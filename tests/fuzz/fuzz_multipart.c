/* fuzz_multipart.c: libFuzzer target for http_multipart_parse(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is "<Content-Type>\n<body>": the Content-Type line (the
 * boundary parameter with it) is explored along with the body, which
 * stays on an exact-size buffer. Without a newline the whole input is
 * the body under a fixed boundary. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fixed[] = "multipart/form-data; boundary=XyZ";
	const uint8_t *nl;
	struct http_fields f = {0};
	char *ct = NULL, *body = NULL;
	size_t ct_len, body_len, i;
	enum err e;

	if ((nl = memchr(data, '\n', size)) != NULL) {
		ct_len = (size_t)(nl - data);
		if ((ct = malloc(ct_len + 1)) == NULL)
			goto out;
		memcpy(ct, data, ct_len);
		ct[ct_len] = '\0';
		body_len = size - ct_len - 1;
	} else
		body_len = size;
	if ((body = malloc(body_len > 0 ? body_len : 1)) == NULL)
		goto out;
	memcpy(body, data + (size - body_len), body_len);
	e = http_multipart_parse(body, body_len, ct != NULL ? ct : fixed, 64,
	                         &f);
	if (e == ERR_OK) {
		if (f.n > 64)
			abort();
		for (i = 0; i < f.n; i++)
			if (!http_utf8_valid(f.v[i].value,
			                     strlen(f.v[i].value)))
				abort();
	}
	http_fields_clear(&f);
out:
	free(body);
	free(ct);
	return 0;
}
