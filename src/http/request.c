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

/* The value of name in envp (first match), or NULL. */
static const char *
env_get(char *const *envp, const char *name)
{
	const char *v = NULL;
	size_t n = strlen(name);

	/* The first byte first: most variables differ there, and a CGI
	 * environment has dozens of them for each of the lookups. */
	for (; envp != NULL && *envp != NULL; envp++)
		if (**envp == *name && strncmp(*envp, name, n) == 0 &&
		    (*envp)[n] == '=') {
			v = *envp + n + 1;
			break;
		}
	return v;
}

/* *dst = a copy of s (NULL stays NULL); ERR_HEADER_SIZE when s is longer
 * than max bytes. */
static enum err
env_dup(char **dst, const char *s, size_t max)
{
	enum err e = ERR_OK;

	if (s == NULL)
		goto out;
	if (strlen(s) > max)
		e = ERR_HEADER_SIZE;
	else if ((*dst = strdup(s)) == NULL)
		e = ERR_NOMEM;
out:
	return e;
}

/* PATH_INFO without one trailing slash, "/" when absent or empty. */
static enum err
path_dup(char **dst, const char *s)
{
	size_t n;
	enum err e = ERR_OK;

	if (s == NULL || *s == '\0')
		s = "/";
	if ((*dst = strdup(s)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	n = strlen(*dst);
	if (n > 1 && (*dst)[n - 1] == '/')
		(*dst)[n - 1] = '\0';
out:
	return e;
}

/*
 * CONTENT_LENGTH (RFC 3875 section 4.1.2: 1*digit) into *len; absent or
 * empty is 0. A sign, a space or any other byte is ERR_INVAL. A value
 * above max (however many digits: the sum saturates rather than wraps)
 * is ERR_TOO_LARGE.
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
	if (over || v > max) {
		e = ERR_TOO_LARGE;
		goto out;
	}
	*len = v;
out:
	return e;
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
 * RFC 3875 section 4.1. The variables an error answer needs (method,
 * path, mount point) are read first; then the header variables, each
 * bounded by lim->max_header; then CONTENT_LENGTH, checked against
 * lim->max_body before a byte is read. A CONTENT_LENGTH that is absent
 * or empty means no body: stdin is not touched (a server sends none),
 * unless HTTP_TRANSFER_ENCODING says chunked: then the body is read to
 * its end, up to lim->max_body.
 */
enum err
http_request_read(struct http_request *req, char *const *envp,
                  const struct http_limits *lim, http_read_fn rd, void *rdarg)
{
	static const char *const vars[] = {
	    "QUERY_STRING", "CONTENT_TYPE", "HTTP_COOKIE",  "REMOTE_ADDR",
	    "HTTP_HOST",    "HTTP_ORIGIN",  "HTTP_REFERER", "HTTP_ACCEPT"};
	char **const dst[] = {
	    &req->query, &req->content_type, &req->cookie,  &req->remote_addr,
	    &req->host,  &req->origin,       &req->referer, &req->accept};
	const char *s;
	size_t i, len = 0;
	enum err e;

	memset(req, 0, sizeof(*req));
	s = env_get(envp, "REQUEST_METHOD");
	req->method = http_method_parse(s);
	if ((e = env_dup(&req->method_name, s != NULL ? s : "", SIZE_MAX)) !=
	    ERR_OK)
		goto out;
	if ((e = path_dup(&req->path, env_get(envp, "PATH_INFO"))) != ERR_OK)
		goto out;
	s = env_get(envp, "SCRIPT_NAME");
	if ((e = env_dup(&req->script_name, s != NULL ? s : "", SIZE_MAX)) !=
	    ERR_OK)
		goto out;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((e = env_dup(dst[i], env_get(envp, vars[i]),
		                 lim->max_header)) != ERR_OK)
			goto out;
	s = env_get(envp, "HTTPS");
	req->https =
	    s != NULL && (strcasecmp(s, "on") == 0 || strcmp(s, "1") == 0);
	s = env_get(envp, "HTTP_TRANSFER_ENCODING");
	if ((env_get(envp, "CONTENT_LENGTH") == NULL ||
	     *env_get(envp, "CONTENT_LENGTH") == '\0') &&
	    s != NULL && strcasecmp(s, "chunked") == 0) {
		e = body_read_all(rd, rdarg, lim->max_body, &req->body, &len);
		if (e == ERR_OK)
			req->body_len = len;
		goto out;
	}
	if ((e = content_length(env_get(envp, "CONTENT_LENGTH"), lim->max_body,
	                        &len)) != ERR_OK)
		goto out;
	if ((e = body_read(rd, rdarg, len, &req->body)) != ERR_OK)
		goto out;
	req->body_len = len;
out:
	return e;
}

/* The body and the cookie carry passwords and session ids: wiped. */
void
http_request_clear(struct http_request *req)
{
	if (req == NULL)
		return;
	http_free_wiped(req->body, req->body_len);
	http_free_wiped_str(req->cookie);
	free(req->method_name);
	free(req->path);
	free(req->script_name);
	free(req->query);
	free(req->content_type);
	free(req->remote_addr);
	free(req->host);
	free(req->origin);
	free(req->referer);
	free(req->accept);
	http_fields_clear(&req->fields);
	memset(req, 0, sizeof(*req));
}
