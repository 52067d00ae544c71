/* test_http.c: unit tests of the http layer: parsers, request, response. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http.h"

#define NOLEN ((size_t)-1)  /* in tables: take strlen() of the input */
#define MAXP  4             /* expected fields per table line */
#define V(s)  ((char *)(s)) /* a literal in a char *envp[] */

/* One expected field; a NULL name ends the list. */
struct pair {
	const char *name;
	const char *value;
};

/* A parser's table line: input, expected error, then the fields. */
struct parse_case {
	const char *in;
	size_t len;
	enum err err;
	struct pair want[MAXP];
	const char *why;
};

static size_t
case_len(const struct parse_case *c)
{
	return c->len == NOLEN ? strlen(c->in) : c->len;
}

/* Check out against the expected error and fields of c. */
static void
check_fields(const struct parse_case *c, enum err e,
             const struct http_fields *out)
{
	size_t i;

	if (e != c->err)
		print_error("case \"%s\" (%s): got %s, want %s\n", c->in,
		            c->why, err_str(e), err_str(c->err));
	assert_int_equal(e, c->err);
	if (e != ERR_OK)
		return;
	for (i = 0; i < MAXP && c->want[i].name != NULL; i++) {
		if (i >= out->n)
			print_error("case \"%s\" (%s): only %zu fields\n",
			            c->in, c->why, out->n);
		assert_true(i < out->n);
		assert_string_equal(out->v[i].name, c->want[i].name);
		assert_string_equal(out->v[i].value, c->want[i].value);
	}
	if (out->n != i)
		print_error("case \"%s\" (%s): %zu fields, want %zu\n", c->in,
		            c->why, out->n, i);
	assert_int_equal(out->n, i);
}

/* ---- UTF-8 ---- */

static void
test_http_utf8_valid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool ok;
		const char *why;
	} t[] = {
	    {"", 0, true, "empty"},
	    {"plain ascii", NOLEN, true, "ascii"},
	    {"\x00", 1, true, "NUL is UTF-8 (refused elsewhere)"},
	    {"\x7f", 1, true, "DEL"},
	    {"\xc3\xa9", 2, true, "e acute"},
	    {"\xc3", 1, false, "truncated 2-byte"},
	    {"\xc3(", 2, false, "bad continuation"},
	    {"\x80", 1, false, "lone continuation"},
	    {"\xc0\xaf", 2, false, "overlong '/' (C0)"},
	    {"\xc1\xbf", 2, false, "overlong (C1)"},
	    {"\xe0\x80\xaf", 3, false, "overlong 3-byte"},
	    {"\xe0\xa0\x80", 3, true, "U+0800"},
	    {"\xed\x9f\xbf", 3, true, "U+D7FF"},
	    {"\xed\xa0\x80", 3, false, "surrogate D800"},
	    {"\xed\xbf\xbf", 3, false, "surrogate DFFF"},
	    {"\xee\x80\x80", 3, true, "U+E000"},
	    {"\xef\xbf\xbf", 3, true, "U+FFFF"},
	    {"\xe2\x82", 2, false, "truncated 3-byte"},
	    {"\xf0\x80\x80\xaf", 4, false, "overlong 4-byte"},
	    {"\xf0\x90\x80\x80", 4, true, "U+10000"},
	    {"\xf0\x9f\x98\x80", 4, true, "emoji"},
	    {"\xf4\x8f\xbf\xbf", 4, true, "U+10FFFF"},
	    {"\xf4\x90\x80\x80", 4, false, "above U+10FFFF"},
	    {"\xf5\x80\x80\x80", 4, false, "F5 lead"},
	    {"\xf0\x9f\x98", 3, false, "truncated 4-byte"},
	    {"\xff", 1, false, "FF"},
	    {"\xfe", 1, false, "FE"},
	    {"a\xc3\xa9z", 4, true, "mixed"},
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = t[i].len == NOLEN ? strlen(t[i].s) : t[i].len;
		if (http_utf8_valid(t[i].s, n) != t[i].ok)
			print_error("utf8 case %zu (%s)\n", i, t[i].why);
		assert_int_equal(http_utf8_valid(t[i].s, n), t[i].ok);
	}
}

/* ---- fields ---- */

static void
test_http_fields_add_get_clear(void **state)
{
	struct http_fields f = {0};
	char name[16];
	size_t i;

	(void)state;
	assert_null(http_fields_get(&f, "a"));
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		assert_int_equal(
		    http_fields_add(&f, name, strlen(name), "vx", 1), ERR_OK);
	}
	assert_int_equal(f.n, 100);
	assert_string_equal(http_fields_get(&f, "f42"), "v");
	assert_int_equal(http_fields_add(&f, "f42", 3, "other", 5), ERR_OK);
	assert_string_equal(http_fields_get(&f, "f42"), "v");
	assert_null(http_fields_get(&f, "f100"));
	assert_null(http_fields_get(&f, NULL));
	assert_null(http_fields_get(NULL, "f1"));
	http_fields_clear(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.v);
	http_fields_clear(&f);
	http_fields_clear(NULL);
}

/* ---- application/x-www-form-urlencoded ---- */

static void
test_http_form_parse_table(void **state)
{
	static const struct parse_case t[] = {
	    {"", NOLEN, ERR_OK, {{NULL, NULL}}, "empty body"},
	    {"a=1&b=2", NOLEN, ERR_OK, {{"a", "1"}, {"b", "2"}}, "two pairs"},
	    {"email=a%40b.c&password=x",
	     NOLEN,
	     ERR_OK,
	     {{"email", "a@b.c"}, {"password", "x"}},
	     "escape"},
	    {"a=b+c", NOLEN, ERR_OK, {{"a", "b c"}}, "plus is space"},
	    {"a+b=c", NOLEN, ERR_OK, {{"a b", "c"}}, "plus in name"},
	    {"a=%2B", NOLEN, ERR_OK, {{"a", "+"}}, "escaped plus"},
	    {"a=%2b%2F", NOLEN, ERR_OK, {{"a", "+/"}}, "lower-case hex"},
	    {"a=%C3%A9", NOLEN, ERR_OK, {{"a", "\xc3\xa9"}}, "UTF-8 escape"},
	    {"a=\xc3\xa9", NOLEN, ERR_OK, {{"a", "\xc3\xa9"}}, "raw UTF-8"},
	    {"a=%F0%9F%98%80",
	     NOLEN,
	     ERR_OK,
	     {{"a", "\xf0\x9f\x98\x80"}},
	     "4-byte"},
	    {"a=%zz", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "bad hex"},
	    {"a=%4", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "short escape"},
	    {"a=%", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "bare percent"},
	    {"a=%4&b=1",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "short escape before &"},
	    {"a=%g0", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "bad first digit"},
	    {"a=%0g", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "bad second digit"},
	    {"a=%00", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "decoded NUL"},
	    {"a%00=1", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "NUL in name"},
	    {"a=x\0y", 5, ERR_ENCODING, {{NULL, NULL}}, "raw NUL"},
	    {"a=%C3", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "lone lead byte"},
	    {"a=%C3&b=%A9",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "sequence split by &"},
	    {"a=%C0%AF", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "overlong"},
	    {"a=%E0%80%AF", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "overlong 3"},
	    {"a=%ED%A0%80", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "surrogate"},
	    {"a=%F4%90%80%80",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "above U+10FFFF"},
	    {"a=\xff", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "raw FF"},
	    {"%FF=1", NOLEN, ERR_ENCODING, {{NULL, NULL}}, "bad name"},
	    {"&", NOLEN, ERR_OK, {{NULL, NULL}}, "only &"},
	    {"&&a=1&&", NOLEN, ERR_OK, {{"a", "1"}}, "empty pairs skipped"},
	    {"a", NOLEN, ERR_OK, {{"a", ""}}, "name only"},
	    {"a&b=2",
	     NOLEN,
	     ERR_OK,
	     {{"a", ""}, {"b", "2"}},
	     "name only first"},
	    {"a=", NOLEN, ERR_OK, {{"a", ""}}, "empty value"},
	    {"=v", NOLEN, ERR_OK, {{"", "v"}}, "empty name"},
	    {"=", NOLEN, ERR_OK, {{"", ""}}, "lone ="},
	    {"a=1=2", NOLEN, ERR_OK, {{"a", "1=2"}}, "split at first ="},
	    {"a=1&a=2", NOLEN, ERR_OK, {{"a", "1"}, {"a", "2"}}, "duplicates"},
	    {"a=1;b=2",
	     NOLEN,
	     ERR_OK,
	     {{"a", "1;b=2"}},
	     "; is not a separator"},
	    {"x='); DROP TABLE users;--",
	     NOLEN,
	     ERR_OK,
	     {{"x", "'); DROP TABLE users;--"}},
	     "SQL is data"},
	    {"a=1&b=2", 3, ERR_OK, {{"a", "1"}}, "length bounds the body"},
	};
	struct http_fields f = {0};
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		e = http_form_parse(t[i].in, case_len(&t[i]), 16, &f);
		check_fields(&t[i], e, &f);
		http_fields_clear(&f);
	}
}

