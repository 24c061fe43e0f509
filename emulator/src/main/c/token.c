/*
 * token: the stand-in for Windows accounts and access tokens. Accounts registered with HttpEmuAddAccount
 * (F-142), SIDs derived from names so they are the same in every run, the names behind every SID the
 * emulator has handed out, access-token handles (F-139) and the advapi32/kernel32 functions that read
 * them with Windows x64 layouts (GetTokenInformation, LookupAccountSidW, ConvertSidToStringSidW,
 * LocalFree, IsValidSid, GetLengthSid, DuplicateHandle) (F-140). Its own lock, g_tok_lock, is taken
 * after g_emu_lock when both are held.
 */
#define _GNU_SOURCE
#include "auth.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SID_MAX 68 /* 8 + 15 sub-authorities */
#define TOKEN_MAGIC 0x544f4b4eu

typedef struct emu_sid { unsigned char b[SID_MAX]; } emu_sid;

struct emu_identity {
    emu_sid user;
    size_t ngroups;
    emu_sid *groups;
};

/* A SID the emulator knows the name of (LookupAccountSidW). */
typedef struct name {
    emu_sid sid;
    char domain[128], name[128];   /* UTF-8 */
    int use;                       /* SID_NAME_USE */
    struct name *next;
} name;

typedef struct account {
    char domain[128], user[128], password[256];
    emu_identity id;
    struct account *next;
} account;

typedef struct token {
    uint32_t magic;
    emu_identity id;
    struct token *next;
} token;

static pthread_mutex_t g_tok_lock = PTHREAD_MUTEX_INITIALIZER;
static name *g_names;
static account *g_accounts;
static token *g_tokens;

static size_t sid_len(const emu_sid *s) { return 8 + 4 * (size_t)s->b[1]; }

static void sid_make(emu_sid *s, uint64_t authority, const uint32_t *sub, int n)
{
    memset(s, 0, sizeof(*s));
    s->b[0] = 1;
    s->b[1] = (unsigned char)n;
    for (int i = 0; i < 6; i++) s->b[2 + i] = (unsigned char)(authority >> (8 * (5 - i)));
    for (int i = 0; i < n; i++) memcpy(s->b + 8 + 4 * i, &sub[i], 4); /* little-endian, as on x64 */
}

static uint32_t fnv32(const char *seed, const char *s)
{
    uint32_t h = 2166136261u;
    for (const char *p = seed; *p; p++) { h ^= (unsigned char)*p; h *= 16777619u; }
    for (const char *p = s; *p; p++) { h ^= (unsigned char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p); h *= 16777619u; }
    return h;
}

/* S-1-5-21-a-b-c[-rid]: the domain's three numbers come from its name (upper-cased). */
static void domain_sid(emu_sid *s, const char *domain, int with_rid, uint32_t rid)
{
    uint32_t sub[5] = {21, fnv32("a", domain), fnv32("b", domain), fnv32("c", domain), rid};
    sid_make(s, 5, sub, with_rid ? 5 : 4);
}

static uint32_t name_rid(const char *kind, const char *n) { return 1000 + fnv32(kind, n) % 100000000u; }

static name *name_find_sid(const emu_sid *s)
{
    for (name *n = g_names; n; n = n->next)
        if (memcmp(n->sid.b, s->b, sid_len(s)) == 0 && n->sid.b[1] == s->b[1]) return n;
    return NULL;
}

static void name_add(const emu_sid *s, const char *domain, const char *nm, int use)
{
    if (name_find_sid(s)) return;
    name *n = calloc(1, sizeof(*n));
    if (n == NULL) abort();
    n->sid = *s;
    snprintf(n->domain, sizeof(n->domain), "%s", domain);
    snprintf(n->name, sizeof(n->name), "%s", nm);
    n->use = use;
    n->next = g_names;
    g_names = n;
}

