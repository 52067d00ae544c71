#!/usr/bin/python3
"""hostile_socket.py: raw-socket clients that curl cannot play, for
tests/robust/hostile.sh.

usage: hostile_socket.py MODE PORT BOUND_SECONDS

  stall  send the headers of a POST /users with Content-Length: 100 and
         20 bytes of body, then keep the connection open without sending
         more (a stalled client)
  short  the same, then shut down the sending side (the body ends early)

Waits at most BOUND_SECONDS for the server to answer or close. Prints one
line, "answered STATUS after S s", "closed after S s" or "open after S s"
(the bound passed: a hang), and exits 0 for the first two, 1 for a hang,
2 when the connection cannot be made.
"""
import socket
import sys
import time


def main():
    mode, port, bound = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    body = b"email=stall%40example.com&password=b4l0u"
    head = (b"POST /users HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n"
            b"\r\n")
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(head + body[:20])
        if mode == "short":
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        print("cannot connect: %s" % e)
        return 2
    start = time.monotonic()
    data = b""
    closed = False
    while True:
        left = bound - (time.monotonic() - start)
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except OSError:  # reset by the server: closed as well
            closed = True
            break
        if not d:
            closed = True
            break
        data += d
        if b"\r\n\r\n" in data:
            break
    took = time.monotonic() - start
    s.close()
    if data.startswith(b"HTTP/"):
        status = data.split(b" ", 2)[1].decode("ascii", "replace")
        print("answered %s after %.1f s" % (status, took))
        return 0
    if closed:
        print("closed after %.1f s" % took)
        return 0
    print("open after %.1f s (%d bytes received)" % (took, len(data)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
