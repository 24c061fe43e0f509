/*
 * tls: the TLS layer of a connection on an https port, as HTTP.sys does it in the kernel: the
 * handshake with the certificate the bindings pick (F-118, F-119), reads and writes through OpenSSL
 * over the non-blocking socket driven by net.c's epoll loop, what every request then reports
 * (pSslInfo, the SslProtocol request info, the SNI property: F-120, F-121, F-128..F-131), and client
 * certificates, at the handshake or by renegotiation (HttpReceiveClientCertificate, F-122..F-127).
 * Every call on a connection's SSL is made under its own lock (ssl_mu), taken after g_emu_lock or, by the
 * connection's writer, without it: one SSL object is not safe for two threads.
 */
#define _GNU_SOURCE
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static SSL_CTX *g_ctx;
static unsigned long g_ctx_generation;

/* Client chains are checked, never refused: HTTP.sys delivers the request and reports the result in
 * CertFlags (F-127). The first error is kept for that. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
    if (!ok) {
        SSL *s = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
        conn *c = s ? SSL_get_app_data(s) : NULL;
        if (c != NULL && c->tls_verify_err == 0) c->tls_verify_err = X509_STORE_CTX_get_error(x);
    }
    return 1;
}

/* Called once the ClientHello (and its SNI) is known: installs the bound certificate (F-118). */
static int cert_cb(SSL *s, void *arg)
{
    (void)arg;
    conn *c = SSL_get_app_data(s);
    const char *sni = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    ULONG flags = 0, sni_flags = 0;
    const emu_cert *cert = emu_binding_pick(&c->local, sni, &flags, &sni_flags);
    if (cert == NULL) return 0; /* F-119: no binding, the handshake fails */
    if (SSL_use_certificate(s, cert->x) != 1 || SSL_use_PrivateKey(s, cert->key) != 1 ||
        SSL_set1_chain(s, cert->chain) != 1)
        return 0;
    c->tls_binding_flags = flags;
    c->tls_sni_flags = sni_flags;
    /* F-122: clientcertnegotiation=enable asks for the certificate in the handshake itself. */
    if (flags & HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT) SSL_set_verify(s, SSL_VERIFY_PEER, verify_cb);
    return 1;
}

/* ALPN (F-154): h2 when the client offers it, unless the binding says DISABLE_HTTP2 (F-116); else
 * http/1.1; a client offering neither gets no ALPN answer and speaks HTTP/1.1. The binding is looked
 * up again here: a resumed session skips cert_cb. */
static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned int inlen,
                   void *arg)
{
    (void)arg;
    static const unsigned char both[] = "\x02h2\x08http/1.1", h1[] = "\x08http/1.1";
    conn *c = SSL_get_app_data(s);
    ULONG flags = 0, sni_flags = 0;
    emu_binding_pick(&c->local, SSL_get_servername(s, TLSEXT_NAMETYPE_host_name), &flags, &sni_flags);
    int h2 = !(flags & HTTP_SERVICE_CONFIG_SSL_FLAG_DISABLE_HTTP2);
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, h2 ? both : h1, h2 ? sizeof(both) - 1 : sizeof(h1) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* The SSL object is used under c->ssl_mu, always taken after g_emu_lock (or without it, by the writer
 * alone): one SSL object is not safe for two threads, and the connection's writer encrypts and sends with
 * the global lock released, as a plain connection's writer sends (out.c). Under it only OpenSSL runs, with
 * the handshake's callbacks and info_build; the connection's fields change after it is released, so
 * nothing called under it takes it again. */
static void ssl_enter(conn *c) { pthread_mutex_lock(&c->ssl_mu); }
static void ssl_leave(conn *c) { pthread_mutex_unlock(&c->ssl_mu); }

int emu_tls_alpn_h2(conn *c)
{
    const unsigned char *p = NULL;
    unsigned int n = 0;
    ssl_enter(c);
    SSL_get0_alpn_selected(c->ssl, &p, &n);
    ssl_leave(c);
    return n == 2 && memcmp(p, "h2", 2) == 0;
}

/* One context for every TLS port; rebuilt when the store changes so its trust store follows. */
static SSL_CTX *ctx_get(void)
{
    if (g_ctx != NULL && g_ctx_generation == emu_certs_generation()) return g_ctx;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) return NULL;
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* One read() for what the socket has, not one for each record's header and one for its body. */
    SSL_CTX_set_read_ahead(ctx, 1);
    /* A client that closes without close_notify is an ordinary FIN here, as on a plain connection. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"httpsys", 7);
    emu_certs_trust(SSL_CTX_get_cert_store(ctx));
    SSL_CTX_free(g_ctx); /* connections hold their own reference */
    g_ctx = ctx;
    g_ctx_generation = emu_certs_generation();
    return ctx;
}

