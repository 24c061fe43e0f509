/* test_tls: https prefixes with a real OpenSSL client on loopback: handshakes on TLS 1.2 and 1.3,
 * certificate bindings by ip:port and by SNI host, what each request reports about TLS, and client
 * certificates at the handshake and by renegotiation. Certificates come from make_certs.sh
 * (directory in EMU_TEST_CERTS). */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;
static const char *g_dir;
static UCHAR g_a[20], g_b[20], g_ca[20];

static const char *path(const char *name)
{
    static char buf[4][1024];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 1024, "%s/%s", g_dir, name);
    return p;
}

/* ---- server side ---- */

typedef struct server {
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    HANDLE queue, port;
    int tcp_port;
} server;

static void server_open(server *s)
{
    memset(s, 0, sizeof(*s));
    s->tcp_port = free_port();
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(V2, &s->session, 0), NO_ERROR);
    CHECK_EQ(HttpCreateUrlGroup(s->session, &s->group, 0), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue(V2, NULL, NULL, 0, &s->queue), NO_ERROR);
    HTTP_BINDING_INFO b = {{1}, s->queue};
    CHECK_EQ(HttpSetUrlGroupProperty(s->group, HttpServerBindingProperty, &b, sizeof(b)), NO_ERROR);
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), "https://+:%d/", s->tcp_port);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(s->group, w, 42, 0), NO_ERROR); /* F-119: no binding needed */
    s->port = CreateIoCompletionPort(s->queue, NULL, 7, 0);
    CHECK(s->port != NULL);
}

static void server_close(server *s)
{
    CHECK_EQ(HttpCloseRequestQueue(s->queue), NO_ERROR);
    CHECK_EQ(HttpCloseUrlGroup(s->group), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s->session), NO_ERROR);
    while (take_completion(s->port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s->port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
}

static HTTP_REQUEST *receive(server *s, void *buf, ULONG len)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ULONG rc = HttpReceiveHttpRequest(s->queue, HTTP_NULL_ID, 0, buf, len, NULL, &ov);
    CHECK(rc == ERROR_IO_PENDING || rc == NO_ERROR);
    ULONG bytes = 0, st = 0;
    OVERLAPPED *got = take_completion(s->port, &bytes, &st, 5000);
    CHECK(got == &ov);
    CHECK_EQ(st, NO_ERROR);
    return got == &ov && st == NO_ERROR ? buf : NULL;
}

static void respond(server *s, HTTP_REQUEST_ID id, const char *body)
{
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = 200;
    r.pReason = "OK";
    r.ReasonLength = 2;
    HTTP_DATA_CHUNK ch;
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)body;
    ch.FromMemory.BufferLength = (ULONG)strlen(body);
    r.EntityChunkCount = 1;
    r.pEntityChunks = &ch;
    CHECK_EQ(HttpSendHttpResponse(s->queue, id, 0, &r, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
}

static void *ip_key(SOCKADDR_IN *a, int port)
{
    memset(a, 0, sizeof(*a));
    a->sin_family = WIN_AF_INET;
    a->sin_port = htons((uint16_t)port); /* 0.0.0.0: every address (F-117) */
    return a;
}

static ULONG bind_ip(int port, const UCHAR *thumb, ULONG flags)
{
    SOCKADDR_IN a;
    HTTP_SERVICE_CONFIG_SSL_SET s;
    memset(&s, 0, sizeof(s));
    s.KeyDesc.pIpPort = ip_key(&a, port);
    s.ParamDesc.SslHashLength = 20;
    s.ParamDesc.pSslHash = (void *)thumb;
    s.ParamDesc.DefaultFlags = flags;
    return HttpSetServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &s, sizeof(s), NULL);
}

static ULONG unbind_ip(int port)
{
    SOCKADDR_IN a;
    HTTP_SERVICE_CONFIG_SSL_SET s;
    memset(&s, 0, sizeof(s));
    s.KeyDesc.pIpPort = ip_key(&a, port);
    return HttpDeleteServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &s, sizeof(s), NULL);
}

static void sni_key(HTTP_SERVICE_CONFIG_SSL_SNI_KEY *k, WCHAR *host_w, const char *host, int port)
{
    memset(k, 0, sizeof(*k));
    SOCKADDR_IN a;
    memcpy(&k->IpPort, ip_key(&a, port), sizeof(a));
    wide(host, host_w, 256);
    k->Host = host_w;
}

static ULONG bind_sni(const char *host, int port, const UCHAR *thumb, ULONG flags)
{
    HTTP_SERVICE_CONFIG_SSL_SNI_SET s;
    WCHAR hw[256];
    memset(&s, 0, sizeof(s));
    sni_key(&s.KeyDesc, hw, host, port);
    s.ParamDesc.SslHashLength = 20;
    s.ParamDesc.pSslHash = (void *)thumb;
    s.ParamDesc.DefaultFlags = flags;
    return HttpSetServiceConfiguration(NULL, HttpServiceConfigSslSniCertInfo, &s, sizeof(s), NULL);
}

