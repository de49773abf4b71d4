/**
 * Cron expressions as PartyKit's `crons` (Cloudflare Cron Triggers) take them, in UTC: five fields, minute hour
 * day-of-month month day-of-week, each `*`, a number, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n`, or a list of
 * those; months and days also by name (JAN, MON), Sunday as 0 or 7. As in Vixie cron, when both day fields are
 * restricted a day matches either. A sixth field in front, seconds, is also taken (as node-cron does), for schedules
 * finer than a minute in development and tests. Cloudflare's `L`, `W` and `#` are refused with a clear message.
 */
import { RuntimeError } from "./errors.js";

export interface CronSchedule {
  /** The first time after `after` (exclusive) that the expression matches, to the second. */
  next(after: Date): Date;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: Field = { name: "second", min: 0, max: 59 };
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: Field = { name: "day of month", min: 1, max: 31 };
const MONTH: Field = { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] };
// 7 is Sunday too; folded onto 0 once parsed.
const DAY_OF_WEEK: Field = { name: "day of week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] };

/** Far enough for any satisfiable expression (Feb 29 on a given weekday repeats within 28 years). */
const SEARCH_YEARS = 30;

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw invalid(expression, `it has ${parts.length} field(s); write five (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *"`);
  }
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = parts.length === 6 ? parts : ["0", ...parts];
  const seconds = parseField(expression, second!, SECOND);
  const minutes = parseField(expression, minute!, MINUTE);
  const hours = parseField(expression, hour!, HOUR);
  const days = parseField(expression, dayOfMonth!, DAY_OF_MONTH);
  const months = parseField(expression, month!, MONTH);
  const weekdays = parseField(expression, dayOfWeek!, DAY_OF_WEEK);
  if (weekdays.has(7)) weekdays.add(0);
  // Vixie cron's rule: a day field that starts with * (also */2) does not restrict the other.
  const anyDay = dayOfMonth!.startsWith("*");
  const anyWeekday = dayOfWeek!.startsWith("*");
  const dayMatches = (date: Date): boolean => {
    const byMonth = days.has(date.getUTCDate());
    const byWeek = weekdays.has(date.getUTCDay());
    if (anyDay || anyWeekday) return byMonth && byWeek;
    return byMonth || byWeek;
  };
  const schedule: CronSchedule = {
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getUTCFullYear() + SEARCH_YEARS;
      while (t.getUTCFullYear() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0);
        } else if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0);
        } else if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0);
        } else if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
        } else if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1);
        } else {
          return t;
        }
      }
      throw invalid(expression, "it never matches a date (check the day of month against the month)");
    },
  };
  schedule.next(new Date()); // an expression that can never fire is refused now, not at its first run
  return schedule;
}

function parseField(expression: string, text: string, field: Field): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (/[#?]/.test(item) || /^(\d*L|LW|\d+W|L-\d+)$/i.test(item))
      throw invalid(expression, `the ${field.name} field uses "${item}": L, W, # and ? are not supported`);
    const match = /^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw invalid(expression, `the ${field.name} field has "${item}", which is not a number, range, step or *`);
    const [, range, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw invalid(expression, `the ${field.name} field has a step of 0`);
    let [low, high] = [field.min, field.max];
    if (range !== "*") {
      const [from, to] = range!.split("-");
      low = fieldValue(expression, from!, field);
      // `a/n` runs from a to the end of the field, as in Vixie cron.
      high = to !== undefined ? fieldValue(expression, to, field) : stepText !== undefined ? field.max : low;
      if (low > high) throw invalid(expression, `the ${field.name} field has the range "${range}", which runs backwards`);
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

function fieldValue(expression: string, text: string, field: Field): number {
  const byName = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = byName >= 0 ? byName + (field === MONTH ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= field.min && value <= field.max)) {
    throw invalid(
      expression,
      `the ${field.name} field has "${text}"; it takes ${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ""}`,
    );
  }
  return value;
}

function invalid(expression: string, why: string): RuntimeError {
  return new RuntimeError("ERR_INVALID_CRON", `Invalid cron expression "${expression}": ${why}`, 500);
}
