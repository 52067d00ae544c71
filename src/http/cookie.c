/* cookie.c: finding one cookie in a Cookie request header. */
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* True for the optional whitespace around pairs and around "=". */
static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Shrink [*s, *e) past whitespace at both ends. */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_ows(**s))
		(*s)++;
	while (*e > *s && is_ows((*e)[-1]))
		(*e)--;
}

/*
 * RFC 6265 section 5.4 builds the header as "name=value" pairs joined by
 * "; "; section 4.2.1 is the grammar. Parsed leniently, as user agents
 * and the original service do: split on ";", trim spaces and tabs around
 * each pair and around its first "=", skip pairs without "=", remove one
 * pair of surrounding double quotes from the value. Names compare
 * exactly (case-sensitive); the first match wins. Deliberately skipped:
 * checking that names and values are cookie-octets (the caller validates
 * what it looks up) and the RFC 2965 "$Version" attributes.
 */
enum err
http_cookie_get(const char *header, const char *name, char **out)
{
	const char *p, *end, *semi, *eq, *ns, *ne, *vs = NULL, *ve = NULL;
	size_t name_len, len;
	char *copy;
	enum err e = ERR_NOT_FOUND;

	if (name == NULL) {
		e = ERR_INVAL;
		goto out;
	}
	if (header == NULL)
		goto out;
	name_len = strlen(name);
	end = header + strlen(header);
	for (p = header;; p = semi + 1) {
		semi = memchr(p, ';', (size_t)(end - p));
		ne = semi != NULL ? semi : end;
		eq = memchr(p, '=', (size_t)(ne - p));
		if (eq != NULL) {
			ns = p;
			ve = ne;
			vs = eq + 1;
			ne = eq;
			trim(&ns, &ne);
			if ((size_t)(ne - ns) == name_len &&
			    memcmp(ns, name, name_len) == 0)
				break;
		}
		if (semi == NULL)
			goto out;
	}
	trim(&vs, &ve);
	if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
		vs++;
		ve--;
	}
	len = (size_t)(ve - vs);
	if ((copy = malloc(len + 1)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	memcpy(copy, vs, len);
	copy[len] = '\0';
	*out = copy;
	e = ERR_OK;
out:
	return e;
}
