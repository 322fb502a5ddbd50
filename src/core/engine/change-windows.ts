import type { Config } from "../config.js";

type ChangeWindow = Config["changeWindows"][number];

const formatters = new Map<string, Intl.DateTimeFormat>();

function localDayAndMinute(now: Date, timeZone: string): { day: string; minute: number } {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(now).map((p) => [p.type, p.value]));
  return { day: parts.weekday ?? "", minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

const toMinute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Is `now` inside this window? A window whose end is before its start runs past midnight. */
export function inWindow(window: ChangeWindow, now: Date): boolean {
  const { day, minute } = localDayAndMinute(now, window.timezone);
  const start = toMinute(window.start);
  const end = toMinute(window.end);
  if (start <= end) return window.days.includes(day as ChangeWindow["days"][number]) && minute >= start && minute < end;
  // Overnight: the part after midnight belongs to the previous day's window.
  const previousDay = localDayAndMinute(new Date(now.getTime() - 24 * 3600 * 1000), window.timezone).day;
  return (
    (window.days.includes(day as ChangeWindow["days"][number]) && minute >= start) ||
    (window.days.includes(previousDay as ChangeWindow["days"][number]) && minute < end)
  );
}

/** True when change windows are configured and `now` is outside every one of them. */
export function outsideChangeWindows(config: Config, now: Date): boolean {
  return config.changeWindows.length > 0 && !config.changeWindows.some((w) => inWindow(w, now));
}

/** Validates time zones at config load (Intl throws RangeError on unknown zones). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
