/* test_api: the emulator's behaviour through its exported API with a real TCP client on loopback. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const HTTPAPI_VERSION V2 = HTTPAPI_VERSION_2;

typedef struct server {
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    HANDLE queue;
    HANDLE port;
    int tcp_port;
} server;

static void server_open(server *s, const char *path)
{
    memset(s, 0, sizeof(*s));
    s->tcp_port = free_port();
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(V2, &s->session, 0), NO_ERROR);
    CHECK_EQ(HttpCreateUrlGroup(s->session, &s->group, 0), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue(V2, NULL, NULL, 0, &s->queue), NO_ERROR);
    HTTP_BINDING_INFO b = {{1}, s->queue};
    CHECK_EQ(HttpSetUrlGroupProperty(s->group, HttpServerBindingProperty, &b, sizeof(b)), NO_ERROR);
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), "http://+:%d%s", s->tcp_port, path);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(s->group, w, 42, 0), NO_ERROR);
    s->port = CreateIoCompletionPort(s->queue, NULL, 7, 0);
    CHECK(s->port != NULL);
}

static void server_close(server *s)
{
    CHECK_EQ(HttpCloseRequestQueue(s->queue), NO_ERROR);
    CHECK_EQ(HttpCloseUrlGroup(s->group), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s->session), NO_ERROR);
    /* Drain packets of operations that closing the queue aborted before closing the port. */
    while (take_completion(s->port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s->port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
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

static ULONG respond(server *s, HTTP_REQUEST_ID id, USHORT status, const char *body, ULONG flags)
{
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = status;
    r.pReason = "OK";
    r.ReasonLength = 2;
    HTTP_DATA_CHUNK ch;
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)body;
    ch.FromMemory.BufferLength = body ? (ULONG)strlen(body) : 0;
    if (body) { r.EntityChunkCount = 1; r.pEntityChunks = &ch; }
    return HttpSendHttpResponse(s->queue, id, flags, &r, NULL, NULL, NULL, 0, NULL, NULL);
}

static void test_prefixes(void)
{
    HTTP_SERVER_SESSION_ID sid;
    HTTP_URL_GROUP_ID gid;
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(V2, &sid, 0), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession((HTTPAPI_VERSION){3, 0}, &sid, 0), ERROR_REVISION_MISMATCH); /* F-10 */
    CHECK_EQ(HttpCreateUrlGroup(0xdead, &gid, 0), ERROR_INVALID_PARAMETER);                        /* F-12 */
    CHECK_EQ(HttpCreateUrlGroup(sid, &gid, 0), NO_ERROR);
    WCHAR w[128];
    const char *bad[] = {"http://localhost:50000", "localhost:50000/", "http://localhost/", "http://localhost:/",
                         "http://localhost:0/", "http://localhost:50000/a?b=c", "HTTP://localhost:50000/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) { /* F-103 */
        wide(bad[i], w, 128);
        CHECK_EQ(HttpAddUrlToUrlGroup(gid, w, 0, 0), ERROR_INVALID_PARAMETER);
    }
    int port = free_port();
    char u[128];
    snprintf(u, sizeof(u), "https://+:%d/", port);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(gid, w, 0, 0), NO_ERROR); /* F-119: https registers without a binding */
    CHECK_EQ(HttpRemoveUrlFromUrlGroup(gid, w, 0), NO_ERROR);
    snprintf(u, sizeof(u), "http://localhost:%d/barfoo/", port);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(gid, w, 0, 0), NO_ERROR);
    CHECK_EQ(HttpAddUrlToUrlGroup(gid, w, 0, 0), ERROR_ALREADY_EXISTS); /* F-105 */
    snprintf(u, sizeof(u), "http://localhost:%d/barfoo", port);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(gid, w, 0, 0), ERROR_ALREADY_EXISTS); /* F-104 */
    CHECK_EQ(HttpRemoveUrlFromUrlGroup(gid, w, 0), NO_ERROR);
    CHECK_EQ(HttpRemoveUrlFromUrlGroup(gid, w, 0), ERROR_FILE_NOT_FOUND); /* F-15 */
    /* F-105: a port held by an ordinary socket. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int held = free_port();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)held)};
    CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    CHECK_EQ(listen(fd, 1), 0);
    snprintf(u, sizeof(u), "http://+:%d/", held);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(gid, w, 0, 0), ERROR_SHARING_VIOLATION);
    close(fd);
    CHECK_EQ(HttpCloseServerSession(sid), NO_ERROR);
    CHECK_EQ(HttpCloseUrlGroup(gid), ERROR_INVALID_PARAMETER); /* F-13: closed with its session */
    CHECK_EQ(HttpCloseServerSession(sid), ERROR_INVALID_PARAMETER); /* F-11 */
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
}

