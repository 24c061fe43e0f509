/*
 * api: the exported HTTP Server API functions: sessions, URL groups and prefixes (§13), request
 * queues (F-17..F-20, F-84, F-94), receiving requests and bodies (§4, §5), sending responses (§6),
 * disconnect waits (§8), cancellation (§9), and how each operation completes (§10).
 */
#define _GNU_SOURCE
#include "server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUEUE_MAGIC 0x51554555u

pthread_cond_t g_sync_cond = PTHREAD_COND_INITIALIZER;
static int g_init_count;
static int g_config_count; /* HttpInitialize calls with HTTP_INITIALIZE_CONFIG (F-112) */
static ULONGLONG g_next_id = 0x1000000000000001ull;
static session *g_sessions;
static group *g_groups;
static url *g_urls;
static queue *g_queues;

#define REQ_BUCKETS 4096
static req *g_reqs[REQ_BUCKETS];

ULONGLONG emu_next_id(void) { return g_next_id++; }

req *emu_req_find(ULONGLONG id)
{
    for (req *r = g_reqs[id % REQ_BUCKETS]; r != NULL; r = r->hnext)
        if (r->id == id) return r;
    return NULL;
}

static queue *queue_from_handle(HANDLE h)
{
    for (queue *q = g_queues; q != NULL; q = q->next)
        if ((HANDLE)q == h) return q;
    return NULL;
}

int emu_is_queue(HANDLE h) { return queue_from_handle(h) != NULL; }

static session *session_find(ULONGLONG id)
{
    for (session *s = g_sessions; s; s = s->next)
        if (s->id == id) return s;
    return NULL;
}

static group *group_find(ULONGLONG id)
{
    for (group *g = g_groups; g; g = g->next)
        if (g->id == id) return g;
    return NULL;
}

/* ---- operations ---- */

static op *op_new(int kind, queue *q, OVERLAPPED *ov)
{
    op *o = calloc(1, sizeof(*o));
    if (o == NULL) return NULL;
    o->kind = kind;
    o->q = q;
    o->ov = ov;
    o->sync = ov == NULL;
    if (ov) {
        ov->Internal = STATUS_PENDING;
        ov->InternalHigh = 0;
    }
    return o;
}

static void ranges_add(emu_ranges *g, const void *p, size_t len)
{
    if (!emu_strict() || p == NULL || len == 0) return;
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 16;
        void *v = realloc(g->v, nc * sizeof(g->v[0]));
        if (v == NULL) abort();
        g->v = v;
        g->cap = nc;
    }
    g->v[g->n].p = (void *)p;
    g->v[g->n].len = len;
    g->n++;
}

/* Strict mode: the operation is over, so what it was given is the caller's again: overwrite it now,
 * before the caller hears of the completion, so a buffer freed, reused or shared early shows up. */
static void op_release_given(op *o)
{
    for (size_t i = 0; i < o->given.n; i++) emu_poison(o->given.v[i].p, o->given.v[i].len);
    free(o->given.v);
    memset(&o->given, 0, sizeof(o->given));
}

/* Strict mode: a receive buffer beyond what was written holds nothing the caller may read. */
void emu_poison_tail(void *buf, size_t len, size_t used)
{
    if (emu_strict() && used < len) emu_poison((char *)buf + used, len - used);
}

/* Completes an operation: an overlapped one leaves its status in OVERLAPPED and queues one packet
 * to the associated port (F-87), unless it completed inline with success on a skip-mode handle
 * (F-89); a synchronous one wakes its caller. inline_call: completed inside the API call. The
 * OVERLAPPED is written here and only here, at completion: a caller that reused it while the
 * operation was pending is counted (CompletionsNotPending). */
void emu_op_complete(op *o, ULONG err, ULONG bytes, int inline_call)
{
    if (!inline_call) emu_count(CNT_PENDING, -1);
    op_release_given(o);
    if (o->sync) {
        o->done = 1;
        o->result = err;
        o->result_bytes = bytes;
        pthread_cond_broadcast(&g_sync_cond);
        return; /* the waiting caller frees it */
    }
    if (__atomic_load_n(&o->ov->Internal, __ATOMIC_RELAXED) != STATUS_PENDING) emu_count(CNT_NOT_PENDING, 1);
    o->ov->InternalHigh = bytes;
    o->ov->Internal = emu_win32_to_ntstatus(err);
    if (o->q && o->q->port && !(inline_call && err == NO_ERROR && o->q->skip_on_success))
        emu_port_post(o->q->port, o->q->key, o->ov, emu_win32_to_ntstatus(err), bytes);
    else if (o->late_port != NULL)
        emu_port_post(o->late_port, o->late_key, o->ov, emu_win32_to_ntstatus(err), bytes);
    if (o->late_port != NULL) emu_port_unref(o->late_port);
    free(o);
}

/* Ends an API call whose operation could not complete inline: pending, or wait when synchronous. */
static ULONG op_pend(op *o, ULONG *bytes_out)
{
    emu_count(CNT_PENDING, 1);
    if (!o->sync) return ERROR_IO_PENDING;
    while (!o->done) pthread_cond_wait(&g_sync_cond, &g_emu_lock);
    ULONG err = o->result;
    if (bytes_out) *bytes_out = o->result_bytes;
    free(o);
    return err;
}

/* Ends an API call whose operation completed inline. */
static ULONG op_inline(op *o, ULONG err, ULONG bytes, ULONG *bytes_out)
{
    if (bytes_out) *bytes_out = bytes;
    if (o->sync) {
        op_release_given(o);
        free(o);
        return err;
    }
    emu_op_complete(o, err, bytes, 1);
    return err;
}

/* F-184: requests whose body the client cut short, so the next body read by their id fails with
 * ERROR_OPERATION_ABORTED after the request itself is gone. A small ring: only the next read matters. */
#define CUT_MAX 64
static struct { ULONGLONG id; const queue *q; } g_cut[CUT_MAX];
static unsigned g_cut_next;

void emu_req_remember_cut(const req *r)
{
    g_cut[g_cut_next % CUT_MAX].id = r->id;
    g_cut[g_cut_next % CUT_MAX].q = r->q;
    g_cut_next++;
}

static int take_cut(const queue *q, ULONGLONG id)
{
    for (int i = 0; i < CUT_MAX; i++) {
        if (g_cut[i].id == id && g_cut[i].q == q && id != 0) {
            g_cut[i].id = 0;
            return 1;
        }
    }
    return 0;
}

static void forget_cuts(const queue *q)
{
    for (int i = 0; i < CUT_MAX; i++)
        if (g_cut[i].q == q) g_cut[i].id = 0;
}

void emu_req_fail_ops(req *r, ULONG read_err, ULONG send_err)
{
    (void)send_err;
    while (r->body_ops) {
        op *b = r->body_ops;
        r->body_ops = b->next;
        emu_op_complete(b, read_err, 0, 0);
    }
}

static void req_unqueue(req *r)
{
    queue *q = r->q;
    if (q == NULL || r->state != R_QUEUED) return;
    req **pp = &q->ready_head;
    req *prev = NULL;
    while (*pp && *pp != r) { prev = *pp; pp = &(*pp)->qnext; }
    if (*pp) {
        *pp = r->qnext;
        if (q->ready_tail == r) q->ready_tail = prev;
        q->ready_count--;
    }
}

void emu_req_free(req *r)
{
    req_unqueue(r);
    if (r->c != NULL && r->c->h2parent != NULL && r->body_len > 0) emu_h2_consumed(r->c, r->body_len); /* nobody reads it */
    req **pp = &g_reqs[r->id % REQ_BUCKETS];
    while (*pp && *pp != r) pp = &(*pp)->hnext;
    if (*pp) *pp = r->hnext;
    emu_auth_req_free(r);
    free(r->head);
    free(r->cooked_path);
    free(r->body);
    free(r);
    emu_count(CNT_REQUESTS, -1);
}

void emu_effective_timeouts(conn *c, timeouts *out)
{
    /* F-98: the first request of a connection uses the machine-wide values; F-99: group > session. */
    timeouts d = {DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S, 150};
    group *g = c->g;
    if (g != NULL) {
        const timeouts *gs = &g->to, *ss = &g->s->to;
#define PICK(f) d.f = gs->f ? gs->f : ss->f ? ss->f : d.f
        PICK(entity_body); PICK(drain); PICK(request_queue);
        if (c->served > 0) { PICK(idle); PICK(header_wait); }
#undef PICK
    }
    *out = d;
}

/* ---- URL prefixes (§13) ---- */

ULONG emu_parse_prefix(PCWSTR w, url *u)
{
    char s[1400];
    size_t n = 0;
    if (w == NULL) return ERROR_INVALID_PARAMETER;
    for (; w[n]; n++) {
        if (n + 1 >= sizeof(s) || w[n] > 0x7e || w[n] < 0x21) return ERROR_INVALID_PARAMETER;
        s[n] = (char)w[n];
    }
    s[n] = 0;
    const char *p;
    if (strncmp(s, "https://", 8) == 0) u->tls = 1; /* F-119: no certificate binding needed to register */
    else if (strncmp(s, "http://", 7) != 0) return ERROR_INVALID_PARAMETER;  /* F-102: lower-case scheme */
    p = s + (u->tls ? 8 : 7);
    const char *host_end;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (host_end == NULL) return ERROR_INVALID_PARAMETER;
        host_end++;
    } else {
        host_end = p;
        while (*host_end && *host_end != ':' && *host_end != '/') host_end++;
    }
    size_t hl = (size_t)(host_end - p);
    if (hl == 0 || hl >= sizeof(u->host) || *host_end != ':') return ERROR_INVALID_PARAMETER; /* F-103 */
    if (hl == 1 && *p == '+') u->host_kind = HOST_STRONG;
    else if (hl == 1 && *p == '*') u->host_kind = HOST_WEAK;
    else u->host_kind = HOST_NAMED;
    for (size_t i = 0; i < hl; i++) u->host[i] = (char)tolower_ascii(p[i]);
    u->host[hl] = 0;
    const char *port = host_end + 1;
    int pv = 0;
    const char *q = port;
    while (*q >= '0' && *q <= '9') { pv = pv * 10 + (*q - '0'); if (pv > 65535) return ERROR_INVALID_PARAMETER; q++; }
    if (q == port || *port == '0' || pv < 1 || *q != '/') return ERROR_INVALID_PARAMETER; /* F-102, F-103 */
    u->port = pv;
    if (strchr(q, '?') || strchr(q, '#')) return ERROR_INVALID_PARAMETER;
    size_t pl = strlen(q);
    if (pl + 2 >= sizeof(u->path)) return ERROR_INVALID_PARAMETER;
    for (size_t i = 0; i < pl; i++) u->path[i] = (char)tolower_ascii(q[i]);
    if (u->path[pl - 1] != '/') u->path[pl++] = '/'; /* F-104 */
    u->path[pl] = 0;
    u->path_len = pl;
    snprintf(u->text, sizeof(u->text), "%s://%s:%d%s", u->tls ? "https" : "http", u->host, u->port, u->path);
    return NO_ERROR;
}

