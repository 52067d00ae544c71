/* account.c: account self-service: the account page, and what a signed-in
 * client changes (password, email, sessions, the account itself), and the
 * email links that verify an address. Browsers get pages and redirects,
 * other clients JSON, as for the contract's routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* What the account page shows, kept until the answer is made. */
struct app_view {
	struct auth_account acct;
	struct app_page_session rows[AUTH_SESSIONS_MAX];
	char times[AUTH_SESSIONS_MAX][2][32];
	char codes_left[24];
};

/* How times are written: for people, or ISO 8601 for JSON. */
enum { PAGE_TIME, JSON_TIME };

/* Unix seconds t as UTC text. */
static const char *
when(int64_t t, int how, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&tt, &tm) != NULL)
		n = how == PAGE_TIME
		        ? strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm)
		        : strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (n == 0)
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/* The account page's values, from v->acct. */
static void
view_args(struct call *c, struct app_view *v)
{
	const struct auth_account *a = &v->acct;
	size_t i;

	c->args.email = a->user.email;
	c->args.pending = a->pending_email[0] != '\0' ? a->pending_email : NULL;
	if (a->second_factor) {
		c->args.factor = "on";
		snprintf(v->codes_left, sizeof(v->codes_left), "%lld",
		         (long long)a->recovery_left);
		c->args.codes_left = v->codes_left;
	}
	for (i = 0; i < a->nsessions; i++) {
		const struct auth_session_info *si = &a->sessions[i];
		struct app_page_session *r = &v->rows[i];

		r->id = si->id;
		r->created = when(si->created, PAGE_TIME, v->times[i][0],
		                  sizeof(v->times[i][0]));
		r->last_seen = when(si->last_seen, PAGE_TIME, v->times[i][1],
		                    sizeof(v->times[i][1]));
		r->client = si->client[0] != '\0' ? si->client : "unknown";
		r->user_agent =
		    si->user_agent[0] != '\0' ? si->user_agent : NULL;
		r->current = si->current ? "yes" : NULL;
	}
	c->args.sessions = v->rows;
	c->args.nsessions = a->nsessions;
}

void
app_signed_in_clear(struct app_signed_in *s)
{
	free(s->sid);
	free(s->view);
}

bool
app_signed_in(struct call *c, struct app_signed_in *s)
{
	enum err e;

	memset(s, 0, sizeof(*s));
	s->sid = app_session_value(c);
	c->page = APP_PAGE_DENIED;
	if (!c->html) {
		e = auth_session_user(c->app->auth, &c->who, s->sid, &s->user);
	} else if ((s->view = calloc(1, sizeof(*s->view))) == NULL) {
		e = ERR_NOMEM;
	} else if ((e = auth_account_get(c->app->auth, &c->who, s->sid,
	                                 &s->view->acct)) == ERR_OK) {
		view_args(c, s->view);
		s->user = s->view->acct.user;
		c->page = APP_PAGE_ACCOUNT;
	}
	if (e == ERR_OK)
		return true;
	app_answer_error(c, e);
	app_signed_in_clear(s);
	return false;
}

bool
app_signed_in_password(struct call *c, struct app_signed_in *s,
                       const char **password)
{
	static const char *const names[] = {"password"};

	if (!app_signed_in(c, s))
		return false;
	if (app_fields(c, names, password, 1))
		return true;
	app_signed_in_clear(s);
	return false;
}

void
app_done(struct call *c, const char *path, const char *msg)
{
	if (c->html)
		app_answer_see_other(c, path);
	else
		app_answer_message(c, 200, msg);
}

/* The session has ended: expire its cookie. False when answered. */
static bool
cookie_cleared(struct call *c)
{
	enum err e = app_session_cookie(c, "", 0);

	if (e != ERR_OK)
		app_answer_error(c, e == ERR_NOMEM ? e : ERR_INTERNAL);
	return e == ERR_OK;
}

