import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { DEMO_API_KEY, createDocspaceSim } from '../../docspace-sim/server.js';
import type { DocspaceSim, DocspaceSimOptions, SimState } from '../../docspace-sim/server.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const T0 = Date.parse('2026-07-01T10:00:00.000Z');

interface Harness {
  readonly sim: DocspaceSim;
  readonly url: string;
  /** Moves the sim clock forward. */
  readonly advance: (ms: number) => void;
  /** Calls the API with the demo key (or the given headers) and returns status, headers, text. */
  readonly call: (
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<Reply>;
  readonly state: () => Promise<SimState>;
}

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

async function start(t: TestContext, options: Partial<DocspaceSimOptions> = {}): Promise<Harness> {
  let clock = T0;
  const sim = createDocspaceSim({
    apiKeys: [DEMO_API_KEY],
    now: () => clock,
    ...options,
  });
  const { url } = await sim.listen();
  t.after(() => sim.close());
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { Authorization: `Bearer ${DEMO_API_KEY}` },
  ): Promise<Reply> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(2000),
    });
    const text = await res.text();
    const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    return { status: res.status, headers: res.headers, text, json };
  };
  const state = async (): Promise<SimState> => {
    const res = await fetch(`${url}/sim/state`);
    return (await res.json()) as SimState;
  };
  return { sim, url, call, state, advance: (ms) => (clock += ms) };
}

const alice = { firstName: 'Alice', lastName: 'Smith', email: 'Alice.Smith@Example.com', type: 4 };

function errorMessage(reply: Reply): unknown {
  return (reply.json['error'] as Record<string, unknown> | undefined)?.['message'];
}

function modelErrors(reply: Reply): unknown {
  return (reply.json['response'] as Record<string, unknown> | undefined)?.['errors'];
}

function expectError(reply: Reply, status: number, message: string, type?: string): void {
  assert.equal(reply.status, status);
  assert.equal(reply.json['status'], 1);
  assert.equal(reply.json['statusCode'], status);
  assert.equal(errorMessage(reply), message);
  if (type !== undefined) {
    assert.equal((reply.json['error'] as Record<string, unknown>)['type'], type);
  }
}

function expectValidation(reply: Reply, errors: Record<string, string[]>): void {
  assert.equal(reply.status, 400);
  assert.equal(reply.json['status'], 1);
  assert.equal(reply.json['statusCode'], 400);
  const response = reply.json['response'] as Record<string, unknown>;
  assert.equal(response['status'], 400);
  assert.equal(response['title'], 'One or more validation errors occurred.');
  assert.deepEqual(response['errors'], errors);
}

describe('DocSpace simulator: authentication', () => {
  it('when the key is missing, unknown or sent without Bearer, then 401 with an empty body', async (t) => {
    const h = await start(t);
    const cases: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer sk-unknown' },
      { Authorization: DEMO_API_KEY },
      { Authorization: `Basic ${DEMO_API_KEY}` },
    ];
    for (const headers of cases) {
      const reply = await h.call('POST', '/api/2.0/people', alice, headers);
      assert.equal(reply.status, 401);
      assert.equal(reply.text, '');
    }
    assert.equal((await h.state()).users.length, 0);
  });

  it('when an unknown route is called, then 404 in the error envelope (after auth)', async (t) => {
    const h = await start(t);
    expectError(await h.call('GET', '/api/2.0/nothing-here'), 404, 'Not Found');
    assert.equal((await h.call('GET', '/api/2.0/nothing-here', undefined, {})).status, 401);
  });
});

