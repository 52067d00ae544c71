/* next.c: where a browser may be sent back to after log-in ("next"):
 * never off-site, whatever the value says. Only two shapes pass: a path
 * on this origin ("/private/x?y"), or an absolute URL whose origin is
 * this one or is listed in AUTHCGI_REDIRECT_ORIGINS. The value is
 * checked as it will be sent (decoded once, as every field is): browsers
 * read "//host", "/\host" and a path with a tab or a line break in it as
 * another host, so any of those is refused, as is anything but printable
 * ASCII. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Longest next followed; a longer one is refused. */
#define NEXT_MAX 2048

/* Is o[0..n) an origin, "http(s)://host[:port]", with nothing else: no
 * user information, no path? */
static bool
origin_shaped(const char *o, size_t n)
{
	size_t scheme, i;

	if (n > 8 && strncasecmp(o, "https://", 8) == 0)
		scheme = 8;
	else if (n > 7 && strncasecmp(o, "http://", 7) == 0)
		scheme = 7;
	else
		return false;
	for (i = scheme; i < n; i++) {
		char c = o[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == ':' || c == '[' || c == ']'))
			return false;
	}
	return n > scheme;
}

bool
app_origin_list_ok(const char *list)
{
	const char *p;
	size_t len;

	for (p = list; p != NULL && *p != '\0'; p += len) {
		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (len > 0 && !origin_shaped(p, len))
			return false;
	}
	return true;
}

/* Is the origin o[0..n) this request's own, or listed? */
static bool
origin_known(const struct call *c, const char *o, size_t n)
{
	const char *list = c->app->set.redirect_origins, *p;
	char own[512];
	size_t len;
	int w;

	if (c->req->host != NULL) {
		w = snprintf(own, sizeof(own), "%s://%s",
		             c->req->https ? "https" : "http", c->req->host);
		if (w > 0 && (size_t)w == n && strncasecmp(own, o, n) == 0)
			return true;
	}
	for (p = list; p != NULL && *p != '\0'; p += len) {
		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (len == n && strncasecmp(p, o, n) == 0)
			return true;
	}
	return false;
}

bool
app_next_ok(const struct call *c, const char *url)
{
	const char *rest;
	size_t i, n;

	if (url == NULL || (n = strlen(url)) == 0 || n > NEXT_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)url[i];

		if (ch < 0x21 || ch > 0x7e || ch == '\\')
			return false;
	}
	if (url[0] == '/')
		return url[1] != '/';
	/* Absolute: scheme://authority, then a path, query or fragment. */
	if ((rest = strstr(url, "://")) == NULL)
		return false;
	rest += 3;
	rest += strcspn(rest, "/?#");
	n = (size_t)(rest - url);
	return origin_shaped(url, n) && origin_known(c, url, n);
}
