/*
 * iocp: I/O completion ports (CreateIoCompletionPort, GetQueuedCompletionStatus[Ex],
 * PostQueuedCompletionStatus, CloseHandle of a port), the thread's last error, NTSTATUS mapping,
 * and the emulator-only counters, fault injection and call counts (F-87, F-88, F-89).
 */
#define _GNU_SOURCE
#include "emu.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pthread_mutex_t g_emu_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- counters, call counts, faults ---- */

static long long g_counters[CNT_MAX];
static unsigned long long g_calls[FN_MAX];
static const char *const k_fn_names[FN_MAX] = {
    "HttpInitialize", "HttpTerminate", "HttpCreateServerSession", "HttpCloseServerSession",
    "HttpSetServerSessionProperty", "HttpCreateUrlGroup", "HttpCloseUrlGroup", "HttpAddUrlToUrlGroup",
    "HttpRemoveUrlFromUrlGroup", "HttpSetUrlGroupProperty", "HttpCreateRequestQueue",
    "HttpCloseRequestQueue", "HttpShutdownRequestQueue", "HttpSetRequestQueueProperty",
    "HttpReceiveHttpRequest", "HttpReceiveRequestEntityBody", "HttpSendHttpResponse",
    "HttpSendResponseEntityBody", "HttpWaitForDisconnect", "HttpWaitForDisconnectEx",
    "HttpCancelHttpRequest", "CreateIoCompletionPort", "GetQueuedCompletionStatus",
    "GetQueuedCompletionStatusEx", "PostQueuedCompletionStatus", "CancelIoEx", "CloseHandle",
    "SetFileCompletionNotificationModes", "HttpFlushResponseCache", "HttpAddFragmentToCache",
    "HttpReadFragmentFromCache"};

static pthread_mutex_t g_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static ULONG g_fault_count[FN_MAX];
static ULONG g_fault_error[FN_MAX];
static int g_any_fault;

void emu_count(int which, long long delta)
{
    __atomic_add_fetch(&g_counters[which], delta, __ATOMIC_RELAXED);
}

ULONG emu_enter(int fn)
{
    __atomic_add_fetch(&g_calls[fn], 1, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&g_any_fault, __ATOMIC_ACQUIRE)) return 0;
    ULONG err = 0;
    pthread_mutex_lock(&g_fault_lock);
    if (g_fault_count[fn] > 0) {
        g_fault_count[fn]--;
        err = g_fault_error[fn];
    }
    pthread_mutex_unlock(&g_fault_lock);
    return err;
}

static int fn_index(const char *name)
{
    for (int i = 0; i < FN_MAX; i++)
        if (strcmp(k_fn_names[i], name) == 0) return i;
    return -1;
}

EMU_EXPORT ULONG HttpEmuGetCounters(HTTP_EMU_COUNTERS *c, ULONG size)
{
    /* Counters are only appended: a caller that knows the first ones passes the smaller size. */
    if (c == NULL || size < offsetof(HTTP_EMU_COUNTERS, CompletionsNotPending)) return ERROR_INVALID_PARAMETER;
    c->Sessions = (ULONGLONG)__atomic_load_n(&g_counters[CNT_SESSIONS], __ATOMIC_RELAXED);
    c->UrlGroups = (ULONGLONG)__atomic_load_n(&g_counters[CNT_GROUPS], __ATOMIC_RELAXED);
    c->Queues = (ULONGLONG)__atomic_load_n(&g_counters[CNT_QUEUES], __ATOMIC_RELAXED);
    c->Ports = (ULONGLONG)__atomic_load_n(&g_counters[CNT_PORTS], __ATOMIC_RELAXED);
    c->Connections = (ULONGLONG)__atomic_load_n(&g_counters[CNT_CONNECTIONS], __ATOMIC_RELAXED);
    c->Requests = (ULONGLONG)__atomic_load_n(&g_counters[CNT_REQUESTS], __ATOMIC_RELAXED);
    c->PendingOverlapped = (ULONGLONG)__atomic_load_n(&g_counters[CNT_PENDING], __ATOMIC_RELAXED);
    c->BufferedBytes = (ULONGLONG)__atomic_load_n(&g_counters[CNT_BUFFERED], __ATOMIC_RELAXED);
    if (size >= offsetof(HTTP_EMU_COUNTERS, Http2Objects))
        c->CompletionsNotPending = (ULONGLONG)__atomic_load_n(&g_counters[CNT_NOT_PENDING], __ATOMIC_RELAXED);
    if (size >= offsetof(HTTP_EMU_COUNTERS, Tokens)) c->Http2Objects = (ULONGLONG)__atomic_load_n(&g_counters[CNT_H2], __ATOMIC_RELAXED);
    if (size >= offsetof(HTTP_EMU_COUNTERS, CacheEntries)) {
        c->Tokens = (ULONGLONG)__atomic_load_n(&g_counters[CNT_TOKENS], __ATOMIC_RELAXED);
        c->LocalAllocs = (ULONGLONG)__atomic_load_n(&g_counters[CNT_LOCAL], __ATOMIC_RELAXED);
    }
    if (size >= sizeof(*c)) {
        c->CacheEntries = (ULONGLONG)__atomic_load_n(&g_counters[CNT_CACHE], __ATOMIC_RELAXED);
        c->CacheHits = (ULONGLONG)__atomic_load_n(&g_counters[CNT_CACHE_HITS], __ATOMIC_RELAXED);
    }
    return NO_ERROR;
}

