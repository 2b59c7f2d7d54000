/*
 * testutils.h: tiny harness for data-driven unit tests
 *
 * DO_TEST-style helpers: each case is a basename in tests/<subject>data/;
 * expectations are whole files.  CVG_TEST_REGENERATE=1 rewrites them.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Absolute path of tests/<rel> in the source tree (g_free it). */
char *cvg_test_srcpath(const char *rel);

/* Absolute path of tests/@datadir/@name@suffix, the file of case @name with
 * that suffix (g_free it). */
char *cvg_test_case_path(const char *datadir, const char *name,
                         const char *suffix);

/* Read a whole file; NULL (and a message on stderr) if it cannot be read. */
char *cvg_test_load_file(const char *path);

/* The last reported error as "CODE: MESSAGE\n", the line .err expectation
 * files hold (g_free it). */
char *cvg_test_error_line(void);

/*
 * Compare @actual with the contents of @expected_path.  With
 * CVG_TEST_REGENERATE=1 in the environment, write @actual there instead.
 * Prints a unified-style hint on mismatch.  Returns 0 on match.
 */
int cvg_test_compare_file(const char *expected_path, const char *actual);

/* Run @fn(@data) as a named case, print "ok"/"FAIL", count the result. */
void cvg_test_run(const char *name, int (*fn)(const void *data),
                  const void *data);

/* Print "N passed, M failed" and return the process exit code. */
int cvg_test_finish(void);

/* Sorted basenames of files in @dir ending in @suffix (suffix stripped).
 * A missing or empty directory counts as one failed case. */
GPtrArray *cvg_test_list_cases(const char *dir, const char *suffix);
