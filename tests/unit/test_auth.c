/* test_auth.c: the rules of auth.h on a real SQLite file, with a fake
 * clock and fake randomness injected through struct auth_hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crypt.h>
#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>

#include "tmpdb.h"
#include "auth/auth.h"
#include "auth/internal.h"
#include "store/store.h"

#define T0       1700000000 /* the fake clock's start */
#define IDLE     1800
#define SMAX     43200
#define TTL      3600
#define PW       "correct horse"
#define LINK_TTL 86400

struct fx {
	struct tmpdb db; /* its dir and path */
	int64_t now;     /* the fake clock */
	unsigned rng;    /* the fake randomness: a counter */
	struct auth_config cfg;
	struct auth *a;
	char mail_cmd[256]; /* the delivery command, when one is set */
};

static int64_t
fake_now(void *arg)
{
	return ((struct fx *)arg)->now;
}

/* Deterministic bytes: a different pattern on every call. */
static void
fake_bytes(unsigned seed, unsigned char out[16])
{
	size_t i;

	for (i = 0; i < 16; i++)
		out[i] = (unsigned char)(seed * 31u + i * 7u + 1u);
}

static void
fake_uuid(void *arg, unsigned char out[16])
{
	struct fx *f = arg;

	fake_bytes(f->rng++, out);
}

/* The canonical text of the UUID4 that fake_bytes(seed) becomes. */
static void
expected_uuid(unsigned seed, char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char b[16];
	size_t i, o = 0;

	fake_bytes(seed, b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		snprintf(out + o, 3, "%02x", b[i]);
		o += 2;
	}
	out[o] = '\0';
}

/* (Re)make f->a from f->cfg. */
static void
remake(struct fx *f)
{
	auth_free(f->a);
	f->a = NULL;
	assert_int_equal(auth_new(&f->a, &f->cfg), ERR_OK);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tmpdb_make(&f->db, "test_auth") != 0) {
		free(f);
		return -1;
	}
	f->now = T0;
	f->cfg.db_path = f->db.path;
	f->cfg.busy_ms = 1000;
	f->cfg.hash_method = "$y$"; /* the default method, at a cheap cost */
	f->cfg.hash_cost = 1;
	f->cfg.password_min = 5;
	f->cfg.password_max = 128;
	f->cfg.session_idle = IDLE;
	f->cfg.session_max = SMAX;
	f->cfg.reset_ttl = TTL;
	f->cfg.reset_ends_sessions = true;
	f->cfg.link_ttl = LINK_TTL;
	f->cfg.secret_key_file = f->db.key;
	f->cfg.totp.digits = 6;
	f->cfg.totp.period = 30;
	f->cfg.totp.skew = 1;
	f->cfg.totp.issuer = "Example Co";
	f->cfg.hooks.now = fake_now;
	f->cfg.hooks.uuid = fake_uuid;
	f->cfg.hooks.arg = f;
	if (auth_new(&f->a, &f->cfg) != ERR_OK) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Remove the messages delivered into the fixture's directory. */
static void
mail_clear(struct fx *f)
{
	char p[512];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(f->db.dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "mail.", 5) == 0) {
			snprintf(p, sizeof(p), "%s/%s", f->db.dir, e->d_name);
			unlink(p);
		}
	closedir(d);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	mail_clear(f);
	auth_free(f->a);
	tmpdb_remove(&f->db);
	free(f);
	return 0;
}

static void
assert_uuid4(const char *s)
{
	size_t i;

	assert_int_equal(strlen(s), AUTH_TOKEN_LEN);
	for (i = 0; i < AUTH_TOKEN_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(s[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", s[i]));
	}
	assert_int_equal(s[14], '4');
	assert_non_null(strchr("89ab", s[19]));
}

static int64_t
reg(struct fx *f, const char *email, const char *password)
{
	struct auth_user u;

	assert_int_equal(auth_register(f->a, NULL, email, password, &u),
	                 ERR_OK);
	return u.id;
}

static void
login(struct fx *f, const char *email, const char *password,
      char sid[AUTH_TOKEN_LEN + 1])
{
	struct auth_user u;

	assert_int_equal(auth_login(f->a, NULL, email, password, NULL, &u, sid),
	                 ERR_OK);
}

static enum err
session_of(struct fx *f, const char *sid)
{
	struct auth_user u;

	return auth_session_user(f->a, NULL, sid, &u);
}

/* ---- registration ---- */

static void
test_auth_register_email_shapes(void **state)
{
	static const struct {
		const char *email;
		enum err want;
	} cases[] = {
	    {"bob@bob.com", ERR_OK},
	    {"a@b", ERR_OK},
	    {"Bob.Smith+tag@example.co.uk", ERR_OK},
	    {"\xc3\xbc@ex\xc3\xa4mple.de", ERR_OK}, /* ü@exämple.de */
	    {"", ERR_EMAIL},
	    {"bob", ERR_EMAIL},
	    {"@x", ERR_EMAIL},
	    {"x@", ERR_EMAIL},
	    {"a@@b", ERR_EMAIL},
	    {"a@b@c", ERR_EMAIL},
	    {"a b@c", ERR_EMAIL},
	    {"a@b c", ERR_EMAIL},
	    {"a\t@b", ERR_EMAIL},
	    {"a\r\n@b", ERR_EMAIL},
	    {"a@b..c", ERR_EMAIL},
	    {"a@.b", ERR_EMAIL},
	    {"a@b.", ERR_EMAIL},
	    {"<a@b>", ERR_EMAIL},
	};
	struct fx *f = *state;
	struct auth_user u;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("email \"%s\"\n", cases[i].email);
		assert_int_equal(auth_check_email(cases[i].email),
		                 cases[i].want);
		memset(&u, 0, sizeof(u));
		assert_int_equal(
		    auth_register(f->a, NULL, cases[i].email, PW, &u),
		    cases[i].want);
		if (cases[i].want == ERR_OK) {
			assert_true(u.id > 0);
			assert_string_equal(u.email, cases[i].email);
		}
	}
}

static void
test_auth_register_email_length(void **state)
{
	struct fx *f = *state;
	char email[AUTH_EMAIL_MAX + 2];
	struct auth_user u;

	/* 64-byte local part, then a domain up to 254 bytes in all. */
	memset(email, 'd', sizeof(email) - 1);
	memset(email, 'l', 64);
	email[64] = '@';
	email[AUTH_EMAIL_MAX] = '\0';
	assert_int_equal(strlen(email), 254);
	assert_int_equal(auth_check_email(email), ERR_OK);
	assert_int_equal(auth_register(f->a, NULL, email, PW, &u), ERR_OK);
	assert_string_equal(u.email, email);

	email[AUTH_EMAIL_MAX] = 'd';
	email[AUTH_EMAIL_MAX + 1] = '\0';
	assert_int_equal(strlen(email), 255);
	assert_int_equal(auth_check_email(email), ERR_EMAIL);
	assert_int_equal(auth_register(f->a, NULL, email, PW, &u), ERR_EMAIL);

	/* A 65-byte local part (RFC 5321 allows 64). */
	memset(email, 'l', 65);
	email[65] = '@';
	email[66] = 'x';
	email[67] = '\0';
	assert_int_equal(auth_check_email(email), ERR_EMAIL);
}

static void
test_auth_register_password_rules(void **state)
{
	struct pcase {
		const char *method;
		bool common;    /* reject_common on */
		const char *pw; /* or NULL: n copies of unit */
		const char *unit;
		size_t n;
		enum auth_pw_problem why;
	};
	static const struct pcase cases[] = {
	    {"$y$", false, "abcde", NULL, 0, AUTH_PW_OK},
	    {"$y$", false, "abcd", NULL, 0, AUTH_PW_SHORT},
	    {"$y$", false, "", NULL, 0, AUTH_PW_SHORT},
	    /* 5 characters in 10 bytes, 4 characters in 8 bytes */
	    {"$y$", false, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL, 0,
	     AUTH_PW_OK},
	    {"$y$", false, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL, 0,
	     AUTH_PW_SHORT},
	    /* 4 characters of 4 bytes: 16 bytes, still too short */
	    {"$y$", false,
	     "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	     "\xf0\x9f\x98\x80",
	     NULL, 0, AUTH_PW_SHORT},
	    {"$y$", false, NULL, "a", 128, AUTH_PW_OK},
	    {"$y$", false, NULL, "a", 129, AUTH_PW_LONG},
	    {"$y$", false, NULL, "\xc3\xa9", 64, AUTH_PW_OK},   /* 128 bytes */
	    {"$y$", false, NULL, "\xc3\xa9", 65, AUTH_PW_LONG}, /* 130 */
	    /* bcrypt reads 72 bytes at most */
	    {"$2b$", false, NULL, "b", 72, AUTH_PW_OK},
	    {"$2b$", false, NULL, "b", 73, AUTH_PW_LONG},
	    {"$2b$", false, NULL, "\xc3\xa9", 37, AUTH_PW_LONG}, /* 74 */
	    /* control characters: C0, DEL, C1 */
	    {"$y$", false, "tab\there", NULL, 0, AUTH_PW_CONTROL},
	    {"$y$", false, "line\nfeed", NULL, 0, AUTH_PW_CONTROL},
	    {"$y$", false, "del\x7f del", NULL, 0, AUTH_PW_CONTROL},
	    {"$y$", false, "c1 \xc2\x85 nel", NULL, 0, AUTH_PW_CONTROL},
	    {"$y$", false, "nbsp\xc2\xa0ok", NULL, 0, AUTH_PW_OK},
	    {"$y$", false, "spaces are fine", NULL, 0, AUTH_PW_OK},
	    /* common passwords: only when that check is on */
	    {"$y$", false, "password", NULL, 0, AUTH_PW_OK},
	    {"$y$", true, "12345678", NULL, 0, AUTH_PW_COMMON},
	    {"$y$", true, "correct horse battery", NULL, 0, AUTH_PW_OK},
	};
	struct fx *f = *state;
	char pw[600], email[32];
	enum auth_pw_problem why;
	struct auth_user u;
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		enum err want = c->why == AUTH_PW_OK ? ERR_OK : ERR_PASSWORD;

		f->cfg.hash_method = c->method;
		f->cfg.hash_cost = c->method[1] == '2' ? 4 : 1;
		f->cfg.reject_common = c->common;
		remake(f);
		if (c->pw != NULL) {
			snprintf(pw, sizeof(pw), "%s", c->pw);
		} else {
			pw[0] = '\0';
			for (k = 0; k < c->n; k++)
				strcat(pw, c->unit);
		}
		print_message("case %zu: %s, %zu bytes\n", i, c->method,
		              strlen(pw));
		why = AUTH_PW__MAX;
		assert_int_equal(auth_check_password(f->a, pw, &why), want);
		if (want != ERR_OK)
			assert_int_equal(why, c->why);
		snprintf(email, sizeof(email), "p%zu@x", i);
		assert_int_equal(auth_register(f->a, NULL, email, pw, &u),
		                 want);
		if (want == ERR_OK) {
			char sid[AUTH_TOKEN_LEN + 1];

			login(f, email, pw, sid);
		}
	}
}

/* With reject_common, every password of the shipped list is refused,
 * in any letter case. */
static void
test_auth_password_common(void **state)
{
	static const char *const common[] = {"password", "PassWord", "PASSWORD",
	                                     "123456",   "qwerty",   "abcde",
	                                     "newpass",  "iloveyou"};
	struct fx *f = *state;
	enum auth_pw_problem why;
	char line[256];
	size_t i, n, total = 0, missed = 0;
	FILE *fp;

	f->cfg.reject_common = true;
	f->cfg.password_min = 1;
	remake(f);
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		why = AUTH_PW_OK;
		if (auth_check_password(f->a, common[i], &why) !=
		        ERR_PASSWORD ||
		    why != AUTH_PW_COMMON) {
			print_message("not refused: \"%s\"\n", common[i]);
			missed++;
		}
	}
	/* The whole list, when the test runs from the top of the tree. */
	if ((fp = fopen("data/common-passwords.txt", "r")) == NULL) {
		assert_int_equal(missed, 0);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 0)
			continue;
		total++;
		if (auth_check_password(f->a, line, &why) != ERR_PASSWORD) {
			if (missed++ < 12)
				print_message("not refused: \"%s\"\n", line);
		}
	}
	fclose(fp);
	print_message("%zu of %zu common passwords not refused\n", missed,
	              total);
	assert_int_equal(missed, 0);
}

static void
test_auth_password_max(void **state)
{
	struct fx *f = *state;

	assert_int_equal(auth_password_max(f->a), 128);
	f->cfg.hash_method = "$2b$";
	f->cfg.hash_cost = 4;
	remake(f);
	assert_int_equal(auth_password_max(f->a), 72);
	f->cfg.password_max = 50;
	remake(f);
	assert_int_equal(auth_password_max(f->a), 50);
	/* libxcrypt hashes at most 511 bytes: a larger setting is cut to
	 * that, as bcrypt's is to 72. */
	f->cfg.hash_method = "$y$";
	f->cfg.hash_cost = 1;
	f->cfg.password_max = 4096;
	remake(f);
	assert_int_equal(auth_password_max(f->a), 511);
}

static void
test_auth_register_duplicate_other_case(void **state)
{
	static const char *const dups[] = {"bob@bob.com", "BOB@BOB.COM",
	                                   "Bob@Bob.Com"};
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	int64_t id;
	size_t i;

	id = reg(f, "Bob@bob.com", PW);
	for (i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		u.id = -5;
		assert_int_equal(
		    auth_register(f->a, NULL, dups[i], "other pw", &u),
		    ERR_EXISTS);
		assert_int_equal(u.id, -5);
	}
	/* The original account, email and password are kept. */
	assert_int_equal(
	    auth_login(f->a, NULL, "BOB@BOB.COM", PW, NULL, &u, sid), ERR_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "Bob@bob.com");
	assert_int_equal(
	    auth_login(f->a, NULL, "bob@bob.com", "other pw", NULL, &u, sid),
	    ERR_CREDENTIALS);
}

