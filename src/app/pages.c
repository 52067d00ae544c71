/* pages.c: small, accessible HTML pages for people with a browser. Plain
 * HTML and one style sheet; no script. Every value is escaped. */
#include <stdarg.h>
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

static const char style[] =
    "*{box-sizing:border-box}\n"
    "body{font:1rem/1.5 system-ui,sans-serif;margin:0;padding:1rem;"
    "background:#f4f5f7;color:#1d1f23}\n"
    "main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem;"
    "border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}\n"
    "h1{font-size:1.5rem;margin:0 0 1rem}\n"
    "label{display:block;margin:.75rem 0 .25rem;font-weight:600}\n"
    "input{width:100%;padding:.6rem;font-size:1rem;border:1px solid #8a8f98;"
    "border-radius:.3rem}\n"
    "input:focus,button:focus,a:focus{outline:3px solid #1a73e8;"
    "outline-offset:2px}\n"
    "button{margin-top:1.25rem;width:100%;padding:.7rem;font-size:1rem;"
    "border:0;border-radius:.3rem;background:#1a56c4;color:#fff;"
    "cursor:pointer}\n"
    "button:hover{background:#14449c}\n"
    ".alert{padding:.6rem .8rem;border-radius:.3rem;background:#fde8e8;"
    "color:#8a1111;border:1px solid #f3b4b4}\n"
    ".notice{padding:.6rem .8rem;border-radius:.3rem;background:#e6f4ea;"
    "color:#135a26;border:1px solid #a8d5b5}\n"
    ".email{font-size:1.15rem;font-weight:600;word-break:break-all}\n"
    "nav{margin-top:1.25rem;display:flex;gap:1rem;flex-wrap:wrap}\n"
    "a{color:#1a56c4}\n";

