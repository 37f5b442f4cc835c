import { randomBytes } from 'node:crypto';
import type { CancelTimer } from '../../util/clock.js';
import { plainSignature, sealMessage } from '../../wechat/msg-crypto.js';
import type { SimulatorState } from '../state.js';
import type { ComponentRecord, Components } from './components.js';

/** What a push delivered: the decrypted XML sent and the HTTP status the receiver answered (0: unreachable). */
export interface PushResult {
  readonly infoType: string;
  readonly status: number;
  readonly body: string;
}

/**
 * Sends a component's events to its 授权事件接收URL as WeChat does (§1.2): `POST ?signature&timestamp&nonce
 * &encrypt_type=aes&msg_signature`, body `<xml><AppId/><Encrypt/></xml>`, the decrypted XML carrying AppId,
 * CreateTime and InfoType. Verify tickets go out every pushPeriod on the simulator's clock, and on request.
 */
export class ComponentPusher {
  readonly #state: SimulatorState;
  readonly #components: Components;
  readonly #timers = new Map<string, CancelTimer>();
  #stopped = false;

  constructor(state: SimulatorState, components: Components) {
    this.#state = state;
    this.#components = components;
  }

  /** (Re)arms the periodic ticket push of a component (none without a pushUrl or with period 0). */
  schedule(component: ComponentRecord): void {
    this.#timers.get(component.appid)?.();
    this.#timers.delete(component.appid);
    if (this.#stopped || !component.pushUrl || component.pushPeriodMs === 0) return;
    const cancel = this.#state.options.clock.setTimer(() => {
      void this.pushTicket(component).finally(() => this.schedule(component));
    }, component.pushPeriodMs);
    this.#timers.set(component.appid, cancel);
  }

  /** Pushes a verify ticket now (a new one, or the current one again with `repeat`). */
  async pushTicket(component: ComponentRecord, repeat?: boolean): Promise<PushResult & { ticket: string; createTime: number }> {
    const ticket = this.#components.nextTicket(component, repeat);
    const createTime = Math.floor(ticket.createdAt / 1000);
    const result = await this.push(component, 'component_verify_ticket', { ComponentVerifyTicket: ticket.value }, createTime);
    return { ...result, ticket: ticket.value, createTime };
  }

  /** Pushes an event of `infoType` with `fields` (authorized, updateauthorized, unauthorized…). */
  async push(component: ComponentRecord, infoType: string, fields: Record<string, string | number>, createTime = Math.floor(this.#state.now() / 1000)): Promise<PushResult> {
    const inner = [`<xml><AppId><![CDATA[${component.appid}]]></AppId>`, `<CreateTime>${createTime}</CreateTime>`, `<InfoType><![CDATA[${infoType}]]></InfoType>`]
      .concat(Object.entries(fields).map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`)))
      .join('\n')
      .concat('\n</xml>');
    if (!component.pushUrl) return { infoType, status: 0, body: 'no pushUrl' };
    const timestamp = String(Math.floor(this.#state.now() / 1000));
    const nonce = String(Math.floor(this.#state.options.random() * 1e9));
    const config = { token: component.token, key: component.key, receiveId: component.appid };
    const sealed = sealMessage(config, inner, { timestamp, nonce, random: randomBytes(16) });
    const url = new URL(component.pushUrl);
    url.search = new URLSearchParams({
      signature: plainSignature(component.token, timestamp, nonce),
      timestamp,
      nonce,
      encrypt_type: 'aes',
      msg_signature: sealed.msgSignature,
    }).toString();
    component.counters.pushes += 1;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: `<xml><AppId><![CDATA[${component.appid}]]></AppId><Encrypt><![CDATA[${sealed.encrypt}]]></Encrypt></xml>`,
        signal: AbortSignal.timeout(5_000),
      });
      const body = await response.text();
      if (response.status !== 200 || body !== 'success') component.counters.pushFailures += 1;
      return { infoType, status: response.status, body };
    } catch {
      component.counters.pushFailures += 1;
      return { infoType, status: 0, body: 'unreachable' };
    }
  }

  /** Cancels every periodic push. */
  stop(): void {
    this.#stopped = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }
}
