/* internal.h: what the files of the app layer share. Other layers see
 * app.h only. */
#ifndef AUTHCGI_APP_INTERNAL_H
#define AUTHCGI_APP_INTERNAL_H

#include "app.h"

struct app {
	struct app_settings set;
	struct auth *auth;
};

#endif
