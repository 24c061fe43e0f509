/*
 * cache: HTTP.sys's kernel response cache and fragment cache (F-162..F-168).
 *
 * A response the application sends whole, in one HttpSendHttpResponse with a cache policy, to a request
 * the cache may answer (F-163, F-164) is kept under the request's URL; the next such request for that URL
 * is answered here, on the network thread, without any HttpReceiveHttpRequest completing (F-165). Named
 * fragments (HttpAddFragmentToCache) are bodies the application puts in and later sends by name through
 * data chunks of type FromFragmentCache(Ex) (F-168). Both kinds are entries of one list that belong to
 * the queue that made them: a flush (F-167), the queue's close and the removal of their prefix drop them.
 *
 * The list is linear: the cache of an emulator under test holds a handful of entries. Everything here is
 * guarded by g_emu_lock.
 */
#define _GNU_SOURCE
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CACHE_MAX_RESPONSE (256 * 1024) /* F-163: UriMaxUriBytes' default */

enum { CE_RESPONSE, CE_FRAGMENT };

typedef struct centry {
    int kind;
    const queue *q;        /* the owner: only it reads, overwrites or flushes the entry (F-168) */
    int tls, port;         /* scheme and the listener's port */
    char host[300];        /* lower case, no port: what a named flush prefix is compared with */
    char hostport[300];    /* responses: the cooked URL's host piece, with its port (F-35), lower case */
    char *path;            /* responses: the cooked path as decoded; fragments: the name's path, lower case */
    size_t path_len;
    char *query;           /* responses: the raw query with its '?', "" when none */
    size_t query_len;
    double expires;        /* emu_now() time it goes, 0 = until flushed (UserInvalidates, F-167) */
    /* responses: the head up to and including HTTP.sys's Server line; Date, the computed length and
     * Connection are added at each replay, as the send path adds them */
    char *head;
    size_t head_len;
    int has_length, has_connection, bodiless;
    char *body;
    size_t body_len;
    struct centry *next;
} centry;

static centry *g_cache;

static void entry_free(centry *e)
{
    free(e->path);
    free(e->query);
    free(e->head);
    free(e->body);
    free(e);
    emu_count(CNT_CACHE, -1);
}

/* Unlinks and frees every entry that matches; returns how many went. */
static int drop_if(int (*match)(const centry *, const void *), const void *arg)
{
    int n = 0;
    for (centry **pp = &g_cache; *pp;) {
        centry *e = *pp;
        if (match(e, arg)) {
            *pp = e->next;
            entry_free(e);
            n++;
        } else {
            pp = &e->next;
        }
    }
    return n;
}

static int expired(const centry *e, const void *now)
{
    return e->expires != 0 && e->expires <= *(const double *)now;
}

/* TTL entries (F-162) go lazily: at every lookup, whatever has run out is dropped first. */
static void drop_expired(void)
{
    double now = emu_now();
    drop_if(expired, &now);
}

static void lower(char *s)
{
    for (; *s; s++) *s = (char)tolower_ascii(*s);
}

/* ---- names: "scheme://host:port/path" as UrlPrefix strings are written (F-167, F-168) ---- */

typedef struct cname {
    int tls, port;
    char host[256];        /* lower case; "+" and "*" as given */
    char path[2048];       /* lower case, as given otherwise: no '/' is added (it names one URL) */
    size_t path_len;
} cname;

