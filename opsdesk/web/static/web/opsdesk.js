// opsdesk: small progressive enhancements; every page works without this file.
document.addEventListener("htmx:afterSwap", (event) => {
  // After a swap, move focus to the first error so keyboard and screen-reader users find it.
  const error = event.detail.target.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (error) error.focus();
});

document.addEventListener("DOMContentLoaded", () => {
  // After a form comes back with errors, put the cursor in the first field to fix.
  const error = document.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (error) error.focus();
});

// A link to "#action-…" opens that action's form.
function openTargetedDetails() {
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.tagName === "DETAILS") target.open = true;
}
window.addEventListener("hashchange", openTargetedDetails);
document.addEventListener("DOMContentLoaded", openTargetedDetails);