/* OpenSSL's socket BIO writes with write(): a client gone away would raise SIGPIPE in whichever
 * thread writes (the event loop, or the application's in an API call), and HTTP.sys never signals
 * an application. The same BIO, writing with send(MSG_NOSIGNAL). */
static BIO_METHOD *g_bio;
static pthread_once_t g_bio_once = PTHREAD_ONCE_INIT;

static int nosig_write(BIO *b, const char *in, int len)
{
    int fd = -1;
    BIO_get_fd(b, &fd);
    errno = 0;
    int n = (int)send(fd, in, (size_t)len, MSG_NOSIGNAL);
    BIO_clear_retry_flags(b);
    if (n <= 0 && BIO_sock_should_retry(n)) BIO_set_retry_write(b);
    return n;
}

static void bio_make(void)
{
    const BIO_METHOD *sock = BIO_s_socket();
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOCKET, "socket, no SIGPIPE");
    if (m == NULL) return;
    BIO_meth_set_write(m, nosig_write);
    BIO_meth_set_read(m, BIO_meth_get_read(sock));
    BIO_meth_set_puts(m, BIO_meth_get_puts(sock));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock));
    BIO_meth_set_create(m, BIO_meth_get_create(sock));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock));
    g_bio = m;
}

int emu_tls_start(conn *c)
{
    SSL_CTX *ctx = ctx_get();
    pthread_once(&g_bio_once, bio_make);
    SSL *s = ctx && g_bio ? SSL_new(ctx) : NULL;
    if (s == NULL) return -1;
    BIO *b = BIO_new(g_bio);
    if (b == NULL) { SSL_free(s); return -1; }
    BIO_set_fd(b, c->fd, BIO_NOCLOSE);
    SSL_set_bio(s, b, b);
    SSL_set_accept_state(s);
    SSL_set_app_data(s, c);
    pthread_mutex_init(&c->ssl_mu, NULL);
    c->ssl = s;
    return 0;
}

static void info_free(conn *c)
{
    if (c->tls == NULL) return;
    free(c->tls->client_der);
    free(c->tls);
    c->tls = NULL;
}

void emu_tls_free(conn *c)
{
    if (c->ssl != NULL) {
        SSL_free(c->ssl); /* no writer left: a connection is buried only once its write has returned */
        pthread_mutex_destroy(&c->ssl_mu);
    }
    c->ssl = NULL;
    info_free(c);
}

/* ---- what a request reports ---- */

static void name_string(X509_NAME *n, char *out, size_t cap)
{
    /* "C=US, O=..., CN=..." in certificate order: the RDN form IIS shows (F-121). */
    out[0] = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL) return;
    X509_NAME_print_ex(b, n, 0, (XN_FLAG_SEP_CPLUS_SPC | ASN1_STRFLGS_RFC2253) & ~ASN1_STRFLGS_ESC_MSB);
    int k = BIO_read(b, out, (int)cap - 1);
    out[k > 0 ? k : 0] = 0;
    BIO_free(b);
}

/* F-127: OpenSSL's verification result as the CERT_E_* code schannel would give. */
static ULONG cert_flags(long e)
{
    switch (e) {
    case X509_V_OK: return 0;
    case X509_V_ERR_CERT_HAS_EXPIRED: case X509_V_ERR_CERT_NOT_YET_VALID: return 0x800B0101u; /* CERT_E_EXPIRED */
    case X509_V_ERR_CERT_REVOKED: return 0x800B010Cu;                                           /* CERT_E_REVOKED */
    case X509_V_ERR_INVALID_PURPOSE: return 0x800B0110u;                                        /* CERT_E_WRONG_USAGE */
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        return 0x800B0112u;                                                                     /* CERT_E_UNTRUSTEDCA */
    default: return 0x800B0109u;                                                                /* CERT_E_UNTRUSTEDROOT */
    }
}

