/* response.c: building a CGI response and writing it out as bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "http.h"
#include "internal.h"

#define JSON_TYPE "application/json"

/* A header name: one or more RFC 9110 tchars. */
static bool
name_ok(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!http_is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* A header value: no control character (0x00-0x1f, 0x7f), so no CR or
 * LF to end the header early, and no tab either. */
static bool
value_ok(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/* RFC 6265 section 4.1.1 cookie-octet*: visible ASCII but for DQUOTE,
 * comma, semicolon and backslash. */
static bool
cookie_value_ok(const char *s)
{
	size_t i;
	unsigned char c;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' ||
		    c == '\\')
			return false;
	}
	return true;
}

/* RFC 6265 path-value: any CHAR but CTLs and ";". */
static bool
path_ok(const char *s)
{
	size_t i;
	unsigned char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == ';')
			return false;
	}
	return true;
}

/* RFC 6265 domain-value (section 4.1.1, RFC 1034 subdomain): labels of
 * letters, digits and hyphens, separated by dots. */
static bool
domain_ok(const char *s)
{
	size_t i, label = 0;
	unsigned char c;

	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-') {
			label++;
		} else {
			return false;
		}
	}
	return i > 0 && label > 0 && i <= 253;
}

/* *total += n, false on overflow. */
static bool
add_len(size_t *total, size_t n)
{
	if (n > SIZE_MAX - *total)
		return false;
	*total += n;
	return true;
}

/* A header's name and value share one allocation, at name. The value
 * may be a cookie: wiped. */
static void
header_free(struct http_header *h)
{
	if (h->value != NULL)
		explicit_bzero(h->value, strlen(h->value));
	free(h->name);
	h->name = h->value = NULL;
}

/* *h = copies of name and value, replacing what h held. */
static enum err
header_set(struct http_header *h, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *p;

	if (n > SIZE_MAX - 2 - v || (p = malloc(n + v + 2)) == NULL)
		return ERR_NOMEM;
	memcpy(p, name, n + 1);
	memcpy(p + n + 1, value, v + 1);
	header_free(h);
	h->name = p;
	h->value = p + n + 1;
	return ERR_OK;
}

void
http_response_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
}

void
http_response_clear(struct http_response *resp)
{
	size_t i;

	if (resp == NULL)
		return;
	for (i = 0; i < resp->nheaders && i < HTTP_MAX_HEADERS; i++)
		header_free(&resp->headers[i]);
	http_free_wiped(resp->body, resp->body_len);
	memset(resp, 0, sizeof(*resp));
}

enum err
http_response_header(struct http_response *resp, const char *name,
                     const char *value)
{
	enum err e;

	if (!name_ok(name) || !value_ok(value))
		return ERR_INVAL;
	if (resp->nheaders >= HTTP_MAX_HEADERS)
		return ERR_TOO_MANY;
	if ((e = header_set(&resp->headers[resp->nheaders], name, value)) ==
	    ERR_OK)
		resp->nheaders++;
	return e;
}

/*
 * RFC 6265 section 4.1: "name=value" then the attributes in a fixed
 * order: Path, Domain (only when asked: host-only cookies are the
 * default), Max-Age, Expires (only with Max-Age=0, for user agents that
 * predate Max-Age), Secure, HttpOnly, SameSite. Deliberately skipped: a
 * quoted value.
 */
