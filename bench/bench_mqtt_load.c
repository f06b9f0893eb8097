/*
 * MQTT load for the pipeline benchmark: publishes COUNT QoS 1 messages as
 * fast as the broker acknowledges them over one TLS connection (a device
 * identity), or subscribes and counts arrivals. Each published payload is an
 * AWS IoT Button press with a unique seq, so clickd treats none of them as a
 * retry. Prints one line of figures; bench/bench_pipeline.py drives it.
 *
 *   bench_mqtt_load pub HOST PORT CA CERT KEY CLIENT_ID TOPIC COUNT [INFLIGHT]
 *   bench_mqtt_load sub HOST PORT CA CERT KEY CLIENT_ID FILTER COUNT
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

struct load {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long count, sent, acked, received, inflight, max_inflight;
	bool connected, failed;
	const char *topic;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void)m;
	struct load *l = arg;
	pthread_mutex_lock(&l->lock);
	l->connected = rc == 0;
	l->failed = rc != 0;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void on_publish(struct mosquitto *m, void *arg, int mid)
{
	(void)m;
	(void)mid;
	struct load *l = arg;
	pthread_mutex_lock(&l->lock);
	l->acked++;
	l->inflight--;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	(void)m;
	(void)msg;
	struct load *l = arg;
	pthread_mutex_lock(&l->lock);
	l->received++;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: bench_mqtt_load pub|sub HOST PORT CA CERT KEY CLIENT_ID TOPIC COUNT "
	        "[INFLIGHT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 10)
		return usage();
	bool pub = strcmp(argv[1], "pub") == 0;
	struct load l = { .topic = argv[8] };
	pthread_mutex_init(&l.lock, NULL);
	pthread_cond_init(&l.cond, NULL);
	l.count = strtol(argv[9], NULL, 10);
	l.max_inflight = argc > 10 ? strtol(argv[10], NULL, 10) : 20;
	if (l.count <= 0 || l.max_inflight <= 0)
		return usage();

	mosquitto_lib_init();
	struct mosquitto *m = mosquitto_new(argv[7], true, &l);
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_max_inflight_messages_set(m, (unsigned int)l.max_inflight);
	if (mosquitto_tls_set(m, argv[4], NULL, argv[5], argv[6], NULL) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "bench_mqtt_load: bad TLS files\n");
		return 1;
	}
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_publish_callback_set(m, on_publish);
	mosquitto_message_callback_set(m, on_message);
	if (mosquitto_connect(m, argv[2], (int)strtol(argv[3], NULL, 10), 60) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "bench_mqtt_load: cannot connect\n");
		return 1;
	}
	pthread_mutex_lock(&l.lock);
	while (!l.connected && !l.failed)
		pthread_cond_wait(&l.cond, &l.lock);
	pthread_mutex_unlock(&l.lock);
	if (l.failed) {
		fprintf(stderr, "bench_mqtt_load: connection refused\n");
		return 1;
	}

	double start = now_s();
	if (pub) {
		char payload[200];
		for (long i = 0; i < l.count; i++) {
			pthread_mutex_lock(&l.lock);
			while (l.inflight >= l.max_inflight)
				pthread_cond_wait(&l.cond, &l.lock);
			l.inflight++;
			pthread_mutex_unlock(&l.lock);
			int n = snprintf(payload, sizeof(payload),
			                 "{\"serialNumber\":\"%s\",\"batteryVoltage\":\"1600mV\","
			                 "\"clickType\":\"SINGLE\",\"seq\":%ld}",
			                 argv[7], i + 1);
			if (mosquitto_publish(m, NULL, l.topic, n, payload, 1, false) !=
			    MOSQ_ERR_SUCCESS) {
				fprintf(stderr, "bench_mqtt_load: publish failed\n");
				return 1;
			}
		}
		pthread_mutex_lock(&l.lock);
		while (l.acked < l.count)
			pthread_cond_wait(&l.cond, &l.lock);
		pthread_mutex_unlock(&l.lock);
	} else {
		mosquitto_subscribe(m, NULL, l.topic, 1);
		printf("subscribed\n");
		fflush(stdout);
		pthread_mutex_lock(&l.lock);
		while (l.received < l.count)
			pthread_cond_wait(&l.cond, &l.lock);
		pthread_mutex_unlock(&l.lock);
	}
	double elapsed = now_s() - start;
	printf("%s %ld messages in %.3f s = %.0f msg/s\n", pub ? "acked" : "received", l.count,
	       elapsed, (double)l.count / elapsed);
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	return 0;
}