static int wstr_eq(const WCHAR *w, USHORT bytes, const char *s)
{
    if (bytes != strlen(s) * 2) return 0;
    for (size_t i = 0; i < bytes / 2; i++)
        if (w[i] != (WCHAR)(unsigned char)s[i]) return 0;
    return 1;
}

static void test_get_keep_alive(void)
{
    server s;
    server_open(&s, "/");
    static __attribute__((aligned(8))) char buf[8192];
    int c = client_connect(s.tcp_port);
    char req[256];
    snprintf(req, sizeof(req), "GET /foobar?a=b HTTP/1.1\r\nHost: localhost:%d\r\nConnection: keep-alive\r\nUser-Agent: WINE\r\nQux:  foo baz \r\n\r\n", s.tcp_port);
    client_send(c, req);
    HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
    if (r == NULL) { server_close(&s); return; }
    char host[64], full[128];
    snprintf(host, sizeof(host), "localhost:%d", s.tcp_port);
    snprintf(full, sizeof(full), "http://localhost:%d/foobar?a=b", s.tcp_port);
    CHECK(r->ConnectionId != 0 && r->RequestId != 0);                       /* F-28 */
    CHECK_EQ(r->UrlContext, 42);                                            /* F-14 */
    CHECK_EQ(r->Verb, HttpVerbGET);
    CHECK_EQ(r->Version.MinorVersion, 1);
    CHECK_EQ(r->RawUrlLength, 11);                                          /* F-36 */
    CHECK(strcmp(r->pRawUrl, "/foobar?a=b") == 0);
    CHECK(wstr_eq(r->CookedUrl.pFullUrl, r->CookedUrl.FullUrlLength, full)); /* F-35 */
    CHECK(wstr_eq(r->CookedUrl.pHost, r->CookedUrl.HostLength, host));
    CHECK_EQ(r->CookedUrl.AbsPathLength, 14);
    CHECK_EQ(r->CookedUrl.QueryStringLength, 8);
    CHECK_EQ(r->Headers.KnownHeaders[HttpHeaderUserAgent].RawValueLength, 4); /* F-33 */
    CHECK_EQ(r->Headers.KnownHeaders[HttpHeaderConnection].RawValueLength, 10);
    CHECK(r->Headers.KnownHeaders[HttpHeaderAccept].pRawValue == NULL);
    CHECK_EQ(r->Headers.UnknownHeaderCount, 1);                              /* F-38 */
    CHECK_EQ(r->Headers.pUnknownHeaders[0].RawValueLength, 7);
    CHECK(strcmp(r->Headers.pUnknownHeaders[0].pRawValue, "foo baz") == 0);
    CHECK_EQ(r->Address.pRemoteAddress->sa_family, WIN_AF_INET);             /* F-39 */
    CHECK_EQ(ntohs(((SOCKADDR_IN *)r->Address.pLocalAddress)->sin_port), s.tcp_port);
    CHECK((char *)r->pRawUrl > buf && (char *)r->pRawUrl < buf + sizeof(buf)); /* pointers inside the buffer */
    CHECK_EQ(r->Flags, 0);
    HTTP_CONNECTION_ID cid = r->ConnectionId;
    HTTP_REQUEST_ID rid = r->RequestId;
    CHECK_EQ(respond(&s, rid, 200, "hello", 0), NO_ERROR);
    CHECK_EQ(respond(&s, rid, 200, "again", 0), ERROR_CONNECTION_INVALID); /* F-29 */
    char resp[2048];
    client_read(c, resp, sizeof(resp), 300);
    CHECK(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);                    /* F-52 */
    CHECK(strstr(resp, "Content-Length: 5\r\n") != NULL);                    /* F-56 */
    CHECK(strstr(resp, "Server: Microsoft-HTTPAPI/2.0\r\n") != NULL);        /* F-55 */
    CHECK(strstr(resp, "Date: ") != NULL);                                   /* F-54 */
    CHECK(strstr(resp, "\r\n\r\nhello") != NULL);
    /* F-66: the next request on the connection keeps the ConnectionId. */
    snprintf(req, sizeof(req), "HEAD /x HTTP/1.1\r\nHost: localhost:%d\r\n\r\n", s.tcp_port);
    client_send(c, req);
    r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        CHECK_EQ(r->ConnectionId, cid);
        CHECK(r->RequestId != rid);
        CHECK_EQ(r->Verb, HttpVerbHEAD);
        CHECK_EQ(respond(&s, r->RequestId, 200, "body!", 0), NO_ERROR);
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "\r\n\r\nbody!") != NULL);                         /* F-178: HTTP.sys sends what it is given */
        CHECK(strstr(resp, "Content-Length") == NULL);                       /* F-57: but no length of its own */
    }
    client_close(c);
    server_close(&s);
}

