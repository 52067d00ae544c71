/* json.c: the application/json body decoder, through cJSON. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "http.h"
#include "internal.h"

/*
 * Whether s[0..n) holds a "\u0000" escape. cJSON decodes it to a NUL byte
 * and hands back a string that silently ends there, so the raw text is
 * checked instead. Only called on text cJSON accepted, where a backslash
 * can only start an escape inside a string: walking escape by escape
 * (the byte after each backslash is skipped) is then exact, and an
 * escaped backslash followed by "u0000" is not mistaken for one. Any
 * string of the document counts, members that are skipped included.
 */
static bool
has_nul_escape(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && n - i >= 6 &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return true;
		i++;
	}
	return false;
}

/* Wipe every string value of the tree: they may be passwords. */
static void
wipe(cJSON *item)
{
	for (; item != NULL; item = item->next) {
		if (cJSON_IsString(item) && item->valuestring != NULL)
			explicit_bzero(item->valuestring,
			               strlen(item->valuestring));
		wipe(item->child);
	}
}

/*
 * RFC 8259 through cJSON_ParseWithLengthOpts on a NUL-terminated copy
 * (cJSON is given the copy's exact length and must end at its NUL, so
 * it never reads past the body and trailing garbage is refused). A raw
 * NUL byte is refused before parsing (ERR_ENCODING): cJSON would stop
 * there. cJSON does not tell an allocation failure from a syntax error;
 * both are ERR_INVAL. Duplicate member names all become fields, so the
 * first one is what http_fields_get() returns.
 */
enum err
http_json_parse(const char *buf, size_t len, size_t max_fields,
                struct http_fields *out)
{
	char *copy = NULL;
	cJSON *root = NULL;
	const cJSON *it;
	size_t count = 0;
	enum err e = ERR_INVAL;

	if (len == 0)
		goto out;
	if (memchr(buf, '\0', len) != NULL) {
		e = ERR_ENCODING;
		goto out;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	root = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	if (root == NULL || !cJSON_IsObject(root))
		goto out;
	if (has_nul_escape(buf, len)) {
		e = ERR_ENCODING;
		goto out;
	}
	for (it = root->child; it != NULL; it = it->next) {
		if (!cJSON_IsString(it) || it->valuestring == NULL ||
		    it->string == NULL)
			continue;
		if (count >= max_fields) {
			e = ERR_TOO_MANY;
			goto out;
		}
		if (!http_text_ok(it->string, strlen(it->string)) ||
		    !http_text_ok(it->valuestring, strlen(it->valuestring))) {
			e = ERR_ENCODING;
			goto out;
		}
		if ((e = http_fields_add(out, it->string, strlen(it->string),
		                         it->valuestring,
		                         strlen(it->valuestring))) != ERR_OK)
			goto out;
		count++;
	}
	e = ERR_OK;
out:
	if (root != NULL) {
		wipe(root);
		cJSON_Delete(root);
	}
	http_free_wiped(copy, len);
	return e;
}