/* The well-known groups every logged-on network user has in its token (F-140: what a connector sees). */
static void add_standard_groups(emu_identity *id, const char *domain)
{
    static const struct { uint64_t auth; uint32_t sub[2]; int n; const char *domain, *name; int use; } k[] = {
        {1, {0, 0}, 1, "", "Everyone", SidTypeWellKnownGroup},
        {5, {32, 545}, 2, "BUILTIN", "Users", SidTypeAlias},
        {5, {2, 0}, 1, "NT AUTHORITY", "NETWORK", SidTypeWellKnownGroup},
        {5, {11, 0}, 1, "NT AUTHORITY", "Authenticated Users", SidTypeWellKnownGroup},
    };
    emu_sid s;
    domain_sid(&s, domain, 1, 513); /* DOMAIN\Domain Users */
    name_add(&s, domain, "Domain Users", SidTypeGroup);
    id->groups[id->ngroups++] = s;
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        sid_make(&s, k[i].auth, k[i].sub, k[i].n);
        name_add(&s, k[i].domain, k[i].name, k[i].use);
        id->groups[id->ngroups++] = s;
    }
}

#define STANDARD_GROUPS 5

static size_t utf16_to_utf8(const WCHAR *w, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; w && w[i]; i++) {
        uint32_t cp = w[i];
        if (cp >= 0xD800 && cp < 0xDC00 && w[i + 1] >= 0xDC00 && w[i + 1] < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (w[i + 1] - 0xDC00);
            i++;
        }
        char b[4];
        size_t n;
        if (cp < 0x80) { b[0] = (char)cp; n = 1; }
        else if (cp < 0x800) { b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
        else if (cp < 0x10000) {
            b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
        }
        if (o + n >= cap) return (size_t)-1;
        memcpy(out + o, b, n);
        o += n;
    }
    if (o >= cap) return (size_t)-1;
    out[o] = 0;
    return o;
}

/* UTF-16 length (in WCHARs, without NUL) of a UTF-8 string, writing it when out != NULL. */
static size_t utf8_to_utf16(const char *s, WCHAR *out)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp;
        if (*p < 0x80) cp = *p++;
        else if ((*p & 0xE0) == 0xC0 && p[1]) { cp = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F); p += 2; }
        else if ((*p & 0xF0) == 0xE0 && p[1] && p[2]) {
            cp = (uint32_t)(*p & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F); p += 3;
        } else if ((*p & 0xF8) == 0xF0 && p[1] && p[2] && p[3]) {
            cp = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            p += 4;
        } else { cp = '?'; p++; }
        if (cp >= 0x10000) {
            if (out) { out[o] = (WCHAR)(0xD800 + ((cp - 0x10000) >> 10)); out[o + 1] = (WCHAR)(0xDC00 + ((cp - 0x10000) & 0x3FF)); }
            o += 2;
        } else {
            if (out) out[o] = (WCHAR)cp;
            o++;
        }
    }
    return o;
}

/* "DOMAIN\name" -> domain, name; no backslash: default_domain (NULL: invalid). */
static int split_name(const char *full, const char *default_domain, char *domain, size_t dcap, char *nm, size_t ncap)
{
    const char *bs = strchr(full, '\\');
    if (bs == NULL && default_domain == NULL) return 0;
    const char *n = bs ? bs + 1 : full;
    size_t dl = bs ? (size_t)(bs - full) : strlen(default_domain);
    if (bs && dl == 0) return 0;
    if (*n == 0 || dl >= dcap || strlen(n) >= ncap || strchr(n, '\\')) return 0;
    memcpy(domain, bs ? full : default_domain, dl);
    domain[dl] = 0;
    snprintf(nm, ncap, "%s", n);
    return 1;
}

static void identity_init_user(emu_identity *id, const char *domain, const char *user, size_t extra_groups)
{
    memset(id, 0, sizeof(*id));
    domain_sid(&id->user, domain, 1, name_rid("u", user));
    name_add(&id->user, domain, user, SidTypeUser);
    emu_sid d;
    domain_sid(&d, domain, 0, 0);
    name_add(&d, domain, domain, SidTypeDomain);
    id->groups = calloc(extra_groups + STANDARD_GROUPS, sizeof(emu_sid));
    if (id->groups == NULL) abort();
}

