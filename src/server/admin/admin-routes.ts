import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppStatus, ClientKeyInfo, TokenService } from '../../core/token-service.js';
import { KEY_ACTIONS, LOGIN_ONLY_CAPABILITIES, SIGN_ONLY_CAPABILITIES } from '../../core/key-scope.js';
import { AppNotFoundError, InvalidRequestError, NotFoundError } from '../../errors/index.js';
import { assertAppid } from '../appid.js';
import type { AdminKeyCheck } from '../auth.js';
import type { RouteContext } from '../context.js';
import { tokenBodySchema, type TokenBody } from '../token-body.js';

/** An app's status as GET /v1/apps shows it: times as ISO strings, no secret, no token. */
export interface AppStatusBody {
  appid: string;
  grant: string;
  state: string;
  token_expires_at: string | null;
  last_refresh_at: string | null;
  next_attempt_at: string | null;
  last_error: { code: string; message: string; errcode?: number; at: string } | null;
  created_at: string;
  updated_at: string;
}

const isoOrNull = { type: ['string', 'null'] } as const;


/** The state fields every credential's status shares (apps, WeCom apps...), as response-schema properties. */
export const credentialStatusProperties = {
  state: { type: 'string' },
  token_expires_at: isoOrNull,
  last_refresh_at: isoOrNull,
  next_attempt_at: isoOrNull,
  last_error: {
    anyOf: [
      { type: 'null' },
      {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'message', 'at'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, errcode: { type: 'integer' }, at: { type: 'string' } },
      },
    ],
  },
  created_at: { type: 'string' },
  updated_at: { type: 'string' },
} as const;

// additionalProperties: false on every response schema: whatever the service returns, only these fields leave.
const appStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['appid', 'grant', ...Object.keys(credentialStatusProperties)],
  properties: { appid: { type: 'string' }, grant: { type: 'string' }, ...credentialStatusProperties },
} as const;

/** PUT /v1/apps/{appid}'s body (the dashboard's too). */
export const putAppBodySchema = {
  type: 'object',
  required: ['secret'],
  properties: {
    secret: { type: 'string', minLength: 1, maxLength: 256 },
    grant: { type: 'string', enum: ['stable', 'classic'] },
  },
} as const;

const putAppResponseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['appid', 'grant', 'created'],
  properties: { appid: { type: 'string' }, grant: { type: 'string' }, created: { type: 'boolean' } },
} as const;

/** POST /v1/keys's body (the dashboard's too). */
export const createKeyBodySchema = {
  type: 'object',
  required: ['name', 'apps'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    apps: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 80 } },
    sign_only: { type: 'boolean' },
    login_only: { type: 'boolean' },
    // Absolute (ISO-8601 with a zone) or relative (whole seconds); at most one.
    expires_at: { type: 'string', minLength: 1, maxLength: 40 },
    expires_in: { type: 'integer', minimum: 1, maximum: 3_153_600_000 },
  },
} as const;

const stringList = { type: 'array', items: { type: 'string' } } as const;

const keyInfoSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'apps', 'capabilities', 'created_at', 'expires_at', 'last_used_at'],
  properties: {
    name: { type: 'string' },
    apps: stringList,
    capabilities: stringList,
    created_at: { type: 'string' },
    expires_at: isoOrNull,
    last_used_at: isoOrNull,
  },
} as const;

const createdKeySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'apps', 'capabilities', 'expires_at', 'key'],
  properties: { name: { type: 'string' }, apps: stringList, capabilities: stringList, expires_at: isoOrNull, key: { type: 'string' } },
} as const;

/** POST /v1/keys's body. */
export interface CreateKeyBody {
  name: string;
  apps: string[];
  sign_only?: boolean;
  login_only?: boolean;
  expires_at?: string;
  expires_in?: number;
}

/** A new key's absolute expiry from `expires_at` or `expires_in` (seconds from `now`); null when neither. */
export function requestedExpiry(body: Pick<CreateKeyBody, 'expires_at' | 'expires_in'>, now: number): number | null {
  if (body.expires_at !== undefined && body.expires_in !== undefined) {
    throw new InvalidRequestError('give expires_at or expires_in, not both');
  }
  if (body.expires_in !== undefined) return now + body.expires_in * 1000;
  if (body.expires_at === undefined) return null;
  const at = /(Z|[+-]\d{2}:\d{2})$/.test(body.expires_at) ? Date.parse(body.expires_at) : Number.NaN;
  if (!Number.isFinite(at)) throw new InvalidRequestError('expires_at must be an ISO-8601 time with a zone, e.g. 2027-03-01T00:00:00Z');
  return at;
}

/** The default grant for apps created without one: stable tokens survive other fetchers (see docs/api.md). */
export const DEFAULT_GRANT = 'stable';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Converts the hub's AppStatus to its API body. */
export function toAppStatusBody(s: AppStatus): AppStatusBody {
  return { appid: s.appid, grant: s.grant, ...credentialStatusBody(s) };
}

