/* internal.h: what the files of the app layer share. Other layers see
 * app.h only. */
#ifndef AUTHCGI_APP_INTERNAL_H
#define AUTHCGI_APP_INTERNAL_H

#include "app.h"

struct app {
	struct app_settings set;
	struct auth *auth;
};

/* pages.c: the HTML pages shown to browsers. */
enum app_page {
	APP_PAGE_HOME,
	APP_PAGE_REGISTER,
	APP_PAGE_LOGIN,
	APP_PAGE_PROFILE,
	APP_PAGE_DENIED,     /* not logged in */
	APP_PAGE_RESET_ASK,  /* ask for a reset token */
	APP_PAGE_RESET_SENT, /* the token's link, or "check your mail" */
	APP_PAGE_RESET_SET,  /* set a new password with a token */
	APP_PAGE__MAX
};

/* What a page shows besides its form; every string is HTML-escaped. */
struct app_page_args {
	const char *error;      /* shown as an alert, or NULL */
	const char *notice;     /* shown as a notice, or NULL */
	const char *email;      /* pre-filled or shown, or NULL */
	const char *token;      /* reset token for RESET_SENT / RESET_SET */
	bool delivered;         /* RESET_SENT: the token went by mail */
	const char *form_token; /* anti-forgery token for every form */
};

/* Render page with status into resp, as text/html, with its
 * Content-Security-Policy. base is the mount point ("" at the root). */
enum err app_page_render(struct http_response *resp, int status,
                         const char *base, enum app_page page,
                         const struct app_page_args *args);

/* The style sheet the pages link to, as text/css. */
enum err app_page_style(struct http_response *resp);

#endif
