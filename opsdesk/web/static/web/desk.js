// opsdesk, the desk's logging form: choosing a requester from the type-ahead, by mouse or keys.
// Without this file the form still works: the typed requester is looked up when it is sent.
(() => {
  "use strict";

  // A lookup endpoint names its parameter (?q=, ?group=) apart from the form field's own name.
  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    const param = elt.dataset && elt.dataset.lookupParam;
    if (!param) return;
    event.detail.parameters.delete(elt.name);
    event.detail.parameters.set(param, elt.value);
  });

  const byId = (id) => document.getElementById(id);
  const choices = () => Array.from(document.querySelectorAll("#requester-results .person-choice"));

  function clearResults() {
    const results = byId("requester-results");
    if (results) results.innerHTML = "";
  }

  function choose(button) {
    const hidden = byId("id_requester");
    const query = byId("id_requester_query");
    hidden.value = button.dataset.personId;
    query.value = button.dataset.personLabel;
    query.dataset.chosen = button.dataset.personLabel;
    clearResults();
    htmx.trigger("#requester-card", "requester-chosen");
    query.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("#requester-results .person-choice");
    if (button) choose(button);
  });

  document.addEventListener("input", (event) => {
    // Typing again forgets the chosen person: the text no longer names them.
    const query = event.target;
    if (query.id !== "id_requester_query" || query.value === query.dataset.chosen) return;
    const hidden = byId("id_requester");
    if (hidden && hidden.value) {
      hidden.value = "";
      delete query.dataset.chosen;
      const card = byId("requester-card");
      if (card) card.innerHTML = "";
    }
  });

  document.addEventListener("keydown", (event) => {
    const list = choices();
    const inQuery = event.target.id === "id_requester_query";
    const at = list.indexOf(event.target);
    if (!inQuery && at < 0) return;
    if (event.key === "Escape") {
      clearResults();
      byId("id_requester_query").focus();
    } else if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? byId("id_requester_query") : list[at - 1]).focus();
    } else if (event.key === "Enter" && inQuery) {
      // Enter in the search box picks the only match instead of sending the half-filled form.
      event.preventDefault();
      if (list.length === 1) choose(list[0]);
      else if (list.length) list[0].focus();
    }
  });

  // "Use to resolve" on a suggested article: tick it, fill in the resolution (unless the agent
  // already wrote one of their own), mark a known error's workaround, and go on to the code.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-resolve-with]");
    if (!button) return;
    const number = button.dataset.resolveWith;
    const box = document.querySelector(`#suggestions input[name=articles][value="${CSS.escape(number)}"]`);
    if (box) box.checked = true;
    const resolution = byId("id_resolution");
    if (resolution && (!resolution.value.trim() || resolution.dataset.filled === resolution.value)) {
      resolution.value = button.dataset.resolution;
      resolution.dataset.filled = resolution.value;
    }
    const workaround = byId("id_is_workaround");
    if (workaround) workaround.checked = button.dataset.workaround === "1";
    const group = byId("id_assignment_group");
    if (group) group.value = "";  // resolving now, not assigning
    const code = byId("id_resolution_code");
    if (code) code.focus();
  });
})();
