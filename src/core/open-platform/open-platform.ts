import { randomUUID } from 'node:crypto';
import { AuthorizerInactiveError, InvalidRequestError, NotFoundError, WeChatError } from '../../errors/index.js';
import type { PrincipalRecord, Store } from '../../stores/store.js';
import { sleep, type CancelTimer, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { jssdkSignature, newNonceStr, TICKET_TYPES, type AuthorizationInfo, type TicketType } from '../../wechat/index.js';
import { isEncodingAesKey } from '../../wechat/msg-crypto.js';
import { LeaseKeeper, DEFAULT_LEASE_TTL_MS } from '../engine/lease.js';
import { DEFAULT_WRITE_LEASE_POLL_MS, DEFAULT_WRITE_LEASE_WAIT_MS, PrincipalLocks } from '../engine/principal-lock.js';
import type { CredentialKind } from '../kinds/kind.js';
import { stickyAgeKnown } from '../kinds/sticky-value.js';
import { validatePageUrl } from '../page-url.js';
import type { PrincipalCredentials } from '../principal-credentials.js';
import { PRIMARY_SECRET, validateSecret } from '../principals.js';
import type { ComponentFetcher } from '../token-fetcher.js';
import type { CredentialState, IssuedTicket, IssuedToken, JsSdkConfig } from '../token-service.js';
import {
  AES_KEY_SECRET,
  authorizerId,
  authorizerOf,
  componentAppidOf,
  componentId,
  MESSAGE_TOKEN_SECRET,
  REFRESH_TOKEN_SECRET,
  statusOf,
  validateOpenAppid,
} from './ids.js';
import { AuthorizationFailures, authorizationErrorOf, type AuthorizationCodeSource, type AuthorizationFailure } from './authorization-failures.js';
import { AuthorizationOutcomes, codeHash, DEFAULT_OUTCOME_WAIT_MS, OUTCOME_POLL_MS, type AuthorizationOutcome } from './authorization-outcomes.js';
import { AuthorizerRecords, authorizerInfo, type AuthorizerChange, type AuthorizerInfo, type RecordsHub, type StoredAuthorizer } from './authorizer-records.js';
import { DEFAULT_PUSH_MAX_SKEW_MS, DEFAULT_PUSH_REPLAY_WINDOW_MS } from './push-guard.js';
import { PushVerifier, type VerifiedPush } from './push-verifier.js';
import { DEFAULT_START_PUSH_INTERVAL_MS, TicketWatch, type TicketReport } from './ticket-watch.js';
import { AUTHORIZER_STATUSES, reconcileStep, type AuthorizerStatus, type ReconcileStep } from './refresh-token.js';
import { DEFAULT_STARTUP_RETRY_BASE_MS, DEFAULT_STARTUP_RETRY_MAX_MS, startupRetryDelay } from './startup-retry.js';
import { ticketHealth, VerifyTickets, type TicketHealth } from './verify-ticket.js';

export type { AuthorizationFailure } from './authorization-failures.js';
export type { AuthorizationOutcome } from './authorization-outcomes.js';
export type { AuthorizerInfo } from './authorizer-records.js';
export type { VerifiedPush } from './push-verifier.js';
export type { TicketReport } from './ticket-watch.js';
export { DEFAULT_START_PUSH_INTERVAL_MS } from './ticket-watch.js';
export { DEFAULT_STARTUP_RETRY_BASE_MS, DEFAULT_STARTUP_RETRY_MAX_MS } from './startup-retry.js';
export { DEFAULT_WRITE_LEASE_POLL_MS, DEFAULT_WRITE_LEASE_WAIT_MS } from '../engine/principal-lock.js';

/** How often each instance looks at its components' ticket ages. */
export const DEFAULT_TICKET_CHECK_MS = 60_000;
/** Reconciliation with api_get_authorizer_list runs at start-up and this often (§7.2 item 2: daily). */
export const DEFAULT_RECONCILE_INTERVAL_MS = 24 * 3_600_000;
/** An authorization code is exchanged once fleet-wide: its mark outlives the code's own 10-minute life. */
const CODE_MARK_TTL_MS = 3_600_000;
/** Tries of the write that records an exchanged authorization before reconciliation takes over. */
const AUTHORIZATION_WRITE_ATTEMPTS = 3;
/** Page size of the authorizer list (WeChat's maximum, §2.7). */
const LIST_PAGE = 500;

/** The Open Platform kinds the facade serves. */
export interface OpenPlatformKinds {
  readonly componentToken: CredentialKind;
  readonly authorizerToken: CredentialKind;
  readonly tickets: ReadonlyMap<TicketType, CredentialKind>;
}

/**
 * Options of the facade; durations in ms, defaults above, in push-guard.ts, ticket-watch.ts, startup-retry.ts and
 * engine/principal-lock.ts.
 */
export interface OpenPlatformOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly randomBytes: (size: number) => Buffer;
  /** Whether to run timers (ticket checks, daily reconciliation); false for CLI processes. */
  readonly background: boolean;
  /** Lease owner id of this instance (the engine's). */
  readonly instanceId: string;
  /** TTL of the authorizers' write leases, renewed every third of it while held (default the engine's 3 s). */
  readonly leaseTtlMs?: number;
  readonly pushMaxSkewMs?: number;
  readonly pushReplayWindowMs?: number;
  readonly startPushIntervalMs?: number;
  readonly ticketCheckMs?: number;
  readonly reconcileIntervalMs?: number;
  /** A failed start-up reconciliation is retried after this (default 1 min), doubling per failure... */
  readonly startupRetryBaseMs?: number;
  /** ...up to this (default 1 h), until it succeeds once; then only the daily run. */
  readonly startupRetryMaxMs?: number;
  /** How long an authorizer write waits for another writer's lease before PrincipalBusyError (default 10 s). */
  readonly writeLeaseWaitMs?: number;
  /** How often a waiting authorizer write tries the lease again (default 50 ms). */
  readonly writeLeasePollMs?: number;
}

