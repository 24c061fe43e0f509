/* test_robust: the emulator's own robustness: object lifetimes across close, running out of
 * descriptors, completion status that does not depend on the caller's memory. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static __attribute__((aligned(8))) char g_buf[16384];

static HTTP_REQUEST *recv_sync(emu_srv *s)
{
    return emu_srv_receive(s, g_buf, sizeof(g_buf));
}

static ULONG respond(emu_srv *s, HTTP_REQUEST_ID id, const char *body)
{
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = 200;
    HTTP_DATA_CHUNK ch;
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)body;
    ch.FromMemory.BufferLength = (ULONG)strlen(body);
    r.EntityChunkCount = 1;
    r.pEntityChunks = &ch;
    return HttpSendHttpResponse(s->queue, id, 0, &r, NULL, NULL, NULL, 0, NULL, NULL);
}

static void get(emu_srv *s, int c, const char *path)
{
    char req[256];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a:%d\r\n\r\n", path, s->tcp);
    client_send(c, req);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_idle_connection_closes_with_its_port(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    int c = client_connect(s.tcp);
    get(&s, c, "/one");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) CHECK_EQ(respond(&s, r->RequestId, "1"), NO_ERROR);
    client_read(c, resp, sizeof(resp), 300);
    CHECK(strstr(resp, "\r\n\r\n1") != NULL);
    /* The last URL on the port goes (as when the server stops): the idle keep-alive connection must not
     * keep a pointer to the freed listener; it is closed, not routed. */
    CHECK_EQ(HttpCloseUrlGroup(s.group), NO_ERROR);
    double t0 = now();
    long n = client_read(c, resp, sizeof(resp), 3000);
    CHECK(n == 0 && now() - t0 < 1.0);
    get(&s, c, "/two");
    n = client_read(c, resp, sizeof(resp), 500);
    CHECK(n <= 0);
    CHECK(strstr(resp, "HTTP/1.1") == NULL);
    client_close(c);
    emu_srv_close(&s);
}

static void test_busy_connection_closes_after_its_response(void)
{
    emu_srv s;
    emu_srv_open(&s);
    char resp[2048];
    int c = client_connect(s.tcp);
    get(&s, c, "/busy");
    HTTP_REQUEST *r = recv_sync(&s);
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), "http://+:%d/", s.tcp);
    wide(u, w, 128);
    CHECK_EQ(HttpRemoveUrlFromUrlGroup(s.group, w, 0), NO_ERROR);
    /* The request in hand still gets its response; then the connection closes. */
    if (r) CHECK_EQ(respond(&s, r->RequestId, "b"), NO_ERROR);
    long n = client_read(c, resp, sizeof(resp), 3000);
    CHECK(n > 0 && strstr(resp, "\r\n\r\nb") != NULL);
    CHECK(strstr(resp, "Connection: close\r\n") != NULL);
    client_close(c);
    emu_srv_close(&s);
}

static void test_accept_without_descriptors_does_not_spin(void)
{
    emu_srv s;
    emu_srv_open(&s);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = 256;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
    static int fds[256];
    int nfds = 0;
    for (; nfds < 256; nfds++) {
        fds[nfds] = dup(0);
        if (fds[nfds] < 0) break;
    }
    CHECK(nfds < 256 && errno == EMFILE);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s.tcp), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0); /* waits in the backlog: accept has no descriptor */
    double cpu0 = cpu_now();
    usleep(500000);
    double cpu = cpu_now() - cpu0;
    CHECK(cpu < 0.2); /* a spinning event loop burns the whole 0.5 s */
    for (int i = 0; i < nfds; i++) close(fds[i]);
    setrlimit(RLIMIT_NOFILE, &old);
    /* Descriptors are back: the waiting connection is accepted and served. */
    get(&s, c, "/late");
    HTTP_REQUEST *r = recv_sync(&s);
    if (r) CHECK_EQ(respond(&s, r->RequestId, "late"), NO_ERROR);
    char resp[1024];
    client_read(c, resp, sizeof(resp), 300);
    CHECK(strstr(resp, "\r\n\r\nlate") != NULL);
    close(c);
    emu_srv_close(&s);
}

static void test_completion_status_comes_from_the_packet(void)
{
    emu_srv s;
    emu_srv_open(&s);
    for (int ex = 0; ex < 2; ex++) {
        OVERLAPPED ov;
        memset(&ov, 0, sizeof(ov));
        CHECK_EQ(HttpReceiveHttpRequest(s.queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)g_buf, sizeof(g_buf), NULL, &ov), ERROR_IO_PENDING);
        int c = client_connect(s.tcp);
        get(&s, c, "/p");
        for (int i = 0; i < 200 && __atomic_load_n(&ov.Internal, __ATOMIC_ACQUIRE) == STATUS_PENDING; i++) usleep(10000);
        CHECK_EQ(ov.Internal, STATUS_SUCCESS);
        /* The operation completed: the OVERLAPPED is the caller's memory again, and what the caller writes
         * there does not change the status it dequeues. */
        ov.Internal = STATUS_CANCELLED;
        if (ex) {
            OVERLAPPED_ENTRY e;
            ULONG n = 0;
            CHECK(GetQueuedCompletionStatusEx(s.port, &e, 1, &n, 2000, FALSE));
            CHECK(n == 1 && e.lpOverlapped == &ov);
            CHECK_EQ(e.Internal, STATUS_SUCCESS);
        } else {
            DWORD bytes = 0;
            ULONG_PTR key = 0;
            LPOVERLAPPED got = NULL;
            CHECK(GetQueuedCompletionStatus(s.port, &bytes, &key, &got, 2000));
            CHECK(got == &ov);
        }
        HTTP_REQUEST *r = (HTTP_REQUEST *)g_buf;
        CHECK_EQ(respond(&s, r->RequestId, "p"), NO_ERROR);
        client_close(c);
    }
    emu_srv_close(&s);
}

int main(void)
{
    test_idle_connection_closes_with_its_port();
    test_busy_connection_closes_after_its_response();
    test_accept_without_descriptors_does_not_spin();
    test_completion_status_comes_from_the_packet();
    CHECK(counters_zero(3000));
    return finish();
}
