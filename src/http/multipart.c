/* multipart.c: the multipart/form-data body decoder (RFC 7578). */
#include <string.h>

#include "http.h"
#include "internal.h"

#define MP_BOUNDARY_MAX 70   /* RFC 2046 section 5.1.1 */
#define MP_HEADER_MAX   8192 /* bytes of one part's header block */

/* True for an RFC 2046 bchars byte (space included). */
static bool
is_bchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The parameter list "*( OWS ";" OWS name "=" value )" of a media type
 * (RFC 9110 section 5.6.6) or a Content-Disposition (RFC 6266 section
 * 4.1) in s[0..n): copy the value of the first parameter called want
 * (compared without case), unquoted, into out (outsz bytes with its NUL)
 * and its length to *out_len. A value is a token or a quoted-string
 * whose quoted-pairs are unescaped. Empty parameters (";;") and OWS
 * around "=" are tolerated. ERR_NOT_FOUND when absent; ERR_INVAL on a
 * syntax error before the match or a value that does not fit. The
 * RFC 8187 "name*" form is not decoded (RFC 7578 section 4.2 forbids it).
 */
static enum err
param_get(const char *s, size_t n, const char *want, char *out, size_t outsz,
          size_t *out_len)
{
	size_t i = 0, ns, vs, o;
	bool match;
	char c;
	enum err e = ERR_INVAL;

	for (;;) {
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n) {
			e = ERR_NOT_FOUND;
			goto out;
		}
		if (s[i++] != ';')
			goto out;
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n || s[i] == ';')
			continue;
		for (ns = i; i < n && http_is_tchar((unsigned char)s[i]); i++)
			;
		if (i == ns)
			goto out;
		match = http_word_eq(s + ns, i - ns, want);
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n || s[i++] != '=')
			goto out;
		while (i < n && is_ows(s[i]))
			i++;
		o = 0;
		if (i < n && s[i] == '"') {
			for (i++;;) {
				if (i == n)
					goto out;
				if ((c = s[i++]) == '"')
					break;
				if (c == '\\') {
					if (i == n)
						goto out;
					c = s[i++];
				}
				if (match && o + 1 >= outsz)
					goto out;
				if (match)
					out[o++] = c;
			}
		} else {
			for (vs = i;
			     i < n && http_is_tchar((unsigned char)s[i]); i++)
				;
			if (i == vs || (match && i - vs >= outsz))
				goto out;
			o = i - vs;
			if (match)
				memcpy(out, s + vs, o);
		}
		if (match) {
			out[o] = '\0';
			*out_len = o;
			e = ERR_OK;
			goto out;
		}
	}
out:
	return e;
}

/* The boundary parameter of content_type, checked against RFC 2046's
 * grammar (1 to 70 bchars, not ending in a space), into b. */
static enum err
boundary_get(const char *content_type, char b[MP_BOUNDARY_MAX + 1],
             size_t *blen)
{
	size_t i, start;
	enum err e;

	start = strcspn(content_type, ";");
	e = param_get(content_type + start, strlen(content_type + start),
	              "boundary", b, MP_BOUNDARY_MAX + 1, blen);
	if (e != ERR_OK) {
		e = ERR_INVAL;
		goto out;
	}
	if (*blen == 0 || b[*blen - 1] == ' ') {
		e = ERR_INVAL;
		goto out;
	}
	for (i = 0; i < *blen; i++)
		if (!is_bchar((unsigned char)b[i])) {
			e = ERR_INVAL;
			goto out;
		}
out:
	return e;
}

/* The index of the next "--boundary" (dash[0..dlen)) that starts a line
 * after from, or len when there is none. */
static size_t
find_delim(const char *buf, size_t len, size_t from, const char *dash,
           size_t dlen)
{
	const char *nl;
	size_t i = from;

	while (i < len) {
		if ((nl = memchr(buf + i, '\n', len - i)) == NULL)
			break;
		i = (size_t)(nl - buf) + 1;
		if (len - i >= dlen && memcmp(buf + i, dash, dlen) == 0)
			return i;
	}
	return len;
}

/* Content-Disposition: "form-data" then parameters, the name required. */
static enum err
disposition(const char *s, size_t n, char *name, size_t namesz,
            size_t *name_len)
{
	size_t i = 0, ts;
	enum err e = ERR_INVAL;

	while (i < n && is_ows(s[i]))
		i++;
	for (ts = i; i < n && http_is_tchar((unsigned char)s[i]); i++)
		;
	if (!http_word_eq(s + ts, i - ts, "form-data"))
		goto out;
	if ((e = param_get(s + i, n - i, "name", name, namesz, name_len)) ==
	    ERR_NOT_FOUND)
		e = ERR_INVAL;
out:
	return e;
}

