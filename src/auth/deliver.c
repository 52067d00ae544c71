/* deliver.c: the service's outgoing mail: each message (a reset token, a
 * link, a notice) goes to the operator's delivery command (for example
 * "/usr/sbin/sendmail -t") as a complete message on its stdin.
 *
 * The request writes a block of fixed size into a pipe and starts one
 * detached process, whether or not there is anything to send (a request
 * for an unknown email must look like one for a known email, in its time
 * as in its answer). The block's first byte says whether to send; the
 * detached process reads the block, and only then starts the command,
 * outside the request. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/io.h"
#include "../common/log.h"
#include "internal.h"

/* The block handed to the detached process: a flag ('1' send, '0' do
 * not), the message, a NUL, and zeros up to the size. */
#define BLOCK_SIZE 4096

/* Read exactly n bytes from fd; false on a short read or an error. */
static bool
read_all(int fd, char *buf, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

/*
 * The delivery process, detached from the request: it reads the block
 * from in, and when it says so, runs the command with the message on its
 * stdin, waits for it and logs a failure. Nothing of the request's own
 * files stays open in it: not stdout (the web server would wait for it to
 * close), not stdin (a request body, or a FastCGI listening socket).
 */
static void
deliver_detached(const char *command, int in)
{
	char block[BLOCK_SIZE];
	int status, fd, fds[2];
	size_t n;
	pid_t pid;

	dup2(in, STDIN_FILENO);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	if (!read_all(STDIN_FILENO, block, sizeof(block)) || block[0] != '1')
		_exit(0);
	n = strnlen(block + 1, sizeof(block) - 1);
	/* The message fits a pipe's buffer: writing it never waits, and
	 * the command reads it at its own pace (or not at all). */
	if (pipe(fds) != 0 || io_write_all(fds[1], block + 1, n) != 0)
		_exit(1);
	explicit_bzero(block, sizeof(block));
	close(fds[1]);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	signal(SIGPIPE, SIG_DFL);
	if ((pid = fork()) < 0)
		_exit(1);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(STDIN_FILENO);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_error("deliver: \"%s\" failed (status %d): a message"
		          " was not delivered",
		          command, status);
	_exit(0);
}

/* Append s to out[*n..size), percent-encoded where a URL's query needs
 * it; false when it does not fit. */
static bool
put_encoded(char *out, size_t size, size_t *n, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (*n + 4 >= size)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL)
			out[(*n)++] = (char)c;
		else
			*n +=
			    (size_t)snprintf(out + *n, size - *n, "%%%02X", c);
	}
	out[*n] = '\0';
	return true;
}

/*
 * The page a message points to: base (the service's public address and
 * mount point, e.g. "https://example.org/auth") + path, then for a reset
 * "?email=...&reset_token=..." (the email percent-encoded), for an email
 * link "?token=...", for a notice to the account its page. "" when no
 * address is configured, the message has no page, or it does not fit.
 */
static void
page_link(const char *base, enum auth_mail kind, const char *email,
          const char *token, char *out, size_t size)
{
	size_t n;
	int w;

	out[0] = '\0';
	if (base == NULL)
		return;
	switch (kind) {
	case AUTH_MAIL_RESET:
		w = snprintf(out, size, "%s/reset_password?email=", base);
		if (w < 0 || (size_t)w >= size)
			break;
		n = (size_t)w;
		if (!put_encoded(out, size, &n, email))
			break;
		w = snprintf(out + n, size - n, "&reset_token=%s", token);
		if (w >= 0 && (size_t)w < size - n)
			return;
		break;
	case AUTH_MAIL_EMAIL_CONFIRM:
	case AUTH_MAIL_VERIFY:
		w = snprintf(out, size, "%s/verify_email?token=%s", base,
		             token);
		if (w >= 0 && (size_t)w < size)
			return;
		break;
	case AUTH_MAIL_PASSWORD:
	case AUTH_MAIL_NEW_CLIENT:
	case AUTH_MAIL_FACTOR:
		w = snprintf(out, size, "%s/account", base);
		if (w >= 0 && (size_t)w < size)
			return;
		break;
	default:
		return;
	}
	out[0] = '\0';
}

/* Seconds as whole minutes (rounded up) or, from two hours, hours. */
static void
duration(int64_t secs, char *out, size_t size)
{
	if (secs >= 7200)
		snprintf(out, size, "%lld hours",
		         (long long)(secs + 3599) / 3600);
	else
		snprintf(out, size, "%lld minutes",
		         (long long)(secs + 59) / 60);
}

/*
 * The message of kind to to, into out: headers, a blank line, the text.
 * The number of bytes, or -1 when it does not fit. to passed
 * auth_check_email (no CR, LF or controls), or is not sent at all: it
 * cannot add a header. detail is an email or a cleaned client address.
 */
