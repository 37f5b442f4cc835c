import { describe, expect, it } from 'vitest';
import {
  appResource,
  capabilitiesFrom,
  isScope,
  keyAllows,
  parseScopes,
  resourceName,
  scopeCovers,
  type ClientIdentity,
  type KeyAction,
  type Resource,
} from '../../src/core/key-scope.js';

const A = 'wx0123456789abcdef';
const B = 'wxfedcba9876543210';
const C = 'wx00000000000000cc';
const CORP = 'ww0123456789abcdef';

const app = appResource(A);
const otherApp = appResource(B);
const agent: Resource = { type: 'wecom', corpid: CORP, agentid: '1000002' };
const otherAgent: Resource = { type: 'wecom', corpid: CORP, agentid: '1000003' };
const component: Resource = { type: 'component', componentAppid: C };
const authorizer: Resource = { type: 'authorizer', componentAppid: C, appid: A };

const FULL: readonly KeyAction[] = ['read-token', 'sign', 'login'];
const SIGN: readonly KeyAction[] = ['sign'];
const LOGIN: readonly KeyAction[] = ['login'];
const key = (scopes: string[], capabilities: readonly KeyAction[] = FULL): ClientIdentity => ({ name: 'k', scopes, capabilities });

describe('keyAllows', () => {
  // [scopes, capabilities, resource, action, allowed]
  const cases: Array<[string[], readonly KeyAction[], Resource | null, KeyAction, boolean]> = [
    // 0.1.0 scopes read as before
    [[A], FULL, app, 'read-token', true],
    [[A], FULL, otherApp, 'read-token', false],
    [['*'], FULL, otherApp, 'read-token', true],
    [[B, A], FULL, app, 'sign', true],
    // sign-only: signatures yes, tokens never, whatever the scope
    [[A], SIGN, app, 'sign', true],
    [[A], SIGN, app, 'read-token', false],
    [['*'], SIGN, app, 'read-token', false],
    [['*'], SIGN, null, 'read-token', false],
    [[A], SIGN, otherApp, 'sign', false],
    // login: full keys and login-only keys make login calls for their apps; sign-only keys never
    [[A], FULL, app, 'login', true],
    [[A], LOGIN, app, 'login', true],
    [[A], LOGIN, otherApp, 'login', false],
    [[A], LOGIN, app, 'read-token', false],
    [[A], LOGIN, app, 'sign', false],
    [['*'], LOGIN, null, 'read-token', false],
    [[A], SIGN, app, 'login', false],
    // no particular resource (the passthrough): the capability alone decides
    [[A], FULL, null, 'read-token', true],
    // no capabilities at all (a newer wxtoken's names we do not know)
    [['*'], [], app, 'sign', false],
    // WeCom agents
    [[`wecom:${CORP}/1000002`], FULL, agent, 'read-token', true],
    [[`wecom:${CORP}/1000002`], FULL, otherAgent, 'read-token', false],
    [[`wecom:${CORP}/*`], FULL, otherAgent, 'read-token', true],
    [['wecom:wwffffffffffffffff/*'], FULL, agent, 'read-token', false],
    [['*'], FULL, agent, 'read-token', true],
    [[A], FULL, agent, 'read-token', false],
    // Open Platform: the component, its authorizers, the group
    [[`component:${C}`], FULL, component, 'read-token', true],
    [[`component:${C}`], FULL, authorizer, 'read-token', false],
    [[`component:${C}/${A}`], FULL, authorizer, 'read-token', true],
    [[`component:${C}/${B}`], FULL, authorizer, 'read-token', false],
    [[`component:${C}/*`], FULL, authorizer, 'read-token', true],
    [[`component:${C}/*`], FULL, component, 'read-token', true],
    [[`component:${B}/*`], FULL, authorizer, 'read-token', false],
    // a plain appid is the app registered with its AppSecret, not the same appid as an authorizer
    [[A], FULL, authorizer, 'read-token', false],
    [[`component:${C}/${A}`], FULL, app, 'read-token', false],
    [[`component:${C}/*`], SIGN, authorizer, 'read-token', false],
  ];
  it.each(cases)('scopes %j, capabilities %j, %j, %s → %s', (scopes, capabilities, resource, action, allowed) => {
    expect(keyAllows(key(scopes, capabilities), resource, action)).toBe(allowed);
  });
});

describe('scopes', () => {
  it('names every resource with an entry that covers it', () => {
    for (const r of [app, agent, component, authorizer]) expect(scopeCovers(resourceName(r), r)).toBe(true);
    expect([app, agent, component, authorizer].map(resourceName)).toEqual([A, `wecom:${CORP}/1000002`, `component:${C}`, `component:${C}/${A}`]);
  });

  const valid = ['*', A, `wecom:${CORP}/1000002`, `wecom:${CORP}/*`, `wecom:${CORP}/contacts`, `wecom:${CORP}/external_contact`, `component:${C}`, `component:${C}/*`, `component:${C}/${A}`];
  const invalid = ['', 'wx0123', 'WX0123456789ABCDEF', '**', 'app:*', `wecom:${CORP}`, `wecom:${CORP}/Contacts`, `wecom:${CORP}/1a`, `wecom:${CORP}/a b`, `wecom:${CORP}/${"x".repeat(40)}`, 'wecom:/1', `component:${C}/`, 'component:x/*', `component:${C}/${A}/x`, ` ${A}`];
  it.each(valid)('accepts %j', (scope) => expect(isScope(scope)).toBe(true));
  it.each(invalid)('refuses %j', (scope) => expect(isScope(scope)).toBe(false));

  it('parseScopes removes duplicates and names the first bad entry', () => {
    expect(parseScopes([A, A, '*'])).toEqual([A, '*']);
    expect(() => parseScopes([])).toThrow(/at least one scope/);
    expect(() => parseScopes([A, 'nope'])).toThrow(/invalid scope "nope"/);
  });
});

describe('capabilitiesFrom', () => {
  it.each([
    [null, ['read-token', 'sign', 'login']],
    [['login'], ['login']],
    [['sign'], ['sign']],
    [['read-token', 'sign'], ['read-token', 'sign']],
    [['sign', 'future-thing'], ['sign']],
    [[], []],
  ] as const)('%j → %j', (stored, actions) => expect(capabilitiesFrom(stored)).toEqual(actions));
});