static ULONG unbind_sni(const char *host, int port)
{
    HTTP_SERVICE_CONFIG_SSL_SNI_SET s;
    WCHAR hw[256];
    memset(&s, 0, sizeof(s));
    sni_key(&s.KeyDesc, hw, host, port);
    return HttpDeleteServiceConfiguration(NULL, HttpServiceConfigSslSniCertInfo, &s, sizeof(s), NULL);
}

/* ---- client side: a blocking OpenSSL client ---- */

typedef struct client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} client;

/* Connects and handshakes; returns 1 when the handshake succeeded. version 0 = any. */
static int tls_connect(client *t, int port, int version, const char *sni, const char *cert_pem, const char *ciphers)
{
    memset(t, 0, sizeof(*t));
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (version) {
        SSL_CTX_set_min_proto_version(t->ctx, version);
        SSL_CTX_set_max_proto_version(t->ctx, version);
    }
    if (ciphers) SSL_CTX_set_cipher_list(t->ctx, ciphers);
    SSL_CTX_load_verify_locations(t->ctx, path("ca.crt"), NULL);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    if (cert_pem) {
        CHECK_EQ(SSL_CTX_use_certificate_file(t->ctx, cert_pem, SSL_FILETYPE_PEM), 1);
        CHECK_EQ(SSL_CTX_use_PrivateKey_file(t->ctx, cert_pem, SSL_FILETYPE_PEM), 1);
    }
    t->fd = client_connect(port);
    struct timeval tv = {5, 0};
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, t->fd);
    if (sni) SSL_set_tlsext_host_name(t->ssl, sni);
    int ok = SSL_connect(t->ssl) == 1;
    ERR_clear_error();
    return ok;
}

static void tls_send(client *t, const char *s) { CHECK_EQ(SSL_write(t->ssl, s, (int)strlen(s)), (long long)strlen(s)); }

/* Reads until the server closes (the requests say Connection: close) or the timeout. */
static long tls_read(client *t, char *buf, size_t cap)
{
    size_t o = 0;
    while (o + 1 < cap) {
        int n = SSL_read(t->ssl, buf + o, (int)(cap - 1 - o));
        if (n <= 0) break;
        o += (size_t)n;
    }
    buf[o] = 0;
    ERR_clear_error();
    return (long)o;
}

static void tls_close(client *t)
{
    if (t->ssl) SSL_free(t->ssl);
    if (t->ctx) SSL_CTX_free(t->ctx);
    if (t->fd >= 0) close(t->fd);
}

static const char *REQ = "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/* One request over a fresh TLS connection, checked and answered. */
static void test_https_request_tls12_and_tls13(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    for (int v = 0; v < 2; v++) {
        client c;
        int version = v == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
        CHECK(tls_connect(&c, s.tcp_port, version, NULL, NULL, v == 0 ? "ECDHE-RSA-AES256-GCM-SHA384" : NULL));
        tls_send(&c, REQ);
        char buf[16384];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) { tls_close(&c); continue; }
        CHECK(r->CookedUrl.pFullUrl[0] == 'h' && r->CookedUrl.pFullUrl[4] == 's' && r->CookedUrl.pFullUrl[5] == ':');
        respond(&s, r->RequestId, "hello over tls");
        char got[4096];
        tls_read(&c, got, sizeof(got));
        CHECK(strstr(got, "HTTP/1.1 200 OK") == got);
        CHECK(strstr(got, "hello over tls") != NULL);
        tls_close(&c);
    }
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

static HTTP_SSL_PROTOCOL_INFO *proto_info(HTTP_REQUEST *r)
{
    for (USHORT i = 0; i < r->RequestInfoCount; i++)
        if (r->pRequestInfo[i].InfoType == HttpRequestInfoTypeSslProtocol) return r->pRequestInfo[i].pInfo;
    return NULL;
}

static int inside(const void *p, const void *buf, size_t len)
{
    return (const char *)p >= (const char *)buf && (const char *)p < (const char *)buf + len;
}

