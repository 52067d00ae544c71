# cgi.sh: the CGI/1.1 environment of one request, for the suites that run
# cgi-bin/auth.cgi directly (bash; source it).
#
# cgi_env METHOD PATH LENGTH [NAME=VALUE | NAME=<unset>]...
#   fills the array CGI_ENV with NAME=VALUE pairs for `env -i`: what a
#   web server sets (REQUEST_METHOD, PATH_INFO, CONTENT_LENGTH=LENGTH, a
#   form CONTENT_TYPE when LENGTH > 0, REMOTE_ADDR 127.0.0.1, ...),
#   AUTHCGI_DB=$DB, AUTHCGI_SECRET_KEY_FILE=$KEY_FILE (empty, the default,
#   when unset), and sanitizer options that make a report exit 99.
#   Later arguments override those (NAME=<unset> removes NAME).
cgi_env() {
	local method=$1 path=$2 len=$3 kv k
	shift 3
	local -A vars=(
		[PATH]=/usr/bin:/bin
		[GATEWAY_INTERFACE]=CGI/1.1
		[SERVER_PROTOCOL]=HTTP/1.1
		[SERVER_SOFTWARE]=authcgi-tests
		[SERVER_NAME]=127.0.0.1
		[SERVER_PORT]=80
		[REMOTE_ADDR]=127.0.0.1
		[REQUEST_SCHEME]=http
		[SCRIPT_NAME]=""
		[QUERY_STRING]=""
		[REQUEST_METHOD]=$method
		[PATH_INFO]=$path
		[CONTENT_LENGTH]=$len
		[AUTHCGI_DB]=${DB:-}
		[AUTHCGI_SECRET_KEY_FILE]=${KEY_FILE:-}
		[ASAN_OPTIONS]=detect_leaks=1:abort_on_error=0:exitcode=99
		[UBSAN_OPTIONS]=print_stacktrace=1:halt_on_error=1:exitcode=99
	)
	[ "$len" -gt 0 ] && vars[CONTENT_TYPE]=application/x-www-form-urlencoded
	for kv in "$@"; do
		vars[${kv%%=*}]=${kv#*=}
	done
	CGI_ENV=()
	for k in "${!vars[@]}"; do
		[ "${vars[$k]}" == "<unset>" ] && continue
		CGI_ENV+=("$k=${vars[$k]}")
	done
}