/* F-129: the schannel server-side protocol bit. */
static ULONG protocol_bit(int v)
{
    switch (v) {
    case TLS1_VERSION: return SP_PROT_TLS1_0_SERVER;
    case TLS1_1_VERSION: return SP_PROT_TLS1_1_SERVER;
    case TLS1_2_VERSION: return SP_PROT_TLS1_2_SERVER;
    case TLS1_3_VERSION: return SP_PROT_TLS1_3_SERVER;
    default: return 0;
    }
}

static ULONG hash_alg(int nid, ULONG *bits)
{
    switch (nid) {
    case NID_sha1: *bits = 160; return CALG_SHA1;
    case NID_sha256: *bits = 256; return CALG_SHA_256;
    case NID_sha384: *bits = 384; return CALG_SHA_384;
    case NID_sha512: *bits = 512; return CALG_SHA_512;
    default: *bits = 0; return 0;
    }
}

/* F-128, F-130: the suite as CryptoAPI ALG_IDs with strengths in bits. */
static void protocol_info(SSL *s, const SSL_CIPHER *ci, HTTP_SSL_PROTOCOL_INFO *p)
{
    memset(p, 0, sizeof(*p));
    p->Protocol = protocol_bit(SSL_version(s));
    int cnid = SSL_CIPHER_get_cipher_nid(ci);
    switch (cnid) {
    case NID_aes_128_gcm: case NID_aes_128_cbc: case NID_aes_128_ccm: p->CipherType = CALG_AES_128; break;
    case NID_aes_256_gcm: case NID_aes_256_cbc: case NID_aes_256_ccm: p->CipherType = CALG_AES_256; break;
    case NID_des_ede3_cbc: p->CipherType = CALG_3DES; break;
    default: p->CipherType = 0; break; /* ChaCha20 has no ALG_ID */
    }
    p->CipherStrength = (ULONG)SSL_CIPHER_get_bits(ci, NULL);
    ULONG bits = 0;
    if (SSL_CIPHER_is_aead(ci)) {
        /* An AEAD suite has no MAC: the PRF's hash, strength 0, as the open question F-130 leaves it. */
        const EVP_MD *md = SSL_CIPHER_get_handshake_digest(ci);
        p->HashType = md ? hash_alg(EVP_MD_get_type(md), &bits) : 0;
        p->HashStrength = 0;
    } else {
        p->HashType = hash_alg(SSL_CIPHER_get_digest_nid(ci), &bits);
        p->HashStrength = bits;
    }
    int kx = SSL_CIPHER_get_kx_nid(ci);
    if (kx == NID_kx_rsa) {
        p->KeyExchangeType = CALG_RSA_KEYX;
        EVP_PKEY *k = SSL_get_privatekey(s);
        p->KeyExchangeStrength = k ? (ULONG)EVP_PKEY_get_bits(k) : 0;
        return;
    }
    /* Ephemeral (EC)DH, the only kind TLS 1.3 has: the group says which and how strong. */
    int dh = 0;
    switch (SSL_get_negotiated_group(s)) {
    case NID_X9_62_prime256v1: bits = 256; break;
    case NID_secp384r1: bits = 384; break;
    case NID_secp521r1: bits = 521; break;
    case NID_X25519: bits = 255; break;
    case NID_X448: bits = 448; break;
    case NID_ffdhe2048: bits = 2048; dh = 1; break;
    case NID_ffdhe3072: bits = 3072; dh = 1; break;
    case NID_ffdhe4096: bits = 4096; dh = 1; break;
    case NID_ffdhe6144: bits = 6144; dh = 1; break;
    case NID_ffdhe8192: bits = 8192; dh = 1; break;
    default: bits = 0; dh = kx == NID_kx_dhe; break;
    }
    p->KeyExchangeType = dh ? CALG_DH_EPHEM : CALG_ECDH_EPHEM;
    p->KeyExchangeStrength = bits;
}

