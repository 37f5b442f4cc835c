import type { AppRecord, SimulatorState } from '../state.js';
import { authenticateApp, isErrorBody } from './app-credentials.js';
import { parseJsonObject, queryParam, stringField, type EndpointResult, type WeChatRequest } from './request.js';

/** `POST /cgi-bin/clear_quota?access_token` with `{"appid"}` (§5.1). */
export function clearQuota(state: SimulatorState, request: WeChatRequest): EndpointResult {
  if (request.method !== 'POST') return state.error(43002);
  const check = state.checkToken(queryParam(request, 'access_token'), ['classic', 'stable']);
  if (!check.ok) return state.error(check.errcode);
  const body = parseJsonObject(request.body);
  if (!body) return state.error(47001);
  const appid = stringField(body, 'appid');
  if (appid === undefined) return state.error(41002);
  // The appid must be the token's own account (§5.1: "wrong appid or not matching the token").
  if (check.owner.kind !== 'app' || appid !== check.owner.id) return state.error(40013);
  return reset(state, check.owner);
}

/** `POST /cgi-bin/clear_quota/v2` with appid + appsecret in the query or a JSON body (§5.2). */
export function clearQuotaV2(state: SimulatorState, request: WeChatRequest): EndpointResult {
  if (request.method !== 'POST') return state.error(43002);
  let body: Record<string, unknown> = {};
  if (request.body !== undefined && request.body.trim() !== '') {
    const parsed = parseJsonObject(request.body);
    if (!parsed) return state.error(47001);
    body = parsed;
  }
  const appid = queryParam(request, 'appid') ?? stringField(body, 'appid');
  const secret = queryParam(request, 'appsecret') ?? stringField(body, 'appsecret');
  const app = authenticateApp(state, appid, secret, request.ip, 40125);
  if (isErrorBody(app)) return app;
  return reset(state, app);
}

/** `POST /cgi-bin/openapi/quota/get?access_token` with `{"cgi_path"}` (§5.3): real counts for modelled paths. */
export function quotaGet(state: SimulatorState, request: WeChatRequest): EndpointResult {
  if (request.method !== 'POST') return state.error(43002);
  const check = state.checkToken(queryParam(request, 'access_token'), ['classic', 'stable']);
  if (!check.ok) return state.error(check.errcode);
  if (check.owner.kind !== 'app') return state.error(40001);
  const body = parseJsonObject(request.body);
  if (!body) return state.error(47001);
  const path = stringField(body, 'cgi_path');
  if (path === undefined || !path.startsWith('/')) return state.error(76003);
  const app = check.owner;
  const now = state.now();
  const { options } = state;
  let limit: number;
  let used: number;
  let rate = { call_count: 0, refresh_second: 0 };
  if (path === '/cgi-bin/token') {
    limit = options.classicDailyQuota;
    used = app.classicDaily.used(now);
  } else if (path === '/cgi-bin/stable_token') {
    limit = options.stableDailyQuota;
    used = app.stableDaily.used(now);
    rate = { call_count: options.stableMinuteQuota, refresh_second: 60 };
  } else {
    return state.error(76021);
  }
  return {
    errcode: 0,
    errmsg: 'ok',
    quota: { daily_limit: limit, used, remain: Math.max(0, limit - used) },
    rate_limit: rate,
    component_rate_limit: { call_count: 0, refresh_second: 0 },
  };
}

function reset(state: SimulatorState, app: AppRecord): EndpointResult {
  // One monthly allowance is shared by clear_quota and clear_quota/v2 (§5.2).
  if (!app.clearQuotaMonthly.tryTake(state.now(), state.options.clearQuotaMonthlyLimit)) return state.error(48006);
  app.classicDaily.reset();
  app.stableDaily.reset();
  return { errcode: 0, errmsg: 'ok' };
}
