import type { SimCall, SimState } from '../../../docspace-sim/server.js';

const PEOPLE = '/api/2.0/people';
const INVITE = '/api/2.0/people/invite';

/** How the checker compares emails: DocSpace's case-insensitive rule, written out independently. */
export const emailOf = (email: string): string => email.trim().toLowerCase();

/**
 * A worker killed at `at`; `uninvited` holds the (lower-cased) emails whose record was not yet
 * `invited` right after it died. An invite call DocSpace accepted before `at` for such a person
 * was never recorded, so the resumed batch sends it again: the one second invitation the rules
 * allow (docs/reliability.md#when-can-a-person-be-in-a-second-invite-call-and-why).
 */
export interface Interruption {
  readonly at: number;
  readonly uninvited: ReadonlySet<string>;
}

export interface RulesInput {
  /** `sim.state()` at the end of the run. */
  readonly sim: SimState;
  /** Every email in a hire the API answered 200 `accepted` for (any case, repeats allowed). */
  readonly accepted: readonly string[];
  /** Emails that had a DocSpace account before the run (seeded; any case). */
  readonly existing: readonly string[];
  readonly batchSize: number;
  /** The final state of each accepted email's record in Redis (keyed by lower-cased email). */
  readonly records: ReadonlyMap<string, string | undefined>;
  readonly interruptions?: readonly Interruption[];
}

export interface RulesReport {
  /** One line per broken rule; empty when every rule holds. */
  readonly violations: string[];
  readonly newPeople: number;
  readonly existingPeople: number;
  readonly creates: number;
  readonly inviteCalls: number;
  readonly largestBatch: number;
  /** People whose invite call went twice because a worker died in the window the rules allow. */
  readonly reinvitedAfterKill: number;
  /** People whose invite call went twice because DocSpace's answer to the first was lost. */
  readonly reinvitedAfterLostAnswer: number;
  /** E-mails DocSpace sent, by kind (activation from `POST /people`, invitation, resend). */
  readonly mails: Readonly<Record<string, number>>;
  /** New people who got more than one e-mail from DocSpace. */
  readonly mailedTwice: number;
}

/**
 * Counts the provisioning rules of docs/design.md on what DocSpace (the simulator) saw:
 * 1. a new email: exactly one committed `POST /people`, and in exactly one committed invite call;
 *    a second one only where the rules' at-least-once allows it: the worker could not know the first
 *    succeeded (it died before recording it, see {@link Interruption}, or the answer was lost);
 * 2. an existing email (any case): in no invite call at all;
 * 3. no invite call names more than `batchSize` people;
 * 4. one DocSpace user per email, none created by an invite call;
 * 8. every accepted hire ends `invited` (new) or `existed` (existing), in DocSpace and in Redis.
 */
