import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { NO_GRANTS, planFor } from '../../src/domain/rule-plan.js';
import { parseRulesFile, ROOM_ACCESS } from '../../src/domain/rules.js';
import { parseRulesText, RulesFileError } from '../../src/rules/load.js';

const NO_GRANTS_PLAN = NO_GRANTS;
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

describe('the rules file schema', () => {
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
      {
        path: 'rules[0].when',
        message:
          'is empty: name a department, location or title (a rule for everyone is a mistake)',
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

describe('the rules file: problems the issue lists', () => {
  it('when a room id is not a number, a when is empty, or two rules share a when, then each is listed', () => {
    const problems = problemsOf({
      rules: [
        { when: { department: 'Sales' }, rooms: [{ id: 'sales-room', access: 'read' }] },
        { when: {}, groups: ['Everyone'] },
        { when: { department: ' sales ' }, groups: ['Sales'] },
      ],
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      ['rules[0].rooms[0].id', 'rules[1].when', 'rules[2].when'],
    );
    assert.match(problems[2]?.message ?? '', /duplicate of rules\[0\]\.when/);
  });
});

describe('planFor: what a person gets (docs/rules.md)', () => {
  const file = parseRulesFile({
    rules: [
      { when: { department: 'Sales' }, groups: ['Sales'], rooms: [{ id: '7', access: 'read' }] },
      {
        when: { department: ['Sales', 'QA'], location: 'Berlin' },
        groups: ['Berlin office', 'Sales'],
        rooms: [{ id: 7, access: 'editing' }],
        type: 'RoomAdmin',
      },
      { when: { title: 'Head of Sales' }, type: 'DocSpaceAdmin' },
      { when: { title: 'Intern' }, type: 'User' },
    ],
  });

  it('when several rules match, then groups and rooms are their union, the highest access and type win, matching ignores case and spaces', () => {
    const plan = planFor(file, {
      department: ' SALES',
      location: 'berlin',
      title: 'head of sales',
    });
    assert.deepEqual(plan.groups, ['Sales', 'Berlin office']);
    assert.deepEqual(plan.rooms, [{ id: 7, access: 10 }]);
    assert.equal(plan.type, 'DocSpaceAdmin');
    assert.deepEqual(plan.matched, [0, 1, 2]);
  });

  it('when a key the rule names is missing or differs, then the rule does not match', () => {
    assert.deepEqual(planFor(file, { department: 'Sales' }).groups, ['Sales']);
    assert.deepEqual(planFor(file, { location: 'Berlin' }), NO_GRANTS_PLAN);
    assert.deepEqual(planFor(file, { department: 'Sales team' }), NO_GRANTS_PLAN);
    assert.equal(
      planFor(file, { department: 'QA', location: 'Berlin', title: 'Intern' }).type,
      'RoomAdmin',
    );
    assert.deepEqual(planFor(undefined, { department: 'Sales' }), NO_GRANTS_PLAN);
  });
});

describe('parseRulesText: YAML and JSON files', () => {
  it('when the text is not YAML or JSON, or has duplicate keys, then that is the problem, with the file named', () => {
    assert.throws(
      () => parseRulesText('r.json', '{"rules": ['),
      (err: unknown) => {
        assert.ok(err instanceof RulesFileError);
        assert.match(err.message, /r\.json .*1 problem/);
        assert.match(err.problems[0]?.message ?? '', /not valid JSON/);
        return true;
      },
    );
    assert.throws(() => parseRulesText('r.yaml', 'rules: []\nrules: []\n'), RulesFileError);
    assert.deepEqual(parseRulesText('r.yml', 'rules: []\n'), { rules: [] });
  });
});
