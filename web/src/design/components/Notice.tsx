import type { ReactNode } from "react";
import "./components.css";

/** A message in the page: errors interrupt a screen reader (alert), the rest wait politely (status). */
export function Notice({ tone = "info", children }: { tone?: "info" | "success" | "warning" | "danger"; children: ReactNode }) {
  return (
    <div role={tone === "danger" ? "alert" : "status"} className={`pw-notice pw-notice--${tone}`}>
      {children}
    </div>
  );
}
