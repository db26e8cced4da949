import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shownTermination } from '../../src/domain/hr-termination.js';
import { toEmployment as bambooEmployment } from '../../src/providers/bamboohr-api.js';
import { toEmployment as bobEmployment } from '../../src/providers/hibob-api.js';

const TODAY = '2026-06-15';
const person = { source: 'x', hireId: '1', email: 'a@example.com' };

describe('the termination an HR record shows (src/domain/hr-termination.ts, rule 12)', () => {
  it('is the termination date, past or ahead, on or after the start date', () => {
    for (const date of ['2026-06-10', TODAY, '2026-07-31']) {
      assert.equal(shownTermination({ ...person, terminationDate: date }, TODAY), date);
    }
    const sameDay = { ...person, terminationDate: '2026-03-01', startDate: '2026-03-01' };
    assert.equal(shownTermination(sameDay, TODAY), '2026-03-01');
    // An ISO date-time is read as the day HR meant.
    const dateTime = { ...person, terminationDate: '2026-06-30T00:00:00.000Z' };
    assert.equal(shownTermination(dateTime, TODAY), '2026-06-30');
  });

  it('is none without a date, before the latest start (a rehire), or past while still employed', () => {
    assert.equal(shownTermination(person, TODAY), undefined);
    assert.equal(shownTermination({ ...person, terminationDate: 'not a date' }, TODAY), undefined);
    const rehired = { ...person, terminationDate: '2025-12-31', startDate: '2026-02-01' };
    assert.equal(shownTermination(rehired, TODAY), undefined);
    const undone = { ...person, terminationDate: '2026-06-14', active: true };
    assert.equal(shownTermination(undone, TODAY), undefined);
    // Still employed on the day itself or before it: the status turns when the day ends.
    for (const date of [TODAY, '2026-06-20']) {
      assert.equal(
        shownTermination({ ...person, terminationDate: date, active: true }, TODAY),
        date,
      );
    }
    assert.equal(
      shownTermination({ ...person, terminationDate: '2026-06-14', active: false }, TODAY),
      '2026-06-14',
    );
  });
});

describe('reading a leaver from the HR APIs', () => {
  it('BambooHR: Get Employee fields, "0000-00-00" as unset, status Active/Inactive', () => {
    // Field names and values: https://documentation.bamboohr.com/docs/list-of-field-names.
    assert.deepEqual(
      bambooEmployment('42', {
        id: '42',
        workEmail: ' lou@example.com ',
        status: 'Inactive',
        terminationDate: '2026-06-12',
        hireDate: '2021-04-01',
      }),
      {
        source: 'bamboohr',
        hireId: '42',
        email: 'lou@example.com',
        terminationDate: '2026-06-12',
        startDate: '2021-04-01',
        active: false,
      },
    );
    assert.deepEqual(
      bambooEmployment('43', { id: '43', status: 'Active', terminationDate: '0000-00-00' }),
      { source: 'bamboohr', hireId: '43', email: '', active: true },
    );
  });

  it('Bob: internal.terminationDate and work.startDate from the slash keys or the nested ones', () => {
    // Bob answers each field twice (https://apidocs.hibob.com/docs/people-read-api-contract).
    assert.deepEqual(
      bobEmployment('7', {
        '/root/email': { value: 'noa@example.com' },
        '/internal/terminationDate': { value: '2026-07-31' },
        work: { startDate: '2020-01-06' },
      }),
      {
        source: 'hibob',
        hireId: '7',
        email: 'noa@example.com',
        terminationDate: '2026-07-31',
        startDate: '2020-01-06',
      },
    );
    assert.deepEqual(
      bobEmployment('8', { email: 'x@example.com', internal: { terminationDate: null } }),
      {
        source: 'hibob',
        hireId: '8',
        email: 'x@example.com',
      },
    );
  });
});
