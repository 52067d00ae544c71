/* render.c: the HTML pages, filled in from the templates of src/app/pages
 * (compiled in; see its README for the template language). Every value is
 * HTML-escaped on its way out: the templates have no way to insert one
 * unescaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define CSS_TYPE  "text/css; charset=utf-8"

/* Pages run no script, load nothing but their style sheet, post only
 * to the service itself and are never framed. */
#define PAGE_CSP                                                               \
	"default-src 'none'; style-src 'self'; form-action 'self';"            \
	" frame-ancestors 'none'; base-uri 'none'"

/* Partials nest at most this deep (a file that includes itself is an
 * error, not a loop). */
#define MAX_DEPTH 4

struct template
{
	const char *name;
	const char *text;
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "pages.inc"
#pragma GCC diagnostic pop

#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

/* Each page: its template and title. */
static const struct {
	const char *file;
	const char *title;
} pages[APP_PAGE__MAX] = {
    [APP_PAGE_HOME] = {"home", "Welcome"},
    [APP_PAGE_REGISTER] = {"register", "Create an account"},
    [APP_PAGE_LOGIN] = {"login", "Log in"},
    [APP_PAGE_DENIED] = {"login", "Not logged in"},
    [APP_PAGE_PROFILE] = {"profile", "Your profile"},
    [APP_PAGE_RESET_ASK] = {"reset_ask", "Reset your password"},
    [APP_PAGE_RESET_SENT] = {"reset_sent", "Reset your password"},
    [APP_PAGE_RESET_SET] = {"reset_set", "Set a new password"},
    [APP_PAGE_FORBIDDEN] = {"forbidden", "Not allowed"},
    [APP_PAGE_ACCOUNT] = {"account", "Your account"},
    [APP_PAGE_VERIFY_ASK] = {"verify_ask", "Verify your email"},
    [APP_PAGE_VERIFY_SET] = {"verify_set", "Verify your email"},
    [APP_PAGE_LOGIN_CODE] = {"login_code", "Your one-time code"},
    [APP_PAGE_TOTP_SETUP] = {"totp_setup", "Set up a second factor"},
    [APP_PAGE_TOTP_CODES] = {"totp_codes", "Your recovery codes"},
};

/* The list a page may repeat a section for: {{#sessions}} ...
 * {{/sessions}} once per session, its members named as in struct
 * app_page_session; {{^sessions}} when there is none. */
#define LIST_NAME "sessions"

/* What a page is filled in with. */
struct scope {
	const char *title;
	const char *base;
	const struct app_page_args *args;
	const struct app_page_session *row; /* inside the list: its row */
};

/* A growing output buffer; a failure sticks: ERR_NOMEM, or ERR_INTERNAL
 * for a template that does not parse. */
struct buf {
	char *p;
	size_t n, cap;
	enum err e;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->e != ERR_OK)
		return;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 2048;
		while (cap < b->n + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->e = ERR_NOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* Text or attribute value, escaped for HTML. */
static void
put_escaped(struct buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *e;

		switch (*s) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		default:
			continue;
		}
		put(b, run, (size_t)(s - run));
		put(b, e, strlen(e));
		run = s + 1;
	}
	put(b, run, (size_t)(s - run));
}

/* A value for a URL's query: percent-encoded where RFC 3986 asks, which
 * leaves nothing that HTML would read. */
static void
put_url(struct buf *b, const char *s)
{
	char hex[4];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL) {
			put(b, s, 1);
		} else {
			snprintf(hex, sizeof(hex), "%%%02X", c);
			put(b, hex, 3);
		}
	}
}

/* A value as a QR code: SVG markup drawn from the code's modules (qr.c),
 * which holds nothing of the value's text. */
static void
put_qr(struct buf *b, const char *s)
{
	char *svg = NULL;
	size_t n = 0;
	enum err e;

	if ((e = app_qr_svg(s, &svg, &n)) != ERR_OK) {
		if (b->e == ERR_OK)
			b->e = e;
		return;
	}
	put(b, svg, n);
	free(svg);
}

/* The value of name in sc: *found false for a name that pages do not
 * have; NULL for one without a value. */
