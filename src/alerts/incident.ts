/** What an alert is about. `verify_ticket_stale` is raised by Open Platform components once they land. */
export type IncidentKind = 'credential_failed' | 'quota_high' | 'upstream_unreachable' | 'store_unreachable' | 'verify_ticket_stale';

/**
 * A condition that is true now and deserves a person's attention. `id` is stable for as long as the condition
 * lasts (say `credential_failed:wx…:access_token`), so the fleet can tell a new incident from one already reported.
 * Nothing in it is secret: appids, credential keys, error codes and counts only.
 */
export interface Incident {
  readonly id: string;
  readonly kind: IncidentKind;
  /** What it concerns: a credential key, an appid, `store` or `wechat`. */
  readonly subject: string;
  /** One line for a person, e.g. `wx…:access_token failed: credentials_rejected (errcode 40125)`. */
  readonly summary: string;
}

/** A message about an incident: it began (`firing`) or ended (`resolved`). */
export interface AlertMessage {
  readonly status: 'firing' | 'resolved';
  readonly incident: Incident;
  /** When the incident began (epoch ms). */
  readonly since: number;
  /** When this message was decided (epoch ms). */
  readonly at: number;
}
