# assert.sh: a tiny assertion library for the shell test suites (bash).
# Source it, fill the response variables (R_STATUS, R_HEADERS, R_BODY_FILE)
# with resp_parse, call the check_* functions, end with `summary`.
#
#   ok NAME                      count a pass
#   fail NAME DETAIL             count a failure and say why
#   check NAME COMMAND...        pass when COMMAND succeeds
#   check_eq NAME GOT WANT       pass when the two strings are equal
#   check_match NAME GOT ERE     pass when GOT matches the extended regex
#   check_status NAME CODE       R_STATUS is CODE
#   check_header NAME HDR VALUE  header HDR (any case) is exactly VALUE
#   check_header_match NAME HDR ERE
#   check_header_absent NAME HDR
#   check_body_empty NAME
#   check_body_exact NAME JSON   the body is JSON equal to JSON (any order)
#   check_body_json NAME KEY VAL the body is a JSON object, KEY's value VAL
#   check_message NAME TEXT      ... "message" is exactly TEXT
#   check_has_message NAME       ... "message" is a non-empty string
#   summary                      last line "N passed, N failed"; 1 on failure
#
# Every check takes its NAME first, so a failure says which one it was.

PASSED=0
FAILED=0
FAILED_NAMES=()
PY=${PY:-/usr/bin/python3}

# Response under test, set by resp_parse (or by the caller).
R_STATUS=""       # numeric status, "" if none
R_HEADERS=""      # header lines, CR stripped, one per line, without status
R_HEAD_RAW=""     # file holding the raw header block, as sent
R_BODY_FILE=""    # file holding the raw body

ok() {
	PASSED=$((PASSED + 1))
	[ -n "${VERBOSE:-}" ] && printf 'ok   %s\n' "$1"
	return 0
}

fail() {
	FAILED=$((FAILED + 1))
	FAILED_NAMES+=("$1")
	printf 'FAIL %s: %s\n' "$1" "${2:-}"
	return 0
}

check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name" "command failed: $*"; fi
}

check_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else
		fail "$1" "got '$2', want '$3'"
	fi
}

check_match() {
	if [[ $2 =~ $3 ]]; then ok "$1"; else
		fail "$1" "'$2' does not match /$3/"
	fi
}

# resp_parse FILE: split a CGI response or an HTTP response (as written by
# curl -i / -D) into status, headers and body. A CGI response states its
# status in a "Status:" header; an HTTP one in the status line.
resp_parse() {
	local file=$1 line offset=0 first=1 nl=$'\n'
	R_STATUS=""
	R_HEADERS=""
	R_HEAD_RAW=$file.head
	R_BODY_FILE=$file.body
	local LC_ALL=C
	while IFS= read -r line; do
		offset=$((offset + ${#line} + 1))
		line=${line%$'\r'}
		[ -z "$line" ] && break
		if [ $first -eq 1 ] && [[ $line =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]]; then
			R_STATUS=${BASH_REMATCH[1]}
		else
			R_HEADERS+="$line$nl"
		fi
		first=0
	done <"$file"
	head -c "$offset" "$file" >"$R_HEAD_RAW"
	tail -c "+$((offset + 1))" "$file" >"$R_BODY_FILE"
	if [ -z "$R_STATUS" ]; then
		local s
		s=$(header_get Status)
		[[ $s =~ ^([0-9]{3}) ]] && R_STATUS=${BASH_REMATCH[1]}
	fi
	return 0
}

# header_get NAME: the first value of header NAME (case-insensitive).
header_get() {
	header_all "$1" | head -n 1 | grep '' && return 0
	return 1
}

# header_all NAME: every value of header NAME, one per line.
header_all() {
	local want=${1,,} line name v
	while IFS= read -r line; do
		[[ $line == *:* ]] || continue
		name=${line%%:*}
		[ "${name,,}" == "$want" ] || continue
		v=${line#*:}
		v=${v#"${v%%[! ]*}"}
		printf '%s\n' "$v"
	done <<<"$R_HEADERS"
}

check_status() {
	if [ "$R_STATUS" == "$2" ]; then ok "$1"; else
		fail "$1" "status '$R_STATUS', want $2 (body: $(head -c 200 "$R_BODY_FILE" 2>/dev/null))"
	fi
}

check_header() {
	local v
	if ! v=$(header_get "$2"); then
		fail "$1" "no $2 header (headers: $(tr '\n' '|' <<<"$R_HEADERS"))"
	elif [ "$v" == "$3" ]; then ok "$1"; else
		fail "$1" "$2 is '$v', want '$3'"
	fi
}

check_header_match() {
	local v
	if ! v=$(header_get "$2"); then
		fail "$1" "no $2 header (headers: $(tr '\n' '|' <<<"$R_HEADERS"))"
	elif [[ $v =~ $3 ]]; then ok "$1"; else
		fail "$1" "$2 is '$v', does not match /$3/"
	fi
}

check_header_absent() {
	local v
	if v=$(header_get "$2"); then fail "$1" "unexpected $2: '$v'"; else
		ok "$1"
	fi
}

check_body_empty() {
	local n
	n=$(wc -c <"$R_BODY_FILE")
	if [ "$n" -eq 0 ]; then ok "$1"; else
		fail "$1" "body has $n bytes: $(head -c 100 "$R_BODY_FILE")"
	fi
}

# _json_py MODE ARG...: run a python check on the body; prints the reason
# of a failure on stdout, exits non-zero then.
_json_py() {
	"$PY" - "$R_BODY_FILE" "$@" <<'EOF'
import json, sys
path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
raw = open(path, 'rb').read()
try:
    body = json.loads(raw.decode('utf-8'))
except Exception as e:
    print('body is not JSON (%s): %r' % (e, raw[:200]))
    sys.exit(1)
if mode == 'exact':
    want = json.loads(args[0])
    if body != want:
        print('body %s, want %s' % (json.dumps(body), json.dumps(want)))
        sys.exit(1)
    sys.exit(0)
if not isinstance(body, dict):
    print('body is not a JSON object: %r' % raw[:200])
    sys.exit(1)
if mode == 'key':
    key, want = args
    if key not in body:
        print('no key %r in %s' % (key, json.dumps(body)))
        sys.exit(1)
    if body[key] != want:
        print('%s is %r, want %r' % (key, body[key], want))
        sys.exit(1)
elif mode == 'hasmsg':
    m = body.get('message')
    if not isinstance(m, str) or not m:
        print('no non-empty "message" in %s' % json.dumps(body))
        sys.exit(1)
elif mode == 'get':
    v = body.get(args[0])
    if v is None:
        sys.exit(1)
    print(v if isinstance(v, str) else json.dumps(v))
EOF
}

check_body_exact() {
	local why
	if why=$(_json_py exact "$2"); then ok "$1"; else fail "$1" "$why"; fi
}

check_body_json() {
	local why
	if why=$(_json_py key "$2" "$3"); then ok "$1"; else fail "$1" "$why"; fi
}

check_message() {
	check_body_json "$1" message "$2"
}

check_has_message() {
	local why
	if why=$(_json_py hasmsg); then ok "$1"; else fail "$1" "$why"; fi
}

# body_get KEY: print the body's KEY (a string) or fail (status 1).
body_get() {
	_json_py get "$1"
}

summary() {
	if [ "$FAILED" -gt 0 ]; then
		echo "failed checks:"
		printf '  %s\n' "${FAILED_NAMES[@]}"
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
