/**
 * A WeCom corp as the simulator models it (wechat-api.md §7, wechat-open-platform.md §5): several applications,
 * each with its own secret and its own access token ("每个应用有独立的secret，获取到的access_token只能本应用使用").
 * Agent applications are addressed by their agentid; the special secrets (contacts sync, customer contact, …) by a
 * name. The corp's JS-SDK ticket belongs to the corp; each application has its own agent_config ticket.
 */
import { InvalidRequestError } from '../errors/index.js';
import { WindowCounter } from './calendar.js';
import { OwnerCounters } from './counters.js';
import { CredentialSlot } from './credential-slot.js';
import { IpAllowList } from './ip-allow-list.js';

/** The agentid a corp registered with a single `secret` gets: WeCom numbers custom apps from 1000002 on. */
export const DEFAULT_AGENTID = 1000002;

// A name is what the console calls a special secret ("contacts", "customer-contact", "approval"…); it must not look
// like an agentid so the two address spaces cannot collide.
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** How a corp application is registered. */
export interface CorpAppInput {
  /** The agent application's id (a positive integer); give this or `name`. */
  agentid?: number;
  /** The name of a special secret such as `contacts` or `customer-contact`; give this or `agentid`. */
  name?: string;
  secret: string;
  /** 企业可信IP: when non-empty, token-bearing calls with this app's token from other addresses answer 60020. */
  ipAllowList?: readonly string[];
}

/** One application (or special secret) of a corp. */
export interface CorpAppRecord {
  /** The agentid in decimal, or the name: how the control API addresses the app. */
  readonly key: string;
  readonly agentid: number | undefined;
  readonly name: string | undefined;
  secret: string;
  allowList: IpAllowList;
  readonly token: CredentialSlot;
  readonly agentConfigTicket: CredentialSlot;
  /** Ticket calls this hour with this app's token, per endpoint (WeCom: at most 100 an hour per app). */
  readonly jsapiHourly: WindowCounter;
  readonly agentConfigHourly: WindowCounter;
  readonly counters: OwnerCounters;
}

/** A WeCom corp with its applications. */
export interface CorpRecord {
  readonly kind: 'corp';
  readonly id: string;
  /** By key, in registration order; the first one is the corp's default app (older single-secret views show it). */
  readonly apps: Map<string, CorpAppRecord>;
  readonly tickets: { readonly jsapi: CredentialSlot };
  /** Ticket calls this hour across the corp's apps, per endpoint (WeCom: at most 400 an hour per corp). */
  readonly jsapiHourly: WindowCounter;
  readonly agentConfigHourly: WindowCounter;
  readonly counters: OwnerCounters;
}

/** What the control API shows of a corp app (never its secret). */
export interface CorpAppView {
  key: string;
  agentid?: number;
  name?: string;
  ipAllowList: string[];
}

/** Index of the calendar hour containing `nowMs` (WeCom's hourly ticket limits). */
export function hourIndex(nowMs: number): number {
  return Math.floor(nowMs / 3_600_000);
}

/** A new corp without applications. */
export function newCorp(corpid: string): CorpRecord {
  return {
    kind: 'corp',
    id: corpid,
    apps: new Map(),
    tickets: { jsapi: new CredentialSlot() },
    jsapiHourly: new WindowCounter(hourIndex),
    agentConfigHourly: new WindowCounter(hourIndex),
    counters: new OwnerCounters(),
  };
}

/** The key an app input addresses, validating that exactly one of agentid / name is given. */
export function corpAppKey(input: { agentid?: unknown; name?: unknown }): { key: string; agentid?: number; name?: string } {
  const hasAgent = input.agentid !== undefined && input.agentid !== null;
  const hasName = input.name !== undefined && input.name !== null;
  if (hasAgent === hasName) throw new InvalidRequestError('a corp app needs exactly one of agentid (an integer) or name');
  if (hasAgent) {
    const agentid = typeof input.agentid === 'string' && /^\d{1,10}$/.test(input.agentid) ? Number(input.agentid) : input.agentid;
    if (typeof agentid !== 'number' || !Number.isSafeInteger(agentid) || agentid <= 0) {
      throw new InvalidRequestError(`agentid must be a positive integer, got ${JSON.stringify(input.agentid)}`);
    }
    return { key: String(agentid), agentid };
  }
  if (typeof input.name !== 'string' || !NAME_PATTERN.test(input.name)) {
    throw new InvalidRequestError(`name must start with a letter and be 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(input.name)}`);
  }
  return { key: input.name, name: input.name };
}

/** A new application record; `secret` and `allowList` are validated by the caller. */
export function newCorpApp(id: { key: string; agentid?: number; name?: string }, secret: string, allowList: IpAllowList): CorpAppRecord {
  return {
    key: id.key,
    agentid: id.agentid,
    name: id.name,
    secret,
    allowList,
    token: new CredentialSlot(),
    agentConfigTicket: new CredentialSlot(),
    jsapiHourly: new WindowCounter(hourIndex),
    agentConfigHourly: new WindowCounter(hourIndex),
    counters: new OwnerCounters(),
  };
}

/** The control API's view of an app. */
export function corpAppView(app: CorpAppRecord): CorpAppView {
  return {
    key: app.key,
    ...(app.agentid === undefined ? {} : { agentid: app.agentid }),
    ...(app.name === undefined ? {} : { name: app.name }),
    ipAllowList: [...app.allowList.entries],
  };
}

/** The corp's first registered app (every corp has one: registration requires it). */
export function defaultApp(corp: CorpRecord): CorpAppRecord | undefined {
  return corp.apps.values().next().value;
}
