/* test_windows: behaviour measured on real Windows (behaviour reference chapter G, F-178..F-196) where
 * the emulator used to be kinder than HTTP.sys. Each test names its F-number. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;

static __attribute__((aligned(8))) char g_buf[16384];

static HTTP_REQUEST *recv_sync(emu_srv *s)
{
    return emu_srv_receive(s, g_buf, sizeof(g_buf));
}

/* Connects and sends a request built from fmt, where every %d is the server's port. */
static int send_req(emu_srv *s, const char *fmt)
{
    char req[4096];
    snprintf(req, sizeof(req), fmt, s->tcp, s->tcp, s->tcp);
    int c = client_connect(s->tcp);
    client_send(c, req);
    return c;
}

static void send_again(emu_srv *s, int c, const char *fmt)
{
    char req[4096];
    snprintf(req, sizeof(req), fmt, s->tcp, s->tcp, s->tcp);
    client_send(c, req);
}

static void init_resp(HTTP_RESPONSE *r, USHORT status, HTTP_DATA_CHUNK *ch, const char *body)
{
    memset(r, 0, sizeof(*r));
    r->StatusCode = status;
    r->pReason = "R";
    r->ReasonLength = 1;
    if (body != NULL) {
        ch->DataChunkType = HttpDataChunkFromMemory;
        ch->FromMemory.pBuffer = (void *)body;
        ch->FromMemory.BufferLength = (ULONG)strlen(body);
        r->EntityChunkCount = 1;
        r->pEntityChunks = ch;
    }
}

static void set_known(HTTP_RESPONSE *r, int id, const char *v)
{
    r->Headers.KnownHeaders[id].pRawValue = v;
    r->Headers.KnownHeaders[id].RawValueLength = (USHORT)strlen(v);
}

static ULONG send_resp(emu_srv *s, HTTP_REQUEST_ID id, HTTP_RESPONSE *r, ULONG flags)
{
    return HttpSendHttpResponse(s->queue, id, flags, r, NULL, NULL, NULL, 0, NULL, NULL);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* Does the connection still serve a request? (a GET answered 200 with body "k") */
static int still_serves(emu_srv *s, int c)
{
    char resp[2048];
    send_again(s, c, "GET /again HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(s);
    if (r == NULL) return 0;
    HTTP_RESPONSE rs;
    HTTP_DATA_CHUNK ch;
    init_resp(&rs, 200, &ch, "k");
    if (send_resp(s, r->RequestId, &rs, 0) != NO_ERROR) return 0;
    client_read(c, resp, sizeof(resp), 300);
    return strstr(resp, "\r\n\r\nk") != NULL;
}
static void test_session_before_initialize(void)
{
    /* F-191: HttpCreateServerSession before HttpInitialize fails with ERROR_INVALID_HANDLE. */
    HTTP_SERVER_SESSION_ID sid = 0;
    CHECK_EQ(HttpCreateServerSession(V2, &sid, 0), ERROR_INVALID_HANDLE);
    CHECK_EQ(sid, 0);
}

static void test_bodies_of_bodiless_replies(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[4096];
    HTTP_RESPONSE rs;
    HTTP_DATA_CHUNK ch;
    /* F-178: a HEAD reply given chunks sends them; an app Content-Length is kept; the connection stays. */
    int c = send_req(&s, "HEAD /h HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        init_resp(&rs, 200, &ch, "hello");
        set_known(&rs, HttpHeaderContentLength, "5");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK_EQ(count_of(resp, "Content-Length: 5\r\n"), 1);
        CHECK(strstr(resp, "\r\n\r\nhello") != NULL);
        CHECK(still_serves(&s, c));
    }
    client_close(c);
    /* F-178, F-57: without an app length, HEAD gets none of HTTP.sys's own, and still the bytes. */
    c = send_req(&s, "HEAD /h HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        init_resp(&rs, 200, &ch, "hello");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "Content-Length") == NULL);
        CHECK(strstr(resp, "\r\n\r\nhello") != NULL);
    }
    client_close(c);
    /* F-179: 204, 304 and 1xx given chunks send them, with no Content-Length of HTTP.sys's own. */
    USHORT statuses[] = {204, 304, 103};
    for (int i = 0; i < 3; i++) {
        c = send_req(&s, "GET /n HTTP/1.1\r\nHost: a:%d\r\n\r\n");
        r = recv_sync(&s);
        if (!r) break;
        init_resp(&rs, statuses[i], &ch, "xyz");
        ULONG bytes = 0;
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &rs, NULL, &bytes, NULL, 0, NULL, NULL), NO_ERROR);
        long n = client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "Content-Length") == NULL);
        CHECK(strstr(resp, "\r\n\r\nxyz") != NULL);
        CHECK_EQ(bytes, n); /* F-60: the body bytes are counted too */
        client_close(c);
    }
    /* F-179: an app Content-Length: 0 on a 204 goes out as given, once. */
    c = send_req(&s, "GET /n HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        init_resp(&rs, 204, &ch, NULL);
        set_known(&rs, HttpHeaderContentLength, "0");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK_EQ(count_of(resp, "Content-Length: 0\r\n"), 1);
    }
    client_close(c);
    emu_srv_close(&s);
}

