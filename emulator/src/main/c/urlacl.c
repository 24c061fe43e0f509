/*
 * urlacl: URL ACL reservations (what `netsh http add urlacl` writes) through HttpSetServiceConfiguration,
 * HttpQueryServiceConfiguration and HttpDeleteServiceConfiguration with HttpServiceConfigUrlAclInfo
 * (F-113), and the administrator stand-in: HTTPEMU_UNELEVATED=1 or HttpEmuSetElevated(0) makes the
 * process an ordinary user, who may not write service configuration and may register a strong or
 * weak wildcard prefix only where a reservation grants it (F-106, F-193). Guarded by g_emu_lock.
 */
#include <stdlib.h>
#include <string.h>
#include "server.h"

typedef struct acl {
    url u;                 /* the reserved prefix, parsed as a registration would be */
    WCHAR *prefix_w;       /* as given, returned by queries */
    WCHAR *sddl_w;
    int grants;            /* an allow ACE with GENERIC_EXECUTE or GENERIC_ALL */
    struct acl *next;
} acl;

static acl *g_acls;
static int g_unelevated;

__attribute__((constructor)) static void elevation_from_environment(void)
{
    const char *v = getenv("HTTPEMU_UNELEVATED");
    if (v != NULL && strcmp(v, "1") == 0) g_unelevated = 1;
}

int emu_elevated(void) { return !__atomic_load_n(&g_unelevated, __ATOMIC_RELAXED); }

EMU_EXPORT ULONG HttpEmuSetElevated(ULONG on)
{
    return (ULONG) !__atomic_exchange_n(&g_unelevated, on ? 0 : 1, __ATOMIC_RELAXED);
}

static size_t wlen(PCWSTR w)
{
    size_t n = 0;
    while (w[n]) n++;
    return n;
}

static WCHAR *wdup(PCWSTR w)
{
    size_t n = (wlen(w) + 1) * sizeof(WCHAR);
    WCHAR *d = malloc(n);
    if (d != NULL) memcpy(d, w, n);
    return d;
}

/* Checks the SDDL of a reservation: a DACL, "D:" with optional flags, then one or more ACEs
 * "(type;flags;rights;object;inherit;sid)" of type A (allow) or D (deny). Returns -1 when it is not
 * one, else whether an allow ACE grants GENERIC_EXECUTE or GENERIC_ALL (GX, GA, or a hex mask).
 * The emulator has no accounts for the SID to name, so any trustee counts as the caller. */
static int sddl_grants(PCWSTR w)
{
    char s[1024];
    size_t n = wlen(w);
    if (n == 0 || n >= sizeof(s)) return -1;
    for (size_t i = 0; i <= n; i++) {
        if (w[i] > 0x7e) return -1;
        s[i] = (char)w[i];
    }
    if (strncmp(s, "D:", 2) != 0) return -1;
    const char *p = s + 2;
    while (*p == 'P' || *p == 'A' || *p == 'I' || *p == 'R') p++; /* D:P, D:AI, D:AR */
    int aces = 0, grants = 0;
    while (*p == '(') {
        const char *end = strchr(p, ')');
        if (end == NULL) return -1;
        char ace[256];
        size_t len = (size_t)(end - p - 1);
        if (len >= sizeof(ace)) return -1;
        memcpy(ace, p + 1, len);
        ace[len] = 0;
        char *field[6];
        int nf = 0;
        char *f = ace;
        for (;;) {
            if (nf == 6) return -1;
            field[nf++] = f;
            char *semi = strchr(f, ';');
            if (semi == NULL) break;
            *semi = 0;
            f = semi + 1;
        }
        if (nf != 6 || field[5][0] == 0) return -1;
        int allow = strcmp(field[0], "A") == 0;
        if (!allow && strcmp(field[0], "D") != 0) return -1;
        const char *r = field[2];
        int exec = 0;
        if (strncmp(r, "0x", 2) == 0) {
            char *stop;
            unsigned long mask = strtoul(r + 2, &stop, 16);
            if (*stop != 0 || stop == r + 2) return -1;
            exec = (mask & 0x30000000ul) != 0; /* GENERIC_EXECUTE | GENERIC_ALL */
        } else {
            size_t rl = strlen(r);
            if (rl == 0 || rl % 2 != 0) return -1;
            for (size_t i = 0; i < rl; i += 2) {
                if (r[i] < 'A' || r[i] > 'Z' || r[i + 1] < 'A' || r[i + 1] > 'Z') return -1;
                if ((r[i] == 'G' && r[i + 1] == 'X') || (r[i] == 'G' && r[i + 1] == 'A')) exec = 1;
            }
        }
        const char *sid = field[5];
        if (!(strlen(sid) == 2 && sid[0] >= 'A' && sid[0] <= 'Z' && sid[1] >= 'A' && sid[1] <= 'Z') && strncmp(sid, "S-1-", 4) != 0)
            return -1;
        if (allow && exec) grants = 1;
        aces++;
        p = end + 1;
    }
    if (*p != 0 || aces == 0) return -1;
    return grants;
}

