import type { EmploymentReading } from './hire.js';
import { hrDay } from './effective-date.js';

/**
 * The termination an HR record shows, as a day (`YYYY-MM-DD`), or undefined when it shows none
 * that stands (docs/design.md, rule 12; reference: docs/hr-systems.md, each provider's "Leavers"):
 *
 * - no termination date (never set, or removed: a cancelled termination);
 * - a termination date before the start or hire date: it ended an earlier employment (a rehire
 *   reuses the record in BambooHR and Bob);
 * - a termination date that has passed (before `today`, the day in HR_TIMEZONE) while the record
 *   still says the person is employed (BambooHR `status` Active): the termination was undone, or
 *   a rehire has begun (BambooHR sets the status Active before the new hire date).
 *
 * A date today or later stands whatever the status says: the status turns at the end of the day.
 */
export function shownTermination(reading: EmploymentReading, today: string): string | undefined {
  const date = hrDay(reading.terminationDate);
  if (date === undefined) return undefined;
  const start = hrDay(reading.startDate);
  if (start !== undefined && start > date) return undefined;
  if (reading.active === true && date < today) return undefined;
  return date;
}
