/* test_h2: HTTP/2 over TLS with ALPN against a real HTTP/2 client — nghttp2's client session over
 * OpenSSL here, and curl --http2 — checking what the API shows (chapter D of the behaviour reference,
 * F-153..F-159, F-186..F-188): a ConnectionId per stream, Version 1.1 with flag 0x4, request framing,
 * responses as HEADERS/DATA, GOAWAY, resets both ways, trailers, flow control with large bodies, and
 * http/1.1 when the binding disables h2. Certificates from make_certs.sh (directory in EMU_TEST_CERTS). */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;
static const char *g_dir;
static UCHAR g_a[20];

static const char *path(const char *name)
{
    static char buf[4][1024];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 1024, "%s/%s", g_dir, name);
    return p;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* ---- server side ---- */

typedef struct server {
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    HANDLE queue, port;
    int tcp_port;
} server;

static ULONG bind_ip(int port, const UCHAR *thumb, ULONG flags)
{
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = WIN_AF_INET;
    a.sin_port = htons((uint16_t)port);
    HTTP_SERVICE_CONFIG_SSL_SET s;
    memset(&s, 0, sizeof(s));
    s.KeyDesc.pIpPort = (PSOCKADDR)&a;
    s.ParamDesc.SslHashLength = 20;
    s.ParamDesc.pSslHash = (void *)thumb;
    s.ParamDesc.DefaultFlags = flags;
    return HttpSetServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &s, sizeof(s), NULL);
}

static ULONG unbind_ip(int port)
{
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = WIN_AF_INET;
    a.sin_port = htons((uint16_t)port);
    HTTP_SERVICE_CONFIG_SSL_SET s;
    memset(&s, 0, sizeof(s));
    s.KeyDesc.pIpPort = (PSOCKADDR)&a;
    return HttpDeleteServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &s, sizeof(s), NULL);
}

static void server_open(server *s, ULONG binding_flags)
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
    CHECK_EQ(HttpAddUrlToUrlGroup(s->group, w, 42, 0), NO_ERROR);
    CHECK_EQ(bind_ip(s->tcp_port, g_a, binding_flags), NO_ERROR);
    s->port = CreateIoCompletionPort(s->queue, NULL, 7, 0);
    CHECK(s->port != NULL);
}

/* Completions that arrived while the test waited for another one. */
static struct { OVERLAPPED *ov; ULONG st, bytes; } g_done[64];
static int g_ndone;

static void server_close(server *s)
{
    CHECK_EQ(unbind_ip(s->tcp_port), NO_ERROR);
    CHECK_EQ(HttpCloseRequestQueue(s->queue), NO_ERROR);
    CHECK_EQ(HttpCloseUrlGroup(s->group), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s->session), NO_ERROR);
    while (take_completion(s->port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s->port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL), NO_ERROR);
    g_ndone = 0;
}

/* ---- an HTTP/2 client: nghttp2's client session over OpenSSL ---- */

typedef struct cstream {
    int32_t id;
    int status;
    char hdrs[4096];            /* "name: value\n" of every HEADERS frame but the trailers */
    size_t hdrs_len;
    char trailers[1024];
    size_t tr_len;
    int trailers_ended;         /* the trailers HEADERS frame carried END_STREAM */
    unsigned char *body;
    size_t body_len, body_cap;
    int closed;
    uint32_t code;              /* on_stream_close's error code */
    int rst;                    /* RST_STREAM received */
    uint32_t rst_code;
    const unsigned char *up;    /* request body */
    size_t up_len, up_off;
    int up_hold;                /* keep the request stream open after the body */
} cstream;

typedef struct cl {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    nghttp2_session *s;
    cstream st[128];
    int nst;
    int goaways;
    int32_t goaway_last[4];
    uint32_t goaway_code[4];
    int manual_window;          /* consume received DATA only when the test says so */
    size_t unconsumed;
    int eof;
    /* The server's frames as they come off the wire, for what the client session does not report
     * (a closing nghttp2 session ignores a second GOAWAY): just the frame boundaries. */
    unsigned char fh[9];
    size_t fh_len, frem, fpos;
    unsigned char gbuf[8];
    int raw_goaways;
    int32_t raw_goaway_last[4];
} cl;

static cstream *cs_of(cl *c, int32_t id)
{
    for (int i = 0; i < c->nst; i++)
        if (c->st[i].id == id) return &c->st[i];
    return NULL;
}

static ssize_t c_send(nghttp2_session *s, const uint8_t *d, size_t n, int f, void *ud)
{
    (void)s; (void)f;
    cl *c = ud;
    size_t off = 0;
    long t0 = now_ms();
    while (off < n) {
        int w = SSL_write(c->ssl, d + off, (int)(n - off));
        if (w > 0) { off += (size_t)w; continue; }
        int e = SSL_get_error(c->ssl, w);
        if ((e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) && now_ms() - t0 < 5000) {
            struct pollfd p = {c->fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0};
            poll(&p, 1, 50);
            continue;
        }
        ERR_clear_error();
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

static int c_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl, const uint8_t *value,
                    size_t vl, uint8_t flags, void *ud)
{
    (void)s; (void)flags;
    cstream *st = cs_of(ud, f->hd.stream_id);
    if (st == NULL || f->hd.type != NGHTTP2_HEADERS) return 0;
    if (f->headers.cat == NGHTTP2_HCAT_HEADERS && st->status >= 200) {
        int k = snprintf(st->trailers + st->tr_len, sizeof(st->trailers) - st->tr_len, "%.*s: %.*s\n", (int)nl, name,
                         (int)vl, value);
        if (k > 0 && st->tr_len + (size_t)k < sizeof(st->trailers)) st->tr_len += (size_t)k;
        return 0;
    }
    if (nl == 7 && memcmp(name, ":status", 7) == 0) st->status = atoi((const char *)value);
    int k = snprintf(st->hdrs + st->hdrs_len, sizeof(st->hdrs) - st->hdrs_len, "%.*s: %.*s\n", (int)nl, name, (int)vl,
                     value);
    if (k > 0 && st->hdrs_len + (size_t)k < sizeof(st->hdrs)) st->hdrs_len += (size_t)k;
    return 0;
}

static int c_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    (void)s;
    cl *c = ud;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        if (c->goaways < 4) {
            c->goaway_last[c->goaways] = f->goaway.last_stream_id;
            c->goaway_code[c->goaways] = f->goaway.error_code;
        }
        c->goaways++;
    }
    cstream *st = cs_of(c, f->hd.stream_id);
    if (st == NULL) return 0;
    if (f->hd.type == NGHTTP2_RST_STREAM) { st->rst = 1; st->rst_code = f->rst_stream.error_code; }
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_HEADERS && st->tr_len > 0 &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        st->trailers_ended = 1;
    return 0;
}

static int c_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *d, size_t n, void *ud)
{
    (void)flags;
    cl *c = ud;
    cstream *st = cs_of(c, id);
    if (st != NULL) {
        if (st->body_len + n > st->body_cap) {
            st->body_cap = (st->body_len + n) * 2;
            st->body = realloc(st->body, st->body_cap);
        }
        memcpy(st->body + st->body_len, d, n);
        st->body_len += n;
    }
    if (c->manual_window) c->unconsumed += n;
    else nghttp2_session_consume(s, id, n);
    return 0;
}

static int c_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    (void)s;
    cstream *st = cs_of(ud, id);
    if (st) { st->closed = 1; st->code = code; }
    return 0;
}

