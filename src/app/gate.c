/* gate.c: the gate. One decision, "does this request carry a live session
 * that may see this resource?", asked two ways: GET /auth (nginx
 * auth_request, Caddy forward_auth, Traefik ForwardAuth) and the FastCGI
 * authorizer role (lighttpd's "authorizer" mode, Apache's
 * mod_authnz_fcgi). It fails closed: a rule, a setting or a database that
 * cannot be read denies, with 503. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "internal.h"

/* Longest URL the gate passes on to the log-in page. */
#define URL_MAX 2048

/* A rule that no parser reads: what a query that cannot be read asks. */
#define UNREADABLE "(a query that cannot be read)"

/* Is s a cookie path: "/" and printable ASCII without ";"? */
static bool
cookie_path_ok(const char *s)
{
	if (s == NULL)
		return true;
	if (*s != '/')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == ';')
			return false;
	return true;
}

/* Is s a cookie domain: dot-separated labels of letters, digits and
 * hyphens (a leading dot is allowed, and ignored by browsers)? */
static bool
cookie_domain_ok(const char *s)
{
	size_t label = 0;

	if (s == NULL)
		return true;
	if (*s == '.')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((*s >= 'a' && *s <= 'z') ||
		           (*s >= 'A' && *s <= 'Z') ||
		           (*s >= '0' && *s <= '9') || *s == '-') {
			label++;
		} else {
			return false;
		}
	}
	return label > 0;
}

enum err
app_gate_settings_check(const struct app_settings *s)
{
	struct auth_rule rule;
	const char *bad = NULL;

	if (!app_proxy_list_ok(s->trusted_proxies))
		bad = "AUTHCGI_TRUSTED_PROXIES";
	else if (!app_origin_list_ok(s->redirect_origins))
		bad = "AUTHCGI_REDIRECT_ORIGINS";
	else if (!cookie_path_ok(s->cookie_path))
		bad = "AUTHCGI_COOKIE_PATH";
	else if (!cookie_domain_ok(s->cookie_domain))
		bad = "AUTHCGI_COOKIE_DOMAIN";
	else if (auth_rule_parse(s->gate_require, &rule) != ERR_OK)
		bad = "AUTHCGI_GATE_REQUIRE";
	if (bad == NULL)
		return ERR_OK;
	log_error("setting %s cannot be read", bad);
	return ERR_INVAL;
}

/* Where the service's pages are: AUTHCGI_PUBLIC_URL, or the mount point
 * (which an authorizer does not know: the site root then). */
static const char *
service_base(const struct call *c)
{
	if (c->app->set.auth.reset_url != NULL)
		return c->app->set.auth.reset_url;
	return c->authorizer ? "" : app_base(c);
}

/* The log-in page's URL, with the original URL as next when there is one
 * a log-in may go back to; false when it does not fit. */
static bool
login_url(const struct call *c, char *out, size_t size)
{
	char url[URL_MAX + 1];
	const char *base = service_base(c), *p;
	size_t n;
	int w;

	w = snprintf(out, size, "%s/login", base);
	if (w < 0 || (size_t)w >= size)
		return false;
	if (!app_original_url(c, url, sizeof(url)) || !app_next_ok(c, url))
		return true;
	n = (size_t)w;
	if (n + 6 >= size)
		return false;
	memcpy(out + n, "?next=", 6);
	n += 6;
	for (p = url; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (n + 4 >= size)
			return false;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~/", ch) != NULL)
			out[n++] = (char)ch;
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", ch);
	}
	out[n] = '\0';
	return true;
}

/*
 * Deny: the answer the client gets. Without a session a browser is sent
 * to the log-in page (302; to nginx, whose auth_request passes on only
 * 401 and 403, a 401 that carries the page in Location, for its
 * error_page); scripts get 401 JSON. A signed-in account that the rule
 * refuses gets 403; a fault 503.
 */
static void
deny(struct call *c, enum err e, const struct auth_gate_user *gu)
{
	char url[URL_MAX + 64];
	bool nginx;

	if (e == ERR_NO_SESSION && c->html) {
		nginx = app_from_proxy(c) && c->req->original_url != NULL;
		if (!login_url(c, url, sizeof(url))) {
			app_answer_error(c, ERR_INTERNAL);
			return;
		}
		if (http_response_header(c->resp, "Location", url) != ERR_OK) {
			app_answer_error(c, ERR_INTERNAL);
			return;
		}
		c->html = false; /* the body is for whoever looks: JSON */
		app_answer_message(c, nginx ? 401 : 302, "not logged in");
		return;
	}
	if (e == ERR_FORBIDDEN && c->html) {
		c->args.email = gu->user.email;
		if (app_page_render(c->resp, 403, service_base(c),
		                    APP_PAGE_FORBIDDEN, &c->args) != ERR_OK)
			c->resp->status = 500;
		return;
	}
	if (e == ERR_NO_SESSION)
		app_answer_message(c, 401, "not logged in");
	else
		app_answer_error(c, e);
}

