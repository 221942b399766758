// Logs in (POST api/tokens), then opens the lab's first connection over the HTTP tunnel and
// shows it; keyboard and mouse go to the desktop. The state is on <body data-state=...> for
// tests and screen readers: login, connecting, connected, error.
(function () {
  "use strict";
  var form = document.getElementById("login");
  var status = document.getElementById("status");
  var display = document.getElementById("display");
  // Guacamole.Client's states by number: guacamole-common-js 1.5 names them only in its docs
  // (Guacamole.Client.State is undefined there).
  var CONNECTED = 3, DISCONNECTED = 5;
  function state(s, text) { document.body.dataset.state = s; status.textContent = text || ""; }
  state("login");

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    state("connecting", "Connecting...");
    var body = new URLSearchParams({ username: form.username.value, password: form.password.value });
    fetch("api/tokens", { method: "POST", body: body })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(r.status === 403 ? "Wrong user or password." : "Login failed (" + r.status + ").")); })
      .then(function (login) {
        return fetch("api/session/data/default/connections?token=" + encodeURIComponent(login.authToken))
          .then(function (r) { return r.json(); })
          .then(function (connections) { open(login.authToken, Object.keys(connections)[0]); });
      })
      .catch(function (err) { state("error", err.message); });
  });

  function open(token, id) {
    var client = new Guacamole.Client(new Guacamole.HTTPTunnel("tunnel"));
    client.onerror = function (s) { state("error", "Connection failed: " + s.message); };
    client.onstatechange = function (s) {
      if (s === CONNECTED) { form.hidden = true; display.hidden = false; state("connected"); }
      if (s === DISCONNECTED && document.body.dataset.state === "connected") state("login", "Disconnected.");
    };
    display.appendChild(client.getDisplay().getElement());
    var mouse = new Guacamole.Mouse(client.getDisplay().getElement());
    mouse.onEach(["mousedown", "mousemove", "mouseup"], function (ev) { client.sendMouseState(ev.state, true); });
    var keyboard = new Guacamole.Keyboard(document);
    keyboard.onkeydown = function (k) { client.sendKeyEvent(1, k); };
    keyboard.onkeyup = function (k) { client.sendKeyEvent(0, k); };
    window.addEventListener("beforeunload", function () { client.disconnect(); });
    client.connect(new URLSearchParams({
      token: token, GUAC_ID: id, GUAC_WIDTH: String(window.innerWidth), GUAC_HEIGHT: String(window.innerHeight), GUAC_DPI: "96",
    }).toString());
  }
})();
