#!/usr/bin/python3
"""conc_client.py: concurrent clients for tests/robust/concurrency.sh.

Every sub-command prints lines that the shell script turns into checks:
    PASS <name>
    FAIL <name>: <why>
    INFO <text>
and exits 0 (a failed check is a FAIL line, not an exit status; an
exception is exit 2).

    same-email URL EMAIL N            N simultaneous registrations of EMAIL
    distinct URL N CONC PREFIX        N registrations over CONC connections
    race URL DB SECONDS MAXREQ WORKERS   logins, logouts, profiles, resets
                                      racing on one account, then checks
    race-rehash CGI DIR               login rehashing an old bcrypt hash vs
                                      a concurrent password reset (direct CGI)
    race-session CGI DIR              slow login vs a concurrent password
                                      reset, same hash config (direct CGI)

Requests go over a fresh HTTP/1.1 connection each (http.client), so that
no keep-alive connection closed by the server can make a retry necessary
or a request ambiguous. A URL may be several, comma-separated (hosts that
serve one database): requests then take turns among them.

DB is a SQLite file or a PostgreSQL URI (read with psql). With
CONC_PG_CLUSTER set (the directory of scripts/pg-cluster.sh's cluster),
the direct CGI races run each attempt on a new database of that cluster
instead of a new file in DIR; AUTHCGI_SECRET_KEY_FILE, when set, reaches
the CGI.
"""
import collections
import hashlib
import http.client
import itertools
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

UUID4 = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}'
                   r'-[0-9a-f]{12}$')
REQ_TIMEOUT = 30.0


def out(kind, name, why=None):
    if why is None:
        print('%s %s' % (kind, name), flush=True)
    else:
        print('%s %s: %s' % (kind, name, why), flush=True)


def check(name, cond, why=''):
    out('PASS' if cond else 'FAIL', name, None if cond else why)
    return cond


def info(text):
    print('INFO ' + text, flush=True)


class Resp:
    def __init__(self, status, headers, body, t0, t1, error=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.t0 = t0
        self.t1 = t1
        self.error = error

    def json(self):
        try:
            return json.loads(self.body.decode('utf-8'))
        except Exception:
            return None

    def sid(self):
        for k, v in self.headers:
            if k.lower() == 'set-cookie' and v.startswith('session_id='):
                return v[len('session_id='):].split(';', 1)[0]
        return None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


TURN = itertools.count()


def request(url, method, path, fields=None, sid=None):
    """One request on a fresh connection; never raises (status None then).
    Of several URLs (comma-separated), each request takes the next."""
    urls = url.split(',')
    u = urllib.parse.urlsplit(urls[next(TURN) % len(urls)])
    headers = {'Connection': 'close'}
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
    if sid is not None:
        headers['Cookie'] = 'session_id=' + sid
    t0 = time.monotonic()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=REQ_TIMEOUT)
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        t1 = time.monotonic()
        return Resp(r.status, r.getheaders(), data, t0, t1)
    except Exception as e:  # timeouts, resets: reported as no status
        return Resp(None, [], b'', t0, time.monotonic(), repr(e))
    finally:
        c.close()


def status_key(r):
    return str(r.status) if r.status is not None else 'error'


def is_json_ct(r):
    return r.header('Content-Type') == 'application/json'


