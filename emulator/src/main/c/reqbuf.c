/*
 * reqbuf: writes a received request into the caller's buffer as HTTP_REQUEST_V2, the way Windows
 * fills it (F-27, F-31, F-33..F-39, F-42..F-44): every pointer points inside the caller's buffer,
 * strings NUL-terminated with byte lengths that exclude the NUL, the cooked URL in UTF-16LE.
 */
#include "server.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A bump allocator over the caller's buffer; with base == NULL it only measures. */
typedef struct writer {
    char *base;
    size_t cap, off;
} writer;

static size_t w_alloc(writer *w, size_t size, size_t align)
{
    size_t at = (w->off + align - 1) & ~(align - 1);
    w->off = at + size;
    return at;
}

static int w_fits(const writer *w) { return w->off <= w->cap; }

static void *w_ptr(writer *w, size_t at) { return w->base ? w->base + at : NULL; }

static const char *w_str(writer *w, const char *s, size_t len)
{
    size_t at = w_alloc(w, len + 1, 1);
    if (w->base && w_fits(w)) {
        memcpy(w->base + at, s, len);
        w->base[at + len] = 0;
    }
    return (const char *)w_ptr(w, at);
}

/* Writes a Linux sockaddr as a Windows SOCKADDR_IN / SOCKADDR_IN6 (AF_INET6 = 23) (F-39). */
static void put_sockaddr(char *dst, const struct sockaddr_storage *ss)
{
    memset(dst, 0, 32);
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
            SOCKADDR_IN *w = (SOCKADDR_IN *)dst;
            w->sin_family = WIN_AF_INET;
            w->sin_port = a6->sin6_port;
            memcpy(&w->sin_addr, &a6->sin6_addr.s6_addr[12], 4);
        } else {
            SOCKADDR_IN6 *w = (SOCKADDR_IN6 *)dst;
            w->sin6_family = WIN_AF_INET6;
            w->sin6_port = a6->sin6_port;
            w->sin6_flowinfo = a6->sin6_flowinfo;
            memcpy(w->sin6_addr, &a6->sin6_addr, 16);
            w->sin6_scope_id = a6->sin6_scope_id;
        }
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
        SOCKADDR_IN *w = (SOCKADDR_IN *)dst;
        w->sin_family = WIN_AF_INET;
        w->sin_port = a4->sin_port;
        memcpy(&w->sin_addr, &a4->sin_addr, 4);
    }
}

/* Are headers i and k both unknown and of the same name (case-insensitive)? */
static int same_unknown(const emu_head *h, size_t i, size_t k)
{
    return h->hdr[i].known < 0 && h->hdr[k].known < 0 && h->hdr[i].name_len == h->hdr[k].name_len &&
           strncasecmp(h->hdr[i].name, h->hdr[k].name, h->hdr[i].name_len) == 0;
}

static int first_of_name(const emu_head *h, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (same_unknown(h, k, i)) return 0;
    return 1;
}