describe('DocSpace simulator: POST /api/2.0/people', () => {
  it('when the body is valid, then 200 with the success envelope and a pending user', async (t) => {
    const h = await start(t);
    const reply = await h.call('POST', '/api/2.0/people', alice);
    assert.equal(reply.status, 200);
    assert.equal(reply.json['status'], 0);
    assert.equal(reply.json['statusCode'], 200);
    assert.equal(reply.json['count'], 1);
    assert.deepEqual(reply.json['links'], [{ href: `${h.url}/api/2.0/people`, action: 'POST' }]);
    const user = reply.json['response'] as Record<string, unknown>;
    assert.match(String(user['id']), GUID);
    assert.equal(user['displayName'], 'Alice Smith');
    assert.equal(user['firstName'], 'Alice');
    assert.equal(user['lastName'], 'Smith');
    assert.equal(user['userName'], 'Alice.Smith');
    assert.equal(user['email'], 'Alice.Smith@Example.com');
    assert.equal(user['status'], 1);
    assert.equal(user['activationStatus'], 2);
    assert.equal(user['isCollaborator'], true);
    assert.equal(user['isRoomAdmin'], false);
    assert.equal(user['isAdmin'], false);
    assert.equal(user['isVisitor'], false);
    assert.equal(user['registrationDate'], '2026-07-01T10:00:00.0000000+00:00');

    const state = await h.state();
    assert.equal(state.users.length, 1);
    assert.equal(state.users[0]?.createdVia, 'people');
    assert.equal(state.users[0].type, 4);
    assert.deepEqual(state.mails, [
      { to: 'Alice.Smith@Example.com', userId: user['id'], kind: 'activation', at: T0 },
    ]);
  });

  it('when the email exists in another case, then 400 "already registered" and no new user', async (t) => {
    const h = await start(t);
    assert.equal((await h.call('POST', '/api/2.0/people', alice)).status, 200);
    const again = { ...alice, email: 'alice.smith@EXAMPLE.com' };
    const reply = await h.call('POST', '/api/2.0/people', again);
    expectError(
      reply,
      400,
      'User with this email is already registered',
      'System.ArgumentException',
    );
    const state = await h.state();
    assert.equal(state.users.length, 1);
    assert.equal(state.mails.length, 1);
  });

  it('when the server is legacy (≤ v3.0), then a duplicate answers 500 with the same text', async (t) => {
    const h = await start(t, { legacy: true });
    await h.call('POST', '/api/2.0/people', alice);
    const reply = await h.call('POST', '/api/2.0/people', alice);
    expectError(reply, 500, 'User with this email is already registered', 'System.Exception');
  });

  it('when the email belongs to a terminated user, then it still counts as registered', async (t) => {
    const h = await start(t);
    h.sim.addUser({ email: 'gone@example.com', firstName: 'Gone', status: 2 });
    const reply = await h.call('POST', '/api/2.0/people', { ...alice, email: 'GONE@example.com' });
    expectError(reply, 400, 'User with this email is already registered');
  });

  it('applies the name rule: letters, marks, apostrophes, spaces and hyphens only', async (t) => {
    const h = await start(t);
    const bad = [
      { firstName: 'R2D2', lastName: 'Smith' },
      { firstName: 'Alice', lastName: 'Smith Jr.' },
      { firstName: '', lastName: 'Smith' },
    ];
    for (const [i, names] of bad.entries()) {
      const reply = await h.call('POST', '/api/2.0/people', {
        ...names,
        email: `bad${i}@example.com`,
        type: 4,
      });
      expectError(reply, 400, 'Incorrect firstname or lastname', 'System.ArgumentException');
    }
    const missing = await h.call('POST', '/api/2.0/people', { email: 'x@example.com', type: 4 });
    expectError(missing, 400, "Value cannot be null. (Parameter 'input')");
    const good = [
      { firstName: "Seán O'Brien-Núñez", lastName: 'Ångström' },
      { firstName: 'Zoë', lastName: '' },
      { firstName: 'Mona' },
    ];
    for (const [i, names] of good.entries()) {
      const reply = await h.call('POST', '/api/2.0/people', {
        ...names,
        email: `good${i}@example.com`,
        type: 4,
      });
      assert.equal(reply.status, 200, JSON.stringify(names));
    }
  });

  it('refuses letters beyond U+FFFF (.NET reads UTF-16 units) and keeps 64 characters of a longer name (varchar(64), MySQL not strict)', async (t) => {
    const h = await start(t);
    const astral = await h.call('POST', '/api/2.0/people', {
      firstName: '𝔄𝔩𝔦𝔠𝔢',
      email: 'fraktur@example.com',
      type: 4,
    });
    expectError(astral, 400, 'Incorrect firstname or lastname', 'System.ArgumentException');
    const long = await h.call('POST', '/api/2.0/people', {
      firstName: 'É'.repeat(70),
      email: 'long@example.com',
      type: 4,
    });
    assert.equal(long.status, 200);
    const user = (await h.state()).users.find((u) => u.email === 'long@example.com');
    assert.equal(user?.firstName, 'É'.repeat(64));
  });

  it('applies the email rules and the length limits as model validation', async (t) => {
    const h = await start(t);
    const noEmail = await h.call('POST', '/api/2.0/people', { firstName: 'Alice', type: 4 });
    expectError(noEmail, 400, "Value cannot be null. (Parameter 'address')");
    expectValidation(await h.call('POST', '/api/2.0/people', { ...alice, email: 'not-an-email' }), {
      Email: ['The Email field is not a valid e-mail address.'],
    });
    const long = `${'a'.repeat(250)}@example.com`;
    expectValidation(
      await h.call('POST', '/api/2.0/people', {
        ...alice,
        email: long,
        firstName: 'A'.repeat(256),
      }),
      {
        Email: ['The field Email must be a string with a maximum length of 255.'],
        FirstName: ['The field FirstName must be a string with a maximum length of 255.'],
      },
    );
    const malformed = await h.call('POST', '/api/2.0/people', {
      ...alice,
      email: 'a b@example.com',
    });
    expectError(
      malformed,
      500,
      'The specified string is not in the form required for an e-mail address.',
    );
    assert.equal((await h.state()).users.length, 0);
  });

  it('when type is omitted it creates a Room admin; Guest is refused with 403', async (t) => {
    const h = await start(t);
    const omitted = await h.call('POST', '/api/2.0/people', {
      firstName: 'Rita',
      email: 'rita@example.com',
    });
    assert.equal(omitted.status, 200);
    const rita = omitted.json['response'] as Record<string, unknown>;
    assert.equal(rita['isRoomAdmin'], true);
    assert.equal(rita['isCollaborator'], false);
    const admin = await h.call('POST', '/api/2.0/people', {
      firstName: 'Dora',
      email: 'dora@example.com',
      type: 'docspaceadmin',
    });
    assert.equal((admin.json['response'] as Record<string, unknown>)['isAdmin'], true);
    for (const type of [2, 'Guest']) {
      const reply = await h.call('POST', '/api/2.0/people', { ...alice, type });
      expectError(reply, 403, 'Access denied', 'System.Security.SecurityException');
    }
    // Permission comes before the name check (UserController.AddMember's order).
    const guestBadName = { ...alice, firstName: 'R2D2', type: 'Guest' };
    expectError(await h.call('POST', '/api/2.0/people', guestBadName), 403, 'Access denied');
    expectValidation(await h.call('POST', '/api/2.0/people', { ...alice, type: 'Collaborator' }), {
      '$.type': [
        'The JSON value could not be converted to ASC.Core.Users.EmployeeType. Path: $.type.',
      ],
      inDto: ['The inDto field is required.'],
    });
    const state = await h.state();
    assert.deepEqual(
      state.users.map((u) => [u.email, u.type]),
      [
        ['rita@example.com', 1],
        ['dora@example.com', 3],
      ],
    );
  });

  it('when the body is not JSON or empty, then 400 in the validation-problem shape', async (t) => {
    const h = await start(t);
    const garbage = await h.call('POST', '/api/2.0/people', 'email=alice');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.json['status'], 1);
    const errors = modelErrors(garbage) as Record<string, string[]>;
    assert.deepEqual(Object.keys(errors), ['$', 'inDto']);
    expectValidation(await h.call('POST', '/api/2.0/people'), {
      '': ['A non-empty request body is required.'],
      inDto: ['The inDto field is required.'],
    });
  });
});