/* wlen: WCHARs, or (size_t)-1 when NUL-terminated. */
static ULONG parse_name(PCWSTR w, size_t wlen, cname *n)
{
    char s[2400];
    size_t len = 0;
    if (w == NULL) return ERROR_INVALID_PARAMETER;
    for (; len < wlen && w[len]; len++) {
        if (len + 1 >= sizeof(s) || w[len] > 0x7e || w[len] < 0x21) return ERROR_INVALID_PARAMETER;
        s[len] = (char)w[len];
    }
    s[len] = 0;
    memset(n, 0, sizeof(*n));
    const char *p;
    if (strncasecmp(s, "https://", 8) == 0) { n->tls = 1; p = s + 8; }
    else if (strncasecmp(s, "http://", 7) == 0) p = s + 7;
    else return ERROR_INVALID_PARAMETER;
    const char *he = *p == '[' ? strchr(p, ']') : p;
    if (he == NULL) return ERROR_INVALID_PARAMETER;
    he = strchr(he, ':');
    if (he == NULL || he == p || (size_t)(he - p) >= sizeof(n->host)) return ERROR_INVALID_PARAMETER;
    memcpy(n->host, p, (size_t)(he - p));
    lower(n->host);
    const char *q = he + 1;
    int port = 0;
    while (*q >= '0' && *q <= '9') { port = port * 10 + (*q - '0'); if (port > 65535) return ERROR_INVALID_PARAMETER; q++; }
    if (port < 1 || *q != '/' || strchr(q, '?') || strchr(q, '#')) return ERROR_INVALID_PARAMETER;
    n->port = port;
    n->path_len = strlen(q);
    if (n->path_len >= sizeof(n->path)) return ERROR_INVALID_PARAMETER;
    memcpy(n->path, q, n->path_len + 1);
    lower(n->path);
    return NO_ERROR;
}

/* Is path (any case) the name's path (exact), or under it (recursive, by whole segments as F-108)? */
static int path_under(const char *path, size_t len, const char *pre, size_t pre_len, int recursive)
{
    if (!recursive) return len == pre_len && strncasecmp(path, pre, len) == 0;
    if (pre_len > 0 && pre[pre_len - 1] == '/') {
        if (len >= pre_len) return strncasecmp(path, pre, pre_len) == 0;
        return len + 1 == pre_len && strncasecmp(path, pre, len) == 0; /* "/a" is under "/a/" */
    }
    if (len < pre_len || strncasecmp(path, pre, pre_len) != 0) return 0;
    return len == pre_len || path[pre_len] == '/';
}

/* A name's host matches an entry's: a wildcard one ("+", "*") matches any. */
static int host_matches(const char *name_host, const char *entry_host)
{
    if (strcmp(name_host, "+") == 0 || strcmp(name_host, "*") == 0) return 1;
    return strcmp(name_host, entry_host) == 0;
}

/* ---- the request and response rules ---- */

static int has_header(const emu_head *h, int known)
{
    for (size_t i = 0; i < h->nhdr; i++)
        if (h->hdr[i].known == known) return 1;
    return 0;
}

/* F-163: the cache stores for, and answers, only a complete GET with no body, HTTP/1.0 or later, without
 * Translate: f, an Expect other than 100-continue, Authorization, Range or If-Range; never a request of a
 * group (or session) with Windows authentication configured, since the cache would answer it unchecked.
 * Stand-in: never an h2 stream (open question: whether HTTP.sys caches or answers HTTP/2 from the cache). */
static int request_ok(const conn *c, const req *r, const group *g)
{
    const emu_head *h = &r->h;
    if (c->h2parent != NULL || c->h2 != NULL) return 0;
    if (h->verb != HttpVerbGET || h->major != 1) return 0;
    if (h->chunked || h->content_length > 0) return 0;
    if (has_header(h, HttpHeaderAuthorization) || has_header(h, HttpHeaderRange) || has_header(h, HttpHeaderIfRange))
        return 0;
    for (size_t i = 0; i < h->nhdr; i++) {
        const emu_hdr *x = &h->hdr[i];
        if (x->known == HttpHeaderTranslate && x->value_len == 1 && (x->value[0] == 'f' || x->value[0] == 'F'))
            return 0;
        if (x->known == HttpHeaderExpect && !(x->value_len == 12 && strncasecmp(x->value, "100-continue", 12) == 0))
            return 0;
    }
    if (g == NULL || emu_auth_configured(g)) return 0;
    return 1;
}

