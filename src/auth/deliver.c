/* deliver.c: hand a reset token to the operator's delivery command (for
 * example "/usr/sbin/sendmail -t"), as a complete message on its stdin.
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
auth_deliver_token(const struct auth *a, const char *email, const char *token,
                   bool send)
{
	char block[BLOCK_SIZE];
	char link[1024] = "";
	int fds[2], n, status;
	pid_t pid;
	enum err e = ERR_OK;

	if (a->cfg.reset_url != NULL &&
	    !reset_link(a->cfg.reset_url, email, token, link, sizeof(link)))
		link[0] = '\0';
	/* email passed auth_check_email (no CR, LF or controls), or is
	 * not sent at all: it cannot add a header to the message. */
	memset(block, 0, sizeof(block));
	block[0] = send ? '1' : '0';
	n = snprintf(
	    block + 1, sizeof(block) - 1,
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
	explicit_bzero(link, sizeof(link));
	if (n < 0 || (size_t)n >= sizeof(block) - 1) {
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
