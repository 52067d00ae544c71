/* main.c: the entry point: build the request, hand it to the app, write
 * the response; once per process under CGI, in a loop under FastCGI.
 * Run from a shell, a small admin tool. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "app/app.h"
#include "common/io.h"
#include "common/log.h"
#include "http/http.h"

extern char **environ;

/*
 * Written by the alarm handler: a request that outlives its time limit is
 * answered and the process ends. A client that stalls while sending its
 * body gets 408; anything else that takes too long is a fault, 503.
 */
#define TIMEOUT_HEADERS                                                        \
	"Content-Type: application/json\r\n"                                   \
	"Cache-Control: no-store\r\n"                                          \
	"X-Content-Type-Options: nosniff\r\n"                                  \
	"Referrer-Policy: no-referrer\r\n"                                     \
	"X-Frame-Options: DENY\r\n"                                            \
	"Content-Security-Policy: default-src 'none'; frame-ancestors"         \
	" 'none'\r\n"                                                          \
	"Content-Disposition: attachment; filename=\"api.json\"\r\n"           \
	"\r\n"

static const char timeout_client[] =
    "Status: 408 Request Timeout\r\n" TIMEOUT_HEADERS
    "{\"message\":\"request body not received in time\"}";
static const char timeout_server[] =
    "Status: 503 Service Unavailable\r\n" TIMEOUT_HEADERS
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

/* Where a response goes: stdout for CGI, the request's stream for
 * FastCGI. Returns 0, or -1 when the client is gone. */
typedef int (*write_fn)(void *arg, const char *p, size_t n);

static int
write_stdout(void *arg, const char *p, size_t n)
{
	(void)arg;
	return io_write_all(STDOUT_FILENO, p, n);
}

/* Write resp; if it cannot be serialised, a bare status. */
static int
respond(const struct http_response *resp, bool head, write_fn wr, void *arg)
{
	static const char bare[] = "Status: 500 Internal Server Error\r\n\r\n";
	size_t len;
	char *out;
	int rc;

	if (resp->status == 500 ||
	    http_response_serialize(resp, head, &out, &len) != ERR_OK)
		return wr(arg, bare, sizeof(bare) - 1);
	rc = wr(arg, out, len);
	free(out);
	return rc;
}

/* Answer a request when the service cannot even be set up. */
static int
respond_unavailable(const char *msg, write_fn wr, void *arg)
{
	struct http_response resp;
	const char *https = getenv("HTTPS");
	int rc;

	http_response_init(&resp);
	app_unavailable(&resp, msg,
	                https != NULL && (strcasecmp(https, "on") == 0 ||
	                                  strcmp(https, "1") == 0));
	rc = respond(&resp, false, wr, arg);
	http_response_clear(&resp);
	return rc;
}

/* The value of variable name in envp, or NULL. */
static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * One request, from its variables and body to its written answer. An
 * authorizer request (FCGI_ROLE=AUTHORIZER) gets no body and is answered
 * by the gate's decision alone; the rule of its location comes with it,
 * as the variable AUTHCGI_REQUIRE, when the server's configuration sets
 * one.
 */
static int
answer(struct app *app, const struct app_settings *set, char *const *envp,
       bool authorizer, http_read_fn rd, void *rdarg, write_fn wr, void *warg)
{
	struct http_response resp;
	struct http_request req;
	enum err e;
	int rc;

	http_response_init(&resp);
	if (authorizer) {
		e = http_request_read(&req, envp, &set->limits, NULL, NULL);
		app_authorize(app, &req, e, env_get(envp, "AUTHCGI_REQUIRE"),
		              &resp);
	} else {
		e = http_request_read(&req, envp, &set->limits, rd, rdarg);
		app_handle(app, &req, e, &resp);
	}
	rc = respond(&resp, req.method == HTTP_HEAD, wr, warg);
	http_response_clear(&resp);
	http_request_clear(&req);
	return rc;
}

/* Is the request an authorizer's (the FastCGI role, also honoured in
 * CGI mode so that a shell can ask the gate as a server would)? */
static bool
authorizer_role(char *const *envp)
{
	const char *role = env_get(envp, "FCGI_ROLE");

	return role != NULL && strcmp(role, "AUTHORIZER") == 0;
}