/* Lays the request out (measuring when w->base is NULL). Returns the size without body. */
static void lay_out(req *r, writer *w, HTTP_REQUEST *out)
{
    const emu_head *h = &r->h;
    w_alloc(w, sizeof(HTTP_REQUEST), 8);

    /* F-181: repeated unknown names are folded into one entry, so count the first of each name. */
    size_t nunknown = 0;
    for (size_t i = 0; i < h->nhdr; i++)
        if (h->hdr[i].known < 0 && first_of_name(h, i)) nunknown++;
    size_t unk_at = nunknown ? w_alloc(w, nunknown * sizeof(HTTP_UNKNOWN_HEADER), 8) : 0;
    size_t remote_at = w_alloc(w, 32, 8);
    size_t local_at = w_alloc(w, 32, 8);

    /* Cooked URL: scheme://host[:port]/path?query, one UTF-16 string, sub-pointers into it (F-35). */
    const char *q = memchr(h->target, '?', h->target_len);
    size_t query_len = q ? (size_t)(h->target + h->target_len - q) : 0;
    size_t host_len = strlen(r->host);
    const char *scheme = r->c->l->tls ? "https://" : "http://";
    size_t scheme_len = strlen(scheme);
    size_t full_chars_max = scheme_len + host_len + r->cooked_path_len + query_len;
    size_t url_at = w_alloc(w, (full_chars_max + 1) * 2, 2);
    size_t full_chars = 0, host_chars = 0, path_chars = 0, query_chars = 0;
    if (w->base && w_fits(w)) {
        WCHAR *u = (WCHAR *)(w->base + url_at);
        full_chars = emu_utf8_to_utf16(scheme, scheme_len, u);
        host_chars = emu_utf8_to_utf16(r->host, host_len, u + full_chars);
        full_chars += host_chars;
        path_chars = emu_utf8_to_utf16(r->cooked_path, r->cooked_path_len, u + full_chars);
        full_chars += path_chars;
        query_chars = emu_utf8_to_utf16(q ? q : "", query_len, u + full_chars);
        full_chars += query_chars;
        u[full_chars] = 0;
    }

    const char *raw = w_str(w, h->target, h->target_len);
    const char *verb = h->verb == HttpVerbUnknown ? w_str(w, h->method, h->method_len) : NULL;

    /* F-181: a repeated known header is delivered once, values joined with ", " in arrival order. */
    const char *known[HttpHeaderRequestMaximum] = {0};
    size_t known_len[HttpHeaderRequestMaximum] = {0};
    for (int id = 0; id < HttpHeaderRequestMaximum; id++) {
        size_t total = 0, count = 0;
        for (size_t i = 0; i < h->nhdr; i++)
            if (h->hdr[i].known == id) { total += h->hdr[i].value_len + (count ? 2 : 0); count++; }
        if (count == 0) continue;
        size_t at = w_alloc(w, total + 1, 1);
        if (w->base && w_fits(w)) {
            char *d = w->base + at;
            size_t o = 0, k = 0;
            for (size_t i = 0; i < h->nhdr; i++) {
                if (h->hdr[i].known != id) continue;
                if (k++) { d[o++] = ','; d[o++] = ' '; }
                memcpy(d + o, h->hdr[i].value, h->hdr[i].value_len);
                o += h->hdr[i].value_len;
            }
            d[o] = 0;
        }
        known[id] = (const char *)w_ptr(w, at);
        known_len[id] = total;
    }
    /* F-181: unknown names too: one entry per name (the first spelling), values joined with ", " in
     * arrival order. */
    size_t u_i = 0;
    for (size_t i = 0; i < h->nhdr; i++) {
        if (h->hdr[i].known >= 0 || !first_of_name(h, i)) continue;
        const char *n = w_str(w, h->hdr[i].name, h->hdr[i].name_len);
        size_t total = 0, count = 0;
        for (size_t k = i; k < h->nhdr; k++)
            if (same_unknown(h, i, k)) { total += h->hdr[k].value_len + (count ? 2 : 0); count++; }
        size_t at = w_alloc(w, total + 1, 1);
        if (w->base && w_fits(w)) {
            char *d = w->base + at;
            size_t o = 0;
            for (size_t k = i, j = 0; k < h->nhdr; k++) {
                if (!same_unknown(h, i, k)) continue;
                if (j++) { d[o++] = ','; d[o++] = ' '; }
                memcpy(d + o, h->hdr[k].value, h->hdr[k].value_len);
                o += h->hdr[k].value_len;
            }
            d[o] = 0;
            HTTP_UNKNOWN_HEADER *uh = (HTTP_UNKNOWN_HEADER *)(w->base + unk_at) + u_i;
            uh->NameLength = (USHORT)h->hdr[i].name_len;
            uh->RawValueLength = (USHORT)total;
            uh->pName = n;
            uh->pRawValue = (const char *)w_ptr(w, at);
        }
        u_i++;
    }
    /* F-120, F-121: every request on a TLS connection carries pSslInfo; F-122: the client certificate
     * when the handshake negotiated one; F-128: the SslProtocol request info. All inside the buffer. */
    const emu_tls_info *t = r->c->tls;
    size_t ssl_at = 0, issuer_at = 0, subject_at = 0, cci_at = 0, der_at = 0, ri_at = 0, proto_at = 0;
    if (t != NULL) {
        ssl_at = w_alloc(w, sizeof(HTTP_SSL_INFO), 8);
        issuer_at = w_alloc(w, strlen(t->issuer) + 1, 1);
        subject_at = w_alloc(w, strlen(t->subject) + 1, 1);
        if (t->client_der != NULL) {
            cci_at = w_alloc(w, sizeof(HTTP_SSL_CLIENT_CERT_INFO), 8);
            der_at = w_alloc(w, t->client_der_len, 1);
        }
        proto_at = w_alloc(w, sizeof(HTTP_SSL_PROTOCOL_INFO), 4);
    }
    /* F-138: HttpRequestInfoTypeAuth whenever auth is configured on the group, first in pRequestInfo. */
    int has_auth = emu_auth_has_info(r);
    size_t auth_at = 0, auth_extra_at = 0;
    if (has_auth) {
        auth_at = w_alloc(w, sizeof(HTTP_REQUEST_AUTH_INFO), 8);
        auth_extra_at = w_alloc(w, emu_auth_extra_size(r), 8);
    }
    USHORT ninfo = (USHORT)((t != NULL) + has_auth);
    if (ninfo) ri_at = w_alloc(w, ninfo * sizeof(HTTP_REQUEST_INFO), 8);
    if (out == NULL || !w_fits(w)) return;

    HTTP_REQUEST_INFO *ri = ninfo ? (HTTP_REQUEST_INFO *)(w->base + ri_at) : NULL;
    if (ninfo) {
        memset(ri, 0, ninfo * sizeof(*ri));
        out->RequestInfoCount = ninfo;
        out->pRequestInfo = ri;
    }
    if (has_auth) {
        HTTP_REQUEST_AUTH_INFO *ai = (HTTP_REQUEST_AUTH_INFO *)(w->base + auth_at);
        emu_auth_fill(r, ai, w->base + auth_extra_at);
        ri->InfoType = HttpRequestInfoTypeAuth;
        ri->InfoLength = sizeof(HTTP_REQUEST_AUTH_INFO);
        ri->pInfo = ai;
        ri++;
    }

    if (t != NULL) {
        HTTP_SSL_INFO *si = (HTTP_SSL_INFO *)(w->base + ssl_at);
        memset(si, 0, sizeof(*si));
        si->ServerCertKeySize = t->server_key_bits;
        si->ConnectionKeySize = t->conn_key_bits;
        si->ServerCertIssuerSize = (ULONG)strlen(t->issuer);
        si->ServerCertSubjectSize = (ULONG)strlen(t->subject);
        si->pServerCertIssuer = memcpy(w->base + issuer_at, t->issuer, strlen(t->issuer) + 1);
        si->pServerCertSubject = memcpy(w->base + subject_at, t->subject, strlen(t->subject) + 1);
        si->SslClientCertNegotiated = t->cert_negotiated || t->client_der != NULL;
        if (t->client_der != NULL) {
            HTTP_SSL_CLIENT_CERT_INFO *ci = (HTTP_SSL_CLIENT_CERT_INFO *)(w->base + cci_at);
            memset(ci, 0, sizeof(*ci));
            ci->CertFlags = t->client_cert_flags;
            ci->CertEncodedSize = (ULONG)t->client_der_len;
            ci->pCertEncoded = memcpy(w->base + der_at, t->client_der, t->client_der_len);
            si->pClientCertInfo = ci;
        }
        ri->InfoType = HttpRequestInfoTypeSslProtocol;
        ri->InfoLength = sizeof(HTTP_SSL_PROTOCOL_INFO);
        ri->pInfo = memcpy(w->base + proto_at, &t->proto, sizeof(t->proto));
        out->pSslInfo = si;
    }
    out->Flags = r->c->h2parent != NULL ? HTTP_REQUEST_FLAG_HTTP2 : 0; /* F-153, F-186: Version stays 1.1 */
    out->ConnectionId = r->c->id;
    out->RequestId = r->id;
    out->UrlContext = r->ctx;
    out->Version.MajorVersion = h->major;
    out->Version.MinorVersion = h->minor;
    out->Verb = h->verb;
    out->UnknownVerbLength = verb ? (USHORT)h->method_len : 0;
    out->pUnknownVerb = verb;
    out->RawUrlLength = (USHORT)h->target_len;
    out->pRawUrl = raw;
    WCHAR *u = (WCHAR *)(w->base + url_at);
    out->CookedUrl.FullUrlLength = (USHORT)(full_chars * 2);
    out->CookedUrl.HostLength = (USHORT)(host_chars * 2);
    out->CookedUrl.AbsPathLength = (USHORT)(path_chars * 2);
    out->CookedUrl.QueryStringLength = (USHORT)(query_chars * 2);
    out->CookedUrl.pFullUrl = u;
    out->CookedUrl.pHost = u + scheme_len;
    out->CookedUrl.pAbsPath = u + scheme_len + host_chars;
    out->CookedUrl.pQueryString = query_chars ? u + scheme_len + host_chars + path_chars : NULL;
    put_sockaddr(w->base + remote_at, &r->c->remote);
    put_sockaddr(w->base + local_at, &r->c->local);
    out->Address.pRemoteAddress = (PSOCKADDR)(w->base + remote_at);
    out->Address.pLocalAddress = (PSOCKADDR)(w->base + local_at);
    out->Headers.UnknownHeaderCount = (USHORT)nunknown;
    out->Headers.pUnknownHeaders = nunknown ? (PHTTP_UNKNOWN_HEADER)(w->base + unk_at) : NULL;
    for (int id = 0; id < HttpHeaderRequestMaximum; id++) {
        out->Headers.KnownHeaders[id].RawValueLength = (USHORT)known_len[id];
        out->Headers.KnownHeaders[id].pRawValue = known[id];
    }
    out->BytesReceived = r->bytes_received + emu_body_bytes_waiting(r); /* F-42: with the body bytes already here */
    if (r->body_kind != BODY_NONE && !(r->body_complete && r->body_len == 0 && r->body_eof_seen))
        out->Flags |= HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS; /* F-42 */
}

