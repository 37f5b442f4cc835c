/** WeCom's error bodies as the simulator answers them (the format: wechat/wecom-errmsg.ts). */
import { newWeComHint, wecomErrmsg } from '../wechat/wecom-errmsg.js';
import { normaliseIp } from './ip-allow-list.js';
import type { WeChatErrorBody } from './wechat-reply.js';

/** Builds a WeCom error body for a request from `ip` answered at `nowMs`. */
export function wecomError(errcode: number, nowMs: number, random: () => number, ip: string, text?: string): WeChatErrorBody {
  return { errcode, errmsg: wecomErrmsg(errcode, newWeComHint(nowMs, random), normaliseIp(ip), text) };
}
