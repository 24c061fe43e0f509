/* test_behaviour: more HTTP.sys behaviour through the exported API, each with its F-number. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;
static __attribute__((aligned(8))) char g_buf[16384];

typedef struct srv {
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    HANDLE queue, port;
    int tcp;
} srv;

static void add_url(HTTP_URL_GROUP_ID g, const char *fmt, int port, HTTP_URL_CONTEXT ctx, ULONG expect)
{
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), fmt, port);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(g, w, ctx, 0), expect);
}

static void open_srv(srv *s, int tcp)
{
    memset(s, 0, sizeof(*s));
    s->tcp = tcp ? tcp : free_port();
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(V2, &s->session, 0), NO_ERROR);
    CHECK_EQ(HttpCreateUrlGroup(s->session, &s->group, 0), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue(V2, NULL, NULL, 0, &s->queue), NO_ERROR);
    HTTP_BINDING_INFO b = {{1}, s->queue};
    CHECK_EQ(HttpSetUrlGroupProperty(s->group, HttpServerBindingProperty, &b, sizeof(b)), NO_ERROR);
    s->port = CreateIoCompletionPort(s->queue, NULL, 1, 0);
}

static void close_srv(srv *s)
{
    CHECK_EQ(HttpCloseRequestQueue(s->queue), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s->session), NO_ERROR);
    while (take_completion(s->port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s->port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
}

static HTTP_REQUEST *recv_sync(srv *s)
{
    ULONG n = 0;
    ULONG rc = HttpReceiveHttpRequest(s->queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), &n, NULL);
    CHECK_EQ(rc, NO_ERROR);
    return rc == NO_ERROR ? (HTTP_REQUEST *)g_buf : NULL;
}

static ULONG send_body(srv *s, HTTP_REQUEST_ID id, const char *body, ULONG flags, int first)
{
    HTTP_DATA_CHUNK ch;
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)body;
    ch.FromMemory.BufferLength = (ULONG)strlen(body);
    if (!first) return HttpSendResponseEntityBody(s->queue, id, flags, 1, &ch, NULL, NULL, 0, NULL, NULL);
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = 200;
    r.pReason = "OK";
    r.ReasonLength = 2;
    r.EntityChunkCount = 1;
    r.pEntityChunks = &ch;
    return HttpSendHttpResponse(s->queue, id, flags, &r, NULL, NULL, NULL, 0, NULL, NULL);
}

static void test_short_buffer_and_pipelining(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 0, NO_ERROR);
    int c = client_connect(s.tcp);
    char req[512];
    snprintf(req, sizeof(req), "GET /one HTTP/1.1\r\nHost: a:%d\r\n\r\nGET /two HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp, s.tcp);
    client_send(c, req);
    usleep(100000);
    ULONG n = 7;
    /* F-27(a): shorter than HTTP_REQUEST_V1: nothing claimed, *bytes = 0. */
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, 100, &n, NULL), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(n, 0);
    /* F-67: two receives pending; only the first pipelined request is handed out. */
    static __attribute__((aligned(8))) char b1[8192], b2[8192];
    OVERLAPPED o1, o2;
    memset(&o1, 0, sizeof(o1));
    memset(&o2, 0, sizeof(o2));
    ULONG rc1 = HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)b1, sizeof(b1), NULL, &o1);
    CHECK(rc1 == NO_ERROR || rc1 == ERROR_IO_PENDING);
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)b2, sizeof(b2), NULL, &o2), ERROR_IO_PENDING);
    CHECK(take_completion(s.port, NULL, NULL, 2000) == &o1);
    CHECK(take_completion(s.port, NULL, NULL, 200) == NULL);
    HTTP_REQUEST *r1 = (HTTP_REQUEST *)b1;
    CHECK(strcmp(r1->pRawUrl, "/one") == 0);
    CHECK_EQ(send_body(&s, r1->RequestId, "1", 0, 1), NO_ERROR);
    CHECK(take_completion(s.port, NULL, NULL, 2000) == &o2);
    HTTP_REQUEST *r2 = (HTTP_REQUEST *)b2;
    CHECK(strcmp(r2->pRawUrl, "/two") == 0);
    CHECK_EQ(r2->ConnectionId, r1->ConnectionId);
    CHECK_EQ(send_body(&s, r2->RequestId, "2", 0, 1), NO_ERROR);
    char resp[2048];
    client_read(c, resp, sizeof(resp), 300);
    CHECK(strstr(resp, "\r\n\r\n1HTTP/1.1 200") != NULL);
    client_close(c);
    close_srv(&s);
}

