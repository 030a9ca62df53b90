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
  var TIMEOUT = 120000;  // a stalled connection counts as a dropped one
  var inFlight = false;

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

  fileInput.addEventListener("change", function () {
    if (!pending && !inFlight) { key = null; }  // a new photo gets a new key
    say("");
  });

  function idle() {
    pending = null;
    send.disabled = false;
    fileInput.disabled = false;
  }

  function finished() {
    idle();
    form.hidden = true;
    thanks.hidden = false;
    thanks.scrollIntoView();
  }

  function attempt(data, photoKey, tries) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (inFlight) { return; }
    inFlight = true;
    pending = null;
    say(tries ? form.dataset.msgRetry : form.dataset.msgSending, false);
    var controller = window.AbortController ? new AbortController() : null;
    var stalled = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT) : null;
    fetch(form.dataset.api, {method: "POST", body: data, credentials: "omit",
                             headers: {"Idempotency-Key": photoKey},
                             signal: controller ? controller.signal : undefined})
      .then(function (response) {
        inFlight = false;
        if (stalled) { clearTimeout(stalled); }
        if (response.status === 201 || response.status === 200) { finished(); return; }
        if (response.status >= 500 || response.status === 408) {
          throw new Error("server " + response.status);
        }
        idle();
        if (response.status === 429) { say(form.dataset.msgBusy, true); return; }
        if (response.status === 413) { say(form.dataset.msgTooBig, true); return; }
        return response.json().then(function (body) {
          say(body && body.error ? body.error.message : form.dataset.msgFailed, true);
        }, function () { say(form.dataset.msgFailed, true); });
      })
      .catch(function () {
        inFlight = false;
        if (stalled) { clearTimeout(stalled); }
        if (tries < DELAYS.length) {
          pending = {data: data, key: photoKey, tries: tries + 1};
          timer = setTimeout(function () { attempt(data, photoKey, tries + 1); }, DELAYS[tries]);
          say(form.dataset.msgRetry, false);
        } else {
          idle();
          say(form.dataset.msgFailed, true);  // the key stays: tapping Send again is a retry
        }
      });
  }

  window.addEventListener("online", function () {
    if (pending && !inFlight) { attempt(pending.data, pending.key, pending.tries); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    if (!file) { say(form.dataset.msgNoFile, true); return; }
    if (file.size > maxBytes) { say(form.dataset.msgTooBig, true); return; }
    if (!form.querySelector("input[name=consent]:checked")) {
      say(form.dataset.msgConsent, true);
      return;
    }
    if (pending || inFlight) { return; }  // a double tap
    if (!key) { key = newKey(); }  // the same photo sent again keeps its key
    var data = new FormData(form);
    send.disabled = true;
    fileInput.disabled = true;  // the photo on its way is the one the key belongs to
    attempt(data, key, 0);
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
