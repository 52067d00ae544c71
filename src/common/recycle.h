/*
 * recycle.h: a cache of freed blocks in front of the C library's malloc,
 * for the static executable linked with musl.
 *
 * musl's allocator is built for hardening and small memory, not speed: a
 * malloc and free pair costs some 300 instructions, and it hands memory
 * back to the kernel as soon as it can (the pages of a freed block that
 * spans pages with madvise, a group of small blocks once its last one is
 * freed with munmap) only to take it again (mmap) at the next request. A
 * FastCGI request allocates and frees the same 60 or so blocks each time:
 * libfcgi's string per parameter, three streams and their buffers; the
 * request's strings and headers; cJSON's nodes.
 *
 * recycle_free() keeps a freed block in its size class (four per power of
 * two, 16 bytes to 16 KiB), up to RECYCLE_DEPTH blocks per class and
 * RECYCLE_BUDGET bytes in all; recycle_malloc() hands back the oldest kept
 * block of the request's class, and otherwise asks malloc() for the
 * class's whole size. Larger blocks go to malloc() and free() directly.
 * recycle_calloc() is a recycle_malloc() cleared (a kept block is not
 * zero), or calloc() above 16 KiB; recycle_realloc() keeps a block that is
 * large enough, and otherwise moves the data to a recycle_malloc() block.
 *
 * The blocks stay the C library's: its own allocations, and blocks that
 * never passed through here, mix freely with them. What is kept is a list
 * of pointers in static memory, never a link written into a freed block;
 * freeing a kept block again aborts, as musl's free() would. Not
 * thread-safe: the executable runs one thread.
 *
 * Compiled with RECYCLE_WRAP, this file also defines __wrap_malloc() and
 * the others, which the static executable's link (ld --wrap) puts in the
 * place of every call of malloc, calloc, realloc and free, the C
 * library's own included.
 */
#ifndef AUTHCGI_RECYCLE_H
#define AUTHCGI_RECYCLE_H

#include <stddef.h>

#define RECYCLE_DEPTH  32
#define RECYCLE_BUDGET ((size_t)256 * 1024)

void *recycle_malloc(size_t n);
void *recycle_calloc(size_t m, size_t n);
void *recycle_realloc(void *p, size_t n);
void recycle_free(void *p);

#endif
