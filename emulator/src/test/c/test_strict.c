/* test_strict: catching use-after-handoff. Sends read the caller's chunks when they go to the socket;
 * strict mode overwrites what an operation was given once it completes; receive buffers are written
 * at completion only; completions of OVERLAPPEDs that were no longer pending are counted; socket
 * writes happen with the emulator's lock released. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static __attribute__((aligned(8))) char g_buf[16384];

static HTTP_REQUEST *recv_sync(emu_srv *s)
{
    return emu_srv_receive(s, g_buf, sizeof(g_buf));
}

/* Connects (with a small receive buffer when rcvbuf > 0, so the server's writes back up) and sends a GET. */
static int connect_get(emu_srv *s, int rcvbuf)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->tcp), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[256];
    snprintf(req, sizeof(req), "GET /s HTTP/1.1\r\nHost: a:%d\r\n\r\n", s->tcp);
    client_send(c, req);
    return c;
}

static int all_poison(const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        if (b[i] != 0xDD) return 0;
    return 1;
}

static void test_send_reads_chunks_when_they_go_out(void)
{
    emu_srv s;
    emu_srv_open(&s);
    int c = connect_get(&s, 4096);
    HTTP_REQUEST *r = recv_sync(&s);
    size_t big = 16u << 20; /* more than the socket buffers hold, so the send stays pending */
    char *body = malloc(big);
    memset(body, 'a', big);
    if (r) {
        HTTP_RESPONSE rs;
        memset(&rs, 0, sizeof(rs));
        rs.StatusCode = 200;
        HTTP_DATA_CHUNK ch;
        ch.DataChunkType = HttpDataChunkFromMemory;
        ch.FromMemory.pBuffer = body;
        ch.FromMemory.BufferLength = (ULONG)big;
        rs.EntityChunkCount = 1;
        rs.pEntityChunks = &ch;
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &rs, NULL, NULL, NULL, 0, &ov, NULL), ERROR_IO_PENDING);
        /* HTTP.sys may read the chunk any time until the completion: bytes changed now go out changed. */
        memset(body + big - 1024, 'Z', 1024);
        size_t cap = big + 4096;
        char *got = malloc(cap);
        long n = client_read(c, got, cap, 10000);
        CHECK(n > (long)big);
        if (n > (long)big) {
            CHECK(got[n - 1025] == 'a');
            CHECK(got[n - 1024] == 'Z' && got[n - 1] == 'Z');
        }
        ULONG st = 99;
        CHECK(take_completion(s.port, NULL, &st, 3000) == &ov);
        CHECK_EQ(st, NO_ERROR);
        free(got);
    }
    free(body);
    client_close(c);
    emu_srv_close(&s);
}

static void test_strict_overwrites_what_a_send_was_given(void)
{
    CHECK_EQ(HttpEmuSetStrict(1), 0);
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    for (int overlapped = 0; overlapped < 2; overlapped++) {
        int c = connect_get(&s, 0);
        HTTP_REQUEST *r = recv_sync(&s);
        if (!r) break;
        char *body = strdup("hello"), *reason = strdup("Fine"), *type = strdup("text/plain");
        char *name = strdup("X-Name"), *value = strdup("v1");
        HTTP_RESPONSE rs;
        memset(&rs, 0, sizeof(rs));
        rs.StatusCode = 200;
        rs.pReason = reason;
        rs.ReasonLength = 4;
        rs.Headers.KnownHeaders[HttpHeaderContentType].pRawValue = type;
        rs.Headers.KnownHeaders[HttpHeaderContentType].RawValueLength = 10;
        HTTP_UNKNOWN_HEADER uh = {6, 2, name, value};
        rs.Headers.UnknownHeaderCount = 1;
        rs.Headers.pUnknownHeaders = &uh;
        HTTP_DATA_CHUNK ch;
        ch.DataChunkType = HttpDataChunkFromMemory;
        ch.FromMemory.pBuffer = body;
        ch.FromMemory.BufferLength = 5;
        rs.EntityChunkCount = 1;
        rs.pEntityChunks = &ch;
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        ULONG rc = HttpSendHttpResponse(s.queue, r->RequestId, 0, &rs, NULL, NULL, NULL, 0, overlapped ? &ov : NULL, NULL);
        CHECK(rc == NO_ERROR || (overlapped && rc == ERROR_IO_PENDING));
        if (overlapped) CHECK(take_completion(s.port, NULL, NULL, 2000) == &ov);
        /* Completed: every byte range it was given has been overwritten, after the right bytes went out. */
        CHECK(all_poison(body, 5) && all_poison(reason, 4) && all_poison(type, 10));
        CHECK(all_poison(name, 6) && all_poison(value, 2));
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strncmp(resp, "HTTP/1.1 200 Fine\r\n", 19) == 0);
        CHECK(strstr(resp, "Content-Type: text/plain\r\n") != NULL && strstr(resp, "X-Name: v1\r\n") != NULL);
        CHECK(strstr(resp, "\r\n\r\nhello") != NULL);
        free(body); free(reason); free(type); free(name); free(value);
        client_close(c);
    }
    emu_srv_close(&s);
    HttpEmuSetStrict(0);
}