static ssize_t c_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                           nghttp2_data_source *src, void *ud)
{
    (void)s; (void)id; (void)ud;
    cstream *st = src->ptr;
    size_t n = st->up_len - st->up_off;
    if (n > len) n = len;
    if (n > 0) memcpy(buf, st->up + st->up_off, n);
    st->up_off += n;
    if (st->up_off == st->up_len) {
        if (st->up_hold && n == 0) return NGHTTP2_ERR_DEFERRED;
        if (!st->up_hold) *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

/* Connects with ALPN offering alpn (wire format); returns the protocol chosen ("" for none). */
static const char *cl_connect(cl *c, int port, const char *alpn, size_t alpn_len, uint32_t window)
{
    static char chosen[32];
    memset(c, 0, sizeof(*c));
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(c->ctx, path("ca.crt"), NULL);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_alpn_protos(c->ctx, (const unsigned char *)alpn, (unsigned)alpn_len);
    c->fd = client_connect(port);
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "a.test");
    chosen[0] = 0;
    if (SSL_connect(c->ssl) != 1) { ERR_clear_error(); return chosen; }
    const unsigned char *p;
    unsigned n = 0;
    SSL_get0_alpn_selected(c->ssl, &p, &n);
    if (n < sizeof(chosen)) { memcpy(chosen, p, n); chosen[n] = 0; }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    if (strcmp(chosen, "h2") != 0) return chosen;
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, c_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, c_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, c_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, c_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, c_close);
    nghttp2_option *opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_session_client_new2(&c->s, cb, c, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, 1);
    return chosen;
}

static void cl_close(cl *c)
{
    if (c->s) nghttp2_session_del(c->s);
    for (int i = 0; i < c->nst; i++) free(c->st[i].body);
    if (c->ssl) SSL_free(c->ssl);
    if (c->ctx) SSL_CTX_free(c->ctx);
    if (c->fd >= 0) close(c->fd);
    c->ssl = NULL;
    c->ctx = NULL;
    c->s = NULL;
    c->fd = -1;
}

static void scan_frames(cl *c, const unsigned char *p, size_t n)
{
    while (n > 0) {
        if (c->frem == 0 && c->fh_len < 9) {
            c->fh[c->fh_len++] = *p++;
            n--;
            if (c->fh_len < 9) continue;
            c->frem = (size_t)c->fh[0] << 16 | (size_t)c->fh[1] << 8 | c->fh[2];
            c->fpos = 0;
        } else {
            size_t k = c->frem < n ? c->frem : n;
            for (size_t i = 0; i < k; i++, c->fpos++)
                if (c->fpos < 8) c->gbuf[c->fpos] = p[i];
            p += k;
            n -= k;
            c->frem -= k;
        }
        if (c->fh_len == 9 && c->frem == 0) {
            if (c->fh[3] == NGHTTP2_GOAWAY) {
                if (c->raw_goaways < 4)
                    c->raw_goaway_last[c->raw_goaways] =
                        (int32_t)(((uint32_t)c->gbuf[0] << 24 | (uint32_t)c->gbuf[1] << 16 | (uint32_t)c->gbuf[2] << 8 |
                                   c->gbuf[3]) & 0x7fffffffu);
                c->raw_goaways++;
            }
            c->fh_len = 0;
        }
    }
}

/* Sends what the session has, reads what arrives within ms. */
static void cl_step(cl *c, int ms)
{
    if (c->eof || c->s == NULL) { usleep((useconds_t)ms * 1000); return; }
    nghttp2_session_send(c->s);
    struct pollfd p = {c->fd, POLLIN, 0};
    if (SSL_pending(c->ssl) == 0 && poll(&p, 1, ms) <= 0) return;
    unsigned char buf[16384];
    for (;;) {
        int r = SSL_read(c->ssl, buf, sizeof(buf));
        if (r > 0) {
            scan_frames(c, buf, (size_t)r);
            ssize_t mr = nghttp2_session_mem_recv(c->s, buf, (size_t)r);
            if (mr < 0) { if (getenv("H2DBG")) fprintf(stderr, "client mem_recv: %s\n", nghttp2_strerror((int)mr)); c->eof = 1; return; }
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        ERR_clear_error();
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) { if (getenv("H2DBG")) fprintf(stderr, "client SSL_read: %d\n", e); c->eof = 1; }
        break;
    }
    nghttp2_session_send(c->s);
}

static void cl_until_closed(cl *c, cstream *st, int ms)
{
    long t0 = now_ms();
    while (!st->closed && !c->eof && now_ms() - t0 < ms) cl_step(c, 10);
}

/* A request; body NULL: none (END_STREAM on HEADERS). Extra fields as name, value pairs. */
static cstream *cl_request(cl *c, const char *method, const char *p, const char *const *extra, int nextra,
                           const void *body, size_t body_len, int hold)
{
    nghttp2_nv nv[16];
    int n = 0;
#define NVS(a, b) nv[n++] = (nghttp2_nv){(uint8_t *)(a), (uint8_t *)(b), strlen(a), strlen(b), NGHTTP2_NV_FLAG_NONE}
    NVS(":method", method);
    NVS(":scheme", "https");
    NVS(":authority", "a.test");
    NVS(":path", p);
    for (int i = 0; i < nextra; i++) NVS(extra[2 * i], extra[2 * i + 1]);
#undef NVS
    cstream *st = &c->st[c->nst++];
    memset(st, 0, sizeof(*st));
    st->up = body;
    st->up_len = body_len;
    st->up_hold = hold;
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = c_read_body};
    st->id = nghttp2_submit_request(c->s, NULL, nv, (size_t)n, body || hold ? &prd : NULL, NULL);
    CHECK(st->id > 0);
    cl_step(c, 1);
    return st;
}

/* Waits for the completion of ov while driving the client; 1 when it came. */
static int wait_ov(cl *c, server *s, OVERLAPPED *ov, ULONG *st, ULONG *bytes, int ms)
{
    long t0 = now_ms();
    for (;;) {
        for (int i = 0; i < g_ndone; i++) {
            if (g_done[i].ov == ov) {
                if (st) *st = g_done[i].st;
                if (bytes) *bytes = g_done[i].bytes;
                g_done[i] = g_done[--g_ndone];
                return 1;
            }
        }
        if (now_ms() - t0 > ms) return 0;
        ULONG b = 0, x = 0;
        OVERLAPPED *got = take_completion(s->port, &b, &x, 5);
        if (got != NULL && g_ndone < 64) { g_done[g_ndone].ov = got; g_done[g_ndone].st = x; g_done[g_ndone].bytes = b; g_ndone++; }
        if (c != NULL) cl_step(c, 2);
    }
}

static HTTP_REQUEST *receive(server *s, cl *c, void *buf, ULONG len)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ULONG rc = HttpReceiveHttpRequest(s->queue, HTTP_NULL_ID, 0, buf, len, NULL, &ov);
    CHECK(rc == ERROR_IO_PENDING || rc == NO_ERROR);
    ULONG st = 1;
    int got = wait_ov(c, s, &ov, &st, NULL, 5000);
    CHECK(got);
    CHECK_EQ(st, NO_ERROR);
    return got && st == NO_ERROR ? buf : NULL;
}

static HTTP_DATA_CHUNK mem_chunk(const void *p, size_t n)
{
    HTTP_DATA_CHUNK ch;
    memset(&ch, 0, sizeof(ch));
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)p;
    ch.FromMemory.BufferLength = (ULONG)n;
    return ch;
}

/* An overlapped response; waits for its completion (driving the client) and returns its status. */
static ULONG respond(server *s, cl *c, HTTP_REQUEST_ID id, ULONG flags, HTTP_RESPONSE *r, const char *body)
{
    HTTP_DATA_CHUNK ch = mem_chunk(body, body ? strlen(body) : 0);
    if (body) { r->EntityChunkCount = 1; r->pEntityChunks = &ch; }
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ULONG rc = HttpSendHttpResponse(s->queue, id, flags, r, NULL, NULL, NULL, 0, &ov, NULL);
    if (rc != NO_ERROR && rc != ERROR_IO_PENDING) return rc;
    ULONG st = 1;
    CHECK(wait_ov(c, s, &ov, &st, NULL, 5000));
    return st;
}

static HTTP_RESPONSE ok_response(void)
{
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = 200;
    r.pReason = "OK";
    r.ReasonLength = 2;
    return r;
}

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static const char *known(HTTP_REQUEST *r, int id, char *out, size_t cap)
{
    const HTTP_KNOWN_HEADER *k = &r->Headers.KnownHeaders[id];
    if (k->pRawValue == NULL) return NULL;
    snprintf(out, cap, "%.*s", (int)k->RawValueLength, k->pRawValue);
    return out;
}

