import { useEffect, useState } from "react";
import { authorizedFetch } from "@/api/client";

/**
 * An image from an authenticated API route: `<img src>` cannot send the bearer token, so the bytes
 * are fetched with it and shown from an object URL (revoked when the image goes away).
 */
export function AuthImage({ path, alt, failed }: { path: string; alt: string; failed: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState(false);
  useEffect(() => {
    let made: string | null = null;
    let live = true;
    authorizedFetch(new Request(new URL(path, window.location.origin)))
      .then(async (response) => {
        if (!response.ok) throw new Error(String(response.status));
        const blob = await response.blob();
        if (!live) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch(() => live && setError(true));
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [path]);
  if (error) return <p>{failed}</p>;
  if (!url) return <div aria-busy="true" className="pw-ml-plot-loading" />;
  return <img src={url} alt={alt} />;
}
