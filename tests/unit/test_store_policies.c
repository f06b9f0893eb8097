/*
 * Unit tests of policies in the SQLite store (src/store/store_policies.c)
 * and of the registry snapshot writer's new records: the default button
 * policy attached to every certificate by the migration's trigger, at most
 * five versions with one default, deletion refused while attached, and the
 * snapshot lines the broker plugin reads (docs/ARCHITECTURE.md).
 */
#include "store/store_policies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_test.h"
#include "policy/policy.h"
#include "registry/snapshot.h"

static const char doc[] = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                          "\"Action\":\"iot:Publish\",\"Resource\":\"*\"}}";

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	if (f && buf)
		fread(buf, 1, (1 << 20) - 1, f);
	if (f)
		fclose(f);
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/ck-test-policies-XXXXXX";
	char path[256], snap[256], err[256];
	struct ck_store *s = NULL;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/clickd.db", dir);
	snprintf(snap, sizeof(snap), "%s/registry.snapshot", dir);
	CK_CHECK_INT(ck_store_open_sqlite(path, &s, err, sizeof(err)), ==, 0);
	if (!s)
		return ck_test_main("test_store_policies");

	/* The shipped button policy compiles with the broker's engine. */
	struct ck_policy *p = NULL;
	CK_CHECK_INT(ck_policy_parse(CK_STORE_BUTTON_POLICY, strlen(CK_STORE_BUTTON_POLICY), &p,
	                             err, sizeof(err)),
	             ==, 0);
	ck_policy_free(p);

	struct ck_thing t = { .name = "dock-1", .type = "button", .enabled = true };
	t.attributes = cJSON_Parse("{\"floor\":\"3 north\",\"empty\":\"\"}");
	CK_CHECK_INT(ck_store_thing_put(s, &t), ==, 0);
	cJSON_Delete(t.attributes);
	const char *fp = "aa00000000000000000000000000000000000000000000000000000000000000";
	CK_CHECK_INT(ck_store_cert_put(s, fp, "dock-1", "pem", "active", 1), ==, 0);

	/* The trigger attached the button policy to the new certificate. */
	cJSON *names = NULL;
	CK_CHECK_INT(ck_store_cert_policies_json(s, fp, &names), ==, 0);
	CK_CHECK(cJSON_GetArraySize(names) == 1 &&
	         strcmp(cJSON_GetArrayItem(names, 0)->valuestring, "clickd-button") == 0);
	cJSON_Delete(names);
	CK_CHECK_INT(ck_store_policy_delete(s, "clickd-button"), ==, -EBUSY);

	/* Versions: five at most, numbers never reused, the default kept. */
	CK_CHECK_INT(ck_store_policy_create(s, "p", doc, 10), ==, 0);
	CK_CHECK_INT(ck_store_policy_create(s, "p", doc, 10), ==, -EEXIST);
	int v = 0;
	for (int i = 2; i <= 5; i++) {
		CK_CHECK_INT(ck_store_policy_version_create(s, "p", doc, false, 11, &v), ==, 0);
		CK_CHECK_INT(v, ==, i);
	}
	CK_CHECK_INT(ck_store_policy_version_create(s, "p", doc, false, 12, &v), ==, -ENOSPC);
	CK_CHECK_INT(ck_store_policy_version_delete(s, "p", 1), ==, -EPERM);
	CK_CHECK_INT(ck_store_policy_version_set_default(s, "p", 4), ==, 0);
	CK_CHECK_INT(ck_store_policy_version_set_default(s, "p", 9), ==, -ENOENT);
	CK_CHECK_INT(ck_store_policy_version_delete(s, "p", 1), ==, 0);
	CK_CHECK_INT(ck_store_policy_version_delete(s, "p", 1), ==, -ENOENT);
	CK_CHECK_INT(ck_store_policy_version_create(s, "p", doc, true, 13, &v), ==, 0);
	CK_CHECK_INT(v, ==, 6);
	cJSON *o = NULL;
	CK_CHECK_INT(ck_store_policy_get_json(s, "p", &o), ==, 0);
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(o, "defaultVersion");
	CK_CHECK(cJSON_IsNumber(def) && def->valueint == 6);
	CK_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "versions")), ==, 5);
	cJSON_Delete(o);
	CK_CHECK_INT(ck_store_policy_get_json(s, "nope", &o), ==, -ENOENT);

	/* Attachments. */
	CK_CHECK_INT(ck_store_policy_attach(s, "p", fp, 20), ==, 0);
	CK_CHECK_INT(ck_store_policy_attach(s, "p", fp, 20), ==, 0);
	CK_CHECK_INT(ck_store_policy_attach(s, "nope", fp, 20), ==, -ENOENT);
	CK_CHECK_INT(ck_store_policy_attach(s, "p", "bb", 20), ==, -ENOENT);
	CK_CHECK_INT(ck_store_policy_delete(s, "p"), ==, -EBUSY);

	/* The snapshot carries things, attributes, policies and attachments. */
	CK_CHECK_INT(ck_snapshot_write(s, snap), ==, 0);
	char *text = read_file(snap);
	CK_CHECK(text &&
	         strncmp(text, CK_SNAPSHOT_HEADER "\n", strlen(CK_SNAPSHOT_HEADER) + 1) == 0);
	CK_CHECK(text && strstr(text, "\ncert aa0000") != NULL);
	CK_CHECK(text && strstr(text, "\nthing dock-1 button\n") != NULL);
	CK_CHECK(text && strstr(text, "\nattr dock-1 floor MyBub3J0aA==\n") != NULL);
	CK_CHECK(text && strstr(text, "\nattr dock-1 empty -\n") != NULL);
	CK_CHECK(text && strstr(text, "\npolicy p eyJWZXJzaW9u") != NULL);
	CK_CHECK(text &&
	         strstr(text, "\nattach aa0000000000000000000000000000000000000000000000000000"
	                      "0000000000 clickd-button\n") != NULL);
	CK_CHECK(text && strstr(text, " p\n") != NULL);
	free(text);

	CK_CHECK_INT(ck_store_policy_detach(s, "p", fp), ==, 0);
	CK_CHECK_INT(ck_store_policy_detach(s, "p", fp), ==, -ENOENT);
	CK_CHECK_INT(ck_store_policy_delete(s, "p"), ==, 0);
	CK_CHECK_INT(ck_store_policy_delete(s, "p"), ==, -ENOENT);

	ck_store_close(s);
	unlink(snap);
	unlink(path);
	char extra[300];
	snprintf(extra, sizeof(extra), "%s-wal", path);
	unlink(extra);
	snprintf(extra, sizeof(extra), "%s-shm", path);
	unlink(extra);
	rmdir(dir);
	return ck_test_main("test_store_policies");
}
