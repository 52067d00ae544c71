/* config.c: the settings file: "NAME=value" lines (blank lines and lines
 * starting with "#" skipped, blanks around name and value ignored, a
 * value in double quotes taken without them), read when the process
 * starts. settings.c lets the environment win over it, and it over the
 * defaults. AUTHCGI_CONFIG names it; a build may name a default one
 * (make CONFIG_FILE=...: the Debian package's /etc/authcgi/authcgi.conf),
 * which may then be absent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "internal.h"

#ifndef AUTHCGI_CONFIG_FILE
#define AUTHCGI_CONFIG_FILE ""
#endif

#define FILE_MAX 16384

/* The file's text, its values cut out in place: they stay valid until
 * the next read (once per process). */
static char file_text[FILE_MAX + 1];

/* The index of name[0..n) in names[0..count), or count. */
static size_t
name_index(const char *const *names, size_t count, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strlen(names[i]) == n && strncmp(names[i], name, n) == 0)
			break;
	return i;
}

/* Trim blanks off both ends of s[0..*n). */
static char *
trim(char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 &&
	       (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\r'))
		(*n)--;
	return s;
}

enum err
app_config_read(const char *const *names, size_t count, const char **values)
{
	const char *path = getenv("AUTHCGI_CONFIG");
	bool optional = path == NULL || *path == '\0';
	char *line, *next, *name, *value, *eq;
	size_t n, len, nl, vl, i;
	FILE *fp;

	for (i = 0; i < count; i++)
		values[i] = NULL;
	if (optional)
		path = AUTHCGI_CONFIG_FILE;
	if (*path == '\0')
		return ERR_OK;
	if ((fp = fopen(path, "r")) == NULL) {
		if (optional && errno == ENOENT)
			return ERR_OK;
		log_error("settings file %s: %s", path, strerror(errno));
		return ERR_INVAL;
	}
	n = fread(file_text, 1, FILE_MAX + 1, fp);
	fclose(fp);
	if (n > FILE_MAX) {
		log_error("settings file %s: over %d bytes", path, FILE_MAX);
		return ERR_INVAL;
	}
	file_text[n] = '\0';
	for (line = file_text; *line != '\0'; line = next) {
		len = strcspn(line, "\n");
		next = line[len] != '\0' ? line + len + 1 : line + len;
		line[len] = '\0';
		line = trim(line, &len);
		if (len == 0 || *line == '#')
			continue;
		if ((eq = memchr(line, '=', len)) == NULL) {
			log_error("settings file %s: \"%s\" is not NAME=value",
			          path, line);
			return ERR_INVAL;
		}
		nl = (size_t)(eq - line);
		name = trim(line, &nl);
		vl = len - (size_t)(eq + 1 - line);
		value = trim(eq + 1, &vl);
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value++;
			vl -= 2;
		}
		value[vl] = '\0';
		if ((i = name_index(names, count, name, nl)) == count) {
			log_error("settings file %s: \"%.*s\" is no setting",
			          path, (int)nl, name);
			return ERR_INVAL;
		}
		values[i] = value;
	}
	return ERR_OK;
}
