// Signature on screen: draw with a finger; the PNG goes into the hidden field as it is drawn.
// Shown only while "signs here on the screen" is chosen.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-signature]");
  if (!box) return;
  const canvas = box.querySelector("canvas");
  const input = box.querySelector("input[type=hidden]");
  const form = box.closest("form");
  const ctx = canvas.getContext("2d");
  let drawing = false, drawn = false;
  ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.strokeStyle = "#000";
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true; canvas.setPointerCapture(e.pointerId);
    ctx.beginPath(); ctx.moveTo(...at(e));
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ctx.lineTo(...at(e)); ctx.stroke(); drawn = true;
  });
  const keep = () => {  // into the hidden field at once, so a draft (drafts.js) holds it too
    input.value = canvas.toDataURL("image/png");
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const stop = () => { if (drawing && drawn) keep(); drawing = false; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  box.querySelector("[data-clear]").addEventListener("click", () => {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; input.value = "";
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  const name = box.dataset.choice || "consent";  // the radio group that asks for a signature
  const choice = () => form.querySelector(`input[name=${name}]:checked`);
  const toggle = () => { box.hidden = !(choice() && choice().value === "signature"); };
  form.querySelectorAll(`input[name=${name}]`).forEach((r) => r.addEventListener("change", toggle));
  toggle();
  form.addEventListener("submit", () => {
    if (drawn && choice() && choice().value === "signature") input.value = canvas.toDataURL("image/png");
  });
});