describe('DocSpace simulator: invitations', () => {
  it('invites new emails, skips existing ones silently and lists all pending users', async (t) => {
    const h = await start(t);
    h.sim.addUser({ email: 'old.timer@example.com', firstName: 'Old', lastName: 'Timer' });
    const created = await h.call('POST', '/api/2.0/people', alice);
    const reply = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [
        { email: 'new.one@example.com', type: 'User' },
        { email: 'OLD.TIMER@example.com', type: 4 },
        { email: 'alice.smith@example.com', type: 4 },
        { email: 'new.two@example.com', type: 4 },
      ],
      culture: 'en-US',
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.json['count'], 3);
    const list = reply.json['response'] as Record<string, unknown>[];
    assert.deepEqual(
      list.map((u) => u['displayName']),
      ['Alice Smith', 'new.one@example.com', 'new.two@example.com'],
    );
    assert.equal(list[0]?.['id'], (created.json['response'] as Record<string, unknown>)['id']);
    for (const user of list) {
      assert.equal('email' in user, false);
      assert.equal('status' in user, false);
      assert.equal(user['hasAvatar'], false);
      assert.equal(user['isAnonim'], false);
    }
    const state = await h.state();
    const newOne = state.users.find((u) => u.email === 'new.one@example.com');
    assert.equal(newOne?.status, 4);
    assert.equal(newOne.activationStatus, 2);
    assert.equal(newOne.firstName, '');
    assert.equal(newOne.createdVia, 'invite');
    assert.deepEqual(
      state.mails.map((m) => [m.to, m.kind]),
      [
        ['Alice.Smith@Example.com', 'activation'],
        ['new.one@example.com', 'invitation'],
        ['new.two@example.com', 'invitation'],
      ],
    );
  });

  it('when inviting the same email twice, then only one invitation mail is sent', async (t) => {
    const h = await start(t);
    const body = { invitations: [{ email: 'once@example.com', type: 4 }] };
    assert.equal((await h.call('POST', '/api/2.0/people/invite', body)).status, 200);
    assert.equal((await h.call('POST', '/api/2.0/people/invite', body)).status, 200);
    assert.equal((await h.state()).mails.length, 1);
  });

  it('when an email fails the strict rule mid-batch, then 400 and earlier ones stay processed', async (t) => {
    const h = await start(t);
    const reply = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [
        { email: 'first@example.com', type: 4 },
        { email: 'second@localhost', type: 4 },
        { email: 'third@example.com', type: 4 },
      ],
    });
    expectError(reply, 400, 'Incorrect email', 'System.ArgumentException');
    const state = await h.state();
    assert.deepEqual(
      state.users.map((u) => u.email),
      ['first@example.com'],
    );
    assert.deepEqual(
      state.mails.map((m) => m.to),
      ['first@example.com'],
    );
  });

  it('when an address has a label of more than 63 characters (the @ joins two parts into one), then 400 "Incorrect email"', async (t) => {
    const h = await start(t);
    const reply = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [{ email: `${'a'.repeat(56)}@example.com`, type: 4 }],
    });
    expectError(reply, 400, 'Incorrect email', 'System.ArgumentException');
  });

  it('when a user is terminated, then 400 "User disabled: <email>"; Guest → 403', async (t) => {
    const h = await start(t);
    h.sim.addUser({ email: 'left@example.com', firstName: 'Left', status: 2 });
    const disabled = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [
        { email: 'before@example.com', type: 4 },
        { email: 'Left@example.com', type: 4 },
      ],
    });
    expectError(disabled, 400, 'User disabled: Left@example.com');
    const guest = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [{ email: 'guest@example.com', type: 'Guest' }],
    });
    expectError(guest, 403, 'Access denied');
    assert.deepEqual(
      (await h.state()).users.map((u) => u.email),
      ['left@example.com', 'before@example.com'],
    );
  });

  it('when the server is legacy, then bad entries are skipped silently', async (t) => {
    const h = await start(t, { legacy: true });
    const reply = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [
        { email: 'x@localhost', type: 4 },
        { email: 'guest@example.com', type: 2 },
        { email: 'ok@example.com', type: 4 },
      ],
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(
      (await h.state()).users.map((u) => u.email),
      ['ok@example.com'],
    );
  });

  it('refuses a batch that fails model validation as a whole', async (t) => {
    const h = await start(t);
    expectValidation(await h.call('POST', '/api/2.0/people/invite', {}), {
      Invitations: ['The Invitations field is required.'],
    });
    const tooLong = `${'a'.repeat(250)}@example.com`;
    expectValidation(
      await h.call('POST', '/api/2.0/people/invite', {
        invitations: [
          { email: 'fine@example.com', type: 4 },
          { email: tooLong, type: 4 },
        ],
      }),
      {
        'Invitations[1].Email': [
          "The field Email must be a string or array type with a maximum length of '255'.",
        ],
      },
    );
    h.sim.setFaults({ invitationLimit: 1 });
    expectValidation(
      await h.call('POST', '/api/2.0/people/invite', {
        invitations: [
          { email: 'a@example.com', type: 4 },
          { email: 'b@example.com', type: 4 },
        ],
      }),
      { Invitations: ['Invitation limit is exceeded'] },
    );
    assert.equal((await h.state()).users.length, 0);
  });

  it('PUT /people/invite resends to pending users only and lists the requested users', async (t) => {
    const h = await start(t);
    const seeded = h.sim.addUser({ email: 'active@example.com', firstName: 'Active' });
    const created = await h.call('POST', '/api/2.0/people', alice);
    const id = String((created.json['response'] as Record<string, unknown>)['id']);
    const reply = await h.call('PUT', '/api/2.0/people/invite', {
      userIds: [id, seeded.id],
      resendAll: false,
    });
    assert.equal(reply.status, 200);
    const list = reply.json['response'] as Record<string, unknown>[];
    assert.deepEqual(
      list.map((u) => [u['email'], u['activationStatus']]),
      [
        ['Alice.Smith@Example.com', 2],
        ['active@example.com', 1],
      ],
    );
    assert.deepEqual(
      (await h.state()).mails.map((m) => [m.to, m.kind]),
      [
        ['Alice.Smith@Example.com', 'activation'],
        ['Alice.Smith@Example.com', 'resend'],
      ],
    );
    const noIds = await h.call('PUT', '/api/2.0/people/invite', { resendAll: false });
    expectError(noIds, 500, 'Object reference not set to an instance of an object.');
    const all = await h.call('PUT', '/api/2.0/people/invite', { resendAll: true });
    assert.equal(all.json['count'], 1);
    assert.equal((await h.state()).mails.length, 3);
  });
});