ULONG emu_fill_request(req *r, ULONG flags, void *buf, ULONG len, ULONG *used, size_t *body_taken)
{
    writer m = {NULL, (size_t)-1, 0};
    lay_out(r, &m, NULL);
    size_t need = m.off;
    *body_taken = 0;
    if (need > len) {
        /* F-27(b): only ConnectionId and RequestId are valid; Version and BytesReceived zeroed. */
        HTTP_REQUEST *out = buf;
        memset(out, 0, sizeof(HTTP_REQUEST_V1));
        out->ConnectionId = r->c->id;
        out->RequestId = r->id;
        *used = (ULONG)need;
        return ERROR_MORE_DATA;
    }
    memset(buf, 0, sizeof(HTTP_REQUEST));
    writer w = {buf, len, 0};
    lay_out(r, &w, (HTTP_REQUEST *)buf);
    HTTP_REQUEST *out = buf;
    /* COPY_BODY (F-43, F-44): as much of the arrived body as the rest of the buffer holds. */
    if ((flags & HTTP_RECEIVE_REQUEST_FLAG_COPY_BODY) && r->body_len > 0) {
        size_t chunk_at = w_alloc(&w, sizeof(HTTP_DATA_CHUNK), 8);
        if (w.off < len) {
            size_t n = len - w.off;
            if (n > r->body_len) n = r->body_len;
            HTTP_DATA_CHUNK *ch = (HTTP_DATA_CHUNK *)((char *)buf + chunk_at);
            ch->DataChunkType = HttpDataChunkFromMemory;
            ch->FromMemory.pBuffer = (char *)buf + w.off;
            ch->FromMemory.BufferLength = (ULONG)n;
            memcpy((char *)buf + w.off, r->body + r->body_off, n);
            w.off += n;
            out->EntityChunkCount = 1;
            out->pEntityChunks = ch;
            *body_taken = n;
            if (n == r->body_len && r->body_complete) out->Flags &= ~HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS;
        } else {
            w.off = need;
        }
    }
    *used = (ULONG)w.off;
    return NO_ERROR;
}
