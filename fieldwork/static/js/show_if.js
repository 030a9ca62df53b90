// Fields that apply only after a choice (the paper form's number when the resident signed
// on paper, "call back at" when the outcome is "call back"): shown only while it holds.
// Without JavaScript every field is there, as before. data-show-if: selectors that must all
// match inside the form, joined by "&".
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-show-if]").forEach((part) => {
    const form = part.closest("form");
    const all = part.dataset.showIf.split("&").map((s) => s.trim());
    const holds = () => all.every((selector) => form.querySelector(selector));
    // a field with an error or a value stays visible: nothing typed disappears
    const keep = () => part.querySelector(".error") || [...part.querySelectorAll("input, textarea")]
      .some((input) => input.type !== "radio" && input.type !== "checkbox" && input.type !== "hidden" && input.value);
    const toggle = () => {
      const kept = Boolean(keep());
      part.classList.toggle("kept", kept); // app.css hides the part from the first paint unless kept
      part.hidden = !holds() && !kept;
    };
    form.addEventListener("change", toggle);
    toggle();
  });
});

// A fold (themes, information handed out, interests) opens by itself when one of its answers is given another way (a restored
// draft): what was answered is never hidden in a closed fold.
document.addEventListener("change", (event) => {
  const fold = event.target.closest && event.target.closest("details.theme-group, details.fold");
  if (fold && event.target.checked && event.target.value !== "not_discussed") fold.open = true;
});
