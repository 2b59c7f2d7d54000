/*
 * cvg-sasl.h: SASL authentication and security layers over Cyrus SASL
 *
 * One CvgSaslSession is one SASL exchange on one connection, on the
 * server side (the daemon's TCP and TLS listeners) or the client side (the
 * peer client of peer-to-peer migration).  The service name is "libvirt",
 * as libvirt's, so an existing sasldb made for libvirtd works.
 *
 * A session is used by one thread at a time during the exchange; once it
 * became a security layer (cvg_sasl_layer_ops) its encode and decode may
 * run at once on two threads, which the session serializes itself.
 */
#pragma once

#include "cvg-transport.h"

#include <glib.h>
#include <stdbool.h>

typedef struct _CvgSaslSession CvgSaslSession;

/* What plain TCP needs from a mechanism's security layer: libvirt's floor
 * (a 56-bit key), so only mechanisms that encrypt are usable there. */
#define CVG_SASL_MIN_SSF_PLAIN 56

/* The security strength counted for a TLS layer below: the transport does
 * not say which cipher TLS chose, and every suite GnuTLS' default
 * priorities allow has at least a 128-bit key. */
#define CVG_SASL_TLS_SSF 128

/* Tokens and layer packets are bounded by the wire's token size. */
#define CVG_SASL_MAX_BUFSIZE 65536

/* Initialise the server side once per process, reading the service's
 * configuration (libvirt.conf: mech_list, sasldb_path) from @conf_dir.
 * Later calls return the first one's result.  0, or -1 reported. */
int cvg_sasl_server_init(const char *conf_dir);

/* Initialise the client side once per process.  0, or -1 reported. */
int cvg_sasl_client_init(void);

/*
 * A server session for the connected socket @fd.  @encrypted: a TLS layer
 * is below (its strength is given to SASL; EXTERNAL is never offered);
 * otherwise the mechanism must bring a layer of at least
 * CVG_SASL_MIN_SSF_PLAIN.  NULL reported.
 */
CvgSaslSession *cvg_sasl_server_new(int fd, bool encrypted);

/*
 * A client session to @host over @fd with credentials @authname and
 * @password (copied), under the same SSF rule as the server.  NULL
 * reported.
 */
CvgSaslSession *cvg_sasl_client_new(int fd, const char *host, bool encrypted,
                                    const char *authname, const char *password);

void cvg_sasl_session_free(CvgSaslSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgSaslSession, cvg_sasl_session_free)

/* The server's mechanisms, comma separated (g_free).  NULL reported. */
char *cvg_sasl_server_mechlist(CvgSaslSession *s);

/*
 * One exchange step.  @in (NULL: no token, which differs from an empty
 * one) goes to SASL; *@ret_out (g_free, NULL when SASL has no token) is
 * what goes back.  Returns 1 when the exchange is complete, 0 when the
 * peer must step again, -1 on failure (reported: AUTH_FAILED).
 */
int cvg_sasl_server_start(CvgSaslSession *s, const char *mech, const char *in,
                          size_t inlen, char **ret_out, size_t *ret_outlen);
int cvg_sasl_server_step(CvgSaslSession *s, const char *in, size_t inlen,
                         char **ret_out, size_t *ret_outlen);

/* The client picks a mechanism from the server's @mechlist; *@ret_mech
 * (g_free) names it.  Same returns as the server's. */
int cvg_sasl_client_start(CvgSaslSession *s, const char *mechlist,
                          char **ret_mech, char **ret_out, size_t *ret_outlen);
int cvg_sasl_client_step(CvgSaslSession *s, const char *in, size_t inlen,
                         char **ret_out, size_t *ret_outlen);

/* After completion: the authenticated user name (server side; owned by
 * the session) and the negotiated security strength, checked against the
 * floor (-1 reported when too weak). */
const char *cvg_sasl_session_username(CvgSaslSession *s);
int cvg_sasl_session_ssf(CvgSaslSession *s, unsigned int *ret_ssf);

/* Is @username matched by one of @patterns (fnmatch wildcards)?  An empty
 * or NULL list allows everyone. */
bool cvg_sasl_username_allowed(const char *const *patterns,
                               const char *username);

/* The security layer a session with SSF > 0 puts on the stream; its data
 * is the session, which the layer owns (freed with it). */
extern const CvgRpcLayerOps cvg_sasl_layer_ops;

/*
 * Credentials for @host (NULL: "localhost") from @path, a file in
 * libvirt's auth.conf format: the group [auth-libvirt-HOST] (or
 * [auth-libvirt-default]) names with credentials=NAME a group
 * [credentials-NAME] holding authname= and password=.  *@ret_authname
 * and *@ret_password are g_free'd by the caller.  0, or -1 reported
 * (AUTH_FAILED) when the file or the entry is missing.
 */
int cvg_sasl_auth_file_lookup(const char *path, const char *host,
                              char **ret_authname, char **ret_password);