static void test_receive_buffers_written_at_completion_only(void)
{
    HttpEmuSetStrict(1);
    emu_srv s;
    emu_srv_open(&s);
    static __attribute__((aligned(8))) char buf[8192];
    memset(buf, 'Q', sizeof(buf));
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)buf, sizeof(buf), NULL, &ov), ERROR_IO_PENDING);
    usleep(100000);
    int untouched = 1;
    for (size_t i = 0; i < sizeof(buf); i++) untouched &= buf[i] == 'Q';
    CHECK(untouched); /* nothing is written while the receive is pending */
    int c = client_connect(s.tcp);
    char req[256];
    snprintf(req, sizeof(req), "POST /r HTTP/1.1\r\nHost: a:%d\r\nContent-Length: 5\r\n\r\nhello", s.tcp);
    client_send(c, req);
    ULONG used = 0;
    CHECK(take_completion(s.port, &used, NULL, 2000) == &ov);
    HTTP_REQUEST *r = (HTTP_REQUEST *)buf;
    CHECK(used > sizeof(HTTP_REQUEST) && used < sizeof(buf));
    /* Strict: what lies beyond the bytes written holds nothing the caller may read. */
    CHECK(all_poison(buf + used, sizeof(buf) - used));
    CHECK(strcmp(r->pRawUrl, "/r") == 0);
    static char body[64];
    memset(body, 'Q', sizeof(body));
    ULONG n = 0;
    CHECK_EQ(HttpReceiveRequestEntityBody(s.queue, r->RequestId, 0, body, sizeof(body), &n, NULL), NO_ERROR);
    CHECK(n == 5 && memcmp(body, "hello", 5) == 0 && all_poison(body + 5, sizeof(body) - 5));
    HTTP_RESPONSE rs;
    memset(&rs, 0, sizeof(rs));
    rs.StatusCode = 204;
    CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &rs, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
    client_close(c);
    emu_srv_close(&s);
    HttpEmuSetStrict(0);
}