/* Every prefix of a body is parsed without reading past it; the ones
 * cut inside an escape or a UTF-8 sequence are refused. */
static void
test_http_form_parse_truncations(void **state)
{
	static const char body[] = "k=%C3%A9&n=v";
	static const enum err want[] = {
	    ERR_OK,       /* "" */
	    ERR_OK,       /* "k" */
	    ERR_OK,       /* "k=" */
	    ERR_ENCODING, /* "k=%" */
	    ERR_ENCODING, /* "k=%C" */
	    ERR_ENCODING, /* "k=%C3" lone lead byte */
	    ERR_ENCODING, /* "k=%C3%" */
	    ERR_ENCODING, /* "k=%C3%A" */
	    ERR_OK,       /* "k=%C3%A9" */
	    ERR_OK,       /* "k=%C3%A9&" */
	    ERR_OK,       /* "...&n" */
	    ERR_OK,       /* "...&n=" */
	    ERR_OK,       /* "...&n=v" */
	};
	struct http_fields f = {0};
	char *copy;
	size_t n;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), sizeof(body));
	for (n = 0; n < sizeof(body); n++) {
		/* an exact-size heap copy: ASan sees any overread */
		copy = malloc(n > 0 ? n : 1);
		assert_non_null(copy);
		memcpy(copy, body, n);
		if (http_form_parse(copy, n, 16, &f) != want[n])
			print_error("prefix %zu\n", n);
		assert_int_equal(http_form_parse(copy, n, 16, &f), want[n]);
		http_fields_clear(&f);
		free(copy);
	}
}

static void
test_http_form_parse_field_cap(void **state)
{
	static const struct {
		const char *in;
		size_t max;
		enum err err;
	} t[] = {
	    {"a=1&b=2", 2, ERR_OK},
	    {"a=1&b=2&c=3", 2, ERR_TOO_MANY},
	    {"a=1&&&&b=2&", 2, ERR_OK},
	    {"a=1", 0, ERR_TOO_MANY},
	    {"", 0, ERR_OK},
	    {"&&&", 0, ERR_OK},
	    {"a&a&a&a", 3, ERR_TOO_MANY},
	};
	struct http_fields f = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(
		    http_form_parse(t[i].in, strlen(t[i].in), t[i].max, &f),
		    t[i].err);
		http_fields_clear(&f);
	}
}

/* ---- multipart/form-data ---- */

#define CT_MP "multipart/form-data; boundary=XyZ"
#define PART(name, value)                                                      \
	"--XyZ\r\nContent-Disposition: form-data; name=\"" name                \
	"\"\r\n\r\n" value "\r\n"
#define CLOSE "--XyZ--\r\n"
#define B70                                                                    \
	"0123456789012345678901234567890123456789"                             \
	"012345678901234567890123456789"

struct mp_case {
	const char *ct;
	const char *body;
	enum err err;
	struct pair want[MAXP];
	const char *why;
};

static void
test_http_multipart_parse_table(void **state)
{
	static const struct mp_case t[] = {
	    {CT_MP,
	     PART("email", "a@b.c") PART("password", "pw") CLOSE,
	     ERR_OK,
	     {{"email", "a@b.c"}, {"password", "pw"}},
	     "two parts"},
	    {CT_MP, CLOSE, ERR_OK, {{NULL, NULL}}, "no parts"},
	    {CT_MP, PART("a", "") CLOSE, ERR_OK, {{"a", ""}}, "empty value"},
	    {CT_MP,
	     PART("a", "line1\r\nline2") CLOSE,
	     ERR_OK,
	     {{"a", "line1\r\nline2"}},
	     "CRLF inside a value"},
	    {CT_MP,
	     PART("a", "x\r\n--XyZa") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "boundary-prefixed line inside a value"},
	    {CT_MP,
	     PART("a", "1") PART("a", "2") CLOSE,
	     ERR_OK,
	     {{"a", "1"}, {"a", "2"}},
	     "duplicates"},
	    {CT_MP,
	     "preamble text\r\n" PART("a", "1") CLOSE "epilogue",
	     ERR_OK,
	     {{"a", "1"}},
	     "preamble and epilogue"},
	    {CT_MP,
	     "--XyZ  \r\nContent-Disposition: form-data; name=a\r\n\r\n"
	     "1\r\n--XyZ--",
	     ERR_OK,
	     {{"a", "1"}},
	     "padding, token name, no final CRLF"},
	    {CT_MP,
	     "--XyZ\nContent-Disposition: form-data; name=\"a\"\n\n1\n"
	     "--XyZ--\n",
	     ERR_OK,
	     {{"a", "1"}},
	     "bare LF line ends"},
	    {CT_MP,
	     "--XyZ\r\ncontent-disposition: FORM-DATA;name=\"a\"\r\n"
	     "Content-Type: text/plain\r\n\r\n1\r\n--XyZ--\r\n",
	     ERR_OK,
	     {{"a", "1"}},
	     "header case, extra header"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
	     "filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n"
	     "file body\r\n--XyZ--\r\n",
	     ERR_OK,
	     {{"f", "file body"}},
	     "file part is a field"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: form-data; "
	     "filename=\"a;b\"; name=\"q\\\"x\"\r\n\r\nv\r\n--XyZ--\r\n",
	     ERR_OK,
	     {{"q\"x", "v"}},
	     "quoted-pair, ; in a quoted param"},
	    {"multipart/form-data; boundary=\"a b:c?\"",
	     "--a b:c?\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	     "1\r\n--a b:c?--\r\n",
	     ERR_OK,
	     {{"a", "1"}},
	     "quoted boundary with specials"},
	    {"Multipart/Form-Data;charset=utf-8;BOUNDARY=XyZ",
	     PART("a", "1") CLOSE,
	     ERR_OK,
	     {{"a", "1"}},
	     "parameter case, other parameter first"},
	    {CT_MP,
	     PART("a", "\xc3\xa9") CLOSE,
	     ERR_OK,
	     {{"a", "\xc3\xa9"}},
	     "UTF-8 value"},
	    {"multipart/form-data",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "no boundary"},
	    {"multipart/form-data; boundary=",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "empty boundary"},
	    {"multipart/form-data; boundary=\"\"",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "empty quoted boundary"},
	    {"multipart/form-data; boundary=\"XyZ",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "unterminated quote"},
	    {"multipart/form-data; boundary=\"a \"",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "boundary ends in space"},
	    {"multipart/form-data; boundary=\"a\x01\"",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "control in boundary"},
	    {"multipart/form-data; boundary=" B70 "x",
	     "--" B70 "x\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	     "1\r\n--" B70 "x--",
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "71-char boundary"},
	    {"multipart/form-data; boundary=" B70,
	     "--" B70 "\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	     "1\r\n--" B70 "--",
	     ERR_OK,
	     {{"a", "1"}},
	     "70-char boundary"},
	    {"multipart/form-data; boundary=WrOnG",
	     PART("a", "1") CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "wrong boundary"},
	    {CT_MP, "", ERR_INVAL, {{NULL, NULL}}, "empty body"},
	    {CT_MP, "junk", ERR_INVAL, {{NULL, NULL}}, "no delimiter"},
	    {CT_MP, PART("a", "1"), ERR_INVAL, {{NULL, NULL}}, "no close"},
	    {CT_MP, "--XyZ", ERR_INVAL, {{NULL, NULL}}, "only a delimiter"},
	    {CT_MP, "--XyZ\r\n", ERR_INVAL, {{NULL, NULL}}, "no headers"},
	    {CT_MP,
	     "--XyZjunk\r\n" CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "junk after delimiter"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n",
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "headers not ended"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
	     "1",
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "content not ended"},
	    {CT_MP,
	     "--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n" CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "no Content-Disposition"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n" CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "no name"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n"
	     "\r\n1\r\n" CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "not form-data"},
	    {CT_MP,
	     "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"
	     "1\r\n" CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "unterminated name"},
	    {CT_MP,
	     "--XyZ\r\nno colon here\r\n\r\n1\r\n" CLOSE,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "header line without colon"},
	    {CT_MP,
	     PART("a", "\xff") CLOSE,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "invalid UTF-8 value"},
	    {CT_MP,
	     PART("\xc3", "1") CLOSE,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "invalid UTF-8 name"},
	    {CT_MP,
	     PART("a", "\xed\xa0\x80") CLOSE,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "surrogate"},
	};
	struct http_fields f = {0};
	struct parse_case pc;
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		e = http_multipart_parse(t[i].body, strlen(t[i].body), t[i].ct,
		                         16, &f);
		memset(&pc, 0, sizeof(pc));
		pc.in = t[i].body;
		pc.err = t[i].err;
		memcpy(pc.want, t[i].want, sizeof(pc.want));
		pc.why = t[i].why;
		check_fields(&pc, e, &f);
		http_fields_clear(&f);
	}
}

