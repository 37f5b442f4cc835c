import { normaliseIp } from '../ip-allow-list.js';
import type { AppRecord, SimulatorState } from '../state.js';
import type { WeChatErrorBody } from '../wechat-reply.js';

/**
 * The secret-bearing checks shared by /cgi-bin/token, stable_token and clear_quota/v2, in WeChat's order
 * (§11.1): appid (41002 missing, 40013 unknown), secret (41004 missing, `wrongSecret` wrong), IP (40164).
 */
export function authenticateApp(
  state: SimulatorState,
  appid: string | undefined,
  secret: string | undefined,
  ip: string,
  wrongSecret: 40001 | 40125,
): AppRecord | WeChatErrorBody {
  if (appid === undefined) return state.error(41002);
  const app = state.app(appid);
  if (!app) return state.error(40013);
  if (secret === undefined) return state.error(41004);
  if (!state.secretMatches(app, secret)) return state.error(wrongSecret);
  if (!app.allowList.allows(ip)) {
    const address = normaliseIp(ip);
    return state.error(40164, `invalid ip ${address} ipv6 ::ffff:${address}, not in whitelist`);
  }
  return app;
}

/** Narrows the result of authenticateApp. */
export function isErrorBody(value: AppRecord | WeChatErrorBody): value is WeChatErrorBody {
  return 'errcode' in value;
}
