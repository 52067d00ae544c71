/* chars.c: character classes shared by the http parsers and builders. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "internal.h"

bool
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
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