static int
compose(const struct auth *a, enum auth_mail kind, const char *to,
        const char *token, const char *detail, char *out, size_t size)
{
	char link[1024], ttl[32], open[1100] = "";
	int n = -1;

	page_link(a->cfg.reset_url, kind, to, token, link, sizeof(link));
	if (link[0] != '\0')
		snprintf(open, sizeof(open), "%s:\n\n    %s\n",
		         token != NULL ? "\nor open this link"
		                       : "\nYour account's page",
		         link);
	if (detail == NULL)
		detail = "";
	switch (kind) {
	case AUTH_MAIL_RESET:
		n = snprintf(
		    out, size,
		    "To: %s\n"
		    "Subject: Password reset\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "\n"
		    "Someone asked to reset the password of the account"
		    " %s.\n"
		    "If it was you, use this token within %lld minutes;"
		    " it works once:\n"
		    "\n"
		    "    %s\n"
		    "%s"
		    "\n"
		    "If it was not you, ignore this message.\n",
		    to, to, (long long)(a->cfg.reset_ttl + 59) / 60, token,
		    open);
		break;
	case AUTH_MAIL_EMAIL_CONFIRM:
	case AUTH_MAIL_VERIFY:
		duration(a->cfg.link_ttl, ttl, sizeof(ttl));
		n = snprintf(
		    out, size,
		    "To: %s\n"
		    "Subject: %s\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "\n"
		    "%s %s.\n"
		    "If it was you, confirm it within %s with this token;"
		    " it works once:\n"
		    "\n"
		    "    %s\n"
		    "%s"
		    "\n"
		    "If it was not you, ignore this message: nothing "
		    "changes.\n",
		    to,
		    kind == AUTH_MAIL_VERIFY ? "Verify your email address"
		                             : "Confirm your new email address",
		    kind == AUTH_MAIL_VERIFY
		        ? "An account was created with the email address"
		        : "Someone asked to change the email address of an"
		          " account to",
		    to, ttl, token, open);
		break;
	case AUTH_MAIL_PASSWORD:
		n = snprintf(out, size,
		             "To: %s\n"
		             "Subject: Your password was changed\n"
		             "Content-Type: text/plain; charset=utf-8\n"
		             "\n"
		             "The password of the account %s was changed.\n"
		             "%s"
		             "\n"
		             "If it was not you, reset your password now.\n",
		             to, to, open);
		break;
	case AUTH_MAIL_EMAIL_CHANGED:
		n = snprintf(
		    out, size,
		    "To: %s\n"
		    "Subject: Your email address was changed\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "\n"
		    "The account of the email address %s now uses the"
		    " address %s;\n"
		    "this address gets no more mail about it.\n"
		    "\n"
		    "If it was not you, tell the service's operator.\n",
		    to, to, detail);
		break;
	case AUTH_MAIL_NEW_CLIENT:
		n = snprintf(
		    out, size,
		    "To: %s\n"
		    "Subject: A log-in from a new address\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "\n"
		    "Someone logged in to the account %s from the"
		    " address %s,\n"
		    "which the account had not used lately.\n"
		    "%s"
		    "\n"
		    "If it was not you, change your password and end the"
		    " sessions you do not know.\n",
		    to, to, detail, open);
		break;
	case AUTH_MAIL_DELETED:
		n = snprintf(
		    out, size,
		    "To: %s\n"
		    "Subject: Your account was deleted\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "\n"
		    "The account %s was deleted, with its sessions.\n"
		    "\n"
		    "If it was not you, tell the service's operator.\n",
		    to, to);
		break;
	case AUTH_MAIL_FACTOR:
		n = snprintf(out, size,
		             "To: %s\n"
		             "Subject: Your second factor changed\n"
		             "Content-Type: text/plain; charset=utf-8\n"
		             "\n"
		             "The second factor of the account %s %s.\n"
		             "%s"
		             "\n"
		             "If it was not you, change your password, end the"
		             " sessions you do not know and tell the service's"
		             " operator.\n",
		             to, to, detail, open);
		break;
	default:
		break;
	}
	explicit_bzero(link, sizeof(link));
	explicit_bzero(open, sizeof(open));
	return n >= 0 && (size_t)n < size ? n : -1;
}

enum err
auth_mail_send(const struct auth *a, enum auth_mail kind, const char *to,
               const char *token, const char *detail, bool send)
{
	char block[BLOCK_SIZE];
	int fds[2], n, status;
	pid_t pid;
	enum err e = ERR_OK;

	if ((unsigned)kind >= AUTH_MAIL__MAX ||
	    (token == NULL &&
	     (kind == AUTH_MAIL_RESET || kind == AUTH_MAIL_EMAIL_CONFIRM ||
	      kind == AUTH_MAIL_VERIFY)))
		return ERR_INTERNAL;
	memset(block, 0, sizeof(block));
	block[0] = send ? '1' : '0';
	n = compose(a, kind, to, token, detail, block + 1, sizeof(block) - 1);
	if (n < 0) {
		e = ERR_INTERNAL;
		goto out;
	}
	if (pipe(fds) != 0) {
		log_error("deliver: pipe: %s", strerror(errno));
		e = ERR_INTERNAL;
		goto out;
	}
	/* The whole block goes into the pipe first: it fits a pipe's
	 * buffer (64 KiB on Linux, 4 KiB at the least by POSIX), so this
	 * never waits. */
	if (io_write_all(fds[1], block, sizeof(block)) != 0) {
		log_error("deliver: pipe: %s", strerror(errno));
		e = ERR_INTERNAL;
	}
	close(fds[1]);
	/* Fork twice so that the delivery outlives this request without
	 * becoming our child to wait for. */
	if (e == ERR_OK && (pid = fork()) < 0) {
		log_error("deliver: fork: %s", strerror(errno));
		e = ERR_INTERNAL;
	} else if (e == ERR_OK && pid == 0) {
		if (fork() == 0)
			deliver_detached(a->cfg.deliver_command, fds[0]);
		_exit(0);
	} else if (e == ERR_OK) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(fds[0]);
out:
	explicit_bzero(block, sizeof(block));
	return e;
}

void
auth_notice(const struct auth *a, enum auth_mail kind, const char *to,
            const char *detail)
{
	enum err e;

	if (a->cfg.deliver_command == NULL)
		return;
	if ((e = auth_mail_send(a, kind, to, NULL, detail, true)) != ERR_OK)
		log_error("deliver: a notice to an account was not handed on:"
		          " %s",
		          err_str(e));
}
