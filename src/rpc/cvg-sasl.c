/*
 * cvg-sasl.c: SASL authentication and security layers over Cyrus SASL
 */
#include "cvg-sasl.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <sasl/sasl.h>
#include <string.h>
#include <sys/socket.h>

/* libvirt's service name: it names the configuration file
 * (CONF_DIR/libvirt.conf) and the sasldb realm entries. */
#define SERVICE "libvirt"

struct _CvgSaslSession {
    sasl_conn_t *conn;
    bool server;
    bool encrypted; /* a TLS layer is below */
    /* start() once, then step() until complete: Cyrus SASL dereferences
     * a mechanism a step without a start does not have. */
    bool started, complete;
    char *authname; /* client credentials */
    char *password;
    sasl_secret_t *secret; /* @password as SASL wants it */
    sasl_callback_t callbacks[4];
    /* the security layer: encode and decode may run on two threads */
    GMutex lock;
    unsigned int maxout; /* largest plain chunk sasl_encode takes */
    char *enc;           /* an encoded chunk not yet fully sent */
    size_t enclen, encoff, enc_taken;
    char *dec; /* decoded bytes not yet returned */
    size_t declen, decoff;
};

/* Cyrus SASL stores every callback as int (*)(void) whatever its real
 * type; going through void (*)(void) says the cast is meant. */
#define SASL_CB(fn) ((int (*)(void))(void (*)(void))(fn))

static GMutex init_lock;
static int server_init_rc = 1; /* 1: not tried yet */
static int client_init_rc = 1;
static char *server_conf_dir; /* kept for the life of the process */

static int
sasl_log(void *context G_GNUC_UNUSED, int level, const char *message)
{
    if (level <= SASL_LOG_ERR)
        g_message("SASL: %s", message);
    else
        g_debug("SASL: %s", message);
    return SASL_OK;
}

static int
sasl_conf_path(void *context G_GNUC_UNUSED, char **path)
{
    *path = server_conf_dir;
    return SASL_OK;
}

static const sasl_callback_t server_callbacks[] = {
    {SASL_CB_GETCONFPATH, SASL_CB(sasl_conf_path), NULL},
    {SASL_CB_LOG, SASL_CB(sasl_log), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

static const sasl_callback_t client_callbacks[] = {
    {SASL_CB_LOG, SASL_CB(sasl_log), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

int
cvg_sasl_server_init(const char *conf_dir)
{
    int rc;

    g_mutex_lock(&init_lock);
    if (server_init_rc == 1) {
        server_conf_dir = g_strdup(conf_dir);
        server_init_rc = sasl_server_init(server_callbacks, SERVICE);
    }
    rc = server_init_rc;
    g_mutex_unlock(&init_lock);
    if (rc != SASL_OK) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("cannot initialize SASL library: %s"),
                              sasl_errstring(rc, NULL, NULL));
        return -1;
    }
    return 0;
}

int
cvg_sasl_client_init(void)
{
    int rc;

    g_mutex_lock(&init_lock);
    if (client_init_rc == 1)
        client_init_rc = sasl_client_init(client_callbacks);
    rc = client_init_rc;
    g_mutex_unlock(&init_lock);
    if (rc != SASL_OK) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("cannot initialize SASL library: %s"),
                              sasl_errstring(rc, NULL, NULL));
        return -1;
    }
    return 0;
}

/* "ADDR;PORT" of a socket end, as SASL wants it; NULL when not IP. */
static char *
addr_string(int fd, bool peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);

    if (rc < 0 || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return NULL;
    if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return NULL;
    return g_strdup_printf("%s;%s", host, serv);
}

static void
report_sasl(CvgSaslSession *s, int rc, const char *what)
{
    const char *detail =
        s && s->conn ? sasl_errdetail(s->conn) : sasl_errstring(rc, NULL, NULL);

    cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED, _("%s: %s"), what,
                          detail);
}

/* The floor and the external layer, the same on both sides.  Only the
 * TLS layer's strength is given, never the certificate's DN as
 * SASL_AUTH_EXTERNAL: that would enable the EXTERNAL mechanism, which logs
 * the certificate in with no password whenever mech_list does not exclude
 * it, and auth_tls = "sasl" asks for a SASL login on top of the
 * certificate. */
