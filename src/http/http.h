/* http.h: the CGI/1.1 request (RFC 3875) and response, the body decoders
 * and the cookie parser. The only layer that knows the wire format. */
#ifndef AUTHCGI_HTTP_H
#define AUTHCGI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cJSON.h>

#include "../common/err.h"

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_OTHER, /* any other token: answered 405 on a known path */
	HTTP_METHOD__MAX
};

/* Upper bounds on what one request may carry. Zero is not "unlimited":
 * callers fill every member (app_settings_load() does). */
struct http_limits {
	size_t max_body;   /* bytes; a larger CONTENT_LENGTH is ERR_TOO_LARGE */
	size_t max_fields; /* fields in one body; more is ERR_TOO_MANY */
	size_t max_header; /* bytes of HTTP_COOKIE and other header variables;
	                      more is ERR_HEADER_SIZE */
};

/* One decoded body field: both strings NUL-terminated, valid UTF-8 and
 * free of NUL bytes (the decoders refuse anything else). */
struct http_field {
	char *name;
	char *value;
};

/* A growable list of fields; owns its strings. Zero-initialise, or use
 * http_fields_clear() on a used one. Lookups return the first match. */
struct http_fields {
	struct http_field *v;
	size_t n;
	size_t cap;
};

/*
 * One request. Every string is owned by the request and borrowed by the
 * other layers until http_request_clear(). Members read from absent
 * variables are NULL unless said otherwise.
 */
struct http_request {
	enum http_method method;
	char *method_name;  /* REQUEST_METHOD as sent; "" when absent */
	char *path;         /* PATH_INFO without one trailing slash; "/" when
	                       absent or empty */
	char *script_name;  /* SCRIPT_NAME: the mount point, "" at the root */
	char *query;        /* QUERY_STRING */
	char *content_type; /* CONTENT_TYPE */
	char *cookie;       /* HTTP_COOKIE, raw */
	char *remote_addr;  /* REMOTE_ADDR */
	char *host;         /* HTTP_HOST */
	char *origin;       /* HTTP_ORIGIN */
	char *referer;      /* HTTP_REFERER */
	char *accept;       /* HTTP_ACCEPT */
	char *request_uri;  /* REQUEST_URI: the path and query as sent */
	/* What a reverse proxy says of the original request (X-Forwarded-For,
	 * -Proto, -Host, -Uri; X-Original-URL): as the client sent them,
	 * trusted only by whoever knows the proxy. */
	char *forwarded_for;
	char *forwarded_proto;
	char *forwarded_host;
	char *forwarded_uri;
	char *original_url;
	char *user_agent; /* HTTP_USER_AGENT; NULL as well when longer than
	                     the header limit */
	bool https;       /* HTTPS is "on" (any case) or "1" */
	char *body;       /* exactly CONTENT_LENGTH bytes, plus a NUL */
	size_t body_len;
	struct http_fields fields; /* filled by http_request_decode() */
	char *strings;             /* owns the strings above, but for body */
	size_t strings_len;
};

/* Reads up to n bytes into buf: returns the count, 0 at end of input,
 * -1 on error. Used to read the body from stdin or a FastCGI stream. */
typedef ssize_t (*http_read_fn)(void *arg, void *buf, size_t n);

/* A http_read_fn over a file descriptor passed as (int *)arg; retries on
 * EINTR. */
ssize_t http_read_fd(void *arg, void *buf, size_t n);

/*
 * A body over the limit is still read, and thrown away, when it is at most
 * this long: a server that streams the body to a CGI (Apache's mod_cgid)
 * drops the 413 answer when the CGI exits before taking the body ("Broken
 * pipe ... Error writing request body to script"). A longer one is left
 * unread; lighttpd has buffered it whole already.
 */
#define HTTP_DRAIN_MAX ((size_t)1 << 20)

