// Thin functions for the OpenSSL macros Swift cannot call. Nothing else belongs here.
#ifndef COPENSSL_SHIMS_H
#define COPENSSL_SHIMS_H

#include <openssl/ssl.h>
#include <openssl/bio.h>

/// SSL_CTX_set_min_proto_version / SSL_CTX_set_max_proto_version (macros over SSL_CTX_ctrl).
int swarm_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
int swarm_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);

/// SSL_CTX_set_mode (macro over SSL_CTX_ctrl); returns the new mode bitmask.
long swarm_SSL_CTX_set_mode(SSL_CTX *ctx, long mode);

/// BIO_get_mem_data (macro over BIO_ctrl): pointer to and length of a memory BIO's contents.
long swarm_BIO_get_mem_data(BIO *bio, char **data);

#endif