static int remote_port(HTTP_REQUEST *r)
{
    return ntohs(((SOCKADDR_IN *)r->Address.pRemoteAddress)->sin_port);
}

#define H2 "\x02h2\x08http/1.1"
#define H2_LEN (sizeof(H2) - 1)

/* ---- tests ---- */

/* Acceptance (1): Flags & 4, Version 1.1, one ConnectionId per stream, several streams at once on
 * one TCP connection; pseudo-headers become verb, URL and Host; the disconnect wait of a stream
 * completes when the stream ends. */
static void test_get_concurrent_streams(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    static const char *const paths[3] = {"/a?x=1", "/b/%41", "/c"};
    cstream *st[3];
    for (int i = 0; i < 3; i++) st[i] = cl_request(&c, "GET", paths[i], NULL, 0, NULL, 0, 0);
    static char bufs[3][8192] __attribute__((aligned(8)));
    HTTP_REQUEST *r[3];
    HTTP_CONNECTION_ID cid[3];
    for (int i = 0; i < 3; i++) {
        r[i] = receive(&s, &c, bufs[i], sizeof(bufs[i]));
        if (r[i] == NULL) { cl_close(&c); server_close(&s); return; }
        cid[i] = r[i]->ConnectionId;
        CHECK(r[i]->Flags & HTTP_REQUEST_FLAG_HTTP2);
        CHECK_EQ(r[i]->Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS, 0);
        CHECK_EQ(r[i]->Version.MajorVersion, 1);
        CHECK_EQ(r[i]->Version.MinorVersion, 1);
        CHECK_EQ(r[i]->Verb, HttpVerbGET);
        CHECK_EQ(r[i]->UrlContext, 42);
        CHECK(r[i]->pSslInfo != NULL);
        char h[128];
        CHECK(known(r[i], HttpHeaderHost, h, sizeof(h)) && strcmp(h, "a.test") == 0);
    }
    /* F-77: a ConnectionId per stream, all on one TCP connection. */
    CHECK(cid[0] != cid[1] && cid[1] != cid[2] && cid[0] != cid[2]);
    CHECK(r[0]->RequestId != r[1]->RequestId);
    CHECK_EQ(remote_port(r[0]), remote_port(r[1]));
    CHECK_EQ(remote_port(r[1]), remote_port(r[2]));
    CHECK_EQ(r[0]->RawUrlLength, 6);
    CHECK(memcmp(r[0]->pRawUrl, "/a?x=1", 6) == 0);
    char full[128];
    size_t fl = r[1]->CookedUrl.FullUrlLength / 2;
    for (size_t i = 0; i < fl && i + 1 < sizeof(full); i++) full[i] = (char)r[1]->CookedUrl.pFullUrl[i];
    full[fl < sizeof(full) ? fl : sizeof(full) - 1] = 0;
    char want[128];
    snprintf(want, sizeof(want), "https://a.test:%d/b/A", s.tcp_port);
    CHECK(strcmp(full, want) == 0);
    /* A stream's connection id answers for the TCP connection's TLS: no certificate, and no
     * renegotiation on h2 (RFC 9113 9.2.1). */
    static char cert[4096] __attribute__((aligned(8)));
    ULONG cb = 0;
    CHECK_EQ(HttpReceiveClientCertificate(s.queue, cid[0], 0, (PHTTP_SSL_CLIENT_CERT_INFO)cert, sizeof(cert), &cb, NULL),
             ERROR_NOT_FOUND);
    /* A disconnect wait on stream 0's connection: it completes when that stream ends. */
    OVERLAPPED wov;
    memset(&wov, 0, sizeof(wov));
    CHECK_EQ(HttpWaitForDisconnectEx(s.queue, cid[0], 0, &wov), ERROR_IO_PENDING);
    /* Answered in reverse order: the streams are independent. */
    for (int i = 2; i >= 0; i--) {
        HTTP_RESPONSE resp = ok_response();
        char body[32];
        snprintf(body, sizeof(body), "body %d", i);
        HTTP_KNOWN_HEADER *ct = &resp.Headers.KnownHeaders[HttpHeaderContentType];
        ct->pRawValue = "text/plain";
        ct->RawValueLength = 10;
        CHECK_EQ(respond(&s, &c, r[i]->RequestId, 0, &resp, body), NO_ERROR);
    }
    for (int i = 0; i < 3; i++) {
        cl_until_closed(&c, st[i], 3000);
        CHECK(st[i]->closed);
        CHECK_EQ(st[i]->code, NGHTTP2_NO_ERROR);
        CHECK_EQ(st[i]->status, 200);
        char body[32];
        snprintf(body, sizeof(body), "body %d", i);
        CHECK(st[i]->body_len == strlen(body) && memcmp(st[i]->body, body, st[i]->body_len) == 0);
        CHECK(has(st[i]->hdrs, "content-length: 6\n"));
        CHECK(has(st[i]->hdrs, "content-type: text/plain\n"));
        CHECK(has(st[i]->hdrs, "server: Microsoft-HTTPAPI/2.0\n"));
        CHECK(has(st[i]->hdrs, "date: "));
    }
    ULONG wst = 1;
    CHECK(wait_ov(&c, &s, &wov, &wst, NULL, 3000));
    CHECK_EQ(wst, NO_ERROR);
    /* The stream's connection is gone; a wait on it now completes at once (F-74). */
    memset(&wov, 0, sizeof(wov));
    ULONG rc = HttpWaitForDisconnectEx(s.queue, cid[1], 0, &wov);
    CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
    CHECK(wait_ov(&c, &s, &wov, &wst, NULL, 3000));
    /* The TCP connection carries on: a fourth stream. */
    cstream *s4 = cl_request(&c, "GET", "/d", NULL, 0, NULL, 0, 0);
    static char b4[8192] __attribute__((aligned(8)));
    HTTP_REQUEST *r4 = receive(&s, &c, b4, sizeof(b4));
    if (r4) {
        CHECK(r4->ConnectionId != cid[0] && r4->ConnectionId != cid[2]);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, &c, r4->RequestId, 0, &resp, "four"), NO_ERROR);
        cl_until_closed(&c, s4, 3000);
        CHECK(s4->body_len == 4);
    }
    CHECK(!c.eof);
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* SETTINGS_MAX_CONCURRENT_STREAMS is 100: a hundred requests are held at once by the application,
 * each its own connection; answered, every object is gone. */
static void test_hundred_concurrent_streams(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    CHECK_EQ(nghttp2_session_get_remote_settings(c.s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 100);
    enum { N = 100 };
    cstream *st[N];
    for (int i = 0; i < N; i++) st[i] = cl_request(&c, "GET", "/many", NULL, 0, NULL, 0, 0);
    static char bufs[N][4096] __attribute__((aligned(8)));
    HTTP_REQUEST *r[N];
    int n = 0;
    for (; n < N; n++) {
        r[n] = receive(&s, &c, bufs[n], sizeof(bufs[n]));
        if (r[n] == NULL) break;
    }
    CHECK_EQ(n, N);
    int distinct = 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) distinct &= r[i]->ConnectionId != r[j]->ConnectionId;
    CHECK(distinct);
    HTTP_EMU_COUNTERS k;
    HttpEmuGetCounters(&k, sizeof(k));
    CHECK_EQ(k.Connections, N + 1); /* every stream and the TCP connection */
    CHECK_EQ(k.Requests, N);
    for (int i = 0; i < n; i++) {
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, &c, r[i]->RequestId, 0, &resp, "m"), NO_ERROR);
    }
    int all = 1;
    for (int i = 0; i < N; i++) {
        cl_until_closed(&c, st[i], 3000);
        all &= st[i]->closed && st[i]->status == 200 && st[i]->body_len == 1;
    }
    CHECK(all);
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* Reads the whole body of r through HttpReceiveRequestEntityBody (overlapped), until EOF. */
static size_t read_body(server *s, cl *c, HTTP_REQUEST_ID id, unsigned char *out, size_t cap)
{
    size_t got = 0;
    for (;;) {
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ULONG n = 0;
        size_t want = cap - got < 65536 ? cap - got : 65536;
        if (want == 0) break;
        ULONG rc = HttpReceiveRequestEntityBody(s->queue, id, 0, out + got, (ULONG)want, &n, &ov);
        if (rc == ERROR_HANDLE_EOF) break;
        if (rc != NO_ERROR && rc != ERROR_IO_PENDING) { CHECK_EQ(rc, NO_ERROR); break; }
        ULONG st = 1, bytes = 0;
        if (!wait_ov(c, s, &ov, &st, &bytes, 10000)) { CHECK(0); break; }
        if (st == ERROR_HANDLE_EOF) break;
        if (st != NO_ERROR) { CHECK_EQ(st, NO_ERROR); break; }
        got += bytes;
    }
    return got;
}

