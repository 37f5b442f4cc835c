/** Why a refresh ran (a label on events, logs and metrics). */
export type RefreshReason = 'initial' | 'scheduled' | 'expired' | 'invalidated' | 'forced' | 'recovered';

/** What a flight for one credential is asked to achieve. */
export type Intent =
  /** A caller needs a valid value. */
  | { readonly mode: 'ensure'; readonly reason: RefreshReason }
  /** The refresh timer fired: refresh if the value is due (or a crashed refresh left it in doubt). */
  | { readonly mode: 'scheduled' }
  /** A caller reported `badToken`: refresh only if it is still the current value. */
  | { readonly mode: 'invalidate'; readonly badToken: string }
  /** An operator asked for a value other than `previous`. */
  | { readonly mode: 'force'; readonly previous: string | null };
