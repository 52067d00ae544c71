#!/usr/bin/python3
"""settings_docs.py: the settings that `auth.cgi --help` lists (its one
table of settings) are the ones the manual page and README's settings
table document, README with the same defaults.

Usage: auth.cgi --help | tests/admin/settings_docs.py MANPAGE README
Prints "same", or what differs; exits 1 then.
"""
import re
import sys


def main() -> int:
    helptext = sys.stdin.read()
    exe = dict(re.findall(r"^  (AUTHCGI_[A-Z_]+)(?:=(\S+))?", helptext, re.M))
    man = open(sys.argv[1], encoding="utf-8").read()
    env = man.split(".SH ENVIRONMENT", 1)[1].split("\n.SH ", 1)[0]
    man_names = set(re.findall(r"^\.TP\n\.B (AUTHCGI_[A-Z_]+)", env, re.M))
    readme = dict(re.findall(r"^\| `(AUTHCGI_[A-Z_]+)` \| ([^|]*)\|",
                             open(sys.argv[2], encoding="utf-8").read(),
                             re.M))
    out = []
    if not exe:
        out.append("--help lists no setting")
    for name, where in (("the manual page", man_names),
                        ("README", set(readme))):
        if set(exe) - where:
            out.append("missing in %s: %s" %
                       (name, " ".join(sorted(set(exe) - where))))
        if where - set(exe):
            out.append("unknown to the executable, in %s: %s" %
                       (name, " ".join(sorted(where - set(exe)))))
    for name, default in sorted(exe.items()):
        cell = readme.get(name, "").strip()
        if default and cell and not cell.startswith("`%s`" % default):
            out.append("%s: README's default is %s, the executable's %s" %
                       (name, cell, default))
    print("; ".join(out) if out else "same")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
