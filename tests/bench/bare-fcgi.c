/* bare-fcgi.c: the smallest FastCGI responder there is, for
 * scripts/bench.sh: spawned by lighttpd like auth.cgi, it answers every
 * request with one constant JSON line and reads nothing but what libfcgi
 * reads. It closes a finished connection at once when the server has
 * sent all of the request, as auth.cgi does on a unix socket (src/main.c;
 * the benchmark's sockets are unix ones). It measures what lighttpd and
 * the FastCGI protocol cost, without the app: the ceiling of a FastCGI
 * app under this lighttpd on this machine. */
#include <stdio.h>

#include <fcgiapp.h>

int
main(void)
{
	static const char answer[] = "Status: 200 OK\r\n"
	                             "Content-Type: application/json\r\n"
	                             "Content-Length: 24\r\n"
	                             "\r\n"
	                             "{\"message\":\"Bienvenue\"}\n";
	FCGX_Request r;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, r.out);
		if (!r.keepConnection && (FCGX_HasSeenEOF(r.in) == EOF ||
		                          FCGX_GetChar(r.in) == EOF))
			FCGX_Detach(&r);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	return 0;
}
