/* bare.c: the smallest CGI there is, for scripts/bench.sh: it reads
 * nothing and prints one constant JSON answer with the headers a CGI must
 * send. Linked statically (with glibc, and with musl like
 * cgi-bin/auth.cgi), it measures what the web server and a process start
 * cost, without the app. */
#include <stdio.h>

int
main(void)
{
	static const char answer[] = "Status: 200 OK\r\n"
	                             "Content-Type: application/json\r\n"
	                             "\r\n"
	                             "{\"message\":\"Bienvenue\"}\n";

	return fwrite(answer, 1, sizeof(answer) - 1, stdout) ==
	               sizeof(answer) - 1
	           ? 0
	           : 1;
}
