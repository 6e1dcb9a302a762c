import { useIntl } from "react-intl";
import type { Schemas } from "@/api/client";
import { BarChart } from "@/design/components";
import { dailyMinutes, totalMinutes } from "../shaping";

/** Minutes spent learning per day over the last 14 days (the API's days), as a chart with its numbers in words. */
export function TimeUsageChart({ usage }: { usage: Schemas["DayUsage"][] }) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const last = usage.length ? new Date(`${usage[usage.length - 1].day}T12:00:00`) : new Date();
  const days = dailyMinutes(
    usage.map((u) => ({ at: u.day, seconds: u.minutes * 60 })),
    last,
    14,
  );
  const total = totalMinutes(days);
  return (
    <div className="stack">
      <p>{t("home.time.total", { count: total })}</p>
      <BarChart
        title={t("home.time.chart", { count: total })}
        bars={days.map((d) => ({
          key: d.day,
          label: intl.formatDate(d.date, { day: "numeric" }),
          value: d.minutes,
          description: t("home.time.day", {
            count: Math.round(d.minutes),
            date: intl.formatDate(d.date, { weekday: "long", day: "numeric", month: "long" }),
          }),
        }))}
      />
    </div>
  );
}