static int g_strict;

/* HTTPEMU_STRICT=1 in the environment turns strict mode on from the start. */
__attribute__((constructor)) static void strict_from_environment(void)
{
    const char *v = getenv("HTTPEMU_STRICT");
    if (v != NULL && strcmp(v, "1") == 0) g_strict = 1;
}

int emu_strict(void) { return __atomic_load_n(&g_strict, __ATOMIC_RELAXED); }

void emu_poison(void *p, size_t len)
{
    if (p != NULL && len > 0) memset(p, EMU_POISON, len);
}

EMU_EXPORT ULONG HttpEmuSetStrict(ULONG on)
{
    return (ULONG)__atomic_exchange_n(&g_strict, on ? 1 : 0, __ATOMIC_RELAXED);
}

EMU_EXPORT ULONG HttpEmuFailNext(const char *function, ULONG count, ULONG err)
{
    int i = function ? fn_index(function) : -1;
    if (i < 0) return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_fault_lock);
    g_fault_count[i] = count;
    g_fault_error[i] = err;
    __atomic_store_n(&g_any_fault, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_fault_lock);
    return NO_ERROR;
}

EMU_EXPORT ULONG HttpEmuClearFaults(void)
{
    pthread_mutex_lock(&g_fault_lock);
    memset(g_fault_count, 0, sizeof(g_fault_count));
    __atomic_store_n(&g_any_fault, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_fault_lock);
    return NO_ERROR;
}

EMU_EXPORT ULONGLONG HttpEmuGetCallCount(const char *function)
{
    if (function == NULL) {
        ULONGLONG total = 0;
        for (int i = 0; i < FN_MAX; i++) total += __atomic_load_n(&g_calls[i], __ATOMIC_RELAXED);
        return total;
    }
    int i = fn_index(function);
    return i < 0 ? 0 : __atomic_load_n(&g_calls[i], __ATOMIC_RELAXED);
}

EMU_EXPORT void HttpEmuResetCallCounts(void)
{
    for (int i = 0; i < FN_MAX; i++) __atomic_store_n(&g_calls[i], 0, __ATOMIC_RELAXED);
}

/* ---- errors ---- */

/* On Linux JNA's Native.getLastError() reads errno, so the thread's Win32 last error lives there
 * (ARCHITECTURE §7). */
void emu_set_last_error(ULONG err) { errno = (int)err; }
EMU_EXPORT DWORD GetLastError(void) { return (DWORD)errno; }
EMU_EXPORT void SetLastError(DWORD err) { errno = (int)err; }

