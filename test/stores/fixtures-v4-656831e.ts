/**
 * Loads the stores written by commit 656831e, the release before this one (store schema 4, with WeCom apps and the
 * Open Platform; test/stores/fixtures/v4-656831e, see its README), into a fresh place on each backend. Their secrets
 * and their tokens are sealed with FIXTURE_V4_MASTER_KEY, as `wxtoken serve` sealed them at that commit.
 */
import type { RefreshTokenEntry } from '../../src/core/open-platform/refresh-token.js';
import { fixtureLoaders } from './fixture-stores.js';

/** The master key of the fixtures, hex. */
export const FIXTURE_V4_MASTER_KEY = '22'.repeat(32);

/** When the writer's clock started (its ManualClock); every time below is this plus what the writer waited. */
const T = Date.UTC(2026, 11, 1);
const END = Date.UTC(2100, 0, 1);
const STABLE = 'wx0123456789abcdef';
const CLASSIC = 'wx00000000000000aa';
const CORPID = 'ww00000000000000c0';
const AGENT = '1000002';
const WECOM = `wecom:${CORPID}/${AGENT}`;
const COMPONENT_APPID = 'wxc0000000000000c1';
const COMPONENT = `component:${COMPONENT_APPID}`;
const A1 = 'wxa0000000000000a1';
const A2 = 'wxa0000000000000a2';
const A3 = 'wxa0000000000000a3';

/** A JSON text as the writer stored it (refresh-token histories are sealed JSON arrays, newest first). */
const history = (entries: readonly RefreshTokenEntry[]): string => JSON.stringify(entries);

const A1_HISTORY: RefreshTokenEntry[] = [
  // WeChat answered a new refresh token to the first api_authorizer_token call.
  { value: 'refreshtoken@@@fixture-v4-a1-refreshed', source: 'refresh', at: T + 191_040 },
  // The authorization code exchanged after the redirect (api_query_auth).
  { value: 'refreshtoken@@@fixture-v4-a1-exchanged', source: 'query_auth', at: T + 131_040 },
];
const A2_HISTORY: RefreshTokenEntry[] = [{ value: 'refreshtoken@@@fixture-v4-a2-exchanged', source: 'query_auth', at: T + 251_040 }];
const A3_HISTORY: RefreshTokenEntry[] = [{ value: 'refreshtoken@@@fixture-v4-a3-exchanged', source: 'query_auth', at: T + 371_040 }];