/* Acceptance (2), F-155: a body without content-length shows Transfer-Encoding: chunked; with one,
 * Content-Length; none, neither; POST ending the stream on HEADERS without a length gets 411. */
static void test_post_framing(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    static const char body[] = "hello h2 body";
    static char buf[16384] __attribute__((aligned(8)));
    char v[64];
    unsigned char got[256];
    /* No content-length: chunked shown. */
    cstream *a = cl_request(&c, "POST", "/p", NULL, 0, body, strlen(body), 0);
    HTTP_REQUEST *r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        CHECK(r->Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS);
        CHECK(known(r, HttpHeaderTransferEncoding, v, sizeof(v)) && strcmp(v, "chunked") == 0);
        CHECK(known(r, HttpHeaderContentLength, v, sizeof(v)) == NULL);
        CHECK_EQ(read_body(&s, &c, r->RequestId, got, sizeof(got)), strlen(body));
        CHECK(memcmp(got, body, strlen(body)) == 0);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, &c, r->RequestId, 0, &resp, "ok"), NO_ERROR);
        cl_until_closed(&c, a, 3000);
        CHECK_EQ(a->status, 200);
    }
    /* With content-length. */
    static const char *const cl13[] = {"content-length", "13"};
    cstream *b = cl_request(&c, "PUT", "/p", cl13, 1, body, strlen(body), 0);
    r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        CHECK(known(r, HttpHeaderContentLength, v, sizeof(v)) && strcmp(v, "13") == 0);
        CHECK(known(r, HttpHeaderTransferEncoding, v, sizeof(v)) == NULL);
        CHECK_EQ(r->Verb, HttpVerbPUT);
        CHECK_EQ(read_body(&s, &c, r->RequestId, got, sizeof(got)), 13);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, &c, r->RequestId, 0, &resp, "ok"), NO_ERROR);
        cl_until_closed(&c, b, 3000);
    }
    /* GET without a body: neither header; cookies joined (RFC 9113 8.2.3). */
    static const char *const cookies[] = {"cookie", "a=1", "cookie", "b=2", "x-custom", "yes"};
    cstream *g = cl_request(&c, "GET", "/g", cookies, 3, NULL, 0, 0);
    r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        CHECK(known(r, HttpHeaderTransferEncoding, v, sizeof(v)) == NULL);
        CHECK(known(r, HttpHeaderContentLength, v, sizeof(v)) == NULL);
        CHECK(known(r, HttpHeaderCookie, v, sizeof(v)) && strcmp(v, "a=1; b=2") == 0);
        CHECK_EQ(r->Headers.UnknownHeaderCount, 1);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, &c, r->RequestId, 0, &resp, NULL), NO_ERROR);
        cl_until_closed(&c, g, 3000);
        CHECK(has(g->hdrs, "content-length: 0\n"));
    }
    /* POST ending the stream on HEADERS, no length: 411 by HTTP.sys; the application sees nothing. */
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)buf, sizeof(buf), NULL, &ov), ERROR_IO_PENDING);
    cstream *e = cl_request(&c, "POST", "/p", NULL, 0, NULL, 0, 0);
    cl_until_closed(&c, e, 3000);
    CHECK_EQ(e->status, 411);
    CHECK_EQ(e->body_len, 344); /* F-155 */
    CHECK(e->body_len > 0 && memmem(e->body, e->body_len, "Length Required", 15) != NULL);
    CHECK(!wait_ov(&c, &s, &ov, NULL, NULL, 200));
    CHECK(CancelIoEx(s.queue, &ov));
    ULONG st = 0;
    CHECK(wait_ov(&c, &s, &ov, &st, NULL, 2000));
    CHECK_EQ(st, ERROR_OPERATION_ABORTED);
    /* F-155: a HEAD request that sends DATA is reset with HTTP_1_1_REQUIRED. */
    cstream *hd = cl_request(&c, "HEAD", "/h", NULL, 0, "x", 1, 0);
    r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        CHECK_EQ(r->Verb, HttpVerbHEAD);
        cl_until_closed(&c, hd, 3000);
        CHECK(hd->rst);
        CHECK_EQ(hd->rst_code, NGHTTP2_HTTP_1_1_REQUIRED);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL),
                 ERROR_CONNECTION_INVALID);
    }
    /* 100-continue on h2: an interim HEADERS frame at the first body read (F-51). */
    static const char *const expect[] = {"expect", "100-continue", "content-length", "13"};
    cstream *x = cl_request(&c, "POST", "/x", expect, 2, NULL, 0, 1);
    r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        OVERLAPPED bov;
        memset(&bov, 0, sizeof(bov));
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, r->RequestId, 0, got, sizeof(got), NULL, &bov), ERROR_IO_PENDING);
        long t0 = now_ms();
        while (!has(x->hdrs, ":status: 100") && now_ms() - t0 < 3000) cl_step(&c, 10);
        CHECK(has(x->hdrs, ":status: 100\n"));
        x->up = (const unsigned char *)body;
        x->up_len = strlen(body);
        x->up_hold = 0;
        nghttp2_session_resume_data(c.s, x->id);
        ULONG bytes = 0;
        CHECK(wait_ov(&c, &s, &bov, &st, &bytes, 3000));
        CHECK_EQ(st, NO_ERROR);
        CHECK_EQ(bytes, 13);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, &c, r->RequestId, 0, &resp, "ok"), NO_ERROR);
        cl_until_closed(&c, x, 3000);
        CHECK_EQ(x->status, 200);
    }
    CHECK(!c.eof);
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* Acceptance (3), F-156, F-157: Connection: close + DISCONNECT|GOAWAY → GOAWAY(2^31-1) before the
 * headers, the header absent, then the final GOAWAY and the close; DISCONNECT alone ends the stream only. */
static void test_disconnect_and_goaway(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    static char buf[16384] __attribute__((aligned(8)));
    /* DISCONNECT alone: the stream ends, the connection stays. */
    cstream *a = cl_request(&c, "GET", "/a", NULL, 0, NULL, 0, 0);
    HTTP_REQUEST *r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        HTTP_RESPONSE resp = ok_response();
        HTTP_UNKNOWN_HEADER u[2] = {{10, 10, "Keep-Alive", "timeout=5"}, {7, 3, "X-Other", "yes"}};
        u[0].RawValueLength = 9;
        resp.Headers.UnknownHeaderCount = 2;
        resp.Headers.pUnknownHeaders = u;
        CHECK_EQ(respond(&s, &c, r->RequestId, HTTP_SEND_RESPONSE_FLAG_DISCONNECT, &resp, "a"), NO_ERROR);
        cl_until_closed(&c, a, 3000);
        CHECK_EQ(a->code, NGHTTP2_NO_ERROR);
        CHECK(!has(a->hdrs, "keep-alive"));
        CHECK(has(a->hdrs, "x-other: yes\n"));
        CHECK_EQ(c.goaways, 0);
    }
    /* Connection: close with GOAWAY. */
    cstream *b = cl_request(&c, "GET", "/b", NULL, 0, NULL, 0, 0);
    r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        HTTP_RESPONSE resp = ok_response();
        resp.Headers.KnownHeaders[HttpHeaderConnection].pRawValue = "close";
        resp.Headers.KnownHeaders[HttpHeaderConnection].RawValueLength = 5;
        CHECK_EQ(respond(&s, &c, r->RequestId, HTTP_SEND_RESPONSE_FLAG_DISCONNECT | HTTP_SEND_RESPONSE_FLAG_GOAWAY, &resp,
                         "b"),
                 NO_ERROR);
        cl_until_closed(&c, b, 3000);
        CHECK_EQ(b->status, 200);
        CHECK(!has(b->hdrs, "connection"));
        CHECK(b->body_len == 1);
        long t0 = now_ms();
        while (!c.eof && now_ms() - t0 < 3000) cl_step(&c, 10);
        CHECK(c.eof); /* the connection closes once no stream is left */
        CHECK_EQ(c.goaways, 1); /* the client session reports the first; the wire has both */
        CHECK_EQ(c.goaway_last[0], 0x7fffffff);
        CHECK_EQ(c.goaway_code[0], NGHTTP2_NO_ERROR);
        CHECK_EQ(c.raw_goaways, 2);
        CHECK_EQ(c.raw_goaway_last[0], 0x7fffffff);
        CHECK_EQ(c.raw_goaway_last[1], b->id);
    }
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* Acceptance (4), F-158: stream error 1111 + cancel → RST_STREAM(1111); plain cancel → CANCEL, before
 * or after the response head; the connection and its other streams live on. */