static int
session_secure(CvgSaslSession *s)
{
    sasl_security_properties_t props = {0};
    int rc;

    if (s->encrypted) {
        sasl_ssf_t ssf = CVG_SASL_TLS_SSF;

        if ((rc = sasl_setprop(s->conn, SASL_SSF_EXTERNAL, &ssf)) != SASL_OK) {
            report_sasl(s, rc, _("cannot set the SASL external layer"));
            return -1;
        }
    }
    props.min_ssf = s->encrypted ? 0 : CVG_SASL_MIN_SSF_PLAIN;
    props.max_ssf = 100000; /* whatever the mechanism has */
    props.maxbufsize = CVG_SASL_MAX_BUFSIZE;
    props.security_flags = SASL_SEC_NOANONYMOUS;
    if (!s->encrypted)
        props.security_flags |= SASL_SEC_NOPLAINTEXT;
    if ((rc = sasl_setprop(s->conn, SASL_SEC_PROPS, &props)) != SASL_OK) {
        report_sasl(s, rc, _("cannot set SASL security properties"));
        return -1;
    }
    return 0;
}

CvgSaslSession *
cvg_sasl_server_new(int fd, bool encrypted)
{
    g_autoptr(CvgSaslSession) s = g_new0(CvgSaslSession, 1);
    g_autofree char *local = addr_string(fd, false);
    g_autofree char *remote = addr_string(fd, true);
    int rc;

    g_mutex_init(&s->lock);
    s->server = true;
    s->encrypted = encrypted;
    rc = sasl_server_new(SERVICE, NULL, NULL, local, remote, NULL, 0, &s->conn);
    if (rc != SASL_OK) {
        s->conn = NULL;
        report_sasl(s, rc, _("cannot create a SASL server session"));
        return NULL;
    }
    if (session_secure(s) < 0)
        return NULL;
    return g_steal_pointer(&s);
}

static int
client_simple(void *context, int id, const char **result, unsigned *len)
{
    CvgSaslSession *s = context;

    if (id != SASL_CB_AUTHNAME && id != SASL_CB_USER)
        return SASL_BADPARAM;
    *result = s->authname;
    if (len)
        *len = strlen(s->authname);
    return SASL_OK;
}

static int
client_secret(sasl_conn_t *conn G_GNUC_UNUSED, void *context, int id,
              sasl_secret_t **psecret)
{
    CvgSaslSession *s = context;

    if (id != SASL_CB_PASS)
        return SASL_BADPARAM;
    *psecret = s->secret;
    return SASL_OK;
}

CvgSaslSession *
cvg_sasl_client_new(int fd, const char *host, bool encrypted,
                    const char *authname, const char *password)
{
    g_autoptr(CvgSaslSession) s = g_new0(CvgSaslSession, 1);
    g_autofree char *local = addr_string(fd, false);
    g_autofree char *remote = addr_string(fd, true);
    size_t plen = strlen(password);
    int rc;

    g_mutex_init(&s->lock);
    s->encrypted = encrypted;
    s->authname = g_strdup(authname);
    s->password = g_strdup(password);
    s->secret = g_malloc0(sizeof(sasl_secret_t) + plen + 1);
    s->secret->len = plen;
    memcpy(s->secret->data, password, plen);
    s->callbacks[0] =
        (sasl_callback_t){SASL_CB_AUTHNAME, SASL_CB(client_simple), s};
    s->callbacks[1] =
        (sasl_callback_t){SASL_CB_USER, SASL_CB(client_simple), s};
    s->callbacks[2] =
        (sasl_callback_t){SASL_CB_PASS, SASL_CB(client_secret), s};
    s->callbacks[3] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
    rc = sasl_client_new(SERVICE, host ? host : "localhost", local, remote,
                         s->callbacks, 0, &s->conn);
    if (rc != SASL_OK) {
        s->conn = NULL;
        report_sasl(s, rc, _("cannot create a SASL client session"));
        return NULL;
    }
    if (session_secure(s) < 0)
        return NULL;
    return g_steal_pointer(&s);
}

void
cvg_sasl_session_free(CvgSaslSession *s)
{
    if (!s)
        return;
    if (s->conn)
        sasl_dispose(&s->conn);
    g_free(s->authname);
    if (s->password)
        memset(s->password, 0, strlen(s->password));
    g_free(s->password);
    if (s->secret) {
        memset(s->secret->data, 0, s->secret->len);
        g_free(s->secret);
    }
    g_free(s->enc);
    g_free(s->dec);
    g_mutex_clear(&s->lock);
    g_free(s);
}

char *
cvg_sasl_server_mechlist(CvgSaslSession *s)
{
    const char *list = NULL;
    int rc = sasl_listmech(s->conn, NULL, "", ",", "", &list, NULL, NULL);

    if (rc != SASL_OK) {
        report_sasl(s, rc, _("cannot list SASL mechanisms"));
        return NULL;
    }
    return g_strdup(list);
}

