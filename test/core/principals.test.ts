import { describe, expect, it } from 'vitest';
import { principalLabel, samePrincipal } from '../../src/core/principals.js';
import type { PrincipalRecord } from '../../src/stores/store.js';

const base: PrincipalRecord = {
  id: 'component:wxc0000000000000c1/wxa000000000000001',
  type: 'authorizer',
  attributes: { component: 'wxc0000000000000c1', appid: 'wxa000000000000001', status: 'active', statusAt: 1 },
  secrets: { refresh_token: 'v2.k.sealed' },
  createdAt: 1,
  updatedAt: 2,
};

describe('samePrincipal', () => {
  it.each<[string, Partial<PrincipalRecord>, boolean]>([
    ['a copy', {}, true],
    ['attributes in another order', { attributes: { statusAt: 1, status: 'active', appid: 'wxa000000000000001', component: 'wxc0000000000000c1' } }, true],
    ['a changed attribute', { attributes: { ...base.attributes, status: 'frozen' } }, false],
    ['an attribute more', { attributes: { ...base.attributes, reason: 'x' } }, false],
    ['an attribute fewer', { attributes: { component: 'wxc0000000000000c1', appid: 'wxa000000000000001', status: 'active' } }, false],
    ['a re-sealed secret', { secrets: { refresh_token: 'v2.k.other' } }, false],
    ['a secret more', { secrets: { ...base.secrets, refresh_history: 'v2.k.h' } }, false],
    ['a later update', { updatedAt: 3 }, false],
    ['another type', { type: 'component' }, false],
  ])('%s → %s', (_label, change, expected) => {
    expect(samePrincipal(base, { ...structuredClone(base), ...change })).toBe(expected);
  });
});

describe('principalLabel', () => {
  it.each<[PrincipalRecord['type'], string, string]>([
    ['app', 'wx0123456789abcdef', 'app wx0123456789abcdef'],
    ['wecom_agent', 'wecom:ww01/1000002', 'WeCom app wecom:ww01/1000002'],
    ['component', 'component:wxc0000000000000c1', 'component wxc0000000000000c1'],
    ['authorizer', 'component:wxc0000000000000c1/wxa000000000000001', 'authorizer wxa000000000000001 of component wxc0000000000000c1'],
  ])('%s %s → %s', (type, id, label) => {
    expect(principalLabel({ id, type })).toBe(label);
  });
});