static void test_server_resets(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    static char buf[3][16384] __attribute__((aligned(8)));
    cstream *a = cl_request(&c, "GET", "/a", NULL, 0, NULL, 0, 0);
    cstream *b = cl_request(&c, "GET", "/b", NULL, 0, NULL, 0, 0);
    cstream *d = cl_request(&c, "GET", "/d", NULL, 0, NULL, 0, 0);
    HTTP_REQUEST *r[3];
    for (int i = 0; i < 3; i++) r[i] = receive(&s, &c, buf[i], sizeof(buf[i]));
    if (r[0] && r[1] && r[2]) {
        HTTP_REQUEST *ra = NULL, *rb = NULL, *rd = NULL;
        for (int i = 0; i < 3; i++) {
            if (memcmp(r[i]->pRawUrl, "/a", 2) == 0) ra = r[i];
            if (memcmp(r[i]->pRawUrl, "/b", 2) == 0) rb = r[i];
            if (memcmp(r[i]->pRawUrl, "/d", 2) == 0) rd = r[i];
        }
        CHECK(ra && rb && rd);
        if (!ra || !rb || !rd) goto done;
        HTTP_REQUEST_PROPERTY_STREAM_ERROR e = {1111};
        CHECK_EQ(HttpSetRequestProperty(s.queue, ra->RequestId, HttpRequestPropertyStreamError, &e, sizeof(e), NULL),
                 NO_ERROR);
        CHECK_EQ(HttpSetRequestProperty(s.queue, ra->RequestId, HttpRequestPropertyStreamError, &e, 2, NULL),
                 ERROR_INVALID_PARAMETER);
        CHECK_EQ(HttpCancelHttpRequest(s.queue, ra->RequestId, NULL), NO_ERROR);
        cl_until_closed(&c, a, 3000);
        CHECK(a->rst);
        CHECK_EQ(a->rst_code, 1111);
        /* After the head: the client saw HEADERS, then the reset. */
        HTTP_RESPONSE resp = ok_response();
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ULONG rc = HttpSendHttpResponse(s.queue, rb->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &resp, NULL, NULL,
                                        NULL, 0, &ov, NULL);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        ULONG st = 1;
        CHECK(wait_ov(&c, &s, &ov, &st, NULL, 3000));
        long t0 = now_ms();
        while (b->status == 0 && now_ms() - t0 < 3000) cl_step(&c, 10);
        CHECK_EQ(b->status, 200);
        CHECK_EQ(HttpCancelHttpRequest(s.queue, rb->RequestId, NULL), NO_ERROR);
        cl_until_closed(&c, b, 3000);
        CHECK(b->rst);
        CHECK_EQ(b->rst_code, NGHTTP2_CANCEL);
        /* The id is dead; the third stream still works. */
        CHECK_EQ(HttpCancelHttpRequest(s.queue, rb->RequestId, NULL), ERROR_CONNECTION_INVALID);
        resp = ok_response();
        CHECK_EQ(respond(&s, &c, rd->RequestId, 0, &resp, "dd"), NO_ERROR);
        cl_until_closed(&c, d, 3000);
        CHECK(!d->rst && d->body_len == 2);
        CHECK(!c.eof);
        static char ebuf[16384] __attribute__((aligned(8)));
        /* Closing the queue resets the streams it holds (F-84), not the connection. */
        cstream *f = cl_request(&c, "GET", "/f", NULL, 0, NULL, 0, 0);
        HTTP_REQUEST *rf = receive(&s, &c, ebuf, sizeof(ebuf));
        CHECK(rf != NULL);
        CHECK_EQ(HttpCloseRequestQueue(s.queue), NO_ERROR);
        cl_until_closed(&c, f, 3000);
        CHECK(f->rst);
        CHECK_EQ(f->rst_code, NGHTTP2_CANCEL);
        CHECK(!c.eof);
        CHECK_EQ(HttpCreateRequestQueue(V2, NULL, NULL, 0, &s.queue), NO_ERROR); /* for server_close */
    }
done:
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* Strict mode: a send whose frames wait in the emulator (the client reads nothing, its window is
 * large) is cancelled: the frames already queued go out with the caller's bytes as they were, never
 * with the poison its completion writes into them, and the stream ends with RST_STREAM(CANCEL). */
static void test_cancel_with_frames_queued(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, (1u << 30)), "h2") == 0);
    nghttp2_session_set_local_window_size(c.s, NGHTTP2_FLAG_NONE, 0, 1 << 30);
    ULONG was = HttpEmuSetStrict(1);
    size_t big = 24u << 20;
    unsigned char *data = malloc(big);
    memset(data, 'z', big);
    cstream *e = cl_request(&c, "GET", "/e", NULL, 0, NULL, 0, 0);
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        HTTP_RESPONSE resp = ok_response();
        resp.pReason = NULL; /* strict mode writes into what it was given: nothing read-only */
        resp.ReasonLength = 0;
        HTTP_DATA_CHUNK ch = mem_chunk(data, big);
        resp.EntityChunkCount = 1;
        resp.pEntityChunks = &ch;
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &resp, NULL, NULL, NULL,
                                      0, &ov, NULL),
                 ERROR_IO_PENDING);
        usleep(300000); /* the socket fills up; frames wait in the emulator */
        HTTP_EMU_COUNTERS k;
        HttpEmuGetCounters(&k, sizeof(k));
        CHECK(k.BufferedBytes > 0);
        CHECK_EQ(HttpCancelHttpRequest(s.queue, r->RequestId, NULL), NO_ERROR);
        ULONG st = 0;
        CHECK(wait_ov(NULL, &s, &ov, &st, NULL, 3000));
        CHECK_EQ(st, ERROR_OPERATION_ABORTED);
        CHECK_EQ(data[0], 0xDD); /* handed back: poisoned */
        cl_until_closed(&c, e, 10000);
        CHECK(e->rst);
        CHECK_EQ(e->rst_code, NGHTTP2_CANCEL);
        CHECK(e->body_len > 0 && e->body_len < big);
        size_t bad = 0;
        for (size_t i = 0; i < e->body_len; i++) bad += e->body[i] != 'z';
        CHECK_EQ(bad, 0);
        CHECK(!c.eof);
    }
    free(data);
    HttpEmuSetStrict(was);
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* ---- a TLS write with the emulator's lock released ----
 * send() is interposed (the emulator's TLS writes use it; this client's SSL writes do not): during the
 * server's write of stream A's response, a helper thread answers stream B and cancels A. With the lock
 * held during the write the helper could do neither until it returned; A's stream ends while its own send
 * is being written, and must stay whole until that write returns (the loop frees what is closed two
 * batches later: the write waits that long). B's frames, queued meanwhile, follow on the same socket. */

static pthread_t g_probe_thread;
static int g_probing, g_writes_seen, g_writes_under_lock;
static sem_t g_probe_go, g_probe_done;
static server *g_probe_srv;
static HTTP_REQUEST_ID g_probe_a, g_probe_b;
static OVERLAPPED g_probe_ov;
static ULONG g_probe_send_rc, g_probe_cancel_rc;
static int g_probe_fin_fd = -1; /* instead of the helper: the client's socket, half-closed after the write */

