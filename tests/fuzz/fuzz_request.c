/* fuzz_request.c: libFuzzer target for one whole request: CGI variables
 * and body from the fuzzer's bytes, through the app, against a temporary
 * database. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "app/app.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VARS 32

/* A read function over the rest of the input. */
struct mem {
	const char *p;
	size_t n;
};

static ssize_t
mem_read(void *arg, void *buf, size_t n)
{
	struct mem *m = arg;

	if (n > m->n)
		n = m->n;
	memcpy(buf, m->p, n);
	m->p += n;
	m->n -= n;
	return (ssize_t)n;
}

static struct app *app;
static struct app_settings set;

/* One database for the whole run, in a fresh directory; a fast hash so
 * that registrations do not dominate. */
static void
setup(void)
{
	static char dir[] = "/tmp/authcgi-fuzz.XXXXXX";
	static char db[sizeof(dir) + 16], key[sizeof(dir) + 16];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(db, sizeof(db), "%s/auth.db", dir);
	snprintf(key, sizeof(key), "%s/auth.db.key", dir);
	if (app_settings_load(&set) != ERR_OK)
		abort();
	set.auth.db_path = db;
	set.auth.secret_key_file = key;
	set.auth.hash_method = "$2b$";
	set.auth.hash_cost = 4;
	set.limits.max_body = 4096;
	if (app_new(&app, &set) != ERR_OK || app_init_db(app) != ERR_OK)
		abort();
}

/*
 * The input is "NAME=value" lines (the CGI variables: REQUEST_METHOD,
 * PATH_INFO, CONTENT_TYPE, CONTENT_LENGTH, HTTP_COOKIE, ...), an empty
 * line, then the body.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[MAX_VARS + 1];
	struct http_response resp;
	struct http_request req;
	struct mem body;
	char *buf, *p, *end, *nl;
	size_t n = 0, len;
	enum err e;
	char *out;

	if (app == NULL)
		setup();
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	p = buf;
	end = buf + size;
	while (p < end && n < MAX_VARS) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if (p == nl) {
			p = nl + 1;
			break;
		}
		if (strchr(p, '=') != NULL)
			envp[n++] = p;
		p = nl + 1;
	}
	envp[n] = NULL;
	body.p = p < end ? p : end;
	body.n = p < end ? (size_t)(end - p) : 0;

	http_response_init(&resp);
	e = http_request_read(&req, envp, &set.limits, mem_read, &body);
	app_handle(app, &req, e, &resp);
	if (resp.status != 500) {
		if (resp.status < 200 || resp.status > 599)
			abort();
		if (resp.status >= 500 && resp.status != 503)
			abort();
		if (http_response_serialize(&resp, req.method == HTTP_HEAD,
		                            &out, &len) == ERR_OK)
			free(out);
	}
	http_response_clear(&resp);
	http_request_clear(&req);
	free(buf);
	return 0;
}
