#!/usr/bin/python3
"""Browser test: the HTML pages of auth.cgi driven by a real headless Chromium.

Usage: /usr/bin/python3 tests/browser/test_browser.py BASE_URL SCREENSHOT_DIR

BASE_URL is a running server (tests/browser/run.sh starts one), e.g.
http://127.0.0.1:8080. Screenshots login.png, profile.png, account.png and
totp_setup.png go to SCREENSHOT_DIR (created if missing).

Needs the Debian packages chromium, chromium-driver, python3-selenium and
oathtool (Chromium is started from /usr/bin/chromium through
/usr/bin/chromedriver, headless, with a fresh temporary profile; nothing
leaves 127.0.0.1). The one-time codes come from oathtool, never from the
service, on the real clock: a code works once per 30 s time step, so the
test waits for the next step before it uses the factor again (at most
about 31 s), and never types a code within 2 s of a step's boundary.

The email is unique per run (BROWSER_EMAIL overrides it).

Steps, each one counted: register, log in, log out, failed login, password
reset, log in with the new password, the account page (end another
browser's session, change the password), the second factor (set it up
from the account page: the QR code, the key, a wrong code refused, a
right one shows the 10 recovery codes; log in with the password then a
code, a wrong code refused first; log in with a recovery code, which
lands on the account page and leaves 9; the same recovery code refused
again; a JSON client's log-in without a code refused with 401), and the
page checks (no JavaScript errors in the browser log, the CSP header on
the HTML pages, JSON clients unaffected). Later steps use the account of
the earlier ones, so one failure can make the next ones fail too. Prints
one line per step and "N passed, N failed" last; exits 1 if anything
failed.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlsplit

import requests
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PAGE_LOAD_TIMEOUT = 20  # seconds, for every navigation
WAIT = 10  # seconds, the longest explicit wait
HTTP_TIMEOUT = 10  # seconds, for every requests call
WINDOW = (420, 900)  # phone-like viewport, CSS pixels

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--window-size={},{}".format(*WINDOW),
]

# Paths the app answers itself (the pages, their form targets, and the
# browser's own /favicon.ico request).
APP_PATHS = {"", "/register", "/users", "/login", "/sessions", "/profile",
             "/reset_password", "/account", "/password", "/totp",
             "/totp/recovery", "/favicon.ico"}

OATHTOOL = "/usr/bin/oathtool"
TOTP_PERIOD = 30  # seconds of a time step (the service's default)
TOTP_MARGIN = 2  # seconds kept away from a step's boundary

UUID4_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")



def gone(element):
    """Has element left the document (the page it was on was replaced)?
    Chromium says so either as a stale reference or, at times, as an
    inspector error that the node "does not belong to the document"."""
    try:
        element.is_enabled()
        return False
    except WebDriverException as e:
        msg = str(e).lower()
        if "stale" in msg or "does not belong to the document" in msg:
            return True
        raise

class Failure(Exception):
    """A check that did not hold."""


def check(cond, what):
    if not cond:
        raise Failure(what)


class Browser:
    """The driver, the account used by every step, and the browser log."""

    def __init__(self, base, shots, email=None):
        self.base = base.rstrip("/")
        self.shots = shots
        # Unique per run unless BROWSER_EMAIL says otherwise (run.sh uses a
        # fresh database, and a readable address for the screenshots).
        self.email = (email or os.environ.get("BROWSER_EMAIL")
                      or "browser+{}@example.com".format(uuid.uuid4().hex[:12]))
        self.password = "b4l0u"  # 5 characters: the default minimum
        self.new_password = "t4rt1fl3tt3"
        self.reset_link = None
        self.totp_secret = None  # base32, read from the set-up page
        self.totp_step = None  # the last time step whose code was used
        self.recovery_codes = []
        self.spent_recovery = None
        self.log = []  # browser console entries, gathered after every step
        self.profile_dir = tempfile.mkdtemp(prefix="authcgi-chromium.")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in CHROMIUM_ARGS:
            opts.add_argument(arg)
        opts.add_argument("--user-data-dir=" + self.profile_dir)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        self.driver.set_script_timeout(WAIT)
        self.driver.implicitly_wait(0)  # explicit, bounded waits only
        # New headless Chromium keeps windows at least 500 px wide; pin the
        # viewport to the phone size so screenshots look like a phone.
        try:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": WINDOW[0], "height": WINDOW[1],
                "deviceScaleFactor": 1, "mobile": True})
        except WebDriverException:
            pass

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile_dir, ignore_errors=True)

    # -- helpers ----------------------------------------------------------

    def url(self, path):
        return self.base + path

    def get(self, path):
        self.driver.get(self.url(path))

    def path(self):
        return urlsplit(self.driver.current_url).path

    def query(self):
        return parse_qs(urlsplit(self.driver.current_url).query)

    def find(self, css):
        """The element, waiting at most WAIT seconds for it."""
        try:
            return WebDriverWait(self.driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            raise Failure("no element {} on {}".format(css, self.where()))

    def has(self, css):
        return len(self.driver.find_elements(By.CSS_SELECTOR, css)) > 0

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def where(self):
        try:
            body = self.text().strip().replace("\n", " | ")
        except WebDriverException:
            body = "?"
        return "{} ({!r})".format(self.driver.current_url, body[:300])

    def fill(self, css, value):
        el = self.find(css)
        el.clear()
        el.send_keys(value)

    def submit(self, form_css):
        """Click the form's #submit and wait until the next page is loaded."""
        self.press(form_css + " #submit")

    def press(self, button_css):
        """Click the button and wait until the next page is loaded."""
        # The page may still be settling from the previous navigation:
        # a node found a moment ago can be gone. Find and click again
        # (three tries at most) rather than fail on that.
        for attempt in range(3):
            try:
                old = self.driver.find_element(By.TAG_NAME, "html")
                self.find(button_css).click()
                break
            except WebDriverException as e:
                if attempt == 2 or "document" not in str(e).lower() and \
                        "stale" not in str(e).lower():
                    raise
                time.sleep(0.2)
        try:
            WebDriverWait(self.driver, WAIT).until(lambda d: gone(old))
            WebDriverWait(self.driver, WAIT).until(
                lambda d: d.execute_script("return document.readyState") == "complete")
        except TimeoutException:
            raise Failure("pressing {} did not load a new page; still on {}".format(
                button_css, self.where()))

    def expect_path(self, path):
        check(self.path() == path,
              "expected to land on {}, got {}".format(path, self.where()))

    def screenshot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        # No blinking caret in the picture (CDP script, not subject to CSP).
        self.driver.execute_script(
            "if (document.activeElement) document.activeElement.blur();")
        file = os.path.join(self.shots, name)
        check(self.driver.save_screenshot(file), "screenshot " + file)

    def gather_log(self):
        try:
            self.log.extend(self.driver.get_log("browser"))
        except WebDriverException:
            pass

    def statuses(self):
        """The browser log's new entries that report a page's status:
        (path, status) each, in order (the entries still go to self.log)."""
        try:
            entries = self.driver.get_log("browser")
        except WebDriverException:
            return []
        self.log.extend(entries)
        out = []
        for entry in entries:
            m = re.match(r"^(\S+) - Failed to load resource: the server "
                         r"responded with a status of (\d+)",
                         entry.get("message", ""))
            if m:
                out.append((urlsplit(m.group(1)).path, int(m.group(2))))
        return out

    def title(self):
        return self.find("h1").text.strip()

    def login(self, password):
        self.get("/login")
        self.find("form#login")
        self.fill("form#login #email", self.email)
        self.fill("form#login #password", password)
        self.submit("form#login")

    def logout(self):
        self.get("/profile")
        self.submit("form#logout")


