/*
 * net: the event loop (one epoll thread, no thread per connection), listeners per port,
 * connections: reading request heads and bodies, holding pipelined requests back (F-67),
 * writing responses with back-pressure, lingering close, resets, and the timers of
 * HTTP_TIMEOUT_LIMIT_INFO (F-96..F-99). A TLS connection that chose h2 hands its bytes to h2.c,
 * whose streams are connections here too, without a socket (emu_conn_new_stream). A request upgraded
 * by an OPAQUE 101 (emu_conn_upgrade) turns the rest of the connection into its body, both ways,
 * with no HTTP framing and no HTTP timers (F-144..F-150).
 */
#define _GNU_SOURCE
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static int g_epoll = -1;
static pthread_once_t g_loop_once = PTHREAD_ONCE_INIT;
static listener *g_listeners;
static listener *g_grave_listeners;
static conn *g_grave_conns;
static unsigned long g_gen = 1;
static ULONGLONG g_first_conn_id, g_last_conn_id;

#define CONN_BUCKETS 4096
static conn *g_conns[CONN_BUCKETS];

double emu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

conn *emu_conn_find(ULONGLONG id)
{
    for (conn *c = g_conns[id % CONN_BUCKETS]; c != NULL; c = c->hnext)
        if (c->id == id) return c;
    return NULL;
}

int emu_conn_id_was_issued(ULONGLONG id)
{
    return g_first_conn_id != 0 && id >= g_first_conn_id && id <= g_last_conn_id;
}

static void *loop_main(void *arg);

static void loop_start(void)
{
    g_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (g_epoll < 0) abort();
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, loop_main, NULL) != 0) abort();
    /* Named, so a profile or a per-thread CPU count can tell the emulator (the kernel's stand-in)
     * from the application's threads: every emulator thread's name starts with "httpemu". */
    pthread_setname_np(t, "httpemu-net");
    pthread_attr_destroy(&a);
}

/* ---- listeners ---- */

ULONG emu_listener_acquire(int port, int tls, listener **out)
{
    for (listener *l = g_listeners; l != NULL; l = l->next) {
        if (l->port == port) {
            /* One port speaks one scheme: http and https prefixes on one port cannot both be served. */
            if (l->tls != tls) return ERROR_SHARING_VIOLATION;
            l->refs++;
            *out = l;
            return NO_ERROR;
        }
    }
    pthread_once(&g_loop_once, loop_start);
    /* Dual-stack on all addresses, as HTTP.sys listens on every interface by default. */
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int v6 = fd >= 0;
    if (!v6) fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1450u /* ERROR_NO_SYSTEM_RESOURCES */;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc;
    if (v6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        struct sockaddr_in6 a = {0};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)port);
        a.sin6_addr = in6addr_any;
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    }
    if (rc != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        /* F-105: a port held by an ordinary socket. */
        return e == EADDRINUSE ? ERROR_SHARING_VIOLATION : e == EACCES ? ERROR_ACCESS_DENIED : ERROR_INVALID_PARAMETER;
    }
    listener *l = calloc(1, sizeof(*l));
    if (l == NULL) { close(fd); return ERROR_NOT_ENOUGH_MEMORY; }
    l->obj = OBJ_LISTENER;
    l->fd = fd;
    l->port = port;
    l->tls = tls;
    l->refs = 1;
    l->next = g_listeners;
    g_listeners = l;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
    epoll_ctl(g_epoll, EPOLL_CTL_ADD, fd, &ev);
    *out = l;
    return NO_ERROR;
}

static void conn_destroy(conn *c, int reset);

void emu_listener_release(listener *l)
{
    if (--l->refs > 0) return;
    listener **pp = &g_listeners;
    while (*pp != l) pp = &(*pp)->next;
    *pp = l->next;
    epoll_ctl(g_epoll, EPOLL_CTL_DEL, l->fd, NULL);
    close(l->fd);
    l->closed = 1;
    l->close_gen = g_gen;
    l->grave_next = g_grave_listeners;
    g_grave_listeners = l;
    /* No URL is left on the port: idle keep-alive connections close, busy ones after their response,
     * so nothing is routed through a port nobody serves any more. */
    for (int b = 0; b < CONN_BUCKETS; b++) {
        conn *next;
        for (conn *c = g_conns[b]; c != NULL; c = next) {
            next = c->hnext;
            if (c->l != l || c->closing || c->h2parent != NULL) continue;
            if (c->h2 != NULL) { /* streams run on; an idle h2 connection closes */
                if (emu_h2_idle(c)) conn_destroy(c, 0);
                continue;
            }
            if (c->cur == NULL) conn_destroy(c, 0);
            else c->cur->close_after = 1;
        }
    }
}

/* ---- connections ---- */

void emu_conn_account(conn *c)
{
    long long now = c->closed ? 0
                              : (long long)(c->in_len + c->out_bytes + (c->cur ? c->cur->body_len : 0));
    emu_count(CNT_BUFFERED, now - c->accounted);
    c->accounted = now;
}

