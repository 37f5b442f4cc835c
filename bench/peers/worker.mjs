// One SDK process of bench:peers: the SDK configured as its README shows (only the base URL changes when it goes
// through a hub), calling a business endpoint continuously until the deadline. Prints one JSON line at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import CoWechatApi from 'co-wechat-api';
import WechatApi from 'wechat-api';
import EasyWechat from 'node-easywechat';

const [sdk, baseUrl, appid, secret, durationMs, pauseMs] = process.argv.slice(2);

/** One business call; rejects when the SDK reports a failure (after whatever retry it makes itself). */
function makeCall() {
  switch (sdk) {
    case 'co-wechat-api': {
      const api = new CoWechatApi(appid, secret);
      api.prefix = `${baseUrl}/cgi-bin/`;
      return () => api.getIp();
    }
    case 'wechat-api': {
      const api = new WechatApi(appid, secret);
      api.endpoint = baseUrl;
      return () => new Promise((resolve, reject) => api.getIp((err, result) => (err ? reject(err) : resolve(result))));
    }
    case 'node-easywechat': {
      // Its default cache is a directory of files; one per process, as separate hosts would have.
      const app = new EasyWechat.OfficialAccount({
        app_id: appid,
        secret,
        http: { baseURL: `${baseUrl}/` },
        file_cache: { path: mkdtempSync(join(tmpdir(), 'easywechat-')) },
      });
      const client = app.getClient();
      return async () => {
        const body = (await client.get('cgi-bin/getcallbackip')).toObject();
        if (!Array.isArray(body.ip_list)) throw new Error(`errcode ${body.errcode}`);
      };
    }
    default:
      throw new Error(`unknown SDK ${sdk}`);
  }
}

const call = makeCall();
const end = Date.now() + Number(durationMs);
const latencies = [];
let ok = 0;
let failed = 0;
const errors = {};
while (Date.now() < end) {
  const started = performance.now();
  try {
    await call();
    ok++;
  } catch (err) {
    failed++;
    const key = String(err?.code ?? err?.message ?? err).slice(0, 60);
    errors[key] = (errors[key] ?? 0) + 1;
  }
  latencies.push(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, Number(pauseMs)));
}
process.stdout.write(`${JSON.stringify({ sdk, ok, failed, errors, latencies })}\n`);