/* F-120, F-121, F-128..F-130 and acceptance checks (1) and (4) of chapter A. */
static void test_ssl_info_and_protocol_info(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    for (int v = 0; v < 2; v++) {
        client c;
        CHECK(tls_connect(&c, s.tcp_port, v == 0 ? TLS1_2_VERSION : TLS1_3_VERSION, NULL, NULL,
                          v == 0 ? "ECDHE-RSA-AES256-GCM-SHA384" : NULL));
        if (v == 1) SSL_CTX_set_ciphersuites(c.ctx, "TLS_AES_128_GCM_SHA256");
        tls_send(&c, REQ);
        char buf[16384];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) { tls_close(&c); continue; }
        HTTP_SSL_INFO *si = r->pSslInfo;
        CHECK(si != NULL && inside(si, buf, sizeof(buf)));
        if (si != NULL) {
            CHECK_EQ(si->ServerCertKeySize, 2048);      /* bits (F-121) */
            CHECK(si->ConnectionKeySize == 256 || si->ConnectionKeySize == 128);
            CHECK_EQ(si->ServerCertSubjectSize, strlen(si->pServerCertSubject));
            CHECK_EQ(si->ServerCertIssuerSize, strlen(si->pServerCertIssuer));
            CHECK(strstr(si->pServerCertSubject, "CN=a.test") != NULL);
            CHECK_EQ(strcmp(si->pServerCertIssuer, "C=US, O=Emu Test, CN=Emu Test CA"), 0);
            CHECK(si->pClientCertInfo == NULL);
            CHECK_EQ(si->SslClientCertNegotiated, 0);
        }
        HTTP_SSL_PROTOCOL_INFO *p = proto_info(r);
        CHECK_EQ(r->RequestInfoCount, 1);
        CHECK(p != NULL && inside(p, buf, sizeof(buf)));
        if (p != NULL && v == 0) {
            CHECK_EQ(p->Protocol, SP_PROT_TLS1_2_SERVER);
            CHECK_EQ(p->CipherType, CALG_AES_256);
            CHECK_EQ(p->CipherStrength, 256);
            CHECK_EQ(p->HashType, CALG_SHA_384);
            CHECK_EQ(p->HashStrength, 0);
            CHECK_EQ(p->KeyExchangeType, CALG_ECDH_EPHEM);
            CHECK(p->KeyExchangeStrength > 0);
        } else if (p != NULL) {
            CHECK_EQ(p->Protocol, SP_PROT_TLS1_3_SERVER);
            CHECK(p->CipherType == CALG_AES_128 || p->CipherType == CALG_AES_256);
            CHECK(p->CipherStrength == 128 || p->CipherStrength == 256);
            CHECK_EQ(p->KeyExchangeType, CALG_ECDH_EPHEM);
        }
        respond(&s, r->RequestId, "ok");
        char got[4096];
        tls_read(&c, got, sizeof(got));
        tls_close(&c);
    }
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

/* Plain HTTP to an https port is closed with no response; a port with no binding fails the handshake
 * (F-119); a plain port still reports pSslInfo NULL (F-120). */
static void test_plaintext_and_missing_binding(void)
{
    server s;
    server_open(&s);
    int fd = client_connect(s.tcp_port);
    client_send(fd, REQ);
    char got[1024];
    long n = client_read(fd, got, sizeof(got), 3000);
    CHECK(n <= 0 || strstr(got, "HTTP/") == NULL);
    client_close(fd);
    client c;
    CHECK(!tls_connect(&c, s.tcp_port, 0, NULL, NULL, NULL)); /* no binding at all */
    tls_close(&c);
    CHECK_EQ(bind_sni("a.test", s.tcp_port, g_a, 0), NO_ERROR);
    CHECK(!tls_connect(&c, s.tcp_port, 0, "other.test", NULL, NULL)); /* no host, no ip:port binding */
    tls_close(&c);
    CHECK_EQ(unbind_sni("a.test", s.tcp_port), NO_ERROR);

    /* the same session serves a plain port: no TLS data there */
    char u[128];
    WCHAR w[128];
    int plain = free_port();
    snprintf(u, sizeof(u), "http://+:%d/", plain);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(s.group, w, 1, 0), NO_ERROR);
    snprintf(u, sizeof(u), "https://+:%d/other/", plain);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(s.group, w, 1, 0), ERROR_SHARING_VIOLATION); /* one scheme per port */
    fd = client_connect(plain);
    client_send(fd, REQ);
    char buf[8192];
    HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        CHECK(r->pSslInfo == NULL);
        CHECK_EQ(r->RequestInfoCount, 0);
        respond(&s, r->RequestId, "plain");
    }
    client_read(fd, got, sizeof(got), 3000);
    CHECK(strstr(got, "plain") != NULL);
    client_close(fd);
    server_close(&s);
    CHECK(counters_zero(2000));
}

