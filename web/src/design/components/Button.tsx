import { Button as AriaButton, type ButtonProps } from "react-aria-components";
import "./components.css";

type Variant = "primary" | "secondary" | "quiet" | "danger";

/** The one button: react-aria's Button (keyboard, press and focus handling) in the app's styles. */
export function Button({ variant = "primary", className, ...props }: ButtonProps & { variant?: Variant }) {
  return <AriaButton {...props} className={`pw-button pw-button--${variant} ${className ?? ""}`} />;
}
