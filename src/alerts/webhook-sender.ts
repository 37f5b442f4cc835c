import { sleep, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { AlertMessage } from './incident.js';
import { headline, renderPayload, type MessageContext } from './payloads.js';
import type { WebhookTarget } from './webhook-target.js';

/** How a webhook is called. */
export interface WebhookSenderOptions {
  /** Abort one attempt after this long (default DEFAULT_WEBHOOK_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Attempts after the first one when a receiver fails or times out (default DEFAULT_WEBHOOK_RETRIES). */
  readonly retries?: number;
  /** Pause before the first retry, doubling after each (default DEFAULT_WEBHOOK_RETRY_DELAY_MS). */
  readonly retryDelayMs?: number;
  readonly fetch?: typeof fetch;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** 5 s: chat webhooks answer in well under a second; a hung receiver must not hold the alert loop. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
/** 2 retries: rides out a receiver's restart without turning an outage of the receiver into a backlog. */
export const DEFAULT_WEBHOOK_RETRIES = 2;
/** 1 s, then 2 s: the whole attempt is bounded by about 3 × timeout + 3 s. */
export const DEFAULT_WEBHOOK_RETRY_DELAY_MS = 1_000;

/** Sends one alert message to one webhook; resolves true when the receiver accepted it. Never rejects. */
export type SendAlert = (target: WebhookTarget, message: AlertMessage) => Promise<boolean>;

/**
 * A SendAlert over fetch with a bounded timeout and retries. A WeCom robot answers HTTP 200 with a non-zero
 * `errcode` when it refuses a message; that counts as a failure too. Logs name the target by its label only.
 */
export function createWebhookSender(options: WebhookSenderOptions, context: MessageContext): SendAlert {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const retries = options.retries ?? DEFAULT_WEBHOOK_RETRIES;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_WEBHOOK_RETRY_DELAY_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  const log = options.logger;
  return async (target, message) => {
    const body = JSON.stringify(renderPayload(target.format, message, context));
    let why = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(options.clock, retryDelayMs * 2 ** (attempt - 1));
      try {
        const res = await doFetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.ok && !refusedByRobot(target, text)) return true;
        why = `HTTP ${res.status}${res.ok ? ' with a non-zero errcode' : ''}`;
      } catch (err) {
        // Error names only: a fetch error's message can quote the URL, and with it the robot's key.
        why = err instanceof Error ? err.name : 'error';
      }
    }
    log.error({ webhook: target.label, alert: headline(message), why, attempts: retries + 1 }, 'alert webhook failed; the message is dropped');
    return false;
  };
}

/** A WeCom robot answers `{"errcode":0,"errmsg":"ok"}`; anything else is a refusal (bad key, rate limit). */
function refusedByRobot(target: WebhookTarget, text: string): boolean {
  if (target.format !== 'wecom') return false;
  try {
    const body = JSON.parse(text) as { errcode?: unknown };
    return typeof body.errcode === 'number' && body.errcode !== 0;
  } catch {
    return false;
  }
}
