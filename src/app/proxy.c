/* proxy.c: what a request says of itself from behind a reverse proxy
 * (the client's address, the URL it asked for), believed only from the
 * addresses of AUTHCGI_TRUSTED_PROXIES: from anyone else those headers
 * are the client's own words. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* An address (or a CIDR prefix of one) in binary: IPv4 as IPv4-mapped
 * IPv6, so that both compare alike. */
struct net {
	unsigned char addr[16];
	int bits; /* prefix length, 128 for one address */
};

/* Parse s[0..n) ("192.0.2.1", "2001:db8::1", "10.0.0.0/8") into *out. */
static bool
net_parse(const char *s, size_t n, struct net *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned char v4[4];
	int bits = -1, max;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		char *end;
		long b = strtol(slash + 1, &end, 10);

		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || b < 0 ||
		    b > 128)
			return false;
		bits = (int)b;
		*slash = '\0';
	}
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, buf, v4) == 1) {
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, v4, 4);
		max = 32;
		if (bits > max)
			return false;
		out->bits = bits < 0 ? 128 : 96 + bits;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->addr) != 1)
		return false;
	out->bits = bits < 0 ? 128 : bits;
	return true;
}

/* Is a within net? */
static bool
net_has(const struct net *net, const struct net *a)
{
	int full = net->bits / 8, rest = net->bits % 8;

	if (memcmp(net->addr, a->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((net->addr[full] ^ a->addr[full]) &
	        (unsigned char)(0xff << (8 - rest))) == 0;
}

/* Is the address s[0..n) one of list's (space- or comma-separated
 * addresses and prefixes)? */
static bool
listed(const char *list, const char *s, size_t n)
{
	struct net a, net;
	const char *p;
	size_t len;

	if (list == NULL || !net_parse(s, n, &a))
		return false;
	for (p = list; *p != '\0'; p += len) {
		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (len > 0 && net_parse(p, len, &net) && net_has(&net, &a))
			return true;
	}
	return false;
}

bool
app_proxy_list_ok(const char *list)
{
	struct net net;
	const char *p;
	size_t len;

	for (p = list; p != NULL && *p != '\0'; p += len) {
		p += strspn(p, " ,");
		len = strcspn(p, " ,");
		if (len > 0 && !net_parse(p, len, &net))
			return false;
	}
	return true;
}

bool
app_from_proxy(const struct call *c)
{
	const char *a = c->req->remote_addr;

	return a != NULL && listed(c->app->set.trusted_proxies, a, strlen(a));
}

/*
 * X-Forwarded-For is "client, proxy1, proxy2": each proxy appends the
 * address it got the request from. Read from the right, the first
 * address that is not a trusted proxy is the client (anything left of
 * it, the client could have written). Written into buf; false when the
 * header holds nothing usable.
 */
static bool
forwarded_client(const struct call *c, char *buf, size_t size)
{
	const char *xff = c->req->forwarded_for, *end, *start;
	struct net a;
	size_t n;

	if (xff == NULL)
		return false;
	end = xff + strlen(xff);
	while (end > xff) {
		while (end > xff && (end[-1] == ' ' || end[-1] == ','))
			end--;
		start = end;
		while (start > xff && start[-1] != ',' && start[-1] != ' ')
			start--;
		n = (size_t)(end - start);
		if (n == 0)
			break;
		if (!net_parse(start, n, &a) || n >= size)
			return false;
		memcpy(buf, start, n);
		buf[n] = '\0';
		if (!listed(c->app->set.trusted_proxies, start, n) ||
		    start == xff)
			return true;
		end = start;
	}
	return false;
}

void
app_client_address(struct call *c)
{
	c->who.client = c->req->remote_addr;
	if (app_from_proxy(c) &&
	    forwarded_client(c, c->client_addr, sizeof(c->client_addr)))
		c->who.client = c->client_addr;
}

bool
app_original_url(const struct call *c, char *buf, size_t size)
{
	const struct http_request *r = c->req;
	int n;

	if (app_from_proxy(c) && r->original_url != NULL)
		n = snprintf(buf, size, "%s", r->original_url);
	else if (app_from_proxy(c) && r->forwarded_host != NULL &&
	         r->forwarded_uri != NULL)
		n = snprintf(buf, size, "%s://%s%s",
		             r->forwarded_proto != NULL ? r->forwarded_proto
		                                        : "https",
		             r->forwarded_host, r->forwarded_uri);
	else if (c->authorizer && r->request_uri != NULL)
		n = snprintf(buf, size, "%s", r->request_uri);
	else
		return false;
	return n > 0 && (size_t)n < size;
}
