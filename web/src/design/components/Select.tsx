import type { Key } from "react-aria-components";
import { Button as AriaButton, Label, ListBox, ListBoxItem, Popover, Select as AriaSelect, SelectValue, Text } from "react-aria-components";
import "./components.css";

export interface Option<T extends Key> {
  id: T;
  label: string;
}

/** A labelled single choice from a list: react-aria's Select (a button that opens a listbox). */
export function Select<T extends Key>({
  label,
  value,
  options,
  onChange,
  description,
  isDisabled,
}: {
  label: string;
  value: T | null;
  options: Option<T>[];
  onChange: (value: T) => void;
  description?: string;
  isDisabled?: boolean;
}) {
  return (
    <AriaSelect
      selectedKey={value}
      onSelectionChange={(key) => key !== null && onChange(key as T)}
      className="pw-field"
      isDisabled={isDisabled}
    >
      <Label className="pw-field__label">{label}</Label>
      <AriaButton className="pw-field__input pw-select">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </AriaButton>
      {description && (
        <Text slot="description" className="pw-field__description">
          {description}
        </Text>
      )}
      <Popover className="pw-popover">
        <ListBox className="pw-listbox">
          {options.map((o) => (
            <ListBoxItem key={String(o.id)} id={o.id} className="pw-listbox__item">
              {o.label}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </AriaSelect>
  );
}
