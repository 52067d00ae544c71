/* accept.c: content negotiation on the Accept header (RFC 9110 section
 * 12.5.1). Only what choosing between two media types needs: ranges,
 * their specificity and the q parameter; other parameters are ignored. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* How specifically a range names type: 3 exact, 2 "type/ *", 1 "* / *",
 * 0 not at all. */
static int
specificity(const char *range, size_t len, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t major = slash != NULL ? (size_t)(slash - type) : strlen(type);

	if (len == strlen(type) && strncasecmp(range, type, len) == 0)
		return 3;
	if (len == major + 2 && strncasecmp(range, type, major) == 0 &&
	    strncmp(range + major, "/*", 2) == 0)
		return 2;
	if (len == 3 && strncmp(range, "*/*", 3) == 0)
		return 1;
	return 0;
}

/* The q value in the parameters p[0..n), in thousandths; 1000 when
 * absent, -1 when malformed. */
static int
quality(const char *p, size_t n)
{
	const char *end = p + n, *q;
	int v = 1000, scale = 100;

	for (q = p; q < end; q++) {
		if ((*q != 'q' && *q != 'Q') || q + 1 >= end || q[1] != '=')
			continue;
		if (q != p && q[-1] != ';' && q[-1] != ' ' && q[-1] != '\t')
			continue;
		q += 2;
		if (q >= end || (*q != '0' && *q != '1'))
			return -1;
		v = (*q - '0') * 1000;
		if (++q < end && *q == '.')
			for (q++;
			     q < end && *q >= '0' && *q <= '9' && scale > 0;
			     q++, scale /= 10)
				v += (*q - '0') * scale;
		return v > 1000 ? -1 : v;
	}
	return v;
}

/* The quality the header gives type: that of its most specific range. */
static int
quality_of(const char *accept, const char *type)
{
	const char *p = accept;
	int best_spec = 0, best_q = 0;

	while (*p != '\0') {
		size_t elem = strcspn(p, ","), rlen;
		const char *r = p;
		int spec, q;

		while (elem > 0 && (*r == ' ' || *r == '\t')) {
			r++;
			elem--;
		}
		rlen = strcspn(r, ";,");
		while (rlen > 0 && (r[rlen - 1] == ' ' || r[rlen - 1] == '\t'))
			rlen--;
		spec = specificity(r, rlen, type);
		if (spec > best_spec &&
		    (q = quality(r + rlen, elem - (size_t)(rlen))) >= 0) {
			best_spec = spec;
			best_q = q;
		}
		p = r + elem;
		if (*p == ',')
			p++;
	}
	return best_q;
}

bool
http_accept_prefers(const char *accept, const char *a, const char *b)
{
	if (accept == NULL || *accept == '\0')
		return false;
	return quality_of(accept, a) > quality_of(accept, b);
}
