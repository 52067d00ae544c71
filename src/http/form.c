/* form.c: the application/x-www-form-urlencoded body decoder. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "internal.h"

/* The value of hex digit c, or -1. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into dst (room for n bytes), "+" as a space, and
 * check the result (http_text_ok). Unlike the WHATWG algorithm, which
 * passes a malformed escape through as text, a "%" not followed by two
 * hex digits is refused: it is never what a browser or requests sends.
 */
static enum err
decode(const char *s, size_t n, char *dst, size_t *dst_len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			dst[o++] = ' ';
		else if (s[i] != '%')
			dst[o++] = s[i];
		else {
			if (n - i < 3 ||
			    (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				return ERR_ENCODING;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	if (!http_text_ok(dst, o))
		return ERR_ENCODING;
	*dst_len = o;
	return ERR_OK;
}

/*
 * WHATWG URL Standard, "application/x-www-form-urlencoded parsing": split
 * on "&", skip empty sequences, split each at its first "=" (none: the
 * whole sequence is the name and the value is empty), decode both.
 * Deliberately skipped: the lenient handling of malformed escapes (an
 * error here) and the replacement of invalid UTF-8 by U+FFFD (an error
 * here too). Names and values are decoded into one scratch buffer as
 * large as the body, wiped after use since values hold passwords.
 */
enum err
http_form_parse(const char *buf, size_t len, size_t max_fields,
                struct http_fields *out)
{
	const char *seq, *amp, *eq, *value;
	char *scratch = NULL;
	size_t seq_len, name_raw, value_raw, name_len, value_len, count = 0;
	enum err e = ERR_OK;

	if (len == 0)
		goto out;
	if ((scratch = malloc(len)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	seq = buf;
	for (;;) {
		amp = memchr(seq, '&', (size_t)(buf + len - seq));
		seq_len = amp != NULL ? (size_t)(amp - seq)
		                      : (size_t)(buf + len - seq);
		if (seq_len > 0) {
			if (count >= max_fields) {
				e = ERR_TOO_MANY;
				goto out;
			}
			eq = memchr(seq, '=', seq_len);
			name_raw = eq != NULL ? (size_t)(eq - seq) : seq_len;
			value = eq != NULL ? eq + 1 : seq + seq_len;
			value_raw = (size_t)(seq + seq_len - value);
			if ((e = decode(seq, name_raw, scratch, &name_len)) !=
			    ERR_OK)
				goto out;
			if ((e = decode(value, value_raw, scratch + name_len,
			                &value_len)) != ERR_OK)
				goto out;
			if ((e = http_fields_add(out, scratch, name_len,
			                         scratch + name_len,
			                         value_len)) != ERR_OK)
				goto out;
			count++;
		}
		if (amp == NULL)
			break;
		seq = amp + 1;
	}
out:
	http_free_wiped(scratch, len);
	return e;
}