/* A raw NUL in a value; every prefix of a good body on an exact-size
 * buffer (never NUL-terminated) is refused without an overread. */
static void
test_http_multipart_parse_truncations(void **state)
{
	static const char nul[] = PART("a", "x\0y") CLOSE;
	static const char body[] = PART("email", "a@b.c") CLOSE;
	struct http_fields f = {0};
	char *copy;
	size_t n;
	enum err e;

	(void)state;
	assert_int_equal(
	    http_multipart_parse(nul, sizeof(nul) - 1, CT_MP, 16, &f),
	    ERR_ENCODING);
	http_fields_clear(&f);
	for (n = 0; n < sizeof(body); n++) {
		copy = malloc(n > 0 ? n : 1);
		assert_non_null(copy);
		memcpy(copy, body, n);
		e = http_multipart_parse(copy, n, CT_MP, 16, &f);
		/* "...--XyZ--" is complete once the second "-" is in */
		if (n >= sizeof(body) - 3)
			assert_int_equal(e, ERR_OK);
		else
			assert_int_equal(e, ERR_INVAL);
		http_fields_clear(&f);
		free(copy);
	}
}

static void
test_http_multipart_parse_limits(void **state)
{
	static const char three[] =
	    PART("a", "1") PART("b", "2") PART("c", "3") CLOSE;
	struct http_fields f = {0};
	char *big;
	size_t n, off;

	(void)state;
	assert_int_equal(
	    http_multipart_parse(three, strlen(three), CT_MP, 3, &f), ERR_OK);
	http_fields_clear(&f);
	assert_int_equal(
	    http_multipart_parse(three, strlen(three), CT_MP, 2, &f),
	    ERR_TOO_MANY);
	http_fields_clear(&f);
	assert_int_equal(
	    http_multipart_parse(three, strlen(three), NULL, 3, &f), ERR_INVAL);

	/* a part header block over its bound (8 KiB) */
	n = 10000;
	big = malloc(n + 100);
	assert_non_null(big);
	off = (size_t)sprintf(big, "--XyZ\r\nX-Pad: ");
	memset(big + off, 'p', n);
	off += n;
	off += (size_t)sprintf(big + off, "\r\n\r\n1\r\n--XyZ--\r\n");
	assert_int_equal(http_multipart_parse(big, off, CT_MP, 3, &f),
	                 ERR_INVAL);
	http_fields_clear(&f);
	free(big);
}

/* ---- application/json ---- */

static void
test_http_json_parse_table(void **state)
{
	static const struct parse_case t[] = {
	    {"{\"email\":\"a@b.c\",\"password\":\"pw\"}",
	     NOLEN,
	     ERR_OK,
	     {{"email", "a@b.c"}, {"password", "pw"}},
	     "object"},
	    {" \r\n\t{ \"a\" : \"1\" } \n",
	     NOLEN,
	     ERR_OK,
	     {{"a", "1"}},
	     "whitespace"},
	    {"{}", NOLEN, ERR_OK, {{NULL, NULL}}, "empty object"},
	    {"{\"a\":1,\"b\":true,\"c\":null,\"d\":[\"x\"],\"e\":{\"f\":\"g\"},"
	     "\"h\":\"i\"}",
	     NOLEN,
	     ERR_OK,
	     {{"h", "i"}},
	     "non-strings skipped"},
	    {"{\"a\":\"1\",\"a\":\"2\"}",
	     NOLEN,
	     ERR_OK,
	     {{"a", "1"}, {"a", "2"}},
	     "duplicates kept in order"},
	    {"{\"a\":\"\\u00e9\\n\\\"\"}",
	     NOLEN,
	     ERR_OK,
	     {{"a", "\xc3\xa9\n\""}},
	     "escapes"},
	    {"{\"a\":\"\\ud83d\\ude00\"}",
	     NOLEN,
	     ERR_OK,
	     {{"a", "\xf0\x9f\x98\x80"}},
	     "surrogate pair"},
	    {"{\"a\":\"\\\\u0000\"}",
	     NOLEN,
	     ERR_OK,
	     {{"a", "\\u0000"}},
	     "escaped backslash, not a NUL"},
	    {"{\"a\":\"\xc3\xa9\"}",
	     NOLEN,
	     ERR_OK,
	     {{"a", "\xc3\xa9"}},
	     "raw UTF-8"},
	    {"[\"a\",\"b\"]", NOLEN, ERR_INVAL, {{NULL, NULL}}, "array"},
	    {"\"a\"", NOLEN, ERR_INVAL, {{NULL, NULL}}, "string"},
	    {"42", NOLEN, ERR_INVAL, {{NULL, NULL}}, "number"},
	    {"null", NOLEN, ERR_INVAL, {{NULL, NULL}}, "null"},
	    {"", NOLEN, ERR_INVAL, {{NULL, NULL}}, "empty"},
	    {"  ", NOLEN, ERR_INVAL, {{NULL, NULL}}, "blank"},
	    {"{", NOLEN, ERR_INVAL, {{NULL, NULL}}, "unterminated"},
	    {"{\"a\":\"1\"", NOLEN, ERR_INVAL, {{NULL, NULL}}, "no brace"},
	    {"{\"a\":\"1}", NOLEN, ERR_INVAL, {{NULL, NULL}}, "no quote"},
	    {"{\"a\":\"1\"}x",
	     NOLEN,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "trailing junk"},
	    {"{\"a\":\"1\"}{}", NOLEN, ERR_INVAL, {{NULL, NULL}}, "two values"},
	    {"{a:\"1\"}", NOLEN, ERR_INVAL, {{NULL, NULL}}, "bare key"},
	    {"{\"a\":'1'}", NOLEN, ERR_INVAL, {{NULL, NULL}}, "single quotes"},
	    {"{\"a\":\"\\ud800\"}",
	     NOLEN,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "lone surrogate escape"},
	    {"{\"a\":\"x\\u0000y\"}",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "\\u0000 in a value"},
	    {"{\"a\\u0000b\":\"1\"}",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "\\u0000 in a name"},
	    {"{\"a\":\"1\",\"n\":{\"x\":\"\\u0000\"}}",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "\\u0000 in a skipped member"},
	    {"{\"a\":\"x\0y\"}", 11, ERR_ENCODING, {{NULL, NULL}}, "raw NUL"},
	    {"{\"a\":\"1\"}\0junk",
	     14,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "raw NUL then junk"},
	    {"{\"a\":\"\xff\"}",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "invalid UTF-8 value"},
	    {"{\"\xc0\xaf\":\"1\"}",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "overlong name"},
	    {"{\"a\":\"\xed\xa0\x80\"}",
	     NOLEN,
	     ERR_ENCODING,
	     {{NULL, NULL}},
	     "raw surrogate"},
	    {"{\"a\":\"1\"}",
	     7,
	     ERR_INVAL,
	     {{NULL, NULL}},
	     "length bounds the body"},
	};
	struct http_fields f = {0};
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		e = http_json_parse(t[i].in, case_len(&t[i]), 16, &f);
		check_fields(&t[i], e, &f);
		http_fields_clear(&f);
	}
}

