/* test_tls: https prefixes with a real OpenSSL client on loopback: handshakes on TLS 1.2 and 1.3,
 * certificate bindings by ip:port and by SNI host, what each request reports about TLS, and client
 * certificates at the handshake and by renegotiation. Certificates come from make_certs.sh
 * (directory in EMU_TEST_CERTS). */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
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
static UCHAR g_a[20], g_b[20];

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

static __attribute__((unused)) ULONG bind_sni(const char *host, int port, const UCHAR *thumb, ULONG flags)
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

static __attribute__((unused)) ULONG unbind_sni(const char *host, int port)
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

int main(void)
{
    g_dir = getenv("EMU_TEST_CERTS");
    if (g_dir == NULL) g_dir = "certs";
    CHECK_EQ(HttpEmuAddCertificate(path("a.pem"), g_a), NO_ERROR);
    CHECK_EQ(HttpEmuAddCertificate(path("b.pem"), g_b), NO_ERROR);
    test_https_request_tls12_and_tls13();
    CHECK_EQ(HttpEmuClearCertificates(), NO_ERROR);
    return finish();
}
