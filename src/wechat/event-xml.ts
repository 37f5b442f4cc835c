/**
 * WeChat's push bodies: flat XML, `<xml><Name><![CDATA[value]]></Name><Other>123</Other></xml>`. Only that shape is
 * read (no attributes, no nesting, no entities beyond what CDATA carries), which is all the Open Platform's
 * authorization events and the encrypted envelope use; anything else yields no fields rather than a guess.
 */

/** Maximum size of a push body the hub reads (a verify-ticket envelope is well under 1 KiB). */
export const MAX_PUSH_BODY_BYTES = 64 * 1024;

const FIELD = /<([A-Za-z][A-Za-z0-9_]{0,63})>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g;

/** The fields of a flat XML message, by element name (the first occurrence of each wins). */
export function parseFlatXml(xml: string): Record<string, string> {
  const inner = /^\s*<xml>([\s\S]*)<\/xml>\s*$/.exec(xml)?.[1];
  const fields: Record<string, string> = {};
  if (inner === undefined) return fields;
  for (const match of inner.matchAll(FIELD)) {
    const name = match[1]!;
    if (!(name in fields)) fields[name] = match[2] ?? decodeEntities(match[3] ?? '');
  }
  return fields;
}

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');
}
