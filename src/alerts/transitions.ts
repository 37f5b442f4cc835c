import type { AlertMessage, Incident } from './incident.js';

/** An incident the fleet has reported and not yet resolved. */
export interface OpenIncident {
  readonly incident: Incident;
  readonly since: number;
}

/** The messages to send and the open set to remember after an observation. */
export interface Transition {
  readonly messages: AlertMessage[];
  readonly open: ReadonlyMap<string, OpenIncident>;
}

/**
 * Compares what is open now with what was reported open: a new incident fires, one no longer open resolves, one
 * still open says nothing (one message per incident, however long it lasts and however often it is observed). Pure.
 */
export function transition(reported: ReadonlyMap<string, OpenIncident>, current: readonly Incident[], now: number): Transition {
  const messages: AlertMessage[] = [];
  const open = new Map<string, OpenIncident>();
  for (const incident of current) {
    const known = reported.get(incident.id);
    if (known) {
      open.set(incident.id, known);
      continue;
    }
    open.set(incident.id, { incident, since: now });
    messages.push({ status: 'firing', incident, since: now, at: now });
  }
  for (const [id, known] of reported) {
    if (!open.has(id)) messages.push({ status: 'resolved', incident: known.incident, since: known.since, at: now });
  }
  return { messages, open };
}