static void test_repeated_request_headers_fold(void)
{
    emu_srv s;
    emu_srv_open(&s);
    /* F-181: repeated headers arrive folded, ", " in arrival order; unknown names too (any case). */
    int c = send_req(&s, "GET /f HTTP/1.1\r\nHost: a:%d\r\nX-A: first\r\nCookie: a=1\r\nX-B: z\r\n"
                         "x-a: second\r\nCookie: b=2\r\nX-A: third\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        CHECK_EQ(r->Headers.UnknownHeaderCount, 2);
        const HTTP_UNKNOWN_HEADER *u = r->Headers.pUnknownHeaders;
        CHECK(u[0].NameLength == 3 && strcmp(u[0].pName, "X-A") == 0);
        CHECK(strcmp(u[0].pRawValue, "first, second, third") == 0);
        CHECK_EQ(u[0].RawValueLength, strlen("first, second, third"));
        CHECK(strcmp(u[1].pName, "X-B") == 0 && strcmp(u[1].pRawValue, "z") == 0);
        CHECK(strcmp(r->Headers.KnownHeaders[HttpHeaderCookie].pRawValue, "a=1, b=2") == 0);
        HTTP_RESPONSE rs;
        HTTP_DATA_CHUNK ch;
        init_resp(&rs, 200, &ch, "f");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
    }
    client_close(c);
    emu_srv_close(&s);
}

static void test_response_header_slots(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[4096];
    HTTP_RESPONSE rs;
    HTTP_DATA_CHUNK ch;
    HTTP_UNKNOWN_HEADER uh[3];
    /* F-182: an unknown-list Content-Length does not suppress HTTP.sys's own: two lines. An empty unknown
     * value goes out as "Name: "; a zero-length known slot is dropped. */
    int c = send_req(&s, "GET /u HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        init_resp(&rs, 200, &ch, "abc");
        uh[0] = (HTTP_UNKNOWN_HEADER){14, 1, "Content-Length", "3"};
        uh[1] = (HTTP_UNKNOWN_HEADER){3, 0, "X-E", ""};
        rs.Headers.UnknownHeaderCount = 2;
        rs.Headers.pUnknownHeaders = uh;
        rs.Headers.KnownHeaders[HttpHeaderContentType].pRawValue = "text/plain";
        rs.Headers.KnownHeaders[HttpHeaderContentType].RawValueLength = 0;
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK_EQ(count_of(resp, "Content-Length: 3\r\n"), 2);
        CHECK(strstr(resp, "\r\nX-E: \r\n") != NULL);
        CHECK(strstr(resp, "Content-Type") == NULL);
    }
    client_close(c);
    /* F-182: a known-slot Connection: close is dropped and closes nothing. */
    c = send_req(&s, "GET /k HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        init_resp(&rs, 200, &ch, "k");
        set_known(&rs, HttpHeaderConnection, "close");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "Connection") == NULL);
        CHECK(still_serves(&s, c));
    }
    client_close(c);
    /* F-182: an unknown-list Connection: close reaches the wire and still closes nothing. */
    c = send_req(&s, "GET /k HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        init_resp(&rs, 200, &ch, "k");
        uh[0] = (HTTP_UNKNOWN_HEADER){10, 5, "Connection", "close"};
        rs.Headers.UnknownHeaderCount = 1;
        rs.Headers.pUnknownHeaders = uh;
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK_EQ(count_of(resp, "Connection: close\r\n"), 1);
        CHECK(still_serves(&s, c));
    }
    client_close(c);
    emu_srv_close(&s);
}