/* The request's cache key: scheme, the cooked URL's host with port, cooked path and raw query (F-165:
 * the URL; open question: whether HTTP.sys keys on the query string and on Host). */
static void request_key(const req *r, int *tls, char *hostport, size_t cap, const char **query, size_t *query_len)
{
    *tls = r->c->l->tls;
    snprintf(hostport, cap, "%s", r->host);
    lower(hostport);
    const char *q = memchr(r->h.target, '?', r->h.target_len);
    *query = q ? q : "";
    *query_len = q ? (size_t)(r->h.target + r->h.target_len - q) : 0;
}

static centry *find_response(const queue *q, const req *r)
{
    int tls;
    char hp[300];
    const char *query;
    size_t ql;
    request_key(r, &tls, hp, sizeof(hp), &query, &ql);
    for (centry *e = g_cache; e; e = e->next) {
        if (e->kind != CE_RESPONSE || e->q != q || e->tls != tls || e->port != r->c->l->port) continue;
        /* The path as decoded, case and all: an application may serve /A and /a differently. */
        if (strcmp(e->hostport, hp) != 0 || e->path_len != r->cooked_path_len ||
            memcmp(e->path, r->cooked_path, e->path_len) != 0)
            continue;
        if (e->query_len == ql && memcmp(e->query, query, ql) == 0) return e;
    }
    return NULL;
}

static centry *find_fragment(const queue *q, const cname *n)
{
    for (centry *e = g_cache; e; e = e->next)
        if (e->kind == CE_FRAGMENT && e->q == q && e->tls == n->tls && e->port == n->port &&
            strcmp(e->host, n->host) == 0 && e->path_len == n->path_len && memcmp(e->path, n->path, n->path_len) == 0)
            return e;
    return NULL;
}

/* A known or unknown response header by name. */
static const char *response_header(const HTTP_RESPONSE *resp, int known, const char *name, size_t *len)
{
    const HTTP_KNOWN_HEADER *k = &resp->Headers.KnownHeaders[known];
    if (k->RawValueLength > 0 && k->pRawValue != NULL) { *len = k->RawValueLength; return k->pRawValue; }
    size_t nl = strlen(name);
    for (USHORT i = 0; i < resp->Headers.UnknownHeaderCount && resp->Headers.pUnknownHeaders; i++) {
        const HTTP_UNKNOWN_HEADER *u = &resp->Headers.pUnknownHeaders[i];
        if (u->NameLength == nl && u->pName != NULL && strncasecmp(u->pName, name, nl) == 0) {
            *len = u->pRawValue ? u->RawValueLength : 0;
            return u->pRawValue ? u->pRawValue : "";
        }
    }
    return NULL;
}

/* F-163: an RFC 1123 date ("Sun, 06 Nov 1994 08:49:37 GMT"), nothing else. */
static int well_formed_date(const char *v, size_t len)
{
    char s[64];
    if (len == 0 || len >= sizeof(s)) return 0;
    memcpy(s, v, len);
    s[len] = 0;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return end != NULL && *end == 0;
}

ULONG emu_cache_fragment(const queue *q, PCWSTR name, size_t wlen, const HTTP_BYTE_RANGE *range, const char **data,
                         size_t *len)
{
    cname n;
    if (parse_name(name, wlen, &n) != NO_ERROR) return ERROR_INVALID_PARAMETER;
    drop_expired();
    centry *e = find_fragment(q, &n);
    if (e == NULL) return ERROR_PATH_NOT_FOUND; /* F-168: gone, or never added */
    size_t off = 0, n_bytes = e->body_len;
    if (range != NULL) {
        /* A range inside the fragment; HTTP_BYTE_RANGE_TO_EOF as Length runs to its end. */
        if (range->StartingOffset > e->body_len) return ERROR_INVALID_PARAMETER;
        off = (size_t)range->StartingOffset;
        if (range->Length != HTTP_BYTE_RANGE_TO_EOF) {
            if (range->Length > e->body_len - off) return ERROR_INVALID_PARAMETER;
            n_bytes = (size_t)range->Length;
        } else {
            n_bytes = e->body_len - off;
        }
    }
    *data = e->body + off;
    *len = n_bytes;
    return NO_ERROR;
}