static void test_more_data_and_body(void)
{
    server s;
    server_open(&s, "/");
    static __attribute__((aligned(8))) char small[1000], big[16384], body[64];
    int c = client_connect(s.tcp_port);
    char req[2048], pad[1200];
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = 0;
    snprintf(req, sizeof(req), "POST /up HTTP/1.1\r\nHost: a:%d\r\nX-Pad: %s\r\nContent-Length: 10\r\n\r\n0123456789", s.tcp_port, pad);
    client_send(c, req);
    ULONG need = 0;
    /* Synchronous receive; the request arrives while it waits. */
    ULONG rc = HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)small, sizeof(small), &need, NULL);
    CHECK_EQ(rc, ERROR_MORE_DATA);                                            /* F-27(b) */
    HTTP_REQUEST_ID id = ((HTTP_REQUEST *)small)->RequestId;
    CHECK(id != 0 && need > sizeof(small));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, id, 0, (PHTTP_REQUEST)small, sizeof(small), &need, NULL), ERROR_MORE_DATA);
    ULONG got = 0;
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, id, 0, (PHTTP_REQUEST)big, need, &got, NULL), NO_ERROR); /* F-27(e) */
    HTTP_REQUEST *r = (HTTP_REQUEST *)big;
    CHECK_EQ(r->RequestId, id);
    CHECK_EQ(r->Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS, HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS); /* F-42 */
    ULONG n = 0, total = 0;
    char all[32] = {0};
    while ((rc = HttpReceiveRequestEntityBody(s.queue, id, 0, body, 4, &n, NULL)) == NO_ERROR) {
        memcpy(all + total, body, n);
        total += n;
    }
    CHECK_EQ(rc, ERROR_HANDLE_EOF);                                           /* F-46 */
    CHECK_EQ(total, 10);
    CHECK(memcmp(all, "0123456789", 10) == 0);
    CHECK_EQ(respond(&s, id, 200, NULL, 0), NO_ERROR);
    /* Chunked upload, COPY_BODY (F-43, F-48). */
    snprintf(req, sizeof(req), "POST /c HTTP/1.1\r\nHost: a:%d\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", s.tcp_port);
    char resp[1024];
    client_read(c, resp, sizeof(resp), 200);
    client_send(c, req);
    ULONG total_body = 0;
    r = receive(&s, big, sizeof(big));
    if (r != NULL) {
        id = r->RequestId;
        while ((rc = HttpReceiveRequestEntityBody(s.queue, id, 0, body, sizeof(body), &n, NULL)) == NO_ERROR) {
            CHECK(memcmp(body, "abcde" + total_body, n) == 0);
            total_body += n;
        }
        CHECK_EQ(rc, ERROR_HANDLE_EOF);
        CHECK_EQ(total_body, 5);
        CHECK_EQ(respond(&s, id, 200, "ok", 0), NO_ERROR);
    }
    client_close(c);
    server_close(&s);
}

