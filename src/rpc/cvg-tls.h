/*
 * cvg-tls.h: TLS (GnuTLS, x509) for the listener and the peer client
 *
 * A context holds the credentials and the checks; a session is a layer on
 * a connection's transport (cvg-transport.h).  The server runs the
 * handshake through the listener's CvgRpcHandshakeOps, checks the client's
 * certificate and DN, and then writes the one status byte (1) that libvirt
 * clients read before their first call.  The peer client runs its
 * handshake synchronously and reads that byte.
 */
#pragma once

#include "cvg-server.h"
#include "cvg-transport.h"

#include <stdbool.h>

typedef struct _CvgTlsContext CvgTlsContext;

/* libvirt's default locations. */
#define CVG_TLS_CA_FILE "/etc/pki/CA/cacert.pem"
#define CVG_TLS_CRL_FILE "/etc/pki/CA/cacrl.pem"
#define CVG_TLS_SERVER_CERT "/etc/pki/libvirt/servercert.pem"
#define CVG_TLS_SERVER_KEY "/etc/pki/libvirt/private/serverkey.pem"
#define CVG_TLS_CLIENT_CERT "/etc/pki/libvirt/clientcert.pem"
#define CVG_TLS_CLIENT_KEY "/etc/pki/libvirt/private/clientkey.pem"

typedef struct {
    const char *ca_file;     /* required */
    const char *cert_file;   /* required */
    const char *key_file;    /* required */
    const char *crl_file;    /* NULL, or used when the file exists */
    const char *priority;    /* GnuTLS priority string; NULL: "NORMAL" */
    bool no_verify;          /* server: do not check the client's certificate;
                              * client: nor the server's */
    char *const *allowed_dn; /* server: fnmatch patterns against the client
                              * DN; NULL or empty: any DN */
} CvgTlsConfig;

/* A server or client context from @cfg (files read now; the strings are
 * copied).  NULL reported (SYSTEM_ERROR for a file, naming it). */
CvgTlsContext *cvg_tls_context_new(const CvgTlsConfig *cfg, bool server);
void cvg_tls_context_free(CvgTlsContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgTlsContext, cvg_tls_context_free)

/* Whether @dn ("C=GB,O=x,CN=y", as GnuTLS prints it) matches one of
 * @patterns (fnmatch wildcards); NULL or empty @patterns allow any. */
bool cvg_tls_dn_allowed(const char *dn, char *const *patterns);

/* The server's handshake; the listener's handshake_opaque is the
 * CvgTlsContext (which must outlive the listener). */
extern const CvgRpcHandshakeOps cvg_tls_server_handshake;

/*
 * Client side: run the handshake on @tr (a connected socket, nothing
 * pushed yet), check the server certificate against @hostname (unless the
 * context says no_verify), read the status byte and push the TLS layer.
 * @uri names the peer in errors.  0, or -1 reported.
 */
int cvg_tls_client_start(CvgTlsContext *ctx, CvgRpcTransport *tr,
                         const char *hostname, const char *uri, int timeout_ms);
