import { CredentialsRejectedError, QuotaExhaustedError, UpstreamUnavailableError, WeChatError, type WxTokenError } from '../../errors/index.js';
import type { RefreshFailure } from '../../stores/store.js';
import type { ErrcodeCategory } from '../../wechat/errcodes.js';
import { decideOnFailure, type FailureTiming } from '../refresh-policy.js';

/** The failure to record after a failed refresh: classified by errcode, with the next attempt's time. */
export function failureRecord(err: unknown, previous: RefreshFailure | null, timing: Omit<FailureTiming, 'attempts'>): RefreshFailure {
  const category: ErrcodeCategory = err instanceof WeChatError ? err.category : 'transient';
  const errcode = err instanceof WeChatError ? err.errcode : undefined;
  const attempts = (previous?.attempts ?? 0) + 1;
  const decision = decideOnFailure(category, errcode, { ...timing, attempts });
  return {
    code: decision.code,
    message: err instanceof Error ? err.message : String(err),
    ...(errcode !== undefined && { errcode }),
    category,
    at: timing.now,
    ...(decision.retryAt !== undefined && { retryAt: Math.ceil(decision.retryAt) }),
    attempts,
  };
}

/** The caller-facing error for a recorded refresh failure of the credential `what` (e.g. "app wx…"). */
export function failureError(what: string, failure: RefreshFailure, now: number): WxTokenError {
  const retryAfterSeconds = failure.retryAt === undefined ? undefined : Math.max(1, Math.ceil((failure.retryAt - now) / 1000));
  const options = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
  switch (failure.code) {
    case 'credentials_rejected':
      return new CredentialsRejectedError(`WeChat rejected the credentials of ${what}: ${failure.message}`, options);
    case 'quota_exhausted':
      return new QuotaExhaustedError(`WeChat's quota for ${what} is exhausted: ${failure.message}`, options);
    default:
      return new UpstreamUnavailableError(`WeChat is unavailable for ${what}: ${failure.message}`, options);
  }
}