EMU_EXPORT ULONG HttpEmuAddAccount(PCWSTR domain_user, PCWSTR password, PCWSTR groups)
{
    char full[260], pw[256], dom[128], user[128];
    if (domain_user == NULL || password == NULL) return ERROR_INVALID_PARAMETER;
    if (utf16_to_utf8(domain_user, full, sizeof(full)) == (size_t)-1 ||
        utf16_to_utf8(password, pw, sizeof(pw)) == (size_t)-1)
        return ERROR_INVALID_PARAMETER;
    if (!split_name(full, NULL, dom, sizeof(dom), user, sizeof(user))) return ERROR_INVALID_PARAMETER;
    size_t glen = 0;
    while (groups && groups[glen]) glen++;
    char *gl = malloc(glen * 4 + 1);
    if (gl == NULL) return ERROR_NOT_ENOUGH_MEMORY;
    if (utf16_to_utf8(groups, gl, glen * 4 + 1) == (size_t)-1) gl[0] = 0;
    size_t ngroups = 0;
    for (char *p = gl; *p; p++) ngroups += *p == ',';
    ngroups++;
    pthread_mutex_lock(&g_tok_lock);
    emu_identity id;
    identity_init_user(&id, dom, user, ngroups);
    ULONG err = NO_ERROR;
    char *save = NULL;
    for (char *g = strtok_r(gl, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ') g++;
        size_t l = strlen(g);
        while (l > 0 && g[l - 1] == ' ') g[--l] = 0;
        if (l == 0) continue;
        char gd[128], gn[128];
        if (!split_name(g, dom, gd, sizeof(gd), gn, sizeof(gn))) { err = ERROR_INVALID_PARAMETER; break; }
        emu_sid s;
        domain_sid(&s, gd, 1, name_rid("g", gn));
        name_add(&s, gd, gn, SidTypeGroup);
        id.groups[id.ngroups++] = s;
    }
    add_standard_groups(&id, dom);
    account *a = NULL;
    for (account *x = g_accounts; x && err == NO_ERROR; x = x->next)
        if (strcasecmp(x->domain, dom) == 0 && strcasecmp(x->user, user) == 0) a = x;
    if (err == NO_ERROR && a == NULL) {
        if ((a = calloc(1, sizeof(*a))) == NULL) abort();
        a->next = g_accounts;
        g_accounts = a;
    }
    if (err == NO_ERROR) {
        free(a->id.groups);
        snprintf(a->domain, sizeof(a->domain), "%s", dom);
        snprintf(a->user, sizeof(a->user), "%s", user);
        snprintf(a->password, sizeof(a->password), "%s", pw);
        a->id = id;
    } else {
        free(id.groups);
    }
    pthread_mutex_unlock(&g_tok_lock);
    free(gl);
    return err;
}

/* HTTPEMU_ACCOUNTS=FILE at load: accounts for a process nobody can call HttpEmuAddAccount in (a
 * jetty-home started by a test). One per line, "DOMAIN\\user:password:DOMAIN\\Group,DOMAIN\\Group";
 * '#' starts a comment. ASCII only. */
__attribute__((constructor)) static void accounts_from_environment(void)
{
    const char *path = getenv("HTTPEMU_ACCOUNTS");
    if (path == NULL || *path == 0) return;
    FILE *f = fopen(path, "r");
    if (f == NULL) { fprintf(stderr, "httpapi emulator: HTTPEMU_ACCOUNTS %s: cannot open\n", path); return; }
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        char *pw = strchr(line, ':');
        char *groups = pw ? strchr(pw + 1, ':') : NULL;
        if (pw == NULL) { fprintf(stderr, "httpapi emulator: HTTPEMU_ACCOUNTS: no password in a line\n"); continue; }
        *pw++ = 0;
        if (groups) *groups++ = 0;
        WCHAR u[260], p[256], g[1024];
        size_t i;
        for (i = 0; line[i] && i < 259; i++) u[i] = (WCHAR)(unsigned char)line[i];
        u[i] = 0;
        for (i = 0; pw[i] && i < 255; i++) p[i] = (WCHAR)(unsigned char)pw[i];
        p[i] = 0;
        for (i = 0; groups && groups[i] && i < 1023; i++) g[i] = (WCHAR)(unsigned char)groups[i];
        g[i] = 0;
        if (HttpEmuAddAccount(u, p, g) != NO_ERROR) fprintf(stderr, "httpapi emulator: HTTPEMU_ACCOUNTS: bad account %s\n", line);
    }
    fclose(f);
}

EMU_EXPORT ULONG HttpEmuClearAccounts(void)
{
    pthread_mutex_lock(&g_tok_lock);
    while (g_accounts) {
        account *a = g_accounts;
        g_accounts = a->next;
        free(a->id.groups);
        free(a);
    }
    pthread_mutex_unlock(&g_tok_lock);
    return NO_ERROR;
}

