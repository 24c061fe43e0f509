/*
 * rawserver: the ceiling any binding can reach — a server written directly against the HTTP Server
 * API (Windows C, compiled here against the emulator's headers): overlapped receives on one
 * completion port drained by a few threads, each request answered inline.
 *   GET /hello      -> "hello"
 *   GET /cached     -> "hello", Cache-Control: public, max-age=60, sent with a time-to-live cache
 *                      policy so HTTP.sys may answer later requests from its response cache
 *   GET /download   -> 1 MiB
 *   POST /upload    -> reads the body, answers its length
 * Usage: rawserver PORT [THREADS [PEM]]
 *   PEM: https on PORT, TLS by HTTP.sys with the certificate and key in PEM (on the emulator: imported into
 *   its store with HttpEmuAddCertificate, then bound to 0.0.0.0:PORT as netsh http add sslcert does).
 */
#include <arpa/inet.h>
#include <http.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECEIVES 8
#define BUF 16384

typedef struct recv_op {
    OVERLAPPED ov; /* first: the completion's OVERLAPPED is the op */
    __attribute__((aligned(8))) char buf[BUF];
} recv_op;

/* http.h declares HTTP_CACHE_POLICY but not the HTTP_CACHE_POLICY_TYPE values; Windows' order:
 * HttpCachePolicyNocache = 0, HttpCachePolicyUserInvalidates = 1, HttpCachePolicyTimeToLive = 2. */
#define RAW_CACHE_POLICY_TIME_TO_LIVE 2

static HANDLE g_queue, g_port;
static char *g_mib;

static void post(recv_op *op)
{
    memset(&op->ov, 0, sizeof(op->ov));
    ULONG rc = HttpReceiveHttpRequest(g_queue, HTTP_NULL_ID, 0, (PHTTP_REQUEST)op->buf, BUF, NULL, &op->ov);
    if (rc != NO_ERROR && rc != ERROR_IO_PENDING) fprintf(stderr, "receive: %u\n", rc);
}

static void respond_cached(HTTP_REQUEST_ID id, const char *body, ULONG len, const char *cache_control,
                           PHTTP_CACHE_POLICY policy)
{
    HTTP_RESPONSE r;
    memset(&r, 0, sizeof(r));
    r.StatusCode = 200;
    r.pReason = "OK";
    r.ReasonLength = 2;
    r.Headers.KnownHeaders[HttpHeaderContentType].pRawValue = "text/plain";
    r.Headers.KnownHeaders[HttpHeaderContentType].RawValueLength = 10;
    char cl[16];
    if (cache_control != NULL) {
        int l = snprintf(cl, sizeof(cl), "%u", len);
        r.Headers.KnownHeaders[HttpHeaderContentLength].pRawValue = cl;
        r.Headers.KnownHeaders[HttpHeaderContentLength].RawValueLength = (USHORT)l;
        r.Headers.KnownHeaders[HttpHeaderCacheControl].pRawValue = cache_control;
        r.Headers.KnownHeaders[HttpHeaderCacheControl].RawValueLength = (USHORT)strlen(cache_control);
    }
    HTTP_DATA_CHUNK ch;
    ch.DataChunkType = HttpDataChunkFromMemory;
    ch.FromMemory.pBuffer = (void *)body;
    ch.FromMemory.BufferLength = len;
    r.EntityChunkCount = 1;
    r.pEntityChunks = &ch;
    HttpSendHttpResponse(g_queue, id, 0, &r, policy, NULL, NULL, 0, NULL, NULL);
}

static void respond(HTTP_REQUEST_ID id, const char *body, ULONG len)
{
    respond_cached(id, body, len, NULL, NULL);
}

