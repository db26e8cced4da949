import { bambooHrSignature } from '../../src/providers/bamboohr.js';

/**
 * Posts a BambooHR `employee.updated` naming `changedFields` (names only, in the vendor's
 * event-based shape), signed as BambooHR signs it: HMAC-SHA256 of the body and the timestamp
 * (https://documentation.bamboohr.com/reference/employee-updated-webhook). A termination names
 * the status; BambooHR has no termination event of its own.
 */
export async function postBambooHrUpdate(
  apiUrl: string,
  secret: string,
  employeeId: string,
  changedFields: readonly string[],
): Promise<Response> {
  const body = JSON.stringify({
    type: 'employee.updated',
    timestamp: new Date().toISOString(),
    data: { companyId: '12345', employeeId, changedFields },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  return await fetch(`${apiUrl}/webhooks/bamboohr`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-bamboohr-timestamp': timestamp,
      'x-bamboohr-signature': bambooHrSignature(secret, Buffer.from(body), timestamp),
    },
    body,
  });
}
