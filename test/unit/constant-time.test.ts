import assert from 'node:assert/strict';
import crypto, { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Request, Response } from 'express';
import ts from 'typescript';
import { createSignatureVerifier, signStandardWebhook } from '../../src/domain/signature.js';
import { bearerToken, createTokenCheck } from '../../src/domain/token.js';
import { createAdminAuth } from '../../src/http/admin-auth.js';
import { bambooHrSignature, verifyBambooHr } from '../../src/providers/bamboohr.js';
import { verifySignature as verifyGreenhouse } from '../../src/providers/greenhouse.js';
import { createHibobWebhook } from '../../src/providers/hibob.js';
import { createPersonioWebhook } from '../../src/providers/personio.js';
import type { WebhookRequest } from '../../src/providers/types.js';

/**
 * Every check of a signature or token compares in constant time (issue #5, item 6). Two nets:
 * each verifier is run with a spy on `crypto.timingSafeEqual` (a comparison rewritten with `===`
 * stops calling it, and its test fails), and a scan of src/ finds `===`-style comparisons and
 * `equals`/`includes`-style lookups on anything named like a secret.
 */

const ROOT = join(import.meta.dirname, '..', '..');

let spy: ReturnType<typeof mock.method<typeof crypto, 'timingSafeEqual'>>;
beforeEach(() => {
  spy = mock.method(crypto, 'timingSafeEqual');
  // Named imports of node:crypto follow the module object only after this call.
  syncBuiltinESMExports();
});
afterEach(() => {
  spy.mock.restore();
  syncBuiltinESMExports();
});

/** Runs `check` twice, with the right credential and a wrong one of the same length. */
function expectConstantTime(name: string, check: (right: boolean) => boolean): void {
  for (const right of [true, false]) {
    const before = spy.mock.callCount();
    assert.equal(check(right), right, `${name}: ${right ? 'right' : 'wrong'} credential`);
    assert.ok(
      spy.mock.callCount() > before,
      `${name} must compare with crypto.timingSafeEqual (${right ? 'right' : 'wrong'} credential)`,
    );
  }
}

function webhookRequest(body: string, headers: Record<string, string>): WebhookRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    raw: Buffer.from(body),
    header: (name) => lower[name.toLowerCase()],
    contentType: 'application/json',
    now: Date.now(),
  };
}

const passes = (verify: () => void): boolean => {
  try {
    verify();
    return true;
  } catch {
    return false;
  }
};

/** Changes one character in the middle: same length (and padding), different value. */
// A different character in every encoding, whatever the case: hex is compared case-insensitively,
// so 'a' → 'A' would not tamper with a hex signature.
const tamper = (value: string) => {
  const mid = Math.floor(value.length / 2);
  return value.slice(0, mid) + (value[mid] === '0' ? '1' : '0') + value.slice(mid + 1);
};

describe('every signature and token check compares in constant time', () => {
  it('Standard Webhooks (/webhooks/hires)', () => {
    const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    const verify = createSignatureVerifier([secret]);
    expectConstantTime('Standard Webhooks', (right) => {
      const headers = signStandardWebhook(secret, 'msg_1', '{}');
      const signature = right ? headers['webhook-signature'] : tamper(headers['webhook-signature']);
      return passes(() =>
        verify(Buffer.from('{}'), { ...headers, 'webhook-signature': signature }),
      );
    });
  });

  it('the metrics token (METRICS_TOKEN, API and worker alike)', () => {
    const token = 'a-long-enough-metrics-token';
    const matches = createTokenCheck(token);
    expectConstantTime('metrics Bearer', (right) =>
      matches(bearerToken(`Bearer ${right ? token : tamper(token)}`)),
    );
  });

  it('the admin token (Bearer and Basic)', () => {
    const token = 'a-long-enough-admin-token';
    const guard = createAdminAuth(token, { basic: true });
    const call = (authorization: string): boolean => {
      let allowed = false;
      const req = { get: () => authorization, method: 'GET', path: '/admin/jobs' };
      const res = {
        setHeader: () => res,
        status: () => res,
        json: () => res,
      };
      guard(req as unknown as Request, res as unknown as Response, () => {
        allowed = true;
      });
      return allowed;
    };
    expectConstantTime('admin Bearer', (right) => call(`Bearer ${right ? token : tamper(token)}`));
    expectConstantTime('admin Basic', (right) =>
      call(`Basic ${Buffer.from(`admin:${right ? token : tamper(token)}`).toString('base64')}`),
    );
  });

  it('BambooHR (X-BambooHR-Signature)', () => {
    const key = 'bamboo-private-key';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = bambooHrSignature(key, Buffer.from('{}'), timestamp);
    expectConstantTime('BambooHR', (right) =>
      passes(() => {
        verifyBambooHr(
          key,
          webhookRequest('{}', {
            'x-bamboohr-timestamp': timestamp,
            'x-bamboohr-signature': right ? signature : tamper(signature),
          }),
        );
      }),
    );
  });

  it('Greenhouse (Signature: sha256 …)', () => {
    const secret = Buffer.from('greenhouse-secret');
    const digest = createHmac('sha256', secret).update('{}').digest('hex');
    expectConstantTime('Greenhouse', (right) =>
      passes(() => {
        verifyGreenhouse(
          secret,
          webhookRequest('{}', { signature: `sha256 ${right ? digest : tamper(digest)}` }),
        );
      }),
    );
  });

  it('HiBob (Bob-Signature)', () => {
    const adapter = createHibobWebhook({ HIBOB_WEBHOOK_SECRET: 'bob-secret' });
    const digest = createHmac('sha512', 'bob-secret').update('{}').digest('hex');
    expectConstantTime('HiBob', (right) =>
      passes(() => {
        adapter.verify(webhookRequest('{}', { 'bob-signature': right ? digest : tamper(digest) }));
      }),
    );
  });

  it('Personio (the token in Authorization)', () => {
    const adapter = createPersonioWebhook('personio-token');
    expectConstantTime('Personio', (right) =>
      passes(() => {
        adapter.verify(
          webhookRequest('{}', {
            authorization: right ? 'personio-token' : tamper('personio-token'),
          }),
        );
      }),
    );
  });
});

