import pg from 'pg';
import { systemClock, type CancelTimer } from '../../util/clock.js';
import { reconnectDelayMs } from '../outage.js';
import { quoteIdent } from './options.js';

/** What the LISTEN connection reports to its store. */
export interface ListenerEvents {
  /** A notification payload on the channel. */
  notification(payload: string | undefined): void;
  /** The connection failed or dropped; it is being re-opened. */
  lost(error: unknown): void;
  /** The connection is (again) listening. */
  listening(): void;
}

/**
 * The dedicated connection that LISTENs on a store's channel (LISTEN needs a session of its own; pooled
 * connections come and go). When it drops, it is re-opened with a capped exponential backoff and LISTENs again,
 * so notifications resume by themselves after an outage. Notifications sent while it was down are lost:
 * PostgreSQL queues them only for sessions that are listening.
 */
export class ChannelListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #events: ListenerEvents;
  readonly #maxDelayMs: number;
  #client: pg.Client | undefined;
  #attempt = 0;
  #cancelRetry: CancelTimer | undefined;
  #stopped = false;

  constructor(config: pg.ClientConfig, channel: string, maxDelayMs: number, events: ListenerEvents) {
    this.#config = config;
    this.#channel = channel;
    this.#maxDelayMs = maxDelayMs;
    this.#events = events;
  }

  /** Connects and LISTENs; rejects (without retrying) when that fails, so a first subscribe can report it. */
  async start(): Promise<void> {
    this.#client = await this.#open();
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #open(): Promise<pg.Client> {
    const client = new pg.Client(this.#config);
    let listening = false;
    let dropped = false;
    const drop = (error: unknown): void => {
      // Before LISTEN succeeded, a failure is the rejection of connect() or LISTEN, handled below.
      if (!listening || dropped) return;
      dropped = true;
      if (this.#client === client) this.#client = undefined;
      client.end().catch(() => {});
      if (!this.#stopped) {
        this.#events.lost(error);
        this.#scheduleReconnect();
      }
    };
    // Always handled: an unhandled 'error' event would crash the process.
    client.on('error', drop);
    client.on('end', () => drop(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#events.notification(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.#channel)}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    listening = true;
    if (this.#stopped) {
      await client.end().catch(() => {});
      return client;
    }
    this.#attempt = 0;
    this.#events.listening();
    return client;
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#cancelRetry) return;
    const delay = reconnectDelayMs(this.#attempt, this.#maxDelayMs);
    this.#attempt++;
    this.#cancelRetry = systemClock.setTimer(() => {
      this.#cancelRetry = undefined;
      if (this.#stopped) return;
      this.#open().then(
        (client) => {
          this.#client = client;
        },
        () => this.#scheduleReconnect(),
      );
    }, delay);
  }
}
