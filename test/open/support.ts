import { randomBytes } from 'node:crypto';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { decodeAesKey, plainSignature, sealMessage } from '../../src/wechat/msg-crypto.js';
import { ADMIN_KEY, startHub, type RunningHub } from '../support/stack.js';
import type { HubOptions } from '../../src/core/hub.js';

export const COMPONENT = 'wxc0000000000000c1';
export const COMPONENT_SECRET = 'component-secret-0123456789abcdef';
export const MSG_TOKEN = 'msgToken123';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** JSON over HTTP with an optional bearer key. */
export async function call(url: string, init: { method?: string; key?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.key && { authorization: `Bearer ${init.key}` }), ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    redirect: 'manual',
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text (success)
  }
  return { status: res.status, body };
}

/** A simulator on loopback, with compressed lifetimes as given. */
export async function openSimulator(options: Parameters<typeof createSimulator>[0] = {}): Promise<{ sim: Simulator; simUrl: string }> {
  const sim = createSimulator(options);
  return { sim, simUrl: await sim.listen({ host: '127.0.0.1', port: 0 }) };
}

/** Registers the component (default COMPONENT) on a hub (admin API) and on the simulator, pushing to `pushTo` (a hub URL). */
export async function registerComponent(hubUrl: string, simUrl: string, pushTo: string, extra: Record<string, unknown> = {}, component = COMPONENT): Promise<void> {
  const put = await call(`${hubUrl}/v1/components/${component}`, { method: 'PUT', key: ADMIN_KEY, body: { secret: COMPONENT_SECRET, message_token: MSG_TOKEN, aes_key: AES_KEY } });
  if (put.status !== 201 && put.status !== 200) throw new Error(`component put: ${put.status} ${JSON.stringify(put.body)}`);
  const sim = await call(`${simUrl}/__sim/components`, {
    body: { appid: component, secret: COMPONENT_SECRET, token: MSG_TOKEN, aesKey: AES_KEY, pushUrl: `${pushTo}/open/${component}/events`, pushPeriodSeconds: 0, ...extra },
  });
  if (sim.status >= 300) throw new Error(`sim component: ${sim.status} ${JSON.stringify(sim.body)}`);
}

/** A push built as WeChat builds it, for tests that tamper with or replay one. */
export function craftPush(xml: string, options: { timestamp?: number; token?: string; receiveId?: string } = {}): { query: string; body: string } {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = String(Math.floor(Math.random() * 1e9));
  const token = options.token ?? MSG_TOKEN;
  const sealed = sealMessage({ token, key: decodeAesKey(AES_KEY), receiveId: options.receiveId ?? COMPONENT }, xml, { timestamp, nonce, random: randomBytes(16) });
  const query = new URLSearchParams({ signature: plainSignature(token, timestamp, nonce), timestamp, nonce, encrypt_type: 'aes', msg_signature: sealed.msgSignature });
  return { query: query.toString(), body: `<xml><AppId><![CDATA[${COMPONENT}]]></AppId><Encrypt><![CDATA[${sealed.encrypt}]]></Encrypt></xml>` };
}

/** Posts a crafted push to a hub. */
export async function postPush(hubUrl: string, push: { query: string; body: string }): Promise<{ status: number; text: string }> {
  const res = await fetch(`${hubUrl}/open/${COMPONENT}/events?${push.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: push.body });
  return { status: res.status, text: await res.text() };
}

/** Simulator counters of the component (default COMPONENT). */
export async function counters(simUrl: string, component = COMPONENT): Promise<Record<string, any>> {
  return (await call(`${simUrl}/__sim/components/${component}/counters`)).body;
}

/** A client key of the hub with the given scopes. */
export async function clientKey(hubUrl: string, scopes: string[]): Promise<string> {
  const res = await call(`${hubUrl}/v1/keys`, { key: ADMIN_KEY, body: { name: `k${Math.random().toString(36).slice(2, 8)}`, apps: scopes } });
  if (res.status !== 201) throw new Error(`key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key as string;
}

/** Polls until `check` passes (real time; the hub processes pushes asynchronously). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function hubOn(storeUrl: string, simUrl: string, tuning: Partial<HubOptions> = {}): Promise<RunningHub> {
  return startHub(storeUrl, simUrl, tuning);
}
