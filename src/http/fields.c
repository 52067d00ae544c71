/* fields.c: the growable list of decoded body fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "internal.h"

/* A NUL-terminated heap copy of s[0..n), or NULL. */
static char *
dup_len(const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Make room for one more field: capacity doubles from 8. */
static enum err
grow(struct http_fields *f)
{
	struct http_field *v;
	size_t cap;

	if (f->n < f->cap)
		return ERR_OK;
	cap = f->cap == 0 ? 8 : f->cap;
	if (f->cap != 0) {
		if (cap > SIZE_MAX / 2 / sizeof(*v))
			return ERR_NOMEM;
		cap *= 2;
	}
	if ((v = realloc(f->v, cap * sizeof(*v))) == NULL)
		return ERR_NOMEM;
	f->v = v;
	f->cap = cap;
	return ERR_OK;
}

enum err
http_fields_add(struct http_fields *f, const char *name, size_t name_len,
                const char *value, size_t value_len)
{
	char *n = NULL, *v = NULL;
	enum err e;

	if ((e = grow(f)) != ERR_OK)
		goto out;
	if ((n = dup_len(name, name_len)) == NULL ||
	    (v = dup_len(value, value_len)) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	f->v[f->n].name = n;
	f->v[f->n].value = v;
	f->n++;
	n = v = NULL;
out:
	free(n);
	free(v);
	return e;
}

const char *
http_fields_get(const struct http_fields *f, const char *name)
{
	size_t i;

	if (f == NULL || name == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

/* Values may be passwords or tokens: wiped before they are freed. */
void
http_fields_clear(struct http_fields *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		http_free_wiped_str(f->v[i].name);
		http_free_wiped_str(f->v[i].value);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}