static void sni_of(server *s, HTTP_REQUEST *r, char *host, ULONG *flags)
{
    HTTP_REQUEST_PROPERTY_SNI p;
    ULONG bytes = 0;
    CHECK_EQ(HttpQueryRequestProperty(s->queue, r->RequestId, HttpRequestPropertySni, NULL, 0, &p, 10, &bytes, NULL),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(HttpQueryRequestProperty(s->queue, r->RequestId, HttpRequestPropertySni, NULL, 0, &p, sizeof(p), &bytes, NULL),
             NO_ERROR);
    CHECK_EQ(bytes, sizeof(p));
    size_t i = 0;
    for (; p.Hostname[i] && i < 255; i++) host[i] = (char)p.Hostname[i];
    host[i] = 0;
    *flags = p.Flags;
}

/* F-118, F-131: two certificates on one port chosen by SNI; the ip:port binding for the rest. */
static void test_sni_two_certificates_one_port(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_sni("a.test", s.tcp_port, g_a, 0), NO_ERROR);
    CHECK_EQ(bind_sni("B.test", s.tcp_port, g_b, 0), NO_ERROR);
    CHECK_EQ(bind_ip(s.tcp_port, g_b, 0), NO_ERROR);
    const char *snis[] = {"a.test", "b.test", NULL, "unbound.test"};
    const char *want[] = {"CN=a.test", "CN=b.test", "CN=b.test", "CN=b.test"};
    ULONG want_flags[] = {HTTP_REQUEST_PROPERTY_SNI_FLAG_SNI_USED, HTTP_REQUEST_PROPERTY_SNI_FLAG_SNI_USED,
                          HTTP_REQUEST_PROPERTY_SNI_FLAG_NO_SNI, 0};
    for (int i = 0; i < 4; i++) {
        client c;
        CHECK(tls_connect(&c, s.tcp_port, 0, snis[i], NULL, NULL));
        X509 *peer = SSL_get1_peer_certificate(c.ssl);
        char cn[256] = "";
        if (peer) X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
        CHECK_EQ(strcmp(cn, want[i] + 3), 0);
        X509_free(peer);
        tls_send(&c, REQ);
        char buf[16384];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r != NULL) {
            CHECK(r->pSslInfo && strstr(r->pSslInfo->pServerCertSubject, want[i]) != NULL);
            char host[256];
            ULONG flags = 99;
            sni_of(&s, r, host, &flags);
            CHECK_EQ(strcmp(host, snis[i] ? snis[i] : ""), 0);
            CHECK_EQ(flags, want_flags[i]);
            respond(&s, r->RequestId, "sni");
        }
        char got[4096];
        tls_read(&c, got, sizeof(got));
        tls_close(&c);
    }
    CHECK_EQ(unbind_sni("a.test", s.tcp_port), NO_ERROR);
    CHECK_EQ(unbind_sni("b.test", s.tcp_port), NO_ERROR);
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

/* F-112..F-117: the configuration records: duplicates, unknown keys, query sizes, enumeration. */
static void test_service_configuration_records(void)
{
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    int port = free_port();
    UCHAR unknown[20] = {1, 2, 3};
    CHECK_EQ(bind_ip(port, unknown, 0), ERROR_NO_SUCH_LOGON_SESSION); /* F-112: not in the store */
    ULONG flags = HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT | HTTP_SERVICE_CONFIG_SSL_FLAG_DISABLE_HTTP2;
    CHECK_EQ(bind_ip(port, g_a, flags), NO_ERROR);
    CHECK_EQ(bind_ip(port, g_b, 0), ERROR_ALREADY_EXISTS); /* F-112: delete first */

    HTTP_SERVICE_CONFIG_SSL_QUERY q;
    memset(&q, 0, sizeof(q));
    SOCKADDR_IN a;
    q.QueryDesc = HttpServiceConfigQueryExact;
    q.KeyDesc.pIpPort = ip_key(&a, port);
    ULONG need = 0;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &q, sizeof(q), NULL, 0, &need, NULL),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK(need > sizeof(HTTP_SERVICE_CONFIG_SSL_SET));
    char out[1024];
    ULONG got = 0;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &q, sizeof(q), out, need, &got, NULL),
             NO_ERROR);
    CHECK_EQ(got, need);
    HTTP_SERVICE_CONFIG_SSL_SET *set = (HTTP_SERVICE_CONFIG_SSL_SET *)out;
    CHECK(inside(set->KeyDesc.pIpPort, out, need) && inside(set->ParamDesc.pSslHash, out, need));
    CHECK_EQ(set->ParamDesc.SslHashLength, 20);
    CHECK_EQ(memcmp(set->ParamDesc.pSslHash, g_a, 20), 0);
    CHECK_EQ(set->ParamDesc.DefaultFlags, flags);
    CHECK_EQ(ntohs(((SOCKADDR_IN *)set->KeyDesc.pIpPort)->sin_port), port);

    q.QueryDesc = HttpServiceConfigQueryNext;
    q.dwToken = 0;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &q, sizeof(q), out, sizeof(out), &got, NULL),
             NO_ERROR);
    q.dwToken = 1;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &q, sizeof(q), out, sizeof(out), &got, NULL),
             ERROR_NO_MORE_ITEMS);

    CHECK_EQ(unbind_ip(port), NO_ERROR);
    CHECK_EQ(unbind_ip(port), ERROR_FILE_NOT_FOUND);
    q.QueryDesc = HttpServiceConfigQueryExact;
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &q, sizeof(q), out, sizeof(out), &got, NULL),
             ERROR_FILE_NOT_FOUND);

    CHECK_EQ(bind_sni("a.test", port, g_a, 0), NO_ERROR);
    CHECK_EQ(bind_sni("A.TEST", port, g_b, 0), ERROR_ALREADY_EXISTS);
    HTTP_SERVICE_CONFIG_SSL_SNI_QUERY sq;
    WCHAR hw[256];
    memset(&sq, 0, sizeof(sq));
    sni_key(&sq.KeyDesc, hw, "a.test", port);
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSslSniCertInfo, &sq, sizeof(sq), out, 10, &need, NULL),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(HttpQueryServiceConfiguration(NULL, HttpServiceConfigSslSniCertInfo, &sq, sizeof(sq), out, sizeof(out), &got, NULL),
             NO_ERROR);
    HTTP_SERVICE_CONFIG_SSL_SNI_SET *sset = (HTTP_SERVICE_CONFIG_SSL_SNI_SET *)out;
    CHECK(sset->KeyDesc.Host != NULL && sset->KeyDesc.Host[0] == 'a' && sset->KeyDesc.Host[6] == 0);
    CHECK_EQ(memcmp(sset->ParamDesc.pSslHash, g_a, 20), 0);
    CHECK_EQ(unbind_sni("a.test", port), NO_ERROR);
    CHECK_EQ(unbind_sni("a.test", port), ERROR_FILE_NOT_FOUND);
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    CHECK_EQ(bind_ip(port, g_a, 0), ERROR_DLL_INIT_FAILED); /* F-112: needs HTTP_INITIALIZE_CONFIG */
}