void
app_h_account_page(struct call *c)
{
	static const char *const notices[][2] = {
	    {"password", "Your password is changed; your other sessions have"
	                 " ended."},
	    {"email", "Your email is changed."},
	    {"email_sent", "A link is on its way to your new address: your"
	                   " email changes when it is followed."},
	    {"session_ended", "The session has ended."},
	    {"factor_off", "Your second factor is off."},
	    {"recovery_used",
	     "You logged in with a recovery code, which is now spent."},
	};
	struct http_fields q = {0};
	struct app_signed_in s;
	const char *n;
	size_t i;

	if (!app_signed_in(c, &s))
		return;
	/* Only known notices, in our own words. */
	n = app_query_get(c, &q, "notice");
	for (i = 0; n != NULL && i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(n, notices[i][0]) == 0)
			c->args.notice = notices[i][1];
	app_answer_page(c, 200, APP_PAGE_ACCOUNT);
	http_fields_clear(&q);
	app_signed_in_clear(&s);
}

void
app_second(const struct call *c, struct auth_second *second)
{
	memset(second, 0, sizeof(*second));
	second->code = http_request_field(c->req, "code");
	second->recovery_code = http_request_field(c->req, "recovery_code");
}

/* A field that authorisation comes before: "" when absent, so that the
 * auth layer checks the password first and the caller names the missing
 * field afterwards. */
static const char *
later_field(const struct call *c, const char *name)
{
	const char *v = http_request_field(c->req, name);

	return v != NULL ? v : "";
}

void
app_h_password(struct call *c)
{
	struct auth_second second;
	const char *pw, *np;
	struct app_signed_in s;
	struct auth_user u;
	enum err e;

	if (!app_signed_in_password(c, &s, &pw))
		return;
	app_second(c, &second);
	np = later_field(c, "new_password");
	e = auth_password_change(c->app->auth, &c->who, s.sid, pw, &second, np,
	                         &u);
	if (e == ERR_PASSWORD && *np == '\0')
		app_answer_message(c, 400, "new_password is required");
	else if (e == ERR_PASSWORD)
		app_answer_password(c, np);
	else if (e != ERR_OK)
		app_answer_error(c, e);
	else if (c->html)
		app_answer_see_other(c, "/account?notice=password");
	else
		app_answer_email(c, u.email, "message", "password changed");
	app_signed_in_clear(&s);
}

/* The account's sessions as JSON. */
static void
answer_sessions(struct call *c, const struct auth_account *a)
{
	cJSON *o, *list, *item;
	char t[32];
	bool ok;
	size_t i;

	ok = (o = cJSON_CreateObject()) != NULL &&
	     cJSON_AddStringToObject(o, "email", a->user.email) != NULL &&
	     (list = cJSON_AddArrayToObject(o, "sessions")) != NULL;
	for (i = 0; ok && i < a->nsessions; i++) {
		const struct auth_session_info *si = &a->sessions[i];

		ok =
		    (item = cJSON_CreateObject()) != NULL &&
		    cJSON_AddItemToArray(list, item) &&
		    cJSON_AddStringToObject(item, "id", si->id) != NULL &&
		    cJSON_AddStringToObject(
		        item, "created",
		        when(si->created, JSON_TIME, t, sizeof(t))) != NULL &&
		    cJSON_AddStringToObject(
		        item, "last_seen",
		        when(si->last_seen, JSON_TIME, t, sizeof(t))) != NULL &&
		    cJSON_AddStringToObject(item, "client", si->client) !=
		        NULL &&
		    cJSON_AddStringToObject(item, "user_agent",
		                            si->user_agent) != NULL &&
		    cJSON_AddBoolToObject(item, "current", si->current) != NULL;
	}
	if (!ok || http_response_json(c->resp, 200, o) != ERR_OK)
		app_answer_error(c, ERR_NOMEM);
	cJSON_Delete(o);
}

void
app_h_sessions(struct call *c)
{
	struct auth_account *a;
	char *sid;
	enum err e;

	c->page = APP_PAGE_DENIED;
	if (c->html) {
		/* The account page lists them. */
		app_answer_see_other(c, "/account");
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		app_answer_error(c, ERR_NOMEM);
		return;
	}
	sid = app_session_value(c);
	if ((e = auth_account_get(c->app->auth, &c->who, sid, a)) != ERR_OK)
		app_answer_error(c, e);
	else
		answer_sessions(c, a);
	free(sid);
	free(a);
}

