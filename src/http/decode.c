/* decode.c: a request body into fields, by its Content-Type. */
#include <string.h>

#include "http.h"
#include "internal.h"

enum body_type { BODY_FORM, BODY_MULTIPART, BODY_JSON, BODY_OTHER };

/*
 * The media type of a Content-Type value (RFC 9110 section 8.3.1:
 * type "/" subtype, case-insensitive, then parameters). Leading and
 * trailing whitespace is tolerated; the parameters are left to the
 * decoder (only multipart needs one, its boundary).
 */
static enum body_type
body_type(const char *ct)
{
	enum body_type t = BODY_OTHER;
	size_t s = 0, n;

	if (ct == NULL)
		goto out;
	while (ct[s] == ' ' || ct[s] == '\t')
		s++;
	n = strcspn(ct + s, "; \t");
	if (http_word_eq(ct + s, n, "application/x-www-form-urlencoded"))
		t = BODY_FORM;
	else if (http_word_eq(ct + s, n, "multipart/form-data"))
		t = BODY_MULTIPART;
	else if (http_word_eq(ct + s, n, "application/json"))
		t = BODY_JSON;
out:
	return t;
}

/* The fields are rebuilt from the body on each call, and left empty on
 * error so that no half-decoded body is ever looked up. */
enum err
http_request_decode(struct http_request *req, const struct http_limits *lim)
{
	enum err e = ERR_OK;

	http_fields_clear(&req->fields);
	if (req->body == NULL || req->body_len == 0)
		goto out;
	switch (body_type(req->content_type)) {
	case BODY_FORM:
		e = http_form_parse(req->body, req->body_len, lim->max_fields,
		                    &req->fields);
		break;
	case BODY_MULTIPART:
		e = http_multipart_parse(req->body, req->body_len,
		                         req->content_type, lim->max_fields,
		                         &req->fields);
		break;
	case BODY_JSON:
		e = http_json_parse(req->body, req->body_len, lim->max_fields,
		                    &req->fields);
		break;
	default:
		e = ERR_MEDIA_TYPE;
		break;
	}
out:
	if (e != ERR_OK)
		http_fields_clear(&req->fields);
	return e;
}

const char *
http_request_field(const struct http_request *req, const char *name)
{
	if (req == NULL)
		return NULL;
	return http_fields_get(&req->fields, name);
}
