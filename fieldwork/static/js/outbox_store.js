/* The phone's queue of captures not yet received by the server, in IndexedDB. No DOM: the
   pages (outbox.js) and the service worker (Background Sync) both load this file and send
   through the same flush(). A record is deleted only when the server answered "received";
   every resend carries the same Idempotency-Key, so the server stores it once. */
"use strict";
(function (scope) {
  const DB_NAME = "fieldwork-outbox";
  // A new version adds a step here; steps run in order from the phone's version, so a queue
  // written by an older app survives every update (records are never dropped by an upgrade).
  const MIGRATIONS = [
    (db) => {  // 1: records by key, with the user who made them
      const store = db.createObjectStore("records", { keyPath: "key" });
      store.createIndex("user", "user");
    },
  ];
  const VERSION = MIGRATIONS.length;
  const BACKOFF = [0, 15, 30, 60, 120, 300, 600];  // seconds before the next try

  const open = () => new Promise((resolve, reject) => {
    const request = scope.indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = (event) => {
      for (let v = event.oldVersion; v < VERSION; v++) MIGRATIONS[v](request.result, request.transaction);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("blocked"));
  });
  const run = (mode, work) => open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction("records", mode);
    let result;
    Promise.resolve(work(tx.objectStore("records"))).then((r) => { result = r; });
    tx.oncomplete = () => { db.close(); resolve(result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
    tx.onabort = () => { db.close(); reject(tx.error || new Error("aborted")); };
  }));
  const ask = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  const all = () => run("readonly", (store) => ask(store.getAll()));
  const put = (record) => run("readwrite", (store) => ask(store.put(record)));
  const remove = (key) => run("readwrite", (store) => ask(store.delete(key)));
  const update = (key, changes) => run("readwrite", (store) => ask(store.get(key)).then((record) => {
    if (record) return ask(store.put(Object.assign(record, changes)));
    return null;
  }));

  const notify = (message) => {
    if (scope.clients && scope.clients.matchAll) {  // in the service worker: tell the pages
      scope.clients.matchAll({ includeUncontrolled: true }).then((pages) => pages.forEach((p) => p.postMessage(message)));
    } else if (scope.BroadcastChannel) {
      new scope.BroadcastChannel("fieldwork-outbox").postMessage(message);
    }
  };

  const token = () => fetch("/wachtrij/sleutel", { credentials: "same-origin", cache: "no-store" })
    .then((r) => { if (!r.ok) throw new Error("token " + r.status); return r.json(); });

  const body = (record, csrf) => {
    const data = new FormData();
    record.fields.forEach(([name, value, filename]) => {
      if (name === "csrf_token") return;
      if (filename !== undefined) data.append(name, value, filename);
      else data.append(name, value);
    });
    data.append("csrf_token", csrf);
    return data;
  };

  // One try: "received", "queued" (no connection, server trouble: try later), "login" (the
  // session ended: kept until they log in again) or "error" (the server refused it).
  const send = (record, session) => {
    if (String(record.user) !== "0" && String(record.user) !== String(session.user)) {
      return Promise.resolve({ state: "login" });  // never sent in someone else's session
    }
    return fetch(record.url, {
      method: "POST",
      body: body(record, session.csrf_token),
      credentials: "same-origin",
      headers: { "X-Fieldwork-Outbox": "1", "Idempotency-Key": record.key },
      redirect: "manual",
    }).then((response) => {
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && type.includes("json")) {
        return response.json().then((answer) => ({ state: "received", next: answer.next }));
      }
      if (response.status === 401) return { state: "login" };
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
        return { state: "queued", status: response.status };
      }
      return { state: "error", status: response.status };
    }, () => ({ state: "queued", status: 0 }));
  };

  const due = (record, now) => {
    const wait = BACKOFF[Math.min(record.tries || 0, BACKOFF.length - 1)] * 1000;
    return record.state !== "error" && (!record.lastTryAt || now - record.lastTryAt >= wait);
  };

  // Send every record that is due; ``force`` ignores the backoff (the connection came back,
  // the person tapped "send now"). Resolves to what happened to each record.
  const flushNow = (force) => all().then((records) => {
    const now = Date.now();
    const todo = records.filter((r) => force ? r.state !== "error" : due(r, now));
    if (!todo.length) return [];
    return token().then((session) => todo.reduce((chain, record) => chain.then((results) =>
      update(record.key, { state: "sending", lastTryAt: Date.now() })
        .then(() => notify({ type: "outbox", key: record.key, state: "sending" }))
        .then(() => send(record, session))
        .then((outcome) => {
          const done = outcome.state === "received"
            ? remove(record.key)
            : update(record.key, {
              state: outcome.state, status: outcome.status || null, tries: (record.tries || 0) + 1,
            });
          return done.then(() => {
            notify({ type: "outbox", key: record.key, state: outcome.state, url: record.url });
            return results.concat([{ key: record.key, url: record.url, ...outcome }]);
          });
        })), Promise.resolve([])), () => []);  // no connection for the token: try later
  });
  // one flush at a time per phone (pages and the service worker share the queue)
  const locked = (work) => (scope.navigator && scope.navigator.locks)
    ? scope.navigator.locks.request("fieldwork-outbox", work)
    : work();
  const flush = (force) => locked(() => flushNow(force));
  // The person undid a record before it was sent: under the flush's lock, so never while it
  // is on its way. Resolves to whether it was still waiting (false: sent already).
  const takeBack = (key) => locked(() => run("readwrite", (store) => ask(store.get(key))
    .then((record) => (record ? ask(store.delete(key)).then(() => true) : false))));

  scope.fieldworkOutbox = { open, all, put, remove, update, flush, takeBack, VERSION };
})(self);