static void
test_http_json_parse_limits(void **state)
{
	static const char three[] =
	    "{\"a\":\"1\",\"x\":2,\"b\":\"2\",\"c\":\"3\"}";
	static const char good[] = "{\"email\":\"a@b.c\"}";
	struct http_fields f = {0};
	char *copy, *deep;
	size_t n;

	(void)state;
	assert_int_equal(http_json_parse(three, strlen(three), 3, &f), ERR_OK);
	assert_int_equal(f.n, 3);
	http_fields_clear(&f);
	assert_int_equal(http_json_parse(three, strlen(three), 2, &f),
	                 ERR_TOO_MANY);
	http_fields_clear(&f);

	/* every prefix, on an exact-size buffer, is refused */
	for (n = 0; n < sizeof(good) - 1; n++) {
		copy = malloc(n > 0 ? n : 1);
		assert_non_null(copy);
		memcpy(copy, good, n);
		assert_int_equal(http_json_parse(copy, n, 16, &f), ERR_INVAL);
		http_fields_clear(&f);
		free(copy);
	}

	/* nesting past cJSON's limit is a parse error, not a crash */
	n = 5000;
	deep = malloc(2 * n + 6);
	assert_non_null(deep);
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":", 4);
	memset(deep + 5, '[', n);
	memset(deep + 5 + n, ']', n);
	deep[5 + 2 * n] = '}';
	assert_int_equal(http_json_parse(deep, 6 + 2 * n, 16, &f), ERR_INVAL);
	http_fields_clear(&f);
	free(deep);
}

/* ---- cookies ---- */

static void
test_http_cookie_get_table(void **state)
{
	static const struct {
		const char *header;
		const char *name;
		enum err err;
		const char *value;
		const char *why;
	} t[] = {
	    {"session_id=abc", "session_id", ERR_OK, "abc", "one"},
	    {"a=1; session_id=abc; b=2", "session_id", ERR_OK, "abc",
	     "several"},
	    {"a=1;session_id=abc;b=2", "session_id", ERR_OK, "abc",
	     "no spaces"},
	    {"  session_id  =  abc  ;b=2", "session_id", ERR_OK, "abc",
	     "spaces around"},
	    {"\tsession_id=abc\t", "session_id", ERR_OK, "abc", "tabs"},
	    {"session_id=first; session_id=second", "session_id", ERR_OK,
	     "first", "first wins"},
	    {"session_id=\"quoted\"", "session_id", ERR_OK, "quoted",
	     "quotes removed"},
	    {"session_id=\"\"", "session_id", ERR_OK, "", "empty quoted"},
	    {"session_id=\"", "session_id", ERR_OK, "\"", "lone quote kept"},
	    {"session_id=", "session_id", ERR_OK, "", "empty value"},
	    {"session_id=a=b", "session_id", ERR_OK, "a=b", "= in value"},
	    {"session_id; session_id=x", "session_id", ERR_OK, "x",
	     "pair without = skipped"},
	    {"session_id", "session_id", ERR_NOT_FOUND, NULL, "no ="},
	    {"xsession_id=1; session_idx=2", "session_id", ERR_NOT_FOUND, NULL,
	     "prefix and suffix do not match"},
	    {"Session_Id=1", "session_id", ERR_NOT_FOUND, NULL,
	     "case-sensitive"},
	    {"", "session_id", ERR_NOT_FOUND, NULL, "empty header"},
	    {";;;", "session_id", ERR_NOT_FOUND, NULL, "only separators"},
	    {"a=1;", "a", ERR_OK, "1", "trailing ;"},
	    {"=1; a=2", "a", ERR_OK, "2", "empty name skipped"},
	    {"=1", "", ERR_OK, "1", "empty name asked"},
	};
	char *v = NULL;
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = NULL;
		e = http_cookie_get(t[i].header, t[i].name, &v);
		if (e != t[i].err)
			print_error("cookie case %zu (%s)\n", i, t[i].why);
		assert_int_equal(e, t[i].err);
		if (e == ERR_OK)
			assert_string_equal(v, t[i].value);
		else
			assert_null(v);
		free(v);
	}
	assert_int_equal(http_cookie_get(NULL, "a", &v), ERR_NOT_FOUND);
	assert_int_equal(http_cookie_get("a=1", NULL, &v), ERR_INVAL);
}

/* ---- request ---- */

/* A scripted body reader: hands out data in chunks of at most chunk
 * bytes (0: as asked), then fails or ends. */
struct reader {
	const char *data;
	size_t len;
	size_t pos;
	size_t chunk;
	bool fail;
	int calls;
};

static ssize_t
reader_fn(void *arg, void *buf, size_t n)
{
	struct reader *r = arg;

	r->calls++;
	if (r->pos == r->len)
		return r->fail ? -1 : 0;
	if (n > r->len - r->pos)
		n = r->len - r->pos;
	if (r->chunk != 0 && n > r->chunk)
		n = r->chunk;
	memcpy(buf, r->data + r->pos, n);
	r->pos += n;
	return (ssize_t)n;
}

static const struct http_limits limits = {
    .max_body = 64,
    .max_fields = 8,
    .max_header = 32,
};

