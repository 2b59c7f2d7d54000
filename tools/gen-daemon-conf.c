/*
 * gen-daemon-conf.c: write the generated configuration file or the key
 * list of convergd.conf(5), both from the daemon's key tables
 *
 *   gen-daemon-conf conf|rst OUTPUT
 */
#include "daemon-conf.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;

    if (argc != 3 ||
        (strcmp(argv[1], "conf") != 0 && strcmp(argv[1], "rst") != 0)) {
        fprintf(stderr, "usage: %s conf|rst OUTPUT\n", argv[0]);
        return 2;
    }
    text = strcmp(argv[1], "conf") == 0 ? cvg_daemon_config_format_sample()
                                        : cvg_daemon_config_format_rst();
    if (!g_file_set_contents(argv[2], text, -1, &gerr)) {
        fprintf(stderr, "%s: %s\n", argv[0], gerr->message);
        return 1;
    }
    return 0;
}