static void *probe_main(void *arg)
{
    (void)arg;
    sem_wait(&g_probe_go);
    HTTP_RESPONSE resp = ok_response();
    static HTTP_DATA_CHUNK ch;
    ch = mem_chunk("bee", 3);
    resp.EntityChunkCount = 1;
    resp.pEntityChunks = &ch;
    g_probe_send_rc = HttpSendHttpResponse(g_probe_srv->queue, g_probe_b, 0, &resp, NULL, NULL, NULL, 0, &g_probe_ov, NULL);
    g_probe_cancel_rc = HttpCancelHttpRequest(g_probe_srv->queue, g_probe_a, NULL);
    sem_post(&g_probe_done);
    return NULL;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    static ssize_t (*real)(int, const void *, size_t, int);
    if (real == NULL) real = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    if (__atomic_load_n(&g_probing, __ATOMIC_ACQUIRE) && pthread_equal(pthread_self(), g_probe_thread)) {
        __atomic_store_n(&g_probing, 0, __ATOMIC_RELEASE); /* the first write of the call only */
        g_writes_seen++;
        if (g_probe_fin_fd >= 0) {
            ssize_t n = real(fd, buf, len, flags);
            shutdown(g_probe_fin_fd, SHUT_WR);
            usleep(200000); /* the loop thread reads the FIN once this write lets go of the SSL object */
            return n;
        }
        sem_post(&g_probe_go);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += 1;
        if (sem_timedwait(&g_probe_done, &t) != 0) g_writes_under_lock++;
        else usleep(600000); /* two batches of the loop: a stream buried during the write would be freed */
    }
    return real(fd, buf, len, flags);
}

/* A response "ay" to id, sent overlapped with the probe armed for this thread's first write. */
static ULONG probed_send(server *s, HTTP_REQUEST_ID id, ULONG flags, OVERLAPPED *ov)
{
    HTTP_RESPONSE resp = ok_response();
    HTTP_DATA_CHUNK ch = mem_chunk("ay", 2);
    resp.EntityChunkCount = 1;
    resp.pEntityChunks = &ch;
    memset(ov, 0, sizeof(*ov));
    g_probe_thread = pthread_self();
    __atomic_store_n(&g_probing, 1, __ATOMIC_RELEASE);
    ULONG rc = HttpSendHttpResponse(s->queue, id, flags, &resp, NULL, NULL, NULL, 0, ov, NULL);
    __atomic_store_n(&g_probing, 0, __ATOMIC_RELEASE);
    return rc;
}