/** The hub operations the facade needs beyond PrincipalCredentials. */
export interface OpenPlatformHub extends PrincipalCredentials, RecordsHub {
  /** Opens a principal's sealed secret (undefined when it has none of that name). */
  principalSecret(id: string, name: string): Promise<string | undefined>;
}

/** A component as listed: its verify ticket's age and health and its token's state. No secret, no value. */
export interface ComponentStatus {
  readonly componentAppid: string;
  readonly verifyTicket: { readonly createdAt: number; readonly receivedAt: number; readonly ageMs: number; readonly health: TicketHealth } | { readonly health: 'missing' };
  readonly token: Omit<CredentialState, 'key' | 'kind' | 'appid'> | null;
  /** The last authorization code WeChat refused (61009/61010): the merchant had to authorize again. Null: none. */
  readonly lastAuthorizationFailure: AuthorizationFailure | null;
  readonly createdAt: number;
}


/** What a reconciliation found and did. */
export interface ReconcileReport {
  readonly componentAppid: string;
  readonly listed: number;
  readonly adopted: string[];
  readonly needsExchange: string[];
  readonly unauthorized: string[];
  readonly unchanged: number;
}


/**
 * The Open Platform (第三方平台) over the hub's one engine: components (principal `component:<appid>` with its
 * secret, message token and EncodingAESKey sealed) whose token is a kind fed by the pushed verify ticket, and
 * authorizers (principal `component:<c>/<appid>`) whose refresh token is a sealed secret written with their status
 * in one store write, under the authorizer's fleet-wide write lease, and whose token and JS-SDK tickets are kinds.
 * This class maps the Open Platform's flows onto the hub's principal API; refresh rules live in the kinds,
 * decisions in pure modules beside it.
 */
export class OpenPlatform {
  readonly #hub: OpenPlatformHub;
  readonly #store: Store;
  readonly #fetcher: ComponentFetcher;
  readonly #kinds: OpenPlatformKinds;
  readonly #o: Required<OpenPlatformOptions>;
  readonly #tickets: VerifyTickets;
  readonly #authFailures: AuthorizationFailures;
  readonly #outcomes: AuthorizationOutcomes;
  readonly #records: AuthorizerRecords;
  readonly #pushes: PushVerifier;
  readonly #watch: TicketWatch;
  readonly #timers = new Set<CancelTimer>();
  #running = false;
  /** Components reconciled successfully since start-up: their start-up retries stop. */
  readonly #reconciled = new Set<string>();
  /** Authorizer appid → its component, filled from the store on a miss (routes that name only the authorizer). */
  readonly #componentOf = new Map<string, string>();
  readonly #activeIn = new Set<string>();

