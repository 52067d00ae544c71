/* method.c: REQUEST_METHOD tokens and their names. */
#include <string.h>

#include "http.h"

static const char *const names[HTTP_METHOD__MAX] = {
    [HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD",     [HTTP_POST] = "POST",
    [HTTP_PUT] = "PUT", [HTTP_DELETE] = "DELETE", [HTTP_OTHER] = "OTHER",
};

/* Methods are case-sensitive (RFC 9110 section 9.1): "get" is another
 * method. */
enum http_method
http_method_parse(const char *name)
{
	int m;

	if (name == NULL)
		return HTTP_OTHER;
	for (m = 0; m < HTTP_OTHER; m++)
		if (strcmp(name, names[m]) == 0)
			return (enum http_method)m;
	return HTTP_OTHER;
}

const char *
http_method_name(enum http_method m)
{
	if ((unsigned)m >= HTTP_METHOD__MAX)
		return names[HTTP_OTHER];
	return names[m];
}
