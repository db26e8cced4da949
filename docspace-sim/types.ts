/** Shapes shared by the simulator's modules and shown at `GET /sim/state`. */

/** How a user came to exist in the simulator. */
export type CreatedVia = 'people' | 'invite' | 'seed';

/** A DocSpace account as the simulator stores it. `type` is the effective `EmployeeType` int. */
export interface SimUser {
  readonly id: string;
  email: string;
  firstName: string;
  lastName: string;
  userName: string;
  type: number;
  status: number;
  activationStatus: number;
  readonly registrationDate: string;
  terminated?: string;
  readonly createdVia: CreatedVia;
  /** Id of the account that made this one (`createdBy`); absent when unknown (self-registered). */
  readonly createdBy?: string;
}

/** What kind of letter DocSpace would have sent. */
export type MailKind = 'activation' | 'invitation' | 'resend';

/** One e-mail DocSpace would have sent; `at` is ms since the epoch on the sim clock. */
export interface SimMail {
  readonly to: string;
  readonly userId: string;
  readonly kind: MailKind;
  readonly at: number;
}

/** The fault kinds a script entry may ask for. */
export type FaultKind =
  '429' | '5xx' | 'reset' | 'reset-after-commit' | 'hang-after-commit' | 'timeout';

/** Why a call was answered by the fault layer rather than by the API. */
export type FaultCause = FaultKind | 'down' | 'rate-limit' | 'sensitive-limit';

/**
 * One request the simulator received (control routes under `/sim` excepted).
 * `status` is the HTTP status sent, `'reset'` when the socket was destroyed, 0 while unanswered.
 * `committed` is true when the operation took effect (an answered success or an after-commit fault).
 */
export interface SimCall {
  readonly seq: number;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  status: number | 'reset';
  outcome: 'ok' | 'error' | 'fault';
  fault?: FaultCause;
  committed?: boolean;
  emails?: string[];
  userIds?: string[];
}

/** A one-shot fault, consumed by the first request it matches (`path` is a prefix). */
export interface ScriptedFault {
  readonly match?: { readonly method?: string; readonly path?: string };
  readonly kind: FaultKind;
  readonly status?: number;
  readonly retryAfterSec?: number;
}

/** Fault and portal knobs. `null` means "off". */
export interface SimFaults {
  latencyMs: number;
  latencyJitterMs: number;
  script: ScriptedFault[];
  rate429: number;
  rate5xx: number;
  rateReset: number;
  retryAfterSec: number | null;
  rateLimitPerSecond: number | null;
  /** `SensitiveApi` policy on `PUT /people/invite`: at most N calls per 15 minutes (BaseStartup.cs, `RateLimiterPolicy.SensitiveApi`). */
  sensitiveApiPer15Min: number | null;
  /** Most emails one `POST /people/invite` may carry (`MaxEmailInvitations`, UserInvitationLimitHelper.cs). */
  invitationLimit: number | null;
  /**
   * Paid seats (Room admins and DocSpace admins) the plan allows, or null for no limit. Over it a
   * RoomAdmin/DocSpaceAdmin create silently makes a User, and `POST /people/invite` with such types
   * answers 402 for the whole batch (UserController.AddMember, InviteUsers).
   */
  paidSeats: number | null;
  down: boolean;
}

/** Everything the simulator did, as returned by `state()` and `GET /sim/state`. */
export interface SimState {
  /** The portal owner, whose API key every request uses (`GET /people/@self`); not in `users`. */
  keyOwner: SimUser;
  users: SimUser[];
  mails: SimMail[];
  calls: SimCall[];
  faults: SimFaults;
  /** Custom groups with their member ids (terminated members included). */
  groups: { id: string; name: string; members: string[] }[];
  /** Rooms with their shares, user id → `FileShare` integer. */
  rooms: {
    id: number;
    title: string;
    type: string;
    createdBy: string;
    shares: Record<string, number>;
  }[];
  /** Room letters DocSpace would have sent (`notify: true`). */
  roomMails: { roomId: number; userId: string; access: number; at: number }[];
}

/** An answer computed by a handler; `body: undefined` means an empty body. */
export interface SimResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A parsed API request as handlers see it. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body; `undefined` when the body was empty. */
  readonly body: unknown;
  /** Absolute request URL, used for `links[].href`. */
  readonly url: string;
  /** `http://host`, used for `profileUrl`. */
  readonly origin: string;
}
