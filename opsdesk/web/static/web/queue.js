// opsdesk queues: keyboard use, select-all, and a live refresh that keeps the selection.
// Every link and button of the queue works without this file.
(() => {
  const selected = new Set();  // incident numbers ticked for bulk work, kept across refreshes
  let focusedNumber = null;    // the row j/k moved to, kept across refreshes

  const rows = () => Array.from(document.querySelectorAll("#queue-table tbody tr[data-number]"));
  const boxes = () => Array.from(document.querySelectorAll('#queue-table input[name="numbers"]'));

  function isTyping(target) {
    if (!target || !(target instanceof Element)) return false;
    if (target.isContentEditable) return true;
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    if (target.tagName !== "INPUT") return false;
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }

  function focusRow(row) {
    rows().forEach((r) => r.classList.toggle("is-focused", r === row));
    if (!row) return;
    focusedNumber = row.dataset.number;
    const link = row.querySelector("a.open");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function currentIndex(list) {
    return list.findIndex((r) => r.dataset.number === focusedNumber);
  }

  function move(step) {
    const list = rows();
    if (!list.length) return;
    const index = currentIndex(list);
    const next = index < 0 ? (step > 0 ? 0 : list.length - 1)
      : Math.min(list.length - 1, Math.max(0, index + step));
    focusRow(list[next]);
  }

  function focusedRowEl() {
    const list = rows();
    const index = currentIndex(list);
    return index < 0 ? null : list[index];
  }

  function updateCount() {
    const count = document.getElementById("bulk-count");
    if (count) {
      count.textContent = String(selected.size);
      count.hidden = selected.size === 0;
    }
    const all = document.getElementById("select-all");
    if (all) {
      const list = boxes();
      all.hidden = list.length === 0;
      all.checked = list.length > 0 && list.every((b) => b.checked);
      all.indeterminate = !all.checked && list.some((b) => b.checked);
    }
  }

  let focusWasInTable = false;

  function restore() {
    // After a refresh: tick again what was ticked, focus the same incident if it is still there.
    boxes().forEach((box) => { box.checked = selected.has(box.value); });
    const row = rows().find((r) => r.dataset.number === focusedNumber);
    if (row) {
      row.classList.add("is-focused");
      const link = row.querySelector("a.open");
      if (focusWasInTable && link) link.focus({ preventScroll: true });
    }
    focusWasInTable = false;
    updateCount();
  }

  function toggleHelp() {
    const help = document.getElementById("queue-shortcuts");
    if (!help) return;
    help.open = !help.open;
    if (help.open) help.querySelector("summary").focus();
  }

  document.addEventListener("keydown", (event) => {
    if (!document.getElementById("queue-table")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape" && event.target.id === "q") event.target.blur();
      return;
    }
    const row = focusedRowEl();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
      case "Enter": {
        if (!row) return;  // Enter elsewhere keeps its usual meaning
        if (event.key === "Enter" && event.target.closest && !event.target.closest("tr")) return;
        const link = row.querySelector("a.open");
        if (link) window.location.assign(link.href);
        break;
      }
      case "x": {
        if (!row) return;
        const box = row.querySelector('input[name="numbers"]');
        if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
        break;
      }
      case "/": {
        const search = document.getElementById("q");
        if (search) { search.focus(); search.select(); }
        break;
      }
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "select-all") {
      boxes().forEach((box) => {
        box.checked = target.checked;
        if (box.checked) selected.add(box.value); else selected.delete(box.value);
      });
    } else if (target.name === "numbers") {
      if (target.checked) selected.add(target.value); else selected.delete(target.value);
    } else {
      return;
    }
    updateCount();
  });

  document.addEventListener("click", (event) => {
    // A click in a row makes it the keyboard's current row too.
    const row = event.target.closest && event.target.closest("#queue-table tbody tr[data-number]");
    if (row) {
      focusedNumber = row.dataset.number;
      rows().forEach((r) => r.classList.toggle("is-focused", r === row));
    }
  });

  document.addEventListener("htmx:beforeSwap", () => {
    const table = document.getElementById("queue-table");
    focusWasInTable = Boolean(table && table.contains(document.activeElement));
  });
  document.addEventListener("htmx:afterSettle", restore);
  document.addEventListener("DOMContentLoaded", () => {
    boxes().forEach((box) => { if (box.checked) selected.add(box.value); });  // back button
    restore();
  });
})();
