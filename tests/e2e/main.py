#!/usr/bin/python3
"""End-to-end test: the original service's client script, step by step.

Usage: tests/e2e/main.py [BASE_URL]   (default http://127.0.0.1:5000)

tests/integration/run.sh runs it against lighttpd and Apache, each as CGI
and as FastCGI: the client must not tell them apart.

A known client of the original Flask service, kept in its shape: Python
`requests`, `data=` form bodies, `cookies=`, the logout redirect followed.
Each step asserts the status code and the exact JSON body. Prints one line
per step and "N passed, N failed" last; exits 1 at the first failed step
(later steps depend on it), 0 when all pass.

The email is unique per run (E2E_EMAIL overrides it), so that the script
can run again and again against the same server (`make run`).
"""
import os
import sys
import uuid

import requests

URL = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000").rstrip("/")
EMAIL = os.environ.get("E2E_EMAIL") or "guillaume+{}@holberton.io".format(uuid.uuid4().hex[:12])
PASSWD = "b4l0u"
NEW_PASSWD = "t4rt1fl3tt3"
TIMEOUT = 10  # seconds, for every request


def check_json(r) -> None:
    """Known clients compare the whole Content-Type header."""
    assert r.headers.get("Content-Type") == "application/json", \
        "Content-Type {!r}".format(r.headers.get("Content-Type"))


def register_user(email: str, password: str) -> None:
    """POST /users creates the account."""
    r = requests.post(f"{URL}/users", data={"email": email, "password": password},
                      timeout=TIMEOUT)
    assert r.status_code == 200, r.status_code
    check_json(r)
    assert r.json() == {"email": email, "message": "user created"}, r.json()


def register_user_again(email: str, password: str) -> None:
    """POST /users with a registered email is refused."""
    r = requests.post(f"{URL}/users", data={"email": email, "password": password},
                      timeout=TIMEOUT)
    assert r.status_code == 400, r.status_code
    check_json(r)
    assert r.json() == {"message": "email already registered"}, r.json()


def log_in_wrong_password(email: str, password: str) -> None:
    """POST /sessions with a wrong password: 401 and no cookie."""
    r = requests.post(f"{URL}/sessions", data={"email": email, "password": password},
                      timeout=TIMEOUT)
    assert r.status_code == 401, r.status_code
    check_json(r)
    assert r.cookies.get("session_id") is None, r.cookies


def profile_unlogged() -> None:
    """GET /profile without a session: 403."""
    r = requests.get(f"{URL}/profile", timeout=TIMEOUT)
    assert r.status_code == 403, r.status_code
    check_json(r)


def log_in(email: str, password: str) -> str:
    """POST /sessions: 200 and a session_id cookie, returned."""
    r = requests.post(f"{URL}/sessions", data={"email": email, "password": password},
                      timeout=TIMEOUT)
    assert r.status_code == 200, r.status_code
    check_json(r)
    assert r.json() == {"email": email, "message": "logged in"}, r.json()
    session_id = r.cookies.get("session_id")
    assert session_id, r.headers.get("Set-Cookie")
    assert str(uuid.UUID(session_id)) == session_id, session_id
    # Mounted at the site root (SCRIPT_NAME ""), whatever the web server:
    # the cookie is for the whole site.
    cookie = next(c for c in r.cookies if c.name == "session_id")
    assert cookie.path == "/", cookie.path
    assert cookie.has_nonstandard_attr("HttpOnly"), r.headers.get("Set-Cookie")
    return session_id


def profile_logged(session_id: str) -> None:
    """GET /profile with the session cookie: the account's email."""
    r = requests.get(f"{URL}/profile", cookies={"session_id": session_id},
                     timeout=TIMEOUT)
    assert r.status_code == 200, r.status_code
    check_json(r)
    assert r.json() == {"email": EMAIL}, r.json()


def log_out(session_id: str) -> None:
    """DELETE /sessions: 302 to /, which the client follows to 200."""
    r = requests.delete(f"{URL}/sessions", cookies={"session_id": session_id},
                        timeout=TIMEOUT)
    assert r.status_code == 200, r.status_code
    assert r.json() == {"message": "Bienvenue"}, r.json()
    assert len(r.history) == 1, r.history
    assert r.history[0].status_code == 302, r.history[0].status_code
    assert r.history[0].headers.get("Location") == "/", r.history[0].headers
    assert r.url == f"{URL}/", r.url
    cleared = r.history[0].headers.get("Set-Cookie", "")
    assert cleared.startswith("session_id=;") and "Max-Age=0" in cleared, cleared


def profile_logged_out(session_id: str) -> None:
    """GET /profile with the ended session: 403."""
    r = requests.get(f"{URL}/profile", cookies={"session_id": session_id},
                     timeout=TIMEOUT)
    assert r.status_code == 403, r.status_code
    check_json(r)


def reset_password_token(email: str) -> str:
    """POST /reset_password: 200 and a token, returned."""
    r = requests.post(f"{URL}/reset_password", data={"email": email},
                      timeout=TIMEOUT)
    assert r.status_code == 200, r.status_code
    check_json(r)
    body = r.json()
    assert set(body) == {"email", "reset_token"}, body
    assert body["email"] == email, body
    token = body["reset_token"]
    assert str(uuid.UUID(token)) == token and uuid.UUID(token).version == 4, token
    return token


def update_password(email: str, reset_token: str, new_password: str) -> None:
    """PUT /reset_password with the token: the password is changed."""
    r = requests.put(f"{URL}/reset_password",
                     data={"email": email, "reset_token": reset_token,
                           "new_password": new_password},
                     timeout=TIMEOUT)
    assert r.status_code == 200, r.status_code
    check_json(r)
    assert r.json() == {"email": email, "message": "Password updated"}, r.json()


def update_password_again(email: str, reset_token: str, new_password: str) -> None:
    """PUT /reset_password with a used token: 403."""
    r = requests.put(f"{URL}/reset_password",
                     data={"email": email, "reset_token": reset_token,
                           "new_password": new_password},
                     timeout=TIMEOUT)
    assert r.status_code == 403, r.status_code
    check_json(r)


def main() -> int:
    passed = 0
    steps = [
        ("register_user", lambda: register_user(EMAIL, PASSWD)),
        ("register_user_again", lambda: register_user_again(EMAIL, PASSWD)),
        ("log_in_wrong_password", lambda: log_in_wrong_password(EMAIL, NEW_PASSWD)),
        ("profile_unlogged", profile_unlogged),
        ("log_in", lambda: state.update(sid=log_in(EMAIL, PASSWD))),
        ("profile_logged", lambda: profile_logged(state["sid"])),
        ("log_out", lambda: log_out(state["sid"])),
        ("profile_logged_out", lambda: profile_logged_out(state["sid"])),
        ("reset_password_token", lambda: state.update(token=reset_password_token(EMAIL))),
        ("update_password", lambda: update_password(EMAIL, state["token"], NEW_PASSWD)),
        ("update_password_again", lambda: update_password_again(EMAIL, state["token"], PASSWD)),
        ("log_in_wrong_password (old)", lambda: log_in_wrong_password(EMAIL, PASSWD)),
        ("log_in (new password)", lambda: state.update(sid=log_in(EMAIL, NEW_PASSWD))),
        ("profile_logged (new session)", lambda: profile_logged(state["sid"])),
    ]
    state = {}
    for name, step in steps:
        try:
            step()
        except (AssertionError, requests.RequestException, ValueError, KeyError) as e:
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            print(f"{passed} passed, 1 failed")
            return 1
        passed += 1
        print(f"ok   {name}")
    print(f"{passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
