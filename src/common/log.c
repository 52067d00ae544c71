/* log.c: one-line diagnostics and audit records. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <cJSON.h>

#include "log.h"

/* Where audit records go: process-wide, set once at start-up. */
static FILE *audit_file;

void
log_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "authcgi: %s\n", line);
	fflush(stderr);
}

int
log_audit_open(const char *path)
{
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "a")) == NULL) {
		log_error("cannot open audit log %s; using stderr", path);
		return -1;
	}
	log_audit_close();
	audit_file = f;
	return 0;
}

void
log_audit_close(void)
{
	if (audit_file != NULL)
		fclose(audit_file);
	audit_file = NULL;
}

void
log_audit(const char *event, long long account, const char *client)
{
	FILE *f = audit_file != NULL ? audit_file : stderr;
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	cJSON *o;
	char *line = NULL;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';
	if ((o = cJSON_CreateObject()) == NULL)
		goto out;
	if (cJSON_AddStringToObject(o, "time", when) == NULL ||
	    cJSON_AddStringToObject(o, "event", event) == NULL ||
	    (account > 0 ? cJSON_AddNumberToObject(o, "account",
	                                           (double)account) == NULL
	                 : cJSON_AddNullToObject(o, "account") == NULL) ||
	    (client != NULL
	         ? cJSON_AddStringToObject(o, "client", client) == NULL
	         : cJSON_AddNullToObject(o, "client") == NULL))
		goto out;
	if ((line = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	fprintf(f, "%s\n", line);
	fflush(f);
out:
	cJSON_free(line);
	cJSON_Delete(o);
}
