/* request.c: a CGI/1.1 request from the environment and stdin. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/log.h"
#include "http.h"
#include "internal.h"

/* The CGI variables a request is read from: the order of env_scan()'s
 * output. The first V_STRINGS are copied into the request's strings. */
enum cgi_var {
	V_METHOD,
	V_PATH,
	V_SCRIPT,
	V_QUERY,
	V_CONTENT_TYPE,
	V_COOKIE,
	V_REMOTE_ADDR,
	V_HOST,
	V_ORIGIN,
	V_REFERER,
	V_ACCEPT,
	V_REQUEST_URI,
	V_FORWARDED_FOR,
	V_FORWARDED_PROTO,
	V_FORWARDED_HOST,
	V_FORWARDED_URI,
	V_ORIGINAL_URL,
	V_USER_AGENT,
	V_STRINGS,
	V_HTTPS = V_STRINGS,
	V_TRANSFER_ENCODING,
	V_CONTENT_LENGTH,
	V_COUNT
};

#define VAR(s)                                                                 \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}
static const struct {
	const char *name;
	size_t len;
} cgi_vars[V_COUNT] = {
    VAR("REQUEST_METHOD"),
    VAR("PATH_INFO"),
    VAR("SCRIPT_NAME"),
    VAR("QUERY_STRING"),
    VAR("CONTENT_TYPE"),
    VAR("HTTP_COOKIE"),
    VAR("REMOTE_ADDR"),
    VAR("HTTP_HOST"),
    VAR("HTTP_ORIGIN"),
    VAR("HTTP_REFERER"),
    VAR("HTTP_ACCEPT"),
    VAR("REQUEST_URI"),
    VAR("HTTP_X_FORWARDED_FOR"),
    VAR("HTTP_X_FORWARDED_PROTO"),
    VAR("HTTP_X_FORWARDED_HOST"),
    VAR("HTTP_X_FORWARDED_URI"),
    VAR("HTTP_X_ORIGINAL_URL"),
    VAR("HTTP_USER_AGENT"),
    VAR("HTTPS"),
    VAR("HTTP_TRANSFER_ENCODING"),
    VAR("CONTENT_LENGTH"),
};
#undef VAR

/*
 * val[i] = the value of cgi_vars[i] in envp, or NULL: one pass over the
 * environment, which holds dozens of variables; the first entry of a
 * name wins. The first byte is compared first: most names differ there.
 */
static void
env_scan(char *const *envp, const char *val[V_COUNT])
{
	const char *s;
	size_t i, n;

	for (i = 0; i < V_COUNT; i++)
		val[i] = NULL;
	for (; envp != NULL && *envp != NULL; envp++) {
		s = *envp;
		for (i = 0; i < V_COUNT; i++) {
			n = cgi_vars[i].len;
			if (val[i] == NULL && *s == *cgi_vars[i].name &&
			    strncmp(s, cgi_vars[i].name, n) == 0 &&
			    s[n] == '=') {
				val[i] = s + n + 1;
				break;
			}
		}
	}
}

/*
 * Copy the string variables into one block, req->strings: the method
 * ("" when absent), PATH_INFO without one trailing slash ("/" when absent
 * or empty), SCRIPT_NAME ("" when absent), then the header variables,
 * NULL when absent. A header variable longer than max is left NULL and
 * makes the result ERR_HEADER_SIZE; the others are still copied, so that
 * an error answer knows the client's preferences.
 */