/* The DER of a PEM file's first certificate. */
static int der_of(const char *pem, unsigned char *out, int cap)
{
    FILE *f = fopen(pem, "r");
    if (f == NULL) return -1;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL) return -1;
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n > 0 && n <= cap) memcpy(out, der, (size_t)n);
    OPENSSL_free(der);
    X509_free(x);
    return n;
}

/* Acceptance check (2): a 40-byte buffer gives ERROR_MORE_DATA with the fixed struct only; then
 * bytes + CertEncodedSize (F-124) gives the certificate. Returns CertFlags, or -1. */
static long receive_cert(server *s, HTTP_CONNECTION_ID cid, const char *expect_pem, int overlapped)
{
    union { HTTP_SSL_CLIENT_CERT_INFO ci; char b[40]; } small;
    ULONG bytes = 0;
    ULONG rc;
    if (overlapped) {
        /* Pending while a renegotiation runs (then a packet); known at once, it returns synchronously. */
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        rc = HttpReceiveClientCertificate(s->queue, cid, 0, &small.ci, sizeof(small), &bytes, &ov);
        CHECK(rc == ERROR_IO_PENDING || rc == ERROR_MORE_DATA);
        if (rc == ERROR_IO_PENDING) {
            ULONG st = 0;
            CHECK(take_completion(s->port, &bytes, &st, 5000) == &ov);
            rc = st;
        }
        CHECK(take_completion(s->port, NULL, NULL, 50) == NULL);
    } else {
        rc = HttpReceiveClientCertificate(s->queue, cid, 0, &small.ci, sizeof(small), &bytes, NULL);
    }
    CHECK_EQ(rc, ERROR_MORE_DATA);
    CHECK_EQ(bytes, sizeof(HTTP_SSL_CLIENT_CERT_INFO));
    if (rc != ERROR_MORE_DATA) return -1;
    ULONG size = bytes + small.ci.CertEncodedSize;
    HTTP_SSL_CLIENT_CERT_INFO *ci = malloc(size);
    CHECK_EQ(HttpReceiveClientCertificate(s->queue, cid, 0, ci, size, &bytes, NULL), NO_ERROR);
    CHECK_EQ(bytes, size);
    unsigned char der[8192];
    int n = der_of(expect_pem, der, sizeof(der));
    CHECK_EQ(ci->CertEncodedSize, n);
    CHECK(ci->pCertEncoded == (PUCHAR)(ci + 1));
    CHECK(n > 0 && memcmp(ci->pCertEncoded, der, (size_t)n) == 0);
    long flags = ci->CertFlags;
    free(ci);
    return flags;
}

/* F-122, F-127: the binding negotiates at the handshake: the certificate is in the request, trusted
 * or not, and a later call returns it without renegotiating; a client without one gets NOT_FOUND. */
static void test_client_certificate_at_handshake(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, HTTP_SERVICE_CONFIG_SSL_FLAG_NEGOTIATE_CLIENT_CERT), NO_ERROR);
    const char *certs[] = {"client.pem", "self.pem", NULL};
    const long want_flags[] = {0, 0x800B0109L /* CERT_E_UNTRUSTEDROOT */, -1};
    for (int i = 0; i < 3; i++) {
        for (int v = 0; v < 2; v++) {
            client c;
            CHECK(tls_connect(&c, s.tcp_port, v == 0 ? TLS1_2_VERSION : TLS1_3_VERSION, NULL,
                              certs[i] ? path(certs[i]) : NULL, NULL));
            tls_send(&c, REQ);
            char buf[16384];
            HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
            if (r == NULL) { tls_close(&c); continue; }
            HTTP_SSL_INFO *si = r->pSslInfo;
            CHECK(si != NULL && si->SslClientCertNegotiated != 0);
            if (certs[i] != NULL) {
                CHECK(si && si->pClientCertInfo != NULL && inside(si->pClientCertInfo, buf, sizeof(buf)));
                if (si && si->pClientCertInfo) {
                    CHECK_EQ(si->pClientCertInfo->CertFlags, want_flags[i]);
                    CHECK(inside(si->pClientCertInfo->pCertEncoded, buf, sizeof(buf)));
                }
                CHECK_EQ(receive_cert(&s, r->ConnectionId, path(certs[i]), v), want_flags[i]);
            } else {
                CHECK(si && si->pClientCertInfo == NULL);
                HTTP_SSL_CLIENT_CERT_INFO ci;
                ULONG bytes = 0;
                CHECK_EQ(HttpReceiveClientCertificate(s.queue, r->ConnectionId, 0, &ci, sizeof(ci), &bytes, NULL),
                         ERROR_NOT_FOUND); /* acceptance check (3) */
            }
            HTTP_SSL_CLIENT_CERT_INFO tiny;
            CHECK_EQ(HttpReceiveClientCertificate(s.queue, r->ConnectionId, 0, &tiny, 16, NULL, NULL),
                     ERROR_INSUFFICIENT_BUFFER);
            respond(&s, r->RequestId, "cert");
            char got[4096];
            tls_read(&c, got, sizeof(got));
            CHECK(strstr(got, "cert") != NULL);
            tls_close(&c);
        }
    }
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

