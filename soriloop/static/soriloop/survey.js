// The survey page: ask only the questions whose condition holds, and save each answer as it
// is given (a partial response resumes on this device). The form still works without it.
(function () {
  "use strict";
  var form = document.querySelector("[data-survey-form]");
  if (!form) return;
  var saved = form.querySelector("[data-saved]");

  function value(key) {
    var inputs = form.querySelectorAll('[name="' + key + '"]');
    var picked = [];
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) picked.push(input.value);
      } else if (input.value.trim() !== "") {
        picked.push(input.value);
      }
    }
    if (!picked.length) return null;
    var multiple = inputs[0].type === "checkbox";
    var other = form.querySelector('[name="' + key + '__other"]');
    picked = picked.map(function (v) {
      if (v === "__other__") return { other: other ? other.value : "" };
      return /^-?\d+$/.test(v) && inputs[0].type === "radio" && !isNaN(Number(v)) &&
        inputs[0].closest(".scale") ? Number(v) : v;
    });
    return multiple ? picked : picked[0];
  }

  function holds(condition) {
    var given = value(condition.key);
    if (condition.op === "answered") return given !== null;
    if (given === null) return false;
    if (condition.op === "in") return condition.value.indexOf(given) !== -1;
    if (condition.op === "eq") return given === condition.value;
    if (condition.op === "lte") return given <= condition.value;
    if (condition.op === "gte") return given >= condition.value;
    return true;
  }

  function branch() {
    var questions = form.querySelectorAll("fieldset[data-show-if]");
    for (var i = 0; i < questions.length; i++) {
      var shown = holds(JSON.parse(questions[i].getAttribute("data-show-if")));
      questions[i].hidden = !shown;
      questions[i].disabled = !shown;
    }
  }

  function save(key) {
    var answers = {};
    answers[key] = value(key);
    fetch(form.getAttribute("data-save-url"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ answers: answers, final: false })
    }).then(function (response) {
      if (response.ok && saved) saved.hidden = false;
    }).catch(function () { /* the final submit sends every answer again */ });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-key]");
    branch();
    if (fieldset) save(fieldset.getAttribute("data-key"));
  });
  branch();
})();
