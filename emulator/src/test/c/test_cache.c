/* test_cache: the kernel response cache and the fragment cache (F-162..F-168), with the acceptance checks
 * (1)..(5) of chapter E of the behaviour reference. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static __attribute__((aligned(8))) char g_rb[16384];
static OVERLAPPED g_ov;

/* One overlapped receive, left pending until a request reaches the application. */
static void post_recv(emu_srv *s)
{
    memset(&g_ov, 0, sizeof(g_ov));
    ULONG rc = HttpReceiveHttpRequest(s->queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_rb, sizeof(g_rb), NULL, &g_ov);
    CHECK(rc == NO_ERROR || rc == ERROR_IO_PENDING);
}

/* The request the pending receive got within ms, or NULL while it is still pending. */
static HTTP_REQUEST *wait_recv(emu_srv *s, int ms)
{
    ULONG st = 0;
    OVERLAPPED *o = take_completion(s->port, NULL, &st, (DWORD)ms);
    if (o == NULL) return NULL;
    CHECK(o == &g_ov);
    CHECK_EQ(st, NO_ERROR);
    return o == &g_ov && st == NO_ERROR ? (HTTP_REQUEST *)g_rb : NULL;
}

static unsigned long long hits(void)
{
    HTTP_EMU_COUNTERS c;
    HttpEmuGetCounters(&c, sizeof(c));
    return c.CacheHits;
}

static unsigned long long entries(void)
{
    HTTP_EMU_COUNTERS c;
    HttpEmuGetCounters(&c, sizeof(c));
    return c.CacheEntries;
}

/* Reads one response: the head, then Content-Length bytes of body (or until the peer closes). *closed is
 * set when the connection was closed after it. */
static long read_response(int fd, char *buf, size_t cap, int ms, int *closed)
{
    size_t o = 0;
    if (closed) *closed = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        buf[o] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            const char *cl = strcasestr(buf, "\r\nContent-Length: ");
            size_t want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0);
            if (o >= want && (closed == NULL || !cl)) break;
            if (o >= want) {
                /* see whether the connection closes behind it */
                struct pollfd p = {fd, POLLIN, 0};
                if (poll(&p, 1, 150) > 0) {
                    char x;
                    ssize_t r = recv(fd, &x, 1, MSG_PEEK);
                    if (r == 0) *closed = 1;
                }
                break;
            }
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || o + 1 >= cap) break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left) <= 0) break;
        ssize_t r = recv(fd, buf + o, 1, 0); /* byte by byte: pipelined responses stay apart */
        if (r <= 0) { if (closed) *closed = 1; break; }
        o += (size_t)r;
    }
    buf[o] = 0;
    return (long)o;
}

/* The response without its Date line (a replay has a fresh one). */
static void strip_date(char *s)
{
    char *d = strstr(s, "\r\nDate: ");
    if (d == NULL) return;
    char *e = strstr(d + 2, "\r\n");
    if (e) memmove(d, e, strlen(e) + 1);
}

typedef struct resp_opts {
    USHORT status;
    const char *ctype;     /* NULL: none */
    const char *last_mod;  /* NULL: none */
    ULONG flags;
    const HTTP_CACHE_POLICY *policy;
} resp_opts;

static ULONG send_resp(emu_srv *s, HTTP_REQUEST_ID id, const char *body, const resp_opts *o)
{
    HTTP_DATA_CHUNK ch;
    memset(&ch, 0, sizeof(ch));
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)body;
    ch.FromMemory.BufferLength = (ULONG)strlen(body);
    HTTP_UNKNOWN_HEADER x = {5, 7, "X-App", "cached!"};
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = o->status ? o->status : 200;
    r.pReason = "OK";
    r.ReasonLength = 2;
    if (o->ctype) {
        r.Headers.KnownHeaders[HttpHeaderContentType].pRawValue = o->ctype;
        r.Headers.KnownHeaders[HttpHeaderContentType].RawValueLength = (USHORT)strlen(o->ctype);
    }
    if (o->last_mod) {
        r.Headers.KnownHeaders[HttpHeaderLastModified].pRawValue = o->last_mod;
        r.Headers.KnownHeaders[HttpHeaderLastModified].RawValueLength = (USHORT)strlen(o->last_mod);
    }
    r.Headers.UnknownHeaderCount = 1;
    r.Headers.pUnknownHeaders = &x;
    r.EntityChunkCount = 1;
    r.pEntityChunks = &ch;
    ULONG rc = HttpSendHttpResponse(s->queue, id, o->flags, &r, (PHTTP_CACHE_POLICY)o->policy, NULL, NULL, 0, NULL, NULL);
    if (rc == NO_ERROR && (o->flags & HTTP_SEND_RESPONSE_FLAG_MORE_DATA))
        rc = HttpSendResponseEntityBody(s->queue, id, 0, 0, NULL, NULL, NULL, 0, NULL, NULL);
    return rc;
}

