import { useState, type FormEvent } from "react";
import { Form } from "react-aria-components";
import { Link, useParams } from "react-router";
import { api, ok, problemText, type Schemas } from "@/api/client";
import { Button, Field, Notice, Select } from "@/design/components";
import { useKept } from "./useKept";
import { NodeList } from "./NodeList";
import { useT } from "./useT";

type Tree = Schemas["CourseTreePublic"];
/** The kinds the studio creates; each has a player in the learner app. */
export const STUDIO_KINDS = ["reading", "video", "notebook", "quiz", "practice"] as const;

/** /studio/courses/:courseId: the draft's units, lessons and activities, to build and reorder. */
export function CourseBuilder() {
  const t = useT();
  const courseId = Number(useParams().courseId);
  const [tree, reload] = useKept<Tree>(
    async () => ok(await api.GET("/v1/courses/{course_id}/tree", { params: { path: { course_id: courseId } } })),
    [courseId],
  );
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState("");
  const [error, setError] = useState<string | null>(null);

  /** Run one change through the API, then show the tree the server now holds. */
  const change = async (call: () => Promise<{ error?: unknown; response: Response }>, done: string) => {
    setBusy(true);
    setError(null);
    const result = await call();
    setBusy(false);
    if (result.error !== undefined || !result.response.ok) {
      setError(problemText(result.error, t("failed")));
      return false;
    }
    setSaid(done);
    reload();
    return true;
  };

  if (tree.status === "loading") return <p aria-busy="true">{t("loading")}</p>;
  if (tree.status === "error") {
    return (
      <>
        <h1>{t("title")}</h1>
        <Notice tone="danger">{tree.error}</Notice>
      </>
    );
  }
  const data = tree.data;
  const units = (data.units ?? []).filter((u) => u.id != null);
  const unitParents = units.map((u) => ({ id: u.id as number, label: u.title }));
  const lessonParents = units.flatMap((u) => (u.lessons ?? []).map((l) => ({ id: l.id as number, label: `${u.title} › ${l.title}` })));
  const edit = (level: string) => (id: number) => `/studio/courses/${courseId}/${level}/${id}`;
  const remove = (level: "units" | "lessons" | "activities", name: string) => (id: number) => {
    const path = { units: "/v1/units/{unit_id}", lessons: "/v1/lessons/{lesson_id}", activities: "/v1/activities/{activity_id}" }[level];
    const key = { units: "unit_id", lessons: "lesson_id", activities: "activity_id" }[level];
    void change(() => api.DELETE(path as "/v1/units/{unit_id}", { params: { path: { [key]: id } as { unit_id: number } } }), t("deleted", { name }));
  };
  const moveUnit = (id: number, position: number) =>
    void change(() => api.PATCH("/v1/units/{unit_id}", { params: { path: { unit_id: id } }, body: { position } }), t("moved", { position: position + 1 }));
  const moveLesson = (id: number, position: number) =>
    void change(() => api.PATCH("/v1/lessons/{lesson_id}", { params: { path: { lesson_id: id } }, body: { position } }), t("moved", { position: position + 1 }));
  const moveActivity = (id: number, position: number) =>
    void change(
      () => api.PATCH("/v1/activities/{activity_id}", { params: { path: { activity_id: id } }, body: { position, content_format: "html" } }),
      t("moved", { position: position + 1 }),
    );

  return (
    <div className="stack pw-studio">
      <nav aria-label={t("breadcrumbs")} className="muted">
        <Link to="/studio">{t("title")}</Link>
      </nav>
      <h1>{data.course.title}</h1>
      <p className="row">
        <Link to={`/publishing/courses/${courseId}`}>{t("publishLink")}</Link>
      </p>
      <div aria-live="polite" role="status" className="visually-hidden">
        {said}
      </div>
      {error && <Notice tone="danger">{error}</Notice>}
      <section aria-labelledby="studio-units" className="stack">
        <h2 id="studio-units">{t("units")}</h2>
        <p className="muted">{t("howToMove")}</p>
        <NodeList
          label={t("unitsOf", { name: data.course.title })}
          level="unit"
          nodes={units.map((u) => ({ id: u.id as number, title: u.title }))}
          editHref={edit("unit")}
          onMove={moveUnit}
          onDelete={remove("units", "")}
          busy={busy}
        />
        <AddNode
          label={t("newUnit")}
          busy={busy}
          onAdd={(title) => change(() => api.POST("/v1/courses/{course_id}/units", { params: { path: { course_id: courseId } }, body: { title } }), t("added", { name: title }))}
        />
      </section>
      {units.map((unit) => (
        <section key={unit.id} aria-labelledby={`studio-unit-${unit.id}`} className="stack pw-studio__unit">
          <h2 id={`studio-unit-${unit.id}`}>{unit.title}</h2>
          <NodeList
            label={t("lessonsOf", { name: unit.title })}
            level="lesson"
            nodes={(unit.lessons ?? []).map((l) => ({ id: l.id as number, title: l.title }))}
            editHref={edit("lesson")}
            onMove={moveLesson}
            parents={unitParents}
            currentParent={unit.id as number}
            onMoveTo={(id, unitId) =>
              void change(
                () => api.PATCH("/v1/lessons/{lesson_id}", { params: { path: { lesson_id: id } }, body: { unit_id: unitId } }),
                t("movedInto", { name: unitParents.find((p) => p.id === unitId)?.label ?? "" }),
              )
            }
            onDelete={remove("lessons", "")}
            busy={busy}
          />
          <AddNode
            label={t("newLesson", { name: unit.title })}
            busy={busy}
            onAdd={(title) =>
              change(() => api.POST("/v1/units/{unit_id}/lessons", { params: { path: { unit_id: unit.id as number } }, body: { title } }), t("added", { name: title }))
            }
          />
          {(unit.lessons ?? []).map((lesson) => (
            <section key={lesson.id} aria-labelledby={`studio-lesson-${lesson.id}`} className="stack pw-studio__lesson">
              <h3 id={`studio-lesson-${lesson.id}`}>{lesson.title}</h3>
              <NodeList
                label={t("activitiesOf", { name: lesson.title })}
                level="activity"
                nodes={(lesson.activities ?? []).map((a) => ({ id: a.id as number, title: a.title, note: kindName(t, a.kind) }))}
                editHref={edit("activity")}
                onMove={moveActivity}
                parents={lessonParents}
                currentParent={lesson.id as number}
                onMoveTo={(id, lessonId) =>
                  void change(
                    () => api.PATCH("/v1/activities/{activity_id}", { params: { path: { activity_id: id } }, body: { lesson_id: lessonId, content_format: "html" } }),
                    t("movedInto", { name: lessonParents.find((p) => p.id === lessonId)?.label ?? "" }),
                  )
                }
                onDelete={remove("activities", "")}
                busy={busy}
              />
              <AddNode
                label={t("newActivity", { name: lesson.title })}
                busy={busy}
                withKind
                onAdd={(title, kind) =>
                  change(
                    () =>
                      api.POST("/v1/lessons/{lesson_id}/activities", {
                        params: { path: { lesson_id: lesson.id as number } },
                        body: { title, kind: kind as Schemas["ActivityCreate"]["kind"], content: "", content_format: "markdown" },
                      }),
                    t("added", { name: title }),
                  )
                }
              />
            </section>
          ))}
        </section>
      ))}
    </div>
  );
}

export function kindName(t: ReturnType<typeof useT>, kind: string): string {
  return (STUDIO_KINDS as readonly string[]).includes(kind) ? t(`kind.${kind}`) : kind;
}

/** A one-line form that adds a child (and, for activities, picks its kind). */
function AddNode({ label, busy, withKind, onAdd }: { label: string; busy: boolean; withKind?: boolean; onAdd: (title: string, kind: string) => Promise<boolean> }) {
  const t = useT();
  const [title, setTitle] = useState("");
  const [kind, setKind] = useState<string>("reading");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    if (await onAdd(title.trim(), kind)) setTitle("");
  };
  return (
    <Form onSubmit={submit} className="pw-studio__add">
      <Field label={label} value={title} onChange={setTitle} isRequired />
      {withKind && <Select label={t("kindLabel")} value={kind} onChange={setKind} options={STUDIO_KINDS.map((k) => ({ id: k, label: t(`kind.${k}`) }))} />}
      <Button type="submit" variant="secondary" isDisabled={busy}>
        {t("add")}
      </Button>
    </Form>
  );
}