ULONG emu_cache_chunk(const queue *q, const HTTP_DATA_CHUNK *ch, const char **data, size_t *len)
{
    if (ch->DataChunkType == HttpDataChunkFromFragmentCache) {
        /* F-168: FragmentNameLength is in bytes; the name need not end with a NUL. */
        if (ch->FromFragmentCache.pFragmentName == NULL || ch->FromFragmentCache.FragmentNameLength == 0)
            return ERROR_INVALID_PARAMETER;
        return emu_cache_fragment(q, ch->FromFragmentCache.pFragmentName, ch->FromFragmentCache.FragmentNameLength / 2,
                                  NULL, data, len);
    }
    if (ch->FromFragmentCacheEx.pFragmentName == NULL) return ERROR_INVALID_PARAMETER;
    return emu_cache_fragment(q, ch->FromFragmentCacheEx.pFragmentName, (size_t)-1, &ch->FromFragmentCacheEx.ByteRange,
                              data, len);
}

/* ---- storing and answering responses ---- */

void emu_cache_store(req *r, const HTTP_CACHE_POLICY *policy, ULONG flags, const HTTP_RESPONSE *resp, const char *head,
                     size_t head_len, int has_length, int has_connection, unsigned long long body)
{
    if (policy == NULL || policy->Policy == HttpCachePolicyNocache) return; /* F-162 */
    if (policy->Policy == HttpCachePolicyTimeToLive && policy->SecondsToLive == 0) return; /* gone at once */
    /* F-163, F-164: anything else is sent normally and silently not cached. The response must come whole in
     * this one call (no MORE_DATA, so no header-only flush before either: the send path refuses a second
     * HttpSendHttpResponse), within the size limit, with a Content-Type (Windows 8 and later), a status of
     * 200..599 but 206, and a Last-Modified, if any, that parses. */
    if (flags & (HTTP_SEND_RESPONSE_FLAG_MORE_DATA | HTTP_SEND_RESPONSE_FLAG_OPAQUE)) return;
    if (!request_ok(r->c, r, r->g)) return;
    if (resp->StatusCode < 200 || resp->StatusCode > 599 || resp->StatusCode == 206) return;
    if (body > CACHE_MAX_RESPONSE) return;
    size_t vl;
    const char *v = response_header(resp, HttpHeaderContentType, "Content-Type", &vl);
    if (v == NULL || vl == 0) return;
    if ((v = response_header(resp, HttpHeaderLastModified, "Last-Modified", &vl)) != NULL && !well_formed_date(v, vl))
        return;
    /* Stand-in: a response framed by the application itself (Transfer-Encoding) is not kept; its bytes
     * are only meaningful with that framing, which a replay would have to reproduce. */
    if (response_header(resp, HttpHeaderTransferEncoding, "Transfer-Encoding", &vl) != NULL) return;
    queue *q = r->q;
    centry *e = calloc(1, sizeof(*e));
    if (e == NULL) return;
    e->kind = CE_RESPONSE;
    e->q = q;
    const char *query;
    size_t ql;
    request_key(r, &e->tls, e->hostport, sizeof(e->hostport), &query, &ql);
    snprintf(e->host, sizeof(e->host), "%s", e->hostport);
    char *colon = e->host[0] == '[' ? strchr(e->host, ']') : e->host;
    if (colon && (colon = strchr(colon, ':')) != NULL) *colon = 0;
    e->port = r->c->l->port;
    e->path = malloc(r->cooked_path_len + 1);
    e->query = malloc(ql + 1);
    e->head = malloc(head_len);
    e->body = malloc(body ? body : 1);
    if (!e->path || !e->query || !e->head || !e->body) {
        free(e->path); free(e->query); free(e->head); free(e->body); free(e);
        return;
    }
    memcpy(e->path, r->cooked_path, r->cooked_path_len);
    e->path[r->cooked_path_len] = 0;
    e->path_len = r->cooked_path_len;
    memcpy(e->query, query, ql);
    e->query[ql] = 0;
    e->query_len = ql;
    memcpy(e->head, head, head_len);
    e->head_len = head_len;
    e->has_length = has_length;
    e->has_connection = has_connection;
    e->bodiless = resp->StatusCode == 204 || resp->StatusCode == 304; /* F-57: no length of HTTP.sys's */
    /* The body is copied now: the application's buffers are its own again once the send completes. */
    for (USHORT i = 0; i < resp->EntityChunkCount; i++) {
        const HTTP_DATA_CHUNK *ch = &resp->pEntityChunks[i];
        const char *p = NULL;
        size_t n = 0;
        if (ch->DataChunkType == HttpDataChunkFromMemory) {
            p = ch->FromMemory.pBuffer;
            n = ch->FromMemory.BufferLength;
        } else if (emu_cache_chunk(q, ch, &p, &n) != NO_ERROR) {
            n = 0; /* checked by the send path already */
        }
        if (n > 0) memcpy(e->body + e->body_len, p, n);
        e->body_len += n;
    }
    e->expires = policy->Policy == HttpCachePolicyTimeToLive ? emu_now() + (double)policy->SecondsToLive : 0;
    /* Open question: what HTTP.sys does when a response for a URL already cached is sent with a policy
     * again (possible when the first entry expired, or for a request the cache did not answer). The
     * stand-in replaces the old entry. */
    centry *old = find_response(q, r);
    if (old != NULL) {
        for (centry **pp = &g_cache; *pp; pp = &(*pp)->next)
            if (*pp == old) { *pp = old->next; entry_free(old); break; }
    }
    e->next = g_cache;
    g_cache = e;
    emu_count(CNT_CACHE, 1);
}

