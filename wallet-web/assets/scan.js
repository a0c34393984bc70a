// The web wallet's QR scanner: "Scan a QR code" buttons (hidden until this script finds a
// camera API) open the camera and read the code with the browser's BarcodeDetector where it
// has one, or with jsQR (served by the wallet at /assets/jsQR.js) otherwise. A credential
// offer opens /offer?offer=..., a presentation request /present?request=..., as the https
// wallet links do; anything else is named as not a wallet link. Pasting the link stays.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-scan]");
  if (!buttons.length || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  // Where a scanned text leads in this wallet, or null.
  function route(text) {
    var t = String(text || "").trim();
    if (/^openid-credential-offer:/i.test(t)) return "/offer?offer=" + encodeURIComponent(t);
    if (/^(openid4vp|haip|eudi-openid4vp|mdoc-openid4vp):/i.test(t))
      return "/present?request=" + encodeURIComponent(t);
    try {
      var u = new URL(t);
      if (u.origin === location.origin && (u.pathname === "/offer" || u.pathname === "/present"))
        return u.pathname + u.search;
    } catch (e) {
      /* not a URL */
    }
    return null;
  }

  var jsQrLoading = null;
  function loadJsQr() {
    if (window.jsQR) return Promise.resolve();
    if (!jsQrLoading)
      jsQrLoading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = "/assets/jsQR.js";
        s.onload = resolve;
        s.onerror = reject;
        document.head.appendChild(s);
      });
    return jsQrLoading;
  }

  function detector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      return new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) {
      return null;
    }
  }

  function scan(button) {
    var box = document.getElementById(button.getAttribute("aria-controls"));
    var video = box.querySelector("video");
    var status = document.getElementById(box.id + "-status");
    var stopButton = box.querySelector("button[data-scan-stop]");
    var native = detector();
    var stream = null;
    var done = false;
    box.hidden = false;
    button.setAttribute("aria-expanded", "true");
    status.textContent = "Starting the camera.";
    function stop(message) {
      done = true;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      video.srcObject = null;
      box.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (message) status.textContent = message;
      button.focus();
    }
    stopButton.onclick = function () { stop("Scanning stopped."); };
    function found(text) {
      var to = route(text);
      if (!to) {
        status.textContent = "That QR code is not a wallet link. Try another, or paste the link.";
        return false;
      }
      done = true;
      status.textContent = "QR code read. Opening it.";
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      location.href = to;
      return true;
    }
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    function later() { if (!done) setTimeout(tick, 150); }
    function tick() {
      if (done) return;
      if (video.readyState < 2 || !video.videoWidth) return later();
      if (native) {
        native.detect(video).then(function (codes) {
          if (!(codes.length && found(codes[0].rawValue))) later();
        }, function () { native = null; loadJsQr().then(later, later); });
        return;
      }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
      if (!(code && found(code.data))) later();
    }
    (native ? Promise.resolve() : loadJsQr())
      .then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        return video.play();
      })
      .then(function () {
        status.textContent = "Point the camera at the QR code.";
        tick();
      })
      .catch(function () {
        stop("The camera cannot be used here. Paste the link instead.");
      });
  }

  Array.prototype.forEach.call(buttons, function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { scan(b); });
  });
})();