static void
test_http_request_read_env(void **state)
{
	char *env[] = {V("REQUEST_METHOD=POST"),
	               V("PATH_INFO=/users/"),
	               V("SCRIPT_NAME=/auth"),
	               V("QUERY_STRING=x=1"),
	               V("CONTENT_TYPE=text/plain"),
	               V("HTTP_COOKIE=session_id=abc"),
	               V("REMOTE_ADDR=127.0.0.1"),
	               V("HTTP_HOST=example.org"),
	               V("HTTP_ORIGIN=https://example.org"),
	               V("HTTP_REFERER=https://example.org/"),
	               V("HTTP_ACCEPT=*/*"),
	               V("HTTPS=ON"),
	               V("PATH_INFO=/ignored"),
	               V("NOT_CGI=1"),
	               NULL};
	struct http_request req;
	struct reader r = {0};

	(void)state;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_OK);
	assert_int_equal(req.method, HTTP_POST);
	assert_string_equal(req.method_name, "POST");
	assert_string_equal(req.path, "/users");
	assert_string_equal(req.script_name, "/auth");
	assert_string_equal(req.query, "x=1");
	assert_string_equal(req.content_type, "text/plain");
	assert_string_equal(req.cookie, "session_id=abc");
	assert_string_equal(req.remote_addr, "127.0.0.1");
	assert_string_equal(req.host, "example.org");
	assert_string_equal(req.origin, "https://example.org");
	assert_string_equal(req.referer, "https://example.org/");
	assert_string_equal(req.accept, "*/*");
	assert_true(req.https);
	assert_non_null(req.body);
	assert_int_equal(req.body_len, 0);
	assert_int_equal(r.calls, 0);
	http_request_clear(&req);
	assert_null(req.path);
	http_request_clear(&req);
}

static void
test_http_request_read_defaults(void **state)
{
	char *env[] = {NULL};
	struct http_request req;

	(void)state;
	assert_int_equal(http_request_read(&req, env, &limits, NULL, NULL),
	                 ERR_OK);
	assert_int_equal(req.method, HTTP_OTHER);
	assert_string_equal(req.method_name, "");
	assert_string_equal(req.path, "/");
	assert_string_equal(req.script_name, "");
	assert_null(req.query);
	assert_null(req.content_type);
	assert_null(req.cookie);
	assert_null(req.origin);
	assert_false(req.https);
	assert_int_equal(req.body_len, 0);
	http_request_clear(&req);

	assert_int_equal(http_request_read(&req, NULL, &limits, NULL, NULL),
	                 ERR_OK);
	assert_string_equal(req.path, "/");
	http_request_clear(&req);
}

static void
test_http_request_read_path(void **state)
{
	static const struct {
		const char *var;
		const char *path;
	} t[] = {
	    {NULL, "/"},
	    {"PATH_INFO=", "/"},
	    {"PATH_INFO=/", "/"},
	    {"PATH_INFO=/profile", "/profile"},
	    {"PATH_INFO=/profile/", "/profile"},
	    {"PATH_INFO=/profile//", "/profile/"},
	    {"PATH_INFO=//", "/"},
	    {"PATH_INFO=/a/b/", "/a/b"},
	};
	char *env[3];
	struct http_request req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		env[0] = V("REQUEST_METHOD=GET");
		env[1] = (char *)t[i].var;
		env[2] = NULL;
		assert_int_equal(
		    http_request_read(&req, env, &limits, NULL, NULL), ERR_OK);
		assert_string_equal(req.path, t[i].path);
		assert_int_equal(req.method, HTTP_GET);
		http_request_clear(&req);
	}
}

static void
test_http_request_read_https(void **state)
{
	static const struct {
		const char *var;
		bool on;
	} t[] = {
	    {"HTTPS=on", true},   {"HTTPS=On", true}, {"HTTPS=1", true},
	    {"HTTPS=off", false}, {"HTTPS=", false},  {"HTTPS=yes", false},
	    {"HTTPS=onx", false}, {NULL, false},
	};
	char *env[2];
	struct http_request req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		env[0] = (char *)t[i].var;
		env[1] = NULL;
		assert_int_equal(
		    http_request_read(&req, env, &limits, NULL, NULL), ERR_OK);
		assert_int_equal(req.https, t[i].on);
		http_request_clear(&req);
	}
}

/* CONTENT_LENGTH values and what they lead to, with a reader that holds
 * 10 bytes. */
static void
test_http_request_read_content_length(void **state)
{
	static const struct {
		const char *var;
		enum err err;
		size_t len;
		bool reads;
	} t[] = {
	    {NULL, ERR_OK, 0, false},
	    {"CONTENT_LENGTH=", ERR_OK, 0, false},
	    {"CONTENT_LENGTH=0", ERR_OK, 0, false},
	    {"CONTENT_LENGTH=10", ERR_OK, 10, true},
	    {"CONTENT_LENGTH=0004", ERR_OK, 4, true},
	    {"CONTENT_LENGTH=11", ERR_SHORT_BODY, 0, true},
	    {"CONTENT_LENGTH=64", ERR_SHORT_BODY, 0, true},
	    /* over the limit: read and thrown away (HTTP_DRAIN_MAX) */
	    {"CONTENT_LENGTH=65", ERR_TOO_LARGE, 0, true},
	    {"CONTENT_LENGTH=18446744073709551616", ERR_TOO_LARGE, 0, false},
	    {"CONTENT_LENGTH=999999999999999999999999999999", ERR_TOO_LARGE, 0,
	     false},
	    {"CONTENT_LENGTH=-1", ERR_INVAL, 0, false},
	    {"CONTENT_LENGTH=+5", ERR_INVAL, 0, false},
	    {"CONTENT_LENGTH= 5", ERR_INVAL, 0, false},
	    {"CONTENT_LENGTH=5 ", ERR_INVAL, 0, false},
	    {"CONTENT_LENGTH=0x10", ERR_INVAL, 0, false},
	    {"CONTENT_LENGTH=1e3", ERR_INVAL, 0, false},
	    {"CONTENT_LENGTH=99999999999999999999x", ERR_INVAL, 0, false},
	};
	char *env[4];
	struct http_request req;
	struct reader r;
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.data = "0123456789";
		r.len = 10;
		env[0] = V("REQUEST_METHOD=PUT");
		env[1] = V("PATH_INFO=/reset_password/");
		env[2] = (char *)t[i].var;
		env[3] = NULL;
		e = http_request_read(&req, env, &limits, reader_fn, &r);
		if (e != t[i].err)
			print_error("case %s\n",
			            t[i].var ? t[i].var : "(none)");
		assert_int_equal(e, t[i].err);
		/* an error answer can always be built */
		assert_int_equal(req.method, HTTP_PUT);
		assert_string_equal(req.path, "/reset_password");
		assert_string_equal(req.script_name, "");
		assert_int_equal(r.calls > 0, t[i].reads);
		if (e == ERR_OK) {
			assert_int_equal(req.body_len, t[i].len);
			assert_memory_equal(req.body, "0123456789", t[i].len);
			assert_int_equal(req.body[t[i].len], '\0');
			assert_int_equal(r.pos, t[i].len);
		}
		http_request_clear(&req);
	}
}

static void
test_http_request_read_body(void **state)
{
	char *env[] = {V("REQUEST_METHOD=POST"), V("CONTENT_LENGTH=10"), NULL};
	struct http_request req;
	struct reader r;

	(void)state;
	/* one byte at a time, more bytes waiting than announced */
	memset(&r, 0, sizeof(r));
	r.data = "email=a@bXXXXXX";
	r.len = 15;
	r.chunk = 1;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_OK);
	assert_int_equal(req.body_len, 10);
	assert_string_equal(req.body, "email=a@bX");
	assert_int_equal(r.pos, 10);
	assert_int_equal(r.calls, 10);
	http_request_clear(&req);

	/* short read then end of input */
	memset(&r, 0, sizeof(r));
	r.data = "abc";
	r.len = 3;
	r.chunk = 2;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_SHORT_BODY);
	assert_null(req.body);
	assert_string_equal(req.method_name, "POST");
	http_request_clear(&req);

	/* read error */
	memset(&r, 0, sizeof(r));
	r.data = "abcd";
	r.len = 4;
	r.fail = true;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_SHORT_BODY);
	http_request_clear(&req);

	/* a body with a NUL keeps its length */
	memset(&r, 0, sizeof(r));
	r.data = "ab\0cdefghi";
	r.len = 10;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_OK);
	assert_int_equal(req.body_len, 10);
	assert_memory_equal(req.body, "ab\0cdefghi", 10);
	http_request_clear(&req);
}

