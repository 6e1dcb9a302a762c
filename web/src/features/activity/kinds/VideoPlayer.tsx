import { useEffect, useRef, useState } from "react";
import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";
import { Notice, Progress } from "@/design/components";
import { mediaOf } from "../media";
import type { Activity } from "../types";
import { sendStatements } from "../xapi/send";
import { VideoSession, type Statement } from "../xapi/video";
import { ActivityText } from "./PagePlayer";
import "./players.css";

function newSessionId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A video in the browser's own player (its controls are keyboard and screen-reader ready), with the
 * author's captions when there are any. What the learner watches is told to the LRS in the xAPI Video
 * Profile (xapi/video.ts decides what, xapi/send.ts sends it), so the share watched reaches the
 * learner's features and the sequencer.
 */
export default function VideoPlayer({ activity }: { activity: Activity }) {
  const intl = useIntl();
  const { me } = useAuth();
  const media = mediaOf(activity);
  const userId = me?.id ?? null;
  const skillId = activity.skill_ids[0] ?? null;
  const video = useRef<HTMLVideoElement>(null);
  const [watched, setWatched] = useState(0);
  const [queued, setQueued] = useState(false);

  useEffect(() => {
    const element = video.current;
    if (!element || userId === null) return;
    const session = new VideoSession({
      userId,
      activityId: activity.id,
      title: activity.title,
      skillId,
      sessionId: newSessionId(),
      lang: intl.locale,
    });
    let initialized = false;
    let lastTime = element.currentTime;
    let seekFrom: number | null = null;
    const send = (statements: Statement[], keepalive = false) => {
      if (statements.length === 0) return;
      setWatched(session.progress(element.currentTime));
      void sendStatements(statements, { keepalive }).then((sent) => setQueued(sent === "queued"));
    };
    const start = () => {
      if (initialized || !Number.isFinite(element.duration) || element.duration <= 0) return;
      initialized = true;
      send(session.initialized(element.duration));
    };
    const handlers: Record<string, () => void> = {
      loadedmetadata: start,
      durationchange: start,
      play: () => {
        start();
        send(session.played(element.currentTime));
      },
      pause: () => {
        if (!element.seeking) send(session.paused(element.currentTime));
      },
      seeking: () => {
        seekFrom ??= lastTime;
      },
      seeked: () => {
        const from = seekFrom ?? lastTime;
        seekFrom = null;
        lastTime = element.currentTime;
        send(session.seeked(from, element.currentTime));
      },
      timeupdate: () => {
        if (element.seeking) return;
        lastTime = element.currentTime;
        setWatched(session.progress(element.currentTime));
        send(session.timeUpdate(element.currentTime));
      },
      ended: () => send(session.ended(element.currentTime)),
    };
    for (const [name, handler] of Object.entries(handlers)) element.addEventListener(name, handler);
    start(); // metadata may already be in
    const leave = () => {
      if (initialized) send(session.terminate(lastTime), true);
    };
    window.addEventListener("pagehide", leave);
    return () => {
      for (const [name, handler] of Object.entries(handlers)) element.removeEventListener(name, handler);
      window.removeEventListener("pagehide", leave);
      leave();
    };
  }, [activity.id, activity.title, skillId, userId, intl.locale]);

  if (!media.url) {
    return (
      <div className="stack">
        <ActivityText activity={activity} />
        <Notice tone="warning">{intl.formatMessage({ id: "video.unavailable" })}</Notice>
      </div>
    );
  }
  const percent = intl.formatNumber(watched, { style: "percent", maximumFractionDigits: 0 });
  return (
    <div className="stack pw-video">
      <ActivityText activity={activity} />
      <figure className="stack">
        <video
          ref={video}
          controls
          preload="metadata"
          playsInline
          src={media.url}
          aria-labelledby="activity-title"
        >
          {media.captions && (
            <track
              kind="captions"
              src={media.captions.src}
              srcLang={media.captions.lang}
              label={intl.formatMessage({ id: "video.captions" })}
              default
            />
          )}
        </video>
        <figcaption>
          {intl.formatMessage({ id: media.captions ? "video.hasCaptions" : "video.noCaptions" })}
        </figcaption>
      </figure>
      <Progress label={intl.formatMessage({ id: "video.watched" })} value={watched} valueText={percent} />
      {queued && <Notice>{intl.formatMessage({ id: "video.queued" })}</Notice>}
    </div>
  );
}
