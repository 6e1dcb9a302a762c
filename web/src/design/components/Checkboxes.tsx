import { Checkbox, CheckboxGroup, FieldError, Label, Text } from "react-aria-components";
import "./components.css";

/** A labelled group of checkboxes (react-aria: one tab stop each, Space toggles, the group is named). */
export function Checkboxes({
  label,
  options,
  value,
  onChange,
  description,
  errorMessage,
  isInvalid,
  scroll = false,
}: {
  label: string;
  options: { id: string; label: string }[];
  value: string[];
  onChange: (value: string[]) => void;
  description?: string;
  errorMessage?: string;
  isInvalid?: boolean;
  /** Long lists scroll inside a box of their own rather than stretch the page. */
  scroll?: boolean;
}) {
  return (
    <CheckboxGroup value={value} onChange={onChange} className="pw-checkboxes" isInvalid={isInvalid}>
      <Label className="pw-field__label">{label}</Label>
      {description && (
        <Text slot="description" className="pw-field__description">
          {description}
        </Text>
      )}
      <div className={`pw-checkboxes__options ${scroll ? "pw-checkboxes__options--scroll" : ""}`}>
        {options.map((o) => (
          <Checkbox key={o.id} value={o.id} className="pw-checkbox">
            <span className="pw-checkbox__box" aria-hidden="true">
              <svg viewBox="0 0 18 18">
                <polyline points="3.5 9.5 7.5 13 14.5 5" />
              </svg>
            </span>
            {o.label}
          </Checkbox>
        ))}
      </div>
      <FieldError className="pw-field__error">{errorMessage}</FieldError>
    </CheckboxGroup>
  );
}