static const HTTP_CACHE_POLICY TTL10 = {HttpCachePolicyTimeToLive, 10};
static const HTTP_CACHE_POLICY USER = {HttpCachePolicyUserInvalidates, 0};

static void get(int fd, const char *path, const char *extra)
{
    char req[1024];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", path, extra ? extra : "");
    client_send(fd, req);
}

/* A GET of path on a new connection that the application answers with o; the client's copy in out. */
static void fill(emu_srv *s, const char *path, const char *body, const resp_opts *o, char *out, size_t cap)
{
    int c = client_connect(s->tcp);
    post_recv(s);
    get(c, path, NULL);
    HTTP_REQUEST *r = wait_recv(s, 2000);
    CHECK(r != NULL);
    if (r != NULL) CHECK_EQ(send_resp(s, r->RequestId, body, o), NO_ERROR);
    read_response(c, out, cap, 2000, NULL);
    client_close(c);
}

/* Another GET of path (extra headers): 1 when answered from the cache (no receive completed), else the
 * application answers it plainly and 0. */
static int answered_by_cache(emu_srv *s, const char *path, const char *extra, char *out, size_t cap)
{
    int c = client_connect(s->tcp);
    unsigned long long h0 = hits();
    post_recv(s);
    get(c, path, extra);
    int hit;
    HTTP_REQUEST *r = wait_recv(s, 300);
    if (r == NULL) {
        hit = 1;
    } else {
        hit = 0;
        resp_opts plain = {0, "text/plain", NULL, 0, NULL};
        CHECK_EQ(send_resp(s, r->RequestId, "from-app", &plain), NO_ERROR);
    }
    read_response(c, out, cap, 2000, NULL);
    client_close(c);
    if (hit) {
        CHECK_EQ(hits(), h0 + 1);
        /* the receive still pending: cancel it so the next test starts clean */
        CHECK_EQ(CancelIoEx(s->queue, &g_ov), TRUE);
        CHECK(take_completion(s->port, NULL, NULL, 1000) == &g_ov);
    }
    return hit;
}

/* (1) F-165: a GET with a Content-Type and TimeToLive 10 is answered again with identical headers and body,
 * and no receive completes. */
static void test_hit_identical(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char first[4096], second[4096];
    resp_opts o = {0, "text/plain", "Sun, 06 Nov 1994 08:49:37 GMT", 0, &TTL10};
    fill(&s, "/page?x=1", "hello", &o, first, sizeof(first));
    CHECK(strstr(first, "\r\n\r\nhello") != NULL);
    CHECK_EQ(entries(), 1);
    /* a pending receive stays pending while the cache answers */
    int c = client_connect(s.tcp);
    post_recv(&s);
    get(c, "/page?x=1", NULL);
    read_response(c, second, sizeof(second), 2000, NULL);
    CHECK(take_completion(s.port, NULL, NULL, 300) == NULL);
    CHECK(strstr(second, "X-App: cached!\r\n") != NULL);
    CHECK(strstr(second, "Date: ") != NULL);
    strip_date(first);
    strip_date(second);
    CHECK(strcmp(first, second) == 0);
    /* another query string is another URL (stand-in key: the full URL) */
    get(c, "/page?x=2", NULL);
    HTTP_REQUEST *r = wait_recv(&s, 2000);
    CHECK(r != NULL);
    resp_opts plain = {0, "text/plain", NULL, 0, NULL};
    if (r) CHECK_EQ(send_resp(&s, r->RequestId, "other", &plain), NO_ERROR);
    read_response(c, second, sizeof(second), 2000, NULL);
    CHECK(strstr(second, "\r\n\r\nother") != NULL);
    client_close(c);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
    CHECK_EQ(entries(), 0);
}