/* Does a registered path prefix match this (lower-cased) path, by whole segments (F-108)? */
static int path_matches(const url *u, const char *path, size_t len)
{
    if (len >= u->path_len) return strncmp(path, u->path, u->path_len) == 0;
    return len + 1 == u->path_len && strncmp(path, u->path, len) == 0; /* "/foo" matches "/foo/" */
}

/* Routing (F-107, F-108): strong wildcard, then explicit host, then weak wildcard; the longest
 * path within the first category that matches. Returns NULL and *status when nothing does. */
static url *route(int port, const char *host, size_t host_len, const char *path, size_t path_len, int *status)
{
    char lpath[4096];
    if (path_len >= sizeof(lpath)) path_len = sizeof(lpath) - 1;
    for (size_t i = 0; i < path_len; i++) lpath[i] = (char)tolower_ascii(path[i]);
    int any_on_port = 0, host_known = 0;
    for (int kind = HOST_STRONG; kind <= HOST_WEAK; kind++) {
        url *best = NULL;
        for (url *u = g_urls; u; u = u->next) {
            if (u->port != port || u->host_kind != kind) continue;
            any_on_port = 1;
            if (kind == HOST_NAMED && (strlen(u->host) != host_len || strncasecmp(u->host, host, host_len) != 0))
                continue;
            host_known = 1;
            if (path_matches(u, lpath, path_len) && (best == NULL || u->path_len > best->path_len)) best = u;
        }
        if (best) return best;
    }
    /* F-70: a host nobody registered → 400 Invalid Hostname; F-92: a known host, no path → 404. */
    *status = (!any_on_port || !host_known) ? 400 : 404;
    return NULL;
}

int emu_queue_serves(const queue *q, int tls, const char *host, int port, const char *path, size_t path_len)
{
    for (url *u = g_urls; u; u = u->next) {
        if (u->g->q != q || u->tls != tls || u->port != port) continue;
        if (u->host_kind == HOST_NAMED && strcmp(u->host, host) != 0) continue;
        if (path_matches(u, path, path_len)) return 1;
    }
    return 0;
}

/* ---- requests ---- */

static void req_put_host(req *r)
{
    /* The cooked URL's host comes from an absolute-form target, else Host, else the local address (F-35, F-37). */
    const emu_head *h = &r->h;
    const char *src = NULL;
    size_t len = 0;
    if (h->target[0] != '/' && h->target[0] != '*') {
        const char *a = h->target + (h->target[4] == 's' || h->target[4] == 'S' ? 8 : 7);
        const char *e = a;
        while (e < h->target + h->target_len && *e != '/' && *e != '?') e++;
        src = a;
        len = (size_t)(e - a);
    } else if (h->host != NULL && h->host_len > 0) {
        src = h->host;
        len = h->host_len;
    }
    if (src != NULL && len < sizeof(r->host)) {
        memcpy(r->host, src, len);
        r->host[len] = 0;
    } else {
        /* No Host (HTTP/1.0): the local address the request came in on (F-35). */
        char ip[INET6_ADDRSTRLEN] = "localhost";
        const struct sockaddr_storage *ss = &r->c->local;
        if (ss->ss_family == AF_INET6) {
            const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
            if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], ip, sizeof(ip));
            else { ip[0] = '['; inet_ntop(AF_INET6, &a6->sin6_addr, ip + 1, sizeof(ip) - 2); strcat(ip, "]"); }
        } else {
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
        }
        snprintf(r->host, sizeof(r->host), "%s:%d", ip, r->c->l->port);
    }
    /* The host piece always carries the port (F-35); an IPv6 literal's colons are inside its brackets. */
    const char *after_host = r->host[0] == '[' && strchr(r->host, ']') ? strchr(r->host, ']') : r->host;
    if (strchr(after_host, ':') == NULL) {
        size_t l = strlen(r->host);
        snprintf(r->host + l, sizeof(r->host) - l, ":%d", r->c->l->port);
    }
}

int emu_route_request(conn *c, req *r)
{
    const emu_head *h = &r->h;
    /* Path of the target: after an absolute-form authority, up to the query. */
    const char *path = h->target;
    const char *end = h->target + h->target_len;
    if (path[0] != '/' && path[0] != '*') {
        path += (path[4] == 's' || path[4] == 'S') ? 8 : 7;
        while (path < end && *path != '/') path++;
        if (path == end) path = "/", end = path + 1;
    }
    const char *qm = memchr(path, '?', (size_t)(end - path));
    if (qm) end = qm;
    if (path[0] == '*') { path = "/"; end = path + 1; } /* OPTIONS * (F-40) routes to the root */
    r->cooked_path = malloc((size_t)(end - path) + 2);
    if (r->cooked_path == NULL) abort();
    long cl = emu_cook_path(path, (size_t)(end - path), r->cooked_path);
    req_put_host(r);
    int status = 0;
    url *u = NULL;
    if (cl < 0) {
        status = 400; /* F-40: bad escapes or UTF-8 */
    } else {
        r->cooked_path_len = (size_t)cl;
        const char *hp = r->host;
        const char *colon = hp[0] == '[' ? strchr(hp, ']') : hp;
        colon = colon ? strchr(colon, ':') : NULL;
        size_t hl = colon ? (size_t)(colon - hp) : strlen(hp);
        u = route(c->l->port, hp, hl, r->cooked_path, r->cooked_path_len, &status);
    }
    queue *q = u ? u->g->q : NULL;
    if (u != NULL && (q == NULL || q->inactive || u->g->inactive || u->g->s->inactive || q->shutdown)) {
        status = 503; /* F-93: no queue bound, or not accepting */
        u = NULL;
    }
    if (u == NULL) {
        c->cur = NULL;
        free(r->head);
        free(r->cooked_path);
        free(r);
        emu_conn_reject(c, status);
        return 0;
    }
    group *g = u->g;
    ULONG limit = g->max_connections != HTTP_LIMIT_INFINITE ? g->max_connections : g->s->max_connections;
    int new_to_group = c->g != g;
    /* F-165: a request the kernel cache answers never reaches the queue, so a full one does not refuse it. */
    const struct centry *cached = emu_cache_lookup(c, r, g, q);
    if ((q->ready_count >= q->max_length && cached == NULL) ||
        (new_to_group && limit != HTTP_LIMIT_INFINITE && g->connections >= (long)limit)) {
        /* F-94: a full queue or the connection limit: reset (Basic) or 503 (Limited, Full). */
        c->cur = NULL;
        free(r->head);
        free(r->cooked_path);
        free(r);
        emu_conn_reject(c, q->verbosity == Http503ResponseVerbosityBasic ? 0 : 503);
        return 0;
    }
    if (new_to_group) {
        if (c->g) c->g->connections--;
        c->g = g;
        g->connections++;
    }
    r->g = g;
    if (cached != NULL) {
        emu_cache_replay(c, r, cached);
        free(r->head);
        free(r->cooked_path);
        free(r);
        return 1;
    }
    /* F-133..F-137: authenticated before it is queued; a 400, or an intermediate leg, never reaches the app */
    int auth = emu_auth_request(c, r, g);
    if (auth != EMU_AUTH_DELIVER) {
        c->cur = NULL;
        emu_auth_req_free(r);
        free(r->head);
        free(r->cooked_path);
        free(r);
        if (auth != EMU_AUTH_ANSWERED) emu_conn_reject(c, auth);
        return 0;
    }
    r->id = emu_next_id();
    r->q = q;
    r->g = g;
    r->ctx = u->ctx;
    r->state = R_QUEUED;
    r->queued_at = emu_now();
    r->hnext = g_reqs[r->id % REQ_BUCKETS];
    g_reqs[r->id % REQ_BUCKETS] = r;
    emu_count(CNT_REQUESTS, 1);
    if (q->ready_tail) q->ready_tail->qnext = r;
    else q->ready_head = r;
    q->ready_tail = r;
    r->qnext = NULL;
    q->ready_count++;
    emu_queue_dispatch(q);
    return 0;
}