typedef struct reader {
    client *c;
    char got[4096];
    pthread_t t;
} reader;

static void *reader_main(void *arg)
{
    reader *rd = arg;
    tls_read(rd->c, rd->got, sizeof(rd->got));
    return NULL;
}

/* F-125: no negotiation at the handshake: on TLS 1.2 the call renegotiates while the client waits for
 * its response (it reads, so OpenSSL answers the HelloRequest); on TLS 1.3 there is none (F-126). */
static void test_client_certificate_by_renegotiation(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    for (int i = 0; i < 4; i++) {
        int tls13 = i == 3;
        const char *pem = i == 2 || i == 3 ? (tls13 ? path("client.pem") : NULL) : path("client.pem");
        client c;
        CHECK(tls_connect(&c, s.tcp_port, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION, NULL, pem, NULL));
        tls_send(&c, REQ);
        char buf[16384];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) { tls_close(&c); continue; }
        CHECK(r->pSslInfo && r->pSslInfo->SslClientCertNegotiated == 0 && r->pSslInfo->pClientCertInfo == NULL);
        reader rd;
        memset(&rd, 0, sizeof(rd));
        rd.c = &c;
        pthread_create(&rd.t, NULL, reader_main, &rd);
        if (i < 2) {
            CHECK_EQ(receive_cert(&s, r->ConnectionId, path("client.pem"), i == 1), 0);
        } else {
            HTTP_SSL_CLIENT_CERT_INFO ci;
            ULONG bytes = 0;
            CHECK_EQ(HttpReceiveClientCertificate(s.queue, r->ConnectionId, 0, &ci, sizeof(ci), &bytes, NULL),
                     ERROR_NOT_FOUND);
        }
        respond(&s, r->RequestId, "renegotiated");
        pthread_join(rd.t, NULL);
        CHECK(strstr(rd.got, "renegotiated") != NULL);
        tls_close(&c);
    }
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

/* Reads one response with a Content-Length body; returns the body length, -1 on failure. */
static long tls_read_response(client *t, char *body, size_t cap)
{
    char head[4096];
    size_t hl = 0;
    while (hl + 1 < sizeof(head)) {
        int n = SSL_read(t->ssl, head + hl, 1);
        if (n <= 0) return -1;
        hl++;
        if (hl >= 4 && memcmp(head + hl - 4, "\r\n\r\n", 4) == 0) break;
    }
    head[hl] = 0;
    const char *cl = strcasestr(head, "Content-Length:");
    if (cl == NULL || strncmp(head, "HTTP/1.1 200", 12) != 0) return -1;
    size_t len = strtoul(cl + 15, NULL, 10), o = 0;
    if (len > cap) return -1;
    while (o < len) {
        int n = SSL_read(t->ssl, body + o, (int)(len - o));
        if (n <= 0) return -1;
        o += (size_t)n;
    }
    return (long)len;
}

typedef struct bulk {
    client c;
    size_t up;             /* request body bytes per request */
    size_t down;           /* expected response body bytes */
    int ok;
    pthread_t t;
} bulk;

static void *bulk_main(void *arg)
{
    bulk *b = arg;
    char *body = malloc(b->up), *resp = malloc(b->down);
    b->ok = 1;
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < b->up; k++) body[k] = (char)('a' + (k + (size_t)i) % 26);
        char head[256];
        snprintf(head, sizeof(head), "POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n\r\n", b->up);
        if (SSL_write(b->c.ssl, head, (int)strlen(head)) <= 0 || SSL_write(b->c.ssl, body, (int)b->up) != (int)b->up) {
            b->ok = 0;
            break;
        }
        long n = tls_read_response(&b->c, resp, b->down);
        if (n != (long)b->down) { b->ok = 0; break; }
        for (size_t k = 0; k < b->down; k++)
            if (resp[k] != (char)('A' + k % 26)) { b->ok = 0; break; }
    }
    free(body);
    free(resp);
    return NULL;
}

