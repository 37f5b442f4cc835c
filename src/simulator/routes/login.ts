import { JSCODE2SESSION_PATH, OAUTH2_ACCESS_TOKEN_PATH, jscode2session, oauth2AccessToken } from '../endpoints/login.js';
import { queryParam } from '../endpoints/request.js';
import type { WeChatRoute } from './wechat-route.js';

/** The user-login endpoints that take the AppSecret (docs/simulator.md, "User login"). */
export const LOGIN_ROUTES: readonly WeChatRoute[] = [
  { url: JSCODE2SESSION_PATH, methods: ['GET'], ownerId: (request) => queryParam(request, 'appid'), handle: jscode2session },
  { url: OAUTH2_ACCESS_TOKEN_PATH, methods: ['GET'], ownerId: (request) => queryParam(request, 'appid'), handle: oauth2AccessToken },
];
