import { useEffect, useState, type FormEvent } from "react";
import { useIntl } from "react-intl";
import { Form } from "react-aria-components";
import { api, ok, type Schemas } from "@/api/client";
import { Button, Checkboxes, Notice } from "@/design/components";

type Preferences = Schemas["Preferences"];
type Format = NonNullable<Preferences["formats"]>[number];

/** The formats the API accepts (its Format literal), in the order the form offers them. */
export const FORMATS: Format[] = ["video", "reading", "lesson", "practice", "quiz", "challenge", "review", "peer"];
const MAX_FOCUS = 10;

type Saving = { state: "idle" } | { state: "saving" } | { state: "saved" } | { state: "failed"; detail: string };

/**
 * The learner's goals (skills to focus on) and preferred formats, which the sequencer honours. Saving
 * puts the whole document; the outcome is announced politely, and an error keeps what was chosen.
 * Focus skills chosen in another course are kept as they are (they are not on this course's list).
 */
export function PreferencesForm({
  learnerId,
  initial,
  skills,
  onSaved,
}: {
  learnerId: number;
  initial: Preferences;
  skills: { id: number; name: string }[];
  onSaved: (stored: Preferences) => void;
}) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const offered = new Set(skills.map((s) => s.id));
  const chosen = initial.focus_skills ?? [];
  const elsewhere = chosen.filter((id) => !offered.has(id));
  const [focus, setFocus] = useState<string[]>(chosen.filter((id) => offered.has(id)).map(String));
  const [formats, setFormats] = useState<string[]>(initial.formats ?? []);
  const [saving, setSaving] = useState<Saving>({ state: "idle" });
  useEffect(() => {
    if (saving.state !== "saved") return;
    const done = window.setTimeout(() => setSaving({ state: "idle" }), 8000);
    return () => window.clearTimeout(done);
  }, [saving]);
  const tooMany = focus.length + elsewhere.length > MAX_FOCUS;

  async function save(event: FormEvent) {
    event.preventDefault();
    if (tooMany) return;
    setSaving({ state: "saving" });
    try {
      const body: Preferences = { focus_skills: [...elsewhere, ...focus.map(Number)], formats: formats as Format[] };
      const stored = ok(
        await api.PUT("/v1/learners/{learner_id}/preferences", { params: { path: { learner_id: learnerId } }, body }),
      );
      setSaving({ state: "saved" });
      onSaved(stored);
    } catch (error) {
      setSaving({ state: "failed", detail: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <Form className="stack" onSubmit={save} aria-labelledby="preferences-title">
      {skills.length > 0 ? (
        <Checkboxes
          label={t("home.prefs.focus")}
          description={
            elsewhere.length
              ? t("home.prefs.focusHelpElsewhere", { max: MAX_FOCUS, count: elsewhere.length })
              : t("home.prefs.focusHelp", { max: MAX_FOCUS })
          }
          options={[...skills]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((s) => ({ id: String(s.id), label: s.name.trim() }))}
          scroll
          value={focus}
          onChange={setFocus}
          isInvalid={tooMany}
          errorMessage={tooMany ? t("home.prefs.tooMany", { max: MAX_FOCUS }) : undefined}
        />
      ) : (
        <p className="muted">{t("home.prefs.noSkills")}</p>
      )}
      <Checkboxes
        label={t("home.prefs.formats")}
        description={t("home.prefs.formatsHelp")}
        options={FORMATS.map((f) => ({ id: f, label: t(`home.prefs.format.${f}`) }))}
        value={formats}
        onChange={setFormats}
      />
      <div className="row">
        <Button type="submit" isPending={saving.state === "saving"}>
          {t(saving.state === "saving" ? "home.prefs.saving" : "home.prefs.save")}
        </Button>
      </div>
      <div aria-live="polite" role="status">
        {saving.state === "saved" && <p className="pw-saved">{t("home.prefs.saved")}</p>}
      </div>
      {saving.state === "failed" && (
        <Notice tone="danger">
          <strong>{t("home.prefs.failed")}</strong> {saving.detail}
        </Notice>
      )}
    </Form>
  );
}