/* Names outlive accounts (a token may still name them); they go when the library is unloaded. */
__attribute__((destructor)) static void names_free(void)
{
    HttpEmuClearAccounts();
    while (g_names) {
        name *n = g_names;
        g_names = n->next;
        free(n);
    }
}

static emu_identity *identity_dup_locked(const emu_identity *id)
{
    emu_identity *c = malloc(sizeof(*c));
    if (c == NULL) return NULL;
    *c = *id;
    c->groups = malloc((id->ngroups ? id->ngroups : 1) * sizeof(emu_sid));
    if (c->groups == NULL) { free(c); return NULL; }
    memcpy(c->groups, id->groups, id->ngroups * sizeof(emu_sid));
    return c;
}

emu_identity *emu_identity_copy(const emu_identity *id)
{
    return identity_dup_locked(id); /* identities are immutable once made: no lock needed */
}

void emu_identity_free(emu_identity *id)
{
    if (id == NULL) return;
    free(id->groups);
    free(id);
}

emu_identity *emu_account_logon(const char *user, size_t user_len, const char *password, size_t password_len,
                                LONG *sec_status)
{
    char u[260], dom[128] = "", nm[128];
    *sec_status = SEC_E_LOGON_DENIED;
    if (user_len >= sizeof(u) || password_len >= 256) return NULL;
    memcpy(u, user, user_len);
    u[user_len] = 0;
    const char *at = strchr(u, '@');
    if (strchr(u, '\\')) {
        if (!split_name(u, NULL, dom, sizeof(dom), nm, sizeof(nm))) return NULL;
    } else if (at) { /* user@domain (UPN form) */
        if ((size_t)(at - u) >= sizeof(nm) || strlen(at + 1) >= sizeof(dom)) return NULL;
        memcpy(nm, u, (size_t)(at - u));
        nm[at - u] = 0;
        memcpy(dom, at + 1, strlen(at + 1) + 1);
    } else {
        if (user_len >= sizeof(nm)) return NULL;
        memcpy(nm, u, user_len + 1); /* no domain: any registered domain (the machine's default) */
    }
    emu_identity *id = NULL;
    pthread_mutex_lock(&g_tok_lock);
    for (account *a = g_accounts; a; a = a->next) {
        if (a->user[0] == 0 || strcasecmp(a->user, nm) != 0) continue;
        if (dom[0] && strcasecmp(a->domain, dom) != 0) {
            /* UPN: the NetBIOS domain is the first label of the DNS domain */
            size_t dl = strlen(a->domain);
            if (!(at && strncasecmp(dom, a->domain, dl) == 0 && dom[dl] == '.')) continue;
        }
        /* passwords are case-sensitive, compared whole */
        if (strlen(a->password) == password_len && memcmp(a->password, password, password_len) == 0) {
            id = identity_dup_locked(&a->id);
            if (id == NULL) *sec_status = SEC_E_INTERNAL_ERROR;
        }
        break;
    }
    pthread_mutex_unlock(&g_tok_lock);
    return id;
}

emu_identity *emu_identity_for_principal(const char *principal)
{
    char user[128], dom[128];
    const char *bs = strchr(principal, '\\');
    if (bs != NULL) { /* NTLM names the client DOMAIN\\user */
        if (!split_name(principal, NULL, dom, sizeof(dom), user, sizeof(user))) return NULL;
        emu_identity *id = NULL;
        pthread_mutex_lock(&g_tok_lock);
        for (account *a = g_accounts; a && !id; a = a->next)
            if (a->user[0] && strcasecmp(a->user, user) == 0 && strcasecmp(a->domain, dom) == 0)
                id = identity_dup_locked(&a->id);
        if (id == NULL && (id = calloc(1, sizeof(*id))) != NULL) {
            identity_init_user(id, dom, user, 0);
            add_standard_groups(id, dom);
        }
        pthread_mutex_unlock(&g_tok_lock);
        return id;
    }
    const char *at = strrchr(principal, '@');
    if (at == NULL || (size_t)(at - principal) >= sizeof(user)) return NULL;
    snprintf(user, sizeof(user), "%.*s", (int)(at - principal), principal);
    const char *realm = at + 1;
    const char *dot = strchr(realm, '.');
    size_t dl = dot ? (size_t)(dot - realm) : strlen(realm);
    if (dl == 0 || dl >= sizeof(dom)) return NULL;
    for (size_t i = 0; i < dl; i++) dom[i] = (char)(realm[i] >= 'a' && realm[i] <= 'z' ? realm[i] - 32 : realm[i]);
    dom[dl] = 0;
    emu_identity *id = NULL;
    pthread_mutex_lock(&g_tok_lock);
    for (account *a = g_accounts; a && !id; a = a->next)
        if (a->user[0] && strcasecmp(a->user, user) == 0 &&
            (strcasecmp(a->domain, dom) == 0 || strcasecmp(a->domain, realm) == 0))
            id = identity_dup_locked(&a->id);
    if (id == NULL && (id = calloc(1, sizeof(*id))) != NULL) {
        /* Not registered: a synthetic user DOMAIN\user with the standard groups (docs/emulator.md). */
        identity_init_user(id, dom, user, 0);
        add_standard_groups(id, dom);
    }
    pthread_mutex_unlock(&g_tok_lock);
    return id;
}