/** Names that hold, or are derived from, a secret or a credential. */
const SECRET_NAME = /signature|secret|token|digest|hmac|passw(or)?d|api_?key|credential/i;

/** Comparisons known to be harmless, each with its reason (file, then the expression). */
const ALLOWED: Readonly<Record<string, string>> = {
  // Picks a log message: is the configured key the simulator's public demo key? Not a login check.
  'docspace-sim/main.ts apiKey === DEMO_API_KEY': 'no secret involved',
  // The simulator's own login check: a local test double of DocSpace, never a security boundary.
  'docspace-sim/server.ts keys.has(token)': 'test double',
};

interface Finding {
  readonly where: string;
  readonly key: string;
}

/** An operand's name: `offered`; `signature` for `req.signature`; `digest` for `digest(x)`. */
function nameOf(node: ts.Expression): string | undefined {
  if (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) {
    return nameOf(node.expression);
  }
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) {
    return node.argumentExpression.text;
  }
  if (ts.isCallExpression(node)) return nameOf(node.expression);
  return undefined;
}

/** Operands that only test a shape: undefined, null, '', numbers, booleans, typeof, length. */
function isShapeCheck(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node)) return isShapeCheck(node.expression);
  if (node.kind === ts.SyntaxKind.NullKeyword || node.kind === ts.SyntaxKind.TrueKeyword) {
    return true;
  }
  if (node.kind === ts.SyntaxKind.FalseKeyword || ts.isNumericLiteral(node)) return true;
  if (ts.isIdentifier(node) && node.text === 'undefined') return true;
  if (ts.isStringLiteral(node) && node.text === '') return true;
  if (ts.isTypeOfExpression(node)) return true;
  return ts.isPropertyAccessExpression(node) && node.name.text === 'length';
}

const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);
const LOOKUPS = new Set(['equals', 'compare', 'localeCompare', 'includes', 'has', 'indexOf']);

/** Comparisons in `source` that could leak a secret through timing. */
export function scanSource(file: string, source: string): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  const secretish = (node: ts.Expression) => SECRET_NAME.test(nameOf(node) ?? '');
  const add = (node: ts.Node) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
    findings.push({ where: `${file}:${line + 1}`, key: `${file} ${node.getText()}` });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
      const { left, right } = node;
      if (!isShapeCheck(left) && !isShapeCheck(right) && (secretish(left) || secretish(right))) {
        add(node);
      }
    }
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      LOOKUPS.has(node.expression.name.text) &&
      (secretish(node.expression.expression) || node.arguments.some((a) => secretish(a)))
    ) {
      add(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

describe('no secret is compared with === or a lookup anywhere in src/', () => {
  it('the scan finds what it should (a planted === and a planted includes)', () => {
    const planted = [
      'if (offered === expected) ok();',
      'if (request.signature !== computeSignature(body)) fail();',
      'if (secrets.includes(given)) ok();',
      'if (Buffer.from(sig).equals(expectedDigest)) ok();',
    ].join('\n');
    assert.equal(scanSource('planted.ts', planted).length, 3, 'the two === and the includes');
    assert.equal(
      scanSource(
        'shape.ts',
        'if (token === undefined || secret.length !== 32 || apiKey === "") x();',
      ).length,
      0,
    );
  });

  it('src/ and the simulator have none, except the allowed ones (each with its reason)', () => {
    const files = ['src', 'docspace-sim'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => join(dir, file)),
    );
    const findings = files.flatMap((file) =>
      scanSource(file, readFileSync(join(ROOT, file), 'utf8')),
    );
    const unexplained = findings.filter((f) => ALLOWED[f.key] === undefined);
    assert.deepEqual(
      unexplained.map((f) => `${f.where}: ${f.key}`),
      [],
      'compare secrets with crypto.timingSafeEqual (on digests of equal length)',
    );
    for (const key of Object.keys(ALLOWED)) {
      assert.ok(
        findings.some((f) => f.key === key),
        `allowed comparison no longer found: ${key}`,
      );
    }
  });
});