/* The size check comes before any read: the reader is never called. */
/* A body over the limit is never stored; one of at most HTTP_DRAIN_MAX
 * bytes is read to its end and thrown away, a longer one is not touched. */
static void
test_http_request_read_too_large_before_reading(void **state)
{
	char *env[] = {V("REQUEST_METHOD=POST"), V("PATH_INFO=/users"),
	               V("CONTENT_LENGTH=20000"), NULL};
	char *huge[] = {V("REQUEST_METHOD=POST"), V("CONTENT_LENGTH=1048577"),
	                NULL};
	char *chunked[] = {V("REQUEST_METHOD=POST"),
	                   V("HTTP_TRANSFER_ENCODING=chunked"), NULL};
	static char data[20000];
	struct http_request req;
	struct reader r = {0};

	(void)state;
	memset(data, 'x', sizeof(data));
	r.data = data;
	r.len = sizeof(data);
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_TOO_LARGE);
	assert_int_equal(r.pos, sizeof(data));
	assert_int_equal(req.method, HTTP_POST);
	assert_string_equal(req.path, "/users");
	assert_null(req.body);
	http_request_clear(&req);

	memset(&r, 0, sizeof(r));
	r.data = data;
	r.len = sizeof(data);
	assert_int_equal(http_request_read(&req, huge, &limits, reader_fn, &r),
	                 ERR_TOO_LARGE);
	assert_int_equal(r.calls, 0);
	assert_null(req.body);
	http_request_clear(&req);

	/* No length: the limit, then the rest to the end of input. */
	memset(&r, 0, sizeof(r));
	r.data = data;
	r.len = sizeof(data);
	assert_int_equal(
	    http_request_read(&req, chunked, &limits, reader_fn, &r),
	    ERR_TOO_LARGE);
	assert_int_equal(r.pos, sizeof(data));
	assert_null(req.body);
	http_request_clear(&req);
}

static void
test_http_request_read_header_size(void **state)
{
	static const char *const vars[] = {
	    "HTTP_COOKIE", "HTTP_HOST",    "HTTP_ORIGIN", "HTTP_REFERER",
	    "HTTP_ACCEPT", "CONTENT_TYPE", "QUERY_STRING"};
	char ok[64], big[64];
	char *env[4];
	struct http_request req;
	struct reader r = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		/* exactly max_header (32) bytes pass, 33 do not */
		snprintf(ok, sizeof(ok), "%s=%s", vars[i],
		         "0123456789abcdef0123456789abcdef");
		snprintf(big, sizeof(big), "%s=%s", vars[i],
		         "0123456789abcdef0123456789abcdefX");
		env[0] = V("REQUEST_METHOD=DELETE");
		env[1] = V("PATH_INFO=/sessions");
		env[2] = ok;
		env[3] = NULL;
		assert_int_equal(
		    http_request_read(&req, env, &limits, reader_fn, &r),
		    ERR_OK);
		http_request_clear(&req);
		env[2] = big;
		assert_int_equal(
		    http_request_read(&req, env, &limits, reader_fn, &r),
		    ERR_HEADER_SIZE);
		assert_int_equal(req.method, HTTP_DELETE);
		assert_string_equal(req.path, "/sessions");
		http_request_clear(&req);
	}
}

/* A header name is made of RFC 9110 tchars, every other byte value is
 * refused. */
static void
test_http_response_header_name_bytes(void **state)
{
	static const char tchar_punct[] = "!#$%&'*+-.^_`|~";
	struct http_response resp;
	char name[3] = "X";
	unsigned c;
	bool want;

	(void)state;
	for (c = 1; c < 256; c++) {
		want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		       (c >= 'A' && c <= 'Z') || strchr(tchar_punct, (int)c);
		name[1] = (char)c;
		http_response_init(&resp);
		assert_int_equal(http_response_header(&resp, name, "v"),
		                 want ? ERR_OK : ERR_INVAL);
		http_response_clear(&resp);
	}
}

/* A header variable that is too long is dropped alone: the others, and
 * HTTPS, still reach the error answer. */
static void
test_http_request_read_header_size_keeps_others(void **state)
{
	char *env[] = {V("HTTP_ACCEPT=text/html"),
	               V("HTTP_COOKIE=0123456789abcdef0123456789abcdefX"),
	               V("REMOTE_ADDR=192.0.2.1"),
	               V("REQUEST_METHOD=GET"),
	               V("HTTPS=on"),
	               NULL};
	struct http_request req;
	struct reader r = {0};

	(void)state;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_HEADER_SIZE);
	assert_null(req.cookie);
	assert_string_equal(req.accept, "text/html");
	assert_string_equal(req.remote_addr, "192.0.2.1");
	assert_string_equal(req.method_name, "GET");
	assert_string_equal(req.script_name, "");
	assert_true(req.https);
	http_request_clear(&req);
}

/* The first entry of a name wins; a name that only starts like one of
 * ours, or lacks its "=", is not it. */
static void
test_http_request_read_env_first_wins(void **state)
{
	char *env[] = {V("HTTP_HOSTNAME=wrong.example"),
	               V("HTTP_HOST"),
	               V("HTTP_HOST=one.example"),
	               V("HTTP_HOST=two.example"),
	               V("REQUEST_METHOD=GET"),
	               V("REQUEST_METHOD=POST"),
	               NULL};
	struct http_request req;
	struct reader r = {0};

	(void)state;
	assert_int_equal(http_request_read(&req, env, &limits, reader_fn, &r),
	                 ERR_OK);
	assert_string_equal(req.host, "one.example");
	assert_int_equal(req.method, HTTP_GET);
	http_request_clear(&req);
}

static void
test_http_request_read_fd(void **state)
{
	char *env[] = {V("REQUEST_METHOD=POST"), V("CONTENT_LENGTH=5"), NULL};
	struct http_request req;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "a=1&b", 5), 5);
	assert_int_equal(close(fds[1]), 0);
	assert_int_equal(
	    http_request_read(&req, env, &limits, http_read_fd, &fds[0]),
	    ERR_OK);
	assert_string_equal(req.body, "a=1&b");
	http_request_clear(&req);
	close(fds[0]);

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "a=1", 3), 3);
	assert_int_equal(close(fds[1]), 0);
	assert_int_equal(
	    http_request_read(&req, env, &limits, http_read_fd, &fds[0]),
	    ERR_SHORT_BODY);
	http_request_clear(&req);
	close(fds[0]);
}