static void test_continue_http10_moredata_disconnect(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 0, NO_ERROR);
    char req[512], resp[4096];
    /* F-51: 100 Continue comes on the first body read, not before. */
    int c = client_connect(s.tcp);
    snprintf(req, sizeof(req), "POST /c HTTP/1.1\r\nHost: a:%d\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", s.tcp);
    client_send(c, req);
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        HTTP_REQUEST_ID id = r->RequestId;
        CHECK(client_read(c, resp, sizeof(resp), 200) == 0); /* nothing yet */
        static char body[16];
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), NULL, &ov), ERROR_IO_PENDING);
        client_read(c, resp, sizeof(resp), 500);
        CHECK(strncmp(resp, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0);
        client_send(c, "hello");
        ULONG bytes = 0;
        CHECK(take_completion(s.port, &bytes, NULL, 2000) == &ov);
        CHECK_EQ(bytes, 5);
        CHECK_EQ(send_body(&s, id, "ok", 0, 1), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
    }
    client_close(c);
    /* F-62: HTTP/1.0 gets Connection: close and a closed connection. */
    c = client_connect(s.tcp);
    client_send(c, "GET /ten HTTP/1.0\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        CHECK_EQ(r->Version.MinorVersion, 0);
        CHECK_EQ(send_body(&s, r->RequestId, "ten", 0, 1), NO_ERROR);
        long n = client_read(c, resp, sizeof(resp), 3000);
        CHECK(n > 0 && strstr(resp, "Connection: close\r\n") != NULL && strstr(resp, "\r\n\r\nten") != NULL);
    }
    client_close(c);
    /* F-58: MORE_DATA never chunks: raw bytes, no Content-Length; the end closes the connection. */
    c = client_connect(s.tcp);
    snprintf(req, sizeof(req), "GET /md HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp);
    client_send(c, req);
    r = recv_sync(&s);
    if (r) {
        HTTP_REQUEST_ID id = r->RequestId;
        CHECK_EQ(send_body(&s, id, "pong", HTTP_SEND_RESPONSE_FLAG_MORE_DATA, 1), NO_ERROR);
        CHECK_EQ(send_body(&s, id, "pang", HTTP_SEND_RESPONSE_FLAG_MORE_DATA, 0), NO_ERROR);
        CHECK_EQ(HttpSendResponseEntityBody(s.queue, id, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, 0, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR); /* F-59 */
        CHECK_EQ(send_body(&s, id, "foobar", 0, 0), NO_ERROR);
        long n = client_read(c, resp, sizeof(resp), 3000);
        CHECK(n > 0 && strstr(resp, "\r\n\r\npongpangfoobar") != NULL);
        CHECK(strstr(resp, "Content-Length") == NULL && strstr(resp, "chunked") == NULL);
    }
    client_close(c);
    /* F-62: DISCONNECT closes after the response. */
    c = client_connect(s.tcp);
    client_send(c, req);
    r = recv_sync(&s);
    if (r) {
        CHECK_EQ(send_body(&s, r->RequestId, "bye", HTTP_SEND_RESPONSE_FLAG_DISCONNECT, 1), NO_ERROR);
        long n = client_read(c, resp, sizeof(resp), 3000);
        CHECK(n > 0 && strstr(resp, "Connection: close\r\n") != NULL && strstr(resp, "Content-Length: 3\r\n") != NULL);
    }
    client_close(c);
    close_srv(&s);
}

static void test_queues_cancel_shutdown(void)
{
    HANDLE q1, q2, q3;
    WCHAR name[32];
    wide("emu-test-queue", name, 32);
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue((HTTPAPI_VERSION){1, 0}, NULL, NULL, 0, &q1), ERROR_REVISION_MISMATCH); /* F-17 */
    CHECK_EQ(HttpCreateRequestQueue(V2, name, NULL, 0, &q1), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue(V2, name, NULL, 0, &q2), ERROR_ALREADY_EXISTS);
    CHECK_EQ(HttpCreateRequestQueue(V2, name, NULL, HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, &q3), NO_ERROR);
    ULONG len = 5;
    CHECK_EQ(HttpSetRequestQueueProperty(q1, HttpServerQueueLengthProperty, &len, sizeof(len), 0, NULL), ERROR_INVALID_PARAMETER); /* 10..65535 */
    HANDLE port = CreateIoCompletionPort(q1, NULL, 3, 0);
    /* F-79: CancelIoEx on a pending receive. */
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(q1, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_IO_PENDING);
    CHECK(CancelIoEx(q1, &ov));
    ULONG st = 0;
    CHECK(take_completion(port, NULL, &st, 2000) == &ov);
    CHECK_EQ(st, ERROR_OPERATION_ABORTED);
    CHECK(!CancelIoEx(q1, &ov));
    CHECK_EQ(GetLastError(), ERROR_NOT_FOUND);
    /* F-19: shutdown ends pending receives; later receives fail. */
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(q1, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_IO_PENDING);
    CHECK_EQ(HttpShutdownRequestQueue(q1), NO_ERROR);
    CHECK(take_completion(port, NULL, &st, 2000) == &ov);
    CHECK_EQ(st, ERROR_OPERATION_ABORTED);
    CHECK_EQ(HttpReceiveHttpRequest(q1, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_OPERATION_ABORTED);
    CHECK_EQ(HttpCloseRequestQueue(q3), NO_ERROR);
    CHECK_EQ(HttpCloseRequestQueue(q1), NO_ERROR);
    CHECK_EQ(HttpCloseRequestQueue(q1), ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
}

static void test_queue_full_and_routing(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 1, NO_ERROR);
    add_url(s.group, "http://+:%d/foobar/foo/", s.tcp, 2, NO_ERROR);
    ULONG len = 10, verbosity = Http503ResponseVerbosityLimited;
    CHECK_EQ(HttpSetRequestQueueProperty(s.queue, HttpServerQueueLengthProperty, &len, sizeof(len), 0, NULL), NO_ERROR);
    CHECK_EQ(HttpSetRequestQueueProperty(s.queue, HttpServer503VerbosityProperty, &verbosity, sizeof(verbosity), 0, NULL), NO_ERROR);
    /* F-94: ten requests wait in the queue; the eleventh gets 503 (Limited verbosity). */
    int cs[11];
    char req[256], resp[1024];
    for (int i = 0; i < 11; i++) {
        cs[i] = client_connect(s.tcp);
        snprintf(req, sizeof(req), "GET /foobar%s HTTP/1.1\r\nHost: a:%d\r\n\r\n", i % 2 ? "/foo/bar" : "", s.tcp);
        client_send(cs[i], req);
        usleep(20000);
    }
    client_read(cs[10], resp, sizeof(resp), 2000);
    CHECK(strncmp(resp, "HTTP/1.1 503 ", 13) == 0);
    /* F-108: the longest prefix wins, by whole segments. */
    for (int i = 0; i < 10; i++) {
        HTTP_REQUEST *r = recv_sync(&s);
        if (!r) break;
        CHECK_EQ(r->UrlContext, strstr(r->pRawUrl, "/foo/bar") ? 2 : 1);
        send_body(&s, r->RequestId, "x", 0, 1);
    }
    for (int i = 0; i < 11; i++) client_close(cs[i]);
    close_srv(&s);
    /* F-107: a strong wildcard takes what it matches before a weak one on the same port. */
    srv w;
    open_srv(&w, 0);
    add_url(w.group, "http://*:%d/", w.tcp, 7, NO_ERROR);
    add_url(w.group, "http://+:%d/strong/", w.tcp, 8, NO_ERROR);
    int c = client_connect(w.tcp);
    snprintf(req, sizeof(req), "GET /strong/x HTTP/1.1\r\nHost: any:%d\r\n\r\n", w.tcp);
    client_send(c, req);
    HTTP_REQUEST *r = recv_sync(&w);
    if (r) { CHECK_EQ(r->UrlContext, 8); send_body(&w, r->RequestId, "s", 0, 1); }
    snprintf(req, sizeof(req), "GET /weak HTTP/1.1\r\nHost: any:%d\r\n\r\n", w.tcp);
    client_read(c, resp, sizeof(resp), 200);
    client_send(c, req);
    r = recv_sync(&w);
    if (r) { CHECK_EQ(r->UrlContext, 7); send_body(&w, r->RequestId, "w", 0, 1); }
    client_close(c);
    close_srv(&w);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_timeouts(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 0, NO_ERROR);
    HTTP_TIMEOUT_LIMIT_INFO t;
    memset(&t, 0, sizeof(t));
    t.Flags.Present = 1;
    t.EntityBody = 1;
    t.IdleConnection = 1;
    CHECK_EQ(HttpSetServerSessionProperty(s.session, HttpServerTimeoutsProperty, &t, sizeof(t)), NO_ERROR);
    char req[256], resp[1024];
    /* F-96: a body that stops arriving while the application reads fails after EntityBody. */
    int c = client_connect(s.tcp);
    snprintf(req, sizeof(req), "POST /slow HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 10\r\n\r\n12345", s.tcp);
    client_send(c, req);
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        HTTP_REQUEST_ID id = r->RequestId;
        static char body[16];
        ULONG n = 0;
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), &n, NULL), NO_ERROR);
        CHECK_EQ(n, 5);
        double t0 = now();
        ULONG rc = HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), &n, NULL);
        double dt = now() - t0;
        CHECK(rc != NO_ERROR);
        CHECK(dt > 0.5 && dt < 5.0);
    }
    client_close(c);
    /* F-96, F-98: after its first request, an idle keep-alive connection closes after IdleConnection. */
    c = client_connect(s.tcp);
    snprintf(req, sizeof(req), "GET /idle HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp);
    client_send(c, req);
    r = recv_sync(&s);
    if (r) {
        CHECK_EQ(send_body(&s, r->RequestId, "i", 0, 1), NO_ERROR);
        double t0 = now();
        long n = client_read(c, resp, sizeof(resp), 5000); /* returns when the server closes */
        double dt = now() - t0;
        CHECK(n > 0 && dt > 0.5 && dt < 4.5);
    }
    client_close(c);
    close_srv(&s);
}

