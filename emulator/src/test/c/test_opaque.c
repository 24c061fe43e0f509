/* test_opaque: opaque mode (WebSocket upgrades, chapter C: F-144..F-151) with a raw TCP client and an
 * OpenSSL client on loopback: the 101 with OPAQUE and its headers, bytes both ways with no HTTP
 * framing (small, 1 MiB, interleaved), one read and one write outstanding, the client's FIN and RST,
 * the server's DISCONNECT and cancel, the disconnect waits, flow control when the application does
 * not read, no HTTP timers, the refusals (status, body, HTTP/1.0, h2) and live counters back to zero.
 * Certificates come from make_certs.sh (directory in EMU_TEST_CERTS). */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;
static const char *g_dir;
static UCHAR g_a[20];

#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" /* RFC 6455 section 1.3's example */
#define OPAQUE_FLAGS (HTTP_SEND_RESPONSE_FLAG_OPAQUE | HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA)
#define MIB (1024 * 1024)

static const char *path(const char *name)
{
    static char buf[4][1024];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 1024, "%s/%s", g_dir, name);
    return p;
}

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)((i * 131u + seed * 7u + (i >> 9)) & 0xff);
}

/* ---- server side ---- */

typedef struct server {
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    HANDLE queue, port;
    int tcp, tls;
} server;

static ULONG bind_ip(int port, int del)
{
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = WIN_AF_INET;
    a.sin_port = htons((uint16_t)port);
    HTTP_SERVICE_CONFIG_SSL_SET s;
    memset(&s, 0, sizeof(s));
    s.KeyDesc.pIpPort = (PSOCKADDR)&a;
    if (del) return HttpDeleteServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &s, sizeof(s), NULL);
    s.ParamDesc.SslHashLength = 20;
    s.ParamDesc.pSslHash = g_a;
    return HttpSetServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &s, sizeof(s), NULL);
}

static void server_open(server *s, int tls)
{
    memset(s, 0, sizeof(*s));
    s->tcp = free_port();
    s->tls = tls;
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(V2, &s->session, 0), NO_ERROR);
    CHECK_EQ(HttpCreateUrlGroup(s->session, &s->group, 0), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue(V2, NULL, NULL, 0, &s->queue), NO_ERROR);
    HTTP_BINDING_INFO b = {{1}, s->queue};
    CHECK_EQ(HttpSetUrlGroupProperty(s->group, HttpServerBindingProperty, &b, sizeof(b)), NO_ERROR);
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), "%s://+:%d/", tls ? "https" : "http", s->tcp);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(s->group, w, 0, 0), NO_ERROR);
    if (tls) CHECK_EQ(bind_ip(s->tcp, 0), NO_ERROR);
    s->port = CreateIoCompletionPort(s->queue, NULL, 3, 0);
    CHECK(s->port != NULL);
}

/* Completions that arrived while a test waited for another one. */
static struct { OVERLAPPED *ov; ULONG st, bytes; } g_done[64];
static int g_ndone;

static void server_close(server *s)
{
    if (s->tls) CHECK_EQ(bind_ip(s->tcp, 1), NO_ERROR);
    CHECK_EQ(HttpCloseRequestQueue(s->queue), NO_ERROR);
    CHECK_EQ(HttpCloseUrlGroup(s->group), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s->session), NO_ERROR);
    while (take_completion(s->port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s->port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    g_ndone = 0;
}

/* Waits up to ms for ov's completion, keeping others for later; 1 when it came. */
static int wait_ov(server *s, OVERLAPPED *ov, ULONG *st, ULONG *bytes, int ms)
{
    for (int i = 0; i < g_ndone; i++) {
        if (g_done[i].ov == ov) {
            if (st) *st = g_done[i].st;
            if (bytes) *bytes = g_done[i].bytes;
            g_done[i] = g_done[--g_ndone];
            return 1;
        }
    }
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) return 0;
        ULONG b = 0, e = 0;
        OVERLAPPED *got = take_completion(s->port, &b, &e, (DWORD)left);
        if (got == NULL) return 0;
        if (got == ov) {
            if (st) *st = e;
            if (bytes) *bytes = b;
            return 1;
        }
        if (g_ndone < 64) { g_done[g_ndone].ov = got; g_done[g_ndone].st = e; g_done[g_ndone].bytes = b; g_ndone++; }
    }
}

static HTTP_REQUEST *receive(server *s, void *buf, ULONG len)
{
    ULONG n = 0;
    ULONG rc = HttpReceiveHttpRequest(s->queue, HTTP_NULL_ID, 0, buf, len, &n, NULL);
    CHECK_EQ(rc, NO_ERROR);
    return rc == NO_ERROR ? buf : NULL;
}

/* The 101 as the WebSocket middleware writes it and ASP.NET sends it (F-145, F-146): synchronous,
 * OPAQUE | MORE_DATA | BUFFER_DATA, no entity chunks, Upgrade in its known slot, Connection: Upgrade in the
 * unknown list, the accept value computed from the client's key as RFC 6455 says. */
