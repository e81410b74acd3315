// The workbench's only script of its own (no inline script: the CSP forbids it).
// Every htmx request carries the session's CSRF token as a header; the server accepts it there.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});

// A swap removes the element that had the focus (the button just pressed): a keyboard user would
// be left on the page's body, and the next Tab would start from the top. Focus the swapped section
// instead, so the next Tab goes on from where the work was.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  if (target && !target.isConnected && target.id) {  // an outerHTML swap: the section's new element
    target = document.getElementById(target.id);
  }
  if (target && (!document.activeElement || document.activeElement === document.body)) {
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
  }
});
