/*
 * fuzz-qmp.c: libFuzzer target for the QMP reader
 *
 * Feeds arbitrary bytes, as if QEMU had sent them, through the monitor's
 * line splitting, JSON parsing and message dispatch.  Seeds live in
 * tests/fuzz/qmp-reply/; qemumonitortest replays them under meson test.
 */
#include "qemu-monitor.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cvg_qmp_feed_for_fuzzing((const char *)data, size);
    return 0;
}
