/* test_common.c: the cache of freed blocks (common/recycle.h), over the C
 * library's malloc. The static executable routes every allocation through
 * it; here it is called by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/recycle.h"

/* Empty the cache: take every kept block of every class out (the class
 * sizes are 2^e times 4/4, 5/4, 6/4 and 7/4, from 16 to 16384 bytes) and
 * free them to the C library itself. */
static void
drain(void)
{
	void *p[RECYCLE_DEPTH];
	size_t k, n, size;

	for (k = 0; k <= 40; k++) {
		size = (4 + k % 4) << (k / 4 + 2);
		for (n = 0; n < RECYCLE_DEPTH; n++)
			p[n] = recycle_malloc(size);
		while (n > 0)
			free(p[--n]);
	}
}

/* A freed block comes back for any size of its class (100 and 105 share
 * the class of 112 bytes); a request of another class does not get it.
 * (The sizes here are those the C library's own rounding keeps in their
 * class: glibc gives 120 bytes for 112, which is still in it.) */
static void
test_recycle_reuse_by_class(void **state)
{
	char *p, *q, *r;

	(void)state;
	drain();
	p = recycle_malloc(100);
	assert_non_null(p);
	assert_true(malloc_usable_size(p) >= 112);
	memset(p, 'x', 100);
	recycle_free(p);
	q = recycle_malloc(200);
	assert_ptr_not_equal(q, p);
	r = recycle_malloc(105);
	assert_ptr_equal(r, p);
	memset(r, 'y', 105);
	recycle_free(r);
	recycle_free(q);
	drain();
}

/* The oldest kept block goes out first; past RECYCLE_DEPTH blocks of a
 * class, the rest go back to the C library. */
static void
test_recycle_oldest_first_and_depth(void **state)
{
	void *p[RECYCLE_DEPTH + 4], *q;
	size_t i;

	(void)state;
	drain();
	for (i = 0; i < RECYCLE_DEPTH + 4; i++)
		p[i] = recycle_malloc(256);
	for (i = 0; i < RECYCLE_DEPTH + 4; i++)
		recycle_free(p[i]);
	for (i = 0; i < RECYCLE_DEPTH; i++) {
		q = recycle_malloc(256);
		assert_ptr_equal(q, p[i]);
		p[i] = q;
	}
	for (i = 0; i < RECYCLE_DEPTH; i++)
		free(p[i]);
	drain();
}

/* No more than RECYCLE_BUDGET bytes are kept in all: blocks of 16 KiB
 * beyond it are freed at once. */
static void
test_recycle_budget(void **state)
{
	size_t n = RECYCLE_BUDGET / 16384, i, back = 0;
	void *p[RECYCLE_BUDGET / 16384 + 2], *q[RECYCLE_BUDGET / 16384 + 2];

	(void)state;
	drain();
	assert_true(n + 2 <= RECYCLE_DEPTH);
	for (i = 0; i < n + 2; i++)
		p[i] = recycle_malloc(16384);
	for (i = 0; i < n + 2; i++)
		recycle_free(p[i]);
	for (i = 0; i < n + 2; i++)
		q[i] = recycle_malloc(16384);
	for (i = 0; i < n; i++)
		if (q[i] == p[i])
			back++;
	assert_int_equal(back, n);
	for (i = 0; i < n + 2; i++)
		free(q[i]);
	drain();
}

/* Blocks above 16 KiB are not kept, and get the size asked for. */
static void
test_recycle_large_blocks_pass_through(void **state)
{
	char *p;

	(void)state;
	drain();
	p = recycle_malloc(100000);
	assert_non_null(p);
	memset(p, 'z', 100000);
	recycle_free(p);
	recycle_free(NULL);
	drain();
}

/* calloc clears a block that was used before; its size is checked for
 * overflow; a large one is the C library's. */
static void
test_recycle_calloc_clears(void **state)
{
	unsigned char *p, *q;
	size_t i;

	(void)state;
	drain();
	p = recycle_malloc(64);
	memset(p, 0xff, 64);
	recycle_free(p);
	q = recycle_calloc(8, 8);
	assert_ptr_equal(q, p);
	for (i = 0; i < 64; i++)
		assert_int_equal(q[i], 0);
	recycle_free(q);
	assert_null(recycle_calloc(SIZE_MAX / 2, 4));
	q = recycle_calloc(3, 100000);
	assert_non_null(q);
	for (i = 0; i < 300000; i += 4096)
		assert_int_equal(q[i], 0);
	recycle_free(q);
	drain();
}

/* realloc keeps a block large enough, moves the data otherwise, and the
 * old block is kept for reuse. */
static void
test_recycle_realloc(void **state)
{
	char *p, *q, *r;

	(void)state;
	drain();
	p = recycle_realloc(NULL, 64);
	memcpy(p, "0123456789abcdefghi", 20);
	q = recycle_realloc(p, 10);
	assert_ptr_equal(q, p);
	r = recycle_realloc(q, 3000);
	assert_non_null(r);
	assert_string_equal(r, "0123456789abcdefghi");
	assert_ptr_equal(recycle_malloc(64), p);
	free(p);
	recycle_free(r);
	drain();
}

/* Freeing a kept block again aborts the process. */
static void
test_recycle_double_free_aborts(void **state)
{
	pid_t pid;
	int status;
	void *p;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* No core file, no sanitizer report for the expected abort. */
		signal(SIGABRT, SIG_DFL);
		p = recycle_malloc(48);
		recycle_free(p);
		recycle_free(p);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* A live block that happens to start with the bytes a kept block is
 * marked with is not taken for one. */
static void
test_recycle_mark_alone_is_not_kept(void **state)
{
	uintptr_t *p, *q;

	(void)state;
	drain();
	p = recycle_malloc(64);
	q = recycle_malloc(64);
	recycle_free(p);
	/* q now starts as p does (the mark depends on the address, so it
	 * is copied and changed by the difference). */
	*q = *p ^ (uintptr_t)p ^ (uintptr_t)q;
	recycle_free(q);
	assert_ptr_equal(recycle_malloc(64), p);
	assert_ptr_equal(recycle_malloc(64), q);
	free(p);
	free(q);
	drain();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recycle_reuse_by_class),
	    cmocka_unit_test(test_recycle_oldest_first_and_depth),
	    cmocka_unit_test(test_recycle_budget),
	    cmocka_unit_test(test_recycle_large_blocks_pass_through),
	    cmocka_unit_test(test_recycle_calloc_clears),
	    cmocka_unit_test(test_recycle_realloc),
	    cmocka_unit_test(test_recycle_double_free_aborts),
	    cmocka_unit_test(test_recycle_mark_alone_is_not_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