static enum err
strings_copy(struct http_request *req, const char *const val[V_COUNT],
             size_t max)
{
	char **const dst[V_STRINGS] = {
	    &req->method_name,    &req->path,
	    &req->script_name,    &req->query,
	    &req->content_type,   &req->cookie,
	    &req->remote_addr,    &req->host,
	    &req->origin,         &req->referer,
	    &req->accept,         &req->request_uri,
	    &req->forwarded_for,  &req->forwarded_proto,
	    &req->forwarded_host, &req->forwarded_uri,
	    &req->original_url,   &req->user_agent};
	const char *src[V_STRINGS];
	size_t len[V_STRINGS], i, total = 0;
	char *p;
	enum err e = ERR_OK;

	for (i = 0; i < V_STRINGS; i++) {
		src[i] = val[i];
		if (i == V_METHOD || i == V_SCRIPT)
			src[i] = val[i] != NULL ? val[i] : "";
		else if (i == V_PATH)
			src[i] =
			    val[i] != NULL && *val[i] != '\0' ? val[i] : "/";
		len[i] = src[i] != NULL ? strlen(src[i]) : 0;
		if (i > V_SCRIPT && src[i] != NULL && len[i] > max) {
			src[i] = NULL;
			/* The user agent is only ever shown: one that long
			 * is left out, not an error. */
			if (i != V_USER_AGENT)
				e = ERR_HEADER_SIZE;
		}
		/* Each string is bounded by the environment's size. */
		if (src[i] != NULL)
			total += len[i] + 1;
	}
	if ((req->strings = malloc(total)) == NULL)
		return ERR_NOMEM;
	req->strings_len = total;
	for (p = req->strings, i = 0; i < V_STRINGS; i++) {
		if (src[i] == NULL)
			continue;
		memcpy(p, src[i], len[i] + 1);
		*dst[i] = p;
		p += len[i] + 1;
	}
	i = strlen(req->path);
	if (i > 1 && req->path[i - 1] == '/')
		req->path[i - 1] = '\0';
	return e;
}

/*
 * CONTENT_LENGTH (RFC 3875 section 4.1.2: 1*digit) into *len; absent or
 * empty is 0. A sign, a space or any other byte is ERR_INVAL. A value
 * above max (however many digits: the sum saturates rather than wraps)
 * is ERR_TOO_LARGE, with *len the value (SIZE_MAX when saturated).
 */
