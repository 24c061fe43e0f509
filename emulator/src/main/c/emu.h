/*
 * emu: what the emulator's modules share. One process-wide lock (g_emu_lock) guards all HTTP
 * Server API state; completion ports have their own lock, always taken after it, never before.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include <pthread.h>
#include "include/http.h"

#define EMU_EXPORT __attribute__((visibility("default")))

extern pthread_mutex_t g_emu_lock;

/* Live-object counters (HttpEmuGetCounters); updated with atomics. */
enum { CNT_SESSIONS, CNT_GROUPS, CNT_QUEUES, CNT_PORTS, CNT_CONNECTIONS, CNT_REQUESTS, CNT_PENDING,
       CNT_BUFFERED, CNT_NOT_PENDING, CNT_H2, CNT_TOKENS, CNT_LOCAL,
       CNT_CACHE,       /* live kernel-cache entries: responses and fragments (cache.c) */
       CNT_CACHE_HITS,  /* cumulative: responses answered from the cache */
       CNT_MAX };
void emu_count(int which, long long delta);

/* Strict mode (HttpEmuSetStrict, HTTPEMU_STRICT=1): caller memory handed to an operation is
 * overwritten with EMU_POISON when the operation completes, so early reuse shows up. */
#define EMU_POISON 0xDD
int emu_strict(void);
void emu_poison(void *p, size_t len);

/* Every exported API function starts with this: counts the call, returns an injected fault or 0. */
enum {
    FN_HttpInitialize, FN_HttpTerminate, FN_HttpCreateServerSession, FN_HttpCloseServerSession,
    FN_HttpSetServerSessionProperty, FN_HttpCreateUrlGroup, FN_HttpCloseUrlGroup, FN_HttpAddUrlToUrlGroup,
    FN_HttpRemoveUrlFromUrlGroup, FN_HttpSetUrlGroupProperty, FN_HttpCreateRequestQueue,
    FN_HttpCloseRequestQueue, FN_HttpShutdownRequestQueue, FN_HttpSetRequestQueueProperty,
    FN_HttpReceiveHttpRequest, FN_HttpReceiveRequestEntityBody, FN_HttpSendHttpResponse,
    FN_HttpSendResponseEntityBody, FN_HttpWaitForDisconnect, FN_HttpWaitForDisconnectEx,
    FN_HttpCancelHttpRequest, FN_CreateIoCompletionPort, FN_GetQueuedCompletionStatus,
    FN_GetQueuedCompletionStatusEx, FN_PostQueuedCompletionStatus, FN_CancelIoEx, FN_CloseHandle,
    FN_SetFileCompletionNotificationModes, FN_HttpFlushResponseCache, FN_HttpAddFragmentToCache,
    FN_HttpReadFragmentFromCache, FN_MAX
};
ULONG emu_enter(int fn);

/* Win32 error <-> NTSTATUS for OVERLAPPED.Internal. */
ULONG emu_win32_to_ntstatus(ULONG err);
void emu_set_last_error(ULONG err);

/* Completion ports (iocp.c). */
typedef struct emu_port emu_port;
/* Queues a packet; the port must be referenced by the caller. */
void emu_port_post(emu_port *p, ULONG_PTR key, OVERLAPPED *ov, ULONG ntstatus, ULONG bytes);
void emu_port_ref(emu_port *p);
void emu_port_unref(emu_port *p);
/* Returns the port if h is a live completion port handle (call under g_emu_lock). */
emu_port *emu_port_from_handle(HANDLE h);

/* Request-queue hooks used by kernel32 functions (server.c); called under g_emu_lock. */
int emu_is_queue(HANDLE h);
ULONG emu_queue_associate(HANDLE h, emu_port *p, ULONG_PTR key);
ULONG emu_queue_set_skip(HANDLE h, int skip);
ULONG emu_queue_cancel_io(HANDLE h, OVERLAPPED *ov); /* NO_ERROR or ERROR_NOT_FOUND */
ULONG emu_queue_close(HANDLE h);

/* Access tokens (token.c): 1 if h was a live token, now closed. */
int emu_token_close(HANDLE h);

#endif
