/* io.h: small helpers over file descriptors. */
#ifndef AUTHCGI_IO_H
#define AUTHCGI_IO_H

#include <stddef.h>

/* Write all n bytes of p to fd, retrying on EINTR and short writes.
 * Returns 0, or -1 with errno set. */
int io_write_all(int fd, const void *p, size_t n);

#endif