/* Decoding by Content-Type, and idempotence. */
static void
test_http_request_decode_types(void **state)
{
	static const struct {
		const char *ct;
		const char *body;
		enum err err;
		const char *email;
	} t[] = {
	    {"application/x-www-form-urlencoded", "email=a%40b", ERR_OK, "a@b"},
	    {"Application/X-WWW-Form-Urlencoded; charset=UTF-8", "email=a",
	     ERR_OK, "a"},
	    {" application/x-www-form-urlencoded ;", "email=a", ERR_OK, "a"},
	    {"application/json", "{\"email\":\"j\"}", ERR_OK, "j"},
	    {"application/json;charset=utf-8", "{\"email\":\"j\"}", ERR_OK,
	     "j"},
	    {"multipart/form-data; boundary=XyZ", PART("email", "m") CLOSE,
	     ERR_OK, "m"},
	    {"text/plain", "email=a", ERR_MEDIA_TYPE, NULL},
	    {"application/x-www-form-urlencodedx", "email=a", ERR_MEDIA_TYPE,
	     NULL},
	    {"application/jsonp", "{}", ERR_MEDIA_TYPE, NULL},
	    {"", "email=a", ERR_MEDIA_TYPE, NULL},
	    {NULL, "email=a", ERR_MEDIA_TYPE, NULL},
	    {NULL, "", ERR_OK, NULL},
	    {"text/plain", "", ERR_OK, NULL},
	    {"application/x-www-form-urlencoded", "email=%zz", ERR_ENCODING,
	     NULL},
	    {"application/json", "[]", ERR_INVAL, NULL},
	    {"multipart/form-data", PART("email", "m") CLOSE, ERR_INVAL, NULL},
	};
	struct http_request req;
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&req, 0, sizeof(req));
		/* Borrowed: http_request_clear() frees req.strings only. */
		req.content_type = (char *)t[i].ct;
		req.body = strdup(t[i].body);
		assert_non_null(req.body);
		req.body_len = strlen(t[i].body);
		e = http_request_decode(&req, &limits);
		if (e != t[i].err)
			print_error("decode case %zu (%s)\n", i,
			            t[i].ct ? t[i].ct : "NULL");
		assert_int_equal(e, t[i].err);
		if (t[i].email != NULL)
			assert_string_equal(http_request_field(&req, "email"),
			                    t[i].email);
		else
			assert_null(http_request_field(&req, "email"));
		/* a second decode gives the same fields */
		assert_int_equal(http_request_decode(&req, &limits), e);
		assert_int_equal(req.fields.n, t[i].email != NULL ? 1 : 0);
		http_request_clear(&req);
	}
}

static void
test_http_request_decode_field_cap(void **state)
{
	char *env[] = {V("REQUEST_METHOD=POST"),
	               V("CONTENT_TYPE=application/x-www-form-urlencoded"),
	               V("CONTENT_LENGTH=17"), NULL};
	struct http_request req;
	struct reader r = {0};
	struct http_limits lim = limits;

	(void)state;
	r.data = "a&b&c&d&e&f&g&h&i";
	r.len = 17;
	lim.max_header = 64;
	assert_int_equal(http_request_read(&req, env, &lim, reader_fn, &r),
	                 ERR_OK);
	assert_int_equal(http_request_decode(&req, &lim), ERR_TOO_MANY);
	assert_int_equal(req.fields.n, 0);
	lim.max_fields = 9;
	assert_int_equal(http_request_decode(&req, &lim), ERR_OK);
	assert_int_equal(req.fields.n, 9);
	assert_string_equal(http_request_field(&req, "i"), "");
	assert_null(http_request_field(&req, "j"));
	assert_null(http_request_field(NULL, "a"));
	http_request_clear(&req);
}

/* ---- methods and status ---- */

