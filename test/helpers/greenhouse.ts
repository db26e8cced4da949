import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Greenhouse's documented example payloads, copied verbatim (then formatted) from
 * grnhse/greenhouse-api-docs source/includes/webhooks/_candidate_events.md.
 */
const FIXTURES = new URL('../fixtures/greenhouse/', import.meta.url);

/** The raw text of a fixture (`hire-candidate.json`, `candidate-stage-change.json`). */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export interface Candidate {
  id: number;
  first_name: string;
  last_name: string;
  email_addresses: { value: string; type: string }[];
}

/** The documented `hire_candidate` body, parsed, with `edit` applied to its candidate. */
export function hireCandidate(edit: (candidate: Candidate) => void = () => undefined): unknown {
  const body = JSON.parse(fixtureText('hire-candidate.json')) as {
    payload: { application: { candidate: Candidate } };
  };
  edit(body.payload.application.candidate);
  return body;
}

/**
 * JSON as Greenhouse writes it (Ruby on Rails): `<`, `>`, `&` and every non-ASCII character
 * escaped as `\uXXXX` ("Greenhouse will escape Unicode characters when they are encoded as JSON
 * before computing the signature"), so tests sign and send exactly such bytes.
 */
export function greenhouseJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u0080-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The `Signature` header Greenhouse sends: `sha256 ` + hex HMAC-SHA256 of the exact body. */
export function signGreenhouse(secret: string, raw: string | Buffer): string {
  return `sha256 ${createHmac('sha256', secret).update(raw).digest('hex')}`;
}
