/*
 * The pure parts of the broker supervisor and the HTTP address parser: the
 * generated mosquitto configuration says what the design promises.
 */
#include <errno.h>
#include <string.h>

#include "broker/broker.h"
#include "ck_test.h"
#include "http/http.h"

static void test_config(void)
{
	struct ck_broker_config c = {
		.data_dir = "/var/lib/clickd",
		.mosquitto_path = "/usr/sbin/mosquitto",
		.plugin_path = "/opt/clickd/clickd_plugin.so",
		.mqtt_addr = "0.0.0.0",
		.mqtt_port = 8883,
		.local_port = 40001,
		.run_user = NULL,
	};
	char buf[8192];
	int n = ck_broker_render_config(&c, buf, sizeof(buf));
	CK_CHECK(n > 0);
	const char *must[] = {
		"listener 8883 0.0.0.0\n",
		"require_certificate true\n",
		"set_tcp_nodelay true\n",
		"use_identity_as_username false\n",
		"allow_anonymous false\n",
		"cafile /var/lib/clickd/ca/trust.pem\n",
		"crlfile /var/lib/clickd/ca/crl.pem\n",
		"plugin /opt/clickd/clickd_plugin.so\n",
		"plugin_opt_data_dir /var/lib/clickd\n",
		"listener 40001 127.0.0.1\n",
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		if (!strstr(buf, must[i]))
			fprintf(stderr, "missing: %s", must[i]);
		CK_CHECK(strstr(buf, must[i]) != NULL);
	}
	CK_CHECK(strstr(buf, "\nuser ") == NULL);
	/* The nodelay line must belong to the device listener, i.e. follow it. */
	CK_CHECK(strstr(strstr(buf, "listener 8883"), "set_tcp_nodelay true") != NULL);

	CK_CHECK(strstr(buf, "plugin_opt_sync") == NULL);

	c.run_user = "root";
	c.journal_sync = "full";
	c.journal_max_bytes = 1LL << 30;
	c.journal_retention_s = 0;
	CK_CHECK(ck_broker_render_config(&c, buf, sizeof(buf)) > 0);
	CK_CHECK(strstr(buf, "\nuser root\n") != NULL);
	CK_CHECK(strstr(buf,
	                "plugin_opt_data_dir /var/lib/clickd\nplugin_opt_sync full\n"
	                "plugin_opt_max_bytes 1073741824\nplugin_opt_retention_s 0\n") != NULL);
	CK_CHECK_INT(ck_broker_render_config(&c, buf, 64), ==, -ENOSPC);
}

static void test_hostport(void)
{
	char addr[64];
	int port = 0;
	CK_CHECK_INT(ck_parse_hostport("127.0.0.1:8080", addr, sizeof(addr), &port), ==, 0);
	CK_CHECK_STR(addr, "127.0.0.1");
	CK_CHECK_INT(port, ==, 8080);
	CK_CHECK_INT(ck_parse_hostport("localhost:0", addr, sizeof(addr), &port), ==, 0);
	CK_CHECK_STR(addr, "127.0.0.1");
	CK_CHECK_INT(port, ==, 0);
	const char *bad[] = { "",
		              ":80",
		              "127.0.0.1",
		              "127.0.0.1:",
		              "127.0.0.1:65536",
		              "127.0.0.1:-1",
		              "127.0.0.1:80x",
		              "example.com:80",
		              "1.2.3:4" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CK_CHECK_INT(ck_parse_hostport(bad[i], addr, sizeof(addr), &port), ==, -EINVAL);
}

int main(void)
{
	test_config();
	test_hostport();
	return ck_test_main("broker");
}