const centry *emu_cache_lookup(const conn *c, const req *r, const group *g, const queue *q)
{
    if (g_cache == NULL || !request_ok(c, r, g)) return NULL;
    drop_expired();
    return find_response(q, r);
}

void emu_cache_replay(conn *c, req *r, const centry *e)
{    /* F-165: HTTP.sys replays the stored response, the application's own headers included, and no receive
     * completes. The replay is built as the send path builds a head: the stored status line, the
     * application's headers and HTTP.sys's Server line, then a Date of now (F-54; open question: whether
     * HTTP.sys replays the stored Date instead), Content-Length (F-56) and Connection: close when this
     * request ends its connection (F-62, HTTP/1.0 or Connection: close). */
    char *out = malloc(e->head_len + e->body_len + 160);
    if (out == NULL) abort(); /* as the rest of the emulator treats running out of memory */
    size_t n = 0;
    memcpy(out, e->head, e->head_len);
    n = e->head_len;
    char date[64];
    emu_http_date(date, sizeof(date));
    n += (size_t)sprintf(out + n, "Date: %s\r\n", date);
    if (!e->has_length && !e->bodiless) n += (size_t)sprintf(out + n, "Content-Length: %zu\r\n", e->body_len);
    int close = r->close_after;
    if (close && !e->has_connection) n += (size_t)sprintf(out + n, "Connection: close\r\n");
    memcpy(out + n, "\r\n", 2);
    n += 2;
    if (e->body_len) memcpy(out + n, e->body, e->body_len);
    n += e->body_len;
    c->cur = NULL;
    c->served++;
    c->last_activity = emu_now();
    emu_conn_own_response(c, out, n, close);
    free(out);
    emu_count(CNT_CACHE_HITS, 1);
}