# -- the steps ---------------------------------------------------------------

def step_register(b):
    """open /register, fill it in: lands on /login with a notice"""
    b.get("/register")
    b.find("form#register")
    check(b.find("#email").get_attribute("name") == "email", "#email has name=email")
    check(b.find("#password").get_attribute("name") == "password",
          "#password has name=password")
    check(b.find("#password").get_attribute("type") == "password",
          "#password is type=password")
    b.fill("form#register #email", b.email)
    b.fill("form#register #password", b.password)
    b.submit("form#register")
    b.expect_path("/login")
    notice = b.find("#notice").text.lower()
    check("created" in notice or "registered" in notice,
          "#notice says the account was created: {!r}".format(notice))
    check(not b.has("#error"), "no #error after registering: " + b.where())


def step_login(b):
    """log in on /login: lands on /profile showing the email"""
    b.get("/login")
    b.find("form#login")
    b.fill("form#login #email", b.email)
    b.fill("form#login #password", b.password)
    b.screenshot("login.png")
    b.submit("form#login")
    b.expect_path("/profile")
    shown = b.find("#email").text.strip()
    check(shown == b.email, "#email shows {!r}, not {!r}".format(shown, b.email))
    b.find("form#logout")
    b.screenshot("profile.png")


def step_logout(b):
    """log out from /profile: lands on /login; /profile is then not logged in"""
    b.get("/profile")
    check(b.find("#email").text.strip() == b.email,
          "logged in before logging out: " + b.where())
    form = b.find("form#logout")
    check((form.get_attribute("method") or "").lower() == "post", "form#logout is POST")
    method = b.driver.find_elements(By.CSS_SELECTOR, "form#logout input[name=_method]")
    check(method and method[0].get_attribute("value").upper() == "DELETE",
          "form#logout has a hidden _method=DELETE")
    b.submit("form#logout")
    b.expect_path("/login")
    b.find("form#login")
    b.get("/profile")
    text = b.text().lower()
    login_link = [a for a in b.driver.find_elements(By.CSS_SELECTOR, "a[href]")
                  if urlsplit(a.get_attribute("href")).path == "/login"]
    check("not logged in" in text or (not b.has("#email") and login_link),
          "/profile after logout is a not-logged-in page: " + b.where())
    check(not b.has("p#email"), "no email on /profile after logout: " + b.where())
    check(b.email not in b.text(), "the email is gone after logout: " + b.where())