/* SASL's answer to one step, as the callers return it. */
/* Is the step about to be taken (@start or not) in order?  Reported. */
static bool
step_in_order(CvgSaslSession *s, bool start)
{
    if (start ? !s->started : s->started && !s->complete) {
        s->started = true;
        return true;
    }
    cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED, "%s",
                          start ? _("SASL authentication already started")
                                : _("SASL authentication step out of order"));
    return false;
}

static int
step_result(CvgSaslSession *s, int rc, const char *out, unsigned outlen,
            char **ret_out, size_t *ret_outlen, const char *what)
{
    if (rc != SASL_OK && rc != SASL_CONTINUE) {
        report_sasl(s, rc, what);
        return -1;
    }
    if (outlen > CVG_SASL_MAX_BUFSIZE) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("SASL token of %u bytes is too long"), outlen);
        return -1;
    }
    *ret_out = out ? g_memdup2(out, outlen) : NULL;
    *ret_outlen = out ? outlen : 0;
    s->complete = rc == SASL_OK;
    return rc == SASL_OK ? 1 : 0;
}

int
cvg_sasl_server_start(CvgSaslSession *s, const char *mech, const char *in,
                      size_t inlen, char **ret_out, size_t *ret_outlen)
{
    const char *out = NULL;
    unsigned outlen = 0;
    int rc;

    if (!step_in_order(s, true))
        return -1;
    rc = sasl_server_start(s->conn, mech, in, in ? inlen : 0, &out, &outlen);
    return step_result(s, rc, out, outlen, ret_out, ret_outlen,
                       _("SASL authentication start failed"));
}

int
cvg_sasl_server_step(CvgSaslSession *s, const char *in, size_t inlen,
                     char **ret_out, size_t *ret_outlen)
{
    const char *out = NULL;
    unsigned outlen = 0;
    int rc;

    if (!step_in_order(s, false))
        return -1;
    rc = sasl_server_step(s->conn, in, in ? inlen : 0, &out, &outlen);
    return step_result(s, rc, out, outlen, ret_out, ret_outlen,
                       _("SASL authentication step failed"));
}

int
cvg_sasl_client_start(CvgSaslSession *s, const char *mechlist, char **ret_mech,
                      char **ret_out, size_t *ret_outlen)
{
    const char *out = NULL;
    unsigned outlen = 0;
    const char *mech = NULL;
    int ret, rc;

    if (!step_in_order(s, true))
        return -1;
    rc = sasl_client_start(s->conn, mechlist, NULL, &out, &outlen, &mech);
    ret = step_result(s, rc, out, outlen, ret_out, ret_outlen,
                      _("SASL authentication start failed"));
    if (ret >= 0)
        *ret_mech = g_strdup(mech);
    return ret;
}

int
cvg_sasl_client_step(CvgSaslSession *s, const char *in, size_t inlen,
                     char **ret_out, size_t *ret_outlen)
{
    const char *out = NULL;
    unsigned outlen = 0;
    int rc;

    if (!step_in_order(s, false))
        return -1;
    rc = sasl_client_step(s->conn, in, in ? inlen : 0, NULL, &out, &outlen);
    return step_result(s, rc, out, outlen, ret_out, ret_outlen,
                       _("SASL authentication step failed"));
}

const char *
cvg_sasl_session_username(CvgSaslSession *s)
{
    const void *name = NULL;

    if (sasl_getprop(s->conn, SASL_USERNAME, &name) != SASL_OK)
        return NULL;
    return name;
}

int
cvg_sasl_session_ssf(CvgSaslSession *s, unsigned int *ret_ssf)
{
    const void *val = NULL;
    unsigned int ssf;
    int rc = sasl_getprop(s->conn, SASL_SSF, &val);

    if (rc != SASL_OK) {
        report_sasl(s, rc, _("cannot query SASL security strength"));
        return -1;
    }
    ssf = *(const sasl_ssf_t *)val;
    if (!s->encrypted && ssf < CVG_SASL_MIN_SSF_PLAIN) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("negotiation SSF %u was not strong enough"),
                              ssf);
        return -1;
    }
    if (ssf > 0) {
        rc = sasl_getprop(s->conn, SASL_MAXOUTBUF, &val);
        s->maxout = rc == SASL_OK ? *(const unsigned *)val : 0;
        if (s->maxout == 0 || s->maxout > CVG_SASL_MAX_BUFSIZE)
            s->maxout = CVG_SASL_MAX_BUFSIZE;
    }
    *ret_ssf = ssf;
    return 0;
}

bool
cvg_sasl_username_allowed(const char *const *patterns, const char *username)
{
    if (!patterns || !*patterns)
        return true;
    if (!username)
        return false;
    for (; *patterns; patterns++) {
        if (fnmatch(*patterns, username, 0) == 0)
            return true;
    }
    return false;
}

