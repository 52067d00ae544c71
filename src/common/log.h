/* log.h: diagnostics for the operator, written to stderr (the web
 * server's error log) or to the file named by AUTHCGI_LOG. */
#ifndef AUTHCGI_LOG_H
#define AUTHCGI_LOG_H

/* Write one line "authcgi: <message>" to the log. Never fails loudly. */
void log_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