/* After a handshake (the first or a renegotiation): what every request on the connection reports. */
static int info_build(conn *c)
{
    SSL *s = c->ssl;
    emu_tls_info *t = calloc(1, sizeof(*t));
    if (t == NULL) return -1;
    X509 *server = SSL_get_certificate(s);
    /* A resumed session skips cert_cb, so nothing chose the binding's certificate: choose it now, for the
     * certificate data every request reports (F-120, F-121) and the binding's flags. */
    if (server == NULL && SSL_session_reused(s) && cert_cb(s, NULL) == 1)
        server = SSL_get_certificate(s);
    const SSL_CIPHER *ci = SSL_get_current_cipher(s);
    if (server == NULL || ci == NULL) { free(t); return -1; }
    t->server_key_bits = (USHORT)EVP_PKEY_get_bits(X509_get0_pubkey(server)); /* bits, as IIS shows them (F-121) */
    t->conn_key_bits = (USHORT)SSL_CIPHER_get_bits(ci, NULL);
    name_string(X509_get_issuer_name(server), t->issuer, sizeof(t->issuer));
    name_string(X509_get_subject_name(server), t->subject, sizeof(t->subject));
    protocol_info(s, ci, &t->proto);
    t->tls13 = SSL_version(s) == TLS1_3_VERSION;
    t->cert_negotiated = (SSL_get_verify_mode(s) & SSL_VERIFY_PEER) != 0;
    X509 *peer = SSL_get0_peer_certificate(s);
    if (peer != NULL) {
        unsigned char *der = NULL;
        int n = i2d_X509(peer, &der);
        if (n > 0) {
            t->client_der = malloc((size_t)n);
            if (t->client_der) { memcpy(t->client_der, der, (size_t)n); t->client_der_len = (size_t)n; }
        }
        OPENSSL_free(der);
        t->client_cert_flags = cert_flags(c->tls_verify_err ? c->tls_verify_err : SSL_get_verify_result(s));
    }
    const char *sni = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    if (sni != NULL) {
        strncpy(t->sni, sni, sizeof(t->sni) - 1);
    }
    t->sni_flags = c->tls_sni_flags;
    info_free(c);
    c->tls = t;
    return 0;
}

/* ---- the byte stream ---- */

/* An SSL_read result as recv() would give it; err is SSL_get_error's, taken under ssl_mu. */
static ssize_t read_result(conn *c, int err)
{
    switch (err) {
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        c->tls_read_wants_write = 1;
        emu_conn_update_events(c);
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0; /* close_notify: the client's FIN */
    default:
        ERR_clear_error();
        errno = ECONNRESET;
        return -1;
    }
}

int emu_tls_handshake(conn *c)
{
    ERR_clear_error();
    ssl_enter(c);
    int rc = SSL_do_handshake(c->ssl);
    int e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
    int built = rc == 1 ? info_build(c) : 0;
    ssl_leave(c);
    if (rc == 1) return built == 0 ? 1 : -1;
    if (e == SSL_ERROR_WANT_READ) return 0;
    if (e == SSL_ERROR_WANT_WRITE) {
        c->tls_read_wants_write = 1;
        emu_conn_update_events(c);
        return 0;
    }
    /* Not TLS (plain HTTP on an https port), no binding, or a client that gave up: the connection
     * closes without any HTTP response (F-119). */
    ERR_clear_error();
    return -1;
}

ssize_t emu_tls_recv(conn *c, void *buf, size_t len)
{
    ERR_clear_error();
    ssl_enter(c);
    int rc = SSL_read(c->ssl, buf, len > 0x40000000 ? 0x40000000 : (int)len);
    int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
    ssl_leave(c);
    return rc > 0 ? rc : read_result(c, e);
}

ssize_t emu_tls_send(conn *c, const void *buf, size_t len, int *wants_read)
{
    ERR_clear_error();
    ssl_enter(c);
    int rc = SSL_write(c->ssl, buf, len > 0x40000000 ? 0x40000000 : (int)len);
    int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
    ssl_leave(c);
    if (rc > 0) return rc;
    *wants_read = e == SSL_ERROR_WANT_READ;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) errno = EAGAIN;
    else if (e == SSL_ERROR_ZERO_RETURN) errno = EPIPE;
    else { ERR_clear_error(); errno = ECONNRESET; }
    return -1;
}