static void
test_auth_register_sql_metacharacters(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "o'brien@x.org", "'; DROP TABLE users; --");
	reg(f, "x@y", PW);
	login(f, "O'Brien@X.org", "'; DROP TABLE users; --", sid);
	assert_int_equal(auth_session_user(f->a, NULL, sid, &u), ERR_OK);
	assert_string_equal(u.email, "o'brien@x.org");
	login(f, "x@y", PW, sid);
}

/* ---- login and sessions ---- */

static void
test_auth_login_ok_and_failures(void **state)
{
	static const struct {
		const char *email;
		const char *password;
		enum err want;
	} cases[] = {
	    {"alice@example.org", PW, ERR_OK},
	    {"ALICE@example.ORG", PW, ERR_OK},
	    {"alice@example.org", "correct horsE", ERR_CREDENTIALS},
	    {"alice@example.org", "correct horse ", ERR_CREDENTIALS},
	    {"alice@example.org", "", ERR_CREDENTIALS},
	    {"nobody@example.org", PW, ERR_CREDENTIALS},
	    {"", PW, ERR_CREDENTIALS},
	    {"alice@example.or", PW, ERR_CREDENTIALS},
	};
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	int64_t id;
	size_t i;

	id = reg(f, "alice@example.org", PW);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("login %s / %s\n", cases[i].email,
		              cases[i].password);
		memset(sid, 'Z', sizeof(sid));
		memset(&u, 0, sizeof(u));
		assert_int_equal(auth_login(f->a, NULL, cases[i].email,
		                            cases[i].password, NULL, &u, sid),
		                 cases[i].want);
		if (cases[i].want == ERR_OK) {
			assert_int_equal(u.id, id);
			assert_string_equal(u.email, "alice@example.org");
			assert_uuid4(sid);
		} else {
			/* No session id is handed out on failure. */
			assert_int_equal(sid[0], 'Z');
		}
	}
}

static void
test_auth_login_long_email(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	char email[1024];
	struct auth_user u;

	memset(email, 'a', sizeof(email) - 1);
	email[sizeof(email) - 1] = '\0';
	email[10] = '@';
	assert_int_equal(auth_login(f->a, NULL, email, PW, NULL, &u, sid),
	                 ERR_CREDENTIALS);
}

static void
test_auth_login_sid_from_hook(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], want[AUTH_TOKEN_LEN + 1];

	reg(f, "h@h", PW);
	f->rng = 40;
	login(f, "h@h", PW, sid);
	expected_uuid(40, want);
	assert_string_equal(sid, want);
	assert_uuid4(sid);
	/* All-zero and all-one bytes still make UUID4 text. */
	f->rng = 0;
	{
		char t[AUTH_TOKEN_LEN + 1];
		unsigned char z[16];
		size_t i;

		login(f, "h@h", PW, t);
		assert_uuid4(t);
		fake_bytes(0, z);
		for (i = 0; i < 16; i++)
			assert_true(z[i] == (unsigned char)(i * 7u + 1u));
	}
}

static void
test_auth_login_real_uuid(void **state)
{
	struct fx *f = *state;
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];

	f->cfg.hooks.uuid = NULL; /* libuuid */
	remake(f);
	reg(f, "r@r", PW);
	login(f, "r@r", PW, a);
	login(f, "r@r", PW, b);
	assert_uuid4(a);
	assert_uuid4(b);
	assert_string_not_equal(a, b);
}

static void
test_auth_sessions_many_per_account(void **state)
{
	struct fx *f = *state;
	char sid[4][AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	int64_t alice, bob;
	size_t i, j;

	alice = reg(f, "alice@x", PW);
	bob = reg(f, "bob@x", PW);
	for (i = 0; i < 3; i++)
		login(f, "alice@x", PW, sid[i]);
	login(f, "bob@x", PW, sid[3]);
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			assert_string_not_equal(sid[i], sid[j]);
	for (i = 0; i < 3; i++) {
		assert_int_equal(auth_session_user(f->a, NULL, sid[i], &u),
		                 ERR_OK);
		assert_int_equal(u.id, alice);
		assert_string_equal(u.email, "alice@x");
	}
	assert_int_equal(auth_session_user(f->a, NULL, sid[3], &u), ERR_OK);
	assert_int_equal(u.id, bob);
}

static void
test_auth_session_bad_ids(void **state)
{
	static const char *const bad[] = {
	    NULL,
	    "",
	    "x",
	    "00000000-0000-4000-8000-000000000000",
	    "not-a-uuid-but-thirty-six-chars-ok!",
	    "'; DELETE FROM sessions; --         ",
	};
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], longer[AUTH_TOKEN_LEN + 2];
	size_t i;

	reg(f, "s@s", PW);
	login(f, "s@s", PW, sid);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(session_of(f, bad[i]), ERR_NO_SESSION);
		assert_int_equal(auth_logout(f->a, NULL, bad[i]),
		                 ERR_NO_SESSION);
	}
	/* The real id in another case, or with a byte more, is not it. */
	snprintf(longer, sizeof(longer), "%s", sid);
	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		if (longer[i] >= 'a' && longer[i] <= 'f')
			longer[i] = (char)(longer[i] - 'a' + 'A');
	assert_int_equal(session_of(f, longer), ERR_NO_SESSION);
	snprintf(longer, sizeof(longer), "%sx", sid);
	assert_int_equal(session_of(f, longer), ERR_NO_SESSION);
	assert_int_equal(session_of(f, sid), ERR_OK);
}

static void
test_auth_session_idle_expiry(void **state)
{
	struct fx *f = *state;
	char used[AUTH_TOKEN_LEN + 1], idle[AUTH_TOKEN_LEN + 1];

	reg(f, "i@i", PW);
	login(f, "i@i", PW, used);
	login(f, "i@i", PW, idle);
	f->now += IDLE - 1;
	assert_int_equal(session_of(f, used), ERR_OK);
	f->now += 1; /* idle has not been used for IDLE seconds */
	assert_int_equal(session_of(f, idle), ERR_NO_SESSION);
	assert_int_equal(session_of(f, used), ERR_OK);
	/* Gone for good, even if the clock went back. */
	f->now -= 10;
	assert_int_equal(session_of(f, idle), ERR_NO_SESSION);
	f->now += 10;
	f->now += IDLE;
	assert_int_equal(session_of(f, used), ERR_NO_SESSION);
	assert_int_equal(auth_logout(f->a, NULL, used), ERR_NO_SESSION);
}

/* Small steps (below the write interval of last_seen) add up: a session
 * used every few seconds does not expire idle. */
static void
test_auth_session_idle_small_steps(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	int i;

	reg(f, "q@q", PW);
	login(f, "q@q", PW, sid);
	for (i = 0; i < 200; i++) {
		f->now += 29;
		assert_int_equal(session_of(f, sid), ERR_OK);
	}
	assert_true(f->now - T0 > IDLE);
}

static void
test_auth_session_absolute_expiry(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	int64_t start;

	reg(f, "m@m", PW);
	start = f->now;
	login(f, "m@m", PW, sid);
	for (;;) {
		f->now += IDLE / 2;
		if (f->now - start >= SMAX)
			break;
		assert_int_equal(session_of(f, sid), ERR_OK);
	}
	assert_int_equal(f->now - start, SMAX);
	assert_int_equal(session_of(f, sid), ERR_NO_SESSION);
}

static void
test_auth_logout_ends_one_session(void **state)
{
	struct fx *f = *state;
	char s1[AUTH_TOKEN_LEN + 1], s2[AUTH_TOKEN_LEN + 1],
	    s3[AUTH_TOKEN_LEN + 1];

	reg(f, "l@l", PW);
	reg(f, "o@o", PW);
	login(f, "l@l", PW, s1);
	login(f, "l@l", PW, s2);
	login(f, "o@o", PW, s3);
	assert_int_equal(auth_logout(f->a, NULL, s1), ERR_OK);
	assert_int_equal(session_of(f, s1), ERR_NO_SESSION);
	assert_int_equal(auth_logout(f->a, NULL, s1), ERR_NO_SESSION);
	assert_int_equal(session_of(f, s2), ERR_OK);
	assert_int_equal(session_of(f, s3), ERR_OK);
}

static void
test_auth_login_records_last_login(void **state)
{
	struct fx *f = *state;
	struct store_config sc = {f->db.path, 1000, 0, false};
	char sid[AUTH_TOKEN_LEN + 1];
	struct store *st = NULL;
	struct store_user su;

	reg(f, "t@t", PW);
	f->now += 77;
	login(f, "t@t", PW, sid);
	assert_int_equal(store_open(&st, &sc), ERR_OK);
	assert_int_equal(store_user_by_email(st, "t@t", &su), ERR_OK);
	assert_int_equal(su.created, T0);
	assert_int_equal(su.last_login, T0 + 77);
	/* The hash is a crypt(3) hash of the configured method. */
	assert_memory_equal(su.hash, "$y$", 3);
	store_close(st);
}

/* ---- password reset ---- */

static void
test_auth_reset_unknown_email(void **state)
{
	struct fx *f = *state;
	char token[AUTH_TOKEN_LEN + 1], email[400];
	struct auth_user u;

	reg(f, "k@k", PW);
	memset(token, 'Z', sizeof(token));
	assert_int_equal(auth_reset_request(f->a, NULL, "nobody@k", &u, token),
	                 ERR_NOT_FOUND);
	assert_int_equal(auth_reset_request(f->a, NULL, "", &u, token),
	                 ERR_NOT_FOUND);
	memset(email, 'k', sizeof(email) - 1);
	email[sizeof(email) - 1] = '\0';
	assert_int_equal(auth_reset_request(f->a, NULL, email, &u, token),
	                 ERR_NOT_FOUND);
	assert_int_equal(token[0], 'Z');
}

static void
test_auth_reset_flow(void **state)
{
	struct fx *f = *state;
	char token[AUTH_TOKEN_LEN + 1], want[AUTH_TOKEN_LEN + 1];
	char s1[AUTH_TOKEN_LEN + 1], s2[AUTH_TOKEN_LEN + 1];
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	int64_t id;

	id = reg(f, "Reset@Me.org", PW);
	login(f, "reset@me.org", PW, s1);
	login(f, "reset@me.org", PW, s2);
	f->rng = 100;
	assert_int_equal(
	    auth_reset_request(f->a, NULL, "RESET@me.org", &u, token), ERR_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "Reset@Me.org");
	assert_uuid4(token);
	expected_uuid(100, want);
	assert_string_equal(token, want);
	/* Requesting does not end sessions. */
	assert_int_equal(session_of(f, s1), ERR_OK);

	memset(&u, 0, sizeof(u));
	assert_int_equal(auth_reset_update(f->a, NULL, "reset@ME.org", token,
	                                   "brand new pw", &u),
	                 ERR_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "Reset@Me.org");
	/* Every session ends; the new password works, the old one not. */
	assert_int_equal(session_of(f, s1), ERR_NO_SESSION);
	assert_int_equal(session_of(f, s2), ERR_NO_SESSION);
	assert_int_equal(
	    auth_login(f->a, NULL, "reset@me.org", PW, NULL, &u, sid),
	    ERR_CREDENTIALS);
	login(f, "reset@me.org", "brand new pw", sid);
	/* Single use. */
	assert_int_equal(auth_reset_update(f->a, NULL, "reset@me.org", token,
	                                   "third pw!", &u),
	                 ERR_TOKEN);
	login(f, "reset@me.org", "brand new pw", sid);
}

static void
test_auth_reset_newer_token_replaces_older(void **state)
{
	struct fx *f = *state;
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "n@n", PW);
	assert_int_equal(auth_reset_request(f->a, NULL, "n@n", &u, t1), ERR_OK);
	assert_int_equal(auth_reset_request(f->a, NULL, "n@n", &u, t2), ERR_OK);
	assert_uuid4(t1);
	assert_uuid4(t2);
	assert_string_not_equal(t1, t2);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "n@n", t1, "newpass1", &u),
	    ERR_TOKEN);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "n@n", t2, "newpass2", &u), ERR_OK);
}

static void
test_auth_reset_token_bound_to_account(void **state)
{
	struct fx *f = *state;
	char ta[AUTH_TOKEN_LEN + 1], tb[AUTH_TOKEN_LEN + 1];
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "a@a", PW);
	reg(f, "b@b", PW);
	assert_int_equal(auth_reset_request(f->a, NULL, "a@a", &u, ta), ERR_OK);
	/* b has no token at all */
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "b@b", ta, "hijacked", &u),
	    ERR_TOKEN);
	/* b has its own token */
	assert_int_equal(auth_reset_request(f->a, NULL, "b@b", &u, tb), ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "b@b", ta, "hijacked", &u),
	    ERR_TOKEN);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "a@a", tb, "hijacked", &u),
	    ERR_TOKEN);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "nobody@c", ta, "hijacked", &u),
	    ERR_TOKEN);
	/* Nothing changed, and both tokens still work for their owner. */
	login(f, "b@b", PW, sid);
	login(f, "a@a", PW, sid);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "a@a", ta, "new a pw", &u), ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "b@b", tb, "new b pw", &u), ERR_OK);
}

static void
test_auth_reset_bad_tokens(void **state)
{
	static const char *const bad[] = {
	    "",
	    "short",
	    "00000000-0000-4000-8000-000000000000",
	    "'; UPDATE users SET password_hash=''",
	};
	struct fx *f = *state;
	char t[AUTH_TOKEN_LEN + 1], upper[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	size_t i;

	reg(f, "z@z", PW);
	assert_int_equal(auth_reset_request(f->a, NULL, "z@z", &u, t), ERR_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    auth_reset_update(f->a, NULL, "z@z", bad[i], "newpass", &u),
		    ERR_TOKEN);
	snprintf(upper, sizeof(upper), "%s", t);
	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	if (strcmp(upper, t) != 0)
		assert_int_equal(
		    auth_reset_update(f->a, NULL, "z@z", upper, "newpass", &u),
		    ERR_TOKEN);
	assert_int_equal(auth_reset_update(f->a, NULL, "z@z", t, "newpass", &u),
	                 ERR_OK);
}

static void
test_auth_reset_expiry(void **state)
{
	struct fx *f = *state;
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "e@e", PW);
	reg(f, "g@g", PW);
	assert_int_equal(auth_reset_request(f->a, NULL, "e@e", &u, t1), ERR_OK);
	assert_int_equal(auth_reset_request(f->a, NULL, "g@g", &u, t2), ERR_OK);
	f->now += TTL - 1;
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "e@e", t1, "in time", &u), ERR_OK);
	f->now += 1;
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "g@g", t2, "too late", &u),
	    ERR_TOKEN);
	/* A fresh request works again. */
	assert_int_equal(auth_reset_request(f->a, NULL, "g@g", &u, t2), ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "g@g", t2, "on time", &u), ERR_OK);
}