int emu_sddl_check(PCWSTR w) { return w == NULL ? -1 : sddl_grants(w); }

static acl *acl_find(const url *u)
{
    for (acl *a = g_acls; a != NULL; a = a->next)
        if (strcmp(a->u.text, u->text) == 0) return a;
    return NULL;
}

/* Reads the key prefix: a prefix as HttpAddUrlToUrlGroup takes it, ending with '/' as netsh requires. */
static ULONG read_prefix(PCWSTR w, url *u)
{
    if (w == NULL || wlen(w) == 0 || w[wlen(w) - 1] != '/') return ERROR_INVALID_PARAMETER;
    return emu_parse_prefix(w, u);
}

ULONG emu_urlacl_set(const HTTP_SERVICE_CONFIG_URLACL_SET *set)
{
    acl *a = calloc(1, sizeof(*a));
    if (a == NULL) return ERROR_NOT_ENOUGH_MEMORY;
    ULONG err = read_prefix(set->KeyDesc.pUrlPrefix, &a->u);
    if (err == NO_ERROR && (set->ParamDesc.pStringSecurityDescriptor == NULL ||
                            (a->grants = sddl_grants(set->ParamDesc.pStringSecurityDescriptor)) < 0))
        err = ERROR_INVALID_PARAMETER;
    if (err == NO_ERROR) {
        a->prefix_w = wdup(set->KeyDesc.pUrlPrefix);
        a->sddl_w = wdup(set->ParamDesc.pStringSecurityDescriptor);
        if (a->prefix_w == NULL || a->sddl_w == NULL) err = ERROR_NOT_ENOUGH_MEMORY;
    }
    pthread_mutex_lock(&g_emu_lock);
    if (err == NO_ERROR && acl_find(&a->u) != NULL) err = ERROR_ALREADY_EXISTS; /* F-112: delete first */
    if (err == NO_ERROR) {
        a->next = g_acls;
        g_acls = a;
        a = NULL;
    }
    pthread_mutex_unlock(&g_emu_lock);
    if (a != NULL) {
        free(a->prefix_w);
        free(a->sddl_w);
        free(a);
    }
    return err;
}

