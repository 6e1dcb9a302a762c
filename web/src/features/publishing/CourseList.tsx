import { useIntl } from "react-intl";
import { Link } from "react-router";
import { DataTable, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { load, type PublishingCourse } from "./api";
import { useMessages } from "@/lib/useMessages";

/** Every course the person publishes, with where its draft stands. */
export default function CourseList() {
  const intl = useIntl();
  const t = useMessages("console.publishing");
  const [state] = useLoad(load.courses, []);
  return (
    <div className="stack pw-pub">
      <h1>{t("title")}</h1>
      <p className="muted">{t("summary")}</p>
      <section aria-labelledby="pub-courses" aria-busy={state.status === "loading"}>
        <h2 id="pub-courses">{t("courses.heading")}</h2>
        {state.status === "loading" && <p>{intl.formatMessage({ id: "app.loading" })}</p>}
        {state.status === "error" && <Notice tone="danger">{state.error}</Notice>}
        {state.status === "ok" && (
          <DataTable<PublishingCourse>
            label={t("courses.heading")}
            rows={state.data}
            empty={t("courses.empty")}
            columns={[
              {
                id: "title",
                label: t("courses.course"),
                render: (c) => <Link to={`/publishing/courses/${c.id}`}>{c.title}</Link>,
              },
              { id: "code", label: t("courses.code"), render: (c) => c.code },
              {
                id: "version",
                label: t("courses.version"),
                render: (c) => (c.latest_version ? t("version.n", { n: c.latest_version }) : t("courses.never")),
              },
              {
                id: "draft",
                label: t("courses.draft"),
                render: (c) => (c.draft_changed ? t("courses.changed") : t("courses.same")),
              },
              { id: "schedules", label: t("courses.schedules"), render: (c) => c.pending_schedules },
              { id: "reviews", label: t("courses.reviews"), render: (c) => c.open_reviews },
              { id: "branches", label: t("courses.branches"), render: (c) => c.open_branches },
            ]}
          />
        )}
      </section>
    </div>
  );
}
