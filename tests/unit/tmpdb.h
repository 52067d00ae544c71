/* tmpdb.h: a database file in a fresh temporary directory, for the unit
 * tests that need a real SQLite file (included by each, one binary each). */
#ifndef AUTHCGI_TESTS_TMPDB_H
#define AUTHCGI_TESTS_TMPDB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct tmpdb {
	char dir[64];
	char path[128]; /* dir + "/auth.db": not created */
	char key[128];  /* dir + "/auth.db.key": the secret key file's
	                   default place, not created */
};

/* Make a new directory /tmp/<name>.XXXXXX; 0, or -1 on failure. */
static int
tmpdb_make(struct tmpdb *t, const char *name)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/auth.db", t->dir);
	snprintf(t->key, sizeof(t->key), "%s/auth.db.key", t->dir);
	return 0;
}

/* Remove the database, every file SQLite may leave beside it, and the
 * directory. */
static void
tmpdb_remove(const struct tmpdb *t)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal",
	                                     ".key"};
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

#endif
