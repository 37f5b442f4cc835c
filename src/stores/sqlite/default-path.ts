/** Where the embedded store lives when no store URL is given. Kept apart so naming it never loads the native module. */
export const DEFAULT_SQLITE_PATH = './wxtoken.db';
