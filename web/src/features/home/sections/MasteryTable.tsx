import { useIntl } from "react-intl";
import { DataTable } from "@/design/components";
import type { HeatCell, HeatLevel } from "../shaping";

/** The heatmap's table alternative: one row per skill with its estimate and level in words. */
export default function MasteryTable({
  cells,
  percent,
  level,
}: {
  cells: HeatCell[];
  percent: (mastery: number | null) => string;
  level: (level: HeatLevel | null) => string;
}) {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <DataTable
      label={t("home.mastery.table")}
      empty={t("home.mastery.empty")}
      rows={cells}
      columns={[
        { id: "skill", label: t("home.mastery.skill"), render: (c) => c.name, isRowHeader: true },
        { id: "mastery", label: t("home.mastery.estimate"), render: (c) => percent(c.mastery) },
        { id: "level", label: t("home.mastery.levelColumn"), render: (c) => level(c.level) },
      ]}
    />
  );
}