/*
 * One part's header lines from *pos through the empty line that ends
 * them, at most MP_HEADER_MAX bytes; lines end in CRLF or a bare LF.
 * The name comes from the first Content-Disposition (required); other
 * headers (Content-Type, the filename parameter) are ignored, so a file
 * part is one more field. On success *pos is the first content byte.
 */
static enum err
part_headers(const char *buf, size_t len, size_t *pos, char *name,
             size_t namesz, size_t *name_len)
{
	const char *nl, *colon, *line;
	size_t p = *pos, ll, lim;
	bool found = false;
	enum err e = ERR_INVAL;

	for (;;) {
		if (p - *pos >= MP_HEADER_MAX)
			goto out;
		lim = len - p;
		if (lim > MP_HEADER_MAX - (p - *pos))
			lim = MP_HEADER_MAX - (p - *pos);
		if ((nl = memchr(buf + p, '\n', lim)) == NULL)
			goto out;
		line = buf + p;
		ll = (size_t)(nl - line);
		p += ll + 1;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		if ((colon = memchr(line, ':', ll)) == NULL)
			goto out;
		if (!found && http_word_eq(line, (size_t)(colon - line),
		                           "content-disposition")) {
			if ((e = disposition(colon + 1,
			                     ll - (size_t)(colon + 1 - line),
			                     name, namesz, name_len)) != ERR_OK)
				goto out;
			e = ERR_INVAL;
			found = true;
		}
	}
	if (!found)
		goto out;
	*pos = p;
	e = ERR_OK;
out:
	return e;
}

/*
 * RFC 7578 on RFC 2046 section 5.1.1: an optional preamble, then parts
 * each opened by a delimiter line "--boundary" (transport padding
 * allowed), the part's headers, an empty line and the content up to the
 * CRLF of the next delimiter; "--boundary--" closes the body and what
 * follows it (the epilogue) is ignored. A body that ends before the
 * closing delimiter is ERR_INVAL. Deliberately skipped: nested
 * multipart/mixed, Content-Transfer-Encoding (RFC 7578 section 4.7
 * deprecates it), the _charset_ field; every value must be UTF-8.
 */
enum err
http_multipart_parse(const char *buf, size_t len, const char *content_type,
                     size_t max_fields, struct http_fields *out)
{
	char dash[2 + MP_BOUNDARY_MAX + 1];
	char name[MP_HEADER_MAX];
	size_t blen, dlen, d, pos, start, end, name_len, count = 0;
	enum err e = ERR_INVAL;

	if (content_type == NULL)
		goto out;
	if ((e = boundary_get(content_type, dash + 2, &blen)) != ERR_OK)
		goto out;
	dash[0] = dash[1] = '-';
	dlen = blen + 2;
	e = ERR_INVAL;
	if (len >= dlen && memcmp(buf, dash, dlen) == 0)
		d = 0;
	else if ((d = find_delim(buf, len, 0, dash, dlen)) == len)
		goto out;
	for (;;) {
		e = ERR_INVAL;
		pos = d + dlen;
		while (pos < len && is_ows(buf[pos]))
			pos++;
		if (len - pos >= 2 && buf[pos] == '-' && buf[pos + 1] == '-')
			break;
		if (pos < len && buf[pos] == '\r')
			pos++;
		if (pos >= len || buf[pos] != '\n')
			goto out;
		pos++;
		if (count >= max_fields) {
			e = ERR_TOO_MANY;
			goto out;
		}
		if ((e = part_headers(buf, len, &pos, name, sizeof(name),
		                      &name_len)) != ERR_OK)
			goto out;
		e = ERR_INVAL;
		start = pos;
		if ((d = find_delim(buf, len, start, dash, dlen)) == len)
			goto out;
		end = d - 1;
		if (end > start && buf[end - 1] == '\r')
			end--;
		if (!http_text_ok(name, name_len) ||
		    !http_text_ok(buf + start, end - start)) {
			e = ERR_ENCODING;
			goto out;
		}
		if ((e = http_fields_add(out, name, name_len, buf + start,
		                         end - start)) != ERR_OK)
			goto out;
		count++;
	}
	e = ERR_OK;
out:
	explicit_bzero(name, sizeof(name));
	return e;
}
