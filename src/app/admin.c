/* admin.c: the command-line tool: auth.cgi run from a shell. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

const char app_usage[] =
    "usage: auth.cgi [command [argument]]\n"
    "\n"
    "Run by a web server (REQUEST_METHOD set), answers CGI requests.\n"
    "Run from a shell, takes one command; the database is AUTHCGI_DB.\n"
    "Settings come from the environment, over the NAME=value lines of the\n"
    "settings file that AUTHCGI_CONFIG names.\n"
    "\n"
    "  init                  create the database, or migrate it\n"
    "  users                 list accounts: id, email, created, last\n"
    "                        login, locked, groups (tab-separated)\n"
    "  delete-user EMAIL     delete an account, its sessions and token\n"
    "  end-sessions EMAIL    log an account out everywhere\n"
    "  group add EMAIL GROUP     put an account in a group\n"
    "  group remove EMAIL GROUP  take an account out of a group\n"
    "  sessions EMAIL        list an account's live sessions: id,\n"
    "                        started, last used, client address, user\n"
    "                        agent (tab-separated)\n"
    "  unlock EMAIL          end an account's lockouts\n"
    "  disable EMAIL         refuse an account's log-ins and end its\n"
    "                        sessions\n"
    "  enable EMAIL          let a disabled account log in again\n"
    "  totp-reset EMAIL      turn off an account's second factor (for\n"
    "                        one who lost the device and the recovery\n"
    "                        codes)\n"
    "  purge                 remove expired sessions, reset tokens, email\n"
    "                        links, pending log-ins and lockouts, and\n"
    "                        client addresses\n"
    "                        kept longer than AUTHCGI_CLIENT_MEMORY (safe\n"
    "                        to run from cron)\n"
    "  import-original FILE  import the accounts of the original\n"
    "                        service's SQLite database, passwords kept\n"
    "  --help                show this text\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 usage error.\n";

/* Unix seconds as UTC "2026-01-31T12:00:00Z", or "-" for 0. */
static const char *
when(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "-";
	return buf;
}

static int
print_user(void *arg, const struct auth_user_info *u)
{
	char c[32], l[32], k[32];

	fprintf((FILE *)arg, "%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)u->id,
	        u->email, when(u->created, c, sizeof(c)),
	        when(u->last_login, l, sizeof(l)),
	        u->locked_until ? when(u->locked_until, k, sizeof(k)) : "no",
	        *u->groups != '\0' ? u->groups : "-");
	return 0;
}

/* The live sessions of the account of email, one a line. */
static enum err
print_sessions(struct app *app, const char *email, FILE *out)
{
	struct auth_account *a;
	char c[32], l[32];
	enum err e;
	size_t i;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ERR_NOMEM;
	if ((e = auth_account_of(app->auth, email, a)) == ERR_OK)
		for (i = 0; i < a->nsessions; i++) {
			const struct auth_session_info *si = &a->sessions[i];

			fprintf(out, "%s\t%s\t%s\t%s\t%s\n", si->id,
			        when(si->created, c, sizeof(c)),
			        when(si->last_seen, l, sizeof(l)),
			        si->client[0] != '\0' ? si->client : "-",
			        si->user_agent[0] != '\0' ? si->user_agent
			                                  : "-");
		}
	free(a);
	return e;
}

/* Report a failed command: exit status 1. */
static int
failed(FILE *err, const char *cmd, const char *arg, enum err e)
{
	if (e == ERR_NOT_FOUND)
		fprintf(err, "auth.cgi: %s: %s: no such %s\n", cmd,
		        arg != NULL ? arg : "",
		        strcmp(cmd, "import-original") == 0 ? "file"
		                                            : "account");
	else
		fprintf(err, "auth.cgi: %s: %s\n", cmd, err_str(e));
	return 1;
}

/* group add|remove EMAIL GROUP */
static int
group(struct app *app, char **argv, FILE *out, FILE *err)
{
	bool add = strcmp(argv[1], "add") == 0;
	enum err e;

	if (!add && strcmp(argv[1], "remove") != 0) {
		fprintf(err,
		        "auth.cgi: group: \"%s\" is neither add nor"
		        " remove\n",
		        argv[1]);
		fputs(app_usage, err);
		return 2;
	}
	if (!auth_group_name_ok(argv[3])) {
		fprintf(err,
		        "auth.cgi: group: \"%s\" is not a group's name (1 to"
		        " %d of a-z 0-9 _ - ., starting with a letter or a"
		        " digit)\n",
		        argv[3], AUTH_GROUP_MAX);
		return 2;
	}
	e = add ? auth_group_add(app->auth, argv[2], argv[3])
	        : auth_group_remove(app->auth, argv[2], argv[3]);
	if (e == ERR_INVAL) {
		fprintf(err, "auth.cgi: group: %s is in %d groups already\n",
		        argv[2], AUTH_GROUPS_MAX);
		return 1;
	}
	if (e == ERR_NOT_FOUND && !add) {
		fprintf(err, "auth.cgi: group: %s is not in group %s\n",
		        argv[2], argv[3]);
		return 1;
	}
	if (e != ERR_OK)
		return failed(err, "group", argv[2], e);
	fprintf(out, "%s %s %s\n", argv[2], add ? "is in" : "is no longer in",
	        argv[3]);
	return 0;
}