static void
test_http_method_parse_name(void **state)
{
	static const struct {
		const char *s;
		enum http_method m;
	} t[] = {
	    {"GET", HTTP_GET},     {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
	    {"PUT", HTTP_PUT},     {"DELETE", HTTP_DELETE}, {"get", HTTP_OTHER},
	    {"PATCH", HTTP_OTHER}, {"GETX", HTTP_OTHER},    {"", HTTP_OTHER},
	    {NULL, HTTP_OTHER},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(http_method_parse(t[i].s), t[i].m);
	assert_string_equal(http_method_name(HTTP_GET), "GET");
	assert_string_equal(http_method_name(HTTP_DELETE), "DELETE");
	assert_string_equal(http_method_name(HTTP_OTHER), "OTHER");
	assert_string_equal(http_method_name(HTTP_METHOD__MAX), "OTHER");
}

static void
test_http_status_reason(void **state)
{
	static const struct {
		int code;
		const char *reason;
	} t[] = {
	    {200, "OK"},
	    {302, "Found"},
	    {303, "See Other"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {408, "Request Timeout"},
	    {413, "Content Too Large"},
	    {415, "Unsupported Media Type"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {503, "Service Unavailable"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(http_status_reason(t[i].code), t[i].reason);
	assert_non_null(http_status_reason(299));
	assert_non_null(http_status_reason(-1));
}

/* ---- responses ---- */

/* Serialize resp and compare with want. */
static void
assert_serialized(const struct http_response *resp, bool head, const char *want)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(http_response_serialize(resp, head, &out, &len),
	                 ERR_OK);
	if (len != strlen(want) || memcmp(out, want, len) != 0)
		print_error("got:\n%.*s\nwant:\n%s\n", (int)len, out, want);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void
test_http_response_serialize(void **state)
{
	struct http_response resp;

	(void)state;
	http_response_init(&resp);
	assert_int_equal(resp.status, 200);
	assert_serialized(&resp, false, "Status: 200 OK\r\n\r\n");

	assert_int_equal(http_response_message(&resp, 404, "not found"),
	                 ERR_OK);
	assert_int_equal(
	    http_response_header(&resp, "Cache-Control", "no-store"), ERR_OK);
	assert_serialized(&resp, false,
	                  "Status: 404 Not Found\r\n"
	                  "Content-Type: application/json\r\n"
	                  "Cache-Control: no-store\r\n"
	                  "\r\n"
	                  "{\"message\":\"not found\"}");
	/* HEAD: the same headers, no body */
	assert_serialized(&resp, true,
	                  "Status: 404 Not Found\r\n"
	                  "Content-Type: application/json\r\n"
	                  "Cache-Control: no-store\r\n"
	                  "\r\n");
	http_response_clear(&resp);
	assert_null(resp.body);
	assert_int_equal(resp.nheaders, 0);
	http_response_clear(&resp);
	http_response_clear(NULL);
}

static void
test_http_response_json(void **state)
{
	struct http_response resp;
	cJSON *obj;

	(void)state;
	http_response_init(&resp);
	assert_int_equal(http_response_header(&resp, "content-type",
	                                      "text/html; charset=utf-8"),
	                 ERR_OK);
	obj = cJSON_CreateObject();
	assert_non_null(obj);
	assert_non_null(cJSON_AddStringToObject(obj, "email", "a@b.c"));
	assert_non_null(cJSON_AddStringToObject(obj, "message", "logged in"));
	assert_int_equal(http_response_json(&resp, 200, obj), ERR_OK);
	/* replaced, not added twice */
	assert_int_equal(resp.nheaders, 1);
	assert_string_equal(resp.headers[0].value, "application/json");
	assert_string_equal(resp.body,
	                    "{\"email\":\"a@b.c\",\"message\":\"logged in\"}");
	assert_int_equal(resp.body_len, strlen(resp.body));
	/* a second body replaces the first */
	assert_int_equal(http_response_message(&resp, 401, "wrong \"x\"\n"),
	                 ERR_OK);
	assert_int_equal(resp.status, 401);
	assert_int_equal(resp.nheaders, 1);
	assert_string_equal(resp.body, "{\"message\":\"wrong \\\"x\\\"\\n\"}");
	assert_int_equal(http_response_json(&resp, 200, NULL), ERR_INVAL);
	assert_int_equal(http_response_message(&resp, 200, NULL), ERR_INVAL);
	assert_int_equal(resp.status, 401);
	cJSON_Delete(obj);
	http_response_clear(&resp);
}

static void
test_http_response_header_checks(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		enum err err;
	} t[] = {
	    {"Location", "/", ERR_OK},
	    {"X-Weird!#$%&'*+-.^_`|~09", "v", ERR_OK},
	    {"Allow", "", ERR_OK},
	    {"X", "caf\xc3\xa9", ERR_OK},
	    {"Location", "/\r\nSet-Cookie: x=1", ERR_INVAL},
	    {"Location", "/\nx", ERR_INVAL},
	    {"Location", "/\rx", ERR_INVAL},
	    {"X", "a\tb", ERR_INVAL},
	    {"X", "a\x7f", ERR_INVAL},
	    {"X", "a\x01", ERR_INVAL},
	    {"X\r\nY", "v", ERR_INVAL},
	    {"X Y", "v", ERR_INVAL},
	    {"X:", "v", ERR_INVAL},
	    {"", "v", ERR_INVAL},
	    {"X(", "v", ERR_INVAL},
	    {NULL, "v", ERR_INVAL},
	    {"X", NULL, ERR_INVAL},
	};
	struct http_response resp;
	char *out = NULL;
	size_t i, len = 0;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		http_response_init(&resp);
		e = http_response_header(&resp, t[i].name, t[i].value);
		if (e != t[i].err)
			print_error("header case %zu\n", i);
		assert_int_equal(e, t[i].err);
		assert_int_equal(resp.nheaders, t[i].err == ERR_OK ? 1 : 0);
		http_response_clear(&resp);
	}
	http_response_init(&resp);
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		assert_int_equal(http_response_header(&resp, "X", "v"), ERR_OK);
	assert_int_equal(http_response_header(&resp, "X", "v"), ERR_TOO_MANY);
	http_response_clear(&resp);

	/* a header poked into the struct by hand is still refused */
	http_response_init(&resp);
	assert_int_equal(http_response_header(&resp, "Location", "/"), ERR_OK);
	resp.headers[0].value[0] = '\n';
	assert_int_equal(http_response_serialize(&resp, false, &out, &len),
	                 ERR_INVAL);
	assert_null(out);
	resp.headers[0].value[0] = '/';
	resp.status = 99;
	assert_int_equal(http_response_serialize(&resp, false, &out, &len),
	                 ERR_INVAL);
	assert_null(out);
	http_response_clear(&resp);
}

static void
test_http_response_cookie(void **state)
{
	static const struct {
		struct http_cookie c;
		enum err err;
		const char *want;
	} t[] = {
	    {{"session_id", "0f3c5a1e-1111-4222-8333-444455556666", "/", -1,
	      true, true, "Lax", NULL},
	     ERR_OK,
	     "session_id=0f3c5a1e-1111-4222-8333-444455556666; Path=/; "
	     "Secure; HttpOnly; SameSite=Lax"},
	    {{"session_id", "", "/app", 0, false, true, "Lax", NULL},
	     ERR_OK,
	     "session_id=; Path=/app; Max-Age=0; "
	     "Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
	     "SameSite=Lax"},
	    {{"s", "v", NULL, 3600, false, false, NULL, NULL},
	     ERR_OK,
	     "s=v; Max-Age=3600"},
	    {{"s", "v", "/", 60, true, false, "Strict", NULL},
	     ERR_OK,
	     "s=v; Path=/; Max-Age=60; Secure; SameSite=Strict"},
	    {{"s", "a b", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "a;b", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "a\r\nX: y", "/", -1, false, false, NULL, NULL},
	     ERR_INVAL,
	     NULL},
	    {{"s", "a\"", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "a,b", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "a\\b", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "\xc3\xa9", "/", -1, false, false, NULL, NULL},
	     ERR_INVAL,
	     NULL},
	    {{"s=x", "v", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"", "v", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{NULL, "v", "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", NULL, "/", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "v", "/;x", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "v", "/\n", -1, false, false, NULL, NULL}, ERR_INVAL, NULL},
	    {{"s", "v", "/", -1, false, false, "None; x", NULL},
	     ERR_INVAL,
	     NULL},
	    {{"s", "v", "/", -1, false, false, "lax", NULL}, ERR_INVAL, NULL},
	    /* A Domain only when asked for, and only a domain's shape. */
	    {{"s", "v", "/", -1, true, true, "Lax", "example.org"},
	     ERR_OK,
	     "s=v; Path=/; Domain=example.org; Secure; HttpOnly; SameSite=Lax"},
	    {{"s", "v", "/", -1, false, false, NULL, "a-b.example.org"},
	     ERR_OK,
	     "s=v; Path=/; Domain=a-b.example.org"},
	    {{"s", "v", "/", -1, false, false, NULL, "example.org; x=y"},
	     ERR_INVAL,
	     NULL},
	    {{"s", "v", "/", -1, false, false, NULL, "exa mple.org"},
	     ERR_INVAL,
	     NULL},
	    {{"s", "v", "/", -1, false, false, NULL, "example..org"},
	     ERR_INVAL,
	     NULL},
	    {{"s", "v", "/", -1, false, false, NULL, ""}, ERR_INVAL, NULL},
	    {{"s", "v", "/", -1, false, false, NULL, "ex\r\nX: y"},
	     ERR_INVAL,
	     NULL},
	};
	struct http_response resp;
	size_t i;
	enum err e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		http_response_init(&resp);
		e = http_response_cookie(&resp, &t[i].c);
		if (e != t[i].err)
			print_error("cookie case %zu\n", i);
		assert_int_equal(e, t[i].err);
		if (e == ERR_OK) {
			assert_int_equal(resp.nheaders, 1);
			assert_string_equal(resp.headers[0].name, "Set-Cookie");
			assert_string_equal(resp.headers[0].value, t[i].want);
		} else
			assert_int_equal(resp.nheaders, 0);
		http_response_clear(&resp);
	}
}

/* A whole logout answer as main.c would write it. */
static void
test_http_response_redirect_with_cookie(void **state)
{
	struct http_response resp;
	struct http_cookie c = {"session_id", "",   "/",   0,
	                        true,         true, "Lax", NULL};

	(void)state;
	http_response_init(&resp);
	resp.status = 302;
	assert_int_equal(http_response_header(&resp, "Location", "/"), ERR_OK);
	assert_int_equal(http_response_cookie(&resp, &c), ERR_OK);
	assert_serialized(
	    &resp, false,
	    "Status: 302 Found\r\n"
	    "Location: /\r\n"
	    "Set-Cookie: session_id=; Path=/; Max-Age=0; "
	    "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; "
	    "SameSite=Lax\r\n"
	    "\r\n");
	http_response_clear(&resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_utf8_valid),
	    cmocka_unit_test(test_http_fields_add_get_clear),
	    cmocka_unit_test(test_http_form_parse_table),
	    cmocka_unit_test(test_http_form_parse_truncations),
	    cmocka_unit_test(test_http_form_parse_field_cap),
	    cmocka_unit_test(test_http_multipart_parse_table),
	    cmocka_unit_test(test_http_multipart_parse_truncations),
	    cmocka_unit_test(test_http_multipart_parse_limits),
	    cmocka_unit_test(test_http_json_parse_table),
	    cmocka_unit_test(test_http_json_parse_limits),
	    cmocka_unit_test(test_http_cookie_get_table),
	    cmocka_unit_test(test_http_request_read_env),
	    cmocka_unit_test(test_http_request_read_defaults),
	    cmocka_unit_test(test_http_request_read_path),
	    cmocka_unit_test(test_http_request_read_https),
	    cmocka_unit_test(test_http_request_read_content_length),
	    cmocka_unit_test(test_http_request_read_body),
	    cmocka_unit_test(test_http_request_read_too_large_before_reading),
	    cmocka_unit_test(test_http_request_read_header_size),
	    cmocka_unit_test(test_http_request_read_header_size_keeps_others),
	    cmocka_unit_test(test_http_request_read_env_first_wins),
	    cmocka_unit_test(test_http_response_header_name_bytes),
	    cmocka_unit_test(test_http_request_read_fd),
	    cmocka_unit_test(test_http_request_decode_types),
	    cmocka_unit_test(test_http_request_decode_field_cap),
	    cmocka_unit_test(test_http_method_parse_name),
	    cmocka_unit_test(test_http_status_reason),
	    cmocka_unit_test(test_http_response_serialize),
	    cmocka_unit_test(test_http_response_json),
	    cmocka_unit_test(test_http_response_header_checks),
	    cmocka_unit_test(test_http_response_cookie),
	    cmocka_unit_test(test_http_response_redirect_with_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
