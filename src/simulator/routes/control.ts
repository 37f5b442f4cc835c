import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError, NotFoundError } from '../../errors/index.js';
import { parseJsonObject } from '../endpoints/request.js';
import type { FaultSpec } from '../faults.js';
import type { MintCodeInput } from '../login-codes.js';
import { verifyCardRequest, verifyJssdkRequest } from '../jssdk-verify.js';
import type { CorpInput } from '../options.js';
import type { CorpAppInput } from '../wecom-corp.js';
import type { SimulatorState } from '../state.js';

/** Where the control API lives; no WeChat path starts with it. */
export const CONTROL_PREFIX = '/__sim';

/**
 * The control API tests use to arrange and observe the simulator (docs/simulator.md). JSON in and out; errors are
 * `{"error":{"code","message"}}` with 400/404/409. It shows tokens (tests ask for them) but never secrets.
 */
export function registerControlRoutes(app: FastifyInstance, state: SimulatorState): void {
  const p = CONTROL_PREFIX;
  type IdParams = { Params: { id: string } };

  app.get(`${p}/health`, async () => ({ status: 'ok', now: state.now() }));

  app.post(`${p}/apps`, async (request, reply) => {
    const body = jsonBody(request);
    const result = state.registerApp(body as { appid: string; secret: string; ipAllowList?: string[] });
    return reply.code(result.created ? 201 : 200).send({ appid: result.appid, ipAllowList: result.ipAllowList });
  });
  app.get(`${p}/apps`, async () => ({ apps: state.listApps() }));

  app.post(`${p}/corps`, async (request, reply) => {
    const body = jsonBody(request);
    const result = state.registerCorp(body as unknown as CorpInput);
    return reply.code(result.created ? 201 : 200).send({ corpid: result.corpid, apps: result.apps });
  });
  app.get(`${p}/corps`, async () => ({ corps: state.listCorps() }));

  // A corp's applications: agent apps by agentid, special secrets (contacts, customer contact…) by name.
  type AppParams = { Params: { id: string; app: string } };
  app.get<IdParams>(`${p}/corps/:id/apps`, async (request) => ({ apps: state.listCorpApps(request.params.id) }));
  app.post<IdParams>(`${p}/corps/:id/apps`, async (request, reply) => {
    const result = state.registerCorpApp(request.params.id, jsonBody(request) as unknown as CorpAppInput);
    return reply.code(result.created ? 201 : 200).send(result.app);
  });
  app.post<AppParams>(`${p}/corps/:id/apps/:app/reset-secret`, async (request) =>
    state.resetCorpSecret(request.params.id, request.params.app, jsonBody(request).secret),
  );
  app.get<AppParams>(`${p}/corps/:id/apps/:app/counters`, async (request) => state.corpAppCounters(request.params.id, request.params.app));

  // Apps and corps share one id space, so both prefixes reach the same counters and tokens.
  for (const kind of ['apps', 'corps']) {
    app.get<IdParams>(`${p}/${kind}/:id/counters`, async (request) => state.counters(request.params.id));
    app.post<IdParams>(`${p}/${kind}/:id/counters/reset`, async (request) => {
      state.resetCounters(request.params.id);
      return state.counters(request.params.id);
    });
    app.get<IdParams>(`${p}/${kind}/:id/tokens`, async (request) => state.tokens(request.params.id));
    app.post<IdParams>(`${p}/${kind}/:id/tickets/fetch`, async (request) => {
      const body = jsonBody(request);
      if (typeof body.type !== 'string') throw new InvalidRequestError('type must be a string');
      const agentid = body.agentid;
      if (agentid !== undefined && typeof agentid !== 'string' && typeof agentid !== 'number') throw new InvalidRequestError('agentid must be an integer');
      return state.fetchTicketElsewhere(request.params.id, body.type, agentid);
    });
  }
  app.get(`${p}/counters/unattributed`, async () => ({ businessCalls: state.unattributedCounters() }));

  // A user opens the Mini Program (wx.login) or signs in on a web page: the one-time code the client would get.
  app.post<IdParams>(`${p}/apps/:id/login-codes`, async (request, reply) => {
    const appid = request.params.id;
    if (!state.app(appid)) throw new NotFoundError(`app ${appid} is not registered`);
    return reply.code(201).send(state.logins.mint(appid, jsonBody(request) as unknown as MintCodeInput));
  });
  // What the login endpoints answered for the app, by path and outcome: "ok" means the app's real secret arrived.
  app.get<IdParams>(`${p}/apps/:id/logins`, async (request) => {
    const appid = request.params.id;
    if (!state.app(appid)) throw new NotFoundError(`app ${appid} is not registered`);
    return { logins: state.logins.outcomes(appid) };
  });

  app.post<IdParams>(`${p}/apps/:id/rotate`, async (request) => {
    const body = jsonBody(request);
    if (body.grant !== 'classic' && body.grant !== 'stable') throw new InvalidRequestError('grant must be "classic" or "stable"');
    if (body.force !== undefined && typeof body.force !== 'boolean') throw new InvalidRequestError('force must be a boolean');
    return state.rotate(request.params.id, body.grant, body.force === true);
  });

  // WeChat's page check, for tests: would wx.config / wx.agentConfig (or a card call) accept this signature now?
  app.post(`${p}/jssdk/verify`, async (request) => verifyJssdkRequest(state, jsonBody(request)));
  app.post(`${p}/card/verify`, async (request) => verifyCardRequest(state, jsonBody(request)));

  app.post(`${p}/faults`, async (request, reply) => reply.code(201).send(state.injectFault(jsonBody(request) as unknown as FaultSpec)));
  app.get(`${p}/faults`, async () => ({ faults: state.faults.list() }));
  app.delete(`${p}/faults`, async () => ({ cleared: state.clearFaults() }));
}

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const body = parseJsonObject(typeof request.body === 'string' ? request.body : undefined);
  if (!body) throw new InvalidRequestError('the request body must be a JSON object');
  return body;
}
