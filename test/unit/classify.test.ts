import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import {
  classifyAnswer,
  classifyFailure,
  errorMessage,
  isRefusedCreate,
  type Answer,
} from '../../src/docspace/classify.js';
import { DocspaceError, ServiceError } from '../../src/errors.js';
import { isPassingStatus, parseRetryAfter } from '../../src/retry-table.js';

const CREATE = 'POST /api/2.0/people';
const INVITE = 'POST /api/2.0/people/invite';
const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const now = () => NOW;

function answer(status: number, body?: unknown, retryAfter?: string): Answer {
  return { status, body, retryAfter };
}

function apiError(status: number, message: string): Record<string, unknown> {
  return { error: { message, type: 'System.ArgumentException' }, status: 1, statusCode: status };
}

/** Runs `fn`, expects a DocspaceError, returns it for further checks. */
function docspaceErrorOf(fn: () => unknown): DocspaceError {
  try {
    fn();
  } catch (err: unknown) {
    assert.ok(err instanceof DocspaceError, `expected DocspaceError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a DocspaceError, nothing was thrown');
}

describe('classifyAnswer', () => {
  it('when DocSpace answers 200 with an envelope, then it returns the response', () => {
    const user = { id: '7d4f3c2a-1b2c-4d5e-8f90-123456789abc', email: 'alice@example.com' };
    const body = { response: user, count: 1, status: 0, statusCode: 200 };

    assert.deepEqual(classifyAnswer(CREATE, answer(200, body)), user);
  });

  it('when the envelope response is null or false, then that value is returned', () => {
    assert.equal(classifyAnswer(CREATE, answer(200, { response: null, status: 0 })), null);
    assert.equal(classifyAnswer(CREATE, answer(200, { response: false, status: 0 })), false);
  });

  for (const [title, body] of [
    ['an HTML page', '<html><body>Portal</body></html>'],
    ['an object without response', { status: 0, statusCode: 200 }],
    ['an envelope flagged status 1', { response: {}, status: 1, statusCode: 200 }],
    ['an array', [{ response: {} }]],
    ['no body', undefined],
  ] as const) {
    it(`when DocSpace answers 200 with ${title}, then it throws a lasting error naming DOCSPACE_URL`, () => {
      const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(200, body)));

      assert.equal(err.kind, 'lasting');
      assert.equal(err.code, 'ERR_DOCSPACE_LASTING');
      assert.equal(err.status, 200);
      assert.equal(err.endpoint, CREATE);
      assert.equal(
        err.message,
        `${CREATE} answered 200 with a body that is not a DocSpace envelope; is DOCSPACE_URL the portal's address?`,
      );
    });
  }

  it('when DocSpace answers 400 with error.message, then it throws a lasting error quoting it', () => {
    const body = apiError(400, 'User with this email is already registered');

    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(400, body)));

    assert.equal(err.kind, 'lasting');
    assert.equal(err.code, 'ERR_DOCSPACE_LASTING');
    assert.equal(err.status, 400);
    assert.equal(err.rateLimited, false);
    assert.equal(err.retryAfterMs, undefined);
    assert.equal(err.message, `${CREATE} answered 400: User with this email is already registered`);
  });

  it('when DocSpace answers an error, then its own text (any language) is kept apart as upstreamMessage, so nothing parses our message', () => {
    const german = 'Benutzer deaktiviert: gone@example.com';
    const err = docspaceErrorOf(() => classifyAnswer(INVITE, answer(400, apiError(400, german))));
    assert.equal(err.upstreamMessage, german);
    const down = docspaceErrorOf(() => classifyAnswer(CREATE, answer(503, undefined)));
    assert.equal(down.upstreamMessage, undefined, 'no DocSpace body, no DocSpace text');
  });

  it('when DocSpace answers 400 with validation errors, then the message lists field: text', () => {
    const body = {
      response: {
        type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
        title: 'One or more validation errors occurred.',
        status: 400,
        errors: {
          FirstName: ['The field FirstName must be a string with a maximum length of 255.'],
          Email: ['The Email field is not a valid e-mail address.'],
        },
      },
      count: 1,
      status: 1,
      statusCode: 400,
    };

    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(400, body)));

    assert.equal(err.kind, 'lasting');
    assert.equal(
      err.message,
      `${CREATE} answered 400: FirstName: The field FirstName must be a string with a maximum length of 255.; Email: The Email field is not a valid e-mail address.`,
    );
  });

  it('when DocSpace answers 401, then the lasting error tells to check DOCSPACE_API_KEY', () => {
    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(401, '')));

    assert.equal(err.kind, 'lasting');
    assert.equal(err.status, 401);
    assert.match(err.message, /^POST \/api\/2\.0\/people answered 401: /);
    assert.match(err.message, /DOCSPACE_API_KEY/);
  });

  it('when DocSpace answers 402, then the lasting error mentions the plan or seat quota', () => {
    const body = apiError(402, 'The number of admins exceeds the limit: 3/2.');

    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(402, body)));

    assert.equal(err.kind, 'lasting');
    assert.equal(
      err.message,
      `${CREATE} answered 402: The number of admins exceeds the limit: 3/2.; the portal's plan or seat quota is exhausted`,
    );
  });

  it('when DocSpace answers 403, then the lasting error quotes it and names the likely rights', () => {
    const err = docspaceErrorOf(() =>
      classifyAnswer(CREATE, answer(403, apiError(403, 'Access denied'))),
    );

    assert.equal(err.kind, 'lasting');
    assert.match(err.message, /^POST \/api\/2\.0\/people answered 403: Access denied; /);
    assert.match(err.message, /DocSpace admin/);
    assert.match(err.message, /inviting is switched off/);
  });

  it('when DocSpace answers 404, then the lasting error tells to check DOCSPACE_URL', () => {
    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(404, undefined)));

    assert.equal(err.kind, 'lasting');
    assert.equal(err.status, 404);
    assert.equal(err.message, `${CREATE} answered 404; check DOCSPACE_URL`);
  });

  for (const status of [405, 409, 413, 422, 301]) {
    it(`when DocSpace answers ${status}, then it is lasting`, () => {
      const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(status, undefined)));

      assert.equal(err.kind, 'lasting');
      assert.equal(err.message, `${CREATE} answered ${status}`);
    });
  }

  for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) {
    it(`when DocSpace answers ${status}, then it is passing`, () => {
      const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(status, undefined)));

      assert.equal(err.kind, 'passing');
      assert.equal(err.code, 'ERR_DOCSPACE_PASSING');
      assert.equal(err.status, status);
      assert.equal(err.endpoint, CREATE);
      assert.equal(err.rateLimited, status === 429);
      assert.equal(err.message, `${CREATE} answered ${status}`);
    });
  }

  it('when a 500 carries an error message, then the passing error quotes it', () => {
    const body = apiError(500, 'User with this email is already registered');

    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(500, body)));

    assert.equal(err.kind, 'passing');
    assert.equal(err.message, `${CREATE} answered 500: User with this email is already registered`);
  });

  it('when 429 carries Retry-After: 3, then retryAfterMs is 3000 and it is rate limited', () => {
    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(429, undefined, '3'), now));

    assert.equal(err.kind, 'passing');
    assert.equal(err.rateLimited, true);
    assert.equal(err.retryAfterMs, 3000);
  });

  it('when 503 carries Retry-After as an HTTP date, then retryAfterMs counts from the injected clock', () => {
    const retryAfter = 'Thu, 26 Nov 2026 10:00:30 GMT';

    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(503, '', retryAfter), now));

    assert.equal(err.kind, 'passing');
    assert.equal(err.retryAfterMs, 30_000);
  });

  it('is a ServiceError and an Error, named DocspaceError, without a cause', () => {
    const err = docspaceErrorOf(() => classifyAnswer(CREATE, answer(502, undefined)));

    assert.ok(err instanceof ServiceError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'DocspaceError');
    assert.equal(err.cause, undefined);
  });
});

