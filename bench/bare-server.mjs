// The reference for bench:hub: a bare Fastify route returning a constant JSON body of the same shape and size as
// the hub's token response, with no authentication and no lookups.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = { access_token: `74_${'x'.repeat(134)}`, expires_in: 7021, expires_at: '2026-11-23T22:31:05.000Z' };
app.get('/token', async () => body);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`bare server listening on ${url}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