def pct(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


# ------------------------------------------------------------ database

def is_pg(db):
    return db.startswith(('postgresql://', 'postgres://'))


class PsqlCursor:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows


class Psql:
    """Reads of a PostgreSQL database through psql, shaped as sqlite3's:
    ? parameters, rows of tuples (integers as int, bytea as bytes)."""

    def __init__(self, uri):
        self.uri = uri

    @staticmethod
    def literal(v):
        if isinstance(v, int):
            return str(v)
        if isinstance(v, bytes):
            return "'\\x%s'::bytea" % v.hex()
        return "'%s'" % str(v).replace("'", "''")

    @staticmethod
    def value(f):
        if re.fullmatch(r'-?[0-9]+', f):
            return int(f)
        if f.startswith('\\x'):
            return bytes.fromhex(f[2:])
        return f

    def execute(self, sql, params=()):
        if sql.startswith('PRAGMA integrity_check'):
            # What SQLite's check would see broken here: rows of an
            # account that is not there.
            n = self.execute(
                'SELECT (SELECT count(*) FROM sessions s WHERE NOT EXISTS'
                ' (SELECT 1 FROM users u WHERE u.id = s.user_id)) +'
                ' (SELECT count(*) FROM reset_tokens r WHERE NOT EXISTS'
                ' (SELECT 1 FROM users u WHERE u.id = r.user_id))'
            ).fetchone()[0]
            return PsqlCursor([('ok',)] if n == 0 else
                              [('%d orphan rows' % n,)])
        parts = sql.split('?')
        q = parts[0]
        for p, rest in zip(params, parts[1:]):
            q += self.literal(p) + rest
        o = subprocess.run(['psql', '-X', '-q', '-A', '-t', '-F', '\t',
                            '-v', 'ON_ERROR_STOP=1', '-d', self.uri,
                            '-c', q], capture_output=True, check=True,
                           text=True)
        return PsqlCursor([tuple(self.value(f) for f in line.split('\t'))
                           for line in o.stdout.splitlines()])

    def close(self):
        pass


def connect(db):
    """A read-only connection to the database under test."""
    if is_pg(db):
        return Psql(db)
    return sqlite3.connect('file:%s?mode=ro' % db, uri=True, timeout=10)


def fresh_db(d, name):
    """Where a direct CGI race attempt keeps its data: a new file in d, or
    a new database of the cluster CONC_PG_CLUSTER names."""
    cluster = os.environ.get('CONC_PG_CLUSTER')
    if not cluster:
        return os.path.join(d, name + '.db')
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        '..', '..', 'scripts', 'pg-cluster.sh')
    subprocess.run([tool, 'createdb', cluster, name], check=True,
                   capture_output=True)
    return subprocess.run([tool, 'uri', cluster, name], check=True,
                          capture_output=True, text=True).stdout.strip()


# ------------------------------------------------------------ same-email

def cmd_same_email(url, email, n):
    n = int(n)
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        results[i] = request(url, 'POST', '/users',
                             {'email': email, 'password': 'pw-same-%d' % i})

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    el = time.monotonic() - t0
    counts = collections.Counter(status_key(r) for r in results if r)
    info('same email: %d requests in %.2f s, statuses %s' %
         (n, el, dict(sorted(counts.items()))))
    ok200 = [r for r in results if r and r.status == 200]
    r400 = [r for r in results if r and r.status == 400]
    check('same email: exactly one 200', len(ok200) == 1,
          'got %d' % len(ok200))
    check('same email: %d x 400' % (n - 1), len(r400) == n - 1,
          'got %d' % len(r400))
    fivexx = [r for r in results if r is None or r.status is None or
              r.status >= 500]
    check('same email: no 5xx or transport error', not fivexx,
          '; '.join('%s %r' % (status_key(r), r.body[:100] or r.error)
                    for r in fivexx[:5] if r))
    bad = [r for r in r400 if (r.json() or {}).get('message') !=
           'email already registered']
    check('same email: every 400 says "email already registered"', not bad,
          '; '.join(repr(r.body[:100]) for r in bad[:3]))
    bad = [r for r in ok200 if r.json() != {'email': email,
                                             'message': 'user created'}]
    check('same email: the 200 body', not bad,
          '; '.join(repr(r.body[:100]) for r in bad[:3]))
    bad = [r for r in results if r and r.status is not None and
           not is_json_ct(r)]
    check('same email: Content-Type application/json', not bad,
          '%d answers without it' % len(bad))
    # Which password won: print it for the shell to log in with.
    if len(ok200) == 1:
        i = results.index(ok200[0])
        info('winner password pw-same-%d' % i)
        print('WINNER pw-same-%d' % i, flush=True)


# ------------------------------------------------------------ distinct