int emu_tls_pending(conn *c)
{
    if (c->ssl == NULL || c->tls == NULL) return 0;
    ssl_enter(c);
    int p = SSL_has_pending(c->ssl);
    ssl_leave(c);
    return p;
}

void emu_tls_close_notify(conn *c)
{
    ERR_clear_error();
    ssl_enter(c);
    SSL_shutdown(c->ssl); /* best effort: a full socket buffer just drops the alert */
    ssl_leave(c);
    ERR_clear_error();
}

/* ---- client certificates (F-122..F-127) ---- */

/* Writes the certificate into the caller's buffer: NO_ERROR, ERROR_MORE_DATA with only the fixed
 * struct (F-124: the byte count excludes the certificate, a quirk callers rely on) or ERROR_NOT_FOUND. */
static ULONG cert_fill(const emu_tls_info *t, void *buf, ULONG len, ULONG *bytes)
{
    *bytes = 0;
    if (t == NULL || t->client_der == NULL) return ERROR_NOT_FOUND;
    HTTP_SSL_CLIENT_CERT_INFO *ci = buf;
    memset(ci, 0, sizeof(*ci));
    ci->CertFlags = t->client_cert_flags;
    ci->CertEncodedSize = (ULONG)t->client_der_len;
    *bytes = sizeof(*ci);
    if (len < sizeof(*ci) + t->client_der_len) return ERROR_MORE_DATA;
    ci->pCertEncoded = (PUCHAR)buf + sizeof(*ci);
    memcpy(ci->pCertEncoded, t->client_der, t->client_der_len);
    *bytes = (ULONG)(sizeof(*ci) + t->client_der_len);
    return NO_ERROR;
}

static void cert_ops_complete(conn *c, ULONG forced_err)
{
    while (c->cert_ops) {
        op *o = c->cert_ops;
        c->cert_ops = o->next;
        ULONG bytes = 0;
        ULONG err = forced_err ? forced_err : cert_fill(c->tls, o->buf, o->len, &bytes);
        emu_op_complete(o, err, bytes, 0);
    }
}

void emu_tls_after_read(conn *c)
{
    if (c->cert_ops == NULL) return;
    ssl_enter(c);
    int pending = SSL_renegotiate_pending(c->ssl);
    int built = pending ? 0 : info_build(c);
    ssl_leave(c);
    if (pending) return;
    if (built != 0) { cert_ops_complete(c, ERROR_CONNECTION_INVALID); return; }
    cert_ops_complete(c, 0);
}

void emu_tls_fail_cert_ops(conn *c, ULONG err) { cert_ops_complete(c, err); }

int emu_tls_cancel_cert_ops(conn *c, queue *q, OVERLAPPED *ov)
{
    int found = 0;
    for (op **pp = &c->cert_ops; *pp;) {
        op *o = *pp;
        if (o->q == q && (ov == NULL || o->ov == ov)) {
            *pp = o->next;
            emu_op_complete(o, ERROR_OPERATION_ABORTED, 0, 0);
            found = 1;
        } else {
            pp = &o->next;
        }
    }
    return found;
}

/* A result known during the call: success completes as usual (a packet unless skip mode); an error,
 * ERROR_MORE_DATA included, returns synchronously with no packet, as the emulator's receives do. */
static ULONG cert_inline(op *o, ULONG err, ULONG bytes, ULONG *bytes_out)
{
    if (err == NO_ERROR) return emu_op_inline(o, err, bytes, bytes_out);
    if (bytes_out) *bytes_out = bytes;
    free(o);
    return err;
}

