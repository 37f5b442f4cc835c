import { describe, expect, it } from 'vitest';
import { resolveServeConfig } from '../../src/cli/commands/serve-config.js';

describe('serve: --allow-caller-secret / WXTOKEN_ALLOW_CALLER_SECRET', () => {
  it.each<[string, { allowCallerSecret?: boolean }, NodeJS.ProcessEnv, boolean | undefined]>([
    ['neither (the default: refuse)', {}, {}, undefined],
    ['the flag', { allowCallerSecret: true }, {}, true],
    ['the variable set to 1', {}, { WXTOKEN_ALLOW_CALLER_SECRET: '1' }, true],
    ['the variable set to true', {}, { WXTOKEN_ALLOW_CALLER_SECRET: 'TRUE' }, true],
    ['the variable set to 0', {}, { WXTOKEN_ALLOW_CALLER_SECRET: '0' }, undefined],
    ['the variable empty', {}, { WXTOKEN_ALLOW_CALLER_SECRET: '' }, undefined],
  ])('%s', (_what, opts, env, expected) => {
    expect(resolveServeConfig(env, { store: 'memory:', ...opts }).server.allowCallerSecret).toBe(expected);
  });
});
