import { useState } from "react";
import { api, ok, type Schemas } from "@/api/client";
import { Button, Notice } from "@/design/components";
import { AdminPage, failure, useKeptLoad, useT } from "./shared";
import { Loaded } from "@/lib/Loaded";
import { useWhen } from "@/lib/useWhen";

/** `/admin/schedules`: pending publishing schedules across the courses this person may publish. */
export function SchedulesPage() {
  const t = useT();
  const when = useWhen();
  const [schedules, reload] = useKeptLoad(async () => ok(await api.GET("/v1/schedules", { params: { query: { limit: 200 } } })), []);
  const [message, setMessage] = useState<{ tone: "success" | "danger"; text: string } | null>(null);

  async function cancel(schedule: Schemas["ScheduleListed"]) {
    const result = await api.DELETE("/v1/schedules/{schedule_id}", { params: { path: { schedule_id: schedule.id } } });
    const problem = failure(result);
    setMessage(problem ? { tone: "danger", text: problem } : { tone: "success", text: t("schedules.cancelled", { course: schedule.course_title }) });
    reload();
  }

  return (
    <AdminPage title={t("schedules.title")} intro={t("schedules.intro")}>
      <div aria-live="polite">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>
      <Loaded tone="danger" state={schedules}>
        {(page) =>
          page.items.length === 0 ? (
            <p className="muted">{t("schedules.none")}</p>
          ) : (
            <div className="pw-table-wrap">
              <table className="pw-table pw-admin-table">
                <caption className="visually-hidden">{t("schedules.title")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("schedules.course")}</th>
                    <th scope="col">{t("schedules.at")}</th>
                    <th scope="col">{t("user.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">
                        {s.course_code} · {s.course_title}
                      </th>
                      <td>{when(s.publish_at)}</td>
                      <td>
                        <Button variant="danger" onPress={() => void cancel(s)} aria-label={t("schedules.cancelOne", { course: s.course_title, when: when(s.publish_at) })}>
                          {t("schedules.cancel")}
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </AdminPage>
  );
}
