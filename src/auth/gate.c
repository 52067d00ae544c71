/* gate.c: who may see a protected location: the rules a location
 * requires, the decision for one session, and accounts' groups. */
#include <string.h>

#include "../common/log.h"
#include "internal.h"

bool
auth_group_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= AUTH_GROUP_MAX)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i == 0 || (c != '_' && c != '-' && c != '.'))
			return false;
	}
	return i > 0;
}

/* Is d a domain: dot-separated labels of letters, digits and hyphens? */
static bool
domain_ok(const char *d)
{
	size_t i, label = 0;

	for (i = 0; d[i] != '\0'; i++) {
		char c = d[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-') {
			label++;
		} else {
			return false;
		}
	}
	return label > 0 && i <= 253;
}

/* Parse one term, t[0..n), into out's next place. */
static enum err
parse_term(const char *t, size_t n, struct auth_rule *out)
{
	static const struct {
		const char *prefix;
		int kind;
	} kinds[] = {
	    {"group:", AUTH_TERM_GROUP},
	    {"email:", AUTH_TERM_EMAIL},
	    {"domain:", AUTH_TERM_DOMAIN},
	};
	size_t i, p;

	if (n == 3 && strncmp(t, "mfa", 3) == 0) {
		out->second_factor = true;
		return ERR_OK;
	}
	if (out->n >= AUTH_RULE_TERMS)
		return ERR_INVAL;
	if (n == 4 && strncmp(t, "user", 4) == 0) {
		out->term[out->n].kind = AUTH_TERM_USER;
		out->term[out->n++].value[0] = '\0';
		return ERR_OK;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		p = strlen(kinds[i].prefix);
		if (n <= p || strncmp(t, kinds[i].prefix, p) != 0)
			continue;
		if (n - p > AUTH_EMAIL_MAX)
			return ERR_INVAL;
		out->term[out->n].kind = kinds[i].kind;
		memcpy(out->term[out->n].value, t + p, n - p);
		out->term[out->n].value[n - p] = '\0';
		if ((kinds[i].kind == AUTH_TERM_GROUP &&
		     !auth_group_name_ok(out->term[out->n].value)) ||
		    (kinds[i].kind == AUTH_TERM_EMAIL &&
		     auth_check_email(out->term[out->n].value) != ERR_OK) ||
		    (kinds[i].kind == AUTH_TERM_DOMAIN &&
		     !domain_ok(out->term[out->n].value)))
			return ERR_INVAL;
		out->n++;
		return ERR_OK;
	}
	return ERR_INVAL;
}

enum err
auth_rule_parse(const char *text, struct auth_rule *out)
{
	const char *p = text;
	size_t n;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return ERR_OK;
	for (;;) {
		p += strspn(p, " ,");
		if (*p == '\0')
			return ERR_OK;
		n = strcspn(p, " ,");
		if ((e = parse_term(p, n, out)) != ERR_OK) {
			memset(out, 0, sizeof(*out));
			return e;
		}
		p += n;
	}
}

/* a and b equal, ASCII letters without case. */
static bool
same_text(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

/* Is name one of the comma-separated groups? */
static bool
in_groups(const char *groups, const char *name)
{
	size_t n = strlen(name), len;
	const char *p;

	for (p = groups; *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
	}
	return false;
}

/* Does the account of email, in groups, match rule? */
static bool
rule_allows(const struct auth_rule *rule, const char *email, const char *groups)
{
	const char *at = strrchr(email, '@');
	size_t i;

	if (rule->n == 0)
		return true;
	for (i = 0; i < rule->n; i++) {
		const char *v = rule->term[i].value;

		switch (rule->term[i].kind) {
		case AUTH_TERM_USER:
			return true;
		case AUTH_TERM_GROUP:
			if (in_groups(groups, v))
				return true;
			break;
		case AUTH_TERM_EMAIL:
			if (same_text(email, v))
				return true;
			break;
		case AUTH_TERM_DOMAIN:
			if (at != NULL && same_text(at + 1, v))
				return true;
			break;
		}
	}
	return false;
}

enum err
auth_gate(struct auth *a, struct auth_call *call, const char *sid,
          const struct auth_rule *rule, struct auth_gate_user *out)
{
	char email[STORE_EMAIL_MAX + 1], groups[STORE_GROUPS_MAX + 1];
	const unsigned char *key;
	struct store_session s;
	enum err e;

	/* A service without its secret key is misconfigured (its counters
	 * and second factors do not work): the gate refuses rather than
	 * guess (read once per process). */
	if ((e = auth_secret(a, &key)) != ERR_OK)
		return e;
	if ((e = auth_session_live(a, call, sid, &s, email, groups)) != ERR_OK)
		return e;
	if (!rule_allows(rule, email, groups)) {
		log_audit("gate_refused", s.user_id, auth_client(call));
		return ERR_FORBIDDEN;
	}
	if (rule->second_factor && !s.second_factor) {
		log_audit("gate_refused_second_factor", s.user_id,
		          auth_client(call));
		return ERR_FORBIDDEN;
	}
	if (strlen(groups) > AUTH_GROUPS_LEN)
		return ERR_DB;
	out->user.id = s.user_id;
	memcpy(out->user.email, email, sizeof(out->user.email));
	memcpy(out->groups, groups, strlen(groups) + 1);
	return ERR_OK;
}

/* The account of email, for the group commands. */
static enum err
account(struct auth *a, const char *email, struct store **st,
        struct store_user *su)
{
	enum err e;

	if ((e = auth_store(a, st)) != ERR_OK)
		return e;
	e = store_user_by_email(*st, email, su);
	explicit_bzero(su->hash, sizeof(su->hash));
	return e;
}

enum err
auth_group_add(struct auth *a, const char *email, const char *group)
{
	char groups[STORE_GROUPS_MAX + 1];
	struct store_user su;
	struct store *st;
	int64_t n = 0;
	enum err e;

	if (!auth_group_name_ok(group))
		return ERR_INVAL;
	if ((e = account(a, email, &st, &su)) != ERR_OK)
		return e;
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = store_groups_of(st, su.id, groups, &n)) == ERR_OK &&
	    !in_groups(groups, group) && n >= AUTH_GROUPS_MAX)
		e = ERR_INVAL;
	if (e == ERR_OK)
		e = store_group_add(st, su.id, group);
	if (e == ERR_OK)
		e = store_commit(st);
	if (e != ERR_OK) {
		store_rollback(st);
		return e;
	}
	log_audit("group_added", su.id, NULL);
	return ERR_OK;
}

enum err
auth_group_remove(struct auth *a, const char *email, const char *group)
{
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = account(a, email, &st, &su)) != ERR_OK)
		return e;
	if ((e = store_group_remove(st, su.id, group)) != ERR_OK)
		return e;
	log_audit("group_removed", su.id, NULL);
	return ERR_OK;
}
