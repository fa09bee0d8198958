// opsdesk, the catalogue's order forms: choosing a person (the desk's caller, a person field)
// from the type-ahead, by mouse or keys. Without this file the forms still work: the typed
// username or email is looked up when the form is sent.
(() => {
  "use strict";

  // The lookup endpoint names its parameter (?q=) apart from the form field's own name.
  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    const param = elt.dataset && elt.dataset.lookupParam;
    if (!param || !elt.dataset.pickId) return;
    event.detail.parameters.delete(elt.name);
    event.detail.parameters.set(param, elt.value);
  });

  const byId = (id) => document.getElementById(id);
  const resultsOf = (input) => byId(`${input.id}-results`);
  const choicesIn = (results) => Array.from(results ? results.querySelectorAll(".person-choice") : []);

  function choose(button) {
    const results = button.closest("[data-pick-for]");
    const input = byId(results.dataset.pickFor);
    byId(input.dataset.pickId).value = button.dataset.personId;
    input.value = button.dataset.personLabel;
    input.dataset.chosen = button.dataset.personLabel;
    results.innerHTML = "";
    input.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-pick-for] .person-choice");
    if (button) choose(button);
  });

  document.addEventListener("input", (event) => {
    // Typing again forgets the chosen person: the text no longer names them.
    const input = event.target;
    if (!input.dataset || !input.dataset.pickId || input.value === input.dataset.chosen) return;
    const hidden = byId(input.dataset.pickId);
    if (hidden) hidden.value = "";
    delete input.dataset.chosen;
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const inInput = Boolean(target.dataset && target.dataset.pickId);
    const results = inInput ? resultsOf(target) : target.closest && target.closest("[data-pick-for]");
    if (!results) return;
    const input = inInput ? target : byId(results.dataset.pickFor);
    const list = choicesIn(results);
    const at = list.indexOf(target);
    if (event.key === "Escape") {
      results.innerHTML = "";
      input.focus();
    } else if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : list[at - 1]).focus();
    } else if (event.key === "Enter" && inInput && list.length) {
      // Enter in the search box picks the only match instead of sending the form.
      event.preventDefault();
      if (list.length === 1) choose(list[0]);
      else list[0].focus();
    }
  });
})();
