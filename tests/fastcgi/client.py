#!/usr/bin/python3
"""A request mix for the FastCGI valgrind test (tests/fastcgi/valgrind.sh).

Usage: tests/fastcgi/client.py BASE_URL COUNT DEADLINE_SECONDS

Sends COUNT requests over one keep-alive connection (reconnecting when the
server closes it), cycling through a mix of 20: the index, the profile with
a valid, an unknown and no cookie (GET, HEAD, trailing slash), logins with
right and wrong passwords, registrations, reset-token requests and invalid
tokens, logouts, 404, 405, and bad input (malformed percent-encoding,
broken JSON, unsupported Content-Type, a missing field, a body over the
size limit). Each answer's status is compared with the expected one.
Stops early at the deadline. Prints one line:
  sent N, unexpected U, transport errors T
and exits 0 when all COUNT were sent with the expected statuses.
"""
import http.client
import json
import sys
import time
import urllib.parse
import uuid

base = urllib.parse.urlsplit(sys.argv[1])
COUNT = int(sys.argv[2])
DEADLINE = time.monotonic() + float(sys.argv[3])
PW = "b4l0u"
EMAIL = "valgrind@example.com"
FORM = "application/x-www-form-urlencoded"

conn = None


def request(method, path, body=None, ctype=None, cookie=None):
    """One request; returns (status, headers dict, body bytes)."""
    global conn
    headers = {}
    if body is not None:
        body = body.encode() if isinstance(body, str) else body
        headers["Content-Type"] = ctype or FORM
    elif method in ("POST", "PUT"):
        body = b""
    if cookie:
        headers["Cookie"] = "session_id=" + cookie
    for attempt in (1, 2):
        if conn is None:
            conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                conn.close()
                conn = None
            return r.status, hdrs, data
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def session_of(hdrs):
    c = hdrs.get("set-cookie", "")
    if c.startswith("session_id="):
        return c.split(";", 1)[0].split("=", 1)[1]
    return None


def main():
    sent = unexpected = transport = 0
    status, _, _ = request("POST", "/users", f"email={EMAIL}&password={PW}")
    if status not in (200, 400):
        print(f"setup: register {status}")
        return 1
    status, hdrs, _ = request("POST", "/sessions", f"email={EMAIL}&password={PW}")
    sid = session_of(hdrs)
    if status != 200 or not sid:
        print(f"setup: log in {status}")
        return 1
    spare = None  # a session to log out
    big = "email=" + "a" * 70000
    multipart = ("--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n"
                 f"{EMAIL}\r\n--XyZ\r\nContent-Disposition: form-data; "
                 f"name=\"password\"\r\n\r\n{PW}\r\n--XyZ--\r\n")
    for i in range(COUNT):
        if time.monotonic() > DEADLINE:
            print(f"deadline reached after {sent} requests")
            break
        k = i % 20
        new_email = f"u{i}-{uuid.uuid4().hex[:8]}@example.com"
        cases = {
            0: (("GET", "/"), 200),
            1: (("GET", "/profile", None, None, sid), 200),
            2: (("HEAD", "/profile", None, None, sid), 200),
            3: (("GET", "/profile"), 403),
            4: (("GET", "/profile", None, None, str(uuid.uuid4())), 403),
            5: (("POST", "/sessions", f"email={EMAIL}&password=wrong-pass"), 401),
            6: (("POST", "/sessions", f"email={EMAIL}&password={PW}"), 200),
            7: (("GET", "/nope"), 404),
            8: (("PUT", "/profile"), 405),
            9: (("POST", "/users", "email=x%zz%40example.com&password=b4l0u"), 400),
            10: (("POST", "/users", '{"email": "x@example.com", "pass', "application/json"), 400),
            11: (("POST", "/users", f"email={EMAIL}&password={PW}", "text/plain"), 415),
            12: (("POST", "/users", f"email={new_email}"), 400),
            13: (("POST", "/users", f"email={new_email}&password={PW}"), 200),
            14: (("POST", "/users", multipart, "multipart/form-data; boundary=XyZ"), 400),
            15: (("POST", "/reset_password", f"email={EMAIL}"), 200),
            16: (("PUT", "/reset_password",
                  f"email={EMAIL}&reset_token={uuid.uuid4()}&new_password=n3wpass"), 403),
            17: (("DELETE", "/sessions", None, None, spare), 302 if spare else 403),
            18: (("GET", "/profile/", None, None, sid), 200),
            19: (("POST", "/users", big), 413),
        }
        args, want = cases[k]
        try:
            status, hdrs, body = request(*args)
        except (OSError, http.client.HTTPException) as e:
            transport += 1
            sent += 1
            if transport <= 5:
                print(f"request {i} ({args[0]} {args[1]}): {type(e).__name__}: {e}")
            continue
        sent += 1
        if k == 6:
            spare = session_of(hdrs)
        elif k == 17:
            spare = None
        ok = status == want
        if ok and args[0] != "HEAD" and status != 302:
            try:
                ok = isinstance(json.loads(body), dict)
            except ValueError:
                ok = False
        if not ok:
            unexpected += 1
            if unexpected <= 5:
                print(f"request {i} ({args[0]} {args[1]}): {status}, want {want}: {body[:120]!r}")
    print(f"sent {sent}, unexpected {unexpected}, transport errors {transport}")
    return 0 if sent == COUNT and unexpected == 0 and transport == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
