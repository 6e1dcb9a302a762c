import {
  FieldError,
  Input,
  Label,
  Text,
  TextArea,
  TextField,
  type TextFieldProps,
} from "react-aria-components";
import "./components.css";

/** A labelled text field with its description and error wired to it for screen readers. */
export function Field({
  label,
  description,
  errorMessage,
  multiline = false,
  rows = 6,
  ...props
}: TextFieldProps & {
  label: string;
  description?: string;
  errorMessage?: string;
  multiline?: boolean;
  rows?: number;
}) {
  return (
    <TextField {...props} className="pw-field">
      <Label className="pw-field__label">{label}</Label>
      {multiline ? <TextArea className="pw-field__input" rows={rows} /> : <Input className="pw-field__input" />}
      {description && (
        <Text slot="description" className="pw-field__description">
          {description}
        </Text>
      )}
      <FieldError className="pw-field__error">{errorMessage}</FieldError>
    </TextField>
  );
}