static void
test_auth_reset_bad_password_keeps_token(void **state)
{
	struct fx *f = *state;
	char t[AUTH_TOKEN_LEN + 1], sid[AUTH_TOKEN_LEN + 1], big[200];
	struct auth_user u;

	reg(f, "p@p", PW);
	login(f, "p@p", PW, sid);
	assert_int_equal(auth_reset_request(f->a, NULL, "p@p", &u, t), ERR_OK);
	assert_int_equal(auth_reset_update(f->a, NULL, "p@p", t, "abc", &u),
	                 ERR_PASSWORD);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_reset_update(f->a, NULL, "p@p", t, big, &u),
	                 ERR_PASSWORD);
	/* Nothing happened: old password and session still good. */
	assert_int_equal(session_of(f, sid), ERR_OK);
	login(f, "p@p", PW, sid);
	assert_int_equal(auth_reset_update(f->a, NULL, "p@p", t, "abcde", &u),
	                 ERR_OK);
	login(f, "p@p", "abcde", sid);
}

/* Resetting one account leaves every other account's sessions alone. */
static void
test_auth_reset_other_accounts_untouched(void **state)
{
	struct fx *f = *state;
	char t[AUTH_TOKEN_LEN + 1], sa[AUTH_TOKEN_LEN + 1],
	    sb[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "a@a", PW);
	reg(f, "b@b", PW);
	login(f, "a@a", PW, sa);
	login(f, "b@b", PW, sb);
	assert_int_equal(auth_reset_request(f->a, NULL, "a@a", &u, t), ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "a@a", t, "new a pw", &u), ERR_OK);
	assert_int_equal(session_of(f, sa), ERR_NO_SESSION);
	assert_int_equal(session_of(f, sb), ERR_OK);
	login(f, "b@b", PW, sb);
}

/* ---- what the database holds ---- */

/* Does buf[0..n) hold needle? */
static bool
bytes_hold(const void *buf, size_t n, const char *needle)
{
	const char *b = buf;
	size_t m = strlen(needle), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(b + i, needle, m) == 0)
			return true;
	return false;
}

/* Does any text or blob value in table hold needle? */
static bool
table_holds(sqlite3 *db, const char *table, const char *needle)
{
	char sql[128];
	sqlite3_stmt *q = NULL;
	bool found = false;
	int i, n, rows = 0;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		rows++;
		n = sqlite3_column_count(q);
		for (i = 0; i < n; i++) {
			const void *p;
			int len;

			if (sqlite3_column_type(q, i) == SQLITE_BLOB)
				p = sqlite3_column_blob(q, i);
			else
				p = sqlite3_column_text(q, i);
			len = sqlite3_column_bytes(q, i);
			if (p != NULL && len > 0 &&
			    bytes_hold(p, (size_t)len, needle))
				found = true;
		}
	}
	sqlite3_finalize(q);
	assert_true(rows > 0);
	return found;
}

/* Does the file at path (if any) hold needle anywhere in its bytes? */
static bool
file_holds(const char *path, const char *needle)
{
	char *buf = NULL;
	bool found = false;
	size_t n = 0;
	FILE *fp;
	long sz;

	if ((fp = fopen(path, "rb")) == NULL)
		return false;
	if (fseek(fp, 0, SEEK_END) == 0 && (sz = ftell(fp)) > 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)sz)) != NULL)
		n = fread(buf, 1, (size_t)sz, fp);
	fclose(fp);
	if (buf != NULL && n > 0)
		found = bytes_hold(buf, n, needle);
	free(buf);
	return found;
}

/* Is there a row in table whose token_hash is SHA-256(token)? */
static bool
digest_stored(sqlite3 *db, const char *table, const char *token)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	sqlite3_stmt *q = NULL;
	char sql[128];
	bool found;

	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE token_hash = ?1",
	         table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_blob(q, 1, d, sizeof(d), SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

static void
test_auth_db_holds_no_tokens_in_clear(void **state)
{
	static const char *const tables[] = {"users", "sessions",
	                                     "reset_tokens"};
	static const char *const suffix[] = {"", "-wal"};
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], token[AUTH_TOKEN_LEN + 1];
	char p[160], bare[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	sqlite3 *db = NULL;
	size_t i, j, k;

	f->cfg.hooks.uuid = NULL; /* real tokens this time */
	remake(f);
	reg(f, "c@c", PW);
	login(f, "c@c", PW, sid);
	assert_int_equal(auth_reset_request(f->a, NULL, "c@c", &u, token),
	                 ERR_OK);

	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		assert_false(table_holds(db, tables[i], sid));
		assert_false(table_holds(db, tables[i], token));
		assert_false(table_holds(db, tables[i], PW));
	}
	assert_true(digest_stored(db, "sessions", sid));
	assert_true(digest_stored(db, "reset_tokens", token));
	sqlite3_close(db);

	/* Nor in the files' bytes, with or without dashes. */
	for (j = 0; j < 2; j++) {
		const char *t = j == 0 ? sid : token;

		for (i = 0, k = 0; t[i] != '\0'; i++)
			if (t[i] != '-')
				bare[k++] = t[i];
		bare[k] = '\0';
		for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(p, sizeof(p), "%s%s", f->db.path, suffix[i]);
			assert_false(file_holds(p, t));
			assert_false(file_holds(p, bare));
			assert_false(file_holds(p, PW));
		}
	}
}

/* ---- hashes from the original service ---- */

/* Insert an account whose hash was made elsewhere, as the migration of
 * the Python service's data would. */
static void
insert_foreign(struct fx *f, const char *email, const char *hash)
{
	struct store_config sc = {f->db.path, 1000, 0, false};
	struct store *st = NULL;
	int64_t id;

	assert_int_equal(store_open(&st, &sc), ERR_OK);
	assert_int_equal(store_user_insert(st, email, hash, T0, &id), ERR_OK);
	store_close(st);
}

/* The stored hash of the account of email, read with the store API. */
static void
stored_hash(struct fx *f, const char *email, char *out, size_t size)
{
	struct store_config sc = {f->db.path, 1000, 0, false};
	struct store *st = NULL;
	struct store_user su;

	assert_int_equal(store_open(&st, &sc), ERR_OK);
	assert_int_equal(store_user_by_email(st, email, &su), ERR_OK);
	snprintf(out, size, "%s", su.hash);
	store_close(st);
}

static void
test_auth_login_bcrypt_from_python(void **state)
{
	static const struct {
		const char *prefix;
		const char *email;
		const char *password;
	} cases[] = {
	    {"$2b$", "py@bcrypt", "python secret"},
	    {"$2a$", "py2a@bcrypt", "older secret"},
	    {"$2y$", "py2y@bcrypt", "php secret"},
	    {"$2b$", "utf8@bcrypt", "p\xc3\xa4ssw\xc3\xb6rd"},
	};
	struct fx *f = *state;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE];
	char now[STORE_HASH_MAX + 1], sid[AUTH_TOKEN_LEN + 1];
	struct crypt_data cd;
	struct auth_user u;
	const char *h;
	size_t i;

	/* The service runs with the default method, $y$. */
	assert_int_equal(auth_init_store(f->a), ERR_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&cd, 0, sizeof(cd));
		assert_non_null(crypt_gensalt_rn(cases[i].prefix, 4, NULL, 0,
		                                 setting, sizeof(setting)));
		h = crypt_rn(cases[i].password, setting, &cd, sizeof(cd));
		assert_non_null(h);
		snprintf(hash, sizeof(hash), "%s", h);
		assert_memory_equal(hash, cases[i].prefix, 4);
		assert_memory_equal(hash + 4, "04$", 3);
		insert_foreign(f, cases[i].email, hash);

		/* A wrong password leaves the old hash alone. */
		assert_int_equal(auth_login(f->a, NULL, cases[i].email,
		                            "wrong pass", NULL, &u, sid),
		                 ERR_CREDENTIALS);
		stored_hash(f, cases[i].email, now, sizeof(now));
		assert_string_equal(now, hash);

		assert_int_equal(auth_login(f->a, NULL, cases[i].email,
		                            cases[i].password, NULL, &u, sid),
		                 ERR_OK);
		assert_string_equal(u.email, cases[i].email);
		assert_uuid4(sid);
		assert_int_equal(auth_session_user(f->a, NULL, sid, &u),
		                 ERR_OK);
		/* The right one replaces it with a hash of the configured
		 * method, which logs in the same. */
		stored_hash(f, cases[i].email, now, sizeof(now));
		assert_memory_equal(now, "$y$", 3);
		login(f, cases[i].email, cases[i].password, sid);
		assert_int_equal(auth_login(f->a, NULL, cases[i].email,
		                            "wrong pass", NULL, &u, sid),
		                 ERR_CREDENTIALS);
	}
}

/* A hash of the configured method but another cost is replaced too;
 * one that is current is left as it is. */
static void
test_auth_login_rehash_on_cost_change(void **state)
{
	struct fx *f = *state;
	char before[STORE_HASH_MAX + 1], after[STORE_HASH_MAX + 1];
	char sid[AUTH_TOKEN_LEN + 1];

	f->cfg.hash_method = "$2b$";
	f->cfg.hash_cost = 4;
	remake(f);
	reg(f, "cost@x", PW);
	stored_hash(f, "cost@x", before, sizeof(before));
	assert_memory_equal(before, "$2b$04$", 7);
	login(f, "cost@x", PW, sid);
	stored_hash(f, "cost@x", after, sizeof(after));
	assert_string_equal(after, before);

	f->cfg.hash_cost = 5;
	remake(f);
	login(f, "cost@x", PW, sid);
	stored_hash(f, "cost@x", after, sizeof(after));
	assert_memory_equal(after, "$2b$05$", 7);
	login(f, "cost@x", PW, sid);
}

/* A stored hash no method can read is a wrong password, not a fault. */
static void
test_auth_login_unreadable_hash(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	insert_foreign(f, "bad@hash", "*");
	insert_foreign(f, "plain@hash", PW);
	assert_int_equal(auth_login(f->a, NULL, "bad@hash", PW, NULL, &u, sid),
	                 ERR_CREDENTIALS);
	assert_int_equal(
	    auth_login(f->a, NULL, "plain@hash", PW, NULL, &u, sid),
	    ERR_CREDENTIALS);
}

/* ---- throttling ---- */

static void
throttle_on(struct fx *f, int64_t account, int64_t addr)
{
	f->cfg.throttle.account_limit = account;
	f->cfg.throttle.addr_limit = addr;
	f->cfg.throttle.window = 600;
	f->cfg.throttle.lockout = 900;
	remake(f);
}

static enum err
login_from(struct fx *f, const char *client, const char *email,
           const char *password, int64_t *retry)
{
	struct auth_call call = {client, -1, NULL};
	char sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	enum err e;

	e = auth_login(f->a, &call, email, password, NULL, &u, sid);
	if (retry != NULL)
		*retry = call.retry_after;
	return e;
}

static void
test_auth_throttle_account(void **state)
{
	struct fx *f = *state;
	int64_t retry = 0;
	int i;

	throttle_on(f, 3, 0);
	reg(f, "a@x", PW);
	reg(f, "b@x", PW);
	for (i = 0; i < 3; i++)
		assert_int_equal(
		    login_from(f, "10.0.0.1", "a@x", "bad pass", NULL),
		    ERR_CREDENTIALS);
	/* Locked, whatever the password, the spelling or the address. */
	assert_int_equal(login_from(f, "10.0.0.1", "a@x", PW, &retry),
	                 ERR_THROTTLED);
	assert_int_equal(retry, 900);
	assert_int_equal(login_from(f, "10.9.9.9", "A@X", PW, NULL),
	                 ERR_THROTTLED);
	assert_int_equal(login_from(f, NULL, "a@x", PW, NULL), ERR_THROTTLED);
	/* Another account is not. */
	assert_int_equal(login_from(f, "10.0.0.1", "b@x", PW, NULL), ERR_OK);
	/* The lock ends after the lockout. */
	f->now += 899;
	assert_int_equal(login_from(f, "10.0.0.1", "a@x", PW, &retry),
	                 ERR_THROTTLED);
	assert_int_equal(retry, 1);
	f->now += 1;
	assert_int_equal(login_from(f, "10.0.0.1", "a@x", PW, NULL), ERR_OK);
}

/* Unknown emails lock the same way: a lockout tells nothing about
 * which emails are registered. */
