// Minimisation: a note is kept only in some cases (consent, urgent). The line that says the
// note will not be kept is in the page for everyone (no-JS users read it as it is); with JS
// it shows only while a note is written and the choices on the form would drop it.
// data-kept-if: alternatives separated by "|", each a list of selectors joined by "&" that
// must all match inside the form for the note to be kept.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-note-warning]").forEach((line) => {
    const form = line.closest("form");
    const alternatives = line.dataset.keptIf.split("|").map((a) => a.split("&").map((s) => s.trim()));
    const kept = () => alternatives.some((all) => all.every((sel) => form.querySelector(sel)));
    // and only once something is written: an empty note loses nothing
    const note = form.querySelector("textarea[name=note]");
    const written = () => !note || note.value.trim() !== "";
    const toggle = () => { line.hidden = kept() || !written(); };
    form.addEventListener("change", toggle);
    form.addEventListener("input", toggle);
    toggle();
  });
});
