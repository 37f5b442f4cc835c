import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/alerts/incident.js';
import { transition, type OpenIncident } from '../../src/alerts/transitions.js';

const a: Incident = { id: 'a', kind: 'credential_failed', subject: 'wxa:access_token', summary: 'a' };
const b: Incident = { id: 'b', kind: 'quota_high', subject: 'wxb', summary: 'b' };
const open = (...entries: Array<[Incident, number]>): Map<string, OpenIncident> => new Map(entries.map(([incident, since]) => [incident.id, { incident, since }]));

describe('transition', () => {
  const cases: Array<{ name: string; reported: Map<string, OpenIncident>; current: Incident[]; messages: string[]; open: string[] }> = [
    { name: 'nothing before or now', reported: open(), current: [], messages: [], open: [] },
    { name: 'a new incident fires', reported: open(), current: [a], messages: ['firing a @100'], open: ['a'] },
    { name: 'a known incident says nothing', reported: open([a, 50]), current: [a], messages: [], open: ['a'] },
    { name: 'an incident that ended resolves with its start', reported: open([a, 50]), current: [], messages: ['resolved a @50'], open: [] },
    { name: 'one ends while another begins', reported: open([a, 50]), current: [b], messages: ['firing b @100', 'resolved a @50'], open: ['b'] },
  ];
  it.each(cases)('$name', ({ reported, current, messages, open: stillOpen }) => {
    const next = transition(reported, current, 100);
    expect(next.messages.map((m) => `${m.status} ${m.incident.id} @${m.since}`)).toEqual(messages);
    expect([...next.open.keys()]).toEqual(stillOpen);
  });
});