static void
test_auth_throttle_unknown_email(void **state)
{
	struct fx *f = *state;
	int i;

	throttle_on(f, 3, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(login_from(f, NULL, "ghost@x", PW, NULL),
		                 ERR_CREDENTIALS);
	assert_int_equal(login_from(f, NULL, "Ghost@X", PW, NULL),
	                 ERR_THROTTLED);
}

/* A success gives back its own place only: the failures before it stay
 * counted until they leave the window. */
static void
test_auth_throttle_success_and_window(void **state)
{
	struct fx *f = *state;
	int i;

	throttle_on(f, 3, 0);
	reg(f, "w@x", PW);
	for (i = 0; i < 2; i++)
		assert_int_equal(login_from(f, NULL, "w@x", "nope nope", NULL),
		                 ERR_CREDENTIALS);
	assert_int_equal(login_from(f, NULL, "w@x", PW, NULL), ERR_OK);
	assert_int_equal(login_from(f, NULL, "w@x", PW, NULL), ERR_OK);
	assert_int_equal(login_from(f, NULL, "w@x", "nope nope", NULL),
	                 ERR_CREDENTIALS);
	assert_int_equal(login_from(f, NULL, "w@x", PW, NULL), ERR_THROTTLED);
	/* Once the failures are out of the window (and the lock over),
	 * the account logs in again. */
	f->now += 900;
	for (i = 0; i < 2; i++)
		assert_int_equal(login_from(f, NULL, "w@x", "nope nope", NULL),
		                 ERR_CREDENTIALS);
	assert_int_equal(login_from(f, NULL, "w@x", PW, NULL), ERR_OK);
}

/*
 * The window slides: no span of `window` seconds ever holds more than
 * the limit of checked wrong passwords, whatever their times. One
 * failure, three just before the first failure's window ends, and as many
 * as an attacker can just after: a counter that restarts with its window
 * would check five more there, eight within two seconds.
 */
static void
test_auth_throttle_sliding_window(void **state)
{
	int64_t checked[64], retry = 0;
	struct fx *f = *state;
	int i, j, n = 0, in_window;
	enum err e;

	throttle_on(f, 5, 0);
	reg(f, "slide@x", PW);
	assert_int_equal(login_from(f, NULL, "slide@x", "bad pass", NULL),
	                 ERR_CREDENTIALS);
	checked[n++] = f->now;
	f->now += 599;
	for (i = 0; i < 3; i++) {
		assert_int_equal(
		    login_from(f, NULL, "slide@x", "bad pass", NULL),
		    ERR_CREDENTIALS);
		checked[n++] = f->now;
	}
	/* A second later the first failure leaves the window: room for
	 * two more, then the account is locked. */
	f->now += 1;
	for (i = 0; i < 10; i++) {
		e = login_from(f, NULL, "slide@x", "bad pass", &retry);
		if (e == ERR_CREDENTIALS)
			checked[n++] = f->now;
		else
			assert_int_equal(e, ERR_THROTTLED);
		if (i % 3 == 2)
			f->now += 1;
	}
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		for (in_window = 0, j = 0; j < n; j++)
			if (checked[j] >= checked[i] &&
			    checked[j] < checked[i] + 600)
				in_window++;
		assert_true(in_window <= 5);
	}
	/* Refused, the right password too, until the lock ends. */
	assert_int_equal(login_from(f, NULL, "slide@x", PW, &retry),
	                 ERR_THROTTLED);
	f->now += retry;
	assert_int_equal(login_from(f, NULL, "slide@x", PW, NULL), ERR_OK);
}

/*
 * Whatever the password's length or bytes, a registered and an unknown
 * email get the same answer and the same count: a password longer than
 * the configured maximum, or than libxcrypt can hash, is a wrong password
 * for both, never a fault.
 */
static void
test_auth_login_any_password_same_for_unknown(void **state)
{
	static const size_t lens[] = {0,   1,   127, 128,  129,  511,
	                              512, 513, 600, 4096, 65536};
	struct fx *f = *state;
	const char *emails[] = {"known@x", "unknown@x"};
	char *pw;
	size_t i, j;

	throttle_on(f, 100, 0);
	reg(f, "known@x", PW);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		pw = malloc(lens[i] + 1);
		assert_non_null(pw);
		/* Bytes a field may hold: UTF-8 and a control character. */
		for (j = 0; j < lens[i]; j++)
			pw[j] = "a\x01"
			        "\xc3\xa9"[j % 4];
		if (lens[i] > 0 && (pw[lens[i] - 1] & 0xc0) == 0xc0)
			pw[lens[i] - 1] = 'z';
		pw[lens[i]] = '\0';
		for (j = 0; j < 2; j++)
			assert_int_equal(
			    login_from(f, "10.0.0.1", emails[j], pw, NULL),
			    ERR_CREDENTIALS);
		free(pw);
	}
	/* Counted alike: each email has had one failure per length. */
	throttle_on(f, (int64_t)(sizeof(lens) / sizeof(lens[0])), 0);
	for (j = 0; j < 2; j++)
		assert_int_equal(login_from(f, "10.0.0.1", emails[j], PW, NULL),
		                 ERR_THROTTLED);
}

/* An email already taken counts against the address like a wrong
 * password; new accounts do not, however many. */
static void
test_auth_register_taken_counts(void **state)
{
	struct auth_call call = {"192.0.2.9", 0, NULL};
	struct fx *f = *state;
	struct auth_user u;
	char email[32];
	int i;

	throttle_on(f, 3, 3);
	for (i = 0; i < 20; i++) {
		snprintf(email, sizeof(email), "new%d@x", i);
		assert_int_equal(auth_register(f->a, &call, email, PW, &u),
		                 ERR_OK);
	}
	for (i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "NEW%d@x", i);
		assert_int_equal(auth_register(f->a, &call, email, PW, &u),
		                 ERR_EXISTS);
	}
	assert_int_equal(auth_register(f->a, &call, "fresh@x", PW, &u),
	                 ERR_THROTTLED);
	assert_int_equal(call.retry_after, 900);
	/* The address's log-ins share that count. */
	assert_int_equal(login_from(f, "192.0.2.9", "new0@x", PW, NULL),
	                 ERR_THROTTLED);
	/* Another address, and the account's own log-ins, are not locked. */
	call.client = "192.0.2.10";
	assert_int_equal(auth_register(f->a, &call, "fresh@x", PW, &u), ERR_OK);
	assert_int_equal(login_from(f, "192.0.2.10", "new0@x", PW, NULL),
	                 ERR_OK);
}

static void
test_auth_throttle_address(void **state)
{
	struct fx *f = *state;
	char email[32];
	int64_t retry = 0;
	int i;

	throttle_on(f, 0, 3);
	reg(f, "v@x", PW);
	for (i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "guess%d@x", i);
		assert_int_equal(login_from(f, "192.0.2.7", email, PW, NULL),
		                 ERR_CREDENTIALS);
	}
	assert_int_equal(login_from(f, "192.0.2.7", "v@x", PW, &retry),
	                 ERR_THROTTLED);
	assert_int_equal(retry, 900);
	/* Another address, or none known, is not locked. */
	assert_int_equal(login_from(f, "192.0.2.8", "v@x", PW, NULL), ERR_OK);
	assert_int_equal(login_from(f, NULL, "v@x", PW, NULL), ERR_OK);
}

static void
test_auth_throttle_off(void **state)
{
	struct fx *f = *state;
	int i;

	reg(f, "off@x", PW); /* the fixture's limits are 0: off */
	for (i = 0; i < 20; i++)
		assert_int_equal(
		    login_from(f, "10.0.0.1", "off@x", "bad pass", NULL),
		    ERR_CREDENTIALS);
	assert_int_equal(login_from(f, "10.0.0.1", "off@x", PW, NULL), ERR_OK);
}

static void
test_auth_throttle_reset_requests(void **state)
{
	struct fx *f = *state;
	struct auth_call call = {"10.0.0.1", 0, NULL};
	char t[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	throttle_on(f, 2, 0);
	reg(f, "rr@x", PW);
	assert_int_equal(auth_reset_request(f->a, &call, "rr@x", &u, t),
	                 ERR_OK);
	assert_int_equal(auth_reset_request(f->a, &call, "RR@x", &u, t),
	                 ERR_OK);
	assert_int_equal(auth_reset_request(f->a, &call, "rr@x", &u, t),
	                 ERR_THROTTLED);
	assert_int_equal(call.retry_after, 900);
	/* The last token handed out still works. */
	{
		char t2[AUTH_TOKEN_LEN + 1];

		f->now += 900;
		assert_int_equal(
		    auth_reset_request(f->a, &call, "rr@x", &u, t2), ERR_OK);
		assert_int_equal(auth_reset_update(f->a, &call, "rr@x", t2,
		                                   "fresh pass", &u),
		                 ERR_OK);
	}
	/* Unknown emails count the same. */
	assert_int_equal(auth_reset_request(f->a, &call, "no@x", &u, t),
	                 ERR_NOT_FOUND);
	assert_int_equal(auth_reset_request(f->a, &call, "no@x", &u, t),
	                 ERR_NOT_FOUND);
	assert_int_equal(auth_reset_request(f->a, &call, "no@x", &u, t),
	                 ERR_THROTTLED);
}

/* The one integer that sql (a count) gives on the fixture's database. */
static int64_t
raw_count(struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* What people type into the email field never reaches the database in
 * clear: failures are counted under keyed digests. */
static void
test_auth_db_holds_no_typed_email(void **state)
{
	static const char *const suffix[] = {"", "-wal", "-shm", ".key"};
	static const char *const typed[] = {"typo-Hunter2@example.org",
	                                    "' OR 1=1 --@x.org"};
	struct auth_call call = {"203.0.113.5", 0, NULL};
	char t[AUTH_TOKEN_LEN + 1], p[160], lower[64];
	struct fx *f = *state;
	struct auth_user u;
	size_t i, j, k;

	throttle_on(f, 5, 50);
	reg(f, "real@x.org", PW);
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    login_from(f, "203.0.113.5", typed[i], PW, NULL),
		    ERR_CREDENTIALS);
		assert_int_equal(
		    auth_reset_request(f->a, &call, typed[i], &u, t),
		    ERR_NOT_FOUND);
	}
	for (i = 0; i < 2; i++) {
		for (k = 0; typed[i][k] != '\0' && k < sizeof(lower) - 1; k++)
			lower[k] =
			    (char)(typed[i][k] >= 'A' && typed[i][k] <= 'Z'
			               ? typed[i][k] - 'A' + 'a'
			               : typed[i][k]);
		lower[k] = '\0';
		for (j = 0; j < sizeof(suffix) / sizeof(suffix[0]); j++) {
			snprintf(p, sizeof(p), "%s%s", f->db.path, suffix[j]);
			assert_false(file_holds(p, typed[i]));
			assert_false(file_holds(p, lower));
			assert_false(file_holds(p, "203.0.113.5"));
		}
	}
	/* The listing of accounts still shows a registered one's lock. */
	for (i = 0; i < 5; i++)
		assert_int_equal(login_from(f, "203.0.113.5", "REAL@x.org",
		                            "bad pass", NULL),
		                 ERR_CREDENTIALS);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM throttle_locks"),
	                 1);
}

/* The secret key file: made once, mode 0600, 64 hex digits, then read;
 * a malformed one is a fault, never a fresh key. */
static void
test_auth_secret_key_file(void **state)
{
	struct fx *f = *state;
	char buf[128], other[160];
	struct stat sb;
	FILE *fp;
	size_t n;

	throttle_on(f, 5, 0);
	assert_int_equal(access(f->db.key, F_OK), -1);
	assert_int_equal(login_from(f, NULL, "k@x", PW, NULL), ERR_CREDENTIALS);
	assert_int_equal(stat(f->db.key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fp = fopen(f->db.key, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(n, 65);
	assert_int_equal(buf[64], '\n');
	assert_int_equal(strspn(buf, "0123456789abcdef"), 64);
	/* Used as it is by the next context: the count goes on. */
	remake(f);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM throttle_events"),
	                 1);
	assert_int_equal(login_from(f, NULL, "k@x", PW, NULL), ERR_CREDENTIALS);
	assert_int_equal(raw_count(f, "SELECT count(DISTINCT key)"
	                              " FROM throttle_events"),
	                 1);
	/* Malformed: a fault, and the file is left alone. */
	fp = fopen(f->db.key, "w");
	assert_non_null(fp);
	fputs("not a key\n", fp);
	fclose(fp);
	remake(f);
	assert_int_equal(login_from(f, NULL, "k@x", PW, NULL), ERR_DB);
	fp = fopen(f->db.key, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(n, 10);
	/* A directory that does not exist: a fault. */
	snprintf(other, sizeof(other), "%s/nowhere/key", f->db.dir);
	f->cfg.secret_key_file = other;
	remake(f);
	assert_int_equal(login_from(f, NULL, "k@x", PW, NULL), ERR_DB);
	/* None configured: a fault too, once something needs it. */
	f->cfg.secret_key_file = NULL;
	remake(f);
	assert_int_equal(login_from(f, NULL, "k@x", PW, NULL), ERR_DB);
	f->cfg.secret_key_file = f->db.key;
}

/* In the default profile a reset keeps the account's sessions, as the
 * original service did; reset_ends_sessions ends them. */
static void
test_auth_reset_sessions_setting(void **state)
{
	struct fx *f = *state;
	char t[AUTH_TOKEN_LEN + 1], s1[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	f->cfg.reset_ends_sessions = false;
	remake(f);
	reg(f, "keep@x", PW);
	login(f, "keep@x", PW, s1);
	assert_int_equal(auth_reset_request(f->a, NULL, "keep@x", &u, t),
	                 ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "keep@x", t, "second pw", &u),
	    ERR_OK);
	assert_int_equal(session_of(f, s1), ERR_OK);
	assert_int_equal(auth_logout(f->a, NULL, s1), ERR_OK);
	login(f, "keep@x", "second pw", s1);
	f->cfg.reset_ends_sessions = true;
	remake(f);
	assert_int_equal(auth_reset_request(f->a, NULL, "keep@x", &u, t),
	                 ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "keep@x", t, "third pw!", &u),
	    ERR_OK);
	assert_int_equal(session_of(f, s1), ERR_NO_SESSION);
}

/* Authorise, then validate: a wrong token is ERR_TOKEN whatever the new
 * password; the password's rules apply only with a live token. */
static void
test_auth_reset_token_checked_first(void **state)
{
	struct fx *f = *state;
	char t[AUTH_TOKEN_LEN + 1], wrong[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "order@x", PW);
	assert_int_equal(auth_reset_request(f->a, NULL, "order@x", &u, t),
	                 ERR_OK);
	memcpy(wrong, t, sizeof(wrong));
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "order@x", wrong, "x", &u),
	    ERR_TOKEN);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "order@x", wrong, "", &u), ERR_TOKEN);
	assert_int_equal(auth_reset_update(f->a, NULL, "nobody@x", t, "x", &u),
	                 ERR_TOKEN);
	assert_int_equal(auth_reset_update(f->a, NULL, "order@x", t, "x", &u),
	                 ERR_PASSWORD);
	/* The token still works after a refused password. */
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "order@x", t, "good pass", &u),
	    ERR_OK);
}

/* ---- the gate ---- */