/* Hands the request to a receive: NO_ERROR (delivered) or ERROR_MORE_DATA (bound to its id, F-27). */
static ULONG deliver(req *r, ULONG flags, void *buf, ULONG len, ULONG *used)
{
    size_t taken = 0;
    /* F-43: COPY_BODY delivers the body bytes that have arrived with the head (without waiting). */
    conn *c = r->c;
    if (flags & HTTP_RECEIVE_REQUEST_FLAG_COPY_BODY) emu_conn_feed(c);
    if (c->closed || c->cur != r) return ERROR_CONNECTION_INVALID; /* r was freed (bad chunking) */
    /* The caller's buffer is written here, when the receive completes, never while it is pending. */
    ULONG err = emu_fill_request(r, flags, buf, len, used, &taken);
    emu_poison_tail(buf, len, err == ERROR_MORE_DATA ? sizeof(HTTP_REQUEST_V1) : *used);
    if (err == ERROR_MORE_DATA) {
        req_unqueue(r);
        r->state = R_BOUND;
        return err;
    }
    req_unqueue(r);
    r->state = R_ACTIVE;
    r->body_activity = emu_now();
    if (taken > 0) {
        emu_body_consume(r, taken);
        if (r->body_len == 0 && r->body_complete) r->body_eof_seen = 0;
    }
    emu_conn_process(r->c); /* body bytes that arrived with the head may flow now */
    return NO_ERROR;
}

void emu_queue_dispatch(queue *q)
{
    while (q->recv_head && q->ready_head) {
        op *o = q->recv_head;
        q->recv_head = o->next;
        if (q->recv_head == NULL) q->recv_tail = NULL;
        req *r = q->ready_head;
        ULONG used = 0;
        ULONG err = deliver(r, o->flags, o->buf, o->len, &used);
        emu_op_complete(o, err, used, 0);
    }
}

void emu_body_consume(req *r, size_t n)
{
    r->body_off += n;
    r->body_len -= n;
    if (r->body_len == 0) r->body_off = 0; /* empty: write from the start again, no copying */
    if (r->c->h2parent != NULL) emu_h2_consumed(r->c, n); /* h2: read bytes open the window again */
}

/* Serves pending body reads from the request's body buffer; EOF once all was read (F-45..F-47). */
void emu_req_deliver_body(req *r)
{
    while (r->body_ops && (r->body_len > 0 || r->body_complete)) {
        op *o = r->body_ops;
        if (r->body_len == 0) {
            r->body_ops = o->next;
            r->body_eof_seen = 1;
            emu_op_complete(o, ERROR_HANDLE_EOF, 0, 0);
            continue;
        }
        size_t n = r->body_len < o->len ? r->body_len : o->len;
        if ((o->flags & HTTP_RECEIVE_REQUEST_ENTITY_BODY_FLAG_FILL_BUFFER) && n < o->len && !r->body_complete &&
            r->body_len < BODY_BUFFER_MAX)
            break;
        r->body_ops = o->next;
        memcpy(o->buf, r->body + r->body_off, n); /* written at completion only */
        emu_poison_tail(o->buf, o->len, n);
        emu_body_consume(r, n);
        emu_op_complete(o, NO_ERROR, (ULONG)n, 0);
    }
    /* The caller (emu_conn_process) goes on reading: no recursion here. */
}

/* After the final response is on the wire: drain an unread body (F-49), then the next request. */
void emu_req_finished_send(req *r)
{
    conn *c = r->c;
    if (c->h2parent != NULL) { emu_h2_req_finished(r); return; } /* no drain, no next request on a stream */
    if (!r->body_complete && !r->close_after && !r->opaque) {
        r->final_at = emu_now();
        r->body_len = r->body_off = 0;
        emu_conn_process(c);
        return;
    }
    /* F-150: an opaque stream's final send ends the connection (FIN after its bytes): nothing HTTP follows. */
    int close = r->close_after || !r->body_complete || r->opaque;
    c->cur = NULL;
    c->served++;
    emu_req_fail_ops(r, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID);
    emu_req_free(r);
    if (close) {
        c->close_after_flush = 1;
        emu_conn_kick(c);
        return;
    }
    c->last_activity = emu_now();
    emu_conn_process(c); /* a pipelined request may be waiting (F-67) */
    if (!c->closed && c->cur == NULL && c->in_len == 0 && c->in != NULL) {
        /* An idle keep-alive connection keeps no buffer: a few hundred bytes, not kilobytes. */
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
}

/* ---- exported: init, sessions, groups ---- */

static ULONG check_init(void) { return g_init_count > 0 ? NO_ERROR : ERROR_DLL_INIT_FAILED; }

int emu_config_initialized(void) { return g_config_count > 0; }

EMU_EXPORT ULONG HttpInitialize(HTTPAPI_VERSION v, ULONG flags, PVOID reserved)
{
    ULONG f = emu_enter(FN_HttpInitialize);
    if (f) return f;
    if (reserved != NULL || (flags & ~(HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG)) || flags == 0)
        return ERROR_INVALID_PARAMETER;
    if (!((v.HttpApiMajorVersion == 1 || v.HttpApiMajorVersion == 2) && v.HttpApiMinorVersion == 0))
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_emu_lock);
    g_init_count++;
    if (flags & HTTP_INITIALIZE_CONFIG) g_config_count++;
    pthread_mutex_unlock(&g_emu_lock);
    return NO_ERROR; /* F-8 */
}

EMU_EXPORT ULONG HttpTerminate(ULONG flags, PVOID reserved)
{
    ULONG f = emu_enter(FN_HttpTerminate);
    if (f) return f;
    if (reserved != NULL || (flags & ~(HTTP_INITIALIZE_SERVER | HTTP_INITIALIZE_CONFIG))) return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_emu_lock);
    if (g_init_count > 0) g_init_count--;
    if ((flags & HTTP_INITIALIZE_CONFIG) && g_config_count > 0) g_config_count--;
    pthread_mutex_unlock(&g_emu_lock);
    return NO_ERROR; /* F-9 */
}

