/*
 * Webhook signatures (see signature.h), with OpenSSL's HMAC.
 */
#include "channels/signature.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static void to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int ck_signature_hmac(const char *secret, int64_t timestamp, const uint8_t *body, size_t len,
                      char hex[CK_SIGNATURE_HEX])
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof(prefix), "%lld.", (long long)timestamp);
	unsigned char *data = malloc((size_t)plen + len + 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, prefix, (size_t)plen);
	if (len)
		memcpy(data + plen, body, len);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	unsigned char *r = HMAC(EVP_sha256(), secret, (int)strlen(secret), data, (size_t)plen + len,
	                        mac, &mac_len);
	free(data);
	if (!r || mac_len != 32)
		return -ENOMEM;
	to_hex(mac, mac_len, hex);
	return 0;
}

int ck_signature_secret(char out[CK_SIGNATURE_SECRET])
{
	unsigned char raw[32];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	to_hex(raw, sizeof(raw), out);
	return 0;
}