/*
 * Fill req from the CGI variables in envp (a NULL-terminated "NAME=value"
 * array such as environ) and read the body with rd; rd NULL reads no
 * body whatever CONTENT_LENGTH says (req->body is then "").
 *
 * CONTENT_LENGTH is checked against lim->max_body before any byte is
 * stored (ERR_TOO_LARGE; a body over the limit of at most HTTP_DRAIN_MAX
 * bytes is then read and thrown away); exactly that many bytes are read,
 * never more; end
 * of input before that is ERR_SHORT_BODY. A CONTENT_LENGTH that is not a
 * decimal number is ERR_INVAL; an absent or empty one is no body (rd is
 * not called), unless HTTP_TRANSFER_ENCODING is "chunked" (a server that
 * passes a chunked body on de-chunked, without a length): then the body
 * is read to the end of input, more than lim->max_body being
 * ERR_TOO_LARGE (and up to HTTP_DRAIN_MAX more bytes are thrown away).
 * HTTP_COOKIE (and the other header variables:
 * CONTENT_TYPE, QUERY_STRING, REMOTE_ADDR and the HTTP_* ones read here,
 * but HTTP_USER_AGENT, which is then left out) longer than
 * lim->max_header is ERR_HEADER_SIZE. A read error is
 * ERR_SHORT_BODY too. On success req->body is never NULL.
 *
 * req is always initialised, even on error: method_name, path and
 * script_name are non-NULL after any error but ERR_NOMEM, so that an
 * error answer can be built; after ERR_HEADER_SIZE, only the header
 * variables that are too long are left NULL. The caller calls
 * http_request_clear() in every case.
 */
enum err http_request_read(struct http_request *req, char *const *envp,
                           const struct http_limits *lim, http_read_fn rd,
                           void *rdarg);

/* Free everything req owns and zero it. Safe on a zeroed request. */
void http_request_clear(struct http_request *req);

/*
 * Decode req->body into req->fields by CONTENT_TYPE (its media type
 * compared without case, parameters ignored but for the boundary):
 * application/x-www-form-urlencoded, multipart/form-data and
 * application/json. An empty body decodes to no fields whatever the type;
 * a body with no or another type is ERR_MEDIA_TYPE. Decoder errors are
 * passed through. Idempotent.
 */
enum err http_request_decode(struct http_request *req,
                             const struct http_limits *lim);

/* The value of the first field called name, or NULL; borrowed from req. */
const char *http_request_field(const struct http_request *req,
                               const char *name);

/*
 * The value of the first cookie called name in the HTTP_COOKIE header
 * (RFC 6265 section 5.4: "; "-separated pairs, optional whitespace, a
 * value may be in double quotes, which are removed). Pairs without "="
 * are skipped. On success *out is a copy the caller frees with free();
 * ERR_NOT_FOUND when absent, ERR_NOMEM on allocation failure.
 */
enum err http_cookie_get(const char *header, const char *name, char **out);

/*
 * Body decoders, each appending to out (which the caller clears with
 * http_fields_clear() on success and on error alike) and refusing more
 * than max_fields fields (ERR_TOO_MANY).
 *
 * http_form_parse: application/x-www-form-urlencoded (WHATWG URL,
 * "application/x-www-form-urlencoded parsing"): "&"-separated, "+" is a
 * space, %XX escapes; a malformed escape, a decoded NUL or invalid UTF-8
 * is ERR_ENCODING. A name without "=" gets the empty value; empty
 * sequences between "&" are skipped.
 *
 * http_multipart_parse: multipart/form-data (RFC 7578) with the boundary
 * taken from content_type; each part's name from its Content-Disposition;
 * a missing boundary parameter or a body that does not follow it is
 * ERR_INVAL; values are checked as above (ERR_ENCODING).
 *
 * http_json_parse: application/json (RFC 8259) through cJSON: the body
 * must be one object (else ERR_INVAL); its string members become fields,
 * other members are skipped; a "\u0000" escape anywhere in the document,
 * a raw NUL byte or invalid UTF-8 in a member's name or value is
 * ERR_ENCODING.
 */
