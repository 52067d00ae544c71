/* qr.c: a QR code (libqrencode) as inline SVG markup, for the second
 * factor's page: drawn from the code's modules only, so that nothing of
 * the text it encodes reaches the markup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AUTHCGI_NO_TOTP
#include <qrencode.h>
#endif

#include "internal.h"

/* White modules around the code, as the standard asks. */
#define QUIET 4

#ifdef AUTHCGI_NO_TOTP
enum err
app_qr_svg(const char *text, char **out, size_t *len)
{
	(void)text;
	(void)out;
	(void)len;
	return ERR_UNSUPPORTED;
}
#else
enum err
app_qr_svg(const char *text, char **out, size_t *len)
{
	QRcode *q;
	char *buf = NULL, *p;
	size_t cap, n = 0;
	int x, y, w, size, run;
	enum err e = ERR_OK;

	if ((q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M)) == NULL)
		return ERR_NOMEM;
	w = q->width;
	size = w + 2 * QUIET;
	/* A header, a path of at most one "M" and "h" per module, and the
	 * end: each at most 32 bytes. */
	cap = 512 + (size_t)w * (size_t)w * 32;
	if ((buf = malloc(cap)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	n = (size_t)snprintf(buf, cap,
	                     "<svg xmlns=\"http://www.w3.org/2000/svg\""
	                     " viewBox=\"0 0 %d %d\" width=\"%d\""
	                     " height=\"%d\" shape-rendering=\"crispEdges\""
	                     " role=\"img\" aria-label=\"QR code\">"
	                     "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	                     "<path fill=\"#000\" d=\"",
	                     size, size, size * 5, size * 5, size, size);
	/* Each row's runs of dark modules as one rectangle each. */
	for (y = 0; y < w; y++) {
		for (x = 0; x<w; x += run> 0 ? run : 1) {
			for (run = 0;
			     x + run < w && (q->data[y * w + x + run] & 1) != 0;
			     run++)
				;
			if (run > 0)
				n += (size_t)snprintf(
				    buf + n, cap - n, "M%d %dh%dv1h-%dz",
				    x + QUIET, y + QUIET, run, run);
		}
	}
	p = buf + n;
	n += (size_t)snprintf(p, cap - n, "\"/></svg>");
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	QRcode_free(q);
	return e;
}
#endif