static void test_body_cut_short(void)
{
    emu_srv s;
    emu_srv_open(&s);
    static char body[64];
    for (int mode = 0; mode < 4; mode++) {
        /* F-184: CL 20, 5 bytes, then FIN or RST: the next body read fails with ERROR_OPERATION_ABORTED,
         * never EOF; modes 0, 1: the read comes after the cut; 2, 3: it is pending when the cut comes. */
        int c = send_req(&s, "POST /cut HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 20\r\n\r\n12345");
        HTTP_REQUEST *r = recv_sync(&s);
        if (!r) break;
        HTTP_REQUEST_ID id = r->RequestId;
        ULONG n = 0;
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), &n, NULL), NO_ERROR);
        CHECK_EQ(n, 5);
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        if (mode >= 2) CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), NULL, &ov), ERROR_IO_PENDING);
        if (mode % 2 == 0) { client_fin(c); } else { client_reset(c); c = -1; }
        if (mode < 2) {
            usleep(200000);
            CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), &n, NULL), ERROR_OPERATION_ABORTED);
        } else {
            ULONG st = 0;
            CHECK(take_completion(s.port, NULL, &st, 2000) == &ov);
            CHECK_EQ(st, ERROR_OPERATION_ABORTED);
        }
        if (c >= 0) client_close(c);
    }
    emu_srv_close(&s);
}

static void test_cancel_request_bound_by_more_data(void)
{
    emu_srv s;
    emu_srv_open(&s);
    static __attribute__((aligned(8))) char small[1024];
    char pad[1500];
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = 0;
    char fmt[2048];
    snprintf(fmt, sizeof(fmt), "GET /big HTTP/1.1\r\nHost: a:%%d\r\nX-Pad: %s\r\n\r\n", pad);
    int c = send_req(&s, fmt);
    ULONG need = 0;
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)small, sizeof(small), &need, NULL), ERROR_MORE_DATA);
    HTTP_REQUEST_ID id = ((HTTP_REQUEST *)small)->RequestId;
    /* F-185: cancelling a request left in the MORE_DATA state succeeds and discards it. */
    CHECK_EQ(HttpCancelHttpRequest(s.queue, id, NULL), NO_ERROR);
    ULONG got = 0;
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, id, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), &got, NULL), ERROR_CONNECTION_INVALID);
    client_close(c);
    /* ... and the next plain receive gets another request. */
    c = send_req(&s, "GET /next HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        CHECK(strcmp(r->pRawUrl, "/next") == 0);
        HTTP_RESPONSE rs;
        HTTP_DATA_CHUNK ch;
        init_resp(&rs, 200, &ch, "n");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
    }
    client_close(c);
    emu_srv_close(&s);
}