/* ---- invalidation ---- */

static int owned_by(const centry *e, const void *q) { return e->q == q; }

void emu_cache_drop_queue(const queue *q) { drop_if(owned_by, q); }

/* An entry under a registered prefix, as routing matches it (F-107, F-108). */
static int under_url(const centry *e, const void *arg)
{
    const url *u = arg;
    if (u->g != NULL && u->g->q != NULL && e->q != u->g->q) return 0;
    if (e->tls != u->tls || e->port != u->port) return 0;
    if (u->host_kind == HOST_NAMED && strcmp(e->host, u->host) != 0) return 0;
    return path_under(e->path, e->path_len, u->path, u->path_len, 1);
}

void emu_cache_drop_url(const url *u)
{
    if (g_cache != NULL) drop_if(under_url, u);
}

/* Is the name under a prefix registered to a group bound to q (F-168)? */
static int name_registered(const queue *q, const cname *n)
{
    return emu_queue_serves(q, n->tls, n->host, n->port, n->path, n->path_len);
}

typedef struct flush_arg { const queue *q; const cname *n; int recursive; } flush_arg;

static int flush_match(const centry *e, const void *arg)
{
    const flush_arg *f = arg;
    if (e->q != f->q || e->tls != f->n->tls || e->port != f->n->port) return 0;
    if (!host_matches(f->n->host, e->host)) return 0;
    /* A response's query is not part of the name: flushing /a drops /a?x=1 too. */
    return path_under(e->path, e->path_len, f->n->path, f->n->path_len, f->recursive);
}

