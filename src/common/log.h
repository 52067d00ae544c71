/* log.h: diagnostics for the operator, written to stderr (the web
 * server's error log) or to the file named by AUTHCGI_LOG. */
#ifndef AUTHCGI_LOG_H
#define AUTHCGI_LOG_H

/* Write one line "authcgi: <message>" to the log. Never fails loudly. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Send audit records to the file at path (appended), instead of stderr;
 * NULL keeps stderr. Returns 0, or -1 when the file cannot be opened
 * (stderr is kept then). Called once per process, before any record.
 */
int log_audit_open(const char *path);

/* Close the audit file, if one was opened. */
void log_audit_close(void);

/*
 * Write one audit record: a JSON line {"time", "event", "account",
 * "client"}. account <= 0 is written as null (no such account), client
 * NULL as null. Never given a password or a token.
 */
void log_audit(const char *event, long long account, const char *client);

#endif
