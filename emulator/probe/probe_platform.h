/*
 * probe_platform.h: the little the Windows probe needs beyond the HTTP Server API, for both builds.
 *   Windows (mingw-w64 or MSVC): winsock, kernel32, the real http.h; HttpWaitForDisconnectEx is
 *     resolved at run time (mingw-w64's http.h does not declare it); a vectored exception handler
 *     turns Wine's "unimplemented function" stubs into a result code instead of an abort.
 *   Linux: the emulator's windows.h / http.h (Windows x64 layouts) and BSD sockets.
 * Everything here is a thin name for one platform call, so the probe itself has no #ifdef.
 */
#ifndef PROBE_PLATFORM_H
#define PROBE_PLATFORM_H

#ifdef _WIN32
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

typedef SOCKET psock;
#define PSOCK_BAD INVALID_SOCKET
#define PROBE_PLATFORM "windows"

static int ps_startup(void) { WSADATA w; return WSAStartup(MAKEWORD(2, 2), &w); }
static void ps_close(psock s) { closesocket(s); }
static int ps_lasterr_reset(void) { return WSAGetLastError() == WSAECONNRESET || WSAGetLastError() == WSAECONNABORTED; }
static int ps_shutdown_send(psock s) { return shutdown(s, SD_SEND); }
static void ps_timeouts(psock s, unsigned ms)
{
    DWORD t = ms;
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&t, sizeof(t));
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&t, sizeof(t));
}
static unsigned long long ps_now_ms(void) { return GetTickCount64(); }
static void ps_sleep_ms(unsigned ms) { Sleep(ms); }

#ifndef WIN_AF_INET6
#define WIN_AF_INET6 23
#endif
#ifndef ERROR_CONNECTION_INVALID
#define ERROR_CONNECTION_INVALID 1229L
#endif

typedef ULONG (WINAPI *probe_wfdex_fn)(HANDLE, HTTP_CONNECTION_ID, ULONG, LPOVERLAPPED);
static ULONG probe_HttpWaitForDisconnectEx(HANDLE q, HTTP_CONNECTION_ID c, ULONG r, LPOVERLAPPED ov)
{
    static probe_wfdex_fn f;
    if (!f) f = (probe_wfdex_fn)(void *)GetProcAddress(GetModuleHandleA("httpapi.dll"), "HttpWaitForDisconnectEx");
    return f ? f(q, c, r, ov) : ERROR_CALL_NOT_IMPLEMENTED;
}

/* Wine raises 0x80000100 from a function it exports but does not implement. The handler puts the
 * thread back where PROBE_CALL captured it, with probe_stub_hit set. Real Windows never raises it. */
#define PROBE_UNIMPLEMENTED 0xFFFF0002u
static CONTEXT probe_stub_ctx;
static volatile LONG probe_stub_hit, probe_stub_armed;
static LONG WINAPI probe_veh(EXCEPTION_POINTERS *ep)
{
    if (probe_stub_armed && ep->ExceptionRecord->ExceptionCode == 0x80000100) {
        probe_stub_armed = 0;
        probe_stub_hit = 1;
        *ep->ContextRecord = probe_stub_ctx;
        return EXCEPTION_CONTINUE_EXECUTION;
    }
    return EXCEPTION_CONTINUE_SEARCH;
}
static void ps_install_guard(void) { AddVectoredExceptionHandler(1, probe_veh); }
#define PROBE_CALL(rc, expr) do { \
        probe_stub_hit = 0; \
        RtlCaptureContext(&probe_stub_ctx); \
        if (!probe_stub_hit) { probe_stub_armed = 1; (rc) = (expr); probe_stub_armed = 0; } \
        else (rc) = PROBE_UNIMPLEMENTED; \
    } while (0)

#else /* Linux, against the emulator */

#include "windows.h"
#include "http.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int psock;
#define PSOCK_BAD (-1)
#define PROBE_PLATFORM "emulator"

static int ps_startup(void) { signal(SIGPIPE, SIG_IGN); return 0; }
static void ps_close(psock s) { close(s); }
static int ps_lasterr_reset(void) { return errno == ECONNRESET || errno == ECONNABORTED || errno == EPIPE; }
static int ps_shutdown_send(psock s) { return shutdown(s, SHUT_WR); }
static void ps_timeouts(psock s, unsigned ms)
{
    struct timeval t = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof(t));
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof(t));
}
static unsigned long long ps_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
}
static void ps_sleep_ms(unsigned ms) { usleep((useconds_t)ms * 1000u); }

#define probe_HttpWaitForDisconnectEx HttpWaitForDisconnectEx
#define PROBE_UNIMPLEMENTED 0xFFFF0002u
static void ps_install_guard(void) {}
#define PROBE_CALL(rc, expr) do { (rc) = (expr); } while (0)

#endif

/* The same on both: a loopback client socket with send/receive timeouts. */
static psock ps_connect(unsigned short port, unsigned timeout_ms)
{
    psock s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == PSOCK_BAD) return PSOCK_BAD;
    ps_timeouts(s, timeout_ms);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(0x7F000001u);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) { ps_close(s); return PSOCK_BAD; }
    return s;
}

/* Close with a RST: linger on, time 0. */
static void ps_reset(psock s)
{
    struct linger l;
    l.l_onoff = 1;
    l.l_linger = 0;
    setsockopt(s, SOL_SOCKET, SO_LINGER, (const char *)&l, sizeof(l));
    ps_close(s);
}

/* Waits up to ms for the socket to be readable: 1 readable, 0 timeout, -1 error. */
static int ps_wait_readable(psock s, unsigned ms)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(s, &r);
    struct timeval t;
    t.tv_sec = (long)(ms / 1000);
    t.tv_usec = (long)((ms % 1000) * 1000);
    int n = select((int)s + 1, &r, NULL, NULL, &t);
    return n < 0 ? -1 : n;
}

#endif
