import { describe, expect, it } from 'vitest';
import { parseFlatXml } from '../../src/wechat/event-xml.js';

describe('parseFlatXml', () => {
  it.each([
    [
      'a verify-ticket push (wechat-api.md §8.1)',
      '<xml><AppId>some_appid</AppId><CreateTime>1413192605</CreateTime><InfoType>component_verify_ticket</InfoType><ComponentVerifyTicket>some_verify_ticket</ComponentVerifyTicket></xml>',
      { AppId: 'some_appid', CreateTime: '1413192605', InfoType: 'component_verify_ticket', ComponentVerifyTicket: 'some_verify_ticket' },
    ],
    [
      'CDATA with newlines between fields',
      '<xml><AppId><![CDATA[wxc]]></AppId>\n<CreateTime>1</CreateTime>\n<InfoType><![CDATA[authorized]]></InfoType>\n<AuthorizationCode><![CDATA[queryauthcode@@@a<b]]></AuthorizationCode>\n</xml>',
      { AppId: 'wxc', CreateTime: '1', InfoType: 'authorized', AuthorizationCode: 'queryauthcode@@@a<b' },
    ],
    ['entities outside CDATA', '<xml><A>a&amp;b</A></xml>', { A: 'a&b' }],
    ['the first of a repeated field', '<xml><A>1</A><A>2</A></xml>', { A: '1' }],
    ['not an xml root', '<root><A>1</A></root>', {}],
    ['empty', '', {}],
    ['an envelope', '<xml><AppId><![CDATA[wxc]]></AppId><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>', { AppId: 'wxc', Encrypt: 'abc+/=' }],
  ])('%s', (_name, xml, expected) => {
    expect(parseFlatXml(xml)).toEqual(expected);
  });
});
