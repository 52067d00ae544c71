/* recycle.c: a cache of freed blocks in front of the C library's malloc;
 * see recycle.h. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recycle.h"

#ifdef RECYCLE_WRAP
/* The C library's own, under ld --wrap. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t m, size_t n);
void __real_free(void *p);
#define sys_malloc __real_malloc
#define sys_calloc __real_calloc
#define sys_free   __real_free
#else
#define sys_malloc malloc
#define sys_calloc calloc
#define sys_free   free
#endif

/*
 * Class k holds blocks of class_size(k) bytes: 16, 20, 24, 28, 32, 40,
 * 48, 56, 64, 80, ... 16384 (2^e times 4/4, 5/4, 6/4 and 7/4): a block
 * is at most a quarter larger than asked for.
 */
#define CLASSES 41

static size_t
class_size(unsigned k)
{
	return (size_t)(4 + k % 4) << (k / 4 + 2);
}

/* floor(log2(n)), n > 0 */
static unsigned
log2_floor(size_t n)
{
	return (unsigned)(sizeof(unsigned long long) * 8 - 1) -
	       (unsigned)__builtin_clzll((unsigned long long)n);
}

/* The smallest class that holds n bytes, 16 < n <= 16384. */
static unsigned
class_up(size_t n)
{
	unsigned e = log2_floor(n - 1); /* 2^e < n <= 2^(e+1) */
	size_t step = (size_t)1 << (e - 2);

	return (e - 4) * 4 +
	       (unsigned)((n - ((size_t)1 << e) + step - 1) / step);
}

/* The largest class a block of n usable bytes can serve, n >= 16. */
static unsigned
class_down(size_t n)
{
	unsigned e = log2_floor(n);

	return (e - 4) * 4 + (unsigned)((n - ((size_t)1 << e)) >> (e - 2));
}

/* Each class a ring of kept pointers, head the oldest. */
static struct {
	void *block[RECYCLE_DEPTH];
	unsigned head, count;
} kept[CLASSES];
static size_t kept_bytes;

/*
 * A kept block starts with this mark, which its address changes: a block
 * freed again while kept is found in one look. The list itself is the
 * proof (a live block may hold the same bytes by chance: then the list
 * says no).
 */
#define MARK ((uintptr_t)0x6b65707462726563u)

static int
is_kept(void *p, unsigned k)
{
	unsigned i;

	if (*(uintptr_t *)p != ((uintptr_t)p ^ MARK))
		return 0;
	for (i = 0; i < kept[k].count; i++)
		if (kept[k].block[(kept[k].head + i) % RECYCLE_DEPTH] == p)
			return 1;
	return 0;
}

void *
recycle_malloc(size_t n)
{
	unsigned k;
	void *p;

	if (n > class_size(CLASSES - 1))
		return sys_malloc(n);
	k = n <= 16 ? 0 : class_up(n);
	if (kept[k].count == 0)
		return sys_malloc(class_size(k));
	p = kept[k].block[kept[k].head];
	kept[k].head = (kept[k].head + 1) % RECYCLE_DEPTH;
	kept[k].count--;
	kept_bytes -= class_size(k);
	*(uintptr_t *)p = 0;
	return p;
}

void
recycle_free(void *p)
{
	size_t n;
	unsigned k;

	if (p == NULL)
		return;
	n = malloc_usable_size(p);
	if (n < 16 ||
	    n >= class_size(CLASSES - 1) + class_size(CLASSES - 1) / 4) {
		sys_free(p);
		return;
	}
	k = class_down(n);
	if (is_kept(p, k))
		abort(); /* freed twice */
	if (kept[k].count == RECYCLE_DEPTH ||
	    kept_bytes + class_size(k) > RECYCLE_BUDGET) {
		sys_free(p);
		return;
	}
	kept[k].block[(kept[k].head + kept[k].count) % RECYCLE_DEPTH] = p;
	kept[k].count++;
	kept_bytes += class_size(k);
	*(uintptr_t *)p = (uintptr_t)p ^ MARK;
}

void *
recycle_calloc(size_t m, size_t n)
{
	void *p;

	if (n != 0 && m > SIZE_MAX / n)
		return NULL;
	/* The library's calloc knows which of its blocks are zero already
	 * (fresh pages), and does not touch them. */
	if (m * n > class_size(CLASSES - 1))
		return sys_calloc(m, n);
	if ((p = recycle_malloc(m * n)) != NULL)
		memset(p, 0, m * n);
	return p;
}

void *
recycle_realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (p == NULL)
		return recycle_malloc(n);
	have = malloc_usable_size(p);
	if (n <= have)
		return p;
	if ((q = recycle_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, have);
	recycle_free(p);
	return q;
}

#ifdef RECYCLE_WRAP
/* What ld --wrap calls instead of malloc, calloc, realloc and free. */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t m, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *
__wrap_malloc(size_t n)
{
	return recycle_malloc(n);
}

void *
__wrap_calloc(size_t m, size_t n)
{
	return recycle_calloc(m, n);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return recycle_realloc(p, n);
}

void
__wrap_free(void *p)
{
	recycle_free(p);
}
#endif