static void
test_auth_rule_parse(void **state)
{
	static const struct {
		const char *text;
		enum err e;
		size_t n;
	} t[] = {
	    {NULL, ERR_OK, 0},
	    {"", ERR_OK, 0},
	    {"  , ", ERR_OK, 0},
	    {"user", ERR_OK, 1},
	    {"group:admins", ERR_OK, 1},
	    {"group:admins,group:staff email:a@b.org domain:x.org", ERR_OK, 4},
	    {"group:a.b_c-d", ERR_OK, 1},
	    {"group:", ERR_INVAL, 0},
	    {"group:Admins", ERR_INVAL, 0},
	    {"group:-x", ERR_INVAL, 0},
	    {"group:a;b", ERR_INVAL, 0},
	    {"group:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ERR_INVAL, 0},
	    {"email:not-an-email", ERR_INVAL, 0},
	    {"domain:exa_mple.org", ERR_INVAL, 0},
	    {"domain:.org", ERR_INVAL, 0},
	    {"users", ERR_INVAL, 0},
	    {"group=admins", ERR_INVAL, 0},
	    {"user group:x bogus", ERR_INVAL, 0},
	    {"user user user user user user user user user user user user user"
	     " user user user user",
	     ERR_INVAL, 0},
	};
	struct auth_rule r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("rule \"%s\"\n", t[i].text ? t[i].text : "NULL");
		assert_int_equal(auth_rule_parse(t[i].text, &r), t[i].e);
		assert_int_equal(r.n, t[i].n);
	}
}

/* The gate's decision for sessions and rules; no write but a session's
 * last use, at most once a minute. */
static void
test_auth_gate(void **state)
{
	struct fx *f = *state;
	char sa[AUTH_TOKEN_LEN + 1], sb[AUTH_TOKEN_LEN + 1];
	struct auth_gate_user gu;
	struct auth_rule any, admins, ann, dom;
	int64_t seen;
	int i;

	reg(f, "Ann@X.org", PW);
	reg(f, "bob@y.org", PW);
	login(f, "ann@x.org", PW, sa);
	login(f, "bob@y.org", PW, sb);
	assert_int_equal(auth_rule_parse(NULL, &any), ERR_OK);
	assert_int_equal(auth_rule_parse("group:admins", &admins), ERR_OK);
	assert_int_equal(auth_rule_parse("email:ANN@x.org", &ann), ERR_OK);
	assert_int_equal(auth_rule_parse("domain:Y.ORG", &dom), ERR_OK);
	assert_int_equal(auth_gate(f->a, NULL, NULL, &any, &gu),
	                 ERR_NO_SESSION);
	assert_int_equal(auth_gate(f->a, NULL, "nope", &any, &gu),
	                 ERR_NO_SESSION);
	assert_int_equal(auth_gate(f->a, NULL, sa, &any, &gu), ERR_OK);
	assert_string_equal(gu.user.email, "Ann@X.org");
	assert_string_equal(gu.groups, "");
	assert_int_equal(auth_gate(f->a, NULL, sa, &admins, &gu),
	                 ERR_FORBIDDEN);
	assert_int_equal(auth_group_add(f->a, "ANN@x.org", "admins"), ERR_OK);
	assert_int_equal(auth_group_add(f->a, "ann@x.org", "admins"), ERR_OK);
	assert_int_equal(auth_group_add(f->a, "ann@x.org", "a-team"), ERR_OK);
	assert_int_equal(auth_gate(f->a, NULL, sa, &admins, &gu), ERR_OK);
	assert_string_equal(gu.groups, "a-team,admins");
	assert_int_equal(auth_gate(f->a, NULL, sa, &ann, &gu), ERR_OK);
	assert_int_equal(auth_gate(f->a, NULL, sb, &ann, &gu), ERR_FORBIDDEN);
	assert_int_equal(auth_gate(f->a, NULL, sb, &dom, &gu), ERR_OK);
	assert_int_equal(auth_gate(f->a, NULL, sa, &dom, &gu), ERR_FORBIDDEN);
	assert_int_equal(auth_group_remove(f->a, "ann@x.org", "admins"),
	                 ERR_OK);
	assert_int_equal(auth_group_remove(f->a, "ann@x.org", "admins"),
	                 ERR_NOT_FOUND);
	assert_int_equal(auth_gate(f->a, NULL, sa, &admins, &gu),
	                 ERR_FORBIDDEN);
	assert_int_equal(auth_group_add(f->a, "ann@x.org", "Bad Name"),
	                 ERR_INVAL);
	assert_int_equal(auth_group_add(f->a, "nobody@x.org", "admins"),
	                 ERR_NOT_FOUND);
	/* At most AUTH_GROUPS_MAX groups. */
	for (i = 1; i < AUTH_GROUPS_MAX; i++) {
		char g[16];

		snprintf(g, sizeof(g), "g%d", i);
		assert_int_equal(auth_group_add(f->a, "bob@y.org", g), ERR_OK);
	}
	assert_int_equal(auth_group_add(f->a, "bob@y.org", "last"), ERR_OK);
	assert_int_equal(auth_group_add(f->a, "bob@y.org", "toomany"),
	                 ERR_INVAL);
	/* A decision within a minute of the last use writes nothing. */
	seen = raw_count(f, "SELECT max(last_seen) FROM sessions");
	f->now += 59;
	assert_int_equal(auth_gate(f->a, NULL, sa, &any, &gu), ERR_OK);
	assert_int_equal(raw_count(f, "SELECT max(last_seen) FROM sessions"),
	                 seen);
	f->now += 1;
	assert_int_equal(auth_gate(f->a, NULL, sa, &any, &gu), ERR_OK);
	assert_int_equal(raw_count(f, "SELECT max(last_seen) FROM sessions"),
	                 seen + 60);
	/* Without its secret key the gate refuses: a fault, never a yes. */
	{
		char nowhere[160];

		snprintf(nowhere, sizeof(nowhere), "%s/no/such/key", f->db.dir);
		f->cfg.secret_key_file = nowhere;
		remake(f);
		assert_int_equal(auth_gate(f->a, NULL, sa, &any, &gu), ERR_DB);
		f->cfg.secret_key_file = f->db.key;
		remake(f);
	}
	/* Ended and expired sessions are refused at once. */
	assert_int_equal(auth_logout(f->a, NULL, sb), ERR_OK);
	assert_int_equal(auth_gate(f->a, NULL, sb, &any, &gu), ERR_NO_SESSION);
	f->now += SMAX;
	assert_int_equal(auth_gate(f->a, NULL, sa, &any, &gu), ERR_NO_SESSION);
}

/* ---- the second factor's codes ---- */

/* The code an independent implementation (oathtool) gives for b32 at
 * Unix time t. */
static void
oathtool_code(const char *b32, int64_t t, char out[16])
{
	char cmd[160];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s -N @%lld", b32,
	         (long long)t);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, 16, p));
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_int_equal(strlen(out), 6);
}

static void
test_auth_totp_codes(void **state)
{
	struct fx *f = *state;
	unsigned char secret[AUTH_TOTP_KEY_LEN], sealed[AUTH_TOTP_SEALED_LEN];
	unsigned char back[AUTH_TOTP_KEY_LEN];
	char b32[AUTH_TOTP_B32_LEN + 1], code[16], uri[512];
	int64_t step = 0, t = 1700000010;

	auth_totp_secret_new(secret);
	assert_int_equal(auth_totp_base32(secret, b32), ERR_OK);
	assert_int_equal(strlen(b32), 32);
	assert_int_equal(strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
	/* Now, and one step of skew either way; not two. */
	oathtool_code(b32, t, code);
	f->now = t;
	assert_int_equal(auth_totp_verify(f->a, secret, code, 0, &step),
	                 ERR_OK);
	assert_int_equal(step, t / 30);
	f->now = t + 30;
	assert_int_equal(auth_totp_verify(f->a, secret, code, 0, &step),
	                 ERR_OK);
	f->now = t - 30;
	assert_int_equal(auth_totp_verify(f->a, secret, code, 0, &step),
	                 ERR_OK);
	f->now = t + 60;
	assert_int_equal(auth_totp_verify(f->a, secret, code, 0, &step),
	                 ERR_CREDENTIALS);
	f->now = t - 60;
	assert_int_equal(auth_totp_verify(f->a, secret, code, 0, &step),
	                 ERR_CREDENTIALS);
	/* Once only: not again at or after the step it was used at. */
	f->now = t;
	assert_int_equal(auth_totp_verify(f->a, secret, code, t / 30, &step),
	                 ERR_CREDENTIALS);
	assert_int_equal(
	    auth_totp_verify(f->a, secret, code, t / 30 - 1, &step), ERR_OK);
	/* Not a code at all. */
	assert_int_equal(auth_totp_verify(f->a, secret, "12345", 0, &step),
	                 ERR_CREDENTIALS);
	assert_int_equal(auth_totp_verify(f->a, secret, "12a456", 0, &step),
	                 ERR_CREDENTIALS);
	assert_int_equal(auth_totp_verify(f->a, secret, NULL, 0, &step),
	                 ERR_CREDENTIALS);
	/* Sealed: the secret's bytes are not in the box, which opens with
	 * this key file only. */
	assert_int_equal(auth_totp_seal(f->a, secret, sealed), ERR_OK);
	assert_false(bytes_hold(sealed, sizeof(sealed), b32));
	assert_int_equal(auth_totp_open(f->a, sealed, sizeof(sealed), back),
	                 ERR_OK);
	assert_memory_equal(back, secret, sizeof(secret));
	unlink(f->db.key);
	remake(f);
	assert_int_equal(auth_totp_open(f->a, sealed, sizeof(sealed), back),
	                 ERR_DB);
	assert_int_equal(
	    auth_totp_uri(f->a, "A b@x.org", b32, uri, sizeof(uri)), ERR_OK);
	assert_true(strncmp(uri,
	                    "otpauth://totp/Example%20Co:A%20b@x.org?secret=",
	                    47) == 0);
	assert_non_null(strstr(uri, "&issuer=Example%20Co&algorithm=SHA1"
	                            "&digits=6&period=30"));
}

static void
test_auth_recovery_codes(void **state)
{
	struct fx *f = *state;
	char c1[AUTH_RECOVERY_LEN + 1], c2[AUTH_RECOVERY_LEN + 1];
	char d1[AUTH_DIGEST_HEX + 1], d2[AUTH_DIGEST_HEX + 1];
	char typed[32];
	size_t i;

	auth_recovery_new(c1);
	auth_recovery_new(c2);
	assert_int_equal(strlen(c1), 14);
	assert_true(c1[4] == '-' && c1[9] == '-');
	assert_string_not_equal(c1, c2);
	assert_int_equal(auth_recovery_digest(f->a, c1, d1), ERR_OK);
	/* As typed: capitals, no dashes, blanks. */
	for (i = 0; c1[i] != '\0'; i++)
		typed[i] =
		    c1[i] >= 'a' && c1[i] <= 'z' ? (char)(c1[i] - 32) : c1[i];
	typed[i] = '\0';
	assert_int_equal(auth_recovery_digest(f->a, typed, d2), ERR_OK);
	assert_string_equal(d1, d2);
	snprintf(typed, sizeof(typed), "%.4s %.4s%.4s", c1, c1 + 5, c1 + 10);
	assert_int_equal(auth_recovery_digest(f->a, typed, d2), ERR_OK);
	assert_string_equal(d1, d2);
	assert_int_equal(auth_recovery_digest(f->a, c2, d2), ERR_OK);
	assert_string_not_equal(d1, d2);
	assert_int_equal(auth_recovery_digest(f->a, "aaaa-bbbb-cccc-dddd", d2),
	                 ERR_CREDENTIALS);
}

/* ---- the second factor of an account ---- */

/* Turn the factor of the account signed in as sid on, at the fixture's
 * time: *setup holds its secret, *rc its recovery codes. */
static void
factor_on(struct fx *f, const char *sid, struct auth_totp_setup *setup,
          struct auth_recovery_codes *rc)
{
	char code[16];

	assert_int_equal(auth_totp_begin(f->a, NULL, sid, PW, setup), ERR_OK);
	oathtool_code(setup->secret, f->now, code);
	assert_int_equal(auth_totp_confirm(f->a, NULL, sid, code, rc), ERR_OK);
}

/* A log-in's outcome with a code (or a recovery code), and the second
 * it went through. */
static enum err
login_with(struct fx *f, const char *password, const char *code,
           const char *recovery, char sid[AUTH_TOKEN_LEN + 1])
{
	struct auth_second second = {.code = code, .recovery_code = recovery};
	struct auth_user u;

	return auth_login(f->a, NULL, "f@x.org", password, &second, &u, sid);
}

/* Set up, log in with the factor, with a recovery code, replay. */
static void
test_auth_factor_login(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], sid2[AUTH_TOKEN_LEN + 1], code[16];
	struct auth_totp_setup setup, again;
	struct auth_recovery_codes rc;
	struct auth_account *acct = calloc(1, sizeof(*acct));
	struct auth_second second = {0};
	struct auth_user u;
	size_t i;

	assert_non_null(acct);
	reg(f, "f@x.org", PW);
	login(f, "f@x.org", PW, sid);
	/* The password first; nothing to confirm before a begin. */
	assert_int_equal(auth_totp_begin(f->a, NULL, sid, "wrong pw", &setup),
	                 ERR_WRONG_PW);
	assert_int_equal(auth_totp_confirm(f->a, NULL, sid, "123456", &rc),
	                 ERR_FACTOR_OFF);
	assert_int_equal(auth_totp_begin(f->a, NULL, sid, PW, &setup), ERR_OK);
	assert_int_equal(strlen(setup.secret), 32);
	assert_non_null(strstr(setup.uri, setup.secret));
	/* Until confirmed, log-in asks for the password alone. */
	assert_int_equal(login_with(f, PW, NULL, NULL, sid2), ERR_OK);
	/* A wrong code does not confirm it. */
	oathtool_code(setup.secret, f->now + 300, code);
	assert_int_equal(auth_totp_confirm(f->a, NULL, sid, code, &rc),
	                 ERR_CODE);
	oathtool_code(setup.secret, f->now, code);
	assert_int_equal(auth_totp_confirm(f->a, NULL, sid, code, &rc), ERR_OK);
	for (i = 0; i < AUTH_RECOVERY_CODES; i++)
		assert_int_equal(strlen(rc.code[i]), AUTH_RECOVERY_LEN);
	assert_int_equal(auth_totp_begin(f->a, NULL, sid, PW, &again),
	                 ERR_FACTOR_ON);
	assert_int_equal(auth_account_get(f->a, NULL, sid, acct), ERR_OK);
	assert_true(acct->second_factor);
	assert_int_equal(acct->recovery_left, AUTH_RECOVERY_CODES);

	/* A wrong password is today's answer, whatever the code. */
	assert_int_equal(login_with(f, "wrong pw", code, NULL, sid2),
	                 ERR_CREDENTIALS);
	assert_int_equal(login_with(f, PW, NULL, NULL, sid2), ERR_CODE);
	assert_int_equal(login_with(f, PW, "", NULL, sid2), ERR_CODE);
	/* The confirming code was used at this step: not again. */
	assert_int_equal(login_with(f, PW, code, NULL, sid2), ERR_CODE);
	f->now += 30;
	oathtool_code(setup.secret, f->now, code);
	assert_int_equal(login_with(f, PW, code, NULL, sid2), ERR_OK);
	assert_int_equal(session_of(f, sid2), ERR_OK);
	assert_int_equal(login_with(f, PW, code, NULL, sid2), ERR_CODE);
	/* A code of an earlier step than the last one used is refused even
	 * inside the skew. */
	f->now += 30;
	oathtool_code(setup.secret, f->now - 30, code);
	assert_int_equal(login_with(f, PW, code, NULL, sid2), ERR_CODE);
	/* The skew's edges: a code one step ahead works, two do not. */
	oathtool_code(setup.secret, f->now + 60, code);
	assert_int_equal(login_with(f, PW, code, NULL, sid2), ERR_CODE);
	oathtool_code(setup.secret, f->now + 30, code);
	assert_int_equal(login_with(f, PW, code, NULL, sid2), ERR_OK);

	/* A recovery code, once. */
	assert_int_equal(login_with(f, PW, NULL, rc.code[3], sid2), ERR_OK);
	assert_int_equal(login_with(f, PW, NULL, rc.code[3], sid2), ERR_CODE);
	second.recovery_code = rc.code[4];
	assert_int_equal(
	    auth_login(f->a, NULL, "f@x.org", PW, &second, &u, sid2), ERR_OK);
	assert_true(second.recovery_used);
	assert_int_equal(auth_account_get(f->a, NULL, sid, acct), ERR_OK);
	assert_int_equal(acct->recovery_left, AUTH_RECOVERY_CODES - 2);
	free(acct);
}