int
app_admin(struct app *app, int argc, char **argv, FILE *out, FILE *err)
{
	static const struct {
		const char *name;
		int nargs;
	} cmds[] = {
	    {"init", 0},         {"users", 0},  {"delete-user", 1},
	    {"end-sessions", 1}, {"purge", 0},  {"import-original", 1},
	    {"sessions", 1},     {"unlock", 1}, {"disable", 1},
	    {"enable", 1},       {"group", 3},  {"totp-reset", 1},
	};
	struct auth_purged p;
	int64_t n, skipped;
	const char *cmd;
	enum err e;
	size_t i;

	if (argc < 1)
		goto usage;
	cmd = argv[0];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(app_usage, out);
		fputs("\n", out);
		app_settings_help(out);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, cmd) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(err, "auth.cgi: unknown command \"%s\"\n", cmd);
		goto usage;
	}
	if (argc - 1 != cmds[i].nargs) {
		fprintf(err, "auth.cgi: %s takes %d argument%s\n", cmd,
		        cmds[i].nargs, cmds[i].nargs == 1 ? "" : "s");
		goto usage;
	}

	if (strcmp(cmd, "init") == 0) {
		if ((e = app_init_db(app)) != ERR_OK)
			return failed(err, cmd, NULL, e);
		fprintf(out, "database %s is ready\n", app->set.auth.db_path);
	} else if (strcmp(cmd, "users") == 0) {
		if ((e = auth_users(app->auth, print_user, out)) != ERR_OK)
			return failed(err, cmd, NULL, e);
	} else if (strcmp(cmd, "delete-user") == 0) {
		if ((e = auth_delete_user(app->auth, argv[1])) != ERR_OK)
			return failed(err, cmd, argv[1], e);
		fprintf(out, "deleted %s\n", argv[1]);
	} else if (strcmp(cmd, "end-sessions") == 0) {
		if ((e = auth_end_sessions(app->auth, argv[1], &n)) != ERR_OK)
			return failed(err, cmd, argv[1], e);
		fprintf(out, "ended %lld session%s of %s\n", (long long)n,
		        n == 1 ? "" : "s", argv[1]);
	} else if (strcmp(cmd, "purge") == 0) {
		if ((e = auth_purge(app->auth, &p)) != ERR_OK)
			return failed(err, cmd, NULL, e);
		fprintf(out,
		        "purged %lld sessions, %lld reset tokens, %lld lockout"
		        " counters, %lld email links, %lld remembered"
		        " addresses, %lld pending log-ins\n",
		        (long long)p.sessions, (long long)p.reset_tokens,
		        (long long)p.throttles, (long long)p.links,
		        (long long)p.clients, (long long)p.pending);
	} else if (strcmp(cmd, "sessions") == 0) {
		if ((e = print_sessions(app, argv[1], out)) != ERR_OK)
			return failed(err, cmd, argv[1], e);
	} else if (strcmp(cmd, "unlock") == 0) {
		if ((e = auth_unlock(app->auth, argv[1])) != ERR_OK)
			return failed(err, cmd, argv[1], e);
		fprintf(out, "unlocked %s\n", argv[1]);
	} else if (strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0) {
		e = auth_set_disabled(app->auth, argv[1],
		                      strcmp(cmd, "disable") == 0, &n);
		if (e != ERR_OK)
			return failed(err, cmd, argv[1], e);
		fprintf(out, "%sd %s", cmd, argv[1]);
		if (strcmp(cmd, "disable") == 0)
			fprintf(out, ", ended %lld session%s", (long long)n,
			        n == 1 ? "" : "s");
		fputc('\n', out);
	} else if (strcmp(cmd, "totp-reset") == 0) {
		if ((e = auth_totp_reset(app->auth, argv[1])) ==
		    ERR_FACTOR_OFF) {
			fprintf(err, "auth.cgi: %s: %s has no second factor\n",
			        cmd, argv[1]);
			return 1;
		}
		if (e != ERR_OK)
			return failed(err, cmd, argv[1], e);
		fprintf(out, "second factor of %s is off\n", argv[1]);
	} else if (strcmp(cmd, "group") == 0) {
		return group(app, argv, out, err);
	} else {
		e = auth_import_original(app->auth, argv[1], &n, &skipped);
		if (e != ERR_OK)
			return failed(err, cmd, argv[1], e);
		fprintf(out, "imported %lld accounts, skipped %lld\n",
		        (long long)n, (long long)skipped);
	}
	return 0;
usage:
	fputs(app_usage, err);
	return 2;
}
