import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseRulesFile, ROOM_ACCESS } from '../../src/domain/rules.js';
import { PayloadError } from '../../src/errors.js';

function problemsOf(content: unknown) {
  try {
    parseRulesFile(content);
  } catch (err: unknown) {
    assert.ok(err instanceof PayloadError, `expected PayloadError, got ${String(err)}`);
    return err.details;
  }
  assert.fail('expected the rules file to be refused');
}

describe('the rules file schema (not applied yet)', () => {
  it('when the file is the documented example, then it is read as written, values trimmed', () => {
    const file = parse(`
rules:
  - when: { department: Sales }
    groups: [Sales]
    rooms: [{ id: "1234", access: editing }]
  - when: { department: [Engineering, QA], location: " Berlin " }
    groups: [Engineering, Berlin office]
    type: RoomAdmin
`) as unknown;

    assert.deepEqual(parseRulesFile(file), {
      rules: [
        {
          when: { department: 'Sales' },
          groups: ['Sales'],
          rooms: [{ id: '1234', access: 'editing' }],
        },
        {
          when: { department: ['Engineering', 'QA'], location: 'Berlin' },
          groups: ['Engineering', 'Berlin office'],
          type: 'RoomAdmin',
        },
      ],
    });
    assert.equal(ROOM_ACCESS.editing, 10);
  });

  it('when a file has several mistakes, then every one is listed with its place', () => {
    const problems = problemsOf({
      rules: [
        { when: { departmnet: 'Sales' }, groups: ['Sales'] },
        { when: { department: [] }, rooms: [{ id: '1', access: 'write' }], type: 'Admin' },
        { when: { title: 'CTO' } },
        'Sales',
      ],
    });

    assert.deepEqual(problems, [
      {
        path: 'rules[0].when.departmnet',
        message: 'unknown key (known: department, location, title)',
      },
      { path: 'rules[1].when.department', message: 'empty list' },
      {
        path: 'rules[1].rooms[0].access',
        message: 'must be one of read, editing, content-creator, room-manager',
      },
      { path: 'rules[1].type', message: 'must be one of User, RoomAdmin, DocSpaceAdmin' },
      { path: 'rules[2]', message: 'gives nothing: add groups, rooms or type' },
      { path: 'rules[3]', message: 'must be a map' },
    ]);
  });

  it('when the file is not a map with rules, then that is the one problem', () => {
    assert.deepEqual(problemsOf(['rule']), [
      { path: '', message: 'the file must be a map with "rules"' },
    ]);
  });
});
