/* Captures that are never lost at the door. A form marked data-outbox is not posted by the
   browser: it becomes a record in the phone's queue (outbox_store.js) with the key made when
   the form opened, and is sent from there — at once when there is a connection, else when it
   comes back (online, focus, every 15 s with backoff, Background Sync). Every page shows how
   many records wait; /wachtrij lists them, sends them now, and saves them as a file.
   List pages keep their sheets on the phone (data-offline links) for a round without signal.
   Without JavaScript the forms post as they always did. */
"use strict";
(() => {
  const queue = self.fieldworkOutbox;
  if (!queue || !window.indexedDB) return;
  let text = {};
  const say = (name, n) => (text[name] || name).replace("%(n)d", String(n));
  // who is signed in: the page says so, unless it is a kept copy shown offline (the queue
  // page may have been kept while someone else, or nobody, was signed in): then the last
  // person a page from the network named
  const LAST_USER = "fieldwork-last-user";
  const user = () => {
    const here = document.body.dataset.draftsUser || "0";
    try {
      if (navigator.onLine) return here;
      return localStorage.getItem(LAST_USER) || here;
    } catch (e) { return here; }
  };
  const draftKey = (path) => `fieldwork-draft:${user()}:${path}`;
  const forget = (path) => { try { localStorage.removeItem(draftKey(path)); } catch (e) { /* none */ } };
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
    : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
      (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16)));
  const worker = () => ("serviceWorker" in navigator ? navigator.serviceWorker.ready : Promise.reject());
  const tellWorker = (message) => worker().then((reg) => reg.active && reg.active.postMessage(message), () => null);
  const pathOf = (url) => new URL(url, location.href).pathname;

  const fieldsOf = (form, submitter) => {
    const fields = [];
    new FormData(form, submitter || undefined).forEach((value, name) => {
      if (value instanceof File) {
        if (value.size) fields.push([name, value, value.name]);
      } else {
        fields.push([name, value]);
      }
    });
    fields.push(["observed_at", new Date().toISOString()]);
    return fields;
  };

  const showNote = (message, kind) => {
    const note = document.querySelector("[data-outbox-note]");
    if (!note) return;
    note.textContent = message;
    note.className = `flash flash-${kind || "success"}`;
    note.hidden = false;
  };
  const noteAfterNavigation = (message) => { try { sessionStorage.setItem("fieldwork-outbox-note", message); } catch (e) { /* none */ } };
  const UNDO = "fieldwork-outbox-undo";
  const undoAfterNavigation = (key) => { try { sessionStorage.setItem(UNDO, key); } catch (e) { /* none */ } };

  // a form with data-outbox-done (the quick "not at home") queued offline: the note names it
  // and offers to take it back off the phone before it is sent
  const offerUndo = (key) => {
    const words = document.querySelector("[data-outbox-undo-words]");
    const note = document.querySelector("[data-outbox-note]");
    if (!words || !note || note.hidden) return;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = words.dataset.undo;
    button.addEventListener("click", () => queue.takeBack(key).then((taken) => {
      showNote(taken ? words.dataset.undone : words.dataset.sent);
      refresh();
    }));
    note.append(" ", button);
  };

  // ---- the badge on every page, the marks on list pages, the queue page -------------------
  // a shared phone: another person's records stay theirs (not listed, not saved to a file)
  const mine = (records) => records.filter((r) => String(r.user) === "0" || String(r.user) === user());

  const refresh = () => queue.all().then((records) => {
    const waiting = mine(records);
    const badge = document.querySelector("[data-outbox-badge]");
    if (badge) {
      badge.hidden = waiting.length === 0;
      badge.textContent = say("waiting", waiting.length);
    }
    const pending = new Set(waiting.map((r) => pathOf(r.url)));
    document.querySelectorAll("form[data-outbox], a[data-offline]").forEach((el) => {
      const path = pathOf(el.getAttribute("action") || el.getAttribute("href") || location.href);
      const item = el.closest("[data-outbox-item]") || el;
      item.classList.toggle("queued", pending.has(path));
    });
    const list = document.querySelector("[data-outbox-list]");
    if (list) drawList(list, waiting);
    return waiting;
  });

  const stateText = (r) => ({
    queued: say("state_queued"), sending: say("state_sending"), login: say("state_login"),
    error: r.status === 400 ? say("state_invalid") : say("state_refused"),
  })[r.state] || say("state_queued");

  const drawList = (list, records) => {
    list.replaceChildren();
    const empty = document.querySelector("[data-outbox-empty]");
    if (empty) empty.hidden = records.length > 0;
    records.sort((a, b) => a.createdAt - b.createdAt).forEach((record) => {
      const item = document.createElement("li");
      item.className = `outbox-record state-${record.state}`;
      item.dataset.key = record.key;
      const title = document.createElement("strong");
      title.textContent = record.title || pathOf(record.url);
      const when = document.createElement("small");
      when.textContent = new Date(record.createdAt).toLocaleString(document.documentElement.lang);
      const state = document.createElement("span");
      state.className = "outbox-state";
      state.textContent = stateText(record);
      item.append(title, " ", when, " ", state);
      if (record.state === "error") {
        const fix = document.createElement("button");
        fix.type = "button";
        fix.textContent = say("open_to_fix");
        fix.addEventListener("click", () => reopen(record));
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "link";
        drop.textContent = say("delete");
        drop.addEventListener("click", () => {
          if (window.confirm(say("delete_confirm"))) queue.remove(record.key).then(refresh);
        });
        item.append(" ", fix, " ", drop);
      }
      list.append(item);
    });
  };

  // a refused record goes back into its form as a draft (drafts.js fills it in)
  const reopen = (record) => {
    const values = {};
    record.fields.forEach(([name, value, filename]) => {
      if (filename !== undefined || name === "csrf_token" || name === "observed_at") return;
      values[name] = name in values ? [].concat(values[name], value) : value;
    });
    try {
      localStorage.setItem(draftKey(pathOf(record.url)), JSON.stringify({ savedAt: Date.now(), values }));
    } catch (e) { /* full: the file export still has it */ }
    queue.remove(record.key).then(() => { location.href = record.url; });
  };

  const exportFile = () => queue.all().then((records) => Promise.all(mine(records).map((r) => Promise.all(
    r.fields.map(([name, value, filename]) => (filename === undefined ? [name, value]
      : new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve([name, reader.result, filename]);
        reader.readAsDataURL(value);
      })))
  ).then((fields) => ({ ...r, fields })))).then((out) => {
    const blob = new Blob([JSON.stringify({ format: "fieldwork-outbox", version: queue.VERSION, records: out }, null, 1)],
      { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `fieldwork-wachtrij-${new Date().toISOString().slice(0, 10)}.json`;
    document.body.append(link);
    link.click();
    link.remove();
  }));

  const importFile = (file) => file.text().then((raw) => {
    const data = JSON.parse(raw);
    if (data.format !== "fieldwork-outbox" || !Array.isArray(data.records)) throw new Error("format");
    return Promise.all(data.records.map((r) => Promise.all(r.fields.map(([name, value, filename]) =>
      (filename === undefined ? [name, value]
        : fetch(value).then((res) => res.blob()).then((blob) => [name, new File([blob], filename), filename]))))
      .then((fields) => queue.put({ ...r, fields, state: r.state === "error" ? "error" : "queued", tries: 0, lastTryAt: 0 }))));
  }).then(() => { showNote(say("imported")); refresh(); sendNow(true); }, () => showNote(say("import_failed"), "error"));

  // ---- sending -------------------------------------------------------------------------------
  let sending = null;
  const sendNow = (force) => {
    if (sending) return sending;
    sending = queue.flush(force).then((results) => {
      results.filter((r) => r.state === "received").forEach((r) => forget(pathOf(r.url)));
      return refresh().then(() => results);
    }, () => []).finally(() => { sending = null; });
    return sending;
  };

  const capture = (form, submitter) => {
    const record = {
      key: form.dataset.key,
      url: form.action,
      fields: fieldsOf(form, submitter),
      user: user(),
      title: form.dataset.outbox || document.title,
      createdAt: Date.now(),
      state: "queued",
      tries: 0,
    };
    const next = form.dataset.outboxNext || "/wachtrij";
    return queue.put(record)
      .then(() => navigator.storage && navigator.storage.persist && navigator.storage.persist())
      .then(() => queue.flush(true))  // after any flush under way: they share one lock
      .then((results) => {
        const mine = results.find((r) => r.key === record.key) || { state: "queued" };
        if (mine.state !== "error" || mine.status !== 400) form.dataset.sent = "1";  // no draft after this
        if (mine.state === "received") {
          forget(pathOf(record.url));
          location.href = mine.next || next;
          return;
        }
        if (mine.state === "error" && mine.status === 400) {  // the server names what to fix
          queue.remove(record.key).then(() => HTMLFormElement.prototype.submit.call(form));
          return;
        }
        forget(pathOf(record.url));  // it is in the queue now: the draft would only make a second one
        worker().then((reg) => reg.sync && reg.sync.register("fieldwork-outbox")).catch(() => null);
        const done = mine.state === "queued" && form.dataset.outboxDone;
        noteAfterNavigation(done ? `${done}. ${say("queued_note")}`
          : say(mine.state === "queued" ? "queued_note" : "problem_note"));
        if (done) undoAfterNavigation(record.key);
        location.href = mine.state === "queued" ? next : "/wachtrij";
      });
  };

  const watchForm = (form) => {
    form.dataset.key = newKey();  // made when the form opens: every resend is this one record
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.dataset.busy) return;  // a second tap: the first is on its way
      form.dataset.busy = "1";
      capture(form, event.submitter).catch(() => {
        delete form.dataset.busy;  // no IndexedDB (private mode, full): post the old way
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  };

  // the sheets behind a list page are kept on the phone for a round without signal
  const keepPages = () => {
    const holder = document.querySelector("[data-offline-keep]");
    if (!holder) return;
    const urls = [location.pathname, ...Array.from(document.querySelectorAll("a[data-offline]"), (a) => pathOf(a.href))];
    tellWorker({ type: "keep-pages", group: `${user()}:${holder.dataset.offlineKeep}`, urls });
  };

  document.addEventListener("DOMContentLoaded", () => {
    const words = document.getElementById("outbox-text");
    if (words) text = JSON.parse(words.textContent);
    if ((document.body.dataset.draftsClear || "").split(" ").includes("*")) tellWorker({ type: "forget-pages" });
    try {  // someone else signed in: the kept queue and offline pages are fetched again for them
      if (navigator.onLine && localStorage.getItem(LAST_USER) !== user()) {
        localStorage.setItem(LAST_USER, user());
        tellWorker({ type: "keep-pages", group: "shell", urls: [], refresh: true });
      }
    } catch (e) { /* no storage: the kept pages stay as they were */ }
    try {
      const note = sessionStorage.getItem("fieldwork-outbox-note");
      if (note) { sessionStorage.removeItem("fieldwork-outbox-note"); showNote(note); }
      const undo = sessionStorage.getItem(UNDO);
      if (undo) { sessionStorage.removeItem(UNDO); offerUndo(undo); }
    } catch (e) { /* none */ }
    document.querySelectorAll("form[data-outbox]").forEach(watchForm);
    keepPages();
    const now = document.querySelector("[data-outbox-send]");
    if (now) now.addEventListener("click", () => sendNow(true));
    const save = document.querySelector("[data-outbox-export]");
    if (save) save.addEventListener("click", exportFile);
    const load = document.querySelector("[data-outbox-import]");
    if (load) load.addEventListener("change", () => load.files[0] && importFile(load.files[0]));
    refresh().then((waiting) => { if (waiting.length && navigator.onLine) sendNow(false); });
  });
  window.addEventListener("online", () => sendNow(true));
  window.addEventListener("focus", () => sendNow(false));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sendNow(false); });
  setInterval(() => sendNow(false), 15000);
  // what the page itself or the service worker (Background Sync) sent: one message a record
  let arrived = 0;
  const heard = (message) => {
    if (message && message.type === "outbox" && message.state === "received") {
      arrived += 1;
      showNote(say("received", arrived));
    }
    refresh();
  };
  if ("BroadcastChannel" in window) new BroadcastChannel("fieldwork-outbox").onmessage = (e) => heard(e.data);
  if ("serviceWorker" in navigator) navigator.serviceWorker.addEventListener("message", (e) => heard(e.data));
})();