static ULONG upgrade_with(server *s, HTTP_REQUEST_ID id, ULONG flags, USHORT status, int conn_known, int with_upgrade)
{
    char key[64] = WS_KEY "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)key, strlen(key), sha);
    static char accept[64];
    EVP_EncodeBlock((unsigned char *)accept, sha, SHA_DIGEST_LENGTH);
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = status;
    r.pReason = status == 101 ? "Switching Protocols" : "OK";
    r.ReasonLength = (USHORT)strlen(r.pReason);
    if (with_upgrade) {
        r.Headers.KnownHeaders[HttpHeaderUpgrade].pRawValue = "websocket";
        r.Headers.KnownHeaders[HttpHeaderUpgrade].RawValueLength = 9;
    }
    HTTP_UNKNOWN_HEADER u[2] = {{20, (USHORT)strlen(accept), "Sec-WebSocket-Accept", accept}, {10, 7, "Connection", "Upgrade"}};
    r.Headers.pUnknownHeaders = u;
    r.Headers.UnknownHeaderCount = conn_known ? 1 : 2;
    if (conn_known) {
        r.Headers.KnownHeaders[HttpHeaderConnection].pRawValue = "Upgrade";
        r.Headers.KnownHeaders[HttpHeaderConnection].RawValueLength = 7;
    }
    return HttpSendHttpResponse(s->queue, id, flags, &r, NULL, NULL, NULL, 0, NULL, NULL);
}

static ULONG upgrade(server *s, HTTP_REQUEST_ID id) { return upgrade_with(s, id, OPAQUE_FLAGS, 101, 0, 1); }

static ULONG read_ov(server *s, HTTP_REQUEST_ID id, void *buf, ULONG len, OVERLAPPED *ov)
{
    memset(ov, 0, sizeof(*ov));
    return HttpReceiveRequestEntityBody(s->queue, id, 0, buf, len, NULL, ov);
}

/* Reads exactly n opaque bytes, one read outstanding at a time; returns the count read. */
static size_t read_exact(server *s, HTTP_REQUEST_ID id, unsigned char *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        OVERLAPPED ov;
        ULONG want = n - got > 65536 ? 65536 : (ULONG)(n - got);
        ULONG rc = read_ov(s, id, out + got, want, &ov);
        if (rc != NO_ERROR && rc != ERROR_IO_PENDING) { CHECK_EQ(rc, NO_ERROR); break; }
        ULONG st = 0, b = 0;
        if (!wait_ov(s, &ov, &st, &b, 10000)) { CHECK(!"read completion"); break; }
        if (st != NO_ERROR) { CHECK_EQ(st, NO_ERROR); break; }
        got += b;
    }
    return got;
}

static HTTP_DATA_CHUNK mem_chunk(const void *p, size_t n)
{
    HTTP_DATA_CHUNK c;
    memset(&c, 0, sizeof(c));
    c.DataChunkType = HttpDataChunkFromMemory;
    c.FromMemory.pBuffer = (void *)p;
    c.FromMemory.BufferLength = (ULONG)n;
    return c;
}

/* An overlapped opaque write as HttpListener issues it: MORE_DATA | BUFFER_DATA (F-145). */
static ULONG write_ov(server *s, HTTP_REQUEST_ID id, const void *p, size_t n, ULONG flags, OVERLAPPED *ov, HTTP_DATA_CHUNK *c)
{
    memset(ov, 0, sizeof(*ov));
    *c = mem_chunk(p, n);
    return HttpSendResponseEntityBody(s->queue, id, flags, n ? 1 : 0, n ? c : NULL, NULL, NULL, 0, ov, NULL);
}

static int write_wait(server *s, HTTP_REQUEST_ID id, const void *p, size_t n, ULONG flags)
{
    OVERLAPPED ov;
    HTTP_DATA_CHUNK c;
    ULONG rc = write_ov(s, id, p, n, flags, &ov, &c);
    CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
    ULONG st = 1, b = 0;
    CHECK(wait_ov(s, &ov, &st, &b, 10000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(b, n);
    return st == NO_ERROR && b == n;
}

static ULONG cancel(server *s, HTTP_REQUEST_ID id) { return HttpCancelHttpRequest(s->queue, id, NULL); }

/* ---- client side: a raw socket, or OpenSSL over it ---- */

typedef struct peer {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} peer;

static int peer_connect(peer *p, int port, int tls)
{
    memset(p, 0, sizeof(*p));
    p->fd = client_connect(port);
    if (p->fd < 0) return 0;
    struct timeval tv = {5, 0};
    setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (!tls) return 1;
    p->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(p->ctx, path("ca.crt"), NULL);
    SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, NULL);
    p->ssl = SSL_new(p->ctx);
    SSL_set_fd(p->ssl, p->fd);
    SSL_set_tlsext_host_name(p->ssl, "a.test");
    int ok = SSL_connect(p->ssl) == 1;
    ERR_clear_error();
    return ok;
}

static int peer_write(peer *p, const void *buf, size_t n)
{
    size_t o = 0;
    while (o < n) {
        long w = p->ssl ? SSL_write(p->ssl, (const char *)buf + o, (int)(n - o))
                        : (long)send(p->fd, (const char *)buf + o, n - o, MSG_NOSIGNAL);
        if (w <= 0) { ERR_clear_error(); return 0; }
        o += (size_t)w;
    }
    return 1;
}

static void peer_send(peer *p, const char *s) { CHECK(peer_write(p, s, strlen(s))); }

/* One read: > 0 bytes, 0 at the server's FIN, -1 on a reset or the receive timeout. */
static long peer_read_some(peer *p, void *buf, size_t n)
{
    long r;
    if (p->ssl) {
        r = SSL_read(p->ssl, buf, (int)n);
        if (r <= 0) {
            int e = SSL_get_error(p->ssl, (int)r);
            ERR_clear_error();
            return e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0) ? 0 : -1;
        }
        return r;
    }
    r = recv(p->fd, buf, n, 0);
    return r < 0 ? -1 : r;
}

