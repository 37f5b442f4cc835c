import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TICKET_TYPES, type TicketType } from '../../wechat/index.js';
import type { KeyAction } from '../../core/key-scope.js';
import { authorizeClient } from '../auth.js';
import type { RouteContext } from '../context.js';
import { secondsLeft } from '../token-body.js';

interface AppParams {
  appid: string;
}

/** Card signature inputs a page may ask for, as WeChat names them (wx.addCard's cardExt, wx.chooseCard). */
export const CARD_FIELDS = ['card_id', 'card_type', 'code', 'openid', 'location_id', 'balance', 'app_id'] as const;

/** A ticket as the v1 API returns it. */
export const ticketBodySchema = {
  type: 'object',
  required: ['ticket', 'expires_in', 'expires_at', 'age_known'],
  properties: {
    ticket: { type: 'string' },
    expires_in: { type: 'integer' },
    expires_at: { type: 'string' },
    age_known: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

/** The body of a jssdk-config request. */
export const jssdkConfigRequestSchema = {
  type: 'object',
  required: ['url'],
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 8192 },
    jsApiList: { type: 'array', maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 128 } },
  },
  additionalProperties: false,
} as const;

const jssdkConfigSchema = {
  type: 'object',
  required: ['appId', 'timestamp', 'nonceStr', 'signature'],
  properties: {
    appId: { type: 'string' },
    timestamp: { type: 'integer' },
    nonceStr: { type: 'string' },
    signature: { type: 'string' },
    jsApiList: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: false,
} as const;

const cardRequestSchema = {
  type: 'object',
  properties: Object.fromEntries(CARD_FIELDS.map((field) => [field, { type: 'string', minLength: 1, maxLength: 256 }])),
  additionalProperties: false,
} as const;

const cardSignatureSchema = {
  type: 'object',
  required: ['timestamp', 'nonceStr', 'signature'],
  properties: { timestamp: { type: 'integer' }, nonceStr: { type: 'string' }, signature: { type: 'string' } },
  additionalProperties: false,
} as const;

/**
 * Tickets and signing: read an app's JS-SDK or card ticket, or (so pages and business services never hold a
 * ticket) have the hub sign a `wx.config` or a card signature. Every route needs a client key scoped to the app:
 * reading a ticket needs its `read-token` capability, signing its `sign` capability (a sign-only key signs, but
 * never sees a ticket).
 */
export function registerTicketRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service, clock, expiry, guard } = ctx;
  // Authenticate before the body is read or validated: strangers get 401, not hints about the body.
  const authorize =
    (action: KeyAction) =>
    (request: FastifyRequest<{ Params: AppParams }>, _reply: FastifyReply, done: (err?: Error) => void): void => {
      try {
        authorizeClient(service, request, request.params.appid, guard, action);
        done();
      } catch (err) {
        done(err as Error);
      }
    };

  app.get<{ Params: AppParams & { type: string } }>(
    '/v1/apps/:appid/tickets/:type',
    {
      onRequest: authorize('read-token'),
      schema: {
        params: { type: 'object', properties: { appid: { type: 'string' }, type: { type: 'string', enum: [...TICKET_TYPES] } } },
        response: { 200: ticketBodySchema },
      },
    },
    async (request, reply) => {
      const issued = await service.getTicket(request.params.appid, request.params.type as TicketType);
      reply.header('cache-control', 'no-store');
      return { ticket: issued.token, expires_in: secondsLeft(issued.expiresAt, clock.now()), expires_at: expiry.iso(issued.expiresAt), age_known: issued.ageKnown };
    },
  );

  app.post<{ Params: AppParams; Body: { url: string; jsApiList?: string[] } }>(
    '/v1/apps/:appid/jssdk-config',
    { onRequest: authorize('sign'), schema: { body: jssdkConfigRequestSchema, response: { 200: jssdkConfigSchema } } },
    async (request, reply) => {
      const config = await service.signJsSdkConfig(request.params.appid, request.body.url);
      reply.header('cache-control', 'no-store');
      return request.body.jsApiList === undefined ? config : { ...config, jsApiList: request.body.jsApiList };
    },
  );

  app.post<{ Params: AppParams; Body: Partial<Record<(typeof CARD_FIELDS)[number], string>> }>(
    '/v1/apps/:appid/card-signature',
    { onRequest: authorize('sign'), schema: { body: cardRequestSchema, response: { 200: cardSignatureSchema } } },
    async (request, reply) => {
      const values = CARD_FIELDS.flatMap((field) => (request.body[field] === undefined ? [] : [request.body[field]]));
      const signed = await service.signCard(request.params.appid, values);
      reply.header('cache-control', 'no-store');
      return signed;
    },
  );
}
