import { ConfigError } from '../errors/index.js';

/** The body a webhook receives: generic JSON, a WeCom group robot's markdown message, or Slack's `text`. */
export type WebhookFormat = 'json' | 'wecom' | 'slack';

/** A webhook to send alerts to. */
export interface WebhookTarget {
  readonly format: WebhookFormat;
  readonly url: string;
  /** The URL without query, fragment or user info, for logs: a WeCom robot's `key=` and Slack's path are secrets. */
  readonly label: string;
}

const PREFIXES: ReadonlyArray<readonly [string, WebhookFormat]> = [
  ['wecom+', 'wecom'],
  ['slack+', 'slack'],
];

/**
 * Parses `--alert-webhook` / WXTOKEN_ALERT_WEBHOOKS entries: a plain http(s) URL receives generic JSON,
 * `wecom+https://…` a WeCom group robot message, `slack+https://…` a Slack-compatible one. ConfigError names the
 * entry by its label only (the rest may be a secret).
 */
export function parseWebhookTarget(spec: string): WebhookTarget {
  const trimmed = spec.trim();
  const prefix = PREFIXES.find(([p]) => trimmed.startsWith(p));
  const format: WebhookFormat = prefix?.[1] ?? 'json';
  const url = prefix ? trimmed.slice(prefix[0].length) : trimmed;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`alert webhook is not a URL (expected http(s)://…, wecom+https://… or slack+https://…): ${JSON.stringify(redactSpec(trimmed))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`alert webhook must be http(s): ${JSON.stringify(`${parsed.protocol}//${parsed.host}`)}`);
  }
  return { format, url: parsed.toString(), label: `${format} ${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? '/…' : '/'}` };
}

/** Parses a comma-separated list (the environment variable); empty entries are ignored. */
export function parseWebhookList(list: string): WebhookTarget[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseWebhookTarget);
}

/** At most the scheme and host of something that failed to parse as a URL. */
function redactSpec(spec: string): string {
  return spec.replace(/[?#].*$/, '').replace(/\/\/[^@/]*@/, '//').slice(0, 60);
}
