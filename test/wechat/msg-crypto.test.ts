import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageRejectedError } from '../../src/errors/index.js';
import {
  decodeAesKey,
  decryptMessage,
  encryptMessage,
  isEncodingAesKey,
  msgSignature,
  openMessage,
  plainSignature,
  sealMessage,
  signatureMatches,
} from '../../src/wechat/msg-crypto.js';

// Every published vector of ../shared/wechat-open-platform.md §1.4.
const V1 = {
  token: 'QDG6eK',
  key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
};
const V2_ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
const V2_PLAIN =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>';
const V4_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const V5_ENCRYPT =
  'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=';
const V6 = { token: '123456', key: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', receiveId: 'wx49f0ab532d5d035a' };
const V6_REPLY = [
  '<xml>',
  '<MsgType><![CDATA[text]]></MsgType>',
  '<Content><![CDATA[test]]></Content>',
  '<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>',
  '<ToUserName><![CDATA[messense]]></ToUserName>',
  '<AgentID>1</AgentID>',
  '<CreateTime>1411525903</CreateTime>',
  '</xml>',
].join('\n');

/** The last byte of the padded plaintext: WeChat's pad value. */
function padOf(key: Buffer, encrypt: string): number {
  const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  d.setAutoPadding(false);
  const plain = Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
  return plain[plain.length - 1]!;
}

describe('WXBizMsgCrypt: published vectors', () => {
  it('V1: WeCom VerifyURL signature and echostr', () => {
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(msgSignature(V1.token, '1409659589', '263014780', echostr)).toBe('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
    const key = decodeAesKey(V1.key);
    expect(decryptMessage(key, echostr)).toEqual({ message: '1616140317555161061', receiveId: V1.receiveId });
    const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    d.setAutoPadding(false);
    expect(Buffer.concat([d.update(Buffer.from(echostr, 'base64')), d.final()]).subarray(0, 16).toString('utf8')).toBe('c41b64491c2468d0');
  });

  it('V2: WeCom DecryptMsg, pad byte 30 (which Node\'s own unpadding refuses)', () => {
    const key = decodeAesKey(V1.key);
    expect(msgSignature(V1.token, '1409659813', '1372623149', V2_ENCRYPT)).toBe('477715d11cdb4164915debcba66cb864d751f3e6');
    expect(padOf(key, V2_ENCRYPT)).toBe(30);
    const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    expect(() => Buffer.concat([d.update(Buffer.from(V2_ENCRYPT, 'base64')), d.final()])).toThrow();
    expect(
      openMessage({ token: V1.token, key, receiveId: V1.receiveId }, { msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' }, V2_ENCRYPT),
    ).toBe(V2_PLAIN);
  });

  it('V3: WeCom Python sample', () => {
    const echostr = 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==';
    const token = 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo';
    const key = decodeAesKey('6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt');
    expect(msgSignature(token, '1476416373', '47744683', echostr)).toBe('012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb');
    expect(
      openMessage({ token, key, receiveId: 'ww1436e0e65a779aee' }, { msgSignature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb', timestamp: '1476416373', nonce: '47744683' }, echostr),
    ).toBe('1288432023552776189');
  });

  it('V4: deterministic encryption, msg_len in UTF-8 bytes', () => {
    const key = decodeAesKey(V4_KEY);
    const encrypt = encryptMessage(key, 'wxb11529c136998cb6', '我是中文abcd123', Buffer.from('aaaabbbbccccdddd'));
    expect(encrypt).toBe('jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==');
    expect(decryptMessage(key, encrypt)).toEqual({ message: '我是中文abcd123', receiveId: 'wxb11529c136998cb6' });
  });

  it('V5: MP Python sample (receiveid = appid, the Open Platform code path)', () => {
    const key = decodeAesKey(V4_KEY);
    expect(msgSignature('spamtest', '1409735669', '1320562132', V5_ENCRYPT)).toBe('5d197aaffba7e9b25a30732f161a50dee96bd5fa');
    const message = openMessage(
      { token: 'spamtest', key, receiveId: 'wx2c2769f8efd9abc2' },
      { msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa', timestamp: '1409735669', nonce: '1320562132' },
      V5_ENCRYPT,
    );
    expect(message).toContain('<Content><![CDATA[abcdteT]]></Content>');
  });

  it('V6: wechatpy encrypt vector and check_signature', () => {
    const key = decodeAesKey(V6.key);
    const sealed = sealMessage({ ...V6, key }, V6_REPLY, { timestamp: '1411525903', nonce: '461056294', random: Buffer.from('1234567890123456') });
    expect(sealed.encrypt).toBe(
      '9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3',
    );
    expect(sealed.msgSignature).toBe('407518b7649e86ef23978113f92d27afa9296533');
    expect(msgSignature(V6.token, '1411443780', '437374425', '4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==')).toBe(
      'dd6b9c95b495b3f7e2901bfbc76c664930ffdb96',
    );
  });

  it('V7: plain-mode signatures', () => {
    expect(plainSignature('AAAAA', '1714036504', '1514711492')).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
    expect(plainSignature('AAAAA', '1714037059', '486452656')).toBe('899cf89e464efb63f54ddac96b0a0a235f53aa78');
  });
});

describe('WXBizMsgCrypt: rejections', () => {
  const key = decodeAesKey(V4_KEY);
  const config = { token: 'spamtest', key, receiveId: 'wx2c2769f8efd9abc2' };
  const query = { msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa', timestamp: '1409735669', nonce: '1320562132' };

  it('a tampered signature, timestamp, nonce or ciphertext', () => {
    expect(() => openMessage(config, { ...query, msgSignature: '0'.repeat(40) }, V5_ENCRYPT)).toThrow(MessageRejectedError);
    expect(() => openMessage(config, { ...query, timestamp: '1409735670' }, V5_ENCRYPT)).toThrow(/signature/);
    expect(() => openMessage(config, { ...query, nonce: '1' }, V5_ENCRYPT)).toThrow(/signature/);
    expect(() => openMessage(config, query, `A${V5_ENCRYPT.slice(1)}`)).toThrow(/signature/);
    expect(() => openMessage({ ...config, token: 'other' }, query, V5_ENCRYPT)).toThrow(/signature/);
  });

  it('a message addressed to another AppId', () => {
    expect(() => openMessage({ ...config, receiveId: 'wx0000000000000000' }, query, V5_ENCRYPT)).toThrow(/another AppId/);
  });

  it('bad padding: a pad of 0, above 32, or not uniform', () => {
    const sign = (encrypt: string): string => msgSignature(config.token, query.timestamp, query.nonce, encrypt);
    for (const padded of [badlyPadded(key, 0), badlyPadded(key, 33), badlyPadded(key, 5, true)]) {
      expect(() => openMessage(config, { ...query, msgSignature: sign(padded) }, padded)).toThrow(/bad padding/);
    }
  });

  it('a ciphertext that is not whole blocks, or a length that runs past the plaintext', () => {
    expect(() => decryptMessage(key, Buffer.alloc(20).toString('base64'))).toThrow(/AES blocks/);
    expect(() => decryptMessage(key, '')).toThrow(/AES blocks/);
    const plain = Buffer.concat([Buffer.alloc(16), Buffer.from([0, 0, 1, 0]), Buffer.alloc(12, 12)]);
    expect(() => decryptMessage(key, rawEncrypt(key, plain))).toThrow(/length/);
  });

  it('EncodingAESKey: 43 of [A-Za-z0-9] (non-canonical trailing bits accepted, as published)', () => {
    expect(isEncodingAesKey(V1.key)).toBe(true);
    expect(isEncodingAesKey(V4_KEY)).toBe(true);
    expect(isEncodingAesKey(V4_KEY.slice(1))).toBe(false);
    expect(isEncodingAesKey(`${V4_KEY.slice(1)}+`)).toBe(false);
    expect(() => decodeAesKey(`${V4_KEY.slice(1)}!`)).toThrow(MessageRejectedError);
  });

  it('signatureMatches is case-insensitive on the presented hex and refuses other lengths', () => {
    expect(signatureMatches('abc', 'ABC')).toBe(true);
    expect(signatureMatches('abc', 'abcd')).toBe(false);
  });

  it('round-trips every pad length 1..32', () => {
    for (let n = 0; n < 64; n++) {
      const message = 'x'.repeat(n);
      const encrypt = encryptMessage(key, 'wxb11529c136998cb6', message, Buffer.alloc(16, 7));
      expect(decryptMessage(key, encrypt)).toEqual({ message, receiveId: 'wxb11529c136998cb6' });
    }
  });
});

function rawEncrypt(key: Buffer, plain: Buffer): string {
  const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]).toString('base64');
}

/** A well-formed plaintext (32 bytes) followed by 32 bytes ending in `pad` (non-uniform when asked). */
function badlyPadded(key: Buffer, pad: number, nonUniform = false): string {
  const body = Buffer.concat([Buffer.alloc(16), Buffer.from([0, 0, 0, 2]), Buffer.from('hi'), Buffer.from('wx2c2769f8efd9abc2').subarray(0, 10)]);
  const tail = Buffer.alloc(32, pad);
  if (nonUniform) tail[30] = pad + 1;
  return rawEncrypt(key, Buffer.concat([body, tail]));
}