/* Reads exactly n bytes (or until EOF/timeout); returns the count. */
static size_t peer_read(peer *p, void *buf, size_t n)
{
    size_t o = 0;
    while (o < n) {
        long r = peer_read_some(p, (char *)buf + o, n - o);
        if (r <= 0) break;
        o += (size_t)r;
    }
    return o;
}

/* The response head, byte by byte, so nothing of the stream behind it is taken. */
static size_t peer_read_head(peer *p, char *buf, size_t cap)
{
    size_t o = 0;
    while (o + 1 < cap) {
        if (peer_read_some(p, buf + o, 1) != 1) break;
        o++;
        if (o >= 4 && memcmp(buf + o - 4, "\r\n\r\n", 4) == 0) break;
    }
    buf[o] = 0;
    return o;
}

static void peer_fin(peer *p)
{
    if (p->ssl) SSL_shutdown(p->ssl); /* close_notify, then the TCP FIN */
    shutdown(p->fd, SHUT_WR);
}

static void peer_reset(peer *p)
{
    struct linger l = {1, 0};
    setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static void peer_close(peer *p)
{
    if (p->ssl) SSL_free(p->ssl);
    if (p->ctx) SSL_CTX_free(p->ctx);
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    p->ssl = NULL;
    p->ctx = NULL;
}

static const char *HANDSHAKE = "GET /chat HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n";

/* Connects, sends the handshake (and extra bytes right behind it), receives it on the server. */
static HTTP_REQUEST *open_ws(server *s, peer *p, const char *extra, void *buf, ULONG len)
{
    if (!peer_connect(p, s->tcp, s->tls)) { CHECK(!"connect"); return NULL; }
    char req[1024];
    snprintf(req, sizeof(req), "%s%s", HANDSHAKE, extra ? extra : "");
    peer_send(p, req);
    return receive(s, buf, len);
}

/* Upgrades and checks the 101 the client sees. */
static int upgrade_checked(server *s, peer *p, HTTP_REQUEST_ID id)
{
    CHECK_EQ(upgrade(s, id), NO_ERROR);
    char head[2048];
    peer_read_head(p, head, sizeof(head));
    int ok = strncmp(head, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0;
    CHECK(ok);
    CHECK(has(head, "\r\nUpgrade: websocket\r\n"));
    CHECK(has(head, "\r\nConnection: Upgrade\r\n"));            /* F-146: from the unknown list */
    CHECK(has(head, "\r\nSec-WebSocket-Accept: " WS_ACCEPT "\r\n"));
    CHECK(!has(head, "Content-Length"));
    CHECK(!has(head, "Connection: close"));
    if (!ok) fprintf(stderr, "head: %s\n", head);
    return ok;
}

/* ---- tests ---- */

/* Acceptance checks (2), (4) and (5) of chapter C, plain and over TLS: the upgrade, a 15-byte read, a 49-byte
 * echo, HTTP-looking bytes that are only bytes now, bytes the client sent before the 101, and the
 * DISCONNECT send that ends the stream with a FIN after every byte. */
static void test_upgrade_echo(int tls)
{
    server s;
    server_open(&s, tls);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, "early", buf, sizeof(buf));
    if (r == NULL) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    CHECK_EQ(r->Verb, HttpVerbGET);
    CHECK(r->Headers.KnownHeaders[HttpHeaderUpgrade].RawValueLength == 9);
    CHECK(!(r->Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS));
    if (!upgrade_checked(&s, &p, id)) goto done;
    unsigned char got[256];
    /* F-148: what the client sent before the 101 is the stream's first bytes */
    CHECK_EQ(read_exact(&s, id, got, 5), 5);
    CHECK(memcmp(got, "early", 5) == 0);
    /* F-148: 15 written, 15 read, as they arrive (the read is pending first) */
    OVERLAPPED ov;
    ULONG rc = read_ov(&s, id, got, sizeof(got), &ov);
    CHECK_EQ(rc, ERROR_IO_PENDING);
    usleep(50000);
    peer_send(&p, "fifteen bytes!!");
    ULONG st = 1, b = 0;
    CHECK(wait_ov(&s, &ov, &st, &b, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(b, 15);
    CHECK(memcmp(got, "fifteen bytes!!", 15) == 0);
    /* a 49-byte echo round trip */
    const char *msg = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM";
    peer_send(&p, msg);
    CHECK_EQ(read_exact(&s, id, got, 49), 49);
    CHECK(memcmp(got, msg, 49) == 0);
    write_wait(&s, id, got, 49, HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA);
    char back[64];
    CHECK_EQ(peer_read(&p, back, 49), 49);
    CHECK(memcmp(back, msg, 49) == 0);
    /* no HTTP framing either way: a request line is bytes, a status line is bytes */
    const char *fake = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
    peer_send(&p, fake);
    CHECK_EQ(read_exact(&s, id, got, strlen(fake)), strlen(fake));
    CHECK(memcmp(got, fake, strlen(fake)) == 0);
    const char *raw = "HTTP/1.1 200 OK\r\n\r\nraw";
    write_wait(&s, id, raw, strlen(raw), HTTP_SEND_RESPONSE_FLAG_MORE_DATA);
    CHECK_EQ(peer_read(&p, back, strlen(raw)), strlen(raw));
    CHECK(memcmp(back, raw, strlen(raw)) == 0);
    /* F-145, acceptance (4): write, then a zero-chunk DISCONNECT send: the client gets the bytes, then FIN */
    OVERLAPPED w1, w2;
    HTTP_DATA_CHUNK c1, c2;
    rc = write_ov(&s, id, "last words", 10, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &w1, &c1);
    CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
    CHECK(wait_ov(&s, &w1, &st, &b, 5000));
    rc = write_ov(&s, id, NULL, 0, HTTP_SEND_RESPONSE_FLAG_DISCONNECT, &w2, &c2);
    CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
    CHECK(wait_ov(&s, &w2, &st, &b, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(peer_read(&p, back, 10), 10);
    CHECK(memcmp(back, "last words", 10) == 0);
    CHECK_EQ(peer_read_some(&p, back, sizeof(back)), 0); /* FIN (TLS: close_notify) */
    /* F-64: the stream is over: its id is gone */
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &ov), ERROR_CONNECTION_INVALID);
done:
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

static void test_upgrade_echo_plain(void) { test_upgrade_echo(0); }
static void test_upgrade_echo_tls(void) { test_upgrade_echo(1); }

typedef struct xfer {
    peer *p;
    unsigned char *data;
    size_t n, done;
    int write;
} xfer;

static void *xfer_main(void *arg)
{
    xfer *x = arg;
    if (x->write) x->done = peer_write(x->p, x->data, x->n) ? x->n : 0;
    else x->done = peer_read(x->p, x->data, x->n);
    return NULL;
}

/* 1 MiB each way and 200 echoed messages of varying size, plain and over TLS; one read and one write
 * outstanding at the same time (F-149: full duplex). */
static void test_large_and_interleaved(int tls)
{
    server s;
    server_open(&s, tls);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    unsigned char *up = malloc(MIB), *down = malloc(MIB), *got = malloc(MIB);
    fill_pattern(up, MIB, 1);
    fill_pattern(down, MIB, 2);
    /* client -> server */
    xfer x = {&p, up, MIB, 0, 1};
    pthread_t t;
    pthread_create(&t, NULL, xfer_main, &x);
    CHECK_EQ(read_exact(&s, id, got, MIB), MIB);
    pthread_join(t, NULL);
    CHECK_EQ(x.done, MIB);
    CHECK(memcmp(got, up, MIB) == 0);
    /* server -> client: one send of 1 MiB, the caller's buffer read until it completes */
    memset(got, 0, MIB);
    x = (xfer){&p, got, MIB, 0, 0};
    pthread_create(&t, NULL, xfer_main, &x);
    write_wait(&s, id, down, MIB, HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA);
    pthread_join(t, NULL);
    CHECK_EQ(x.done, MIB);
    CHECK(memcmp(got, down, MIB) == 0);
    /* interleaved: a read pending while the echo of the previous message is written */
    int bad = 0;
    for (int i = 0; i < 200 && !bad; i++) {
        size_t n = (size_t)(i * 37 % 3000) + 1;
        peer_write(&p, up + i, n);
        if (read_exact(&s, id, got, n) != n || memcmp(got, up + i, n) != 0) bad = 1;
        OVERLAPPED rov, wov;
        HTTP_DATA_CHUNK c;
        unsigned char spare[16];
        ULONG rr = read_ov(&s, id, spare, sizeof(spare), &rov); /* stays pending: the client sends nothing yet */
        ULONG wr = write_ov(&s, id, got, n, HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA, &wov, &c);
        if (rr != ERROR_IO_PENDING || (wr != NO_ERROR && wr != ERROR_IO_PENDING)) bad = 2;
        ULONG st = 1, b = 0;
        if (!wait_ov(&s, &wov, &st, &b, 5000) || st != NO_ERROR || b != n) bad = 3;
        unsigned char back[3100];
        if (peer_read(&p, back, n) != n || memcmp(back, up + i, n) != 0) bad = 4;
        peer_write(&p, "!", 1);
        if (!wait_ov(&s, &rov, &st, &b, 5000) || st != NO_ERROR || b != 1 || spare[0] != '!') bad = 5;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(cancel(&s, id), NO_ERROR);
    free(up);
    free(down);
    free(got);
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

static void test_large_and_interleaved_plain(void) { test_large_and_interleaved(0); }
static void test_large_and_interleaved_tls(void) { test_large_and_interleaved(1); }

static ULONGLONG buffered(void)
{
    HTTP_EMU_COUNTERS c;
    HttpEmuGetCounters(&c, sizeof(c));
    return c.BufferedBytes;
}

/* F-149: a second read or write while one is outstanding is refused (ERROR_BAD_COMMAND, F-63); a
 * client the application does not read is held back by TCP, not buffered by the emulator. */
static void test_one_outstanding_and_flow_control(void)
{
    server s;
    server_open(&s, 0);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    HttpEmuSetStrict(1);
    unsigned char a[64], b2[64];
    OVERLAPPED r1, r2;
    CHECK_EQ(read_ov(&s, id, a, sizeof(a), &r1), ERROR_IO_PENDING);
    CHECK_EQ(read_ov(&s, id, b2, sizeof(b2), &r2), ERROR_BAD_COMMAND);
    /* a write far larger than the socket buffers stays pending while the client reads nothing */
    size_t big = 32 * MIB;
    unsigned char *data = malloc(big);
    fill_pattern(data, big, 3);
    OVERLAPPED w1, w2;
    HTTP_DATA_CHUNK c1, c2;
    CHECK_EQ(write_ov(&s, id, data, big, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &w1, &c1), ERROR_IO_PENDING);
    CHECK_EQ(write_ov(&s, id, "x", 1, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &w2, &c2), ERROR_BAD_COMMAND);
    /* the caller's buffer is read as it goes to the socket, until the send completes (not copied at the
     * call, even with BUFFER_DATA): a byte changed now reaches the client */
    unsigned char *expect = malloc(big);
    memcpy(expect, data, big);
    data[big - 1] ^= 0x5a;
    expect[big - 1] ^= 0x5a;
    ULONG st = 1, n = 0;
    CHECK(!wait_ov(&s, &w1, &st, &n, 200));
    /* the read completes while the write is pending (full duplex) */
    peer_send(&p, "ping");
    CHECK(wait_ov(&s, &r1, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(n, 4);
    CHECK(memcmp(a, "ping", 4) == 0);
    unsigned char *got = malloc(big);
    xfer x = {&p, got, big, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, xfer_main, &x);
    CHECK(wait_ov(&s, &w1, &st, &n, 20000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(n, big);
    pthread_join(t, NULL);
    CHECK_EQ(x.done, big);
    CHECK(memcmp(got, expect, big) == 0);
    CHECK(data[0] == 0xDD && data[big - 1] == 0xDD); /* strict mode: the buffer was poisoned at completion */
    fill_pattern(data, big, 4);
    free(expect);
    /* flow control: the client writes until TCP stops it; the emulator holds a bounded amount */
    int fl = fcntl(p.fd, F_GETFL);
    fcntl(p.fd, F_SETFL, fl | O_NONBLOCK);
    size_t sent = 0;
    for (int idle = 0; idle < 30 && sent < big;) {
        ssize_t w = send(p.fd, data + sent, big - sent, MSG_NOSIGNAL);
        if (w > 0) { sent += (size_t)w; idle = 0; continue; }
        if (w < 0 && errno != EAGAIN) break;
        idle++;
        usleep(10000);
    }
    fcntl(p.fd, F_SETFL, fl);
    CHECK(sent < big);                      /* the client was stopped */
    CHECK(buffered() <= 320 * 1024);        /* ... and the emulator did not take it all in (body bound 256 KB + input) */
    memset(got, 0, big);
    CHECK_EQ(read_exact(&s, id, got, sent), sent);
    CHECK(memcmp(got, data, sent) == 0);
    CHECK_EQ(cancel(&s, id), NO_ERROR);
    HttpEmuSetStrict(0);
    free(data);
    free(got);
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* Acceptance check (3): the client half-closes: the read gets its last bytes, then ERROR_HANDLE_EOF; the
 * Ex wait fires on the FIN (F-73), the v1 wait when the connection closes; the application still writes,
 * then ends the stream with DISCONNECT (F-150). */
static void test_client_fin(int tls)
{
    server s;
    server_open(&s, tls);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    HTTP_CONNECTION_ID cid = r->ConnectionId;
    OVERLAPPED rov, ex, v1;
    unsigned char got[64];
    memset(&ex, 0, sizeof(ex));
    memset(&v1, 0, sizeof(v1));
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_IO_PENDING);
    CHECK_EQ(HttpWaitForDisconnectEx(s.queue, cid, 0, &ex), ERROR_IO_PENDING);
    CHECK_EQ(HttpWaitForDisconnect(s.queue, cid, &v1), ERROR_IO_PENDING);
    peer_send(&p, "bye");
    ULONG st = 1, n = 0;
    CHECK(wait_ov(&s, &rov, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(n, 3);
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_IO_PENDING);
    peer_fin(&p);
    CHECK(wait_ov(&s, &rov, &st, &n, 5000));
    CHECK_EQ(st, ERROR_HANDLE_EOF);
    CHECK_EQ(n, 0);
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_HANDLE_EOF); /* F-46: at once after that */
    CHECK(wait_ov(&s, &ex, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK(!wait_ov(&s, &v1, &st, &n, 300));
    write_wait(&s, id, "server-bye", 10, HTTP_SEND_RESPONSE_FLAG_MORE_DATA);
    char back[32];
    CHECK_EQ(peer_read(&p, back, 10), 10);
    CHECK(memcmp(back, "server-bye", 10) == 0);
    write_wait(&s, id, NULL, 0, HTTP_SEND_RESPONSE_FLAG_DISCONNECT);
    CHECK_EQ(peer_read_some(&p, back, sizeof(back)), 0);
    CHECK(wait_ov(&s, &v1, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

static void test_client_fin_plain(void) { test_client_fin(0); }
static void test_client_fin_tls(void) { test_client_fin(1); }

/* F-148, F-150: a client reset fails the pending read (ERROR_NETNAME_DELETED, as F-50) and the pending
 * write (ERROR_CONNECTION_INVALID); the disconnect wait completes; the id is gone afterwards. */
static void test_client_rst(int tls)
{
    server s;
    server_open(&s, tls);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    OVERLAPPED rov, wov, ex;
    HTTP_DATA_CHUNK c;
    memset(&ex, 0, sizeof(ex));
    unsigned char got[64];
    size_t big = 32 * MIB;
    unsigned char *data = calloc(1, big);
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_IO_PENDING);
    CHECK_EQ(write_ov(&s, id, data, big, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &wov, &c), ERROR_IO_PENDING);
    CHECK_EQ(HttpWaitForDisconnectEx(s.queue, r->ConnectionId, 0, &ex), ERROR_IO_PENDING);
    usleep(100000);
    peer_reset(&p);
    peer_close(&p);
    ULONG st = 0, n = 0;
    CHECK(wait_ov(&s, &rov, &st, &n, 5000));
    CHECK_EQ(st, ERROR_NETNAME_DELETED);
    CHECK(wait_ov(&s, &wov, &st, &n, 5000));
    CHECK_EQ(st, ERROR_CONNECTION_INVALID);
    CHECK(wait_ov(&s, &ex, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_CONNECTION_INVALID);
    CHECK_EQ(write_ov(&s, id, "x", 1, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &wov, &c), ERROR_CONNECTION_INVALID);
    CHECK_EQ(cancel(&s, id), ERROR_CONNECTION_INVALID);
    free(data);
    server_close(&s);
    CHECK(counters_zero(3000));
}

static void test_client_rst_plain(void) { test_client_rst(0); }
static void test_client_rst_tls(void) { test_client_rst(1); }

/* F-150, F-80: HttpCancelHttpRequest ends the stream: the pending read is aborted, the wait completes,
 * the client sees the connection go (a reset). */
static void test_server_cancel(void)
{
    server s;
    server_open(&s, 0);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    OVERLAPPED rov, w;
    memset(&w, 0, sizeof(w));
    unsigned char got[64];
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_IO_PENDING);
    CHECK_EQ(HttpWaitForDisconnect(s.queue, r->ConnectionId, &w), ERROR_IO_PENDING);
    CHECK_EQ(cancel(&s, id), NO_ERROR);
    ULONG st = 0, n = 0;
    CHECK(wait_ov(&s, &rov, &st, &n, 5000));
    CHECK_EQ(st, ERROR_OPERATION_ABORTED);
    CHECK(wait_ov(&s, &w, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    char back[16];
    CHECK(peer_read_some(&p, back, sizeof(back)) <= 0);
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_CONNECTION_INVALID);
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* F-84: closing the queue cancels an upgraded request like any other: the read ends with
 * ERROR_OPERATION_ABORTED and the client sees a reset. */
static void test_queue_close(void)
{
    server s;
    server_open(&s, 0);
    peer p;
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    OVERLAPPED rov;
    unsigned char got[64];
    CHECK_EQ(read_ov(&s, r->RequestId, got, sizeof(got), &rov), ERROR_IO_PENDING);
    CHECK_EQ(HttpCloseRequestQueue(s.queue), NO_ERROR);
    ULONG st = 0, n = 0;
    OVERLAPPED *ov = take_completion(s.port, &n, &st, 5000);
    CHECK(ov == &rov);
    CHECK_EQ(st, ERROR_OPERATION_ABORTED);
    char back[16];
    CHECK_EQ(peer_read_some(&p, back, sizeof(back)), -1);
    peer_close(&p);
    CHECK_EQ(HttpCloseUrlGroup(s.group), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s.session), NO_ERROR);
    CHECK(CloseHandle(s.port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    CHECK(counters_zero(3000));
}

/* Which responses and requests may upgrade: F-144 (101 only, acceptance check (1)), F-146 (Upgrade named;
 * a known-slot Connection is not sent), F-147 (no unread body; CL 0 fine; not after the head went out),
 * and the stand-ins: MORE_DATA required, DISCONNECT refused, HTTP/1.0 refused, OPAQUE on a body send refused. */
static void test_refusals(void)
{
    server s;
    server_open(&s, 0);
    static char buf[16384] __attribute__((aligned(8)));
    peer p;
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    CHECK_EQ(upgrade_with(&s, id, OPAQUE_FLAGS, 200, 0, 1), ERROR_INVALID_PARAMETER);
    CHECK_EQ(upgrade_with(&s, id, OPAQUE_FLAGS, 426, 0, 1), ERROR_INVALID_PARAMETER);
    CHECK_EQ(upgrade_with(&s, id, OPAQUE_FLAGS, 101, 0, 0), ERROR_INVALID_PARAMETER);
    CHECK_EQ(upgrade_with(&s, id, HTTP_SEND_RESPONSE_FLAG_OPAQUE, 101, 0, 1), ERROR_INVALID_PARAMETER);
    CHECK_EQ(upgrade_with(&s, id, OPAQUE_FLAGS | HTTP_SEND_RESPONSE_FLAG_DISCONNECT, 101, 0, 1), ERROR_INVALID_PARAMETER);
    /* nothing went out: the same request still upgrades; the known-slot Connection never reaches the wire */
    CHECK_EQ(upgrade_with(&s, id, OPAQUE_FLAGS, 101, 1, 1), NO_ERROR);
    char head[2048];
    peer_read_head(&p, head, sizeof(head));
    CHECK(strncmp(head, "HTTP/1.1 101 ", 13) == 0);
    CHECK(!has(head, "Connection:"));
    CHECK(has(head, "Upgrade: websocket\r\n"));
    CHECK_EQ(upgrade(&s, id), ERROR_INVALID_PARAMETER); /* F-147: once the response started */
    OVERLAPPED ov;
    HTTP_DATA_CHUNK c;
    CHECK_EQ(write_ov(&s, id, "x", 1, HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_OPAQUE, &ov, &c),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(write_ov(&s, id, "x", 1, HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_DISCONNECT, &ov, &c),
             ERROR_INVALID_PARAMETER);
    /* a final send without DISCONNECT ends the stream too */
    write_wait(&s, id, "end", 3, 0);
    char back[16];
    CHECK_EQ(peer_read(&p, back, sizeof(back)), 3);
    peer_close(&p);

    /* F-147: a request with a body upgrades only once the application read all of it (stand-in) */
    CHECK(peer_connect(&p, s.tcp, 0));
    peer_send(&p, "POST /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\nhello");
    r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        id = r->RequestId;
        CHECK_EQ(upgrade(&s, id), ERROR_INVALID_PARAMETER);
        unsigned char body[16];
        CHECK_EQ(read_exact(&s, id, body, 5), 5);
        CHECK_EQ(upgrade(&s, id), NO_ERROR);
        peer_read_head(&p, head, sizeof(head));
        CHECK(strncmp(head, "HTTP/1.1 101 ", 13) == 0);
        peer_send(&p, "after");
        CHECK_EQ(read_exact(&s, id, body, 5), 5);
        CHECK(memcmp(body, "after", 5) == 0);
        CHECK_EQ(cancel(&s, id), NO_ERROR);
    }
    peer_close(&p);
    /* F-147: PUT with Content-Length: 0 upgrades */
    CHECK(peer_connect(&p, s.tcp, 0));
    peer_send(&p, "PUT /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n");
    r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        CHECK_EQ(upgrade(&s, r->RequestId), NO_ERROR);
        CHECK_EQ(cancel(&s, r->RequestId), NO_ERROR);
    }
    peer_close(&p);
    /* HTTP/1.0 has no upgrade; and a response head already sent (MORE_DATA 200) cannot become a 101 */
    CHECK(peer_connect(&p, s.tcp, 0));
    peer_send(&p, "GET /chat HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        CHECK_EQ(upgrade(&s, r->RequestId), ERROR_INVALID_PARAMETER);
        CHECK_EQ(cancel(&s, r->RequestId), NO_ERROR);
    }
    peer_close(&p);
    r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r != NULL) {
        HTTP_RESPONSE ok;
        memset(&ok, 0, sizeof(ok));
        ok.StatusCode = 200;
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &ok, NULL, NULL, NULL, 0, NULL, NULL),
                 NO_ERROR);
        CHECK_EQ(upgrade(&s, r->RequestId), ERROR_INVALID_PARAMETER);
        CHECK_EQ(cancel(&s, r->RequestId), NO_ERROR);
    }
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* F-150 (stand-in): no HTTP timer applies to an upgraded connection. With EntityBody and IdleConnection at
 * 1 s, a plain request whose body stalls is cut, while an opaque stream idle for longer lives on. */
static void test_no_http_timers(void)
{
    server s;
    server_open(&s, 0);
    HTTP_TIMEOUT_LIMIT_INFO to;
    memset(&to, 0, sizeof(to));
    to.Flags.Present = 1;
    to.EntityBody = 1;
    to.IdleConnection = 1;
    to.HeaderWait = 1;
    CHECK_EQ(HttpSetUrlGroupProperty(s.group, HttpServerTimeoutsProperty, &to, sizeof(to)), NO_ERROR);
    static char buf[16384] __attribute__((aligned(8)));
    static char buf2[16384] __attribute__((aligned(8)));
    peer p, q;
    HTTP_REQUEST *r = open_ws(&s, &p, NULL, buf, sizeof(buf));
    if (r == NULL || !upgrade_checked(&s, &p, r->RequestId)) { peer_close(&p); server_close(&s); return; }
    HTTP_REQUEST_ID id = r->RequestId;
    CHECK(peer_connect(&q, s.tcp, 0));
    peer_send(&q, "POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab");
    HTTP_REQUEST *r2 = receive(&s, buf2, sizeof(buf2));
    unsigned char got[16], got2[16];
    OVERLAPPED rov, rov2;
    CHECK_EQ(read_ov(&s, id, got, sizeof(got), &rov), ERROR_IO_PENDING);
    if (r2 != NULL) {
        ULONG n2 = 0;
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, r2->RequestId, 0, got2, sizeof(got2), &n2, NULL), NO_ERROR);
        CHECK_EQ(read_ov(&s, r2->RequestId, got2, sizeof(got2), &rov2), ERROR_IO_PENDING);
        ULONG st = 0, n = 0;
        CHECK(wait_ov(&s, &rov2, &st, &n, 4000)); /* EntityBody cut the stalled body */
        CHECK(st != NO_ERROR);
    }
    ULONG st = 0, n = 0;
    CHECK(!wait_ov(&s, &rov, &st, &n, 1500)); /* > 2 s idle in all: the opaque read still waits */
    peer_send(&p, "late");
    CHECK(wait_ov(&s, &rov, &st, &n, 5000));
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(n, 4);
    CHECK_EQ(cancel(&s, id), NO_ERROR);
    peer_close(&q);
    peer_close(&p);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* F-151: an h2 stream never upgrades (curl's own HTTP/2 client); the request is then answered normally. */

static void test_h2_refuses_opaque(void)
{
    if (!curl_has_http2()) {
        printf("SKIP test_h2_refuses_opaque: curl is missing or has no HTTP2 feature (curl -V)\n");
        return;
    }
    server s;
    server_open(&s, 1);
    curl_run cr;
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.cmd, sizeof(cr.cmd),
             "curl -s --http2 --max-time 20 --cacert %s --resolve a.test:%d:127.0.0.1 -w '[%%{http_version} %%{response_code}]' "
             "https://a.test:%d/chat 2>&1", path("ca.crt"), s.tcp, s.tcp);
    pthread_t t;
    pthread_create(&t, NULL, curl_main, &cr);
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        CHECK(r->Flags & HTTP_REQUEST_FLAG_HTTP2);
        CHECK_EQ(upgrade(&s, r->RequestId), ERROR_INVALID_PARAMETER);
        HTTP_RESPONSE ok;
        memset(&ok, 0, sizeof(ok));
        ok.StatusCode = 200;
        HTTP_DATA_CHUNK c = mem_chunk("no upgrade on h2", 16);
        ok.EntityChunkCount = 1;
        ok.pEntityChunks = &c;
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &ok, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
    }
    pthread_join(t, NULL);
    CHECK_EQ(cr.rc, 0);
    CHECK(has(cr.out, "no upgrade on h2[2 200]"));
    if (g_failed) fprintf(stderr, "curl said: %s\n", cr.out);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* argv[1], when given, runs only the tests whose name contains it. */
#define RUN(t) do { if (only == NULL || strstr(#t, only)) { printf("-- %s\n", #t); t(); } } while (0)

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    setvbuf(stdout, NULL, _IONBF, 0);
    g_dir = getenv("EMU_TEST_CERTS");
    if (g_dir == NULL) g_dir = "certs";
    CHECK_EQ(HttpEmuAddCertificate(path("a.pem"), g_a), NO_ERROR);
    /* The client may write to a server that just closed: no SIGPIPE in this thread (the emulator's loop
     * thread starts with the first listener and keeps the default action). */
    server warm;
    server_open(&warm, 0);
    server_close(&warm);
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    RUN(test_upgrade_echo_plain);
    RUN(test_upgrade_echo_tls);
    RUN(test_large_and_interleaved_plain);
    RUN(test_large_and_interleaved_tls);
    RUN(test_one_outstanding_and_flow_control);
    RUN(test_client_fin_plain);
    RUN(test_client_fin_tls);
    RUN(test_client_rst_plain);
    RUN(test_client_rst_tls);
    RUN(test_server_cancel);
    RUN(test_queue_close);
    RUN(test_refusals);
    RUN(test_no_http_timers);
    RUN(test_h2_refuses_opaque);
    CHECK_EQ(HttpEmuClearCertificates(), NO_ERROR);
    return finish();
}
