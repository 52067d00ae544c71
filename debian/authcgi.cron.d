# /etc/cron.d/authcgi: remove ended sessions, reset tokens and lockouts
# every hour, on systems that do not run systemd (there, authcgi.timer
# does it, and this line does nothing).
17 * * * * www-data if [ -x /usr/lib/authcgi/auth.cgi ] && [ ! -d /run/systemd/system ]; then /usr/lib/authcgi/auth.cgi purge >/dev/null; fi