  constructor(hub: OpenPlatformHub, store: Store, fetcher: ComponentFetcher, kinds: OpenPlatformKinds, options: OpenPlatformOptions) {
    this.#hub = hub;
    this.#store = store;
    this.#fetcher = fetcher;
    this.#kinds = kinds;
    this.#tickets = new VerifyTickets(store);
    this.#authFailures = new AuthorizationFailures(store);
    this.#outcomes = new AuthorizationOutcomes(store);
    this.#o = resolveOptions(options);
    const keeper = new LeaseKeeper({ store, clock: options.clock, logger: options.logger, owner: options.instanceId, ttlMs: this.#o.leaseTtlMs });
    const locks = new PrincipalLocks({ keeper, clock: options.clock, waitMs: this.#o.writeLeaseWaitMs, pollMs: this.#o.writeLeasePollMs });
    this.#records = new AuthorizerRecords(hub, store, options.clock, locks);
    this.#pushes = new PushVerifier(hub, store, { clock: options.clock, maxSkewMs: this.#o.pushMaxSkewMs, replayWindowMs: this.#o.pushReplayWindowMs });
    this.#watch = new TicketWatch(hub, store, fetcher, this.#tickets, { clock: options.clock, logger: options.logger, startPushIntervalMs: this.#o.startPushIntervalMs });
  }

  /** The verify tickets in the store (the component token kind reads them). */
  get verifyTickets(): VerifyTickets {
    return this.#tickets;
  }

  /**
   * Starts the ticket checks and the start-up and daily reconciliations (background instances only). A component
   * whose start-up reconciliation fails is retried with backoff until it succeeds once (startup-retry.ts).
   */
  start(): void {
    if (!this.#o.background) return;
    this.#running = true;
    const every = (ms: number, task: () => Promise<unknown>): void => {
      const arm = (): void =>
        this.#later(ms, () => {
          void task()
            .catch((err: unknown) => this.#o.logger.warn({ err: String(err) }, 'Open Platform background task failed'))
            .finally(arm);
        });
      arm();
    };
    every(this.#o.ticketCheckMs, () => this.checkTickets());
    every(this.#o.reconcileIntervalMs, () => this.reconcileAll());
    // Start-up: look at the tickets and repair refresh tokens at once rather than a period later.
    this.#later(0, () => void this.#startUp());
  }

  /** Cancels the timers, the start-up retries included. */
  stop(): void {
    this.#running = false;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
  }

  // ---- components ----------------------------------------------------------------------------------------------

  /** Registers or updates a component: its secret, message token and EncodingAESKey, all sealed. */
  async putComponent(componentAppid: string, input: { secret: string; messageToken: string; aesKey: string; landingUrl?: string }): Promise<{ created: boolean }> {
    validateOpenAppid('component appid', componentAppid);
    validateSecret(input.secret);
    if (typeof input.messageToken !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(input.messageToken)) {
      throw new InvalidRequestError('message token must be 3-32 letters and digits (the 消息校验Token of the console)');
    }
    if (typeof input.aesKey !== 'string' || !isEncodingAesKey(input.aesKey)) {
      throw new InvalidRequestError('EncodingAESKey must be 43 letters and digits (the 消息加解密Key of the console)');
    }
    if (input.landingUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(input.landingUrl)) throw new InvalidRequestError('landing URL must be an http(s) URL');
    const { created } = await this.#hub.putPrincipal({
      id: componentId(componentAppid),
      type: 'component',
      attributes: { appid: componentAppid, ...(input.landingUrl !== undefined && { landingUrl: input.landingUrl }) },
      secrets: { [PRIMARY_SECRET]: input.secret, [MESSAGE_TOKEN_SECRET]: input.messageToken, [AES_KEY_SECRET]: input.aesKey },
    });
    return { created };
  }

  /** Where the authorization redirect sends the merchant's browser on to, if the component has a landing page. */
  async landingUrl(componentAppid: string): Promise<string | undefined> {
    validateOpenAppid('component appid', componentAppid);
    const url = (await this.#store.getPrincipal(componentId(componentAppid)))?.attributes.landingUrl;
    return typeof url === 'string' ? url : undefined;
  }

  /** Removes a component (its authorizers stay, without a component to serve them). */
  async removeComponent(componentAppid: string): Promise<boolean> {
    validateOpenAppid('component appid', componentAppid);
    return this.#hub.removePrincipal(componentId(componentAppid));
  }

  /** Every registered component with its verify ticket's age and its token's state. */
  async listComponents(): Promise<ComponentStatus[]> {
    const states = new Map(this.#hub.credentialStates([this.#kinds.componentToken]).map((s) => [s.principal.id, s]));
    const now = this.#o.clock.now();
    const out: ComponentStatus[] = [];
    for (const principal of await this.#hub.listPrincipals('component')) {
      const componentAppid = componentAppidOf(principal);
      const ticket = await this.#tickets.latest(componentAppid);
      const lastAuthorizationFailure = await this.#authFailures.latest(componentAppid);
      const state = states.get(principal.id);
      const { key: _k, kind: _kind, appid: _a, principal: _p, ...token } = state ?? ({} as NonNullable<typeof state>);
      out.push({
        componentAppid,
        verifyTicket: ticket
          ? { createdAt: ticket.createdAt, receivedAt: ticket.receivedAt, ageMs: now - ticket.createdAt, health: ticketHealth(now - ticket.createdAt) }
          : { health: 'missing' },
        token: state ? token : null,
        lastAuthorizationFailure,
        createdAt: principal.createdAt,
      });
    }
    return out;
  }

  /** Constant-time check of a component's secret (the compatible api_component_token authenticates with it). */
  async componentSecretMatches(componentAppid: string, presented: string): Promise<boolean> {
    validateOpenAppid('component appid', componentAppid);
    return this.#hub.principalSecretMatches(componentId(componentAppid), PRIMARY_SECRET, presented);
  }

  /** The component's token (for the compat endpoint and the component's own callers). */
  async componentToken(componentAppid: string): Promise<IssuedToken> {
    validateOpenAppid('component appid', componentAppid);
    return this.#hub.credential(componentId(componentAppid), this.#kinds.componentToken);
  }

  /** Compare-and-invalidate of the component token. */
  async invalidateComponentToken(componentAppid: string, badToken: string): Promise<IssuedToken> {
    validateOpenAppid('component appid', componentAppid);
    return this.#hub.invalidateCredential(componentId(componentAppid), this.#kinds.componentToken, badToken);
  }

  // ---- pushes --------------------------------------------------------------------------------------------------

  /**
   * Verifies a push to the authorization-event URL, without side effects when it fails: the timestamp is within
   * the allowed skew, msg_signature matches (constant time), the body decrypts, it is addressed to this component,
   * and it was not accepted before (a fleet-wide mark kept for the replay window).
   */
  async verifyPush(componentAppid: string, query: Readonly<Record<string, string | undefined>>, body: string): Promise<VerifiedPush> {
    return this.#pushes.verify(componentAppid, query, body);
  }

  /** Acts on a verified push: stores a verify ticket, exchanges an authorization code, or revokes an authorizer. */
  async processPush(push: VerifiedPush): Promise<void> {
    const { componentAppid, fields } = push;
    const log = this.#o.logger;
    switch (fields.InfoType) {
      case 'component_verify_ticket': {
        const createdAt = Number(fields.CreateTime) * 1000;
        const ticket = fields.ComponentVerifyTicket ?? '';
        if (!Number.isFinite(createdAt) || ticket === '') return log.warn({ component: componentAppid }, 'verify-ticket push without a ticket or CreateTime; ignored');
        const stored = await this.#tickets.offer(componentAppid, { ticket, createdAt, receivedAt: this.#o.clock.now() });
        log.info({ component: componentAppid, stored }, stored ? 'verify ticket stored' : 'verify ticket not newer than the stored one');
        // A component still without a token gets one now; one that has one keeps it (never refetched per push).
        if (stored && !this.#hub.credentialRecord(componentId(componentAppid), this.#kinds.componentToken)?.token) {
          await this.componentToken(componentAppid).catch((err: unknown) => log.warn({ component: componentAppid, err: String(err) }, 'component token not obtained after the ticket push'));
        }
        return;
      }
      case 'authorized':
      case 'updateauthorized': {
        const code = fields.AuthorizationCode;
        if (!code) return log.warn({ component: componentAppid }, `${fields.InfoType} event without an AuthorizationCode; ignored`);
        await this.exchangeAuthCode(componentAppid, code, 'event');
        return;
      }
      case 'unauthorized': {
        const appid = fields.AuthorizerAppid;
        if (appid) await this.revoke(componentAppid, appid, 'the merchant cancelled the authorization (unauthorized event)');
        return;
      }
      default:
        log.info({ component: componentAppid, infoType: fields.InfoType }, 'Open Platform event ignored');
    }
  }

  // ---- verify ticket health ---------------------------------------------------------------------------------------

  /**
   * Looks at every component's ticket age; for a missing or stale one asks WeChat to resume pushes, at most once per
   * period fleet-wide, and logs the state (ticket-watch.ts).
   */
  checkTickets(): Promise<TicketReport[]> {
    return this.#watch.check(this.#trackedComponents());
  }

  /** api_start_push_ticket calls this instance made for a component. */
  startPushCalls(componentAppid: string): number {
    return this.#watch.startPushCalls(componentAppid);
  }

  // ---- authorization --------------------------------------------------------------------------------------------

  /** A fresh pre-auth code and the PC and mobile authorization links that send the merchant back to `redirectUri`. */
  async authorizeUrl(componentAppid: string, redirectUri: string, options: { authType?: number; bizAppid?: string } = {}): Promise<{ preAuthCodeExpiresAt: number; pcUrl: string; mobileUrl: string }> {
    validateOpenAppid('component appid', componentAppid);
    let url: URL;
    try {
      url = new URL(redirectUri);
    } catch {
      throw new InvalidRequestError('redirect_uri must be an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidRequestError('redirect_uri must be an http(s) URL');
    if (options.bizAppid !== undefined) validateOpenAppid('biz_appid', options.bizAppid);
    const pre = await this.#withComponentToken(componentAppid, (token) => this.#fetcher.createPreAuthCode(componentAppid, token));
    const params = new URLSearchParams({ component_appid: componentAppid, pre_auth_code: pre.code, redirect_uri: redirectUri });
    if (options.authType !== undefined) params.set('auth_type', String(options.authType));
    if (options.bizAppid !== undefined) params.set('biz_appid', options.bizAppid);
    return {
      preAuthCodeExpiresAt: pre.expiresAt,
      pcUrl: `https://mp.weixin.qq.com/cgi-bin/componentloginpage?${params}`,
      mobileUrl: `https://open.weixin.qq.com/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&${params}#wechat_redirect`,
    };
  }

  /**
   * Exchanges an authorization code (api_query_auth) exactly once, however many instances and deliveries (redirect,
   * event, retries) see it: a fleet-wide mark on the code's hash is taken first, and only its taker calls WeChat.
   * The refresh token and the authorizer's activation are written in one store write. Returns the authorizer,
   * or `exchanged: false` when another delivery got the code first.
   */
  async exchangeAuthCode(componentAppid: string, code: string, source: AuthorizationCodeSource): Promise<{ exchanged: boolean; authorizerAppid?: string }> {
    validateOpenAppid('component appid', componentAppid);
    if (typeof code !== 'string' || code.length === 0 || code.length > 512) throw new InvalidRequestError('auth_code must be a non-empty string');
    const hash = codeHash(code);
    const mark = `open-code:${componentAppid}:${hash}`;
    const owner = randomUUID();
    if (!(await this.#store.acquireLease(mark, owner, CODE_MARK_TTL_MS))) {
      this.#o.logger.info({ component: componentAppid, source }, 'authorization code already taken by another delivery');
      return { exchanged: false };
    }
    let info;
    try {
      info = await this.#withComponentToken(componentAppid, (token) => this.#fetcher.queryAuth(componentAppid, token, code));
    } catch (err) {
      // WeChat answered without spending the code (say, the component token was refused): another delivery may try.
      // A code it called invalid or expired stays marked; after a transport failure the code may have been spent,
      // and only the authorizer list can tell (reconciliation), so it stays marked too.
      if (err instanceof WeChatError && authorizationErrorOf(err.errcode) !== undefined) await this.#codeRefused(componentAppid, hash, err.errcode, source);
      else if (err instanceof WeChatError) await this.#store.releaseLease(mark, owner).catch(() => undefined);
      throw err;
    }
    validateOpenAppid('authorizer appid', info.authorizerAppid);
    try {
      await this.#recordAuthorization(componentAppid, info, source);
    } finally {
      // Authorized at WeChat even if the write failed (reconciliation records it then): the other delivery's
      // browser learns the authorizer either way.
      await this.#recordOutcome(componentAppid, { code: hash, at: this.#o.clock.now(), authorizerAppid: info.authorizerAppid });
    }
    this.#o.logger.info({ component: componentAppid, authorizer: info.authorizerAppid, source }, 'authorization code exchanged');
    // A re-authorization kills the authorizer's earlier tokens upstream: replace the one held, if any.
    const id = authorizerId(componentAppid, info.authorizerAppid);
    const held = this.#hub.credentialRecord(id, this.#kinds.authorizerToken)?.token;
    if (held) await this.#hub.invalidateCredential(id, this.#kinds.authorizerToken, held).catch(() => undefined);
    return { exchanged: true, authorizerAppid: info.authorizerAppid };
  }

  /**
   * What became of a code another delivery took (exchangeAuthCode answered `exchanged: false`): waits up to `waitMs`
   * for the taker, on whichever instance, to record it; undefined if it did not in time (it died, or its call to
   * WeChat failed without an answer about the code). A store error while waiting only means another look.
   */
  async authorizationOutcome(componentAppid: string, code: string, waitMs = DEFAULT_OUTCOME_WAIT_MS): Promise<AuthorizationOutcome | undefined> {
    const hash = codeHash(code);
    const deadline = this.#o.clock.now() + waitMs;
    for (;;) {
      const outcome = await this.#outcomes.find(componentAppid, hash).catch(() => undefined);
      if (outcome !== undefined || this.#o.clock.now() >= deadline) return outcome;
      await sleep(this.#o.clock, Math.min(OUTCOME_POLL_MS, deadline - this.#o.clock.now()));
    }
  }

  /** Revokes an authorizer at once: its tokens dropped on every instance, its schedule stopped, its history kept. */
  async revoke(componentAppid: string, authorizerAppid: string, reason: string): Promise<void> {
    validateOpenAppid('authorizer appid', authorizerAppid);
    await this.#records.revoke(componentAppid, authorizerAppid, reason);
    this.#o.logger.warn({ component: componentAppid, authorizer: authorizerAppid, reason }, 'authorizer revoked');
  }

  // ---- authorizers ----------------------------------------------------------------------------------------------

  /** The authorizer's current access token; AuthorizerInactiveError when it is not active. */
  async authorizerToken(componentAppid: string, authorizerAppid: string): Promise<IssuedToken> {
    const { id, stored } = await this.#activeAuthorizer(componentAppid, authorizerAppid);
    return this.#hub.credential(id, this.#kinds.authorizerToken, stored);
  }

  /** Compare-and-invalidate of an authorizer's token. */
  async invalidateAuthorizerToken(componentAppid: string, authorizerAppid: string, badToken: string): Promise<IssuedToken> {
    const { id, stored } = await this.#activeAuthorizer(componentAppid, authorizerAppid);
    return this.#hub.invalidateCredential(id, this.#kinds.authorizerToken, badToken, stored);
  }

  /** An authorizer's JS-SDK or card ticket, fetched with its authorizer token. */
  async authorizerTicket(componentAppid: string, authorizerAppid: string, type: TicketType): Promise<IssuedTicket> {
    const kind = this.#kinds.tickets.get(type);
    if (!kind) throw new InvalidRequestError(`ticket type must be one of ${TICKET_TYPES.join(', ')}`);
    const { id, stored } = await this.#activeAuthorizer(componentAppid, authorizerAppid);
    const issued = await this.#hub.credential(id, kind, stored);
    return { ...issued, ageKnown: stickyAgeKnown(this.#hub.credentialRecord(id, kind)) };
  }

  /** A `wx.config` signature for a page of the authorizer, signed with a ticket that never leaves the hub. */
  async signJsSdkConfig(componentAppid: string, authorizerAppid: string, url: string): Promise<JsSdkConfig> {
    validatePageUrl(url);
    const { token: ticket } = await this.authorizerTicket(componentAppid, authorizerAppid, 'jsapi');
    const timestamp = Math.floor(this.#o.clock.now() / 1000);
    const nonceStr = newNonceStr(this.#o.randomBytes);
    return { appId: authorizerAppid, timestamp, nonceStr, signature: jssdkSignature({ ticket, nonceStr, timestamp, url }) };
  }

  /** The component of a registered authorizer appid (for routes that name only the authorizer). */
  async componentOf(authorizerAppid: string): Promise<string> {
    validateOpenAppid('authorizer appid', authorizerAppid);
    // The hot path must not list every principal: a known authorizer's component is remembered (it does not change;
    // a stale entry only makes #activeAuthorizer answer not-found or inactive, as the store would).
    const known = this.#componentOf.get(authorizerAppid);
    if (known !== undefined) return known;
    // A miss reads every authorizer once and remembers them all; an appid authorized to several components maps
    // to the one it is active with (among equals, the first by id).
    for (const p of await this.#hub.listPrincipals('authorizer')) {
      const { componentAppid, authorizerAppid: appid } = authorizerOf(p);
      const current = this.#componentOf.get(appid);
      if (current === undefined || statusOf(p) === 'active') {
        if (current === undefined || !this.#activeIn.has(appid)) this.#componentOf.set(appid, componentAppid);
        if (statusOf(p) === 'active') this.#activeIn.add(appid);
      }
    }
    const componentAppid = this.#componentOf.get(authorizerAppid);
    if (componentAppid === undefined) throw new NotFoundError(`authorizer ${authorizerAppid} is not known to any component`);
    return componentAppid;
  }

  /** Authorizers, by id, filtered by component and status, one page at a time. */
  async listAuthorizers(filter: { componentAppid?: string; status?: string; offset?: number; limit?: number } = {}): Promise<{ total: number; authorizers: AuthorizerInfo[] }> {
    if (filter.componentAppid !== undefined) validateOpenAppid('component appid', filter.componentAppid);
    if (filter.status !== undefined && !(AUTHORIZER_STATUSES as readonly string[]).includes(filter.status)) {
      throw new InvalidRequestError(`status must be one of ${AUTHORIZER_STATUSES.join(', ')}`);
    }
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? 100;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidRequestError('offset must be a non-negative integer');
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new InvalidRequestError('limit must be an integer from 1 to 1000');
    const all = (await this.#hub.listPrincipals('authorizer'))
      .map((p) => authorizerInfo(p))
      .filter((a) => (filter.componentAppid === undefined || a.componentAppid === filter.componentAppid) && (filter.status === undefined || a.status === filter.status));
    return { total: all.length, authorizers: all.slice(offset, offset + limit) };
  }

  /** Reconciles every component with its authorizer list. */
  async reconcileAll(): Promise<ReconcileReport[]> {
    const reports: ReconcileReport[] = [];
    for (const principal of this.#trackedComponents()) {
      const componentAppid = componentAppidOf(principal);
      try {
        reports.push(await this.reconcile(componentAppid));
      } catch (err) {
        this.#o.logger.warn({ component: componentAppid, err: String(err) }, 'reconciliation failed');
      }
    }
    return reports;
  }

  /**
   * Compares what the hub holds with api_get_authorizer_list (the source of truth, §0.1): adopts listed refresh
   * tokens that differ or are missing here, marks listed-but-never-exchanged authorizers, revokes those no longer
   * listed. Never overwrites a refresh token with an empty one. Returns what differed.
   */
  async reconcile(componentAppid: string): Promise<ReconcileReport> {
    validateOpenAppid('component appid', componentAppid);
    // Taken before the list is read: an authorizer written after it is left to the next reconciliation.
    const listedAt = this.#o.clock.now();
    const listed = await this.#fullList(componentAppid);
    const held = new Map(
      (await this.#hub.listPrincipals('authorizer')).filter((p) => authorizerOf(p).componentAppid === componentAppid).map((p) => [authorizerOf(p).authorizerAppid, p]),
    );
    const report = { componentAppid, listed: listed.size, adopted: [] as string[], needsExchange: [] as string[], unauthorized: [] as string[], unchanged: 0 };
    for (const [appid, entry] of listed) {
      // Decided on the records just listed (their secrets opened in memory, no store read each); an authorizer that
      // needs a write is decided again under its write lease, on the record as stored then.
      let step = reconcileStep(this.#storedView(held.get(appid)), entry, listedAt);
      if (step === 'adopt' || step === 'mark_needs_exchange') {
        await this.#records.update(componentAppid, appid, (stored) => {
          step = reconcileStep(stored, entry, listedAt);
          return reconcileChange(step, entry);
        });
      }
      if (step === 'adopt') report.adopted.push(appid);
      else if (step === 'mark_needs_exchange' || step === 'needs_exchange') report.needsExchange.push(appid);
      else report.unchanged++;
    }
    for (const [appid, principal] of held) {
      if (listed.has(appid) || reconcileStep(this.#storedView(principal), undefined, listedAt) !== 'revoke') continue;
      const reason = 'not in the authorizer list (reconciliation)';
      if (await this.#records.revoke(componentAppid, appid, reason, (stored) => reconcileStep(stored, undefined, listedAt) !== 'revoke')) {
        this.#o.logger.warn({ component: componentAppid, authorizer: appid, reason }, 'authorizer revoked');
        report.unauthorized.push(appid);
      }
    }
    this.#reconciled.add(componentAppid);
    if (report.adopted.length + report.needsExchange.length + report.unauthorized.length > 0) {
      this.#o.logger.warn({ ...report, adopted: report.adopted.length, needsExchange: report.needsExchange.length, unauthorized: report.unauthorized.length }, 'reconciliation found differences');
    }
    return report;
  }

  // ---- hooks of the authorizer token kind ---------------------------------------------------------------------

  /** Stores a refresh token a refresh answered (source `refresh`). */
  async refreshTokenChanged(principal: PrincipalRecord, value: string): Promise<void> {
    const { componentAppid, authorizerAppid } = authorizerOf(principal);
    await this.#records.write(componentAppid, authorizerAppid, { refreshToken: { value, source: 'refresh' } });
  }

  /** Repairs a refused refresh token from the authorizer list; the listed value when it differs from the one held. */
  async repairRefreshToken(principal: PrincipalRecord): Promise<string | undefined> {
    const { componentAppid, authorizerAppid } = authorizerOf(principal);
    const entry = (await this.#fullList(componentAppid)).get(authorizerAppid);
    if (!entry) {
      await this.statusChanged(principal, 'unauthorized', 'not in the authorizer list after a refused refresh token');
      return undefined;
    }
    if (entry.refreshToken === '') return undefined;
    await this.#records.write(componentAppid, authorizerAppid, { refreshToken: { value: entry.refreshToken, source: 'list' }, status: 'active', reason: 'repaired from the authorizer list' });
    return entry.refreshToken;
  }

  /** Records an authorizer's new status (an unauthorized one is revoked: its tokens dropped). */
  async statusChanged(principal: PrincipalRecord, status: AuthorizerStatus, reason: string): Promise<void> {
    const { componentAppid, authorizerAppid } = authorizerOf(principal);
    if (status === 'unauthorized') {
      // Not awaited inline: the revocation removes the principal whose token the caller is refreshing.
      setImmediate(() => void this.revoke(componentAppid, authorizerAppid, reason).catch(() => undefined));
      return;
    }
    await this.#records.write(componentAppid, authorizerAppid, { status, reason });
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  /** Runs `task` after `ms` unless stopped first; the timer is forgotten once it fires. */
  #later(ms: number, task: () => void): void {
    if (!this.#running) return;
    const cancel = this.#o.clock.setTimer(() => {
      this.#timers.delete(cancel);
      if (this.#running) task();
    }, ms);
    this.#timers.add(cancel);
  }

  /** The start-up checks: ticket ages, then each component's reconciliation, a failed one retried with backoff. */
  async #startUp(): Promise<void> {
    await this.checkTickets().catch((err: unknown) => this.#o.logger.warn({ err: String(err) }, 'Open Platform start-up ticket check failed'));
    for (const principal of this.#trackedComponents()) await this.#reconcileAtStartUp(componentAppidOf(principal), 0);
  }

  /** One try of a component's start-up reconciliation after `failures` failed ones; a failure schedules the next. */
  async #reconcileAtStartUp(componentAppid: string, failures: number): Promise<void> {
    // Another path (the daily run, an operator's reconcile) succeeded meanwhile, or the component is gone: done.
    if (failures > 0 && (this.#reconciled.has(componentAppid) || !this.#trackedComponents().some((p) => componentAppidOf(p) === componentAppid))) return;
    try {
      await this.reconcile(componentAppid);
      if (failures > 0) this.#o.logger.info({ component: componentAppid, failures }, 'start-up reconciliation succeeded after retries');
    } catch (err) {
      const retryInMs = startupRetryDelay(failures + 1, this.#o.startupRetryBaseMs, this.#o.startupRetryMaxMs);
      this.#o.logger.warn({ component: componentAppid, err: String(err), failures: failures + 1, retryInMs }, 'start-up reconciliation failed; trying again later');
      this.#later(retryInMs, () => void this.#reconcileAtStartUp(componentAppid, failures + 1));
    }
  }

  /**
   * Writes an exchanged authorization. The code is spent: a write that keeps failing (a store outage, a busy lease)
   * is tried again, then left to reconciliation, retried with backoff until it succeeds: the refresh token is in
   * WeChat's authorizer list, and no later delivery of the code can exchange it again.
   */
  async #recordAuthorization(componentAppid: string, info: AuthorizationInfo, source: AuthorizationCodeSource): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#records.update(componentAppid, info.authorizerAppid, (stored) => ({
          refreshToken: { value: info.refreshToken, source: 'query_auth' },
          status: info.refreshToken === '' && stored === null ? 'needs_exchange' : 'active',
          reason: `authorized (${source})`,
          funcScopes: info.funcScopes,
        }));
        return;
      } catch (err) {
        if (attempt < AUTHORIZATION_WRITE_ATTEMPTS) continue;
        this.#o.logger.error(
          { component: componentAppid, authorizer: info.authorizerAppid, err: String(err) },
          'authorization exchanged but not recorded; reconciling with the authorizer list until it is',
        );
        this.#reconciled.delete(componentAppid);
        this.#later(this.#o.startupRetryBaseMs, () => void this.#reconcileAtStartUp(componentAppid, 1));
        throw err;
      }
    }
  }

  /** Records a code WeChat refused (61009/61010) on the component, for the operator to see; never fails the caller. */
  async #codeRefused(componentAppid: string, hash: string, errcode: number, source: AuthorizationCodeSource): Promise<void> {
    this.#o.logger.warn({ component: componentAppid, errcode, source }, 'authorization code refused: the merchant must authorize again (or update the authorization)');
    const at = this.#o.clock.now();
    await this.#authFailures
      .offer(componentAppid, { at, errcode, source })
      .catch((err: unknown) => this.#o.logger.warn({ component: componentAppid, err: String(err) }, 'could not record the refused authorization code'));
    await this.#recordOutcome(componentAppid, { code: hash, at, errcode });
  }

  /** Records a code's outcome for the delivery that did not take it; best effort (it then lands without it). */
  async #recordOutcome(componentAppid: string, outcome: AuthorizationOutcome): Promise<void> {
    const recorded = await this.#outcomes.record(componentAppid, outcome, this.#o.clock.now()).catch((err: unknown) => String(err));
    if (recorded !== true) this.#o.logger.warn({ component: componentAppid, err: recorded === false ? 'kept losing to other writers' : recorded }, 'could not record an authorization code outcome');
  }

  /** An authorizer principal as reconcileStep sees it, its refresh token opened from the record held. */
  #storedView(principal: PrincipalRecord | undefined): Pick<StoredAuthorizer, 'refreshToken' | 'status' | 'updatedAt'> | null {
    if (principal === undefined) return null;
    return { refreshToken: this.#hub.openPrincipalSecret(principal, REFRESH_TOKEN_SECRET), status: statusOf(principal), updatedAt: principal.updatedAt };
  }

  /**
   * The id of an authorizer that may be served. A tracked one is served by the engine without a store read (a
   * revocation drops it on every instance); an untracked one is read once (handed on as `stored`, so the hub does
   * not read it again), and refused with its status unless active.
   */
  async #activeAuthorizer(componentAppid: string, authorizerAppid: string): Promise<{ id: string; stored?: PrincipalRecord }> {
    validateOpenAppid('component appid', componentAppid);
    validateOpenAppid('authorizer appid', authorizerAppid);
    const id = authorizerId(componentAppid, authorizerAppid);
    if (this.#hub.credentialRecord(id, this.#kinds.authorizerToken)) return { id };
    const principal = await this.#store.getPrincipal(id);
    if (!principal || principal.type !== 'authorizer') throw new NotFoundError(`authorizer ${authorizerAppid} of component ${componentAppid} is not known`);
    const info = authorizerInfo(principal);
    if (info.status !== 'active') {
      throw new AuthorizerInactiveError(
        `authorizer ${authorizerAppid} of component ${componentAppid} is ${info.status} since ${new Date(info.statusAt).toISOString()}: ${info.reason}`,
        info.status,
      );
    }
    return { id, stored: principal };
  }

  /**
   * The components this instance tracks (the component token is an eager kind, so every registered component),
   * read from memory: the periodic checks cost no store read when there is no component.
   */
  #trackedComponents(): PrincipalRecord[] {
    return this.#hub.credentialStates([this.#kinds.componentToken]).map((state) => state.principal);
  }

  /** Runs a component call with its token; a token WeChat calls stale is invalidated by comparison and the call retried once. */
  async #withComponentToken<T>(componentAppid: string, call: (token: string) => Promise<T>): Promise<T> {
    const { token } = await this.componentToken(componentAppid);
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof WeChatError && err.category === 'token-invalid')) throw err;
      return call((await this.invalidateComponentToken(componentAppid, token)).token);
    }
  }

  /** The whole authorizer list of a component, by appid (pages of 500). */
  async #fullList(componentAppid: string): Promise<Map<string, { refreshToken: string; authTime: number }>> {
    const out = new Map<string, { refreshToken: string; authTime: number }>();
    for (let offset = 0; ; offset += LIST_PAGE) {
      const page = await this.#withComponentToken(componentAppid, (token) => this.#fetcher.listAuthorizers(componentAppid, token, offset, LIST_PAGE));
      for (const item of page.list) out.set(item.authorizerAppid, { refreshToken: item.refreshToken, authTime: item.authTime });
      if (page.list.length < LIST_PAGE || offset + LIST_PAGE >= page.total) return out;
    }
  }

}

/** The write a reconciliation step makes (null: none). */
function reconcileChange(step: ReconcileStep, listed: { refreshToken: string }): AuthorizerChange | null {
  if (step === 'adopt') return { refreshToken: { value: listed.refreshToken, source: 'list' }, status: 'active', reason: 'refresh token from the authorizer list' };
  if (step === 'mark_needs_exchange') return { status: 'needs_exchange', reason: 'authorized, but no authorization code was exchanged' };
  return null;
}

/** The options with their defaults, checked eagerly (the option and the bad value named). */
function resolveOptions(options: OpenPlatformOptions): Required<OpenPlatformOptions> {
  const o: Required<OpenPlatformOptions> = {
    leaseTtlMs: DEFAULT_LEASE_TTL_MS,
    pushMaxSkewMs: DEFAULT_PUSH_MAX_SKEW_MS,
    pushReplayWindowMs: DEFAULT_PUSH_REPLAY_WINDOW_MS,
    startPushIntervalMs: DEFAULT_START_PUSH_INTERVAL_MS,
    ticketCheckMs: DEFAULT_TICKET_CHECK_MS,
    reconcileIntervalMs: DEFAULT_RECONCILE_INTERVAL_MS,
    startupRetryBaseMs: DEFAULT_STARTUP_RETRY_BASE_MS,
    startupRetryMaxMs: DEFAULT_STARTUP_RETRY_MAX_MS,
    writeLeaseWaitMs: DEFAULT_WRITE_LEASE_WAIT_MS,
    writeLeasePollMs: DEFAULT_WRITE_LEASE_POLL_MS,
    ...definedOnly(options),
  } as Required<OpenPlatformOptions>;
  for (const name of ['leaseTtlMs', 'startupRetryBaseMs', 'startupRetryMaxMs', 'writeLeaseWaitMs', 'writeLeasePollMs'] as const) {
    const value = o[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`option ${name} must be a positive number of ms, got ${String(value)}`);
  }
  if (o.startupRetryMaxMs < o.startupRetryBaseMs) {
    throw new RangeError(`option startupRetryMaxMs (${o.startupRetryMaxMs}) must be at least startupRetryBaseMs (${o.startupRetryBaseMs})`);
  }
  return o;
}

/** The options given a value: an option passed as undefined keeps its default. */
function definedOnly(options: OpenPlatformOptions): Partial<OpenPlatformOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<OpenPlatformOptions>;
}
