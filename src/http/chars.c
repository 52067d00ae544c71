/* chars.c: character classes shared by the http parsers and builders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "internal.h"

/* RFC 9110 section 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*"
 * / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA; one bit
 * per byte value. */
static const uint32_t tchars[8] = {
    0x00000000, /* 0x00-0x1f: controls */
    0x03ff6cfa, /* 0x20-0x3f: ! # $ % & ' * + - . 0-9 */
    0xc7fffffe, /* 0x40-0x5f: A-Z ^ _ */
    0x57ffffff, /* 0x60-0x7f: ` a-z | ~ */
    0,          0, 0, 0,
};

bool
http_is_tchar(unsigned char c)
{
	return (tchars[c >> 5] >> (c & 31)) & 1;
}

bool
http_text_ok(const char *s, size_t n)
{
	if (n > 0 && memchr(s, '\0', n) != NULL)
		return false;
	return http_utf8_valid(s, n);
}

bool
http_word_eq(const char *s, size_t n, const char *word)
{
	size_t i;
	unsigned char c;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)word[i])
			return false;
	}
	return true;
}

void
http_free_wiped(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}

void
http_free_wiped_str(char *s)
{
	if (s != NULL)
		http_free_wiped(s, strlen(s));
}