static const struct { ULONG win32; ULONG nt; } k_status_map[] = {
    {NO_ERROR, STATUS_SUCCESS},
    {ERROR_MORE_DATA, STATUS_BUFFER_OVERFLOW},
    {ERROR_HANDLE_EOF, STATUS_END_OF_FILE},
    {ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER},
    {ERROR_NETNAME_DELETED, STATUS_NETWORK_NAME_DELETED},
    {ERROR_OPERATION_ABORTED, STATUS_CANCELLED},
    {ERROR_CONNECTION_INVALID, STATUS_CONNECTION_INVALID},
    {ERROR_CONNECTION_ABORTED, STATUS_CONNECTION_ABORTED},
    {ERROR_NOT_FOUND, STATUS_NOT_FOUND}, /* no client certificate (F-123) */
    {ERROR_PATH_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND}, /* a fragment gone from the cache (F-168) */
};

ULONG emu_win32_to_ntstatus(ULONG err)
{
    for (size_t i = 0; i < sizeof(k_status_map) / sizeof(k_status_map[0]); i++)
        if (k_status_map[i].win32 == err) return k_status_map[i].nt;
    return 0xC0000001u; /* STATUS_UNSUCCESSFUL */
}

EMU_EXPORT ULONG RtlNtStatusToDosError(ULONG status)
{
    for (size_t i = 0; i < sizeof(k_status_map) / sizeof(k_status_map[0]); i++)
        if (k_status_map[i].nt == status) return k_status_map[i].win32;
    return status == STATUS_PENDING ? ERROR_IO_PENDING : 317; /* ERROR_MR_MID_NOT_FOUND */
}

/* ---- completion ports ---- */

#define PORT_MAGIC 0x504f5254u

typedef struct packet {
    ULONG_PTR key;
    OVERLAPPED *ov;
    ULONG ntstatus;
    ULONG bytes;
} packet;

struct emu_port {
    uint32_t magic;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    packet *ring;        /* FIFO of packets, ring buffer of cap entries */
    size_t cap, head, count;
    int closed;          /* CloseHandle was called */
    int refs;            /* 1 for the handle + 1 per associated queue + waiting threads */
    emu_port *next;
};

static emu_port *g_ports; /* live port handles, under g_emu_lock */

emu_port *emu_port_from_handle(HANDLE h)
{
    for (emu_port *p = g_ports; p != NULL; p = p->next)
        if ((HANDLE)p == h) return p;
    return NULL;
}

void emu_port_ref(emu_port *p)
{
    pthread_mutex_lock(&p->lock);
    p->refs++;
    pthread_mutex_unlock(&p->lock);
}

void emu_port_unref(emu_port *p)
{
    pthread_mutex_lock(&p->lock);
    int last = --p->refs == 0;
    pthread_mutex_unlock(&p->lock);
    if (last) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
        free(p->ring);
        p->magic = 0;
        free(p);
    }
}

