/* admin.c: what the command-line tool does to accounts. */
#include <string.h>
#include <sys/stat.h>

#include "../common/log.h"
#include "internal.h"

/* Adapts store rows to auth_user_info for the caller's callback. */
struct list_ctx {
	struct auth *a;
	int (*fn)(void *arg, const struct auth_user_info *u);
	void *arg;
	enum err e; /* a fault met while listing */
};

static int
list_row(void *arg, const struct store_user_row *row)
{
	char groups[STORE_GROUPS_MAX + 1];
	struct list_ctx *ctx = arg;
	struct auth_user_info u;
	struct store *st;
	int64_t n;

	u.id = row->id;
	u.email = row->email;
	u.created = row->created;
	u.last_login = row->last_login;
	u.groups = groups;
	ctx->e =
	    auth_throttle_locked_until(ctx->a, row->email, &u.locked_until);
	if (ctx->e == ERR_OK)
		ctx->e = auth_store(ctx->a, &st);
	if (ctx->e == ERR_OK)
		ctx->e = store_groups_of(st, row->id, groups, &n);
	if (ctx->e != ERR_OK)
		return 1;
	return ctx->fn(ctx->arg, &u);
}

enum err
auth_users(struct auth *a, int (*fn)(void *arg, const struct auth_user_info *u),
           void *arg)
{
	struct list_ctx ctx = {a, fn, arg, ERR_OK};
	struct store *st;
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	e = store_user_list(st, list_row, &ctx);
	return e != ERR_OK ? e : ctx.e;
}

/* The account of email, or ERR_NOT_FOUND. */
static enum err
find(struct auth *a, const char *email, struct store **st,
     struct store_user *su)
{
	enum err e;

	if ((e = auth_store(a, st)) != ERR_OK)
		return e;
	return store_user_by_email(*st, email, su);
}

enum err
auth_delete_user(struct auth *a, const char *email)
{
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = find(a, email, &st, &su)) != ERR_OK)
		return e;
	if ((e = store_user_delete(st, su.id)) == ERR_OK)
		log_audit("account_deleted", su.id, NULL);
	return e;
}

enum err
auth_end_sessions(struct auth *a, const char *email, int64_t *ended)
{
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = find(a, email, &st, &su)) != ERR_OK)
		return e;
	if ((e = store_session_delete_user(st, su.id)) != ERR_OK)
		return e;
	*ended = store_changes(st);
	log_audit("sessions_ended", su.id, NULL);
	return ERR_OK;
}

enum err
auth_unlock(struct auth *a, const char *email)
{
	struct store_user su;
	struct store *st;
	enum err e;

	if ((e = find(a, email, &st, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	if ((e = auth_throttle_unlock(a, su.email)) == ERR_OK)
		log_audit("account_unlocked", su.id, NULL);
	return e;
}

enum err
auth_set_disabled(struct auth *a, const char *email, bool disabled,
                  int64_t *ended)
{
	struct store_user su;
	struct store *st;
	enum err e;

	*ended = 0;
	if ((e = find(a, email, &st, &su)) != ERR_OK)
		return e;
	explicit_bzero(su.hash, sizeof(su.hash));
	if ((e = store_begin(st)) != ERR_OK)
		return e;
	if ((e = store_user_set_disabled(st, su.id, disabled)) != ERR_OK)
		goto out;
	if (disabled) {
		if ((e = store_session_delete_user(st, su.id)) != ERR_OK)
			goto out;
		*ended = store_changes(st);
		if ((e = store_reset_delete(st, su.id)) != ERR_OK ||
		    (e = store_link_delete(st, su.id)) != ERR_OK)
			goto out;
	}
	e = store_commit(st);
out:
	if (e != ERR_OK) {
		store_rollback(st);
		*ended = 0;
		return e;
	}
	log_audit(disabled ? "account_disabled" : "account_enabled", su.id,
	          NULL);
	return ERR_OK;
}

enum err
auth_purge(struct auth *a, struct auth_purged *out)
{
	struct store_purged p;
	struct store *st;
	int64_t now = auth_now(a);
	enum err e;

	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	e = store_purge(
	    st, now, now - a->cfg.session_idle, now - a->cfg.session_max,
	    now - a->cfg.throttle.window + 1, now - a->cfg.client_memory, &p);
	if (e != ERR_OK)
		return e;
	out->sessions = p.sessions;
	out->reset_tokens = p.reset_tokens;
	out->links = p.links;
	out->throttles = p.throttles;
	out->clients = p.clients;
	out->pending = p.pending;
	return ERR_OK;
}

enum err
auth_import_original(struct auth *a, const char *path, int64_t *imported,
                     int64_t *skipped)
{
	struct stat sb;
	struct store *st;
	enum err e;

	/* Attaching a missing file would create it: look first. */
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return ERR_NOT_FOUND;
	if ((e = auth_store(a, &st)) != ERR_OK)
		return e;
	e = store_import_original(st, path, auth_now(a), imported, skipped);
	if (e == ERR_OK)
		log_audit("accounts_imported", 0, NULL);
	return e;
}
