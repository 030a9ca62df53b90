// Drafts that survive: a form marked data-draft keeps what is typed in localStorage, per
// user and page, and fills it in again after a reload, Back, or a closed tab reopened —
// the drawn signature too. Never the CSRF token or other hidden fields, passwords, files, nor
// a field marked data-draft-skip (a honeypot, a consent given afresh). A draft goes when
// the server confirmed the save (the next page names it in data-drafts-clear on <body>),
// on logout ("*"), with "Discard draft", or after 7 days. Without JavaScript nothing changes.
(() => {
  const PREFIX = "fieldwork-draft:";
  const MAX_AGE = 7 * 24 * 3600 * 1000;
  let store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  const ours = () => {
    const out = [];
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      if (key && key.startsWith(PREFIX)) out.push(key);
    }
    return out;
  };
  const read = (key) => {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (!store) return;
    const body = document.body;
    const keyOf = (path) => `${PREFIX}${body.dataset.draftsUser || "0"}:${path}`;
    const now = Date.now();
    ours().forEach((key) => {  // kept at most 7 days
      const draft = read(key);
      if (!draft || !(now - draft.savedAt < MAX_AGE)) store.removeItem(key);
    });
    (body.dataset.draftsClear || "").split(" ").filter(Boolean).forEach((path) => {
      if (path === "*") ours().forEach((key) => store.removeItem(key));
      else store.removeItem(keyOf(path));
    });

    const form = document.querySelector("form[data-draft]");
    if (!form) return;
    const key = keyOf(window.location.pathname);
    const box = form.querySelector("[data-signature]");
    const kept = (el) => el.name && el.name !== "csrf_token" && !("draftSkip" in el.dataset) &&
      !["password", "file", "submit", "button", "reset"].includes(el.type) &&
      (el.type !== "hidden" || (box && box.contains(el)));
    const fields = () => Array.from(form.elements).filter(kept);

    const collect = () => {
      const values = {};
      fields().forEach((el) => {
        if (el.type === "checkbox" || el.type === "radio") {
          values[el.name] = values[el.name] || [];
          if (el.checked) values[el.name].push(el.value);
        } else if (el.multiple) {
          values[el.name] = Array.from(el.selectedOptions).map((o) => o.value);
        } else {
          values[el.name] = el.value;
        }
      });
      return values;
    };
    let quiet = false;
    const save = () => {
      if (quiet || form.dataset.sent) return;  // sent: in the phone's queue or received
      try { store.setItem(key, JSON.stringify({ savedAt: Date.now(), values: collect() })); } catch (e) { /* full or private mode */ }
    };
    const redraw = () => {  // the signature's PNG back onto the canvas
      if (!box) return;
      const input = box.querySelector("input[type=hidden]");
      const canvas = box.querySelector("canvas");
      if (!input || !canvas || !input.value.startsWith("data:image/png;base64,")) return;
      const image = new Image();
      image.onload = () => canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      image.src = input.value;
    };
    const restore = (values) => {
      fields().forEach((el) => {
        if (!(el.name in values)) return;
        const value = values[el.name];
        // a choice may be kept as one value (a record reopened from the queue) or a list
        if (el.type === "checkbox" || el.type === "radio") el.checked = [].concat(value).includes(el.value);
        else if (el.multiple) Array.from(el.options).forEach((o) => { o.selected = [].concat(value).includes(o.value); });
        else if (typeof value === "string") el.value = value;
      });
      fields().forEach((el) => {  // let the other scripts (signature box, note warning) follow
        if (el.type !== "hidden") el.dispatchEvent(new Event("change", { bubbles: true }));
      });
      redraw();
    };

    const draft = read(key);
    if (form.dataset.draft === "posted") {
      redraw();  // the server sent the form back with an error: it holds the latest answers
      save();
    } else if (draft && draft.values) {
      quiet = true;
      restore(draft.values);
      quiet = false;
      const note = document.querySelector("[data-draft-note]");
      if (note) {
        note.hidden = false;
        note.querySelector("[data-draft-discard]").addEventListener("click", () => {
          quiet = true;
          form.reset();
          const erase = box && box.querySelector("[data-clear]");
          if (erase) erase.click();
          fields().forEach((el) => {
            if (el.type !== "hidden") el.dispatchEvent(new Event("change", { bubbles: true }));
          });
          store.removeItem(key);
          quiet = false;
          note.hidden = true;
        });
      }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", save);  // kept until the server confirms
    window.addEventListener("pagehide", save);
  });
})();