EMU_EXPORT ULONG HttpReceiveClientCertificate(HANDLE h, HTTP_CONNECTION_ID cid, ULONG flags,
                                              PHTTP_SSL_CLIENT_CERT_INFO buf, ULONG len, PULONG bytes_out,
                                              LPOVERLAPPED ov)
{
    pthread_mutex_lock(&g_emu_lock);
    ULONG err, bytes = 0;
    queue *q = emu_queue_find(h);
    conn *c = emu_conn_find(cid);
    if (c != NULL && c->h2parent != NULL) c = c->h2parent; /* an h2 stream: its TCP connection's TLS */
    op *o;
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    if (buf == NULL || (flags & ~HTTP_RECEIVE_SECURE_CHANNEL_TOKEN) != 0) { err = ERROR_INVALID_PARAMETER; goto out; }
    if (c == NULL || c->closed || c->ssl == NULL || c->tls == NULL) { err = ERROR_INVALID_PARAMETER; goto out; }
    if (len < sizeof(HTTP_SSL_CLIENT_CERT_INFO)) { err = ERROR_INSUFFICIENT_BUFFER; goto out; } /* F-123: nothing written */
    o = emu_op_new(OP_CERT, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    /* The channel-binding token is not emulated: reported as absent (F-123's ERROR_NOT_FOUND). */
    if (flags & HTTP_RECEIVE_SECURE_CHANNEL_TOKEN) { err = cert_inline(o, ERROR_NOT_FOUND, 0, bytes_out); goto out; }
    /* F-122: negotiated already (at the handshake or by an earlier call): what it gave, no renegotiation.
     * TLS 1.3 has no renegotiation (F-126), nor has HTTP/2 (RFC 9113 9.2.1): nothing more can be asked for. */
    if (c->tls->client_der != NULL || c->tls->cert_negotiated || c->tls->tls13 || c->h2 != NULL) {
        err = cert_fill(c->tls, buf, len, &bytes);
        err = cert_inline(o, err, bytes, bytes_out);
        goto out;
    }
    /* F-125: renegotiate, asking for a certificate; the call completes when that handshake ends. */
    c->tls_verify_err = 0;
    ssl_enter(c);
    SSL_set_verify(c->ssl, SSL_VERIFY_PEER, verify_cb);
    /* A resumed session would skip the certificate request: a full handshake it is. */
    SSL_set_options(c->ssl, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    ERR_clear_error();
    if (SSL_renegotiate(c->ssl) != 1) {
        ssl_leave(c);
        ERR_clear_error();
        err = cert_inline(o, ERROR_NOT_FOUND, 0, bytes_out);
        goto out;
    }
    int rc = SSL_do_handshake(c->ssl); /* sends the HelloRequest */
    int want_write = rc != 1 && SSL_get_error(c->ssl, rc) == SSL_ERROR_WANT_WRITE;
    ssl_leave(c);
    if (want_write) {
        c->tls_read_wants_write = 1;
        emu_conn_update_events(c);
    }
    ERR_clear_error();
    o->buf = buf;
    o->len = len;
    o->next = c->cert_ops;
    c->cert_ops = o;
    err = emu_op_pend(o, bytes_out);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* ---- the SNI request property (F-131) ---- */

EMU_EXPORT ULONG HttpQueryRequestProperty(HANDLE h, HTTP_OPAQUE_ID id, HTTP_REQUEST_PROPERTY prop, PVOID qual,
                                          ULONG qual_len, PVOID out, ULONG out_len, PULONG bytes_out,
                                          LPOVERLAPPED ov)
{
    (void)qual;
    (void)qual_len;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = emu_queue_find(h);
    req *r = emu_req_find(id);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    /* Only the SNI property is emulated. */
    if (prop != HttpRequestPropertySni || r == NULL || r->q != q || r->c == NULL || r->c->tls == NULL) {
        err = ERROR_INVALID_PARAMETER;
        goto out;
    }
    if (out == NULL || out_len < sizeof(HTTP_REQUEST_PROPERTY_SNI)) { err = ERROR_INSUFFICIENT_BUFFER; goto out; }
    HTTP_REQUEST_PROPERTY_SNI *p = out;
    memset(p, 0, sizeof(*p));
    const emu_tls_info *t = r->c->tls;
    for (size_t i = 0; t->sni[i] && i < HTTP_REQUEST_PROPERTY_SNI_HOST_MAX_LENGTH; i++) p->Hostname[i] = (unsigned char)t->sni[i];
    p->Flags = t->sni_flags;
    if (ov != NULL) {
        op *o = emu_op_new(OP_WAIT, q, ov);
        if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
        err = emu_op_inline(o, NO_ERROR, sizeof(*p), bytes_out);
    } else {
        if (bytes_out) *bytes_out = sizeof(*p);
        err = NO_ERROR;
    }
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}