static void test_bytes_received_counts_body_with_head(void)
{
    emu_srv s;
    emu_srv_open(&s);
    const char *fmts[] = {"POST /b HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 10\r\n\r\n0123456789",
                          "POST /b HTTP/1.1\r\nHost: a:%d\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"};
    for (int i = 0; i < 2; i++) {
        char req[512];
        int len = snprintf(req, sizeof(req), fmts[i], s.tcp);
        int c = send_req(&s, fmts[i]);
        usleep(100000); /* the body is here before the receive */
        HTTP_REQUEST *r = recv_sync(&s);
        if (!r) break;
        /* F-42: BytesReceived counts the body bytes already received with the head. */
        CHECK_EQ(r->BytesReceived, len);
        HTTP_RESPONSE rs;
        HTTP_DATA_CHUNK ch;
        init_resp(&rs, 200, &ch, "b");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_close(c);
    }
    emu_srv_close(&s);
}

static void test_disconnect_wait_fires_on_server_close(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    for (int ex = 0; ex < 2; ex++) {
        /* F-72: a wait completes when HTTP.sys itself closes the connection after a DISCONNECT response,
         * although the client keeps its side open. */
        int c = send_req(&s, "GET /d HTTP/1.1\r\nHost: a:%d\r\n\r\n");
        HTTP_REQUEST *r = recv_sync(&s);
        if (!r) break;
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ULONG rc = ex ? HttpWaitForDisconnectEx(s.queue, r->ConnectionId, 0, &ov)
                      : HttpWaitForDisconnect(s.queue, r->ConnectionId, &ov);
        CHECK_EQ(rc, ERROR_IO_PENDING);
        HTTP_RESPONSE rs;
        HTTP_DATA_CHUNK ch;
        init_resp(&rs, 200, &ch, "bye");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, HTTP_SEND_RESPONSE_FLAG_DISCONNECT), NO_ERROR);
        ULONG st = 99;
        CHECK(take_completion(s.port, NULL, &st, 1000) == &ov); /* before the 2 s lingering close ends */
        CHECK_EQ(st, NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "bye") != NULL);
        client_close(c);
    }
    /* F-72: ... and after HttpCancelHttpRequest. */
    int c = send_req(&s, "GET /c HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpWaitForDisconnect(s.queue, r->ConnectionId, &ov), ERROR_IO_PENDING);
        CHECK_EQ(HttpCancelHttpRequest(s.queue, r->RequestId, NULL), NO_ERROR);
        ULONG st = 99;
        CHECK(take_completion(s.port, NULL, &st, 1000) == &ov);
        CHECK_EQ(st, NO_ERROR);
    }
    client_close(c);
    emu_srv_close(&s);
}

static void test_no_continue_after_response_started(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    int c = send_req(&s, "POST /e HTTP/1.1\r\nHost: a:%d\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        HTTP_REQUEST_ID id = r->RequestId;
        HTTP_RESPONSE rs;
        HTTP_DATA_CHUNK ch;
        init_resp(&rs, 200, &ch, "early");
        set_known(&rs, HttpHeaderContentLength, "10");
        CHECK_EQ(send_resp(&s, id, &rs, HTTP_SEND_RESPONSE_FLAG_MORE_DATA), NO_ERROR);
        /* F-195: the final head went out: a body read now must not write a 100 Continue. */
        static char body[16];
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), NULL, &ov), ERROR_IO_PENDING);
        client_send(c, "hello");
        CHECK(take_completion(s.port, NULL, NULL, 2000) == &ov);
        ch.FromMemory.pBuffer = "later";
        CHECK_EQ(HttpSendResponseEntityBody(s.queue, id, 0, 1, &ch, NULL, NULL, 0, NULL, NULL), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "100 Continue") == NULL);
        CHECK(strstr(resp, "\r\n\r\nearlylater") != NULL);
    }
    client_close(c);
    emu_srv_close(&s);
}

