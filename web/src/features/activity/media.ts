/**
 * Where an activity's media lives. The platform gives a media activity a signed `media_url`
 * (`/v1/media/{key}?exp=&sig=`) and, for a video with captions, a signed WebVTT `captions_url`.
 * Until every API build carries those fields they are read as optional, here and only here.
 */
import type { Activity } from "./types";

type MediaFields = { media_url?: string | null; captions_url?: string | null; captions_lang?: string | null };

export interface Media {
  url: string | null;
  captions: { src: string; lang: string } | null;
}

export function mediaOf(activity: Activity): Media {
  const fields = activity as Activity & MediaFields;
  const url = fields.media_url || null;
  const captions = fields.captions_url ? { src: fields.captions_url, lang: fields.captions_lang || "en" } : null;
  return { url, captions };
}