def step_failed_login(b):
    """wrong password: the login form again, with #error"""
    b.login("wrong-" + b.password)
    b.find("form#login")
    error = b.find("#error").text.strip().lower()
    check("wrong email or password" in error, "#error says {!r}".format(error))
    check(b.path() != "/profile", "not on /profile: " + b.where())
    b.get("/profile")
    check(not b.has("p#email"), "no session after a failed login: " + b.where())


def step_reset(b):
    """/reset_password: request a token, follow a#reset-link, set a new password"""
    b.get("/reset_password")
    b.find("form#reset-request")
    b.fill("form#reset-request #email", b.email)
    b.submit("form#reset-request")
    link = b.find("a#reset-link")
    href = link.get_attribute("href")
    parts = urlsplit(href)
    q = parse_qs(parts.query)
    check(parts.path == "/reset_password", "a#reset-link goes to /reset_password: " + href)
    check(q.get("email") == [b.email], "a#reset-link carries the email: " + href)
    token = (q.get("reset_token") or [""])[0]
    check(UUID4_RE.match(token), "a#reset-link carries a UUID4 reset_token: " + href)
    b.reset_link = href
    old = b.driver.find_element(By.TAG_NAME, "html")
    link.click()
    WebDriverWait(b.driver, WAIT).until(EC.staleness_of(old))
    form = b.find("form#reset-update")
    check((form.get_attribute("method") or "").lower() == "post", "form#reset-update is POST")
    hidden = {i.get_attribute("name"): i.get_attribute("value")
              for i in b.driver.find_elements(
                  By.CSS_SELECTOR, "form#reset-update input[type=hidden]")}
    check(hidden.get("_method", "").upper() == "PUT", "hidden _method=PUT: {}".format(hidden))
    check(hidden.get("email") == b.email, "hidden email: {}".format(hidden))
    check(hidden.get("reset_token") == token, "hidden reset_token: {}".format(hidden))
    b.fill("form#reset-update #new_password", b.new_password)
    b.submit("form#reset-update")
    b.expect_path("/login")
    notice = b.find("#notice").text.lower()
    check("password" in notice and "updated" in notice,
          "#notice says the password was updated: {!r}".format(notice))


