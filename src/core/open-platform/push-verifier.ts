import { randomUUID } from 'node:crypto';
import { MessageRejectedError, NotFoundError } from '../../errors/index.js';
import type { Store } from '../../stores/store.js';
import type { Clock } from '../../util/clock.js';
import { parseFlatXml } from '../../wechat/event-xml.js';
import { decodeAesKey, openMessage } from '../../wechat/msg-crypto.js';
import { AES_KEY_SECRET, componentId, MESSAGE_TOKEN_SECRET, validateOpenAppid } from './ids.js';
import { pushTimestampProblem, replayMarker } from './push-guard.js';

/** Opens a principal's sealed secret (the hub does). */
export interface SecretReader {
  principalSecret(id: string, name: string): Promise<string | undefined>;
}

/** A verified push, ready to be processed: the component and the decrypted message's fields. */
export interface VerifiedPush {
  readonly componentAppid: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * Verifies pushes to a component's authorization-event URL (../shared/wechat-open-platform.md §1.2, §1.3), without
 * side effects when one fails: the timestamp is within the allowed skew, msg_signature matches (constant time), the
 * body decrypts, it is addressed to this component, and it was not accepted before (a fleet-wide store lease on its
 * signature, kept for the replay window).
 */
export class PushVerifier {
  readonly #hub: SecretReader;
  readonly #store: Store;
  readonly #o: { clock: Clock; maxSkewMs: number; replayWindowMs: number };

  constructor(hub: SecretReader, store: Store, options: { clock: Clock; maxSkewMs: number; replayWindowMs: number }) {
    this.#hub = hub;
    this.#store = store;
    this.#o = options;
  }

  /** Verifies one push; rejects with MessageRejectedError naming the failed check, or NotFoundError. */
  async verify(componentAppid: string, query: Readonly<Record<string, string | undefined>>, body: string): Promise<VerifiedPush> {
    validateOpenAppid('component appid', componentAppid);
    const id = componentId(componentAppid);
    const [token, aesKey] = await Promise.all([this.#hub.principalSecret(id, MESSAGE_TOKEN_SECRET), this.#hub.principalSecret(id, AES_KEY_SECRET)]);
    if (token === undefined || aesKey === undefined) throw new NotFoundError(`component ${componentAppid} is not registered`);
    const { msg_signature: msgSignature, timestamp, nonce } = query;
    if (!msgSignature || !timestamp || !nonce) throw new MessageRejectedError('msg_signature, timestamp and nonce are required');
    const stale = pushTimestampProblem(timestamp, this.#o.clock.now(), this.#o.maxSkewMs);
    if (stale) throw new MessageRejectedError(stale);
    const encrypt = parseFlatXml(body).Encrypt;
    if (!encrypt) throw new MessageRejectedError('the body has no Encrypt field');
    const message = openMessage({ token, key: decodeAesKey(aesKey), receiveId: componentAppid }, { msgSignature, timestamp, nonce }, encrypt);
    const fields = parseFlatXml(message);
    if (fields.AppId !== componentAppid) throw new MessageRejectedError('the decrypted message names another AppId');
    // Last, so that only a push that passed every check is marked (a forged one cannot block the real one).
    if (!(await this.#store.acquireLease(replayMarker(componentAppid, msgSignature), randomUUID(), this.#o.replayWindowMs))) {
      throw new MessageRejectedError('this push was already accepted (replay)');
    }
    return { componentAppid, fields };
  }
}
