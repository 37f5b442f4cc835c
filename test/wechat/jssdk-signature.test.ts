import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NONCE_LENGTH,
  NONCE_ALPHABET,
  cardSignature,
  cardSigningString,
  jssdkSignature,
  jssdkSigningString,
  newNonceStr,
  signedUrl,
  verifyCardSignature,
  verifyJssdkSignature,
} from '../../src/wechat/index.js';

// WeChat's published JS-SDK example (JS-SDK 附录1; WeCom doc 90506 uses the same one): wechat-api.md §6.2 and
// wechat-open-platform.md §4.2, where both signatures were recomputed with sha1sum.
const TICKET = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';
const NONCE = 'Wm3WZYTPz0wzccnW';
const TIMESTAMP = 1414587457;

describe('jssdkSignature', () => {
  it.each([
    // The current doc revision.
    ['http://mp.weixin.qq.com?params=value', '0f9de62fce790f9a083d5c99e95740ceb90c27ed'],
    // The older doc revision.
    ['http://mp.weixin.qq.com', 'f4d90daf4b3bca3078ab155816175ba34c443a7b'],
    // The fragment is not signed: WeChat takes the URL before '#'.
    ['http://mp.weixin.qq.com?params=value#/page?x=1', '0f9de62fce790f9a083d5c99e95740ceb90c27ed'],
    ['http://mp.weixin.qq.com#', 'f4d90daf4b3bca3078ab155816175ba34c443a7b'],
  ])('published vector: url %s', (url, signature) => {
    expect(jssdkSignature({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url })).toBe(signature);
    expect(jssdkSignature({ ticket: TICKET, nonceStr: NONCE, timestamp: String(TIMESTAMP), url })).toBe(signature);
    expect(verifyJssdkSignature({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url }, signature)).toBe(true);
    expect(verifyJssdkSignature({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url }, signature.toUpperCase())).toBe(true);
  });

  it('builds string1 exactly as the published example, with raw (unescaped) values', () => {
    expect(jssdkSigningString({ ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: 'http://mp.weixin.qq.com?params=value' })).toBe(
      `jsapi_ticket=${TICKET}&noncestr=${NONCE}&timestamp=1414587457&url=http://mp.weixin.qq.com?params=value`,
    );
    const url = 'https://example.com/页面?q=a b&x=%2F';
    expect(jssdkSigningString({ ticket: 't', nonceStr: 'n', timestamp: 1, url })).toBe(`jsapi_ticket=t&noncestr=n&timestamp=1&url=${url}`);
  });

  it.each([
    ['ticket', { ticket: `${TICKET}x` }],
    ['nonceStr', { nonceStr: 'Wm3WZYTPz0wzccnX' }],
    ['timestamp', { timestamp: TIMESTAMP + 1 }],
    ['url', { url: 'http://mp.weixin.qq.com?params=value2' }],
    ['url (escaped)', { url: 'http%3A%2F%2Fmp.weixin.qq.com%3Fparams%3Dvalue' }],
  ])('any changed field (%s) fails verification', (_field, change) => {
    const input = { ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: 'http://mp.weixin.qq.com?params=value', ...change };
    expect(verifyJssdkSignature(input, '0f9de62fce790f9a083d5c99e95740ceb90c27ed')).toBe(false);
  });

  it('rejects signatures of the wrong length or type without throwing', () => {
    const input = { ticket: TICKET, nonceStr: NONCE, timestamp: TIMESTAMP, url: 'http://mp.weixin.qq.com' };
    expect(verifyJssdkSignature(input, '')).toBe(false);
    expect(verifyJssdkSignature(input, 'f4d90daf4b3bca3078ab155816175ba34c443a7')).toBe(false);
    expect(verifyJssdkSignature(input, 42 as unknown as string)).toBe(false);
    expect(verifyJssdkSignature(input, `é${'f'.repeat(39)}`)).toBe(false); // 40 characters, 41 bytes
  });

  it.each([
    ['http://a/b', 'http://a/b'],
    ['http://a/b#c', 'http://a/b'],
    ['http://a/b?x#c#d', 'http://a/b?x'],
  ])('signedUrl(%s) = %s', (url, expected) => expect(signedUrl(url)).toBe(expected));
});

describe('cardSignature (wx_card, 卡券)', () => {
  it('published vector: wechatpy tests/test_utils.py test_wechat_card_signer (values 789, 456, 123)', () => {
    // wechatpy/wechatpy@037d1b579522d8a40af26463854fa190fb56ca1b tests/test_utils.py: WeChatSigner.add_data('789'),
    // ('456'), ('123') → 'f7c3bc1d808e04732adf679965ccc34ca7ae3441' (sorted, joined without keys, SHA-1).
    expect(cardSigningString(['789', '456', '123'])).toBe('123456789');
    expect(cardSignature(['789', '456', '123'])).toBe('f7c3bc1d808e04732adf679965ccc34ca7ae3441');
    expect(verifyCardSignature(['123', '789', '456'], 'F7C3BC1D808E04732ADF679965CCC34CA7AE3441')).toBe(true);
  });

  it('sorts values as strings (not numbers) and includes every value given, the ticket among them', () => {
    // As WxJava's createCardApiSignature: optional params + timestamp + nonce + api_ticket, sorted, concatenated.
    expect(cardSigningString([1404896688, 'jonyqin', 'ticketB', 'card_A', '10'])).toBe('101404896688card_AjonyqinticketB');
    expect(cardSigningString(['b', 'a', 'B', '2', '10'])).toBe('102Bab');
    expect(verifyCardSignature(['a', 'b'], cardSignature(['a', 'b', 'c']))).toBe(false);
  });
});

describe('newNonceStr', () => {
  it('draws letters and digits of the asked length from the injected bytes', () => {
    const bytes = (size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => i);
    expect(newNonceStr(bytes)).toBe(NONCE_ALPHABET.slice(0, DEFAULT_NONCE_LENGTH));
    expect(newNonceStr(bytes, 3)).toBe('ABC');
  });

  it('rejects bytes that would bias the choice (248-255) and draws again', () => {
    let call = 0;
    const bytes = (size: number): Uint8Array => (call++ === 0 ? new Uint8Array(size).fill(255) : new Uint8Array(size).fill(61));
    expect(newNonceStr(bytes, 4)).toBe('9999');
    expect(call).toBe(2);
  });

  it('validates the length', () => {
    const bytes = (size: number): Uint8Array => new Uint8Array(size);
    expect(() => newNonceStr(bytes, 0)).toThrow(/nonce length/);
    expect(() => newNonceStr(bytes, 1.5)).toThrow(/nonce length/);
  });
});