/* The decision for c's request under the rule text (NULL: any signed-in
 * account): ERR_INTERNAL (logged) for a rule that cannot be read. */
static enum err
decide(struct call *c, const char *text, struct auth_gate_user *out)
{
	struct auth_rule rule;
	char *sid;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (auth_rule_parse(text, &rule) != ERR_OK) {
		log_error("gate: the rule \"%s\" cannot be read: refused",
		          text);
		return ERR_INTERNAL;
	}
	sid = app_cookie_value(c, c->app->set.cookie_name);
	e = auth_gate(c->app->auth, &c->who, sid, &rule, out);
	free(sid);
	return e;
}

/* The rule that GET /auth's query names: require=RULE, or group=NAME
 * (shorthand for require=group:NAME); NULL for none. */
static const char *
query_rule(struct call *c, struct http_fields *q, char *buf, size_t size)
{
	const char *v;
	int w;

	if (c->req->query == NULL ||
	    http_form_parse(c->req->query, strlen(c->req->query),
	                    c->app->set.limits.max_fields, q) != ERR_OK)
		return c->req->query != NULL && *c->req->query != '\0'
		           ? UNREADABLE
		           : NULL;
	if ((v = http_fields_get(q, "require")) != NULL)
		return v;
	if ((v = http_fields_get(q, "group")) != NULL) {
		w = snprintf(buf, size, "group:%s", v);
		return w > 0 && (size_t)w < size ? buf : UNREADABLE;
	}
	return NULL;
}

void
app_gate_route(struct call *c)
{
	struct http_fields q = {0};
	struct auth_gate_user gu;
	char buf[AUTH_EMAIL_MAX + 16];
	cJSON *o = NULL, *groups;
	const char *p;
	size_t len;
	enum err e;

	e = decide(c, query_rule(c, &q, buf, sizeof(buf)), &gu);
	http_fields_clear(&q);
	if (e != ERR_OK) {
		deny(c, e, &gu);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "email", gu.user.email) == NULL ||
	    (groups = cJSON_AddArrayToObject(o, "groups")) == NULL)
		goto fail;
	for (p = gu.groups; *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (!cJSON_AddItemToArray(groups, cJSON_CreateString(buf)))
			goto fail;
	}
	if (http_response_json(c->resp, 200, o) != ERR_OK ||
	    http_response_header(c->resp, "Remote-User", gu.user.email) !=
	        ERR_OK ||
	    http_response_header(c->resp, "Remote-Email", gu.user.email) !=
	        ERR_OK ||
	    http_response_header(c->resp, "Remote-Groups", gu.groups) != ERR_OK)
		goto fail;
	cJSON_Delete(o);
	return;
fail:
	cJSON_Delete(o);
	app_answer_error(c, ERR_NOMEM);
}

void
app_authorize(struct app *app, struct http_request *req, enum err read_err,
              const char *rule, struct http_response *resp)
{
	struct auth_gate_user gu;
	struct call c;
	enum err e;

	memset(&c, 0, sizeof(c));
	c.app = app;
	c.req = req;
	c.resp = resp;
	c.authorizer = true;
	c.html =
	    http_accept_prefers(req->accept, "text/html", "application/json");
	app_client_address(&c);
	if (read_err != ERR_OK)
		e = read_err;
	else
		e = decide(&c, rule != NULL ? rule : app->set.gate_require,
		           &gu);
	if (e != ERR_OK) {
		if (read_err != ERR_OK)
			app_answer_error(&c, e);
		else
			deny(&c, e, &gu);
	} else if (http_response_message(resp, 200, "allowed") != ERR_OK ||
	           http_response_header(resp, "Variable-REMOTE_USER",
	                                gu.user.email) != ERR_OK ||
	           http_response_header(resp, "Variable-AUTHCGI_USER",
	                                gu.user.email) != ERR_OK ||
	           http_response_header(resp, "Variable-AUTHCGI_GROUPS",
	                                gu.groups) != ERR_OK) {
		resp->status = 500;
	}
	app_common_headers(resp, req->https);
}