static void test_a_stream_ends_during_its_own_write(void)
{
    server s;
    server_open(&s, 0);
    g_probe_srv = &s;
    sem_init(&g_probe_go, 0, 0);
    sem_init(&g_probe_done, 0, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    cstream *a = cl_request(&c, "GET", "/a", NULL, 0, NULL, 0, 0);
    cstream *b = cl_request(&c, "GET", "/b", NULL, 0, NULL, 0, 0);
    static char ba[8192] __attribute__((aligned(8))), bb[8192] __attribute__((aligned(8)));
    HTTP_REQUEST *ra = receive(&s, &c, ba, sizeof(ba));
    HTTP_REQUEST *rb = receive(&s, &c, bb, sizeof(bb));
    if (ra != NULL && rb != NULL) {
        if (ra->ConnectionId > rb->ConnectionId) { HTTP_REQUEST *x = ra; ra = rb; rb = x; } /* ids in stream order */
        g_probe_a = ra->RequestId;
        g_probe_b = rb->RequestId;
        memset(&g_probe_ov, 0, sizeof(g_probe_ov));
        pthread_t t;
        pthread_create(&t, NULL, probe_main, NULL);
        /* MORE_DATA: A's request stays live, so the helper can cancel it (F-64: not once the final send is issued). */
        OVERLAPPED ov;
        ULONG rc = probed_send(&s, ra->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &ov);
        if (g_writes_under_lock) sem_wait(&g_probe_done); /* the helper finishes once the lock is free */
        pthread_join(t, NULL);
        CHECK_EQ(g_writes_seen, 1);
        CHECK_EQ(g_writes_under_lock, 0);
        /* A's send: its bytes were on their way when the stream ended; it completes either way. */
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        ULONG st = 1;
        CHECK(wait_ov(&c, &s, &ov, &st, NULL, 3000));
        CHECK(st == NO_ERROR || st == ERROR_OPERATION_ABORTED || st == ERROR_CONNECTION_INVALID);
        CHECK(g_probe_send_rc == NO_ERROR || g_probe_send_rc == ERROR_IO_PENDING);
        CHECK_EQ(g_probe_cancel_rc, NO_ERROR);
        CHECK(wait_ov(&c, &s, &g_probe_ov, &st, NULL, 3000));
        CHECK_EQ(st, NO_ERROR);
        cl_until_closed(&c, b, 3000);
        CHECK_EQ(b->status, 200);
        CHECK(b->body_len == 3 && memcmp(b->body, "bee", 3) == 0);
        cl_until_closed(&c, a, 3000);
        CHECK(a->closed);
        CHECK(a->rst); /* the cancel: RST_STREAM after A's head */
        CHECK_EQ(a->status, 200);
        CHECK(!c.eof);
    }
    cl_close(&c);
    server_close(&s);
    sem_destroy(&g_probe_go);
    sem_destroy(&g_probe_done);
    CHECK(counters_zero(3000));
}

/* The client closes right after the write that carries a stream's last frame, and the loop reads that FIN
 * before the writer is back: the bytes went out before it, so the send completes with NO_ERROR, as on a
 * connection the client closes after reading the response; the FIN then ends the connection. */
static void test_a_fin_during_the_write_of_a_last_frame(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    cl_request(&c, "GET", "/a", NULL, 0, NULL, 0, 0);
    static char ba[8192] __attribute__((aligned(8)));
    HTTP_REQUEST *ra = receive(&s, &c, ba, sizeof(ba));
    if (ra != NULL) {
        HTTP_CONNECTION_ID cid = ra->ConnectionId;
        g_writes_seen = 0;
        g_probe_fin_fd = c.fd;
        OVERLAPPED ov;
        ULONG rc = probed_send(&s, ra->RequestId, 0, &ov);
        g_probe_fin_fd = -1;
        CHECK_EQ(g_writes_seen, 1);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        ULONG st = 1;
        CHECK(wait_ov(NULL, &s, &ov, &st, NULL, 3000));
        CHECK_EQ(st, NO_ERROR);
        /* The FIN was acted on: the stream's connection is gone, its wait completes at once (F-74). */
        memset(&ov, 0, sizeof(ov));
        rc = HttpWaitForDisconnectEx(s.queue, cid, 0, &ov);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        CHECK(wait_ov(NULL, &s, &ov, &st, NULL, 3000));
    }
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* Acceptance (5), F-159, F-187: a trailers chunk ends the final send: HEADERS with END_STREAM. */
static void test_trailers(void)
{
    server s;
    server_open(&s, 0);
    CHECK(HttpIsFeatureSupported(HttpFeatureResponseTrailers)); /* after HttpInitialize (F-188) */
    CHECK(!HttpIsFeatureSupported(HttpFeatureHttp3));
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    static char buf[16384] __attribute__((aligned(8)));
    cstream *a = cl_request(&c, "GET", "/a", NULL, 0, NULL, 0, 0);
    HTTP_REQUEST *r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        HTTP_RESPONSE resp = ok_response();
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ULONG rc = HttpSendHttpResponse(s.queue, r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &resp, NULL, NULL,
                                        NULL, 0, &ov, NULL);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        ULONG st = 1;
        CHECK(wait_ov(&c, &s, &ov, &st, NULL, 3000));
        HTTP_UNKNOWN_HEADER t[2] = {{11, 1, "Grpc-Status", "0"}, {7, 5, "x-trail", "three"}};
        HTTP_DATA_CHUNK ch[2];
        ch[0] = mem_chunk("payload", 7);
        memset(&ch[1], 0, sizeof(ch[1]));
        ch[1].DataChunkType = HttpDataChunkTrailers;
        ch[1].Trailers.TrailerCount = 2;
        ch[1].Trailers.pTrailers = t;
        /* Only on the final send. */
        CHECK_EQ(HttpSendResponseEntityBody(s.queue, r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, 2, ch, NULL, NULL, 0,
                                            NULL, NULL),
                 ERROR_INVALID_PARAMETER);
        memset(&ov, 0, sizeof(ov));
        rc = HttpSendResponseEntityBody(s.queue, r->RequestId, 0, 2, ch, NULL, NULL, 0, &ov, NULL);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        CHECK(wait_ov(&c, &s, &ov, &st, NULL, 3000));
        CHECK_EQ(st, NO_ERROR);
        cl_until_closed(&c, a, 3000);
        CHECK_EQ(a->code, NGHTTP2_NO_ERROR);
        CHECK(a->body_len == 7 && memcmp(a->body, "payload", 7) == 0);
        CHECK(has(a->trailers, "grpc-status: 0\n"));
        CHECK(has(a->trailers, "x-trail: three\n"));
        CHECK(a->trailers_ended);
        CHECK(!has(a->hdrs, "content-length")); /* MORE_DATA head: no length, no chunking (F-187) */
    }
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
    CHECK(!HttpIsFeatureSupported(HttpFeatureResponseTrailers)); /* after the last HttpTerminate */
}

/* A client RST_STREAM completes that stream's disconnect wait and fails its pending body read; the
 * other streams go on. The TCP connection closing does so for every stream. */
static void test_client_resets(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    static char buf[3][16384] __attribute__((aligned(8)));
    unsigned char body[256];
    cstream *a = cl_request(&c, "POST", "/a", NULL, 0, "part", 4, 1); /* the body never ends */
    cstream *b = cl_request(&c, "GET", "/b", NULL, 0, NULL, 0, 0);
    HTTP_REQUEST *r0 = receive(&s, &c, buf[0], sizeof(buf[0]));
    HTTP_REQUEST *r1 = receive(&s, &c, buf[1], sizeof(buf[1]));
    if (r0 && r1) {
        HTTP_REQUEST *ra = r0->Verb == HttpVerbPOST ? r0 : r1, *rb = ra == r0 ? r1 : r0;
        OVERLAPPED wov, bov;
        memset(&wov, 0, sizeof(wov));
        memset(&bov, 0, sizeof(bov));
        CHECK_EQ(HttpWaitForDisconnectEx(s.queue, ra->ConnectionId, 0, &wov), ERROR_IO_PENDING);
        ULONG n = 0, st = 1, bytes = 0;
        ULONG rc = HttpReceiveRequestEntityBody(s.queue, ra->RequestId, 0, body, sizeof(body), &n, &bov);
        if (rc == NO_ERROR || rc == ERROR_IO_PENDING) CHECK(wait_ov(&c, &s, &bov, &st, &bytes, 3000));
        CHECK_EQ(bytes, 4);
        memset(&bov, 0, sizeof(bov));
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, ra->RequestId, 0, body, sizeof(body), &n, &bov), ERROR_IO_PENDING);
        CHECK(!wait_ov(&c, &s, &wov, NULL, NULL, 100));
        nghttp2_submit_rst_stream(c.s, NGHTTP2_FLAG_NONE, a->id, NGHTTP2_CANCEL);
        CHECK(wait_ov(&c, &s, &wov, &st, NULL, 3000));
        CHECK_EQ(st, NO_ERROR);
        CHECK(wait_ov(&c, &s, &bov, &st, NULL, 3000));
        CHECK_EQ(st, ERROR_OPERATION_ABORTED); /* F-184: a body cut short */
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(HttpSendHttpResponse(s.queue, ra->RequestId, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL),
                 ERROR_CONNECTION_INVALID);
        /* The other stream is untouched. */
        resp = ok_response();
        CHECK_EQ(respond(&s, &c, rb->RequestId, 0, &resp, "b"), NO_ERROR);
        cl_until_closed(&c, b, 3000);
        CHECK_EQ(b->status, 200);
    }
    /* Two streams open, each with a wait and one with a pending read; the client closes the TCP connection. */
    cstream *x = cl_request(&c, "POST", "/x", NULL, 0, "xx", 2, 1);
    cstream *y = cl_request(&c, "GET", "/y", NULL, 0, NULL, 0, 0);
    (void)x; (void)y;
    r0 = receive(&s, &c, buf[0], sizeof(buf[0]));
    r1 = receive(&s, &c, buf[1], sizeof(buf[1]));
    if (r0 && r1) {
        OVERLAPPED w0, w1;
        memset(&w0, 0, sizeof(w0));
        memset(&w1, 0, sizeof(w1));
        CHECK_EQ(HttpWaitForDisconnect(s.queue, r0->ConnectionId, &w0), ERROR_IO_PENDING);
        CHECK_EQ(HttpWaitForDisconnectEx(s.queue, r1->ConnectionId, 0, &w1), ERROR_IO_PENDING);
        client_reset(c.fd);
        c.fd = -1;
        ULONG st = 1;
        CHECK(wait_ov(NULL, &s, &w0, &st, NULL, 3000));
        CHECK_EQ(st, NO_ERROR);
        CHECK(wait_ov(NULL, &s, &w1, &st, NULL, 3000));
        CHECK_EQ(st, NO_ERROR);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(HttpSendHttpResponse(s.queue, r1->RequestId, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL),
                 ERROR_CONNECTION_INVALID);
    }
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)((i * 31 + seed + i / 7919) & 0xff);
}

/* 4 MiB each way through flow control; a client that does not read holds the server's send (it
 * completes only when its bytes are written) and the emulator buffers no more than the windows. */
static void test_large_bodies_and_flow_control(void)
{
    server s;
    server_open(&s, 0);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "h2") == 0);
    size_t big = 4u << 20;
    unsigned char *up = malloc(big), *in = malloc(big), *down = malloc(big);
    fill_pattern(up, big, 1);
    fill_pattern(down, big, 2);
    static char buf[16384] __attribute__((aligned(8)));
    char cl_s[32];
    snprintf(cl_s, sizeof(cl_s), "%zu", big);
    const char *const hdr[] = {"content-length", cl_s};
    cstream *a = cl_request(&c, "POST", "/up", hdr, 1, up, big, 0);
    HTTP_REQUEST *r = receive(&s, &c, buf, sizeof(buf));
    if (r != NULL) {
        /* Nobody reads yet: the client is held by the stream window, the emulator holds little. */
        for (int i = 0; i < 20; i++) cl_step(&c, 10);
        HTTP_EMU_COUNTERS k;
        HttpEmuGetCounters(&k, sizeof(k));
        CHECK(k.BufferedBytes <= 2 * 65536);
        CHECK(a->up_off < big);
        size_t got = read_body(&s, &c, r->RequestId, in, big);
        CHECK_EQ(got, big);
        CHECK(memcmp(in, up, big) == 0);
        /* Down: a head with MORE_DATA, then 4 MiB in 16 sends of 256 KiB, each overlapped. */
        c.manual_window = 1;
        HTTP_RESPONSE resp = ok_response();
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ULONG rc = HttpSendHttpResponse(s.queue, r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &resp, NULL, NULL,
                                        NULL, 0, &ov, NULL);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        ULONG st = 1;
        CHECK(wait_ov(&c, &s, &ov, &st, NULL, 3000));
        size_t piece = 256u << 10;
        HTTP_DATA_CHUNK ch = mem_chunk(down, piece);
        memset(&ov, 0, sizeof(ov));
        rc = HttpSendResponseEntityBody(s.queue, r->RequestId, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, 1, &ch, NULL, NULL, 0, &ov,
                                        NULL);
        CHECK_EQ(rc, ERROR_IO_PENDING);
        /* The client reads but gives no window back: the send stays pending. */
        CHECK(!wait_ov(&c, &s, &ov, NULL, NULL, 300));
        HttpEmuGetCounters(&k, sizeof(k));
        CHECK(k.BufferedBytes <= 2 * 65536);
        CHECK(k.PendingOverlapped >= 1);
        c.manual_window = 0;
        nghttp2_session_consume(c.s, a->id, c.unconsumed);
        c.unconsumed = 0;
        CHECK(wait_ov(&c, &s, &ov, &st, NULL, 5000));
        CHECK_EQ(st, NO_ERROR);
        for (size_t off = piece; off < big; off += piece) {
            ch = mem_chunk(down + off, piece);
            memset(&ov, 0, sizeof(ov));
            ULONG fl = off + piece < big ? HTTP_SEND_RESPONSE_FLAG_MORE_DATA : 0;
            rc = HttpSendResponseEntityBody(s.queue, r->RequestId, fl, 1, &ch, NULL, NULL, 0, &ov, NULL);
            CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
            ULONG bytes = 0;
            CHECK(wait_ov(&c, &s, &ov, &st, &bytes, 10000));
            CHECK_EQ(st, NO_ERROR);
            CHECK_EQ(bytes, piece);
        }
        cl_until_closed(&c, a, 5000);
        CHECK_EQ(a->code, NGHTTP2_NO_ERROR);
        CHECK_EQ(a->body_len, big);
        CHECK(a->body_len == big && memcmp(a->body, down, big) == 0);
    }
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
    free(up);
    free(in);
    free(down);
}

