import { describe, expect, it } from 'vitest';
import { WECOM_ERRMSG, moreInfoUrl, newWeComHint } from '../../src/wechat/wecom-errmsg.js';
import { wecomError } from '../../src/simulator/wecom-reply.js';
import { START, seededRandom } from './helpers.js';

describe('WeCom error bodies', () => {
  it('follow the captured format: text, hint starting with the Unix time, caller IP, more-info link', () => {
    const body = wecomError(45009, START, seededRandom(), '::ffff:122.14.234.1');
    expect(body.errcode).toBe(45009);
    // Shape of the capture in wechat-api.md §7.1 [C17].
    expect(body.errmsg).toMatch(
      /^api freq out of limit, hint: \[\d{25}\], from ip: 122\.14\.234\.1, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=45009$/,
    );
    expect(body.errmsg).toContain(`hint: [${START / 1000}`);
  });

  it.each([...WECOM_ERRMSG])('errcode %i reads "%s"', (errcode, text) => {
    expect(wecomError(errcode, START, seededRandom(), '10.0.0.1').errmsg.startsWith(`${text}, hint: [`)).toBe(true);
  });

  it('takes an explicit text, and hints are drawn from the injected random source', () => {
    expect(wecomError(60020, START, seededRandom(), '10.0.0.9', 'custom').errmsg).toMatch(/^custom, hint: /);
    expect(newWeComHint(START, seededRandom(7))).toBe(newWeComHint(START, seededRandom(7)));
    expect(moreInfoUrl(60020)).toBe('https://open.work.weixin.qq.com/devtool/query?e=60020');
  });
});
