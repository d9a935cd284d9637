#ifndef CCrypto_SHIM_H
#define CCrypto_SHIM_H
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#endif
