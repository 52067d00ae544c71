/* status.c: the reason phrases of RFC 9110 section 15. */
#include "http.h"

const char *
http_status_reason(int status)
{
	const char *r;

	switch (status) {
	case 200:
		r = "OK";
		break;
	case 201:
		r = "Created";
		break;
	case 204:
		r = "No Content";
		break;
	case 301:
		r = "Moved Permanently";
		break;
	case 302:
		r = "Found";
		break;
	case 303:
		r = "See Other";
		break;
	case 304:
		r = "Not Modified";
		break;
	case 307:
		r = "Temporary Redirect";
		break;
	case 400:
		r = "Bad Request";
		break;
	case 401:
		r = "Unauthorized";
		break;
	case 403:
		r = "Forbidden";
		break;
	case 404:
		r = "Not Found";
		break;
	case 405:
		r = "Method Not Allowed";
		break;
	case 408:
		r = "Request Timeout";
		break;
	case 409:
		r = "Conflict";
		break;
	case 411:
		r = "Length Required";
		break;
	case 413:
		r = "Content Too Large";
		break;
	case 415:
		r = "Unsupported Media Type";
		break;
	case 422:
		r = "Unprocessable Content";
		break;
	case 429:
		r = "Too Many Requests";
		break;
	case 431:
		r = "Request Header Fields Too Large";
		break;
	case 500:
		r = "Internal Server Error";
		break;
	case 501:
		r = "Not Implemented";
		break;
	case 503:
		r = "Service Unavailable";
		break;
	default:
		r = "Unknown";
		break;
	}
	return r;
}
