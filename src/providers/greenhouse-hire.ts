import { isValidEmail } from '../domain/email.js';
import type { Hire } from '../domain/hire.js';
import { PayloadError } from '../errors.js';
import type { HireItem } from '../domain/hire-item.js';
import { isObject } from '../domain/is-object.js';

/** `GREENHOUSE_EMAIL`: which of the candidate's addresses may become the DocSpace login. */
export const EMAIL_POLICIES = ['work-only', 'any'] as const;
export type EmailPolicy = (typeof EMAIL_POLICIES)[number];

/**
 * The order addresses are tried in. Greenhouse types each one `personal`, `work` or `other`
 * (https://developers.greenhouse.io/webhooks.html#common-attributes,
 * `application.candidate.email_addresses[].type`); a type it may add later counts as `other`.
 */
const ORDER: Readonly<Record<EmailPolicy, readonly string[]>> = {
  'work-only': ['work'],
  any: ['work', 'personal', 'other'],
};

type Json = Record<string, unknown>;

/**
 * One `hire_candidate` application as a hire. The payload is complete
 * (https://developers.greenhouse.io/webhooks.html#candidate-hired), so nothing is fetched:
 * - `hireId`: `candidate.id`, the person, stable across their applications and re-hires (the
 *   application id names one application to one job);
 * - `email`: the first address DocSpace accepts, in the order `policy` allows (work first);
 * - `title`: `jobs[0].name`, the job hired for (`candidate.title` is the title they came with);
 * - `department`: `jobs[0].departments[0].name`; `startDate`: `offer.starts_at` (YYYY-MM-DD).
 * `application.job` is the deprecated single-job form of `jobs[]`, read when `jobs` is empty.
 *
 * A candidate without a usable address becomes an `invalid` item: the job fails at once, with the
 * reason, in the operators' failed list, rather than vanishing in a 200.
 */
export function hireItemOf(application: Json, policy: EmailPolicy, source: string): HireItem {
  const candidate = application['candidate'];
  if (!isObject(candidate)) {
    throw new PayloadError('"payload.application.candidate" must be an object', [
      { path: 'payload.application.candidate', message: 'required' },
    ]);
  }
  const hireId = idOf(candidate['id']);
  if (hireId === undefined) {
    throw new PayloadError('"payload.application.candidate.id" is missing', [
      { path: 'payload.application.candidate.id', message: 'required' },
    ]);
  }
  const chosen = chooseEmail(candidate['email_addresses'], policy);
  if (typeof chosen !== 'string') {
    return { kind: 'invalid', source, hireId, reason: noEmailReason(hireId, policy, chosen) };
  }
  const jobs = application['jobs'];
  const job = (Array.isArray(jobs) ? jobs : []).find(isObject) ?? application['job'];
  const departments = isObject(job) ? job['departments'] : undefined;
  const department = Array.isArray(departments) ? departments.find(isObject) : undefined;
  const offer = application['offer'];
  const startDate = isObject(offer) ? text(offer['starts_at']) : undefined;
  const title = isObject(job) ? text(job['name']) : undefined;
  const departmentName = department === undefined ? undefined : text(department['name']);
  const hire: Hire = {
    source,
    hireId,
    email: chosen,
    firstName: text(candidate['first_name']) ?? '',
    lastName: text(candidate['last_name']) ?? '',
    ...(departmentName === undefined ? {} : { department: departmentName }),
    ...(title === undefined ? {} : { title }),
    ...(startDate !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(startDate) ? { startDate } : {}),
  };
  return { kind: 'full', hire };
}

/**
 * The idempotency key of a `hire_candidate` delivery, built only from what its signature covers:
 * the action, the candidate, the application and the offer with its version. All are stable across
 * Greenhouse's retries of one event, and a later re-hire (unhire, then a new offer version) is a new
 * key. Never the `Greenhouse-Event-ID` header, which nothing signs: anyone who saw one signed body
 * could replay it under fresh ids, one job each (issue #10, item 5).
 */
export function deliveryIdOf(action: string, application: Json): string {
  const applicationId = idOf(application['id']);
  const candidate = application['candidate'];
  const candidateId = isObject(candidate) ? idOf(candidate['id']) : undefined;
  const offer = application['offer'];
  const offerId = isObject(offer) ? idOf(offer['id']) : undefined;
  const version = isObject(offer) ? idOf(offer['version']) : undefined;
  return [
    action,
    `candidate-${candidateId ?? ''}`,
    ...(applicationId === undefined ? [] : [`application-${applicationId}`]),
    ...(offerId === undefined ? [] : [`offer-${offerId}-v${version ?? '0'}`]),
  ].join(':');
}

/** What was found when no address qualified: the types seen, and whether any was refused. */
interface NoEmail {
  readonly types: ReadonlySet<string>;
  readonly malformed: boolean;
}

function chooseEmail(list: unknown, policy: EmailPolicy): string | NoEmail {
  const entries = (Array.isArray(list) ? list : []).filter(isObject).flatMap((entry) => {
    const value = text(entry['value']);
    if (value === undefined) return [];
    const raw = text(entry['type'])?.toLowerCase() ?? 'other';
    return [{ value, type: ['work', 'personal'].includes(raw) ? raw : 'other' }];
  });
  let malformed = false;
  for (const type of ORDER[policy]) {
    for (const entry of entries.filter((e) => e.type === type)) {
      if (isValidEmail(entry.value)) return entry.value;
      malformed = true;
    }
  }
  return { types: new Set(entries.map((e) => e.type)), malformed };
}

function noEmailReason(hireId: string, policy: EmailPolicy, found: NoEmail): string {
  const who = `Greenhouse candidate ${hireId}`;
  const again =
    'then hire them again in Greenhouse (unhire, then accept the offer) so that a new ' +
    'hire_candidate arrives: a replay of this job repeats the same payload';
  if (found.types.size === 0) {
    return `${who} has no email address; add a work email in Greenhouse, ${again}`;
  }
  const problems: string[] = [];
  if (found.malformed) {
    problems.push(
      policy === 'any'
        ? 'none of its email addresses is one DocSpace accepts'
        : 'its work email is not an address DocSpace accepts',
    );
  } else if (policy === 'work-only') {
    problems.push('it has no work email');
  }
  const refused = [...found.types].filter((type) => type !== 'work');
  if (policy === 'work-only' && refused.length > 0) {
    problems.push(
      `GREENHOUSE_EMAIL=work-only refuses its ${refused.join(' and ')} email ` +
        '(set GREENHOUSE_EMAIL=any to use it)',
    );
  }
  return `${who}: ${problems.join(', and ')}; add or fix a work email in Greenhouse, ${again}`;
}

/** Greenhouse ids are numbers; strings are taken too (trimmed, non-empty). */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return text(value);
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
