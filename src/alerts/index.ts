export { Alerter, ALERT_LEADER_LEASE, ALERT_RECORD_KEY, DEFAULT_ALERT_INTERVAL_MS, DEFAULT_MAX_MESSAGES_PER_ROUND, type AlertSource, type AlerterOptions } from './alerter.js';
export { DEFAULT_QUOTA_THRESHOLD, DEFAULT_UPSTREAM_UNREACHABLE_MS, DEFAULT_VERIFY_TICKET_STALE_MS, openIncidents, type ConditionThresholds, type QuotaReading, type VerifyTicketReading } from './conditions.js';
export type { AlertMessage, Incident, IncidentKind } from './incident.js';
export { capMessages, renderPayload, type GenericAlertBody } from './payloads.js';
export { createWebhookSender, DEFAULT_WEBHOOK_RETRIES, DEFAULT_WEBHOOK_RETRY_DELAY_MS, DEFAULT_WEBHOOK_TIMEOUT_MS, type SendAlert } from './webhook-sender.js';
export { parseWebhookList, parseWebhookTarget, type WebhookFormat, type WebhookTarget } from './webhook-target.js';
export { DEFAULT_QUOTA_CALLS_PER_POLL, DEFAULT_QUOTA_MAX_AGE_MS, QuotaPoller, type QuotaPollerOptions, type QuotaTarget } from './quota-poller.js';