enum err
http_response_cookie(struct http_response *resp, const struct http_cookie *c)
{
	const char *part[14];
	char age[32], *buf = NULL, *p;
	const char *ss = c->same_site;
	size_t np = 0, i, n, total = 1;
	enum err e = ERR_INVAL;

	if (!name_ok(c->name) || !cookie_value_ok(c->value))
		goto out;
	if (c->path != NULL && !path_ok(c->path))
		goto out;
	if (c->domain != NULL && !domain_ok(c->domain))
		goto out;
	if (ss != NULL && strcmp(ss, "Lax") != 0 && strcmp(ss, "Strict") != 0)
		goto out;
	part[np++] = c->name;
	part[np++] = "=";
	part[np++] = c->value;
	if (c->path != NULL) {
		part[np++] = "; Path=";
		part[np++] = c->path;
	}
	if (c->domain != NULL) {
		part[np++] = "; Domain=";
		part[np++] = c->domain;
	}
	if (c->max_age >= 0) {
		snprintf(age, sizeof(age), "; Max-Age=%ld", c->max_age);
		part[np++] = age;
	}
	if (c->max_age == 0)
		part[np++] = "; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
	if (c->secure)
		part[np++] = "; Secure";
	if (c->http_only)
		part[np++] = "; HttpOnly";
	if (ss != NULL) {
		part[np++] = "; SameSite=";
		part[np++] = ss;
	}
	for (i = 0; i < np; i++)
		if (!add_len(&total, strlen(part[i]))) {
			e = ERR_NOMEM;
			goto out;
		}
	if ((buf = malloc(total)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	for (p = buf, i = 0; i < np; i++) {
		n = strlen(part[i]);
		memcpy(p, part[i], n);
		p += n;
	}
	*p = '\0';
	e = http_response_header(resp, "Set-Cookie", buf);
out:
	http_free_wiped_str(buf);
	return e;
}

/* The JSON text is copied into a malloc'd body so that http_response_clear
 * frees it with free() whatever allocator cJSON was given. */
enum err
http_response_body(struct http_response *resp, int status, const char *type,
                   const char *data, size_t len)
{
	char *body = NULL;
	enum err e = ERR_OK;
	size_t i;

	if (type == NULL || (data == NULL && len > 0) || !value_ok(type))
		return ERR_INVAL;
	if ((body = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	if (len > 0)
		memcpy(body, data, len);
	body[len] = '\0';
	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, "Content-Type") == 0)
			break;
	if (i < resp->nheaders)
		e = header_set(&resp->headers[i], "Content-Type", type);
	else
		e = http_response_header(resp, "Content-Type", type);
	if (e != ERR_OK)
		goto out;
	http_free_wiped(resp->body, resp->body_len);
	resp->body = body;
	resp->body_len = len;
	resp->status = status;
	body = NULL;
out:
	http_free_wiped(body, len);
	return e;
}

enum err
http_response_json(struct http_response *resp, int status, const cJSON *json)
{
	char *text;
	enum err e;
	size_t len;

	if (json == NULL)
		return ERR_INVAL;
	if ((text = cJSON_PrintUnformatted(json)) == NULL)
		return ERR_NOMEM;
	len = strlen(text);
	e = http_response_body(resp, status, JSON_TYPE, text, len);
	explicit_bzero(text, len);
	cJSON_free(text);
	return e;
}

enum err
http_response_message(struct http_response *resp, int status,
                      const char *message)
{
	cJSON *obj = NULL;
	enum err e;

	if (message == NULL) {
		e = ERR_INVAL;
		goto out;
	}
	if ((obj = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(obj, "message", message) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	e = http_response_json(resp, status, obj);
out:
	cJSON_Delete(obj);
	return e;
}

/*
 * RFC 3875 section 6.3.3: the Status header comes first, then the
 * others, a blank line and the body. The headers are checked again
 * (the struct is open to its users) so that nothing that bypassed
 * http_response_header() can split the response.
 */
enum err
http_response_serialize(const struct http_response *resp, bool head, char **out,
                        size_t *len)
{
	const struct http_header *h;
	const char *reason = http_status_reason(resp->status);
	char *buf = NULL, *p;
	size_t i, total, n, rn;
	enum err e = ERR_INVAL;

	if (resp->status < 100 || resp->status > 999 ||
	    resp->nheaders > HTTP_MAX_HEADERS)
		goto out;
	/* "Status: NNN reason\r\n", the blank line and a NUL. */
	rn = strlen(reason);
	total = sizeof("Status: NNN \r\n") - 1 + rn + 2;
	for (i = 0; i < resp->nheaders; i++) {
		h = &resp->headers[i];
		if (!name_ok(h->name) || !value_ok(h->value))
			goto out;
		if (!add_len(&total, strlen(h->name)) ||
		    !add_len(&total, strlen(h->value)) || !add_len(&total, 4))
			goto out;
	}
	if (!head && resp->body != NULL && !add_len(&total, resp->body_len))
		goto out;
	if (!add_len(&total, 1) || (buf = malloc(total)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	memcpy(buf, "Status: ", 8);
	buf[8] = (char)('0' + resp->status / 100);
	buf[9] = (char)('0' + resp->status / 10 % 10);
	buf[10] = (char)('0' + resp->status % 10);
	buf[11] = ' ';
	memcpy(buf + 12, reason, rn);
	p = buf + 12 + rn;
	memcpy(p, "\r\n", 2);
	p += 2;
	for (i = 0; i < resp->nheaders; i++) {
		h = &resp->headers[i];
		n = strlen(h->name);
		memcpy(p, h->name, n);
		p += n;
		memcpy(p, ": ", 2);
		p += 2;
		n = strlen(h->value);
		memcpy(p, h->value, n);
		p += n;
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	memcpy(p, "\r\n", 2);
	p += 2;
	if (!head && resp->body != NULL && resp->body_len > 0) {
		memcpy(p, resp->body, resp->body_len);
		p += resp->body_len;
	}
	*p = '\0';
	*out = buf;
	*len = (size_t)(p - buf);
	buf = NULL;
	e = ERR_OK;
out:
	free(buf);
	return e;
}
