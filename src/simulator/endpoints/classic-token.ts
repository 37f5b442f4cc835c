import type { SimulatorState } from '../state.js';
import { authenticateApp, isErrorBody } from './app-credentials.js';
import { queryParam, type EndpointResult, type WeChatRequest } from './request.js';

/** `GET /cgi-bin/token?grant_type=client_credential&appid&secret` (§1, decision 1). */
export function classicToken(state: SimulatorState, request: WeChatRequest): EndpointResult {
  if (queryParam(request, 'grant_type') !== 'client_credential') return state.error(40002);
  const app = authenticateApp(
    state,
    queryParam(request, 'appid'),
    queryParam(request, 'secret'),
    request.ip,
    state.options.wrongSecretErrcode,
  );
  if (isErrorBody(app)) return app;
  if (!app.classicDaily.tryTake(state.now(), state.options.classicDailyQuota)) return state.error(45009);
  const issued = state.issueClassic(app);
  app.counters.fetched('classic', issued.rotated);
  return { access_token: issued.credential.value, expires_in: issued.expiresIn };
}
