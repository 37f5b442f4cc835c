// The two SDKs ship no types; the end-to-end test uses only these members.
declare module 'co-wechat-api' {
  class API {
    constructor(appid: string, appsecret: string);
    prefix: string;
    getAccessToken(): Promise<{ accessToken: string; expireTime: number }>;
    getIp(): Promise<{ ip_list: string[] }>;
    getMenu(): Promise<{ menu: { button: unknown[] } }>;
  }
  export default API;
}

declare module 'wechat-api' {
  type Callback<T> = (err: Error | null, result: T) => void;
  class API {
    constructor(appid: string, appsecret: string);
    endpoint: string;
    getIp(callback: Callback<{ ip_list: string[] }>): void;
    getMenu(callback: Callback<{ menu: { button: unknown[] } }>): void;
  }
  export default API;
}