static void test_disconnects(void)
{
    server s;
    server_open(&s, "/");
    static __attribute__((aligned(8))) char buf[8192];
    for (int mode = 0; mode < 2; mode++) {
        int c = client_connect(s.tcp_port);
        char req[256];
        snprintf(req, sizeof(req), "GET /poll HTTP/1.1\r\nHost: h:%d\r\n\r\n", s.tcp_port);
        client_send(c, req);
        HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
        if (r == NULL) break;
        HTTP_REQUEST_ID id = r->RequestId;
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpWaitForDisconnectEx(s.queue, r->ConnectionId, 0, &ov), ERROR_IO_PENDING);
        CHECK(take_completion(s.port, NULL, NULL, 100) == NULL); /* nothing yet */
        if (mode == 0) client_reset(c); /* F-73: RST */
        else client_fin(c);             /* F-73: FIN, Ex variant */
        ULONG st = 99;
        CHECK(take_completion(s.port, NULL, &st, 3000) == &ov);
        CHECK_EQ(st, NO_ERROR);
        if (mode == 0) CHECK_EQ(respond(&s, id, 200, "late", 0), ERROR_CONNECTION_INVALID); /* F-65 */
        else { respond(&s, id, 200, "late", 0); close(c); }
        /* F-74: a wait on a connection already gone completes at once. */
        memset(&ov, 0, sizeof(ov));
        ULONG rc = HttpWaitForDisconnectEx(s.queue, r->ConnectionId, 0, &ov);
        CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
        CHECK(take_completion(s.port, NULL, NULL, 3000) == &ov);
    }
    /* Cancel: the client sees a reset (F-80); the id is dead afterwards (F-81). */
    int c = client_connect(s.tcp_port);
    char req[256];
    snprintf(req, sizeof(req), "GET /cancel HTTP/1.1\r\nHost: h:%d\r\n\r\n", s.tcp_port);
    client_send(c, req);
    HTTP_REQUEST *r = receive(&s, buf, sizeof(buf));
    if (r != NULL) {
        HTTP_REQUEST_ID id = r->RequestId;
        CHECK_EQ(HttpCancelHttpRequest(s.queue, id, NULL), NO_ERROR);
        CHECK_EQ(HttpCancelHttpRequest(s.queue, id, NULL), ERROR_CONNECTION_INVALID);
        char resp[256];
        CHECK(client_read(c, resp, sizeof(resp), 2000) <= 0);
    }
    client_close(c);
    /* F-84: closing the queue aborts a pending receive. */
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)buf, sizeof(buf), NULL, &ov), ERROR_IO_PENDING);
    CHECK_EQ(HttpCloseRequestQueue(s.queue), NO_ERROR);
    ULONG st = 0;
    CHECK(take_completion(s.port, NULL, &st, 2000) == &ov);
    CHECK_EQ(st, ERROR_OPERATION_ABORTED);
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)buf, sizeof(buf), NULL, &ov), ERROR_INVALID_HANDLE);
    CHECK_EQ(HttpCloseUrlGroup(s.group), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s.session), NO_ERROR);
    CHECK(CloseHandle(s.port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
}

static void test_own_responses(void)
{
    server s;
    server_open(&s, "/app/");
    char resp[2048], req[256];
    int c = client_connect(s.tcp_port);
    client_send(c, "foo\r\n\r\n"); /* F-68 */
    client_read(c, resp, sizeof(resp), 2000);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
    CHECK(strstr(resp, "Connection: close") != NULL);
    client_close(c);
    c = client_connect(s.tcp_port);
    snprintf(req, sizeof(req), "GET /other HTTP/1.1\r\nHost: x:%d\r\n\r\n", s.tcp_port);
    client_send(c, req); /* F-92: no matching prefix */
    client_read(c, resp, sizeof(resp), 2000);
    CHECK(strncmp(resp, "HTTP/1.1 404 ", 13) == 0);
    client_close(c);
    c = client_connect(s.tcp_port);
    snprintf(req, sizeof(req), "GET /app/%%zz HTTP/1.1\r\nHost: x:%d\r\n\r\n", s.tcp_port);
    client_send(c, req); /* F-40: malformed escape */
    client_read(c, resp, sizeof(resp), 2000);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);
    client_close(c);
    HTTP_BINDING_INFO b = {{0}, NULL};
    CHECK_EQ(HttpSetUrlGroupProperty(s.group, HttpServerBindingProperty, &b, sizeof(b)), NO_ERROR);
    c = client_connect(s.tcp_port);
    snprintf(req, sizeof(req), "GET /app/ HTTP/1.1\r\nHost: x:%d\r\n\r\n", s.tcp_port);
    client_send(c, req); /* F-93: no queue bound */
    client_read(c, resp, sizeof(resp), 2000);
    CHECK(strncmp(resp, "HTTP/1.1 503 ", 13) == 0);
    client_close(c);
    server_close(&s);
}

static void test_kernel32(void)
{
    HANDLE p = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    CHECK(p != NULL);
    OVERLAPPED ov;
    CHECK(PostQueuedCompletionStatus(p, 5, 9, &ov));
    ov.Internal = 0;
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    CHECK(GetQueuedCompletionStatus(p, &bytes, &key, &got, 100));
    CHECK(got == &ov && bytes == 5 && key == 9);
    CHECK(!GetQueuedCompletionStatus(p, &bytes, &key, &got, 10));
    CHECK_EQ(GetLastError(), WAIT_TIMEOUT);
    CHECK(got == NULL);
    CHECK(CloseHandle(p));
    CHECK(!CloseHandle(p));
    CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    CHECK_EQ(HttpEmuFailNext("HttpCreateServerSession", 1, ERROR_NOT_ENOUGH_MEMORY), NO_ERROR);
    HTTP_SERVER_SESSION_ID sid;
    CHECK_EQ(HttpInitialize(V2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(V2, &sid, 0), ERROR_NOT_ENOUGH_MEMORY);
    CHECK_EQ(HttpCreateServerSession(V2, &sid, 0), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(sid), NO_ERROR);
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK(HttpEmuGetCallCount("HttpCreateServerSession") >= 2);
}

int main(void)
{
    test_kernel32();
    test_prefixes();
    test_get_keep_alive();
    test_more_data_and_body();
    test_disconnects();
    test_own_responses();
    CHECK(counters_zero(3000));
    return finish();
}
