/* emu_test: assertion counting and a blocking loopback client. */
#define _GNU_SOURCE
#include "emu_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int g_passed, g_failed;

void check(int ok, const char *what, const char *file, int line)
{
    if (ok) g_passed++;
    else { g_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what); }
}

void check_eq(long long a, long long b, const char *what, const char *file, int line)
{
    if (a == b) g_passed++;
    else { g_failed++; fprintf(stderr, "FAIL %s:%d: %s (%lld != %lld)\n", file, line, what, a, b); }
}

int finish(void)
{
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    socklen_t l = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

void wide(const char *s, WCHAR *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) out[i] = (WCHAR)(unsigned char)s[i];
    out[i] = 0;
}

int client_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) { close(fd); return -1; }
    return fd;
}

size_t client_sendn(int fd, const void *p, size_t n)
{
    size_t o = 0;
    while (o < n) {
        ssize_t w = send(fd, (const char *)p + o, n - o, MSG_NOSIGNAL);
        if (w <= 0) break;
        o += (size_t)w;
    }
    return o;
}

void client_send(int fd, const char *s) { client_sendn(fd, s, strlen(s)); }

long client_read(int fd, char *buf, size_t cap, int ms)
{
    size_t o = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (o + 1 < cap) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left) <= 0) break;
        ssize_t r = recv(fd, buf + o, cap - 1 - o, 0);
        if (r < 0) { buf[o] = 0; return errno == ECONNRESET ? -1 : (long)o; }
        if (r == 0) break;
        o += (size_t)r;
    }
    buf[o] = 0;
    return (long)o;
}

void client_reset(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

void client_fin(int fd) { shutdown(fd, SHUT_WR); }
void client_close(int fd) { close(fd); }

OVERLAPPED *take_completion(HANDLE port, ULONG *bytes, ULONG *status, DWORD ms)
{
    OVERLAPPED_ENTRY e;
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(port, &e, 1, &n, ms, FALSE) || n != 1) return NULL;
    if (bytes) *bytes = e.dwNumberOfBytesTransferred;
    if (status) *status = RtlNtStatusToDosError((ULONG)e.Internal);
    return e.lpOverlapped;
}

int counters_zero(int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        HTTP_EMU_COUNTERS c;
        HttpEmuGetCounters(&c, sizeof(c));
        if (!c.Sessions && !c.UrlGroups && !c.Queues && !c.Ports && !c.Connections && !c.Requests &&
            !c.PendingOverlapped && !c.BufferedBytes && !c.Http2Objects && !c.Tokens && !c.LocalAllocs && !c.CacheEntries)
            return 1;
        usleep(10000);
    }
    HTTP_EMU_COUNTERS c;
    HttpEmuGetCounters(&c, sizeof(c));
    fprintf(stderr, "counters: s=%llu g=%llu q=%llu p=%llu c=%llu r=%llu op=%llu b=%llu h2=%llu t=%llu l=%llu ce=%llu\n",
            c.Sessions, c.UrlGroups, c.Queues, c.Ports, c.Connections, c.Requests, c.PendingOverlapped, c.BufferedBytes,
            c.Http2Objects, c.Tokens, c.LocalAllocs, c.CacheEntries);
    return 0;
}

void emu_srv_open(emu_srv *s)
{
    const HTTPAPI_VERSION v2 = HTTPAPI_VERSION_2;
    memset(s, 0, sizeof(*s));
    s->tcp = free_port();
    CHECK_EQ(HttpInitialize(v2, HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
    CHECK_EQ(HttpCreateServerSession(v2, &s->session, 0), NO_ERROR);
    CHECK_EQ(HttpCreateUrlGroup(s->session, &s->group, 0), NO_ERROR);
    CHECK_EQ(HttpCreateRequestQueue(v2, NULL, NULL, 0, &s->queue), NO_ERROR);
    HTTP_BINDING_INFO b = {{1}, s->queue};
    CHECK_EQ(HttpSetUrlGroupProperty(s->group, HttpServerBindingProperty, &b, sizeof(b)), NO_ERROR);
    char u[128];
    WCHAR w[128];
    snprintf(u, sizeof(u), "http://+:%d/", s->tcp);
    wide(u, w, 128);
    CHECK_EQ(HttpAddUrlToUrlGroup(s->group, w, 0, 0), NO_ERROR);
    s->port = CreateIoCompletionPort(s->queue, NULL, 1, 0);
}

void emu_srv_close(emu_srv *s)
{
    CHECK_EQ(HttpCloseRequestQueue(s->queue), NO_ERROR);
    CHECK_EQ(HttpCloseServerSession(s->session), NO_ERROR);
    while (take_completion(s->port, NULL, NULL, 50) != NULL) {}
    CHECK(CloseHandle(s->port));
    CHECK_EQ(HttpTerminate(HTTP_INITIALIZE_SERVER, NULL), NO_ERROR);
}

HTTP_REQUEST *emu_srv_receive(emu_srv *s, char *buf, ULONG cap)
{
    ULONG n = 0;
    ULONG rc = HttpReceiveHttpRequest(s->queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)buf, cap, &n, NULL);
    CHECK_EQ(rc, NO_ERROR);
    return rc == NO_ERROR ? (HTTP_REQUEST *)buf : NULL;
}

void *curl_main(void *arg)
{
    curl_run *cr = arg;
    FILE *f = popen(cr->cmd, "r");
    size_t o = 0;
    if (f != NULL) {
        size_t n;
        while ((n = fread(cr->out + o, 1, sizeof(cr->out) - 1 - o, f)) > 0) o += n;
        cr->rc = pclose(f);
    } else {
        cr->rc = -1;
    }
    cr->out[o] = 0;
    return NULL;
}

int curl_has_http2(void)
{
    FILE *v = popen("curl -V 2>/dev/null", "r");
    char ver[4096] = "";
    if (v != NULL) {
        size_t n = fread(ver, 1, sizeof(ver) - 1, v);
        ver[n] = 0;
        pclose(v);
    }
    return strstr(ver, "HTTP2") != NULL;
}
