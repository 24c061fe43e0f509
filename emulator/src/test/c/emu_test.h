/* emu_test: a tiny C test harness and a loopback TCP client for the emulator's tests. */
#ifndef EMU_TEST_H
#define EMU_TEST_H

#include "include/http.h"

extern int g_passed, g_failed;
#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b) check_eq((long long)(a), (long long)(b), #a " == " #b, __FILE__, __LINE__)
void check(int ok, const char *what, const char *file, int line);
void check_eq(long long a, long long b, const char *what, const char *file, int line);
int finish(void); /* prints "N passed, N failed", returns the exit code */

int free_port(void);
void wide(const char *s, WCHAR *out, size_t cap);
int client_connect(int port);
void client_send(int fd, const char *s);
size_t client_sendn(int fd, const void *p, size_t n); /* all n bytes unless the peer fails; returns those sent */
/* Reads until the peer closes, n bytes arrive, or ms pass; returns bytes read (-1 on reset). */
long client_read(int fd, char *buf, size_t cap, int ms);
void client_reset(int fd);   /* RST: SO_LINGER 0 then close */
void client_fin(int fd);     /* FIN: shutdown(SHUT_WR) */
void client_close(int fd);
/* Waits up to ms for one completion; returns its OVERLAPPED or NULL. */
OVERLAPPED *take_completion(HANDLE port, ULONG *bytes, ULONG *status, DWORD ms);
/* A server: session, URL group bound to a new request queue with http://+:PORT/ on a free port,
 * and a completion port for the queue. */
typedef struct emu_srv {
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    HANDLE queue, port;
    int tcp;
} emu_srv;
void emu_srv_open(emu_srv *s);
/* Closes the queue and the session, drains the port's packets, closes it and terminates. */
void emu_srv_close(emu_srv *s);
/* A synchronous HttpReceiveHttpRequest into buf (8-byte aligned); NULL (and a failed check) on error. */
HTTP_REQUEST *emu_srv_receive(emu_srv *s, char *buf, ULONG cap);
/* A curl command run on its own thread (popen), so the test can serve its requests meanwhile. */
typedef struct curl_run { char cmd[1024]; char out[16384]; int rc; } curl_run;
void *curl_main(void *arg); /* pthread start routine: runs cr->cmd, its output in cr->out */
int curl_has_http2(void);   /* curl exists and lists the HTTP2 feature (curl -V) */
/* Polls the live-object counters until all are zero or ms pass; returns 1 when zero. */
int counters_zero(int ms);

#endif
