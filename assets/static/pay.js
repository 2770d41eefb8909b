// Card payment on the payment page: the server computes the amount of the chosen invoices
// and creates the PaymentIntent; Stripe's Payment Element collects the card (card data
// goes to Stripe, never to Encaisse), then Stripe sends the browser back to this page.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form || !form.dataset.key || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.key, { locale: form.dataset.lang || "auto" });
  var start = document.getElementById("card-start");
  var confirm = document.getElementById("card-confirm");
  var mount = document.getElementById("card-element");
  var message = document.getElementById("card-message");
  var elements = null;

  function chosen() {
    return Array.prototype.slice
      .call(form.querySelectorAll("input[name=invoice]:checked"))
      .map(function (box) { return box.value; });
  }

  form.addEventListener("change", function () {
    // A new choice needs a new PaymentIntent.
    if (elements) { mount.hidden = true; confirm.hidden = true; start.hidden = false; elements = null; }
  });

  start.addEventListener("click", function () {
    message.textContent = "";
    start.disabled = true;
    fetch(form.dataset.checkout, {
      method: "POST",
      headers: { "Content-Type": "application/json", "x-csrf-token": form.dataset.csrf },
      credentials: "same-origin",
      body: JSON.stringify({ invoices: chosen() })
    })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        start.disabled = false;
        if (!res.ok) { message.textContent = res.body.error ? res.body.error.message : ""; return; }
        elements = stripe.elements({ clientSecret: res.body.client_secret });
        elements.create("payment").mount(mount);
        mount.hidden = false;
        confirm.hidden = false;
        confirm.textContent = confirm.textContent.replace(/\s*\(.*\)$/, "") + " (" + res.body.amount + ")";
        start.hidden = true;
      })
      .catch(function () { start.disabled = false; });
  });

  confirm.addEventListener("click", function () {
    if (!elements) return;
    confirm.disabled = true;
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: window.location.href.split("?")[0] } })
      .then(function (result) {
        confirm.disabled = false;
        if (result.error) message.textContent = result.error.message;
      });
  });
})();