ULONG emu_urlacl_delete(const HTTP_SERVICE_CONFIG_URLACL_SET *set)
{
    url u;
    memset(&u, 0, sizeof(u));
    ULONG err = read_prefix(set->KeyDesc.pUrlPrefix, &u);
    if (err != NO_ERROR) return err;
    pthread_mutex_lock(&g_emu_lock);
    err = ERROR_FILE_NOT_FOUND;
    for (acl **pp = &g_acls; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->u.text, u.text) == 0) {
            acl *a = *pp;
            *pp = a->next;
            free(a->prefix_w);
            free(a->sddl_w);
            free(a);
            err = NO_ERROR;
            break;
        }
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* Writes a as an URLACL_SET followed by its two strings; returns the size needed (out NULL: measure). */
static size_t write_set(const acl *a, char *out)
{
    size_t pl = (wlen(a->prefix_w) + 1) * sizeof(WCHAR), sl = (wlen(a->sddl_w) + 1) * sizeof(WCHAR);
    size_t need = sizeof(HTTP_SERVICE_CONFIG_URLACL_SET) + pl + sl;
    if (out == NULL) return need;
    HTTP_SERVICE_CONFIG_URLACL_SET *s = (HTTP_SERVICE_CONFIG_URLACL_SET *)out;
    char *p = out + sizeof(*s);
    s->KeyDesc.pUrlPrefix = memcpy(p, a->prefix_w, pl);
    s->ParamDesc.pStringSecurityDescriptor = memcpy(p + pl, a->sddl_w, sl);
    return need;
}

ULONG emu_urlacl_query(const HTTP_SERVICE_CONFIG_URLACL_QUERY *q, PVOID out, ULONG out_len, PULONG ret_len)
{
    url u;
    memset(&u, 0, sizeof(u));
    if (q->QueryDesc == HttpServiceConfigQueryExact) {
        ULONG err = read_prefix(q->KeyDesc.pUrlPrefix, &u);
        if (err != NO_ERROR) return err;
    } else if (q->QueryDesc != HttpServiceConfigQueryNext) {
        return ERROR_INVALID_PARAMETER;
    }
    pthread_mutex_lock(&g_emu_lock);
    acl *a = NULL;
    ULONG err;
    if (q->QueryDesc == HttpServiceConfigQueryExact) {
        a = acl_find(&u);
        err = a ? NO_ERROR : ERROR_FILE_NOT_FOUND;
    } else {
        DWORD n = 0; /* by index, oldest first */
        for (acl *x = g_acls; x != NULL; x = x->next) n++;
        if (q->dwToken < n) {
            DWORD want = n - 1 - q->dwToken, i = 0;
            for (a = g_acls; a != NULL && i < want; a = a->next) i++;
        }
        err = a ? NO_ERROR : ERROR_NO_MORE_ITEMS;
    }
    if (a != NULL) {
        size_t need = write_set(a, NULL);
        if (ret_len) *ret_len = (ULONG)need;
        if (out == NULL || out_len < need) err = ERROR_INSUFFICIENT_BUFFER;
        else write_set(a, out);
    }
    pthread_mutex_unlock(&g_emu_lock);
    return err;
}

/* May the caller register u (under g_emu_lock)? An administrator may register anything; anyone may
 * register a localhost prefix (F-193); a wildcard or other host needs a reservation of the same
 * scheme, host and port whose path is a whole-segment prefix of u's and whose DACL allows it (F-106). */
ULONG emu_urlacl_check(const url *u)
{
    if (emu_elevated()) return NO_ERROR;
    if (u->host_kind == HOST_NAMED && strcmp(u->host, "localhost") == 0) return NO_ERROR;
    for (const acl *a = g_acls; a != NULL; a = a->next) {
        if (a->u.tls != u->tls || a->u.port != u->port || a->u.host_kind != u->host_kind || strcmp(a->u.host, u->host) != 0)
            continue;
        if (a->u.path_len <= u->path_len && memcmp(a->u.path, u->path, a->u.path_len) == 0)
            return a->grants ? NO_ERROR : ERROR_ACCESS_DENIED;
    }
    return ERROR_ACCESS_DENIED;
}

EMU_EXPORT ULONG HttpEmuClearUrlAcls(void)
{
    pthread_mutex_lock(&g_emu_lock);
    while (g_acls != NULL) {
        acl *a = g_acls;
        g_acls = a->next;
        free(a->prefix_w);
        free(a->sddl_w);
        free(a);
    }
    pthread_mutex_unlock(&g_emu_lock);
    return NO_ERROR;
}