def step_new_password(b):
    """the new password logs in, the old one fails, the reset link is used up"""
    b.login(b.new_password)
    b.expect_path("/profile")
    shown = b.find("#email").text.strip()
    check(shown == b.email, "#email shows {!r}".format(shown))
    b.logout()
    b.expect_path("/login")
    b.login(b.password)
    b.find("form#login")
    error = b.find("#error").text.strip().lower()
    check("wrong email or password" in error, "old password: #error says {!r}".format(error))
    b.get("/profile")
    check(not b.has("p#email"), "the old password made no session: " + b.where())
    # The token was consumed: the same link no longer changes the password.
    check(b.reset_link, "a reset link from the reset step")
    b.driver.get(b.reset_link)
    if b.has("form#reset-update"):
        b.fill("form#reset-update #new_password", "an0ther-pass")
        b.submit("form#reset-update")
    error = b.find("#error").text.strip().lower()
    check("invalid reset token" in error or "token" in error,
          "a used reset link is refused with #error: {!r}".format(error))
    check(b.path() != "/login" or not b.has("#notice"),
          "a used reset link does not update the password: " + b.where())


def step_page_checks(b):
    """no JavaScript errors; CSP and Content-Type on the pages; JSON clients unaffected"""
    for path in ("/login", "/register", "/reset_password", "/profile", "/account"):
        b.get(path)
        b.find("body")
        b.gather_log()
    problems = []
    for entry in b.log:
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        # Chromium logs every page answered with a 4xx (a failed login is
        # 401, /profile without a session 403) and its own /favicon.ico
        # request (404): those are the app's statuses, not page errors.
        # Anything else (a script error, a CSP violation, a subresource that
        # failed to load) counts.
        if entry.get("source") == "network":
            url = message.split(" ", 1)[0]
            if urlsplit(url).path.rstrip("/") in APP_PATHS:
                continue
        if message not in problems:
            problems.append(message)
    check(not problems, "{} browser log error(s), the first: {}".format(
        len(problems), problems[:5]))

    html = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for path in ("/login", "/register", "/reset_password"):
        r = requests.get(b.url(path), headers=html, timeout=HTTP_TIMEOUT,
                         allow_redirects=False)
        check(r.status_code == 200, "GET {} (HTML): status {}".format(path, r.status_code))
        ctype = r.headers.get("Content-Type", "")
        check(ctype.startswith("text/html"), "GET {}: Content-Type {!r}".format(path, ctype))
        csp = r.headers.get("Content-Security-Policy")
        check(csp, "GET {}: a Content-Security-Policy header".format(path))
        for directive in ("default-src 'none'", "form-action 'self'",
                          "frame-ancestors 'none'"):
            check(directive in csp, "GET {}: CSP {!r} has {}".format(path, csp, directive))

    r = requests.get(b.url("/"), timeout=HTTP_TIMEOUT)
    check(r.status_code == 200, "GET / (requests): status {}".format(r.status_code))
    check(r.headers.get("Content-Type") == "application/json",
          "GET / (requests): Content-Type {!r}".format(r.headers.get("Content-Type")))
    check(r.json() == {"message": "Bienvenue"}, "GET / (requests): {!r}".format(r.text))
    r = requests.get(b.url("/profile"), timeout=HTTP_TIMEOUT)
    check(r.status_code == 403, "GET /profile (requests): status {}".format(r.status_code))
    check(r.headers.get("Content-Type") == "application/json",
          "GET /profile (requests): Content-Type {!r}".format(r.headers.get("Content-Type")))


