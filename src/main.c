/* main.c: the CGI entry point: build the request, hand it to the app,
 * write the response. Run from a shell, a small admin tool. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "common/log.h"
#include "http/http.h"

extern char **environ;

/*
 * Written by the alarm handler: a request that outlives its time limit is
 * answered and the process ends. A client that stalls while sending its
 * body gets 408; anything else that takes too long is a fault, 503.
 */
static const char timeout_client[] =
    "Status: 408 Request Timeout\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "\r\n"
    "{\"message\":\"request body not received in time\"}";
static const char timeout_server[] = "Status: 503 Service Unavailable\r\n"
                                     "Content-Type: application/json\r\n"
                                     "Cache-Control: no-store\r\n"
                                     "X-Content-Type-Options: nosniff\r\n"
                                     "\r\n"
                                     "{\"message\":\"request timed out\"}";

/* Set while the body is being read: process-wide, read by the handler. */
static volatile sig_atomic_t reading_body;

static void
on_alarm(int sig)
{
	const char *r = reading_body ? timeout_client : timeout_server;
	size_t n = reading_body ? sizeof(timeout_client) - 1
	                        : sizeof(timeout_server) - 1;

	(void)sig;
	if (write(STDOUT_FILENO, r, n) < 0) {
		/* Nothing more can be done. */
	}
	_exit(1);
}

/* http_read_fd, marking the time spent waiting for the client. */
static ssize_t
read_body(void *arg, void *buf, size_t n)
{
	ssize_t r;

	reading_body = 1;
	r = http_read_fd(arg, buf, n);
	reading_body = 0;
	return r;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write resp; if it cannot be serialised, a bare status. */
static int
respond(const struct http_response *resp, bool head)
{
	static const char bare[] = "Status: 500 Internal Server Error\r\n\r\n";
	size_t len;
	char *out;
	int rc;

	if (resp->status == 500 ||
	    http_response_serialize(resp, head, &out, &len) != ERR_OK)
		return write_all(STDOUT_FILENO, bare, sizeof(bare) - 1);
	rc = write_all(STDOUT_FILENO, out, len);
	free(out);
	return rc;
}

/* Answer a request when the service cannot even be set up. */
static int
respond_unavailable(const char *msg)
{
	struct http_response resp;
	int rc;

	http_response_init(&resp);
	if (http_response_message(&resp, 503, msg) != ERR_OK)
		resp.status = 500;
	rc = respond(&resp, false);
	http_response_clear(&resp);
	return rc;
}

static int
serve_cgi(const struct app_settings *set)
{
	struct http_response resp;
	struct http_request req;
	struct app *app = NULL;
	int fd = STDIN_FILENO;
	enum err e;
	int rc;

	signal(SIGALRM, on_alarm);
	alarm(set->request_timeout);
	if ((e = app_new(&app, set)) != ERR_OK) {
		log_error("cannot start: %s", err_str(e));
		return respond_unavailable("service unavailable") ? 1 : 0;
	}
	http_response_init(&resp);
	e = http_request_read(&req, environ, &set->limits, read_body, &fd);
	app_handle(app, &req, e, &resp);
	rc = respond(&resp, req.method == HTTP_HEAD);
	http_response_clear(&resp);
	http_request_clear(&req);
	app_free(app);
	return rc ? 1 : 0;
}

static int
admin(const struct app_settings *set, int argc, char **argv)
{
	struct app *app = NULL;
	enum err e;
	int rc;

	if ((e = app_new(&app, set)) != ERR_OK) {
		fprintf(stderr, "auth.cgi: %s\n", err_str(e));
		return 1;
	}
	rc = app_admin(app, argc - 1, argv + 1, stdout, stderr);
	app_free(app);
	return rc;
}

int
main(int argc, char **argv)
{
	struct app_settings set;
	int rc;
	bool cgi = getenv("REQUEST_METHOD") != NULL ||
	           getenv("GATEWAY_INTERFACE") != NULL;
	enum err e;

	e = app_settings_load(&set);
	if (set.log_path != NULL && freopen(set.log_path, "a", stderr) == NULL)
		set.log_path = NULL;
	log_audit_open(set.audit_path);
	/* A delivery command that exits early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (!cgi && argc > 1)
		rc = e != ERR_OK ? 1 : admin(&set, argc, argv);
	else if (!cgi) {
		fputs(app_usage, stderr);
		rc = 2;
	} else if (e != ERR_OK)
		rc = respond_unavailable("service misconfigured") ? 1 : 0;
	else
		rc = serve_cgi(&set);
	log_audit_close();
	return rc;
}
