/*
 * replay-main.c: run a fuzz target over saved inputs, without libFuzzer
 *
 * Linked with one fuzz-*.c target into a plain executable that meson test
 * runs over the target's corpus directory: every seed and every crash
 * reproducer committed there is a regression test.  Each argument is a
 * directory (all its regular files are replayed, in name order, so that a
 * failure is reproducible) or a single file.
 *
 * An input passes when LLVMFuzzerTestOneInput returns; a target reports a
 * broken invariant with abort(), which ends the run with the signal.  An
 * input that cannot be read counts as failed.  No input at all is a failure
 * too: a corpus path that went wrong must not look like a green test.
 */
#include <glib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    unsigned int passed;
    unsigned int failed;
} ReplayCounts;

static void
replay_file(const char *path, ReplayCounts *counts)
{
    g_autofree char *contents = NULL;
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    g_autofree uint8_t *copy = NULL;

    if (!g_file_get_contents(path, &contents, &len, &err)) {
        fprintf(stderr, "FAIL %s: %s\n", path, err->message);
        counts->failed++;
        return;
    }
    /* An exact-size copy, as libFuzzer passes it, so that ASan and
     * valgrind see a read past the end of the input (g_file_get_contents
     * adds a NUL the fuzzer does not). */
    copy = g_memdup2(contents, len);
    fprintf(stderr, "replay %s (%zu bytes)\n", path, (size_t)len);
    LLVMFuzzerTestOneInput(copy, len);
    counts->passed++;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
replay_path(const char *path, ReplayCounts *counts)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = NULL;
    const char *ent;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        replay_file(path, counts);
        return;
    }
    if (!(dir = g_dir_open(path, 0, &err))) {
        fprintf(stderr, "FAIL %s: %s\n", path, err->message);
        counts->failed++;
        return;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while ((ent = g_dir_read_name(dir))) {
        char *full = g_build_filename(path, ent, NULL);

        /* Only regular files: a README or subdirectory is not an input. */
        if (g_file_test(full, G_FILE_TEST_IS_REGULAR) &&
            !g_file_test(full, G_FILE_TEST_IS_SYMLINK))
            g_ptr_array_add(names, full);
        else
            g_free(full);
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++)
        replay_file(g_ptr_array_index(names, i), counts);
}

int
main(int argc, char **argv)
{
    ReplayCounts counts = {0, 0};

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR|FILE...\n", argv[0]);
        return EXIT_FAILURE;
    }
    for (int i = 1; i < argc; i++)
        replay_path(argv[i], &counts);
    printf("%u passed, %u failed\n", counts.passed, counts.failed);
    return counts.failed == 0 && counts.passed > 0 ? EXIT_SUCCESS
                                                   : EXIT_FAILURE;
}
