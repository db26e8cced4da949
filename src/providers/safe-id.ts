/**
 * HR ids that may go into an HR API's URL path: letters, digits, "-" and "_", at most 100. The ids
 * BambooHR, Bob and Personio use are numeric strings; anything else (`..`, `/`, `%2F`, `?`) is
 * refused before it can turn a fetch of `/v1/people/{id}` into a call to another path made with the
 * service's credentials (issue #10, item 6). One rule for every provider and for the worker.
 */
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** True when `id` may be put into a URL path as it is. */
export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id);
}

/** What a refused id is told: the rule, for the details of a 400. */
export const SAFE_ID_RULE = 'letters, digits, "-" and "_" only, at most 100';