EMU_EXPORT ULONG HttpFlushResponseCache(HANDLE h, PCWSTR prefix, ULONG flags, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpFlushResponseCache);
    if (f) return f;
    cname n;
    /* F-167: NO_ERROR, IO_PENDING or INVALID_PARAMETER are the documented results. */
    if (prefix == NULL || prefix[0] == 0 || (flags & ~HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE)) return ERROR_INVALID_PARAMETER;
    if (parse_name(prefix, (size_t)-1, &n) != NO_ERROR) return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = emu_queue_find(h);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    /* Stand-in: a prefix with nothing cached under it (registered or not) is flushed with NO_ERROR
     * (open question: flushing an unregistered prefix). Fragments under it go too. */
    flush_arg fa = {q, &n, (flags & HTTP_FLUSH_RESPONSE_FLAG_RECURSIVE) != 0};
    drop_if(flush_match, &fa);
    op *o = emu_op_new(OP_WAIT, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    err = emu_op_inline(o, NO_ERROR, 0, NULL); /* done at once: a packet unless skip mode (F-89) */
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* ---- fragments (F-168) ---- */

EMU_EXPORT ULONG HttpAddFragmentToCache(HANDLE h, PCWSTR name, PHTTP_DATA_CHUNK chunk, PHTTP_CACHE_POLICY policy,
                                        LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpAddFragmentToCache);
    if (f) return f;
    cname n;
    /* ERROR_INVALID_PARAMETER is the only failure documented: every bad argument gets it. */
    if (parse_name(name, (size_t)-1, &n) != NO_ERROR || chunk == NULL || policy == NULL) return ERROR_INVALID_PARAMETER;
    /* Stand-in: the chunk is memory (a file or another fragment is not taken), the policy keeps it. */
    if (chunk->DataChunkType != HttpDataChunkFromMemory ||
        (chunk->FromMemory.BufferLength > 0 && chunk->FromMemory.pBuffer == NULL))
        return ERROR_INVALID_PARAMETER;
    if (policy->Policy != HttpCachePolicyUserInvalidates && policy->Policy != HttpCachePolicyTimeToLive)
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    queue *q = emu_queue_find(h);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    /* The name lies under a prefix registered to a group bound to this queue. */
    if (!name_registered(q, &n)) { err = ERROR_INVALID_PARAMETER; goto out; }
    drop_expired();
    /* Only the owning queue may overwrite a fragment (F-168). */
    for (centry *e = g_cache; e; e = e->next)
        if (e->kind == CE_FRAGMENT && e->q != q && e->tls == n.tls && e->port == n.port && strcmp(e->host, n.host) == 0 &&
            e->path_len == n.path_len && memcmp(e->path, n.path, n.path_len) == 0) {
            err = ERROR_INVALID_PARAMETER;
            goto out;
        }
    ULONG len = chunk->FromMemory.BufferLength;
    char *copy = malloc(len ? len : 1);
    centry *e = find_fragment(q, &n);
    int fresh = e == NULL;
    if (fresh) {
        e = calloc(1, sizeof(*e));
        if (e != NULL && (e->path = malloc(n.path_len + 1)) == NULL) { free(e); e = NULL; }
    }
    if (copy == NULL || e == NULL) {
        free(copy);
        if (fresh && e) { free(e->path); free(e); }
        err = ERROR_NOT_ENOUGH_MEMORY;
        goto out;
    }
    if (len) memcpy(copy, chunk->FromMemory.pBuffer, len); /* the caller's buffer is its own again on return */
    if (fresh) {
        e->kind = CE_FRAGMENT;
        e->q = q;
        e->tls = n.tls;
        e->port = n.port;
        snprintf(e->host, sizeof(e->host), "%s", n.host);
        memcpy(e->path, n.path, n.path_len + 1);
        e->path_len = n.path_len;
        e->next = g_cache;
        g_cache = e;
        emu_count(CNT_CACHE, 1);
    }
    free(e->body); /* re-adding overwrites (F-168) */
    e->body = copy;
    e->body_len = len;
    e->expires = policy->Policy == HttpCachePolicyTimeToLive ? emu_now() + (double)policy->SecondsToLive : 0;
    op *o = emu_op_new(OP_WAIT, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    err = emu_op_inline(o, NO_ERROR, 0, NULL);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

EMU_EXPORT ULONG HttpReadFragmentFromCache(HANDLE h, PCWSTR name, PHTTP_BYTE_RANGE range, PVOID buf, ULONG len,
                                           PULONG bytes, LPOVERLAPPED ov)
{
    ULONG f = emu_enter(FN_HttpReadFragmentFromCache);
    if (f) return f;
    if (name == NULL || (buf == NULL && len > 0)) return ERROR_INVALID_PARAMETER;
    if (ov == NULL && bytes == NULL) return ERROR_INVALID_PARAMETER; /* synchronous: BytesRead is required */
    pthread_mutex_lock(&g_emu_lock);
    ULONG err;
    const char *data = NULL;
    size_t n = 0;
    queue *q = emu_queue_find(h);
    if (q == NULL) { err = ERROR_INVALID_HANDLE; goto out; }
    /* Open question (fragment read errors): a missing fragment is ERROR_PATH_NOT_FOUND, as a send of it
     * fails (F-168). */
    if ((err = emu_cache_fragment(q, name, (size_t)-1, range, &data, &n)) != NO_ERROR) goto out;
    if (n > len) {
        /* The documented table: ERROR_MORE_DATA with the size needed in BytesRead (synchronous calls);
         * nothing is copied. The parameter's text says ERROR_INSUFFICIENT_BUFFER; the table is followed. */
        if (bytes && ov == NULL) *bytes = (ULONG)n;
        err = ERROR_MORE_DATA;
        goto out;
    }
    if (n) memcpy(buf, data, n);
    op *o = emu_op_new(OP_WAIT, q, ov);
    if (o == NULL) { err = ERROR_NOT_ENOUGH_MEMORY; goto out; }
    err = emu_op_inline(o, NO_ERROR, (ULONG)n, bytes);
out:
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}
