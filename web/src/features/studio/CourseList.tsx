import { useState, type FormEvent } from "react";
import { Form } from "react-aria-components";
import { useIntl } from "react-intl";
import { Link, useNavigate } from "react-router";
import { api, ok, problemText, type Schemas } from "@/api/client";
import { Button, Card, Field, Notice, Select } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { useT } from "./useT";

type Course = Schemas["CoursePublic"];
type OrgUnit = Schemas["OrgUnitPublic"];

/** /studio: the courses this person edits, and a form that creates a draft course. */
export function CourseList() {
  const t = useT();
  const [courses] = useLoad<Course[]>(async () => ok(await api.GET("/v1/courses", { params: { query: { limit: 200 } } })).items, []);
  const [units] = useLoad<OrgUnit[]>(async () => ok(await api.GET("/v1/org-units", { params: { query: { limit: 200 } } })).items, []);
  return (
    <div className="stack pw-studio">
      <h1>{t("title")}</h1>
      <p className="muted">{t("intro")}</p>
      <section aria-labelledby="studio-courses" aria-busy={courses.status === "loading"}>
        <h2 id="studio-courses">{t("courses")}</h2>
        {courses.status === "error" && <Notice tone="danger">{courses.error}</Notice>}
        {courses.status === "ok" && courses.data.length === 0 && <p>{t("noCourses")}</p>}
        {courses.status === "ok" && (
          <ul className="pw-studio__courses">
            {courses.data.map((course) => (
              <li key={course.id}>
                <Link to={`/studio/courses/${course.id}`}>{course.title}</Link>{" "}
                <span className="muted">
                  {course.code} · {t(`status.${course.status}`)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {units.status === "ok" && <NewCourse units={units.data} />}
      {units.status === "error" && <Notice tone="danger">{units.error}</Notice>}
    </div>
  );
}

function NewCourse({ units }: { units: OrgUnit[] }) {
  const t = useT();
  const navigate = useNavigate();
  const intl = useIntl();
  const [title, setTitle] = useState("");
  const [code, setCode] = useState("");
  const [unit, setUnit] = useState<number | null>(units[units.length - 1]?.id ?? null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (unit === null) return;
    setBusy(true);
    setError(null);
    const result = await api.POST("/v1/courses", { body: { org_unit_id: unit, code, title, description: "", language: intl.locale.split("-")[0] } });
    setBusy(false);
    if (result.error || !result.data) return setError(problemText(result.error, t("failed")));
    navigate(`/studio/courses/${result.data.id}`);
  };
  return (
    <Card title={t("newCourse")} headingLevel={2} labelledBy="studio-new-course">
      <Form onSubmit={submit} className="stack">
        <Field label={t("courseTitle")} value={title} onChange={setTitle} isRequired />
        <Field label={t("courseCode")} description={t("courseCodeHelp")} value={code} onChange={setCode} isRequired />
        <Select label={t("orgUnit")} value={unit} onChange={setUnit} options={units.map((u) => ({ id: u.id, label: u.name }))} />
        {error && <Notice tone="danger">{error}</Notice>}
        <div className="row">
          <Button type="submit" isDisabled={busy}>
            {t("createCourse")}
          </Button>
        </div>
      </Form>
    </Card>
  );
}