/* Keep-alive and pipelining after hits: two hits and a miss in one write, answered in order. */
static void test_keepalive_pipelined(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/html", NULL, 0, &USER};
    fill(&s, "/k", "kkk", &o, out, sizeof(out));
    int c = client_connect(s.tcp);
    post_recv(&s);
    unsigned long long h0 = hits();
    client_send(c, "GET /k HTTP/1.1\r\nHost: localhost\r\n\r\nGET /k HTTP/1.1\r\nHost: localhost\r\n\r\n"
                   "GET /miss HTTP/1.1\r\nHost: localhost\r\n\r\n");
    int closed = 0;
    read_response(c, out, sizeof(out), 2000, NULL);
    CHECK(strstr(out, "200 OK") != NULL && strstr(out, "\r\n\r\nkkk") != NULL);
    read_response(c, out, sizeof(out), 2000, NULL);
    CHECK(strstr(out, "\r\n\r\nkkk") != NULL);
    HTTP_REQUEST *r = wait_recv(&s, 2000);
    CHECK(r != NULL);
    if (r) {
        CHECK(strcmp(r->pRawUrl, "/miss") == 0);
        resp_opts plain = {0, "text/plain", NULL, 0, NULL};
        CHECK_EQ(send_resp(&s, r->RequestId, "app", &plain), NO_ERROR);
    }
    read_response(c, out, sizeof(out), 2000, &closed);
    CHECK(strstr(out, "\r\n\r\napp") != NULL);
    CHECK(!closed);
    CHECK_EQ(hits(), h0 + 2);
    /* the connection goes on: one more hit */
    get(c, "/k", NULL);
    read_response(c, out, sizeof(out), 2000, &closed);
    CHECK(strstr(out, "\r\n\r\nkkk") != NULL);
    CHECK(!closed);
    client_close(c);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* F-165, F-94: a full queue refuses what would be queued, not what the cache answers. */
static void test_full_queue_hit(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/plain", NULL, 0, &USER};
    fill(&s, "/f", "full", &o, out, sizeof(out));
    ULONG len = 10;
    CHECK_EQ(HttpSetRequestQueueProperty(s.queue, HttpServerQueueLengthProperty, &len, sizeof(len), 0, NULL), NO_ERROR);
    int held[10];
    for (int i = 0; i < 10; i++) {
        held[i] = client_connect(s.tcp);
        get(held[i], "/waiting", NULL);
    }
    usleep(200000);
    int c = client_connect(s.tcp);
    get(c, "/f", NULL);
    read_response(c, out, sizeof(out), 2000, NULL);
    CHECK(strstr(out, "\r\n\r\nfull") != NULL);
    client_close(c);
    c = client_connect(s.tcp);
    get(c, "/not-cached", NULL);
    CHECK(client_read(c, out, sizeof(out), 2000) <= 0); /* Basic verbosity: a reset */
    client_close(c);
    for (int i = 0; i < 10; i++) client_close(held[i]);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* (2) F-163: MORE_DATA is not cached; F-164: neither is a response without Content-Type, nor a 206, nor one
 * with a malformed Last-Modified; a 404 is. */
static void test_not_cached(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts more = {0, "text/plain", NULL, HTTP_SEND_RESPONSE_FLAG_MORE_DATA, &TTL10};
    fill(&s, "/more", "m", &more, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/more", NULL, out, sizeof(out)), 0);
    resp_opts noct = {0, NULL, NULL, 0, &TTL10};
    fill(&s, "/noct", "n", &noct, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/noct", NULL, out, sizeof(out)), 0);
    resp_opts partial = {206, "text/plain", NULL, 0, &TTL10};
    fill(&s, "/206", "p", &partial, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/206", NULL, out, sizeof(out)), 0);
    resp_opts badlm = {0, "text/plain", "yesterday", 0, &TTL10};
    fill(&s, "/badlm", "b", &badlm, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/badlm", NULL, out, sizeof(out)), 0);
    resp_opts nopolicy = {0, "text/plain", NULL, 0, NULL};
    fill(&s, "/nopolicy", "x", &nopolicy, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/nopolicy", NULL, out, sizeof(out)), 0);
    CHECK_EQ(entries(), 0);
    resp_opts notfound = {404, "text/plain", NULL, 0, &TTL10};
    fill(&s, "/404", "nf", &notfound, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/404", NULL, out, sizeof(out)), 1);
    CHECK(strncmp(out, "HTTP/1.1 404 ", 13) == 0);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* (4) F-163: Authorization (and Range, Translate: f, HEAD) bypass the cache; the entry stays for the others.
 * A request that came through to the application does not store either. */
static void test_bypass(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/plain", NULL, 0, &TTL10};
    fill(&s, "/b", "bbb", &o, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/b", "Authorization: Basic dXNlcjpwdw==\r\n", out, sizeof(out)), 0);
    CHECK(strstr(out, "from-app") != NULL);
    CHECK_EQ(answered_by_cache(&s, "/b", "Range: bytes=0-1\r\n", out, sizeof(out)), 0);
    CHECK_EQ(answered_by_cache(&s, "/b", "Translate: f\r\n", out, sizeof(out)), 0);
    CHECK_EQ(answered_by_cache(&s, "/b", "Expect: something\r\n", out, sizeof(out)), 0);
    /* HEAD goes to the application */
    int c = client_connect(s.tcp);
    post_recv(&s);
    client_send(c, "HEAD /b HTTP/1.1\r\nHost: localhost\r\n\r\n");
    HTTP_REQUEST *r = wait_recv(&s, 2000);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ(r->Verb, HttpVerbHEAD);
        HTTP_RESPONSE hr;
        memset(&hr, 0, sizeof(hr));
        hr.StatusCode = 200;
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &hr, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
    }
    client_read(c, out, sizeof(out), 300);
    CHECK(strncmp(out, "HTTP/1.1 200", 12) == 0);
    client_close(c);
    /* the entry is still there for plain GETs */
    CHECK_EQ(answered_by_cache(&s, "/b", NULL, out, sizeof(out)), 1);
    CHECK(strstr(out, "\r\n\r\nbbb") != NULL);
    /* a request that bypassed the cache is not stored from: its response with a policy keeps nothing */
    c = client_connect(s.tcp);
    post_recv(&s);
    get(c, "/authed", "Authorization: Basic dXNlcjpwdw==\r\n");
    r = wait_recv(&s, 2000);
    CHECK(r != NULL);
    if (r) CHECK_EQ(send_resp(&s, r->RequestId, "secret", &o), NO_ERROR);
    read_response(c, out, sizeof(out), 2000, NULL);
    client_close(c);
    CHECK_EQ(answered_by_cache(&s, "/authed", NULL, out, sizeof(out)), 0);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* F-163: a group with Windows authentication configured never stores and is never answered from the cache. */
static void test_auth_group_not_cached(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/plain", NULL, 0, &USER};
    fill(&s, "/open", "o", &o, out, sizeof(out)); /* stored while auth is off */
    CHECK_EQ(entries(), 1);
    HTTP_SERVER_AUTHENTICATION_INFO a;
    memset(&a, 0, sizeof(a));
    a.Flags.Present = 1;
    a.AuthSchemes = HTTP_AUTH_ENABLE_BASIC;
    CHECK_EQ(HttpSetUrlGroupProperty(s.group, HttpServerAuthenticationProperty, &a, sizeof(a)), NO_ERROR);
    CHECK_EQ(answered_by_cache(&s, "/open", NULL, out, sizeof(out)), 0); /* the entry is not used */
    fill(&s, "/w", "w", &o, out, sizeof(out));
    CHECK(strstr(out, "\r\n\r\nw") != NULL);
    CHECK_EQ(entries(), 1); /* /w was not stored */
    CHECK_EQ(answered_by_cache(&s, "/w", NULL, out, sizeof(out)), 0);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* F-62: an HTTP/1.0 request answered from the cache gets Connection: close and the connection closes. */
static void test_http10_close(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/plain", NULL, 0, &USER};
    fill(&s, "/old", "ten", &o, out, sizeof(out));
    CHECK(strstr(out, "Connection: close") == NULL);
    unsigned long long h0 = hits();
    int c = client_connect(s.tcp);
    client_send(c, "GET /old HTTP/1.0\r\nHost: localhost\r\n\r\n");
    long n = client_read(c, out, sizeof(out), 2000); /* to the close */
    CHECK(n > 0);
    CHECK(strstr(out, "Connection: close\r\n") != NULL);
    CHECK(strstr(out, "\r\n\r\nten") != NULL);
    CHECK_EQ(hits(), h0 + 1);
    client_close(c);
    /* HTTP/1.1 with Connection: close the same */
    c = client_connect(s.tcp);
    client_send(c, "GET /old HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    n = client_read(c, out, sizeof(out), 2000);
    CHECK(strstr(out, "Connection: close\r\n") != NULL);
    CHECK_EQ(hits(), h0 + 2);
    client_close(c);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* F-162: a TimeToLive entry goes after its seconds; the next GET reaches the application. */
static void test_ttl_expiry(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    HTTP_CACHE_POLICY one = {HttpCachePolicyTimeToLive, 1};
    resp_opts o = {0, "text/plain", NULL, 0, &one};
    fill(&s, "/ttl", "t", &o, out, sizeof(out));
    CHECK_EQ(answered_by_cache(&s, "/ttl", NULL, out, sizeof(out)), 1);
    usleep(1200000);
    CHECK_EQ(answered_by_cache(&s, "/ttl", NULL, out, sizeof(out)), 0);
    CHECK(strstr(out, "from-app") != NULL);
    CHECK_EQ(entries(), 0);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

static ULONG flush(emu_srv *s, const char *path, ULONG flags)
{
    char u[256];
    WCHAR w[256];
    snprintf(u, sizeof(u), "http://+:%d%s", s->tcp, path);
    wide(u, w, 256);
    return HttpFlushResponseCache(s->queue, w, flags, NULL);
}

/* (3) F-167: a flush drops the entry named; RECURSIVE drops everything under the prefix. */
static void test_flush(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/plain", NULL, 0, &USER};
    fill(&s, "/d/x", "x", &o, out, sizeof(out));
    fill(&s, "/d/y/z", "z", &o, out, sizeof(out));
    fill(&s, "/d", "d", &o, out, sizeof(out));
    fill(&s, "/dd", "dd", &o, out, sizeof(out));
    CHECK_EQ(entries(), 4);
    CHECK_EQ(flush(&s, "/d/x", 0), NO_ERROR);
    CHECK_EQ(entries(), 3);
    CHECK_EQ(answered_by_cache(&s, "/d/x", NULL, out, sizeof(out)), 0);
    CHECK_EQ(answered_by_cache(&s, "/d/y/z", NULL, out, sizeof(out)), 1);
    CHECK_EQ(flush(&s, "/d/y", 0), NO_ERROR); /* exact: /d/y/z is not /d/y */
    CHECK_EQ(entries(), 3);
    CHECK_EQ(flush(&s, "/nothing/here", HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE), NO_ERROR);
    CHECK_EQ(flush(&s, "/d", HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE), NO_ERROR); /* /d, /d/y/z; not /dd */
    CHECK_EQ(entries(), 1);
    CHECK_EQ(answered_by_cache(&s, "/d/y/z", NULL, out, sizeof(out)), 0);
    CHECK_EQ(answered_by_cache(&s, "/d", NULL, out, sizeof(out)), 0);
    CHECK_EQ(answered_by_cache(&s, "/dd", NULL, out, sizeof(out)), 1);
    /* overlapped: completes at once, a packet to the port */
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    char u[256];
    WCHAR w[256];
    snprintf(u, sizeof(u), "http://+:%d/", s.tcp);
    wide(u, w, 256);
    CHECK_EQ(HttpFlushResponseCache(s.queue, w, HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE, &ov), NO_ERROR);
    ULONG st = 99;
    CHECK(take_completion(s.port, NULL, &st, 1000) == &ov);
    CHECK_EQ(st, NO_ERROR);
    CHECK_EQ(entries(), 0);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

/* Entries belong to their queue: its close drops them, and so does removing their prefix. */
static void test_queue_close_and_prefix_removal(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char out[4096];
    resp_opts o = {0, "text/plain", NULL, 0, &USER};
    fill(&s, "/q1", "1", &o, out, sizeof(out));
    fill(&s, "/q2", "2", &o, out, sizeof(out));
    CHECK_EQ(entries(), 2);
    CHECK_EQ(HttpCloseRequestQueue(s.queue), NO_ERROR);
    CHECK_EQ(entries(), 0);
    CHECK_EQ(HttpCloseServerSession(s.session), NO_ERROR);
    while (take_completion(s.port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s.port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK(counters_zero(2000));

    emu_srv_open(&s);
    fill(&s, "/r", "r", &o, out, sizeof(out));
    CHECK_EQ(entries(), 1);
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), "http://+:%d/", s.tcp);
    wide(u, w, 128);
    CHECK_EQ(HttpRemoveUrlFromUrlGroup(s.group, w, 0), NO_ERROR);
    CHECK_EQ(entries(), 0);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

static void wname(emu_srv *s, const char *path, WCHAR *w, size_t cap)
{
    char u[256];
    snprintf(u, sizeof(u), "http://+:%d%s", s->tcp, path);
    wide(u, w, cap);
}

static ULONG add_fragment(emu_srv *s, const char *path, const char *data, const HTTP_CACHE_POLICY *p)
{
    WCHAR w[256];
    wname(s, path, w, 256);
    HTTP_DATA_CHUNK ch;
    memset(&ch, 0, sizeof(ch));
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)data;
    ch.FromMemory.BufferLength = (ULONG)strlen(data);
    return HttpAddFragmentToCache(s->queue, w, &ch, (PHTTP_CACHE_POLICY)p, NULL);
}

/* A request answered with a body of one fragment chunk (type 2, or 3 with a range). */
static ULONG send_fragment_response(emu_srv *s, int c, const WCHAR *name, const HTTP_BYTE_RANGE *range, char *out,
                                    size_t cap)
{
    post_recv(s);
    get(c, "/uses-fragment", NULL);
    HTTP_REQUEST *r = wait_recv(s, 2000);
    CHECK(r != NULL);
    if (r == NULL) return ERROR_INVALID_PARAMETER;
    HTTP_DATA_CHUNK ch;
    memset(&ch, 0, sizeof(ch));
    if (range == NULL) {
        ch.DataChunkType = HttpDataChunkFromFragmentCache;
        size_t n = 0;
        while (name[n]) n++;
        ch.FromFragmentCache.FragmentNameLength = (USHORT)(n * 2);
        ch.FromFragmentCache.pFragmentName = name;
    } else {
        ch.DataChunkType = HttpDataChunkFromFragmentCacheEx;
        ch.FromFragmentCacheEx.ByteRange = *range;
        ch.FromFragmentCacheEx.pFragmentName = name;
    }
    HTTP_RESPONSE resp;
    memset(&resp, 0, sizeof(resp));
    resp.StatusCode = 200;
    resp.EntityChunkCount = 1;
    resp.pEntityChunks = &ch;
    ULONG rc = HttpSendHttpResponse(s->queue, r->RequestId, 0, &resp, NULL, NULL, NULL, 0, NULL, NULL);
    if (rc != NO_ERROR) {
        /* the request is still the application's: answer it plainly */
        resp_opts plain = {500, "text/plain", NULL, 0, NULL};
        CHECK_EQ(send_resp(s, r->RequestId, "no-fragment", &plain), NO_ERROR);
    }
    read_response(c, out, cap, 2000, NULL);
    return rc;
}

/* (5) F-168: fragments: add, read all or a range, ERROR_MORE_DATA, missing; a response body from a fragment
 * chunk; after a flush the send fails with ERROR_PATH_NOT_FOUND. */
static void test_fragments(void)
{
    emu_srv s;
    emu_srv_open(&s);
    WCHAR w[256];
    wname(&s, "/frag/a", w, 256);
    char buf[64];
    ULONG n = 0;
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, sizeof(buf), &n, NULL), ERROR_PATH_NOT_FOUND);
    CHECK_EQ(add_fragment(&s, "/frag/a", "0123456789", &USER), NO_ERROR);
    CHECK_EQ(entries(), 1);
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, sizeof(buf), &n, NULL), NO_ERROR);
    CHECK_EQ(n, 10);
    CHECK(memcmp(buf, "0123456789", 10) == 0);
    HTTP_BYTE_RANGE br = {2, 3};
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, &br, buf, sizeof(buf), &n, NULL), NO_ERROR);
    CHECK_EQ(n, 3);
    CHECK(memcmp(buf, "234", 3) == 0);
    HTTP_BYTE_RANGE to_end = {7, HTTP_BYTE_RANGE_TO_EOF};
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, &to_end, buf, sizeof(buf), &n, NULL), NO_ERROR);
    CHECK_EQ(n, 3);
    CHECK(memcmp(buf, "789", 3) == 0);
    HTTP_BYTE_RANGE past = {8, 5};
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, &past, buf, sizeof(buf), &n, NULL), ERROR_INVALID_PARAMETER);
    n = 0;
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, 4, &n, NULL), ERROR_MORE_DATA);
    CHECK_EQ(n, 10);
    /* overlapped read: completes at once with the byte count in a packet */
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, sizeof(buf), NULL, &ov), NO_ERROR);
    ULONG bytes = 0, st = 99;
    CHECK(take_completion(s.port, &bytes, &st, 1000) == &ov);
    CHECK_EQ(bytes, 10);
    CHECK_EQ(st, NO_ERROR);
    /* re-adding overwrites; still one entry */
    CHECK_EQ(add_fragment(&s, "/frag/a", "abcdefghij", &USER), NO_ERROR);
    CHECK_EQ(entries(), 1);
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, sizeof(buf), &n, NULL), NO_ERROR);
    CHECK(n == 10 && memcmp(buf, "abcdefghij", 10) == 0);
    /* a name under no prefix of this queue */
    WCHAR other[128];
    char u[128];
    snprintf(u, sizeof(u), "http://+:%d/x", s.tcp == 65535 ? 1 : s.tcp + 1);
    wide(u, other, 128);
    HTTP_DATA_CHUNK mem;
    memset(&mem, 0, sizeof(mem));
    mem.DataChunkType = HttpDataChunkFromMemory;
    mem.FromMemory.pBuffer = "x";
    mem.FromMemory.BufferLength = 1;
    CHECK_EQ(HttpAddFragmentToCache(s.queue, other, &mem, (PHTTP_CACHE_POLICY)&USER, NULL), ERROR_INVALID_PARAMETER);

    /* responses from the fragment */
    int c = client_connect(s.tcp);
    char out[4096];
    CHECK_EQ(send_fragment_response(&s, c, w, NULL, out, sizeof(out)), NO_ERROR);
    CHECK(strstr(out, "Content-Length: 10\r\n") != NULL);
    CHECK(strstr(out, "\r\n\r\nabcdefghij") != NULL);
    HTTP_BYTE_RANGE mid = {3, 4};
    CHECK_EQ(send_fragment_response(&s, c, w, &mid, out, sizeof(out)), NO_ERROR);
    CHECK(strstr(out, "Content-Length: 4\r\n") != NULL);
    CHECK(strstr(out, "\r\n\r\ndefg") != NULL);
    /* after a flush of the name the send fails and the request stays the application's */
    CHECK_EQ(flush(&s, "/frag/", HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE), NO_ERROR);
    CHECK_EQ(entries(), 0);
    CHECK_EQ(send_fragment_response(&s, c, w, NULL, out, sizeof(out)), ERROR_PATH_NOT_FOUND);
    CHECK(strstr(out, "no-fragment") != NULL);
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, sizeof(buf), &n, NULL), ERROR_PATH_NOT_FOUND);
    client_close(c);
    /* a fragment with a TTL goes too */
    HTTP_CACHE_POLICY one = {HttpCachePolicyTimeToLive, 1};
    CHECK_EQ(add_fragment(&s, "/frag/t", "ttl", &one), NO_ERROR);
    CHECK_EQ(add_fragment(&s, "/frag/kept", "kept", &USER), NO_ERROR);
    CHECK_EQ(entries(), 2);
    usleep(1200000);
    wname(&s, "/frag/t", w, 256);
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, w, NULL, buf, sizeof(buf), &n, NULL), ERROR_PATH_NOT_FOUND);
    CHECK_EQ(entries(), 1);
    emu_srv_close(&s); /* the queue's close takes the rest */
    CHECK(counters_zero(2000));
    CHECK_EQ(entries(), 0);
}

