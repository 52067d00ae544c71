/* factor.c: the second factor of the signed-in account: whether it is on
 * (GET /totp), setting it up (POST /totp, then PUT /totp with a code of
 * the new secret), turning it off (DELETE /totp) and new recovery codes
 * (POST /totp/recovery). Browsers get pages and redirects, other clients
 * JSON. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The recovery codes: to a browser their page, shown once; else
 * {"email", "message", "recovery_codes": [...]}. */
static void
answer_codes(struct call *c, const struct auth_recovery_codes *rc,
             const char *msg)
{
	char text[AUTH_RECOVERY_CODES * (AUTH_RECOVERY_LEN + 1) + 1];
	cJSON *o, *list = NULL;
	size_t i, n = 0, len;
	bool ok;

	if (c->html) {
		for (i = 0; i < AUTH_RECOVERY_CODES; i++) {
			len = strlen(rc->code[i]);
			memcpy(text + n, rc->code[i], len);
			n += len;
			text[n++] = '\n';
		}
		text[n] = '\0';
		c->args.codes = text;
		app_answer_page(c, 200, APP_PAGE_TOTP_CODES);
		explicit_bzero(text, sizeof(text));
		return;
	}
	ok = (o = cJSON_CreateObject()) != NULL &&
	     cJSON_AddStringToObject(o, "email", rc->user.email) != NULL &&
	     cJSON_AddStringToObject(o, "message", msg) != NULL &&
	     (list = cJSON_AddArrayToObject(o, "recovery_codes")) != NULL;
	for (i = 0; ok && i < AUTH_RECOVERY_CODES; i++)
		ok =
		    cJSON_AddItemToArray(list, cJSON_CreateString(rc->code[i]));
	if (!ok || http_response_json(c->resp, 200, o) != ERR_OK)
		app_answer_error(c, ERR_NOMEM);
	cJSON_Delete(o);
}

void
app_h_totp(struct call *c)
{
	struct auth_account *a;
	cJSON *o;
	char *sid;
	enum err e;
	bool ok;

	c->page = APP_PAGE_DENIED;
	if (c->html) {
		/* The account page shows it. */
		app_answer_see_other(c, "/account");
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		app_answer_error(c, ERR_NOMEM);
		return;
	}
	sid = app_session_value(c);
	if ((e = auth_account_get(c->app->auth, &c->who, sid, a)) != ERR_OK) {
		app_answer_error(c, e);
	} else {
		ok = (o = cJSON_CreateObject()) != NULL &&
		     cJSON_AddStringToObject(o, "email", a->user.email) !=
		         NULL &&
		     cJSON_AddBoolToObject(o, "second_factor",
		                           a->second_factor) != NULL &&
		     cJSON_AddNumberToObject(o, "recovery_codes_left",
		                             (double)a->recovery_left) != NULL;
		if (!ok || http_response_json(c->resp, 200, o) != ERR_OK)
			app_answer_error(c, ERR_NOMEM);
		cJSON_Delete(o);
	}
	free(sid);
	free(a);
}

void
app_h_totp_begin(struct call *c)
{
	struct auth_totp_setup *t;
	struct app_signed_in s;
	const char *pw;
	cJSON *o;
	enum err e;
	bool ok;

	if (!app_signed_in_password(c, &s, &pw))
		return;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		app_answer_error(c, ERR_NOMEM);
		app_signed_in_clear(&s);
		return;
	}
	e = auth_totp_begin(c->app->auth, &c->who, s.sid, pw, t);
	if (e != ERR_OK) {
		app_answer_error(c, e);
	} else if (c->html) {
		c->args.secret = t->secret;
		c->args.uri = t->uri;
		app_answer_page(c, 200, APP_PAGE_TOTP_SETUP);
	} else {
		ok = (o = cJSON_CreateObject()) != NULL &&
		     cJSON_AddStringToObject(o, "email", t->user.email) !=
		         NULL &&
		     cJSON_AddStringToObject(o, "secret", t->secret) != NULL &&
		     cJSON_AddStringToObject(o, "uri", t->uri) != NULL &&
		     cJSON_AddStringToObject(
		         o, "message",
		         "add the secret to an authenticator app, then confirm"
		         " it with a current code") != NULL;
		if (!ok || http_response_json(c->resp, 200, o) != ERR_OK)
			app_answer_error(c, ERR_NOMEM);
		cJSON_Delete(o);
	}
	explicit_bzero(t, sizeof(*t));
	free(t);
	app_signed_in_clear(&s);
}

void
app_h_totp_confirm(struct call *c)
{
	static const char *const names[] = {"code"};
	struct auth_recovery_codes rc;
	struct app_signed_in s;
	const char *code, *uri;
	enum err e;

	if (!app_signed_in(c, &s))
		return;
	if (c->html) {
		/* A wrong code shows the set-up page again, from what the
		 * page itself sent; the secret that counts is the stored
		 * one. */
		uri = http_request_field(c->req, "uri");
		c->args.secret = http_request_field(c->req, "secret");
		if (c->args.secret != NULL && uri != NULL &&
		    strncmp(uri, "otpauth://", 10) == 0) {
			c->args.uri = uri;
			c->page = APP_PAGE_TOTP_SETUP;
		}
	}
	if (!app_fields(c, names, &code, 1)) {
		app_signed_in_clear(&s);
		return;
	}
	e = auth_totp_confirm(c->app->auth, &c->who, s.sid, code, &rc);
	if (e == ERR_OK)
		answer_codes(c, &rc, "second factor on");
	else if (e == ERR_CODE)
		app_answer_message(c, 401, "wrong one-time code");
	else
		app_answer_error(c, e);
	explicit_bzero(&rc, sizeof(rc));
	app_signed_in_clear(&s);
}

void
app_h_totp_disable(struct call *c)
{
	struct auth_second second;
	struct app_signed_in s;
	struct auth_user u;
	const char *pw;
	enum err e;

	if (!app_signed_in_password(c, &s, &pw))
		return;
	app_second(c, &second);
	e = auth_totp_disable(c->app->auth, &c->who, s.sid, pw, &second, &u);
	if (e != ERR_OK)
		app_answer_error(c, e);
	else if (c->html)
		app_answer_see_other(c, "/account?notice=factor_off");
	else
		app_answer_email(c, u.email, "message", "second factor off");
	app_signed_in_clear(&s);
}

void
app_h_recovery_renew(struct call *c)
{
	struct auth_recovery_codes rc;
	struct auth_second second;
	struct app_signed_in s;
	const char *pw;
	enum err e;

	if (!app_signed_in_password(c, &s, &pw))
		return;
	app_second(c, &second);
	e = auth_recovery_renew(c->app->auth, &c->who, s.sid, pw, &second, &rc);
	if (e == ERR_OK)
		answer_codes(c, &rc,
		             "new recovery codes: the old ones no"
		             " longer work");
	else
		app_answer_error(c, e);
	explicit_bzero(&rc, sizeof(rc));
	app_signed_in_clear(&s);
}