describe('DocSpace simulator: lookups and offboarding', () => {
  it('GET /people/email finds any case, returns terminated users, 404 otherwise', async (t) => {
    const h = await start(t);
    h.sim.addUser({ email: 'Bob@Example.com', firstName: 'Bob', status: 2 });
    const found = await h.call('GET', '/api/2.0/people/email?email=bob%40example.com');
    assert.equal(found.status, 200);
    const bob = found.json['response'] as Record<string, unknown>;
    assert.equal(bob['email'], 'Bob@Example.com');
    assert.equal(bob['status'], 2);
    const missing = await h.call('GET', '/api/2.0/people/email?email=nobody%40example.com');
    expectError(missing, 404, 'The user could not be found');
    const blank = await h.call('GET', '/api/2.0/people/email?email=');
    expectError(blank, 400, "Value cannot be null. (Parameter 'email')");
    const byId = await h.call('GET', `/api/2.0/people/${String(bob['id'])}`);
    assert.equal((byId.json['response'] as Record<string, unknown>)['email'], 'Bob@Example.com');
    const unknownId = await h.call('GET', '/api/2.0/people/00000000-0000-0000-0000-000000000000');
    expectError(unknownId, 404, 'The user could not be found');
  });

  it('terminates, refuses to delete an active user, deletes a terminated one', async (t) => {
    const h = await start(t);
    const user = h.sim.addUser({ email: 'carol@example.com', firstName: 'Carol' });
    const early = await h.call('DELETE', `/api/2.0/people/${user.id}`);
    expectError(early, 403, 'The user is not suspended', 'System.InvalidOperationException');
    const terminated = await h.call('PUT', '/api/2.0/people/status/Terminated', {
      userIds: [user.id],
      resendAll: false,
    });
    assert.equal(terminated.status, 200);
    assert.equal((terminated.json['response'] as Record<string, unknown>[])[0]?.['status'], 2);
    expectError(
      await h.call('PUT', '/api/2.0/people/status/4', { userIds: [user.id] }),
      400,
      'Incorrect status',
    );
    const deleted = await h.call('DELETE', `/api/2.0/people/${user.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json['links'], [
      { href: `${h.url}/api/2.0/people/${user.id}`, action: 'DELETE' },
    ]);
    const again = await h.call('POST', '/api/2.0/people', {
      firstName: 'Carol',
      email: 'carol@example.com',
      type: 4,
    });
    assert.equal(again.status, 200, 'a deleted user no longer reserves the email');
  });

  it('a status change naming the owner (the caller) or an unknown id fails whole with 403; a DocSpace admin is disabled by the owner', async (t) => {
    const h = await start(t);
    const carol = h.sim.addUser({ email: 'carol@example.com', firstName: 'Carol' });
    const admin = h.sim.addUser({
      email: 'dana@example.com',
      firstName: 'Dana',
      type: 'DocSpaceAdmin',
    });
    const owner = (await h.call('GET', '/api/2.0/people/@self')).json['response'] as Record<
      string,
      unknown
    >;
    for (const bad of [String(owner['id']), '00000000-0000-0000-0000-000000000001']) {
      const refused = await h.call('PUT', '/api/2.0/people/status/Terminated', {
        userIds: [carol.id, bad],
      });
      expectError(refused, 403, 'Access denied', 'System.Security.SecurityException');
    }
    const state = await h.state();
    assert.equal(state.users.find((u) => u.id === carol.id)?.status, 1, 'nothing changed');
    const adminDisabled = await h.call('PUT', '/api/2.0/people/status/Terminated', {
      userIds: [admin.id],
    });
    assert.equal(adminDisabled.status, 200);
    const [dto] = adminDisabled.json['response'] as Record<string, unknown>[];
    assert.ok(dto !== undefined);
    assert.equal(dto['isAdmin'], true);
    assert.equal(dto['status'], 2);
    const back = await h.call('PUT', '/api/2.0/people/status/Active', { userIds: [admin.id] });
    assert.equal((back.json['response'] as Record<string, unknown>[])[0]?.['status'], 1);
  });

  it('when the server is legacy (≤ v3.6.1), then an unknown id is dropped and the owner is returned unchanged', async (t) => {
    const h = await start(t, { legacy: true });
    const carol = h.sim.addUser({ email: 'carol@example.com', firstName: 'Carol' });
    const owner = (await h.call('GET', '/api/2.0/people/@self')).json['response'] as Record<
      string,
      unknown
    >;
    const answer = await h.call('PUT', '/api/2.0/people/status/Terminated', {
      userIds: [carol.id, '00000000-0000-0000-0000-000000000001', String(owner['id'])],
    });
    assert.equal(answer.status, 200);
    const users = answer.json['response'] as Record<string, unknown>[];
    assert.deepEqual(
      users.map((u) => [u['id'], u['status']]),
      [
        [carol.id, 2],
        [owner['id'], 1],
      ],
    );
  });
});

describe('DocSpace simulator: faults', () => {
  it('429: Retry-After and no body, consumed once; the next call succeeds', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ script: [{ kind: '429', retryAfterSec: 7 }] });
    const limited = await h.call('POST', '/api/2.0/people', alice);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal(limited.text, '');
    assert.equal((await h.state()).users.length, 0);
    assert.equal((await h.call('POST', '/api/2.0/people', alice)).status, 200);
  });

  it('5xx: the error envelope with the status text; a script entry waits for its match', async (t) => {
    const h = await start(t);
    h.sim.setFaults({
      script: [
        { kind: '5xx', match: { method: 'POST', path: '/api/2.0/people/invite' } },
        { kind: '5xx', status: 502 },
      ],
    });
    const first = await h.call('GET', '/api/2.0/people/email?email=a%40example.com');
    expectError(first, 502, 'Bad Gateway');
    const invite = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [{ email: 'a@example.com', type: 4 }],
    });
    expectError(invite, 503, 'Service Unavailable');
    assert.deepEqual((await h.state()).faults.script, []);
  });

  it('reset: the request fails without an answer and nothing happens', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ script: [{ kind: 'reset' }] });
    await assert.rejects(h.call('POST', '/api/2.0/people', alice), TypeError);
    const state = await h.state();
    assert.equal(state.users.length, 0);
    assert.equal(state.calls[0]?.status, 'reset');
    assert.equal(state.calls[0].outcome, 'fault');
  });

  it('reset-after-commit: the request fails but the user exists and was mailed', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ script: [{ kind: 'reset-after-commit' }] });
    await assert.rejects(h.call('POST', '/api/2.0/people', alice), TypeError);
    const state = await h.state();
    assert.deepEqual(
      state.users.map((u) => u.email),
      ['Alice.Smith@Example.com'],
    );
    assert.equal(state.mails.length, 1);
    assert.equal(state.calls[0]?.committed, true);
    assert.equal(state.calls[0].fault, 'reset-after-commit');
    const retry = await h.call('POST', '/api/2.0/people', alice);
    expectError(retry, 400, 'User with this email is already registered');
  });

  it('timeout and hang-after-commit: no answer; only the latter commits', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ script: [{ kind: 'timeout' }, { kind: 'hang-after-commit' }] });
    const quick = (body: unknown): Promise<Response> =>
      fetch(`${h.url}/api/2.0/people`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${DEMO_API_KEY}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(200),
      });
    await assert.rejects(quick({ ...alice, email: 'timeout@example.com' }));
    await assert.rejects(quick({ ...alice, email: 'hang@example.com' }));
    const state = await h.state();
    assert.deepEqual(
      state.users.map((u) => u.email),
      ['hang@example.com'],
    );
    assert.deepEqual(
      state.calls.map((c) => [c.status, c.fault, c.committed]),
      [
        [0, 'timeout', undefined],
        [0, 'hang-after-commit', true],
      ],
    );
  });

  it('close() ends hung requests', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ script: [{ kind: 'timeout' }] });
    const pending = fetch(`${h.url}/api/2.0/people/email?email=a%40b.com`, {
      headers: { Authorization: `Bearer ${DEMO_API_KEY}` },
    });
    while ((await h.state()).calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await h.sim.close();
    await assert.rejects(pending, TypeError);
  });

  it('rateLimitPerSecond: the N+1-th call in a sliding second gets 429, Retry-After 1', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ rateLimitPerSecond: 2 });
    const lookup = (): Promise<Reply> => h.call('GET', '/api/2.0/people/email?email=a%40b.com');
    assert.equal((await lookup()).status, 404);
    h.advance(500);
    assert.equal((await lookup()).status, 404);
    const limited = await lookup();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.text, '');
    h.advance(501); // the first call left the window
    assert.equal((await lookup()).status, 404);
    assert.equal((await lookup()).status, 429);
  });

  it('down: every API call answers 503 with the error envelope', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ down: true });
    expectError(await h.call('POST', '/api/2.0/people', alice), 503, 'Service Unavailable');
    h.sim.resetFaults();
    assert.equal((await h.call('POST', '/api/2.0/people', alice)).status, 200);
  });

  it('random rates follow the injected random source; latency delays the answer', async (t) => {
    const h = await start(t, { random: () => 0.5 });
    h.sim.setFaults({ rate429: 0.6, retryAfterSec: 3 });
    const limited = await h.call('GET', '/api/2.0/people/email?email=a%40b.com');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    h.sim.setFaults({ rate429: 0, rate5xx: 0.4, rateReset: 0.2 });
    assert.equal((await h.call('GET', '/api/2.0/people/email?email=a%40b.com')).status, 503);
    h.sim.setFaults({ rate5xx: 0, rateReset: 0, latencyMs: 120 });
    const started = performance.now();
    assert.equal((await h.call('GET', '/api/2.0/people/email?email=a%40b.com')).status, 404);
    assert.ok(performance.now() - started >= 110);
  });

  it('sensitiveApiPer15Min limits PUT /people/invite with a long Retry-After', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ sensitiveApiPer15Min: 1 });
    const resend = (): Promise<Reply> =>
      h.call('PUT', '/api/2.0/people/invite', { userIds: [], resendAll: false });
    assert.equal((await resend()).status, 200);
    h.advance(60_000);
    const limited = await resend();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '840');
  });
});

describe('DocSpace simulator: call log and control routes', () => {
  it('records every call with status, outcome, emails and user ids', async (t) => {
    const h = await start(t);
    h.sim.setFaults({ script: [{ kind: '429', match: { path: '/api/2.0/people/invite' } }] });
    await h.call('POST', '/api/2.0/people', alice);
    await h.call('POST', '/api/2.0/people', alice);
    const invite = { invitations: [{ email: 'x@example.com', type: 4 }] };
    await h.call('POST', '/api/2.0/people/invite', invite);
    await h.call('POST', '/api/2.0/people/invite', invite);
    const id = (await h.state()).users[0]?.id ?? '';
    await h.call('PUT', '/api/2.0/people/invite', { userIds: [id] });
    await h.call('GET', '/api/2.0/people/email?email=x%40example.com', undefined, {});
    const { calls } = await h.state();
    assert.deepEqual(
      calls.map((c) => ({ ...c, at: c.at - T0 })),
      [
        {
          seq: 1,
          at: 0,
          method: 'POST',
          path: '/api/2.0/people',
          status: 200,
          outcome: 'ok',
          committed: true,
          emails: ['Alice.Smith@Example.com'],
        },
        {
          seq: 2,
          at: 0,
          method: 'POST',
          path: '/api/2.0/people',
          status: 400,
          outcome: 'error',
          emails: ['Alice.Smith@Example.com'],
        },
        {
          seq: 3,
          at: 0,
          method: 'POST',
          path: '/api/2.0/people/invite',
          status: 429,
          outcome: 'fault',
          fault: '429',
          emails: ['x@example.com'],
        },
        {
          seq: 4,
          at: 0,
          method: 'POST',
          path: '/api/2.0/people/invite',
          status: 200,
          outcome: 'ok',
          committed: true,
          emails: ['x@example.com'],
        },
        {
          seq: 5,
          at: 0,
          method: 'PUT',
          path: '/api/2.0/people/invite',
          status: 200,
          outcome: 'ok',
          committed: true,
          userIds: [id],
        },
        {
          seq: 6,
          at: 0,
          method: 'GET',
          path: '/api/2.0/people/email',
          status: 401,
          outcome: 'error',
          emails: ['x@example.com'],
        },
      ],
    );
  });

  it('logs one line per call and never the key or the Authorization header', async (t) => {
    const lines: string[] = [];
    const h = await start(t, {
      logger: { info: (msg, meta) => lines.push(`${msg} ${JSON.stringify(meta)}`) },
    });
    await h.call('POST', '/api/2.0/people', alice);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /"status":200/);
    assert.equal(lines.join('\n').includes(DEMO_API_KEY), false);
    assert.equal(/authorization/i.test(lines.join('\n')), false);
  });

  it('seeds users, sets faults and resets over HTTP without auth', async (t) => {
    const h = await start(t);
    const post = (path: string, method: string, body?: unknown): Promise<Response> =>
      fetch(`${h.url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const seeded = await post('/sim/users', 'POST', {
      email: 'Dan@example.com',
      firstName: 'Dan',
      type: 'User',
    });
    assert.equal(seeded.status, 201);
    assert.equal((await post('/sim/users', 'POST', { email: 'dan@EXAMPLE.com' })).status, 400);
    const set = await post('/sim/faults', 'PUT', { latencyMs: 5, script: [{ kind: 'reset' }] });
    assert.equal(set.status, 200);
    assert.equal((await post('/sim/faults', 'PUT', { rate429: 2 })).status, 400);
    assert.equal((await post('/sim/faults', 'PUT', { lateny: 5 })).status, 400);
    let state = await h.state();
    assert.equal(state.users[0]?.createdVia, 'seed');
    assert.equal(state.users[0].activationStatus, 1);
    assert.equal(state.faults.latencyMs, 5);
    assert.deepEqual(state.faults.script, [{ kind: 'reset' }]);
    assert.equal((await post('/sim/reset', 'POST')).status, 200);
    state = await h.state();
    assert.equal(state.users.length, 0);
    assert.equal(state.calls.length, 0);
    assert.equal(state.faults.latencyMs, 0);
    assert.deepEqual(state.faults.script, []);
  });
});

describe('DocSpace simulator: the key owner’s language (DOCSPACE_SIM_LANG)', () => {
  it('when the portal answers in German, the resource texts are German (Resource.de.resx); literals stay English', async (t) => {
    const h = await start(t, { lang: 'de' });
    await h.call('POST', '/api/2.0/people', alice);
    expectError(
      await h.call('POST', '/api/2.0/people', alice),
      400,
      'Ein Benutzer mit dieser E-Mail-Adresse ist bereits registriert',
    );
    expectError(
      await h.call('POST', '/api/2.0/people', { ...alice, email: 'x@example.com', firstName: '1' }),
      400,
      'Falscher Vor- oder Nachname',
    );
    expectError(
      await h.call('GET', '/api/2.0/people/email?email=nobody%40example.com'),
      404,
      'Der Benutzer konnte nicht gefunden werden',
    );
    h.sim.addUser({ email: 'gone@example.com', firstName: 'Gone', status: 2 });
    expectError(
      await h.call('POST', '/api/2.0/people/invite', {
        invitations: [{ email: 'gone@example.com', type: 4 }],
      }),
      400,
      'Benutzer deaktiviert: gone@example.com',
    );
    expectError(
      await h.call('POST', '/api/2.0/people', { ...alice, email: 'y@example.com', type: 2 }),
      403,
      'Access denied',
    );
  });
});

describe('DocSpace simulator: the key owner and createdBy', () => {
  it('GET /people/@self is the key owner (isOwner); users made through the API name them in createdBy, seeds name whom they say', async (t) => {
    const h = await start(t);
    const self = await h.call('GET', '/api/2.0/people/@self');
    assert.equal(self.status, 200);
    const owner = self.json['response'] as Record<string, unknown>;
    assert.match(String(owner['id']), GUID);
    assert.equal(owner['isOwner'], true);
    assert.equal(owner['isAdmin'], false, 'the owner is not flagged isAdmin');

    const made = (await h.call('POST', '/api/2.0/people', alice)).json['response'] as Record<
      string,
      unknown
    >;
    assert.equal((made['createdBy'] as Record<string, unknown>)['id'], owner['id']);
    h.sim.addUser({ email: 'b@example.com', firstName: 'B', createdBy: 'someone-else' });
    h.sim.addUser({ email: 'c@example.com', firstName: 'C', registeredAt: '2025-05-05T05:05:05Z' });
    const other = (await h.call('GET', '/api/2.0/people/email?email=b%40example.com')).json[
      'response'
    ] as Record<string, unknown>;
    const creator = other['createdBy'] as Record<string, unknown>;
    assert.notEqual(creator['id'], owner['id']);
    assert.equal(creator['displayName'], 'Other Admin');
    const unknown = (await h.call('GET', '/api/2.0/people/email?email=c%40example.com')).json[
      'response'
    ] as Record<string, unknown>;
    assert.equal('createdBy' in unknown, false, 'no creator known: no createdBy');
    assert.equal(unknown['registrationDate'], '2025-05-05T05:05:05.0000000+00:00', 'seeded date');
    assert.equal((await h.state()).users.length, 3, 'the key owner is not among the users');
  });
});

describe('DocSpace simulator: paid seats (knob paidSeats)', () => {
  it('when the seats are used up, a RoomAdmin create makes a User (200), and invitations of paid types are refused 402 before anything is done, existing emails included', async (t) => {
    const h = await start(t, { paidSeats: 1 });
    const first = await h.call('POST', '/api/2.0/people', { ...alice, type: 1 });
    assert.equal((first.json['response'] as Record<string, unknown>)['isRoomAdmin'], true);
    const second = await h.call('POST', '/api/2.0/people', {
      ...alice,
      email: 'b@example.com',
      type: 1,
    });
    assert.equal(second.status, 200);
    const made = second.json['response'] as Record<string, unknown>;
    assert.equal(made['isRoomAdmin'], false);
    assert.equal(made['isCollaborator'], true, 'UserController.AddMember made a User');

    const refused = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [
        { email: 'b@example.com', type: 1 },
        { email: 'new@example.com', type: 1 },
      ],
    });
    expectError(refused, 402, 'The number of admins exceeds the limit: 2/0.');
    assert.equal((await h.state()).users.length, 2, 'nobody was invited');
    const asUsers = await h.call('POST', '/api/2.0/people/invite', {
      invitations: [{ email: 'b@example.com', type: 4 }],
    });
    assert.equal(asUsers.status, 200, 'User invitations do not count against seats');

    h.sim.setFaults({ paidSeats: null });
    const third = await h.call('POST', '/api/2.0/people', {
      ...alice,
      email: 'c@example.com',
      type: 1,
    });
    assert.equal((third.json['response'] as Record<string, unknown>)['isRoomAdmin'], true);
  });
});
