/*
 * auth: what the authentication modules share. token.c owns accounts, SIDs, identities and access-token
 * handles (the stand-in for Windows accounts and LSA, F-139, F-140, F-142); auth.c owns the
 * authentication configuration of sessions and URL groups and runs the schemes on requests (F-132..F-141).
 */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include <stddef.h>
#include "emu.h"

/* ---- token.c ---- */

/* Who a request was authenticated as: the user's SID and the SIDs of its groups (the token's contents). */
typedef struct emu_identity emu_identity;

/* Basic (F-142): "DOMAIN\user" (or "user", or "user@domain") and password against the registered
 * accounts. NULL with *sec_status = SEC_E_LOGON_DENIED when no account matches. */
emu_identity *emu_account_logon(const char *user, size_t user_len, const char *password, size_t password_len,
                                LONG *sec_status);
/* The client as GSSAPI names it: Kerberos "user@REALM" (a registered account of that user in the realm's
 * NetBIOS name, its first label, or in the realm itself) or NTLM "DOMAIN\\user"; when none is registered,
 * a synthetic identity with stable SIDs in that domain. */
emu_identity *emu_identity_for_principal(const char *principal);
emu_identity *emu_identity_copy(const emu_identity *id);
void emu_identity_free(emu_identity *id);
/* A new access-token handle for id, owned by whoever receives it, closed with CloseHandle; counted in
 * CNT_TOKENS. NULL when out of memory. */
HANDLE emu_token_new(const emu_identity *id);

/* ---- auth.c ---- */

/* A session's or URL group's HttpServerAuthenticationProperty (F-132). */
typedef struct emu_auth_cfg {
    int present;
    ULONG schemes;            /* HTTP_AUTH_ENABLE_* */
    int receive_mutual;       /* F-141 */
    int disable_ntlm_cache;   /* F-137 */
    UCHAR ex_flags;           /* HTTP_AUTH_EX_FLAG_* */
    char realm[256];          /* BasicParams.Realm, UTF-8, "" when none */
} emu_auth_cfg;

ULONG emu_auth_set(emu_auth_cfg *cfg, const void *info, ULONG len);

struct conn;
struct req;
struct group;

/* What the router does with a request after authentication. */
enum { EMU_AUTH_DELIVER = 0, EMU_AUTH_ANSWERED = 1 };
/* Runs the request's Authorization against the group's schemes (F-133..F-137): EMU_AUTH_DELIVER with the
 * outcome stored on the request, an HTTP status (400, 503) for the router to answer with, or
 * EMU_AUTH_ANSWERED when the emulator sent an intermediate leg itself (F-135) and freed nothing. */
int emu_auth_request(struct conn *c, struct req *r, struct group *g);
/* Is authentication configured for the group (its own, else its session's)? */
int emu_auth_configured(const struct group *g);
/* The request's HTTP_REQUEST_AUTH_INFO and what it points to, laid out by reqbuf.c: bytes needed after
 * the struct (mutual data, package name). 0 when the request carries no auth info (auth off, F-138). */
int emu_auth_has_info(const struct req *r);
size_t emu_auth_extra_size(const struct req *r);
/* Fills info (and extra, emu_auth_extra_size bytes) for a delivered request; creates the access token the
 * first time (the application owns it from here, F-139). */
void emu_auth_fill(struct req *r, HTTP_REQUEST_AUTH_INFO *info, char *extra);
void emu_auth_req_free(struct req *r);
void emu_auth_conn_free(struct conn *c);
/* Response headers HTTP.sys itself writes or builds (F-134, F-141): the WWW-Authenticate known slot, the
 * HttpResponseInfoTypeMultipleKnownHeaders entries and the mutual-auth header, as header lines in a malloc'd
 * string (*out, *out_len; NULL when none). ERROR_INVALID_PARAMETER for a malformed response info. */
ULONG emu_auth_response_headers(struct req *r, const HTTP_RESPONSE *resp, char **out, size_t *out_len);
/* 1 when the known response slot id is written by emu_auth_response_headers instead of the usual loop. */
int emu_auth_takes_slot(const HTTP_RESPONSE *resp, int id);

#endif