/* Wrong codes count toward the account's lockout like wrong passwords;
 * when locked, the right code is refused too. */
static void
test_auth_factor_lockout(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], code[16];
	struct auth_totp_setup setup;
	struct auth_recovery_codes rc;
	int i;

	f->cfg.throttle.account_limit = 3;
	f->cfg.throttle.window = 600;
	f->cfg.throttle.lockout = 900;
	remake(f);
	reg(f, "f@x.org", PW);
	login(f, "f@x.org", PW, sid);
	factor_on(f, sid, &setup, &rc);
	f->now += 30;
	oathtool_code(setup.secret, f->now + 300, code);
	for (i = 0; i < 3; i++)
		assert_int_equal(login_with(f, PW, code, NULL, sid), ERR_CODE);
	oathtool_code(setup.secret, f->now, code);
	assert_int_equal(login_with(f, PW, code, NULL, sid), ERR_THROTTLED);
	assert_int_equal(login_with(f, PW, NULL, rc.code[0], sid),
	                 ERR_THROTTLED);
	f->now += 901;
	oathtool_code(setup.secret, f->now, code);
	assert_int_equal(login_with(f, PW, code, NULL, sid), ERR_OK);
}

/* A browser's second step: bound to its form token, spent by each
 * attempt, short-lived. */
static void
test_auth_factor_pending(void **state)
{
	static const char form[] = "0d5c1d9c-3a2c-4f6e-9d1e-4b0f5c6b7a8e";
	static const char other[] = "1d5c1d9c-3a2c-4f6e-9d1e-4b0f5c6b7a8e";
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], code[16], first[AUTH_TOKEN_LEN + 1];
	char next[AUTH_TOKEN_LEN + 1];
	struct auth_totp_setup setup;
	struct auth_recovery_codes rc;
	struct auth_second s = {.form_token = form};
	struct auth_user u;

	reg(f, "f@x.org", PW);
	login(f, "f@x.org", PW, sid);
	factor_on(f, sid, &setup, &rc);
	f->now += 30;
	assert_int_equal(auth_login(f->a, NULL, "f@x.org", PW, &s, &u, sid),
	                 ERR_CODE);
	assert_int_equal(strlen(s.pending), AUTH_TOKEN_LEN);
	memcpy(first, s.pending, sizeof(first));
	/* Another browser's form token: no such pending log-in. */
	s.form_token = other;
	assert_int_equal(auth_login_finish(f->a, NULL, first, &s, &u, sid),
	                 ERR_PENDING);
	/* A wrong code spends it and makes another. */
	s.form_token = form;
	oathtool_code(setup.secret, f->now + 300, code);
	s.code = code;
	assert_int_equal(auth_login_finish(f->a, NULL, first, &s, &u, sid),
	                 ERR_CODE);
	assert_string_not_equal(s.pending, first);
	memcpy(next, s.pending, sizeof(next));
	assert_int_equal(auth_login_finish(f->a, NULL, first, &s, &u, sid),
	                 ERR_PENDING);
	memcpy(first, next, sizeof(first));
	oathtool_code(setup.secret, f->now, code);
	assert_int_equal(auth_login_finish(f->a, NULL, first, &s, &u, sid),
	                 ERR_OK);
	assert_string_equal(u.email, "f@x.org");
	assert_int_equal(session_of(f, sid), ERR_OK);
	assert_int_equal(auth_login_finish(f->a, NULL, first, &s, &u, sid),
	                 ERR_PENDING);
	/* It waits AUTH_PENDING_TTL seconds at most. */
	s.code = NULL;
	assert_int_equal(auth_login(f->a, NULL, "f@x.org", PW, &s, &u, sid),
	                 ERR_CODE);
	memcpy(first, s.pending, sizeof(first));
	f->now += AUTH_PENDING_TTL + 1;
	oathtool_code(setup.secret, f->now, code);
	s.code = code;
	assert_int_equal(auth_login_finish(f->a, NULL, first, &s, &u, sid),
	                 ERR_PENDING);
	/* Without a form token (a script), none is made. */
	s.form_token = NULL;
	s.code = NULL;
	assert_int_equal(auth_login(f->a, NULL, "f@x.org", PW, &s, &u, sid),
	                 ERR_CODE);
	assert_string_equal(s.pending, "");
}

/* The factor guards the account's other doors; a reset by token leaves
 * it on; turning it off needs a code; the gate's mfa. */
static void
test_auth_factor_doors(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], old[AUTH_TOKEN_LEN + 1], code[16];
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_totp_setup setup;
	struct auth_recovery_codes rc, rc2;
	struct auth_second s = {0};
	struct auth_rule mfa;
	struct auth_gate_user gu;
	struct auth_user u;

	f->cfg.reset_ends_sessions = false;
	remake(f);
	reg(f, "f@x.org", PW);
	login(f, "f@x.org", PW, old);
	login(f, "f@x.org", PW, sid);
	assert_int_equal(auth_rule_parse("user mfa", &mfa), ERR_OK);
	assert_true(mfa.second_factor);
	assert_int_equal(auth_gate(f->a, NULL, sid, &mfa, &gu), ERR_FORBIDDEN);
	factor_on(f, sid, &setup, &rc);
	/* The confirming session has shown the factor; one that began
	 * before has not. */
	assert_int_equal(auth_gate(f->a, NULL, sid, &mfa, &gu), ERR_OK);
	assert_int_equal(auth_gate(f->a, NULL, old, &mfa, &gu), ERR_FORBIDDEN);

	assert_int_equal(
	    auth_password_change(f->a, NULL, sid, PW, NULL, "new horse 1", &u),
	    ERR_CODE);
	assert_int_equal(auth_account_delete(f->a, NULL, sid, PW, &s, &u),
	                 ERR_CODE);
	f->now += 30;
	oathtool_code(setup.secret, f->now, code);
	s.code = code;
	assert_int_equal(
	    auth_password_change(f->a, NULL, sid, PW, &s, "new horse 1", &u),
	    ERR_OK);
	/* A reset by token does not turn it off. */
	assert_int_equal(auth_reset_request(f->a, NULL, "f@x.org", &u, token),
	                 ERR_OK);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "f@x.org", token, PW, &u), ERR_OK);
	assert_int_equal(login_with(f, PW, NULL, NULL, old), ERR_CODE);
	/* New recovery codes void the old ones. */
	f->now += 30;
	oathtool_code(setup.secret, f->now, code);
	assert_int_equal(auth_recovery_renew(f->a, NULL, sid, PW, &s, &rc2),
	                 ERR_OK);
	assert_int_equal(login_with(f, PW, NULL, rc.code[0], old), ERR_CODE);
	/* Off with the password and a recovery code. */
	s.code = NULL;
	assert_int_equal(auth_totp_disable(f->a, NULL, sid, PW, &s, &u),
	                 ERR_CODE);
	s.recovery_code = rc2.code[0];
	assert_int_equal(auth_totp_disable(f->a, NULL, sid, "wrong pw", &s, &u),
	                 ERR_WRONG_PW);
	assert_int_equal(auth_totp_disable(f->a, NULL, sid, PW, &s, &u),
	                 ERR_OK);
	assert_int_equal(auth_totp_disable(f->a, NULL, sid, PW, &s, &u),
	                 ERR_FACTOR_OFF);
	assert_int_equal(login_with(f, PW, NULL, NULL, old), ERR_OK);
	/* The operator's reset. */
	assert_int_equal(auth_totp_reset(f->a, "f@x.org"), ERR_FACTOR_OFF);
	f->now += 30;
	factor_on(f, sid, &setup, &rc);
	assert_int_equal(auth_totp_reset(f->a, "f@x.org"), ERR_OK);
	assert_int_equal(login_with(f, PW, NULL, NULL, old), ERR_OK);
	assert_int_equal(auth_totp_reset(f->a, "nobody@x.org"), ERR_NOT_FOUND);
}

/* ---- reset token delivery ---- */

static void
test_auth_reset_deliver_command(void **state)
{
	struct fx *f = *state;
	char cmd[256], mail[160], t[AUTH_TOKEN_LEN + 1], buf[2048], link[160];
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	const char *p;
	size_t n = 0;
	FILE *fp;
	int i;

	snprintf(mail, sizeof(mail), "%s/mail.txt", f->db.dir);
	snprintf(cmd, sizeof(cmd), "cat > '%s'", mail);
	f->cfg.deliver_command = cmd;
	f->cfg.reset_url = "https://example.org/auth";
	remake(f);
	reg(f, "Mail@x.org", PW);
	memset(t, 'Z', sizeof(t));
	assert_int_equal(auth_reset_request(f->a, NULL, "mail@x.org", &u, t),
	                 ERR_OK);
	assert_string_equal(t, ""); /* the caller never sees it */
	assert_string_equal(u.email, "Mail@x.org");

	/* Delivery runs detached from the request: wait for it (5 s at
	 * most) until the message is complete. */
	for (i = 0; i < 500; i++) {
		if ((fp = fopen(mail, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, fp);
			fclose(fp);
			buf[n] = '\0';
			if (strstr(buf, "ignore this message.\n") != NULL)
				break;
		}
		usleep(10000);
	}
	fp = fopen(mail, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	unlink(mail);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "To: Mail@x.org\n"));
	/* The token is the indented line of the message. */
	p = strstr(buf, "\n    ");
	assert_non_null(p);
	snprintf(token, sizeof(token), "%.36s", p + 5);
	assert_uuid4(token);
	/* With the service's public address, a link to the page that sets
	 * the new password, the email percent-encoded where it must be. */
	snprintf(link, sizeof(link),
	         "\n    https://example.org/auth/reset_password"
	         "?email=Mail@x.org&reset_token=%s\n",
	         token);
	assert_non_null(strstr(buf, link));
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "mail@x.org", token, "mailed pw", &u),
	    ERR_OK);
	login(f, "mail@x.org", "mailed pw", t);
	/* The new password is told, in a message without any token. */
	for (i = 0; i < 500; i++) {
		if ((fp = fopen(mail, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, fp);
			fclose(fp);
			buf[n] = '\0';
			if (strstr(buf, "reset your password now.\n") != NULL)
				break;
		}
		usleep(10000);
	}
	assert_non_null(strstr(buf, "Subject: Your password was changed\n"));
	assert_null(strstr(buf, token));
	assert_null(strstr(buf, t));
	unlink(mail);

	/* Unknown email: nothing is sent. */
	assert_int_equal(auth_reset_request(f->a, NULL, "nobody@x.org", &u, t),
	                 ERR_NOT_FOUND);
	assert_int_equal(access(mail, F_OK), -1);
}