void emu_conn_update_events(conn *c)
{
    if (c->closed || c->fd < 0) return; /* an h2 stream has no socket */
    /* TLS: OpenSSL may need the socket writable to go on reading, and bytes it already decrypted are
     * invisible to epoll; an always-writable socket makes the loop come back for them. */
    int tls = c->ssl != NULL;
    int write_waits = tls && c->tls_write_wants_read; /* SSL_write needs the client's handshake bytes */
    int in = c->reading || write_waits;
    int out = (c->writing && !write_waits) || (tls && (c->tls_read_wants_write || (c->reading && emu_tls_pending(c))));
    /* EPOLLRDHUP is level-triggered: once the FIN is known (or waits behind unread bytes) it would wake
     * the loop for ever; a reset still shows as EPOLLERR, which epoll reports unasked. */
    int rdhup = !c->peer_fin && !c->rdhup_seen;
    struct epoll_event ev = {.events = (rdhup ? EPOLLRDHUP : 0) | (in ? EPOLLIN : 0) | (out ? EPOLLOUT : 0), .data.ptr = c};
    /* Level-triggered: setting the same events again changes nothing (a TLS connection's flushes and
     * reads come here each time, which was two system calls per request for nothing). */
    if (ev.events == c->armed) return;
    c->armed = ev.events;
    epoll_ctl(g_epoll, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_set_reading(conn *c, int on)
{
    if (c->reading != on) {
        c->reading = on;
        emu_conn_update_events(c);
    }
}

/* Closes the socket, frees the output, completes sends left by an abort during a write, and hands
 * the struct to the loop thread, which frees it once no epoll batch can name it. */
void emu_conn_bury(conn *c)
{
    if (c->reset_on_close && c->fd >= 0) {
        struct linger lg = {1, 0}; /* RST, as a cancelled request's client sees (F-80) */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    if (c->fd >= 0) close(c->fd);
    if (c->h2parent == NULL) emu_tls_free(c);
    else c->tls = NULL; /* the TCP connection's, borrowed */
    emu_out_free(c);
    ULONG err = c->abort_send_err ? c->abort_send_err : ERROR_CONNECTION_INVALID;
    while (c->sends) {
        op *s = c->sends;
        c->sends = s->next;
        if (s->r) s->r->sends_pending--;
        if (s->issuing) {
            s->done_inline = 1;
            s->result = err;
            s->result_bytes = 0;
        } else {
            emu_op_complete(s, err, 0, 0);
        }
    }
    c->close_gen = g_gen;
    c->grave_next = g_grave_conns;
    g_grave_conns = c;
}

/* Ends the connection and frees what it holds; completes disconnect waits (F-72). While another
 * thread is writing to it, the socket and the output stay until that write returns (out.c). */
static void conn_destroy(conn *c, int reset)
{
    if (c->closed) return;
    if (c->h2 != NULL) emu_h2_conn_gone(c);        /* its streams first */
    if (c->h2parent != NULL) emu_h2_stream_gone(c, reset); /* RST_STREAM instead of a TCP reset */
    c->reset_on_close = reset;
    if (c->fd >= 0) epoll_ctl(g_epoll, EPOLL_CTL_DEL, c->fd, NULL);
    c->closed = 1;
    emu_conn_account(c);
    conn **pp = &g_conns[c->id % CONN_BUCKETS];
    while (*pp != c) pp = &(*pp)->hnext;
    *pp = c->hnext;
    while (c->waits) {
        op *w = c->waits;
        c->waits = w->next;
        emu_op_complete(w, NO_ERROR, 0, 0);
    }
    emu_tls_fail_cert_ops(c, ERROR_CONNECTION_INVALID);
    emu_auth_conn_free(c);
    if (c->g) c->g->connections--;
    c->l->conns--;
    free(c->in);
    c->in = NULL;
    emu_count(CNT_CONNECTIONS, -1);
    if (!c->flushing) emu_conn_bury(c);
}

/* The client went away (FIN, RST, a failed send). F-184: a body cut short fails the body reads
 * with ERROR_OPERATION_ABORTED, the next one too, never EOF; otherwise reads fail as F-50 saw. */
void emu_conn_peer_gone(conn *c)
{
    req *r = c->cur;
    ULONG read_err = ERROR_NETNAME_DELETED; /* F-148: also what an opaque stream's read gets on a reset */
    if (r != NULL && r->state == R_ACTIVE && !r->body_complete && !r->opaque) {
        read_err = ERROR_OPERATION_ABORTED;
        emu_req_remember_cut(r);
    }
    emu_conn_abort(c, read_err, ERROR_CONNECTION_INVALID, 0);
}

void emu_conn_abort(conn *c, ULONG read_err, ULONG send_err, int reset)
{
    if (c->closed) return;
    /* An h2 stream: its pieces on the TCP connection become copies before its sends hand the
     * caller's buffers back below (the stream's part ends here; conn_destroy finds nothing left). */
    if (c->h2parent != NULL) emu_h2_stream_gone(c, reset);
    if (c->flushing) {
        /* A write is reading the caller's chunks right now: their sends complete when it returns. */
        for (op *s = c->sends; s != NULL; s = s->next) {
            if (s->r) s->r->sends_pending--;
            s->r = NULL;
            if (s->q != NULL && s->q->port != NULL && s->late_port == NULL) { /* the queue may close first */
                s->late_port = s->q->port;
                s->late_key = s->q->key;
                emu_port_ref(s->late_port);
            }
            s->q = NULL;
        }
        c->abort_send_err = send_err;
    }
    while (!c->flushing && c->sends) {
        op *s = c->sends;
        c->sends = s->next;
        if (s->r) s->r->sends_pending--;
        if (s->issuing) {
            s->done_inline = 1;
            s->result = send_err;
            s->result_bytes = 0;
        } else {
            emu_op_complete(s, send_err, 0, 0);
        }
    }
    req *r = c->cur;
    if (r != NULL) {
        emu_req_fail_ops(r, read_err, send_err);
        c->cur = NULL;
        emu_req_free(r);
    }
    conn_destroy(c, reset);
}

/* Fires the Ex waits on a client FIN (F-73); v1 waits fire when the connection closes. */
static void conn_fire_ex_waits(conn *c)
{
    op **pp = &c->waits;
    while (*pp) {
        op *w = *pp;
        if (w->ex) {
            *pp = w->next;
            emu_op_complete(w, NO_ERROR, 0, 0);
        } else {
            pp = &w->next;
        }
    }
}

void emu_conn_begin_close(conn *c)
{
    /* Lingering close: FIN after the last byte, then read and drop until the client closes, so
     * the response is not destroyed by a RST over unread input. */
    if (c->ssl != NULL) emu_tls_close_notify(c);
    shutdown(c->fd, SHUT_WR);
    c->closing = 1;
    c->closing_since = emu_now();
    c->in_len = 0;
    conn_set_reading(c, 1);
    /* F-72: HTTP.sys closed the connection (DISCONNECT, Connection: close, HTTP/1.0): the waits
     * complete now, not when the client finally closes its side. */
    while (c->waits) {
        op *w = c->waits;
        c->waits = w->next;
        emu_op_complete(w, NO_ERROR, 0, 0);
    }
}

/* F-144, F-148: the 101 with OPAQUE was issued: every later byte from the client is body of r, read
 * through HttpReceiveRequestEntityBody as it arrives. Bytes that came in behind the request head (a
 * client that did not wait for the 101) are the first of them. */
void emu_conn_upgrade(req *r)
{
    conn *c = r->c;
    r->opaque = 1;
    r->body_kind = BODY_OPAQUE;
    r->body_left = 0;
    r->body_eof_seen = 0;
    r->continue_sent = 1; /* no 100 Continue on a raw stream */
    r->close_after = 0;   /* the stream ends by a final send, DISCONNECT, a cancel or the client (F-150) */
    size_t cap = c->in_len > BODY_BUFFER_MAX ? c->in_len : BODY_BUFFER_MAX;
    if (r->body_cap < cap) {
        char *n = realloc(r->body, cap);
        if (n == NULL) abort();
        r->body = n;
        r->body_cap = cap;
    }
    r->body_off = r->body_len = 0;
    if (c->in_len > 0) memcpy(r->body, c->in, c->in_len);
    r->body_len = c->in_len;
    c->in_len = 0;
    r->body_complete = c->peer_fin; /* a FIN that came before the 101: EOF after those bytes */
    emu_conn_process(c);
}

void emu_http_date(char *buf, size_t len)
{
    /* Formatted once a second (callers hold g_emu_lock, which guards the cache). */
    static time_t cached_at;
    static char cached[64];
    time_t t = time(NULL);
    if (t != cached_at) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(cached, sizeof(cached), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_at = t;
    }
    snprintf(buf, len, "%s", cached);
}

/* A response HTTP.sys sends by itself (F-68, F-91..F-94), then a graceful close. */
static void conn_error_response(conn *c, int status)
{
    const char *reason = status == 400 ? "Bad Request" : status == 404 ? "Not Found"
                       : status == 413 ? "Request Entity Too Large" : status == 501 ? "Not Implemented"
                       : status == 505 ? "HTTP Version Not Supported" : "Service Unavailable";
    char body[256], head[512], date[64];
    int bl = snprintf(body, sizeof(body),
                      "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                      "<HTML><HEAD><TITLE>%s</TITLE></HEAD><BODY><h2>%s</h2></BODY></HTML>\r\n", reason, reason);
    emu_http_date(date, sizeof(date));
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=us-ascii\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
                      "Date: %s\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", status, reason, date, bl);
    emu_conn_write(c, head, (size_t)hl);
    emu_conn_write(c, body, (size_t)bl);
    c->close_after_flush = 1;
    conn_set_reading(c, 0);
    emu_conn_kick(c);
}

void emu_conn_own_response(conn *c, const char *data, size_t len, int close)
{
    emu_conn_write(c, data, len);
    if (close) {
        c->in_len = 0; /* an unread body: nothing more is parsed on this connection */
        c->close_after_flush = 1;
        conn_set_reading(c, 0);
    }
    emu_conn_kick(c);
}

void emu_conn_reject(conn *c, int status_or_reset)
{
    if (c->h2parent != NULL) emu_h2_reject(c, status_or_reset);
    else if (status_or_reset == 0) emu_conn_abort(c, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 1);
    else conn_error_response(c, status_or_reset);
}

/* Moves arrived body bytes of the current request from the input buffer into its body buffer. */
static void conn_feed_body(conn *c)
{
    req *r = c->cur;
    while (!r->body_complete && c->in_len > 0 && r->body_len < BODY_BUFFER_MAX) {
        if (r->body_cap < BODY_BUFFER_MAX) {
            char *n = realloc(r->body, BODY_BUFFER_MAX);
            if (n == NULL) abort();
            r->body = n;
            r->body_cap = BODY_BUFFER_MAX;
        }
        if (r->body_off > 0 && r->body_off + r->body_len == r->body_cap) {
            /* the tail is full: move the undelivered bytes to the front once */
            memmove(r->body, r->body + r->body_off, r->body_len);
            r->body_off = 0;
        }
        char *end = r->body + r->body_off + r->body_len;
        size_t room = r->body_cap - r->body_off - r->body_len;
        size_t consumed = 0, produced = 0;
        if (r->body_kind == BODY_LENGTH || r->body_kind == BODY_OPAQUE) {
            size_t n = c->in_len;
            if (r->body_kind == BODY_LENGTH && n > r->body_left) n = (size_t)r->body_left;
            if (n > room) n = room;
            memcpy(end, c->in, n);
            consumed = produced = n;
            if (r->body_kind == BODY_LENGTH) {
                r->body_left -= n;
                if (r->body_left == 0) r->body_complete = 1;
            }
        } else {
            int rc = emu_chunked_decode(&r->chunk, c->in, c->in_len, &consumed, end, room, &produced);
            if (rc == EMU_CHUNK_ERROR) {
                /* F-48: malformed chunking ("5 junk" too) fails the request while the application reads;
                 * while no response has started HTTP.sys answers it with its own 400, like a bad head. */
                if (r->response_started) {
                    emu_conn_abort(c, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 1);
                    return;
                }
                emu_req_fail_ops(r, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID);
                c->cur = NULL;
                emu_req_free(r);
                c->in_len = 0;
                conn_error_response(c, 400);
                return;
            }
            if (rc == EMU_CHUNK_DONE) r->body_complete = 1;
        }
        memmove(c->in, c->in + consumed, c->in_len - consumed);
        c->in_len -= consumed;
        r->bytes_received += consumed;
        r->body_activity = emu_now();
        if (r->state == R_FINAL) r->body_len = r->body_off = 0; /* draining after the final response (F-49) */
        else r->body_len += produced;
        if (consumed == 0 && produced == 0) break;
    }
}

uint64_t emu_body_bytes_waiting(const req *r)
{
    const conn *c = r->c;
    if (c->cur != r || r->body_complete || c->in_len == 0) return 0;
    if (r->body_kind == BODY_LENGTH) return c->in_len < r->body_left ? c->in_len : r->body_left;
    /* Chunked: a copy of the decoder finds where the body ends in what has arrived. */
    emu_chunked d = r->chunk;
    char scratch[4096];
    size_t off = 0;
    while (off < c->in_len) {
        size_t used = 0, made = 0;
        int rc = emu_chunked_decode(&d, c->in + off, c->in_len - off, &used, scratch, sizeof(scratch), &made);
        off += used;
        if (rc != EMU_CHUNK_MORE || used == 0) break;
    }
    return off;
}

/* A pending body of known length on a plain HTTP/1.x connection with nothing buffered: HTTP.sys copies
 * such bytes once, from the network into the caller's buffer (F-45), and so does this: the socket is read
 * straight into the read's buffer, on the caller's thread when bytes are there, else on the loop's. */
int emu_body_direct(const req *r)
{
    const conn *c = r->c;
    return r->body_kind == BODY_LENGTH && r->state == R_ACTIVE && !r->body_complete && r->body_len == 0 &&
           c->cur == r && c->in_len == 0 && c->ssl == NULL && c->h2 == NULL && c->h2parent == NULL &&
           !c->closing && !c->closed && !c->peer_fin;
}

/* n bytes of r's body came off the socket */
static void body_arrived(req *r, size_t n)
{
    r->c->last_activity = r->body_activity = emu_now();
    r->bytes_received += (uint64_t)n;
    if (r->body_kind == BODY_LENGTH) {
        r->body_left -= (uint64_t)n;
        if (r->body_left == 0) r->body_complete = 1;
    }
}

ssize_t emu_body_recv(req *r, void *buf, size_t len)
{
    if (len > r->body_left) len = (size_t)r->body_left;
    ssize_t n = recv(r->c->fd, buf, len, 0);
    if (n > 0) body_arrived(r, (size_t)n);
    return n;
}

void emu_conn_feed(conn *c)
{
    if (!c->closed && c->cur && !c->cur->body_complete && c->in_len > 0) conn_feed_body(c);
}

/* Returns 1 when the request was answered from the kernel cache (F-165): the next one may be read now. */
static int conn_start_request(conn *c)
{
    if (c->l->closed) { /* its port has no URL left: never route (see emu_listener_release) */
        conn_destroy(c, 0);
        return 0;
    }
    emu_head h;
    int rc = emu_parse_head(c->in, c->in_len, &h);
    if (rc == EMU_PARSE_INCOMPLETE) {
        if (c->head_started == 0) c->head_started = emu_now();
        return 0;
    }
    if (rc != EMU_PARSE_OK) {
        conn_error_response(c, rc);
        return 0;
    }
    req *r = calloc(1, sizeof(*r));
    char *head = r ? malloc(h.head_len) : NULL;
    if (r == NULL || head == NULL) abort();
    memcpy(head, c->in, h.head_len);
    /* Re-parse over the copy so the head's pointers live as long as the request. */
    emu_parse_head(head, h.head_len, &r->h);
    r->head = head;
    memmove(c->in, c->in + h.head_len, c->in_len - h.head_len);
    c->in_len -= h.head_len;
    c->head_started = 0;
    r->c = c;
    r->bytes_received = h.head_len;
    r->is_head = r->h.verb == HttpVerbHEAD;
    if (r->h.chunked) r->body_kind = BODY_CHUNKED;
    else if (r->h.content_length > 0) { r->body_kind = BODY_LENGTH; r->body_left = (uint64_t)r->h.content_length; }
    else r->body_complete = 1;
    /* F-62: no HTTP/1.0 keep-alive; Connection: close is honoured. */
    r->close_after = r->h.minor == 0 || r->h.conn_close;
    c->cur = r;
    return emu_route_request(c, r);
}

void emu_conn_process(conn *c)
{
    if (c->h2 != NULL && !c->closed) { emu_h2_recv(c); return; }
    if (c->h2parent != NULL) { /* a stream's body arrives through h2.c */
        if (!c->closed) emu_conn_account(c);
        return;
    }
    while (!c->closed && !c->closing) {
        if (c->cur == NULL) {
            if (c->in_len == 0) break;
            /* A cache hit leaves no current request: a pipelined one behind it is parsed at once (F-67). */
            if (conn_start_request(c)) continue;
            if (c->cur == NULL) break;
            continue;
        }
        req *r = c->cur;
        if (!r->body_complete && c->in_len > 0 && r->state != R_QUEUED && r->state != R_BOUND) {
            size_t before = c->in_len;
            conn_feed_body(c);
            if (c->closed) return;
            if (c->cur != r) continue;
            if (r->state == R_FINAL && r->body_complete && r->sends_pending == 0) {
                emu_req_finished_send(r); /* drain done */
                continue;
            }
            emu_req_deliver_body(r);
            if (c->in_len == before) break;
            continue;
        }
        break; /* pipelined bytes wait for the current request (F-67) */
    }
    if (c->closed) return;
    /* Read while there is room: a full input buffer or body buffer pauses the client (back-pressure). */
    int want = c->closing || (c->in_len < IN_BUFFER_MAX && (c->cur == NULL || c->cur->body_len < BODY_BUFFER_MAX));
    /* Direct body reads: the bytes wait in the socket until the application reads (back-pressure, F-45). */
    if (c->cur && c->cur->body_ops == NULL && emu_body_direct(c->cur)) want = 0;
    if (c->cur && c->cur->body_complete && c->in_len >= IN_BUFFER_MAX) want = 0;
    if (c->peer_fin && !c->closing) want = 0; /* nothing more comes; a reset still shows as EPOLLERR */
    conn_set_reading(c, want);
    emu_conn_account(c);
}

static void conn_on_fin(conn *c)
{
    c->peer_fin = 1;
    if (c->flushing) {
        /* Another thread is writing this connection with the lock released: what it writes went to the
         * socket before the FIN was read, and its sends complete as written once it returns (on HTTP/2 the
         * FIN ends every stream, even those whose last frame is in that write). It acts on the FIN then. */
        c->fin_deferred = 1;
        conn_set_reading(c, 0); /* the FIN stays readable: no loop on it meanwhile */
        return;
    }
    if (c->cur != NULL && c->cur->opaque) {
        /* F-148: the client half-closed its opaque stream: the reads get what arrived, then ERROR_HANDLE_EOF;
         * the application may still write (a WebSocket close frame) until it ends the stream (F-150).
         * F-73: the Ex waits fire on the FIN, the v1 waits when the connection closes. */
        c->cur->body_complete = 1;
        emu_req_deliver_body(c->cur);
        conn_fire_ex_waits(c);
        if (c->reading) conn_set_reading(c, 0);
        else emu_conn_update_events(c);
        return;
    }
    if (c->cur == NULL) {
        emu_conn_abort(c, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 0);
        return;
    }
    if (!c->cur->body_complete) {
        emu_conn_peer_gone(c); /* a body cut short by FIN (F-184) */
        return;
    }
    conn_fire_ex_waits(c);
    c->close_after_flush = 1;
    if (c->cur) c->cur->close_after = 1;
    conn_set_reading(c, 0);
}

void emu_conn_deferred_fin(conn *c)
{
    c->fin_deferred = 0;
    conn_on_fin(c);
}

/* recv() on the socket, or SSL_read on a TLS connection, with recv()'s results. */
static ssize_t conn_recv(conn *c, void *buf, size_t len)
{
    return c->ssl != NULL ? emu_tls_recv(c, buf, len) : recv(c->fd, buf, len, 0);
}

static void conn_on_readable_inner(conn *c);

/* A read that got less than it asked for emptied the socket (TCP hands over all it has, up to the
 * length asked): the next read would only say EAGAIN, one system call per request for nothing, so the
 * loop waits for epoll, which is level-triggered and reports anything that arrives meanwhile. On TLS,
 * bytes OpenSSL has read ahead but not yet returned are read now: epoll cannot see them. */
static int conn_drained(conn *c, size_t got, size_t asked)
{
    if (c->ssl != NULL) return !emu_tls_pending(c);
    return got < asked;
}

static void conn_on_readable(conn *c)
{
    if (c->ssl != NULL && c->tls == NULL) {
        int rc = emu_tls_handshake(c);
        if (rc < 0) { conn_destroy(c, 0); return; } /* F-119: no binding, or not TLS at all: no response */
        if (rc == 0) return;
        if (emu_tls_alpn_h2(c) && emu_h2_start(c) != 0) { conn_destroy(c, 0); return; } /* F-154 */
    }
    conn_on_readable_inner(c);
    if (c->ssl != NULL && !c->closed) emu_tls_after_read(c);
}

static void conn_on_readable_inner(conn *c)
{
    for (;;) {
        if (c->closing) {
            char sink[4096];
            ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
            if (n > 0) continue;
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
            conn_destroy(c, 0);
            return;
        }
        req *r = c->cur;
        char *dst = NULL;
        size_t room = 0;
        op *direct = NULL;
        if (r != NULL && emu_body_direct(r) &&
            (r->body_ops == NULL || !(r->body_ops->flags & HTTP_RECEIVE_REQUEST_ENTITY_BODY_FLAG_FILL_BUFFER))) {
            /* F-45: straight into the waiting read's buffer */
            direct = r->body_ops;
            if (direct == NULL) { conn_set_reading(c, 0); return; } /* no reader: the bytes wait in the socket */
            dst = direct->buf;
            room = direct->len;
        } else if (r != NULL && c->in_len == 0 && (r->body_kind == BODY_LENGTH || r->body_kind == BODY_OPAQUE) &&
                   !r->body_complete && (r->state == R_ACTIVE || r->state == R_FINAL) && r->body_cap >= BODY_BUFFER_MAX) {
            /* A body of known length, or an opaque stream, goes straight into the body buffer: one copy less;
             * a full buffer stops reading the socket, so a client the application does not read is held back. */
            if (r->body_off > 0 && r->body_off + r->body_len == r->body_cap) {
                memmove(r->body, r->body + r->body_off, r->body_len);
                r->body_off = 0;
            }
            room = r->body_cap - r->body_off - r->body_len;
            if (r->state == R_FINAL) room = r->body_cap; /* draining (F-49): overwrite */
            if (r->body_kind == BODY_LENGTH && room > r->body_left) room = (size_t)r->body_left;
            if (r->body_kind == BODY_OPAQUE && r->state == R_ACTIVE && r->body_len >= BODY_BUFFER_MAX) room = 0;
            if (room == 0) { conn_set_reading(c, 0); return; }
            dst = r->state == R_FINAL ? r->body : r->body + r->body_off + r->body_len;
        }
        if (dst != NULL) {
            ssize_t n = direct ? emu_body_recv(r, dst, room) : conn_recv(c, dst, room);
            if (n > 0) {
                if (direct) {
                    r->body_ops = direct->next;
                    emu_poison_tail(dst, room, (size_t)n);
                    emu_op_complete(direct, NO_ERROR, (ULONG)n, 0);
                    emu_req_deliver_body(r); /* EOF to reads queued behind it once the body is complete */
                } else {
                    body_arrived(r, (size_t)n);
                    if (r->state == R_FINAL) {
                        if (r->body_complete && r->sends_pending == 0) emu_req_finished_send(r); /* drain done */
                    } else {
                        r->body_len += (size_t)n;
                        emu_req_deliver_body(r);
                    }
                }
                if (c->closed) return;
                emu_conn_process(c);
                if (c->closed || !c->reading || conn_drained(c, (size_t)n, room)) return;
                continue;
            }
            if (n == 0) { conn_on_fin(c); return; }
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR) continue;
            emu_conn_peer_gone(c); /* RST (F-184) */
            return;
        }
        if (c->in_len == c->in_cap) {
            if (c->in_cap >= IN_BUFFER_MAX) { conn_set_reading(c, 0); return; }
            size_t ncap = c->in_cap ? c->in_cap * 2 : 4096;
            if (ncap > IN_BUFFER_MAX) ncap = IN_BUFFER_MAX;
            char *n = realloc(c->in, ncap);
            if (n == NULL) abort();
            c->in = n;
            c->in_cap = ncap;
        }
        size_t asked = c->in_cap - c->in_len;
        ssize_t n = conn_recv(c, c->in + c->in_len, asked);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->last_activity = emu_now();
            emu_conn_process(c);
            if (c->closed || !c->reading || conn_drained(c, (size_t)n, asked)) return;
        } else if (n == 0) {
            conn_on_fin(c);
            return;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR) {
            /* RST: the request fails, the wait completes (F-73, F-184). */
            emu_conn_peer_gone(c);
            return;
        }
    }
}

/* A stream of an h2 connection as the API sees it: a connection with its own id (F-77) and no socket. */
conn *emu_conn_new_stream(conn *parent)
{
    conn *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->obj = OBJ_CONN;
    c->fd = -1;
    c->l = parent->l;
    c->l->conns++;
    c->id = emu_next_id();
    g_last_conn_id = c->id;
    c->local = parent->local;
    c->remote = parent->remote;
    c->tls = parent->tls;
    c->tls_binding_flags = parent->tls_binding_flags;
    c->h2parent = parent;
    c->last_activity = emu_now();
    c->hnext = g_conns[c->id % CONN_BUCKETS];
    g_conns[c->id % CONN_BUCKETS] = c;
    emu_count(CNT_CONNECTIONS, 1);
    return c;
}

static void listener_accept(listener *l)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: the connection stays in the backlog, and a level-triggered
                 * listener would wake the loop again at once, forever. Look again a little later. */
                struct epoll_event ev = {.events = 0, .data.ptr = l};
                epoll_ctl(g_epoll, EPOLL_CTL_MOD, l->fd, &ev);
                l->paused_until = emu_now() + 0.1;
            }
            return;
        }
        conn *c = calloc(1, sizeof(*c));
        if (c == NULL) { close(fd); return; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->obj = OBJ_CONN;
        c->fd = fd;
        c->l = l;
        l->conns++;
        c->id = emu_next_id();
        if (g_first_conn_id == 0) g_first_conn_id = c->id;
        g_last_conn_id = c->id;
        c->remote = ss;
        sl = sizeof(c->local);
        getsockname(fd, (struct sockaddr *)&c->local, &sl);
        c->last_activity = emu_now();
        c->reading = 1;
        if (l->tls && emu_tls_start(c) != 0) {
            l->conns--;
            close(fd);
            free(c);
            continue;
        }
        c->hnext = g_conns[c->id % CONN_BUCKETS];
        g_conns[c->id % CONN_BUCKETS] = c;
        emu_count(CNT_CONNECTIONS, 1);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        c->armed = ev.events;
        epoll_ctl(g_epoll, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void conn_on_event(conn *c, uint32_t events)
{
    if (events & EPOLLERR) {
        emu_conn_peer_gone(c);
        return;
    }
    if ((events & (EPOLLIN | EPOLLHUP)) && (c->ssl == NULL || c->reading || (events & EPOLLHUP))) {
        conn_on_readable(c);
        if (c->closed) return;
    }
    if ((events & EPOLLRDHUP) && !c->reading && !c->peer_fin && !c->closing) {
        /* Reading is paused but the client went away: look at what is there. */
        char b;
        ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);
        if (n == 0) conn_on_fin(c);
        else if (n < 0 && errno != EAGAIN) emu_conn_peer_gone(c);
        else if (n > 0) { c->rdhup_seen = 1; emu_conn_update_events(c); } /* read later, when reading resumes */
        if (c->closed) return;
    }
    if (c->ssl != NULL && (events & EPOLLOUT) && (c->tls_read_wants_write || (c->reading && emu_tls_pending(c)))) {
        c->tls_read_wants_write = 0;
        conn_on_readable(c);
        if (c->closed) return;
    }
    if (c->ssl != NULL && (events & EPOLLIN) && c->tls_write_wants_read) {
        c->tls_write_wants_read = 0;
        emu_conn_flush(c);
        if (c->closed) return;
    }
    if ((events & EPOLLOUT) && (c->ssl == NULL || c->writing)) emu_conn_flush(c);
    if (c->ssl != NULL && !c->closed) emu_conn_update_events(c);
}

void emu_conns_forget_group(group *g)
{
    for (int b = 0; b < CONN_BUCKETS; b++)
        for (conn *c = g_conns[b]; c != NULL; c = c->hnext)
            if (c->g == g) c->g = NULL;
}

int emu_conns_cancel_waits(queue *q, OVERLAPPED *ov)
{
    int found = 0;
    for (int b = 0; b < CONN_BUCKETS; b++) {
        for (conn *c = g_conns[b]; c != NULL; c = c->hnext) {
            found |= emu_tls_cancel_cert_ops(c, q, ov);
            for (op **pp = &c->waits; *pp;) {
                op *w = *pp;
                if (w->q == q && (ov == NULL || w->ov == ov)) {
                    *pp = w->next;
                    emu_op_complete(w, ERROR_OPERATION_ABORTED, 0, 0);
                    found = 1;
                } else {
                    pp = &w->next;
                }
            }
        }
    }
    return found;
}

/* ---- timers (F-95..F-99) ---- */

static void scan_timers(double now)
{
    for (int b = 0; b < CONN_BUCKETS; b++) {
        conn *next;
        for (conn *c = g_conns[b]; c != NULL; c = next) {
            next = c->hnext;
            timeouts t;
            emu_effective_timeouts(c, &t);
            req *r = c->cur;
            if (c->closing) {
                if (now - c->closing_since > 2.0) conn_destroy(c, 0);
            } else if (r == NULL) {
                if (c->in_len > 0 && c->head_started > 0 && now - c->head_started > t.header_wait) {
                    conn_destroy(c, 0); /* HeaderWait */
                } else if (c->in_len == 0 && c->out_head == NULL && now - c->last_activity > t.idle && emu_h2_idle(c)) {
                    conn_destroy(c, 0); /* IdleConnection */
                }
            } else if (r->opaque) {
                /* F-150: no HTTP timer applies to an upgraded connection (stand-in: EntityBody, Drain,
                 * IdleConnection, MinSendRate all off); it ends when the application or the client ends it. */
            } else if (r->state == R_QUEUED && now - r->queued_at > t.request_queue) {
                emu_conn_abort(c, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 1); /* F-95 */
            } else if (r->state == R_FINAL && !r->body_complete && r->sends_pending == 0 &&
                       now - r->final_at > t.drain) {
                emu_conn_abort(c, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 1); /* DrainEntityBody */
            } else if (r->state == R_ACTIVE && r->body_ops != NULL && !r->body_complete &&
                       now - r->body_activity > t.entity_body) {
                emu_conn_abort(c, ERROR_CONNECTION_INVALID, ERROR_CONNECTION_INVALID, 1); /* EntityBody */
            }
        }
    }
}

static void *loop_main(void *arg)
{
    (void)arg;
    struct epoll_event evs[256];
    double last_scan = emu_now();
    for (;;) {
        int n = epoll_wait(g_epoll, evs, 256, 250);
        pthread_mutex_lock(&g_emu_lock);
        g_gen++;
        for (int i = 0; i < n; i++) {
            int obj = *(int *)evs[i].data.ptr;
            if (obj == OBJ_LISTENER) {
                listener *l = evs[i].data.ptr;
                if (!l->closed) listener_accept(l);
            } else {
                conn *c = evs[i].data.ptr;
                if (!c->closed) conn_on_event(c, evs[i].events);
            }
        }
        double now = emu_now();
        for (listener *l = g_listeners; l != NULL; l = l->next) {
            if (l->paused_until > 0 && now >= l->paused_until) {
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
                epoll_ctl(g_epoll, EPOLL_CTL_MOD, l->fd, &ev);
                l->paused_until = 0;
            }
        }
        if (now - last_scan >= 0.25) {
            scan_timers(now);
            last_scan = now;
        }
        /* Free what was closed before this batch was collected: no later batch can name it. */
        for (conn **pp = &g_grave_conns; *pp;) {
            conn *c = *pp;
            if (c->close_gen < g_gen && !c->flushing) { *pp = c->grave_next; free(c); }
            else pp = &c->grave_next;
        }
        for (listener **pp = &g_grave_listeners; *pp;) {
            listener *l = *pp;
            if (l->close_gen < g_gen && l->conns == 0) { *pp = l->grave_next; free(l); }
            else pp = &l->grave_next;
        }
        pthread_mutex_unlock(&g_emu_lock);
    }
    return NULL;
}
