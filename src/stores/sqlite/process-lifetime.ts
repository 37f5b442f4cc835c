// Process-wide on purpose, like the thing it works around: better-sqlite3's native objects belong to the process's
// Node environment, and a second copy of this module (or a test runner that reloads modules) must add to the same
// list rather than drop its own.
const HELD = Symbol.for('wxtoken.sqliteNativeObjects');

/**
 * Keeps better-sqlite3 objects (a Database, its Statements) reachable until the process exits, so that a garbage
 * collection never destroys them. Returns its argument.
 *
 * Why (found 2026-11-29): better-sqlite3 up to 12 derives its Database and Statement from `node::ObjectWrap`. From
 * Node 24.19 on (seen on 24.21; not on 22.23 or 20.20) that class's destructor removes an environment cleanup hook,
 * which asserts that a Node context is current, and none is in a collection V8 starts on its own (when an
 * allocation needs room; an explicit `gc()` did not abort). So when V8 collects such an object (a statement made
 * by `pragma()`, or a closed store's database and statements), the process aborts with
 * `node::RemoveEnvironmentCleanupHook … Assertion failed: (env) != nullptr`: closing the database does not help,
 * since the JavaScript object outlives it. Objects still alive at exit are destroyed by those cleanup hooks instead,
 * where a context is current. better-sqlite3 13 no longer uses ObjectWrap but needs Node 22 or later.
 *
 * Every open and close of a store therefore leaves its closed database and statements behind: a few kilobytes,
 * once per store opened (a hub opens one).
 */
export function holdForProcessLifetime<T extends object>(value: T): T {
  const holder = process as unknown as Record<symbol, object[] | undefined>;
  (holder[HELD] ??= []).push(value);
  return value;
}
