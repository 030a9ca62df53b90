// The photo upload on a resident's phone: sent to the API with one Idempotency-Key per
// chosen photo, so that a retry on a flaky connection is stored once; retried by itself
// (a little later each time, and at once when the phone is back online). Without
// JavaScript the form posts the ordinary way. The map pin becomes lat/lon.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("upload-status");
  var send = document.getElementById("send");
  var thanks = document.getElementById("thanks");
  var fileInput = form.querySelector("input[type=file]");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var key = null;
  var pending = null;
  var timer = null;
  var DELAYS = [1000, 2000, 4000, 8000, 15000, 30000, 30000, 60000];

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function say(text, isError) {
    status.textContent = text || "";
    status.className = "upload-status" + (isError ? " error" : "");
  }

  fileInput.addEventListener("change", function () { key = null; say(""); });

  function finished() {
    pending = null;
    send.disabled = false;
    form.hidden = true;
    thanks.hidden = false;
    thanks.scrollIntoView();
  }

  function attempt(data, tries) {
    if (timer) { clearTimeout(timer); timer = null; }
    say(tries ? form.dataset.msgRetry : form.dataset.msgSending, false);
    fetch(form.dataset.api, {method: "POST", body: data, credentials: "omit",
                             headers: {"Idempotency-Key": key}})
      .then(function (response) {
        if (response.status === 201 || response.status === 200) { finished(); return; }
        if (response.status >= 500) { throw new Error("server " + response.status); }
        pending = null;
        send.disabled = false;
        if (response.status === 429) { say(form.dataset.msgBusy, true); return; }
        return response.json().then(function (body) {
          say(body && body.error ? body.error.message : form.dataset.msgFailed, true);
        }, function () { say(form.dataset.msgFailed, true); });
      })
      .catch(function () {
        if (tries < DELAYS.length) {
          pending = {data: data, tries: tries + 1};
          timer = setTimeout(function () { attempt(data, tries + 1); }, DELAYS[tries]);
          say(form.dataset.msgRetry, false);
        } else {
          pending = null;
          send.disabled = false;
          say(form.dataset.msgFailed, true);
        }
      });
  }

  window.addEventListener("online", function () {
    if (pending) { attempt(pending.data, pending.tries); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    if (!file) { say(form.dataset.msgNoFile, true); return; }
    if (file.size > maxBytes) { say(form.dataset.msgTooBig, true); return; }
    if (!key) { key = newKey(); }  // the same photo sent again keeps its key
    send.disabled = true;
    attempt(new FormData(form), 0);
  });

  document.getElementById("another").addEventListener("click", function () {
    form.reset();
    key = null;
    clearPin();
    say("");
    thanks.hidden = true;
    form.hidden = false;
    fileInput.focus();
  });

  // the map: a tap places the pin (x = (lon - west) * kx, y = (north - lat) * ky)
  var map = document.getElementById("pin-map");
  var pin = document.getElementById("pin");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var clear = document.getElementById("pin-clear");
  function clearPin() {
    if (!map) { return; }
    lat.value = ""; lon.value = "";
    pin.setAttribute("cx", "-100"); pin.setAttribute("cy", "-100");
    clear.hidden = true;
  }
  if (map) {
    var west = parseFloat(map.dataset.west), north = parseFloat(map.dataset.north);
    var kx = parseFloat(map.dataset.kx), ky = parseFloat(map.dataset.ky);
    map.addEventListener("click", function (event) {
      var point = map.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      var local = point.matrixTransform(map.getScreenCTM().inverse());
      pin.setAttribute("cx", local.x.toFixed(1));
      pin.setAttribute("cy", local.y.toFixed(1));
      lon.value = (west + local.x / kx).toFixed(6);
      lat.value = (north - local.y / ky).toFixed(6);
      clear.hidden = false;
    });
    clear.addEventListener("click", clearPin);
  }
})();