/* ---- access tokens (F-139) ---- */

HANDLE emu_token_new(const emu_identity *id)
{
    token *t = calloc(1, sizeof(*t));
    if (t == NULL) return NULL;
    emu_identity *c = identity_dup_locked(id);
    if (c == NULL) { free(t); return NULL; }
    t->magic = TOKEN_MAGIC;
    t->id = *c;
    free(c);
    pthread_mutex_lock(&g_tok_lock);
    t->next = g_tokens;
    g_tokens = t;
    pthread_mutex_unlock(&g_tok_lock);
    emu_count(CNT_TOKENS, 1);
    return (HANDLE)t;
}

static token *token_find_locked(HANDLE h)
{
    for (token *t = g_tokens; t; t = t->next)
        if ((HANDLE)t == h) return t;
    return NULL;
}

int emu_token_close(HANDLE h)
{
    pthread_mutex_lock(&g_tok_lock);
    token **pp = &g_tokens;
    while (*pp && (HANDLE)*pp != h) pp = &(*pp)->next;
    token *t = *pp;
    if (t) *pp = t->next;
    pthread_mutex_unlock(&g_tok_lock);
    if (t == NULL) return 0;
    t->magic = 0;
    free(t->id.groups);
    free(t);
    emu_count(CNT_TOKENS, -1);
    return 1;
}

EMU_EXPORT HANDLE GetCurrentProcess(void) { return (HANDLE)(intptr_t)-1; }

/* Only access tokens can be duplicated here: what a connector needs to keep a token beyond the request
 * (ASP.NET duplicates it, F-139). */
