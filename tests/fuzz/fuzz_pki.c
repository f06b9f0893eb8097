/*
 * libFuzzer target for the X.509 input checks that face devices and
 * operators: a CSR (claim provisioning and POST /things/{name}/certificates),
 * a certificate and a CRL. The first input byte picks the parser. Any input
 * is refused with -EINVAL or -E2BIG and a one-line reason, or accepted with
 * every recorded field within bounds. Any other outcome aborts.
 */
#include "registry/pki.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBrTCCAVKgAwIBAgIRAPx/SSH76/0bV01jbigUor8wCgYIKoZIzj0EAwIwJTEj\n"
                             "MCEGA1UEAwwaY2xpY2tkIENBIGI2MzU3Yzc2MDNiOGI2YWEwHhcNMjYxMTI2MDI0\n"
                             "MTM5WhcNMzYxMTIzMDM0MTM5WjAlMSMwIQYDVQQDDBpjbGlja2QgQ0EgYjYzNTdj\n"
                             "NzYwM2I4YjZhYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPbbABJSbv4Wsia3\n"
                             "T6SG25fXF8GEAPItaa+59lxJt/WyBJQNZi25eSCsIlSrvG2eDPmFWyvaZF9Wk5sn\n"
                             "7p6PEfKjYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1Ud\n"
                             "DgQWBBRSnTjv6TAueZvZ2YrgFDv9u5w2TjAfBgNVHSMEGDAWgBRSnTjv6TAueZvZ\n"
                             "2YrgFDv9u5w2TjAKBggqhkjOPQQDAgNJADBGAiEAoizQsT9SBnoirrFFSq8bsbq+\n"
                             "TImpnjBZK2jipzMohzoCIQC8IHIFkR4X/z59C/DIX3S/xQrKGWTjrZbQZxsYvVSS\n"
                             "6A==\n"
                             "-----END CERTIFICATE-----\n";

static void check_reason(int rc, const char *why)
{
	if ((rc != -EINVAL && rc != -E2BIG) || why[0] == '\0' || strchr(why, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256] = "";
	struct ck_pki_cert info;
	int64_t number = 0;
	int rc;

	if (size == 0)
		return 0;
	const char *pem = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0:
		rc = ck_pki_csr_check(pem, len, why, sizeof(why));
		if (rc)
			check_reason(rc, why);
		break;
	case 1:
		rc = ck_pki_cert_parse(pem, len, &info, why, sizeof(why));
		if (rc) {
			check_reason(rc, why);
			break;
		}
		if (strlen(info.fingerprint) != CK_FINGERPRINT_LEN || !info.serial[0] ||
		    strlen(info.serial) > CK_PKI_SERIAL_MAX)
			abort();
		break;
	default:
		rc = ck_pki_crl_check(pem, len, ca_pem, &number, why, sizeof(why));
		if (rc)
			check_reason(rc, why);
		break;
	}
	return 0;
}