def session_items(b):
    """The account page's sessions: (its id, is it this one) each."""
    out = []
    for li in b.driver.find_elements(By.CSS_SELECTOR, "#sessions li.session"):
        sid = (li.get_attribute("id") or "")[len("session-"):]
        out.append((sid, len(li.find_elements(By.CSS_SELECTOR, ".current")) == 1))
    return out


def step_account_sessions(b):
    """the account page, from the profile: end a session of a second browser"""
    b.login(b.new_password)
    b.expect_path("/profile")
    second = Browser(b.base, b.shots, email=b.email)
    try:
        second.login(b.new_password)
        second.expect_path("/profile")
        old = b.driver.find_element(By.TAG_NAME, "html")
        b.find("a#account-link").click()
        WebDriverWait(b.driver, WAIT).until(EC.staleness_of(old))
        b.expect_path("/account")
        check(b.find("#email").text.strip() == b.email,
              "the account page shows the email: " + b.where())
        for form in ("form#password-change", "form#email-change", "form#account-delete"):
            f = b.find(form)
            check((f.get_attribute("method") or "").lower() == "post", form + " is POST")
        items = session_items(b)
        check(len(items) == 2, "two sessions listed: {} on {}".format(items, b.where()))
        check(sum(1 for _, cur in items if cur) == 1, "one is this session: {}".format(items))
        check(all(re.match(r"^[0-9a-f]{32}$", i) for i, _ in items),
              "public ids of 32 hex digits: {}".format(items))
        other = [i for i, cur in items if not cur][0]
        html = b.driver.page_source
        for c in b.driver.get_cookies() + second.driver.get_cookies():
            if c["name"] == "session_id":
                check(c["value"] not in html, "no session id in the page")
        b.screenshot("account.png")
        b.press("#end-" + other)
        b.expect_path("/account")
        check("ended" in b.find("#notice").text.lower(),
              "#notice says the session ended: " + b.where())
        items = session_items(b)
        check(len(items) == 1 and items[0][1],
              "only this session is left: {}".format(items))
        second.get("/profile")
        check(not second.has("p#email"),
              "the second browser is logged out: " + second.where())
        b.get("/profile")
        check(b.find("#email").text.strip() == b.email, "this browser still is")
    finally:
        second.quit()


def step_account_password(b):
    """the account page: change the password; the new one logs in"""
    b.get("/account")
    b.find("form#password-change")
    b.fill("form#password-change #current_password", "wrong-" + b.new_password)
    b.fill("form#password-change #new_password", "an0ther-pass")
    b.press("#password-submit")
    error = b.find("#error").text.strip().lower()
    check("wrong password" in error, "a wrong current password: #error says {!r}".format(error))
    b.find("form#password-change")
    b.fill("form#password-change #current_password", b.new_password)
    b.fill("form#password-change #new_password", "an0ther-pass")
    b.press("#password-submit")
    b.expect_path("/account")
    notice = b.find("#notice").text.lower()
    check("password" in notice and "changed" in notice,
          "#notice says the password changed: {!r}".format(notice))
    b.logout()
    b.login(b.new_password)
    b.find("form#login")
    check("wrong email or password" in b.find("#error").text.lower(),
          "the old password fails: " + b.where())
    b.login("an0ther-pass")
    b.expect_path("/profile")
    b.new_password = "an0ther-pass"


# -- the second factor --------------------------------------------------------