static const char *
lookup(const struct scope *sc, const char *name, size_t len, bool *found)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
	    {"error", offsetof(struct app_page_args, error)},
	    {"notice", offsetof(struct app_page_args, notice)},
	    {"email", offsetof(struct app_page_args, email)},
	    {"token", offsetof(struct app_page_args, token)},
	    {"form_token", offsetof(struct app_page_args, form_token)},
	    {"next", offsetof(struct app_page_args, next)},
	    {"pending", offsetof(struct app_page_args, pending)},
	    {"factor", offsetof(struct app_page_args, factor)},
	    {"codes_left", offsetof(struct app_page_args, codes_left)},
	    {"pending_login", offsetof(struct app_page_args, pending_login)},
	    {"secret", offsetof(struct app_page_args, secret)},
	    {"uri", offsetof(struct app_page_args, uri)},
	    {"codes", offsetof(struct app_page_args, codes)},
	};
	static const struct {
		const char *name;
		size_t offset;
	} row_fields[] = {
	    {"id", offsetof(struct app_page_session, id)},
	    {"created", offsetof(struct app_page_session, created)},
	    {"last_seen", offsetof(struct app_page_session, last_seen)},
	    {"client", offsetof(struct app_page_session, client)},
	    {"user_agent", offsetof(struct app_page_session, user_agent)},
	    {"current", offsetof(struct app_page_session, current)},
	};
	const char *v;
	size_t i;

	*found = true;
	if (len == 5 && strncmp(name, "title", 5) == 0)
		return sc->title;
	if (len == 4 && strncmp(name, "base", 4) == 0)
		return sc->base;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) != len ||
		    strncmp(fields[i].name, name, len) != 0)
			continue;
		memcpy(&v, (const char *)sc->args + fields[i].offset,
		       sizeof(v));
		return v;
	}
	/* A row's members exist inside the list only. */
	for (i = 0;
	     sc->row != NULL && i < sizeof(row_fields) / sizeof(row_fields[0]);
	     i++) {
		if (strlen(row_fields[i].name) != len ||
		    strncmp(row_fields[i].name, name, len) != 0)
			continue;
		memcpy(&v, (const char *)sc->row + row_fields[i].offset,
		       sizeof(v));
		return v;
	}
	*found = false;
	return NULL;
}

static const char *
template_text(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NTEMPLATES; i++)
		if (strlen(templates[i].name) == len &&
		    strncmp(templates[i].name, name, len) == 0)
			return templates[i].text;
	return NULL;
}

/*
 * Where the section opened before p, called name[0..len), closes: the
 * start of its "{{/name}}" (sections of the same name may nest); *after
 * is past the tag. NULL when it never closes.
 */
static const char *
section_end(const char *p, const char *name, size_t len, const char **after)
{
	int depth = 1;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *q = p + 2;
		char kind = *q;

		if ((kind == '#' || kind == '^' || kind == '/') &&
		    strncmp(q + 1, name, len) == 0 &&
		    strncmp(q + 1 + len, "}}", 2) == 0) {
			depth += kind == '/' ? -1 : 1;
			if (depth == 0) {
				*after = q + 1 + len + 2;
				return p;
			}
		}
		p = q;
	}
	return NULL;
}

static void render(struct buf *b, const struct scope *sc, const char *start,
                   const char *p, const char *end, int depth);

/* The list's section, p[0..end): with each, once per row, in the row's
 * scope; without, once when there are no rows. */
static void
render_list(struct buf *b, const struct scope *sc, const char *start,
            const char *p, const char *end, int depth, bool each)
{
	struct scope row = *sc;
	size_t i;

	if (!each) {
		if (sc->args->nsessions == 0)
			render(b, sc, start, p, end, depth);
		return;
	}
	for (i = 0; sc->args->sessions != NULL && i < sc->args->nsessions;
	     i++) {
		row.row = &sc->args->sessions[i];
		render(b, &row, start, p, end, depth);
	}
}

/* Does q begin a line of the template that starts at start? */
static bool
line_start(const char *start, const char *q)
{
	return q == start || q[-1] == '\n';
}

/*
 * One tag at p ("{{" ... "}}"), within a template that started at start
 * and ends at end. Returns where the text after it goes on. A section or
 * file tag alone on its line takes its line break with it.
 */