static int
serve_cgi(const struct app_settings *set)
{
	struct app *app = NULL;
	int fd = STDIN_FILENO;
	enum err e;
	int rc;

	signal(SIGALRM, on_alarm);
	alarm(set->request_timeout);
	if ((e = app_new(&app, set)) != ERR_OK) {
		log_error("cannot start: %s", err_str(e));
		return respond_unavailable("service unavailable", write_stdout,
		                           NULL)
		           ? 1
		           : 0;
	}
	rc = answer(app, set, environ, authorizer_role(environ), read_body, &fd,
	            write_stdout, NULL);
	app_free(app);
	return rc ? 1 : 0;
}

/* ---- FastCGI: the same requests, many per process ---- */

static ssize_t
fcgi_read(void *arg, void *buf, size_t n)
{
	int r;

	if (n > INT_MAX)
		n = INT_MAX;
	r = FCGX_GetStr(buf, (int)n, arg);
	return r < 0 ? -1 : (ssize_t)r;
}

static int
fcgi_write(void *arg, const char *p, size_t n)
{
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;

		if (FCGX_PutStr(p, chunk, arg) != chunk)
			return -1;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* A request that outlives its limit in a FastCGI process ends the
 * process; the web server starts another. */
static void
on_alarm_fastcgi(int sig)
{
	(void)sig;
	_exit(1);
}

/* Is the FastCGI listening socket (stdin) a unix socket? */
static bool
listener_is_unix(void)
{
	struct sockaddr_storage sa;
	socklen_t n = sizeof(sa);

	return getsockname(0, (struct sockaddr *)&sa, &n) == 0 &&
	       sa.ss_family == AF_UNIX;
}

/*
 * libfcgi closes a connection gracefully: it shuts down its sending side
 * and reads until the server closes its own, so that input still in
 * flight cannot make TCP reset the connection and lose the end of the
 * answer. The cost is a wait for the server's event loop on every
 * request. When the server has sent everything (the request's stdin has
 * ended) and the socket is a unix one (no reset), a plain close is as
 * safe and does not wait; libfcgi calls that a detached request. (A
 * server that keeps the connection for more requests closes nothing.)
 * Looking for the end of stdin may read the server's last, empty stdin
 * record; every server sends it to a responder, and the request's alarm,
 * still set, bounds the wait for one that does not. An authorizer owns no
 * input: the server keeps the body for the handler after it, and sends
 * nothing more (lighttpd ends an authorizer's stdin, in the same write as
 * its parameters, only when the request has no body; Apache never sends
 * one): its answer is closed at once, without looking.
 */
static void
finish_fastcgi(FCGX_Request *r, bool unix_socket)
{
	if (unix_socket && !r->keepConnection &&
	    (r->role == FCGI_AUTHORIZER || FCGX_HasSeenEOF(r->in) == EOF ||
	     FCGX_GetChar(r->in) == EOF))
		FCGX_Detach(r);
	FCGX_Finish_r(r);
}

/*
 * Serve requests from the FastCGI socket on stdin until the web server
 * closes it. The database is opened once, at the first request that
 * needs it, and kept; nothing else outlives a request.
 */
static int
serve_fastcgi(const struct app_settings *set)
{
	struct app *app = NULL;
	FCGX_Request r;
	bool unix_socket = listener_is_unix();
	enum err e;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0) {
		log_error("cannot set up FastCGI");
		return 1;
	}
	signal(SIGALRM, on_alarm_fastcgi);
	if ((e = app_new(&app, set)) != ERR_OK)
		log_error("cannot start: %s", err_str(e));
	while (FCGX_Accept_r(&r) >= 0) {
		alarm(set->request_timeout);
		if (app == NULL)
			respond_unavailable("service unavailable", fcgi_write,
			                    r.out);
		else
			answer(app, set, r.envp, r.role == FCGI_AUTHORIZER,
			       fcgi_read, r.in, fcgi_write, r.out);
		finish_fastcgi(&r, unix_socket);
		alarm(0);
	}
	app_free(app);
	FCGX_Free(&r, 1);
	return 0;
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
	if (!cgi && argc > 1) {
		rc = e != ERR_OK ? 1 : admin(&set, argc, argv);
	} else if (!cgi && !FCGX_IsCGI()) {
		/* Spawned by a FastCGI server: stdin is a listening socket. */
		rc = e != ERR_OK ? 1 : serve_fastcgi(&set);
	} else if (!cgi) {
		fputs(app_usage, stderr);
		rc = 2;
	} else if (e != ERR_OK) {
		rc = respond_unavailable("service misconfigured", write_stdout,
		                         NULL)
		         ? 1
		         : 0;
	} else {
		set.auth.one_request = true;
		rc = serve_cgi(&set);
	}
	log_audit_close();
	return rc;
}
