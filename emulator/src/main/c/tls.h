/*
 * tls.h: what the certificate store and its bindings (certs.c) give the TLS layer of a connection
 * (tls.c). Only these two files see OpenSSL's types.
 */
#ifndef EMU_TLS_H
#define EMU_TLS_H

#include <openssl/ssl.h>
#include "server.h"

typedef struct emu_cert {
    UCHAR thumb[20];           /* SHA-1 of the DER certificate: the key of store "MY" (F-115) */
    X509 *x;
    EVP_PKEY *key;
    STACK_OF(X509) *chain;     /* the other certificates of the PEM file, sent after the leaf */
    struct emu_cert *next;
} emu_cert;

/* The certificate for a handshake on local address `local` (F-118): a hostname:port binding whose
 * host is the client's SNI, else ip:port, else 0.0.0.0:port / [::]:port. NULL: no binding or its
 * certificate is gone (F-119). *flags = the binding's DefaultFlags; *sni_flags for F-131. */
const emu_cert *emu_binding_pick(const struct sockaddr_storage *local, const char *sni, ULONG *flags,
                                 ULONG *sni_flags);
/* Changes whenever a certificate is added or the store cleared: the TLS context is then rebuilt. */
unsigned long emu_certs_generation(void);
/* Adds every stored certificate and chain to st: they are what client certificates are checked against. */
void emu_certs_trust(X509_STORE *st);

#endif