/* ---- the security layer ------------------------------------------------ */

static ssize_t
layer_recv(void *data, CvgRpcLayer *below, void *buf, size_t len)
{
    CvgSaslSession *s = data;
    char raw[16384];

    while (s->decoff == s->declen) {
        const char *out = NULL;
        unsigned outlen = 0;
        ssize_t n = cvg_rpc_layer_recv(below, raw, sizeof(raw));
        int rc;

        if (n <= 0)
            return n;
        g_mutex_lock(&s->lock);
        rc = sasl_decode(s->conn, raw, n, &out, &outlen);
        g_mutex_unlock(&s->lock);
        if (rc != SASL_OK) {
            g_debug("SASL decode failed: %s", sasl_errstring(rc, NULL, NULL));
            errno = EIO;
            return -1;
        }
        /* Zero bytes: a packet is still incomplete; read more. */
        g_free(s->dec);
        s->dec = outlen ? g_memdup2(out, outlen) : NULL;
        s->declen = outlen;
        s->decoff = 0;
    }
    len = MIN(len, s->declen - s->decoff);
    memcpy(buf, s->dec + s->decoff, len);
    s->decoff += len;
    return len;
}

static ssize_t
layer_send(void *data, CvgRpcLayer *below, const void *buf, size_t len)
{
    CvgSaslSession *s = data;
    size_t taken;

    if (!s->enc) {
        const char *out = NULL;
        unsigned outlen = 0;
        int rc;

        taken = MIN(len, s->maxout ? s->maxout : CVG_SASL_MAX_BUFSIZE);
        g_mutex_lock(&s->lock);
        rc = sasl_encode(s->conn, buf, taken, &out, &outlen);
        g_mutex_unlock(&s->lock);
        if (rc != SASL_OK) {
            g_debug("SASL encode failed: %s", sasl_errstring(rc, NULL, NULL));
            errno = EIO;
            return -1;
        }
        s->enc = g_memdup2(out, outlen);
        s->enclen = outlen;
        s->encoff = 0;
        s->enc_taken = taken;
    }
    /* The caller repeats an EAGAIN'd send with the same bytes: the encoded
     * record is finished first, then counted as taken. */
    while (s->encoff < s->enclen) {
        ssize_t n = cvg_rpc_layer_send(below, s->enc + s->encoff,
                                       s->enclen - s->encoff);

        if (n == 0)
            errno = EIO;
        if (n <= 0)
            return -1;
        s->encoff += n;
    }
    taken = s->enc_taken;
    g_clear_pointer(&s->enc, g_free);
    return taken;
}

static size_t
layer_pending(void *data)
{
    CvgSaslSession *s = data;

    return s->declen - s->decoff;
}

static void
layer_free(void *data)
{
    cvg_sasl_session_free(data);
}

const CvgRpcLayerOps cvg_sasl_layer_ops = {
    .name = "sasl",
    .recv = layer_recv,
    .send = layer_send,
    .pending = layer_pending,
    .free = layer_free,
};

/* ---- libvirt's auth.conf ------------------------------------------------ */

/* The credentials group @group names, or NULL. */
static char *
auth_file_credentials(GKeyFile *kf, const char *group)
{
    g_autofree char *name =
        g_key_file_get_string(kf, group, "credentials", NULL);

    return name ? g_strdup_printf("credentials-%s", name) : NULL;
}

int
cvg_sasl_auth_file_lookup(const char *path, const char *host,
                          char **ret_authname, char **ret_password)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) gerr = NULL;
    g_autofree char *group =
        g_strdup_printf("auth-" SERVICE "-%s", host ? host : "localhost");
    g_autofree char *creds = NULL;
    g_autofree char *authname = NULL;
    g_autofree char *password = NULL;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("cannot read credentials from '%s': %s"), path,
                              gerr->message);
        return -1;
    }
    if (!(creds = auth_file_credentials(kf, group)))
        creds = auth_file_credentials(kf, "auth-" SERVICE "-default");
    if (creds) {
        authname = g_key_file_get_string(kf, creds, "authname", NULL);
        password = g_key_file_get_string(kf, creds, "password", NULL);
    }
    if (!authname || !password) {
        cvg_error_report_full(CVG_FROM_RPC, CVG_ERR_AUTH_FAILED,
                              _("no credentials for '%s' in '%s'"),
                              host ? host : "localhost", path);
        return -1;
    }
    *ret_authname = g_steal_pointer(&authname);
    *ret_password = g_steal_pointer(&password);
    return 0;
}
