/* safety.c: what keeps other sites from acting for a signed-in browser:
 * the Origin (or Referer) check of every change, the anti-forgery token
 * of our own forms, and the method override those forms need. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "internal.h"

char *
app_cookie_value(const struct call *c, const char *name)
{
	char *v = NULL;

	if (c->req->cookie == NULL ||
	    http_cookie_get(c->req->cookie, name, &v) != ERR_OK)
		return NULL;
	return v;
}

/*
 * The browser's anti-forgery token, put in every form a page shows: the
 * one its cookie holds, or a new one set in a cookie now (SameSite=Strict:
 * never sent with a request that another site starts). A form post whose
 * field matches the cookie comes from one of our pages.
 */
enum err
app_form_token(struct call *c)
{
	char *v;

	if (c->args.form_token != NULL)
		return ERR_OK;
	v = app_cookie_value(c, app_form_cookie_name(c));
	if (v != NULL && auth_token_equal(v, v)) {
		memcpy(c->form_token, v, sizeof(c->form_token));
		free(v);
		c->args.form_token = c->form_token;
		return ERR_OK;
	}
	free(v);
	auth_random_token(c->app->auth, c->form_token);
	c->args.form_token = c->form_token;
	return app_form_cookie(c, c->form_token);
}

/* Is the request's body a form (the only kind that may carry _method)? */
static bool
is_form(const struct http_request *req)
{
	const char *t = req->content_type;

	return t != NULL &&
	       (strncasecmp(t, "application/x-www-form-urlencoded", 33) == 0 ||
	        strncasecmp(t, "multipart/form-data", 19) == 0);
}

bool
app_method_override(struct call *c)
{
	const char *m;
	enum err e;

	if (c->req->method != HTTP_POST || !is_form(c->req))
		return true;
	if ((e = http_request_decode(c->req, &c->app->set.limits)) != ERR_OK) {
		app_answer_error(c, e);
		return false;
	}
	c->decoded = true;
	if ((m = http_request_field(c->req, "_method")) == NULL)
		return true;
	if (strcasecmp(m, "DELETE") == 0)
		c->req->method = HTTP_DELETE;
	else if (strcasecmp(m, "PUT") == 0)
		c->req->method = HTTP_PUT;
	return true;
}

/* Scheme and authority of an origin or URL ("https://host:port"), for
 * comparison: its length in s, up to the path. */
static size_t
origin_len(const char *s)
{
	const char *p = strstr(s, "://");

	if (p == NULL)
		return strlen(s);
	p += 3;
	return (size_t)(p - s) + strcspn(p, "/?#");
}

/* Is the origin o[0..n) among the allowed ones? */
static bool
origin_allowed(const struct call *c, const char *o, size_t n)
{
	const char *list = c->app->set.allowed_origins, *p;
	char own[512];
	size_t len;

	if (list == NULL) {
		/* The request's own scheme and host. */
		if (c->req->host == NULL)
			return false;
		snprintf(own, sizeof(own), "%s://%s",
		         c->req->https ? "https" : "http", c->req->host);
		return strlen(own) == n && strncasecmp(own, o, n) == 0;
	}
	for (p = list; *p != '\0'; p += len) {
		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (len == n && len > 0 && strncasecmp(p, o, n) == 0)
			return true;
	}
	return false;
}

/*
 * Cross-site request check for every change: the Origin header, or
 * lacking it the Referer, must name an allowed origin.
 * A request with neither (scripts, curl, requests) passes: the cookie's
 * SameSite=Lax already keeps browsers from sending it cross-site on
 * anything but a top-level GET.
 */
bool
app_same_origin(struct call *c)
{
	const char *o =
	    c->req->origin != NULL ? c->req->origin : c->req->referer;
	char *cookie;
	bool ok;

	if (o == NULL)
		return true;
	if (origin_allowed(c, o, origin_len(o)))
		return true;
	/* Our pages say Referrer-Policy: no-referrer, so a browser posts
	 * their forms with "Origin: null" (as it would from a sandboxed
	 * frame): such a post must carry the token of our forms, which
	 * matches a cookie no other site can send or read. */
	if (strcmp(o, "null") == 0) {
		cookie = app_cookie_value(c, app_form_cookie_name(c));
		ok = auth_token_equal(http_request_field(c->req, "_form_token"),
		                      cookie);
		free(cookie);
		if (ok)
			return true;
	}
	log_audit("cross_site_refused", 0, c->who.client);
	app_answer_error(c, ERR_ORIGIN);
	return false;
}
