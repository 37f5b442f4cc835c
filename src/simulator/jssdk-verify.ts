/**
 * The control API's signature checks: does a JS-SDK config (or card) signature pass WeChat's page check now? The
 * hub signs, a test asks the simulator, and the answer says why not (signature-check.ts). Inputs are validated
 * here; the judgement is a pure function.
 */
import { InvalidRequestError } from '../errors/index.js';
import { verifyCardSignature, verifyJssdkSignature } from '../wechat/jssdk-signature.js';
import type { CredentialSlot } from './credential-slot.js';
import { judgeSignature, type SignatureRefusal } from './signature-check.js';
import type { SimulatorState } from './state.js';

/** Which config the page signed: `wx.config` (jsapi ticket; OA app or WeCom corp) or WeCom's `wx.agentConfig`. */
export const JSSDK_VERIFY_KINDS = ['jsapi', 'agent_config'] as const;

/** The answer: valid with the ticket that signed it, or refused with a reason (and the stale ticket, if one). */
export type VerifyAnswer =
  | { valid: true; ticket: string; ticketExpiresAt: number }
  | { valid: false; reason: SignatureRefusal; ticket?: string; ticketExpiresAt?: number };

/** `POST /__sim/jssdk/verify {appid | corpid (+agentid), kind?, url, nonceStr, timestamp, signature}`. */
export function verifyJssdkRequest(state: SimulatorState, body: Record<string, unknown>): VerifyAnswer {
  const kind = body.kind ?? 'jsapi';
  if (kind === 'wx_card') throw new InvalidRequestError('the card signature has no url: use POST /__sim/card/verify');
  if (!(JSSDK_VERIFY_KINDS as readonly unknown[]).includes(kind)) {
    throw new InvalidRequestError(`kind must be one of ${JSSDK_VERIFY_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  const url = requiredString(body, 'url');
  const nonceStr = requiredString(body, 'nonceStr');
  const signature = requiredString(body, 'signature');
  const timestamp = body.timestamp;
  if (!(typeof timestamp === 'string' && /^\d{1,12}$/.test(timestamp)) && !(Number.isSafeInteger(timestamp) && (timestamp as number) >= 0)) {
    throw new InvalidRequestError('timestamp must be Unix seconds (an integer or a string of digits)');
  }
  const slot = ticketSlot(state, body, kind as (typeof JSSDK_VERIFY_KINDS)[number]);
  if (!slot) return { valid: false, reason: 'unknown-app' };
  const ts = timestamp as number | string;
  return answer(state, slot, (ticket) => verifyJssdkSignature({ ticket, nonceStr, timestamp: ts, url }, signature));
}

/** `POST /__sim/card/verify {appid, values, signature}`: `values` are every signed value except the api_ticket. */
export function verifyCardRequest(state: SimulatorState, body: Record<string, unknown>): VerifyAnswer {
  const appid = requiredString(body, 'appid');
  const signature = requiredString(body, 'signature');
  const values = body.values;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
    throw new InvalidRequestError('values must be a non-empty array of strings and numbers (every signed value except the api_ticket)');
  }
  const app = state.app(appid);
  if (!app) return { valid: false, reason: 'unknown-app' };
  return answer(state, app.tickets.wx_card, (ticket) => verifyCardSignature([...(values as Array<string | number>), ticket], signature));
}

function ticketSlot(state: SimulatorState, body: Record<string, unknown>, kind: 'jsapi' | 'agent_config'): CredentialSlot | undefined {
  const appid = optionalString(body, 'appid');
  const corpid = optionalString(body, 'corpid');
  if ((appid === undefined) === (corpid === undefined)) throw new InvalidRequestError('give exactly one of appid or corpid');
  if (appid !== undefined) {
    if (kind !== 'jsapi') throw new InvalidRequestError('kind agent_config needs a corpid and agentid');
    return state.app(appid)?.tickets.jsapi;
  }
  const corp = state.corp(corpid);
  if (kind === 'jsapi') return corp?.tickets.jsapi;
  const agentid = body.agentid;
  if (!(typeof agentid === 'string' || typeof agentid === 'number')) throw new InvalidRequestError('kind agent_config needs an agentid');
  return corp ? state.corpApp(corp, agentid)?.agentConfigTicket : undefined;
}

function answer(state: SimulatorState, slot: CredentialSlot, signedWith: (ticket: string) => boolean): VerifyAnswer {
  const verdict = judgeSignature(state.knownTickets(slot), state.now(), signedWith);
  if (verdict.valid) return { valid: true, ticket: verdict.ticket.value, ticketExpiresAt: verdict.ticket.expiresAt };
  return verdict.ticket
    ? { valid: false, reason: verdict.reason, ticket: verdict.ticket.value, ticketExpiresAt: verdict.ticket.expiresAt }
    : { valid: false, reason: verdict.reason };
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new InvalidRequestError(`${name} must be a non-empty string`);
  return value;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw new InvalidRequestError(`${name} must be a non-empty string`);
  return value;
}
