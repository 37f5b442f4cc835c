import type { Clock } from '../../util/clock.js';
import { AppNotFoundError, CredentialsRejectedError, QuotaExhaustedError } from '../../errors/index.js';

/** A WeChat error body: `{"errcode", "errmsg"}`, sent with HTTP 200 as WeChat does. */
export interface WeChatErrorBody {
  errcode: number;
  errmsg: string;
}

/** The errcodes the compatible endpoints emit, with WeChat's own errmsg text (../shared/wechat-api.md §1-§3). */
export const COMPAT_ERRORS = {
  systemError: { errcode: -1, errmsg: 'system error' },
  credentialsRejected: {
    errcode: -1,
    errmsg: "system error: WeChat rejected the hub's stored credentials for this app; ask the hub operator to update them",
  },
  invalidGrantType: { errcode: 40002, errmsg: 'invalid grant_type' },
  invalidAppid: { errcode: 40013, errmsg: 'invalid appid' },
  invalidAppsecret: { errcode: 40125, errmsg: 'invalid appsecret' },
  appidMissing: { errcode: 41002, errmsg: 'appid missing' },
  appsecretMissing: { errcode: 41004, errmsg: 'appsecret missing' },
  requirePost: { errcode: 43002, errmsg: 'require POST method' },
  dailyQuota: { errcode: 45009, errmsg: 'reach max api daily quota limit' },
  minuteQuota: { errcode: 45011, errmsg: 'api minute-quota reach limit mustslower retry next minute' },
  invalidArgs: { errcode: 40097, errmsg: 'invalid args' },
  dataFormatError: { errcode: 47001, errmsg: 'data format error' },
  apiUnauthorized: { errcode: 48001, errmsg: 'api unauthorized' },
} as const satisfies Record<string, WeChatErrorBody>;

/** Builds WeChat-shaped error bodies, ending like WeChat's with ` rid: <hex unix time>-<8 hex>-<8 hex>`. */
export class WeChatReplies {
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(clock: Clock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  /** A request id in WeChat's format; its first group is the current Unix time in hex, as WeChat's is. */
  rid(): string {
    return `${hex8(this.#clock.now() / 1000)}-${hex8(this.#random() * 0x1_0000_0000)}-${hex8(this.#random() * 0x1_0000_0000)}`;
  }

  /** An error body with a fresh rid appended to `errmsg`. */
  error(base: WeChatErrorBody, detail?: string): WeChatErrorBody {
    return { errcode: base.errcode, errmsg: `${base.errmsg}${detail === undefined ? '' : ` (${detail})`} rid: ${this.rid()}` };
  }

  /** Maps a hub failure to the errcode an SDK understands; unknown failures are WeChat's "system error". */
  fromHubError(err: unknown): WeChatErrorBody {
    if (err instanceof AppNotFoundError) return this.error(COMPAT_ERRORS.invalidAppid);
    if (err instanceof QuotaExhaustedError) return this.error(COMPAT_ERRORS.dailyQuota);
    if (err instanceof CredentialsRejectedError) return this.error(COMPAT_ERRORS.credentialsRejected);
    return this.error(COMPAT_ERRORS.systemError);
  }
}

function hex8(n: number): string {
  return (Math.floor(n) >>> 0).toString(16).padStart(8, '0');
}
