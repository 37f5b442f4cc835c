import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { createServer, type ServerOptions } from '../../src/server/index.js';
import { FakeTokenService } from './fake-token-service.js';

export const APPID = 'wx0123456789abcdef';
export const OTHER_APPID = 'wxfedcba9876543210';
export const UNKNOWN_APPID = 'wx00000000000000ff';
export const SECRET = 'sekret-APP-0123456789abcdef0123456';
export const OTHER_SECRET = 'sekret-OTHER-abcdef0123456789abcd';
export const ADMIN_KEY = 'admin-KEY-7f3a9c1e5b2d8f4a6c0e-xyz';

/** A server over a FakeTokenService with two apps and two client keys (one for all apps, one for APPID). */
export interface Harness {
  app: FastifyInstance;
  service: FakeTokenService;
  clock: ManualClock;
  /** Scoped to every app. */
  allKey: string;
  /** Scoped to APPID only. */
  oneKey: string;
}

/** Builds a Harness; `overrides` go to createServer. Call `app.close()` when done. */
export async function setup(overrides: Partial<ServerOptions> = {}): Promise<Harness> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
  const service = new FakeTokenService(clock);
  service.addApp(APPID, SECRET);
  service.addApp(OTHER_APPID, OTHER_SECRET, 'classic');
  const allKey = await service.createClientKey('all-apps', ['*']);
  const oneKey = await service.createClientKey('one-app', [APPID]);
  const app = createServer({ service, clock, adminKey: ADMIN_KEY, ...overrides });
  await app.ready();
  return { app, service, clock, allKey, oneKey };
}

/** Asserts a wxtoken error response: status, code, JSON content type. */
export function expectError(res: LightMyRequestResponse, status: number, code: string): { code: string; message: string } {
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
  return body.error;
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
