import type { AlertMessage } from './incident.js';
import type { WebhookFormat } from './webhook-target.js';

/** The hub's name in messages (several hubs may report to one channel). */
export interface MessageContext {
  readonly hub: string;
}

/** The generic JSON body: one object per message, stable field names, times as ISO strings. */
export interface GenericAlertBody {
  readonly source: 'wxtoken';
  readonly hub: string;
  readonly status: 'firing' | 'resolved';
  readonly id: string;
  readonly kind: string;
  readonly subject: string;
  readonly summary: string;
  readonly since: string;
  readonly at: string;
}

/** The first line of a message, e.g. `[FIRING] credential_failed wx…:access_token`. */
export function headline(message: AlertMessage): string {
  return `[${message.status === 'firing' ? 'FIRING' : 'RESOLVED'}] ${message.incident.kind} ${message.incident.subject}`;
}

/** The request body for `format`. Pure. */
export function renderPayload(format: WebhookFormat, message: AlertMessage, context: MessageContext): unknown {
  const since = new Date(message.since).toISOString();
  switch (format) {
    case 'json': {
      const body: GenericAlertBody = {
        source: 'wxtoken',
        hub: context.hub,
        status: message.status,
        id: message.incident.id,
        kind: message.incident.kind,
        subject: message.incident.subject,
        summary: message.incident.summary,
        since,
        at: new Date(message.at).toISOString(),
      };
      return body;
    }
    case 'wecom': {
      // WeCom robot markdown: <font color="warning|info"> is the only colour it knows.
      const colour = message.status === 'firing' ? 'warning' : 'info';
      const state = message.status === 'firing' ? 'FIRING' : 'RESOLVED';
      const lines = [
        `**wxtoken <font color="${colour}">${state}</font>** ${message.incident.kind}`,
        `> ${escapeMarkdown(message.incident.summary)}`,
        `> hub: ${escapeMarkdown(context.hub)}`,
        `> since: ${since}`,
      ];
      return { msgtype: 'markdown', markdown: { content: lines.join('\n') } };
    }
    case 'slack':
      return { text: `${headline(message)}: ${message.incident.summary} (hub ${context.hub}, since ${since})` };
  }
}

/**
 * At most `limit` messages: when more are due at once (a mass failure across thousands of credentials), the first
 * `limit - 1` go out and one digest says how many more fired or resolved, so a channel is never flooded. Pure.
 */
export function capMessages(messages: readonly AlertMessage[], limit: number, now: number): AlertMessage[] {
  if (messages.length <= limit) return [...messages];
  const kept = messages.slice(0, Math.max(0, limit - 1));
  const rest = messages.slice(kept.length);
  const firing = rest.filter((m) => m.status === 'firing').length;
  const resolved = rest.length - firing;
  return [
    ...kept,
    {
      status: firing > 0 ? 'firing' : 'resolved',
      since: now,
      at: now,
      incident: {
        id: `digest:${now}`,
        kind: rest[0]!.incident.kind,
        subject: 'several',
        summary: `and ${rest.length} more incidents (${firing} firing, ${resolved} resolved); see GET /v1/apps and /metrics`,
      },
    },
  ];
}

function escapeMarkdown(text: string): string {
  return text.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}
