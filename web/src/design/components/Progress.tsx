import { Label, ProgressBar } from "react-aria-components";
import "./components.css";

/** A labelled progress bar (0..1); the percentage is also written out. */
export function Progress({ label, value, valueText }: { label: string; value: number; valueText: string }) {
  return (
    <ProgressBar value={Math.round(value * 100)} className="pw-progress" valueLabel={valueText}>
      {({ percentage }) => (
        <>
          <div className="row pw-progress__text">
            <Label>{label}</Label>
            <span className="muted">{valueText}</span>
          </div>
          <div className="pw-progress__track">
            <div className="pw-progress__fill" style={{ width: `${percentage}%` }} />
          </div>
        </>
      )}
    </ProgressBar>
  );
}
