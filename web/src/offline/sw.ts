/// <reference lib="webworker" />
/**
 * The service worker: the app shell is precached (so the app opens with the network off) and every
 * in-app address falls back to the shell, whose router draws the page. What the learner's lessons need
 * offline is cached at run time by the rules in ./cacheRules.
 */
import { CacheableResponsePlugin } from "workbox-cacheable-response";
import { clientsClaim } from "workbox-core";
import { ExpirationPlugin } from "workbox-expiration";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { RangeRequestsPlugin } from "workbox-range-requests";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { CacheFirst, NetworkFirst } from "workbox-strategies";
import {
  API_CACHE,
  API_MAX_ENTRIES,
  MEDIA_BUDGET_BYTES,
  MEDIA_CACHE,
  MEDIA_MAX_AGE_S,
  MEDIA_PATH,
  isOfflineRead,
} from "./cacheRules";
import { ByteBudgetPlugin } from "./budget";

declare const self: ServiceWorkerGlobalScope;

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
self.skipWaiting();
clientsClaim();

const API = /^\/(v1|xAPI|graphql|ws|healthz|readyz|docs|redoc|openapi\.json)(\/|$)/;
registerRoute(new NavigationRoute(createHandlerBoundToURL("/index.html"), { denylist: [API] }));

// A lesson's API reads: fresh when the network answers (within 5 s), the last copy when it does not.
// The request's Authorization header differs after every refresh, so a cached copy matches without it.
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === "GET" && isOfflineRead(url.pathname),
  new NetworkFirst({
    cacheName: API_CACHE,
    networkTimeoutSeconds: 5,
    matchOptions: { ignoreVary: true },
    plugins: [
      new CacheableResponsePlugin({ statuses: [200] }),
      new ExpirationPlugin({ maxEntries: API_MAX_ENTRIES, purgeOnQuotaError: true }),
    ],
  }),
);

// Media: the signature in the query changes, the file does not. Only whole (200) files are kept; a
// video's range requests are answered from the kept file.
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && request.method === "GET" && MEDIA_PATH.test(url.pathname),
  new CacheFirst({
    cacheName: MEDIA_CACHE,
    matchOptions: { ignoreSearch: true, ignoreVary: true },
    plugins: [
      new CacheableResponsePlugin({ statuses: [200] }),
      new RangeRequestsPlugin(),
      new ExpirationPlugin({ maxAgeSeconds: MEDIA_MAX_AGE_S, purgeOnQuotaError: true }),
      new ByteBudgetPlugin(MEDIA_BUDGET_BYTES),
    ],
  }),
);