static void
test_auth_reset_deliver_failure(void **state)
{
	struct fx *f = *state;
	char t[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	void (*old)(int);

	old = signal(SIGPIPE, SIG_IGN); /* as main.c does */
	/* The command runs detached: its failure is logged, and the
	 * answer is the same as for a success (it must not tell whether
	 * the email is registered). */
	f->cfg.deliver_command = "cat > /dev/null; exit 3";
	remake(f);
	reg(f, "fail@x.org", PW);
	assert_int_equal(auth_reset_request(f->a, NULL, "fail@x.org", &u, t),
	                 ERR_OK);
	assert_string_equal(t, "");
	f->cfg.deliver_command = "exit 0";
	remake(f);
	assert_int_equal(auth_reset_request(f->a, NULL, "fail@x.org", &u, t),
	                 ERR_OK);
	signal(SIGPIPE, old);
}

/* ---- account self-service ---- */

/* Outgoing mail: each message into a file of its own, mail.<pid>, in the
 * fixture's directory. */
static void
mail_on(struct fx *f)
{
	snprintf(f->mail_cmd, sizeof(f->mail_cmd), "cat > '%s'/mail.$$",
	         f->db.dir);
	f->cfg.deliver_command = f->mail_cmd;
	remake(f);
}

/* The delivered message to `to` that holds needle, into buf; false when
 * none comes within 5 s. */
static bool
mail_find(struct fx *f, const char *to, const char *needle, char *buf,
          size_t size)
{
	char head[320], p[512];
	struct dirent *e;
	size_t n;
	FILE *fp;
	DIR *d;
	int i;

	snprintf(head, sizeof(head), "To: %s\n", to);
	for (i = 0; i < 500; i++) {
		assert_non_null(d = opendir(f->db.dir));
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "mail.", 5) != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->db.dir, e->d_name);
			if ((fp = fopen(p, "r")) == NULL)
				continue;
			n = fread(buf, 1, size - 1, fp);
			fclose(fp);
			buf[n] = '\0';
			if (strncmp(buf, head, strlen(head)) == 0 &&
			    strstr(buf, needle) != NULL && buf[n - 1] == '\n') {
				closedir(d);
				return true;
			}
		}
		closedir(d);
		usleep(10000);
	}
	return false;
}

/* How many messages have been delivered (and not cleared). */
static int
mail_count(struct fx *f)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir(f->db.dir));
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "mail.", 5) == 0;
	closedir(d);
	return n;
}

/* The token of a delivered message: its indented line. */
static void
mail_token(const char *msg, char out[AUTH_TOKEN_LEN + 1])
{
	const char *p = strstr(msg, "\n\n    ");

	assert_non_null(p);
	snprintf(out, AUTH_TOKEN_LEN + 1, "%.36s", p + 6);
	assert_uuid4(out);
}

/* The SHA-256 digest of token in hex: what the store keys sessions by. */
static void
digest_hex(const char *token, char out[2 * STORE_DIGEST_LEN + 1])
{
	unsigned char d[STORE_DIGEST_LEN];

	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, 2 * STORE_DIGEST_LEN + 1, d, sizeof(d));
}

static void
login_as(struct fx *f, const char *client, const char *email,
         const char *password, char sid[AUTH_TOKEN_LEN + 1])
{
	struct auth_call call = {client, 0, "Test/1.0"};
	struct auth_user u;

	assert_int_equal(
	    auth_login(f->a, &call, email, password, NULL, &u, sid), ERR_OK);
}

/* Authorise, then validate: the current password first (counted like a
 * log-in), then the new one's rules; the other sessions end, this one
 * stays, and a pending reset token is spent. */
static void
test_auth_password_change(void **state)
{
	struct fx *f = *state;
	struct auth_call call = {"10.1.1.1", 0, NULL};
	char s1[AUTH_TOKEN_LEN + 1], s2[AUTH_TOKEN_LEN + 1];
	char t[AUTH_TOKEN_LEN + 1], sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;

	reg(f, "pc@x", PW);
	login(f, "pc@x", PW, s1);
	login(f, "pc@x", PW, s2);
	assert_int_equal(auth_reset_request(f->a, NULL, "pc@x", &u, t), ERR_OK);
	assert_int_equal(
	    auth_password_change(f->a, &call, NULL, PW, NULL, "new pass 1", &u),
	    ERR_NO_SESSION);
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, "wrong", NULL, "x", &u),
	    ERR_WRONG_PW);
	assert_int_equal(auth_password_change(f->a, &call, s1, "wrong", NULL,
	                                      "new pass 1", &u),
	                 ERR_WRONG_PW);
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, PW, NULL, "x", &u),
	    ERR_PASSWORD);
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, PW, NULL, "", &u),
	    ERR_PASSWORD);
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, PW, NULL, "new pass 1", &u),
	    ERR_OK);
	assert_string_equal(u.email, "pc@x");
	assert_int_equal(session_of(f, s1), ERR_OK);
	assert_int_equal(session_of(f, s2), ERR_NO_SESSION);
	assert_int_equal(auth_login(f->a, NULL, "pc@x", PW, NULL, &u, sid),
	                 ERR_CREDENTIALS);
	login(f, "pc@x", "new pass 1", sid);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "pc@x", t, "reset pass", &u),
	    ERR_TOKEN);
	/* The old password no longer authorises anything. */
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, PW, NULL, "new pass 2", &u),
	    ERR_WRONG_PW);
}

/* Wrong current passwords count toward the account's lockout, with
 * log-ins: the sixth attempt is refused before any hash, the right
 * password included, until the lock ends. */
static void
test_auth_password_change_lockout(void **state)
{
	struct fx *f = *state;
	struct auth_call call = {"10.1.1.2", 0, NULL};
	char s1[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	int i;

	throttle_on(f, 5, 50);
	reg(f, "lock@x", PW);
	login(f, "lock@x", PW, s1);
	assert_int_equal(login_from(f, "10.1.1.3", "lock@x", "bad", NULL),
	                 ERR_CREDENTIALS);
	for (i = 0; i < 4; i++)
		assert_int_equal(auth_password_change(f->a, &call, s1, "bad",
		                                      NULL, "new pass 1", &u),
		                 ERR_WRONG_PW);
	call.retry_after = 0;
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, PW, NULL, "new pass 1", &u),
	    ERR_THROTTLED);
	assert_int_equal(call.retry_after, 900);
	assert_int_equal(login_from(f, "10.1.1.4", "lock@x", PW, NULL),
	                 ERR_THROTTLED);
	f->now += 900;
	assert_int_equal(
	    auth_password_change(f->a, &call, s1, PW, NULL, "new pass 1", &u),
	    ERR_OK);
}

/* Sessions are listed with a public id (neither the token nor its
 * digest), the address and user agent they began with (cleaned and
 * bounded), and which one is the caller's; one can end any of its own,
 * and another account's id is unknown. */
static void
test_auth_sessions_list_and_end(void **state)
{
	struct fx *f = *state;
	char s1[AUTH_TOKEN_LEN + 1], s2[AUTH_TOKEN_LEN + 1];
	char s3[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1];
	char agent[400], hex[2 * STORE_DIGEST_LEN + 1];
	struct auth_call call = {"192.0.2.7", 0, agent};
	struct auth_account *acc, *acc2;
	struct auth_user u;
	bool current = true;
	size_t i;

	assert_non_null(acc = calloc(1, sizeof(*acc)));
	assert_non_null(acc2 = calloc(1, sizeof(*acc2)));
	memset(agent, 'A', sizeof(agent) - 1);
	agent[sizeof(agent) - 1] = '\0';
	agent[3] = '\x01';
	reg(f, "ls@x", PW);
	reg(f, "other@x", PW);
	assert_int_equal(auth_login(f->a, &call, "ls@x", PW, NULL, &u, s1),
	                 ERR_OK);
	f->now += 10;
	login_as(f, "198.51.100.2", "ls@x", PW, s2);
	login_as(f, NULL, "ls@x", PW, s3);
	login(f, "other@x", PW, other);
	assert_int_equal(auth_account_get(f->a, NULL, "nope", acc),
	                 ERR_NO_SESSION);
	assert_int_equal(auth_account_get(f->a, NULL, s2, acc), ERR_OK);
	assert_string_equal(acc->user.email, "ls@x");
	assert_int_equal(acc->nsessions, 3);
	for (i = 0; i < acc->nsessions; i++) {
		const struct auth_session_info *si = &acc->sessions[i];

		assert_int_equal(strlen(si->id), AUTH_PUBLIC_ID_LEN);
		assert_null(strstr(si->id, "-"));
		digest_hex(s1, hex);
		assert_null(strstr(hex, si->id));
		digest_hex(s2, hex);
		assert_null(strstr(hex, si->id));
		if (strcmp(si->client, "192.0.2.7") == 0) {
			assert_int_equal(strlen(si->user_agent),
			                 AUTH_AGENT_MAX);
			assert_memory_equal(si->user_agent, "AAA?AA", 6);
			assert_int_equal(si->created, T0);
			assert_false(si->current);
		} else if (strcmp(si->client, "198.51.100.2") == 0) {
			assert_string_equal(si->user_agent, "Test/1.0");
			assert_true(si->current);
		} else {
			assert_string_equal(si->client, "");
			assert_false(si->current);
		}
	}
	assert_string_equal(acc->pending_email, "");

	/* Another account's session id: unknown, and nothing ends. */
	assert_int_equal(auth_account_get(f->a, NULL, other, acc2), ERR_OK);
	assert_int_equal(acc2->nsessions, 1);
	assert_int_equal(
	    auth_session_end(f->a, NULL, s2, acc2->sessions[0].id, &current),
	    ERR_SESSION_ID);
	assert_int_equal(session_of(f, other), ERR_OK);
	assert_int_equal(
	    auth_session_end(f->a, NULL, s2, "not an id", &current),
	    ERR_SESSION_ID);
	assert_int_equal(
	    auth_session_end(f->a, NULL, NULL, acc->sessions[0].id, &current),
	    ERR_NO_SESSION);
	/* Another of its own, then its own. */
	for (i = 0; i < acc->nsessions; i++)
		if (!acc->sessions[i].current)
			break;
	assert_int_equal(
	    auth_session_end(f->a, NULL, s2, acc->sessions[i].id, &current),
	    ERR_OK);
	assert_false(current);
	assert_int_equal(
	    auth_session_end(f->a, NULL, s2, acc->sessions[i].id, &current),
	    ERR_SESSION_ID);
	assert_int_equal(auth_account_get(f->a, NULL, s2, acc2), ERR_OK);
	assert_int_equal(acc2->nsessions, 2);
	for (i = 0; i < acc2->nsessions; i++)
		if (acc2->sessions[i].current)
			break;
	assert_int_equal(
	    auth_session_end(f->a, NULL, s2, acc2->sessions[i].id, &current),
	    ERR_OK);
	assert_true(current);
	assert_int_equal(session_of(f, s2), ERR_NO_SESSION);
	/* Expired sessions are not listed. */
	f->now += IDLE;
	assert_int_equal(auth_account_of(f->a, "LS@x", acc), ERR_OK);
	assert_int_equal(acc->nsessions, 0);
	free(acc);
	free(acc2);
}

/* Without outgoing mail, an email change is made at once; the password
 * is checked first, then the address (its shape, then whether it is
 * taken); the reset token mailed to the old address goes. */
