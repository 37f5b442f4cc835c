import type { CredentialRecord, Store } from '../../stores/store.js';
import { componentId } from './ids.js';

/** How a component's newest-wins record maps to a store record (the version is the store's). */
export interface NewestRecordCodec<T> {
  /** The record's suffix after the component's id, e.g. `verify_ticket`. */
  readonly name: string;
  decode(record: CredentialRecord | null): T | null;
  encode(value: T): Omit<CredentialRecord, 'key' | 'version'>;
  /** `store` when `incoming` replaces `stored`, `keep` otherwise (a table-tested decision). */
  decide(stored: T | null, incoming: T): 'store' | 'keep';
}

/**
 * A per-component record in the shared store that only a newer value replaces (the verify ticket, the last refused
 * authorization code): written with a compare-and-set, decided again against whatever another instance wrote first.
 */
export class NewestRecords<T> {
  readonly #store: Store;
  readonly #codec: NewestRecordCodec<T>;

  constructor(store: Store, codec: NewestRecordCodec<T>) {
    this.#store = store;
    this.#codec = codec;
  }

  /** The store key of a component's record. */
  key(componentAppid: string): string {
    return `${componentId(componentAppid)}:${this.#codec.name}`;
  }

  /** The component's current value, from the store (every instance's writes included); null: none. */
  async latest(componentAppid: string): Promise<T | null> {
    return this.#codec.decode(await this.#store.getCredential(this.key(componentAppid)));
  }

  /** Stores `value` unless the stored one is to be kept; returns whether it was stored. */
  async offer(componentAppid: string, value: T): Promise<boolean> {
    const key = this.key(componentAppid);
    // A lost compare-and-set means another instance wrote meanwhile: decide again against it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await this.#store.getCredential(key);
      if (this.#codec.decide(this.#codec.decode(record), value) === 'keep') return false;
      if (await this.#store.putCredential({ key, version: 0, ...this.#codec.encode(value) }, record?.version ?? 0)) return true;
    }
    return false;
  }
}
