import type { EmploymentReading } from '../src/domain/hire.js';
import type { HireRef } from '../src/domain/hire-item.js';
import { HrApiError } from '../src/errors.js';
import { isSafeId, SAFE_ID_RULE } from '../src/providers/safe-id.js';
import type { HireFetcher } from '../src/providers/types.js';

/**
 * Reads a leaver's employment from their HR system (docs/design.md, rule 12): for a vendor's
 * leaver event, which only names the person, and again just before the disable. `canRead` says
 * whether the source has an API this worker may read (the generic webhook has none: nothing to
 * read again); `read` throws HrApiError (passing: retried; lasting: the job fails with why).
 */
export function createLeaverReader(fetchers: Readonly<Record<string, HireFetcher>> = {}) {
  const fetcherOf = (source: string) =>
    Object.hasOwn(fetchers, source)
      ? fetchers[source]?.fetchEmployment?.bind(fetchers[source])
      : undefined;
  return {
    canRead: (source: string): boolean => fetcherOf(source) !== undefined,
    async read(ref: HireRef): Promise<EmploymentReading> {
      const endpoint = `${ref.source} employee`;
      // Webhooks refuse such ids already; jobs stored before that rule (or by hand) may not.
      if (!isSafeId(ref.employeeId)) {
        throw new HrApiError({
          kind: 'lasting',
          endpoint,
          message: `the ${ref.source} employee id is not an id (${SAFE_ID_RULE})`,
        });
      }
      const fetch = fetcherOf(ref.source);
      if (fetch === undefined) {
        throw new HrApiError({
          kind: 'lasting',
          endpoint,
          message: `${ref.source} is not configured on this worker (its API settings are missing); set them, then replay`,
        });
      }
      return await fetch(ref);
    },
  };
}

export type LeaverReader = ReturnType<typeof createLeaverReader>;
