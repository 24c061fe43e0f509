/*
 * out: a connection's output. An ordered list of pieces: the emulator's own copies (response heads,
 * HTTP.sys's own responses, 100 Continue) and the caller's send chunks, which are borrowed, not
 * copied: HTTP.sys may read them any time until the send completes, so they are read only when they
 * go to the socket, and a caller that frees or rewrites one early sends wrong bytes here too.
 *
 * One thread at a time writes a connection (conn.flushing), with the global lock released around the
 * socket call (around SSL_write on TLS), so the emulator's lock is not held during I/O. While a write is
 * in progress nothing the writer reads may go: an abort leaves the socket, the pieces and the send
 * completions to the writer (emu_conn_bury), so no caller buffer is handed back while it may still be
 * read; a FIN read meanwhile waits for the writer too (net.c).
 *
 * HTTP/2 (h2.c): the TCP connection's pieces interleave the frames of many streams. A piece may belong
 * to a stream's connection (its owner): the stream's send completions count the owner's bytes as they
 * reach the socket, and END_STREAM counts as one more unit (the final send completes only when the
 * frame that ends the stream is written). A stream that ends early leaves its pieces to the TCP
 * connection as copies (emu_out_detach), since their frame headers are already queued.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct seg {
    const char *p;     /* the bytes: data[] for a copy, the caller's memory for a borrowed chunk */
    size_t len, off;   /* off bytes already written */
    conn *owner;       /* h2: the stream connection whose sends these bytes count for, or NULL */
    int lent;          /* h2: the owner's caller bytes (counted byte by byte) */
    int fin;           /* h2: the last piece of the owner's END_STREAM frame: one unit once written */
    seg *next;
    char data[];
};

#define WRITE_IOV_MAX 64

static seg *seg_add(conn *c, const char *p, size_t len, int copy)
{
    if (c->closed || len == 0) return NULL;
    seg *s = malloc(sizeof(*s) + (copy ? len : 0));
    if (s == NULL) abort();
    if (copy) {
        memcpy(s->data, p, len);
        p = s->data;
    }
    s->p = p;
    s->len = len;
    s->off = 0;
    s->owner = NULL;
    s->lent = s->fin = 0;
    s->next = NULL;
    if (c->out_tail) c->out_tail->next = s;
    else c->out_head = s;
    c->out_tail = s;
    c->out_bytes += len;
    c->out_queued += len;
    return s;
}

void emu_conn_write(conn *c, const char *data, size_t len) { seg_add(c, data, len, 1); }

void emu_conn_lend(conn *c, const char *data, size_t len)
{
    if (c->h2parent != NULL) emu_h2_lend(c, data, len); /* framed into DATA later, still borrowed */
    else seg_add(c, data, len, 0);
}

void emu_conn_lend_for(conn *c, conn *owner, const char *data, size_t len)
{
    seg *s = seg_add(c, data, len, 0);
    if (s != NULL) { s->owner = owner; s->lent = 1; }
}

void emu_conn_mark_fin(conn *c, conn *owner)
{
    if (c->out_tail == NULL || c->closed) return;
    c->out_tail->owner = owner;
    c->out_tail->fin = 1;
}

void emu_out_detach(conn *c, conn *owner)
{
    seg **pp = &c->out_head;
    while (*pp) {
        seg *s = *pp;
        if (s->owner != owner) { pp = &s->next; continue; }
        s->owner = NULL;
        s->fin = 0;
        if (s->lent && !c->closed) {
            /* The frame header is on its way: the payload must follow, from a copy now. */
            size_t left = s->len - s->off;
            seg *n = malloc(sizeof(*n) + left);
            if (n == NULL) abort();
            memcpy(n->data, s->p + s->off, left);
            n->p = n->data;
            n->len = left;
            n->off = 0;
            n->owner = NULL;
            n->lent = n->fin = 0;
            n->next = s->next;
            *pp = n;
            if (c->out_tail == s) c->out_tail = n;
            free(s);
            s = n;
        }
        s->lent = 0;
        pp = &s->next;
    }
}

