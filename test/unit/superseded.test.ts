import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HireRecord } from '../../src/queue/hire-store.js';
import { supersededBecause, terminatedSince } from '../../workers/provision.js';

/** Rule 14's order (workers/provision.ts): which hire job may still schedule or create a person. */
const record = (fields: Partial<HireRecord>): HireRecord => ({
  email: 'a@example.com',
  hireId: 'E-1',
  source: 'hires',
  state: 'scheduled',
  ...fields,
});
const job = (id: string, receivedAt: number, scheduledFor?: number) => ({
  id,
  data: { deliveryId: 'd', receivedAt, ...(scheduledFor === undefined ? {} : { scheduledFor }) },
});

describe('supersededBecause (docs/design.md, rule 14 "The newest event decides")', () => {
  it('two people in one delivery share the acceptance time: the one the record names is the newest', () => {
    const r = record({ latestAt: 100, latestJobId: 'hire-x-1' });
    assert.equal(supersededBecause(r, job('hire-x-1', 100), 3), undefined);
    assert.match(supersededBecause(r, job('hire-x-0', 100), 3)?.reason ?? '', /newer event/);
  });

  it('a job accepted after the recorded newest one goes on (its own record write was lost)', () => {
    const r = record({ latestAt: 100, latestJobId: 'old' });
    assert.equal(supersededBecause(r, job('new', 101), 3), undefined);
  });

  it('without start dates nothing is superseded, except a woken scheduled job', () => {
    const r = record({ latestAt: 100, latestJobId: 'new' });
    assert.equal(supersededBecause(r, job('old', 50), undefined), undefined);
    assert.ok(supersededBecause(r, job('old', 50, 1_000), undefined));
  });

  it('a person already made, or a record Redis lost, never supersedes', () => {
    const made = record({ state: 'invited', latestAt: 100, latestJobId: 'new' });
    assert.equal(supersededBecause(made, job('old', 50), 3), undefined);
    assert.equal(supersededBecause(undefined, job('old', 50), 3), undefined);
  });

  it('a termination accepted after the hire withdraws, unless a cancellation followed it', () => {
    const terminated = record({ state: 'received', terminatedAt: 200 });
    assert.equal(supersededBecause(terminated, job('h', 150), 3)?.withdraw, 200);
    assert.equal(supersededBecause(terminated, job('h', 250), 3), undefined, 'a rehire');
    const cancelled = record({ state: 'received', terminatedAt: 200, cancelledAt: 300 });
    assert.equal(supersededBecause(cancelled, job('h', 150), 3), undefined);
    assert.equal(terminatedSince(cancelled, 150), undefined);
    assert.equal(terminatedSince(terminated, 200), 200, 'a tie: the termination stands');
  });
});
