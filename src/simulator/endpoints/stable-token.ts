import type { SimulatorState } from '../state.js';
import { authenticateApp, isErrorBody } from './app-credentials.js';
import { parseJsonObject, stringField, type EndpointResult, type WeChatRequest } from './request.js';

/** `POST /cgi-bin/stable_token` with a JSON body, normal or force mode (§2, decision 3). */
export function stableToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  if (request.method !== 'POST') return state.error(43002);
  const body = parseJsonObject(request.body);
  if (!body) return state.error(47001);
  if (stringField(body, 'grant_type') !== 'client_credential') return state.error(40002);
  const app = authenticateApp(state, stringField(body, 'appid'), stringField(body, 'secret'), request.ip, 40125);
  if (isErrorBody(app)) return app;
  const now = state.now();
  if (app.stableMinute.used(now) >= state.options.stableMinuteQuota) return state.error(45011);
  if (app.stableDaily.used(now) >= state.options.stableDailyQuota) return state.error(45009);
  app.stableMinute.tryTake(now, state.options.stableMinuteQuota);
  app.stableDaily.tryTake(now, state.options.stableDailyQuota);
  // Only a JSON true asks for force mode; WeChat documents the field as a boolean defaulting to false.
  const force = body.force_refresh === true;
  const issued = force ? state.stableForce(app) : state.stableNormal(app);
  if (!issued) return state.error(45009);
  app.counters.fetched(force ? 'stableForce' : 'stableNormal', issued.rotated);
  return { access_token: issued.credential.value, expires_in: issued.expiresIn };
}

/** Whether a stable_token request asks for force mode (for counters before the body is judged). */
export function isForceRequest(raw: string | undefined): boolean {
  return parseJsonObject(raw)?.force_refresh === true;
}
