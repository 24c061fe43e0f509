/*
 * probe_compat: what the httpapi-probe's Windows C needs beyond the HTTP Server API, on Linux
 * (force-included with -include; the probe is compiled with -fshort-wchar so L"" literals are
 * UTF-16 like WCHAR). Wide-string printing and swprintf are done here, since glibc's assume 32-bit
 * wchar_t.
 */
#ifndef PROBE_COMPAT_H
#define PROBE_COMPAT_H
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include "windows.h"
#include "http.h"

typedef struct _EXCEPTION_RECORD {
    DWORD ExceptionCode; DWORD ExceptionFlags; void *ExceptionRecord; PVOID ExceptionAddress;
    DWORD NumberParameters; ULONG_PTR ExceptionInformation[15];
} EXCEPTION_RECORD;
typedef struct _EXCEPTION_POINTERS { EXCEPTION_RECORD *ExceptionRecord; void *ContextRecord; } EXCEPTION_POINTERS;
#define EXCEPTION_CONTINUE_SEARCH 0
typedef void *FARPROC;
typedef void *HMODULE;

static inline PVOID AddVectoredExceptionHandler(ULONG first, LONG (*h)(EXCEPTION_POINTERS *)) { (void)first; (void)h; return NULL; }
static inline void Sleep(DWORD ms) { usleep((useconds_t)ms * 1000); }
static inline HANDLE CreateEventW(void *sa, BOOL manual, BOOL initial, const WCHAR *name)
{ (void)sa; (void)manual; (void)initial; (void)name; static int dummy; return &dummy; }
static inline HMODULE GetModuleHandleA(const char *name) { (void)name; return RTLD_DEFAULT; }
static inline FARPROC GetProcAddress(HMODULE m, const char *name) { return dlsym(m, name); }

/* The emulator (like Wine 8) has no HttpQueryRequestQueueProperty: report it as missing. */
static inline ULONG compat_HttpQueryRequestQueueProperty(HANDLE q, HTTP_SERVER_PROPERTY p, PVOID info, ULONG len,
                                                         ULONG r1, PULONG ret, PVOID r2)
{
    typedef ULONG (*fn_t)(HANDLE, HTTP_SERVER_PROPERTY, PVOID, ULONG, ULONG, PULONG, PVOID);
    fn_t f = (fn_t)dlsym(RTLD_DEFAULT, "HttpQueryRequestQueueProperty");
    return f ? f(q, p, info, len, r1, ret, r2) : ERROR_CALL_NOT_IMPLEMENTED;
}
#define HttpQueryRequestQueueProperty compat_HttpQueryRequestQueueProperty

static inline int compat_swprintf(WCHAR *out, size_t n, const WCHAR *fmt, ...)
{
    char f[256], b[512];
    size_t i = 0;
    for (; fmt[i] && i + 1 < sizeof(f); i++) f[i] = (char)fmt[i];
    f[i] = 0;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(b, sizeof(b), f, ap);
    va_end(ap);
    size_t k = 0;
    for (; b[k] && k + 1 < n; k++) out[k] = (WCHAR)(unsigned char)b[k];
    out[k] = 0;
    return len;
}
#define swprintf compat_swprintf

/* printf with %ls / %.*ls taking UTF-16 strings (ASCII shown as is). */
static inline int compat_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int total = 0;
    for (const char *p = fmt; *p;) {
        if (*p != '%') { fputc(*p++, stdout); total++; continue; }
        char spec[32];
        size_t s = 0;
        spec[s++] = *p++;
        int prec = -1, star = 0;
        while (*p && strchr("-+ #0123456789.*", *p)) {
            if (*p == '*') { star = 1; prec = va_arg(ap, int); }
            if (s + 1 < sizeof(spec)) spec[s++] = *p;
            p++;
        }
        char len[3] = "";
        size_t l = 0;
        while (*p && strchr("hlLqjzt", *p) && l < 2) len[l++] = *p++;
        char conv = *p ? *p++ : 0;
        if (conv == 's' && l == 1 && len[0] == 'l') {
            const WCHAR *w = va_arg(ap, const WCHAR *);
            for (int i = 0; w && w[i] && (prec < 0 || i < prec || !star); i++) {
                if (star && i >= prec) break;
                fputc(w[i] < 0x80 ? (char)w[i] : '?', stdout);
                total++;
            }
            continue;
        }
        for (size_t i = 0; i < l; i++) spec[s++] = len[i];
        spec[s++] = conv;
        spec[s] = 0;
        /* rebuild '*' as a number: the precision was already consumed */
        char one[64];
        if (star) {
            char *st = strchr(spec, '*');
            char tmp[32];
            snprintf(tmp, sizeof(tmp), "%.*s%d%s", (int)(st - spec), spec, prec, st + 1);
            strcpy(spec, tmp);
        }
        int n = 0;
        switch (conv) {
        case '%': n = snprintf(one, sizeof(one), "%%"); break;
        case 'd': case 'i':
            n = l == 2 ? snprintf(one, sizeof(one), spec, va_arg(ap, long long)) : l == 1 ? snprintf(one, sizeof(one), spec, (long)va_arg(ap, int)) : snprintf(one, sizeof(one), spec, va_arg(ap, int));
            break;
        case 'u': case 'x': case 'X': case 'o':
            n = l == 2 ? snprintf(one, sizeof(one), spec, va_arg(ap, unsigned long long)) : l == 1 ? snprintf(one, sizeof(one), spec, (unsigned long)va_arg(ap, unsigned int)) : snprintf(one, sizeof(one), spec, va_arg(ap, unsigned int));
            break;
        case 'c': n = snprintf(one, sizeof(one), spec, va_arg(ap, int)); break;
        case 'p': n = snprintf(one, sizeof(one), spec, va_arg(ap, void *)); break;
        case 'f': case 'g': case 'e': n = snprintf(one, sizeof(one), spec, va_arg(ap, double)); break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            n = printf(spec, str);
            total += n;
            continue;
        }
        default: n = 0;
        }
        fputs(one, stdout);
        total += n;
    }
    va_end(ap);
    return total;
}
#define printf compat_printf
#endif