static enum err
content_length(const char *s, size_t max, size_t *len)
{
	size_t v = 0, i;
	unsigned d;
	bool over = false;
	enum err e = ERR_OK;

	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9') {
			e = ERR_INVAL;
			goto out;
		}
		d = (unsigned)(s[i] - '0');
		if (over || v > (SIZE_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	*len = over ? SIZE_MAX : v;
	if (over || v > max)
		e = ERR_TOO_LARGE;
out:
	return e;
}

/* Read and throw away up to n bytes of a body that is not taken (see
 * HTTP_DRAIN_MAX), until the end of input or an error. */
static void
body_drain(http_read_fn rd, void *rdarg, size_t n)
{
	char buf[4096];
	ssize_t r;

	while (rd != NULL && n > 0) {
		r = rd(rdarg, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (r <= 0 || (size_t)r > n)
			break;
		n -= (size_t)r;
	}
	explicit_bzero(buf, sizeof(buf));
}

/* Exactly n bytes into a new NUL-terminated buffer; any end of input or
 * read error before that is ERR_SHORT_BODY. */
static enum err
body_read(http_read_fn rd, void *rdarg, size_t n, char **out)
{
	char *b = NULL;
	size_t got = 0;
	ssize_t r;
	enum err e = ERR_OK;

	if (n == SIZE_MAX || (b = malloc(n + 1)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if (n > 0 && rd == NULL) {
		e = ERR_INTERNAL;
		goto out;
	}
	while (got < n) {
		errno = 0;
		r = rd(rdarg, b + got, n - got);
		if (r < 0) {
			log_error("reading the request body: %s",
			          errno != 0 ? strerror(errno) : "read error");
			e = ERR_SHORT_BODY;
			goto out;
		}
		if (r == 0) {
			e = ERR_SHORT_BODY;
			goto out;
		}
		if ((size_t)r > n - got) {
			log_error("request body reader overran its buffer");
			e = ERR_INTERNAL;
			goto out;
		}
		got += (size_t)r;
	}
	b[n] = '\0';
	*out = b;
	b = NULL;
out:
	http_free_wiped(b, got);
	return e;
}

/*
 * A body of unknown length (a chunked request that the server passes on
 * de-chunked, without CONTENT_LENGTH: Apache's mod_cgid does) is read to
 * the end of input, but never more than max bytes: one byte past max is
 * ERR_TOO_LARGE.
 */
static enum err
body_read_all(http_read_fn rd, void *rdarg, size_t max, char **out, size_t *len)
{
	size_t cap = max < 4096 ? max + 1 : 4096, got = 0;
	char *b = NULL, *nb;
	ssize_t r;
	enum err e = ERR_OK;

	if (rd == NULL || max >= SIZE_MAX - 1)
		return ERR_INTERNAL;
	if ((b = malloc(cap + 1)) == NULL)
		return ERR_NOMEM;
	for (;;) {
		if (got == cap) {
			if (cap > max) {
				e = ERR_TOO_LARGE;
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = realloc(b, cap + 1)) == NULL) {
				e = ERR_NOMEM;
				goto out;
			}
			b = nb;
		}
		r = rd(rdarg, b + got, cap - got);
		if (r < 0) {
			e = ERR_SHORT_BODY;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > max) {
		e = ERR_TOO_LARGE;
		goto out;
	}
	b[got] = '\0';
	*out = b;
	*len = got;
	b = NULL;
out:
	http_free_wiped(b, got);
	return e;
}

ssize_t
http_read_fd(void *arg, void *buf, size_t n)
{
	ssize_t r;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	do
		r = read(*(int *)arg, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * RFC 3875 section 4.1. The variables are found in one pass and copied
 * into one block, the header variables each bounded by lim->max_header
 * (strings_copy); then CONTENT_LENGTH, checked against
 * lim->max_body before a byte is stored. A CONTENT_LENGTH that is absent
 * or empty means no body: stdin is not touched (a server sends none),
 * unless HTTP_TRANSFER_ENCODING says chunked: then the body is read to
 * its end, up to lim->max_body. Without rd, no body is read whatever
 * the variables say (a FastCGI authorizer gets none).
 */
enum err
http_request_read(struct http_request *req, char *const *envp,
                  const struct http_limits *lim, http_read_fn rd, void *rdarg)
{
	const char *val[V_COUNT], *s;
	size_t len = 0;
	enum err e;

	memset(req, 0, sizeof(*req));
	env_scan(envp, val);
	req->method = http_method_parse(val[V_METHOD]);
	s = val[V_HTTPS];
	req->https =
	    s != NULL && (strcasecmp(s, "on") == 0 || strcmp(s, "1") == 0);
	if ((e = strings_copy(req, val, lim->max_header)) != ERR_OK)
		goto out;
	if (rd == NULL) {
		len = 0;
		e = body_read(rd, rdarg, len, &req->body);
		goto out;
	}
	s = val[V_TRANSFER_ENCODING];
	if ((val[V_CONTENT_LENGTH] == NULL || *val[V_CONTENT_LENGTH] == '\0') &&
	    s != NULL && strcasecmp(s, "chunked") == 0) {
		e = body_read_all(rd, rdarg, lim->max_body, &req->body, &len);
		if (e == ERR_OK)
			req->body_len = len;
		else if (e == ERR_TOO_LARGE)
			body_drain(rd, rdarg, HTTP_DRAIN_MAX);
		goto out;
	}
	e = content_length(val[V_CONTENT_LENGTH], lim->max_body, &len);
	if (e == ERR_TOO_LARGE && len <= HTTP_DRAIN_MAX)
		body_drain(rd, rdarg, len);
	if (e != ERR_OK)
		goto out;
	if ((e = body_read(rd, rdarg, len, &req->body)) != ERR_OK)
		goto out;
	req->body_len = len;
out:
	return e;
}

/* The body and the strings (the cookie among them) carry passwords and
 * session ids: wiped. */
void
http_request_clear(struct http_request *req)
{
	if (req == NULL)
		return;
	http_free_wiped(req->body, req->body_len);
	http_free_wiped(req->strings, req->strings_len);
	http_fields_clear(&req->fields);
	memset(req, 0, sizeof(*req));
}