static void test_drain_header_wait_and_skip_mode(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 0, NO_ERROR);
    HTTP_TIMEOUT_LIMIT_INFO t;
    memset(&t, 0, sizeof(t));
    t.Flags.Present = 1;
    t.HeaderWait = 1;
    t.DrainEntityBody = 1;
    CHECK_EQ(HttpSetServerSessionProperty(s.session, HttpServerTimeoutsProperty, &t, sizeof(t)), NO_ERROR);
    /* F-89: in skip mode a receive that completes at once returns NO_ERROR and queues no packet. */
    CHECK(SetFileCompletionNotificationModes(s.queue, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    char req[512], resp[2048];
    int c = client_connect(s.tcp);
    /* F-49: a body the application did not read is drained; the pipelined request follows. */
    snprintf(req, sizeof(req), "POST /p HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 10\r\n\r\n0123456789GET /next HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp, s.tcp);
    client_send(c, req);
    usleep(100000);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ULONG got = 0;
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), &got, &ov), NO_ERROR);
    CHECK(take_completion(s.port, NULL, NULL, 200) == NULL);
    HTTP_REQUEST *r = (HTTP_REQUEST *)g_buf;
    CHECK_EQ(r->Verb, HttpVerbPOST);
    CHECK_EQ(send_body(&s, r->RequestId, "unread", 0, 1), NO_ERROR);
    r = recv_sync(&s);
    if (r) {
        CHECK(strcmp(r->pRawUrl, "/next") == 0);
        CHECK_EQ(send_body(&s, r->RequestId, "n", 0, 1), NO_ERROR);
    }
    client_read(c, resp, sizeof(resp), 300);
    /* F-96, F-98: from the second request on, a head that stops arriving is cut after HeaderWait. */
    client_send(c, "GET /slow HTTP/1.1\r\nHo");
    double t0 = now();
    long n = client_read(c, resp, sizeof(resp), 6000);
    double dt = now() - t0;
    CHECK(n <= 0 && dt > 0.5 && dt < 5.0);
    client_close(c);
    /* DrainEntityBody: an unread body that stops arriving is given up after the drain time. */
    c = client_connect(s.tcp);
    snprintf(req, sizeof(req), "POST /d HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 100\r\n\r\n0123456789", s.tcp);
    client_send(c, req);
    r = recv_sync(&s);
    if (r) {
        CHECK_EQ(send_body(&s, r->RequestId, "early", 0, 1), NO_ERROR);
        t0 = now();
        client_read(c, resp, sizeof(resp), 6000); /* the response, then the close */
        dt = now() - t0;
        CHECK(strstr(resp, "early") != NULL);
        CHECK(dt > 0.5 && dt < 5.0);
    }
    client_close(c);
    close_srv(&s);
}

