"""echo.py: the application behind the gate in the nginx and Caddy tests: a
tiny HTTP server that answers every request with its method, path and
request headers (and its body) as a JSON object, so that a test sees what the proxy passed
on (Remote-User, Remote-Email, Remote-Groups; a client's own copies).

Usage: python3 echo.py PORT   (listens on 127.0.0.1; SIGTERM stops it)
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        got = self.rfile.read(min(n, 65536)) if n else b""
        body = json.dumps({
            "method": self.command,
            "path": self.path,
            "body": got.decode("utf-8", "replace"),
            # Every value of every header, in order, names as sent.
            "headers": [[k, v] for k, v in self.headers.items()],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = answer

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
