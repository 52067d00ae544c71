#!/usr/bin/python3
"""fault_lock.py: hold SQLite's write lock on a database, for faults.sh.

    fault_lock.py DB READY RELEASE MAX_SECONDS [insert]

Opens DB, runs BEGIN IMMEDIATE (the write lock every writer of the app
needs), optionally inserts a marker row into the throttle_locks table, then
creates the file READY and waits until the file RELEASE exists or
MAX_SECONDS have passed, whichever comes first, and commits. Exit 0 on a
commit, 1 if the lock could not be taken.
"""
import os
import sqlite3
import sys
import time


def main(argv):
    db, ready, release, max_s = argv[1:5]
    insert = len(argv) > 5 and argv[5] == 'insert'
    con = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        con.execute('BEGIN IMMEDIATE')
    except sqlite3.Error as e:
        print('fault_lock: BEGIN IMMEDIATE: %s' % e, file=sys.stderr)
        return 1
    if insert:
        con.execute("INSERT INTO throttle_locks (key, until)"
                    " VALUES ('test:lock-holder', 0)")
    t_lock = time.monotonic()
    with open(ready, 'w') as f:
        f.write('%d\n' % os.getpid())
    end = t_lock + float(max_s)
    while not os.path.exists(release) and time.monotonic() < end:
        time.sleep(0.01)
    con.execute('COMMIT')
    held = time.monotonic() - t_lock
    con.close()
    print('held %.3f' % held)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