def totp(secret, at=None):
    """The code of secret at time at (now by default), from oathtool."""
    cmd = [OATHTOOL, "--totp", "-b"]
    if at is not None:
        cmd += ["-N", "@{}".format(int(at))]
    try:
        r = subprocess.run(cmd + [secret], capture_output=True, text=True,
                           timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Failure("oathtool: {}".format(e))
    code = r.stdout.strip()
    check(r.returncode == 0 and re.match(r"^[0-9]{6}$", code),
          "oathtool --totp -b {}: {!r} {!r}".format(secret, code, r.stderr.strip()))
    return code


def fresh_code(b):
    """A code to type now: in a time step after the last one used (one
    code works once per step), and not within TOTP_MARGIN seconds of its
    end. Waits for that (at most a step and the margin); notes the step."""
    deadline = time.time() + TOTP_PERIOD + TOTP_MARGIN + 2
    while True:
        now = time.time()
        step, into = divmod(now, TOTP_PERIOD)
        step = int(step)
        if ((b.totp_step is None or step > b.totp_step) and
                TOTP_MARGIN <= into <= TOTP_PERIOD - TOTP_MARGIN):
            break
        check(now < deadline, "no usable time step in time")
        if b.totp_step is not None and step <= b.totp_step:
            wait = (b.totp_step + 1) * TOTP_PERIOD + TOTP_MARGIN - now
        elif into < TOTP_MARGIN:
            wait = TOTP_MARGIN - into
        else:
            wait = TOTP_PERIOD - into + TOTP_MARGIN
        time.sleep(max(0.05, min(wait, deadline - now)))
    b.totp_step = step
    return totp(b.totp_secret, now)


def wrong_code(b):
    """Six digits that no step around now accepts."""
    codes = {totp(b.totp_secret, time.time() + d * TOTP_PERIOD)
             for d in (-2, -1, 0, 1, 2)}
    n = 123456
    while "{:06d}".format(n) in codes:
        n = (n + 111111) % 1000000
    return "{:06d}".format(n)


def login_password(b, password):
    """Log in with the password of an account with the factor: the page
    that asks for the code."""
    b.login(password)
    check(b.title() == "Your one-time code",
          "after the password, the code page: " + b.where())
    b.find("form#login-code")
    pending = b.driver.find_elements(
        By.CSS_SELECTOR, "form#login-code input[type=hidden][name=pending]")
    check(pending and pending[0].get_attribute("value"),
          "form#login-code carries a hidden pending: " + b.where())
    b.find("form#login-recovery #recovery_code")
    b.find("form#login-recovery #recovery-submit")
    check(not session_cookie(b), "no session before the code")


def session_cookie(b):
    """The browser's session cookie (None: none)."""
    for c in b.driver.get_cookies():
        if c["name"] == "session_id" and c.get("value"):
            return c["value"]
    return None


def step_totp_enrol(b):
    """account page: set up the second factor (QR, key, a wrong code, a right one, 10 recovery codes)"""
    b.get("/account")
    b.find("form#password-change")
    for css in ("#factor-on", "form#recovery-renew", "form#totp-disable",
                "#password_code", "#email_code", "#delete_code"):
        check(not b.has(css), "factor off: no {} on {}".format(css, b.where()))
    b.statuses()
    form = b.find("form#totp-begin")
    check((form.get_attribute("method") or "").lower() == "post", "form#totp-begin is POST")
    check(urlsplit(form.get_attribute("action")).path == "/totp",
          "form#totp-begin posts to /totp: " + form.get_attribute("action"))
    pw = b.find("form#totp-begin #totp_password")
    check(pw.get_attribute("type") == "password", "#totp_password is type=password")
    b.fill("form#totp-begin #totp_password", b.new_password)
    b.press("#totp-begin-submit")
    check(b.title() == "Set up a second factor", "the set-up page: " + b.where())
    svg = b.driver.find_elements(By.CSS_SELECTOR, "figure#totp-qr svg")
    check(svg, "an inline SVG in figure#totp-qr: " + b.where())
    check(svg[0].size["width"] > 50 and svg[0].size["height"] > 50,
          "the QR code is drawn: {}".format(svg[0].size))
    secret = b.find("code#totp-secret").text.strip().replace(" ", "")
    check(re.match(r"^[A-Z2-7]{16,}=*$", secret), "a base32 key: {!r}".format(secret))
    b.totp_secret = secret
    form = b.find("form#totp-confirm")
    method = b.driver.find_elements(By.CSS_SELECTOR,
                                    "form#totp-confirm input[name=_method]")
    check(method and method[0].get_attribute("value").upper() == "PUT",
          "form#totp-confirm has a hidden _method=PUT")
    b.screenshot("totp_setup.png")

    # A wrong code: the set-up page again, with the error, 401.
    b.statuses()
    b.fill("form#totp-confirm #code", wrong_code(b))
    b.press("#totp-submit")
    check(b.title() == "Set up a second factor",
          "a wrong code: the set-up page again: " + b.where())
    check(b.has("#error"), "a wrong code: #error: " + b.where())
    check(("/totp", 401) in b.statuses(), "a wrong code: 401")
    again = b.find("code#totp-secret").text.strip().replace(" ", "")
    check(again == secret, "the same key: {!r}, not {!r}".format(again, secret))
    check(b.has("figure#totp-qr svg"), "the QR code again")

    # The right code: the recovery codes, once.
    b.fill("form#totp-confirm #code", fresh_code(b))
    b.press("#totp-submit")
    check(b.title() == "Your recovery codes", "the recovery codes page: " + b.where())
    codes = [c.strip() for c in b.find("pre#recovery-codes").text.splitlines()
             if c.strip()]
    check(len(codes) == 10, "10 recovery codes: {}".format(codes))
    check(len(set(codes)) == 10, "10 different codes: {}".format(codes))
    b.recovery_codes = codes

    b.get("/account")
    b.find("p#factor-on")
    check(b.find("#codes-left").text.strip() == "10",
          "10 codes left: " + b.find("#codes-left").text)
    check(not b.has("form#totp-begin"), "no set-up form when on")
    for css in ("form#recovery-renew #renew_password", "form#recovery-renew #renew_code",
                "form#recovery-renew #renew-submit", "form#totp-disable #disable_password",
                "form#totp-disable #disable_code", "form#totp-disable #disable_recovery",
                "form#totp-disable #disable-submit", "form#password-change #password_code",
                "form#email-change #email_code", "form#account-delete #delete_code"):
        b.find(css)


def step_totp_login_code(b):
    """log out; log in with the password then a code (a wrong one refused first): /profile"""
    check(b.totp_secret, "a key from the set-up step")
    b.logout()
    b.expect_path("/login")
    login_password(b, b.new_password)
    b.statuses()
    b.fill("form#login-code #code", wrong_code(b))
    b.submit("form#login-code")
    check(b.title() == "Your one-time code", "a wrong code: the code page again: " + b.where())
    check(b.has("#error"), "a wrong code: #error: " + b.where())
    check(("/sessions", 401) in b.statuses(), "a wrong code: 401")
    check(not session_cookie(b), "a wrong code makes no session")
    # The right code, on the page shown again.
    b.fill("form#login-code #code", fresh_code(b))
    b.submit("form#login-code")
    b.expect_path("/profile")
    check(b.find("#email").text.strip() == b.email, "logged in: " + b.where())


def step_totp_login_recovery(b):
    """log out; log in with the password then a recovery code: the account page, 9 left"""
    check(len(b.recovery_codes) == 10, "recovery codes from the set-up step")
    b.logout()
    b.expect_path("/login")
    login_password(b, b.new_password)
    code = b.recovery_codes[3]
    b.fill("form#login-recovery #recovery_code", code)
    b.press("form#login-recovery #recovery-submit")
    b.expect_path("/account")
    notice = b.find("#notice").text.lower()
    check("recovery code" in notice and "spent" in notice,
          "#notice says the recovery code is spent: {!r}".format(notice))
    check(b.find("#email").text.strip() == b.email, "logged in: " + b.where())
    left = b.find("#codes-left").text.strip()
    check(left == "9", "9 codes left: {!r}".format(left))
    b.spent_recovery = code


def step_totp_recovery_again(b):
    """log out; the same recovery code again is refused"""
    check(b.spent_recovery, "a spent recovery code from the step before")
    b.logout()
    b.expect_path("/login")
    login_password(b, b.new_password)
    b.statuses()
    b.fill("form#login-recovery #recovery_code", b.spent_recovery)
    b.press("form#login-recovery #recovery-submit")
    check(b.path() != "/account" and b.path() != "/profile",
          "a spent recovery code does not log in: " + b.where())
    check(b.has("#error"), "a spent recovery code: #error: " + b.where())
    check(b.title() == "Your one-time code", "the code page again: " + b.where())
    check(("/sessions", 401) in b.statuses(), "a spent recovery code: 401")
    b.get("/profile")
    check(not b.has("p#email"), "no session: " + b.where())


def step_totp_json(b):
    """a JSON client: the password alone is 401, "one-time code required" """
    r = requests.post(b.url("/sessions"), data={"email": b.email, "password": b.new_password},
                      timeout=HTTP_TIMEOUT, allow_redirects=False)
    check(r.status_code == 401, "POST /sessions without code: status {} {!r}".format(
        r.status_code, r.text))
    check(r.headers.get("Content-Type") == "application/json",
          "Content-Type {!r}".format(r.headers.get("Content-Type")))
    check(r.json() == {"message": "one-time code required"}, "body {!r}".format(r.text))
    check("session_id" not in r.cookies, "no session cookie: {}".format(r.cookies))
    r = requests.post(b.url("/sessions"), data={"email": b.email, "password": b.new_password,
                                                "code": wrong_code(b)},
                      timeout=HTTP_TIMEOUT, allow_redirects=False)
    check(r.status_code == 401, "POST /sessions with a wrong code: status {} {!r}".format(
        r.status_code, r.text))
    check("session_id" not in r.cookies, "a wrong code: no session cookie")


STEPS = [
    ("register", step_register),
    ("log in", step_login),
    ("log out", step_logout),
    ("failed login", step_failed_login),
    ("password reset", step_reset),
    ("log in with the new password", step_new_password),
    ("account page: end another browser's session", step_account_sessions),
    ("account page: change the password", step_account_password),
    ("second factor: set up from the account page", step_totp_enrol),
    ("second factor: log in with a code", step_totp_login_code),
    ("second factor: log in with a recovery code", step_totp_login_recovery),
    ("second factor: a spent recovery code refused", step_totp_recovery_again),
    ("second factor: JSON log-in without a code", step_totp_json),
    ("page checks (JS log, CSP, JSON)", step_page_checks),
]


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # runs the finally: the driver quits


def main():
    if len(sys.argv) != 3:
        print("usage: test_browser.py BASE_URL SCREENSHOT_DIR", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    base, shots = sys.argv[1], sys.argv[2]
    passed = failed = 0
    b = None
    try:
        start = time.monotonic()
        b = Browser(base, shots)
        print("browser started in {:.1f} s ({})".format(
            time.monotonic() - start, b.driver.capabilities.get("browserVersion", "?")),
            flush=True)
        for name, step in STEPS:
            t = time.monotonic()
            try:
                step(b)
            except Failure as e:
                failed += 1
                print("FAIL: {}: {}".format(name, e), flush=True)
            except Exception as e:  # a driver error, a timeout, ...
                failed += 1
                print("FAIL: {}: {}: {}".format(name, type(e).__name__,
                                                str(e).strip().splitlines()[0] if str(e).strip() else ""),
                      flush=True)
                traceback.print_exc(limit=3, file=sys.stdout)
            else:
                passed += 1
                print("ok: {} ({:.1f} s)".format(name, time.monotonic() - t), flush=True)
            b.gather_log()
    except Exception as e:
        failed += 1
        print("FAIL: browser: {}: {}".format(type(e).__name__, e), flush=True)
    finally:
        if b is not None:
            b.quit()
    print("{} passed, {} failed".format(passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