void
app_h_session_end(struct call *c)
{
	struct app_signed_in s;
	bool current = false;
	enum err e;

	if (!app_signed_in(c, &s))
		return;
	e = auth_session_end(c->app->auth, &c->who, s.sid, c->param, &current);
	if (e != ERR_OK)
		app_answer_error(c, e);
	else if (!current)
		app_done(c, "/account?notice=session_ended", "session ended");
	else if (cookie_cleared(c))
		app_done(c, "/login?notice=logged_out", "session ended");
	app_signed_in_clear(&s);
}

void
app_h_email(struct call *c)
{
	struct auth_second second;
	const char *pw, *ne;
	struct app_signed_in s;
	struct auth_user u;
	bool pending = false;
	enum err e;

	if (!app_signed_in_password(c, &s, &pw))
		return;
	app_second(c, &second);
	ne = later_field(c, "new_email");
	e = auth_email_change(c->app->auth, &c->who, s.sid, pw, &second, ne, &u,
	                      &pending);
	if (e == ERR_EMAIL && *ne == '\0')
		app_answer_message(c, 400, "new_email is required");
	else if (e != ERR_OK)
		app_answer_error(c, e);
	else if (c->html)
		app_answer_see_other(c, pending ? "/account?notice=email_sent"
		                                : "/account?notice=email");
	else
		app_answer_email(c, u.email, "message",
		                 pending
		                     ? "a link to confirm the new address is"
		                       " on its way to it"
		                     : "email changed");
	app_signed_in_clear(&s);
}

void
app_h_account_delete(struct call *c)
{
	struct auth_second second;
	const char *pw;
	struct app_signed_in s;
	struct auth_user u;
	enum err e;

	if (!app_signed_in_password(c, &s, &pw))
		return;
	app_second(c, &second);
	e = auth_account_delete(c->app->auth, &c->who, s.sid, pw, &second, &u);
	if (e != ERR_OK)
		app_answer_error(c, e);
	else if (!cookie_cleared(c))
		; /* answered */
	else if (c->html)
		app_answer_see_other(c, "/login?notice=deleted");
	else
		app_answer_email(c, u.email, "message", "account deleted");
	app_signed_in_clear(&s);
}

/* ---- email links ---- */

void
app_h_verify_page(struct call *c)
{
	struct http_fields q = {0};

	c->args.token = app_query_get(c, &q, "token");
	app_answer_page(c, 200,
	                c->args.token != NULL ? APP_PAGE_VERIFY_SET
	                                      : APP_PAGE_VERIFY_ASK);
	http_fields_clear(&q);
}

void
app_h_verify_request(struct call *c)
{
	static const char *const names[] = {"email"};
	static const char msg[] = "if this email is registered and waits for"
	                          " its link, a new one is on its way to it";
	const char *v[1];
	enum err e;

	c->page = APP_PAGE_VERIFY_ASK;
	if (!app_fields(c, names, v, 1))
		return;
	/* The same answer whatever the email. */
	if ((e = auth_link_request(c->app->auth, &c->who, v[0])) != ERR_OK) {
		app_answer_error(c, e);
	} else if (c->html) {
		c->args.notice = "If this email is registered and waits for"
		                 " its link, a new one is on its way to it.";
		app_answer_page(c, 200, APP_PAGE_VERIFY_ASK);
	} else {
		app_answer_email(c, v[0], "message", msg);
	}
}

void
app_h_verify(struct call *c)
{
	static const char *const names[] = {"token"};
	const char *v[1];
	struct auth_user u;
	enum err e;

	c->page = APP_PAGE_VERIFY_SET;
	if (c->html)
		c->args.token = http_request_field(c->req, "token");
	if (!app_fields(c, names, v, 1))
		return;
	if ((e = auth_link_follow(c->app->auth, &c->who, v[0], &u)) != ERR_OK)
		app_answer_error(c, e);
	else if (c->html)
		app_answer_see_other(c, "/login?notice=verified");
	else
		app_answer_email(c, u.email, "message", "email verified");
}
