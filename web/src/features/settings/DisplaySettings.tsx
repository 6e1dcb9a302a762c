import { useIntl } from "react-intl";
import { Button, Dialog, Select } from "@/design/components";
import { FONT_SCALES, THEMES, useDisplay, type Theme } from "@/app/display";
import { LOCALES, type Locale } from "@/i18n/catalog";

/** Theme, text size and language for this device, in a dialog reachable from every page. */
export function DisplaySettings() {
  const intl = useIntl();
  const display = useDisplay();
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <Dialog
      trigger={<Button variant="quiet">{t("nav.settings")}</Button>}
      title={t("settings.title")}
      closeLabel={t("settings.close")}
    >
      <div className="stack">
        <Select<Theme>
          label={t("settings.theme")}
          value={display.theme}
          options={THEMES.map((id) => ({ id, label: t(`settings.theme.${id}`) }))}
          onChange={display.setTheme}
        />
        <Select<number>
          label={t("settings.fontSize")}
          value={display.fontScale}
          options={FONT_SCALES.map((id) => ({ id, label: intl.formatNumber(id, { style: "percent" }) }))}
          onChange={display.setFontScale}
        />
        <Select<Locale>
          label={t("settings.language")}
          value={display.locale}
          options={(Object.keys(LOCALES) as Locale[]).map((id) => ({ id, label: LOCALES[id].label }))}
          onChange={display.setLocale}
        />
      </div>
    </Dialog>
  );
}