enum err http_form_parse(const char *buf, size_t len, size_t max_fields,
                         struct http_fields *out);
enum err http_multipart_parse(const char *buf, size_t len,
                              const char *content_type, size_t max_fields,
                              struct http_fields *out);
enum err http_json_parse(const char *buf, size_t len, size_t max_fields,
                         struct http_fields *out);

/* Append a copy of (name, value); ERR_NOMEM on allocation failure. */
enum err http_fields_add(struct http_fields *f, const char *name,
                         size_t name_len, const char *value, size_t value_len);

/* The value of the first field called name, or NULL; borrowed from f. */
const char *http_fields_get(const struct http_fields *f, const char *name);

/* Free every field and zero f. Safe on a zeroed list. */
void http_fields_clear(struct http_fields *f);

/* True when s[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool http_utf8_valid(const char *s, size_t n);

/* ---- responses ---- */

#define HTTP_MAX_HEADERS 16

/* name and value share one allocation, at name. */
struct http_header {
	char *name;
	char *value;
};

/* A response under construction; owns its strings. */
struct http_response {
	int status;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	char *body; /* NUL-terminated; NULL for no body */
	size_t body_len;
};

/* The attributes of one Set-Cookie header (RFC 6265 section 4.1). */
struct http_cookie {
	const char *name;
	const char *value;
	const char *path; /* NULL: no Path attribute */
	long max_age;     /* < 0: no Max-Age (a session cookie); 0 with
	                     an Expires in the past: delete it */
	bool secure;
	bool http_only;
	const char *same_site; /* "Lax", "Strict", or NULL */
	const char *domain;    /* NULL: no Domain attribute (host-only) */
};

/* Status 200, no headers, no body. */
void http_response_init(struct http_response *resp);

/* Free everything resp owns and zero it. Safe on a zeroed response. */
void http_response_clear(struct http_response *resp);

/*
 * Add a header. Refused with ERR_INVAL when name is not an RFC 9110 token
 * or value holds a control character (CR and LF included): nothing the
 * client sent can inject a header. ERR_TOO_MANY past HTTP_MAX_HEADERS.
 */
enum err http_response_header(struct http_response *resp, const char *name,
                              const char *value);

/* Add a Set-Cookie header built from c (same checks as above; a name or
 * value outside RFC 6265's cookie-octets is ERR_INVAL). */
enum err http_response_cookie(struct http_response *resp,
                              const struct http_cookie *c);

/* Set the status and the body to the compact serialisation of json, with
 * "Content-Type: application/json". json is borrowed. */
enum err http_response_json(struct http_response *resp, int status,
                            const cJSON *json);

/* Set the status and a copy of data[0..len) as the body, with the given
 * Content-Type (replacing any). */
enum err http_response_body(struct http_response *resp, int status,
                            const char *type, const char *data, size_t len);

/*
 * Does the Accept header value prefer media type a over b (RFC 9110
 * section 12.5.1: the most specific matching range gives each its
 * quality; a tie is no preference)? NULL or an empty header prefers
 * nothing. Malformed parts are skipped.
 */
bool http_accept_prefers(const char *accept, const char *a, const char *b);

/* Shorthand for a body {"message": message}. */
enum err http_response_message(struct http_response *resp, int status,
                               const char *message);

/*
 * The CGI response as bytes: "Status: <code> <reason>", the headers, a
 * blank line, then the body unless head is true (a HEAD request). On
 * success *out (caller frees with free()) and *len are set.
 */
enum err http_response_serialize(const struct http_response *resp, bool head,
                                 char **out, size_t *len);

/* The reason phrase of an HTTP status code ("Not Found"); never NULL. */
const char *http_status_reason(int status);

/* The method of a REQUEST_METHOD token; HTTP_OTHER for anything else. */
enum http_method http_method_parse(const char *name);

/* The canonical name of m ("GET"); "OTHER" for HTTP_OTHER. */
const char *http_method_name(enum http_method m);

#endif
