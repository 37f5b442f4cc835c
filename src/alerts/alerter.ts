import type { CredentialState } from '../core/token-service.js';
import type { CredentialRecord, Store } from '../stores/store.js';
import type { CancelTimer, Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import {
  DEFAULT_QUOTA_THRESHOLD,
  DEFAULT_UPSTREAM_UNREACHABLE_MS,
  DEFAULT_VERIFY_TICKET_STALE_MS,
  openIncidents,
  type ConditionThresholds,
  type QuotaReading,
  type VerifyTicketReading,
} from './conditions.js';
import type { AlertMessage, Incident } from './incident.js';
import { capMessages } from './payloads.js';
import { transition, type OpenIncident } from './transitions.js';
import { upstreamFailingSince } from './upstream-health.js';
import { createWebhookSender, type SendAlert, type WebhookSenderOptions } from './webhook-sender.js';
import type { WebhookTarget } from './webhook-target.js';

/** What the alerter reads from the hub: every credential's state, and the quota and verify-ticket readings it has. */
export interface AlertSource {
  listCredentials(): CredentialState[];
  /** Quotas the hub counts fleet-wide (e.g. stable-token force refreshes); none when absent. */
  quotaUsage?(): QuotaReading[];
  /** Open Platform components' verify tickets; the hook for when components land. */
  verifyTickets?(): VerifyTicketReading[];
  /** Work only the sending instance does before it judges (reading WeChat's quota counts, quota-poller.ts). */
  beforeRound?(): Promise<void>;
}

/** Options of an Alerter; durations in milliseconds. */
export interface AlerterOptions {
  readonly source: AlertSource;
  /** The store the fleet shares: it elects the instance that sends and remembers what was sent. */
  readonly store: Store;
  readonly targets: readonly WebhookTarget[];
  /** This instance's id as a lease owner. */
  readonly instanceId: string;
  /** The hub's name in messages; default `wxtoken`. */
  readonly hubName?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often conditions are judged (default DEFAULT_ALERT_INTERVAL_MS). */
  readonly intervalMs?: number;
  /** Lifetime of the sender lease, renewed every round (default 3 × intervalMs). */
  readonly leaderTtlMs?: number;
  readonly thresholds?: Partial<ConditionThresholds>;
  /** Messages sent per round at most; the rest become one digest (default DEFAULT_MAX_MESSAGES_PER_ROUND). */
  readonly maxMessagesPerRound?: number;
  /** How webhooks are called (timeouts, retries, fetch); ignored when `send` is given. */
  readonly webhook?: Omit<WebhookSenderOptions, 'clock' | 'logger'>;
  /** Replaces the webhook sender (tests). */
  readonly send?: SendAlert;
}

/** 10 s: incidents are reported within one round of being recorded, cheaply (one lease renewal, one read). */
export const DEFAULT_ALERT_INTERVAL_MS = 10_000;
/** 10 messages a round: a person reads ten lines; more is a flood, summarised in a digest. */
export const DEFAULT_MAX_MESSAGES_PER_ROUND = 10;
/** The lease that elects the one instance of a fleet that judges and sends alerts. */
export const ALERT_LEADER_LEASE = 'alerts:leader';
/**
 * The record in which the sending instance keeps the incidents it reported, so its successor (after a restart or a
 * crash) neither repeats them nor forgets to resolve them. A credential record by shape (key `alerts:incidents`,
 * the open set in `state`); no credential kind tracks that key, so nothing refreshes it.
 */
export const ALERT_RECORD_KEY = 'alerts:incidents';

const STORE_INCIDENT: Incident = {
  id: 'store_unreachable',
  kind: 'store_unreachable',
  subject: 'store',
  summary: 'the store does not answer; held tokens are served until they expire, nothing is refreshed',
};

/**
 * Judges alert conditions every round and sends one message per incident fleet-wide, then one when it ends.
 *
 * One instance of a fleet sends: the holder of the ALERT_LEADER_LEASE store lease. It records what it reported in
 * ALERT_RECORD_KEY (compare-and-set) before sending, so a message goes out at most once even across a change of
 * sender. A store outage cannot be coordinated through the store: the instance that held the lease when the outage
 * began reports it, and the same instance reports its end.
 */
export class Alerter {
  readonly #o: AlerterOptions;
  readonly #send: SendAlert;
  readonly #intervalMs: number;
  readonly #leaderTtlMs: number;
  readonly #thresholds: ConditionThresholds;
  readonly #maxMessages: number;
  #leaderUntil = -Infinity;
  #upstreamSince: number | null = null;
  #storeIncident: OpenIncident | undefined;
  #cancel: CancelTimer | undefined;
  #running: Promise<void> | undefined;

  constructor(options: AlerterOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS;
    this.#leaderTtlMs = options.leaderTtlMs ?? 3 * this.#intervalMs;
    this.#maxMessages = options.maxMessagesPerRound ?? DEFAULT_MAX_MESSAGES_PER_ROUND;
    this.#thresholds = {
      quotaThreshold: options.thresholds?.quotaThreshold ?? DEFAULT_QUOTA_THRESHOLD,
      upstreamUnreachableMs: options.thresholds?.upstreamUnreachableMs ?? DEFAULT_UPSTREAM_UNREACHABLE_MS,
      verifyTicketStaleMs: options.thresholds?.verifyTicketStaleMs ?? DEFAULT_VERIFY_TICKET_STALE_MS,
    };
    positive('intervalMs', this.#intervalMs);
    positive('leaderTtlMs', this.#leaderTtlMs);
    if (this.#leaderTtlMs <= this.#intervalMs) throw new RangeError(`alerter option leaderTtlMs (${this.#leaderTtlMs}) must exceed intervalMs (${this.#intervalMs})`);
    if (!Number.isInteger(this.#maxMessages) || this.#maxMessages < 1) throw new RangeError(`alerter option maxMessagesPerRound must be a positive integer, got ${this.#maxMessages}`);
    const q = this.#thresholds.quotaThreshold;
    if (!(q > 0 && q <= 1)) throw new RangeError(`alerter option quotaThreshold must be in (0, 1], got ${q}`);
    this.#send = options.send ?? createWebhookSender({ ...options.webhook, clock: options.clock, logger: options.logger }, { hub: options.hubName ?? 'wxtoken' });
  }

  /** Starts judging every intervalMs. */
  start(): void {
    if (this.#cancel) return;
    const loop = (): void => {
      this.#cancel = this.#o.clock.setTimer(() => {
        this.#running = this.round().finally(() => {
          this.#running = undefined;
          if (this.#cancel) loop();
        });
      }, this.#intervalMs);
    };
    loop();
  }

  /** Stops the rounds, waits for one in progress and hands the sender lease on. */
  async stop(): Promise<void> {
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#running;
    if (this.#leaderUntil > -Infinity) await this.#o.store.releaseLease(ALERT_LEADER_LEASE, this.#o.instanceId).catch(() => {});
    this.#leaderUntil = -Infinity;
  }

  /** One round: judge every condition, send what began or ended. Never rejects. Public for tests. */
  async round(): Promise<void> {
    try {
      await this.#round();
    } catch (err) {
      this.#o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'alert round failed; trying again next round');
    }
  }

  async #round(): Promise<void> {
    const { store, clock, instanceId } = this.#o;
    const now = clock.now();
    let storeUp = true;
    let leader = false;
    try {
      leader = await store.acquireLease(ALERT_LEADER_LEASE, instanceId, this.#leaderTtlMs);
      this.#leaderUntil = leader ? now + this.#leaderTtlMs : -Infinity;
    } catch {
      storeUp = false;
    }
    if (!storeUp) {
      // Only the instance that held the lease when the outage began reports it (see the class comment).
      if (!this.#storeIncident && now < this.#leaderUntil) {
        this.#storeIncident = { incident: STORE_INCIDENT, since: now };
        await this.#deliver([{ status: 'firing', incident: STORE_INCIDENT, since: now, at: now }]);
      }
      return;
    }
    if (this.#storeIncident) {
      const { since } = this.#storeIncident;
      this.#storeIncident = undefined;
      await this.#deliver([{ status: 'resolved', incident: STORE_INCIDENT, since, at: now }]);
    }
    if (!leader) {
      this.#upstreamSince = null;
      return;
    }
    const { source } = this.#o;
    await source.beforeRound?.();
    const credentials = source.listCredentials();
    this.#upstreamSince = upstreamFailingSince(this.#upstreamSince, credentials);
    const current = openIncidents(
      { now, credentials, quota: source.quotaUsage?.() ?? [], verifyTickets: source.verifyTickets?.() ?? [], upstreamFailingSince: this.#upstreamSince },
      this.#thresholds,
    );
    const record = await store.getCredential(ALERT_RECORD_KEY);
    const next = transition(reportedOf(record), current, now);
    if (next.messages.length === 0) return;
    // Recorded before sending: a message goes out at most once, even if this instance dies right after.
    const written = await store.putCredential(recordOf(next.open, now), record?.version ?? 0);
    if (!written) return;
    await this.#deliver(next.messages);
  }

  async #deliver(messages: readonly AlertMessage[]): Promise<void> {
    const capped = capMessages(messages, this.#maxMessages, this.#o.clock.now());
    for (const message of capped) {
      this.#o.logger.warn({ alert: message.incident.id, status: message.status }, `alert ${message.status}: ${message.incident.summary}`);
      await Promise.all(this.#o.targets.map((target) => this.#send(target, message)));
    }
  }
}

/** The open incidents kept in the alert record (anything malformed reads as none). */
export function reportedOf(record: CredentialRecord | null): Map<string, OpenIncident> {
  const open = new Map<string, OpenIncident>();
  const entries = record?.state?.['open'];
  if (typeof entries !== 'object' || entries === null) return open;
  for (const [id, value] of Object.entries(entries as Record<string, unknown>)) {
    const v = value as { since?: unknown; kind?: unknown; subject?: unknown; summary?: unknown } | null;
    if (typeof v?.since !== 'number' || typeof v.kind !== 'string' || typeof v.subject !== 'string' || typeof v.summary !== 'string') continue;
    open.set(id, { since: v.since, incident: { id, kind: v.kind as Incident['kind'], subject: v.subject, summary: v.summary } });
  }
  return open;
}

/** The alert record holding `open`. */
export function recordOf(open: ReadonlyMap<string, OpenIncident>, now: number): CredentialRecord {
  const entries: Record<string, { since: number; kind: string; subject: string; summary: string }> = {};
  for (const [id, { since, incident }] of open) entries[id] = { since, kind: incident.kind, subject: incident.subject, summary: incident.summary };
  return { key: ALERT_RECORD_KEY, version: 0, token: null, expiresAt: 0, obtainedAt: now, failure: null, state: { open: entries }, pending: null, invalidations: 0 };
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`alerter option ${name} must be a positive number of milliseconds, got ${value}`);
}
