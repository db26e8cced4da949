import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDays,
  dayIn,
  endOfDay,
  hrDay,
  isTimeZone,
  provisionAt,
  startOfDay,
  terminationEffectiveAt,
} from '../../src/domain/effective-date.js';

const iso = (at: number) => new Date(at).toISOString();

describe('effective dates in HR_TIMEZONE', () => {
  it('a day in UTC begins at 00:00Z and ends at the next 00:00Z', () => {
    assert.equal(iso(startOfDay('2026-12-01', 'UTC')), '2026-12-01T00:00:00.000Z');
    assert.equal(iso(endOfDay('2026-12-31', 'UTC')), '2027-01-01T00:00:00.000Z');
  });

  it('Europe/Berlin: winter +01:00, summer +02:00', () => {
    assert.equal(iso(startOfDay('2026-12-01', 'Europe/Berlin')), '2026-11-30T23:00:00.000Z');
    assert.equal(iso(startOfDay('2026-07-01', 'Europe/Berlin')), '2026-06-30T22:00:00.000Z');
  });

  it('a day across a DST change is 23 hours long (Berlin, 29 March 2026)', () => {
    const start = startOfDay('2026-03-29', 'Europe/Berlin');
    const end = endOfDay('2026-03-29', 'Europe/Berlin');
    assert.equal(end - start, 23 * 3_600_000);
  });

  it('a zone ahead of UTC ends its day before UTC does (Pacific/Auckland)', () => {
    assert.equal(iso(endOfDay('2026-12-31', 'Pacific/Auckland')), '2026-12-31T11:00:00.000Z');
  });

  it('a zone that skipped midnight begins the day at the jump (America/Sao_Paulo, 4 Nov 2018)', () => {
    // Clocks went from 00:00 to 01:00 local (-03:00 → -02:00): the day began at 03:00Z.
    assert.equal(iso(startOfDay('2018-11-04', 'America/Sao_Paulo')), '2018-11-04T03:00:00.000Z');
    assert.equal(
      dayIn('America/Sao_Paulo', startOfDay('2018-11-04', 'America/Sao_Paulo')),
      '2018-11-04',
    );
    assert.equal(
      dayIn('America/Sao_Paulo', startOfDay('2018-11-04', 'America/Sao_Paulo') - 1),
      '2018-11-03',
    );
  });

  it('today is read in the zone: 23:30Z on 30 Nov is already 1 Dec in Berlin', () => {
    const at = Date.parse('2026-11-30T23:30:00Z');
    assert.equal(dayIn('UTC', at), '2026-11-30');
    assert.equal(dayIn('Europe/Berlin', at), '2026-12-01');
  });

  it('a termination without a date takes effect at the end of today in the zone', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    assert.equal(iso(terminationEffectiveAt(undefined, 'UTC', now)), '2026-12-01T00:00:00.000Z');
    assert.equal(iso(terminationEffectiveAt('2026-11-29', 'UTC', now)), '2026-11-30T00:00:00.000Z');
  });

  it('a joiner is made lead days before the start, at 00:00 in the zone; at once when past', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    assert.equal(
      iso(provisionAt('2026-12-30', 3, 'Europe/Berlin', now) ?? 0),
      '2026-12-26T23:00:00.000Z',
    );
    assert.equal(provisionAt('2026-12-02', 3, 'UTC', now), undefined);
    assert.equal(provisionAt('2026-12-30', undefined, 'UTC', now), undefined);
    assert.equal(provisionAt('soon', 3, 'UTC', now), undefined);
    assert.equal(provisionAt(undefined, 3, 'UTC', now), undefined);
  });

  it('reads HR dates strictly: the day part of a date-time, never an impossible day', () => {
    assert.equal(hrDay('2026-12-01T00:00:00Z'), '2026-12-01');
    assert.equal(hrDay('2026-02-30'), undefined);
    assert.equal(hrDay('12/01/2026'), undefined);
    assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  });

  it('knows IANA zones and refuses others', () => {
    assert.equal(isTimeZone('Europe/Berlin'), true);
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });
});
