// ewallet web app: the little script the pages use. It is loaded from this
// origin only (the Content-Security-Policy allows no inline script), reads
// no cookie (they are HttpOnly) and every page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  currentTab();
  onceForms();
  confirmForms();
  pollStatus();
  scanner();
});

// currentTab scrolls the menu sideways to the current page's entry, which
// on a narrow phone may sit past the right edge.
function currentTab() {
  var cur = document.querySelector(".tabs [aria-current=page]");
  if (!cur) return;
  var tabs = cur.parentElement;
  if (cur.offsetLeft + cur.offsetWidth > tabs.clientWidth) {
    tabs.scrollLeft = cur.offsetLeft - (tabs.clientWidth - cur.offsetWidth) / 2;
  }
}

// onceForms disables a money form's button after the first submit; the
// server's idempotency key is the real guard against a double submit.
function onceForms() {
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
}

// confirmForms asks before the forms that cannot be undone.
function confirmForms() {
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });
}

// pollStatus keeps a payment's status live: it asks the server every
// second and, when the status changes, shows the new words and the
// sections meant for it (data-show-when) without reloading the page.
function pollStatus() {
  var el = document.querySelector("[data-poll]");
  if (!el) return;
  var url = el.getAttribute("data-poll");
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        if (s.status !== el.getAttribute("data-status")) {
          el.setAttribute("data-status", s.status);
          el.textContent = s.label;
          el.className = "status status-" + s.status;
          showFor(s.status);
          var refunded = document.getElementById("payment-refunded");
          if (refunded && s.amount_refunded) refunded.textContent = s.amount_refunded;
        }
        if (s.final && s.status !== "authorized") clearInterval(timer);
      })
      .catch(function () {});
  }, 1000);
}

function showFor(status) {
  document.querySelectorAll("[data-show-when]").forEach(function (sec) {
    sec.hidden = sec.getAttribute("data-show-when").split(" ").indexOf(status) < 0;
  });
}

// scanner reads a payment QR code with the camera where the browser has
// BarcodeDetector, then opens the code's confirmation page; elsewhere the
// paste box is the way in.
function scanner() {
  var start = document.getElementById("scan-start");
  if (!start) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  document.getElementById("scan-unsupported").hidden = true;
  start.hidden = false;
  var box = document.getElementById("scanner");
  var video = document.getElementById("scan-video");
  var stream = null, running = false;
  function stop() {
    running = false;
    box.hidden = true;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
  }
  document.getElementById("scan-stop").addEventListener("click", stop);
  start.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      box.hidden = false;
      running = true;
      return video.play();
    }).then(function tick() {
      if (!running) return;
      detector.detect(video).then(function (codes) {
        if (codes.length > 0 && codes[0].rawValue) {
          stop();
          document.getElementById("qr").value = codes[0].rawValue;
          document.getElementById("paste-form").submit();
          return;
        }
        requestAnimationFrame(tick);
      }).catch(function () { requestAnimationFrame(tick); });
    }).catch(function () { stop(); });
  });
}
