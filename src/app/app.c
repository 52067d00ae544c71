/* app.c: the app's context, and one request from its checks to its
 * route: a body that cannot be read, a method to override, a change from
 * another site, then the route table (routes.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void
app_unavailable(struct http_response *resp, const char *msg, bool https)
{
	if (http_response_message(resp, 503, msg) != ERR_OK)
		resp->status = 500;
	app_common_headers(resp, https);
}

/* ---- the context ---- */

#ifdef AUTHCGI_TEST_CLOCK
/* The test build's clock: AUTHCGI_TEST_NOW (Unix seconds), when set and
 * no other clock is, so that suites can run the service at a time of
 * their choosing. Release builds have no such variable. */
static int64_t
test_now(void *arg)
{
	const char *v = getenv("AUTHCGI_TEST_NOW");

	(void)arg;
	return v != NULL && *v != '\0' ? strtoll(v, NULL, 10)
	                               : (int64_t)time(NULL);
}
#endif

enum err
app_new(struct app **out, const struct app_settings *s)
{
	struct app *app;
	enum err e;

	if ((app = calloc(1, sizeof(*app))) == NULL)
		return ERR_NOMEM;
	app->set = *s;
#ifdef AUTHCGI_TEST_CLOCK
	if (app->set.auth.hooks.now == NULL &&
	    getenv("AUTHCGI_TEST_NOW") != NULL)
		app->set.auth.hooks.now = test_now;
#endif
	if ((e = auth_new(&app->auth, &app->set.auth)) != ERR_OK) {
		free(app);
		return e;
	}
	*out = app;
	return ERR_OK;
}

void
app_free(struct app *app)
{
	if (app == NULL)
		return;
	auth_free(app->auth);
	free(app);
}

enum err
app_init_db(struct app *app)
{
	return auth_init_store(app->auth);
}

void
app_handle(struct app *app, struct http_request *req, enum err read_err,
           struct http_response *resp)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.app = app;
	c.req = req;
	c.resp = resp;
	app_client_address(&c);
	c.who.user_agent = req->user_agent;
	c.html =
	    http_accept_prefers(req->accept, "text/html", "application/json");
	c.page = APP_PAGE_HOME;

	if (read_err != ERR_OK)
		app_answer_error(&c, read_err);
	else if (req->method_name == NULL || req->method_name[0] == '\0')
		app_answer_message(&c, 400, "REQUEST_METHOD is required");
	else if (!app_method_override(&c))
		; /* answered */
	else if (req->method != HTTP_GET && req->method != HTTP_HEAD &&
	         !app_same_origin(&c))
		; /* answered */
	else
		app_route(&c);
	app_common_headers(resp, req->https);
}