void emu_port_post(emu_port *p, ULONG_PTR key, OVERLAPPED *ov, ULONG ntstatus, ULONG bytes)
{
    pthread_mutex_lock(&p->lock);
    if (!p->closed) {
        if (p->count == p->cap) {
            size_t ncap = p->cap ? p->cap * 2 : 64;
            packet *nr = malloc(ncap * sizeof(packet));
            if (nr == NULL) abort(); /* a lost completion would leak the caller's memory forever */
            for (size_t i = 0; i < p->count; i++) nr[i] = p->ring[(p->head + i) % p->cap];
            free(p->ring);
            p->ring = nr;
            p->cap = ncap;
            p->head = 0;
        }
        p->ring[(p->head + p->count) % p->cap] = (packet){key, ov, ntstatus, bytes};
        p->count++;
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
}

static emu_port *port_new(void)
{
    emu_port *p = calloc(1, sizeof(*p));
    if (p == NULL) return NULL;
    p->magic = PORT_MAGIC;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    p->refs = 1;
    p->next = g_ports;
    g_ports = p;
    emu_count(CNT_PORTS, 1);
    return p;
}

EMU_EXPORT HANDLE CreateIoCompletionPort(HANDLE file, HANDLE existing, ULONG_PTR key, DWORD threads)
{
    (void)threads;
    ULONG fault = emu_enter(FN_CreateIoCompletionPort);
    if (fault) { emu_set_last_error(fault); return NULL; }
    pthread_mutex_lock(&g_emu_lock);
    HANDLE result = NULL;
    ULONG err = NO_ERROR;
    if (file == INVALID_HANDLE_VALUE) {
        if (existing != NULL) err = ERROR_INVALID_PARAMETER;
        else if ((result = port_new()) == NULL) err = ERROR_NOT_ENOUGH_MEMORY;
    } else {
        emu_port *p = existing ? emu_port_from_handle(existing) : NULL;
        int created = 0;
        if (existing != NULL && p == NULL) err = ERROR_INVALID_PARAMETER;
        else if (!emu_is_queue(file)) err = ERROR_INVALID_HANDLE;
        else if (p == NULL && (p = port_new()) == NULL) err = ERROR_NOT_ENOUGH_MEMORY;
        else created = existing == NULL;
        if (err == NO_ERROR) {
            err = emu_queue_associate(file, p, key);
            if (err == NO_ERROR) result = p;
            else if (created) { /* undo */
                g_ports = p->next;
                emu_count(CNT_PORTS, -1);
                emu_port_unref(p);
            }
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    if (result == NULL) emu_set_last_error(err);
    return result;
}

static void deadline_after(struct timespec *ts, DWORD ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

/* Takes up to max packets; waits up to ms. Returns the count; 0 with *err set on timeout/close. */
static ULONG port_take(HANDLE h, packet *out, ULONG max, DWORD ms, ULONG *err)
{
    pthread_mutex_lock(&g_emu_lock);
    emu_port *p = emu_port_from_handle(h);
    if (p != NULL) emu_port_ref(p);
    pthread_mutex_unlock(&g_emu_lock);
    if (p == NULL) { *err = ERROR_INVALID_HANDLE; return 0; }
    struct timespec ts;
    if (ms != INFINITE) deadline_after(&ts, ms);
    ULONG n = 0;
    pthread_mutex_lock(&p->lock);
    while (p->count == 0 && !p->closed) {
        int rc = ms == INFINITE ? pthread_cond_wait(&p->cond, &p->lock)
                                : pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        if (rc == ETIMEDOUT) break;
    }
    if (p->count > 0 && !p->closed) {
        while (n < max && p->count > 0) {
            out[n++] = p->ring[p->head];
            p->head = (p->head + 1) % p->cap;
            p->count--;
        }
        if (p->count > 0) pthread_cond_signal(&p->cond); /* let another waiter take the rest */
    } else {
        *err = p->closed ? ERROR_ABANDONED_WAIT_0 : WAIT_TIMEOUT;
    }
    pthread_mutex_unlock(&p->lock);
    emu_port_unref(p);
    return n;
}

EMU_EXPORT BOOL GetQueuedCompletionStatus(HANDLE port, LPDWORD bytes, PULONG_PTR key, LPOVERLAPPED *ov, DWORD ms)
{
    ULONG fault = emu_enter(FN_GetQueuedCompletionStatus);
    if (fault) { emu_set_last_error(fault); if (ov) *ov = NULL; return FALSE; }
    if (bytes == NULL || key == NULL || ov == NULL) { emu_set_last_error(ERROR_INVALID_PARAMETER); return FALSE; }
    packet pk;
    ULONG err = NO_ERROR;
    if (port_take(port, &pk, 1, ms, &err) == 0) {
        *ov = NULL;
        emu_set_last_error(err);
        return FALSE;
    }
    *bytes = pk.bytes;
    *key = pk.key;
    *ov = pk.ov;
    /* A dequeued packet of a failed operation returns FALSE with its error (F-87). The status is the
     * packet's: the OVERLAPPED is the caller's memory again once the operation completed. */
    ULONG st = pk.ntstatus;
    if (pk.ov != NULL && st != STATUS_SUCCESS) {
        emu_set_last_error(RtlNtStatusToDosError(st));
        return FALSE;
    }
    return TRUE;
}

EMU_EXPORT BOOL GetQueuedCompletionStatusEx(HANDLE port, LPOVERLAPPED_ENTRY entries, ULONG count, PULONG removed,
                                            DWORD ms, BOOL alertable)
{
    (void)alertable;
    ULONG fault = emu_enter(FN_GetQueuedCompletionStatusEx);
    if (fault) { emu_set_last_error(fault); return FALSE; }
    if (entries == NULL || count == 0 || removed == NULL) { emu_set_last_error(ERROR_INVALID_PARAMETER); return FALSE; }
    packet pk[64];
    if (count > 64) count = 64;
    ULONG err = NO_ERROR;
    ULONG n = port_take(port, pk, count, ms, &err);
    *removed = n;
    if (n == 0) { emu_set_last_error(err); return FALSE; }
    for (ULONG i = 0; i < n; i++) {
        entries[i].lpCompletionKey = pk[i].key;
        entries[i].lpOverlapped = pk[i].ov;
        entries[i].Internal = pk[i].ntstatus; /* from the packet, never from the caller's OVERLAPPED */
        entries[i].dwNumberOfBytesTransferred = pk[i].bytes;
    }
    return TRUE;
}

EMU_EXPORT BOOL PostQueuedCompletionStatus(HANDLE port, DWORD bytes, ULONG_PTR key, LPOVERLAPPED ov)
{
    ULONG fault = emu_enter(FN_PostQueuedCompletionStatus);
    if (fault) { emu_set_last_error(fault); return FALSE; }
    pthread_mutex_lock(&g_emu_lock);
    emu_port *p = emu_port_from_handle(port);
    if (p != NULL) emu_port_post(p, key, ov, STATUS_SUCCESS, bytes);
    pthread_mutex_unlock(&g_emu_lock);
    if (p == NULL) { emu_set_last_error(ERROR_INVALID_HANDLE); return FALSE; }
    return TRUE;
}

EMU_EXPORT BOOL CancelIoEx(HANDLE h, LPOVERLAPPED ov)
{
    ULONG fault = emu_enter(FN_CancelIoEx);
    if (fault) { emu_set_last_error(fault); return FALSE; }
    pthread_mutex_lock(&g_emu_lock);
    ULONG err = emu_is_queue(h) ? emu_queue_cancel_io(h, ov) : ERROR_INVALID_HANDLE;
    pthread_mutex_unlock(&g_emu_lock);
    if (err != NO_ERROR) { emu_set_last_error(err); return FALSE; }
    return TRUE;
}

EMU_EXPORT BOOL SetFileCompletionNotificationModes(HANDLE h, UCHAR flags)
{
    ULONG fault = emu_enter(FN_SetFileCompletionNotificationModes);
    if (fault) { emu_set_last_error(fault); return FALSE; }
    pthread_mutex_lock(&g_emu_lock);
    ULONG err = emu_is_queue(h) ? emu_queue_set_skip(h, (flags & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) != 0)
                                : ERROR_INVALID_HANDLE;
    pthread_mutex_unlock(&g_emu_lock);
    if (err != NO_ERROR) { emu_set_last_error(err); return FALSE; }
    return TRUE;
}

EMU_EXPORT BOOL CloseHandle(HANDLE h)
{
    ULONG fault = emu_enter(FN_CloseHandle);
    if (fault) { emu_set_last_error(fault); return FALSE; }
    pthread_mutex_lock(&g_emu_lock);
    ULONG err = NO_ERROR;
    emu_port *p = emu_port_from_handle(h);
    if (p != NULL) {
        emu_port **pp = &g_ports;
        while (*pp != p) pp = &(*pp)->next;
        *pp = p->next;
        pthread_mutex_lock(&p->lock);
        p->closed = 1; /* waiters return ERROR_ABANDONED_WAIT_0 */
        p->count = 0;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        emu_count(CNT_PORTS, -1);
        emu_port_unref(p);
    } else if (emu_is_queue(h)) {
        err = emu_queue_close(h);
    } else if (emu_token_close(h)) {
        err = NO_ERROR; /* F-139: the application closes the access token it was handed */
    } else {
        err = ERROR_INVALID_HANDLE;
    }
    pthread_mutex_unlock(&g_emu_lock);
    if (err != NO_ERROR) { emu_set_last_error(err); return FALSE; }
    return TRUE;
}