/** What the fixtures hold, as 656831e was given it and wrote it (plaintext secrets and values; records in today's shapes). */
export const FIXTURE_V4 = {
  /** The id of the master key, as written in every value it sealed (`v2.<keyid>.…`). */
  masterKeyId: '3e8c358d',
  /** When the upgrade test's hub runs: a week after the writes, every stored token and ticket still valid. */
  servedAt: Date.UTC(2026, 11, 8),

  /** Every principal, in id order, with its attributes and its secrets' plaintexts. */
  principals: [
    {
      id: COMPONENT,
      type: 'component',
      attributes: { appid: COMPONENT_APPID, landingUrl: 'https://example.com/authorized' },
      secrets: { secret: 'fixture-v4-component-secret', message_token: 'fixtureV4MessageToken', aes_key: 'FixtureV4EncodingAesKey0123456789abcdefghij' },
      createdAt: T + 61_040,
      updatedAt: T + 61_040,
    },
    {
      id: `${COMPONENT}/${A1}`,
      type: 'authorizer',
      attributes: { component: COMPONENT_APPID, appid: A1, status: 'active', statusAt: T + 131_040, reason: 'authorized (redirect)', funcScopes: '1,15' },
      secrets: { refresh_token: A1_HISTORY[0]!.value, refresh_history: history(A1_HISTORY) },
      createdAt: T + 131_040,
      updatedAt: T + 191_040,
    },
    {
      id: `${COMPONENT}/${A2}`,
      type: 'authorizer',
      attributes: {
        component: COMPONENT_APPID,
        appid: A2,
        status: 'unauthorized',
        statusAt: T + 311_040,
        reason: 'the merchant cancelled the authorization (unauthorized event)',
        funcScopes: '1',
      },
      secrets: { refresh_token: A2_HISTORY[0]!.value, refresh_history: history(A2_HISTORY) },
      // A revocation removes the principal (dropping its tokens) and writes it back with its history.
      createdAt: T + 311_040,
      updatedAt: T + 311_040,
    },
    {
      id: `${COMPONENT}/${A3}`,
      type: 'authorizer',
      attributes: {
        component: COMPONENT_APPID,
        appid: A3,
        status: 'frozen',
        statusAt: T + 431_040,
        reason: 'WeChat answered 50002: the account is frozen or limited',
        funcScopes: '1,2',
      },
      secrets: { refresh_token: A3_HISTORY[0]!.value, refresh_history: history(A3_HISTORY) },
      createdAt: T + 371_040,
      updatedAt: T + 431_040,
    },
    {
      id: WECOM,
      type: 'wecom_agent',
      attributes: { corpid: CORPID, agent: AGENT },
      secrets: { secret: 'fixture-v4-secret-wecom' },
      createdAt: T + 1_030,
      updatedAt: T + 1_030,
    },
    { id: CLASSIC, type: 'app', attributes: { grant: 'classic' }, secrets: { secret: 'fixture-v4-secret-classic' }, createdAt: T + 1, updatedAt: T + 1 },
    { id: STABLE, type: 'app', attributes: { grant: 'stable' }, secrets: { secret: 'fixture-v4-secret-stable' }, createdAt: T, updatedAt: T },
  ],

  /** The apps, in id order, with the AppSecret each was added with. */
  apps: [
    { id: CLASSIC, secret: 'fixture-v4-secret-classic' },
    { id: STABLE, secret: 'fixture-v4-secret-stable' },
  ],
  /** The WeCom app. */
  wecom: { id: WECOM, corpid: CORPID, agent: AGENT },
  /** The Open Platform component. */
  component: { id: COMPONENT, appid: COMPONENT_APPID, secret: 'fixture-v4-component-secret' },
  /** Its authorizers: active (a token until 2100), unauthorized (revoked by WeChat's event), frozen (50002). */
  authorizers: [
    { id: `${COMPONENT}/${A1}`, appid: A1, status: 'active', refreshToken: A1_HISTORY[0]!.value, refreshHistory: A1_HISTORY },
    { id: `${COMPONENT}/${A2}`, appid: A2, status: 'unauthorized', refreshToken: A2_HISTORY[0]!.value, refreshHistory: A2_HISTORY },
    { id: `${COMPONENT}/${A3}`, appid: A3, status: 'frozen', refreshToken: A3_HISTORY[0]!.value, refreshHistory: A3_HISTORY },
  ],

  /** The credential records, in key order, with their plaintext values. */
  credentials: [
    {
      key: `${COMPONENT}/${A1}:authorizer_token`,
      version: 2,
      token: 'FIXTURE_V4_AUTHORIZER_TOKEN_A1',
      expiresAt: END,
      obtainedAt: T + 191_040,
      failure: null,
      state: null,
      pending: null,
      invalidations: 0,
    },
    {
      // The refused first request of the frozen authorizer, as the engine recorded it.
      key: `${COMPONENT}/${A3}:authorizer_token`,
      version: 2,
      token: null,
      expiresAt: 0,
      obtainedAt: 0,
      failure: {
        code: 'credentials_rejected',
        message: 'WeChat /cgi-bin/component/api_authorizer_token answered errcode 50002: user limited',
        category: 'needs-admin',
        at: T + 431_040,
        attempts: 1,
        errcode: 50002,
        retryAt: T + 431_040 + 3_600_000,
      },
      state: null,
      pending: null,
      invalidations: 0,
    },
    {
      key: `${COMPONENT}:component_token`,
      version: 2,
      token: 'FIXTURE_V4_COMPONENT_TOKEN',
      expiresAt: END,
      obtainedAt: T + 71_040,
      failure: null,
      state: null,
      pending: null,
      invalidations: 0,
    },
    {
      // The pushed verify ticket (CreateTime 2 s before it arrived), valid 12 hours from its CreateTime.
      key: `${COMPONENT}:verify_ticket`,
      version: 1,
      token: 'ticket@@@fixture-v4-verify',
      expiresAt: T + 69_040 + 12 * 3_600_000,
      obtainedAt: T + 69_040,
      failure: null,
      state: { receivedAt: T + 71_040 },
      pending: null,
      invalidations: 0,
    },
    {
      // A sticky value of unknown age: served an eighth of its nominal life (to 2100) at a time.
      key: `${WECOM}:wecom_token`,
      version: 2,
      token: 'FIXTURE_V4_WECOM_TOKEN',
      expiresAt: 2_084_378_400_910,
      obtainedAt: T + 1_040,
      failure: null,
      state: { checkedAt: T + 1_040, seenAt: T + 1_040, ageKnown: false, impliedExpiresAt: END },
      pending: null,
      invalidations: 0,
    },
    {
      key: `${CLASSIC}:access_token`,
      version: 2,
      token: 'FIXTURE_V4_TOKEN_CLASSIC',
      expiresAt: END,
      obtainedAt: T + 20,
      failure: null,
      state: null,
      pending: null,
      invalidations: 0,
    },
    {
      key: `${STABLE}:access_token`,
      version: 2,
      token: 'FIXTURE_V4_TOKEN_STABLE',
      expiresAt: END,
      obtainedAt: T + 10,
      failure: null,
      state: null,
      pending: null,
      invalidations: 0,
    },
    {
      // As the WeCom token: a ticket of unknown age, served an eighth of its nominal life at a time.
      key: `${STABLE}:jsapi_ticket`,
      version: 2,
      token: 'FIXTURE_V4_JSAPI_TICKET',
      expiresAt: 2_084_378_400_026,
      obtainedAt: T + 30,
      failure: null,
      state: { checkedAt: T + 30, seenAt: T + 30, ageKnown: false },
      pending: null,
      invalidations: 0,
    },
  ],

  /** The client keys, in name order, with the key each was created as (so tests can present them). */
  keys: [
    {
      name: 'ops',
      key: 'wxt_sLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLA',
      apps: ['*'],
      createdAt: T + 491_040,
      capabilities: null,
      expiresAt: null,
      lastUsedAt: null,
    },
    {
      name: 'platform',
      key: 'wxt_sbGxsbGxsbGxsbGxsbGxsbGxsbGxsbGxsbGxsbGxsbE',
      apps: [`${COMPONENT}/*`],
      createdAt: T + 491_040,
      capabilities: ['sign'],
      expiresAt: END,
      lastUsedAt: T + 551_040,
    },
  ],
} as const;

/** Loaders of the fixtures into a place on each backend (see fixture-stores.ts). */
export const { loadSqliteFixture, loadRedisFixture, loadPostgresFixture } = fixtureLoaders('v4-656831e');