/** The shared state fields of a credential's status as the API shows them (see credentialStatusProperties). */
export function credentialStatusBody(s: Omit<AppStatus, 'appid' | 'grant'>): Omit<AppStatusBody, 'appid' | 'grant'> {
  return {
    state: s.state,
    token_expires_at: iso(s.tokenExpiresAt),
    last_refresh_at: iso(s.lastRefreshAt),
    next_attempt_at: iso(s.nextAttemptAt),
    last_error:
      s.lastError === null
        ? null
        : {
            code: s.lastError.code,
            message: s.lastError.message,
            ...(s.lastError.errcode === undefined ? {} : { errcode: s.lastError.errcode }),
            at: new Date(s.lastError.at).toISOString(),
          },
    created_at: new Date(s.createdAt).toISOString(),
    updated_at: new Date(s.updatedAt).toISOString(),
  };
}

function toKeyInfoBody(k: ClientKeyInfo): Record<string, unknown> {
  return {
    name: k.name,
    apps: [...k.apps],
    capabilities: [...k.capabilities],
    created_at: new Date(k.createdAt).toISOString(),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
  };
}

/**
 * The admin API: apps and client keys. Registered in its own scope, whose onRequest hook checks the admin key
 * before anything else (body parsing included) happens.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: RouteContext, adminKey: AdminKeyCheck): void {
  const { service, clock, expiry } = ctx;

  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    try {
      adminKey.assert(request, ctx.guard);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  app.get('/v1/apps', { schema: { response: { 200: { type: 'object', required: ['apps'], properties: { apps: { type: 'array', items: appStatusSchema } } } } } }, async () => {
    const apps = await service.listApps();
    return { apps: apps.map(toAppStatusBody) };
  });

  app.put<{ Params: { appid: string }; Body: { secret: string; grant?: 'stable' | 'classic' } }>(
    '/v1/apps/:appid',
    { schema: { body: putAppBodySchema, response: { 200: putAppResponseSchema, 201: putAppResponseSchema } } },
    async (request, reply) => {
      const answer = await putApp(service, request.params.appid, request.body);
      return reply.code(answer.created ? 201 : 200).send(answer);
    },
  );

  app.delete<{ Params: { appid: string } }>('/v1/apps/:appid', async (request, reply) => {
    await removeApp(service, request.params.appid);
    return reply.code(204).send();
  });

  app.post<{ Params: { appid: string } }>(
    '/v1/apps/:appid/refresh',
    { schema: { response: { 200: tokenBodySchema } } },
    async (request, reply): Promise<TokenBody> => {
      const { appid } = request.params;
      assertAppid(appid);
      const issued = await service.refresh(appid);
      reply.header('cache-control', 'no-store');
      return expiry.body(issued, clock.now());
    },
  );

  app.post<{ Body: CreateKeyBody }>(
    '/v1/keys',
    { schema: { body: createKeyBodySchema, response: { 201: createdKeySchema } } },
    async (request, reply) => {
      const created = await createKey(service, request.body, clock.now());
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(created);
    },
  );

  app.get('/v1/keys', { schema: { response: { 200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: keyInfoSchema } } } } } }, async () => {
    const keys = await service.listClientKeys();
    return { keys: keys.map(toKeyInfoBody) };
  });

  app.delete<{ Params: { name: string } }>('/v1/keys/:name', async (request, reply) => {
    await revokeKey(service, request.params.name);
    return reply.code(204).send();
  });
}

/** Creates or updates an app from a PUT body (grant defaulting to DEFAULT_GRANT); shared by the admin API and the dashboard. */
export async function putApp(
  service: TokenService,
  appid: string,
  body: { secret: string; grant?: 'stable' | 'classic' },
): Promise<{ appid: string; grant: 'stable' | 'classic'; created: boolean }> {
  assertAppid(appid);
  const grant = body.grant ?? DEFAULT_GRANT;
  const { created } = await service.putApp(appid, { secret: body.secret, grant });
  return { appid, grant, created };
}

/** Removes an app; AppNotFoundError when it was not registered. Shared by the admin API and the dashboard. */
export async function removeApp(service: TokenService, appid: string): Promise<void> {
  assertAppid(appid);
  if (!(await service.removeApp(appid))) throw new AppNotFoundError(appid);
}

/** Creates a client key from a POST body; the answer carries the key, shown once. Shared by the admin API and the dashboard. */
export async function createKey(
  service: TokenService,
  body: CreateKeyBody,
  now: number,
): Promise<{ name: string; apps: string[]; capabilities: string[]; expires_at: string | null; key: string }> {
  const { name, apps } = body;
  const signOnly = body.sign_only === true;
  const loginOnly = body.login_only === true;
  if (signOnly && loginOnly) throw new InvalidRequestError('a key is sign_only or login_only, not both');
  const expiresAt = requestedExpiry(body, now);
  const key = await service.createClientKey(name, apps, { signOnly, loginOnly, expiresAt });
  const capabilities = signOnly ? [...SIGN_ONLY_CAPABILITIES] : loginOnly ? [...LOGIN_ONLY_CAPABILITIES] : [...KEY_ACTIONS];
  return { name, apps: [...new Set(apps)], capabilities, expires_at: iso(expiresAt), key };
}

/** Revokes a client key; NotFoundError when there is none of that name. Shared by the admin API and the dashboard. */
export async function revokeKey(service: TokenService, name: string): Promise<void> {
  if (!(await service.revokeClientKey(name))) throw new NotFoundError(`no client key named ${JSON.stringify(name.slice(0, 64))}`);
}
