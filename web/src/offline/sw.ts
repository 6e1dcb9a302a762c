/// <reference lib="webworker" />
/**
 * The service worker: the app shell is precached (so the app opens with the network off) and every
 * in-app address falls back to the shell, whose router draws the page. What the learner's lessons need
 * offline is cached at run time by the rules in ./cacheRules.
 */
import { clientsClaim } from "workbox-core";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";

declare const self: ServiceWorkerGlobalScope;

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
self.skipWaiting();
clientsClaim();

const API = /^\/(v1|xAPI|graphql|ws|healthz|readyz|docs|redoc|openapi\.json)(\/|$)/;
registerRoute(new NavigationRoute(createHandlerBoundToURL("/index.html"), { denylist: [API] }));