/* Bad arguments give clean errors; the new functions count calls and take injected faults. */
static void test_bad_parameters(void)
{
    emu_srv s;
    emu_srv_open(&s);
    WCHAR w[256], empty[1] = {0};
    wname(&s, "/", w, 256);
    CHECK_EQ(HttpFlushResponseCache(s.queue, NULL, 0, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpFlushResponseCache(s.queue, empty, 0, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpFlushResponseCache(s.queue, w, 2, NULL), ERROR_INVALID_PARAMETER);
    WCHAR bad[64];
    wide("not a url", bad, 64);
    CHECK_EQ(HttpFlushResponseCache(s.queue, bad, 0, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpFlushResponseCache((HANDLE)0x1234, w, 0, NULL), ERROR_INVALID_HANDLE);
    HTTP_DATA_CHUNK mem;
    memset(&mem, 0, sizeof(mem));
    mem.DataChunkType = HttpDataChunkFromMemory;
    mem.FromMemory.pBuffer = "x";
    mem.FromMemory.BufferLength = 1;
    WCHAR f[256];
    wname(&s, "/f", f, 256);
    HTTP_CACHE_POLICY none = {HttpCachePolicyNocache, 0}, weird = {7, 0};
    CHECK_EQ(HttpAddFragmentToCache(s.queue, NULL, &mem, (PHTTP_CACHE_POLICY)&USER, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpAddFragmentToCache(s.queue, f, NULL, (PHTTP_CACHE_POLICY)&USER, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpAddFragmentToCache(s.queue, f, &mem, NULL, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpAddFragmentToCache(s.queue, f, &mem, &none, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpAddFragmentToCache(s.queue, f, &mem, &weird, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpAddFragmentToCache((HANDLE)0x1234, f, &mem, (PHTTP_CACHE_POLICY)&USER, NULL), ERROR_INVALID_HANDLE);
    HTTP_DATA_CHUNK file = mem;
    file.DataChunkType = HttpDataChunkFromFileHandle;
    CHECK_EQ(HttpAddFragmentToCache(s.queue, f, &file, (PHTTP_CACHE_POLICY)&USER, NULL), ERROR_INVALID_PARAMETER);
    char buf[8];
    ULONG n = 0;
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, NULL, NULL, buf, sizeof(buf), &n, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, f, NULL, buf, sizeof(buf), NULL, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(HttpReadFragmentFromCache((HANDLE)0x1234, f, NULL, buf, sizeof(buf), &n, NULL), ERROR_INVALID_HANDLE);
    /* an unknown cache policy on a send is refused before anything is written */
    int c = client_connect(s.tcp);
    post_recv(&s);
    get(c, "/p", NULL);
    HTTP_REQUEST *r = wait_recv(&s, 2000);
    CHECK(r != NULL);
    if (r) {
        resp_opts o = {0, "text/plain", NULL, 0, &weird};
        CHECK_EQ(send_resp(&s, r->RequestId, "w", &o), ERROR_INVALID_PARAMETER);
        resp_opts ok = {0, "text/plain", NULL, 0, &TTL10};
        CHECK_EQ(send_resp(&s, r->RequestId, "w", &ok), NO_ERROR);
    }
    char out[1024];
    read_response(c, out, sizeof(out), 2000, NULL);
    CHECK(strstr(out, "\r\n\r\nw") != NULL);
    client_close(c);
    /* call counts and fault injection cover the new exports */
    ULONGLONG calls = HttpEmuGetCallCount("HttpFlushResponseCache");
    CHECK_EQ(HttpEmuFailNext("HttpFlushResponseCache", 1, ERROR_NOT_ENOUGH_MEMORY), NO_ERROR);
    CHECK_EQ(HttpFlushResponseCache(s.queue, w, 1, NULL), ERROR_NOT_ENOUGH_MEMORY);
    CHECK_EQ(entries(), 1);
    CHECK_EQ(HttpFlushResponseCache(s.queue, w, 1, NULL), NO_ERROR);
    CHECK_EQ(entries(), 0);
    CHECK_EQ(HttpEmuGetCallCount("HttpFlushResponseCache"), calls + 2);
    CHECK_EQ(HttpEmuFailNext("HttpAddFragmentToCache", 1, ERROR_NOT_ENOUGH_MEMORY), NO_ERROR);
    CHECK_EQ(HttpEmuFailNext("HttpReadFragmentFromCache", 1, ERROR_NOT_ENOUGH_MEMORY), NO_ERROR);
    CHECK_EQ(HttpAddFragmentToCache(s.queue, f, &mem, (PHTTP_CACHE_POLICY)&USER, NULL), ERROR_NOT_ENOUGH_MEMORY);
    CHECK_EQ(HttpReadFragmentFromCache(s.queue, f, NULL, buf, sizeof(buf), &n, NULL), ERROR_NOT_ENOUGH_MEMORY);
    HttpEmuClearFaults();
    /* a caller that knows only the older counters gets them, and nothing past them is written */
    unsigned char raw[sizeof(HTTP_EMU_COUNTERS)];
    memset(raw, 0xAB, sizeof(raw));
    CHECK_EQ(HttpEmuGetCounters((HTTP_EMU_COUNTERS *)raw, 96), NO_ERROR);
    int untouched = 1;
    for (size_t i = 96; i < sizeof(raw); i++) untouched &= raw[i] == 0xAB;
    CHECK(untouched);
    CHECK_EQ(sizeof(HTTP_EMU_COUNTERS), 112);
    emu_srv_close(&s);
    CHECK(counters_zero(2000));
}

int main(void)
{
    test_hit_identical();
    test_keepalive_pipelined();
    test_full_queue_hit();
    test_not_cached();
    test_bypass();
    test_auth_group_not_cached();
    test_http10_close();
    test_ttl_expiry();
    test_flush();
    test_queue_close_and_prefix_removal();
    test_fragments();
    test_bad_parameters();
    return finish();
}
