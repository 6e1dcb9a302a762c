import { useState } from "react";
import {
  Button as AriaButton,
  ComboBox,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Tag,
  TagGroup,
  TagList,
  Text,
} from "react-aria-components";
import type { Schemas } from "@/api/client";
import { useT } from "./useT";

type Skill = Schemas["SkillPublic"];

/** Search the tenant's skills by name or code and collect them as removable tags. */
export function SkillPicker({ skills, chosen, onChange }: { skills: Skill[]; chosen: number[]; onChange: (ids: number[]) => void }) {
  const t = useT();
  const [query, setQuery] = useState("");
  const needle = query.trim().toLowerCase();
  const shown = skills.filter((s) => !needle || s.name.toLowerCase().includes(needle) || s.code.toLowerCase().includes(needle)).slice(0, 50);
  const byId = new Map(skills.map((s) => [s.id, s]));
  return (
    <div className="stack">
      {/* several skills in one go: the list stays open while you pick, Escape or Tab closes it */}
      <ComboBox
        className="pw-field"
        selectionMode="multiple"
        inputValue={query}
        onInputChange={setQuery}
        items={shown}
        menuTrigger="focus"
        value={chosen}
        onChange={(keys) => {
          onChange(keys.map(Number));
          setQuery("");
        }}
      >
        <Label className="pw-field__label">{t("meta.skillSearch")}</Label>
        <div className="row pw-studio__combo">
          <Input className="pw-field__input" />
          <AriaButton className="pw-studio__icon" aria-label={t("meta.skillShow")}>
            <span aria-hidden="true">▾</span>
          </AriaButton>
        </div>
        <Text slot="description" className="pw-field__description">
          {t("meta.skillHelp")}
        </Text>
        <Popover className="pw-popover">
          <ListBox className="pw-listbox" renderEmptyState={() => <p className="pw-listbox__item">{t("meta.noSkill")}</p>}>
            {(skill: Skill) => (
              <ListBoxItem id={skill.id} textValue={`${skill.name} (${skill.code})`} className="pw-listbox__item">
                {({ isSelected }) => (
                  <>
                    <span aria-hidden="true">{isSelected ? "✓ " : ""}</span>
                    {skill.name} <span className="muted">({skill.code})</span>
                  </>
                )}
              </ListBoxItem>
            )}
          </ListBox>
        </Popover>
      </ComboBox>
      <TagGroup aria-label={t("meta.skillsChosen")} onRemove={(keys) => onChange(chosen.filter((id) => !keys.has(id)))} className="pw-studio__tags">
        <TagList className="row" renderEmptyState={() => <span className="muted">{t("meta.noSkillsYet")}</span>}>
          {chosen.map((id) => {
            const name = byId.get(id)?.name ?? String(id);
            return (
              <Tag key={id} id={id} textValue={name} className="pw-studio__tag">
                {name}
                <AriaButton slot="remove" className="pw-studio__tag-remove" aria-label={t("meta.removeSkill", { name })}>
                  <span aria-hidden="true">×</span>
                </AriaButton>
              </Tag>
            );
          })}
        </TagList>
      </TagGroup>
    </div>
  );
}
