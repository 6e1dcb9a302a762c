import { lazy, Suspense, useState } from "react";
import { useIntl } from "react-intl";
import { ToggleButton, ToggleButtonGroup, type Key } from "react-aria-components";
import type { Schemas } from "@/api/client";
import { HEAT_BOUNDS, HEAT_LEVELS, heatmap, type HeatCell, type HeatLevel } from "../shaping";

type View = "heatmap" | "table";

/** The table (react-aria's grid) is loaded when first asked for: the heatmap is the page's default. */
const MasteryTable = lazy(() => import("./MasteryTable"));

/**
 * Mastery per competency as a heatmap or, by the reader's choice, a table. Every heatmap cell writes
 * its skill, percentage and level: the --heat-N colour repeats the level, it never carries it alone.
 */
export function MasteryView({ skills }: { skills: Schemas["SkillMastery"][] }) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [view, setView] = useState<View>("heatmap");
  const rows = heatmap(skills.map((s) => ({ id: String(s.skill_id), name: s.name, mastery: s.mastery })));
  const cells = rows.flatMap((r) => r.cells);
  const percent = (m: number | null) =>
    m === null ? t("home.mastery.unknown") : intl.formatNumber(m, { style: "percent", maximumFractionDigits: 0 });
  const level = (l: HeatLevel | null) => (l === null ? t("home.mastery.unknown") : t(`home.mastery.level.${l}`));
  return (
    <div className="stack">
      <ToggleButtonGroup
        aria-label={t("home.mastery.view")}
        selectionMode="single"
        disallowEmptySelection
        selectedKeys={[view]}
        onSelectionChange={(keys: Set<Key>) => {
          const next = [...keys][0];
          if (next) setView(next as View);
        }}
        className="pw-toggle-group"
      >
        <ToggleButton id="heatmap" className="pw-toggle">
          {t("home.mastery.asHeatmap")}
        </ToggleButton>
        <ToggleButton id="table" className="pw-toggle">
          {t("home.mastery.asTable")}
        </ToggleButton>
      </ToggleButtonGroup>
      {view === "heatmap" ? (
        <>
          <ul className="pw-heatmap pw-plain-list" aria-label={t("home.mastery.heatmap")}>
            {cells.map((c: HeatCell) => (
              <li key={c.id} className="pw-heat" data-level={c.level ?? "none"}>
                <span className="pw-heat__name">{c.name}</span>
                <span className="pw-heat__value">
                  {percent(c.mastery)} <span className="pw-heat__level">· {level(c.level)}</span>
                </span>
              </li>
            ))}
          </ul>
          <ul className="pw-legend pw-plain-list" aria-label={t("home.mastery.legend")}>
            {HEAT_LEVELS.map((l) => (
              <li key={l}>
                <span className="pw-legend__swatch pw-heat" data-level={l} aria-hidden="true" />
                {t("home.mastery.legendItem", {
                  level: level(l),
                  from: intl.formatNumber(l === 0 ? 0 : HEAT_BOUNDS[l - 1], { style: "percent" }),
                  to: intl.formatNumber(l === 4 ? 1 : HEAT_BOUNDS[l], { style: "percent" }),
                })}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <Suspense fallback={<p aria-busy="true">{t("app.loading")}</p>}>
          <MasteryTable cells={cells} percent={percent} level={level} />
        </Suspense>
      )}
    </div>
  );
}