def cmd_distinct(url, n, conc, prefix):
    n, conc = int(n), int(conc)
    lock = threading.Lock()
    nxt = [0]
    results = []

    def worker():
        while True:
            with lock:
                i = nxt[0]
                if i >= n:
                    return
                nxt[0] += 1
            email = '%s-%d@example.com' % (prefix, i)
            r = request(url, 'POST', '/users',
                        {'email': email, 'password': 'pw-%d-load' % i})
            r.email = email
            with lock:
                results.append(r)

    ts = [threading.Thread(target=worker) for _ in range(conc)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(600)
    el = time.monotonic() - t0
    counts = collections.Counter(status_key(r) for r in results)
    lat = [r.t1 - r.t0 for r in results]
    info('distinct: %d registrations over %d connections in %.2f s = '
         '%.1f req/s; latency p50 %.0f ms, p95 %.0f ms, max %.0f ms; '
         'statuses %s' % (n, conc, el, n / el if el else 0,
                          1000 * pct(lat, 50), 1000 * pct(lat, 95),
                          1000 * max(lat or [0]),
                          dict(sorted(counts.items()))))
    print('FIGURE distinct_seconds %.2f' % el)
    print('FIGURE distinct_rps %.1f' % (n / el if el else 0))
    check('distinct: %d answers' % n, len(results) == n,
          'got %d' % len(results))
    bad = [r for r in results if r.status != 200]
    check('distinct: all 200', not bad,
          '%d not 200, e.g. %s' % (len(bad), '; '.join(
              '%s %s %r' % (r.email, status_key(r), r.body[:80] or r.error)
              for r in bad[:5])))
    bad5 = [r for r in results if r.status is None or r.status >= 500]
    check('distinct: no 5xx or transport error', not bad5,
          '%d, e.g. %s' % (len(bad5), '; '.join(
              '%s %r' % (status_key(r), r.body[:80] or r.error)
              for r in bad5[:5])))
    bad = [r for r in results if r.status == 200 and
           r.json() != {'email': r.email, 'message': 'user created'}]
    check('distinct: 200 bodies name the account', not bad,
          '; '.join(repr(r.body[:100]) for r in bad[:3]))
    # A few of them log in.
    sample = random.Random(1).sample(range(n), min(10, n))
    bad = []
    for i in sample:
        r = request(url, 'POST', '/sessions',
                    {'email': '%s-%d@example.com' % (prefix, i),
                     'password': 'pw-%d-load' % i})
        if r.status != 200:
            bad.append('%d: %s' % (i, status_key(r)))
    check('distinct: 10 sampled accounts log in', not bad, ', '.join(bad))


# ------------------------------------------------------------ race

def digest(token):
    return hashlib.sha256(token.encode()).digest()


def cmd_race(url, db, seconds, maxreq, workers):
    seconds, maxreq, workers = float(seconds), int(maxreq), int(workers)
    email = 'race@example.com'
    p0 = 'orig-pw-0'
    bystander = 'bystander@example.com'
    r = request(url, 'POST', '/users', {'email': email, 'password': p0})
    if not check('race: register the account', r.status == 200,
                 '%s %r' % (status_key(r), r.body[:100])):
        return
    request(url, 'POST', '/users', {'email': bystander, 'password': p0})
    rb = request(url, 'POST', '/sessions', {'email': bystander,
                                            'password': p0})
    b_sid = rb.sid()
    if not check('race: bystander logs in', rb.status == 200 and b_sid,
                 status_key(rb)):
        return

    con = connect(db)
    try:
        users_before = con.execute('SELECT count(*) FROM users').fetchone()[0]
        others_before = sorted(con.execute(
            'SELECT token_hash, user_id FROM sessions WHERE user_id NOT IN'
            ' (SELECT id FROM users WHERE email IN (?, ?))',
            (email, bystander)).fetchall())
    finally:
        con.close()

    lock = threading.Lock()
    state = {
        'n': 0,
        'passwords': [p0],      # passwords set by a 200 PUT, in answer order
        'sids': [],             # session ids from 200 logins
        'tokens': [],           # tokens from 200 reset requests
    }
    records = []                # (op, Resp, args dict)
    deadline = time.monotonic() + seconds
    t_start = time.monotonic()

    def pick_recent(lst, rng, recent=0.7):
        if not lst:
            return None
        if rng.random() < recent:
            return lst[-1 - rng.randrange(min(3, len(lst)))]
        return rng.choice(lst)

    def reset_update(tok, newpw):
        """PUT /reset_password with tok; records a password that took."""
        r = request(url, 'PUT', '/reset_password',
                    {'email': email, 'reset_token': tok,
                     'new_password': newpw})
        if r.status == 200:
            with lock:
                state['passwords'].append(newpw)
        return r, {'token': tok, 'password': newpw}

    def worker(w):
        rng = random.Random(1000 + w)
        k = 0
        while time.monotonic() < deadline:
            with lock:
                if state['n'] >= maxreq:
                    return
                state['n'] += 1
                pw = pick_recent(state['passwords'], rng)
                sid = pick_recent(state['sids'], rng)
                tok = pick_recent(state['tokens'], rng, 0.8)
            k += 1
            x = rng.random()
            if x < 0.35:
                a = {'password': pw}
                r = request(url, 'POST', '/sessions',
                            {'email': email, 'password': pw})
                op = 'login'
                if r.status == 200 and r.sid():
                    a['sid'] = r.sid()
                    with lock:
                        state['sids'].append(a['sid'])
            elif x < 0.70:
                if sid is None or rng.random() < 0.05:
                    sid = '00000000-0000-4000-8000-%012d' % rng.randrange(
                        10 ** 12)
                a = {'sid': sid}
                r = request(url, 'GET', '/profile', sid=sid)
                op = 'profile'
            elif x < 0.88:
                if sid is None:
                    sid = '00000000-0000-4000-8000-000000000000'
                a = {'sid': sid}
                r = request(url, 'DELETE', '/sessions', sid=sid)
                op = 'logout'
            elif x < 0.94:
                # A reset request, then (mostly) at once the update with
                # the token it gave, as a client does.
                a = {}
                r = request(url, 'POST', '/reset_password', {'email': email})
                op = 'reset_request'
                j = r.json() or {}
                if r.status == 200 and isinstance(j.get('reset_token'), str):
                    a['token'] = j['reset_token']
                    with lock:
                        state['tokens'].append(a['token'])
                if a.get('token') and x < 0.935:
                    with lock:
                        records.append((op, r, a))
                    r, a = reset_update(a['token'], 'new-pw-%d-%d' % (w, k))
                    op = 'reset_update'
            else:
                # An update with a recent token, maybe spent or replaced,
                # maybe raced by its own owner: used at most once.
                if tok is None:
                    tok = '00000000-0000-4000-8000-000000000000'
                r, a = reset_update(tok, 'new-pw-%d-%d' % (w, k))
                op = 'reset_update'
            with lock:
                records.append((op, r, a))

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 120)
    elapsed = time.monotonic() - t_start
    t_end = time.monotonic()

    # ---- figures
    per = collections.defaultdict(collections.Counter)
    for op, r, a in records:
        per[op][status_key(r)] += 1
    info('race: %d requests by %d workers in %.1f s (%.1f req/s)' %
         (len(records), workers, elapsed, len(records) / elapsed))
    for op in ('login', 'profile', 'logout', 'reset_request',
               'reset_update'):
        info('race: %-14s %s' % (op, dict(sorted(per[op].items()))))
    lat = collections.defaultdict(list)
    for op, r, a in records:
        lat[op].append(r.t1 - r.t0)
    info('race: latency max per op (ms): %s' % ', '.join(
        '%s %.0f' % (op, 1000 * max(v)) for op, v in sorted(lat.items())))
    print('FIGURE race_requests %d' % len(records))

    # ---- every answer is one the contract allows
    allowed = {
        'login': {200, 401},
        'profile': {200, 403},
        'logout': {302, 403},
        'reset_request': {200},
        'reset_update': {200, 403},
    }
    bad = [(op, r) for op, r, a in records if r.status not in allowed[op]]
    check('race: every status allowed for its request (no 5xx)', not bad,
          '%d unexpected, e.g. %s' % (len(bad), '; '.join(
              '%s -> %s %r' % (op, status_key(r), r.body[:80] or r.error)
              for op, r in bad[:6])))
    bad = [(op, r) for op, r, a in records if r.status is not None and
           not is_json_ct(r)]
    check('race: every answer is application/json', not bad,
          '%d without it' % len(bad))
    bad = []
    for op, r, a in records:
        j = r.json()
        if not isinstance(j, dict):
            bad.append((op, r, 'not a JSON object'))
        elif r.status == 200 and op == 'login' and (
                j.get('email') != email or not a.get('sid') or
                not UUID4.match(a['sid'])):
            bad.append((op, r, 'login 200 without email or UUID4 cookie'))
        elif r.status == 200 and op == 'profile' and j != {'email': email}:
            bad.append((op, r, 'profile of another account'))
        elif r.status == 200 and op == 'reset_request' and not UUID4.match(
                str(j.get('reset_token', ''))):
            bad.append((op, r, 'no UUID4 reset_token'))
        elif r.status == 200 and op == 'reset_update' and j.get(
                'message') != 'Password updated':
            bad.append((op, r, 'wrong message'))
        elif r.status != 200 and r.status is not None and not j.get(
                'message'):
            bad.append((op, r, 'error without message'))
        elif r.status == 401 and r.sid():
            bad.append((op, r, '401 sets a session cookie'))
    check('race: bodies match the contract', not bad, '; '.join(
        '%s %s: %s %r' % (op, status_key(r), why, r.body[:80])
        for op, r, why in bad[:5]))

    # ---- a reset token works at most once
    puts = [(r, a) for op, r, a in records
            if op == 'reset_update' and r.status == 200]
    used = collections.Counter(a['token'] for r, a in puts)
    twice = [t for t, c in used.items() if c > 1]
    info('race: %d successful password changes, %d distinct tokens, '
         '%d tokens issued' % (len(puts), len(used),
                               sum(1 for op, r, a in records
                                   if op == 'reset_request' and
                                   r.status == 200)))
    check('race: no reset token used twice', not twice,
          '%d tokens each got more than one 200 PUT' % len(twice))
    issued = {a.get('token') for op, r, a in records
              if op == 'reset_request' and r.status == 200}
    bad = [a['token'] for r, a in puts if a['token'] not in issued]
    check('race: every 200 PUT used an issued token', not bad,
          '%d did not' % len(bad))

    # ---- linearizability of password changes and sessions
    # setter[p] = the 200 PUT that set password p (None for the original).
    setter = {p0: None}
    for r, a in puts:
        setter[a['password']] = r

    def surely_after(y, x):
        """PUT y surely took effect after the one that set x's password."""
        return x is None or y.t0 > x.t1

    def superseded(p, t_obs):
        """A 200 PUT set another password than p, surely after p was set
        and surely before t_obs: p was no longer the password at t_obs."""
        x = setter.get(p)
        for y, a in puts:
            if a['password'] != p and surely_after(y, x) and y.t1 < t_obs:
                return y
        return None

    logins = {a['sid']: (r, a) for op, r, a in records
              if op == 'login' and r.status == 200 and a.get('sid')}
    # A 200 login with a password already replaced before it was sent.
    stale = []
    for sid, (r, a) in logins.items():
        y = superseded(a['password'], r.t0)
        if y is not None:
            stale.append((r, a, y))
    check('race: no login succeeds with a password replaced before it',
          not stale, '%d, e.g. login %.3f-%.3f with %s after a PUT '
          'answered at %.3f' % ((len(stale),) + (
              (stale[0][0].t0 - t_start, stale[0][0].t1 - t_start,
               stale[0][1]['password'], stale[0][2].t1 - t_start)
              if stale else (0, 0, '', 0))))

    # Observations that a session was alive: profile 200, logout 302.
    # Alive after a reset that surely came after its password was set means
    # it survived "resetting a password ends every session".
    survivors = []
    for op, r, a in records:
        if op in ('profile', 'logout') and r.status in (200, 302):
            lr = logins.get(a['sid'])
            if lr is None:
                continue
            y = superseded(lr[1]['password'], r.t0)
            if y is not None:
                survivors.append((op, r, lr, y))
    check('race: no session is used after a later password change',
          not survivors, '%d uses, e.g. %s' % (len(survivors), '; '.join(
              '%s %s at %.3f of a login %.3f-%.3f with %s, superseded by a '
              'PUT %.3f-%.3f' % (op, r.status, r.t0 - t_start,
                                 lr[0].t0 - t_start, lr[0].t1 - t_start,
                                 lr[1]['password'], y.t0 - t_start,
                                 y.t1 - t_start)
              for op, r, lr, y in survivors[:3])))
    # A session logged out (302) is never seen alive afterwards.
    lo = {}
    for op, r, a in records:
        if op == 'logout' and r.status == 302:
            lo[a['sid']] = min(lo.get(a['sid'], r.t1), r.t1)
    bad = [(op, r) for op, r, a in records
           if op in ('profile', 'logout') and r.status in (200, 302) and
           a['sid'] in lo and r.t0 > lo[a['sid']]]
    check('race: a logged-out session stays dead', not bad,
          '%d uses after a 302 logout' % len(bad))

    # ---- the final state, from the database
    con = connect(db)
    try:
        integ = con.execute('PRAGMA integrity_check').fetchall()
        uid = con.execute('SELECT id FROM users WHERE email = ?',
                          (email,)).fetchone()[0]
        bid = con.execute('SELECT id FROM users WHERE email = ?',
                          (bystander,)).fetchone()[0]
        nusers = con.execute('SELECT count(*) FROM users').fetchone()[0]
        rows = con.execute('SELECT token_hash, user_id FROM sessions'
                           ).fetchall()
        others_after = sorted(con.execute(
            'SELECT token_hash, user_id FROM sessions WHERE user_id NOT IN'
            ' (?, ?)', (uid, bid)).fetchall())
        nreset = con.execute('SELECT count(*) FROM reset_tokens'
                             ).fetchone()[0]
    finally:
        con.close()
    check('race: integrity_check ok', integ == [('ok',)], repr(integ[:3]))
    check('race: exactly the 2 accounts of the test were added',
          nusers == users_before, 'got %d, had %d with them' % (
              nusers, users_before))
    check('race: at most one reset token row', nreset <= 1,
          'got %d' % nreset)
    check('race: sessions of other accounts untouched',
          others_after == others_before, '%d rows before, %d after' % (
              len(others_before), len(others_after)))
    mine = [bytes(h) for h, u in rows if u == uid]
    by_digest = {digest(s): s for s in logins}
    unknown = [h for h in mine if h not in by_digest]
    check('race: every session row of the account comes from a 200 login',
          not unknown, '%d rows from no login' % len(unknown))
    bys = [bytes(h) for h, u in rows if u == bid]
    check('race: the bystander keeps its one session',
          bys == [digest(b_sid)], '%d rows' % len(bys))
    alive = [by_digest[h] for h in mine if h in by_digest]
    bad = [s for s in alive if s in lo]
    check('race: no logged-out session in the database', not bad,
          '%d rows' % len(bad))
    bad = []
    for s in alive:
        r, a = logins[s]
        y = superseded(a['password'], t_end)
        if y is not None:
            bad.append((s, r, a, y))
    check('race: no session in the database predates a later password '
          'change', not bad, '%d sessions, e.g. %s' % (len(bad), '; '.join(
              'login %.3f-%.3f with %s, superseded by a PUT %.3f-%.3f' % (
                  r.t0 - t_start, r.t1 - t_start, a['password'],
                  y.t0 - t_start, y.t1 - t_start)
              for s, r, a, y in bad[:3])))
    info('race: %d sessions of the account remain in the database' %
         len(alive))

    # ---- the final password is the last one set by a 200 PUT
    # Candidates: passwords not surely superseded by the end.
    cands = [p for p in setter if superseded(p, t_end) is None]
    info('race: %d candidate final passwords of %d set' %
         (len(cands), len(setter)))
    works = []
    for p in cands:
        r = request(url, 'POST', '/sessions', {'email': email,
                                               'password': p})
        if r.status == 200:
            works.append(p)
        elif r.status != 401:
            check('race: final login %s' % p, False, status_key(r))
    if len(works) != 1:
        # Find what the password is, for the report (slow: every one).
        rest = [p for p in setter if p not in cands]
        for p in rest:
            r = request(url, 'POST', '/sessions', {'email': email,
                                                   'password': p})
            if r.status == 200:
                works.append(p + ' (superseded!)')
    check('race: exactly one candidate password works, the last one set',
          len(works) == 1 and works[0] in cands,
          'working: %s; candidates: %s' % (works, cands[:10]))
    if puts:
        r = request(url, 'POST', '/sessions', {'email': email,
                                               'password': p0})
        check('race: the original password no longer works',
              (r.status == 401) == (p0 not in works),
              'original password -> %s' % status_key(r))
    r = request(url, 'GET', '/profile', sid=b_sid)
    check('race: the bystander session still works', r.status == 200 and
          r.json() == {'email': bystander}, status_key(r))