EMU_EXPORT BOOL DuplicateHandle(HANDLE src_process, HANDLE src, HANDLE dst_process, PHANDLE out, DWORD access,
                                BOOL inherit, DWORD options)
{
    (void)access; (void)inherit;
    if (src_process != GetCurrentProcess() || dst_process != GetCurrentProcess() || out == NULL) {
        emu_set_last_error(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&g_tok_lock);
    token *t = token_find_locked(src);
    emu_identity *c = t ? identity_dup_locked(&t->id) : NULL;
    pthread_mutex_unlock(&g_tok_lock);
    if (t == NULL) { emu_set_last_error(ERROR_INVALID_HANDLE); return FALSE; }
    HANDLE n = c ? emu_token_new(c) : NULL;
    emu_identity_free(c);
    if (n == NULL) { emu_set_last_error(ERROR_NOT_ENOUGH_MEMORY); return FALSE; }
    if (options & DUPLICATE_CLOSE_SOURCE) emu_token_close(src);
    *out = n;
    return TRUE;
}

EMU_EXPORT BOOL GetTokenInformation(HANDLE h, TOKEN_INFORMATION_CLASS cls, LPVOID buf, DWORD len, PDWORD ret)
{
    if (ret == NULL) { emu_set_last_error(ERROR_NOACCESS); return FALSE; }
    pthread_mutex_lock(&g_tok_lock);
    token *t = token_find_locked(h);
    ULONG err = NO_ERROR;
    if (t == NULL) err = ERROR_INVALID_HANDLE;
    else if (cls == TokenUser) {
        size_t need = sizeof(TOKEN_USER) + sid_len(&t->id.user);
        *ret = (DWORD)need;
        if (len < need || buf == NULL) err = ERROR_INSUFFICIENT_BUFFER;
        else {
            TOKEN_USER *tu = buf;
            memcpy((char *)buf + sizeof(TOKEN_USER), t->id.user.b, sid_len(&t->id.user));
            tu->User.Sid = (char *)buf + sizeof(TOKEN_USER);
            tu->User.Attributes = 0;
        }
    } else if (cls == TokenGroups) {
        /* GroupCount, then the SID_AND_ATTRIBUTES array at offset 8, then the SIDs, all in the caller's buffer */
        size_t need = offsetof(TOKEN_GROUPS, Groups) + t->id.ngroups * sizeof(SID_AND_ATTRIBUTES);
        for (size_t i = 0; i < t->id.ngroups; i++) need += sid_len(&t->id.groups[i]);
        if (need < sizeof(TOKEN_GROUPS)) need = sizeof(TOKEN_GROUPS);
        *ret = (DWORD)need;
        if (len < need || buf == NULL) err = ERROR_INSUFFICIENT_BUFFER;
        else {
            TOKEN_GROUPS *tg = buf;
            tg->GroupCount = (DWORD)t->id.ngroups;
            char *p = (char *)buf + offsetof(TOKEN_GROUPS, Groups) + t->id.ngroups * sizeof(SID_AND_ATTRIBUTES);
            for (size_t i = 0; i < t->id.ngroups; i++) {
                size_t l = sid_len(&t->id.groups[i]);
                memcpy(p, t->id.groups[i].b, l);
                tg->Groups[i].Sid = p;
                tg->Groups[i].Attributes = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;
                p += l;
            }
        }
    } else {
        err = ERROR_INVALID_PARAMETER; /* other classes are not emulated (docs/emulator.md) */
    }
    pthread_mutex_unlock(&g_tok_lock);
    if (err != NO_ERROR) { emu_set_last_error(err); return FALSE; }
    return TRUE;
}

static int sid_ok(PSID p)
{
    const unsigned char *b = p;
    return b != NULL && b[0] == 1 && b[1] <= 15;
}

EMU_EXPORT BOOL IsValidSid(PSID p) { return sid_ok(p); }

EMU_EXPORT DWORD GetLengthSid(PSID p) { return sid_ok(p) ? (DWORD)(8 + 4 * ((unsigned char *)p)[1]) : 0; }

EMU_EXPORT BOOL LookupAccountSidW(LPCWSTR system, PSID sid, LPWSTR nm, LPDWORD cch_name, LPWSTR dom,
                                  LPDWORD cch_dom, PSID_NAME_USE use)
{
    if (system != NULL && system[0] != 0) { emu_set_last_error(ERROR_NONE_MAPPED); return FALSE; } /* local only */
    if (!sid_ok(sid)) { emu_set_last_error(ERROR_INVALID_SID); return FALSE; }
    if (cch_name == NULL || cch_dom == NULL || use == NULL) { emu_set_last_error(ERROR_INVALID_PARAMETER); return FALSE; }
    emu_sid s;
    memset(&s, 0, sizeof(s));
    memcpy(s.b, sid, GetLengthSid(sid));
    pthread_mutex_lock(&g_tok_lock);
    name *n = name_find_sid(&s);
    ULONG err = NO_ERROR;
    if (n == NULL) err = ERROR_NONE_MAPPED;
    else {
        size_t nl = utf8_to_utf16(n->name, NULL), dl = utf8_to_utf16(n->domain, NULL);
        /* Windows: too small → both counts set to what is needed, the NUL included */
        if (*cch_name <= nl || *cch_dom <= dl || nm == NULL || dom == NULL) {
            *cch_name = (DWORD)nl + 1;
            *cch_dom = (DWORD)dl + 1;
            err = ERROR_INSUFFICIENT_BUFFER;
        } else {
            utf8_to_utf16(n->name, nm);
            nm[nl] = 0;
            utf8_to_utf16(n->domain, dom);
            dom[dl] = 0;
            *cch_name = (DWORD)nl; /* success: lengths without the NUL */
            *cch_dom = (DWORD)dl;
            *use = (SID_NAME_USE)n->use;
        }
    }
    pthread_mutex_unlock(&g_tok_lock);
    if (err != NO_ERROR) { emu_set_last_error(err); return FALSE; }
    return TRUE;
}

/* LocalAlloc blocks are listed, so LocalFree can tell them from anything else without reading it. */
typedef struct local_hdr { struct local_hdr *next; uint64_t align; } local_hdr;
static local_hdr *g_locals;

EMU_EXPORT BOOL ConvertSidToStringSidW(PSID sid, LPWSTR *out)
{
    if (out == NULL) { emu_set_last_error(ERROR_INVALID_PARAMETER); return FALSE; }
    if (!sid_ok(sid)) { emu_set_last_error(ERROR_INVALID_SID); return FALSE; }
    const unsigned char *b = sid;
    uint64_t auth = 0;
    for (int i = 0; i < 6; i++) auth = auth << 8 | b[2 + i];
    char text[256];
    int o = snprintf(text, sizeof(text), auth < (1ull << 32) ? "S-1-%llu" : "S-1-0x%012llX", (unsigned long long)auth);
    for (int i = 0; i < b[1]; i++) {
        uint32_t v;
        memcpy(&v, b + 8 + 4 * i, 4);
        o += snprintf(text + o, sizeof(text) - (size_t)o, "-%u", v);
    }
    local_hdr *h = malloc(sizeof(*h) + ((size_t)o + 1) * sizeof(WCHAR));
    if (h == NULL) { emu_set_last_error(ERROR_NOT_ENOUGH_MEMORY); return FALSE; }
    pthread_mutex_lock(&g_tok_lock);
    h->next = g_locals;
    g_locals = h;
    pthread_mutex_unlock(&g_tok_lock);
    WCHAR *w = (WCHAR *)(h + 1);
    for (int i = 0; i <= o; i++) w[i] = (WCHAR)(unsigned char)text[i];
    emu_count(CNT_LOCAL, 1);
    *out = w;
    return TRUE;
}

/* A security descriptor from SDDL (advapi32), for HttpCreateRequestQueue's SECURITY_ATTRIBUTES. The
 * emulator keeps the checked SDDL text behind a magic instead of a binary self-relative descriptor:
 * callers only pass it on. Freed with LocalFree. */
#define SD_MAGIC 0x53444C31u /* "SDL1" */
typedef struct emu_sd { uint32_t magic; int grants; WCHAR text[1]; } emu_sd;

EMU_EXPORT BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR sddl, DWORD revision, PVOID *out, PULONG size)
{
    if (out == NULL || revision != 1) { emu_set_last_error(ERROR_INVALID_PARAMETER); return FALSE; }
    int grants = emu_sddl_check(sddl);
    if (grants < 0) { emu_set_last_error(ERROR_INVALID_PARAMETER); return FALSE; }
    size_t n = 0;
    while (sddl[n]) n++;
    size_t len = offsetof(emu_sd, text) + (n + 1) * sizeof(WCHAR);
    local_hdr *h = malloc(sizeof(*h) + len);
    if (h == NULL) { emu_set_last_error(ERROR_NOT_ENOUGH_MEMORY); return FALSE; }
    emu_sd *sd = (emu_sd *)(h + 1);
    sd->magic = SD_MAGIC;
    sd->grants = grants;
    memcpy(sd->text, sddl, (n + 1) * sizeof(WCHAR));
    pthread_mutex_lock(&g_tok_lock);
    h->next = g_locals;
    g_locals = h;
    pthread_mutex_unlock(&g_tok_lock);
    emu_count(CNT_LOCAL, 1);
    *out = sd;
    if (size) *size = (ULONG)len;
    return TRUE;
}

int emu_security_descriptor_grants(const void *p)
{
    const emu_sd *sd = p;
    if (sd == NULL) return -1;
    pthread_mutex_lock(&g_tok_lock);
    int ours = 0;
    for (local_hdr *h = g_locals; h != NULL && !ours; h = h->next) ours = (const void *)(h + 1) == p;
    pthread_mutex_unlock(&g_tok_lock);
    return ours && sd->magic == SD_MAGIC ? sd->grants : -1;
}

EMU_EXPORT HLOCAL LocalFree(HLOCAL mem)
{
    if (mem == NULL) return NULL;
    pthread_mutex_lock(&g_tok_lock);
    local_hdr **pp = &g_locals;
    while (*pp && (HLOCAL)(*pp + 1) != mem) pp = &(*pp)->next;
    local_hdr *h = *pp;
    if (h) *pp = h->next;
    pthread_mutex_unlock(&g_tok_lock);
    if (h == NULL) { emu_set_last_error(ERROR_INVALID_HANDLE); return mem; }
    free(h);
    emu_count(CNT_LOCAL, -1);
    return NULL;
}
