import type { z } from 'zod';
import type { ErrorDetail } from '../errors.js';

/**
 * zod's issues as the `details` of our error body (`[{path, message}]`), one per problem. Paths
 * read as they would in JavaScript (`data[3].email`); the root is `""`.
 *
 * Two issue kinds are unfolded so that every problem keeps its own path:
 * - `unrecognized_keys` (a strict object): one detail per unknown key, at that key;
 * - `invalid_union`: zod tries every option. An option refused at its root for its type (an array
 *   where an object was expected) is the wrong shape, not a problem of the value; when exactly one
 *   option got past that, its problems are the value's. Otherwise the union's own message stands.
 */
export function problemsOf(issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  collect(issues, [], details);
  return details;
}

function collect(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  details: ErrorDetail[],
): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        details.push({ path: pathText([...path, key]), message: issue.message });
    } else if (issue.code === 'invalid_union') {
      const shaped = issue.errors.filter((option) => !option.every(isRootTypeMismatch));
      const [only] = shaped;
      if (shaped.length === 1 && only !== undefined) collect(only, path, details);
      else details.push({ path: pathText(path), message: issue.message });
    } else {
      details.push({ path: pathText(path), message: issue.message });
    }
  }
}

function isRootTypeMismatch(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_type' && issue.path.length === 0;
}

/** `['data', 3, 'email']` → `data[3].email`. */
export function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}