static const char *
render_tag(struct buf *b, const struct scope *sc, const char *start,
           const char *p, const char *end, int depth)
{
	const char *name = p + 3, *close, *body_end, *after, *v, *text;
	char kind = p[2];
	bool found, url, qr;
	size_t len;

	if (kind != '#' && kind != '^' && kind != '/' && kind != '>') {
		kind = '=';
		name = p + 2;
	}
	if ((close = strstr(name, "}}")) == NULL || close >= end) {
		b->e = ERR_INTERNAL;
		return end;
	}
	len = (size_t)(close - name);
	after = close + 2;
	if (kind != '=' && line_start(start, p) && *after == '\n')
		after++;
	switch (kind) {
	case '=':
		url = len > 4 && strncmp(name + len - 4, "|url", 4) == 0;
		qr = len > 3 && strncmp(name + len - 3, "|qr", 3) == 0;
		v = lookup(sc, name,
		           url  ? len - 4
		           : qr ? len - 3
		                : len,
		           &found);
		if (!found)
			b->e = ERR_INTERNAL;
		else if (v != NULL && url)
			put_url(b, v);
		else if (v != NULL && qr)
			put_qr(b, v);
		else if (v != NULL)
			put_escaped(b, v);
		return after;
	case '#':
	case '^':
		body_end = section_end(after, name, len, &close);
		if (body_end == NULL || close > end) {
			b->e = ERR_INTERNAL;
			return end;
		}
		if (len == strlen(LIST_NAME) &&
		    strncmp(name, LIST_NAME, len) == 0) {
			render_list(b, sc, start, after, body_end, depth,
			            kind == '#');
		} else {
			v = lookup(sc, name, len, &found);
			if (!found) {
				b->e = ERR_INTERNAL;
				return end;
			}
			if ((v != NULL && *v != '\0') == (kind == '#'))
				render(b, sc, start, after, body_end, depth);
		}
		if (line_start(start, body_end) && *close == '\n')
			close++;
		return close;
	case '>':
		if ((text = template_text(name, len)) == NULL ||
		    depth >= MAX_DEPTH) {
			b->e = ERR_INTERNAL;
			return end;
		}
		render(b, sc, text, text, text + strlen(text), depth + 1);
		return after;
	default: /* a "{{/name}}" that no section opened */
		b->e = ERR_INTERNAL;
		return end;
	}
}

/* Write the template text p[0..end), of the template that starts at
 * start, filled in from sc into b. */
static void
render(struct buf *b, const struct scope *sc, const char *start, const char *p,
       const char *end, int depth)
{
	const char *tag;

	while (p < end && b->e == ERR_OK) {
		tag = strstr(p, "{{");
		if (tag == NULL || tag >= end) {
			put(b, p, (size_t)(end - p));
			return;
		}
		put(b, p, (size_t)(tag - p));
		p = render_tag(b, sc, start, tag, end, depth);
	}
}

enum err
app_page_render(struct http_response *resp, int status, const char *base,
                enum app_page page, const struct app_page_args *args)
{
	static const struct app_page_args none;
	struct scope sc;
	struct buf b = {0};
	const char *text;
	enum err e;

	if ((unsigned)page >= APP_PAGE__MAX ||
	    (text = template_text(pages[page].file,
	                          strlen(pages[page].file))) == NULL)
		return ERR_INTERNAL;
	sc.title = pages[page].title;
	sc.base = base;
	sc.args = args != NULL ? args : &none;
	sc.row = NULL;
	render(&b, &sc, text, text, text + strlen(text), 0);
	if ((e = b.e) == ERR_OK &&
	    (e = http_response_body(resp, status, HTML_TYPE, b.p, b.n)) ==
	        ERR_OK)
		e = http_response_header(resp, "Content-Security-Policy",
		                         PAGE_CSP);
	free(b.p);
	return e;
}

enum err
app_page_style(struct http_response *resp)
{
	const char *css = template_text("style", 5);

	if (css == NULL)
		return ERR_INTERNAL;
	return http_response_body(resp, 200, CSS_TYPE, css, strlen(css));
}
