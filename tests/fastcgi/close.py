#!/usr/bin/python3
"""How a FastCGI process of auth.cgi ends its connections.

Usage: tests/fastcgi/close.py CGI STATE_DIR

Plays the web server on a unix socket, with the raw FastCGI protocol: it
makes the listening socket, starts CGI with it as stdin (as lighttpd's
bin-path and Apache's mod_fcgid do) and checks:
  - a request whose input has all been sent (stdin ended) is answered and
    the connection closed at once: the process does not wait for the
    server to close first (writing to it afterwards fails);
  - so is one whose body over the size limit (70 KB) was read to its end
    and thrown away;
  - a request answered before its input was read (a body over 1 MiB) is
    closed gracefully: the process shuts down its side, then reads what
    is left until the server closes (writing still works);
  - with FCGI_KEEP_CONN, the connection stays open for the next request;
  - an authorizer request (FCGI_AUTHORIZER) for a request with a body, sent
    as lighttpd sends it (the parameters, CONTENT_LENGTH among them, and no
    stdin at all: the body is kept for the handler after the authorizer),
    is answered and the connection closed at once.
Prints "PASS name" / "FAIL name: detail" lines; exits 0.
"""
import os
import socket
import struct
import subprocess
import sys
import time

CGI, STATE = sys.argv[1], sys.argv[2]
BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER, AUTHORIZER = 1, 2
KEEP_CONN = 1


def check(name, cond, detail=""):
    print(("PASS " + name) if cond else f"FAIL {name}: {detail}")


def record(kind, body=b"", rid=1):
    return struct.pack(">BBHHBx", 1, kind, rid, len(body), 0) + body


def pairs(env):
    out = b""
    for k, v in env.items():
        for s in (k.encode(), v.encode()):
            out += bytes([len(s)]) if len(s) < 128 else struct.pack(">I", len(s) | 1 << 31)
        out += k.encode() + v.encode()
    return out


def request(method, path, body=b"", flags=0, end_stdin=True, role=RESPONDER,
            length=None):
    env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
           "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    if body or length:
        env["CONTENT_LENGTH"] = str(length if length is not None else len(body))
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    data = record(BEGIN, struct.pack(">HB5x", role, flags))
    data += record(PARAMS, pairs(env)) + record(PARAMS)
    for i in range(0, len(body), 65535):
        data += record(STDIN, body[i:i + 65535])
    if end_stdin:
        data += record(STDIN)
    return data


def answer(conn):
    """Read records up to END_REQUEST; returns the stdout bytes."""
    buf, out = b"", b""
    while True:
        while len(buf) < 8:
            chunk = conn.recv(65536)
            if not chunk:
                raise EOFError("connection closed before END_REQUEST")
            buf += chunk
        _, kind, _, clen, plen = struct.unpack(">BBHHBx", buf[:8])
        while len(buf) < 8 + clen + plen:
            chunk = conn.recv(65536)
            if not chunk:
                raise EOFError("connection closed inside a record")
            buf += chunk
        if kind == STDOUT:
            out += buf[8:8 + clen]
        buf = buf[8 + clen + plen:]
        if kind == END:
            return out


def status(out):
    first = out.split(b"\r\n", 1)[0]
    return first.decode(errors="replace")


def closed_fully(conn):
    """After the process's EOF: does writing to it fail (closed), or is it
    still reading (shut down for writing only)?"""
    conn.settimeout(5)
    if conn.recv(1) != b"":
        return None
    try:
        for _ in range(3):
            conn.send(b"x")
            time.sleep(0.05)
    except OSError:
        return True
    return False


def main():
    sock_path = os.path.join(STATE, "close.sock")
    env = {"PATH": "/usr/bin:/bin", "AUTHCGI_DB": os.path.join(STATE, "auth.db")}
    subprocess.run([CGI, "init"], env=env, check=True, capture_output=True)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(sock_path)
    lsock.listen(8)
    proc = subprocess.Popen([CGI], stdin=lsock.fileno(), env=env,
                            stderr=subprocess.DEVNULL)
    try:
        def connect():
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            c.connect(sock_path)
            return c

        c = connect()
        c.sendall(request("GET", "/"))
        out = answer(c)
        check("all input sent: answered", status(out) == "Status: 200 OK", status(out))
        full = closed_fully(c)
        check("all input sent: the process closed without waiting", full is True,
              f"closed_fully={full}")
        c.close()

        # A body over the limit of up to 1 MiB is read to its end and
        # thrown away: all input taken, the process closes at once.
        c = connect()
        body = b"email=a%40b.c&password=" + b"x" * 70000
        c.sendall(request("POST", "/users", body))
        out = answer(c)
        check("input over the limit, read: answered 413",
              status(out).startswith("Status: 413"), status(out))
        full = closed_fully(c)
        check("input over the limit, read: the process closed without waiting",
              full is True, f"closed_fully={full}")
        c.close()

        # A longer one is not read at all: the process closes gracefully.
        c = connect()
        body = b"email=a%40b.c&password=" + b"x" * 1100000
        c.sendall(request("POST", "/users", body))
        out = answer(c)
        check("input left unread: answered 413", status(out).startswith("Status: 413"),
              status(out))
        full = closed_fully(c)
        check("input left unread: closed gracefully (still reading)", full is False,
              f"closed_fully={full}")
        c.close()

        c = connect()
        c.sendall(request("GET", "/", flags=KEEP_CONN))
        first = status(answer(c))
        c.sendall(request("GET", "/nope", flags=KEEP_CONN))
        second = status(answer(c))
        check("keep-conn: two requests on one connection",
              first == "Status: 200 OK" and second.startswith("Status: 404"),
              f"{first!r}, {second!r}")
        c.close()

        # An authorizer gets no input: for a request with a body, lighttpd
        # sends the parameters and nothing on stdin, not even its end.
        c = connect()
        c.sendall(request("POST", "/private/x", role=AUTHORIZER, length=11,
                          end_stdin=False))
        try:
            out = answer(c)
            check("authorizer, body kept by the server: answered 401",
                  status(out).startswith("Status: 401"), status(out))
            full = closed_fully(c)
            check("authorizer, body kept by the server: the process closed "
                  "without waiting", full is True, f"closed_fully={full}")
        except (OSError, EOFError) as e:
            check("authorizer, body kept by the server: answered", False,
                  f"no answer: {e!r}")
        c.close()

        check("the process is still serving", proc.poll() is None,
              f"exited {proc.returncode}")
    except (OSError, EOFError) as e:
        check("protocol exchange", False, repr(e))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        lsock.close()
    return 0


sys.exit(main())