static void test_limits_and_basic_verbosity(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 0, NO_ERROR);
    char resp[2048];
    /* F-69: request line + headers over 16 KB, and a path segment over 260 characters → 400. */
    size_t big = 17 * 1024;
    char *req = malloc(big + 256);
    int o = snprintf(req, big + 256, "GET / HTTP/1.1\r\nHost: a:%d\r\nX-Big: ", s.tcp);
    memset(req + o, 'b', big);
    strcpy(req + o + big, "\r\n\r\n");
    int c = client_connect(s.tcp);
    client_send(c, req);
    client_read(c, resp, sizeof(resp), 3000);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
    client_close(c);
    o = snprintf(req, big + 256, "GET /");
    memset(req + o, 's', 300);
    snprintf(req + o + 300, 200, " HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp);
    c = client_connect(s.tcp);
    client_send(c, req);
    client_read(c, resp, sizeof(resp), 3000);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
    client_close(c);
    free(req);
    /* F-94: with Basic verbosity (the default) a full queue resets the connection, no 503. */
    ULONG len = 10;
    CHECK_EQ(HttpSetRequestQueueProperty(s.queue, HttpServerQueueLengthProperty, &len, sizeof(len), 0, NULL), NO_ERROR);
    int cs[11];
    char r2[256];
    for (int i = 0; i < 11; i++) {
        cs[i] = client_connect(s.tcp);
        snprintf(r2, sizeof(r2), "GET /q HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp);
        client_send(cs[i], r2);
        usleep(20000);
    }
    long n = client_read(cs[10], resp, sizeof(resp), 2000);
    CHECK(n <= 0);
    CHECK(strstr(resp, "503") == NULL);
    for (int i = 0; i < 10; i++) {
        HTTP_REQUEST *r = recv_sync(&s);
        if (!r) break;
        send_body(&s, r->RequestId, "q", 0, 1);
    }
    for (int i = 0; i < 11; i++) client_close(cs[i]);
    close_srv(&s);
}

/* F-45: a body of known length is read from the socket straight into the caller's buffer: bytes the
 * application has not asked for stay with the client's connection, each read gets what is there up to its
 * buffer (inline when something is), a pipelined request behind the body is not swallowed, and a client
 * that goes away mid-body while nobody reads fails the next read (F-184). */
static void test_body_direct(void)
{
    srv s;
    open_srv(&s, 0);
    add_url(s.group, "http://+:%d/", s.tcp, 0, NO_ERROR);
    char req[512], resp[2048];
    static char body[70000], got[70000];
    for (size_t i = 0; i < sizeof(body); i++) body[i] = (char)('a' + (i * 7 + i / 251) % 26);
    int c = client_connect(s.tcp);
    snprintf(req, sizeof(req), "POST /d HTTP/1.1\r\nHost: a:%d\r\nContent-Length: %zu\r\n\r\n", s.tcp, sizeof(body));
    client_send(c, req);
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        HTTP_REQUEST_ID id = r->RequestId;
        CHECK_EQ(client_sendn(c, body, 1000), 1000);
        usleep(100000);
        HTTP_EMU_COUNTERS k;
        CHECK_EQ(HttpEmuGetCounters(&k, sizeof(k)), NO_ERROR);
        CHECK_EQ(k.BufferedBytes, 0); /* nobody reads: the bytes wait in the socket, not in a copy */
        ULONG n = 0;
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, got, 600, &n, NULL), NO_ERROR);
        CHECK_EQ(n, 600); /* inline, up to the buffer */
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, got + 600, sizeof(got), &n, NULL), NO_ERROR);
        CHECK_EQ(n, 400); /* what is there, without waiting for more */
        size_t off = 1000;
        /* nothing there: the read pends and completes when bytes come */
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, got + off, sizeof(got) - off, NULL, &ov), ERROR_IO_PENDING);
        CHECK_EQ(client_sendn(c, body + off, 5000), 5000);
        ULONG bytes = 0, st = 1;
        CHECK(take_completion(s.port, &bytes, &st, 2000) == &ov);
        CHECK_EQ(st, NO_ERROR);
        CHECK(bytes > 0 && bytes <= 5000);
        off += bytes;
        /* the rest of the body and a pipelined request behind it, in one piece */
        size_t rest = sizeof(body) - 6000;
        snprintf(req, sizeof(req), "GET /after HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp);
        static char wire[70000 + 512];
        memcpy(wire, body + 6000, rest);
        memcpy(wire + rest, req, strlen(req));
        size_t wn = rest + strlen(req);
        CHECK_EQ(client_sendn(c, wire, wn), wn);
        ULONG rc = NO_ERROR;
        for (int i = 0; i < 1000 && rc == NO_ERROR; i++) {
            n = 0;
            rc = HttpReceiveRequestEntityBody(s.queue, id, 0, got + off, off < sizeof(got) ? (ULONG)(sizeof(got) - off) : 16, &n, NULL);
            if (rc == NO_ERROR) off += n;
        }
        CHECK_EQ(rc, ERROR_HANDLE_EOF);
        CHECK_EQ(off, sizeof(body));
        CHECK(memcmp(got, body, sizeof(body)) == 0);
        CHECK_EQ(send_body(&s, id, "ok", 0, 1), NO_ERROR);
        r = recv_sync(&s);
        if (r) {
            CHECK(strcmp(r->pRawUrl, "/after") == 0);
            CHECK_EQ(send_body(&s, r->RequestId, "two", 0, 1), NO_ERROR);
        }
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "\r\n\r\nokHTTP/1.1 200") != NULL);
    }
    client_close(c);
    /* FIN and RST mid-body while the application does not read: the next read fails (F-184). */
    for (int reset = 0; reset < 2; reset++) {
        c = client_connect(s.tcp);
        snprintf(req, sizeof(req), "POST /cut HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 100\r\n\r\n", s.tcp);
        client_send(c, req);
        r = recv_sync(&s);
        if (r) {
            HTTP_REQUEST_ID id = r->RequestId;
            client_send(c, "0123456789");
            usleep(50000);
            if (reset) client_reset(c);
            else client_fin(c);
            usleep(100000);
            ULONG n = 0, rc = NO_ERROR;
            size_t total = 0;
            for (int i = 0; i < 10 && rc == NO_ERROR; i++) {
                rc = HttpReceiveRequestEntityBody(s.queue, id, 0, got, sizeof(got), &n, NULL);
                if (rc == NO_ERROR) total += n;
            }
            CHECK(rc != NO_ERROR && rc != ERROR_HANDLE_EOF);
            CHECK(total <= 10);
        }
        if (!reset) client_close(c);
    }
    close_srv(&s);
}

int main(void)
{
    test_short_buffer_and_pipelining();
    test_continue_http10_moredata_disconnect();
    test_queues_cancel_shutdown();
    test_queue_full_and_routing();
    test_timeouts();
    test_drain_header_wait_and_skip_mode();
    test_limits_and_basic_verbosity();
    test_body_direct();
    CHECK(counters_zero(3000));
    return finish();
}
