import { useIntl } from "react-intl";
import { Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Button as AriaButton } from "react-aria-components";
import { Dialog, Button } from "@/design/components";
import { FONT_SCALES, THEMES, useDisplay, type Theme } from "@/app/display";
import { LOCALES, type Locale } from "@/i18n/catalog";

function Choice<T extends string | number>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: { id: T; label: string }[];
  onChange: (value: T) => void;
}) {
  return (
    <Select selectedKey={value} onSelectionChange={(key) => onChange(key as T)} className="pw-field">
      <Label className="pw-field__label">{label}</Label>
      <AriaButton className="pw-field__input pw-select">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </AriaButton>
      <Popover className="pw-popover">
        <ListBox className="pw-listbox">
          {options.map((o) => (
            <ListBoxItem key={String(o.id)} id={o.id} className="pw-listbox__item">
              {o.label}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}

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
        <Choice<Theme>
          label={t("settings.theme")}
          value={display.theme}
          options={THEMES.map((id) => ({ id, label: t(`settings.theme.${id}`) }))}
          onChange={display.setTheme}
        />
        <Choice<number>
          label={t("settings.fontSize")}
          value={display.fontScale}
          options={FONT_SCALES.map((id) => ({ id, label: intl.formatNumber(id, { style: "percent" }) }))}
          onChange={display.setFontScale}
        />
        <Choice<Locale>
          label={t("settings.language")}
          value={display.locale}
          options={(Object.keys(LOCALES) as Locale[]).map((id) => ({ id, label: LOCALES[id].label }))}
          onChange={display.setLocale}
        />
      </div>
    </Dialog>
  );
}