static void test_completion_of_an_overlapped_no_longer_pending_is_counted(void)
{
    emu_srv s;
    emu_srv_open(&s);
    HTTP_EMU_COUNTERS before, after;
    CHECK_EQ(HttpEmuGetCounters(&before, sizeof(before)), NO_ERROR);
    CHECK_EQ(HttpEmuGetCounters(&after, 64), NO_ERROR); /* a caller that knows only the first eight */
    CHECK_EQ(HttpEmuGetCounters(&after, 63), ERROR_INVALID_PARAMETER);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_IO_PENDING);
    memset(&ov, 0, sizeof(ov)); /* reused while the kernel owns it */
    int c = connect_get(&s, 0);
    CHECK(take_completion(s.port, NULL, NULL, 2000) == &ov);
    CHECK_EQ(HttpEmuGetCounters(&after, sizeof(after)), NO_ERROR);
    CHECK_EQ(after.CompletionsNotPending - before.CompletionsNotPending, 1);
    HTTP_RESPONSE rs;
    memset(&rs, 0, sizeof(rs));
    rs.StatusCode = 204;
    CHECK_EQ(HttpSendHttpResponse(s.queue, ((HTTP_REQUEST *)g_buf)->RequestId, 0, &rs, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
    /* An honest OVERLAPPED is not counted. */
    memset(&ov, 0, sizeof(ov));
    CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_IO_PENDING);
    char req[256];
    snprintf(req, sizeof(req), "GET /again HTTP/1.1\r\nHost: a:%d\r\n\r\n", s.tcp);
    client_send(c, req);
    CHECK(take_completion(s.port, NULL, NULL, 2000) == &ov);
    HTTP_EMU_COUNTERS last;
    HttpEmuGetCounters(&last, sizeof(last));
    CHECK_EQ(last.CompletionsNotPending, after.CompletionsNotPending);
    CHECK_EQ(HttpSendHttpResponse(s.queue, ((HTTP_REQUEST *)g_buf)->RequestId, 0, &rs, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
    client_close(c);
    emu_srv_close(&s);
}

/* ---- socket writes with the emulator's lock released ----
 * send and sendmsg are interposed: while probing, each write asks a helper thread to make an API call
 * that takes the emulator's lock; if that call cannot finish during the write, the lock is held. */

static int g_probing, g_writes_seen, g_writes_under_lock;
static sem_t g_probe_go, g_probe_done;
static emu_srv *g_probe_srv;

static void *probe_main(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&g_probe_go);
        ULONG len = 1;
        HttpSetRequestQueueProperty(g_probe_srv->queue, HttpServerQueueLengthProperty, &len, sizeof(len), 0, NULL);
        sem_post(&g_probe_done);
    }
    return NULL;
}

static void probe_write(void)
{
    if (!__atomic_load_n(&g_probing, __ATOMIC_ACQUIRE)) return;
    __atomic_add_fetch(&g_writes_seen, 1, __ATOMIC_RELAXED);
    sem_post(&g_probe_go);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 300000000L;
    if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
    if (sem_timedwait(&g_probe_done, &t) != 0) {
        __atomic_add_fetch(&g_writes_under_lock, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&g_probing, 0, __ATOMIC_RELEASE); /* report once; the helper finishes after this write */
    }
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    static ssize_t (*real)(int, const void *, size_t, int);
    if (real == NULL) real = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    probe_write();
    return real(fd, buf, len, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    static ssize_t (*real)(int, const struct msghdr *, int);
    if (real == NULL) real = (ssize_t (*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");
    probe_write();
    return real(fd, m, flags);
}

static void test_socket_writes_release_the_lock(void)
{
    emu_srv s;
    emu_srv_open(&s);
    g_probe_srv = &s;
    sem_init(&g_probe_go, 0, 0);
    sem_init(&g_probe_done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, probe_main, NULL);
    pthread_detach(t);
    char resp[2048];
    int c = connect_get(&s, 0);
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) {
        HTTP_RESPONSE rs;
        memset(&rs, 0, sizeof(rs));
        rs.StatusCode = 200;
        HTTP_DATA_CHUNK ch;
        ch.DataChunkType = HttpDataChunkFromMemory;
        ch.FromMemory.pBuffer = "locked?";
        ch.FromMemory.BufferLength = 7;
        rs.EntityChunkCount = 1;
        rs.pEntityChunks = &ch;
        __atomic_store_n(&g_probing, 1, __ATOMIC_RELEASE);
        CHECK_EQ(HttpSendHttpResponse(s.queue, r->RequestId, 0, &rs, NULL, NULL, NULL, 0, NULL, NULL), NO_ERROR);
        __atomic_store_n(&g_probing, 0, __ATOMIC_RELEASE);
        CHECK(g_writes_seen >= 1);
        CHECK_EQ(g_writes_under_lock, 0);
        if (g_writes_under_lock) sem_wait(&g_probe_done); /* the late probe call has returned */
        client_read(c, resp, sizeof(resp), 300);
        CHECK(strstr(resp, "\r\n\r\nlocked?") != NULL);
    }
    client_close(c);
    emu_srv_close(&s);
}

int main(void)
{
    test_send_reads_chunks_when_they_go_out();
    test_strict_overwrites_what_a_send_was_given();
    test_receive_buffers_written_at_completion_only();
    test_completion_of_an_overlapped_no_longer_pending_is_counted();
    test_socket_writes_release_the_lock();
    CHECK(counters_zero(3000));
    return finish();
}
