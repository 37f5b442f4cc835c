import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { STABLE_TOKEN_PATH, TOKEN_PATH } from './compat/token-endpoints.js';
import { WECOM_TOKEN_PATH } from '../wechat/index.js';
import { GET_TICKET_PATH } from './compat/ticket-endpoint.js';

/** Where the document is served. */
export const OPENAPI_PATH = '/openapi.json';

/**
 * The WeChat-compatible token endpoints answer every method (WeChat reads their parameters whatever the method);
 * the document lists each under the one method callers use, as docs/api.md does.
 */
const DOCUMENTED_METHOD: Readonly<Record<string, string>> = { [TOKEN_PATH]: 'get', [STABLE_TOKEN_PATH]: 'post', [WECOM_TOKEN_PATH]: 'get' };

type PathItem = Record<string, unknown>;

/**
 * Registers @fastify/swagger (it must come before the routes: it records them as they are added) and
 * GET /openapi.json, the OpenAPI 3 document generated from the route schemas. The passthrough's wildcard routes
 * forward WeChat's own API and are listed by prefix under `x-wxtoken-passthrough` rather than as paths; the
 * getticket answer the passthrough gives for hub-issued tokens is listed as a path, as docs/api.md lists it.
 */
export function registerOpenApi(app: FastifyInstance, info: { passthroughPrefixes: readonly string[] }): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'wxtoken',
        version: packageVersion(),
        description: 'A credential hub for the WeChat platform. docs/api.md describes every endpoint in full.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transformObject: (documentObject) => {
      const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      const paths: Record<string, PathItem> = {};
      for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, PathItem>)) {
        if (path.includes('*')) continue;
        const only = DOCUMENTED_METHOD[path];
        paths[path] = only === undefined ? item : { [only]: item[only] };
      }
      paths[GET_TICKET_PATH] = {
        get: {
          summary: 'The managed JS-SDK or card ticket, in WeChat\'s shape, for a token the hub issued (else forwarded to WeChat)',
          parameters: [
            { name: 'access_token', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'type', in: 'query', required: false, schema: { type: 'string', enum: ['jsapi', 'wx_card'] } },
          ],
          responses: { 200: { description: '{"errcode":0,"errmsg":"ok","ticket":"…","expires_in":6712}' } },
        },
      };
      return { ...doc, paths, 'x-wxtoken-passthrough': [...info.passthroughPrefixes] } as unknown as typeof doc;
    },
  });
  app.register(async (scope) => {
    scope.get(OPENAPI_PATH, { schema: { summary: 'This document' } }, async () => app.swagger());
  });
}

/** The version in package.json (two levels up from src/server and from dist/server alike). */
function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