static void
test_auth_email_change_direct(void **state)
{
	struct fx *f = *state;
	char s1[AUTH_TOKEN_LEN + 1], t[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	bool pending = true;

	reg(f, "old@x", PW);
	reg(f, "taken@x", PW);
	login(f, "old@x", PW, s1);
	assert_int_equal(auth_reset_request(f->a, NULL, "old@x", &u, t),
	                 ERR_OK);
	assert_int_equal(auth_email_change(f->a, NULL, s1, "wrong", NULL, "bad",
	                                   &u, &pending),
	                 ERR_WRONG_PW);
	assert_int_equal(
	    auth_email_change(f->a, NULL, s1, PW, NULL, "bad", &u, &pending),
	    ERR_EMAIL);
	assert_int_equal(auth_email_change(f->a, NULL, s1, PW, NULL, "TAKEN@x",
	                                   &u, &pending),
	                 ERR_EXISTS);
	assert_int_equal(
	    auth_email_change(f->a, NULL, s1, PW, NULL, "new@x", &u, &pending),
	    ERR_OK);
	assert_false(pending);
	assert_string_equal(u.email, "new@x");
	assert_int_equal(auth_session_user(f->a, NULL, s1, &u), ERR_OK);
	assert_string_equal(u.email, "new@x");
	assert_int_equal(auth_login(f->a, NULL, "old@x", PW, NULL, &u, t),
	                 ERR_CREDENTIALS);
	login(f, "new@x", PW, t);
	assert_int_equal(
	    auth_reset_update(f->a, NULL, "new@x", t, "other pass", &u),
	    ERR_TOKEN);
	/* Its own address in another case is not taken. */
	assert_int_equal(
	    auth_email_change(f->a, NULL, s1, PW, NULL, "New@X", &u, &pending),
	    ERR_OK);
	assert_string_equal(u.email, "New@X");
}

/* With outgoing mail, the change waits for the link mailed to the new
 * address; following it changes the email and tells the old address.
 * The link works once, and not after it expires. */
static void
test_auth_email_change_confirmed(void **state)
{
	struct fx *f = *state;
	char s1[AUTH_TOKEN_LEN + 1], link[AUTH_TOKEN_LEN + 1], buf[4096];
	struct auth_account *acc;
	struct auth_user u;
	bool pending = false;

	assert_non_null(acc = calloc(1, sizeof(*acc)));
	mail_on(f);
	reg(f, "first@x", PW);
	login(f, "first@x", PW, s1);
	assert_int_equal(auth_email_change(f->a, NULL, s1, PW, NULL, "second@x",
	                                   &u, &pending),
	                 ERR_OK);
	assert_true(pending);
	assert_string_equal(u.email, "first@x");
	assert_int_equal(auth_account_get(f->a, NULL, s1, acc), ERR_OK);
	assert_string_equal(acc->user.email, "first@x");
	assert_string_equal(acc->pending_email, "second@x");
	assert_true(mail_find(f, "second@x", "Confirm your new email", buf,
	                      sizeof(buf)));
	mail_token(buf, link);
	assert_null(strstr(buf, s1));
	assert_int_equal(auth_link_follow(f->a, NULL, "not a token", &u),
	                 ERR_LINK);
	assert_int_equal(auth_link_follow(f->a, NULL, s1, &u), ERR_LINK);
	assert_int_equal(auth_link_follow(f->a, NULL, link, &u), ERR_OK);
	assert_string_equal(u.email, "second@x");
	assert_int_equal(auth_link_follow(f->a, NULL, link, &u), ERR_LINK);
	assert_int_equal(auth_session_user(f->a, NULL, s1, &u), ERR_OK);
	assert_string_equal(u.email, "second@x");
	assert_true(mail_find(f, "first@x", "now uses the address second@x",
	                      buf, sizeof(buf)));
	assert_null(strstr(buf, link));
	assert_null(strstr(buf, s1));
	/* A link expires. */
	assert_int_equal(auth_email_change(f->a, NULL, s1, PW, NULL, "third@x",
	                                   &u, &pending),
	                 ERR_OK);
	assert_true(mail_find(f, "third@x", "Confirm", buf, sizeof(buf)));
	mail_token(buf, link);
	f->now += LINK_TTL;
	assert_int_equal(auth_link_follow(f->a, NULL, link, &u), ERR_LINK);
	assert_int_equal(auth_account_of(f->a, "second@x", acc), ERR_OK);
	assert_string_equal(acc->pending_email, "");
	free(acc);
}
/* With verify_email, a new account waits for the link mailed to it:
 * log-in says so only to whoever has the password; a new link can be
 * asked for (the same answer for any email, throttled like reset
 * requests), and replaces the older one; following it lets the account
 * log in. */
static void
test_auth_verify_email(void **state)
{
	struct fx *f = *state;
	struct auth_call call = {"10.2.2.2", 0, NULL};
	char sid[AUTH_TOKEN_LEN + 1], l1[AUTH_TOKEN_LEN + 1];
	char l2[AUTH_TOKEN_LEN + 1], l3[AUTH_TOKEN_LEN + 1];
	char l4[AUTH_TOKEN_LEN + 1], buf[4096];
	struct auth_user u;

	mail_on(f);
	f->cfg.verify_email = true;
	remake(f);
	throttle_on(f, 3, 0);
	reg(f, "ver@x", PW);
	assert_true(
	    mail_find(f, "ver@x", "Verify your email", buf, sizeof(buf)));
	mail_token(buf, l1);
	assert_int_equal(
	    auth_login(f->a, &call, "ver@x", "wrong", NULL, &u, sid),
	    ERR_CREDENTIALS);
	assert_int_equal(auth_login(f->a, &call, "ver@x", PW, NULL, &u, sid),
	                 ERR_UNVERIFIED);
	/* Not a failure: two more wrong ones before the lock. */
	assert_int_equal(
	    auth_login(f->a, &call, "ver@x", "wrong", NULL, &u, sid),
	    ERR_CREDENTIALS);
	assert_int_equal(auth_login(f->a, &call, "ver@x", PW, NULL, &u, sid),
	                 ERR_UNVERIFIED);
	mail_clear(f);
	assert_int_equal(auth_link_request(f->a, &call, "VER@x"), ERR_OK);
	assert_true(mail_find(f, "ver@x", "Verify", buf, sizeof(buf)));
	mail_token(buf, l2);
	assert_string_not_equal(l1, l2);
	mail_clear(f);
	assert_int_equal(auth_link_request(f->a, &call, "nobody@x"), ERR_OK);
	assert_int_equal(auth_link_request(f->a, &call, "ver@x"), ERR_OK);
	assert_true(mail_find(f, "ver@x", "Verify", buf, sizeof(buf)));
	mail_token(buf, l3);
	mail_clear(f);
	assert_int_equal(auth_link_request(f->a, &call, "ver@x"), ERR_OK);
	assert_true(mail_find(f, "ver@x", "Verify", buf, sizeof(buf)));
	mail_token(buf, l4);
	mail_clear(f);
	call.retry_after = 0;
	assert_int_equal(auth_link_request(f->a, &call, "ver@x"),
	                 ERR_THROTTLED);
	assert_int_equal(call.retry_after, 900);
	/* Only the newest link works, once. */
	assert_int_equal(auth_link_follow(f->a, &call, l1, &u), ERR_LINK);
	assert_int_equal(auth_link_follow(f->a, &call, l2, &u), ERR_LINK);
	assert_int_equal(auth_link_follow(f->a, &call, l3, &u), ERR_LINK);
	assert_int_equal(auth_link_follow(f->a, &call, l4, &u), ERR_OK);
	assert_string_equal(u.email, "ver@x");
	assert_int_equal(auth_link_follow(f->a, &call, l4, &u), ERR_LINK);
	assert_int_equal(auth_login(f->a, &call, "ver@x", PW, NULL, &u, sid),
	                 ERR_OK);
	/* A verified account asks in vain: no link is made. */
	mail_clear(f);
	f->now += 900;
	assert_int_equal(auth_link_request(f->a, &call, "ver@x"), ERR_OK);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM email_links"), 0);
	/* Off (the default), an account logs in at once. */
	f->cfg.verify_email = false;
	remake(f);
	reg(f, "nover@x", PW);
	assert_int_equal(auth_login(f->a, NULL, "nover@x", PW, NULL, &u, sid),
	                 ERR_OK);
}

/* A disabled account answers like a wrong password (and counts alike),
 * its sessions end; enabled, it logs in again. unlock ends a lockout. */
static void
test_auth_disable_and_unlock(void **state)
{
	struct fx *f = *state;
	char s1[AUTH_TOKEN_LEN + 1], sid[AUTH_TOKEN_LEN + 1];
	struct auth_user u;
	int64_t ended = -1;
	int i;

	throttle_on(f, 5, 0);
	reg(f, "dis@x", PW);
	login(f, "dis@x", PW, s1);
	login(f, "dis@x", PW, sid);
	assert_int_equal(auth_set_disabled(f->a, "nobody@x", true, &ended),
	                 ERR_NOT_FOUND);
	assert_int_equal(auth_set_disabled(f->a, "DIS@x", true, &ended),
	                 ERR_OK);
	assert_int_equal(ended, 2);
	assert_int_equal(session_of(f, s1), ERR_NO_SESSION);
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    auth_login(f->a, NULL, "dis@x", PW, NULL, &u, sid),
		    ERR_CREDENTIALS);
	assert_int_equal(auth_login(f->a, NULL, "dis@x", PW, NULL, &u, sid),
	                 ERR_THROTTLED);
	assert_int_equal(auth_set_disabled(f->a, "dis@x", false, &ended),
	                 ERR_OK);
	assert_int_equal(auth_login(f->a, NULL, "dis@x", PW, NULL, &u, sid),
	                 ERR_THROTTLED);
	assert_int_equal(auth_unlock(f->a, "nobody@x"), ERR_NOT_FOUND);
	assert_int_equal(auth_unlock(f->a, "Dis@X"), ERR_OK);
	assert_int_equal(auth_login(f->a, NULL, "dis@x", PW, NULL, &u, sid),
	                 ERR_OK);
	/* Its failures are forgotten too: five more before a lock. */
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    auth_login(f->a, NULL, "dis@x", "bad", NULL, &u, sid),
		    ERR_CREDENTIALS);
	assert_int_equal(auth_login(f->a, NULL, "dis@x", PW, NULL, &u, sid),
	                 ERR_THROTTLED);
}

/* A log-in from an address the account has not used lately is told to
 * it by mail; addresses are kept as keyed digests only, and forgotten
 * after client_memory seconds. */
static void
test_auth_new_client_notice(void **state)
{
	struct fx *f = *state;
	struct auth_call reg_call = {"203.0.113.10", 0, NULL};
	char sid[AUTH_TOKEN_LEN + 1], buf[4096], p[160];
	struct auth_purged purged;
	struct auth_user u;

	mail_on(f);
	f->cfg.client_memory = 1000;
	remake(f);
	assert_int_equal(auth_register(f->a, &reg_call, "nc@x", PW, &u),
	                 ERR_OK);
	login_as(f, "203.0.113.10", "nc@x", PW, sid);
	login_as(f, "203.0.113.20", "nc@x", PW, sid);
	assert_true(mail_find(f, "nc@x", "from the address 203.0.113.20", buf,
	                      sizeof(buf)));
	assert_null(strstr(buf, sid));
	assert_int_equal(raw_count(f, "SELECT count(*) FROM known_clients"), 2);
	mail_clear(f);
	f->now += 500;
	login_as(f, "203.0.113.20", "nc@x", PW, sid);
	/* Forgotten after client_memory: an account with no address left
	 * remembers the next one without a notice. */
	f->now += 1001;
	login_as(f, "203.0.113.30", "nc@x", PW, sid);
	f->now += 600;
	login_as(f, "203.0.113.40", "nc@x", PW, sid);
	assert_true(mail_find(f, "nc@x", "from the address 203.0.113.40", buf,
	                      sizeof(buf)));
	assert_int_equal(mail_count(f), 1);
	snprintf(p, sizeof(p), "%s", f->db.path);
	assert_false(file_holds(p, "203.0.113.10"));
	assert_false(file_holds(p, "203.0.113.40"));
	assert_int_equal(auth_purge(f->a, &purged), ERR_OK);
	assert_int_equal(purged.clients, 2); /* .10 and .20 */
}

/* Deleting one's account takes the password, and then everything. */
static void
test_auth_account_delete(void **state)
{
	struct fx *f = *state;
	char s1[AUTH_TOKEN_LEN + 1], buf[4096];
	struct auth_user u;

	mail_on(f);
	reg(f, "del@x", PW);
	login(f, "del@x", PW, s1);
	assert_int_equal(auth_account_delete(f->a, NULL, s1, "bad", NULL, &u),
	                 ERR_WRONG_PW);
	assert_int_equal(auth_account_delete(f->a, NULL, NULL, PW, NULL, &u),
	                 ERR_NO_SESSION);
	assert_int_equal(auth_account_delete(f->a, NULL, s1, PW, NULL, &u),
	                 ERR_OK);
	assert_string_equal(u.email, "del@x");
	assert_int_equal(session_of(f, s1), ERR_NO_SESSION);
	assert_int_equal(auth_login(f->a, NULL, "del@x", PW, NULL, &u, s1),
	                 ERR_CREDENTIALS);
	assert_int_equal(raw_count(f, "SELECT count(*) FROM users"), 0);
	assert_true(mail_find(f, "del@x", "was deleted", buf, sizeof(buf)));
}

/* ---- context and faults ---- */

static void
test_auth_lazy_store_and_faults(void **state)
{
	struct fx *f = *state;
	char sid[AUTH_TOKEN_LEN + 1], bad[200];
	struct auth_user u;

	/* auth_new does no database work. */
	assert_int_equal(access(f->db.path, F_OK), -1);
	assert_int_equal(auth_init_store(f->a), ERR_OK);
	assert_int_equal(access(f->db.path, F_OK), 0);

	snprintf(bad, sizeof(bad), "%s/missing/dir/auth.db", f->db.dir);
	f->cfg.db_path = bad;
	remake(f);
	assert_int_equal(auth_init_store(f->a), ERR_DB);
	assert_int_equal(auth_register(f->a, NULL, "f@f", PW, &u), ERR_DB);
	assert_int_equal(auth_login(f->a, NULL, "f@f", PW, NULL, &u, sid),
	                 ERR_DB);
	assert_int_equal(
	    auth_session_user(f->a, NULL,
	                      "00000000-0000-4000-8000-000000000000", &u),
	    ERR_DB);
	/* Input errors are found before the database is needed. */
	assert_int_equal(auth_register(f->a, NULL, "bad", PW, &u), ERR_EMAIL);
	assert_int_equal(auth_register(f->a, NULL, "f@f", "abc", &u),
	                 ERR_PASSWORD);
	assert_int_equal(session_of(f, NULL), ERR_NO_SESSION);
	f->cfg.db_path = f->db.path;
	remake(f);
}

static void
test_auth_free_null(void **state)
{
	(void)state;
	auth_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_auth_register_email_shapes),
	    T(test_auth_register_email_length),
	    T(test_auth_register_password_rules),
	    T(test_auth_password_common),
	    T(test_auth_password_max),
	    T(test_auth_register_duplicate_other_case),
	    T(test_auth_register_sql_metacharacters),
	    T(test_auth_login_ok_and_failures),
	    T(test_auth_login_long_email),
	    T(test_auth_login_sid_from_hook),
	    T(test_auth_login_real_uuid),
	    T(test_auth_sessions_many_per_account),
	    T(test_auth_session_bad_ids),
	    T(test_auth_session_idle_expiry),
	    T(test_auth_session_idle_small_steps),
	    T(test_auth_session_absolute_expiry),
	    T(test_auth_logout_ends_one_session),
	    T(test_auth_login_records_last_login),
	    T(test_auth_reset_unknown_email),
	    T(test_auth_reset_flow),
	    T(test_auth_reset_newer_token_replaces_older),
	    T(test_auth_reset_token_bound_to_account),
	    T(test_auth_reset_bad_tokens),
	    T(test_auth_reset_expiry),
	    T(test_auth_reset_bad_password_keeps_token),
	    T(test_auth_reset_other_accounts_untouched),
	    T(test_auth_db_holds_no_tokens_in_clear),
	    T(test_auth_login_bcrypt_from_python),
	    T(test_auth_login_rehash_on_cost_change),
	    T(test_auth_login_unreadable_hash),
	    T(test_auth_throttle_account),
	    T(test_auth_throttle_unknown_email),
	    T(test_auth_throttle_success_and_window),
	    T(test_auth_throttle_sliding_window),
	    T(test_auth_login_any_password_same_for_unknown),
	    T(test_auth_register_taken_counts),
	    T(test_auth_db_holds_no_typed_email),
	    T(test_auth_secret_key_file),
	    T(test_auth_reset_sessions_setting),
	    T(test_auth_reset_token_checked_first),
	    T(test_auth_rule_parse),
	    T(test_auth_gate),
	    T(test_auth_totp_codes),
	    T(test_auth_recovery_codes),
	    T(test_auth_factor_login),
	    T(test_auth_factor_lockout),
	    T(test_auth_factor_pending),
	    T(test_auth_factor_doors),
	    T(test_auth_throttle_address),
	    T(test_auth_throttle_off),
	    T(test_auth_throttle_reset_requests),
	    T(test_auth_reset_deliver_command),
	    T(test_auth_reset_deliver_failure),
	    T(test_auth_password_change),
	    T(test_auth_password_change_lockout),
	    T(test_auth_sessions_list_and_end),
	    T(test_auth_email_change_direct),
	    T(test_auth_email_change_confirmed),
	    T(test_auth_verify_email),
	    T(test_auth_disable_and_unlock),
	    T(test_auth_new_client_notice),
	    T(test_auth_account_delete),
	    T(test_auth_lazy_store_and_faults),
	    T(test_auth_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
