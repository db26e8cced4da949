import type { AxiosInstance } from 'axios';
import type { EmploymentReading, Hire } from '../domain/hire.js';
import { isValidEmail } from '../domain/email.js';
import { HireIncompleteError } from '../errors.js';
import { hrRequest } from './hr-http.js';
import type { HireRef } from '../domain/hire-item.js';
import type { HireFetcher, ProviderSettings } from './types.js';

/**
 * Fetches a new BambooHR employee: `GET {BAMBOOHR_API_URL}/{companyDomain}/v1/employees/{id}
 * ?fields=…` with the API key as the HTTP Basic user and any password.
 *
 * - Base URL and auth: https://documentation.bamboohr.com/docs/getting-started ("the API key is
 *   sent over HTTP Basic Authentication"; the company domain is what precedes `.bamboohr.com`); the
 *   `api.bamboohr.com/api/gateway.php/{companyDomain}/v1/` form is the long-standing one client
 *   libraries use (e.g. the CRAN bambooHR package's `build_url`).
 * - Get Employee (https://documentation.bamboohr.com/reference/get-employee): returns `id` plus only
 *   the fields named in `fields`; "any requested field the authenticated caller cannot view is
 *   omitted from the response with no marker", so a missing work email may also mean the API key's
 *   user may not see it. JSON with `Accept: application/json`.
 *
 * `department`, `location` and `jobTitle` are the rules' keys (docs/rules.md); they are the field
 * list's names and Get Employee's answer's (https://documentation.bamboohr.com/docs/list-of-field-names,
 * "department", "location", "jobTitle").
 *
 * Only the work email is used: no fallback to the home email, which would invite a personal address
 * into the company's DocSpace.
 */

export const BAMBOOHR_FIELDS = [
  'firstName',
  'lastName',
  'workEmail',
  'department',
  'location',
  'jobTitle',
  'hireDate',
] as const;

/**
 * The fields a leaver's read asks for (docs/hr-systems.md#bamboohr, "Leavers"): `status` ("The
 * employee's employee status (Active or Inactive)"), `terminationDate` ("The date the employee was
 * terminated", read-only, set through the employmentStatus table) and `hireDate`
 * (https://documentation.bamboohr.com/docs/list-of-field-names; BambooHR's OpenAPI
 * `specs/public.yaml` in BambooHR/bhr-api-python, the Get Employee schema). Current values only
 * (the default of `onlyCurrent`): BambooHR's webhook fires when the termination takes effect.
 */
export const BAMBOOHR_LEAVER_FIELDS = [
  'workEmail',
  'status',
  'terminationDate',
  'hireDate',
] as const;

/** The worker side of the BambooHR provider. */
export function createBambooHrFetcher(
  settings: ProviderSettings,
  http: (baseURL: string, headers: Record<string, string>) => AxiosInstance,
): HireFetcher {
  const domain = settings['BAMBOOHR_COMPANY_DOMAIN'] ?? '';
  const apiKey = settings['BAMBOOHR_API_KEY'] ?? '';
  // The password is ignored by BambooHR; "x" is what its examples use.
  const basic = Buffer.from(`${apiKey}:x`, 'utf8').toString('base64');
  const api = http(settings['BAMBOOHR_API_URL'] ?? '', {
    authorization: `Basic ${basic}`,
    Accept: 'application/json',
  });
  const employee = async (id: string, fields: readonly string[]) =>
    (await hrRequest(api, {
      method: 'GET',
      path: `/${encodeURIComponent(domain)}/v1/employees/${encodeURIComponent(id)}`,
      params: { fields: fields.join(',') },
      credentialsHint:
        'check BAMBOOHR_API_KEY and BAMBOOHR_COMPANY_DOMAIN, and that the key’s user may see employees',
    })) as Record<string, unknown>;
  return {
    async fetch(ref: HireRef): Promise<Hire> {
      return toHire(ref.employeeId, await employee(ref.employeeId, BAMBOOHR_FIELDS));
    },
    async fetchEmployment(ref: HireRef): Promise<EmploymentReading> {
      return toEmployment(ref.employeeId, await employee(ref.employeeId, BAMBOOHR_LEAVER_FIELDS));
    },
  };
}

/** A field as trimmed text; undefined when absent or empty. */
function textOf(employee: Record<string, unknown>, field: string): string | undefined {
  const value = employee[field];
  const str = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
  return str === '' ? undefined : str;
}

/** A date field; BambooHR answers "0000-00-00" for an unset date. */
function dateOf(employee: Record<string, unknown>, field: string): string | undefined {
  const value = textOf(employee, field);
  return value === '0000-00-00' ? undefined : value;
}

/** The work email, or HireIncompleteError (none, or one DocSpace does not accept). */
function workEmailOf(id: string, employee: Record<string, unknown>): string {
  const email = textOf(employee, 'workEmail');
  if (email === undefined) {
    throw new HireIncompleteError(
      `BambooHR employee ${id} has no work email (or the API key’s user may not see it); add one in BambooHR, then replay the job`,
      { missing: 'email' },
    );
  }
  if (!isValidEmail(email)) {
    throw new HireIncompleteError(
      `BambooHR employee ${id} has a work email DocSpace does not accept (name@domain.tld, ASCII, at most 255 characters); fix it in BambooHR, then replay the job`,
    );
  }
  return email;
}

/**
 * The employee's employment as a leaver's read sees it (the email unchecked: the worker needs it
 * only for a new leaver, not for the read before a disable). `status` is the one flag kept: Active
 * with a termination date already past means employed again (src/domain/hr-termination.ts).
 */
export function toEmployment(id: string, employee: Record<string, unknown>): EmploymentReading {
  const terminationDate = dateOf(employee, 'terminationDate');
  const startDate = dateOf(employee, 'hireDate');
  const status = textOf(employee, 'status')?.toLowerCase();
  return {
    source: 'bamboohr',
    hireId: id,
    email: textOf(employee, 'workEmail') ?? '',
    ...(terminationDate === undefined ? {} : { terminationDate }),
    ...(startDate === undefined ? {} : { startDate }),
    ...(status === undefined ? {} : { active: status === 'active' }),
  };
}

/** The employee as a {@link Hire}; throws HireIncompleteError without a usable work email. */
export function toHire(id: string, employee: Record<string, unknown>): Hire {
  const text = (field: string) => textOf(employee, field);
  const email = workEmailOf(id, employee);
  const department = text('department');
  const location = text('location');
  const title = text('jobTitle');
  const startDate = dateOf(employee, 'hireDate');
  return {
    source: 'bamboohr',
    hireId: id,
    email,
    firstName: text('firstName') ?? '',
    lastName: text('lastName') ?? '',
    ...(department === undefined ? {} : { department }),
    ...(location === undefined ? {} : { location }),
    ...(title === undefined ? {} : { title }),
    ...(startDate === undefined ? {} : { startDate }),
  };
}
