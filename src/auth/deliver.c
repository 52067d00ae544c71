/* deliver.c: hand a reset token to the operator's delivery command (for
 * example "/usr/sbin/sendmail -t"), as a complete message on its stdin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/io.h"
#include "../common/log.h"
#include "internal.h"

/*
 * The delivery process, detached from the request: it runs the command
 * with the message on its stdin (the read end of a pipe), waits for it
 * and logs a failure. Nothing of the request's own files stays open in
 * it: not stdout (the web server would wait for it to close), not stdin
 * (a request body, or a FastCGI listening socket).
 */
static void
deliver_detached(const char *command, int in)
{
	int status, fd;
	pid_t pid;

	dup2(in, STDIN_FILENO);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	for (fd = 3; fd < 1024; fd++)
		close(fd);
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
		log_error("deliver: \"%s\" failed (status %d): a reset token"
		          " was not delivered",
		          command, status);
	_exit(0);
}

/*
 * The page that sets a new password with this token: base (the
 * service's public address and mount point, e.g.
 * "https://example.org/auth") + "/reset_password?email=...&reset_token=...",
 * the email percent-encoded. False when it does not fit.
 */
static bool
reset_link(const char *base, const char *email, const char *token, char *out,
           size_t size)
{
	size_t n;
	int w;

	w = snprintf(out, size, "%s/reset_password?email=", base);
	if (w < 0 || (size_t)w >= size)
		return false;
	n = (size_t)w;
	for (; *email != '\0'; email++) {
		unsigned char c = (unsigned char)*email;

		if (n + 4 >= size)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL)
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
	}
	w = snprintf(out + n, size - n, "&reset_token=%s", token);
	return w >= 0 && (size_t)w < size - n;
}

enum err
auth_deliver_token(const struct auth *a, const char *email, const char *token)
{
	char msg[2048], link[1024] = "";
	int fds[2], n, status;
	pid_t pid;
	enum err e = ERR_OK;

	if (a->cfg.reset_url != NULL &&
	    !reset_link(a->cfg.reset_url, email, token, link, sizeof(link)))
		link[0] = '\0';
	/* email passed auth_check_email (no CR, LF or controls): it cannot
	 * add a header to the message. */
	n = snprintf(
	    msg, sizeof(msg),
	    "To: %s\n"
	    "Subject: Password reset\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n"
	    "Someone asked to reset the password of the account %s.\n"
	    "If it was you, use this token within %lld minutes; it works"
	    " once:\n"
	    "\n"
	    "    %s\n"
	    "%s%s%s"
	    "\n"
	    "If it was not you, ignore this message.\n",
	    email, email, (long long)(a->cfg.reset_ttl + 59) / 60, token,
	    link[0] != '\0' ? "\nor open this link:\n\n    " : "", link,
	    link[0] != '\0' ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return ERR_INTERNAL;
	if (pipe(fds) != 0) {
		log_error("deliver: pipe: %s", strerror(errno));
		return ERR_INTERNAL;
	}
	/* The whole message goes into the pipe first: it is far smaller
	 * than a pipe's buffer, so this never waits, and the command then
	 * reads it at its own pace (or not at all). */
	if (io_write_all(fds[1], msg, (size_t)n) != 0) {
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
	explicit_bzero(msg, sizeof(msg));
	return e;
}