static void test_malformed_host_is_answered_400(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    /* F-196: a Host that is not host[:port] gets HTTP.sys's own 400 and never reaches the queue. */
    const char *bad[] = {"x:99999", "a b", "u@x", "[::1", "x:", "x:1a", "[zz]:1"};
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_IO_PENDING);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char fmt[256];
        snprintf(fmt, sizeof(fmt), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
        int c = send_req(&s, fmt);
        client_read(c, resp, sizeof(resp), 2000);
        CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
        client_close(c);
    }
    CHECK(take_completion(s.port, NULL, NULL, 100) == NULL);
    /* Well-formed hosts still route. */
    int c = send_req(&s, "GET / HTTP/1.1\r\nHost: [::1]:%d\r\n\r\n");
    ULONG st = 99;
    CHECK(take_completion(s.port, NULL, &st, 2000) == &ov);
    CHECK_EQ(st, NO_ERROR);
    HTTP_RESPONSE rs;
    HTTP_DATA_CHUNK ch;
    init_resp(&rs, 200, &ch, "ok");
    CHECK_EQ(send_resp(&s, ((HTTP_REQUEST *)g_buf)->RequestId, &rs, 0), NO_ERROR);
    client_read(c, resp, sizeof(resp), 300);
    CHECK(strncmp(resp, "HTTP/1.1 200 ", 13) == 0);
    client_close(c);
    emu_srv_close(&s);
}

static void test_malformed_input(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    /* F-24: EntityChunkCount is at most 100. */
    int c = send_req(&s, "GET /m HTTP/1.1\r\nHost: a:%d\r\n\r\n");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        static HTTP_DATA_CHUNK chunks[101];
        for (int i = 0; i < 101; i++) {
            chunks[i].DataChunkType = HttpDataChunkFromMemory;
            chunks[i].FromMemory.pBuffer = "x";
            chunks[i].FromMemory.BufferLength = 1;
        }
        HTTP_RESPONSE rs;
        init_resp(&rs, 200, NULL, NULL);
        rs.EntityChunkCount = 101;
        rs.pEntityChunks = chunks;
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), ERROR_INVALID_PARAMETER);
        rs.EntityChunkCount = 100;
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "Content-Length: 100\r\n") != NULL);
    }
    client_close(c);
    /* A DEL byte in a request header value is malformed input: 400. */
    c = send_req(&s, "GET /m HTTP/1.1\r\nHost: a:%d\r\nX-D: a\x7f" "b\r\n\r\n");
    client_read(c, resp, sizeof(resp), 2000);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
    client_close(c);
    /* A chunk-size line "5 junk" is malformed chunking: the body read fails, the client gets a 400. */
    c = send_req(&s, "POST /m HTTP/1.1\r\nHost: a:%d\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        static char body[16];
        ULONG n = 0;
        CHECK(HttpReceiveRequestEntityBody(s.queue, r->RequestId, 0, body, sizeof(body), &n, NULL) != NO_ERROR);
        client_read(c, resp, sizeof(resp), 2000);
        CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
    }
    client_close(c);
    /* Whitespace before a ';' extension is allowed (RFC 9112 BWS). */
    c = send_req(&s, "POST /m HTTP/1.1\r\nHost: a:%d\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a=b\r\nhello\r\n0\r\n\r\n");
    r = recv_sync(&s);
    if (r) {
        static char body[16];
        ULONG n = 0;
        CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, r->RequestId, 0, body, sizeof(body), &n, NULL), NO_ERROR);
        CHECK_EQ(n, 5);
        HTTP_RESPONSE rs;
        HTTP_DATA_CHUNK ch;
        init_resp(&rs, 200, &ch, "ok");
        CHECK_EQ(send_resp(&s, r->RequestId, &rs, 0), NO_ERROR);
    }
    client_close(c);
    emu_srv_close(&s);
}

int main(void)
{
    test_session_before_initialize();
    test_bodies_of_bodiless_replies();
    test_repeated_request_headers_fold();
    test_response_header_slots();
    test_body_cut_short();
    test_cancel_request_bound_by_more_data();
    test_bytes_received_counts_body_with_head();
    test_disconnect_wait_fires_on_server_close();
    test_no_continue_after_response_started();
    test_malformed_host_is_answered_400();
    test_malformed_input();
    CHECK(counters_zero(3000));
    return finish();
}