EMU_EXPORT ULONG HttpCreateServerSession(HTTPAPI_VERSION v, PHTTP_SERVER_SESSION_ID id, ULONG reserved)
{
    ULONG f = emu_enter(FN_HttpCreateServerSession);
    if (f) return f;
    if (id == NULL || reserved != 0) return ERROR_INVALID_PARAMETER; /* F-10 */
    if (!((v.HttpApiMajorVersion == 2 || v.HttpApiMajorVersion == 1) && v.HttpApiMinorVersion == 0))
        return ERROR_REVISION_MISMATCH;
    pthread_mutex_lock(&g_emu_lock);
    /* F-191: before HttpInitialize there is no driver handle to create the session on. */
    ULONG err = g_init_count > 0 ? NO_ERROR : ERROR_INVALID_HANDLE;
    if (err == NO_ERROR) {
        session *s = calloc(1, sizeof(*s));
        if (s == NULL) err = ERROR_NOT_ENOUGH_MEMORY;
        else {
            s->id = emu_next_id();
            s->max_connections = HTTP_LIMIT_INFINITE;
            s->next = g_sessions;
            g_sessions = s;
            *id = s->id;
            emu_count(CNT_SESSIONS, 1);
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

static void url_free(url *u)
{
    emu_cache_drop_url(u); /* the cache entries under it go with it */
    url **pp = &g_urls;
    while (*pp != u) pp = &(*pp)->next;
    *pp = u->next;
    emu_listener_release(u->l);
    free(u);
}

static void group_free(group *g)
{
    for (url *u = g_urls, *n; u; u = n) {
        n = u->next;
        if (u->g == g) url_free(u);
    }
    group **pp = &g_groups;
    while (*pp != g) pp = &(*pp)->next;
    *pp = g->next;
    emu_count(CNT_GROUPS, -1);
    g->s = NULL;
    free(g);
}


EMU_EXPORT ULONG HttpCloseServerSession(HTTP_SERVER_SESSION_ID id)
{
    ULONG f = emu_enter(FN_HttpCloseServerSession);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    session *s = session_find(id);
    ULONG err = ERROR_INVALID_PARAMETER; /* F-11 */
    if (s != NULL) {
        for (group *g = g_groups, *n; g; g = n) { /* F-11: closes its URL groups too */
            n = g->next;
            if (g->s == s) { emu_conns_forget_group(g); group_free(g); } /* connections forget the group */
        }
        session **pp = &g_sessions;
        while (*pp != s) pp = &(*pp)->next;
        *pp = s->next;
        free(s);
        emu_count(CNT_SESSIONS, -1);
        err = NO_ERROR;
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

static ULONG apply_property(HTTP_SERVER_PROPERTY p, PVOID info, ULONG len, timeouts *to, ULONG *max_conn,
                            int *inactive, emu_auth_cfg *auth)
{
    if (info == NULL || len == 0) return ERROR_INVALID_PARAMETER;
    switch (p) {
    case HttpServerTimeoutsProperty: {
        if (len < sizeof(HTTP_TIMEOUT_LIMIT_INFO)) return ERROR_INVALID_PARAMETER;
        HTTP_TIMEOUT_LIMIT_INFO *t = info;
        if (!t->Flags.Present) return NO_ERROR;
        to->entity_body = t->EntityBody;
        to->drain = t->DrainEntityBody;
        to->request_queue = t->RequestQueue;
        to->idle = t->IdleConnection;
        to->header_wait = t->HeaderWait;
        to->min_send_rate = t->MinSendRate;
        return NO_ERROR;
    }
    case HttpServerQosProperty: {
        if (len < sizeof(HTTP_QOS_SETTING_INFO)) return ERROR_INVALID_PARAMETER;
        HTTP_QOS_SETTING_INFO *qi = info;
        if (qi->QosType == HttpQosSettingTypeConnectionLimit) {
            HTTP_CONNECTION_LIMIT_INFO *cl = qi->QosSetting;
            if (cl == NULL) return ERROR_INVALID_PARAMETER;
            if (cl->Flags.Present) *max_conn = cl->MaxConnections;
            return NO_ERROR;
        }
        return qi->QosType <= HttpQosSettingTypeFlowRate ? NO_ERROR : ERROR_INVALID_PARAMETER;
    }
    case HttpServerStateProperty: {
        if (len < sizeof(HTTP_STATE_INFO)) return ERROR_INVALID_PARAMETER;
        HTTP_STATE_INFO *si = info;
        if (si->Flags.Present) *inactive = si->State == HttpEnabledStateInactive;
        return NO_ERROR;
    }
    case HttpServerAuthenticationProperty:
        return emu_auth_set(auth, info, len); /* F-132 */
    case HttpServerLoggingProperty:
    case HttpServerExtendedAuthenticationProperty:
    case HttpServerChannelBindProperty:
    case HttpServerProtectionLevelProperty:
        return NO_ERROR; /* accepted; not emulated (see docs/emulator.md) */
    default:
        return ERROR_INVALID_PARAMETER;
    }
}

EMU_EXPORT ULONG HttpSetServerSessionProperty(HTTP_SERVER_SESSION_ID id, HTTP_SERVER_PROPERTY p, PVOID info,
                                              ULONG len)
{
    ULONG f = emu_enter(FN_HttpSetServerSessionProperty);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    session *s = session_find(id);
    ULONG err = s == NULL ? ERROR_INVALID_PARAMETER
                          : apply_property(p, info, len, &s->to, &s->max_connections, &s->inactive,
                                                           &s->auth); /* F-21 */
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpCreateUrlGroup(HTTP_SERVER_SESSION_ID sid, PHTTP_URL_GROUP_ID id, ULONG reserved)
{
    ULONG f = emu_enter(FN_HttpCreateUrlGroup);
    if (f) return f;
    if (id == NULL || reserved != 0) return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_emu_lock);
    session *s = session_find(sid);
    ULONG err = ERROR_INVALID_PARAMETER; /* F-12: the output is left untouched */
    if (s != NULL) {
        group *g = calloc(1, sizeof(*g));
        if (g == NULL) err = ERROR_NOT_ENOUGH_MEMORY;
        else {
            g->id = emu_next_id();
            g->s = s;
            g->max_connections = HTTP_LIMIT_INFINITE;
            g->next = g_groups;
            g_groups = g;
            *id = g->id;
            emu_count(CNT_GROUPS, 1);
            err = NO_ERROR;
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}


EMU_EXPORT ULONG HttpCloseUrlGroup(HTTP_URL_GROUP_ID id)
{
    ULONG f = emu_enter(FN_HttpCloseUrlGroup);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    group *g = group_find(id);
    ULONG err = ERROR_INVALID_PARAMETER; /* F-13 */
    if (g != NULL) {
        emu_conns_forget_group(g); /* connections remember their last group: drop it */
        group_free(g);
        err = NO_ERROR;
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpAddUrlToUrlGroup(HTTP_URL_GROUP_ID id, PCWSTR prefix, HTTP_URL_CONTEXT ctx, ULONG reserved)
{
    ULONG f = emu_enter(FN_HttpAddUrlToUrlGroup);
    if (f) return f;
    if (reserved != 0) return ERROR_INVALID_PARAMETER;
    url *u = calloc(1, sizeof(*u));
    if (u == NULL) return ERROR_NOT_ENOUGH_MEMORY;
    ULONG err = emu_parse_prefix(prefix, u); /* F-102, F-103 */
    pthread_mutex_lock(&g_emu_lock);
    group *g = group_find(id);
    if (err == NO_ERROR && g == NULL) err = ERROR_INVALID_PARAMETER;
    for (url *o = g_urls; err == NO_ERROR && o; o = o->next)
        if (strcmp(o->text, u->text) == 0) err = ERROR_ALREADY_EXISTS; /* F-104, F-105 */
    if (err == NO_ERROR) err = emu_urlacl_check(u); /* F-106, F-193 */
    if (err == NO_ERROR) err = emu_listener_acquire(u->port, u->tls, &u->l); /* F-105: SHARING_VIOLATION */
    if (err == NO_ERROR) {
        u->g = g;
        u->ctx = ctx;
        u->next = g_urls;
        g_urls = u;
        u = NULL;
    }
    pthread_mutex_unlock(&g_emu_lock);
    free(u);
    return err;
}

EMU_EXPORT ULONG HttpRemoveUrlFromUrlGroup(HTTP_URL_GROUP_ID id, PCWSTR prefix, ULONG flags)
{
    ULONG f = emu_enter(FN_HttpRemoveUrlFromUrlGroup);
    if (f) return f;
    if ((flags & HTTP_URL_FLAG_REMOVE_ALL) && prefix != NULL) return ERROR_INVALID_PARAMETER;
    url tmp;
    memset(&tmp, 0, sizeof(tmp));
    ULONG err = (flags & HTTP_URL_FLAG_REMOVE_ALL) ? NO_ERROR : emu_parse_prefix(prefix, &tmp);
    if (err != NO_ERROR) return err;
    pthread_mutex_lock(&g_emu_lock);
    group *g = group_find(id);
    if (g == NULL) err = ERROR_INVALID_PARAMETER;
    else {
        err = (flags & HTTP_URL_FLAG_REMOVE_ALL) ? NO_ERROR : ERROR_FILE_NOT_FOUND; /* F-15 */
        for (url *u = g_urls, *n; u; u = n) {
            n = u->next;
            if (u->g == g && ((flags & HTTP_URL_FLAG_REMOVE_ALL) || strcmp(u->text, tmp.text) == 0)) {
                url_free(u);
                err = NO_ERROR;
            }
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpSetUrlGroupProperty(HTTP_URL_GROUP_ID id, HTTP_SERVER_PROPERTY p, PVOID info, ULONG len)
{
    ULONG f = emu_enter(FN_HttpSetUrlGroupProperty);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    group *g = group_find(id);
    ULONG err = ERROR_INVALID_PARAMETER;
    if (g != NULL && info != NULL && len > 0) {
        if (p == HttpServerBindingProperty) { /* F-16 */
            HTTP_BINDING_INFO *b = info;
            if (len < sizeof(*b)) err = ERROR_INVALID_PARAMETER;
            else if (!b->Flags.Present || b->RequestQueueHandle == NULL) { g->q = NULL; err = NO_ERROR; }
            else if (queue_from_handle(b->RequestQueueHandle) == NULL) err = ERROR_INVALID_PARAMETER;
            else { g->q = b->RequestQueueHandle; err = NO_ERROR; }
        } else {
            err = apply_property(p, info, len, &g->to, &g->max_connections, &g->inactive, &g->auth);
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* ---- request queues ---- */

static void wide_name(PCWSTR w, char *out, size_t cap)
{
    size_t n = 0;
    for (; w && w[n] && n + 1 < cap; n++) out[n] = w[n] < 0x80 ? (char)w[n] : '?';
    out[n] = 0;
}

EMU_EXPORT ULONG HttpCreateRequestQueue(HTTPAPI_VERSION v, PCWSTR name, PSECURITY_ATTRIBUTES sa, ULONG flags,
                                        PHANDLE out)
{
    ULONG f = emu_enter(FN_HttpCreateRequestQueue);
    if (f) return f;
    if (v.HttpApiMajorVersion != 2 || v.HttpApiMinorVersion != 0) return ERROR_REVISION_MISMATCH; /* F-17 */
    if (out == NULL || (flags & ~(HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING | HTTP_CREATE_REQUEST_QUEUE_FLAG_CONTROLLER)))
        return ERROR_INVALID_PARAMETER;
    if ((flags & HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING) && name == NULL) return ERROR_INVALID_PARAMETER;
    /* A security descriptor protects a named queue from other processes; it must be a real one (made by
     * ConvertStringSecurityDescriptorToSecurityDescriptorW here) and comes with a name only. */
    int sd_grants = 1;
    if (sa != NULL && sa->lpSecurityDescriptor != NULL) {
        if (name == NULL || (flags & HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING) || sa->nLength < sizeof(*sa))
            return ERROR_INVALID_PARAMETER;
        sd_grants = emu_security_descriptor_grants(sa->lpSecurityDescriptor);
        if (sd_grants < 0) return ERROR_INVALID_PARAMETER;
    }
    char n[256] = "";
    if (name) wide_name(name, n, sizeof(n));
    pthread_mutex_lock(&g_emu_lock);
    ULONG err = check_init();
    queue *q = NULL;
    if (err == NO_ERROR && name != NULL) {
        for (queue *e = g_queues; e; e = e->next)
            if (e->name[0] && strcasecmp(e->name, n) == 0) q = e;
        if (flags & HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING) {
            if (q == NULL) err = ERROR_FILE_NOT_FOUND;
            /* An ordinary account opens a protected queue only where its descriptor grants it. */
            else if (q->protected_deny && !emu_elevated()) err = ERROR_ACCESS_DENIED;
            else {
                /* Within one process the emulator hands out the same queue object again. */
                q->opens++;
                *out = q;
            }
        } else if (q != NULL) {
            err = ERROR_ALREADY_EXISTS;
        }
    }
    if (err == NO_ERROR && !(flags & HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING)) {
        q = calloc(1, sizeof(*q));
        if (q == NULL) err = ERROR_NOT_ENOUGH_MEMORY;
        else {
            q->magic = QUEUE_MAGIC;
            memcpy(q->name, n, sizeof(n));
            q->opens = 1;
            q->max_length = 1000; /* F-94 */
            q->protected_deny = !sd_grants;
            q->next = g_queues;
            g_queues = q;
            emu_count(CNT_QUEUES, 1);
            *out = q;
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

static void queue_abort_pending(queue *q)
{
    while (q->recv_head) {
        op *o = q->recv_head;
        q->recv_head = o->next;
        emu_op_complete(o, ERROR_OPERATION_ABORTED, 0, 0);
    }
    q->recv_tail = NULL;
    /* Waits issued on this queue end with ERROR_OPERATION_ABORTED (F-75). */
    emu_conns_cancel_waits(q, NULL);
}

static void queue_release(queue *q, int closing)
{
    queue_abort_pending(q);
    if (closing) forget_cuts(q);
    q->shutdown = 1;
    if (!closing) return;
    /* F-84: requests still held (queued or handed out) are cancelled; their clients see a reset;
     * their pending operations end with ERROR_OPERATION_ABORTED. */
    for (int b = 0; b < REQ_BUCKETS; b++) {
        for (req *r = g_reqs[b], *n; r; r = n) {
            n = r->hnext;
            if (r->q == q) emu_conn_abort(r->c, ERROR_OPERATION_ABORTED, ERROR_OPERATION_ABORTED, 1);
        }
    }
    for (group *g = g_groups; g; g = g->next)
        if (g->q == q) g->q = NULL;
    emu_cache_drop_queue(q); /* its cache entries and fragments (F-167, F-168) */
    queue **pp = &g_queues;
    while (*pp != q) pp = &(*pp)->next;
    *pp = q->next;
    if (q->port) emu_port_unref(q->port);
    q->magic = 0;
    free(q);
    emu_count(CNT_QUEUES, -1);
}

ULONG emu_queue_close(HANDLE h)
{
    queue *q = queue_from_handle(h);
    if (q == NULL) return ERROR_INVALID_HANDLE;
    if (--q->opens > 0) return NO_ERROR;
    queue_release(q, 1);
    return NO_ERROR;
}

EMU_EXPORT ULONG HttpCloseRequestQueue(HANDLE h)
{
    ULONG f = emu_enter(FN_HttpCloseRequestQueue);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err = queue_from_handle(h) ? emu_queue_close(h) : ERROR_INVALID_HANDLE; /* F-18, F-84 */
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpShutdownRequestQueue(HANDLE h)
{
    ULONG f = emu_enter(FN_HttpShutdownRequestQueue);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    queue *q = queue_from_handle(h);
    ULONG err = ERROR_INVALID_PARAMETER;
    if (q != NULL) {
        /* F-19: pending receives and waits end; requests already handed out may finish. */
        queue_release(q, 0);
        err = NO_ERROR;
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpSetRequestQueueProperty(HANDLE h, HTTP_SERVER_PROPERTY p, PVOID info, ULONG len, ULONG r1,
                                             PVOID r2)
{
    ULONG f = emu_enter(FN_HttpSetRequestQueueProperty);
    if (f) return f;
    if (r1 != 0 || r2 != NULL || info == NULL || len < sizeof(ULONG)) return ERROR_INVALID_PARAMETER; /* F-20 */
    pthread_mutex_lock(&g_emu_lock);
    queue *q = queue_from_handle(h);
    ULONG err = ERROR_INVALID_PARAMETER;
    if (q != NULL) {
        ULONG v = *(ULONG *)info;
        if (p == HttpServerQueueLengthProperty) {
            if (v >= 10 && v <= 65535) { q->max_length = v; err = NO_ERROR; } /* F-94: 10…65535 */
        } else if (p == HttpServer503VerbosityProperty) {
            if (v <= Http503ResponseVerbosityFull) { q->verbosity = (int)v; err = NO_ERROR; }
        } else if (p == HttpServerStateProperty) {
            if (v <= HttpEnabledStateInactive) { q->inactive = v == HttpEnabledStateInactive; err = NO_ERROR; }
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

ULONG emu_queue_associate(HANDLE h, emu_port *p, ULONG_PTR key)
{
    queue *q = queue_from_handle(h);
    if (q == NULL) return ERROR_INVALID_HANDLE;
    if (q->port != NULL) return ERROR_INVALID_PARAMETER;
    emu_port_ref(p);
    q->port = p;
    q->key = key;
    return NO_ERROR;
}

ULONG emu_queue_set_skip(HANDLE h, int skip)
{
    queue *q = queue_from_handle(h);
    if (q == NULL) return ERROR_INVALID_HANDLE;
    q->skip_on_success = skip;
    return NO_ERROR;
}

/* CancelIoEx (F-79): a pending receive, body read or wait ends with ERROR_OPERATION_ABORTED; a send
 * already partly on the wire cannot be taken back, so its connection is reset. */
ULONG emu_queue_cancel_io(HANDLE h, OVERLAPPED *ov)
{
    queue *q = queue_from_handle(h);
    int found = 0;
    for (op **pp = &q->recv_head; *pp;) {
        op *o = *pp;
        if (!o->sync && (ov == NULL || o->ov == ov)) {
            *pp = o->next;
            emu_op_complete(o, ERROR_OPERATION_ABORTED, 0, 0);
            found = 1;
        } else {
            pp = &o->next;
        }
    }
    q->recv_tail = NULL;
    for (op *o = q->recv_head; o; o = o->next) q->recv_tail = o;
    for (int b = 0; b < REQ_BUCKETS; b++) {
        for (req *r = g_reqs[b], *n; r; r = n) {
            n = r->hnext;
            if (r->q != q) continue;
            conn *c = r->c;
            for (op **pp = &r->body_ops; *pp;) {
                op *o = *pp;
                if (ov == NULL || o->ov == ov) { *pp = o->next; emu_op_complete(o, ERROR_OPERATION_ABORTED, 0, 0); found = 1; }
                else pp = &o->next;
            }
            for (op **pp = &c->waits; *pp;) {
                op *o = *pp;
                if (o->q == q && (ov == NULL || o->ov == ov)) { *pp = o->next; emu_op_complete(o, ERROR_OPERATION_ABORTED, 0, 0); found = 1; }
                else pp = &o->next;
            }
            for (op *o = c->sends; o; o = o->next) {
                if (ov == NULL || o->ov == ov) {
                    found = 1;
                    emu_conn_abort(c, ERROR_OPERATION_ABORTED, ERROR_OPERATION_ABORTED, 1);
                    break;
                }
            }
        }
    }
    /* Waits on connections with no current request. */
    found |= emu_conns_cancel_waits(q, ov);
    return found ? NO_ERROR : ERROR_NOT_FOUND;
}

/* ---- receive ---- */

EMU_EXPORT ULONG HttpReceiveHttpRequest(HANDLE h, HTTP_REQUEST_ID id, ULONG flags, PHTTP_REQUEST buf, ULONG len,
                                        PULONG bytes, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpReceiveHttpRequest);
    if (f) return f;
    if (flags & ~(HTTP_RECEIVE_REQUEST_FLAG_COPY_BODY | HTTP_RECEIVE_REQUEST_FLAG_FLUSH_BODY)) return ERROR_INVALID_PARAMETER;
    if (buf == NULL) return ERROR_INVALID_PARAMETER;
    if (((uintptr_t)buf & 7) != 0) return ERROR_NOACCESS; /* F-22 */
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = queue_from_handle(h);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    if (len < sizeof(HTTP_REQUEST_V1)) { /* F-27(a): nothing is claimed */
        if (bytes) *bytes = 0;
        err = ERROR_INSUFFICIENT_BUFFER;
        goto out;
    }
    if (id != HTTP_NULL_ID) {
        /* F-27(d,e): the retry of a request bound by ERROR_MORE_DATA. */
        req *r = emu_req_find(id);
        if (r == NULL || r->q != q) { err = ERROR_CONNECTION_INVALID; goto out; } /* F-29 */
        if (r->state != R_BOUND) { err = r->state == R_ACTIVE ? ERROR_HANDLE_EOF : ERROR_CONNECTION_INVALID; goto out; }
        ULONG used = 0;
        err = deliver(r, flags, buf, len, &used);
        op *o = op_new(OP_RECV, q, ov);
        if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
        if (err == NO_ERROR) err = op_inline(o, NO_ERROR, used, bytes);
        else { if (bytes) *bytes = used; free(o); } /* ERROR_MORE_DATA returns synchronously, no packet */
        goto out;
    }
    if (q->shutdown) { err = ERROR_OPERATION_ABORTED; goto out; }
    op *o = op_new(OP_RECV, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    o->flags = flags;
    o->buf = buf;
    o->len = len;
    if (q->ready_head && q->recv_head == NULL) {
        /* A request is waiting: complete inline (F-30) — NO_ERROR plus a packet (F-61, F-89). */
        ULONG used = 0;
        err = deliver(q->ready_head, flags, buf, len, &used);
        if (err == NO_ERROR) err = op_inline(o, NO_ERROR, used, bytes);
        else { if (bytes) *bytes = used; free(o); }
        goto out;
    }
    if (q->recv_tail) q->recv_tail->next = o;
    else q->recv_head = o;
    q->recv_tail = o;
    if (o->sync) {
        /* A synchronous receive blocks; its op is completed by dispatch. */
        emu_count(CNT_PENDING, 1);
        while (!o->done) pthread_cond_wait(&g_sync_cond, &g_emu_lock);
        err = o->result;
        if (bytes) *bytes = o->result_bytes;
        free(o);
    } else {
        err = op_pend(o, NULL);
    }
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* Request by id for the app's calls: live and not past its final send (F-29, F-64). */
static req *app_req(queue *q, HTTP_REQUEST_ID id)
{
    req *r = emu_req_find(id);
    if (r == NULL || r->q != q || r->state != R_ACTIVE || r->c == NULL || r->c->closed) return NULL;
    return r;
}

EMU_EXPORT ULONG HttpReceiveRequestEntityBody(HANDLE h, HTTP_REQUEST_ID id, ULONG flags, PVOID buf, ULONG len,
                                              PULONG bytes, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpReceiveRequestEntityBody);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = queue_from_handle(h);
    req *r;
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }       /* F-45 */
    if ((r = app_req(q, id)) == NULL) { err = take_cut(q, id) ? ERROR_OPERATION_ABORTED : ERROR_CONNECTION_INVALID; goto out; } /* F-184 */
    if (buf == NULL || len == 0) { err = ERROR_INVALID_PARAMETER; goto out; }
    /* F-149: one read outstanding on an opaque stream (as HttpListener keeps it); a second is refused
     * with the code a second concurrent send gets (F-63) — stand-in, open question 38. */
    if (r->opaque && r->body_ops != NULL) { err = ERROR_BAD_COMMAND; goto out; }
    if (r->body_complete && r->body_len == 0 && r->body_ops == NULL) {
        /* F-46: EOF is synchronous even for an overlapped call; no packet. */
        r->body_eof_seen = 1;
        if (bytes) *bytes = 0;
        err = ERROR_HANDLE_EOF;
        goto out;
    }
    if (r->h.expect_continue && !r->continue_sent && !r->response_started && r->body_len == 0 && !r->body_complete) {
        /* F-51: HTTP.sys answers 100-continue itself, on the first body read; F-195: never once the
         * response head has gone out, since an interim response cannot follow the final one. */
        static const char k100[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (r->c->h2parent != NULL) {
            emu_h2_continue(r->c);
        } else {
            emu_conn_write(r->c, k100, sizeof(k100) - 1);
            emu_conn_kick(r->c);
        }
    }
    r->continue_sent = 1;
    op *o = op_new(OP_BODY, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    o->buf = buf;
    o->len = len;
    o->flags = flags;
    if (r->body_ops == NULL && r->body_len > 0 &&
        (!(flags & HTTP_RECEIVE_REQUEST_ENTITY_BODY_FLAG_FILL_BUFFER) || r->body_len >= len || r->body_complete)) {
        /* F-45: what has arrived, up to the buffer, without waiting for more. */
        size_t n = r->body_len < len ? r->body_len : len;
        memcpy(buf, r->body + r->body_off, n);
        emu_poison_tail(buf, len, n);
        emu_body_consume(r, n);
        emu_conn_process(r->c);
        err = op_inline(o, NO_ERROR, (ULONG)n, bytes);
        goto out;
    }
    if (r->body_ops == NULL && !(flags & HTTP_RECEIVE_REQUEST_ENTITY_BODY_FLAG_FILL_BUFFER) && emu_body_direct(r)) {
        /* F-45: bytes already in the socket come straight into the caller's buffer, inline. None there
         * (or the client's FIN or reset): the read pends and the loop finds out. */
        ssize_t n = emu_body_recv(r, buf, len);
        if (n > 0) {
            emu_poison_tail(buf, len, (size_t)n);
            emu_conn_process(r->c);
            err = op_inline(o, NO_ERROR, (ULONG)n, bytes);
            goto out;
        }
    }
    op **pp = &r->body_ops;
    while (*pp) pp = &(*pp)->next;
    *pp = o;
    r->body_activity = emu_now();
    emu_conn_process(r->c);
    err = op_pend(o, bytes);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* ---- send ---- */

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap : 1024;
        while (nc < *len + n) nc *= 2;
        char *b = realloc(*buf, nc);
        if (b == NULL) abort();
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
}

static void append_str(char **buf, size_t *len, size_t *cap, const char *s) { append(buf, len, cap, s, strlen(s)); }

static ULONG check_chunks(const queue *q, int h2, USHORT count, USHORT max, PHTTP_DATA_CHUNK chunks,
                          unsigned long long *total, int trailers_ok)
{
    *total = 0;
    if (count > max) return ERROR_INVALID_PARAMETER; /* F-24: at most 100 on a response, F-25: 9999 on a body send */
    if (count > 0 && chunks == NULL) return ERROR_INVALID_PARAMETER;
    for (USHORT i = 0; i < count; i++) {
        /* F-159: trailers only as the last chunk of the final send of an h2 response (not on HTTP/1.1). */
        if (chunks[i].DataChunkType == HttpDataChunkTrailers && trailers_ok && i + 1 == count) continue;
        if (chunks[i].DataChunkType == HttpDataChunkFromFragmentCache ||
            chunks[i].DataChunkType == HttpDataChunkFromFragmentCacheEx) {
            /* F-168: a fragment's bytes; one that is not (or no longer) there fails the send. Stand-in: not on
             * an h2 stream, whose DATA frames borrow their bytes until written (a flush could free them). */
            if (h2) return ERROR_INVALID_PARAMETER;
            const char *p;
            size_t n;
            ULONG err = emu_cache_chunk(q, &chunks[i], &p, &n);
            if (err != NO_ERROR) return err;
            *total += n;
            continue;
        }
        if (chunks[i].DataChunkType != HttpDataChunkFromMemory) return ERROR_INVALID_PARAMETER; /* not emulated */
        if (chunks[i].FromMemory.BufferLength > 0 && chunks[i].FromMemory.pBuffer == NULL)
            return ERROR_INVALID_PARAMETER;
        *total += chunks[i].FromMemory.BufferLength;
    }
    return NO_ERROR;
}

static void write_chunks(req *r, USHORT count, PHTTP_DATA_CHUNK chunks, emu_ranges *given)
{
    queue *q = r->q;
    /* F-178, F-179: HTTP.sys puts what it is given on the wire, for HEAD, 204, 304 and 1xx too. The
     * chunks are lent, not copied: read when they go to the socket, as HTTP.sys may until completion. */
    for (USHORT i = 0; i < count; i++) {
        if (chunks[i].DataChunkType == HttpDataChunkTrailers) {
            /* F-159: copied during the call, sent after the last DATA as a HEADERS frame. */
            const HTTP_UNKNOWN_HEADER *t = chunks[i].Trailers.pTrailers;
            for (USHORT k = 0; t != NULL && k < chunks[i].Trailers.TrailerCount; k++) {
                ranges_add(given, t[k].pName, t[k].NameLength);
                ranges_add(given, t[k].pRawValue, t[k].RawValueLength);
            }
            emu_h2_trailers(r->c, t, chunks[i].Trailers.TrailerCount);
            continue;
        }
        if (chunks[i].DataChunkType == HttpDataChunkFromFragmentCache ||
            chunks[i].DataChunkType == HttpDataChunkFromFragmentCacheEx) {
            /* F-168: copied now, as the emulator's own bytes: the entry may be flushed before they are written. */
            const char *p;
            size_t n;
            if (emu_cache_chunk(q, &chunks[i], &p, &n) == NO_ERROR) emu_conn_write(r->c, p, n); /* checked before */
            continue;
        }
        emu_conn_lend(r->c, chunks[i].FromMemory.pBuffer, chunks[i].FromMemory.BufferLength);
        ranges_add(given, chunks[i].FromMemory.pBuffer, chunks[i].FromMemory.BufferLength);
    }
}

static ULONG start_send(req *r, queue *q, ULONG flags, ULONG report_bytes, int final, emu_ranges *given,
                        PULONG bytes_out, LPOVERLAPPED ov)
{
    conn *c = r->c;
    if (flags & HTTP_SEND_RESPONSE_FLAG_DISCONNECT) r->close_after = 1; /* F-62 */
    if (final) {
        r->state = R_FINAL; /* F-64: the id is dead once the final send is issued */
        r->final_at = emu_now();
        if (c->h2parent != NULL) emu_h2_final(c); /* F-156: END_STREAM after the bytes */
    }
    op *o = op_new(OP_SEND, q, ov);
    if (o == NULL) abort();
    o->r = r;
    o->given = *given;
    o->final = final;
    o->bytes = report_bytes;
    o->end = c->out_queued;
    r->sends_pending++;
    op **pp = &c->sends;
    while (*pp) pp = &(*pp)->next;
    *pp = o;
    o->issuing = 1;
    emu_conn_flush(c);
    o->issuing = 0;
    if (o->done_inline && o->result == NO_ERROR) {
        /* F-61: all on the wire already: NO_ERROR now, and a packet unless skip mode (F-89). */
        return op_inline(o, NO_ERROR, o->result_bytes, bytes_out);
    }
    emu_count(CNT_PENDING, 1);
    if (o->done_inline) {
        /* The client went away during the call: report it through the completion. */
        ULONG err = o->result;
        if (o->sync) {
            o->done = 1;
            o->result = err;
        } else {
            emu_op_complete(o, err, 0, 0);
            return ERROR_IO_PENDING;
        }
    }
    if (o->sync) {
        if (!o->done_inline) {
            while (!o->done) pthread_cond_wait(&g_sync_cond, &g_emu_lock);
        } else {
            emu_count(CNT_PENDING, -1);
        }
        ULONG err = o->result;
        if (bytes_out) *bytes_out = o->result_bytes;
        op_release_given(o);
        free(o);
        return err;
    }
    return ERROR_IO_PENDING;
}

/* An h2 stream's response (F-156, F-157): the head as a HEADERS frame, through nghttp2. Date and
 * Server are HTTP.sys's as on HTTP/1.1 (F-54, F-55); Content-Length is computed as F-56 says; no
 * reason phrase; connection-specific fields are dropped (h2.c). The byte count of the completion
 * is the body bytes of the call: HPACK makes the head's size no measure of what the call sent. */
static ULONG send_h2_response(queue *q, req *r, ULONG flags, PHTTP_RESPONSE resp, unsigned long long body, PULONG bytes,
                              LPOVERLAPPED ov)
{
    int more = (flags & HTTP_SEND_RESPONSE_FLAG_MORE_DATA) != 0;
    size_t cap = (size_t)HttpHeaderResponseMaximum + resp->Headers.UnknownHeaderCount + 4, n = 0;
    const char **names = calloc(cap, sizeof(char *)), **values = calloc(cap, sizeof(char *));
    size_t *nl = calloc(cap, sizeof(size_t)), *vl = calloc(cap, sizeof(size_t));
    if (!names || !values || !nl || !vl) abort();
    int has_cl = 0;
    const HTTP_KNOWN_HEADER *kh = resp->Headers.KnownHeaders;
    for (int i = 0; i < HttpHeaderResponseMaximum; i++) {
        if (i == HttpHeaderDate || i == HttpHeaderServer) continue;
        if (kh[i].RawValueLength == 0 || kh[i].pRawValue == NULL) continue; /* F-182 */
        if (i == HttpHeaderContentLength) has_cl = 1;
        names[n] = emu_known_response_header_name(i);
        nl[n] = strlen(names[n]);
        values[n] = kh[i].pRawValue;
        vl[n++] = kh[i].RawValueLength;
    }
    for (USHORT i = 0; i < resp->Headers.UnknownHeaderCount && resp->Headers.pUnknownHeaders; i++) {
        const HTTP_UNKNOWN_HEADER *u = &resp->Headers.pUnknownHeaders[i];
        if (u->NameLength == 0 || u->pName == NULL) continue;
        names[n] = u->pName; /* F-182: as given, a second content-length too */
        nl[n] = u->NameLength;
        values[n] = u->pRawValue ? u->pRawValue : "";
        vl[n++] = u->pRawValue ? u->RawValueLength : 0;
    }
    char server[512], date[64], cl[32];
    if (kh[HttpHeaderServer].RawValueLength && kh[HttpHeaderServer].pRawValue)
        snprintf(server, sizeof(server), "%.*s Microsoft-HTTPAPI/2.0", (int)kh[HttpHeaderServer].RawValueLength,
                 kh[HttpHeaderServer].pRawValue);
    else
        snprintf(server, sizeof(server), "Microsoft-HTTPAPI/2.0");
    names[n] = "server"; nl[n] = 6; values[n] = server; vl[n++] = strlen(server);
    emu_http_date(date, sizeof(date));
    names[n] = "date"; nl[n] = 4; values[n] = date; vl[n++] = strlen(date);
    int bodiless = r->is_head || resp->StatusCode == 204 || resp->StatusCode == 304 || resp->StatusCode < 200;
    if (!more && !has_cl && !bodiless) {
        snprintf(cl, sizeof(cl), "%llu", body); /* F-56 */
        names[n] = "content-length"; nl[n] = 14; values[n] = cl; vl[n++] = strlen(cl);
    }
    ULONG err = emu_h2_respond(r, resp->StatusCode, names, nl, values, vl, n, flags);
    free(names); free(values); free(nl); free(vl);
    if (err != NO_ERROR) return err;
    r->response_started = 1;
    emu_ranges given = {0};
    ranges_add(&given, resp->pReason, resp->ReasonLength);
    for (int i = 0; i < HttpHeaderResponseMaximum; i++) ranges_add(&given, kh[i].pRawValue, kh[i].RawValueLength);
    for (USHORT i = 0; i < resp->Headers.UnknownHeaderCount && resp->Headers.pUnknownHeaders; i++) {
        const HTTP_UNKNOWN_HEADER *u = &resp->Headers.pUnknownHeaders[i];
        ranges_add(&given, u->pName, u->NameLength);
        ranges_add(&given, u->pRawValue, u->RawValueLength);
    }
    write_chunks(r, resp->EntityChunkCount, resp->pEntityChunks, &given);
    return start_send(r, q, flags, (ULONG)body, !more, &given, bytes, ov);
}

/* Can this response upgrade the request to an opaque stream? F-144: only a 101; F-151: never on h2;
 * F-147: only a request whose body (if any) the application has read to the end, and not HTTP/1.0;
 * F-146: the response names the protocol in Upgrade (Windows 8.1 refuses it otherwise). Stand-ins
 * where Windows is not known, chosen harsh: OPAQUE without MORE_DATA (the stream would be over at once)
 * or with DISCONNECT is refused too (open question 39). */
static ULONG check_opaque(const req *r, ULONG flags, const HTTP_RESPONSE *resp)
{
    if (resp->StatusCode != 101) return ERROR_INVALID_PARAMETER;
    if (r->c->h2parent != NULL) return ERROR_INVALID_PARAMETER;
    if (!(flags & HTTP_SEND_RESPONSE_FLAG_MORE_DATA) || (flags & HTTP_SEND_RESPONSE_FLAG_DISCONNECT))
        return ERROR_INVALID_PARAMETER;
    if (r->h.minor == 0) return ERROR_INVALID_PARAMETER;
    if (r->body_kind != BODY_NONE && !(r->body_complete && r->body_len == 0)) return ERROR_INVALID_PARAMETER;
    const HTTP_KNOWN_HEADER *up = &resp->Headers.KnownHeaders[HttpHeaderUpgrade];
    int has_upgrade = up->RawValueLength > 0 && up->pRawValue != NULL;
    for (USHORT i = 0; !has_upgrade && i < resp->Headers.UnknownHeaderCount && resp->Headers.pUnknownHeaders; i++) {
        const HTTP_UNKNOWN_HEADER *u = &resp->Headers.pUnknownHeaders[i];
        has_upgrade = u->NameLength == 7 && u->pName != NULL && strncasecmp(u->pName, "Upgrade", 7) == 0 &&
                      u->RawValueLength > 0;
    }
    return has_upgrade ? NO_ERROR : ERROR_INVALID_PARAMETER;
}

EMU_EXPORT ULONG HttpSendHttpResponse(HANDLE h, HTTP_REQUEST_ID id, ULONG flags, PHTTP_RESPONSE resp,
                                      PHTTP_CACHE_POLICY cache, PULONG bytes, PVOID r1, ULONG r2, LPOVERLAPPED ov,
                                      PHTTP_LOG_DATA log)
{
    (void)r1; (void)r2; (void)log;
    ULONG f = emu_enter(FN_HttpSendHttpResponse);
    if (f) return f;
    if (resp == NULL) return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = queue_from_handle(h);
    req *r;
    unsigned long long body = 0;
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    if ((r = app_req(q, id)) == NULL) { err = ERROR_CONNECTION_INVALID; goto out; } /* F-24, F-29 */
    if (r->response_started) { err = ERROR_INVALID_PARAMETER; goto out; }
    if (r->sends_pending > 0) { err = ERROR_BAD_COMMAND; goto out; } /* F-63 */
    int more = (flags & HTTP_SEND_RESPONSE_FLAG_MORE_DATA) != 0;
    int h2 = r->c->h2parent != NULL;
    if ((err = check_chunks(q, h2, resp->EntityChunkCount, 100, resp->pEntityChunks, &body, h2 && !more)) != NO_ERROR) goto out;
    /* F-162: Nocache, UserInvalidates or TimeToLive; any other value is refused (stand-in). */
    if (cache != NULL && cache->Policy >= HttpCachePolicyMaximum) { err = ERROR_INVALID_PARAMETER; goto out; }
    if (resp->StatusCode < 100 || resp->StatusCode > 999) { err = ERROR_INVALID_PARAMETER; goto out; }
    int opaque = (flags & HTTP_SEND_RESPONSE_FLAG_OPAQUE) != 0;
    if (opaque && (err = check_opaque(r, flags, resp)) != NO_ERROR) goto out;
    if (h2) { err = send_h2_response(q, r, flags, resp, body, bytes, ov); goto out; }
    char *hb = NULL;
    size_t hl = 0, hc = 0;
    char line[128];
    /* F-52: the status line is always HTTP/1.1. */
    snprintf(line, sizeof(line), "HTTP/1.1 %u ", resp->StatusCode);
    append_str(&hb, &hl, &hc, line);
    if (resp->pReason && resp->ReasonLength) append(&hb, &hl, &hc, resp->pReason, resp->ReasonLength);
    append_str(&hb, &hl, &hc, "\r\n");
    int has_cl = 0, has_te_chunked = 0, has_connection = 0;
    const HTTP_KNOWN_HEADER *kh = resp->Headers.KnownHeaders;
    for (int i = 0; i < HttpHeaderResponseMaximum; i++) {
        if (i == HttpHeaderDate || i == HttpHeaderServer) continue; /* F-54, F-55 below */
        if (emu_auth_takes_slot(resp, i)) continue; /* F-134: WWW-Authenticate and multiple known headers below */
        /* F-182: a known slot holds one value; a zero-length one is dropped from the wire. */
        if (kh[i].RawValueLength == 0 || kh[i].pRawValue == NULL) continue;
        /* F-182: a known-slot "Connection: close" is dropped and closes nothing; only the DISCONNECT flag closes. */
        if (i == HttpHeaderConnection && emu_list_has(kh[i].pRawValue, kh[i].RawValueLength, "close")) continue;
        /* F-146, F-53: HTTP.sys does not send a known-slot Connection on an opaque 101; "Connection: Upgrade"
         * reaches the client only from the unknown-header list. */
        if (i == HttpHeaderConnection && opaque) continue;
        if (i == HttpHeaderContentLength) has_cl = 1;
        if (i == HttpHeaderConnection) has_connection = 1;
        if (i == HttpHeaderTransferEncoding && kh[i].RawValueLength >= 7 &&
            strncasecmp(kh[i].pRawValue + kh[i].RawValueLength - 7, "chunked", 7) == 0)
            has_te_chunked = 1;
        append_str(&hb, &hl, &hc, emu_known_response_header_name(i));
        append_str(&hb, &hl, &hc, ": ");
        append(&hb, &hl, &hc, kh[i].pRawValue, kh[i].RawValueLength);
        append_str(&hb, &hl, &hc, "\r\n");
    }
    for (USHORT i = 0; i < resp->Headers.UnknownHeaderCount && resp->Headers.pUnknownHeaders; i++) {
        const HTTP_UNKNOWN_HEADER *u = &resp->Headers.pUnknownHeaders[i];
        if (u->NameLength == 0 || u->pName == NULL) continue;
        /* F-182: the unknown list goes out as given: a Content-Length there does not suppress the computed
         * one (two lines), a Connection: close there reaches the wire and closes nothing. */
        append(&hb, &hl, &hc, u->pName, u->NameLength);
        append_str(&hb, &hl, &hc, ": ");
        if (u->pRawValue) append(&hb, &hl, &hc, u->pRawValue, u->RawValueLength);
        append_str(&hb, &hl, &hc, "\r\n");
    }
    char *ah = NULL;
    size_t al = 0;
    if ((err = emu_auth_response_headers(r, resp, &ah, &al)) != NO_ERROR) { free(hb); goto out; } /* F-134, F-141 */
    if (ah) append(&hb, &hl, &hc, ah, al);
    free(ah);
    /* F-55: Server is HTTP.sys's, an application value prefixed to it. */
    append_str(&hb, &hl, &hc, "Server: ");
    if (kh[HttpHeaderServer].RawValueLength && kh[HttpHeaderServer].pRawValue) {
        append(&hb, &hl, &hc, kh[HttpHeaderServer].pRawValue, kh[HttpHeaderServer].RawValueLength);
        append_str(&hb, &hl, &hc, " ");
    }
    append_str(&hb, &hl, &hc, "Microsoft-HTTPAPI/2.0\r\n");
    /* F-162..F-164: the head so far is what the kernel cache replays as the application's; what follows is
     * HTTP.sys's for this one exchange (Date, the computed length, Connection), made again at each replay.
     * Stand-in: HTTP/2 responses are not cached (send_h2_response), and an h2 stream is never answered
     * from the cache (open question). */
    if (cache != NULL && cache->Policy != HttpCachePolicyNocache)
        emu_cache_store(r, cache, flags, resp, hb, hl, has_cl, has_connection, body);
    char date[64];
    emu_http_date(date, sizeof(date));
    append_str(&hb, &hl, &hc, "Date: "); /* F-54: always HTTP.sys's own */
    append_str(&hb, &hl, &hc, date);
    append_str(&hb, &hl, &hc, "\r\n");
    /* F-57, F-179: HTTP.sys adds no length of its own to HEAD, 204, 304 and 1xx replies (their bodies still go out). */
    int bodiless = r->is_head || resp->StatusCode == 204 || resp->StatusCode == 304 || resp->StatusCode < 200;
    if (!more && !has_cl && !has_te_chunked && !bodiless) {
        /* F-56: the whole body in one call gets Content-Length (0 too: open question 5). */
        snprintf(line, sizeof(line), "Content-Length: %llu\r\n", body);
        append_str(&hb, &hl, &hc, line);
    }
    if (more && !has_cl && !has_te_chunked && !bodiless) r->close_after = 1; /* F-58: close-delimited */
    if (flags & HTTP_SEND_RESPONSE_FLAG_DISCONNECT) r->close_after = 1;
    if (opaque) r->close_after = 0; /* the connection lives on as the opaque stream (F-150) */
    if (r->close_after && !has_connection) append_str(&hb, &hl, &hc, "Connection: close\r\n"); /* F-62 */
    append_str(&hb, &hl, &hc, "\r\n");
    r->response_started = 1;
    emu_conn_write(r->c, hb, hl); /* the head is read during the call, the strings with it */
    emu_ranges given = {0};
    ranges_add(&given, resp->pReason, resp->ReasonLength);
    for (int i = 0; i < HttpHeaderResponseMaximum; i++) ranges_add(&given, kh[i].pRawValue, kh[i].RawValueLength);
    for (USHORT i = 0; i < resp->Headers.UnknownHeaderCount && resp->Headers.pUnknownHeaders; i++) {
        const HTTP_UNKNOWN_HEADER *u = &resp->Headers.pUnknownHeaders[i];
        ranges_add(&given, u->pName, u->NameLength);
        ranges_add(&given, u->pRawValue, u->RawValueLength);
    }
    write_chunks(r, resp->EntityChunkCount, resp->pEntityChunks, &given);
    unsigned long long wire = hl + body;
    free(hb);
    if (opaque) emu_conn_upgrade(r); /* F-144: from the moment the 101 is issued, every byte is entity body */
    /* F-60: the completion counts every byte written for this call. */
    err = start_send(r, q, flags, (ULONG)wire, !more, &given, bytes, ov);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpSendResponseEntityBody(HANDLE h, HTTP_REQUEST_ID id, ULONG flags, USHORT count,
                                            PHTTP_DATA_CHUNK chunks, PULONG bytes, PVOID r1, ULONG r2,
                                            LPOVERLAPPED ov, PHTTP_LOG_DATA log)
{
    (void)r1; (void)r2; (void)log;
    ULONG f = emu_enter(FN_HttpSendResponseEntityBody);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = queue_from_handle(h);
    req *r;
    unsigned long long body = 0;
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    if ((r = app_req(q, id)) == NULL) { err = ERROR_CONNECTION_INVALID; goto out; } /* F-25 */
    if (!r->response_started) { err = ERROR_INVALID_PARAMETER; goto out; }
    if (flags & HTTP_SEND_RESPONSE_FLAG_OPAQUE) { err = ERROR_INVALID_PARAMETER; goto out; } /* F-144: the 101's flag only */
    /* F-169: DISCONNECT with MORE_DATA is undefined; on an opaque stream (where HttpListener ends with a plain
     * zero-chunk DISCONNECT, F-145) the emulator refuses it rather than guess. */
    if (r->opaque && (flags & HTTP_SEND_RESPONSE_FLAG_DISCONNECT) && (flags & HTTP_SEND_RESPONSE_FLAG_MORE_DATA)) {
        err = ERROR_INVALID_PARAMETER;
        goto out;
    }
    if (r->sends_pending > 0) { err = ERROR_BAD_COMMAND; goto out; } /* F-63, F-149: one write outstanding */
    int final = !(flags & HTTP_SEND_RESPONSE_FLAG_MORE_DATA);
    if ((err = check_chunks(q, r->c->h2parent != NULL, count, 9999, chunks, &body, r->c->h2parent != NULL && final)) != NO_ERROR)
        goto out;
    if (flags & HTTP_SEND_RESPONSE_FLAG_DISCONNECT) r->close_after = 1;
    emu_ranges given = {0};
    write_chunks(r, count, chunks, &given);
    /* F-59: the byte count is this call's body bytes. */
    err = start_send(r, q, flags, (ULONG)body, final, &given, bytes, ov);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* ---- disconnect waits and cancellation ---- */

static ULONG wait_for_disconnect(HANDLE h, HTTP_CONNECTION_ID cid, LPOVERLAPPED ov, int ex)
{
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = queue_from_handle(h);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    if (q->shutdown) { err = ERROR_OPERATION_ABORTED; goto out; }
    conn *c = emu_conn_find(cid);
    op *o;
    if (c == NULL || c->closed || c->closing) { /* F-72: closing by HTTP.sys counts as gone */
        if (c == NULL && !emu_conn_id_was_issued(cid)) { err = ERROR_INVALID_PARAMETER; goto out; } /* F-76 (stand-in choice) */
        /* F-74: the connection is already gone: complete at once with NO_ERROR (a packet unless skip mode). */
        o = op_new(OP_WAIT, q, ov);
        if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
        err = op_inline(o, NO_ERROR, 0, NULL);
        goto out;
    }
    if (ex && c->peer_fin) {
        o = op_new(OP_WAIT, q, ov);
        if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
        err = op_inline(o, NO_ERROR, 0, NULL);
        goto out;
    }
    o = op_new(OP_WAIT, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    o->ex = ex;
    o->next = c->waits; /* F-76: several waits are allowed and complete together */
    c->waits = o;
    err = op_pend(o, NULL);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpWaitForDisconnect(HANDLE h, HTTP_CONNECTION_ID cid, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpWaitForDisconnect);
    if (f) return f;
    return wait_for_disconnect(h, cid, ov, 0);
}

EMU_EXPORT ULONG HttpWaitForDisconnectEx(HANDLE h, HTTP_CONNECTION_ID cid, ULONG reserved, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpWaitForDisconnectEx);
    if (f) return f;
    if (reserved != 0) return ERROR_INVALID_PARAMETER;
    return wait_for_disconnect(h, cid, ov, 1);
}

EMU_EXPORT ULONG HttpCancelHttpRequest(HANDLE h, HTTP_REQUEST_ID id, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpCancelHttpRequest);
    if (f) return f;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = queue_from_handle(h);
    req *r;
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    /* F-81: a connection already gone, or a final send issued: ERROR_CONNECTION_INVALID. F-185: a
     * request bound by ERROR_MORE_DATA (head not copied out yet) can be cancelled too; it is discarded. */
    if ((r = app_req(q, id)) == NULL) {
        r = emu_req_find(id);
        if (r == NULL || r->q != q || r->state != R_BOUND || r->c == NULL || r->c->closed) {
            err = ERROR_CONNECTION_INVALID;
            goto out;
        }
    }
    /* F-80: outstanding I/O aborted, the connection closed; the client sees a reset. */
    emu_conn_abort(r->c, ERROR_OPERATION_ABORTED, ERROR_OPERATION_ABORTED, 1);
    if (ov != NULL) {
        op *o = op_new(OP_WAIT, q, ov);
        if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
        err = op_inline(o, NO_ERROR, 0, NULL);
    } else {
        err = NO_ERROR;
    }
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* F-160, F-188: response trailers (on h2) once HttpInitialize was called; nothing else is emulated. */
EMU_EXPORT BOOL HttpIsFeatureSupported(HTTP_FEATURE_ID id)
{
    pthread_mutex_lock(&g_emu_lock);
    BOOL yes = id == HttpFeatureResponseTrailers && g_init_count > 0;
    pthread_mutex_unlock(&g_emu_lock);
    return yes;
}

/* ---- operations for the calls other files implement (tls.c) ---- */

op *emu_op_new(int kind, queue *q, OVERLAPPED *ov) { return op_new(kind, q, ov); }
ULONG emu_op_pend(op *o, ULONG *bytes_out) { return op_pend(o, bytes_out); }
ULONG emu_op_inline(op *o, ULONG err, ULONG bytes, ULONG *bytes_out) { return op_inline(o, err, bytes, bytes_out); }
queue *emu_queue_find(HANDLE h) { return queue_from_handle(h); }
