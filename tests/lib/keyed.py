#!/usr/bin/env python3
"""keyed.py: the key under which authcgi counts failures, computed apart
from the service (Python's hashlib), so that the tests check what the
README promises: BLAKE2b-256 keyed with a key derived by libsodium's
crypto_kdf (id 1, context "digests_") from the secret key file, over
"<purpose>\\0<text>"; accounts as their email, ASCII letters lower-cased.

Usage: keyed.py KEY_FILE KIND account|addr VALUE
prints KIND:account:<hex> or KIND:addr:<hex>.
"""
import hashlib
import struct
import sys


def subkey(master: bytes) -> bytes:
    return hashlib.blake2b(b"", digest_size=32, key=master,
                           salt=struct.pack("<Q", 1) + bytes(8),
                           person=b"digests_" + bytes(8)).digest()


def main() -> int:
    if len(sys.argv) != 5 or sys.argv[3] not in ("account", "addr"):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    key_file, kind, scope, value = sys.argv[1:]
    master = bytes.fromhex(open(key_file).read().strip())
    if scope == "account":
        purpose = b"account"
        text = bytes(c + 32 if 65 <= c <= 90 else c
                     for c in value.encode("utf-8"))
    else:
        purpose, text = b"address", value.encode("utf-8")
    d = hashlib.blake2b(purpose + b"\0" + text, digest_size=32,
                        key=subkey(master)).hexdigest()
    print("%s:%s:%s" % (kind, scope, d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
