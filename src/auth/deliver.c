/* deliver.c: hand a reset token to the operator's delivery command (for
 * example "/usr/sbin/sendmail -t"), as a complete message on its stdin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum err
auth_deliver_token(const struct auth *a, const char *email, const char *token)
{
	char msg[1024];
	int fds[2], n, status;
	void (*old_pipe)(int);
	pid_t pid;
	enum err e = ERR_OK;

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
	    "\n"
	    "If it was not you, ignore this message.\n",
	    email, email, (long long)(a->cfg.reset_ttl + 59) / 60, token);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return ERR_INTERNAL;
	if (pipe(fds) != 0) {
		log_error("deliver: pipe: %s", strerror(errno));
		return ERR_INTERNAL;
	}
	if ((pid = fork()) < 0) {
		log_error("deliver: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return ERR_INTERNAL;
	}
	if (pid == 0) {
		/* The command's own output must not reach the HTTP
		 * response: its stdout goes to our stderr. */
		dup2(fds[0], STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", a->cfg.deliver_command,
		      (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* A command that exits without reading must give us EPIPE, not a
	 * SIGPIPE that would end the whole process. */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	if (write_all(fds[1], msg, (size_t)n) != 0) {
		log_error("deliver: writing to \"%s\": %s",
		          a->cfg.deliver_command, strerror(errno));
		e = ERR_INTERNAL;
	}
	close(fds[1]);
	signal(SIGPIPE, old_pipe);
	explicit_bzero(msg, sizeof(msg));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("deliver: \"%s\" failed (status %d)",
		          a->cfg.deliver_command, status);
		e = ERR_INTERNAL;
	}
	return e;
}
