/*
 * The store's schema, as numbered migrations. Append only: a released
 * migration is never edited, because databases in the field have run it.
 */
#include "store/sqlite_int.h"
#include "store/store_policies.h"

/* Each entry moves the schema from version i to i + 1. Append only. */
const char *const ck_store_migrations[] = {
	/* 1: the walking skeleton's tables. */
	"CREATE TABLE thing("
	"  name TEXT PRIMARY KEY,"
	"  type TEXT NOT NULL DEFAULT '',"
	"  attributes TEXT NOT NULL DEFAULT '{}',"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  created_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER,"
	"  battery_mv INTEGER);"
	"CREATE TABLE certificate("
	"  fingerprint TEXT PRIMARY KEY,"
	"  thing TEXT REFERENCES thing(name),"
	"  pem TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active','inactive','revoked')),"
	"  created_ms INTEGER NOT NULL);"
	"CREATE INDEX certificate_thing ON certificate(thing);"
	"CREATE TABLE rule("
	"  name TEXT PRIMARY KEY,"
	"  sql TEXT NOT NULL,"
	"  sql_version TEXT NOT NULL,"
	"  actions TEXT NOT NULL,"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE event("
	"  seq INTEGER PRIMARY KEY,"
	"  thing TEXT NOT NULL,"
	"  topic TEXT NOT NULL,"
	"  received_ms INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('accepted','rejected')),"
	"  reason TEXT,"
	"  click_type TEXT,"
	"  payload_size INTEGER NOT NULL);"
	"CREATE INDEX event_thing ON event(thing, seq);"
	"CREATE TABLE workorder("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'raised',"
	"  thing TEXT NOT NULL,"
	"  click_type TEXT,"
	"  location TEXT,"
	"  rule TEXT,"
	"  event_seq INTEGER,"
	"  pressed_ms INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE INDEX workorder_status ON workorder(status, id);"
	"CREATE INDEX workorder_thing ON workorder(thing, id);"
	"CREATE TABLE cursor(name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
	/* 2: rules get an error action (AWS errorAction), JSON text or NULL. */
	"ALTER TABLE rule ADD COLUMN error_action TEXT;"
	"ALTER TABLE rule ADD COLUMN updated_ms INTEGER;",
	/* 3: IoT policies with up to five versions, attached to certificates;
	 * the default button policy, attached to every existing certificate
	 * and, by trigger, to every new one. */
	"CREATE TABLE policy("
	"  name TEXT PRIMARY KEY,"
	"  default_version INTEGER NOT NULL,"
	"  next_version INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE policy_version("
	"  policy TEXT NOT NULL REFERENCES policy(name) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  document TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  PRIMARY KEY(policy, version));"
	"CREATE TABLE policy_attachment("
	"  policy TEXT NOT NULL REFERENCES policy(name),"
	"  fingerprint TEXT NOT NULL REFERENCES certificate(fingerprint) ON DELETE CASCADE,"
	"  created_ms INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(fingerprint, policy));"
	"CREATE INDEX policy_attachment_policy ON policy_attachment(policy);"
	"INSERT INTO policy VALUES('clickd-button', 1, 2, 0);"
	"INSERT INTO policy_version VALUES('clickd-button', 1, '" CK_STORE_BUTTON_POLICY "', 0);"
	"INSERT INTO policy_attachment(policy, fingerprint)"
	"  SELECT 'clickd-button', fingerprint FROM certificate;"
	"CREATE TRIGGER certificate_button_policy AFTER INSERT ON certificate BEGIN"
	"  INSERT OR IGNORE INTO policy_attachment(policy, fingerprint, created_ms)"
	"  SELECT 'clickd-button', NEW.fingerprint, NEW.created_ms"
	"  WHERE EXISTS (SELECT 1 FROM policy WHERE name = 'clickd-button');"
	"END;",
};

const int ck_store_n_migrations =
    (int)(sizeof(ck_store_migrations) / sizeof(ck_store_migrations[0]));

const char ck_store_journal_schema[] = "CREATE TABLE IF NOT EXISTS j.journal("
                                       "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                       "  received_ms INTEGER NOT NULL,"
                                       "  client_id TEXT NOT NULL,"
                                       "  thing TEXT NOT NULL,"
                                       "  topic TEXT NOT NULL,"
                                       "  qos INTEGER NOT NULL,"
                                       "  retain INTEGER NOT NULL,"
                                       "  payload BLOB,"
                                       "  payload_size INTEGER NOT NULL);";