/* A growing output buffer; an allocation failure sticks. */
struct buf {
	char *p;
	size_t n, cap;
	bool failed;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 2048;
		while (cap < b->n + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
puts_raw(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Text or attribute value, escaped for HTML. */
static void
puts_esc(struct buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *e = NULL;

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
		puts_raw(b, e);
		run = s + 1;
	}
	put(b, run, (size_t)(s - run));
}

/*
 * A small template language: %s is copied as is (trusted text of this
 * file), %e is escaped (anything from the user, the database or the
 * request), %% is a percent sign.
 */
static void
printf_html(struct buf *b, const char *fmt, ...)
{
	const char *p = fmt;
	va_list ap;

	va_start(ap, fmt);
	while (*p != '\0') {
		size_t n = strcspn(p, "%");

		put(b, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (p[1] == 's')
			puts_raw(b, va_arg(ap, const char *));
		else if (p[1] == 'e')
			puts_esc(b, va_arg(ap, const char *));
		else if (p[1] == '%')
			put(b, "%", 1);
		p += p[1] != '\0' ? 2 : 1;
	}
	va_end(ap);
}

/* Open a form that posts to base + path, with its anti-forgery token
 * (see app.c: same_origin) and, when method is not NULL, the method it
 * stands for. */
static void
form_open(struct buf *b, const char *id, const char *base, const char *path,
          const char *method, const struct app_page_args *a)
{
	printf_html(b, "<form id=\"%s\" method=\"post\" action=\"%e%s\">\n", id,
	            base, path);
	if (a->form_token != NULL)
		printf_html(b,
		            "<input type=\"hidden\" name=\"_form_token\""
		            " value=\"%e\">\n",
		            a->form_token);
	if (method != NULL)
		printf_html(b,
		            "<input type=\"hidden\" name=\"_method\""
		            " value=\"%s\">\n",
		            method);
}

static void
head(struct buf *b, const char *base, const char *title)
{
	printf_html(b,
	            "<!doctype html>\n"
	            "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width,"
	            " initial-scale=1\">\n"
	            "<title>%e</title>\n"
	            "<link rel=\"stylesheet\" href=\"%e/style.css\">\n"
	            "</head>\n<body>\n<main>\n<h1>%e</h1>\n",
	            title, base, title);
}

static void
messages(struct buf *b, const struct app_page_args *a)
{
	if (a->error != NULL)
		printf_html(b,
		            "<p id=\"error\" class=\"alert\" role=\"alert\">"
		            "%e</p>\n",
		            a->error);
	if (a->notice != NULL)
		printf_html(b,
		            "<p id=\"notice\" class=\"notice\""
		            " role=\"status\">%e</p>\n",
		            a->notice);
}

/* Email and password fields; autocomplete tells password managers which
 * password this is. */
static void
credential_fields(struct buf *b, const struct app_page_args *a,
                  const char *pw_complete)
{
	printf_html(b,
	            "<label for=\"email\">Email</label>\n"
	            "<input id=\"email\" name=\"email\" type=\"email\" required"
	            " autocomplete=\"username\" value=\"%e\">\n"
	            "<label for=\"password\">Password</label>\n"
	            "<input id=\"password\" name=\"password\" type=\"password\""
	            " required autocomplete=\"%s\">\n",
	            a->email != NULL ? a->email : "", pw_complete);
}

static void
body_of(struct buf *b, const char *base, enum app_page page,
        const struct app_page_args *a)
{
	switch (page) {
	case APP_PAGE_HOME:
		head(b, base, "Welcome");
		messages(b, a);
		printf_html(
		    b,
		    "<p>Bienvenue.</p>\n"
		    "<nav><a href=\"%e/login\">Log in</a>"
		    "<a href=\"%e/register\">Create an account</a></nav>\n",
		    base, base);
		break;
	case APP_PAGE_REGISTER:
		head(b, base, "Create an account");
		messages(b, a);
		form_open(b, "register", base, "/users", NULL, a);
		credential_fields(b, a, "new-password");
		printf_html(
		    b,
		    "<button id=\"submit\" type=\"submit\">Create account"
		    "</button>\n</form>\n"
		    "<nav><a href=\"%e/login\">Log in instead</a></nav>\n",
		    base);
		break;
	case APP_PAGE_LOGIN:
	case APP_PAGE_DENIED:
		head(b, base,
		     page == APP_PAGE_LOGIN ? "Log in" : "Not logged in");
		messages(b, a);
		form_open(b, "login", base, "/sessions", NULL, a);
		credential_fields(b, a, "current-password");
		printf_html(
		    b,
		    "<button id=\"submit\" type=\"submit\">Log in</button>\n"
		    "</form>\n"
		    "<nav><a href=\"%e/register\">Create an account</a>"
		    "<a href=\"%e/reset_password\">Forgot your password?</a>"
		    "</nav>\n",
		    base, base);
		break;
	case APP_PAGE_PROFILE:
		head(b, base, "Your profile");
		messages(b, a);
		printf_html(b,
		            "<p>You are logged in as</p>\n"
		            "<p id=\"email\" class=\"email\">%e</p>\n",
		            a->email != NULL ? a->email : "");
		form_open(b, "logout", base, "/sessions", "DELETE", a);
		puts_raw(b, "<button id=\"submit\" type=\"submit\">Log out"
		            "</button>\n</form>\n");
		break;
	case APP_PAGE_RESET_ASK:
		head(b, base, "Reset your password");
		messages(b, a);
		form_open(b, "reset-request", base, "/reset_password", NULL, a);
		printf_html(
		    b,
		    "<label for=\"email\">Email</label>\n"
		    "<input id=\"email\" name=\"email\" type=\"email\" required"
		    " autocomplete=\"username\" value=\"%e\">\n"
		    "<button id=\"submit\" type=\"submit\">Send reset token"
		    "</button>\n</form>\n"
		    "<nav><a href=\"%e/login\">Back to log in</a></nav>\n",
		    a->email != NULL ? a->email : "", base);
		break;
	case APP_PAGE_RESET_SENT:
		head(b, base, "Reset your password");
		messages(b, a);
		if (a->delivered || a->token == NULL) {
			printf_html(b, "<p id=\"notice\" class=\"notice\""
			               " role=\"status\">If this email is"
			               " registered, a reset token is on its"
			               " way to it.</p>\n");
		} else {
			/* The default profile hands the token to whoever
			 * asked, as the original service did. */
			printf_html(
			    b,
			    "<p>Your reset link is ready.</p>\n"
			    "<p><a id=\"reset-link\" href=\"%e/reset_password"
			    "?email=",
			    base);
			/* Percent-encode what a query value cannot hold. */
			for (const char *s = a->email ? a->email : ""; *s;
			     s++) {
				char hex[4];

				if ((*s >= 'a' && *s <= 'z') ||
				    (*s >= 'A' && *s <= 'Z') ||
				    (*s >= '0' && *s <= '9') ||
				    strchr("-._~@", *s) != NULL) {
					put(b, s, 1);
				} else {
					snprintf(hex, sizeof(hex), "%%%02X",
					         (unsigned char)*s);
					puts_raw(b, hex);
				}
			}
			printf_html(
			    b,
			    "&amp;reset_token=%e\">Set a new password</a>"
			    "</p>\n",
			    a->token);
		}
		printf_html(b,
		            "<nav><a href=\"%e/login\">Back to log in</a>"
		            "</nav>\n",
		            base);
		break;
	case APP_PAGE_RESET_SET:
	default:
		head(b, base, "Set a new password");
		messages(b, a);
		form_open(b, "reset-update", base, "/reset_password", "PUT", a);
		printf_html(
		    b,
		    "<input type=\"hidden\" name=\"email\" value=\"%e\">\n"
		    "<input type=\"hidden\" name=\"reset_token\" "
		    "value=\"%e\">\n"
		    "<p>For <span class=\"email\">%e</span></p>\n"
		    "<label for=\"new_password\">New password</label>\n"
		    "<input id=\"new_password\" name=\"new_password\""
		    " type=\"password\" required "
		    "autocomplete=\"new-password\">\n"
		    "<button id=\"submit\" type=\"submit\">Set password"
		    "</button>\n</form>\n",
		    a->email != NULL ? a->email : "",
		    a->token != NULL ? a->token : "",
		    a->email != NULL ? a->email : "");
		break;
	}
	puts_raw(b, "</main>\n</body>\n</html>\n");
}

enum err
app_page_render(struct http_response *resp, int status, const char *base,
                enum app_page page, const struct app_page_args *args)
{
	static const struct app_page_args none;
	struct buf b = {0};
	enum err e;

	body_of(&b, base, page, args != NULL ? args : &none);
	if (b.failed)
		e = ERR_NOMEM;
	else if ((e = http_response_body(resp, status, HTML_TYPE, b.p, b.n)) ==
	         ERR_OK)
		e = http_response_header(resp, "Content-Security-Policy",
		                         PAGE_CSP);
	free(b.p);
	return e;
}

enum err
app_page_style(struct http_response *resp)
{
	return http_response_body(resp, 200, CSS_TYPE, style,
	                          sizeof(style) - 1);
}
