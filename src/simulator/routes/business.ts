import { BUSINESS_RESPONSES, businessCall } from '../endpoints/business.js';
import { queryParam } from '../endpoints/request.js';
import type { WeChatRoute } from './wechat-route.js';

/** The sample business endpoints that use a token (wechat-api.md §9). */
export const BUSINESS_ROUTES: readonly WeChatRoute[] = Object.keys(BUSINESS_RESPONSES).map((url) => ({
  url,
  methods: ['GET'],
  ownerId: (request, state) => state.tokenOwnerId(queryParam(request, 'access_token')),
  handle: (state, request) => businessCall(state, request, url),
}));
