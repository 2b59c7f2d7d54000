/*
 * peer-open.c: the daemon's peer client from the command line, for
 * tests/integration/test_sasl.py
 *
 *   peer-open URI AUTH_FILE
 *
 * Opens URI with cvg_rpc_conn_open() as peer-to-peer migration does
 * (credentials from AUTH_FILE when the peer asks for SASL), then prints
 * the peer's connection type and the size of its capabilities XML (two
 * calls through the security layer).  On failure prints the error code
 * and message and exits 1.
 */
#include "cvg-client.h"
#include "cvg-protocol.h"
#include "cvg-error.h"

#include <stdio.h>
#include <string.h>

static int
fail(void)
{
    const CvgError *err = cvg_error_last();

    fprintf(stderr, "error %d: %s\n", err ? err->code : -1,
            err ? err->message : "unknown");
    return 1;
}

int
main(int argc, char **argv)
{
    CvgRpcConn *conn;
    CvgRemoteConnectGetTypeRet type = {0};
    CvgRemoteConnectGetCapabilitiesRet caps = {0};

    if (argc != 3) {
        fprintf(stderr, "usage: %s URI AUTH_FILE\n", argv[0]);
        return 2;
    }
    cvg_rpc_client_set_auth_file(argv[2]);
    if (!(conn = cvg_rpc_conn_open(argv[1], NULL, 10000)))
        return fail();
    if (cvg_rpc_conn_call(conn, CVG_PROC_CONNECT_GET_TYPE, NULL, NULL,
                          (xdrproc_t)xdr_CvgRemoteConnectGetTypeRet, &type,
                          10000) < 0 ||
        cvg_rpc_conn_call(conn, CVG_PROC_CONNECT_GET_CAPABILITIES, NULL, NULL,
                          (xdrproc_t)xdr_CvgRemoteConnectGetCapabilitiesRet,
                          &caps, 10000) < 0) {
        cvg_rpc_conn_close(conn);
        return fail();
    }
    printf("type %s\ncapabilities %zu\n", type.type, strlen(caps.capabilities));
    cvg_rpc_payload_free((xdrproc_t)xdr_CvgRemoteConnectGetTypeRet, &type);
    cvg_rpc_payload_free((xdrproc_t)xdr_CvgRemoteConnectGetCapabilitiesRet,
                         &caps);
    cvg_rpc_conn_close(conn);
    return 0;
}