void emu_out_free(conn *c)
{
    while (c->out_head) {
        seg *s = c->out_head;
        c->out_head = s->next;
        free(s);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

/* Drops the first n written bytes from the pieces. */
static void out_consume(conn *c, size_t n)
{
    c->out_bytes -= n;
    c->out_written += n;
    while (n > 0) {
        seg *s = c->out_head;
        size_t left = s->len - s->off;
        if (n < left) {
            s->off += n;
            if (s->owner && s->lent) { s->owner->out_written += n; s->owner->out_dirty = 1; }
            return;
        }
        n -= left;
        if (s->owner) {
            s->owner->out_written += (s->lent ? left : 0) + (s->fin ? 1 : 0);
            s->owner->out_dirty = 1;
        }
        c->out_head = s->next;
        if (c->out_head == NULL) c->out_tail = NULL;
        free(s);
    }
}

/* Completes the sends whose last byte is on the wire (F-60, F-61). */
void emu_conn_complete_sends(conn *c)
{
    while (c->sends && c->sends->end <= c->out_written) {
        op *s = c->sends;
        c->sends = s->next;
        req *r = s->r;
        int final = s->final;
        if (r) r->sends_pending--;
        if (s->issuing) {
            s->done_inline = 1;
            s->result = NO_ERROR;
            s->result_bytes = s->bytes;
        } else {
            emu_op_complete(s, NO_ERROR, s->bytes, 0);
        }
        if (final && r) emu_req_finished_send(r);
        if (c->closed) return;
    }
}

void emu_conn_kick(conn *c)
{
    if (c->h2parent != NULL) { /* a stream: its frames go out on the TCP connection */
        emu_h2_resume(c);
        c = c->h2parent;
    }
    /* A writer in progress picks new pieces up before it stops; otherwise the loop writes on EPOLLOUT. */
    if (c->closed || c->flushing || c->writing) return;
    c->writing = 1;
    emu_conn_update_events(c);
}

/* TLS: the writer encrypts and sends with g_emu_lock released, as on a plain connection, holding only
 * the connection's SSL lock (tls.c), which the loop thread's SSL_read waits for; the socket is
 * non-blocking, so neither waits on the client. While it writes, other threads queue pieces (an HTTP/2
 * connection's other streams): the next round gathers them into one record (how Windows groups the frames
 * of streams answered together into records and segments is not known; nothing the connector sees depends
 * on it). A retry after SSL_ERROR_WANT_WRITE starts at the same stream offset with the same bytes first,
 * as OpenSSL requires (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: not from the same address). */
static void tls_flush(conn *c)
{
    char buf[16384];
    for (;;) {
        if (c->h2 != NULL && !c->closed) emu_h2_pump(c); /* more frames as the socket drains */
        if (c->closed || c->out_head == NULL) break;
        size_t n = 0;
        for (seg *s = c->out_head; s != NULL && n < sizeof(buf); s = s->next) {
            size_t k = s->len - s->off;
            if (k > sizeof(buf) - n) k = sizeof(buf) - n;
            memcpy(buf + n, s->p + s->off, k);
            n += k;
        }
        int wants_read = 0;
        pthread_mutex_unlock(&g_emu_lock);
        ssize_t w = emu_tls_send(c, buf, n, &wants_read);
        int e = errno;
        pthread_mutex_lock(&g_emu_lock);
        if (c->closed) break;
        if (w < 0) {
            if (wants_read) c->tls_write_wants_read = 1;
            if (e == EAGAIN) break;
            emu_conn_peer_gone(c); /* F-65 */
            break;
        }
        out_consume(c, (size_t)w);
        c->last_activity = emu_now();
        emu_conn_complete_sends(c);
        if (c->h2 != NULL && !c->closed) emu_h2_complete_sends(c);
    }
}

void emu_conn_flush(conn *c)
{
    if (c->h2parent != NULL) { /* a stream: frame what it was given, write the TCP connection */
        if (c->closed) return;
        emu_h2_resume(c);
        /* The TCP connection's write releases the lock: the stream may end meanwhile (a reset, a
         * cancel), and is kept, with its sends, until this returns, as a plain writer's connection is. */
        int mine = !c->flushing;
        c->flushing = 1;
        emu_conn_flush(c->h2parent);
        if (!mine) return;
        c->flushing = 0;
        if (c->closed) { emu_conn_bury(c); return; }
        emu_conn_complete_sends(c); /* a send with nothing to write (F-59) */
        return;
    }
    if (c->closed || c->flushing) return;
    c->flushing = 1;
    if (c->ssl != NULL) tls_flush(c);
    while (c->ssl == NULL && !c->closed && c->out_head != NULL) {
        struct iovec iov[WRITE_IOV_MAX];
        int n = 0;
        for (seg *s = c->out_head; s != NULL && n < WRITE_IOV_MAX; s = s->next, n++) {
            iov[n].iov_base = (void *)(s->p + s->off);
            iov[n].iov_len = s->len - s->off;
        }
        struct msghdr m;
        memset(&m, 0, sizeof(m));
        m.msg_iov = iov;
        m.msg_iovlen = (size_t)n;
        int fd = c->fd;
        pthread_mutex_unlock(&g_emu_lock);
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
        int e = errno;
        pthread_mutex_lock(&g_emu_lock);
        if (c->closed) break;
        if (w < 0) {
            if (e == EINTR) continue;
            if (e == EAGAIN || e == EWOULDBLOCK) break;
            emu_conn_peer_gone(c); /* F-65: sends fail once the client is gone */
            break;
        }
        out_consume(c, (size_t)w);
        c->last_activity = emu_now();
        emu_conn_complete_sends(c);
    }
    if (!c->closed) emu_conn_complete_sends(c); /* a send with nothing to write completes too (F-59) */
    c->flushing = 0;
    if (c->closed) {
        emu_conn_bury(c);
        return;
    }
    int want = c->out_head != NULL;
    if (want != c->writing || c->ssl != NULL) { /* TLS: a write waiting for a read changes the events too */
        c->writing = want;
        emu_conn_update_events(c);
    }
    if (!want && c->close_after_flush && !c->closing && c->cur == NULL) emu_conn_begin_close(c);
    emu_conn_account(c);
    if (c->fin_deferred && !c->closed) emu_conn_deferred_fin(c); /* read during the write (net.c) */
}