export function checkRules(input: RulesInput): RulesReport {
  const violations: string[] = [];
  const { sim } = input;
  const existing = new Set(input.existing.map(emailOf));
  const accepted = new Set(input.accepted.map(emailOf));
  const fresh = [...accepted].filter((email) => !existing.has(email));
  const userIdToEmail = new Map(sim.users.map((u) => [u.id, emailOf(u.email)]));

  const creates = sim.calls.filter((c) => c.method === 'POST' && c.path === PEOPLE);
  const committedCreates = countBy(
    creates.filter((c) => c.committed === true),
    (c) => (c.emails ?? []).map(emailOf),
  );
  const invites = sim.calls.filter((c) => c.path === INVITE && c.method !== 'GET');
  const named = (call: SimCall): string[] =>
    call.emails?.map(emailOf) ?? call.userIds?.map((id) => userIdToEmail.get(id) ?? id) ?? [];
  const committedInvites = new Map<string, SimCall[]>();
  for (const call of invites.filter((c) => c.committed === true)) {
    for (const email of new Set(named(call))) {
      committedInvites.set(email, [...(committedInvites.get(email) ?? []), call]);
    }
  }

  // Rule 1 (and 7: the counts hold across kills).
  let reinvited = 0;
  let lostAnswer = 0;
  for (const email of fresh) {
    const made = committedCreates.get(email) ?? 0;
    if (made !== 1) violations.push(`rule 1: ${email} was created by ${made} calls, not 1`);
    const calls = (committedInvites.get(email) ?? []).sort((a, b) => a.seq - b.seq);
    if (calls.length === 0) violations.push(`rule 1: ${email} was in no successful invite call`);
    for (let i = 1; i < calls.length; i++) {
      const before = calls[i - 1];
      const after = calls[i];
      if (before === undefined || after === undefined) continue;
      // DocSpace acted on the first call, but its answer was lost (reset or never sent).
      const answerLost = before.status === 'reset' || before.status === 0;
      const killed = (input.interruptions ?? []).some(
        (kill) => before.at <= kill.at && kill.at < after.at && kill.uninvited.has(email),
      );
      if (answerLost) lostAnswer += 1;
      else if (killed) reinvited += 1;
      else
        violations.push(
          `rule 1: ${email} was in invite calls #${before.seq} and #${after.seq}: the first was answered, and no worker died before recording it`,
        );
    }
  }

  // Rule 2.
  for (const call of invites) {
    for (const email of named(call)) {
      if (existing.has(email))
        violations.push(`rule 2: existing ${email} is in invite call #${call.seq}`);
    }
  }

  // Rule 3.
  const sizes = invites.map((call) => named(call).length);
  invites.forEach((call, index) => {
    const size = sizes[index] ?? 0;
    if (size > input.batchSize)
      violations.push(`rule 3: invite call #${call.seq} names ${size} > ${input.batchSize}`);
  });

  // Rule 4.
  const usersPerEmail = countBy(sim.users, (u) => [emailOf(u.email)]);
  for (const [email, count] of usersPerEmail) {
    if (count > 1) violations.push(`rule 4: ${email} has ${count} DocSpace users`);
  }
  for (const user of sim.users) {
    if (user.createdVia === 'invite')
      violations.push(`rule 4: ${emailOf(user.email)} was created by an invite call`);
  }

  // Rule 8.
  for (const email of accepted) {
    const state = input.records.get(email);
    const want = existing.has(email) ? 'existed' : 'invited';
    if (state !== want)
      violations.push(`rule 8: ${email} ended ${state ?? 'unknown'}, not ${want}`);
    const users = usersPerEmail.get(email) ?? 0;
    if (users !== 1) violations.push(`rule 8: ${email} has ${users} DocSpace users, not 1`);
  }

  const mails: Record<string, number> = {};
  for (const mail of sim.mails) mails[mail.kind] = (mails[mail.kind] ?? 0) + 1;
  const mailsPerEmail = countBy(sim.mails, (m) => [emailOf(m.to)]);
  for (const email of existing) {
    if (accepted.has(email) && (mailsPerEmail.get(email) ?? 0) > 0)
      violations.push(`rule 2: existing ${email} got an e-mail from DocSpace`);
  }

  return {
    violations,
    mails,
    mailedTwice: fresh.filter((email) => (mailsPerEmail.get(email) ?? 0) > 1).length,
    newPeople: fresh.length,
    existingPeople: [...accepted].filter((email) => existing.has(email)).length,
    creates: creates.length,
    inviteCalls: invites.filter((c) => c.committed === true).length,
    largestBatch: Math.max(0, ...sizes),
    reinvitedAfterKill: reinvited,
    reinvitedAfterLostAnswer: lostAnswer,
  };
}

/** The most requests DocSpace received within any one second (sliding window on arrival times). */
export function busiestSecond(calls: readonly SimCall[]): number {
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= 1_000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

function countBy<T>(
  items: readonly T[],
  keys: (item: T) => readonly string[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    for (const key of keys(item)) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