describe('isPassingStatus', () => {
  it('is true for 408, 425, 429 and 500–599, false for the rest', () => {
    const passing = [200, 301, 400, 401, 403, 404, 408, 425, 429, 499, 500, 501, 599, 600].filter(
      isPassingStatus,
    );

    assert.deepEqual(passing, [408, 425, 429, 500, 501, 599]);
  });
});

describe('classifyFailure', () => {
  for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED']) {
    it(`when a plain error has code ${code}, then it is passing with no status`, () => {
      const cause = Object.assign(new Error(`socket ${code}`), { code });

      const err = classifyFailure(CREATE, cause);

      assert.ok(err instanceof DocspaceError);
      assert.equal(err.kind, 'passing');
      assert.equal(err.code, 'ERR_DOCSPACE_PASSING');
      assert.equal(err.status, undefined);
      assert.equal(err.rateLimited, false);
      assert.equal(err.endpoint, CREATE);
      assert.equal(err.message, `${CREATE} got no answer (${code})`);
    });
  }

  it('when an AxiosError timed out, then it is passing and neither keeps nor shows the API key', () => {
    const config = {
      headers: new AxiosHeaders({ Authorization: 'Bearer sk-secret-key-0123456789' }),
    } as InternalAxiosRequestConfig;
    const timeout = new AxiosError('timeout of 15000ms exceeded', 'ETIMEDOUT', config);

    const err = classifyFailure(CREATE, timeout);

    assert.equal(err.kind, 'passing');
    assert.equal(err.message, `${CREATE} got no answer (ETIMEDOUT)`);
    assert.equal(err.cause, undefined);
    assert.doesNotMatch(JSON.stringify([err.message, err.stack, Object.entries(err)]), /sk-secret/);
  });

  it('when an AxiosError has ERR_NETWORK, then it is passing', () => {
    const err = classifyFailure(CREATE, new AxiosError('Network Error', AxiosError.ERR_NETWORK));

    assert.equal(err.kind, 'passing');
  });

  it('when the error is a TypeError, then it is lasting and quotes the message', () => {
    const err = classifyFailure(
      CREATE,
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    );

    assert.equal(err.kind, 'lasting');
    assert.equal(err.code, 'ERR_DOCSPACE_LASTING');
    assert.equal(err.status, undefined);
    assert.equal(
      err.message,
      `${CREATE} could not be sent: Cannot read properties of undefined (reading 'id')`,
    );
  });

  it('when the error has an unknown code, then it is lasting', () => {
    const err = classifyFailure(CREATE, new AxiosError('bad option', AxiosError.ERR_BAD_OPTION));

    assert.equal(err.kind, 'lasting');
    assert.equal(err.message, `${CREATE} could not be sent: bad option`);
  });

  it('when something that is not an Error is thrown, then it is lasting with its text', () => {
    const err = classifyFailure(CREATE, 'boom');

    assert.equal(err.kind, 'lasting');
    assert.equal(err.message, `${CREATE} could not be sent: boom`);
  });

  it('when a non-string code is present, then it is ignored', () => {
    const err = classifyFailure(CREATE, Object.assign(new Error('odd'), { code: 104 }));

    assert.equal(err.kind, 'lasting');
  });
});

