/**
 * Formats a date as DocSpace's `ApiDateTime` does: round-trip with 7 fractional digits and an
 * offset, e.g. `2026-07-01T10:00:00.0000000+00:00` (ApiDateTime.cs). The simulator's portal
 * runs on UTC.
 */
export function formatApiDate(date: Date): string {
  return `${date.toISOString().slice(0, 23)}0000+00:00`;
}

/** `displayName`: "First Last", or the email while a user has no name yet (invited users: UserController.InviteUsers). */
export function displayNameOf(user: {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}): string {
  const name = [user.firstName, user.lastName].filter((part) => part !== '').join(' ');
  return name === '' ? user.email : name;
}
