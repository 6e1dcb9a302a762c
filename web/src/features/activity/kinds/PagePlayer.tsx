import type { Activity } from "../types";

/** Rich text: the API stores and returns sanitized HTML, so it is shown as is. */
export default function PagePlayer({ activity }: { activity: Activity }) {
  return <div className="pw-prose" dangerouslySetInnerHTML={{ __html: activity.content }} />;
}
