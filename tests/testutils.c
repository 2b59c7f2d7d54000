/*
 * testutils.c: tiny harness for data-driven unit tests
 */
#include "testutils.h"

#include "cvg-error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed;
static int failed;

char *
cvg_test_srcpath(const char *rel)
{
    const char *src = g_getenv("CVG_TEST_SRCDIR");

    return g_build_filename(src ? src : ".", rel, NULL);
}

char *
cvg_test_case_path(const char *datadir, const char *name, const char *suffix)
{
    g_autofree char *rel = g_strdup_printf("%s/%s%s", datadir, name, suffix);

    return cvg_test_srcpath(rel);
}

char *
cvg_test_load_file(const char *path)
{
    g_autoptr(GError) err = NULL;
    char *contents = NULL;

    if (!g_file_get_contents(path, &contents, NULL, &err)) {
        fprintf(stderr, "cannot read %s: %s\n", path, err->message);
        return NULL;
    }
    return contents;
}

int
cvg_test_compare_file(const char *expected_path, const char *actual)
{
    g_autofree char *expected = NULL;

    if (g_strcmp0(g_getenv("CVG_TEST_REGENERATE"), "1") == 0) {
        if (!g_file_set_contents(expected_path, actual, -1, NULL)) {
            fprintf(stderr, "cannot write %s\n", expected_path);
            return -1;
        }
        return 0;
    }
    if (!(expected = cvg_test_load_file(expected_path)))
        return -1;
    if (strcmp(expected, actual) != 0) {
        g_auto(GStrv) e = g_strsplit(expected, "\n", -1);
        g_auto(GStrv) a = g_strsplit(actual, "\n", -1);
        size_t i;

        for (i = 0; e[i] && a[i] && strcmp(e[i], a[i]) == 0; i++)
            ;
        fprintf(stderr, "%s differs at line %zu:\n- %s\n+ %s\n", expected_path,
                i + 1, e[i] ? e[i] : "<eof>", a[i] ? a[i] : "<eof>");
        return -1;
    }
    return 0;
}

void
cvg_test_run(const char *name, int (*fn)(const void *data), const void *data)
{
    int rc = fn(data);

    if (rc == 0) {
        passed++;
        printf("ok   %s\n", name);
    } else {
        failed++;
        printf("FAIL %s\n", name);
    }
    fflush(stdout);
}

int
cvg_test_finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
cvg_test_list_cases(const char *dir, const char *suffix)
{
    GPtrArray *cases = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *ent;

    while (d && (ent = g_dir_read_name(d))) {
        if (g_str_has_suffix(ent, suffix))
            g_ptr_array_add(cases,
                            g_strndup(ent, strlen(ent) - strlen(suffix)));
    }
    /* A data directory that is missing or holds no case is a broken test,
     * not a passing one. */
    if (cases->len == 0) {
        fprintf(stderr, "FAIL %s: no *%s case files\n", dir, suffix);
        failed++;
    }
    g_ptr_array_sort(cases, cmp_str);
    return cases;
}

char *
cvg_test_error_line(void)
{
    const CvgError *err = cvg_error_last();

    if (!err)
        return g_strdup("no error reported\n");
    return g_strdup_printf("%d: %s\n", err->code, err->message);
}