# ------------------------------------------------------------ direct CGI

def cgi_env(db, method, path, extra=None, body=b'', sid=None):
    env = {
        'PATH': '/usr/bin:/bin',
        'GATEWAY_INTERFACE': 'CGI/1.1',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REQUEST_METHOD': method,
        'PATH_INFO': path,
        'SCRIPT_NAME': '',
        'QUERY_STRING': '',
        'REMOTE_ADDR': '127.0.0.1',
        'CONTENT_LENGTH': str(len(body)),
        'AUTHCGI_DB': db,
        'AUTHCGI_RESET_ENDS_SESSIONS': '1',
    }
    if os.environ.get('AUTHCGI_SECRET_KEY_FILE'):
        env['AUTHCGI_SECRET_KEY_FILE'] = os.environ['AUTHCGI_SECRET_KEY_FILE']
    if body:
        env['CONTENT_TYPE'] = 'application/x-www-form-urlencoded'
    if sid is not None:
        env['HTTP_COOKIE'] = 'session_id=' + sid
    env.update(extra or {})
    return env


class Cgi:
    """One CGI run, started now; .wait() parses its answer."""

    def __init__(self, cgi, db, method, path, fields=None, sid=None,
                 extra=None):
        body = urllib.parse.urlencode(fields).encode() if fields else b''
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([cgi], env=cgi_env(db, method, path, extra,
                                                    body, sid),
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        # The body now (it fits in the pipe): the CGI reads it first.
        self.p.stdin.write(body)
        self.p.stdin.close()
        self.p.stdin = None

    def wait(self):
        o, e = self.p.communicate(timeout=60)
        self.t1 = time.monotonic()
        self.stderr = e.decode('utf-8', 'replace')
        head, _, body = o.partition(b'\r\n\r\n')
        self.headers = []
        self.status = None
        for line in head.decode('latin-1').split('\r\n'):
            k, _, v = line.partition(':')
            v = v.strip()
            self.headers.append((k, v))
            if k.lower() == 'status':
                self.status = int(v.split()[0])
        self.body = body
        return self

    def json(self):
        try:
            return json.loads(self.body.decode())
        except Exception:
            return None

    def sid(self):
        return Resp.sid(self)


def run(cgi, db, method, path, fields=None, sid=None, extra=None):
    return Cgi(cgi, db, method, path, fields, sid, extra).wait()


def cmd_race_rehash(cgi, d):
    """An account whose hash is bcrypt (as written by the original service)
    is rehashed at its next login. A password reset that commits while
    that login verifies the old hash must not be undone by the rehash."""
    email = 'rehash@example.com'
    p0, p1 = 'old-pass-0', 'new-pass-1'
    bcrypt = {'AUTHCGI_HASH_METHOD': '$2b$', 'AUTHCGI_HASH_COST': '12'}
    verdict = None
    for attempt in range(1, 4):
        db = fresh_db(d, 'rehash_%d' % attempt)
        r = run(cgi, db, 'POST', '/users', {'email': email, 'password': p0},
                extra=bcrypt)
        if not check('rehash race %d: register with a bcrypt hash' % attempt,
                     r.status == 200, '%s %r' % (r.status, r.body)):
            return
        login = Cgi(cgi, db, 'POST', '/sessions',
                    {'email': email, 'password': p0})
        time.sleep(0.06 * attempt)
        rr = run(cgi, db, 'POST', '/reset_password', {'email': email})
        tok = (rr.json() or {}).get('reset_token', '')
        put = run(cgi, db, 'PUT', '/reset_password',
                  {'email': email, 'reset_token': tok, 'new_password': p1})
        login.wait()
        overlap = login.t0 < put.t0 and put.t1 < login.t1
        info('rehash race %d: login %.0f-%.0f ms -> %s, PUT %.0f-%.0f ms -> '
             '%s%s' % (attempt, 0, 1000 * (login.t1 - login.t0),
                       login.status, 1000 * (put.t0 - login.t0),
                       1000 * (put.t1 - login.t0), put.status,
                       '' if overlap else ' (no overlap: retry)'))
        if put.status != 200 or not overlap:
            continue
        after_new = run(cgi, db, 'POST', '/sessions',
                        {'email': email, 'password': p1})
        after_old = run(cgi, db, 'POST', '/sessions',
                        {'email': email, 'password': p0})
        prof = None
        if login.status == 200 and login.sid():
            prof = run(cgi, db, 'GET', '/profile', sid=login.sid())
        verdict = (login, put, after_new, after_old, prof)
        break
    if not check('rehash race: a PUT overlapped the login', verdict,
                 'no overlapping run in 3 attempts'):
        return
    login, put, after_new, after_old, prof = verdict
    check('rehash race: login answered 200 or 401', login.status in (200, 401),
          str(login.status))
    check('rehash race: the new password (200 PUT) works afterwards',
          after_new.status == 200,
          'login with the new password -> %s, with the old one -> %s: the '
          'login\'s rehash overwrote the reset (lost write)' %
          (after_new.status, after_old.status))
    check('rehash race: the old password no longer works',
          after_old.status == 401, 'old password -> %s' % after_old.status)
    check('rehash race: the racing login\'s session did not survive the reset',
          prof is None or prof.status == 403,
          'GET /profile with it -> %s' % (prof.status if prof else None))


def cmd_race_session(cgi, d):
    """A login that verifies the old password while a reset commits must
    not leave a live session behind (the reset ends every session), even
    when no rehash is involved. Slow hashing (yescrypt cost 8) for both
    makes the window wide."""
    email = 'slow@example.com'
    p0, p1 = 'old-pass-0', 'new-pass-1'
    slow = {'AUTHCGI_HASH_COST': '8'}
    verdict = None
    for attempt in range(1, 4):
        db = fresh_db(d, 'session_%d' % attempt)
        r = run(cgi, db, 'POST', '/users', {'email': email, 'password': p0},
                extra=slow)
        if not check('session race %d: register' % attempt, r.status == 200,
                     '%s %r' % (r.status, r.body)):
            return
        rr = run(cgi, db, 'POST', '/reset_password', {'email': email},
                 extra=slow)
        tok = (rr.json() or {}).get('reset_token', '')
        put = Cgi(cgi, db, 'PUT', '/reset_password',
                  {'email': email, 'reset_token': tok, 'new_password': p1},
                  extra=slow)
        time.sleep(0.04 * attempt)
        login = Cgi(cgi, db, 'POST', '/sessions',
                    {'email': email, 'password': p0}, extra=slow)
        put.wait()
        login.wait()
        overlap = put.t0 < login.t0 < put.t1 < login.t1
        info('session race %d: PUT 0-%.0f ms -> %s, login %.0f-%.0f ms -> '
             '%s%s' % (attempt, 1000 * (put.t1 - put.t0), put.status,
                       1000 * (login.t0 - put.t0), 1000 * (login.t1 - put.t0),
                       login.status, '' if overlap else ' (no overlap)'))
        if put.status != 200 or not overlap:
            continue
        prof = None
        if login.status == 200 and login.sid():
            prof = run(cgi, db, 'GET', '/profile', sid=login.sid(),
                       extra=slow)
        con = connect(db)
        nsess = con.execute('SELECT count(*) FROM sessions').fetchone()[0]
        con.close()
        verdict = (login, put, prof, nsess)
        break
    if not check('session race: a login overlapped the PUT', verdict,
                 'no overlapping run in 3 attempts'):
        return
    login, put, prof, nsess = verdict
    check('session race: login answered 200 or 401',
          login.status in (200, 401), str(login.status))
    check('session race: no session made with the old password survives the '
          'reset', (prof is None or prof.status == 403) and nsess == 0,
          'login with the old password -> %s, its session then answers '
          'GET /profile %s; %d session rows after the reset' % (
              login.status, prof.status if prof else None, nsess))


def main(argv):
    cmds = {
        'same-email': cmd_same_email,
        'distinct': cmd_distinct,
        'race': cmd_race,
        'race-rehash': cmd_race_rehash,
        'race-session': cmd_race_session,
    }
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]](*argv[2:])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
