/*
 * The price table the cost tests compute with: a copy of
 * data/prices/aws-us-east-1.prices as of these tests, so that updating the
 * shipped prices does not silently change what the model is tested on.
 * Included by test_cost.c and test_cost_usage.c.
 */
#ifndef CK_PRICES_FIXTURE_H
#define CK_PRICES_FIXTURE_H

static const char prices_text[] =
    "# test prices\n"
    "aws.iot.message 1.00 USD/1M-messages https://aws.amazon.com/iot-core/pricing/ 2026-11-26\n"
    "aws.iot.rule 0.15 USD/1M-rules https://aws.amazon.com/iot-core/pricing/ 2026-11-26\n"
    "aws.iot.action 0.15 USD/1M-actions https://aws.amazon.com/iot-core/pricing/ 2026-11-26\n"
    "aws.lambda.request 0.20 USD/1M-requests https://aws.amazon.com/lambda/pricing/ 2026-11-26\n"
    "aws.lambda.free_requests 1000000 requests/month https://aws.amazon.com/lambda/pricing/ "
    "2026-11-26\n"
    "aws.lambda.gb_second 0.0000166667 USD/GB-s https://aws.amazon.com/lambda/pricing/ "
    "2026-11-26\n"
    "aws.lambda.free_gb_seconds 400000 GB-s/month https://aws.amazon.com/lambda/pricing/ "
    "2026-11-26\n"
    "aws.lambda.memory 128 MB assumption 2026-11-26\n"
    "aws.lambda.duration 100 ms assumption 2026-11-26\n"
    "aws.sns.publish 0.50 USD/1M-requests https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.free_publishes 1000000 requests/month https://aws.amazon.com/sns/pricing/ "
    "2026-11-26\n"
    "aws.sns.sms 0.00645 USD/SMS https://aws.amazon.com/sns/sms-pricing/ 2026-11-26\n"
    "aws.sns.free_sms 0 SMS/month https://aws.amazon.com/sns/sms-pricing/ 2026-11-26\n"
    "aws.sns.email 2.00 USD/100K-emails https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.free_emails 1000 emails/month https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.http 0.60 USD/1M-deliveries https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.sns.free_http 100000 deliveries/month https://aws.amazon.com/sns/pricing/ 2026-11-26\n"
    "aws.dynamodb.write 0.625 USD/1M-WRU https://aws.amazon.com/dynamodb/pricing/on-demand/ "
    "2026-11-26\n"
    "\t self.server.price\t80.00 USD/server https://www.raspberrypi.com/ 2026-11-26\r\n"
    "self.server.life 1095 days assumption 2026-11-26\n"
    "self.server.watts 8 W assumption 2026-11-26\n"
    "self.power.price 0.1545 USD/kWh https://www.eia.gov/ 2026-11-26\n"
    "self.sms.price 0.0083 USD/SMS https://www.twilio.com/ 2026-11-26\n"
    "self.sms.number 1.15 USD/month https://www.twilio.com/ 2026-11-26";

#endif