/* Keep-alive over TLS with bodies larger than every buffer on the way, both ways: reading pauses and
 * resumes with bytes OpenSSL holds back, writes go out record by record. */
static void test_keep_alive_and_large_bodies(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    bulk b;
    memset(&b, 0, sizeof(b));
    b.up = 300 * 1024;
    b.down = 1024 * 1024 + 7;
    CHECK(tls_connect(&b.c, s.tcp_port, 0, NULL, NULL, NULL));
    pthread_create(&b.t, NULL, bulk_main, &b);
    char *out = malloc(b.down), *in = malloc(65536);
    for (size_t k = 0; k < b.down; k++) out[k] = (char)('A' + k % 26);
    HTTP_CONNECTION_ID first = 0;
    for (int i = 0; i < 2; i++) {
        char buf[16384];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) break;
        if (i == 0) first = r->ConnectionId;
        else CHECK_EQ(r->ConnectionId, first);
        CHECK(r->pSslInfo != NULL);
        HTTP_REQUEST_ID id = r->RequestId;
        size_t total = 0;
        int good = 1;
        for (;;) {
            ULONG got = 0;
            ULONG rc = HttpReceiveRequestEntityBody(s.queue, id, 0, in, 65536, &got, NULL);
            if (rc == ERROR_HANDLE_EOF) break;
            CHECK_EQ(rc, NO_ERROR);
            if (rc != NO_ERROR) { good = 0; break; }
            for (ULONG k = 0; k < got; k++)
                if (in[k] != (char)('a' + (total + k + (size_t)i) % 26)) good = 0;
            total += got;
        }
        CHECK(good);
        CHECK_EQ(total, b.up);
        HTTP_RESPONSE resp;
        memset(&resp, 0, sizeof(resp));
        resp.StatusCode = 200;
        resp.pReason = "OK";
        resp.ReasonLength = 2;
        HTTP_DATA_CHUNK ch[2];
        ch[0].DataChunkType = ch[1].DataChunkType = HttpDataChunkFromMemory;
        ch[0].FromMemory.pBuffer = out;
        ch[0].FromMemory.BufferLength = 5000;
        ch[1].FromMemory.pBuffer = out + 5000;
        ch[1].FromMemory.BufferLength = (ULONG)(b.down - 5000);
        resp.EntityChunkCount = 2;
        resp.pEntityChunks = ch;
        CHECK_EQ(HttpSendHttpResponse(s.queue, id, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
    }
    pthread_join(b.t, NULL);
    CHECK(b.ok);
    tls_close(&b.c);
    free(out);
    free(in);
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

/* A renegotiation the client does not answer (it is not reading): the pending call is cancelled by
 * CancelIoEx, or ends when the client goes away. */
static void test_client_certificate_cancel_and_disconnect(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    for (int i = 0; i < 2; i++) {
        client c;
        CHECK(tls_connect(&c, s.tcp_port, TLS1_2_VERSION, NULL, NULL, NULL));
        tls_send(&c, REQ);
        char buf[16384];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) { tls_close(&c); continue; }
        HTTP_SSL_CLIENT_CERT_INFO ci[4];
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpReceiveClientCertificate(s.queue, r->ConnectionId, 0, ci, sizeof(ci), NULL, &ov), ERROR_IO_PENDING);
        CHECK(take_completion(s.port, NULL, NULL, 200) == NULL); /* waits for the client */
        ULONG st = 0;
        if (i == 0) {
            CHECK(CancelIoEx(s.queue, &ov));
            CHECK(take_completion(s.port, NULL, &st, 5000) == &ov);
            CHECK_EQ(st, ERROR_OPERATION_ABORTED);
            respond(&s, r->RequestId, "after cancel");
            char got[4096];
            tls_read(&c, got, sizeof(got)); /* the client answers the HelloRequest while reading */
            CHECK(strstr(got, "after cancel") != NULL);
            tls_close(&c);
        } else {
            tls_close(&c);
            CHECK(take_completion(s.port, NULL, &st, 5000) == &ov);
            CHECK_EQ(st, ERROR_CONNECTION_INVALID);
        }
    }
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

static void test_add_certificate_errors(void)
{
    UCHAR t[20];
    CHECK_EQ(HttpEmuAddCertificate(path("nothere.pem"), t), ERROR_FILE_NOT_FOUND);
    CHECK_EQ(HttpEmuAddCertificate(path("a.crt"), t), ERROR_INVALID_DATA); /* no private key */
    CHECK_EQ(HttpEmuAddCertificate(path("a.pem"), t), NO_ERROR);          /* again: the same thumbprint */
    CHECK_EQ(memcmp(t, g_a, 20), 0);
    unsigned char der[8192], sha[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int len = der_of(path("a.pem"), der, sizeof(der));
    CHECK(len > 0 && EVP_Digest(der, (size_t)len, sha, &n, EVP_sha1(), NULL) == 1);
    CHECK_EQ(n, 20);
    CHECK_EQ(memcmp(t, sha, 20), 0); /* the SHA-1 thumbprint netsh's certhash names (F-115) */
    CHECK_EQ(HttpEmuAddCertificate(NULL, t), ERROR_INVALID_PARAMETER);
}

/* F-138 with TLS: the auth entry comes first in pRequestInfo, the SslProtocol entry after it. */
static void test_https_with_authentication(void)
{
    WCHAR user[32], pw[16];
    wide("EMU\\tls-user", user, 32);
    wide("pw", pw, 16);
    CHECK_EQ(HttpEmuAddAccount(user, pw, NULL), NO_ERROR);
    server s;
    server_open(&s);
    HTTP_SERVER_AUTHENTICATION_INFO a;
    memset(&a, 0, sizeof(a));
    a.Flags.Present = 1;
    a.AuthSchemes = HTTP_AUTH_ENABLE_BASIC;
    CHECK_EQ(HttpSetUrlGroupProperty(s.group, HttpServerAuthenticationProperty, &a, sizeof(a)), NO_ERROR);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    client c;
    CHECK(tls_connect(&c, s.tcp_port, TLS1_3_VERSION, NULL, NULL, NULL));
    /* "EMU\tls-user:pw" */
    tls_send(&c, "GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic RU1VXHRscy11c2VyOnB3\r\n\r\n");
    char buf[16384];
    HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        CHECK_EQ(r->RequestInfoCount, 2);
        CHECK_EQ(r->pRequestInfo[0].InfoType, HttpRequestInfoTypeAuth);
        CHECK_EQ(r->pRequestInfo[1].InfoType, HttpRequestInfoTypeSslProtocol);
        HTTP_REQUEST_AUTH_INFO *ai = r->pRequestInfo[0].pInfo;
        CHECK(inside(ai, buf, sizeof(buf)) && inside(r->pRequestInfo[1].pInfo, buf, sizeof(buf)));
        CHECK(ai->AuthStatus == HttpAuthStatusSuccess && ai->AuthType == HttpRequestAuthTypeBasic && ai->AccessToken);
        if (ai->AccessToken) CHECK(CloseHandle(ai->AccessToken));
        CHECK(proto_info(r) != NULL && proto_info(r)->Protocol == SP_PROT_TLS1_3_SERVER);
        respond(&s, r->RequestId, "ok");
        char got[4096];
        tls_read(&c, got, sizeof(got));
    }
    tls_close(&c);
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
    HttpEmuClearAccounts();
}

/* Three requests in three TLS records that reach the server in one TCP segment: OpenSSL reads all three
 * ahead with the first, so the socket is empty while two requests wait in OpenSSL, where epoll cannot
 * see them. Each is still served, in order, with no more bytes from the client. */
static void test_pipelined_records_read_ahead(void)
{
    server s;
    server_open(&s);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    client t;
    CHECK(tls_connect(&t, s.tcp_port, 0, NULL, NULL, NULL));
    int on = 1, off = 0;
    setsockopt(t.fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
    tls_send(&t, "GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    tls_send(&t, "GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    tls_send(&t, "GET /3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    setsockopt(t.fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
    usleep(100 * 1000); /* all three records are in the server's socket before it answers the first */
    for (int i = 1; i <= 3; i++) {
        char buf[16384], want[16];
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) break;
        snprintf(want, sizeof(want), "/%d", i);
        CHECK(r->pRawUrl != NULL && strcmp(r->pRawUrl, want) == 0);
        respond(&s, r->RequestId, want);
    }
    char got[4096];
    tls_read(&t, got, sizeof(got));
    const char *a = strstr(got, "\r\n\r\n/1"), *b = a ? strstr(a, "\r\n\r\n/2") : NULL, *c = b ? strstr(b, "\r\n\r\n/3") : NULL;
    CHECK(a != NULL && b != NULL && c != NULL);
    tls_close(&t);
    CHECK_EQ(unbind_ip(s.tcp_port), NO_ERROR);
    server_close(&s);
    CHECK(counters_zero(2000));
}

int main(void)
{
    g_dir = getenv("EMU_TEST_CERTS");
    if (g_dir == NULL) g_dir = "certs";
    CHECK_EQ(HttpEmuAddCertificate(path("a.pem"), g_a), NO_ERROR);
    CHECK_EQ(HttpEmuAddCertificate(path("b.pem"), g_b), NO_ERROR);
    test_https_request_tls12_and_tls13();
    test_ssl_info_and_protocol_info();
    test_plaintext_and_missing_binding();
    test_keep_alive_and_large_bodies();
    test_pipelined_records_read_ahead();
    test_sni_two_certificates_one_port();
    test_service_configuration_records();
    CHECK_EQ(HttpEmuAddCertificate(path("ca.pem"), g_ca), NO_ERROR); /* trusted from here on */
    test_client_certificate_at_handshake();
    test_client_certificate_by_renegotiation();
    test_client_certificate_cancel_and_disconnect();
    test_add_certificate_errors();
    test_https_with_authentication();
    CHECK_EQ(HttpEmuClearCertificates(), NO_ERROR);
    return finish();
}
