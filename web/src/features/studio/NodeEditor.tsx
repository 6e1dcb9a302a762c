import { Link, useParams } from "react-router";
import { api, ok, problemText, type Schemas } from "@/api/client";
import { Notice } from "@/design/components";
import { useKept } from "./useKept";
import { kindName } from "./CourseBuilder";
import { MediaUpload } from "./MediaUpload";
import { MetadataForm, type Metadata, type MetadataValue } from "./MetadataForm";
import { PageEditor } from "./PageEditor";
import { QuizAuthor } from "./QuizAuthor";
import { useT } from "./useT";

type Skill = Schemas["SkillPublic"];
type Activity = Schemas["ActivityPublic"];
type Level = "unit" | "lesson" | "activity";

interface Loaded {
  title: string;
  metadata: Metadata;
  activity: Activity | null;
  skills: Skill[];
}

/** Which uploads each activity kind takes, and whether an upload replaces its media or adds to them. */
const MEDIA_RULES: Record<string, { accept?: string[]; replace: boolean }> = {
  video: { accept: [".webm", ".mp4"], replace: true },
  notebook: { accept: [".ipynb"], replace: true },
};

/** /studio/courses/:courseId/:level/:nodeId: one unit, lesson or activity, its metadata and content. */
export default function NodeEditor() {
  const t = useT();
  const params = useParams();
  const courseId = Number(params.courseId);
  const level = params.level as Level;
  const nodeId = Number(params.nodeId);
  const [state, reload] = useKept<Loaded>(async () => {
    const skills = ok(await api.GET("/v1/skills", { params: { query: { limit: 200 } } })).items;
    if (level === "activity") {
      const activity = ok(await api.GET("/v1/activities/{activity_id}", { params: { path: { activity_id: nodeId } } }));
      return { title: activity.title, metadata: activity.metadata as Metadata, activity, skills };
    }
    const tree = ok(await api.GET("/v1/courses/{course_id}/tree", { params: { path: { course_id: courseId } } }));
    const nodes = level === "unit" ? (tree.units ?? []) : (tree.units ?? []).flatMap((u) => u.lessons ?? []);
    const node = nodes.find((n) => n.id === nodeId);
    if (!node) throw Object.assign(new Error(t("notFound")), { status: 404 });
    return { title: node.title, metadata: (node.metadata ?? {}) as Metadata, activity: null, skills };
  }, [courseId, level, nodeId]);

  const back = (
    <nav aria-label={t("breadcrumbs")} className="muted row">
      <Link to="/studio">{t("title")}</Link>
      <span aria-hidden="true">›</span>
      <Link to={`/studio/courses/${courseId}`}>{t("backToCourse")}</Link>
    </nav>
  );
  if (state.status === "loading") return <p aria-busy="true">{t("loading")}</p>;
  if (state.status === "error") {
    return (
      <div className="stack">
        {back}
        <h1>{t("title")}</h1>
        <Notice tone="danger">{state.error}</Notice>
      </div>
    );
  }
  const { activity, skills } = state.data;
  const codes = state.data.metadata.skills ?? [];
  const initial: MetadataValue = {
    title: state.data.title,
    metadata: state.data.metadata,
    skillIds: activity ? activity.skill_ids : skills.filter((s) => codes.includes(s.code)).map((s) => s.id),
  };
  const saveMeta = async (value: MetadataValue): Promise<string | null> => {
    const body = { title: value.title, metadata: value.metadata };
    const result =
      level === "unit"
        ? await api.PATCH("/v1/units/{unit_id}", { params: { path: { unit_id: nodeId } }, body })
        : level === "lesson"
          ? await api.PATCH("/v1/lessons/{lesson_id}", { params: { path: { lesson_id: nodeId } }, body })
          : await api.PATCH("/v1/activities/{activity_id}", {
              params: { path: { activity_id: nodeId } },
              body: { ...body, skill_ids: value.skillIds, content_format: "html" },
            });
    return result.error ? problemText(result.error, t("failed")) : null;
  };
  const kind = activity?.kind ?? "";
  const rule = MEDIA_RULES[kind] ?? { replace: false };
  const media = ((activity?.metadata as { media?: string[] } | undefined)?.media ?? []).filter((k) => typeof k === "string");
  return (
    <div className="stack pw-studio">
      {back}
      <h1>{state.data.title}</h1>
      <p className="muted">{activity ? t("activityOf", { kind: kindName(t, kind) }) : t(`levelName.${level}`)}</p>
      <MetadataForm key={`${level}-${nodeId}`} initial={initial} skills={skills} onSave={saveMeta} />
      {activity && kind === "quiz" && <QuizAuthor activity={activity} onChanged={reload} />}
      {activity && !["quiz", "video", "notebook"].includes(kind) && (
        <PageEditor
          initial={activity.content}
          onSave={async (html) => {
            const result = await api.PATCH("/v1/activities/{activity_id}", {
              params: { path: { activity_id: nodeId } },
              body: { content: html, content_format: "html" },
            });
            return result.error || !result.data ? { problem: problemText(result.error, t("failed")) } : { content: result.data.content };
          }}
        />
      )}
      {activity && kind !== "quiz" && (
        <section aria-labelledby="studio-media" className="stack">
          <h2 id="studio-media">{t("media.title")}</h2>
          <p className="muted">{t(`media.help.${kind in MEDIA_RULES ? kind : "other"}`)}</p>
          {media.length > 0 && (
            <ul className="pw-studio__media">
              {media.map((key) => (
                <li key={key}>
                  {activity.media_urls?.[key] ? <a href={activity.media_urls[key]}>{key}</a> : key}
                </li>
              ))}
            </ul>
          )}
          <MediaUpload
            courseId={courseId}
            accept={rule.accept}
            onUploaded={async (uploaded) => {
              const keys = rule.replace ? [uploaded.key] : [...media.filter((k) => k !== uploaded.key), uploaded.key];
              await api.PATCH("/v1/activities/{activity_id}", { params: { path: { activity_id: nodeId } }, body: { media: keys, content_format: "html" } });
              reload();
            }}
          />
        </section>
      )}
    </div>
  );
}
