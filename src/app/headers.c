/* headers.c: the headers every answer carries, and the two cookies the
 * service sets (the session and the anti-forgery token). */
#include <string.h>
#include <strings.h>

#include "internal.h"

/* A cookie's path: AUTHCGI_COOKIE_PATH, or the mount point; "/" for a
 * __Host- cookie, which must have Path=/ (RFC 6265bis 4.1.3.2), and at
 * the site root. */
static const char *
cookie_path(const struct call *c)
{
	const struct app_settings *set = &c->app->set;

	if (set->hardened && set->cookie_domain == NULL)
		return "/";
	if (set->cookie_path != NULL)
		return set->cookie_path;
	return *app_base(c) != '\0' ? app_base(c) : "/";
}

enum err
app_session_cookie(struct call *c, const char *value, long max_age)
{
	struct http_cookie ck;

	memset(&ck, 0, sizeof(ck));
	ck.name = c->app->set.cookie_name;
	ck.value = value;
	ck.path = cookie_path(c);
	ck.domain = c->app->set.cookie_domain;
	ck.max_age = max_age;
	ck.secure = c->app->set.cookie_secure || c->req->https;
	ck.http_only = true;
	ck.same_site = "Lax";
	return http_response_cookie(c->resp, &ck);
}

/* The anti-forgery cookie's name: __Host- bound in the hardened
 * profile. */
const char *
app_form_cookie_name(const struct call *c)
{
	return c->app->set.hardened ? "__Host-form_token" : "form_token";
}

/*
 * The anti-forgery cookie is the pages' own: a form posts back to the
 * host that served it, so the cookie is for that host only, never for
 * AUTHCGI_COOKIE_DOMAIN's. That is also what its __Host- name in the
 * hardened profile requires (no Domain, Path=/): browsers drop such a
 * cookie otherwise, and every form post would be refused.
 */
enum err
app_form_cookie(struct call *c, const char *value)
{
	struct http_cookie ck;

	memset(&ck, 0, sizeof(ck));
	ck.name = app_form_cookie_name(c);
	ck.value = value;
	ck.path = c->app->set.hardened ? "/" : cookie_path(c);
	ck.domain = NULL;
	ck.max_age = -1;
	ck.secure = c->app->set.cookie_secure || c->req->https;
	ck.http_only = true;
	ck.same_site = "Strict";
	return http_response_cookie(c->resp, &ck);
}

/* Does resp have a header called name? */
static bool
has_header(const struct http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return true;
	return false;
}

/* Is the answer JSON (not a page, a style sheet or a redirect)? */
static bool
is_json(const struct http_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, "Content-Type") == 0)
			return strcmp(resp->headers[i].value,
			              "application/json") == 0;
	return false;
}

/* Headers every answer carries: no caching of account data, no type
 * sniffing, no referrer, no framing; JSON answers also forbid any active
 * content and are a download rather than a page if a browser opens one
 * directly. Pages bring their own Content-Security-Policy. */
void
app_common_headers(struct http_response *r, bool https)
{
	static const char *const all[][2] = {
	    {"Cache-Control", "no-store"},
	    {"X-Content-Type-Options", "nosniff"},
	    {"Referrer-Policy", "no-referrer"},
	    {"X-Frame-Options", "DENY"},
	};
	static const char *const json[][2] = {
	    {"Content-Security-Policy",
	     "default-src 'none'; frame-ancestors 'none'"},
	    {"Content-Disposition", "attachment; filename=\"api.json\""},
	};
	bool ok = true;
	size_t i;

	if (r->status == 500)
		return;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ok = ok &&
		     http_response_header(r, all[i][0], all[i][1]) == ERR_OK;
	if (is_json(r))
		for (i = 0; i < sizeof(json) / sizeof(json[0]); i++)
			if (!has_header(r, json[i][0]))
				ok = ok &&
				     http_response_header(r, json[i][0],
				                          json[i][1]) == ERR_OK;
	/* Over HTTPS, tell the browser to stay on it. */
	if (https)
		ok = ok && http_response_header(r, "Strict-Transport-Security",
		                                "max-age=31536000") == ERR_OK;
	if (!ok)
		r->status = 500;
}
