import { useState, type FormEvent } from "react";
import { Form } from "react-aria-components";
import type { Schemas } from "@/api/client";
import { Button, Field, Notice, Select } from "@/design/components";
import { SkillPicker } from "./SkillPicker";
import { useT } from "./useT";

type Skill = Schemas["SkillPublic"];
export type Metadata = Schemas["ContentMetadata"];

/** IEEE LOM 1484.12.1 vocabularies for the fields the studio offers. */
const DIFFICULTY = ["very easy", "easy", "medium", "difficult", "very difficult"];
const INTERACTIVITY = ["active", "expositive", "mixed"];
const RESOURCE_TYPES = ["exercise", "simulation", "questionnaire", "diagram", "narrative text", "exam", "self assessment", "lecture"];
const lomKey = (value: string) => `lom.${value.replaceAll(" ", "_")}`;

export interface MetadataValue {
  title: string;
  metadata: Metadata;
  skillIds: number[];
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * A Common Core code's framework is its first two parts (CCSS.MATH, CCSS.ELA-LITERACY). The field takes
 * Common Core codes only, so a code that does not start with CCSS still goes as one, and the server's
 * check refuses it instead of storing it under a framework named after the typo.
 */
function framework(code: string): string {
  return code.startsWith("CCSS.") ? code.split(".").slice(0, 2).join(".") : "CCSS";
}

/**
 * Title and learning metadata of a unit, lesson or activity: objectives, duration, standards, IEEE LOM
 * fields and skills. The server validates; its problem is shown under the form.
 */
export function MetadataForm({
  initial,
  skills,
  onSave,
}: {
  initial: MetadataValue;
  skills: Skill[];
  onSave: (value: MetadataValue) => Promise<string | null>;
}) {
  const t = useT();
  const meta = initial.metadata;
  const [title, setTitle] = useState(initial.title);
  const [objectives, setObjectives] = useState((meta.objectives ?? []).join("\n"));
  const [duration, setDuration] = useState(meta.duration_minutes == null ? "" : String(meta.duration_minutes));
  const [standards, setStandards] = useState((meta.standards ?? []).map((s) => s.code).join("\n"));
  const [lom, setLom] = useState<Record<string, string>>(meta.lom ?? {});
  const [skillIds, setSkillIds] = useState<number[]>(initial.skillIds);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const durationError = duration && !/^\d+$/.test(duration.trim()) ? t("meta.durationInvalid") : undefined;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (durationError) return;
    setBusy(true);
    setSaved(false);
    const codes = skills.filter((s) => skillIds.includes(s.id)).map((s) => s.code);
    const metadata: Metadata = {
      ...meta,
      objectives: lines(objectives),
      duration_minutes: duration.trim() ? Number(duration) : null,
      standards: lines(standards).map((code) => ({ framework: framework(code), code })),
      lom: Object.fromEntries(Object.entries(lom).filter(([, v]) => v)),
      skills: codes,
    };
    const problem = await onSave({ title, metadata, skillIds });
    setBusy(false);
    setError(problem);
    setSaved(problem === null);
  };
  const setLomField = (field: string) => (value: string) => setLom((all) => ({ ...all, [field]: value }));
  return (
    <Form onSubmit={submit} className="stack" aria-labelledby="studio-meta">
      <h2 id="studio-meta">{t("meta.title")}</h2>
      <Field label={t("meta.name")} value={title} onChange={setTitle} isRequired />
      <Field label={t("meta.objectives")} description={t("meta.onePerLine")} multiline rows={4} value={objectives} onChange={setObjectives} />
      <Field
        label={t("meta.duration")}
        inputMode="numeric"
        value={duration}
        onChange={setDuration}
        isInvalid={Boolean(durationError)}
        errorMessage={durationError}
      />
      <Field label={t("meta.standards")} description={t("meta.standardsHelp")} multiline rows={3} value={standards} onChange={setStandards} />
      <fieldset className="pw-studio__fieldset">
        <legend>{t("meta.lom")}</legend>
        <div className="pw-studio__grid">
          <Select
            label={t("meta.difficulty")}
            value={lom["educational.difficulty"] ?? null}
            onChange={setLomField("educational.difficulty")}
            options={DIFFICULTY.map((v) => ({ id: v, label: t(lomKey(v)) }))}
          />
          <Select
            label={t("meta.interactivity")}
            value={lom["educational.interactivityType"] ?? null}
            onChange={setLomField("educational.interactivityType")}
            options={INTERACTIVITY.map((v) => ({ id: v, label: t(lomKey(v)) }))}
          />
          <Select
            label={t("meta.resourceType")}
            value={lom["educational.learningResourceType"] ?? null}
            onChange={setLomField("educational.learningResourceType")}
            options={RESOURCE_TYPES.map((v) => ({ id: v, label: t(lomKey(v)) }))}
          />
          <Field label={t("meta.ageRange")} value={lom["educational.typicalAgeRange"] ?? ""} onChange={setLomField("educational.typicalAgeRange")} />
        </div>
      </fieldset>
      <SkillPicker skills={skills} chosen={skillIds} onChange={setSkillIds} />
      {error && <Notice tone="danger">{error}</Notice>}
      {saved && <Notice tone="success">{t("meta.saved")}</Notice>}
      <div className="row">
        <Button type="submit" isDisabled={busy}>
          {t("meta.save")}
        </Button>
      </div>
    </Form>
  );
}
