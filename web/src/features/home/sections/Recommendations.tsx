import { useEffect, useRef, useState } from "react";
import { useIntl } from "react-intl";
import { Link } from "react-router";
import { type Schemas } from "@/api/client";
import { Button } from "@/design/components";
import { Section } from "../Section";
import { pageOf, perPageFor, step } from "../shaping";
import type { Load } from "@/lib/useLoad";
import { Loaded } from "@/lib/Loaded";

type Recommendation = Schemas["RecommendationOut"];

/** Cards per page from the list's own width, followed as the window or the text size changes. */
function usePerPage(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [perPage, setPerPage] = useState(3);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setPerPage(perPageFor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, perPage];
}

/**
 * The recommended next activities as a carousel: a list showing a page of cards, previous and next
 * buttons (they wrap around, so focus never lands on a disabled button), and a polite status line
 * saying which ones are shown. Read-only readers (guardians) see the cards without links. A course
 * with nothing to rank yet (the API's 404) is an empty state, not a failure.
 */
export function RecommendationsSection({
  state,
  readOnly,
}: {
  state: Load<Schemas["RecommendationsOut"]>;
  readOnly: boolean;
}) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  return (
    <Section id="recommendations" title={t("home.recs.title")}>
      {state.status === "error" && state.code === 404 ? (
        <p className="muted">{t("home.recs.nothingYet")}</p>
      ) : (
        <Loaded
          state={state}
          failed={t("home.recs.failed")}
          empty={t("home.recs.empty")}
          isEmpty={(data) => data.items.length === 0}
        >
          {(data) => <Carousel items={data.items} readOnly={readOnly} />}
        </Loaded>
      )}
    </Section>
  );
}

function Carousel({ items, readOnly }: { items: Recommendation[]; readOnly: boolean }) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [ref, perPage] = usePerPage();
  const [page, setPage] = useState(0);
  const shown = pageOf(items, page, perPage);
  return (
    <div className="pw-carousel" ref={ref}>
      <ul className="pw-carousel__list" aria-label={t("home.recs.list")}>
        {shown.items.map((r, i) => (
          <li key={`${r.activity_id}-${shown.first + i}`} className="pw-card pw-rec">
            <p className={`pw-tag pw-tag--${r.type}`}>{t(`home.recs.type.${r.type}`)}</p>
            <h3 className="pw-card__title">
              {readOnly ? r.title : <Link to={`/learn/${encodeURIComponent(r.activity_id)}`}>{r.title}</Link>}
            </h3>
            <p>
              <span className="visually-hidden">{t("home.recs.why")} </span>
              {r.reason}
            </p>
            {r.skill_name && (
              <p className="muted pw-rec__skill">
                {r.mastery !== null && r.mastery !== undefined
                  ? t("home.recs.skillMastery", {
                      skill: r.skill_name,
                      mastery: intl.formatNumber(r.mastery, { style: "percent", maximumFractionDigits: 0 }),
                    })
                  : r.skill_name}
              </p>
            )}
          </li>
        ))}
      </ul>
      {shown.pages > 1 && (
        <div className="row pw-carousel__controls">
          <Button variant="secondary" onPress={() => setPage(step(shown.page, -1, shown.pages))}>
            <span aria-hidden="true" className="pw-flip">‹</span> {t("home.recs.previous")}
          </Button>
          <p className="muted pw-carousel__status" role="status" aria-live="polite">
            {t("home.recs.showing", { first: shown.first, last: shown.last, total: items.length })}
          </p>
          <Button variant="secondary" onPress={() => setPage(step(shown.page, 1, shown.pages))}>
            {t("home.recs.next")} <span aria-hidden="true" className="pw-flip">›</span>
          </Button>
        </div>
      )}
    </div>
  );
}