/* F-116, F-154: DISABLE_HTTP2 on the binding: http/1.1 is chosen though the client offers h2. */
static void test_disable_http2_binding(void)
{
    server s;
    server_open(&s, HTTP_SERVICE_CONFIG_SSL_FLAG_DISABLE_HTTP2);
    cl c;
    CHECK(strcmp(cl_connect(&c, s.tcp_port, H2, H2_LEN, 65535), "http/1.1") == 0);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
    const char *req = "GET /one HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
    CHECK_EQ(SSL_write(c.ssl, req, (int)strlen(req)), (long long)strlen(req));
    static char buf[16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r = receive(&s, NULL, buf, sizeof(buf));
    if (r != NULL) {
        CHECK_EQ(r->Flags & HTTP_REQUEST_FLAG_HTTP2, 0);
        HTTP_REQUEST_PROPERTY_STREAM_ERROR e = {1111}; /* no reset feature on HTTP/1.1 (F-158) */
        CHECK_EQ(HttpSetRequestProperty(s.queue, r->RequestId, HttpRequestPropertyStreamError, &e, sizeof(e), NULL),
                 ERROR_INVALID_PARAMETER);
        HTTP_RESPONSE resp = ok_response();
        HTTP_DATA_CHUNK tch[2];
        tch[0] = mem_chunk("h1", 2);
        memset(&tch[1], 0, sizeof(tch[1]));
        HTTP_UNKNOWN_HEADER t = {1, 1, "t", "1"};
        tch[1].DataChunkType = HttpDataChunkTrailers; /* F-159: no trailers on HTTP/1.1 */
        tch[1].Trailers.TrailerCount = 1;
        tch[1].Trailers.pTrailers = &t;
        resp.EntityChunkCount = 2;
        resp.pEntityChunks = tch;
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL),
                 ERROR_INVALID_PARAMETER);
        resp.EntityChunkCount = 1;
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
        char out[1024];
        size_t o = 0;
        for (;;) {
            int n = SSL_read(c.ssl, out + o, (int)(sizeof(out) - 1 - o));
            if (n <= 0) break;
            o += (size_t)n;
        }
        ERR_clear_error();
        out[o] = 0;
        CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
        CHECK(has(out, "\r\n\r\nh1"));
    }
    cl_close(&c);
    /* A client offering only http/1.1 on an h2 binding gets http/1.1; one offering nothing, no ALPN. */
    unbind_ip(s.tcp_port);
    CHECK_EQ(bind_ip(s.tcp_port, g_a, 0), NO_ERROR);
    CHECK(strcmp(cl_connect(&c, s.tcp_port, "\x08http/1.1", 9, 65535), "http/1.1") == 0);
    cl_close(&c);
    server_close(&s);
    CHECK(counters_zero(3000));
}

/* curl --http2 (curl's own HTTP/2 client): three URLs multiplexed on one connection, and a POST. */

static void test_curl(void)
{
    if (!curl_has_http2()) {
        printf("SKIP test_curl: curl is missing or has no HTTP2 feature (curl -V)\n");
        return;
    }
    server s;
    server_open(&s, 0);
    curl_run cr;
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.cmd, sizeof(cr.cmd),
             "curl -s -Z --parallel-max 10 --http2 --max-time 20 --cacert %s --resolve a.test:%d:127.0.0.1 "
             "-w '[%%{http_version} %%{response_code}]\\n' https://a.test:%d/c1 https://a.test:%d/c2 https://a.test:%d/c3 "
             "--next --http2 --max-time 20 --cacert %s --resolve a.test:%d:127.0.0.1 -w '[%%{http_version} %%{response_code}]\\n' "
             "-d posted-by-curl https://a.test:%d/c4 2>&1",
             path("ca.crt"), s.tcp_port, s.tcp_port, s.tcp_port, s.tcp_port, path("ca.crt"), s.tcp_port, s.tcp_port);
    pthread_t t;
    pthread_create(&t, NULL, curl_main, &cr);
    static char buf[4][16384] __attribute__((aligned(8)));
    HTTP_REQUEST *r[4];
    int n = 0;
    for (; n < 4; n++) {
        r[n] = receive(&s, NULL, buf[n], sizeof(buf[n]));
        if (r[n] == NULL) break;
        CHECK(r[n]->Flags & HTTP_REQUEST_FLAG_HTTP2);
    }
    int ports_same = n == 4;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++) CHECK(r[i]->ConnectionId != r[j]->ConnectionId);
        if (i > 0 && remote_port(r[i]) != remote_port(r[0])) ports_same = 0;
    }
    CHECK(ports_same); /* all on one TCP connection */
    for (int i = 0; i < n; i++) {
        unsigned char body[64];
        size_t got = 0;
        if (r[i]->Verb == HttpVerbPOST) {
            got = read_body(&s, NULL, r[i]->RequestId, body, sizeof(body));
            CHECK(got == 14 && memcmp(body, "posted-by-curl", 14) == 0);
        }
        char text[64];
        snprintf(text, sizeof(text), "from %.*s\n", (int)r[i]->RawUrlLength, r[i]->pRawUrl);
        HTTP_RESPONSE resp = ok_response();
        CHECK_EQ(respond(&s, NULL, r[i]->RequestId, 0, &resp, text), NO_ERROR);
    }
    pthread_join(t, NULL);
    CHECK_EQ(cr.rc, 0);
    CHECK(has(cr.out, "from /c1\n"));
    CHECK(has(cr.out, "from /c4\n"));
    CHECK(has(cr.out, "[2 200"));
    CHECK(!has(cr.out, "[1.1"));
    if (g_failed) fprintf(stderr, "curl said:\n%s\n", cr.out);
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
    CHECK(!HttpIsFeatureSupported(HttpFeatureResponseTrailers)); /* F-188: before HttpInitialize */
    CHECK_EQ(HttpEmuAddCertificate(path("a.pem"), g_a), NO_ERROR);
    /* The client (this thread) may write to a server that just closed: no SIGPIPE here. The emulator's
     * event loop starts with the first listener, before this, and keeps the default action, so a
     * write of the emulator's that could raise SIGPIPE still kills the test. */
    server warm;
    server_open(&warm, 0);
    server_close(&warm);
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    RUN(test_get_concurrent_streams);
    RUN(test_hundred_concurrent_streams);
    RUN(test_post_framing);
    RUN(test_disconnect_and_goaway);
    RUN(test_server_resets);
    RUN(test_cancel_with_frames_queued);
    RUN(test_a_stream_ends_during_its_own_write);
    RUN(test_a_fin_during_the_write_of_a_last_frame);
    RUN(test_trailers);
    RUN(test_client_resets);
    RUN(test_large_bodies_and_flow_control);
    RUN(test_disable_http2_binding);
    RUN(test_curl);
    CHECK_EQ(HttpEmuClearCertificates(), NO_ERROR);
    return finish();
}