describe('isRefusedCreate: the one "already registered"-style decision', () => {
  const own = (message: string) => ({ error: { message }, status: 1, statusCode: 500 });

  it('when a create is answered 400, DocSpace refused it itself', () => {
    assert.equal(isRefusedCreate(CREATE, 400, own('Incorrect firstname or lastname')), true);
    assert.equal(isRefusedCreate(CREATE, 400, ''), true);
  });

  it("when a create is answered 500 with DocSpace's own error, in any language, it is a refusal", () => {
    for (const message of [
      'User with this email is already registered',
      'Ein Benutzer mit dieser E-Mail-Adresse ist bereits registriert',
      'any text at all',
    ]) {
      assert.equal(isRefusedCreate(CREATE, 500, own(message)), true, message);
    }
  });

  it("when a create is answered 500 without DocSpace's error (a proxy page, nothing), it is a failure", () => {
    assert.equal(isRefusedCreate(CREATE, 500, '<html>Bad gateway</html>'), false);
    assert.equal(isRefusedCreate(CREATE, 500, undefined), false);
    assert.equal(isRefusedCreate(CREATE, 502, own('x')), false);
  });

  it('when another endpoint is refused, it is no create refusal', () => {
    assert.equal(isRefusedCreate('GET /api/2.0/people/email', 500, own('boom')), false);
    assert.equal(isRefusedCreate(INVITE, 400, own('Incorrect email')), false);
  });
});

describe('errorMessage', () => {
  it('returns error.message', () => {
    assert.equal(errorMessage(apiError(400, 'Incorrect email')), 'Incorrect email');
  });

  it('joins validation errors as "Field: text" separated by "; "', () => {
    const body = { response: { errors: { FirstName: ['a', 'b'], Email: 'c' } } };

    assert.equal(errorMessage(body), 'FirstName: a b; Email: c');
  });

  it('prefers error.message over response.errors', () => {
    const body = { error: { message: 'first' }, response: { errors: { X: ['second'] } } };

    assert.equal(errorMessage(body), 'first');
  });

  for (const body of [
    undefined,
    null,
    '',
    'text',
    42,
    [],
    {},
    { error: { message: 7 } },
    { response: [] },
  ]) {
    it(`returns undefined for ${body === undefined ? 'undefined' : JSON.stringify(body)}`, () => {
      assert.equal(errorMessage(body), undefined);
    });
  }
});

describe('parseRetryAfter', () => {
  it('reads whole seconds as milliseconds', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  });

  it('reads an HTTP date relative to the injected clock', () => {
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 10:01:00 GMT', now), 60_000);
  });

  it('turns a date in the past into 0', () => {
    assert.equal(parseRetryAfter('Thu, 26 Nov 2026 09:59:00 GMT', now), 0);
  });

  it('returns undefined when absent, empty or unreadable', () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter('   ', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});

describe('DocspaceError', () => {
  it('carries kind, code, status, endpoint, retryAfterMs and rateLimited', () => {
    const err = new DocspaceError({
      kind: 'passing',
      endpoint: 'POST /api/2.0/people/invite',
      status: 429,
      retryAfterMs: 5000,
      message: 'slow down',
    });

    assert.equal(err.kind, 'passing');
    assert.equal(err.code, 'ERR_DOCSPACE_PASSING');
    assert.equal(err.status, 429);
    assert.equal(err.endpoint, 'POST /api/2.0/people/invite');
    assert.equal(err.retryAfterMs, 5000);
    assert.equal(err.rateLimited, true);
    assert.equal(err.message, 'slow down');
    assert.deepEqual(err.details, []);
  });

  it('is not rate limited without a 429', () => {
    const err = new DocspaceError({ kind: 'lasting', endpoint: CREATE, message: 'x' });

    assert.equal(err.code, 'ERR_DOCSPACE_LASTING');
    assert.equal(err.status, undefined);
    assert.equal(err.retryAfterMs, undefined);
    assert.equal(err.rateLimited, false);
  });
});