static void handle(HTTP_REQUEST *req)
{
    const char *url = req->pRawUrl;
    if (strncmp(url, "/cached", 7) == 0) {
        HTTP_CACHE_POLICY policy = {RAW_CACHE_POLICY_TIME_TO_LIVE, 60};
        respond_cached(req->RequestId, "hello", 5, "public, max-age=60", &policy);
    } else if (strncmp(url, "/download", 9) == 0) {
        respond(req->RequestId, g_mib, 1 << 20);
    } else if (strncmp(url, "/upload", 7) == 0) {
        static __thread char body[65536];
        unsigned long long total = 0;
        ULONG n = 0;
        while (HttpReceiveRequestEntityBody(g_queue, req->RequestId, 0, body, sizeof(body), &n, NULL) == NO_ERROR) total += n;
        char out[32];
        int l = snprintf(out, sizeof(out), "%llu", total);
        respond(req->RequestId, out, (ULONG)l);
    } else {
        respond(req->RequestId, "hello", 5);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        OVERLAPPED_ENTRY e[16];
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(g_port, e, 16, &n, INFINITE, FALSE)) return NULL;
        for (ULONG i = 0; i < n; i++) {
            recv_op *op = (recv_op *)e[i].lpOverlapped;
            if (op == NULL) return NULL;
            if (RtlNtStatusToDosError((ULONG)e[i].Internal) == NO_ERROR) handle((HTTP_REQUEST *)op->buf);
            post(op);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: rawserver PORT [THREADS]\n"); return 2; }
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    g_mib = malloc(1 << 20);
    memset(g_mib, 'x', 1 << 20);
    HTTPAPI_VERSION v = HTTPAPI_VERSION_2;
    HTTP_SERVER_SESSION_ID session;
    HTTP_URL_GROUP_ID group;
    if (HttpInitialize(v, HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG, NULL) || HttpCreateServerSession(v, &session, 0) ||
        HttpCreateUrlGroup(session, &group, 0) || HttpCreateRequestQueue(v, NULL, NULL, 0, &g_queue)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    const char *scheme = "http";
    if (argc > 3) {
        UCHAR thumb[20];
        SOCKADDR_IN a;
        memset(&a, 0, sizeof(a));
        a.sin_family = WIN_AF_INET;
        a.sin_port = htons((uint16_t)atoi(argv[1]));
        HTTP_SERVICE_CONFIG_SSL_SET set;
        memset(&set, 0, sizeof(set));
        set.KeyDesc.pIpPort = (PSOCKADDR)&a;
        set.ParamDesc.SslHashLength = sizeof(thumb);
        set.ParamDesc.pSslHash = thumb;
        ULONG e = HttpEmuAddCertificate(argv[3], thumb);
        if (e == NO_ERROR) e = HttpSetServiceConfiguration(NULL, HttpServiceConfigSSLCertInfo, &set, sizeof(set), NULL);
        if (e) { fprintf(stderr, "TLS binding of %s: %u\n", argv[3], e); return 1; }
        scheme = "https";
    }
    HTTP_BINDING_INFO b = {{1}, g_queue};
    HttpSetUrlGroupProperty(group, HttpServerBindingProperty, &b, sizeof(b));
    char url[64];
    WCHAR wurl[64];
    snprintf(url, sizeof(url), "%s://+:%s/", scheme, argv[1]);
    for (int i = 0; i < 64; i++) { wurl[i] = (WCHAR)(unsigned char)url[i]; if (!url[i]) break; }
    ULONG rc = HttpAddUrlToUrlGroup(group, wurl, 0, 0);
    if (rc) { fprintf(stderr, "add url: %u\n", rc); return 1; }
    g_port = CreateIoCompletionPort(g_queue, NULL, 0, 0);
    static recv_op ops[RECEIVES];
    for (int i = 0; i < RECEIVES; i++) post(&ops[i]);
    printf("LISTENING %s\n", argv[1]);
    fflush(stdout);
    pthread_t t[16];
    for (int i = 0; i < threads && i < 16; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < threads && i < 16; i++) pthread_join(t[i], NULL);
    return 0;
}
