/*
 * cvg-protocol.c: the remote program's procedures
 */
#include "cvg-protocol.h"

const CvgRemoteProcInfo *
cvg_remote_proc_info(int proc)
{
    size_t lo = 0;
    size_t hi = cvg_remote_nprocs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cvg_remote_procs[mid].proc == proc)
            return &cvg_remote_procs[mid];
        if (cvg_remote_procs[mid].proc < proc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *
cvg_remote_procedure_name(int proc)
{
    const CvgRemoteProcInfo *info = cvg_remote_proc_info(proc);

    return info ? info->name : "UNKNOWN";
}
