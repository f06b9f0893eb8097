/*
 * The journal writer's plugin side (see journal.h): the writer of
 * src/journal/, the counters, the failure episode, and the message callback
 * that feeds it. Nothing here retries: a failed append is reported to
 * mosquitto, which withholds a success acknowledgement so that the device
 * sends the message again.
 */
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "acl.h"
#include "journal_upkeep.h"
#include "logging.h"
#include "plugin.h"

static const char *const cause_names[CK_JCAUSE_COUNT] = {
	[CK_JCAUSE_NONE] = "none",           [CK_JCAUSE_JOURNAL_FULL] = "journal_full",
	[CK_JCAUSE_DISK_FULL] = "disk_full", [CK_JCAUSE_LOCKED] = "locked",
	[CK_JCAUSE_CORRUPT] = "corrupt",     [CK_JCAUSE_IO] = "io",
	[CK_JCAUSE_OTHER] = "other",
};

const char *ck_plugin_journal_cause_name(enum ck_journal_cause cause)
{
	return cause >= 0 && cause < CK_JCAUSE_COUNT ? cause_names[cause] : "other";
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ck_plugin_journal_config_init(struct ck_plugin_journal_config *cfg)
{
	cfg->sync_full = false;
	cfg->max_bytes = CK_JOURNAL_MAX_BYTES_DEFAULT;
	cfg->retention_s = CK_JOURNAL_RETENTION_S_DEFAULT;
}

/* Parses a non-negative decimal with an optional K, M or G suffix. */
static int parse_size(const char *s, bool suffix, int64_t *out)
{
	char *end = NULL;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	int shift = 0;
	if (suffix && *end) {
		switch (*end) {
		case 'K':
		case 'k':
			shift = 10;
			break;
		case 'M':
		case 'm':
			shift = 20;
			break;
		case 'G':
		case 'g':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		end++;
	}
	if (*end || v > ((unsigned long long)INT64_MAX >> shift))
		return -EINVAL;
	*out = (int64_t)(v << shift);
	return 0;
}

int ck_plugin_journal_config_set(struct ck_plugin_journal_config *cfg, const char *key,
                                 const char *value, char *why, size_t why_len)
{
	int64_t v;

	if (strcmp(key, "sync") == 0) {
		if (value && strcmp(value, "normal") == 0)
			cfg->sync_full = false;
		else if (value && strcmp(value, "full") == 0)
			cfg->sync_full = true;
		else
			goto bad;
		return 1;
	}
	if (strcmp(key, "max_bytes") == 0) {
		if (parse_size(value, true, &v) != 0 || v < CK_JOURNAL_MAX_BYTES_MIN)
			goto bad;
		cfg->max_bytes = v;
		return 1;
	}
	if (strcmp(key, "retention_s") == 0) {
		if (parse_size(value, false, &v) != 0)
			goto bad;
		cfg->retention_s = v;
		return 1;
	}
	return 0;
bad:
	snprintf(why, why_len, "plugin_opt_%s: invalid value \"%s\" (%s)", key, value ? value : "",
	         strcmp(key, "sync") == 0        ? "normal or full"
	         : strcmp(key, "max_bytes") == 0 ? "bytes, at least 65536, K/M/G suffix allowed"
	                                         : "seconds");
	return -EINVAL;
}

/* Maps a negative errno from the writer to a cause. */
static enum ck_journal_cause classify(int rc)
{
	switch (-rc) {
	case EFBIG:
		return CK_JCAUSE_JOURNAL_FULL;
	case ENOSPC:
	case EDQUOT:
		return CK_JCAUSE_DISK_FULL;
	case EWOULDBLOCK:
		return CK_JCAUSE_LOCKED;
	case EBADMSG:
		return CK_JCAUSE_CORRUPT;
	case EINVAL:
	case ENOMEM:
		return CK_JCAUSE_OTHER;
	default:
		return CK_JCAUSE_IO;
	}
}

int ck_plugin_journal_reopen(struct ck_plugin_journal *j)
{
	struct ck_journal_writer_config wc = { .sync_full = j->cfg.sync_full,
		                               .max_bytes = j->cfg.max_bytes };
	struct ck_journal_open_info info;

	ck_plugin_journal_read_ack(j);
	int rc = ck_journal_writer_open(&j->w, j->path, &wc, j->st.acked_seq, &info);
	if (rc != 0) {
		j->open_cause = classify(rc);
		snprintf(j->errmsg, sizeof(j->errmsg), "%s", j->w.err);
		return -EIO;
	}
	if (info.removed_empty)
		ck_plugin_log(MOSQ_LOG_WARNING,
		              "journal %s: removed a segment whose creation a crash cut short",
		              j->path);
	if (info.torn_bytes > 0)
		ck_plugin_log(MOSQ_LOG_WARNING,
		              "journal %s: torn tail of segment %020" PRId64 " cut at byte %" PRId64
		              " (%" PRId64
		              " bytes of an unfinished write dropped; no acknowledged message "
		              "is lost unless the machine lost power with sync normal)",
		              j->path, info.torn_seg, info.torn_at, info.torn_bytes);
	if (info.renumbered && (info.newest_seq > 0 || info.torn_bytes > 0))
		ck_plugin_log(
		    MOSQ_LOG_WARNING,
		    "journal %s ends at sequence %" PRId64 " but clickd acknowledged %" PRId64
		    " (%s): records were lost before this start (a torn tail after a power "
		    "loss with sync normal, or a replaced directory); new records continue after "
		    "%" PRId64,
		    j->path, info.newest_seq, j->st.acked_seq, j->ack_path, j->st.acked_seq);
	j->stats_dirty = true;
	return 0;
}

/* Builds dir/name into a new string; NULL when out of memory. */
static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%s/%s", dir, name);
	return out;
}

int ck_plugin_journal_init(struct ck_plugin_journal *j, const char *dir,
                           const struct ck_plugin_journal_config *cfg)
{
	memset(j, 0, sizeof(*j));
	j->cfg = *cfg;
	ck_journal_writer_init(&j->w);
	j->path = path_join(dir, "journal");
	j->ack_path = path_join(dir, "journal.ack");
	j->stats_path = path_join(dir, "plugin.stats");
	if (!j->path || !j->ack_path || !j->stats_path) {
		snprintf(j->errmsg, sizeof(j->errmsg), "out of memory");
		return -ENOMEM;
	}
	j->stats_dirty = true;
	if (ck_plugin_journal_reopen(j) != 0) {
		ck_plugin_journal_note_failure(j, j->open_cause);
		return -EIO;
	}
	return 0;
}

static const char *cause_text(enum ck_journal_cause cause)
{
	switch (cause) {
	case CK_JCAUSE_JOURNAL_FULL:
		return "the journal holds max_bytes of rows clickd has not acknowledged";
	case CK_JCAUSE_DISK_FULL:
		return "the file system is full";
	case CK_JCAUSE_LOCKED:
		return "another process holds its lock (a second broker on this data directory?)";
	case CK_JCAUSE_CORRUPT:
		return "a segment is damaged (see \"Journal\" in the operator's guide)";
	case CK_JCAUSE_IO:
		return "I/O error";
	default:
		return "the message cannot be recorded";
	}
}

void ck_plugin_journal_note_failure(struct ck_plugin_journal *j, enum ck_journal_cause cause)
{
	if (cause <= CK_JCAUSE_NONE || cause >= CK_JCAUSE_COUNT)
		cause = CK_JCAUSE_OTHER;
	j->st.failures[cause]++;
	j->stats_dirty = true;
	if (j->failing == cause) {
		j->failing_refused++;
		return;
	}
	j->failing = cause;
	j->failing_since_ms = monotonic_ms();
	j->failing_refused = 1;
	ck_plugin_log(MOSQ_LOG_ERR,
	              "journal %s cannot store device messages (%s): %s [%s]; refusing them "
	              "(MQTT 5: PUBACK 0x87, MQTT 3.1.1: disconnect) until it can; this is "
	              "logged once until it recovers",
	              j->path, ck_plugin_journal_cause_name(cause), cause_text(cause), j->errmsg);
}

static void note_success(struct ck_plugin_journal *j)
{
	if (j->failing == CK_JCAUSE_NONE)
		return;
	ck_plugin_log(
	    MOSQ_LOG_NOTICE,
	    "journal %s stores device messages again after %" PRIu64 " refused in %.1f s (%s)",
	    j->path, j->failing_refused, (double)(monotonic_ms() - j->failing_since_ms) / 1000.0,
	    ck_plugin_journal_cause_name(j->failing));
	j->failing = CK_JCAUSE_NONE;
	j->failing_refused = 0;
}

int ck_plugin_journal_append(struct ck_plugin_journal *j, const struct ck_journal_row *row,
                             enum ck_journal_cause *cause)
{
	enum ck_journal_cause why = CK_JCAUSE_NONE;

	if (j->w.dirfd < 0) {
		if (j->failing == CK_JCAUSE_NONE)
			snprintf(j->errmsg, sizeof(j->errmsg), "journal is not open");
		why = j->failing != CK_JCAUSE_NONE ? j->failing : CK_JCAUSE_IO;
	} else {
		int rc = ck_journal_writer_append(&j->w, row, row->received_ms, NULL);
		if (rc != 0) {
			why = classify(rc);
			snprintf(j->errmsg, sizeof(j->errmsg), "%s", j->w.err);
			if (j->w.broken)
				why = CK_JCAUSE_IO; /* reopened on the tick, which cuts the tail */
		}
	}
	if (cause)
		*cause = why;
	if (why != CK_JCAUSE_NONE) {
		ck_plugin_journal_note_failure(j, why);
		return -EIO;
	}
	j->st.appends++;
	j->st.append_bytes += (uint64_t)row->payload_size;
	j->stats_dirty = true;
	note_success(j);
	return 0;
}

void ck_plugin_journal_close(struct ck_plugin_journal *j)
{
	if (j->path) /* init ran, so the writer was initialised */
		ck_journal_writer_close(&j->w);
	free(j->path);
	free(j->ack_path);
	free(j->stats_path);
	j->path = j->ack_path = j->stats_path = NULL;
}

int ck_plugin_on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ev = event_data;
	struct ck_plugin *p = userdata;
	char idbuf[CK_PLUGIN_LOG_FIELD_MAX + 4];

	(void)event;
	if (ck_plugin_is_account(ev->client))
		return MOSQ_ERR_SUCCESS;
	const char *id = mosquitto_client_id(ev->client);
	const struct ck_plugin_client *c = ck_plugin_clients_get(&p->clients, ev->client);
	const struct ck_plugin_cert *rec =
	    c ? ck_plugin_registry_find(&p->snapshot.reg, c->fp) : NULL;
	/* The ACL check already decided; deciding again with the same registry
	 * keeps a row's thing consistent with the certificate that sent it
	 * whatever runs before us. */
	if (!c || c->kicked ||
	    !ck_plugin_acl_allows(rec, c->client_id, c->cn, CK_POLICY_PUBLISH, "topic", ev->topic,
	                          NULL)) {
		ck_plugin_log(MOSQ_LOG_NOTICE,
		              "message from %s not allowed by its policies; not "
		              "journaled",
		              ck_plugin_printable(id, idbuf));
		return ck_plugin_acl_write_denied(ev->client);
	}
	/* A payload over CK_JOURNAL_PAYLOAD_CAP is not kept, only its size. */
	bool kept = ev->payloadlen <= CK_JOURNAL_PAYLOAD_CAP;
	struct ck_journal_row row = {
		.received_ms = wall_clock_ms(),
		.client_id = id,
		.thing = rec->thing, /* the certificate's thing */
		.topic = ev->topic,
		.qos = ev->qos,
		.retain = ev->retain,
		.payload = kept ? (ev->payload ? ev->payload : (const uint8_t *)"") : NULL,
		.payload_len = kept ? ev->payloadlen : 0,
		.payload_size = (int64_t)ev->payloadlen,
	};
	if (ck_plugin_journal_append(&p->journal, &row, NULL) != 0) {
		/* The episode was logged once by the append; per message only at
		 * debug level. MQTT 5 clients can be told (PUBACK 0x87); 3.1.1
		 * clients would read a plain PUBACK as success, so they are
		 * disconnected instead. */
		int v5 = mosquitto_client_protocol_version(ev->client) == 5;
		ck_plugin_log(MOSQ_LOG_DEBUG, "message from %s not journaled (%s); %s",
		              ck_plugin_printable(id, idbuf), p->journal.errmsg,
		              v5 ? "PUBACK 0x87" : "client disconnected");
		return v5 ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}
