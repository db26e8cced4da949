import type { Hire } from './hire.js';

/** A person the HR system only named: the worker fetches the rest from the HR system's API. */
export interface HireRef {
  readonly source: string;
  readonly employeeId: string;
  /** Anything the adapter needs to fetch (company id, person id…); no personal data. */
  readonly context?: Readonly<Record<string, string>>;
  /**
   * Only if the person was skipped earlier for lacking a work email (an update that may add one):
   * otherwise nothing is fetched or done, so an email change never makes a second account.
   */
  readonly onlyIfAwaitingEmail?: boolean;
  /**
   * An HR update that may move the person between rule groups and rooms (their department,
   * location or title changed: src/providers/mover-events.ts). With `PROVISIONING_RULES` the worker
   * fetches them and, if this service provisioned them, their groups and rooms follow the person as
   * they are now; it never creates an account for it. Without rules nothing is fetched or done.
   * With `onlyIfAwaitingEmail` too, a person waiting for an email is provisioned as that flag says.
   */
  readonly mover?: boolean;
}

/**
 * One hire of a delivery: complete, a reference to fetch, or a person the delivery names but who
 * cannot be provisioned (no usable email…): stored as a job that fails at once with `reason`, so
 * operators see it with the other failures instead of it vanishing in a 200.
 */
export type HireItem =
  | { readonly kind: 'full'; readonly hire: Hire }
  | { readonly kind: 'ref'; readonly ref: HireRef }
  | {
      readonly kind: 'invalid';
      readonly source: string;
      readonly hireId: string;
      readonly reason: string;
    };
