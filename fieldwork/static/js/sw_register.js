/* Registers the app shell's service worker (static files only; see /sw.js). */
"use strict";
(function () {
  const script = document.currentScript;
  const url = script && script.dataset.sw;
  if (!url || !("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url).catch(function () {
      /* no worker: the site works exactly as without one */
    });
  });
})();
