#!/usr/bin/python3
"""End-to-end test: a known client of the original service that logs out,
after a password reset, with the session id it got before the reset.

Usage: tests/e2e/reset_then_logout.py BASE_URL [--hardened MAIL_FILE]

The client (Python `requests`, `data=` form bodies, `cookies=`, the
logout redirect followed): register, log in and keep the session id, ask
for a reset token, set a new password with it, then DELETE /sessions with
the old session id.

- Default profile: the original service keeps sessions across a reset,
  so the logout answers 302 and the redirect 200 {"message": "Bienvenue"}.
- --hardened MAIL_FILE: the service runs with AUTHCGI_PROFILE=hardened,
  its reset command appending messages to MAIL_FILE (the token is read
  there, as its owner would); a reset ends every session, so the old
  session id is refused with 403, while it worked just before the reset.

Prints one line per step and "N passed, N failed" last; exits 1 at the
first failed step.
"""
import re
import sys
import time
import uuid

import requests

TIMEOUT = 10  # seconds, for every request


def main(argv) -> int:
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--hardened"):
        print(__doc__.splitlines()[3].strip(), file=sys.stderr)
        return 2
    url = argv[1].rstrip("/")
    mail = argv[3] if len(argv) == 4 else None
    cookie = "__Host-session_id" if mail else "session_id"
    email = "reset+{}@example.org".format(uuid.uuid4().hex[:12])
    pw, new_pw = ("Hardened-old-pw-7x", "Hardened-new-pw-8y") if mail else \
        ("b4l0u", "t4rt1fl3tt3")
    passed = 0

    def step(name, cond, detail=""):
        nonlocal passed
        if not cond:
            print("FAIL {}: {}".format(name, detail))
            print("{} passed, 1 failed".format(passed))
            sys.exit(1)
        passed += 1
        print("ok   " + name)

    r = requests.post(f"{url}/users", data={"email": email, "password": pw},
                      timeout=TIMEOUT)
    step("register", r.status_code == 200, r.text)
    r = requests.post(f"{url}/sessions", data={"email": email, "password": pw},
                      timeout=TIMEOUT)
    step("log in", r.status_code == 200 and cookie in r.cookies, r.text)
    session_id = r.cookies[cookie]
    r = requests.get(f"{url}/profile", cookies={cookie: session_id},
                     timeout=TIMEOUT)
    step("the session works", r.status_code == 200 and
         r.json() == {"email": email}, r.text)

    r = requests.post(f"{url}/reset_password", data={"email": email},
                      timeout=TIMEOUT)
    step("ask for a reset token", r.status_code == 200, r.text)
    if mail:
        token = None
        for _ in range(100):  # the delivery runs apart: 5 s at most
            text = open(mail, encoding="utf-8").read()
            found = re.findall(r"To: " + re.escape(email) +
                               r"\n(?:.*\n)*?    ([0-9a-f-]{36})\n", text)
            if found:
                token = found[-1]
                break
            time.sleep(0.05)
        step("the token arrives by mail", token is not None, mail)
    else:
        token = r.json().get("reset_token")
        step("the token is in the answer", token is not None, r.text)

    r = requests.put(f"{url}/reset_password",
                     data={"email": email, "reset_token": token,
                           "new_password": new_pw}, timeout=TIMEOUT)
    step("set a new password", r.status_code == 200 and r.json() ==
         {"email": email, "message": "Password updated"}, r.text)

    r = requests.delete(f"{url}/sessions", cookies={cookie: session_id},
                        timeout=TIMEOUT)
    if mail:
        step("log out with the old session: 403 (hardened: the reset "
             "ended it)", r.status_code == 403 and
             r.json() == {"message": "not logged in"} and not r.history,
             "{} {}".format(r.status_code, r.text))
    else:
        step("log out with the old session: 302, then 200 Bienvenue",
             [h.status_code for h in r.history] == [302] and
             r.status_code == 200 and r.json() == {"message": "Bienvenue"},
             "{} {} {}".format([h.status_code for h in r.history],
                               r.status_code, r.text))
    r = requests.post(f"{url}/sessions",
                      data={"email": email, "password": new_pw},
                      timeout=TIMEOUT)
    step("the new password logs in", r.status_code == 200, r.text)
    print("{} passed, 0 failed".format(passed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
