/* internal.h: helpers shared by the files of the http layer only; not part
 * of its contract (other layers include http.h, never this). */
#ifndef AUTHCGI_HTTP_INTERNAL_H
#define AUTHCGI_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* True for an RFC 9110 tchar: ALPHA, DIGIT or one of "!#$%&'*+-.^_`|~". */
bool http_is_tchar(unsigned char c);

/* True when s[0..n) may become a field name or value: no NUL byte and
 * well-formed UTF-8. */
bool http_text_ok(const char *s, size_t n);

/* True when s[0..n) equals the NUL-terminated lower-case word, ignoring
 * the case of ASCII letters in s. */
bool http_word_eq(const char *s, size_t n, const char *word);

/* Wipe the first n bytes of p, then free it; NULL is a no-op. For what may
 * carry a password or a token: bodies, field values, cookies, headers. */
void http_free_wiped(void *p, size_t n);

/* http_free_wiped for a NUL-terminated string. */
void http_free_wiped_str(char *s);

#endif
